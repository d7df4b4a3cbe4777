// Cluster mode through a Redis outage, on a redis-server of this file's own
// (AOF on, fsync always) that the tests stop, kill and restart. While Redis is
// down a node keeps its sessions and answers what needs Redis with
// ERROR|UNAVAILABLE (never silence); when Redis is back the same sessions chat
// across nodes again and the nodes re-register their users.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients, parseHistory } from '../helpers/line-client.js';
import { startRedis, type RedisInstance } from '../helpers/redis.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

let own: RedisInstance;

beforeEach(async () => {
  own = await startRedis();
});

afterEach(async () => {
  await closeAllClients();
  // A node closes quickly only with Redis up; bring it back if a test left it down.
  if (own.pid === undefined) await own.restart();
  // Bounded: a node whose close() hangs (see the last test) must not hang the file.
  await Promise.race([closeAllServers(), sleep(8_000)]);
  await own.destroy();
  removeTempDirs();
});

const CROSS_MS = 3_000;
/** Reconnecting backs off up to 3 s; re-registration follows on the next heartbeat. */
const RECOVERY_MS = 12_000;

function node(): Promise<TestServer> {
  return startTestServer({ redisUrl: own.url, rateLimit: 0 });
}

const notice = (text: string) => (line: string) => line === `SYSTEM|${text}`;

/** Sends `frame` and returns its reply: the next line that is an ERROR or starts with `ok`. */
async function reply(client: LineClient, frame: string, ok: string): Promise<string> {
  client.sendLine(frame);
  return client.waitFor((l) => l.startsWith(ok) || l.startsWith('ERROR|'), CROSS_MS);
}

/** Repeats `frame` until it is answered with `ok` rather than ERROR|UNAVAILABLE. */
async function untilAvailable(client: LineClient, frame: string, ok: string): Promise<string> {
  const deadline = Date.now() + RECOVERY_MS;
  for (;;) {
    const line = await reply(client, frame, ok);
    if (line.startsWith(ok)) return line;
    expect(line, `reply to ${frame} while Redis comes back`).toMatch(/^ERROR\|UNAVAILABLE\|/);
    if (Date.now() > deadline) throw new Error(`${frame} still answered ${JSON.stringify(line)} ${RECOVERY_MS} ms after Redis was restarted`);
    await sleep(200);
  }
}

async function twoNodesChatting(): Promise<{ a: TestServer; b: TestServer; alice: LineClient; bob: LineClient }> {
  const a = await node();
  const b = await node();
  const alice = await LineClient.loggedIn(a.port, 'alice');
  const bob = await LineClient.loggedIn(b.port, 'bob');
  await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
  alice.sendLine('TEXT|before the outage');
  for (const c of [alice, bob]) await c.waitFor('TEXT|alice|before the outage', CROSS_MS);
  return { a, b, alice, bob };
}

/** The two chat across nodes again, both ways. */
async function chatAgain(alice: LineClient, bob: LineClient, tag: string): Promise<void> {
  alice.sendLine(`TEXT|${tag} from alice`);
  await bob.waitFor(`TEXT|alice|${tag} from alice`, CROSS_MS);
  bob.sendLine(`TEXT|${tag} from bob`);
  await alice.waitFor(`TEXT|bob|${tag} from bob`, CROSS_MS);
}

