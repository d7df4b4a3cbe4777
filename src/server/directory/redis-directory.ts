import { ChatError } from '../../protocol/index.js';
import type { Logger } from '../log.js';
import type { Presence, Room } from '../presence.js';
import type { RedisClient } from '../redis-connections.js';
import type { Session, User } from '../session.js';
import { backgroundTimers, type TimerHandle, type Timers } from '../../cli/timers.js';
import { sortNames, sortRooms, type RoomCount } from '../sorting.js';
import type { Directory, LostUser, UserLocation } from './directory.js';

// Cluster presence in Redis:
//   chat:users             hash  user key → "node \t name \t"            (HSETNX: one winner per name)
//   chat:user-rooms:<user> set   room keys a user is in (any number of them)
//   chat:node-users:<node> set   user keys a node holds (what to clean up when it dies)
//   chat:members:<room>    hash  user key → name                        (USERS across nodes)
//   chat:rooms             hash  room key → room name, while it has members (ROOMS)
//   chat:nodes             hash  node → JSON figures, refreshed with the heartbeat
//   chat:alive:<node>      string with a TTL, refreshed every second: the node's heartbeat
// Multi-key updates run as Lua scripts, so a node dying halfway leaves nothing half-done.
// The chat:users value keeps its trailing tab: older nodes kept the one room
// there, and a value of theirs is still read (and cleaned up) correctly.

export const HEARTBEAT_MS = 1000;
export const NODE_TTL_MS = 3000;

const USERS = 'chat:users';
const ROOMS = 'chat:rooms';
const NODES = 'chat:nodes';
const USER_ROOMS = 'chat:user-rooms:';
const nodeUsersKey = (node: string) => `chat:node-users:${node}`;
const userRoomsKey = (user: string) => `${USER_ROOMS}${user}`;
const membersKey = (room: string) => `chat:members:${room}`;
const aliveKey = (node: string) => `chat:alive:${node}`;
const reapLockKey = (node: string) => `chat:reaping:${node}`;

// Sets a user's entry when free or already this node's. ARGV: user key, node, name.
const CLAIM = `
local v = redis.call('HGET', '${USERS}', ARGV[1])
if v and string.sub(v, 1, string.len(ARGV[2]) + 1) ~= ARGV[2] .. '\\t' then return 0 end
redis.call('HSET', '${USERS}', ARGV[1], ARGV[2] .. '\\t' .. ARGV[3] .. '\\t')
redis.call('SADD', 'chat:node-users:' .. ARGV[2], ARGV[1])
return 1`;

// Puts a user of this node in a room too (other rooms are kept). ARGV: user key, node, name, room key, room name.
const ENTER = `
local v = redis.call('HGET', '${USERS}', ARGV[1])
if not v or string.sub(v, 1, string.len(ARGV[2]) + 1) ~= ARGV[2] .. '\\t' then return 0 end
redis.call('HSET', 'chat:members:' .. ARGV[4], ARGV[1], ARGV[3])
redis.call('HSETNX', '${ROOMS}', ARGV[4], ARGV[5])
redis.call('SADD', '${USER_ROOMS}' .. ARGV[1], ARGV[4])
return 1`;

// Takes a user out of one room. ARGV: user key, room key.
const LEAVE = `
redis.call('HDEL', 'chat:members:' .. ARGV[2], ARGV[1])
redis.call('SREM', '${USER_ROOMS}' .. ARGV[1], ARGV[2])
if redis.call('HLEN', 'chat:members:' .. ARGV[2]) == 0 then redis.call('HDEL', '${ROOMS}', ARGV[2]) end
return 1`;

// Removes a user held by a node, from every room they are in. ARGV: user key, node.
// Returns {name, room key, room name, room key, room name, ...} when the entry
// was that node's: the rooms that listed them, sorted by key.
const REMOVE = `
local v = redis.call('HGET', '${USERS}', ARGV[1])
redis.call('SREM', 'chat:node-users:' .. ARGV[2], ARGV[1])
if not v then return false end
local node, name, legacy = string.match(v, '^([^\\t]*)\\t([^\\t]*)\\t?([^\\t]*)$')
if node ~= ARGV[2] then return false end
redis.call('HDEL', '${USERS}', ARGV[1])
local rooms = redis.call('SMEMBERS', '${USER_ROOMS}' .. ARGV[1])
redis.call('DEL', '${USER_ROOMS}' .. ARGV[1])
if legacy ~= '' then
  local known = false
  for _, room in ipairs(rooms) do if room == legacy then known = true end end
  if not known then table.insert(rooms, legacy) end
end
table.sort(rooms)
local out = {name}
for _, room in ipairs(rooms) do
  local roomName = redis.call('HGET', '${ROOMS}', room) or room
  if redis.call('HDEL', 'chat:members:' .. room, ARGV[1]) == 1 then
    table.insert(out, room)
    table.insert(out, roomName)
  end
  if redis.call('HLEN', 'chat:members:' .. room) == 0 then redis.call('HDEL', '${ROOMS}', room) end
end
return out`;

