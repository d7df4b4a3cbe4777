// The web listener on real sockets: the page's files with their types,
// caching and security headers, and nothing else (path traversal); the
// WebSocket at /ws speaking the line protocol a frame per message, beside
// TCP users in the same rooms; the origin check; and the same limits as
// TCP: line size, line breaks and binary refused, rate limits, connection
// caps, the login timeout, and WSS with the TLS certificate.

import fs from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCa, makeServerCert } from '../helpers/certs.js';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, runBin, startTestServer, type TestServer } from '../helpers/server.js';
import { WsClient, closeAllWsClients } from '../helpers/ws-client.js';

afterEach(async () => {
  closeAllWsClients();
  await closeAllClients();
  await closeAllServers();
});
afterAll(() => removeTempDirs());

async function web(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer & { webPort: number }> {
  const srv = await startTestServer({ webPort: 0, ...overrides });
  expect(srv.webPort).toBeGreaterThan(0);
  return srv as TestServer & { webPort: number };
}

/** One raw HTTP request, as written (no client normalising the path); the whole answer. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('the web page', () => {
  it('is served with its types, a strict CSP, a validator for caching, and nothing outside its folder', async () => {
    const srv = await web();
    const base = `http://127.0.0.1:${srv.webPort}`;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    // No inline script or style in the page: the CSP would refuse it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\bstyle=|<style/);
    // The shared codec, built for the browser beside the page.
    const script = await fetch(`${base}/js/protocol/parse.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const etag = page.headers.get('etag')!;
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`${base}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/ws`)).status).toBe(426);
    expect((await fetch(`${base}/nothing-here.js`)).status).toBe(404);

    const secret = fs.readFileSync('package.json', 'latin1').slice(0, 40);
    for (const target of [
      '/../package.json',
      '/../../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/js/..%2f..%2f..%2fpackage.json',
      '/..\\package.json',
      '/%2e%2e%5cpackage.json',
      '/%252e%252e%252fpackage.json',
      '/js/%252e%252e/%252e%252e/package.json',
      '/index.html%00.js',
      '//etc/passwd',
      '/%ff',
      'http://127.0.0.1/../package.json',
      '/js/web/../../../../server/main.js',
    ]) {
      const answer = await rawRequest(srv.webPort, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect(answer, target).not.toContain(secret);
      expect(answer, target).not.toContain('root:');
    }
  });
});

describe('the WebSocket at /ws', () => {
  it('speaks the line protocol a frame per message, in the same rooms as TCP users, both ways', async () => {
    const srv = await web();
    const tcp = await LineClient.loggedIn(srv.port, 'bob');
    const browser = await WsClient.connect(srv.webPort);
    browser.send('LOGIN|alice');
    expect(await browser.waitFor('SUCCESS|')).toMatch(/^SUCCESS\|Welcome, alice!/);
    await browser.waitFor('SYSTEM|alice joined lobby');
    await tcp.waitFor('SYSTEM|alice joined lobby');
    browser.send('TEXT|hello from the browser');
    await tcp.waitFor('TEXT|alice|hello from the browser');
    tcp.sendLine('TEXT|hello from nc');
    await browser.waitFor('TEXT|bob|hello from nc');
    tcp.sendLine('PRIVATE|alice|psst');
    await browser.waitFor('PRIVATE|bob|psst');
    // A line end at the very end of a message is the frame's own.
    browser.send('USERS\n');
    expect(await browser.waitFor('USERS|')).toBe('USERS|2|alice,bob');
    expect(browser.messages.every((m) => !m.includes('\n'))).toBe(true);
    browser.send('LOGOUT');
    await browser.waitFor('SYSTEM|goodbye, alice');
    expect(await browser.waitClosed()).toBe(1000);
    await tcp.waitFor('SYSTEM|alice left lobby');
  });

  it('refuses a line break inside a message and binary messages with BAD_FRAME, never as two frames', async () => {
    const srv = await web();
    const tcp = await LineClient.loggedIn(srv.port, 'bob');
    const browser = await WsClient.loggedIn(srv.webPort, 'alice');
    browser.send('TEXT|one\nTEXT|two');
    expect(await browser.waitFor('ERROR|')).toBe('ERROR|BAD_FRAME|one frame per message: a message may not hold a line break');
    browser.send('TEXT|carriage\rreturn');
    await browser.waitFor('ERROR|BAD_FRAME|one frame per message');
    browser.send(Buffer.from('TEXT|as binary'), true);
    expect(await browser.waitFor('ERROR|')).toBe('ERROR|BAD_FRAME|binary messages are refused: send each frame as a text message');
    browser.send('TEXT|still here');
    await tcp.waitFor('TEXT|alice|still here');
    expect(tcp.drain().filter((l) => /one|two|carriage|binary/.test(l))).toEqual([]);
  });

  it('a message past the line limit gets LINE_TOO_LONG; a 2 MiB one closes that socket (1009) and the server stays up', async () => {
    const srv = await web({ maxLineBytes: 1024 });
    const tcp = await LineClient.loggedIn(srv.port, 'bob');
    const browser = await WsClient.loggedIn(srv.webPort, 'alice');
    browser.send(`TEXT|${'x'.repeat(2000)}`);
    expect(await browser.waitFor('ERROR|')).toMatch(/^ERROR\|LINE_TOO_LONG\|lines are limited to 1024 bytes/);
    browser.send('TEXT|after the long one');
    await tcp.waitFor('TEXT|alice|after the long one');
    const huge = await WsClient.loggedIn(srv.webPort, 'huge');
    huge.send(`TEXT|${'y'.repeat(2 * 1024 * 1024)}`);
    expect(await huge.waitClosed(5_000)).toBe(1009);
    await tcp.waitFor('SYSTEM|huge left lobby');
    tcp.sendLine('PING|up');
    await tcp.waitFor('PONG|up');
    browser.send('TEXT|still talking');
    await tcp.waitFor('TEXT|alice|still talking');
  });

  it("checks Origin: another site's page gets 403, the page's own origin and --web-origin ones are let in", async () => {
    const srv = await web();
    await expect(WsClient.connect(srv.webPort, { origin: 'https://evil.example' })).rejects.toThrow('upgrade refused: 403');
    await expect(WsClient.connect(srv.webPort, { origin: `http://127.0.0.1:${srv.webPort + 1}` })).rejects.toThrow('403');
    await expect(WsClient.connect(srv.webPort, { origin: 'null' })).rejects.toThrow('403');
    (await WsClient.connect(srv.webPort)).close();
    // Not a browser: no Origin, nothing to hijack.
    (await WsClient.connect(srv.webPort, { origin: undefined })).close();
    await expect(WsClient.connect(srv.webPort, { path: '/other' })).rejects.toThrow('upgrade refused: 404');

    const pinned = await web({ webOrigins: ['https://chat.example.org'] });
    (await WsClient.connect(pinned.webPort, { origin: 'https://chat.example.org' })).close();
    await expect(WsClient.connect(pinned.webPort)).rejects.toThrow('403');
  });

  it('the same limits as TCP: connection caps (SERVER_FULL, 1013), the login timeout, and a flooder cut off', async () => {
    const srv = await web({ maxPerIp: 2, limitLoopback: true, loginTimeoutMs: 1000, rateLimit: 5, rateBurst: 5 });
    const first = await WsClient.connect(srv.webPort);
    const tcp = await LineClient.connect(srv.port);
    const third = await WsClient.connect(srv.webPort);
    expect(await third.waitFor('ERROR|')).toMatch(/^ERROR\|SERVER_FULL\|/);
    expect(await third.waitClosed()).toBe(1013);
    await tcp.close();
    expect(await first.waitFor('ERROR|', 3_000)).toMatch(/^ERROR\|TIMEOUT\|no login within 1 s/);
    await first.waitClosed();

    // A flood that goes on is cut off, as on TCP.
    const flooder = await WsClient.loggedIn(srv.webPort, 'flooder');
    const flood = setInterval(() => {
      for (let i = 0; i < 50 && !flooder.closed; i++) flooder.send(`TEXT|flood ${i}`);
    }, 20);
    try {
      await flooder.waitFor(/^ERROR\|RATE_LIMITED\|/);
      await flooder.waitClosed(15_000);
    } finally {
      clearInterval(flood);
    }
    expect(flooder.messages.at(-1)).toBe('ERROR|RATE_LIMITED|too many messages for too long; disconnecting');
  });

  it('gives each place back when its socket goes: page loads and WebSockets, over and over, never wear out the caps', async () => {
    const srv = await web({ maxPerIp: 2, limitLoopback: true });
    // Page loads one after another, twice the cap and more: the server lets each socket go moments after its client sees the end.
    for (let i = 0; i < 6; i++) {
      const load = () => rawRequest(srv.webPort, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n').catch(() => '');
      await eventually(async () => (await load()).startsWith('HTTP/1.1 200 '), 5_000, `page load ${i}: a place coming back`);
    }
    /** Logged in, or refused (at the socket, or with SERVER_FULL once upgraded). */
    async function tryLogin(name: string): Promise<WsClient | undefined> {
      const c = await WsClient.connect(srv.webPort).catch(() => undefined);
      if (c === undefined) return undefined;
      c.send(`LOGIN|${name}`);
      if ((await c.waitFor(/^(SUCCESS|ERROR)\|/)).startsWith('SUCCESS|')) return c;
      await c.waitClosed();
      return undefined;
    }
    for (let round = 0; round < 4; round++) {
      const pair: WsClient[] = [];
      await eventually(async () => {
        const c = await tryLogin(`r${round}u${pair.length}`);
        if (c !== undefined) pair.push(c);
        return pair.length === 2;
      }, 5_000, `round ${round}: both places coming back`);
      // The cap holds meanwhile.
      expect(await tryLogin(`r${round}u2`)).toBeUndefined();
      await Promise.all(pair.map(async (c) => {
        c.send('LOGOUT');
        await c.waitClosed();
      }));
    }
  });

  it('a slow consumer (it stops reading) is dropped, while the room goes on for the others', async () => {
    const srv = await web({ outputCapBytes: 64 * 1024, rateLimit: 0 });
    const slow = await WsClient.loggedIn(srv.webPort, 'slow');
    const reader = await WsClient.loggedIn(srv.webPort, 'reader');
    const talker = await LineClient.loggedIn(srv.port, 'talker');
    // The slow one's socket reads nothing more: the server's output to it piles up.
    (slow.ws as unknown as { _socket: net.Socket })._socket.pause();
    const text = 'z'.repeat(900);
    let sent = 0;
    // In bursts until the server gives up on it: the kernel's buffers take the first megabytes.
    const burst = setInterval(() => {
      let lines = '';
      for (let i = 0; i < 200; i++) lines += `TEXT|${sent++} ${text}\n`;
      talker.send(lines);
    }, 10);
    try {
      await talker.waitFor('SYSTEM|slow left lobby (too slow to keep up)', 30_000);
    } finally {
      clearInterval(burst);
    }
    talker.sendLine('TEXT|the last one');
    await reader.waitFor('TEXT|talker|the last one', 30_000);
  }, 40_000);

  it('WSS on --web-tls-port with the TLS certificate, and --web-tls-port without one is a usage error', async () => {
    const files = makeServerCert(makeCa());
    const srv = await startTestServer({ tlsCert: files.certFile, tlsKey: files.keyFile, tlsPort: 0, webTlsPort: 0 });
    expect(srv.webTlsPort).toBeGreaterThan(0);
    const ca = fs.readFileSync(files.caFile);
    const page = await new Promise<number>((resolve, reject) => {
      import('node:https').then(({ default: https }) => {
        https.get({ host: '127.0.0.1', port: srv.webTlsPort, path: '/', ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      }, reject);
    });
    expect(page).toBe(200);
    const secure = await WsClient.connect(srv.webTlsPort!, { ca });
    secure.send('LOGIN|alice|over-tls-pw');
    await secure.waitFor('SYSTEM|alice joined lobby');
    const result = await runBin(['--web-tls-port', '8443']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--web-tls-port needs --tls-cert/);
    expect((await runBin(['--web-origin', 'https://x.example/path'])).stderr).toMatch(/--web-origin must be an origin/);
  });
});
