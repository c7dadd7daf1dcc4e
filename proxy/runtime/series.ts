/**
 * Time series of one frontend, backend or server: a per-second ring of the
 * last 15 minutes and a per-minute ring of the last 24 hours, fixed-size
 * Float32Arrays (slot-major: METRICS values per slot). Counters are sampled
 * on the registry's one-second tick, so the hot path never touches a series.
 * Response-time percentiles come from the counters' cumulative histogram:
 * the difference between two ticks is the histogram of that second (minute).
 */
import type { StatCounters } from './counters.ts';
import { BUCKETS, quantileOf } from './histogram.ts';

export const METRICS = [
  'requests', 'bytesIn', 'bytesOut',
  'hrsp1xx', 'hrsp2xx', 'hrsp3xx', 'hrsp4xx', 'hrsp5xx',
  /** New sessions (connections for frontends, requests/connections given a slot for backends/servers). */
  'sessions',
  /** Current sessions and queued requests at the end of the slot (per minute: the highest seen). */
  'current', 'queue',
  /** Response time percentiles in ms (total time of the exchange). */
  'p50', 'p95', 'p99',
] as const;
export type Metric = (typeof METRICS)[number];

const M = METRICS.length;
/** Metrics summed over a minute (the others are gauges or percentiles). */
const SUMMED = 9;
const CURRENT = METRICS.indexOf('current');
const QUEUE = METRICS.indexOf('queue');
const P50 = METRICS.indexOf('p50');

export const SECOND_SLOTS = 900;
export const MINUTE_SLOTS = 1440;

/** Bytes held by one object's series (both rings and the sampling state). */
export const SERIES_BYTES = (SECOND_SLOTS + MINUTE_SLOTS) * M * 4 + 2 * BUCKETS * 4 + SUMMED * 8 + M * 4;

export interface SeriesPoint {
  /** Start of the slot, epoch ms. */
  t: number;
  values: Record<Metric, number>;
}

/** Cumulative counters sampled each tick (same order as the first SUMMED metrics). */
export function cumulativeOf(c: StatCounters): number[] {
  return [c.reqTot, c.bin, c.bout, c.hrsp1xx, c.hrsp2xx, c.hrsp3xx, c.hrsp4xx, c.hrsp5xx + c.hrspOther, c.stot];
}

export class Series {
  private readonly seconds = new Float32Array(SECOND_SLOTS * M);
  private readonly minutes = new Float32Array(MINUTE_SLOTS * M);
  private readonly prev = new Float64Array(SUMMED);
  private readonly prevSecondHist = new Uint32Array(BUCKETS);
  private readonly prevMinuteHist = new Uint32Array(BUCKETS);
  private readonly minuteAcc = new Float32Array(M);
  /** Last second and minute written (epoch seconds / minutes). */
  private lastSecond: number;
  private lastMinute: number;

  /** Created at the first tick that saw activity: everything counted so far belongs to the second that just ended. */
  constructor(nowMs: number) {
    const now = Math.floor(nowMs / 1000);
    this.lastSecond = now - 2;
    this.lastMinute = Math.floor((now - 1) / 60);
  }

  /**
   * Closes the seconds up to (not including) the current one: the activity
   * since the previous tick goes into the last elapsed second, seconds the
   * timer missed are zero; a new minute closes the minute slot.
   */
  sample(c: StatCounters, current: number, queue: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000) - 1;
    if (second <= this.lastSecond) return;
    const minute = Math.floor(second / 60);
    if (minute !== this.lastMinute) this.closeMinute(c, minute);
    for (let s = this.lastSecond + 1; s < second; s++) this.seconds.fill(0, (s % SECOND_SLOTS) * M, (s % SECOND_SLOTS) * M + M);
    const base = (second % SECOND_SLOTS) * M;
    const values = cumulativeOf(c);
    for (let i = 0; i < SUMMED; i++) {
      const delta = values[i]! - this.prev[i]!;
      this.prev[i] = values[i]!;
      this.seconds[base + i] = delta;
      this.minuteAcc[i]! += delta;
    }
    this.seconds[base + CURRENT] = current;
    this.seconds[base + QUEUE] = queue;
    if (current > this.minuteAcc[CURRENT]!) this.minuteAcc[CURRENT] = current;
    if (queue > this.minuteAcc[QUEUE]!) this.minuteAcc[QUEUE] = queue;
    this.writePercentiles(this.seconds, base, c.latency.counts, this.prevSecondHist);
    this.prevSecondHist.set(c.latency.counts);
    this.lastSecond = second;
  }

  /**
   * The counters were cleared (`clear counters all`) with these cumulative values: what they had
   * counted since the last sample still goes into the next second, and nothing negative does.
   */
  countersCleared(before: number[]): void {
    for (let i = 0; i < SUMMED; i++) this.prev[i] = this.prev[i]! - before[i]!;
  }

  private closeMinute(c: StatCounters, minute: number): void {
    const base = (this.lastMinute % MINUTE_SLOTS) * M;
    this.minutes.set(this.minuteAcc, base);
    this.writePercentiles(this.minutes, base, c.latency.counts, this.prevMinuteHist);
    this.prevMinuteHist.set(c.latency.counts);
    for (let m = this.lastMinute + 1; m < minute; m++) this.minutes.fill(0, (m % MINUTE_SLOTS) * M, (m % MINUTE_SLOTS) * M + M);
    this.minuteAcc.fill(0);
    this.lastMinute = minute;
  }

  private writePercentiles(ring: Float32Array, base: number, now: Uint32Array, before: Uint32Array): void {
    const delta = scratch;
    let total = 0;
    for (let b = 0; b < BUCKETS; b++) total += delta[b] = now[b]! - before[b]!;
    ring[base + P50] = quantileOf(delta, total, 0.5);
    ring[base + P50 + 1] = quantileOf(delta, total, 0.95);
    ring[base + P50 + 2] = quantileOf(delta, total, 0.99);
  }

  /** Per-second points of the last `seconds` seconds (at most 900), oldest first. */
  lastSeconds(seconds: number): SeriesPoint[] {
    const n = Math.min(Math.max(0, Math.floor(seconds)), SECOND_SLOTS);
    const out: SeriesPoint[] = [];
    for (let s = this.lastSecond - n + 1; s <= this.lastSecond; s++) out.push(point(this.seconds, (s % SECOND_SLOTS + SECOND_SLOTS) % SECOND_SLOTS, s * 1000));
    return out;
  }

  /** Per-minute points of the last `minutes` closed minutes (at most 1440), oldest first. */
  lastMinutes(minutes: number): SeriesPoint[] {
    const n = Math.min(Math.max(0, Math.floor(minutes)), MINUTE_SLOTS);
    const out: SeriesPoint[] = [];
    for (let m = this.lastMinute - n; m < this.lastMinute; m++) out.push(point(this.minutes, (m % MINUTE_SLOTS + MINUTE_SLOTS) % MINUTE_SLOTS, m * 60_000));
    return out;
  }
}

/** Reused by every series on the tick (single-threaded). */
const scratch = new Uint32Array(BUCKETS);

function point(ring: Float32Array, slot: number, t: number): SeriesPoint {
  const values = {} as Record<Metric, number>;
  for (let i = 0; i < M; i++) values[METRICS[i]!] = ring[slot * M + i]!;
  return { t, values };
}
