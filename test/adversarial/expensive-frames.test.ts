// One connection asking for expensive answers (USERS of a big room, ROOMS
// of many rooms) or hopping between rooms must not slow anyone else: the
// cost counts against its own budget.
//
// Unfixed, each of these answers took the event loop for tens of
// milliseconds (a sort per request): 200 of them held every other client's
// PING for seconds. The bound below leaves room for a loaded CI machine.

import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

const bots: net.Socket[] = [];

const WORST_PING_MS = 1000;

afterEach(async () => {
  for (const b of bots.splice(0)) b.destroy();
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

/** `count` logged-in sessions that read and discard everything (cheap for the test process). */
async function addBots(port: number, count: number, prefix: string, room?: (i: number) => string): Promise<void> {
  for (let start = 0; start < count; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, k) => {
        const i = start + k;
        return new Promise<void>((resolve, reject) => {
          const socket = net.connect({ port, host: '127.0.0.1' }, () => {
            socket.write(`LOGIN|${prefix}${i}\n${room ? `JOIN|${room(i)}\n` : ''}`);
            resolve();
          });
          socket.on('error', reject);
          socket.resume();
          bots.push(socket);
        });
      }),
    );
  }
}

async function waitForUsers(probe: LineClient, users: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    probe.sendLine('STATS');
    const stats = await probe.waitFor('STATS|');
    if (Number(/\|users=(\d+)/.exec(stats)?.[1]) >= users) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${users} users logged in`);
}

/** The next `count` answers (USERS, ROOMS or ERROR lines), skipping notices. */
async function answersTo(client: LineClient, count: number): Promise<string[]> {
  const answers: string[] = [];
  while (answers.length < count) {
    const line = await client.nextLine(20_000);
    if (!line.startsWith('SYSTEM|')) answers.push(line);
  }
  return answers;
}

/** PING round trips of `observer` every 10 ms while `during` runs; the worst one, in ms. */
async function worstPing(observer: LineClient, during: Promise<unknown>): Promise<number> {
  let done = false;
  void during.finally(() => (done = true));
  let worst = 0;
  for (let i = 0; !done || i < 5; i++) {
    const started = performance.now();
    observer.sendLine(`PING|${i}`);
    await observer.waitFor(`PONG|${i}`, 15_000);
    worst = Math.max(worst, performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  return worst;
}

describe('expensive answers cost their asker', () => {
  it('USERS of a room of 1,000, asked 200 times at once: others keep a fast PING', async () => {
    const srv = await startTestServer({ maxConnections: 5000 });
    const observer = await LineClient.loggedIn(srv.port, 'observer');
    observer.sendLine('JOIN|quiet');
    await observer.waitFor('SYSTEM|observer joined quiet');
    await addBots(srv.port, 1000, 'bot');
    await waitForUsers(observer, 1001);

    const asker = await LineClient.loggedIn(srv.port, 'asker');
    asker.socket.write('USERS\n'.repeat(200));
    const answered = answersTo(asker, 200);
    const worst = await worstPing(observer, answered);
    const answers = await answered;
    expect(worst, `worst PING round trip ${worst.toFixed(1)} ms`).toBeLessThan(WORST_PING_MS);
    const full = answers.filter((l) => l.startsWith('USERS|1001|')).length;
    // Its budget paid for some; the rest were refused, and nobody else waited.
    expect(full).toBeGreaterThan(0);
    expect(full).toBeLessThan(100);
    expect(answers.filter((l) => l.startsWith('ERROR|RATE_LIMITED|')).length).toBe(200 - full);
  }, 60_000);

  it('ROOMS with 1,500 rooms, asked 200 times at once: others keep a fast PING', async () => {
    const srv = await startTestServer({ maxConnections: 5000 });
    const observer = await LineClient.loggedIn(srv.port, 'observer');
    await addBots(srv.port, 1500, 'roomer', (i) => `room${i}`);
    await waitForUsers(observer, 1501);

    const asker = await LineClient.loggedIn(srv.port, 'asker');
    asker.socket.write('ROOMS\n'.repeat(200));
    const answered = answersTo(asker, 200);
    const worst = await worstPing(observer, answered);
    const answers = await answered;
    expect(worst, `worst PING round trip ${worst.toFixed(1)} ms`).toBeLessThan(WORST_PING_MS);
    expect(answers.filter((l) => l.startsWith('ROOMS|')).length).toBeGreaterThan(0);
    expect(answers.filter((l) => l.startsWith('ROOMS|')).length).toBeLessThan(100);
  }, 60_000);
});

describe('room hopping costs what messages do', () => {
  it('45 JOINs a second: refused past the message rate, so the rooms get few notices', async () => {
    const srv = await startTestServer();
    const lobbyWatcher = await LineClient.loggedIn(srv.port, 'lobbywatch');
    const hopper = await LineClient.loggedIn(srv.port, 'hopper');
    await lobbyWatcher.waitFor('SYSTEM|hopper joined lobby');
    const frames: string[] = [];
    for (let i = 0; i < 45; i++) frames.push(i % 2 === 0 ? 'JOIN|elsewhere' : 'JOIN|lobby');
    const started = performance.now();
    hopper.socket.write(`${frames.join('\n')}\nPING|done\n`);
    const answers = await hopper.collectUntil('PONG|done', 10_000);
    const seconds = (performance.now() - started) / 1000;
    const refused = answers.filter((l) => l.startsWith('ERROR|RATE_LIMITED|')).length;
    const moves = answers.filter((l) => l.startsWith('SYSTEM|hopper joined')).length;
    // A burst of 10 room changes, then 5 a second: the rest are refused.
    const allowed = 10 + Math.ceil(5 * seconds) + 1;
    expect(moves, `${moves} moves, ${refused} refused in ${seconds.toFixed(2)} s`).toBeLessThanOrEqual(allowed);
    expect(refused).toBeGreaterThan(0);
    lobbyWatcher.sendLine('PING|w');
    const seen = await lobbyWatcher.collectUntil('PONG|w');
    expect(seen.filter((l) => l.includes('hopper')).length).toBeLessThanOrEqual(allowed);
  });
});
