// Limits: message length, rate limit and flood disconnect, connection caps,
// login timeout, slow consumers, login throttling.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeTimers } from '../helpers/fake-timers.js';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
});

afterAll(() => removeTempDirs());

const systemNaming =
  (name: string) =>
  (line: string): boolean =>
    line.startsWith('SYSTEM|') && line.includes(name);

async function pair(srv: TestServer, aName = 'alice', bName = 'bob'): Promise<{ a: LineClient; b: LineClient }> {
  const a = await LineClient.loggedIn(srv.port, aName);
  const b = await LineClient.loggedIn(srv.port, bName);
  await a.waitFor(systemNaming(bName));
  return { a, b };
}

/** Connects and checks the connection is served (PING → PONG). */
async function served(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  c.sendLine('PING|served');
  await c.expectLine('PONG|served');
  return c;
}

describe('message length', () => {
  it('relays 2000 characters and refuses 2001 with MESSAGE_TOO_LONG, counting characters, not bytes', async () => {
    const srv = await startTestServer();
    const { a, b } = await pair(srv);
    a.sendLine(`TEXT|${'a'.repeat(2000)}`);
    expect(await b.nextLine()).toBe(`TEXT|alice|${'a'.repeat(2000)}`);
    await a.nextLine();
    a.sendLine(`TEXT|${'a'.repeat(2001)}`);
    expect(await a.nextLine()).toMatch(/^ERROR\|MESSAGE_TOO_LONG\|/);
    await b.expectNoLine(200);
    // 2000 two-byte characters: 4000 bytes, within the line limit.
    a.sendLine(`TEXT|${'é'.repeat(2000)}`);
    expect(await b.nextLine()).toBe(`TEXT|alice|${'é'.repeat(2000)}`);
    await a.nextLine();
    a.sendLine(`PRIVATE|bob|${'p'.repeat(2001)}`);
    expect(await a.nextLine()).toMatch(/^ERROR\|MESSAGE_TOO_LONG\|/);
    await b.expectNoLine(200);
    a.sendLine(`PRIVATE|bob|${'p'.repeat(2000)}`);
    expect(await b.nextLine()).toBe(`PRIVATE|alice|${'p'.repeat(2000)}`);
  });

  it('honours maxMessageChars and counts an astral character once', async () => {
    const srv = await startTestServer({ maxMessageChars: 10 });
    const { a, b } = await pair(srv);
    a.sendLine(`TEXT|${'😀'.repeat(10)}`);
    expect(await b.nextLine()).toBe(`TEXT|alice|${'😀'.repeat(10)}`);
    await a.nextLine();
    a.sendLine(`TEXT|${'x'.repeat(11)}`);
    expect(await a.nextLine()).toMatch(/^ERROR\|MESSAGE_TOO_LONG\|/);
    await b.expectNoLine(200);
  });
});

