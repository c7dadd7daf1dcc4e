/**
 * The live picture behind the overview: one status snapshot (frontends,
 * routes, backends, servers and their states), refetched only when an event
 * says something changed (plus a slow refresh for the latest check results),
 * and one cell of per-second numbers per object, written from the `stats`
 * tick. A tick touches only the cells, which write the text nodes showing
 * them (liveText) when their text changes: no list is rebuilt, no
 * component re-runs, and only those text nodes are laid out again.
 *
 * The time each tick takes to apply (from its arrival through decoding,
 * state, DOM, style and layout) is kept for the performance test:
 * window.__loadstarPerf.
 */
import { flushSync } from 'svelte';
import type { EngineEvent, StatsTick, StatusSnapshot } from '../../../proxy/control/contract.ts';
import { control, transport, type UiError } from '../transport/index.ts';
import { connection } from './connection.svelte.ts';
import { patchChanged } from '../lib/patch.ts';
import { LiveCell } from './live-cell.ts';

/** Slow refresh of the snapshot for the latest check codes and latencies, which change without an event. */
const STATUS_REFRESH_MS = 5000;

interface PerfSample {
  objects: number;
  /**
   * The whole update as the user waits for it: from the message's arrival
   * (before decoding) through the state, the DOM and the style and layout
   * of what changed (forced here rather than left to the next frame).
   */
  ms: number;
  /** Of which decoding the message. */
  parseMs?: number;
  /** Of which writing the state. */
  stateMs?: number;
  /** Of which Svelte's DOM updates (flushSync). */
  domMs?: number;
  /** Of which style and layout. */
  layoutMs?: number;
  /**
   * After it, the next frame's remaining rendering (pre-paint, paint,
   * commit), from its animation-frame callback to the first task after it:
   * informational, since another task may run in between.
   */
  paintMs?: number;
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

/**
 * Brings style and layout up to date now. The next frame would do the same
 * work, so forcing it here costs nothing more and lets the update's time
 * include it. A hidden page has no frames: nothing is forced there.
 */
function layoutNow(): void {
  if (document.visibilityState === 'visible') void document.documentElement.offsetHeight;
}

/** Measures the rest of the next frame's rendering into `sample.paintMs` (see PerfSample). */
function measurePaint(sample: PerfSample): void {
  if (document.visibilityState !== 'visible') return;
  requestAnimationFrame(() => {
    const frameStart = performance.now();
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      sample.paintMs = performance.now() - frameStart;
      channel.port1.close();
    };
    channel.port2.postMessage(null);
  });
}

class Live {
  /** Deeply reactive and patched in place (lib/patch.ts): a refresh touches only what changed. */
  status = $state<StatusSnapshot | null>(null);
  error = $state.raw<UiError | null>(null);
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
    const stopEvents = transport().subscribe(['stats', 'events'], (event, receivedAt) => {
      if (event.topic === 'stats') this.applyTick(event.payload as StatsTick, receivedAt);
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

  /** `receivedAt`: performance.now() when the tick's message arrived, if the transport knows it. */
  applyTick(tick: StatsTick, receivedAt?: number): void {
    const started = performance.now();
    const seen = new Set<LiveCell>();
    for (const object of tick.objects) {
      const cell = this.cell(object.id);
      seen.add(cell);
      cell.apply(object);
    }
    for (const cell of this.cells.values()) if (!seen.has(cell)) cell.idle();
    const stateDone = performance.now();
    flushSync();
    const domDone = performance.now();
    layoutNow();
    const finished = performance.now();
    const arrived = receivedAt ?? started;
    const sample: PerfSample = {
      objects: tick.objects.length,
      ms: finished - arrived,
      parseMs: started - arrived,
      stateMs: stateDone - started,
      domMs: domDone - stateDone,
      layoutMs: finished - domDone,
    };
    perfRecord('ticks', sample);
    measurePaint(sample);
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
        layoutNow();
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
