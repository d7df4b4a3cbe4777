// A WebSocket client for tests of the web listener: one frame per text
// message, as the page speaks it, with the waits of LineClient.

import WebSocket from 'ws';
import { DEFAULT_WAIT_MS, type LineMatch } from './line-client.js';

const open = new Set<WsClient>();

function matches(line: string, match: LineMatch): boolean {
  if (typeof match === 'string') return line.startsWith(match);
  if (match instanceof RegExp) return match.test(line);
  return match(line);
}

export interface WsOptions {
  /** The Origin header; undefined sends none (not a browser). */
  origin?: string | undefined;
  /** For wss:// with a test CA. */
  ca?: Buffer;
  path?: string;
  timeoutMs?: number;
}

export class WsClient {
  readonly messages: string[] = [];
  private head = 0;
  closeCode: number | undefined;
  closeReason = '';
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    open.add(this);
    ws.on('message', (data, isBinary) => {
      this.messages.push(isBinary ? `<binary ${(data as Buffer).length}>` : data.toString());
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      open.delete(this);
      this.wake();
    });
    ws.on('error', () => this.wake());
  }

  /** Opens ws://127.0.0.1:port/ws (wss:// with `ca`); the page's own origin unless `origin` says otherwise. */
  static connect(port: number, options: WsOptions = {}): Promise<WsClient> {
    const scheme = options.ca === undefined ? 'ws' : 'wss';
    const origin = 'origin' in options ? options.origin : `${scheme === 'wss' ? 'https' : 'http'}://127.0.0.1:${port}`;
    const ws = new WebSocket(`${scheme}://127.0.0.1:${port}${options.path ?? '/ws'}`, {
      ...(origin === undefined ? {} : { origin }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      handshakeTimeout: options.timeoutMs ?? DEFAULT_WAIT_MS,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  static async loggedIn(port: number, name: string, password?: string): Promise<WsClient> {
    const c = await WsClient.connect(port);
    c.send(password === undefined ? `LOGIN|${name}` : `LOGIN|${name}|${password}`);
    await c.waitFor(`SYSTEM|${name} joined`);
    return c;
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  send(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Skips messages until one matches; returns it. */
  async waitFor(match: LineMatch, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.head < this.messages.length) {
        const line = this.messages[this.head++]!;
        if (matches(line, match)) return line;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`no message matching ${String(match)} within ${timeoutMs} ms${this.closed ? ` (closed ${this.closeCode})` : ''}; got: ${JSON.stringify(this.messages.slice(-15))}`);
      }
      await this.changed(left);
    }
  }

  /** Resolves with the close code once the server closed the connection. */
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open after ${timeoutMs} ms; got: ${JSON.stringify(this.messages.slice(-15))}`);
      await this.changed(left);
    }
    return this.closeCode!;
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export function closeAllWsClients(): void {
  for (const c of [...open]) c.close();
  open.clear();
}
