import { isUtf8 } from 'node:buffer';

// Incremental LF-delimited line decoder over bytes.
//
// LF (0x0A) never occurs inside a multi-byte UTF-8 sequence, so lines are
// split on the byte and each complete line is validated and decoded once.
// The decoder never holds more than `maxLineBytes` (+1 for a trailing CR)
// of a pending line: past that it reports the line as too long and discards
// bytes up to the next LF.

export type LineEvent =
  | { kind: 'line'; text: string }
  | { kind: 'too-long'; limit: number }
  | { kind: 'bad-encoding' };

/** Shared by every decoder: one fewer allocation per connection. */
const EMPTY = new Uint8Array(0);
const LF = 0x0a;
const CR = 0x0d;

export const DEFAULT_MAX_LINE_BYTES = 4096;

export class LineDecoder {
  private parts: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;
  /** First bytes of the line being discarded, so legacy framing can still see its type. */
  private discardedHead: Uint8Array = EMPTY;
  private lfSeen = false;

  constructor(readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
  }

  /** True once any LF has been received: legacy framing no longer applies. */
  get sawLineFeed(): boolean {
    return this.lfSeen;
  }

  /** Bytes of the current, unterminated line held in memory. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Feeds one chunk; calls `emit` for every event, in order. */
  push(chunk: Uint8Array, emit: (event: LineEvent) => void): void {
    let start = 0;
    const end = chunk.length;
    while (start < end) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.hold(chunk, start, end, emit);
        return;
      }
      this.lfSeen = true;
      if (this.discarding) {
        this.discarding = false;
        this.discardedHead = EMPTY;
      } else {
        this.finishLine(chunk, start, lf, emit);
      }
      start = lf + 1;
    }
  }

  /**
   * Ends the pending bytes as a line without a terminator (legacy framing).
   * Does nothing when there is no pending line.
   */
  flushPending(emit: (event: LineEvent) => void): void {
    if (this.discarding) {
      // The over-long line was already reported; the quiet ends it.
      this.discarding = false;
      this.discardedHead = EMPTY;
      return;
    }
    if (this.pendingLength === 0) return;
    this.finishLine(EMPTY, 0, 0, emit);
  }

  /** Whether the pending bytes start with `prefix` (ASCII). */
  pendingStartsWith(prefix: string): boolean {
    let head: Uint8Array;
    if (this.discarding) head = this.discardedHead;
    else if (this.parts.length === 0) return false;
    else head = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    if (head.length < prefix.length) return false;
    for (let i = 0; i < prefix.length; i++) {
      if (head[i] !== prefix.charCodeAt(i)) return false;
    }
    return true;
  }

  private hold(chunk: Uint8Array, start: number, end: number, emit: (event: LineEvent) => void): void {
    if (this.discarding) return;
    const length = end - start;
    // One extra byte of room for the CR of a CRLF terminator.
    if (this.pendingLength + length > this.maxLineBytes + 1) {
      this.discardedHead = Buffer.concat([...this.parts, chunk.subarray(start, Math.min(end, start + 8))]).subarray(0, 8);
      this.reset();
      this.discarding = true;
      emit({ kind: 'too-long', limit: this.maxLineBytes });
      return;
    }
    // Copy, so a small remainder never pins a large socket chunk in memory.
    this.parts.push(Buffer.from(chunk.subarray(start, end)));
    this.pendingLength += length;
  }

  private finishLine(chunk: Uint8Array, start: number, end: number, emit: (event: LineEvent) => void): void {
    let line: Uint8Array;
    if (this.parts.length === 0) {
      line = chunk.subarray(start, end);
    } else {
      this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset + start, end - start));
      line = Buffer.concat(this.parts, this.pendingLength + (end - start));
    }
    this.reset();
    let length = line.length;
    if (length > 0 && line[length - 1] === CR) length--;
    if (length > this.maxLineBytes) {
      emit({ kind: 'too-long', limit: this.maxLineBytes });
      return;
    }
    if (length === 0) return;
    const bytes = line.subarray(0, length);
    if (!isUtf8(bytes)) {
      emit({ kind: 'bad-encoding' });
      return;
    }
    emit({ kind: 'line', text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') });
  }

  private reset(): void {
    if (this.parts.length !== 0) this.parts = [];
    this.pendingLength = 0;
  }
}
