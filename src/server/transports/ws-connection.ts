import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { Connection, ConnectionEvents } from './connection.js';
import { linesAsTextFrames } from './ws-frames.js';

// A browser's WebSocket as the session layer sees it: each text message is
// one frame of the line protocol, without its line end, both ways. A
// message holding a line break, or a binary one, is refused as a whole
// (never split into frames); its size is checked by the same line decoder
// as TCP's, once the line end is put back.

const LF = 0x0a;
const CR = 0x0d;
const LINE_END = Buffer.from([LF]);
/**
 * A ping is answered only while less than this of our output waits unread:
 * a peer that sends pings and reads nothing must not fill our memory with
 * pongs. (RFC 6455, 5.5.3: a Pong may answer only the latest of the Pings.)
 */
const PONG_BACKLOG_BYTES = 64 * 1024;
/** A peer that does not answer our close is cut off after this. */
const CLOSE_LINGER_MS = 2000;

/** The reason sent with a refusal of a message as a whole (the session answers it with BAD_FRAME). */
export const BINARY_REFUSED = 'binary messages are refused: send each frame as a text message';
export const LINE_BREAK_REFUSED = 'one frame per message: a message may not hold a line break';

/** A text message as one line for the decoder, or the reason it cannot be one. */
export function messageLine(data: Buffer): Buffer | string {
  let end = data.length;
  // One line end at the very end is the frame's own: some clients add it.
  if (end > 0 && data[end - 1] === LF) end--;
  if (end > 0 && data[end - 1] === CR) end--;
  const lf = data.indexOf(LF);
  const cr = data.indexOf(CR);
  if ((lf !== -1 && lf < end) || (cr !== -1 && cr < end)) return LINE_BREAK_REFUSED;
  return Buffer.concat([data.subarray(0, end), LINE_END]);
}

/**
 * Chunks already framed, by chunk: a room's batch is one Buffer handed to
 * every member, so it is framed once for all of them. Entries go with
 * their chunk.
 */
const framedChunks = new WeakMap<Buffer, Buffer>();

function framed(chunk: Buffer): Buffer {
  let frames = framedChunks.get(chunk);
  if (frames === undefined) {
    frames = linesAsTextFrames(chunk);
    framedChunks.set(chunk, frames);
  }
  return frames;
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The WsConnection of an upgraded WebSocket, for listeners shared by every one. */
const OWNER = Symbol('connection');
type OwnedWebSocket = WebSocket & { [OWNER]?: WsConnection };

/** The WsConnection made for this WebSocket, if one was. */
export function connectionOf(ws: WebSocket): WsConnection | undefined {
  return (ws as OwnedWebSocket)[OWNER];
}

// One function per event for every WebSocket, finding the connection
// through it: no closure per connection (10,000 idle ones add up).
function onMessage(this: OwnedWebSocket, data: RawData, isBinary: boolean): void {
  this[OWNER]?.message(data, isBinary);
}
function onPing(this: OwnedWebSocket, data: Buffer): void {
  if (this.bufferedAmount < PONG_BACKLOG_BYTES) this.pong(data);
}

export class WsConnection implements Connection {
  private events: ConnectionEvents | undefined;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded socket under `ws`: its 'drain' says queued output was taken. */
    private readonly socket: Duplex,
    readonly remoteAddress: string,
    readonly secure: boolean,
  ) {
    (ws as OwnedWebSocket)[OWNER] = this;
  }

  attach(events: ConnectionEvents): void {
    this.events = events;
    this.ws.on('ping', onPing);
    this.ws.on('message', onMessage);
  }

  /** A message from the WebSocket (through the shared listener). */
  message(data: RawData, isBinary: boolean): void {
    const events = this.events!;
    if (isBinary) {
      events.malformed(BINARY_REFUSED);
      return;
    }
    const line = messageLine(asBuffer(data));
    if (typeof line === 'string') events.malformed(line);
    else events.receive(line);
  }

  /** The peer's close (or a dropped socket): the session ends (the listener releases the admission). */
  closed(): void {
    this.events?.closed();
  }

  failed(err: Error): void {
    this.events?.failed(err);
  }

  get pendingBytes(): number {
    return this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.ws.readyState !== this.ws.OPEN;
  }

  get paused(): boolean {
    return this.ws.isPaused;
  }

  /**
   * The session's lines, each its own text message, written to the socket
   * as ready frames. Safe beside `ws`'s own writes (its close and pings):
   * with compression off, and no Blob ever sent, its sender queues nothing
   * and writes each frame at once, so the frames stay in order.
   */
  write(chunks: readonly Buffer[]): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (chunks.length === 1) {
      this.socket.write(framed(chunks[0]!));
      return;
    }
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(framed(chunk));
    this.socket.uncork();
  }

  end(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), CLOSE_LINGER_MS).unref();
  }

  destroy(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  on(event: 'drain' | 'close', listener: () => void): this {
    if (event === 'drain') this.socket.on('drain', listener);
    else this.ws.on('close', listener);
    return this;
  }

  off(event: 'drain' | 'close', listener: () => void): this {
    if (event === 'drain') this.socket.off('drain', listener);
    else this.ws.off('close', listener);
    return this;
  }
}
