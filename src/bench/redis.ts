// The Redis server of the cluster scenario: started by the bench in a temp
// dir on a free loopback port (killed by its PID like every other child),
// and read through INFO and /proc while the scenario runs.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { createClient } from 'redis';
import { parseInfo } from './redis-info.js';
import { processCpuSeconds, sleep, terminate, trackChild, type ChildServer } from './system.js';

export interface RedisSpawnOptions {
  /** The redis-server binary. */
  binary: string;
  /** Working directory (AOF files land here when AOF is switched on). */
  dir: string;
  /** CPU to pin it to with taskset, if any. */
  cpu: number | undefined;
  /** Persistence settings (default REDIS_BENCH_ARGS). */
  persistence?: readonly string[];
  startTimeoutMs?: number;
}

/**
 * Settings of the throughput figures: no RDB snapshots, no AOF, so the
 * figures are Redis's in-memory work.
 */
export const REDIS_BENCH_ARGS = ['--save', '', '--appendonly', 'no'];
/** The same with the append-only file, fsync'd once a second: what persistence costs. */
export const REDIS_AOF_ARGS = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'];

/** Redis arguments as one would type them in a shell. */
export function shellArgs(args: readonly string[]): string {
  return args.map((a) => (a === '' ? "''" : a)).join(' ');
}

/** A free TCP port on 127.0.0.1 (the OS's pick; released again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something on host:port answers PING with +PONG. */
function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

/**
 * Starts `redis-server` on a free loopback port (`--bind 127.0.0.1`), with
 * the bench's settings, and waits until it answers PING. The PID is
 * redis-server's own (taskset execs it).
 */
export async function spawnRedis(options: RedisSpawnOptions): Promise<ChildServer> {
  let lastError: Error | undefined;
  // The port is free when asked for, but another process may take it before
  // Redis binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await spawnOn(port, options);
    } catch (err) {
      lastError = err instanceof Error ? err : new Error(String(err));
    }
  }
  throw lastError ?? new Error('redis-server did not start');
}

async function spawnOn(port: number, options: RedisSpawnOptions): Promise<ChildServer> {
  const redisArgs = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--dir', options.dir,
    '--daemonize', 'no',
    '--logfile', '',
    '--loglevel', 'warning',
    ...(options.persistence ?? REDIS_BENCH_ARGS),
  ];
  const [command, args] = options.cpu !== undefined ? ['taskset', ['-c', String(options.cpu), options.binary, ...redisArgs]] : [options.binary, redisArgs];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.dir });
  trackChild(child);
  const tail: string[] = [];
  const keep = (text: string): void => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  let exited = false;
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = (graceMs = 5000): Promise<void> => terminate(child, () => exited, exitPromise, graceMs);
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (spawnError !== undefined) throw new Error(`cannot start ${options.binary}: ${spawnError.message}`);
    if (exited) throw new Error(`redis-server exited before answering on port ${port}${tail.length > 0 ? `\n${tail.join('\n')}` : ''}`);
    if (await ping(port)) break;
    if (Date.now() > deadline) {
      await stop(0);
      throw new Error(`redis-server did not answer on port ${port} within ${options.startTimeoutMs ?? 10_000} ms`);
    }
    await sleep(50);
  }
  return {
    label: 'redis-server',
    host: '127.0.0.1',
    port,
    pid: child.pid,
    stderrTail: () => tail.join('\n'),
    stop,
  };
}

/** One reading of Redis: its INFO counters and the process's CPU time. */
export interface RedisSnapshot {
  info: Map<string, string>;
  cpuSeconds: number | undefined;
}

/** The bench's own connection to Redis: INFO readings. */
export class RedisProbe {
  private constructor(
    private readonly client: ReturnType<typeof createClient>,
    private readonly pid: number | undefined,
  ) {}

  static async connect(port: number, pid: number | undefined): Promise<RedisProbe> {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
    client.on('error', () => undefined); // a failed command rejects; nothing to log here
    await client.connect();
    return new RedisProbe(client, pid);
  }

  /** INFO all (stats, commandstats, persistence, …) and /proc CPU time. */
  async snapshot(): Promise<RedisSnapshot> {
    const cpuSeconds = this.pid === undefined ? undefined : processCpuSeconds(this.pid);
    const text = String(await this.client.sendCommand(['INFO', 'all']));
    return { info: parseInfo(text), cpuSeconds };
  }

  async close(): Promise<void> {
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}