describe('a Redis restart during a conversation', () => {
  it('while Redis is down: TEXT, PRIVATE, USERS, JOIN and LOGIN get ERROR|UNAVAILABLE, PING gets PONG; afterwards the same sessions chat again', async () => {
    const { alice, bob } = await twoNodesChatting();
    const a2 = await LineClient.connect((await node()).port);

    await own.stop();
    await sleep(300);
    for (const [client, frame] of [
      [alice, 'TEXT|into the void'],
      [bob, 'TEXT|into the void too'],
      [alice, 'PRIVATE|bob|hello?'],
      [bob, 'USERS'],
      [alice, 'JOIN|elsewhere'],
      [a2, 'LOGIN|carol'],
    ] as const) {
      client.sendLine(frame);
      expect(await client.nextLine(CROSS_MS), `reply to ${frame} while Redis is down`).toMatch(/^ERROR\|UNAVAILABLE\|/);
    }
    for (const client of [alice, bob, a2]) {
      client.sendLine('PING|alive');
      expect(await client.nextLine(CROSS_MS)).toBe('PONG|alive');
      expect(client.closed).toBe(false);
    }

    await own.restart();
    await untilAvailable(alice, 'USERS', 'USERS|');
    await untilAvailable(bob, 'USERS', 'USERS|');
    await chatAgain(alice, bob, 'after the restart');
    expect(await reply(alice, 'USERS', 'USERS|')).toBe('USERS|2|alice,bob');
    expect(await reply(bob, 'USERS', 'USERS|')).toBe('USERS|2|alice,bob');
    // The refused LOGIN can be sent again on the same connection (its node may be back a little later).
    await untilAvailable(a2, 'LOGIN|carol', 'SUCCESS|');
    await bob.waitFor(notice('carol joined lobby'), CROSS_MS);
    // Nothing refused was stored or relayed.
    bob.sendLine('HISTORY');
    bob.sendLine('PING|h');
    const lines = await bob.collectUntil('PONG|h', CROSS_MS);
    expect(lines.filter((l) => l.startsWith('HISTORY|')).map((l) => parseHistory(l).message)).toEqual([
      'before the outage',
      'after the restart from alice',
      'after the restart from bob',
    ]);
    expect([...alice.seen, ...bob.seen].filter((l) => l.includes('void'))).toEqual([]);
  }, 40_000);

  it('a longer outage (past the heartbeat TTL): no node takes another for dead; nobody is told a connected user left', async () => {
    // Three nodes, one user each: whichever node is back first must not reap the others.
    const { alice, bob } = await twoNodesChatting();
    const carol = await LineClient.loggedIn((await node()).port, 'carol');
    await alice.waitFor(notice('carol joined lobby'), CROSS_MS);
    await bob.waitFor(notice('carol joined lobby'), CROSS_MS);
    const everyone = [alice, bob, carol];
    await own.stop();
    // Longer than a node's 3 s heartbeat TTL: every heartbeat key has expired when Redis is back.
    await sleep(4_500);
    alice.sendLine('TEXT|still down?');
    expect(await alice.nextLine(CROSS_MS)).toMatch(/^ERROR\|UNAVAILABLE\|/);
    await own.restart();
    for (const c of everyone) await untilAvailable(c, 'USERS', 'USERS|');
    // Give the heartbeats and any reaping a few rounds.
    await sleep(4_000);
    const users: string[] = [];
    for (const c of everyone) users.push(await reply(c, 'USERS', 'USERS|'));
    // Nobody left: no leave notices, and everyone is still listed (re-registered), on every node.
    expect({
      leaveNotices: everyone.flatMap((c) => c.seen.filter((l) => / left lobby/.test(l))),
      users,
    }).toEqual({ leaveNotices: [], users: ['USERS|3|alice,bob,carol', 'USERS|3|alice,bob,carol', 'USERS|3|alice,bob,carol'] });
    await chatAgain(alice, bob, 'after the long outage');
    await carol.waitFor('TEXT|bob|after the long outage from bob', CROSS_MS);
    // Their names are still theirs across the cluster.
    const impostor = await LineClient.connect((await node()).port);
    for (const name of ['alice', 'bob', 'carol']) {
      expect(await reply(impostor, `LOGIN|${name}`, 'SUCCESS|'), `LOGIN|${name} on a fresh node`).toMatch(/^ERROR\|NAME_TAKEN\|/);
    }
  }, 60_000);

  it('Redis comes back empty: the nodes re-register their users (USERS, ROOMS, names) and chat goes on', async () => {
    const { alice, bob } = await twoNodesChatting();
    bob.sendLine('JOIN|den');
    await alice.waitFor(notice('bob left lobby'), CROSS_MS);
    const carol = await LineClient.loggedIn((await node()).port, 'carol');
    carol.sendLine('JOIN|den');
    await bob.waitFor(notice('carol joined den'), CROSS_MS);

    await own.kill();
    for (const file of fs.readdirSync(own.dir)) fs.rmSync(path.join(own.dir, file), { recursive: true, force: true });
    await sleep(1_500);
    await own.restart();

    await untilAvailable(alice, 'USERS', 'USERS|');
    await untilAvailable(bob, 'USERS', 'USERS|');
    await untilAvailable(carol, 'USERS', 'USERS|');
    const deadline = Date.now() + RECOVERY_MS;
    let rooms = '';
    while (Date.now() < deadline) {
      rooms = await reply(alice, 'ROOMS', 'ROOMS|');
      if (rooms === 'ROOMS|den:2,lobby:1') break;
      await sleep(200);
    }
    expect(rooms).toBe('ROOMS|den:2,lobby:1');
    expect(await reply(bob, 'USERS', 'USERS|')).toBe('USERS|2|bob,carol');
    expect(await reply(alice, 'USERS', 'USERS|')).toBe('USERS|1|alice');
    const impostor = await LineClient.connect((await node()).port);
    expect(await reply(impostor, 'LOGIN|carol', 'SUCCESS|')).toMatch(/^ERROR\|NAME_TAKEN\|/);
    bob.sendLine('TEXT|den is back');
    await carol.waitFor('TEXT|bob|den is back', CROSS_MS);
    alice.sendLine('PRIVATE|carol|found you');
    await carol.waitFor('PRIVATE|alice|found you', CROSS_MS);
  }, 40_000);

  it('a user who leaves during the outage is gone from USERS once Redis is back', async () => {
    const { alice, bob } = await twoNodesChatting();
    const dave = await LineClient.loggedIn(alice.socket.remotePort!, 'dave');
    await bob.waitFor(notice('dave joined lobby'), CROSS_MS);
    await own.stop();
    await sleep(1_500);
    await dave.close();
    await own.restart();
    await untilAvailable(bob, 'USERS', 'USERS|');
    const deadline = Date.now() + RECOVERY_MS;
    let users = '';
    while (Date.now() < deadline) {
      users = await reply(bob, 'USERS', 'USERS|');
      if (users === 'USERS|2|alice,bob') break;
      await sleep(200);
    }
    expect(users, `alice saw ${JSON.stringify(alice.seen)}`).toBe('USERS|2|alice,bob');
    const again = await LineClient.connect(alice.socket.remotePort!);
    expect(await reply(again, 'LOGIN|dave', 'SUCCESS|')).toMatch(/^SUCCESS\|/);
  }, 40_000);

  it('a node closes promptly while Redis is down, telling its users', async () => {
    const { a, alice } = await twoNodesChatting();
    await own.stop();
    await sleep(300);
    const closed = a.close().then(() => 'closed' as const);
    await alice.waitFor(notice('the server is shutting down; goodbye'), CROSS_MS);
    await alice.waitClosed(CROSS_MS);
    const outcome = await Promise.race([closed, sleep(5_000).then(() => 'still closing after 5 s' as const)]);
    expect(outcome, 'close() of a node while Redis is down').toBe('closed');
  }, 20_000);
});
