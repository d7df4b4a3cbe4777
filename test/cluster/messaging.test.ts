// Cluster mode, in-process: two or three server nodes (startServer with
// redisUrl) against one Redis. Clients on different nodes must chat as if on
// one server: room messages and their join/leave notices, private messages,
// USERS and ROOMS, STATS; and a node stopped cleanly leaves the others'
// users with nothing but the leave notices.

import { describe, expect, it } from 'vitest';
import { CROSS_MS, notice, startsNotice, useSharedRedis } from '../helpers/cluster.js';
import { LineClient, eventually, parseRooms, parseUsers } from '../helpers/line-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const redis = useSharedRedis();

/** Cross-node traffic goes through Redis: allow it a little longer than local lines. */

function node(): Promise<TestServer> {
  return startTestServer({ redisUrl: redis.url });
}

async function nodes(n: number): Promise<TestServer[]> {
  const list: TestServer[] = [];
  for (let i = 0; i < n; i++) list.push(await node());
  return list;
}


/** Sends a frame and returns the reply line matching `prefix`, skipping live traffic before it. */
async function ask(client: LineClient, frame: string, prefix: string | RegExp): Promise<string> {
  client.sendLine(frame);
  return client.waitFor(prefix, CROSS_MS);
}

function parseStats(line: string): Map<string, number> {
  expect(line).toMatch(/^STATS\|/);
  const stats = new Map<string, number>();
  for (const field of line.slice('STATS|'.length).split('|')) {
    const [key, value] = field.split('=');
    stats.set(key!, Number(value));
  }
  return stats;
}

describe('room messages across nodes', () => {
  it('TEXT on node A reaches a member on node B (and back); join and leave notices cross too', async () => {
    const [a, b] = await nodes(2);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const bob = await LineClient.loggedIn(b!.port, 'bob');
    // bob's join notice, made on B, reaches alice on A.
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);

    alice.sendLine('TEXT|hello from A | with a bar');
    await alice.expectLine('TEXT|alice|hello from A | with a bar', CROSS_MS);
    await bob.expectLine('TEXT|alice|hello from A | with a bar', CROSS_MS);
    bob.sendLine('TEXT|hi from B ünïcödé 小明');
    await bob.expectLine('TEXT|bob|hi from B ünïcödé 小明', CROSS_MS);
    await alice.expectLine('TEXT|bob|hi from B ünïcödé 小明', CROSS_MS);

    // JOIN elsewhere: the room left behind, on the other node, is told.
    bob.sendLine('JOIN|den');
    await bob.waitFor(notice('bob joined den'), CROSS_MS);
    await alice.expectLine('SYSTEM|bob left lobby', CROSS_MS);

    // A closed connection on A: its room on B is told, with the reason.
    const carol = await LineClient.loggedIn(a!.port, 'carol');
    carol.sendLine('JOIN|den');
    await bob.waitFor(notice('carol joined den'), CROSS_MS);
    await carol.close();
    await bob.expectLine('SYSTEM|carol left den (connection closed)', CROSS_MS);

    // LOGOUT on B: lobby on A is told once bob is back there.
    bob.sendLine('JOIN|lobby');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    bob.sendLine('LOGOUT');
    await bob.waitFor('SYSTEM|goodbye, bob');
    await alice.expectLine('SYSTEM|bob left lobby', CROSS_MS);
  });

  it('room traffic reaches only that room on the other node', async () => {
    const [a, b] = await nodes(2);
    const carol = await LineClient.loggedIn(a!.port, 'carol');
    carol.sendLine('JOIN|den');
    await carol.waitFor(notice('carol joined den'));
    const bob = await LineClient.loggedIn(b!.port, 'bob');
    const dave = await LineClient.loggedIn(b!.port, 'dave');
    bob.sendLine('JOIN|den');
    await carol.waitFor(notice('bob joined den'), CROSS_MS);

    carol.sendLine('TEXT|den only');
    await bob.waitFor('TEXT|carol|den only', CROSS_MS);
    // dave (lobby, on bob's node) answers PING after the den line was handed out there.
    dave.sendLine('PING|after');
    const daves = await dave.collectUntil('PONG|after');
    expect(daves.filter((l) => l.startsWith('TEXT|'))).toEqual([]);
  });

  it('three nodes: one TEXT reaches a member on each of the others once', async () => {
    const [a, b, c] = await nodes(3);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const bob = await LineClient.loggedIn(b!.port, 'bob');
    const carol = await LineClient.loggedIn(c!.port, 'carol');
    await alice.waitFor(notice('carol joined lobby'), CROSS_MS);
    await bob.waitFor(notice('carol joined lobby'), CROSS_MS);
    alice.sendLine('TEXT|to all three');
    for (const client of [alice, bob, carol]) await client.waitFor('TEXT|alice|to all three', CROSS_MS);
    // Exactly once each.
    for (const client of [alice, bob, carol]) {
      client.sendLine('PING|x');
      const rest = await client.collectUntil('PONG|x', CROSS_MS);
      expect(rest.filter((l) => l.startsWith('TEXT|'))).toEqual([]);
    }
  });
});

