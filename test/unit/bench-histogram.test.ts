import { describe, expect, it } from 'vitest';
import { HISTOGRAM_BUCKETS, Histogram, bucketOf, bucketRange, percentile } from '../../src/bench/histogram.js';

describe('bench percentiles', () => {
  it('takes the nearest rank of a sample', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 5)).toBe(15);
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 40)).toBe(20);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });

  it('puts every value in the bucket whose range holds it', () => {
    for (const v of [0, 1, 127, 128, 129, 255, 256, 1000, 12_345, 999_999, 2 ** 30, 2 ** 31 - 1]) {
      const i = bucketOf(v);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(HISTOGRAM_BUCKETS);
      const [low, high] = bucketRange(i);
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThanOrEqual(high);
      expect((high - low) / Math.max(1, low)).toBeLessThan(0.016);
    }
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(1e12)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it('matches exact percentiles within the bucket precision', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 20_000 }, () => Math.floor(50 + random() ** 3 * 200_000));
    const h = new Histogram();
    for (const v of values) h.record(v);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = percentile(values, p);
      expect(Math.abs(h.percentile(p) - exact) / exact, `p${p}`).toBeLessThan(0.02);
    }
    expect(h.percentile(100)).toBe(Math.max(...values));
    expect(h.total).toBe(values.length);
  });

  it('merges histograms from several workers', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let v = 1; v <= 100; v++) (v % 2 === 0 ? a : b).record(v);
    const all = new Histogram();
    all.merge(a.toData());
    all.merge(b.toData());
    expect(all.total).toBe(100);
    expect(all.percentile(50)).toBe(50);
    expect(all.percentile(99)).toBe(99);
    expect(all.max).toBe(100);
    expect(all.mean()).toBeCloseTo(50.5);
    expect(new Histogram().percentile(50)).toBeNaN();
  });
});
