// `--redis redis://HOST:PORT/db`: the database number picks the cluster's
// data. Two clusters on two databases of one Redis server are two separate
// chats: neither sees the other's users, history nor live traffic. (Redis
// pub/sub channels are server-wide, not per database, so this needs the
// channels to be told apart.) A redis-server of this file's own.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { startRedis, type RedisInstance } from '../helpers/redis.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

let own: RedisInstance;

beforeEach(async () => {
  own = await startRedis();
});

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
  await own.destroy();
  removeTempDirs();
});

const CROSS_MS = 3_000;

describe('two clusters on two databases of one Redis', () => {
  it('are separate: users, history and live room traffic stay in their own database', async () => {
    const one = [await startTestServer({ redisUrl: `${own.url}/1` }), await startTestServer({ redisUrl: `${own.url}/1` })];
    const two = await startTestServer({ redisUrl: `${own.url}/2` });
    const alice = await LineClient.loggedIn(one[0]!.port, 'alice');
    const bob = await LineClient.loggedIn(one[1]!.port, 'bob');
    await alice.waitFor('SYSTEM|bob joined lobby', CROSS_MS);
    const zoe = await LineClient.connect(two.port);
    // Same name, other cluster: allowed.
    expect((await zoe.login('alice', undefined, CROSS_MS)).success).toMatch(/^SUCCESS\|/);

    alice.sendLine('TEXT|cluster one only');
    await bob.waitFor('TEXT|alice|cluster one only', CROSS_MS);
    zoe.sendLine('USERS');
    zoe.sendLine('HISTORY');
    zoe.sendLine('PING|end');
    const seen = await zoe.collectUntil('PONG|end', CROSS_MS);
    expect(seen, 'what the cluster on db 2 saw').toEqual(['USERS|1|alice', 'SYSTEM|no messages in lobby yet', 'PONG|end']);
    // And the other way: nothing of db 2 reaches db 1.
    zoe.sendLine('TEXT|cluster two only');
    await zoe.waitFor('TEXT|alice|cluster two only', CROSS_MS);
    bob.sendLine('PING|end');
    expect(await bob.collectUntil('PONG|end', CROSS_MS)).toEqual(['PONG|end']);
  });
});
