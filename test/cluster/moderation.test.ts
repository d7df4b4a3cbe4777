// Moderation across cluster nodes on a real Redis: an operator on one node
// kicks, bans and mutes a user held by another; bans (by name and by the
// address the user came from) and mutes hold on every node; the moderation
// log is the cluster's.

import { describe, expect, it } from 'vitest';
import { CROSS_MS, startsNotice, useSharedRedis } from '../helpers/cluster.js';
import { LineClient, eventually, isReply } from '../helpers/line-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const redis = useSharedRedis();

function node(): Promise<TestServer> {
  return startTestServer({ redisUrl: redis.url, operators: ['alice'], rateLimit: 0 });
}

async function ask(c: LineClient, frame: string): Promise<string> {
  c.sendLine(frame);
  return c.waitFor(isReply, CROSS_MS);
}

async function loggedIn(srv: TestServer, name: string, password?: string, from?: string): Promise<LineClient> {
  const c = await LineClient.connect(srv.port, '127.0.0.1', undefined, from);
  expect((await c.login(name, password, CROSS_MS)).success).toMatch(/^SUCCESS\|/);
  return c;
}

async function firstLine(srv: TestServer, frame: string, from?: string): Promise<string> {
  const c = await LineClient.connect(srv.port, '127.0.0.1', undefined, from);
  c.sendLine(frame);
  const line = await c.nextLine(CROSS_MS);
  await c.close();
  return line;
}

describe('moderation across nodes', () => {
  it('an operator on node A kicks a user held by node B; the room on both nodes is told', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await loggedIn(a, 'alice', 'operator-pw');
    const bob = await loggedIn(b, 'bob');
    await alice.waitFor(startsNotice('bob joined lobby'), CROSS_MS);
    expect(await ask(alice, 'KICK|bob|off-topic')).toBe('SYSTEM|you kicked bob: off-topic');
    await bob.waitFor('SYSTEM|you were kicked by alice: off-topic', CROSS_MS);
    await bob.waitClosed(CROSS_MS);
    await alice.waitFor('SYSTEM|bob left lobby (kicked by alice: off-topic)', CROSS_MS);
  });

  it('a ban on node A disconnects the user on B and refuses the name and the address on every node', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await loggedIn(a, 'alice', 'operator-pw');
    const troll = await loggedIn(b, 'troll', undefined, '127.0.0.21');
    expect(await ask(alice, 'BAN|troll|0|spam')).toBe('SYSTEM|you banned troll until lifted: spam');
    await troll.waitFor('SYSTEM|you were banned by alice until lifted: spam', CROSS_MS);
    await troll.waitClosed(CROSS_MS);
    for (const srv of [a, b]) {
      expect(await firstLine(srv, 'LOGIN|troll', '127.0.0.22')).toBe('ERROR|BANNED|troll is banned until lifted: spam');
      // B put the address it saw into the ban; A refuses it too.
      await eventually(async () => (await firstLine(srv, 'LOGIN|sock', '127.0.0.21')).startsWith('ERROR|BANNED|your address is banned'), CROSS_MS, 'address ban');
    }
    expect(await ask(alice, 'UNBAN|troll')).toBe('SYSTEM|troll is no longer banned');
    for (const srv of [a, b]) expect(await firstLine(srv, 'LOGIN|sock', '127.0.0.21')).toMatch(/^SUCCESS\|/);
  });

  it('a mute on node A silences the user on B; UNMUTE on A lets them talk; MODLOG on B shows both', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await loggedIn(a, 'alice', 'operator-pw');
    const bob = await loggedIn(b, 'bob');
    expect(await ask(alice, 'MUTE|bob|20|shouting')).toMatch(/^SYSTEM\|you muted bob for 20 minutes \(until .*\): shouting$/);
    await bob.waitFor(/^SYSTEM\|alice muted you until .*: shouting; you can still read$/, CROSS_MS);
    expect(await ask(bob, 'TEXT|HELLO')).toMatch(/^ERROR\|MUTED\|/);
    expect(await ask(alice, 'UNMUTE|bob')).toBe('SYSTEM|bob is no longer muted');
    await bob.waitFor('SYSTEM|alice unmuted you; you can talk again', CROSS_MS);
    bob.sendLine('TEXT|hello');
    await alice.waitFor('TEXT|bob|hello', CROSS_MS);

    alice.sendLine('LOGOUT');
    await alice.waitClosed();
    const onB = await loggedIn(b, 'alice', 'operator-pw');
    onB.sendLine('MODLOG');
    const log = await onB.lines(2, CROSS_MS);
    expect(log.map((l) => l.replace(/^SYSTEM\|\S+ /, ''))).toEqual(['alice muted bob for 20 minutes: shouting', 'alice unmuted bob']);
  });
});
