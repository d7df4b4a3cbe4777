// A small line-oriented test client over node:net (STYLE pattern 11).
//
// It keeps every received LF-terminated line in a queue; `nextLine` takes the
// next one, `expectLine` requires the next one to match, `waitFor` skips
// lines until one matches. Every wait is bounded and a timeout error lists
// the lines seen so far, so a failing test says what the server did send.

import net from 'node:net';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

export type LineMatch = string | RegExp | ((line: string) => boolean);

export const DEFAULT_WAIT_MS = 2_000;

const open = new Set<LineClient>();

function matches(line: string, match: LineMatch): boolean {
  if (typeof match === 'string') return line.startsWith(match);
  if (match instanceof RegExp) return match.test(line);
  return match(line);
}

function describeMatch(match: LineMatch): string {
  if (typeof match === 'string') return `a line starting with ${JSON.stringify(match)}`;
  if (match instanceof RegExp) return `a line matching ${String(match)}`;
  return 'a line matching the predicate';
}

function show(lines: readonly string[]): string {
  if (lines.length === 0) return '(none)';
  const shown = lines.slice(-20).map((l) => JSON.stringify(l.length > 200 ? `${l.slice(0, 200)}…(${l.length} chars)` : l));
  return (lines.length > 20 ? `…${lines.length - 20} earlier lines, then ` : '') + shown.join(', ');
}

export interface LoginResult {
  /** The SUCCESS line. */
  success: string;
  /** Every line between SUCCESS and the own join SYSTEM line (HISTORY lines). */
  between: string[];
  /** The SYSTEM line that names the new user. */
  system: string;
}

export class LineClient {
  /** Bytes received in all, whether or not they formed whole lines. */
  bytesReceived = 0;
  /** True once the socket emitted 'close'. */
  closed = false;
  /** The socket error, if any (ECONNRESET after the server closed, …). */
  socketError: Error | undefined;
  /** Bytes after the last LF when the connection closed. */
  trailing = Buffer.alloc(0);

  private pending: Buffer[] = [];
  private queue: string[] = [];
  private head = 0;
  /** The last lines received, for error messages. */
  private recent: string[] = [];
  private waiters: Array<() => void> = [];
  private readonly closedPromise: Promise<void>;
  private readonly decoder = new TextDecoder('utf-8');