describe('rate limit', () => {
  it('lets a burst of 10 through, then answers RATE_LIMITED, and refills at 5 per second', async () => {
    const srv = await startTestServer();
    const { a, b } = await pair(srv);
    a.send(Array.from({ length: 15 }, (_, i) => `TEXT|burst ${i}\n`).join(''));
    const replies = await a.lines(15);
    const echoes = replies.filter((l) => l.startsWith('TEXT|alice|burst '));
    const limited = replies.filter((l) => /^ERROR\|RATE_LIMITED\|/.test(l));
    expect(echoes.length + limited.length, replies.join('\n')).toBe(15);
    expect(echoes.length).toBeGreaterThanOrEqual(10);
    expect(echoes.length).toBeLessThanOrEqual(11);
    // The relayed ones are the first ones, in order.
    expect(echoes).toEqual(echoes.map((_, i) => `TEXT|alice|burst ${i}`));
    expect(await b.lines(echoes.length)).toEqual(echoes);
    await b.expectNoLine(200);

    await sleep(1_100);
    a.send('TEXT|later 1\nTEXT|later 2\nTEXT|later 3\n');
    expect(await b.lines(3)).toEqual(['TEXT|alice|later 1', 'TEXT|alice|later 2', 'TEXT|alice|later 3']);
  });

  it('counts PRIVATE messages too', async () => {
    const srv = await startTestServer();
    const { a, b } = await pair(srv);
    a.send(Array.from({ length: 14 }, (_, i) => `PRIVATE|bob|p${i}\n`).join(''));
    const replies = await a.lines(14);
    const sent = replies.filter((l) => l.startsWith('SENT|bob|p'));
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(11);
    expect(replies.filter((l) => /^ERROR\|RATE_LIMITED\|/.test(l)).length).toBe(14 - sent.length);
    expect((await b.lines(sent.length)).every((l) => l.startsWith('PRIVATE|alice|p'))).toBe(true);
    await b.expectNoLine(200);
  });

  it('disconnects a client that keeps flooding after being limited, and its room is told', async () => {
    const srv = await startTestServer();
    const { a, b } = await pair(srv, 'flooder', 'victim');
    const started = Date.now();
    let i = 0;
    while (!a.closed && Date.now() - started < 8_000) {
      a.sendLine(`TEXT|flood ${i++}`);
      await sleep(5);
    }
    expect(a.closed, `still connected after ${i} messages in ${Date.now() - started} ms`).toBe(true);
    expect(a.seen.some((l) => /^ERROR\|RATE_LIMITED\|/.test(l))).toBe(true);
    await b.waitFor(systemNaming('flooder'), 2_000);
  });

  it('is off with rateLimit 0', async () => {
    const srv = await startTestServer({ rateLimit: 0 });
    const { a, b } = await pair(srv);
    a.send(Array.from({ length: 200 }, (_, i) => `TEXT|n${i}\n`).join(''));
    const got = await b.lines(200, 5_000);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `TEXT|alice|n${i}`));
    const echoes = await a.lines(200, 5_000);
    expect(echoes.some((l) => l.startsWith('ERROR|'))).toBe(false);
  });
});

describe('connection caps', () => {
  it('maxConnections: the extra connection gets ERROR|SERVER_FULL at once and is closed', async () => {
    const srv = await startTestServer({ maxConnections: 2 });
    const first = await served(srv.port);
    await served(srv.port);
    const extra = await LineClient.connect(srv.port);
    expect(await extra.nextLine(1_500)).toMatch(/^ERROR\|SERVER_FULL\|/);
    await extra.waitClosed(1_500);

    // A freed place can be taken again.
    await first.close();
    await eventually(
      async () => {
        const c = await LineClient.connect(srv.port);
        c.sendLine('PING|again');
        const line = await c.nextLine(1_000).catch(() => 'none');
        await c.close();
        return line === 'PONG|again';
      },
      3_000,
      'a new connection served after one closed',
    );
  });

  it('maxPerIp applies to loopback only with limitLoopback', async () => {
    const limited = await startTestServer({ maxPerIp: 2, limitLoopback: true });
    await served(limited.port);
    await served(limited.port);
    const extra = await LineClient.connect(limited.port);
    expect(await extra.nextLine(1_500)).toMatch(/^ERROR\|SERVER_FULL\|/);
    await extra.waitClosed(1_500);

    const exempt = await startTestServer({ maxPerIp: 2 });
    for (let i = 0; i < 5; i++) await served(exempt.port);
  });
});

describe('login timeout', () => {
  it('closes a connection that does not log in in time with ERROR|TIMEOUT, and spares one that did', async () => {
    // The deadline runs on injected timers: the test moves time instead of waiting for it.
    const timers = new FakeTimers(Date.now());
    const srv = await startTestServer({ loginTimeoutMs: 500 }, { timers });
    const idle = await LineClient.connect(srv.port);
    const pinger = await LineClient.connect(srv.port);
    const user = await LineClient.loggedIn(srv.port, 'prompt');

    timers.advance(499);
    pinger.sendLine('PING|keep');
    expect(await pinger.nextLine()).toBe('PONG|keep');
    idle.sendLine('PING|idle');
    expect(await idle.nextLine()).toBe('PONG|idle');

    timers.advance(1);
    expect(await idle.nextLine(3_000)).toBe('ERROR|TIMEOUT|no login within 0.5 s; closing');
    await idle.waitClosed(1_000);
    // PING is not a login.
    expect(await pinger.waitFor(/^ERROR\|TIMEOUT\|/, 3_000)).toMatch(/^ERROR\|TIMEOUT\|/);
    await pinger.waitClosed(1_000);

    timers.advance(10_000);
    user.sendLine('PING|still');
    expect(await user.nextLine()).toBe('PONG|still');
  });
});

