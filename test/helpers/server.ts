// Starting servers for integration tests: in-process through the
// programmatic API (startServer), or as the built bin in a child process.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type ServerDeps } from '../../src/server/server.js';
import type { ServerOptions } from '../../src/server/options.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const serverBin = path.join(repoRoot, 'dist/server/main.js');

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs(). */
export function makeTempDir(prefix = 'chat-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- in-process

export interface TestServer {
  port: number;
  /** The TLS port, when started with tlsCert. */
  tlsPort: number | undefined;
  /** Reads the TLS certificate and key again (what SIGHUP does). */
  reloadTls(): boolean;
  /** The /metrics and /healthz port, when started with metricsPort. */
  metricsPort: number | undefined;
  /** The IRC port, when started with ircPort. */
  ircPort: number | undefined;
  /** The IRC-over-TLS port, when started with ircTlsPort and tlsCert. */
  ircTlsPort: number | undefined;
  /** The web page's HTTP and HTTPS ports, when started with webPort / webTlsPort. */
  webPort: number | undefined;
  webTlsPort: number | undefined;
  dataDir: string;
  options: Partial<ServerOptions>;
  /** Closes the server; safe to call twice. */
  close(): Promise<void>;
}

const running = new Set<TestServer>();

/**
 * Starts the server in this process on an ephemeral port of 127.0.0.1, with
 * a fresh data dir unless `overrides.dataDir` is given.
 */
export async function startTestServer(overrides: Partial<ServerOptions> = {}, deps: ServerDeps = {}): Promise<TestServer> {
  const options: Partial<ServerOptions> = {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'error',
    ...overrides,
    dataDir: overrides.dataDir ?? makeTempDir(),
  };
  const srv = await startServer(options, deps);
  let closing: Promise<void> | undefined;
  const handle: TestServer = {
    port: srv.port,
    tlsPort: srv.tlsPort,
    reloadTls: () => srv.reloadTls(),
    metricsPort: srv.metricsPort,
    ircPort: srv.ircPort,
    ircTlsPort: srv.ircTlsPort,
    webPort: srv.webPort,
    webTlsPort: srv.webTlsPort,
    dataDir: options.dataDir!,
    options,
    close() {
      closing ??= srv.close().finally(() => running.delete(handle));
      return closing;
    },
  };
  running.add(handle);
  return handle;
}

export async function closeAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.close()));
}

// ---------------------------------------------------------------- child process

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedServer {
  proc: ChildProcess;
  /** The plain port (the TLS port with --no-plain). */
  port: number;
  /** The TLS port, with --tls-cert. */
  tlsPort: number | undefined;
  /** The web port, with --web-port. */
  webPort: number | undefined;
  dataDir: string;
  /** Resolves when the process has exited. */
  exited: Promise<ExitInfo>;
  stderr(): string;
  stdout(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit info, or rejects after `timeoutMs`. */
  waitExit(timeoutMs?: number): Promise<ExitInfo>;
}

const children = new Set<ChildProcess>();

function assertBuilt(): void {
  if (!fs.existsSync(serverBin)) {
    throw new Error(`${serverBin} does not exist: run \`npm run build\` before the spawned-bin tests`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Spawns the built bin with `--port 0 --data-dir DIR --log-json` and `args`,
 * and resolves once the JSON log line with "event":"listening" gives the port.
 */
export async function spawnServer(
  args: string[] = [],
  options: { dataDir?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<SpawnedServer> {
  assertBuilt();
  const dataDir = options.dataDir ?? makeTempDir();
  const proc = spawn(process.execPath, [serverBin, '--port', '0', '--data-dir', dataDir, '--log-json', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
  });
  children.add(proc);
  let stderr = '';
  let stdout = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
  });
  const listening = await new Promise<{ port: number; tlsPort: number | undefined; webPort: number | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" log line within ${options.timeoutMs ?? 10_000} ms; stderr: ${stderr}`)), options.timeoutMs ?? 10_000);
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      for (const line of stderr.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const entry = JSON.parse(line) as { event?: string; port?: number; tlsPort?: number; webPort?: number };
          const port = entry.port ?? entry.tlsPort;
          if (entry.event === 'listening' && typeof port === 'number') {
            clearTimeout(timer);
            resolve({ port, tlsPort: entry.tlsPort, webPort: entry.webPort });
            return;
          }
        } catch {
          // a partial line; wait for more
        }
      }
    });
    void exited.then((info) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${JSON.stringify(info)}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    proc,
    port: listening.port,
    tlsPort: listening.tlsPort,
    webPort: listening.webPort,
    dataDir,
    exited,
    stderr: () => stderr,
    stdout: () => stdout,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    waitExit(timeoutMs = 5_000) {
      return withTimeout(exited, timeoutMs, 'server exit');
    },
  };
}

export interface RunResult extends ExitInfo {
  stdout: string;
  stderr: string;
}

/** Runs the built bin to completion (for --help, bad flags, …); kills it after `timeoutMs`. */
export interface RunOptions {
  timeoutMs?: number;
  /** Written to stdin, a pipe (never a terminal); without it stdin is closed at once. */
  input?: string;
  cwd?: string;
  /** Added to the environment; CHAT_REDIS_URL is unset unless given here. */
  env?: Record<string, string>;
}

/** Runs the built chat-server with `args` to its end. */
export function runBin(args: string[], options: number | RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  const { timeoutMs = 10_000, input, cwd = repoRoot, env = {} } = typeof options === 'number' ? { timeoutMs: options } : options;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [serverBin, ...args], {
      cwd,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, CHAT_REDIS_URL: '', ...env },
    });
    children.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`chat-server ${args.join(' ')} still running after ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(proc);
      resolve({ code, signal, stdout, stderr });
    });
    if (input !== undefined) {
      // The child may exit before reading stdin (a usage error): that is no failure here.
      proc.stdin!.on('error', () => {});
      proc.stdin!.end(input);
    }
  });
}

/** SIGKILLs every child still running (for afterEach). */
export async function killAllChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}
