import { nameSkeleton } from '../../protocol/index.js';
import type { RedisClient } from '../redis-connections.js';
import type { Account, ModlogEntry, PrivateMessage, RoomMessage, RoomTopic, Sanction, SanctionKind, Sanctions, Store } from './store.js';

// Cluster mode's store: room history in one capped stream per room, private
// messages in a capped stream (the record) plus a list per addressee of those
// still undelivered, accounts in one hash written with HSETNX so two nodes
// registering one name at once cannot both win.


/** Entries kept per room stream (approximately: XADD MAXLEN ~). */
export const ROOM_STREAM_LENGTH = 10_000;
const PRIVATE_STREAM_LENGTH = 100_000;

export const redisKeys = {
  room: (roomKey: string) => `chat:history:${roomKey}`,
  privates: 'chat:privates',
  undelivered: (userKey: string) => `chat:offline:${userKey}`,
  accounts: 'chat:accounts',
  /** skeleton → JSON { key, name } of the first account that looks like it. */
  skeletons: 'chat:account-skeletons',
  /** name key → JSON of the ban or mute (without addresses). */
  sanctions: (kind: SanctionKind) => `chat:sanctions:${kind}`,
  /** The addresses a ban holds, and the bans holding an address. */
  banAddresses: (userKey: string) => `chat:ban-addresses:${userKey}`,
  addressBans: (address: string) => `chat:address-bans:${address}`,
  modlog: 'chat:modlog',
  /** room key → JSON of the room's topic. */
  topics: 'chat:topics',
  /** The health check's write. */
  health: 'chat:health',
};

/** MODLOG entries kept in cluster mode (the oldest dropped first). */
const MODLOG_LENGTH = 10_000;

// Changes one field of an account's JSON. KEYS: accounts. ARGV: key, field, value, 'b' for a boolean.
const SET_ACCOUNT_FIELD = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local a = cjson.decode(v)
if ARGV[4] == 'b' then a[ARGV[2]] = (ARGV[3] == '1') else a[ARGV[2]] = ARGV[3] end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
return 1`;

// KEYS: accounts, skeletons, the mailbox list. ARGV: key, skeleton.
const DELETE_ACCOUNT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local s = redis.call('HGET', KEYS[2], ARGV[2])
if s and cjson.decode(s).key == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('DEL', KEYS[3])
return 1`;

// A ban or mute with its addresses and its log entry, at once.
// KEYS: the kind's hash, the log. ARGV: key, JSON, log entry JSON, log length, addresses…
const PUT_SANCTION = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 5, #ARGV do
  redis.call('SADD', 'chat:ban-addresses:' .. ARGV[1], ARGV[i])
  redis.call('SADD', 'chat:address-bans:' .. ARGV[i], ARGV[1])
end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
return 1`;

// KEYS: bans. ARGV: key, addresses… (only while the name is banned).
const ADD_BAN_ADDRESSES = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV do
  redis.call('SADD', 'chat:ban-addresses:' .. ARGV[1], ARGV[i])
  redis.call('SADD', 'chat:address-bans:' .. ARGV[i], ARGV[1])
end
return 1`;

// Lifts a ban (with its addresses) or mute, logging the entry when it was in force.
// KEYS: the kind's hash, the log. ARGV: key, kind, now, log entry JSON, log length. Returns 1 when lifted.
const LIFT = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] == 'ban' then
  for _, address in ipairs(redis.call('SMEMBERS', 'chat:ban-addresses:' .. ARGV[1])) do
    redis.call('SREM', 'chat:address-bans:' .. address, ARGV[1])
  end
  redis.call('DEL', 'chat:ban-addresses:' .. ARGV[1])
