// Latency in microseconds: a log-linear histogram (64 sub-buckets per power
// of two, about 1.6 % precision) that merges across workers, plus exact
// nearest-rank percentiles for small samples.

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64
const LINEAR = SUB * 2; // values below 128 µs are exact
const MAX_EXP = 31;
export const HISTOGRAM_BUCKETS = LINEAR + (MAX_EXP - SUB_BITS - 1) * SUB;

/** Bucket index of a value in µs (clamped to 0 … 2^31 - 1). */
export function bucketOf(us: number): number {
  let v = us < 0 ? 0 : us >= 2147483647 ? 2147483647 : Math.floor(us);
  if (v < LINEAR) return v;
  const exp = 31 - Math.clz32(v); // >= 7
  const shift = exp - SUB_BITS;
  v = (v >>> shift) & (SUB - 1);
  return LINEAR + (exp - SUB_BITS - 1) * SUB + v;
}

/** The range [low, high] of values in a bucket. */
export function bucketRange(index: number): [number, number] {
  if (index < LINEAR) return [index, index];
  const k = index - LINEAR;
  const exp = Math.floor(k / SUB) + SUB_BITS + 1;
  const sub = k % SUB;
  const shift = exp - SUB_BITS;
  const low = (SUB + sub) * 2 ** shift;
  return [low, low + 2 ** shift - 1];
}

export class Histogram {
  readonly counts: Float64Array;
  total = 0;
  max = 0;
  min = Infinity;
  sum = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Float64Array(HISTOGRAM_BUCKETS);
    if (counts !== undefined) {
      for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i] = counts[i] ?? 0;
    }
  }

  record(us: number): void {
    this.counts[bucketOf(us)]!++;
    this.total++;
    this.sum += us;
    if (us > this.max) this.max = us;
    if (us < this.min) this.min = us;
  }

  merge(other: HistogramData): void {
    for (const [index, count] of other.buckets) this.counts[index]! += count;
    this.total += other.total;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
    this.min = Math.min(this.min, other.min);
  }

  /** Nearest-rank percentile (0 < p ≤ 100), reported as the bucket's midpoint and never above max. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    if (rank >= this.total) return this.max;
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [low, high] = bucketRange(i);
        return Math.max(this.min, Math.min(this.max, (low + high) / 2));
      }
    }
    return this.max;
  }

  mean(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  /** A compact, structured-clone friendly form (non-empty buckets only). */
  toData(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, total: this.total, sum: this.sum, max: this.max, min: this.min };
  }
}

export interface HistogramData {
  buckets: Array<[number, number]>;
  total: number;
  sum: number;
  max: number;
  min: number;
}

/** Exact nearest-rank percentile of a sample (sorts a copy). NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}
