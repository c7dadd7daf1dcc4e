/**
 * Gives memory back to the system when the engine goes quiet after a burst.
 *
 * A burst of connections leaves V8's heap larger than what stays alive: the old
 * generation fragmented by the objects of requests that have since ended (10,000
 * connections opened at once: 44 MB of old space holding 26 MB of live objects), and a
 * young generation grown to its maximum (2 × 8 MiB, ENGINE_NODE_FLAGS) that V8 resizes
 * only when its allocation rate, estimated over its last ~5 s of collections, is low.
 * Left alone, both stay resident while the connections sit idle — bench:idle measured
 * 5.7–6.2 KiB per idle connection, ~1.5 of it the young generation and ~1.9 free space
 * in the old one.
 *
 * So, once per quiet period that follows growth, two steps:
 * 1. compact — a full collection with V8's optimize-for-size set for its duration, which
 *    makes it evacuate fragmented old-space pages (a plain full collection left 31 MB of
 *    old space, this one 26 MB). ~30–40 ms with 10,000 connections: a request arriving
 *    then waits that long, twice (two passes a check apart, see `secondPass`), at the end of a burst.
 * 2. shrink — a young-generation collection (< 1 ms) once the quiet has lasted long
 *    enough that V8's allocation-rate estimate covers only the quiet: V8 then shrinks
 *    the young generation back to its starting size.
 * Measured (bench:idle, 10,000 idle connections): 5.7–6.2 KiB per connection without,
 * ~4 after the compaction, ~2.7 after both (docs/architecture.md, "Idle keep-alive
 * connections (#15)").
 *
 * Quiet is the event loop's utilization (`performance.eventLoopUtilization`) over the
 * last check below 5 %: it needs no hook in the engine's paths, and it is what a
 * collection's pause would compete with (at 5 %, ~1,000 small HTTP requests a second, a
 * 35 ms pause once per 30 s at most). V8's own memory reducer does something similar after ~8 s,
 * but measured it did not run here within 10 s of quiet.
 *
 * The collector comes from `--expose-gc` set at run time (the function is taken from a
 * fresh context, so no global `gc` appears); where that is not possible nothing runs.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { performance } from 'node:perf_hooks';

export interface ReclaimPolicy {
  /** How often quiet and heap size are looked at (ms). */
  readonly checkMs: number;
  /** Event-loop utilization (0–1) below which a check counts as quiet. */
  readonly quietBelow: number;
  /** Heap growth (bytes, V8's committed heap) since the last reclaim that makes a compaction worth its pause. */
  readonly growthBytes: number;
  /**
   * Quiet time after a compaction before the shrink (ms): V8 estimates its allocation
   * rate over the collections of the last 5 s, so the shrink's collection must come
   * that long after the compaction's.
   */
  readonly settleMs: number;
  /** Least time between two compactions (ms): a load that pauses every few seconds does not pay a full collection each time. */
  readonly minIntervalMs: number;
}

export const DEFAULT_RECLAIM_POLICY: ReclaimPolicy = {
  checkMs: 1000,
  // An idle engine's own sweeps are ~0.7 % with 10,000 idle connections (measured), more with more.
  quietBelow: 0.05,
  growthBytes: 8 * 1024 * 1024,
  settleMs: 5500,
  minIntervalMs: 30_000,
};

export type ReclaimStep = 'compact' | 'shrink';

/** One check's reading. */
export interface ReclaimReading {
  /** Monotonic time (ms). */
  readonly now: number;
  /** Event-loop utilization since the previous check (0–1). */
  readonly utilization: number;
  /** V8's committed heap (bytes). */
  readonly heapBytes: number;
}

