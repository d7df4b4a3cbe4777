import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import type { Logger } from './log.js';

/** A node-redis client, as the store, the bus and the directory use it. */
export type RedisClient = ReturnType<typeof createClient>;

// The Redis connections of a cluster node: one for commands (store,
// directory, publishing) and one for subscriptions. Both reconnect by
// themselves with capped exponential backoff and jitter; while either is
// down the node keeps its local sessions and refuses what needs Redis.

/** How long start-up waits for Redis before giving up with a clear error. */
const CONNECT_TIMEOUT_MS = 5000;

export interface RedisConnections {
  client: RedisClient;
  subscriber: RedisClient;
  close(): Promise<void>;
}

export function reconnectDelay(retries: number, random: () => number = Math.random): number {
  const base = Math.min(100 * 2 ** Math.min(retries, 10), 3000);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** The URL as logs and errors show it: a password in it is replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

export interface RedisTls {
  /** A PEM file of the CA that signed Redis's certificate (for rediss:// URLs). */
  caFile?: string | undefined;
}

export async function connectRedis(url: string, log: Logger, tls: RedisTls = {}): Promise<RedisConnections> {
  // rediss:// is Redis over TLS; a private CA is read once, up front, so a wrong path fails the start clearly.
  const secure = url.startsWith('rediss:');
  let ca: string | undefined;
  if (secure && tls.caFile !== undefined) {
    try {
      ca = readFileSync(tls.caFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --redis-ca ${tls.caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const socket = { connectTimeout: 2000, reconnectStrategy: (retries: number) => reconnectDelay(retries) };
  /** Why the last attempt failed (a wrong password, a certificate), for the start-up error. */
  let lastError: string | undefined;
  const make = (role: string): RedisClient => {
    const client: RedisClient = createClient({
      url,
      // Fail fast while disconnected instead of queueing: the caller answers UNAVAILABLE.
      disableOfflineQueue: true,
      socket: secure ? { ...socket, tls: true, ...(ca !== undefined ? { ca } : {}) } : socket,
    });
    let down = false;
    client.on('error', (err: Error) => {
      lastError = err.message;
      if (!down) log.warn('redis-connection-error', { role, error: err.message });
      down = true;
    });
    client.on('ready', () => {
      if (down) log.info('redis-reconnected', { role });
      down = false;
    });
    return client;
  };
  const client = make('commands');
  const subscriber = make('subscriber');
  const connect = Promise.all([client.connect(), subscriber.connect()]);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`cannot reach Redis at ${redactUrl(url)}${lastError === undefined ? '' : ` (${lastError})`}`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([connect, timeout]);
  } catch (err) {
    client.destroy();
    subscriber.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    client,
    subscriber,
    async close() {
      for (const c of [subscriber, client]) {
        if (!c.isOpen) continue;
        if (!c.isReady) {
          c.destroy();
          continue;
        }
        try {
          await Promise.race([c.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('close timed out')), 2000).unref())]);
        } catch {
          c.destroy();
        }
      }
    },
  };
}
