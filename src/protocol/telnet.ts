// Telnet commands in the incoming byte stream (RFC 854).
//
// A telnet client mixes commands, each starting with IAC (0xFF), into the
// bytes it sends. 0xFF never occurs in UTF-8, so this filter can take the
// commands out before line framing without touching a byte of text. It
// answers what must be answered (RFC 860 timing marks, or telnet stops
// showing output) and refuses every option once (RFC 1143: never answer a
// refusal, never answer twice, so no negotiation can loop). It never starts
// a negotiation and holds no bytes: a chunk without 0xFF passes through as is.
//
// Where a command may stand follows what telnet sends where. The two-byte
// commands and DO TIMING-MARK come at any point (^O and `^] send ayt` while
// a line is typed) and are removed wherever they are. Option negotiation and
// subnegotiation come only between lines; inside a line's text their bytes
// stay what the wire contract says they are, bytes that are not UTF-8, so
// the line gets BAD_ENCODING (`TEXT|\xff\xfe…` is bad text, not DONT).
// Likewise IAC before a byte that is no command, and any sequence that an LF
// cuts short: an LF always ends a line.

/** Command and option bytes (RFC 854; EOR RFC 885; ABORT, SUSP, EOF RFC 1184; TIMING-MARK RFC 860). */
export const TELNET = {
  IAC: 0xff,
  DONT: 0xfe,
  DO: 0xfd,
  WONT: 0xfc,
  WILL: 0xfb,
  SB: 0xfa,
  GA: 0xf9,
  EL: 0xf8,
  EC: 0xf7,
  AYT: 0xf6,
  AO: 0xf5,
  IP: 0xf4,
  BRK: 0xf3,
  DM: 0xf2,
  NOP: 0xf1,
  SE: 0xf0,
  EOR: 0xef,
  ABORT: 0xee,
  SUSP: 0xed,
  EOF: 0xec,
  TIMING_MARK: 6,
} as const;

const { IAC, DONT, DO, WONT, WILL, SB, AYT, SE, EOF, TIMING_MARK } = TELNET;
const LF = 0x0a;

/**
 * Option codes telnet clients negotiate (IANA's assigned 0–49 and 138–140),
 * CR and LF aside. Any other byte after WILL/WONT/DO/DONT makes it bad text,
 * not negotiation: `\xff\xfe\xfd` at a line's start is the classic test of
 * invalid UTF-8 and must get BAD_ENCODING, not silence.
 */
export function isTelnetOption(option: number): boolean {
  return (option < 50 && option !== LF && option !== 0x0d) || (option >= 138 && option <= 140);
}

/** A subnegotiation longer than this is abandoned (its line gets BAD_ENCODING) and what follows is data again. */
export const MAX_SUBNEGOTIATION_BYTES = 1024;

/** Where the filter's output goes, in stream order. */
export interface TelnetSink {
  /**
   * Data bytes, commands removed. May be a view of the pushed chunk or of a
   * scratch buffer: consume or copy it before the next push.
   */
  data(bytes: Uint8Array): void;
  /**
   * Bytes to send back to the peer. Every data byte received before the
   * command has gone to data() first; the reply belongs after whatever
   * output those bytes cause (a timing mark means "all of that is done").
   */
  reply(bytes: Uint8Array): void;
  /** IAC AYT ("are you there"): the peer asks for a visible sign of life. Same ordering as reply(). */
  areYouThere(): void;
}

const enum State {
  Data,
  /** After IAC. */
  Command,
  /** After IAC WILL/WONT/DO/DONT: the option byte comes next. */
  Option,
  /** Inside IAC SB … IAC SE. */
  Sub,
  /** After IAC inside a subnegotiation. */
  SubCommand,
}

const WILL_TIMING_MARK = Uint8Array.of(IAC, WILL, TIMING_MARK);

/** Incremental: one per connection; a command split across chunks is handled the same. */
export class TelnetFilter {
  private state = State.Data;
  private verb = 0;
  private subBytes = 0;
  /** Options refused so far: bit o of the first 256 bits for DO o (WONT sent), of the next 256 for WILL o (DONT sent). */
  private refused: Uint8Array | undefined;

  constructor(
    /** No data byte since the last LF: negotiation may stand here. A filter made part-way through a stream may start inside a line. */
    private lineStart = true,
  ) {}

