import type { Socket } from 'node:net';
import { LineDecoder, TelnetFilter, encodeError, encodeSystem, type ErrorCode, type LineEvent, type TelnetSink } from '../protocol/index.js';
import { TokenBucket, type Clock } from './rate-limit.js';
import type { Room } from './presence.js';
import { RoomBatch } from './room-batch.js';

/** One turn's output of a session: the bytes, and whether to end after them. */
/** Takes `lines` out of output items, dropping room batches left empty. */
export function retractFrom(items: Array<Buffer | RoomBatch>, lines: ReadonlySet<Buffer>): Array<Buffer | RoomBatch> {
  return items.filter((item) => {
    if (item instanceof RoomBatch) {
      item.retract(lines);
      return !item.empty;
    }
    return !lines.has(item);
  });
}

function joinItems(items: ReadonlyArray<Buffer | RoomBatch>): Buffer | undefined {
  if (items.length === 0) return undefined;
  if (items.length === 1) {
    const only = items[0]!;
    return only instanceof RoomBatch ? only.buffer() : only;
  }
  let bytes = 0;
  const buffers = items.map((item) => {
    const buffer = item instanceof RoomBatch ? item.buffer() : item;
    bytes += buffer.length;
    return buffer;
  });
  return Buffer.concat(buffers, bytes);
}

export interface SealedOutput {
  items: Array<Buffer | RoomBatch>;
  /** Items sealed, before any retraction. */
  count: number;
  end: boolean;
}

/** A connection's life: only setState() changes it. */
export type SessionState = 'greeting' | 'authenticating' | 'active' | 'closing' | 'closed';

/** Why a connection ended, as logs print it. */
export type CloseReason =
  | 'logout'
  | 'peer-closed'
  | 'socket-error'
  | 'slow-consumer'
  | 'flood'
  | 'login-timeout'
  | 'http-request'
  | 'replaced'
  | 'write-timeout'
  | 'shutdown';

/** All frames together may come this many times faster than messages. */
export const FRAME_RATE_FACTOR = 20;

/** One turn's output may reach this many times the output cap before the session is dropped. */
export const TURN_OUTPUT_FACTOR = 16;

/** Past this many events held behind a telnet reply the socket stops being read (as dispatch's inbox does). */
const HELD_PAUSE = 256;
/** The answer to telnet's IAC AYT. */
const STILL_HERE = encodeSystem('yes, still here');

/** A telnet reply waiting for the frames received before it to be answered. */
interface HeldReply {
  kind: 'telnet-reply';
  bytes: Buffer;
}

export interface SessionLimits {
  maxLineBytes: number;
  rateLimit: number;
  rateBurst: number;
  outputCapBytes: number;
}

/**
 * Output of one event-loop turn is coalesced: the first line of a turn
 * registers the session here, and the server flushes every registered
 * session once per turn, after the store has committed, as one write each.
 */
export interface OutputScheduler {
  markDirty(session: Session): void;
}

/** One connection: identity, room, limits and buffered output. */
export class Session {
  readonly decoder: LineDecoder;
  /** TEXT and PRIVATE. */
  readonly messageBucket: TokenBucket;
  /** Every frame, including refused ones. */
  readonly frameBucket: TokenBucket;

  name: string | undefined;
  key: string | undefined;
  room: Room | undefined;
  lastActive: number;
  linesSeen = 0;
  closeReason: CloseReason | undefined;

  /** Decoder events waiting while an asynchronous handler of this session runs. */
  readonly inbox: LineEvent[] = [];
  /** The peer closed its side while a handler was running: end once the inbox is done. */
  endWhenIdle = false;
  legacyTimer: NodeJS.Timeout | undefined;
  loginTimer: NodeJS.Timeout | undefined;

