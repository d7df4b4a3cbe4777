import { describe, expect, it } from 'vitest';
import { Admission, isLoopback } from '../../src/server/admission.js';

/** Admits `address` (the test fails if it is refused); returns its release. */
function admitted(admission: Admission, address: string): () => void {
  const refusal = admission.admit(address);
  if (refusal !== undefined) throw new Error(`refused: ${refusal}`);
  return () => admission.release(address);
}

describe('Admission', () => {
  it('admits up to the total cap, whatever the addresses, and says the server is full after that', () => {
    const admission = new Admission({ cap: 3, maxPerIp: 10, limitLoopback: false });
    const releases = ['10.0.0.1', '10.0.0.2', '127.0.0.1'].map((a) => admitted(admission, a));
    expect(admission.connections).toBe(3);
    expect(admission.admit('10.0.0.9')).toBe('the server is full; try again later');
    // The cap holds for loopback too.
    expect(admission.admit('127.0.0.1')).toMatch(/full/);
    releases[0]!();
    expect(admission.connections).toBe(2);
    expect(admission.admit('10.0.0.9')).toBeUndefined();
  });

  it('admits up to maxPerIp from one address; other addresses are not affected', () => {
    const admission = new Admission({ cap: 100, maxPerIp: 2, limitLoopback: false });
    const first = admitted(admission, '203.0.113.7');
    admitted(admission, '203.0.113.7');
    expect(admission.admit('203.0.113.7')).toBe('too many connections from 203.0.113.7');
    expect(admission.admit('203.0.113.8')).toBeUndefined();
    expect(admission.admit('2001:db8::1')).toBeUndefined();
    // A refusal takes no place.
    expect(admission.connections).toBe(4);
    first();
    expect(admission.admit('203.0.113.7')).toBeUndefined();
    expect(admission.admit('203.0.113.7')).toBeDefined();
  });

  it('exempts loopback from maxPerIp, unless limitLoopback', () => {
    for (const address of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1']) {
      const open = new Admission({ cap: 100, maxPerIp: 1, limitLoopback: false });
      for (let i = 0; i < 5; i++) expect(open.admit(address), `${address} #${i}`).toBeUndefined();
      const limited = new Admission({ cap: 100, maxPerIp: 1, limitLoopback: true });
      expect(limited.admit(address)).toBeUndefined();
      expect(limited.admit(address)).toBe(`too many connections from ${address}`);
    }
  });

  it('a release for an address that holds nothing changes nothing', () => {
    const admission = new Admission({ cap: 2, maxPerIp: 1, limitLoopback: true });
    const release = admitted(admission, '10.0.0.1');
    admitted(admission, '10.0.0.2');
    release();
    release();
    admission.release('10.0.0.9');
    expect(admission.connections).toBe(1);
    // 10.0.0.2 still holds its place: the extra releases did not free it.
    expect(admission.admit('10.0.0.2')).toBeDefined();
    expect(admission.admit('10.0.0.1')).toBeUndefined();
    expect(admission.admit('10.0.0.3')).toMatch(/full/);
  });

  it('isLoopback knows IPv4, IPv6 and IPv4-mapped loopback, and nothing else', () => {
    for (const a of ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', '::2', '', 'localhost']) expect(isLoopback(a), a).toBe(false);
  });
});
