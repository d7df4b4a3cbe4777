import type { ServerFrame } from '../protocol/index.js';
import type { TimerHandle, Timers } from '../cli/timers.js';

// Everything the client sends after login goes through one queue. One frame
// is in flight at a time and counts as done when its answer arrives (the
// echo of our own TEXT, SENT, USERS, …), so an ERROR always belongs to the
// frame that caused it: RATE_LIMITED puts the frame back and retries it
// later; a lost connection puts it back for after the reconnect. Sends are
// paced below the server's default rate. Nothing is dropped without a word.

export type ItemKind = 'say' | 'whisper' | 'users' | 'rooms' | 'join' | 'history' | 'ping' | 'sync' | 'password' | 'moderation' | 'topic';

export interface OutboxItem {
  kind: ItemKind;
  /** The line(s) to write; `token` is fresh for every attempt, for PING-based answers. */
  encode(token: string): string;
  /** Whether `frame` is the answer to this item as sent with `token`. */
  answers(frame: ServerFrame, token: string): boolean;
  /** Internal items (seeding the name list, the final sync): their answers are not shown. */
  silent: boolean;
  /** What the user typed, for notices. */
  label: string;
  /** Belongs to one connection (seeding the name list, re-entering the room): dropped when it is lost. */
  ephemeral?: boolean;
  /** A RATE_LIMITED refusal is its answer, not a reason to send it again (a throttled password check). */
  rateLimitIsAnswer?: boolean;
  /** Called once, with the answer or undefined when none came in time. */
  done?(answer: ServerFrame | undefined, roundTripMs: number): void;
  /** An ephemeral item dropped with its connection; `sent`: it was in flight, so the server may have acted on it. */
  lost?(sent: boolean): void;
}

export interface OutboxEvents {
  /** The server refused the item as too fast; it goes again after `delayMs`. */
  rateLimited?(item: OutboxItem, delayMs: number): void;
  /** No answer came within the ack timeout; the outbox moved on. */
  unanswered?(item: OutboxItem): void;
}

export interface OutboxOptions {
  /** Writes a line; false when offline (the item stays queued). */
  write(line: string): boolean;
  timers: Timers;
  events?: OutboxEvents;
  /** Most items waiting (internal items may exceed it). */
  limit: number;
  /** Sends per second once the burst is used up; 0 for no pacing. */
  rate?: number;
  burst?: number;
  ackTimeoutMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** A little under the server's default 5/s with a burst of 10, leaving room for heartbeats. */
export const DEFAULT_SEND_RATE = 4;
export const DEFAULT_SEND_BURST = 8;
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY_BASE_MS = 300;
export const DEFAULT_RETRY_MAX_MS = 3_000;
/** PING tokens of the outbox start with this, so their PONGs are recognised as internal. */
export const OUTBOX_TOKEN_PREFIX = '~o';

interface Entry {
  item: OutboxItem;
  retries: number;
}

interface Flight extends Entry {
  token: string;
  sentAt: number;
  ackTimer: TimerHandle;
}

export type PushResult = 'accepted' | 'full';

export interface FrameResult {
  /** The item this frame answered, if any. */
  answered?: OutboxItem;
  /** True when the frame is the outbox's business alone and should not be shown. */
  swallow: boolean;
}

export class Outbox {
  private readonly queue: Entry[] = [];
  private flight: Flight | undefined;
  private online = false;
  private wakeTimer: TimerHandle | undefined;
  private tokenCount = 0;
  private tokens: number;
  private lastRefill: number;
  private idleWaiters: Array<() => void> = [];

  private readonly rate: number;
  private readonly burst: number;
  private readonly ackTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: OutboxOptions) {
    this.rate = options.rate ?? DEFAULT_SEND_RATE;
    this.burst = options.burst ?? DEFAULT_SEND_BURST;
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.retryMaxMs = options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    this.tokens = this.burst;
    this.lastRefill = options.timers.now();
  }

  /** Items waiting or in flight. */
  get size(): number {
    return this.queue.length + (this.flight === undefined ? 0 : 1);
  }

  /** Items waiting that the user typed (internal ones excluded). */
  get pendingUserItems(): number {
    const queued = this.queue.filter((e) => !e.item.silent).length;
    return queued + (this.flight !== undefined && !this.flight.item.silent ? 1 : 0);
  }

