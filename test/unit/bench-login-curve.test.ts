import { describe, expect, it } from 'vitest';
import { shareOf } from '../../src/bench/generator.js';
import { curveChunk, loginCurve } from '../../src/bench/login-curve.js';

describe('login curve', () => {
  it('takes the first and last rates over a tenth, at most 1,000', () => {
    expect(curveChunk(10_000)).toBe(1000);
    expect(curveChunk(50_000)).toBe(1000);
    expect(curveChunk(500)).toBe(50);
    expect(curveChunk(5)).toBe(1);
  });

  it('gives the time until all are in and the rates at both ends', () => {
    // 20 logins: the first 10 one every 10 ms, the last 10 one every 100 ms.
    const done = [...Array.from({ length: 10 }, (_, i) => (i + 1) * 10), ...Array.from({ length: 10 }, (_, i) => 100 + (i + 1) * 100)];
    const own = done.map(() => 5);
    const c = loginCurve(done.reverse(), own, 5);
    expect(c).toMatchObject({ logins: 20, done: 20, allInMs: 1100, lastDoneMs: 1100 });
    expect(c.firstRate).toBeCloseTo(5 / 0.05);
    expect(c.lastRate).toBeCloseTo(5 / 0.5);
    expect(c.meanRate).toBeCloseTo(20 / 1.1);
    expect(c.ownP50).toBe(5);
  });

  it('counts what was done when some were not', () => {
    const c = loginCurve([10, NaN, 30, NaN], [1, NaN, 3, NaN], 1);
    expect(c).toMatchObject({ logins: 4, done: 2, lastDoneMs: 30 });
    expect(c.allInMs).toBeNaN();
    expect(c.firstRate).toBeCloseTo(100);
    expect(c.lastRate).toBeCloseTo(1 / 0.02);
    expect(c.ownP99).toBe(3);
  });

  it('takes the last rate from the start when fewer than a chunk were done', () => {
    const c = loginCurve([100, 200], [1, 1], 1000);
    expect(c.lastRate).toBeCloseTo(10);
    expect(c.firstRate).toBeCloseTo(10);
  });

  it('has no rates when nothing was done', () => {
    const c = loginCurve([NaN, NaN], [NaN, NaN]);
    expect(c.done).toBe(0);
    expect(c.firstRate).toBeNaN();
    expect(c.lastRate).toBeNaN();
    expect(c.ownP50).toBeNaN();
  });
});

describe('logins in flight shared out between workers', () => {
  it('keeps the total exact', () => {
    expect([0, 1].map((i) => shareOf(64, 2, i))).toEqual([32, 32]);
    expect([0, 1, 2].map((i) => shareOf(64, 3, i))).toEqual([22, 21, 21]);
    expect(shareOf(64, 1, 0)).toBe(64);
  });

  it('gives every worker at least one', () => {
    expect([0, 1, 2].map((i) => shareOf(2, 3, i))).toEqual([1, 1, 1]);
  });
});
