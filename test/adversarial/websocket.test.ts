// Hostile clients on the web port of a real server (its own process, so
// its memory is its own): pings sent by the hundred thousand by a peer
// that reads nothing, HTTP connections held open with unfinished requests,
// 2 MiB messages from many sockets at once, and a WebSocket reader that
// stops reading in a busy room. Each time the others stay fast, and what
// they were sent reaches them whole and in order.

import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OP_PING, controlFrame, headEnd, newKey, textFrames, upgradeRefusal, upgradeRequest } from '../../src/bench/ws-wire.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { killAllChildren, removeTempDirs, spawnServer, type SpawnedServer } from '../helpers/server.js';
import { WsClient } from '../helpers/ws-client.js';

const WORST_PING_MS = 1000;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of openWs.splice(0)) c.ws.terminate();
  await closeAllClients();
  await killAllChildren();
});

afterAll(() => removeTempDirs());

const openWs: WsClient[] = [];

async function wsLoggedIn(port: number, name: string): Promise<WsClient> {
  const c = await WsClient.loggedIn(port, name);
  openWs.push(c);
  return c;
}

async function pingMs(c: LineClient, token: string): Promise<number> {
  const started = performance.now();
  c.sendLine(`PING|${token}`);
  await c.waitFor(`PONG|${token}`, 10_000);
  return performance.now() - started;
}

async function rssKib(probe: LineClient): Promise<number> {
  probe.sendLine('STATS');
  const stats = await probe.waitFor('STATS|');
  return Number(/\|rss_kib=(\d+)/.exec(stats)![1]);
}

async function webServer(args: string[] = []): Promise<SpawnedServer & { webPort: number }> {
  const srv = await spawnServer(['--web-port', '0', ...args]);
  expect(srv.webPort).toEqual(expect.any(Number));
  return srv as SpawnedServer & { webPort: number };
}

/** A WebSocket on a bare socket, upgraded: the test then writes frames and reads (or not) as it likes. */
async function rawWebSocket(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const key = newKey();
  socket.write(upgradeRequest('127.0.0.1', port, key));
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = headEnd(head);
      if (end === -1) return;
      socket.off('data', onData);
      const refusal = upgradeRefusal(head.toString('latin1', 0, end), key);
      if (refusal === undefined) resolve();
      else reject(new Error(refusal));
    };
    socket.on('data', onData);
  });
  return socket;
}

