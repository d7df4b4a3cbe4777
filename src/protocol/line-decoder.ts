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
const EMPTY_BUFFER = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

export const DEFAULT_MAX_LINE_BYTES = 4096;

/** First room for a pending line; it doubles as the line grows, up to the limit. */
const FIRST_CAPACITY = 64;
/** Bytes of a discarded line's start kept for legacy framing's prefix check. */
const HEAD_BYTES = 8;

export class LineDecoder {
  /**
   * The current unterminated line, in one buffer that grows by doubling:
   * memory stays within twice the line's length however many reads it
   * came in (one Buffer per read cost about 100 bytes per byte sent).
   */
  private pending: Buffer = EMPTY_BUFFER;
  private pendingLength = 0;
  private discarding = false;
  /** First bytes of the line being discarded, so legacy framing can still see its type. */
  private discardedHead: Uint8Array = EMPTY;
  private lfSeen = false;

  constructor(private readonly limit: number = DEFAULT_MAX_LINE_BYTES) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${limit}`);
    }
  }

  get maxLineBytes(): number {
    return this.limit;
  }

  /** True once any LF has been received: legacy framing no longer applies. */
  get sawLineFeed(): boolean {
    return this.lfSeen;
  }

  /** Bytes of the current, unterminated line held in memory. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Memory held for the current line (its buffer's capacity). */
  get heldBytes(): number {
    return this.pending.length;
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

  /** Whether the pending bytes start with `prefix` (ASCII). Reads only the first bytes. */
  pendingStartsWith(prefix: string): boolean {
    const head = this.discarding ? this.discardedHead : this.pending.subarray(0, this.pendingLength);
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
    const room = this.limit + 1;
    if (this.pendingLength + length > room) {
      const head = Buffer.alloc(HEAD_BYTES);
      const kept = this.pending.copy(head, 0, 0, Math.min(this.pendingLength, HEAD_BYTES));
      head.set(chunk.subarray(start, start + Math.max(0, Math.min(length, HEAD_BYTES - kept))), kept);
      this.discardedHead = head.subarray(0, Math.min(HEAD_BYTES, this.pendingLength + length));
      this.reset();
      this.discarding = true;
      emit({ kind: 'too-long', limit: this.limit });
      return;
    }
    const needed = this.pendingLength + length;
    if (needed > this.pending.length) {
      let capacity = Math.max(FIRST_CAPACITY, this.pending.length * 2);
      while (capacity < needed) capacity *= 2;
      // Copied, so a small remainder never pins a large socket chunk in memory.
      const grown = Buffer.allocUnsafeSlow(Math.min(capacity, room));
      this.pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    this.pending.set(chunk.subarray(start, end), this.pendingLength);
    this.pendingLength = needed;
  }

  private finishLine(chunk: Uint8Array, start: number, end: number, emit: (event: LineEvent) => void): void {
    let line: Uint8Array;
    if (this.pendingLength === 0) {
      line = chunk.subarray(start, end);
    } else {
      line = Buffer.concat([this.pending.subarray(0, this.pendingLength), chunk.subarray(start, end)]);
    }
    this.reset();
    let length = line.length;
    if (length > 0 && line[length - 1] === CR) length--;
    if (length > this.limit) {
      emit({ kind: 'too-long', limit: this.limit });
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
    // The buffer goes with its line: an idle connection holds nothing.
    this.pending = EMPTY_BUFFER;
    this.pendingLength = 0;
  }
}
