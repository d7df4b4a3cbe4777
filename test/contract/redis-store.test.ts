// The store conformance suite against RedisStore (cluster mode's store), on
// a real redis-server: the CI one (a database of this file's own) or one
// started for this file. Plus what only the Redis store promises: capped
// streams per room, and nothing acknowledged is lost when Redis is killed
// with the documented AOF settings.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisConnections } from '../../src/server/redis-connections.js';
import { createLogger } from '../../src/server/log.js';
import { ROOM_STREAM_LENGTH, RedisStore, redisKeys } from '../../src/server/storage/redis-store.js';
import { redisClient, sharedRedis, startRedis, type RedisInstance, type SharedRedis } from '../helpers/redis.js';
import { describeStoreConformance } from './store.conformance.js';

const log = createLogger({ level: 'error', json: false });

let redis: SharedRedis;

beforeAll(async () => {
  redis = await sharedRedis();
});

afterAll(async () => {
  await redis?.release();
});

describeStoreConformance('RedisStore', async () => {
  await redis.flush();
  const connections: RedisConnections[] = [await connectRedis(redis.url, log)];
  return {
    store: new RedisStore(connections[0]!.client),
    reopen: async () => {
      // A new connection to the same database: a new process, as far as the store can tell.
      const again = await connectRedis(redis.url, log);
      connections.push(again);
      return new RedisStore(again.client);
    },
    cleanup: async () => {
      await redis.flush();
      for (const c of connections) await c.close();
    },
  };
});

describe('RedisStore specifics', () => {
  const opened: RedisConnections[] = [];
  const servers: RedisInstance[] = [];

  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close();
    for (const s of servers.splice(0)) await s.destroy();
    await redis.flush();
  });

  it(`keeps each room in a stream capped near ${ROOM_STREAM_LENGTH} entries, still returning the newest`, async () => {
    const conn = await connectRedis(redis.url, log);
    opened.push(conn);
    const store = new RedisStore(conn.client);
    const total = ROOM_STREAM_LENGTH + 3_000;
    for (let i = 0; i < total; i++) store.appendRoom({ time: i, roomKey: 'lobby', room: 'lobby', from: 'alice', message: `m${i}` });
    await store.flush();
    const length = await conn.client.xLen(redisKeys.room('lobby'));
    // MAXLEN ~ trims whole radix-tree nodes, so a little over the cap is allowed, not the whole history.
    expect(length).toBeGreaterThanOrEqual(ROOM_STREAM_LENGTH);
    expect(length).toBeLessThan(total);
    expect((await store.recentRoom('lobby', 3)).map((m) => m.message)).toEqual([`m${total - 3}`, `m${total - 2}`, `m${total - 1}`]);
  }, 30_000);

  it('a flushed message and an account survive SIGKILL of Redis (appendonly yes, appendfsync always)', async () => {
    const own = await startRedis();
    servers.push(own);
    const conn = await connectRedis(own.url, log);
    opened.push(conn);
    const store = new RedisStore(conn.client);
    store.appendRoom({ time: 1, roomKey: 'lobby', room: 'Lobby', from: 'alice', message: 'acknowledged' });
    store.appendPrivate({ time: 2, from: 'alice', fromKey: 'alice', to: 'Bob', toKey: 'bob', message: 'for later', delivered: false });
    await store.flush();
    const bob = { key: 'bob', name: 'Bob', secret: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==', createdAt: 3, operator: false };
    expect(await store.createAccount(bob)).toBe(true);

    await own.kill();
    await own.restart();

    const check = await redisClient(own.url);
    try {
      expect(await check.xLen(redisKeys.room('lobby'))).toBe(1);
    } finally {
      await check.close();
    }
    const again = await connectRedis(own.url, log);
    opened.push(again);
    const reopened = new RedisStore(again.client);
    expect(await reopened.recentRoom('lobby', 5)).toEqual([{ time: 1, roomKey: 'lobby', room: 'Lobby', from: 'alice', message: 'acknowledged' }]);
    expect((await reopened.takeUndelivered('bob')).map((m) => m.message)).toEqual(['for later']);
    expect(await reopened.getAccount('bob')).toEqual(bob);
  });

  it('fails instead of queueing while Redis is down: flush and reads reject', async () => {
    const own = await startRedis();
    servers.push(own);
    const conn = await connectRedis(own.url, log);
    opened.push(conn);
    const store = new RedisStore(conn.client);
    await own.stop();
    // The client notices the closed socket at once; give it a moment.
    const deadline = Date.now() + 2_000;
    while (conn.client.isReady && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    store.appendRoom({ time: 1, roomKey: 'lobby', room: 'lobby', from: 'alice', message: 'lost?' });
    await expect(store.flush()).rejects.toThrow();
    await expect(store.recentRoom('lobby', 5)).rejects.toThrow();
    await expect(store.getAccount('bob')).rejects.toThrow();
  });
});
