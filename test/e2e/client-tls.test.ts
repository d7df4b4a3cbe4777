// chat-client --tls against the server's TLS listener, with certificates
// made at run time: the certificate is verified against --host (a private CA
// with --ca), a failed check exits 4 with one line saying why, --insecure
// warns, and the chat screen works the same over TLS (tmux).

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/server.js';
import { makeCa, makeServerCert, type CertFiles } from '../helpers/certs.js';
import { LineClient, Tmux, assertBuilt, cleanup, clientBin, onCleanup, runClient, tempDir, waitFor } from './helpers.js';

beforeAll(() => assertBuilt());
afterEach(() => cleanup());

async function tlsServer(files: CertFiles): Promise<{ port: number; tlsPort: number }> {
  const srv = await startServer({ port: 0, tlsPort: 0, host: '127.0.0.1', dataDir: tempDir(), logLevel: 'error', tlsCert: files.certFile, tlsKey: files.keyFile });
  onCleanup(() => srv.close());
  return { port: srv.port, tlsPort: srv.tlsPort! };
}

describe('chat-client --tls', () => {
  it('talks to the TLS port when the certificate checks out against --host and --ca', async () => {
    const files = makeServerCert(makeCa(tempDir('chat-tls-')));
    const srv = await tlsServer(files);
    const watcher = await LineClient.login(srv.port, 'watcher');
    for (const host of ['127.0.0.1', 'localhost']) {
      const run = await runClient(['--tls', '--ca', files.caFile, '--host', host, '--port', String(srv.tlsPort), '--name', 'bot'], `hi from ${host}\n/quit\n`);
      expect(run.code, run.stderr).toBe(0);
      await watcher.waitFor(`TEXT|bot|hi from ${host}`);
    }
  });

  it('a certificate it cannot verify: exit 4 with one line saying why; the wrong port: exit 4 too', async () => {
    const files = makeServerCert(makeCa(tempDir('chat-tls-')));
    const srv = await tlsServer(files);
    const untrusted = await runClient(['--tls', '--port', String(srv.tlsPort), '--name', 'bot'], '/quit\n');
    expect(untrusted.code, untrusted.stderr).toBe(4);
    expect(untrusted.stderr.trim().split('\n')).toHaveLength(1);
    expect(untrusted.stderr).toMatch(/^chat-client: cannot connect over TLS: the server's certificate could not be verified: .+ \(a private CA: --ca FILE; a test server: --insecure\)$/m);
    // Signed by the CA, but for another name than the one asked for.
    const elsewhere = makeServerCert(makeCa(tempDir('chat-tls-')), 'elsewhere', 'DNS:chat.example.org');
    const other = await tlsServer(elsewhere);
    const otherName = await runClient(['--tls', '--ca', elsewhere.caFile, '--host', 'localhost', '--port', String(other.tlsPort), '--name', 'bot'], '/quit\n');
    expect(otherName.code, otherName.stderr).toBe(4);
    expect(otherName.stderr).toMatch(/certificate could not be verified: .*localhost.*chat\.example\.org/);
    const plainPort = await runClient(['--tls', '--ca', files.caFile, '--port', String(srv.port), '--name', 'bot'], '/quit\n');
    expect(plainPort.code).toBe(4);
    expect(plainPort.stderr).toBe(`chat-client: cannot connect over TLS: 127.0.0.1:${srv.port} did not answer with TLS (is that the TLS port? the server listens for TLS on 65433 by default)\n`);
  });

  it('--insecure connects without the check and says so; --ca and --insecure need --tls; an unreadable --ca is a usage error', async () => {
    const files = makeServerCert(makeCa(tempDir('chat-tls-')));
    const srv = await tlsServer(files);
    const run = await runClient(['--tls', '--insecure', '--port', String(srv.tlsPort), '--name', 'bot'], '/quit\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("chat-client: warning: --insecure: the server's certificate is not checked");
    const noTls = await runClient(['--ca', files.caFile, '--name', 'bot'], '');
    expect(noTls.code).toBe(2);
    expect(noTls.stderr).toBe('chat-client: --ca goes with --tls (see chat-client --help)\n');
    const missing = await runClient(['--tls', '--ca', `${files.dir}/nope.pem`, '--name', 'bot'], '');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`chat-client: cannot read --ca ${files.dir}/nope.pem: ENOENT (see chat-client --help)\n`);
  });

  it('in a terminal: the chat over TLS, as on the plain port', async () => {
    if (!Tmux.available()) throw new Error('tmux is required for this test');
    const files = makeServerCert(makeCa(tempDir('chat-tls-')));
    const srv = await tlsServer(files);
    const t = await Tmux.start(['node', clientBin, '--tls', '--ca', files.caFile, '--port', String(srv.tlsPort), '--name', 'alice'], { width: 80, height: 20 });
    await t.waitForScreen('the prompt', (s) => s.split('\n').at(-1)!.startsWith('alice@lobby>'));
    const bob = await LineClient.login(srv.port, 'bob');
    bob.send('TEXT|hello over the plain port');
    await t.waitForScreen("bob's message", /\[\d\d:\d\d\] bob: hello over the plain port/);
    t.type('and back over TLS');
    t.keys('Enter');
    await waitFor('the message at bob', () => bob.lines.includes('TEXT|alice|and back over TLS') || undefined, 5000);
    t.kill();
  });
});
