// The bus conformance suite against RedisBus (Redis pub/sub), on a real
// redis-server. Each node has a publishing and a subscribing connection, as
// the server gives it.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import type { BusEvent } from '../../src/server/bus/bus.js';
import { RedisBus, decodeEnvelope, encodeEnvelope } from '../../src/server/bus/redis-bus.js';
import { PUBSUB_WAIT_MS, sharedRedis, startRedis, type SharedRedis } from '../helpers/redis.js';
import { describeBusConformance } from './bus.conformance.js';

type Client = ReturnType<typeof createClient>;

let redis: SharedRedis;

beforeAll(async () => {
  redis = await sharedRedis({ pubsub: true });
}, PUBSUB_WAIT_MS + 10_000);

afterAll(async () => {
  await redis?.release();
});

async function connected(url: string): Promise<Client> {
  const client: Client = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) } });
  client.on('error', () => {});
  await client.connect();
  return client;
}

interface RedisNode {
  bus: RedisBus;
  publisher: Client;
  subscriber: Client;
}

async function redisNode(url: string, errors: unknown[]): Promise<RedisNode> {
  const publisher = await connected(url);
  const subscriber = await connected(url);
  const bus = new RedisBus(randomUUID(), publisher, subscriber, (err) => errors.push(err));
  await bus.start();
  return { bus, publisher, subscriber };
}

/** A SUBSCRIBE and UNSUBSCRIBE after every earlier one on the connection: when they are answered, so are those. */
async function settle(subscriber: Client): Promise<void> {
  const channel = `chat-test:settle:${randomUUID()}`;
  await subscriber.subscribe(channel, () => {});
  await subscriber.unsubscribe(channel);
}

async function closeNode(node: RedisNode): Promise<void> {
  await node.bus.close();
  for (const c of [node.subscriber, node.publisher]) {
    if (c.isOpen) await c.close().catch(() => c.destroy());
  }
}

describeBusConformance('RedisBus', async (n) => {
  const errors: unknown[] = [];
  const nodes: RedisNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await redisNode(redis.url, errors));
  return {
    buses: nodes.map((node) => node.bus),
    settle: async () => {
      for (const node of nodes) await settle(node.subscriber);
    },
    cleanup: async () => {
      for (const node of nodes) await closeNode(node);
      expect(errors).toEqual([]);
    },
  };
});

describe('RedisBus specifics', () => {
  it('envelopes round-trip every event kind, with the node id', () => {
    const events: BusEvent[] = [
      { kind: 'room', roomKey: 'den', line: 'TEXT|a|x|y: z\n' },
      { kind: 'user', node: 'n-1', userKey: 'bob.smith', line: 'PRIVATE|a|b:c\n' },
      { kind: 'everyone', line: 'SYSTEM|bye\n' },
    ];
    for (const event of events) expect(decodeEnvelope(encodeEnvelope('node-7', event))).toEqual({ node: 'node-7', event });
    expect(decodeEnvelope('garbage')).toBeUndefined();
  });

  it('watched rooms, the node channel and the everyone channel work again after Redis restarts', async () => {
    const own = await startRedis();
    const errors: unknown[] = [];
    const nodes: RedisNode[] = [];
    try {
      nodes.push(await redisNode(own.url, errors), await redisNode(own.url, errors));
      const [a, b] = nodes as [RedisNode, RedisNode];
      const got: string[] = [];
      b.bus.subscribe((e) => got.push(`${e.kind}:${e.line}`));
      b.bus.watchRoom('den');
      await settle(b.subscriber);

      await own.stop();
      await own.restart();
      const deadline = Date.now() + 10_000;
      while (!(a.publisher.isReady && b.subscriber.isReady) && Date.now() < deadline) await sleep(20);
      expect(a.publisher.isReady && b.subscriber.isReady).toBe(true);

      // The subscriber resubscribes on its own after reconnecting; wait until it has.
      const want = ['room:R\n', 'user:U\n', 'everyone:E\n'];
      const until = Date.now() + 10_000;
      while (!want.every((w) => got.includes(w)) && Date.now() < until) {
        a.bus.publish({ kind: 'room', roomKey: 'den', line: 'R\n' });
        a.bus.publish({ kind: 'user', node: b.bus.nodeId, userKey: 'bob', line: 'U\n' });
        a.bus.publish({ kind: 'everyone', line: 'E\n' });
        a.bus.flush();
        await sleep(100);
      }
      expect(want.filter((w) => !got.includes(w))).toEqual([]);
    } finally {
      for (const node of nodes) await closeNode(node);
      await own.destroy();
    }
  }, 30_000);
});
