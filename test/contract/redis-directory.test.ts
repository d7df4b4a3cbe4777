// The directory conformance suite against RedisDirectory, on a real
// redis-server (the CI one, a database of this file's own, or one started for
// this file): two or three directories on connections of their own are the
// nodes of one cluster. A node "dies" as a SIGKILLed process would: its
// connections drop, so its heartbeat stops and it never deregisters, and its
// liveness key goes (as its TTL would make it go, without the wait). Plus what
// only the Redis directory does: summed node figures, reaping at start-up,
// leaving nothing behind, and putting a node's users back when Redis lost them.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LostUser } from '../../src/server/directory/directory.js';
import { HEARTBEAT_MS, RedisDirectory, type NodeFigures } from '../../src/server/directory/redis-directory.js';
import { createLogger } from '../../src/server/log.js';
import { Presence, type Room } from '../../src/server/presence.js';
import { connectRedis, type RedisConnections } from '../../src/server/redis-connections.js';
import type { Session } from '../../src/server/session.js';
import type { Timers } from '../../src/cli/timers.js';
import { FakeTimers } from '../helpers/fake-timers.js';
import { redisClient, sharedRedis, type SharedRedis } from '../helpers/redis.js';
import { describeDirectoryConformance, makeSession, type DirectoryNode, type DirectoryNodes } from './directory.conformance.js';

let redis: SharedRedis;

beforeAll(async () => {
  redis = await sharedRedis();
});

afterAll(async () => {
  await redis?.release();
});

interface RedisNode extends DirectoryNode {
  readonly directory: RedisDirectory;
  readonly connections: RedisConnections;
  /** What the node publishes with its heartbeat. */
  readonly figures: NodeFigures;
}

/** Nodes of one cluster on the file's database, and what they logged. */
class Cluster implements DirectoryNodes {
  readonly nodes: RedisNode[] = [];
  readonly logLines: string[] = [];
  private readonly log = createLogger({ level: 'warn', json: true }, (line) => this.logLines.push(line));

  /** A node, started (registered, heartbeat running) unless `start` is false. */
  async add(options: { start?: boolean; figures?: Partial<NodeFigures>; timers?: Timers } = {}): Promise<RedisNode> {
    const connections = await connectRedis(redis.url, this.log);
    const nodeId = `node-${randomUUID().slice(0, 8)}`;
    const presence = new Presence<Session>();
    const figures: NodeFigures = { connections: 0, users: 0, messages: 0, ...options.figures };
    const directory = new RedisDirectory(connections.client, connections.subscriber, { nodeId, presence, figures: () => ({ ...figures }) }, this.log, options.timers);
    const node: RedisNode = { nodeId, presence, directory, connections, figures, session: () => makeSession() };
    this.nodes.push(node);
    if (options.start !== false) await directory.start();
    return node;
  }

  async settle(): Promise<void> {
    // Commands on one connection run in order: when a PING is answered, the node's earlier writes are done.
    for (const node of this.nodes) if (node.connections.client.isReady) await node.connections.client.ping();
  }

  async kill(node: DirectoryNode): Promise<void> {
    const dying = this.nodes.find((n) => n === node);
    if (dying === undefined) throw new Error('not a node of this cluster');
    dying.connections.client.destroy();
    dying.connections.subscriber.destroy();
    const admin = await redisClient(redis.url);
    try {
      await admin.del(`chat:alive:${dying.nodeId}`);
    } finally {
      await admin.close();
    }
  }

  async cleanup(): Promise<void> {
    for (const node of this.nodes) await node.directory.close();
    for (const node of this.nodes) await node.connections.close();
    await redis.flush();
    expect(this.logLines.filter((line) => line.includes('"redis-error"'))).toEqual([]);
  }
}

describeDirectoryConformance('RedisDirectory', {
  maxNodes: 3,
  nodesDie: true,
  // A live node checks for dead ones at every heartbeat.
  reapWithinMs: 3 * HEARTBEAT_MS,
  clusterStats: true,
  make: async (n) => {
    await redis.flush();
    const cluster = new Cluster();
    for (let i = 0; i < n; i++) await cluster.add();
    return cluster;
  },
});

