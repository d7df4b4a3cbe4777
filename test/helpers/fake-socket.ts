// A stand-in for net.Socket, for driving sessions and handlers without a
// network. It implements only what src/server/session.ts and dispatch.ts
// use, and models the parts of a real socket that matter to them:
//
// - cork()/uncork() nest; data written while corked is held back (and counted
//   in writableLength) until the last uncork(), as on a real Writable;
// - end() releases held data, then marks the socket ended and emits 'close'
//   on a later tick; destroy() discards held data and emits 'close';
// - `backlog` lets a test pretend the peer has left bytes unread.
//
// What "reached the peer" is what left the cork: `text()`, `lines()` and
// `takeLines()` show only that. `chunks` keeps every write() argument as
// given, so a test can check that one Buffer object went to many sockets.

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

type Chunk = string | Uint8Array;

function byteLength(chunk: Chunk): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
}

function asText(chunk: Chunk): string {
  return typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('utf8');
}

export class FakeSocket extends EventEmitter {
  /** Every argument passed to write(), in order, as given. */
  readonly chunks: Chunk[] = [];
  /** write() calls after end() or destroy(): a real socket would raise an error. */
  writesAfterClose = 0;
  /** Bytes the peer has supposedly left unread; counted in writableLength. */
  backlog = 0;
  corkDepth = 0;
  uncorkCalls = 0;
  ended = false;
  destroyed = false;
  keepAlive: { enable: boolean | undefined; initialDelay: number | undefined } | undefined;

  private held: Chunk[] = [];
  private delivered = '';
  private cursor = 0;
  private paused = false;
  private closeEmitted = false;

  constructor(readonly remoteAddress = '127.0.0.1') {
    super();
  }

  /** This object, typed as the socket the server code expects. */
  asSocket(): Socket {
    return this as unknown as Socket;
  }

  cork(): void {
    this.corkDepth++;
  }

  uncork(): void {
    this.uncorkCalls++;
    if (this.corkDepth > 0) this.corkDepth--;
    if (this.corkDepth === 0) this.release();
  }

  write(chunk: Chunk, ..._rest: unknown[]): boolean {
    if (this.ended || this.destroyed) {
      this.writesAfterClose++;
      return false;
    }
    this.chunks.push(chunk);
    if (this.corkDepth > 0) this.held.push(chunk);
    else this.delivered += asText(chunk);
    return true;
  }

  /** Bytes written but not yet taken by the peer: held by the cork, plus `backlog`. */
  get writableLength(): number {
    let total = this.backlog;
    for (const chunk of this.held) total += byteLength(chunk);
    return total;
  }

  end(chunk?: Chunk): this {
    if (this.ended || this.destroyed) return this;
    if (chunk !== undefined) this.write(chunk);
    // A real Writable uncorks fully on end().
    this.corkDepth = 0;
    this.release();
    this.ended = true;
    process.nextTick(() => this.emitClose());
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.held = [];
    this.corkDepth = 0;
    process.nextTick(() => this.emitClose());
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.keepAlive = { enable, initialDelay };
    return this;
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

  private release(): void {
    for (const chunk of this.held) this.delivered += asText(chunk);
    this.held = [];
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close', false);
  }
}
