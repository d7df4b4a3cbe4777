import type { LineDecoder, LineEvent } from '../protocol/index.js';
import type { Outbox } from './output-turn.js';
import { sleep, type TimerHandle, type Timers } from '../cli/timers.js';

// The earlier client's framing, in one place: it sends `1|name`, `2|name`
// and `3|name:message` without line endings and reads each reply with one
// recv(). Until a connection's first LF, pending bytes that start like one
// of its frames end after a quiet spell (or when the peer closes its side),
// and the login reply gets a write of its own.

/** A frame without LF ends after this much quiet. */
export const LEGACY_QUIET_MS = 250;
/** The pause after the login reply, so the history and join notice miss its recv(). */
export const LEGACY_SUCCESS_GAP_MS = 50;
const LEGACY_PREFIXES = ['1|', '2|', '3|'];

export class LegacyFraming {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly decoder: LineDecoder,
    private readonly outbox: Outbox,
    private readonly timers: Timers,
    private readonly emit: (event: LineEvent) => void,
  ) {}

  /** Whether the peer frames without line feeds: it has sent none yet. */
  get active(): boolean {
    return !this.decoder.sawLineFeed;
  }

  /** Data arrived: the quiet spell starts again. */
  received(): void {
    this.stop();
    if (!this.active || !this.pendingFrame()) return;
    this.timer = this.timers.setTimeout(() => this.fire(), LEGACY_QUIET_MS);
  }

  /** The peer closed its side: a final unterminated frame still counts. */
  ended(): void {
    if (this.active) this.fire();
  }

  /** Sends the login reply on its own and pauses, for a peer that reads one recv() per reply. */
  separateLoginReply(): Promise<void> | undefined {
    if (!this.active) return undefined;
    this.outbox.flushNow();
    return sleep(this.timers, LEGACY_SUCCESS_GAP_MS);
  }

  stop(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.stop();
    if (this.pendingFrame()) this.decoder.flushPending(this.emit);
  }

  private pendingFrame(): boolean {
    return LEGACY_PREFIXES.some((prefix) => this.decoder.pendingStartsWith(prefix));
  }
}