describe('RedisDirectory specifics', () => {
  let cluster: Cluster | undefined;

  async function start(): Promise<Cluster> {
    await redis.flush();
    cluster = new Cluster();
    return cluster;
  }

  afterEach(async () => {
    await cluster?.cleanup();
    cluster = undefined;
  });

  /** Logs `name` in on the node and puts them in a room, as the server does. */
  async function join(node: RedisNode, name: string, roomKey: string): Promise<{ session: Session; room: Room<Session> }> {
    const session = node.session();
    expect(await node.directory.claim(session, name, name)).toBe(true);
    session.setState({ kind: 'joining', name, key: name });
    const room = node.presence.enter(session, roomKey, roomKey);
    session.moveTo(room);
    node.directory.entered({ name, key: name }, room);
    return { session, room };
  }

  /** Until `check` holds (a heartbeat's Redis round trips take a moment), for at most 300 ms: less than a real heartbeat. */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 300;
    while (!(await check()) && Date.now() < deadline) await sleep(5);
  }

  it('cluster_connections and cluster_messages add up what every node publishes with its heartbeat, which runs on its timers', async () => {
    const c = await start();
    const timers = new FakeTimers(Date.now());
    await c.add({ figures: { connections: 3, messages: 10 }, timers });
    await c.add({ figures: { connections: 4, messages: 32 }, timers });
    const messages = async (): Promise<number | undefined> => new Map(await c.nodes[0]!.directory.stats()).get('cluster_messages');
    const stats = new Map(await c.nodes[0]!.directory.stats());
    expect(stats.get('cluster_nodes')).toBe(2);
    expect(stats.get('cluster_connections')).toBe(7);
    expect(stats.get('cluster_messages')).toBe(42);
    // The next heartbeat publishes the figures as they are then, and not before.
    c.nodes[1]!.figures.messages = 50;
    timers.advance(HEARTBEAT_MS - 1);
    await c.settle();
    expect(await messages()).toBe(42);
    timers.advance(1);
    await eventually(async () => (await messages()) === 60);
    expect(await messages()).toBe(60);
  });

  it('a node starting up reaps the nodes that died while nobody was watching, before it serves', async () => {
    const c = await start();
    const dead = await c.add();
    await join(dead, 'alice', 'lobby');
    await dead.directory.claim(dead.session(), 'erin', 'erin');
    await c.settle();
    await c.kill(dead);

    // Two nodes start at once: one of them reaps it, and only that one reports.
    const late = await c.add({ start: false });
    const later = await c.add({ start: false });
    const lost: LostUser[][] = [[], []];
    late.directory.onUsersLost((users) => lost[0]!.push(...users));
    later.directory.onUsersLost((users) => lost[1]!.push(...users));
    await Promise.all([late.directory.start(), later.directory.start()]);
    expect(lost.flat()).toEqual([{ name: 'alice', roomKey: 'lobby', roomName: 'lobby' }]);
    expect(await late.directory.locate('alice')).toBeUndefined();
    expect(await late.directory.locate('erin')).toBeUndefined();
    expect(await late.directory.rooms()).toEqual([]);
    expect(new Map(await late.directory.stats()).get('cluster_nodes')).toBe(2);
    // Reaped once (the reap lock), not by both.
    expect(c.logLines.filter((line) => line.includes('"node-lost"') && line.includes(dead.nodeId))).toHaveLength(1);
  });

  it('nodes that release their users and close cleanly leave no chat:* key behind', async () => {
    const c = await start();
    const a = await c.add();
    const b = await c.add();
    const alice = await join(a, 'alice', 'lobby');
    await join(b, 'bob', 'den');
    await c.settle();
    const admin = await redisClient(redis.url);
    try {
      expect((await admin.keys('chat:*')).length).toBeGreaterThan(0);
      a.directory.release(alice.session, 'alice');
      if (a.presence.leave(alice.session, alice.room) !== undefined) a.directory.left({ name: 'alice', key: 'alice' }, alice.room);
      // b closes with bob still online: a clean close takes its users out itself.
      await a.directory.close();
      await b.directory.close();
      expect((await admin.keys('chat:*')).sort()).toEqual([]);
    } finally {
      await admin.close();
    }
  });

  it('when Redis lost the cluster state, each node puts its users and their rooms back at its next heartbeat', async () => {
    const c = await start();
    const timers = new FakeTimers(Date.now());
    const a = await c.add({ timers });
    const b = await c.add({ timers });
    await join(a, 'alice', 'lobby');
    const { room: lobby } = await join(b, 'bob', 'lobby');
    await c.settle();
    await redis.flush();
    expect(await b.directory.locate('alice')).toBeUndefined();

    timers.advance(HEARTBEAT_MS);
    await eventually(async () => (await b.directory.namesIn(lobby)).length === 2);
    expect(await b.directory.namesIn(lobby)).toEqual(['alice', 'bob']);
    expect(await b.directory.locate('alice')).toEqual({ node: a.nodeId, name: 'alice' });
    expect(await a.directory.rooms()).toEqual([{ room: 'lobby', count: 2 }]);
    // Its names are held again: another node cannot take them.
    expect(await b.directory.claim(b.session(), 'alice', 'alice')).toBe(false);
  });
});
