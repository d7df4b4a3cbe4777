// Cluster mode with the built bin (run `npm run build` first): a node killed
// with SIGKILL has its users cleaned up by the others within seconds, with a
// leave notice to their rooms; a node started with CHAT_REDIS_URL joins the
// cluster like one started with --redis.

import { describe, expect, it } from 'vitest';
import { CROSS_MS, notice, startsNotice, useSharedRedis } from '../helpers/cluster.js';
import { LineClient } from '../helpers/line-client.js';
import { spawnServer, startTestServer } from '../helpers/server.js';

const redis = useSharedRedis();

/** The issue: "the others clean up its users' presence within a few seconds". */
const REAP_MS = 6_000;


async function reply(client: LineClient, frame: string, prefix: string): Promise<string> {
  client.sendLine(frame);
  return client.waitFor(prefix, CROSS_MS);
}

describe('SIGKILL of one node', () => {
  it('users on the other node get “<name> left <room>…” within ~6 s; USERS, ROOMS and STATS drop the dead node; its names are free', async () => {
    const a = await spawnServer(['--redis', redis.url]);
    const b = await spawnServer(['--redis', redis.url]);
    const alice = await LineClient.loggedIn(a.port, 'alice');
    const carol = await LineClient.loggedIn(a.port, 'carol');
    carol.sendLine('JOIN|den');
    await carol.waitFor(notice('carol joined den'));
    const bob = await LineClient.loggedIn(b.port, 'bob');
    const dave = await LineClient.loggedIn(b.port, 'dave');
    dave.sendLine('JOIN|den');
    await carol.waitFor(notice('dave joined den'), CROSS_MS);
    await alice.waitFor(notice('dave left lobby'), CROSS_MS);
    expect(await reply(bob, 'USERS', 'USERS|')).toBe('USERS|2|alice,bob');

    const killedAt = Date.now();
    a.kill('SIGKILL');
    await a.waitExit(5_000);
    const left = await bob.waitFor(startsNotice('alice left lobby'), REAP_MS);
    const denLeft = await dave.waitFor(startsNotice('carol left den'), REAP_MS);
    const took = Date.now() - killedAt;
    expect(took, `leave notices after ${took} ms`).toBeLessThan(REAP_MS);
    expect(left).toMatch(/^SYSTEM\|alice left lobby( \(.+\))?$/);
    expect(denLeft).toMatch(/^SYSTEM\|carol left den( \(.+\))?$/);

    expect(await reply(bob, 'USERS', 'USERS|')).toBe('USERS|1|bob');
    expect(await reply(dave, 'USERS', 'USERS|')).toBe('USERS|1|dave');
    expect(await reply(bob, 'ROOMS', 'ROOMS|')).toBe('ROOMS|den:1,lobby:1');
    expect(await reply(bob, 'STATS', 'STATS|')).toMatch(/\|cluster_nodes=1(\||$)/);
    // Each leave was told once.
    bob.sendLine('PING|once');
    expect((await bob.collectUntil('PONG|once')).filter((l) => l.includes('alice left'))).toEqual([]);

    // The dead node's names are free again; PRIVATE to them is NO_SUCH_USER meanwhile.
    expect(await reply(bob, 'PRIVATE|carol|are you there?', 'ERROR|')).toMatch(/^ERROR\|NO_SUCH_USER\|/);
    const alice2 = await LineClient.connect(b.port);
    expect((await alice2.login('alice', undefined, CROSS_MS)).success).toMatch(/^SUCCESS\|/);
    await bob.waitFor(notice('alice joined lobby'), CROSS_MS);
  }, 30_000);

  it('the killed node restarted: its users come back and chat with the others as before', async () => {
    const a = await spawnServer(['--redis', redis.url]);
    const b = await spawnServer(['--redis', redis.url]);
    const alice = await LineClient.loggedIn(a.port, 'alice');
    const bob = await LineClient.loggedIn(b.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    alice.sendLine('TEXT|before the crash');
    await bob.waitFor('TEXT|alice|before the crash', CROSS_MS);

    a.kill('SIGKILL');
    await a.waitExit(5_000);
    await bob.waitFor(startsNotice('alice left lobby'), REAP_MS);

    const a2 = await spawnServer(['--redis', redis.url]);
    const back = await LineClient.connect(a2.port);
    const login = await back.login('alice', undefined, CROSS_MS);
    // History said before the crash is there on the new node.
    expect(login.between.some((l) => l.endsWith('|alice|before the crash'))).toBe(true);
    await bob.waitFor(notice('alice joined lobby'), CROSS_MS);
    back.sendLine('TEXT|back again');
    await bob.waitFor('TEXT|alice|back again', CROSS_MS);
    bob.sendLine('PRIVATE|alice|welcome back');
    await back.waitFor('PRIVATE|bob|welcome back', CROSS_MS);
    expect(await reply(bob, 'STATS', 'STATS|')).toMatch(/\|cluster_nodes=2(\||$)/);
  }, 30_000);
});

describe('CHAT_REDIS_URL', () => {
  it('turns on cluster mode like --redis: a bin node started with it chats with an in-process node', async () => {
    const saved = process.env.CHAT_REDIS_URL;
    process.env.CHAT_REDIS_URL = redis.url;
    let spawned;
    try {
      spawned = await spawnServer([]);
    } finally {
      if (saved === undefined) delete process.env.CHAT_REDIS_URL;
      else process.env.CHAT_REDIS_URL = saved;
    }
    expect(spawned.stderr()).toContain('"redis"');
    const other = await startTestServer({ redisUrl: redis.url });
    const alice = await LineClient.loggedIn(spawned.port, 'alice');
    const bob = await LineClient.loggedIn(other.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    bob.sendLine('TEXT|via env');
    await alice.waitFor('TEXT|bob|via env', CROSS_MS);
    expect(await reply(alice, 'USERS', 'USERS|')).toBe('USERS|2|alice,bob');
    spawned.kill('SIGTERM');
    expect((await spawned.waitExit(8_000)).code).toBe(0);
  }, 30_000);
});
