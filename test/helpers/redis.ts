// Redis for the cluster-mode tests (STYLE pattern 9: a real redis-server,
// never a skip).
//
// startRedis() runs a redis-server of the test's own on a free loopback port,
// with AOF on and fsync on every write, so a test can stop, SIGKILL and
// restart it and find its data again.
//
// sharedRedis() is what most Redis test files use. In CI, `.ci/run` starts
// one redis-server and exports CHAT_TEST_REDIS_URL; each test file then
// leases a logical database of its own (1..15, leased with SET NX in db 0,
// so two files never share one) and empties only that database. Without the
// variable a file gets a redis-server of its own from startRedis().
//
// Pub/sub channels are not per database in Redis: PUBLISH reaches every
// subscriber of the server whatever database it selected. Files that
// subscribe (the bus and cluster tests) therefore also lease the server's
// pub/sub for as long as they run (`sharedRedis({ pubsub: true })`), so two of
// them never hear each other's room traffic.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';

type Client = ReturnType<typeof createClient>;

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- own server

export interface RedisInstance {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The data directory (AOF files); kept by stop() and kill(). */
  readonly dir: string;
  /** The running redis-server's PID, or undefined while it is stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, then waits for the process to exit (Redis writes its AOF first). */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the process to exit. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and dir: AOF data comes back. */
  restart(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
  /** What redis-server printed (the end of it), for error messages. */
  output(): string;
}

/** Where redis-server is, or undefined. */
function findRedisServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'redis-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const MISSING =
  'redis-server is not installed: install the Debian package redis-server (apt-get install redis-server); ' +
  'the cluster-mode tests need a real Redis and are never skipped';

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One raw `PING` on a fresh socket: true on `+PONG`, false on anything else (LOADING, refused, …). */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      // A server with a password answers NOAUTH: it is up all the same.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('close', () => done(false));
  });
}

const running = new Set<ChildProcess>();
const ownDirs = new Set<string>();