/** Resolves once the server has closed `socket` (true), or false after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('pings from a peer that reads nothing', () => {
  it('a million pings are not answered into memory: the server stays small, a reading peer still gets its pong, the room stays fast', async () => {
    const srv = await webServer();
    const probe = await LineClient.loggedIn(srv.port, 'probe');
    const reader = await wsLoggedIn(srv.webPort, 'reader');
    const attacker = await rawWebSocket(srv.webPort);
    attacker.pause();
    attacker.write(textFrames(['LOGIN|pinger']));
    await probe.waitFor('SYSTEM|pinger joined lobby');
    const before = await rssKib(probe);

    // 1,000,000 pings of 125 bytes: 131 MB of pongs if each were answered.
    const burst = Buffer.concat(Array.from({ length: 10_000 }, () => controlFrame(OP_PING, Buffer.alloc(125, 0x70))));
    let sent = 0;
    let done = false;
    const allSent = new Promise<void>((resolve) => {
      const pump = (): void => {
        while (sent < 100 && attacker.write(burst)) sent++;
        if (sent < 100) attacker.once('drain', pump);
        else resolve();
      };
      pump();
    }).then(() => (done = true));
    const pings: number[] = [];
    for (let i = 0; !done; i++) pings.push(await pingMs(probe, `p${i}`));
    await allSent;
    for (let i = 0; i < 5; i++) pings.push(await pingMs(probe, `q${i}`));
    expect(Math.max(...pings), 'the slowest PING of the bystander').toBeLessThan(WORST_PING_MS);
    const grown = (await rssKib(probe)) - before;
    expect(grown, 'KiB the server grew by').toBeLessThan(40 * 1024);

    // A peer that reads is answered as ever.
    const pong = new Promise<string>((resolve) => reader.ws.once('pong', (data) => resolve(data.toString())));
    reader.ws.ping('are you there');
    expect(await pong).toBe('are you there');
    probe.sendLine('TEXT|still here');
    await reader.waitFor('TEXT|probe|still here');
  }, 60_000);
});

describe('HTTP connections held open', () => {
  it('unfinished requests from one address hold at most --max-per-ip sockets, and only until the timeout; others load the page and chat', async () => {
    const srv = await webServer(['--max-per-ip', '5', '--limit-loopback', '--login-timeout', '2']);
    const held: net.Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const s = net.connect({ port: srv.webPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
      s.on('error', () => undefined);
      // Read (and drop) what comes, so the server's close is seen.
      s.resume();
      sockets.push(s);
      held.push(s);
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    }
    // A byte every 200 ms: the request never ends.
    const trickle = setInterval(() => {
      for (const s of held) if (!s.destroyed) s.write('a');
    }, 200);
    try {
      const open = async (): Promise<number> => {
        await new Promise((r) => setTimeout(r, 500));
        return held.filter((s) => !s.destroyed && !s.readableEnded).length;
      };
      expect(await open(), 'sockets of the attacker left open').toBeLessThanOrEqual(5);

      // Another address: the page and the chat work.
      const page = await fetch(`http://127.0.0.1:${srv.webPort}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const line = await LineClient.loggedIn(srv.port, 'line');
      const browser = await wsLoggedIn(srv.webPort, 'browser');
      browser.send('TEXT|through the gate');
      await line.waitFor('TEXT|browser|through the gate');

      // The unfinished requests are cut off at the timeout (2 s), the trickle notwithstanding.
      const cut = await Promise.all(held.map((s) => closedWithin(s, 6000)));
      expect(cut.every(Boolean), 'every held socket closed by the server').toBe(true);
    } finally {
      clearInterval(trickle);
    }
  }, 30_000);
});

describe('2 MiB messages from many sockets at once', () => {
  it('each sender is closed (1009) before its message is held whole; the server stays small and the room fast', async () => {
    const srv = await webServer();
    const probe = await LineClient.loggedIn(srv.port, 'probe');
    const before = await rssKib(probe);
    const big = textFrames([`TEXT|${'x'.repeat(2 * 1024 * 1024)}`]);
    for (let round = 0; round < 3; round++) {
      const attackers = await Promise.all(Array.from({ length: 20 }, () => rawWebSocket(srv.webPort)));
      for (const a of attackers) a.write(big);
      const pings: number[] = [];
      for (let i = 0; i < 5; i++) pings.push(await pingMs(probe, `r${round}p${i}`));
      expect(Math.max(...pings), 'the slowest PING of the bystander').toBeLessThan(WORST_PING_MS);
      const closed = await Promise.all(attackers.map((a) => closedWithin(a, 5000)));
      expect(closed.every(Boolean), 'every sender of a 2 MiB message closed').toBe(true);
    }
    expect((await rssKib(probe)) - before, 'KiB the server grew by').toBeLessThan(40 * 1024);
    const after = await LineClient.loggedIn(srv.port, 'after');
    after.sendLine('TEXT|the server is up');
    await probe.waitFor('TEXT|after|the server is up');
  }, 60_000);
});

describe('a WebSocket reader that stops reading in a busy room', () => {
  it('is dropped; a browser and a terminal user get every message, in order, and stay fast', async () => {
    // One sender without a rate limit stands in for a busy room; a small cap makes the reader's lag count soon.
    const srv = await webServer(['--rate-limit', '0', '--output-cap', '64']);
    const sender = await LineClient.loggedIn(srv.port, 'sender');
    const terminal = await LineClient.loggedIn(srv.port, 'terminal');
    const browser = await wsLoggedIn(srv.webPort, 'browser');
    const stalled = await rawWebSocket(srv.webPort);
    stalled.write(textFrames(['LOGIN|stalled']));
    await terminal.waitFor('SYSTEM|stalled joined lobby');
    stalled.pause();

    // 6 MB: more than the kernel's buffers on loopback can hide.
    const COUNT = 3000;
    // Near the longest message (2000 characters).
    const pad = 'y'.repeat(1900);
    // Paced under the rate limit, and each waited for: the room is busy, not flooded.
    for (let i = 0; i < COUNT; i++) {
      sender.sendLine(`TEXT|m${i} ${pad}`);
      await terminal.waitFor(`TEXT|sender|m${i} `);
    }
    expect(await pingMs(terminal, 'after')).toBeLessThan(WORST_PING_MS);

    const got = (lines: readonly string[]): string[] => lines.filter((l) => l.startsWith('TEXT|sender|m')).map((l) => l.split(' ')[0]!.slice('TEXT|sender|'.length));
    const expected = Array.from({ length: COUNT }, (_, i) => `m${i}`);
    await browser.waitFor(`TEXT|sender|m${COUNT - 1} `, 10_000);
    expect(got(browser.messages)).toEqual(expected);
    expect(browser.messages.filter((l) => l.startsWith('SYSTEM|stalled left lobby'))).toHaveLength(1);
    // Reading again, it finds its connection closed (a paused socket does not see that).
    stalled.resume();
    expect(await closedWithin(stalled, 5000), 'the stalled reader cut off').toBe(true);
  }, 90_000);
});
