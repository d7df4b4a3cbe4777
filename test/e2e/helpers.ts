// Helpers for the client's end-to-end tests: the server in-process or as the
// built bin, the built chat-client as a child process, a raw line client to
// play the other user, and tmux for a real terminal. Every wait polls with a
// timeout; nothing sleeps a fixed time.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/server/server.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const clientBin = path.join(repoRoot, 'dist/client/main.js');
export const serverBin = path.join(repoRoot, 'dist/server/main.js');

export function assertBuilt(): void {
  for (const bin of [clientBin, serverBin]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist: run \`npm run build\` first`);
  }
}

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs everything registered with `onCleanup`, newest first (call from afterEach). */
export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // keep cleaning
    }
  }
}

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export function tempDir(prefix = 'chat-client-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  describe?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n--- state:\n${describe()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- servers

export interface InProcessServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the server in this process on a free port; `dataDir` lets a second server take over the first one's data. */
export async function startInProcessServer(dataDir = tempDir()): Promise<InProcessServer> {
  const srv = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'error' });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= srv.close());
  onCleanup(close);
  return { port: srv.port, close };
}

export interface ServerProcess {
  port: number;
  proc: ChildProcess;
  /** SIGTERM, resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Starts `node dist/server/main.js` and reads the port from its "listening" JSON log line. */
export async function spawnServerProcess(dataDir: string, port = 0): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [serverBin, '--port', String(port), '--data-dir', dataDir, '--log-json'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const listening = await waitFor(
    'the server to log "listening"',
    () => {
      if (proc.exitCode !== null) throw new Error(`server exited early: ${stderr}`);
      for (const line of stderr.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const entry = JSON.parse(line) as { event?: string; port?: number };
          if (entry.event === 'listening' && typeof entry.port === 'number') return entry.port;
        } catch {
          // partial line
        }
      }
      return undefined;
    },
    15_000,
  );
  return { port: listening, proc, stop };
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------- a port that outlives servers

/**
 * A TCP forwarder on a port of its own, in front of servers that come and go:
 * the client keeps one address while the test stops and starts servers behind
 * it. While no server is set, new connections wait (the client sees a slow
 * login, not a refusal); `refuse()` stops listening, so connections are
 * refused, until `forwardTo()` listens again.
 */
export class Forwarder {
  private target: number | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly port: number) {}

  static async start(target?: number): Promise<Forwarder> {
    const forwarder = new Forwarder(await freePort());
    forwarder.target = target;
    await forwarder.listen();
    onCleanup(() => forwarder.close());
    return forwarder;
  }

  /** Sends new connections to `port` (listening again after refuse()). */
  async forwardTo(port: number | undefined): Promise<void> {
    this.target = port;
    if (this.server === undefined) await this.listen();
  }

  /** Stops listening: new connections are refused. Open ones stay. */
  refuse(): void {
    // close() stops listening at once; its callback would wait for the open connections too.
    this.server?.close();
    this.server = undefined;
  }

  close(): void {
    this.refuse();
    for (const socket of this.sockets) socket.destroy();
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      this.pipe(client).catch(() => client.destroy());
    });
    this.server = server;
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private async pipe(client: net.Socket): Promise<void> {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    client.pause();
    const target = await waitFor('a server to forward to', () => this.target ?? (client.destroyed ? -1 : undefined), 30_000);
    if (target === -1) return;
    const upstream = net.createConnection({ host: '127.0.0.1', port: target });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.pipe(client);
    client.pipe(upstream);
    client.resume();
  }
}

// ---------------------------------------------------------------- raw line client

/** The other user in a test: speaks the protocol directly. */
export class LineClient {
  readonly lines: string[] = [];
  private buffer = '';
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<LineClient> {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new LineClient(socket);
    onCleanup(() => client.close());
    return client;
  }

  /** Connects and logs in; resolves after SUCCESS and our own join notice. */
  static async login(port: number, name: string): Promise<LineClient> {
    const client = await LineClient.connect(port);
    client.send(`LOGIN|${name}`);
    await client.waitFor(`SYSTEM|${name} joined lobby`);
    return client;
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits for a line equal to `expected` (or matching it); returns it. */
  waitFor(expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const match = (l: string) => (typeof expected === 'string' ? l === expected : expected.test(l));
    return waitFor(`a line ${String(expected)}`, () => this.lines.find(match), timeoutMs, () => this.lines.join('\n'));
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- the client bin

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built chat-client with piped stdio (scripting mode); resolves when it exits. */
export function runClient(args: string[], input = '', env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [clientBin, ...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: undefined, ...env },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`chat-client ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
    proc.stdin.end(input);
  });
}

// ---------------------------------------------------------------- tmux

let tmuxCount = 0;

/** A detached tmux server of its own (`tmux -L`), with one fixed-size window. */
export class Tmux {
  readonly socketName = `chat-e2e-${process.pid}-${++tmuxCount}-${Date.now().toString(36)}`;

  private constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  static available(): boolean {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /** Starts `command` (argv) in a new session; after it exits, the pane shows EXIT=<code>. */
  static async start(argv: string[], options: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<Tmux> {
    const t = new Tmux(options.width ?? 100, options.height ?? 30);
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const env = Object.entries(options.env ?? {})
      .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}' `)
      .join('');
    // The shell keeps the pane (and its last screen) after the client exits.
    const shell = `${env}${quoted}; echo EXIT=$?; sleep 600`;
    t.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(t.width), '-y', String(t.height), shell);
    onCleanup(() => t.kill());
    return t;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socketName, ...args], { encoding: 'utf8', cwd: repoRoot });
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux('send-keys', '-t', 'main', '-l', text);
  }

  /** Presses keys by name: Enter, Tab, C-d, C-c, Left … */
  keys(...names: string[]): void {
    this.tmux('send-keys', '-t', 'main', ...names);
  }

  /** The visible screen as text, trailing blank lines removed. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'main').replace(/\s+$/, '');
  }

  /** The screen with wrapped rows joined into their logical lines (tmux capture-pane -J). */
  joinedScreen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 'main').replace(/\s+$/, '');
  }

  /** The scrollback and the screen, wrapped rows joined: every line the terminal still holds. */
  everything(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main').replace(/\s+$/, '');
  }

  /** Resizes the window, as a user dragging the terminal's edge (the program gets SIGWINCH). */
  resize(width: number, height: number): void {
    // resize-window also sets window-size to manual, so tmux keeps this size.
    this.tmux('resize-window', '-t', 'main', '-x', String(width), '-y', String(height));
  }

  /** The screen's lines, trailing blanks removed. */
  lines(): string[] {
    return this.screen()
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''));
  }

  /** The last non-blank line of the screen: the prompt and the input. */
  lastLine(): string {
    return this.lines().filter((l) => l !== '').at(-1) ?? '';
  }

  /** Polls the screen until `test` passes; returns the screen. */
  waitForScreen(what: string, test: string | RegExp | ((screen: string) => boolean), timeoutMs = 10_000): Promise<string> {
    const ok =
      typeof test === 'string' ? (s: string) => s.includes(test) : test instanceof RegExp ? (s: string) => test.test(s) : test;
    return waitFor(
      `the screen to show ${what}`,
      () => {
        const s = this.screen();
        return ok(s) ? s : undefined;
      },
      timeoutMs,
      () => this.screen(),
    );
  }

  /** Ends the tmux server: the terminal goes away (the program's input ends). */
  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.socketName, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