describe('private messages across nodes', () => {
  it('PRIVATE to a user on the other node: PRIVATE to them, SENT to the sender, nobody else', async () => {
    const [a, b] = await nodes(2);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const carol = await LineClient.loggedIn(a!.port, 'carol');
    const bob = await LineClient.loggedIn(b!.port, 'Bob');
    await alice.waitFor(notice('Bob joined lobby'), CROSS_MS);

    alice.sendLine('PRIVATE|bob|psst | between us');
    await alice.waitFor('SENT|Bob|psst | between us', CROSS_MS);
    await bob.waitFor('PRIVATE|alice|psst | between us', CROSS_MS);
    bob.sendLine('PRIVATE|ALICE|back at you');
    await bob.waitFor('SENT|alice|back at you', CROSS_MS);
    await alice.waitFor('PRIVATE|Bob|back at you', CROSS_MS);

    carol.sendLine('PING|c');
    const carols = await carol.collectUntil('PONG|c');
    expect(carols.filter((l) => l.startsWith('PRIVATE|') || l.startsWith('SENT|'))).toEqual([]);
  });

  it('PRIVATE to nobody online anywhere is NO_SUCH_USER, also once the user on the other node has gone', async () => {
    const [a, b] = await nodes(2);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const bob = await LineClient.loggedIn(b!.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    expect(await ask(alice, 'PRIVATE|nobody|hello?', /^(ERROR|SENT)\|/)).toMatch(/^ERROR\|NO_SUCH_USER\|/);
    await bob.close();
    await alice.waitFor(startsNotice('bob left lobby'), CROSS_MS);
    expect(await ask(alice, 'PRIVATE|bob|still there?', /^(ERROR|SENT)\|/)).toMatch(/^ERROR\|NO_SUCH_USER\|/);
  });
});

describe('USERS and ROOMS across nodes', () => {
  it('USERS lists the room’s users of every node, ROOMS the rooms of every node with cluster-wide counts', async () => {
    const [a, b] = await nodes(2);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const bob = await LineClient.loggedIn(b!.port, 'Bob');
    const carol = await LineClient.loggedIn(a!.port, 'carol');
    const dave = await LineClient.loggedIn(b!.port, 'dave');
    dave.sendLine('JOIN|Den');
    await dave.waitFor(notice('dave joined Den'));
    const erin = await LineClient.loggedIn(a!.port, 'erin');
    erin.sendLine('JOIN|den');
    // (How the room is spelled in that notice is the next test's business.)
    await dave.waitFor((l) => l.toLowerCase() === 'system|erin joined den', CROSS_MS);
    await alice.waitFor(startsNotice('erin left lobby'), CROSS_MS);

    for (const client of [alice, bob, carol]) {
      expect(await ask(client, 'USERS', 'USERS|')).toBe('USERS|3|alice,Bob,carol');
    }
    for (const client of [dave, erin]) {
      expect(await ask(client, 'USERS', 'USERS|')).toBe('USERS|2|dave,erin');
    }
    for (const client of [alice, bob, carol, dave, erin]) {
      expect(await ask(client, 'ROOMS', 'ROOMS|')).toBe('ROOMS|Den:2,lobby:3');
    }

    // Leaving is reflected everywhere: the last member of Den on B goes, Den stays (erin on A).
    await dave.close();
    await erin.waitFor(startsNotice('dave left Den'), CROSS_MS);
    expect(await ask(alice, 'ROOMS', 'ROOMS|')).toBe('ROOMS|Den:1,lobby:3');
    expect(await ask(erin, 'USERS', 'USERS|')).toBe('USERS|1|erin');
    await bob.close();
    await alice.waitFor(startsNotice('Bob left lobby'), CROSS_MS);
    expect(parseUsers(await ask(carol, 'USERS', 'USERS|'))).toEqual({ count: 2, names: ['alice', 'carol'] });
    erin.sendLine('LOGOUT');
    await erin.waitClosed(CROSS_MS);
    await eventually(async () => parseRooms(await ask(alice, 'ROOMS', 'ROOMS|')).size === 1, CROSS_MS, 'Den gone from ROOMS');
    expect(await ask(alice, 'ROOMS', 'ROOMS|')).toBe('ROOMS|lobby:2');
  });
});

describe('room spelling across nodes', () => {
  it('a room is shown as whoever opened it spelled it, on every node', async () => {
    const [a, b] = await nodes(2);
    const dave = await LineClient.loggedIn(b!.port, 'dave');
    dave.sendLine('JOIN|Den');
    await dave.waitFor(notice('dave joined Den'));
    // erin opens no room: Den exists (on B), so A must show it as Den too.
    const erin = await LineClient.loggedIn(a!.port, 'erin');
    erin.sendLine('JOIN|DEN');
    const own = await erin.waitFor(startsNotice('erin joined'), CROSS_MS);
    const theirs = await dave.waitFor(startsNotice('erin joined'), CROSS_MS);
    expect({ own, theirs }).toEqual({ own: 'SYSTEM|erin joined Den', theirs: 'SYSTEM|erin joined Den' });
    expect(await ask(erin, 'ROOMS', 'ROOMS|')).toBe('ROOMS|Den:2');
  });
});

describe('STATS in cluster mode', () => {
  it('reports the local node and the whole cluster: cluster_nodes=2 and cluster-wide counts', async () => {
    const [a, b] = await nodes(2);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const carol = await LineClient.loggedIn(a!.port, 'carol');
    const idle = await LineClient.connect(a!.port); // connected, not logged in
    const bob = await LineClient.loggedIn(b!.port, 'bob');
    carol.sendLine('JOIN|den');
    await carol.waitFor(notice('carol joined den'));
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    alice.sendLine('TEXT|one');
    alice.sendLine('TEXT|two');
    await bob.waitFor('TEXT|alice|two', CROSS_MS);
    bob.sendLine('PRIVATE|carol|three');
    await carol.waitFor('PRIVATE|bob|three', CROSS_MS);

    // Node figures travel with the heartbeat (every second): poll until they are in.
    let stats = new Map<string, number>();
    await eventually(
      async () => {
        stats = parseStats(await ask(alice, 'STATS', 'STATS|'));
        return stats.get('cluster_connections') === 4 && stats.get('cluster_messages') === 3;
      },
      5_000,
      'cluster-wide STATS',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last STATS from alice: ${JSON.stringify(Object.fromEntries(stats))}`);
    });
    expect(stats.get('cluster_nodes')).toBe(2);
    expect(stats.get('cluster_users')).toBe(3);
    expect(stats.get('cluster_rooms')).toBe(2);
    // The local node's own figures stay local.
    expect(stats.get('connections')).toBe(3);
    expect(stats.get('users')).toBe(2);
    expect(stats.get('messages')).toBe(2);
    expect(stats.get('rooms')).toBe(2);

    const fromB = parseStats(await ask(bob, 'STATS', 'STATS|'));
    expect(fromB.get('cluster_nodes')).toBe(2);
    expect(fromB.get('cluster_users')).toBe(3);
    expect(fromB.get('connections')).toBe(1);
    expect(fromB.get('users')).toBe(1);
    expect(fromB.get('messages')).toBe(1);
    await idle.close();
  });
});

describe('a node stopped cleanly', () => {
  it('users on the other node get its users’ leave notices, not its shutdown notice, and carry on', async () => {
    const [a, b] = await nodes(2);
    const alice = await LineClient.loggedIn(a!.port, 'alice');
    const bob = await LineClient.loggedIn(b!.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);

    await a!.close();
    await alice.waitFor(notice('the server is shutting down; goodbye'), CROSS_MS);
    await bob.waitFor(startsNotice('alice left lobby'), CROSS_MS);
    bob.sendLine('PING|still here');
    await bob.waitFor('PONG|still here', CROSS_MS);
    expect(bob.closed).toBe(false);
    expect(await ask(bob, 'USERS', 'USERS|')).toBe('USERS|1|bob');
    expect(parseStats(await ask(bob, 'STATS', 'STATS|')).get('cluster_nodes')).toBe(1);

    // The node comes back: the name is free again and the two chat as before.
    const a2 = await node();
    const alice2 = await LineClient.loggedIn(a2.port, 'alice');
    await bob.waitFor(notice('alice joined lobby'), CROSS_MS);
    alice2.sendLine('TEXT|back');
    await bob.waitFor('TEXT|alice|back', CROSS_MS);

    // All along, bob's node was not shutting down: its users must not have been told so.
    const all = [...bob.seen];
    expect(all.filter((l) => l.includes('the server is shutting down')), `bob saw: ${JSON.stringify(all)}`).toEqual([]);
  });
});
