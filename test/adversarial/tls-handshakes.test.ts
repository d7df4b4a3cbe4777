// Hostile TLS peers: hundreds of connections to the TLS port that never
// finish a handshake (silent ones, and ones sending plain text) must not slow
// anyone else's login or chat, on either port, and must not hold up the
// server's shutdown until their handshake timeout.

import net from 'node:net';
import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCa, makeServerCert } from '../helpers/certs.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeAllClients();
  await closeAllServers();
});
afterAll(() => removeTempDirs());

const SILENT = 200;
const GARBAGE = 50;

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.on('error', () => undefined);
    socket.once('error', reject);
    sockets.push(socket);
  });
}

describe('connections that never finish a TLS handshake', () => {
  it(`${SILENT} silent and ${GARBAGE} plain-text ones: others log in and chat at once, and shutdown does not wait for them`, async () => {
    const files = makeServerCert(makeCa());
    const srv = await startTestServer({ tlsCert: files.certFile, tlsKey: files.keyFile, tlsPort: 0 });
    for (let i = 0; i < SILENT; i++) await open(srv.tlsPort!);
    for (let i = 0; i < GARBAGE; i++) (await open(srv.tlsPort!)).write('LOGIN|mallory\nTEXT|spam\n');

    const started = Date.now();
    const secure = await LineClient.connectTls(srv.tlsPort!, { ca: fs.readFileSync(files.caFile) });
    expect((await secure.login('alice')).success).toMatch(/^SUCCESS\|/);
    const plain = await LineClient.loggedIn(srv.port, 'bob');
    await secure.waitFor('SYSTEM|bob joined lobby');
    secure.sendLine('TEXT|still fast');
    await plain.waitFor('TEXT|alice|still fast');
    expect(Date.now() - started, 'a TLS login, a plain login and a message across').toBeLessThan(1500);
    // None of them became a session: nobody was named mallory, nothing was relayed.
    expect(plain.seen.some((l) => l.includes('mallory') || l.includes('spam'))).toBe(false);

    // The silent ones are still mid-handshake: closing cuts them instead of waiting out the handshake timeout.
    const closing = Date.now();
    await closeAllClients();
    await srv.close();
    expect(Date.now() - closing, 'shutdown with stalled handshakes').toBeLessThan(4000);
  }, 30_000);
});
