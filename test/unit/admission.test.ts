import { describe, expect, it } from 'vitest';
import { Admission, isLoopback, type Admitted } from '../../src/server/admission.js';

function admitted(result: Admitted): () => void {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.release;
}

describe('Admission', () => {
  it('admits up to the total cap, whatever the addresses, and says the server is full after that', () => {
    const admission = new Admission({ cap: 3, maxPerIp: 10, limitLoopback: false });
    const releases = ['10.0.0.1', '10.0.0.2', '127.0.0.1'].map((a) => admitted(admission.admit(a)));
    expect(admission.connections).toBe(3);
    expect(admission.admit('10.0.0.9')).toEqual({ ok: false, reason: 'the server is full; try again later' });
    // The cap holds for loopback too.
    expect(admission.admit('127.0.0.1')).toMatchObject({ ok: false, reason: expect.stringMatching(/full/) });
    releases[0]!();
    expect(admission.connections).toBe(2);
    expect(admission.admit('10.0.0.9').ok).toBe(true);
  });

  it('admits up to maxPerIp from one address; other addresses are not affected', () => {
    const admission = new Admission({ cap: 100, maxPerIp: 2, limitLoopback: false });
    const first = admitted(admission.admit('203.0.113.7'));
    admitted(admission.admit('203.0.113.7'));
    expect(admission.admit('203.0.113.7')).toEqual({ ok: false, reason: 'too many connections from 203.0.113.7' });
    expect(admission.admit('203.0.113.8').ok).toBe(true);
    expect(admission.admit('2001:db8::1').ok).toBe(true);
    // A refusal takes no place.
    expect(admission.connections).toBe(4);
    first();
    expect(admission.admit('203.0.113.7').ok).toBe(true);
    expect(admission.admit('203.0.113.7').ok).toBe(false);
  });

  it('exempts loopback from maxPerIp, unless limitLoopback', () => {
    for (const address of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1']) {
      const open = new Admission({ cap: 100, maxPerIp: 1, limitLoopback: false });
      for (let i = 0; i < 5; i++) expect(open.admit(address).ok, `${address} #${i}`).toBe(true);
      const limited = new Admission({ cap: 100, maxPerIp: 1, limitLoopback: true });
      expect(limited.admit(address).ok).toBe(true);
      expect(limited.admit(address)).toEqual({ ok: false, reason: `too many connections from ${address}` });
    }
  });

  it('release() counts once however often it is called', () => {
    const admission = new Admission({ cap: 2, maxPerIp: 1, limitLoopback: true });
    const release = admitted(admission.admit('10.0.0.1'));
    admitted(admission.admit('10.0.0.2'));
    release();
    release();
    release();
    expect(admission.connections).toBe(1);
    // 10.0.0.2 still holds its place: a double release did not free it.
    expect(admission.admit('10.0.0.2').ok).toBe(false);
    expect(admission.admit('10.0.0.1').ok).toBe(true);
    expect(admission.admit('10.0.0.3')).toMatchObject({ ok: false, reason: expect.stringMatching(/full/) });
  });

  it('isLoopback knows IPv4, IPv6 and IPv4-mapped loopback, and nothing else', () => {
    for (const a of ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', '::2', '', 'localhost']) expect(isLoopback(a), a).toBe(false);
  });
});
