/**
 * Response-time histogram with logarithmic buckets: four buckets per doubling
 * (≈19 % wide) from 0 ms to ~18 minutes, so p50/p95/p99 are known within a
 * bucket's width whatever the scale, in a fixed 256-byte array.
 */

/** Buckets per power of two. */
const STEPS = 4;
export const BUCKETS = 64;

/** Bucket of a duration in ms: 0 for < 1 ms, then STEPS buckets per doubling. */
export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  const b = 1 + Math.floor(Math.log2(ms) * STEPS);
  return b < BUCKETS ? b : BUCKETS - 1;
}

/** Upper bound (ms) of a bucket: the value reported for a percentile falling in it. */
export function bucketUpperMs(b: number): number {
  return b === 0 ? 1 : 2 ** (b / STEPS);
}

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  add(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.total++;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The q-quantile (0..1) in ms, rounded to 0.1 ms; 0 when empty. */
  quantile(q: number): number {
    return quantileOf(this.counts, this.total, q);
  }
}

export function quantileOf(counts: ArrayLike<number>, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b]!;
    if (seen >= rank) return Math.round(bucketUpperMs(b) * 10) / 10;
  }
  return Math.round(bucketUpperMs(counts.length - 1) * 10) / 10;
}
