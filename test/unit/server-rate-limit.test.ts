import { describe, expect, it } from 'vitest';
import { FailureThrottle, TokenBucket } from '../../src/server/rate-limit.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: number; clock: () => number } {
  const state = { now: start, clock: () => state.now };
  return state;
}

/** How many take() calls succeed in a row right now (stops at `max`). */
function drain(bucket: TokenBucket, max = 1000): number {
  let n = 0;
  while (n < max && bucket.take()) n++;
  return n;
}

describe('TokenBucket', () => {
  it('starts full: a burst of `burst` takes succeed, the next one fails', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(5, 10, t.clock);
    for (let i = 0; i < 10; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.take()).toBe(false);
  });

  it('refills at `rate` tokens per second', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(5, 10, t.clock);
    expect(drain(bucket)).toBe(10);
    t.now += 1000;
    expect(drain(bucket)).toBe(5);
    t.now += 200;
    expect(drain(bucket)).toBe(1);
    t.now += 199;
    expect(bucket.take()).toBe(false);
  });

  it('accumulates fractions of a token across calls', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(5, 10, t.clock);
    drain(bucket);
    t.now += 100; // half a token
    expect(bucket.take()).toBe(false);
    t.now += 100; // the other half
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never saves up more than `burst` tokens, however long it is idle', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(5, 10, t.clock);
    drain(bucket);
    t.now += 3_600_000;
    expect(drain(bucket)).toBe(10);
  });

  it('a failed take does not use up the partial token', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(1, 1, t.clock);
    expect(bucket.take()).toBe(true);
    // Steps of 1/8 s, so the fractions add up exactly in binary floating point.
    for (let i = 0; i < 7; i++) {
      t.now += 125;
      expect(bucket.take()).toBe(false);
    }
    t.now += 125;
    expect(bucket.take()).toBe(true);
  });

  it('does not mint tokens when the clock goes backwards', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(5, 10, t.clock);
    drain(bucket);
    t.now -= 10_000;
    expect(bucket.take()).toBe(false);
    t.now += 10_000; // back where it was: still no time has passed
    expect(bucket.take()).toBe(false);
    t.now += 200;
    expect(drain(bucket)).toBe(1);
  });

  it('rate 0 means unlimited', () => {
    const t = fakeClock();
    const bucket = new TokenBucket(0, 1, t.clock);
    expect(drain(bucket, 10_000)).toBe(10_000);
  });

  it('buckets are independent', () => {
    const t = fakeClock();
    const a = new TokenBucket(5, 2, t.clock);
    const b = new TokenBucket(5, 2, t.clock);
    expect(drain(a)).toBe(2);
    expect(drain(b)).toBe(2);
  });
});

describe('FailureThrottle', () => {
  const WINDOW = 60_000;

  /** The private table, to check that forgotten keys really are gone. */
  function table(throttle: FailureThrottle): Map<string, number[]> {
    return (throttle as unknown as { failures: Map<string, number[]> }).failures;
  }

  it('blocks a key once it reaches the limit, not before', () => {
    const t = fakeClock();
    const throttle = new FailureThrottle(3, WINDOW, t.clock);
    expect(throttle.blocked('name:bob')).toBe(false);
    throttle.fail('name:bob');
    throttle.fail('name:bob');
    expect(throttle.blocked('name:bob')).toBe(false);
    throttle.fail('name:bob');
    expect(throttle.blocked('name:bob')).toBe(true);
  });

  it('counts each key separately', () => {
    const t = fakeClock();
    const throttle = new FailureThrottle(3, WINDOW, t.clock);
    for (let i = 0; i < 3; i++) throttle.fail('name:bob');
    throttle.fail('name:alice');
    expect(throttle.blocked('name:bob')).toBe(true);
    expect(throttle.blocked('name:alice')).toBe(false);
    expect(throttle.blocked('address:127.0.0.1')).toBe(false);
  });

  it('is a sliding window: each failure expires windowMs after it happened', () => {
    const t = fakeClock();
    const start = t.now;
    const throttle = new FailureThrottle(3, WINDOW, t.clock);
    throttle.fail('k'); // start
    t.now = start + 20_000;
    throttle.fail('k');
    t.now = start + 40_000;
    throttle.fail('k');
    t.now = start + WINDOW - 1;
    expect(throttle.blocked('k')).toBe(true);
    t.now = start + WINDOW; // the first failure is out of the window
    expect(throttle.blocked('k')).toBe(false);
    throttle.fail('k'); // back to three within the window
    expect(throttle.blocked('k')).toBe(true);
    t.now = start + 20_000 + WINDOW; // the second expires
    expect(throttle.blocked('k')).toBe(false);
  });

  it('is not blocked again once the whole window has passed', () => {
    const t = fakeClock();
    const throttle = new FailureThrottle(1, WINDOW, t.clock);
    throttle.fail('k');
    expect(throttle.blocked('k')).toBe(true);
    t.now += WINDOW;
    expect(throttle.blocked('k')).toBe(false);
    expect(table(throttle).has('k')).toBe(false);
  });

  it('clear() forgets a key at once', () => {
    const t = fakeClock();
    const throttle = new FailureThrottle(3, WINDOW, t.clock);
    for (let i = 0; i < 3; i++) throttle.fail('name:bob');
    for (let i = 0; i < 3; i++) throttle.fail('name:carol');
    throttle.clear('name:bob');
    expect(throttle.blocked('name:bob')).toBe(false);
    expect(throttle.blocked('name:carol')).toBe(true);
    // After clear the count starts from zero.
    throttle.fail('name:bob');
    throttle.fail('name:bob');
    expect(throttle.blocked('name:bob')).toBe(false);
  });

  it('sweep() drops keys whose failures have all expired and keeps the rest', () => {
    const t = fakeClock();
    const throttle = new FailureThrottle(3, WINDOW, t.clock);
    throttle.fail('old-1');
    throttle.fail('old-2');
    throttle.fail('mixed');
    t.now += 30_000;
    throttle.fail('mixed');
    throttle.fail('mixed');
    throttle.fail('recent');
    expect(table(throttle).size).toBe(4);
    t.now += 30_000; // the first three failures expire
    throttle.sweep();
    expect([...table(throttle).keys()].sort()).toEqual(['mixed', 'recent']);
    expect(table(throttle).get('mixed')).toHaveLength(2);
    t.now += 30_000;
    throttle.sweep();
    expect(table(throttle).size).toBe(0);
  });

  it('asking about an unknown key does not add it to the table', () => {
    const t = fakeClock();
    const throttle = new FailureThrottle(3, WINDOW, t.clock);
    for (let i = 0; i < 100; i++) throttle.blocked(`address:10.0.0.${i}`);
    expect(table(throttle).size).toBe(0);
  });
});
