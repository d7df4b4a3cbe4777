// RedisDirectory with users in several rooms at once (IRC users sit in many
// channels): two directories on one real Redis are two nodes. Entering a room
// keeps the others, leaving one keeps the rest, and a release or a dead node
// takes the user out of all of them, with one LostUser per room.
//
// The sessions are small stand-ins with what the directory and presence read
// of a session (name, user, audience, rooms()), so these tests follow the
// directory alone.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LostUser } from '../../src/server/directory/directory.js';
import { HEARTBEAT_MS, RedisDirectory } from '../../src/server/directory/redis-directory.js';
import { createLogger } from '../../src/server/log.js';
import { Presence, type Room } from '../../src/server/presence.js';
import { connectRedis, type RedisConnections } from '../../src/server/redis-connections.js';
import type { Session, User } from '../../src/server/session.js';
import { FakeTimers } from '../helpers/fake-timers.js';
import { redisClient, sharedRedis, type SharedRedis } from '../helpers/redis.js';

let redis: SharedRedis;
let admin: Awaited<ReturnType<typeof redisClient>>;

beforeAll(async () => {
  redis = await sharedRedis();
  admin = await redisClient(redis.url);
});

afterAll(async () => {
  await admin?.close();
  await redis?.release();
});

const AUDIENCE = {};
let nextId = 1;

/** A logged-in session in any number of rooms. */
class FakeSession {
  readonly id = nextId++;
  readonly audience = AUDIENCE;
  readonly user: User;
  readonly joined = new Set<Room<Session>>();

  constructor(name: string) {
    this.user = { name, key: name.toLowerCase() };
  }

  get name(): string {
    return this.user.name;
  }

  rooms(): Room<Session>[] {
    return [...this.joined];
  }

  get asSession(): Session {
    return this as unknown as Session;
  }
}

interface Node {
  readonly nodeId: string;
  readonly presence: Presence<Session>;
  readonly directory: RedisDirectory;
  readonly connections: RedisConnections;
}

const timers = new FakeTimers(Date.now());
const nodes: Node[] = [];
const logLines: string[] = [];
const log = createLogger({ level: 'warn', json: true }, (line) => logLines.push(line));

async function addNode(): Promise<Node> {
  const connections = await connectRedis(redis.url, log);
  const nodeId = `node-${randomUUID().slice(0, 8)}`;
  const presence = new Presence<Session>();
  const figures = () => ({ connections: 0, users: presence.userCount, messages: 0 });
  const directory = new RedisDirectory(connections.client, connections.subscriber, { nodeId, presence, figures }, log, timers);
  const node = { nodeId, presence, directory, connections };
  nodes.push(node);
  await directory.start();
  return node;
}

/** Until every node's fire-and-forget writes are done (one connection runs its commands in order). */
async function settle(): Promise<void> {
  for (const node of nodes) if (node.connections.client.isReady) await node.connections.client.ping();
}

async function login(node: Node, name: string): Promise<FakeSession> {
  const session = new FakeSession(name);
  expect(await node.directory.claim(session.asSession, session.user.key, name)).toBe(true);
  return session;
}

function join(node: Node, session: FakeSession, roomName: string): Room<Session> {
  const room = node.presence.enter(session.asSession, roomName.toLowerCase(), roomName);
  session.joined.add(room);
  node.directory.entered(session.user, room);
  return room;
}

function part(node: Node, session: FakeSession, room: Room<Session>): void {
  session.joined.delete(room);
  if (node.presence.leave(session.asSession, room) !== undefined) node.directory.left(session.user, room);
}

/** A SIGKILLed node: its connections drop and its liveness key goes, as its TTL would make it go. */
async function kill(node: Node): Promise<void> {
  node.connections.client.destroy();
  node.connections.subscriber.destroy();
  await admin.del(`chat:alive:${node.nodeId}`);
}

async function until(check: () => Promise<boolean> | boolean, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await sleep(10);
  }
}