  /** The kind of the item waiting for its answer, if any. */
  get inFlightKind(): ItemKind | undefined {
    return this.flight?.item.kind;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Queues an item; `front` puts it before everything waiting and ignores the limit. */
  push(item: OutboxItem, options: { front?: boolean } = {}): PushResult {
    if (options.front) {
      this.queue.unshift({ item, retries: 0 });
    } else {
      if (this.queue.filter((e) => !e.item.silent).length >= this.options.limit) return 'full';
      this.queue.push({ item, retries: 0 });
    }
    this.pump();
    return 'accepted';
  }

  /** Puts several internal items at the front, in the given order. */
  pushFront(items: readonly OutboxItem[]): void {
    for (let i = items.length - 1; i >= 0; i--) this.queue.unshift({ item: items[i]!, retries: 0 });
    this.pump();
  }

  setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    if (!online) {
      const flight = this.flight;
      if (flight !== undefined) {
        this.options.timers.clearTimeout(flight.ackTimer);
        this.flight = undefined;
        // Not confirmed: send it again after the reconnect (at least once, never lost).
        this.queue.unshift({ item: flight.item, retries: flight.retries });
      }
      const dropped = this.queue.filter((e) => e.item.ephemeral).map((e) => e.item);
      for (let i = this.queue.length - 1; i >= 0; i--) {
        if (this.queue[i]!.item.ephemeral) this.queue.splice(i, 1);
      }
      for (const item of dropped) item.lost?.(item === flight?.item);
      this.options.timers.clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      return;
    }
    this.pump();
  }

  /** Looks at a frame from the server; tells whether it answered the item in flight. */
  onFrame(frame: ServerFrame): FrameResult {
    const flight = this.flight;
    if (frame.type === 'ERROR' && frame.code === 'RATE_LIMITED' && flight?.item.rateLimitIsAnswer !== true) {
      if (flight !== undefined) this.retryLater(flight);
      return { swallow: true };
    }
    if (flight === undefined || !flight.item.answers(frame, flight.token)) return { swallow: false };
    this.options.timers.clearTimeout(flight.ackTimer);
    this.flight = undefined;
    flight.item.done?.(frame, this.options.timers.now() - flight.sentAt);
    this.pump();
    return { answered: flight.item, swallow: flight.item.silent };
  }

  /** Resolves once nothing waits and nothing is in flight. */
  whenIdle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Empties the queue (on quit); returns what was never confirmed. */
  clear(): OutboxItem[] {
    const dropped = this.queue.splice(0).map((e) => e.item);
    if (this.flight !== undefined) {
      this.options.timers.clearTimeout(this.flight.ackTimer);
      dropped.unshift(this.flight.item);
      this.flight = undefined;
    }
    this.options.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.notifyIdle();
    return dropped;
  }

  private retryLater(flight: Flight): void {
    this.options.timers.clearTimeout(flight.ackTimer);
    this.flight = undefined;
    const retries = flight.retries + 1;
    this.queue.unshift({ item: flight.item, retries });
    const delayMs = Math.min(this.retryMaxMs, this.retryBaseMs * Math.pow(2, retries - 1));
    // Spend the bucket: the server says we are over the rate.
    this.tokens = 0;
    this.lastRefill = this.options.timers.now();
    this.options.events?.rateLimited?.(flight.item, delayMs);
    this.wakeAfter(delayMs);
  }

  private wakeAfter(ms: number): void {
    this.options.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = this.options.timers.setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, ms);
  }

  private refill(): void {
    if (this.rate <= 0) return;
    const now = this.options.timers.now();
    if (now > this.lastRefill) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.rate) / 1000);
      this.lastRefill = now;
    }
  }

  private pump(): void {
    if (!this.online || this.flight !== undefined || this.wakeTimer !== undefined) return;
    const entry = this.queue[0];
    if (entry === undefined) {
      this.notifyIdle();
      return;
    }
    if (this.rate > 0) {
      this.refill();
      if (this.tokens < 1) {
        this.wakeAfter(Math.ceil(((1 - this.tokens) * 1000) / this.rate));
        return;
      }
    }
    const token = `${OUTBOX_TOKEN_PREFIX}${++this.tokenCount}`;
    if (!this.options.write(entry.item.encode(token))) return;
    this.queue.shift();
    if (this.rate > 0) this.tokens -= 1;
    const ackTimer = this.options.timers.setTimeout(() => this.unanswered(), this.ackTimeoutMs);
    this.flight = { ...entry, token, sentAt: this.options.timers.now(), ackTimer };
  }

  private unanswered(): void {
    const flight = this.flight;
    if (flight === undefined) return;
    this.flight = undefined;
    this.options.events?.unanswered?.(flight.item);
    flight.item.done?.(undefined, this.options.timers.now() - flight.sentAt);
    this.pump();
  }

  private notifyIdle(): void {
    if (this.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
