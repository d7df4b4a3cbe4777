// WebSocket as the load generator speaks it (RFC 6455, the little of it a
// chat member needs): the upgrade request and its answer, client text
// frames, and a reader of the server's frames that hands each text message
// on as a byte range of the chunk it came in, as the line reader does with
// lines. The `ws` package's client costs a Buffer, an event and a stream
// turn per message, and the generator would then be the bottleneck at the
// rates the server reaches. Pure: no sockets.

import { createHash, randomBytes } from 'node:crypto';
import { OP_TEXT, frameHeaderSize, writeFrameHeader } from '../server/transports/ws-frames.js';

export { OP_TEXT };

/** The server's WebSocket endpoint (src/server/transports/web.ts). */
export const WS_PATH = '/ws';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OP_CONTINUATION = 0x0;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** A server frame's header is at most this long (it does not mask). */
const MAX_HEADER = 10;
/** A message longer than this is a broken peer, not a chat line. */
export const MAX_MESSAGE = 1 << 20;
/** 0x80: the MASK bit of a client frame's second byte. */
const MASKED = 0x80;

export const newKey = (): string => randomBytes(16).toString('base64');

export const acceptFor = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');

/** The upgrade request, without an Origin header (not a browser: the server lets it in). */
export function upgradeRequest(host: string, port: number, key: string): string {
  return (
    `GET ${WS_PATH} HTTP/1.1\r\n` +
    `Host: ${host.includes(':') ? `[${host}]` : host}:${port}\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/** Where the answer's head ends (after its blank line) in `buf`, or -1 while it has not all come. */
export function headEnd(buf: Buffer): number {
  const at = buf.indexOf('\r\n\r\n');
  return at === -1 ? -1 : at + 4;
}

/**
 * The server's answer to the upgrade, its head as text: undefined when it is
 * the switch to WebSocket for this key, else why not (e.g. `http:403`).
 */
export function upgradeRefusal(head: string, key: string): string | undefined {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1];
  if (status === undefined) return 'ws:bad-answer';
  if (status !== '101') return `http:${status}`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return 'ws:no-upgrade';
  if (headers.get('sec-websocket-accept') !== acceptFor(key)) return 'ws:bad-accept';
  return undefined;
}

// A zero masking key: a client must mask, and XOR with zeros leaves the
// payload as it is, so it is written without a pass over its bytes. The
// server unmasks it as it would any browser's frame.
const ZERO_MASK = 0;

const headerSize = (length: number): number => frameHeaderSize(length, true);

const writeHeader = (out: Buffer, at: number, opcode: number, length: number): number => writeFrameHeader(out, at, opcode, length, ZERO_MASK);

/** Each text as one masked text frame (a whole message), all in one buffer: one write. */
export function textFrames(texts: readonly string[]): Buffer {
  const lengths = texts.map((t) => Buffer.byteLength(t));
  let total = 0;
  for (const n of lengths) total += headerSize(n) + n;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    at = writeHeader(out, at, OP_TEXT, lengths[i]!);
    at += out.write(texts[i]!, at, 'utf8');
  }
  return out;
}

/** A masked control frame: a PONG with the PING's payload, or a CLOSE. */
export function controlFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(headerSize(payload.length) + payload.length);
  payload.copy(out, writeHeader(out, 0, opcode, payload.length));
  return out;
}

const INCOMPLETE = -1;
const TOO_LONG = -2;
const MASKED_FRAME = -3;
const PROTOCOL = -4;

/** The whole size of the frame at buf[pos, end): header and payload; or a negative code. */
function frameSize(buf: Buffer, pos: number, end: number): number {
  if (end - pos < 2) return INCOMPLETE;
  const b1 = buf[pos + 1]!;
  if ((b1 & MASKED) !== 0) return MASKED_FRAME;
  const short = b1 & 0x7f;
  if (short < 126) return 2 + short;
  if (short === 126) return end - pos < 4 ? INCOMPLETE : 4 + buf.readUInt16BE(pos + 2);
  if (end - pos < 10) return INCOMPLETE;
  if (buf.readUInt32BE(pos + 2) !== 0) return TOO_LONG;
  const length = buf.readUInt32BE(pos + 6);
  return length > MAX_MESSAGE ? TOO_LONG : 10 + length;
}

export interface FrameSink {
  /** A whole text message at buf[start, end): valid only during the call (the buffer is reused). */
  text(buf: Buffer, start: number, end: number): void;
  /** A PING, PONG or CLOSE, with its payload (a copy). */
  control(opcode: number, payload: Buffer): void;
}

/**
 * Reads the server's frames as they come, chunk by chunk. A frame split
 * between two chunks is put together from the few bytes that finish it; the
 * rest of the chunk is read in place.
 */
export class FrameReader {
  private rest: Buffer | null = null;
  private fragments: Buffer[] | null = null;
  private fragmentsOpcode = 0;
  private fragmentsBytes = 0;
  /** Why the stream cannot be read on (it is then dead), once it happened. */
  error: string | undefined;

  constructor(private readonly sink: FrameSink) {}

  /** Reads one chunk; false once the stream is broken (see `error`). */
  feed(chunk: Buffer): boolean {
    if (this.error !== undefined) return false;
    const end = chunk.length;
    let pos = 0;
    while (this.rest !== null && pos < end) {
      const rest = this.rest;
      const size = frameSize(rest, 0, rest.length);
      if (size < INCOMPLETE) return this.fail(size);
      // Until the length is known, a header's worth; then what the frame lacks.
      const take = Math.min(end - pos, size === INCOMPLETE ? MAX_HEADER : size - rest.length);
      const joined = Buffer.concat([rest, chunk.subarray(pos, pos + take)]);
      pos += take;
      this.rest = null;
      if (!this.scan(joined, 0, joined.length, false)) return false;
    }
    return pos < end ? this.scan(chunk, pos, end, true) : true;
  }

  private fail(code: number): false {
    this.error = code === MASKED_FRAME ? 'ws:masked-frame' : code === TOO_LONG ? 'ws:message-too-long' : 'ws:protocol';
    this.rest = null;
    this.fragments = null;
    return false;
  }

  /** `reused`: buf is the socket's read buffer, so what is kept must be copied. */
  private scan(buf: Buffer, pos: number, end: number, reused: boolean): boolean {
    while (pos < end) {
      const size = frameSize(buf, pos, end);
      if (size < INCOMPLETE) return this.fail(size);
      if (size === INCOMPLETE || end - pos < size) {
        this.rest = reused ? Buffer.from(buf.subarray(pos, end)) : buf.subarray(pos, end);
        return true;
      }
      const b0 = buf[pos]!;
      const short = buf[pos + 1]! & 0x7f;
      const start = pos + (short < 126 ? 2 : short === 126 ? 4 : 10);
      const stop = pos + size;
      pos = stop;
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === OP_TEXT && fin && this.fragments === null) {
        this.sink.text(buf, start, stop);
      } else if (opcode >= OP_CLOSE) {
        this.sink.control(opcode, Buffer.from(buf.subarray(start, stop)));
      } else if (!this.fragment(opcode, fin, buf.subarray(start, stop))) {
        return false;
      }
    }
    return true;
  }

  /** A piece of a message sent in several frames (the server sends whole ones, but may not). */
  private fragment(opcode: number, fin: boolean, piece: Buffer): boolean {
    if (opcode === OP_CONTINUATION) {
      if (this.fragments === null) return this.fail(PROTOCOL);
    } else {
      if (this.fragments !== null) return this.fail(PROTOCOL);
      this.fragments = [];
      this.fragmentsOpcode = opcode;
      this.fragmentsBytes = 0;
    }
    this.fragments.push(Buffer.from(piece));
    this.fragmentsBytes += piece.length;
    if (this.fragmentsBytes > MAX_MESSAGE) return this.fail(TOO_LONG);
    if (!fin) return true;
    const whole = Buffer.concat(this.fragments);
    const wholeOpcode = this.fragmentsOpcode;
    this.fragments = null;
    if (wholeOpcode === OP_TEXT) this.sink.text(whole, 0, whole.length);
    // A binary message: the server sends none; nothing to count.
    return true;
  }
}
