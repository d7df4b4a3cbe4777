// Rate limiting with an injected clock (milliseconds), so tests need no sleeps.

export type Clock = () => number;

/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  /** Takes one token if there is one. A rate of 0 means unlimited. */
  take(): boolean {
    if (this.rate === 0) return true;
    this.refill();
    // Sums of fractional refills land a hair under whole numbers.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens = Math.max(-this.burst, this.tokens - 1);
    return true;
  }

  /**
   * Charges `tokens` more for work already done (a large answer): the
   * bucket may go into debt, down to one burst, and later takes wait until
   * it is paid back. So an expensive frame costs its sender, not others.
   */
  charge(tokens: number): void {
    if (this.rate === 0 || tokens <= 0) return;
    this.refill();
    this.tokens = Math.max(-this.burst, this.tokens - tokens);
  }

  private refill(): void {
    const now = this.clock();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
  }
}

const KEEP_PAST_LIMIT = 64;

/**
 * Counts failures per key in a sliding window (e.g. wrong passwords per name
 * and per address). Keys are forgotten once their window has passed, so the
 * table stays as small as the set of recent offenders.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** Whether `key` has used up its failures within the window. */
  blocked(key: string): boolean {
    return this.recent(key).length >= this.limit;
  }

  /** Failures of `key` within the window (counted up to a little past the limit). */
  count(key: string): number {
    return this.recent(key).length;
  }

  fail(key: string): void {
    const list = this.recent(key);
    list.push(this.clock());
    // Past the limit only the count matters, and a key under attack must not grow without end.
    if (list.length > this.limit + KEEP_PAST_LIMIT) list.shift();
    this.failures.set(key, list);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  /** Takes back the newest failure of `key` (one counted before it was known to be one). */
  forgive(key: string): void {
    const list = this.failures.get(key);
    if (list === undefined) return;
    list.pop();
    if (list.length === 0) this.failures.delete(key);
  }

  /** Drops expired entries everywhere; call now and then. */
  sweep(): void {
    for (const key of this.failures.keys()) this.recent(key);
  }

  private recent(key: string): number[] {
    const list = this.failures.get(key);
    if (list === undefined) return [];
    const since = this.clock() - this.windowMs;
    const kept = list.filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }
}
