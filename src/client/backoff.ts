// Reconnecting, as the terminal client and the web page both do it: the
// delays (exponential growth with a cap and jitter; the random source is
// given so tests can pin it), the refusals worth another try, and the
// heartbeat's PING tokens. Pure.

/** PING tokens a connection uses for itself start with this; their PONGs are not passed on. */
export const HEARTBEAT_TOKEN_PREFIX = '~hb';

/** Login refusals worth retrying while reconnecting: the old session may still hold the name, or the server is busy. */
export const RETRYABLE_ON_RECONNECT: ReadonlySet<string> = new Set(['NAME_TAKEN', 'SERVER_FULL', 'TIMEOUT', 'UNAVAILABLE', 'RATE_LIMITED']);

export interface BackoffPolicy {
  /** Delay before the first reconnect attempt, before jitter. */
  initialMs: number;
  /** Largest delay, before jitter. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of the delay that is random: 0.5 gives a delay in [d/2, d]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0.5 };

/**
 * The delay before reconnect attempt `attempt` (1 for the first):
 * d = min(maxMs, initialMs · factor^(attempt−1)), then a random point in
 * [d·(1−jitter), d], so clients dropped together do not return together.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const n = Math.max(1, Math.floor(attempt));
  const exponential = policy.initialMs * Math.pow(policy.factor, n - 1);
  const capped = Math.min(policy.maxMs, Number.isFinite(exponential) ? exponential : policy.maxMs);
  const r = Math.min(1, Math.max(0, random()));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(capped * (1 - jitter) + capped * jitter * r);
}
