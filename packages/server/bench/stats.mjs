// Latency statistics that merge across processes: a log-bucket histogram (1 % resolution) instead of
// raw samples, so a worker can record millions of deliveries and ship a few kilobytes over IPC.

const GROWTH = Math.log(1.01);
/** Buckets cover 0 µs … about 1.4 hours at 1 % resolution. */
const BUCKETS = 2_300;

/** @param {number} value */
function bucketOf(value) {
  if (value <= 0) return 0;
  const index = Math.ceil(Math.log1p(value) / GROWTH);
  return index >= BUCKETS ? BUCKETS - 1 : index;
}

/** Upper bound of a bucket, so percentiles never under-report. @param {number} index */
function bucketCeiling(index) {
  return Math.expm1(index * GROWTH);
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
    this.min = Number.POSITIVE_INFINITY;
  }

  /** @param {number} value any unit; the bench records microseconds */
  record(value) {
    const v = Math.max(value, 0);
    this.counts[bucketOf(v)] += 1;
    this.count += 1;
    this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  /** Sparse form for IPC / JSON. @returns {SerializedHistogram} */
  toJSON() {
    /** @type {[number, number][]} */
    const buckets = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, count: this.count, sum: this.sum, max: this.max, min: this.count ? this.min : 0 };
  }

  /** @param {SerializedHistogram} other */
  merge(other) {
    for (const [i, c] of other.buckets) this.counts[i] = (this.counts[i] ?? 0) + c;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
    if (other.count && other.min < this.min) this.min = other.min;
    return this;
  }

  /** @param {SerializedHistogram[]} parts */
  static from(parts) {
    const h = new Histogram();
    for (const p of parts) h.merge(p);
    return h;
  }

  /** @param {number} p 0..100 */
  percentile(p) {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(bucketCeiling(i), this.max);
    }
    return this.max;
  }

  /**
   * p50/p95/p99/max/mean converted by `scale` (e.g. 1e-3 for µs → ms), rounded to 3 decimals.
   * @param {number} [scale]
   */
  summary(scale = 1) {
    const r = (/** @type {number} */ v) => (Number.isFinite(v) ? round(v * scale, 3) : null);
    return {
      count: this.count,
      p50: r(this.percentile(50)),
      p95: r(this.percentile(95)),
      p99: r(this.percentile(99)),
      max: r(this.count ? this.max : Number.NaN),
      mean: r(this.count ? this.sum / this.count : Number.NaN),
    };
  }
}

/**
 * @param {number} value
 * @param {number} [digits]
 */
export function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * ours / soketi, or null when either side is missing or zero.
 * @param {unknown} ours
 * @param {unknown} theirs
 */
export function ratio(ours, theirs) {
  if (typeof ours !== 'number' || typeof theirs !== 'number') return null;
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return null;
  return round(ours / theirs, 3);
}

/**
 * @typedef {{ buckets: [number, number][], count: number, sum: number, max: number, min: number }} SerializedHistogram
 */

/**
 * Several runs of one measurement as one: the figures named in `summed` (counts) add up over the
 * samples, every other figure is the median of its finite values (NaN when none is finite).
 * @param {Array<Record<string, number>>} samples all of the same shape
 * @param {ReadonlySet<string>} summed
 * @returns {Record<string, number>}
 */
export function combineSamples(samples, summed) {
  /** @type {Record<string, number>} */
  const out = { samples: samples.length };
  for (const key of Object.keys(samples[0] ?? {})) {
    const values = samples.map((s) => /** @type {number} */ (s[key])).filter(Number.isFinite);
    if (summed.has(key)) {
      out[key] = values.reduce((a, v) => a + v, 0);
      continue;
    }
    const sorted = values.sort((a, b) => a - b);
    const mid = sorted.length / 2;
    out[key] =
      sorted.length === 0
        ? Number.NaN
        : sorted.length % 2
          ? /** @type {number} */ (sorted[Math.floor(mid)])
          : round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2, 2);
  }
  return out;
}