  private currentState: SessionState = 'greeting';
  /** Start and latest refusal of the current run of rate-limit refusals. */
  private floodStart = 0;
  private floodLast = -Infinity;
  /** This turn's output, written as one Buffer by flush(): own lines and shared room batches. */
  private pending: Array<Buffer | RoomBatch> = [];
  /** Bytes of own lines in `pending` (room batches are counted when joined). */
  private pendingBytes = 0;
  /** The room batch at the end of `pending`, still open to more lines. */
  private openBatch: RoomBatch | undefined;
  private endAfterFlush = false;
  /** Output items queued and items handed to the socket, for drained(). */
  private itemsQueued = 0;
  private itemsWritten = 0;
  private readonly writeWaiters: Array<() => void> = [];
  /** When output last got into the kernel (or began to wait): the write deadline counts from here. */
  private lastWriteProgress: number;
  private readonly onWritten = (): void => {
    this.lastWriteProgress = this.clock();
  };
  private handlerRunning = false;
  /** Created at the first 0xFF byte: clients that never speak telnet pay nothing. */
  private telnet: { filter: TelnetFilter; sink: TelnetSink } | undefined;
  /** Until then: whether the bytes so far end a line, where the filter starts. */
  private atLineStart = true;
  /** Where decoder events go (dispatch); set by inOrder(). */
  private dispatch: ((event: LineEvent) => void) | undefined;
  /**
   * A telnet reply that arrived while a handler ran, and every event after
   * it: the reply goes out once the frames before it are answered (RFC 860),
   * and the later frames wait so their answers come after it.
   */
  private held: Array<LineEvent | HeldReply> = [];

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly address: string,
    readonly connectedAt: number,
    private readonly limits: SessionLimits,
    private readonly output: OutputScheduler,
    private readonly clock: Clock,
    private readonly onStateChange: (session: Session, from: SessionState, to: SessionState) => void,
  ) {
    this.decoder = new LineDecoder(limits.maxLineBytes);
    this.lastWriteProgress = connectedAt;
    this.messageBucket = new TokenBucket(limits.rateLimit, limits.rateBurst, clock);
    this.frameBucket = new TokenBucket(limits.rateLimit * FRAME_RATE_FACTOR, limits.rateBurst * FRAME_RATE_FACTOR, clock);
    this.lastActive = connectedAt;
  }

  /**
   * Records a rate-limit refusal; true once refusals have kept coming, less
   * than a second apart, for `kickAfterMs`: a flood rather than a paste.
   */
  noteRateRefusal(now: number, kickAfterMs: number): boolean {
    if (now - this.floodLast > 1000) this.floodStart = now;
    this.floodLast = now;
    return now - this.floodStart >= kickAfterMs;
  }

  /** An asynchronous handler of this session is running (dispatch sets it). */
  get busy(): boolean {
    return this.handlerRunning;
  }

  set busy(value: boolean) {
    this.handlerRunning = value;
    // A handler is done: what waits behind a telnet reply may go, before dispatch drains its inbox.
    if (!value && this.held.length > 0) this.releaseHeld();
  }

  /**
   * Takes the function that handles decoder events and returns the one to
   * give the decoder: it holds events back while a telnet reply waits.
   */
  inOrder(dispatch: (event: LineEvent) => void): (event: LineEvent) => void {
    this.dispatch = dispatch;
    return this.deliver;
  }

  /**
   * Feeds bytes from the socket (after inOrder()): telnet commands are
   * answered and removed, the data goes to the decoder. True when any data
   * byte arrived: telnet commands alone are not input.
   */
  receive(chunk: Uint8Array): boolean {
    if (this.telnet === undefined) {
      if (chunk.indexOf(0xff) === -1) {
        this.decoder.push(chunk, this.deliver);
        if (chunk.length === 0) return false;
        this.atLineStart = chunk[chunk.length - 1] === 0x0a;
        return true;
      }
      this.telnet = { filter: new TelnetFilter(this.atLineStart), sink: this.telnetSink() };
    }
    return this.telnet.filter.push(chunk, this.telnet.sink) > 0;
  }

  private readonly deliver = (event: LineEvent): void => {
    if (this.held.length === 0) {
      this.dispatch!(event);
      return;
    }
    this.held.push(event);
    if (this.held.length >= HELD_PAUSE) this.socket.pause();
  };

  private telnetSink(): TelnetSink {
    return {
      data: (bytes) => this.decoder.push(bytes, this.deliver),
      reply: (bytes) => this.replyInOrder(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)),
      // Answered like a frame, so a flood of them costs what a flood of PINGs does.
      areYouThere: () => {
        if (this.frameBucket.take()) this.replyInOrder(Buffer.from(STILL_HERE));
      },
    };
  }

  /** Sends a telnet reply after the answers to every frame received before it. */
  private replyInOrder(bytes: Buffer): void {
    // Not busy: every earlier frame is answered (dispatch's inbox is empty).
    if (this.held.length === 0 && !this.handlerRunning) {
      this.send(bytes);
      return;
    }
    this.held.push({ kind: 'telnet-reply', bytes });
    if (this.held.length >= HELD_PAUSE) this.socket.pause();
  }

  /** Runs held events and sends held replies, in order, until a handler goes asynchronous again. */
  private releaseHeld(): void {
    // Events dispatch still queues arrived before the first held reply.
    if (this.inbox.length > 0) this.held.unshift(...this.inbox.splice(0));
    while (this.held.length > 0 && !this.handlerRunning && this.open) {
      const item = this.held.shift()!;
      if (item.kind === 'telnet-reply') this.send(item.bytes);
      else this.dispatch!(item);
    }
    if (!this.open) this.held = [];
  }

  get state(): SessionState {
    return this.currentState;
  }

  get loggedIn(): boolean {
    return this.currentState === 'active';
  }

  get open(): boolean {
    return this.currentState !== 'closing' && this.currentState !== 'closed';
  }

  setState(next: SessionState): void {
    const previous = this.currentState;
    if (previous === next || previous === 'closed') return;
    this.currentState = next;
    this.onStateChange(this, previous, next);
  }

  /**
   * Queues output for this turn. The same Buffer may be handed to many
   * sessions. A client that leaves more than the output cap unread is
   * dropped instead of growing server memory.
   */
  send(data: string | Buffer): void {
    if (!this.open) return;
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.pending.length === 0) this.output.markDirty(this);
    // A line of its own after a room batch: the batch must not grow past it.
    if (this.openBatch !== undefined) {
      this.openBatch.closed = true;
      this.openBatch = undefined;
    }
    this.pending.push(buffer);
    this.itemsQueued++;
    this.pendingBytes += buffer.length;
    // What earlier turns left unread is the measure of a slow reader; one turn's own
    // output (a long HISTORY reply) may exceed the cap, within a hard bound.
    if (this.socket.writableLength > this.limits.outputCapBytes || this.pendingBytes > TURN_OUTPUT_FACTOR * this.limits.outputCapBytes) {
      this.drop('slow-consumer');
    }
  }

  /** Adds a room's shared batch for this turn; the room appends its lines to it. */
  sendBatch(batch: RoomBatch): void {
    if (!this.open || this.openBatch === batch) return;
    if (this.pending.length === 0) this.output.markDirty(this);
    this.pending.push(batch);
    this.itemsQueued++;
    this.openBatch = batch;
    if (this.socket.writableLength > this.limits.outputCapBytes) this.drop('slow-consumer');
  }

  sendError(code: ErrorCode, text: string): void {
    this.send(encodeError(code, text));
  }

  /** Writes this turn's output as one Buffer; ends the socket if end() asked to. */
  flush(): void {
    const output = this.seal();
    if (output !== undefined) this.write(output);
  }

  /**
   * Takes this turn's output, to be written once the store has committed.
   * It stays in pieces until then, so lines whose message could not be
   * stored can still be taken out (retract).
   */
  seal(): SealedOutput | undefined {
    if (this.pending.length === 0 && !this.endAfterFlush) return undefined;
    // Sealed batches take no more lines: later turns' broadcasts open new ones.
    for (const item of this.pending) if (item instanceof RoomBatch) item.closed = true;
    const output = { items: this.pending, count: this.pending.length, end: this.endAfterFlush };
    this.pending = [];
    this.pendingBytes = 0;
    this.openBatch = undefined;
    this.endAfterFlush = false;
    return output;
  }

  /** Takes `lines` out of this turn's output (plain lines; room batches are retracted by the caller). */
  retract(lines: ReadonlySet<Buffer>): void {
    this.pending = retractFrom(this.pending, lines);
    this.pendingBytes = this.pending.reduce((sum, item) => sum + (item instanceof RoomBatch ? 0 : item.length), 0);
  }

  write(output: SealedOutput): void {
    this.itemsWritten += output.count;
    this.wakeWriteWaiters();
    if (this.socket.destroyed) return;
    const data = joinItems(output.items);
    if (data !== undefined) {
      if (this.socket.writableLength === 0) this.lastWriteProgress = this.clock();
      this.socket.write(data, this.onWritten);
    }
    if (output.end) {
      this.socket.end();
      // A peer that never closes its side must not hold the socket forever.
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
  }

  /**
   * Ends the session after writing `lastLine` (if any) and everything queued
   * before it, at the turn's flush, so it too follows the store's commit.
   */
  end(reason: CloseReason, lastLine?: string): void {
    if (!this.open) return;
    if (lastLine !== undefined) this.send(lastLine);
    if (!this.open) return;
    this.closeReason = reason;
    this.endAfterFlush = true;
    if (this.pending.length === 0) this.output.markDirty(this);
    this.setState('closing');
  }

  /** Drops the connection at once, discarding queued output. */
  drop(reason: CloseReason): void {
    if (this.currentState === 'closed') return;
    this.closeReason ??= reason;
    this.pending = [];
    this.pendingBytes = 0;
    this.openBatch = undefined;
    this.endAfterFlush = false;
    this.socket.destroy();
    this.setState('closing');
  }

  /**
   * Whether output has waited longer than `deadlineMs` without any of it
   * getting to the peer: a peer that vanished with output pending, which
   * TCP keepalive (it probes idle connections only) would not notice.
   */
  writeStalled(deadlineMs: number): boolean {
    return this.socket.writableLength > 0 && this.clock() - this.lastWriteProgress > deadlineMs;
  }

  /**
   * Resolves once what is queued now has been handed to the socket and the
   * socket has sent it on (its buffer drained), or the connection is gone:
   * for output produced at the pace the client reads it.
   */
  async drained(): Promise<void> {
    const target = this.itemsQueued;
    while (this.itemsWritten < target && this.currentState !== 'closed' && !this.socket.destroyed) {
      await new Promise<void>((resolve) => this.writeWaiters.push(resolve));
    }
    const socket = this.socket;
    if (socket.destroyed || socket.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  private wakeWriteWaiters(): void {
    const waiters = this.writeWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  markClosed(): void {
    this.setState('closed');
    this.wakeWriteWaiters();
    clearTimeout(this.legacyTimer);
    clearTimeout(this.loginTimer);
  }
}
