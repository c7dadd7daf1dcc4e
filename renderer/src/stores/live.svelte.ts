/**
 * The live picture behind the overview: one status snapshot (frontends,
 * routes, backends, servers and their states), refetched only when an event
 * says something changed (plus a slow refresh for the latest check results),
 * and one cell of per-second numbers per object, written from the `stats`
 * tick. A tick touches only the cells' fields, so only the text nodes
 * showing them change: no list is rebuilt and nothing reflows.
 *
 * The time each tick takes to apply (state + DOM) is kept for the
 * performance test: window.__loadstarPerf.
 */
import { flushSync } from 'svelte';
import type { EngineEvent, ObjectTick, StatsTick, StatusSnapshot } from '../../../proxy/control/contract.ts';
import { control, transport, type UiError } from '../transport/index.ts';
import { connection } from './connection.svelte.ts';
import { patchChanged } from '../lib/patch.ts';

/** Seconds over which the error rate is computed (one second is too jumpy to read). */
const ERROR_WINDOW = 10;
/** Slow refresh of the snapshot for the latest check codes and latencies, which change without an event. */
const STATUS_REFRESH_MS = 5000;

export class LiveCell {
  // Reactive: what the screens show. The rest are plain fields (a write to
  // reactive state costs even when nothing shows it, and a tick writes ~500).
  rps = $state(0);
  current = $state(0);
  /** 5xx responses / responses over the last ERROR_WINDOW seconds, 0..1. */
  errorRate = $state(0);
  bytesInPerS = 0;
  bytesOutPerS = 0;
  queue = 0;
  p95 = 0;
  private readonly responses = new Float64Array(ERROR_WINDOW);
  private readonly errors = new Float64Array(ERROR_WINDOW);
  private slot = 0;

  apply(tick: ObjectTick): void {
    if (this.rps !== tick.requests) this.rps = tick.requests;
    this.bytesInPerS = tick.bytesIn;
    this.bytesOutPerS = tick.bytesOut;
    if (this.current !== tick.current) this.current = tick.current;
    this.queue = tick.queue;
    this.p95 = tick.p95;
    const h = tick.hrsp;
    this.responses[this.slot] = h[0] + h[1] + h[2] + h[3] + h[4];
    this.errors[this.slot] = h[4];
    this.slot = (this.slot + 1) % ERROR_WINDOW;
    let responses = 0;
    let errors = 0;
    for (let i = 0; i < ERROR_WINDOW; i++) {
      responses += this.responses[i]!;
      errors += this.errors[i]!;
    }
    const rate = responses === 0 ? 0 : errors / responses;
    if (this.errorRate !== rate) this.errorRate = rate;
  }

  /** A second without a tick for this object: nothing moved. */
  idle(): void {
    if (this.rps !== 0 || this.errorRate !== 0 || this.bytesInPerS !== 0 || this.bytesOutPerS !== 0) {
      this.apply({ id: '', requests: 0, bytesIn: 0, bytesOut: 0, hrsp: [0, 0, 0, 0, 0], current: this.current, queue: this.queue, p50: 0, p95: 0, p99: 0 });
    }
  }
}

interface PerfSample {
  objects: number;
  /** Whole update: state, then the DOM (flushSync). */
  ms: number;
  /** Of which writing the state. */
  stateMs?: number;
}

declare global {
  interface Window {
    __loadstarPerf?: { ticks: PerfSample[]; statusRefreshes: PerfSample[]; lastTickAt: number };
  }
}

const PERF_KEEP = 3600;

function perfRecord(kind: 'ticks' | 'statusRefreshes', sample: PerfSample): void {
  const perf = (window.__loadstarPerf ??= { ticks: [], statusRefreshes: [], lastTickAt: 0 });
  const list = perf[kind];
  list.push(sample);
  if (list.length > PERF_KEEP) list.splice(0, list.length - PERF_KEEP);
}

class Live {
  /** Deeply reactive and patched in place (lib/patch.ts): a refresh touches only what changed. */
  status = $state<StatusSnapshot | null>(null);
  error = $state.raw<UiError | null>(null);
  /** Start of the last applied second (epoch ms). */
  lastTick = $state(0);
  /** The last snapshot as plain data, to find what the next one changes. */
  private plainStatus: Record<string, unknown> | undefined;
  private readonly cells = new Map<string, LiveCell>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private readonly tickListeners = new Set<(tick: StatsTick) => void>();

  /** The live numbers of `frontend:<n>`, `backend:<n>` or `server:<b>/<s>` (created on first use, kept). */
  cell(id: string): LiveCell {
    let cell = this.cells.get(id);
    if (!cell) this.cells.set(id, (cell = new LiveCell()));
    return cell;
  }

  /** Ticks for the live graphs, after the cells have been updated. */
  onTick(listener: (tick: StatsTick) => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  start(): () => void {
    const stopEvents = transport().subscribe(['stats', 'events'], (event) => {
      if (event.topic === 'stats') this.applyTick(event.payload as StatsTick);
      else this.onEngineEvent(event.payload as EngineEvent);
    });
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), STATUS_REFRESH_MS);
    return () => {
      stopEvents();
      clearInterval(timer);
      clearTimeout(this.refreshTimer);
    };
  }

  applyTick(tick: StatsTick): void {
    const started = performance.now();
    const seen = new Set<string>();
    for (const object of tick.objects) {
      seen.add(object.id);
      this.cell(object.id).apply(object);
    }
    for (const [id, cell] of this.cells) if (!seen.has(id)) cell.idle();
    this.lastTick = tick.t;
    const stateDone = performance.now();
    flushSync();
    const finished = performance.now();
    perfRecord('ticks', { objects: tick.objects.length, ms: finished - started, stateMs: stateDone - started });
    window.__loadstarPerf!.lastTickAt = tick.t;
    for (const listener of this.tickListeners) listener(tick);
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.type === 'lifecycle') connection.lifecycle = event.lifecycle;
    if (event.type !== 'alert') this.scheduleRefresh();
  }

  /** Several events in a burst (a backend losing all servers) cost one refetch. */
  scheduleRefresh(delayMs = 100): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), delayMs);
  }

  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      const answer = await control().status();
      if (answer.ok) {
        const started = performance.now();
        const next = answer.value as unknown as Record<string, unknown>;
        if (this.status && this.plainStatus) patchChanged(this.status as unknown as Record<string, unknown>, this.plainStatus, next);
        else this.status = structuredClone(answer.value);
        this.plainStatus = next;
        this.error = null;
        connection.lifecycle = answer.value.lifecycle;
        flushSync();
        perfRecord('statusRefreshes', { objects: answer.value.backends.reduce((n, b) => n + b.servers.length, 0), ms: performance.now() - started });
      } else {
        this.error = answer.error;
      }
    } finally {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh();
      }
    }
  }
}

export const live = new Live();