  private constructor(readonly socket: net.Socket) {
    open.add(this);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.socketError = err;
    });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.closed = true;
        if (this.pending.length > 0) this.trailing = Buffer.concat(this.pending);
        open.delete(this);
        this.notify();
        resolve();
      });
    });
  }

  /**
   * Connects to 127.0.0.1:port (or `host`), from `localAddress` when given
   * (another 127.x.y.z stands for another client address); rejects after `timeoutMs`.
   */
  static connect(port: number, host = '127.0.0.1', timeoutMs = DEFAULT_WAIT_MS, localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, ...(localAddress !== undefined ? { localAddress } : {}) });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new LineClient(socket));
      });
    });
  }

  /**
   * Connects over TLS to 127.0.0.1:port, trusting `ca` and checking the
   * certificate is for `servername` (127.0.0.1 by default); rejects when the
   * handshake or the check fails.
   */
  static connectTls(port: number, options: tls.ConnectionOptions = {}, timeoutMs = DEFAULT_WAIT_MS): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', ...options });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TLS connect to port ${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new LineClient(socket));
      });
    });
  }

  /** Connects and logs in; a shortcut for the common case. */
  static async loggedIn(port: number, name: string, password?: string): Promise<LineClient> {
    const client = await LineClient.connect(port);
    await client.login(name, password);
    return client;
  }

  /** Every line received so far that is still queued (not yet consumed). */
  get queued(): readonly string[] {
    return this.queue.slice(this.head);
  }

  /** The last lines received, consumed or not (at most 200). */
  get seen(): readonly string[] {
    return this.recent;
  }

  /** Writes raw bytes or text as is (no line ending is added). */
  send(data: string | Uint8Array): void {
    if (this.socket.destroyed) return;
    this.socket.write(data);
  }

  /** Writes `line` followed by LF. */
  sendLine(line: string): void {
    this.send(`${line}\n`);
  }

  /** Writes `data` in pieces of `chunkSize` bytes, `delayMs` apart. */
  async sendSlowly(data: string | Uint8Array, chunkSize = 1, delayMs = 2): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    for (let i = 0; i < bytes.length; i += chunkSize) {
      this.send(bytes.subarray(i, i + chunkSize));
      await sleep(delayMs);
    }
  }

  /** The next line; rejects on timeout or close, listing the lines seen. */
  async nextLine(timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.take();
      if (line !== undefined) return line;
      if (this.closed) {
        throw new Error(`connection closed while waiting for a line; lines seen: ${show(this.recent)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no line within ${timeoutMs} ms; lines seen so far: ${show(this.recent)}`);
      }
      await this.changed(left);
    }
  }

  /** The next line, which must match (a string matches as a prefix). */
  async expectLine(match: LineMatch, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const line = await this.nextLine(timeoutMs);
    if (!matches(line, match)) {
      throw new Error(`expected ${describeMatch(match)}, got ${JSON.stringify(line)}; lines seen: ${show(this.recent)}`);
    }
    return line;
  }

  /** Skips lines until one matches; returns it. */
  async waitFor(match: LineMatch, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const lines = await this.collectUntil(match, timeoutMs);
    return lines[lines.length - 1]!;
  }

  /** Lines up to and including the first that matches. */
  async collectUntil(match: LineMatch, timeoutMs = DEFAULT_WAIT_MS): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const lines: string[] = [];
    for (;;) {
      let line: string;
      try {
        line = await this.nextLine(Math.max(0, deadline - Date.now()));
      } catch (err) {
        throw new Error(`waiting for ${describeMatch(match)}: ${(err as Error).message}`);
      }
      lines.push(line);
      if (matches(line, match)) return lines;
    }
  }

  /** Exactly `count` lines. */
  async lines(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const lines: string[] = [];
    while (lines.length < count) {
      try {
        lines.push(await this.nextLine(Math.max(0, deadline - Date.now())));
      } catch (err) {
        throw new Error(`wanted ${count} lines, got ${lines.length}: ${(err as Error).message}`);
      }
    }
    return lines;
  }

  /** Lines until none arrives for `quietMs` (or the connection closes). */
  async linesUntilQuiet(quietMs = 300, maxMs = 5_000): Promise<string[]> {
    const deadline = Date.now() + maxMs;
    const lines: string[] = [];
    for (;;) {
      const line = this.take();
      if (line !== undefined) {
        lines.push(line);
        continue;
      }
      if (this.closed || Date.now() >= deadline) return lines;
      const before = this.bytesReceived;
      await this.changed(Math.min(quietMs, deadline - Date.now()));
      if (this.bytesReceived === before && this.queue.length === this.head) return lines;
    }
  }

  /** Fails if any line arrives (or is queued) within `ms`. */
  async expectNoLine(ms = 300): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.queue.length > this.head) {
        throw new Error(`expected no line for ${ms} ms, got ${JSON.stringify(this.queue[this.head])}; lines seen: ${show(this.recent)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return;
      await this.changed(left);
    }
  }

  /** Takes and returns every queued line. */
  drain(): string[] {
    const lines = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return lines;
  }

  /**
   * Logs in and reads up to the own join SYSTEM line. The first line must be
   * SUCCESS; every line after it up to the SYSTEM line naming `name` is
   * returned in `between`.
   */
  async login(name: string, password?: string, timeoutMs = DEFAULT_WAIT_MS): Promise<LoginResult> {
    this.sendLine(password === undefined ? `LOGIN|${name}` : `LOGIN|${name}|${password}`);
    const success = await this.expectLine('SUCCESS|', timeoutMs);
    const shown = name.normalize('NFC');
    const lines = await this.collectUntil((l) => l.startsWith('SYSTEM|') && l.normalize('NFC').includes(shown), timeoutMs);
    return { success, between: lines.slice(0, -1), system: lines[lines.length - 1]! };
  }

  /** Resolves when the connection is closed; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`connection still open after ${timeoutMs} ms; lines seen: ${show(this.recent)}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops reading from the socket (the kernel buffers fill up). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Half-closes: sends FIN, keeps reading. */
  end(): void {
    this.socket.end();
  }

  /** Destroys the socket and waits for 'close'. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closedPromise;
  }

  private take(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const line = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return line;
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1) break;
      const piece = chunk.subarray(start, lf);
      const bytes = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      const line = this.decoder.decode(bytes);
      this.queue.push(line);
      this.recent.push(line);
      if (this.recent.length > 400) this.recent = this.recent.slice(-200);
      start = lf + 1;
    }
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next data/close event, or after `ms`. */
  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.waiters = self.waiters.filter((w) => w !== done);
        resolve();
      }
      this.waiters.push(done);
    });
  }
}

/** Connects; a shortcut for LineClient.connect. */
export function connect(port: number, host?: string): Promise<LineClient> {
  return LineClient.connect(port, host);
}

/** Destroys every client still open (for afterEach). */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...open].map((c) => c.close()));
}

/** Waits until `check` returns true, polling every 20 ms; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = DEFAULT_WAIT_MS, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Parses `USERS|count|a,b` into its count and sorted names. */
export function parseUsers(line: string): { count: number; names: string[] } {
  const m = /^USERS\|([0-9]+)\|(.*)$/.exec(line);
  if (!m) throw new Error(`not a USERS line: ${JSON.stringify(line)}`);
  const names = m[2] === '' ? [] : m[2]!.split(',');
  return { count: Number(m[1]), names: names.sort() };
}

/** Parses `ROOMS|room:count,…` into a map room → count. */
export function parseRooms(line: string): Map<string, number> {
  const m = /^ROOMS\|(.*)$/.exec(line);
  if (!m) throw new Error(`not a ROOMS line: ${JSON.stringify(line)}`);
  const rooms = new Map<string, number>();
  if (m[1] === '') return rooms;
  for (const entry of m[1]!.split(',')) {
    const e = /^(.+):([0-9]+)$/.exec(entry);
    if (!e) throw new Error(`bad ROOMS entry ${JSON.stringify(entry)} in ${JSON.stringify(line)}`);
    rooms.set(e[1]!, Number(e[2]));
  }
  return rooms;
}

/** Parses `HISTORY|iso-time|from|message`. */
export function parseHistory(line: string): { time: string; from: string; message: string } {
  const m = /^HISTORY\|([^|]*)\|([^|]*)\|(.*)$/s.exec(line);
  if (!m) throw new Error(`not a HISTORY line: ${JSON.stringify(line)}`);
  return { time: m[1]!, from: m[2]!, message: m[3]! };
}

/** A reply to the asker rather than live traffic: an ERROR, or a SYSTEM line other than a join or leave notice. */
export const isReply = (line: string): boolean =>
  line.startsWith('ERROR|') || (line.startsWith('SYSTEM|') && !/^SYSTEM\|\S+ (joined|left) /.test(line));
