// Stand-ins for sockets, for driving code without a network:
//
// - FakeConnection is the server's transport seam (src/server/transports/
//   connection.ts) without a transport: what sessions write reaches "the
//   peer" at once, `backlog` pretends the peer left bytes unread, end() and
//   destroy() emit 'close' on a later tick as a real socket does.
// - FakeClientSocket is the client's SocketLike (src/client/connection.ts):
//   it records what the client writes, and the test makes the server speak.

import { EventEmitter } from 'node:events';
import type { SocketLike } from '../../src/client/connection.js';
import type { Connection, ConnectionEvents } from '../../src/server/transports/connection.js';

export class FakeConnection extends EventEmitter implements Connection {
  /** Every write() as given: the Buffers of one write, in order. */
  readonly writes: Array<readonly Buffer[]> = [];
  /** write() calls after end() or destroy(): a real socket would raise an error. */
  writesAfterClose = 0;
  /** Bytes the peer has supposedly left unread; counted in pendingBytes. */
  backlog = 0;
  ended = false;
  destroyed = false;
  paused = false;
  private delivered = '';
  private cursor = 0;
  private closeEmitted = false;

  constructor(
    readonly remoteAddress = '127.0.0.1',
    readonly secure = false,
  ) {
    super();
  }

  get pendingBytes(): number {
    return this.backlog;
  }

  write(chunks: readonly Buffer[]): void {
    if (this.ended || this.destroyed) {
      this.writesAfterClose++;
      return;
    }
    this.writes.push(chunks);
    for (const chunk of chunks) this.delivered += chunk.toString('utf8');
  }

  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    process.nextTick(() => this.emitClose());
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.nextTick(() => this.emitClose());
  }

  /** As a socket's listeners would: the events ('data', 'end', 'error', 'close') go to `events`. */
  attach(events: ConnectionEvents): void {
    this.on('data', (chunk: Buffer) => events.receive(chunk));
    this.on('end', () => events.peerEnded());
    this.on('error', (err: Error) => events.failed(err));
    this.on('close', () => events.closed());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** The peer reads what it left unread. */
  drainBacklog(): void {
    this.backlog = 0;
    this.emit('drain');
  }

  /** The peer sends bytes. */
  receive(data: string | Uint8Array): void {
    this.emit('data', typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  }

  /** Everything that reached the peer so far. */
  text(): string {
    return this.delivered;
  }

  /** Complete lines that reached the peer, without their LF. */
  lines(): string[] {
    const complete = this.delivered.slice(0, this.delivered.lastIndexOf('\n') + 1);
    return complete === '' ? [] : complete.slice(0, -1).split('\n');
  }

  /** Complete lines that reached the peer since the previous takeLines(). */
  takeLines(): string[] {
    const all = this.lines();
    const fresh = all.slice(this.cursor);
    this.cursor = all.length;
    return fresh;
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }
}

export class FakeClientSocket extends EventEmitter implements SocketLike {
  /** What the client wrote, one entry per line (a write of several lines is split). */
  readonly written: string[] = [];
  destroyed = false;

  write(data: string): boolean {
    this.written.push(...data.split(/(?<=\n)/));
    return true;
  }

  end(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }

  /** The connection is up. */
  connect(): void {
    this.emit('connect');
  }

  /** The server sends these lines. */
  serverSays(...lines: string[]): void {
    this.emit('data', Buffer.from(lines.map((l) => `${l}\n`).join('')));
  }

  /** The connection attempt is refused. */
  refuse(): void {
    this.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    this.destroy();
  }
}
