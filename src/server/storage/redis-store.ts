import { nameSkeleton } from '../../protocol/index.js';
import type { RedisClient } from '../redis-connections.js';
import type { Account, PrivateMessage, RoomMessage, Store } from './store.js';

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
};

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
    const { name, secret, createdAt } = JSON.parse(value) as { name: string; secret: string; createdAt: number };
    return { key, name, secret, createdAt };
  }

  async createAccount(account: Account): Promise<boolean> {
    const value = JSON.stringify({ name: account.name, secret: account.secret, createdAt: account.createdAt });
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

  close(): void {
    // The client belongs to the cluster connection, which closes it.
  }
}