/** When to compact and when to shrink, from the readings alone (no timers, no V8): the tested part. */
export class QuietReclaimState {
  /** Committed heap after the last step (or at the start). */
  private baseline: number;
  private lastCompactAt = -Infinity;
  /** Start of the current run of quiet checks; null while busy. */
  private quietSince: number | null = null;
  private shrinkPending = false;
  /**
   * The next quiet check runs a compaction's second pass. Measured after bursts, first passes
   * gave back anything from 0.5 to 16 MiB of the same kind of heap (as when V8 finishes a
   * marking it had begun before, with the pages it had picked then); a second starts afresh.
   */
  private secondPass = false;

  constructor(private readonly policy: ReclaimPolicy, startHeapBytes: number) {
    this.baseline = startHeapBytes;
  }

  /** The step to take after this reading, if any; `done` must follow a step with the heap size after it. */
  next(r: ReclaimReading): ReclaimStep | null {
    if (r.utilization >= this.policy.quietBelow) {
      this.quietSince = null;
      return null;
    }
    this.quietSince ??= r.now;
    const quietFor = r.now - this.quietSince;
    if (this.secondPass) {
      this.secondPass = false;
      this.lastCompactAt = r.now;
      return 'compact';
    }
    if (r.heapBytes - this.baseline >= this.policy.growthBytes && r.now - this.lastCompactAt >= this.policy.minIntervalMs) {
      this.secondPass = true;
      this.shrinkPending = true;
      this.lastCompactAt = r.now;
      return 'compact';
    }
    // A burst between the compaction and now restarted the quiet: wait a whole settle time of quiet again.
    if (this.shrinkPending && quietFor >= this.policy.settleMs && r.now - this.lastCompactAt >= this.policy.settleMs) {
      this.shrinkPending = false;
      return 'shrink';
    }
    return null;
  }

  /** The heap's committed size once a step has run: growth counts from here. */
  done(heapBytes: number): void {
    this.baseline = heapBytes;
  }
}

export interface QuietReclaim {
  stop(): void;
}

/** What the runner needs from the process (tests give their own). */
export interface ReclaimHooks {
  /** Called after each step, with the committed heap before and after (bytes). */
  onStep?(step: ReclaimStep, before: number, after: number): void;
}

function heapBytes(): number {
  return v8.getHeapStatistics().total_heap_size;
}

type Collect = (options?: { type: 'minor' | 'major' }) => void;

/** V8's collector without a global `gc`: --expose-gc at run time gives it to contexts created afterwards. */
function collector(): Collect | undefined {
  const global = (globalThis as { gc?: Collect }).gc;
  if (typeof global === 'function') return global;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Collect) : undefined;
  } catch {
    return undefined;
  }
}

/** The user's own --optimize-for-size is left on after a compaction. */
function optimizeForSizeByUser(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a === '--optimize-for-size' || a === '--optimize_for_size');
}

/**
 * Starts watching this process (one per engine process: the entry points call it).
 * Returns undefined when V8's collector cannot be had.
 */
export function startQuietReclaim(policy: ReclaimPolicy = DEFAULT_RECLAIM_POLICY, hooks: ReclaimHooks = {}): QuietReclaim | undefined {
  const gc = collector();
  if (!gc) return undefined;
  const keepOptimizeForSize = optimizeForSizeByUser();
  const state = new QuietReclaimState(policy, heapBytes());
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const step = state.next({ now: performance.now(), utilization: performance.eventLoopUtilization(now, elu).utilization, heapBytes: heapBytes() });
    elu = now;
    if (!step) return;
    const before = heapBytes();
    if (step === 'compact') {
      v8.setFlagsFromString('--optimize-for-size');
      try {
        gc(); // no options: a full, synchronous collection (Node 20's V8 reads { type: 'major' } as minor)
      } finally {
        if (!keepOptimizeForSize) v8.setFlagsFromString('--no-optimize-for-size');
      }
    } else {
      gc({ type: 'minor' });
    }
    const after = heapBytes();
    state.done(after);
    hooks.onStep?.(step, before, after);
    // The collection's own pause is not the load's: the next check measures from here.
    elu = performance.eventLoopUtilization();
  }, policy.checkMs).unref();
  return { stop: () => clearInterval(timer) };
}