  /** Feeds one chunk; returns how many data bytes went to `sink.data`. */
  push(chunk: Uint8Array, sink: TelnetSink): number {
    const length = chunk.length;
    // The hot path: most chunks hold no command at all.
    if (this.state === State.Data && chunk.indexOf(IAC) === -1) {
      if (length > 0) {
        sink.data(chunk);
        this.lineStart = chunk[length - 1] === LF;
      }
      return length;
    }
    // Data never outgrows the chunk plus the two bytes of a command begun in the one before.
    const out = new Uint8Array(length + 2);
    let written = 0;
    let flushed = 0;
    const flush = (): void => {
      if (written > flushed) sink.data(out.subarray(flushed, written));
      flushed = written;
    };
    const emit = (byte: number): void => {
      out[written++] = byte;
      this.lineStart = byte === LF;
    };
    let i = 0;
    while (i < length) {
      switch (this.state) {
        case State.Data: {
          const iac = chunk.indexOf(IAC, i);
          const end = iac === -1 ? length : iac;
          if (end > i) {
            out.set(chunk.subarray(i, end), written);
            written += end - i;
            this.lineStart = chunk[end - 1] === LF;
          }
          i = end;
          if (iac !== -1) {
            this.state = State.Command;
            i++;
          }
          break;
        }
        case State.Command: {
          const byte = chunk[i++]!;
          this.state = State.Data;
          if (byte === IAC) {
            emit(IAC);
          } else if (byte >= WILL && byte <= DONT) {
            this.verb = byte;
            this.state = State.Option;
          } else if (byte === SB) {
            if (this.lineStart) {
              this.subBytes = 0;
              this.state = State.Sub;
            } else {
              emit(IAC);
              emit(SB);
            }
          } else if (byte === AYT) {
            flush();
            sink.areYouThere();
          } else if (byte < EOF) {
            // Not a command: plain (bad) text.
            emit(IAC);
            emit(byte);
          }
          // The other two-byte commands (EOF … GA, and a stray SE) mean nothing to a line protocol.
          break;
        }
        case State.Option: {
          const option = chunk[i++]!;
          this.state = State.Data;
          // Every DO TIMING-MARK is a new request, wherever it stands: each gets its WILL (RFC 860).
          if (this.verb === DO && option === TIMING_MARK) {
            flush();
            sink.reply(WILL_TIMING_MARK);
          } else if (this.lineStart && isTelnetOption(option)) {
            const answer = this.answer(this.verb, option);
            if (answer !== undefined) {
              flush();
              sink.reply(answer);
            }
          } else {
            emit(IAC);
            emit(this.verb);
            emit(option);
          }
          break;
        }
        case State.Sub: {
          // Nothing here is used (no option is ever agreed), so nothing is kept.
          const byte = chunk[i]!;
          // One byte past the limit for the IAC of a closing IAC SE.
          if (byte === LF || this.subBytes >= MAX_SUBNEGOTIATION_BYTES + (byte === IAC ? 1 : 0)) {
            // Abandoned: it must not swallow a line end, nor the session's input. The
            // 0xFF left in its place gives its line BAD_ENCODING.
            this.state = State.Data;
            emit(IAC);
            break;
          }
          i++;
          this.subBytes++;
          if (byte === IAC) this.state = State.SubCommand;
          break;
        }
        case State.SubCommand: {
          const byte = chunk[i]!;
          if (byte === SE) {
            this.state = State.Data;
            i++;
          } else if (byte === IAC) {
            // An escaped 0xFF inside the subnegotiation.
            this.state = State.Sub;
            i++;
          } else {
            // IAC and anything else ends a malformed subnegotiation: the byte is a command.
            this.state = State.Command;
          }
          break;
        }
      }
    }
    flush();
    return written;
  }

  /** The refusal of IAC `verb` `option`, if one is due. */
  private answer(verb: number, option: number): Uint8Array | undefined {
    // WONT and DONT need no answer: every option is already off here.
    if (verb !== DO && verb !== WILL) return undefined;
    const bit = (verb === DO ? 0 : 256) + option;
    const refused = (this.refused ??= new Uint8Array(64));
    const mask = 1 << (bit & 7);
    if ((refused[bit >> 3]! & mask) !== 0) return undefined;
    refused[bit >> 3] = refused[bit >> 3]! | mask;
    return Uint8Array.of(IAC, verb === DO ? WONT : DONT, option);
  }
}
