// The TLS listener on real sockets with real certificates (made at run time
// by openssl): the same protocol as the plain port, TLS 1.2 at least, a
// certificate reload without dropping anyone (by the API and by SIGHUP on
// the bin), a TLS-only server, and openssl s_client as a raw session.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCa, makeServerCert, type CertFiles } from '../helpers/certs.js';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { closeAllServers, killAllChildren, removeTempDirs, runBin, spawnServer, startTestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
  await killAllChildren();
});
afterAll(() => removeTempDirs());

function certs(): CertFiles {
  return makeServerCert(makeCa());
}

const trusting = (files: CertFiles): tls.ConnectionOptions => ({ ca: fs.readFileSync(files.caFile) });

/** A new certificate and key written over `files`, as a renewal does; returns the new pair. */
function renewed(ca: ReturnType<typeof makeCa>, files: CertFiles): CertFiles {
  const next = makeServerCert(ca, 'renewed');
  fs.copyFileSync(next.certFile, files.certFile);
  fs.copyFileSync(next.keyFile, files.keyFile);
  return next;
}

function fingerprintOf(client: LineClient): string | undefined {
  return (client.socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256;
}

describe('the TLS listener', () => {
  it('speaks the same protocol as the plain port, and both reach the same rooms', async () => {
    const files = certs();
    const srv = await startTestServer({ tlsCert: files.certFile, tlsKey: files.keyFile, tlsPort: 0 });
    expect(srv.tlsPort).toBeGreaterThan(0);
    expect(srv.tlsPort).not.toBe(srv.port);
    const secure = await LineClient.connectTls(srv.tlsPort!, trusting(files));
    expect(fingerprintOf(secure)).toBe(files.fingerprint);
    expect((await secure.login('alice', 'correct horse')).success).toBe('SUCCESS|Welcome, alice! You are in lobby. (registered: from now on alice needs this password)');
    const plain = await LineClient.loggedIn(srv.port, 'bob');
    await secure.waitFor('SYSTEM|bob joined lobby');
    secure.sendLine('TEXT|over TLS');
    await plain.waitFor('TEXT|alice|over TLS');
    plain.sendLine('TEXT|in the clear');
    await secure.waitFor('TEXT|bob|in the clear');
    secure.sendLine('USERS');
    expect(await secure.waitFor(/^USERS\|/)).toBe('USERS|2|alice,bob');
  });

  it('refuses TLS 1.1 and a client that does not trust the certificate; a plain-text client on the TLS port gets nothing', async () => {
    const files = certs();
    const srv = await startTestServer({ tlsCert: files.certFile, tlsKey: files.keyFile, tlsPort: 0 });
    await expect(LineClient.connectTls(srv.tlsPort!, { ...trusting(files), minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).rejects.toThrow();
    await expect(LineClient.connectTls(srv.tlsPort!)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    // The name is checked: the certificate is for 127.0.0.1 and localhost only.
    await expect(LineClient.connectTls(srv.tlsPort!, { ...trusting(files), servername: 'chat.example.org' })).rejects.toThrow(/altnames|does not match/i);
    const confused = await LineClient.connect(srv.tlsPort!);
    confused.sendLine('LOGIN|mallory');
    await confused.waitClosed(15_000);
    expect(confused.seen).toEqual([]);
    // The server goes on.
    const ok = await LineClient.connectTls(srv.tlsPort!, { ...trusting(files), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect((await ok.login('carol')).success).toMatch(/^SUCCESS\|/);
  }, 30_000);

  it('reloads the certificate for new connections without dropping open ones, and keeps the old one when the new files are bad', async () => {
    const ca = makeCa();
    const first = makeServerCert(ca, 'first');
    const srv = await startTestServer({ tlsCert: first.certFile, tlsKey: first.keyFile, tlsPort: 0 });
    const before = await LineClient.connectTls(srv.tlsPort!, trusting(first));
    await before.login('alice');
    expect(fingerprintOf(before)).toBe(first.fingerprint);

    const second = renewed(ca, first);
    expect(srv.reloadTls()).toBe(true);
    const after = await LineClient.connectTls(srv.tlsPort!, trusting(first));
    expect(fingerprintOf(after)).toBe(second.fingerprint);
    await after.login('bob');
    await before.waitFor('SYSTEM|bob joined lobby');
    before.sendLine('TEXT|still here');
    await after.waitFor('TEXT|alice|still here');

    // A truncated certificate: the reload fails and the second pair stays.
    fs.writeFileSync(first.certFile, fs.readFileSync(first.certFile, 'utf8').slice(0, 100));
    expect(srv.reloadTls()).toBe(false);
    const third = await LineClient.connectTls(srv.tlsPort!, trusting(first));
    expect(fingerprintOf(third)).toBe(second.fingerprint);
  });

  it('IRC over TLS (--irc-tls-port): the same certificate and its reload; WHOIS says the connection is secure', async () => {
    const ca = makeCa();
    const first = makeServerCert(ca, 'first');
    const srv = await startTestServer({ tlsCert: first.certFile, tlsKey: first.keyFile, tlsPort: 0, ircPort: 0, ircTlsPort: 0, serverName: 'irc.test' });
    expect(srv.ircTlsPort).toBeGreaterThan(0);
    const irc = await LineClient.connectTls(srv.ircTlsPort!, trusting(first));
    expect(fingerprintOf(irc)).toBe(first.fingerprint);
    irc.sendLine('NICK alice');
    irc.sendLine('USER alice 0 * :Alice');
    await irc.waitFor(/ 001 alice /);
    irc.sendLine('JOIN #lobby');
    await irc.waitFor(/ 366 /);
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    await irc.waitFor(/bob!bob@irc\.test JOIN #lobby/);
    irc.sendLine('PRIVMSG #lobby :over TLS');
    await bob.waitFor('TEXT|alice|over TLS');
    bob.sendLine('TEXT|in the clear');
    await irc.waitFor(/PRIVMSG #lobby :in the clear/);
    irc.sendLine('WHOIS alice');
    await irc.waitFor(/ 671 alice alice :is using a secure connection/);

    const second = renewed(ca, first);
    expect(srv.reloadTls()).toBe(true);
    const later = await LineClient.connectTls(srv.ircTlsPort!, trusting(first));
    expect(fingerprintOf(later)).toBe(second.fingerprint);
    later.sendLine('PING :x');
    await later.waitFor(/PONG/);
    irc.sendLine('PING :still');
    await irc.waitFor(/PONG.*still/);
  });

  it('--irc-tls-port needs a certificate: without --tls-cert it is a usage error', async () => {
    const result = await runBin(['--irc-tls-port', '6697']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--irc-tls-port/);
  });

  it('chat-server reloads on SIGHUP: the fingerprint changes for new connections, open ones stay', async () => {
    const ca = makeCa();
    const first = makeServerCert(ca, 'first');
    const srv = await spawnServer(['--tls-cert', first.certFile, '--tls-key', first.keyFile, '--tls-port', '0']);
    const open = await LineClient.connectTls(srv.tlsPort!, trusting(first));
    await open.login('alice');
    expect(fingerprintOf(open)).toBe(first.fingerprint);
    const second = renewed(ca, first);
    srv.kill('SIGHUP');
    await eventually(() => srv.stderr().includes('"tls-reloaded"'));
    expect(srv.stderr()).toContain(second.fingerprint);
    const fresh = await LineClient.connectTls(srv.tlsPort!, trusting(first));
    expect(fingerprintOf(fresh)).toBe(second.fingerprint);
    open.sendLine('PING|alive');
    expect(await open.waitFor(/^PONG\|/)).toBe('PONG|alive');
    srv.kill('SIGTERM');
    expect((await srv.waitExit()).code).toBe(0);
  });

  it('--no-plain serves TLS alone; bad TLS flags are usage errors and bad files a start failure', async () => {
    const files = certs();
    const srv = await spawnServer(['--no-plain', '--tls-cert', files.certFile, '--tls-key', files.keyFile, '--tls-port', '0']);
    expect(srv.tlsPort).toBe(srv.port);
    expect(srv.stderr()).not.toMatch(/"port":/);
    const client = await LineClient.connectTls(srv.tlsPort!, trusting(files));
    expect((await client.login('alice')).success).toMatch(/^SUCCESS\|/);

    const noKey = await runBin(['--tls-cert', files.certFile]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toBe('chat-server: --tls-cert and --tls-key go together: give both or neither (see chat-server --help)\n');
    const nothing = await runBin(['--no-plain']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^chat-server: --no-plain needs --tls-cert/);
    const missing = await runBin(['--port', '0', '--tls-cert', `${files.dir}/nope.pem`, '--tls-key', files.keyFile]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`chat-server: cannot start: cannot read the TLS certificate ${files.dir}/nope.pem: ENOENT\n`);
    const mismatched = makeServerCert(makeCa(), 'other');
    const wrongKey = await runBin(['--port', '0', '--tls-cert', files.certFile, '--tls-key', mismatched.keyFile]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^chat-server: cannot start: the TLS key .* does not fit /);
  }, 30_000);

  it('openssl s_client -quiet is a raw TLS session, as the README shows', async () => {
    const files = certs();
    const srv = await startTestServer({ tlsCert: files.certFile, tlsKey: files.keyFile, tlsPort: 0 });
    const proc = spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${srv.tlsPort}`, '-CAfile', files.caFile, '-verify_return_error'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stdin.write('LOGIN|sam\n');
    await eventually(() => out.includes('SYSTEM|sam joined lobby'));
    proc.stdin.write('PING|raw\n');
    await eventually(() => out.includes('PONG|raw'));
    proc.stdin.end('LOGOUT\n');
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(out.split('\n').filter(Boolean)).toEqual(['SUCCESS|Welcome, sam! You are in lobby. (guest)', 'SYSTEM|sam joined lobby', 'PONG|raw', 'SYSTEM|goodbye, sam']);
    expect(code).toBe(0);
  });
});