describe('slow consumer', () => {
  it('drops a client that stops reading once its unsent output passes outputCapBytes; the sender is not held up', async () => {
    const srv = await startTestServer({ rateLimit: 0, outputCapBytes: 64 * 1024 });
    const reader = await LineClient.loggedIn(srv.port, 'reader');
    const sender = await LineClient.loggedIn(srv.port, 'sender');
    const watcher = await LineClient.loggedIn(srv.port, 'watcher');
    await reader.waitFor(systemNaming('watcher'));
    await sender.waitFor(systemNaming('watcher'));
    reader.pause();
    const rssBefore = process.memoryUsage().rss;

    // Batches of 16 messages (~31 KB): the sender's own echoes of one batch
    // stay well under the cap, so only the non-reader can pass it.
    const body = 'x'.repeat(1_900);
    const batch = 16;
    let maxLatency = 0;
    let left = false;
    let sentMessages = 0;
    for (let round = 0; round < 1_500 && !left; round++) {
      const t0 = Date.now();
      const frames: string[] = [];
      for (let i = 0; i < batch; i++) frames.push(`TEXT|${round}-${i} ${body}\n`);
      sender.send(frames.join(''));
      sentMessages += batch;
      await sender.waitFor(`TEXT|sender|${round}-${batch - 1} `, 5_000);
      sender.drain();
      maxLatency = Math.max(maxLatency, Date.now() - t0);
      left = watcher.drain().some(systemNaming('reader'));
    }
    if (!left) left = (await watcher.linesUntilQuiet(500, 3_000)).some(systemNaming('reader'));
    expect(left, `no leave notice for the non-reader after ${sentMessages} messages of ~1.9 kB`).toBe(true);
    expect(maxLatency, 'slowest batch of echoes, ms').toBeLessThan(2_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);

    // The server has let it go: once it reads again it finds the end.
    reader.resume();
    await reader.waitClosed(10_000);

    // The others are still served.
    sender.sendLine('TEXT|after');
    expect(await watcher.waitFor('TEXT|sender|after')).toBe('TEXT|sender|after');
  }, 60_000);
});

describe('login throttling', () => {
  it('answers RATE_LIMITED after loginFailures wrong passwords for a name, even with the right one', async () => {
    const srv = await startTestServer();
    const owner = await LineClient.connect(srv.port);
    await owner.login('vault', 'right-pass');
    owner.sendLine('LOGOUT');
    await owner.waitClosed();

    const c = await LineClient.connect(srv.port);
    for (let i = 0; i < 3; i++) {
      c.sendLine(`LOGIN|vault|wrong${i}`);
      expect(await c.nextLine(), `attempt ${i + 1}`).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    }
    c.sendLine('LOGIN|vault|wrong3');
    expect(await c.nextLine()).toMatch(/^ERROR\|RATE_LIMITED\|/);
    c.sendLine('LOGIN|vault|right-pass');
    expect(await c.nextLine()).toMatch(/^ERROR\|RATE_LIMITED\|/);

    const other = await LineClient.connect(srv.port);
    other.sendLine('LOGIN|vault|right-pass');
    expect(await other.nextLine()).toMatch(/^ERROR\|RATE_LIMITED\|/);
  });

  it('honours loginFailures', async () => {
    const srv = await startTestServer({ loginFailures: 1 });
    const owner = await LineClient.connect(srv.port);
    await owner.login('safe', 'right-pass');
    owner.sendLine('LOGOUT');
    await owner.waitClosed();
    const c = await LineClient.connect(srv.port);
    c.sendLine('LOGIN|safe|wrong');
    expect(await c.nextLine()).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    c.sendLine('LOGIN|safe|right-pass');
    expect(await c.nextLine()).toMatch(/^ERROR\|RATE_LIMITED\|/);
  });
});