afterEach(async () => {
  for (const node of nodes.splice(0)) {
    await node.directory.close();
    await node.connections.close();
  }
  await redis.flush();
  expect(logLines.splice(0).filter((line) => line.includes('"redis-error"'))).toEqual([]);
});

describe('RedisDirectory: a user in several rooms', () => {
  it('entering a second room keeps the first: namesIn of both list the user, rooms() counts both, on every node', async () => {
    const a = await addNode();
    const b = await addNode();
    const alice = await login(a, 'Alice');
    const bob = await login(b, 'bob');
    const lobby = join(a, alice, 'lobby');
    const den = join(a, alice, 'Den');
    join(b, bob, 'lobby');
    await settle();

    for (const node of [a, b]) {
      expect(await node.directory.namesIn(lobby)).toEqual(['Alice', 'bob']);
      expect(await node.directory.namesIn(den)).toEqual(['Alice']);
      expect(await node.directory.rooms()).toEqual([
        { room: 'Den', count: 1 },
        { room: 'lobby', count: 2 },
      ]);
    }
    expect((await admin.sMembers('chat:user-rooms:alice')).sort()).toEqual(['den', 'lobby']);
    expect(await admin.hGet('chat:users', 'alice')).toBe(`${a.nodeId}\tAlice\t`);
    expect(await b.directory.locate('alice')).toEqual({ node: a.nodeId, name: 'Alice' });
  });

  it('leaving one room keeps the others; the room left goes from chat:rooms once empty', async () => {
    const a = await addNode();
    const b = await addNode();
    const alice = await login(a, 'alice');
    const lobby = join(a, alice, 'lobby');
    const den = join(a, alice, 'den');
    const attic = join(a, alice, 'attic');
    part(a, alice, den);
    await settle();

    expect(await b.directory.namesIn(lobby)).toEqual(['alice']);
    expect(await b.directory.namesIn(attic)).toEqual(['alice']);
    expect(await b.directory.namesIn(den)).toEqual([]);
    expect(await b.directory.rooms()).toEqual([
      { room: 'attic', count: 1 },
      { room: 'lobby', count: 1 },
    ]);
    expect((await admin.hKeys('chat:rooms')).sort()).toEqual(['attic', 'lobby']);
    expect((await admin.sMembers('chat:user-rooms:alice')).sort()).toEqual(['attic', 'lobby']);
  });

  it('release takes the user out of every room at once and leaves no room of theirs in chat:rooms', async () => {
    const a = await addNode();
    const b = await addNode();
    const alice = await login(a, 'alice');
    const bob = await login(b, 'bob');
    const lobby = join(a, alice, 'lobby');
    const den = join(a, alice, 'den');
    join(b, bob, 'lobby');
    await settle();

    a.directory.release(alice.asSession, 'alice');
    await settle();
    expect(await b.directory.namesIn(lobby)).toEqual(['bob']);
    expect(await b.directory.namesIn(den)).toEqual([]);
    expect(await b.directory.rooms()).toEqual([{ room: 'lobby', count: 1 }]);
    expect(await b.directory.locate('alice')).toBeUndefined();
    expect(await admin.exists('chat:user-rooms:alice')).toBe(0);

    b.directory.release(bob.asSession, 'bob');
    await settle();
    expect(await admin.hLen('chat:rooms')).toBe(0);
    expect(await b.directory.rooms()).toEqual([]);
    // The server's own LEAVEs after the release find nothing left to do.
    for (const room of alice.rooms()) part(a, alice, room);
    await settle();
    expect(await admin.keys('chat:user-rooms:*')).toEqual([]);
  });

  it('when a node dies, a live node reports one LostUser per room of each of its users, and cleans them all up', async () => {
    const a = await addNode();
    const b = await addNode();
    const lost: Array<readonly LostUser[]> = [];
    b.directory.onUsersLost((users) => lost.push(users));
    const alice = await login(a, 'alice');
    const carol = await login(a, 'carol');
    await login(a, 'erin'); // in no room: nobody is told
    const bob = await login(b, 'bob');
    const lobby = join(a, alice, 'lobby');
    join(a, alice, 'Den');
    join(a, alice, 'Attic');
    join(a, carol, 'lobby');
    join(b, bob, 'lobby');
    await settle();

    await kill(a);
    timers.advance(HEARTBEAT_MS);
    await until(() => lost.length > 0);
    const byUserAndRoom = (x: LostUser, y: LostUser): number => x.name.localeCompare(y.name) || x.roomKey.localeCompare(y.roomKey);
    expect(lost).toHaveLength(1);
    expect([...lost[0]!].sort(byUserAndRoom)).toEqual([
      { name: 'alice', roomKey: 'attic', roomName: 'Attic' },
      { name: 'alice', roomKey: 'den', roomName: 'Den' },
      { name: 'alice', roomKey: 'lobby', roomName: 'lobby' },
      { name: 'carol', roomKey: 'lobby', roomName: 'lobby' },
    ]);

    expect(await b.directory.namesIn(lobby)).toEqual(['bob']);
    expect(await b.directory.rooms()).toEqual([{ room: 'lobby', count: 1 }]);
    for (const name of ['alice', 'carol', 'erin']) expect(await b.directory.locate(name)).toBeUndefined();
    expect(await admin.keys('chat:user-rooms:*')).toEqual(['chat:user-rooms:bob']);
    expect(await admin.exists(`chat:node-users:${a.nodeId}`)).toBe(0);
  });

  it('a node reaps the one room an earlier version kept in the chat:users value', async () => {
    const b = await addNode();
    const lost: LostUser[] = [];
    b.directory.onUsersLost((users) => lost.push(...users));
    // What a node of the earlier version leaves: the room in the value, no chat:user-rooms set.
    await admin
      .multi()
      .hSet('chat:nodes', 'old-node', JSON.stringify({ connections: 1, users: 1, messages: 0 }))
      .hSet('chat:users', 'dora', 'old-node\tDora\tden')
      .sAdd('chat:node-users:old-node', 'dora')
      .hSet('chat:members:den', 'dora', 'Dora')
      .hSet('chat:rooms', 'den', 'Den')
      .exec();
    expect(await b.directory.locate('dora')).toEqual({ node: 'old-node', name: 'Dora' });

    timers.advance(HEARTBEAT_MS);
    await until(() => lost.length > 0);
    expect(lost).toEqual([{ name: 'Dora', roomKey: 'den', roomName: 'Den' }]);
    expect(await b.directory.rooms()).toEqual([]);
    expect(await b.directory.locate('dora')).toBeUndefined();
  });

  it('put back after Redis lost its data: every room the session is in; a room parted while out of step is dropped', async () => {
    const a = await addNode();
    const b = await addNode();
    const alice = await login(a, 'alice');
    const lobby = join(a, alice, 'lobby');
    const den = join(a, alice, 'den');
    await settle();

    await redis.flush();
    timers.advance(HEARTBEAT_MS);
    await until(async () => (await b.directory.rooms()).length === 2);
    expect(await b.directory.namesIn(lobby)).toEqual(['alice']);
    expect(await b.directory.namesIn(den)).toEqual(['alice']);
    expect((await admin.sMembers('chat:user-rooms:alice')).sort()).toEqual(['den', 'lobby']);

    // alice parts den while Redis does not hear of it, and the node's entry goes missing: the next heartbeat mends both.
    alice.joined.delete(den);
    a.presence.leave(alice.asSession, den);
    await admin.sRem(`chat:node-users:${a.nodeId}`, 'alice');
    timers.advance(HEARTBEAT_MS);
    await until(async () => (await b.directory.namesIn(den)).length === 0);
    expect(await admin.sIsMember(`chat:node-users:${a.nodeId}`, 'alice')).toBe(1);
    expect(await b.directory.rooms()).toEqual([{ room: 'lobby', count: 1 }]);
    expect(await admin.sMembers('chat:user-rooms:alice')).toEqual(['lobby']);
  });
});
