import { createClient } from 'redis';
import type { Account, PrivateMessage, RoomMessage, Store } from './store.js';

// Cluster mode's store: room history in one capped stream per room, private
// messages in a capped stream (the record) plus a list per addressee of those
// still undelivered, accounts in one hash written with HSETNX so two nodes
// registering one name at once cannot both win.

export type RedisClient = ReturnType<typeof createClient>;

/** Entries kept per room stream (approximately: XADD MAXLEN ~). */
export const ROOM_STREAM_LENGTH = 10_000;
const PRIVATE_STREAM_LENGTH = 100_000;

export const redisKeys = {
  room: (roomKey: string) => `chat:history:${roomKey}`,
  privates: 'chat:privates',
  undelivered: (userKey: string) => `chat:offline:${userKey}`,
  accounts: 'chat:accounts',
};

type StreamEntry = { id: string; message: Record<string, string> };

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

  /** Sends the turn's appends as one MULTI; resolves once Redis has them. */
  flush(): Promise<void> | void {
    if (this.pending.length === 0) return this.inFlight;
    const batch = this.pending;
    this.pending = [];
    const multi = this.client.multi();
    for (const m of batch) {
      if ('roomKey' in m) {
        multi.xAdd(redisKeys.room(m.roomKey), '*', { time: String(m.time), room: m.room, from: m.from, message: m.message }, {
          TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: ROOM_STREAM_LENGTH },
        });
      } else {
        const fields = { time: String(m.time), from: m.from, fromKey: m.fromKey, to: m.to, toKey: m.toKey, message: m.message };
        multi.xAdd(redisKeys.privates, '*', fields, {
          TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: PRIVATE_STREAM_LENGTH },
        });
        if (!m.delivered) multi.rPush(redisKeys.undelivered(m.toKey), JSON.stringify(fields));
      }
    }
    const commit: Promise<void> = multi.exec().then(
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
    return (await this.client.hSetNX(redisKeys.accounts, account.key, value)) === 1;
  }

  close(): void {
    // The client belongs to the cluster connection, which closes it.
  }
}