export interface NodeFigures {
  connections: number;
  users: number;
  messages: number;
}

/** What the directory reads of its node. */
export interface NodeView {
  readonly nodeId: string;
  readonly presence: Presence<Session>;
  /** The node's figures, published with every heartbeat. */
  figures(): NodeFigures;
}

export class RedisDirectory implements Directory {
  private heartbeat: TimerHandle | undefined;
  private stopped = false;
  private wasReady = true;
  /**
   * No reaping before this time: after an outage every node needs a
   * heartbeat's time to show it is alive before anyone is declared dead.
   */
  private reapAfter = 0;
  private usersLost: (lost: readonly LostUser[]) => void = () => undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly node: NodeView,
    private readonly log: Logger,
    private readonly timers: Timers = backgroundTimers,
  ) {}

  get available(): boolean {
    return this.client.isReady && this.subscriber.isReady;
  }

  /** Registers the node, starts its heartbeat and the watch for dead nodes. */
  async start(): Promise<void> {
    await this.beat();
    await this.reapDeadNodes();
    this.scheduleBeat();
  }

  async claim(session: Session, key: string, name: string): Promise<boolean> {
    const presence = this.node.presence;
    if (!presence.claim(session, key, name)) return false;
    try {
      const won = await this.client.eval(CLAIM, { arguments: [key, this.node.nodeId, name] });
      if (won === 1) return true;
      presence.release(session, key);
      return false;
    } catch (err) {
      presence.release(session, key);
      throw unavailable(err);
    }
  }

  release(session: Session, key: string): void {
    if (this.node.presence.user(key) !== session) return;
    this.node.presence.release(session, key);
    this.client.eval(REMOVE, { arguments: [key, this.node.nodeId] }).catch((err: unknown) => this.warn('release', err));
  }

  entered(user: User, room: Room<Session>): void {
    const args = [user.key, this.node.nodeId, user.name, room.key, room.name];
    this.client.eval(ENTER, { arguments: args }).catch((err: unknown) => this.warn('enter', err));
  }

  left(user: User, room: Room<Session>): void {
    this.client.eval(LEAVE, { arguments: [user.key, room.key] }).catch((err: unknown) => this.warn('leave', err));
  }

  onUsersLost(listener: (lost: readonly LostUser[]) => void): void {
    this.usersLost = listener;
  }

  roomName(key: string, proposed: string): string | Promise<string> {
    const local = this.node.presence.room(key);
    if (local !== undefined) return local.name;
    return this.client.hGet(ROOMS, key).then(
      (name) => name ?? proposed,
      (err: unknown) => {
        throw unavailable(err);
      },
    );
  }

  async namesIn(room: Room<Session>): Promise<string[]> {
    try {
      return sortNames(await this.client.hVals(membersKey(room.key)));
    } catch (err) {
      throw unavailable(err);
    }
  }

  async rooms(): Promise<RoomCount[]> {
    try {
      const rooms = await this.client.hGetAll(ROOMS);
      const keys = Object.keys(rooms);
      if (keys.length === 0) return [];
      const multi = this.client.multi();
      for (const key of keys) multi.hLen(membersKey(key));
      const counts = (await multi.exec()) as unknown as number[];
      const list: RoomCount[] = [];
      keys.forEach((key, i) => {
        if (counts[i]! > 0) list.push({ room: rooms[key]!, count: counts[i]! });
      });
      return sortRooms(list);
    } catch (err) {
      throw unavailable(err);
    }
  }

  async locate(userKey: string): Promise<UserLocation | undefined> {
    const local = this.node.presence.user(userKey)?.name;
    if (local !== undefined) return { node: this.node.nodeId, name: local };
    try {
      const value = await this.client.hGet(USERS, userKey);
      if (value === null || value === undefined) return undefined;
      const [node, name] = value.split('\t');
      return { node: node!, name: name! };
    } catch (err) {
      throw unavailable(err);
    }
  }

  async stats(): Promise<Array<[string, number]>> {
    try {
      const [nodes, users, rooms] = (await this.client.multi().hGetAll(NODES).hLen(USERS).hLen(ROOMS).exec()) as unknown as [
        Record<string, string>,
        number,
        number,
      ];
      let connections = 0;
      let messages = 0;
      for (const value of Object.values(nodes)) {
        const figures = JSON.parse(value) as NodeFigures;
        connections += figures.connections;
        messages += figures.messages;
      }
      return [
        ['cluster_nodes', Object.keys(nodes).length],
        ['cluster_connections', connections],
        ['cluster_users', users],
        ['cluster_rooms', rooms],
        ['cluster_messages', messages],
      ];
    } catch (err) {
      throw unavailable(err);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.heartbeat);
    if (!this.client.isReady) return;
    // A clean stop removes the node at once rather than waiting for its heartbeat to lapse.
    try {
      await this.reapNode(this.node.nodeId, false);
      await this.client.multi().del(aliveKey(this.node.nodeId)).hDel(NODES, this.node.nodeId).exec();
    } catch (err) {
      this.warn('close', err);
    }
  }

  /** The next heartbeat, a beat after this one is done (a slow Redis never stacks them). */
  private scheduleBeat(): void {
    if (this.stopped) return;
    this.heartbeat = this.timers.setTimeout(() => void this.tick().finally(() => this.scheduleBeat()), HEARTBEAT_MS);
  }

  private async tick(): Promise<void> {
    const ready = this.available;
    if (!ready) {
      if (this.wasReady) this.log.warn('redis-unavailable', { node: this.node.nodeId });
      this.wasReady = false;
      return;
    }
    try {
      await this.beat();
      if (!this.wasReady) {
        this.wasReady = true;
        this.reapAfter = this.timers.now() + NODE_TTL_MS + HEARTBEAT_MS;
        await this.reregister();
        this.log.info('redis-available', { node: this.node.nodeId });
      } else if ((await this.client.sCard(nodeUsersKey(this.node.nodeId))) !== this.node.presence.userCount) {
        // Out of step (a race with a reaper, or Redis lost data): put this node's users back.
        await this.reregister();
      }
      if (this.timers.now() >= this.reapAfter) await this.reapDeadNodes();
    } catch (err) {
      this.warn('heartbeat', err);
    }
  }

  private async beat(): Promise<void> {
    await this.client
      .multi()
      .set(aliveKey(this.node.nodeId), String(Date.now()), { PX: NODE_TTL_MS })
      .hSet(NODES, this.node.nodeId, JSON.stringify(this.node.figures()))
      .exec();
  }

  /**
   * After an outage: put this node's users back in every room they are in,
   * and drop what they left meanwhile (entries of users gone, rooms parted).
   */
  private async reregister(): Promise<void> {
    const local = new Set<string>();
    for (const [key, session] of [...this.node.presence.claimed()]) {
      local.add(key);
      const won = await this.client.eval(CLAIM, { arguments: [key, this.node.nodeId, session.name ?? key] });
      if (won !== 1) {
        this.log.warn('name-lost-in-outage', { session: session.id, name: session.name });
        continue;
      }
      const user = session.user;
      if (user === undefined) continue;
      for (const room of session.rooms()) this.entered(user, room);
      const listed = await this.client.sMembers(userRoomsKey(key));
      // Compared with the rooms as they are now: one entered while SMEMBERS was out must stay.
      const current = new Set<string>();
      for (const room of session.rooms()) current.add(room.key);
      const parted = listed.filter((room) => !current.has(room));
      await Promise.all(parted.map((room) => this.client.eval(LEAVE, { arguments: [key, room] })));
    }
    for (const key of await this.client.sMembers(nodeUsersKey(this.node.nodeId))) {
      if (!local.has(key)) await this.client.eval(REMOVE, { arguments: [key, this.node.nodeId] });
    }
  }

  private async reapDeadNodes(): Promise<void> {
    const nodes = await this.client.hKeys(NODES);
    for (const node of nodes) {
      if (node === this.node.nodeId) continue;
      if ((await this.client.exists(aliveKey(node))) === 1) continue;
      const lock = await this.client.set(reapLockKey(node), this.node.nodeId, { NX: true, PX: 10_000 });
      if (lock !== 'OK') continue;
      this.log.warn('node-lost', { node });
      await this.reapNode(node, true);
      await this.client.hDel(NODES, node);
    }
  }

  /** Removes every user a node held, from all their rooms; with `announce`, tells each room they left. */
  private async reapNode(node: string, announce: boolean): Promise<void> {
    const keys = await this.client.sMembers(nodeUsersKey(node));
    const lost: LostUser[] = [];
    for (const key of keys) {
      const removed = (await this.client.eval(REMOVE, { arguments: [key, node] })) as string[] | null;
      if (!removed) continue;
      // One LostUser per room they were in: each room is told.
      for (let i = 1; i + 1 < removed.length; i += 2) lost.push({ name: removed[0]!, roomKey: removed[i]!, roomName: removed[i + 1]! });
    }
    await this.client.del(nodeUsersKey(node));
    if (announce && lost.length > 0) this.usersLost(lost);
  }

  private warn(what: string, err: unknown): void {
    this.log.warn('redis-error', { node: this.node.nodeId, during: what, error: err instanceof Error ? err.message : String(err) });
  }
}

function unavailable(err: unknown): ChatError {
  return new ChatError('UNAVAILABLE', `the cluster store is unreachable (${err instanceof Error ? err.message : String(err)}); try again shortly`);
}