end
if not v then return 0 end
local untilTime = tonumber(cjson.decode(v)['until'])
if untilTime ~= 0 and untilTime <= tonumber(ARGV[3]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
return 1`;

// KEYS: bans, mutes. ARGV: key, address ('' for none). Returns the ban, the mute and
// the bans holding the address, as JSON with the name key and addresses in.
const SANCTIONS_FOR = `
local function get(kind, hash, key)
  local v = redis.call('HGET', hash, key)
  if not v then return false end
  local s = cjson.decode(v)
  s.key = key
  s.kind = kind
  if kind == 'ban' then s.addresses = redis.call('SMEMBERS', 'chat:ban-addresses:' .. key) end
  return cjson.encode(s)
end
local out = { get('ban', KEYS[1], ARGV[1]) or '', get('mute', KEYS[2], ARGV[1]) or '' }
if ARGV[2] ~= '' then
  for _, key in ipairs(redis.call('SMEMBERS', 'chat:address-bans:' .. ARGV[2])) do
    local b = get('ban', KEYS[1], key)
    if b then out[#out + 1] = b end
  end
end
return out`;

type StoredSanction = Omit<Sanction, 'addresses'> & { addresses?: string[] | Record<string, never> };

function parseSanction(json: string): Sanction {
  const s = JSON.parse(json) as StoredSanction;
  // cjson writes an empty array as {}.
  return { ...s, addresses: Array.isArray(s.addresses) ? [...s.addresses].sort() : [] };
}

const inForce = (s: Sanction, now: number): boolean => s.until === 0 || s.until > now;

type StreamEntry = { id: string; message: Record<string, string> };

// One turn's appends. ARGV: room stream length, private stream length, then
// records: 'r', room key, time, room, from, message; or 'p', time, from,
// from key, to, to key, message, delivered (1/0), the record as JSON (for
// the addressee's offline list).
const APPEND_CHUNK = 500;
/** Messages waiting in a mailbox list and the bytes of their text. */
const MAILBOX_SCRIPT = `
local bytes = 0
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  bytes = bytes + #cjson.decode(item).message
end
return { redis.call('LLEN', KEYS[1]), bytes }
`;

function parseAccount(key: string, value: string): Account {
  const { name, secret, createdAt, operator } = JSON.parse(value) as { name: string; secret: string; createdAt: number; operator?: boolean };
  return { key, name, secret, createdAt, operator: operator === true };
}

function parseUndelivered(item: string): PrivateMessage {
  const f = JSON.parse(item) as Record<string, string>;
  return { time: Number(f.time), from: f.from!, fromKey: f.fromKey!, to: f.to!, toKey: f.toKey!, message: f.message!, delivered: true };
}

const APPEND_SCRIPT = `
local i = 3
while i <= #ARGV do
  if ARGV[i] == 'r' then
    redis.call('XADD', 'chat:history:' .. ARGV[i + 1], 'MAXLEN', '~', ARGV[1], '*',
      'time', ARGV[i + 2], 'room', ARGV[i + 3], 'from', ARGV[i + 4], 'message', ARGV[i + 5])
    i = i + 6
  else
    redis.call('XADD', 'chat:privates', 'MAXLEN', '~', ARGV[2], '*', 'time', ARGV[i + 1], 'from', ARGV[i + 2],
      'fromKey', ARGV[i + 3], 'to', ARGV[i + 4], 'toKey', ARGV[i + 5], 'message', ARGV[i + 6])
    if ARGV[i + 7] == '0' then redis.call('RPUSH', 'chat:offline:' .. ARGV[i + 5], ARGV[i + 8]) end
    i = i + 9
  end
end
return 1`;

export class RedisStore implements Store {
  private pending: Array<RoomMessage | PrivateMessage> = [];
  /** The latest commit not yet acknowledged: output waits for it, whoever started it. */
  private inFlight: Promise<void> | undefined;

  constructor(private readonly client: RedisClient) {}

  appendRoom(message: RoomMessage): void {
    this.pending.push(message);
  }

  appendPrivate(message: PrivateMessage): void {
    this.pending.push(message);
  }

  /**
   * Sends the turn's appends as one script call (atomic, and one command
   * however many messages); resolves once Redis has them.
   */
  flush(): Promise<void> | void {
    if (this.pending.length === 0) return this.inFlight;
    const batch = this.pending;
    this.pending = [];
    // One script call per chunk: arguments stay bounded however long the turn.
    const calls: Array<Promise<unknown>> = [];
    for (let start = 0; start < batch.length; start += APPEND_CHUNK) {
      const args: string[] = [String(ROOM_STREAM_LENGTH), String(PRIVATE_STREAM_LENGTH)];
      for (const m of batch.slice(start, start + APPEND_CHUNK)) {
        if ('roomKey' in m) {
          args.push('r', m.roomKey, String(m.time), m.room, m.from, m.message);
        } else {
          const fields = { time: String(m.time), from: m.from, fromKey: m.fromKey, to: m.to, toKey: m.toKey, message: m.message };
          args.push('p', fields.time, m.from, m.fromKey, m.to, m.toKey, m.message, m.delivered ? '1' : '0', JSON.stringify(fields));
        }
      }
      calls.push(this.client.eval(APPEND_SCRIPT, { arguments: args }));
    }
    const commit: Promise<void> = Promise.all(calls).then(
      () => {
        if (this.inFlight === commit) this.inFlight = undefined;
      },
      (err: unknown) => {
        if (this.inFlight === commit) this.inFlight = undefined;
        throw err;
      },
    );
    this.inFlight = commit;
    return commit;
  }

  async recentRoom(roomKey: string, limit: number): Promise<RoomMessage[]> {
    await this.flush();
    const entries = (await this.client.xRevRange(redisKeys.room(roomKey), '+', '-', { COUNT: limit })) as unknown as StreamEntry[];
    return entries.reverse().map(({ message: f }) => ({
      time: Number(f.time),
      roomKey,
      room: f.room ?? roomKey,
      from: f.from ?? '',
      message: f.message ?? '',
    }));
  }

  async mailbox(toKey: string): Promise<{ count: number; bytes: number }> {
    await this.flush();
    const [count, bytes] = (await this.client.eval(MAILBOX_SCRIPT, { keys: [redisKeys.undelivered(toKey)] })) as [number, number];
    return { count, bytes };
  }

  async peekUndelivered(toKey: string, limit: number): Promise<Array<PrivateMessage & { ref: string }>> {
    await this.flush();
    const items = await this.client.lRange(redisKeys.undelivered(toKey), 0, limit - 1);
    return items.map((item, i) => ({ ...parseUndelivered(item), delivered: false, ref: String(i) }));
  }

  async markDelivered(toKey: string, refs: readonly string[]): Promise<void> {
    // Peeked from the head in order, and only its owner reads a mailbox: drop that many from the head.
    if (refs.length > 0) await this.client.lTrim(redisKeys.undelivered(toKey), refs.length, -1);
  }

  async takeUndelivered(toKey: string): Promise<PrivateMessage[]> {
    await this.flush();
    const key = redisKeys.undelivered(toKey);
    const [items] = (await this.client.multi().lRange(key, 0, -1).del(key).exec()) as unknown as [string[], number];
    return items.map((item) => {
      const f = JSON.parse(item) as Record<string, string>;
      return {
        time: Number(f.time),
        from: f.from!,
        fromKey: f.fromKey!,
        to: f.to!,
        toKey: f.toKey!,
        message: f.message!,
        delivered: true,
      };
    });
  }

  async getAccount(key: string): Promise<Account | undefined> {
    const value = await this.client.hGet(redisKeys.accounts, key);
    if (value === null || value === undefined) return undefined;
    return parseAccount(key, value);
  }

  async createAccount(account: Account): Promise<boolean> {
    const value = JSON.stringify({ name: account.name, secret: account.secret, createdAt: account.createdAt, operator: account.operator });
    const created = (await this.client.hSetNX(redisKeys.accounts, account.key, value)) === 1;
    if (created) await this.client.hSetNX(redisKeys.skeletons, nameSkeleton(account.name), JSON.stringify({ key: account.key, name: account.name }));
    return created;
  }

  async lookalikeAccount(skeleton: string, key: string): Promise<string | undefined> {
    const value = await this.client.hGet(redisKeys.skeletons, skeleton);
    if (value === null || value === undefined) return undefined;
    const found = JSON.parse(value) as { key: string; name: string };
    return found.key === key ? undefined : found.name;
  }

  async listAccounts(): Promise<Account[]> {
    const accounts: Account[] = [];
    for await (const entries of this.client.hScanIterator(redisKeys.accounts, { COUNT: 500 })) {
      for (const { field, value } of entries) accounts.push(parseAccount(field, value));
    }
    return accounts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async setSecret(key: string, secret: string): Promise<boolean> {
    return (await this.client.eval(SET_ACCOUNT_FIELD, { keys: [redisKeys.accounts], arguments: [key, 'secret', secret, 's'] })) === 1;
  }

  async setOperator(key: string, operator: boolean): Promise<boolean> {
    const args = [key, 'operator', operator ? '1' : '0', 'b'];
    return (await this.client.eval(SET_ACCOUNT_FIELD, { keys: [redisKeys.accounts], arguments: args })) === 1;
  }

  async deleteAccount(key: string): Promise<boolean> {
    const account = await this.getAccount(key);
    if (account === undefined) return false;
    const keys = [redisKeys.accounts, redisKeys.skeletons, redisKeys.undelivered(key)];
    return (await this.client.eval(DELETE_ACCOUNT, { keys, arguments: [key, nameSkeleton(account.name)] })) === 1;
  }

  async putSanction(sanction: Sanction, entry: ModlogEntry): Promise<void> {
    const { addresses, key, kind, ...rest } = sanction;
    const args = [key, JSON.stringify(rest), JSON.stringify(entry), String(MODLOG_LENGTH), ...(kind === 'ban' ? addresses : [])];
    await this.client.eval(PUT_SANCTION, { keys: [redisKeys.sanctions(kind), redisKeys.modlog], arguments: args });
  }

  async addBanAddresses(key: string, addresses: readonly string[]): Promise<void> {
    if (addresses.length === 0) return;
    await this.client.eval(ADD_BAN_ADDRESSES, { keys: [redisKeys.sanctions('ban')], arguments: [key, ...addresses] });
  }

  async liftSanction(kind: SanctionKind, key: string, entry: ModlogEntry): Promise<boolean> {
    const args = [key, kind, String(entry.time), JSON.stringify(entry), String(MODLOG_LENGTH)];
    return (await this.client.eval(LIFT, { keys: [redisKeys.sanctions(kind), redisKeys.modlog], arguments: args })) === 1;
  }

  async sanctionsFor(key: string, address: string | undefined, now: number): Promise<Sanctions> {
    const keys = [redisKeys.sanctions('ban'), redisKeys.sanctions('mute')];
    const [ban = '', mute = '', ...byAddress] = (await this.client.eval(SANCTIONS_FOR, { keys, arguments: [key, address ?? ''] })) as string[];
    const found: Sanctions = {};
    if (ban !== '') {
      const s = parseSanction(ban);
      if (inForce(s, now)) found.ban = s;
    }
    if (mute !== '') {
      const s = parseSanction(mute);
      if (inForce(s, now)) found.mute = s;
    }
    // The one lasting longest, as SQLite picks it.
    const held = byAddress.map(parseSanction).filter((s) => inForce(s, now));
    held.sort((a, b) => (a.until === 0 ? -1 : b.until === 0 ? 1 : b.until - a.until));
    if (held[0] !== undefined) found.addressBan = held[0];
    return found;
  }

  async appendModlog(entry: ModlogEntry): Promise<void> {
    await this.client.multi().rPush(redisKeys.modlog, JSON.stringify(entry)).lTrim(redisKeys.modlog, -MODLOG_LENGTH, -1).exec();
  }

  async recentModlog(limit: number): Promise<ModlogEntry[]> {
    const items = await this.client.lRange(redisKeys.modlog, -limit, -1);
    return items.map((item) => JSON.parse(item) as ModlogEntry);
  }

  async roomTopic(roomKey: string): Promise<RoomTopic | undefined> {
    const value = await this.client.hGet(redisKeys.topics, roomKey);
    if (value === null || value === undefined) return undefined;
    const { room, topic, by, at } = JSON.parse(value) as RoomTopic;
    return { roomKey, room, topic, by, at };
  }

  async setRoomTopic(topic: RoomTopic): Promise<void> {
    if (topic.topic === '') {
      await this.client.hDel(redisKeys.topics, topic.roomKey);
      return;
    }
    const { roomKey, room, by, at } = topic;
    await this.client.hSet(redisKeys.topics, roomKey, JSON.stringify({ roomKey, room, topic: topic.topic, by, at }));
  }

  async checkWritable(now: number): Promise<void> {
    await this.client.set(redisKeys.health, String(now));
  }

  close(): void {
    // The client belongs to the cluster connection, which closes it.
  }
}