// A crashed test file must not leave redis-servers behind: kill ours, by PID.
process.once('exit', () => {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of ownDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * If this process dies without stopping its redis-server (a worker killed on
 * a timeout runs no exit handlers), a detached shell kills that server, by
 * its PID, once this process is gone; it ends by itself when the server does.
 */
function watchdog(redisPid: number): void {
  const script = `while kill -0 ${redisPid} 2>/dev/null; do if ! kill -0 ${process.pid} 2>/dev/null; then kill -9 ${redisPid}; exit 0; fi; sleep 0.5; done`;
  try {
    spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
  } catch {
    // Best effort: the exit handler below still covers an orderly exit.
  }
}

/** Starts a redis-server of this test's own (with `extraArgs`: --requirepass, --tls-port…); resolves once it answers PING. */
export async function startRedis(extraArgs: readonly string[] = []): Promise<RedisInstance> {
  const binary = findRedisServer();
  if (binary === undefined) throw new Error(MISSING);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-redis-'));
  ownDirs.add(dir);
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--daemonize', 'no',
    ...extraArgs,
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const launch = async (): Promise<void> => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    const keep = (d: Buffer): void => {
      output = (output + d.toString('utf8')).slice(-8000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    if (proc.pid !== undefined) watchdog(proc.pid);
    let spawnError: Error | undefined;
    exited = new Promise<void>((resolve) => {
      proc.once('error', (err) => {
        spawnError = err;
        running.delete(proc);
        resolve();
      });
      proc.once('exit', () => {
        running.delete(proc);
        resolve();
      });
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError !== undefined) {
        throw (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(MISSING) : spawnError;
      }
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server on port ${port} exited (${proc.exitCode ?? proc.signalCode}) before answering PING:\n${output}`);
      }
      if (await pingRedis(port)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await sleep(30);
    }
  };

  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === undefined || !isRunning()) return;
    proc.kill(sig);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
    });
    const result = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (result === 'late') {
      proc.kill('SIGKILL');
      await exited;
    }
  };

  await launch();
  const instance: RedisInstance = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return isRunning() ? child!.pid : undefined;
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart() {
      if (isRunning()) await signal('SIGTERM');
      await launch();
    },
    async destroy() {
      await signal('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
      ownDirs.delete(dir);
    },
    output: () => output,
  };
  return instance;
}

// ---------------------------------------------------------------- shared server

export interface SharedRedis {
  /** redis://HOST:PORT/DB: the database this file may use as it likes. */
  readonly url: string;
  readonly db: number;
  /** The redis-server this file started, when CHAT_TEST_REDIS_URL was not set. */
  readonly own: RedisInstance | undefined;
  /** FLUSHDB of this file's database (never FLUSHALL). */
  flush(): Promise<void>;
  /** Empties the database, gives up the leases, stops the own server if any. */
  release(): Promise<void>;
}

/** How long a file may wait for the pub/sub lease while another file holds it. */
export const PUBSUB_WAIT_MS = 240_000;
const LEASE_MS = 60_000;
const LEASE_REFRESH_MS = 15_000;
const LEASE_PREFIX = 'chat-test:lease:';
const PUBSUB_LEASE = `${LEASE_PREFIX}pubsub`;

const RELEASE_IF_MINE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const REFRESH_IF_MINE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

function withDb(base: string, db: number): string {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
}

async function flushDb(url: string): Promise<void> {
  const client: Client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.flushDb();
  } finally {
    await client.close();
  }
}

/**
 * A Redis database for this test file. `pubsub: true` also waits for the
 * shared server's pub/sub lease (see the top of this file).
 */
export async function sharedRedis(options: { pubsub?: boolean } = {}): Promise<SharedRedis> {
  const base = process.env.CHAT_TEST_REDIS_URL;
  if (base === undefined || base === '') {
    const own = await startRedis();
    const url = withDb(own.url, 1);
    return {
      url,
      db: 1,
      own,
      flush: () => flushDb(url),
      release: () => own.destroy(),
    };
  }

  // Leases live in db 0 of the shared server, one key per database and one for pub/sub.
  const admin: Client = createClient({ url: withDb(base, 0) });
  admin.on('error', () => {});
  await admin.connect();
  const token = `${process.pid}:${randomUUID()}`;
  const held: string[] = [];
  const take = async (key: string): Promise<boolean> => {
    const ok = (await admin.set(key, token, { NX: true, PX: LEASE_MS })) === 'OK';
    if (ok) held.push(key);
    return ok;
  };
  const refresher = setInterval(() => {
    for (const key of held) {
      admin.eval(REFRESH_IF_MINE, { keys: [key], arguments: [token, String(LEASE_MS)] }).catch(() => {});
    }
  }, LEASE_REFRESH_MS);
  refresher.unref();
  const giveBack = async (): Promise<void> => {
    clearInterval(refresher);
    for (const key of held.splice(0)) {
      await admin.eval(RELEASE_IF_MINE, { keys: [key], arguments: [token] }).catch(() => {});
    }
    await admin.close().catch(() => admin.destroy());
  };

  try {
    if (options.pubsub) {
      const deadline = Date.now() + PUBSUB_WAIT_MS;
      while (!(await take(PUBSUB_LEASE))) {
        if (Date.now() > deadline) throw new Error(`the pub/sub lease on ${base} was not free within ${PUBSUB_WAIT_MS} ms`);
        await sleep(200);
      }
    }
    let db = 0;
    const first = 1 + (process.pid % 15);
    const deadline = Date.now() + 30_000;
    while (db === 0) {
      for (let i = 0; i < 15 && db === 0; i++) {
        const candidate = 1 + ((first - 1 + i) % 15);
        if (await take(`${LEASE_PREFIX}db:${candidate}`)) db = candidate;
      }
      if (db !== 0) break;
      if (Date.now() > deadline) throw new Error(`no free database 1..15 on ${base}`);
      await sleep(200);
    }
    const url = withDb(base, db);
    await flushDb(url);
    return {
      url,
      db,
      own: undefined,
      flush: () => flushDb(url),
      async release() {
        try {
          await flushDb(url);
        } finally {
          await giveBack();
        }
      },
    };
  } catch (err) {
    await giveBack();
    throw err;
  }
}

/** A connected `redis` client (for assertions on keys); the caller closes it. */
export async function redisClient(url: string): Promise<Client> {
  const client: Client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}
