/**
 * Feeds the history store from a running engine, off the hot path:
 * - once a minute (a few seconds after the minute closed), the minutes each
 *   object's series ring closed since the last write, in one transaction;
 *   minutes without activity are skipped;
 * - health transitions as they happen, collected and written one batch per
 *   second (one transaction), never one write per event or per request;
 * - once an hour, the retention and size prune;
 * - at start and after each reload, the backends and servers configured (their
 *   first-seen times: a server added a minute ago has no history before it);
 * - at an engine's start, the servers whose starting state differs from the one
 *   last stored (DOWN when Loadstar stopped, UP after the restart), as transitions;
 * - when the engine runs: each run's start, then the last moment it was known
 *   alive, updated with each minute's write, each batch of health events and
 *   at a stop (a killed process's run ends at its last update, at most a
 *   minute and a few seconds early; a machine's sleep splits a run), so
 *   a timeline tells the time Loadstar was not running from the time it watched.
 * Nothing here runs per request: the engine's counters and rings already
 * aggregate, the recorder only reads them.
 */
import type { Config } from '../config/model.ts';
import type { Engine } from '../engine.ts';
import type { StatCounters } from '../runtime/counters.ts';
import type { SeriesPoint } from '../runtime/series.ts';
import type { MinuteRecord, StoredHealthEvent } from './history.ts';
import { renamedObjects } from './change-summary.ts';
import { serverStartState, startReason, usableLabel } from './start-state.ts';

/** Where the recorder writes: HistoryStore (synchronous, tests) or HistoryClient (its worker thread, `loadstar serve`). */
export interface HistorySink {
  writeMinutes(records: readonly MinuteRecord[]): void | Promise<void>;
  writeHealthEvents(events: readonly StoredHealthEvent[]): void | Promise<void>;
  prune(nowMs?: number): unknown;
  syncConfigured?(ids: readonly string[], renamed?: ReadonlyMap<string, string>, nowMs?: number): void | Promise<void>;
  /** The stored transitions (to compare the servers' starting states with the last ones). */
  healthEvents?(backend: string, server: string | undefined, fromMs: number, toMs: number): StoredHealthEvent[] | Promise<StoredHealthEvent[]>;
  /** The engine run started at `startedMs` was alive at `aliveMs`. */
  writeRun?(startedMs: number, aliveMs: number): void | Promise<void>;
}

/** The history ids of a configuration's backends and servers (listen sections count as backends), as the recorder registers them. */
export function configuredIds(config: Config): string[] {
  const ids: string[] = [];
  for (const proxy of config.proxies) {
    if (proxy.disabled || (proxy.kind !== 'backend' && proxy.kind !== 'listen')) continue;
    ids.push(`backend:${proxy.name}`, ...proxy.servers.map((s) => `server:${proxy.name}/${s.name}`));
  }
  return ids;
}

const MINUTE_MS = 60_000;
/** A minute tick this much later than planned means the machine slept in between (a busy event loop is late by seconds). */
const SLEPT_MS = 2 * MINUTE_MS;

export interface HistoryRecorderOptions {
  /** ms after a minute boundary at which the closed minute is written (the ring closes it on the next one-second tick). */
  minuteDelayMs?: number;
  /** ms health events wait to be written together; default 1000. */
  healthFlushMs?: number;
  /** ms between prunes; default one hour. */
  pruneEveryMs?: number;
  log?: (line: string) => void;
}

export class HistoryRecorder {
  /** Start (epoch ms) of the newest minute written per object id. */
  private readonly written = new Map<string, number>();
  private pendingHealth: StoredHealthEvent[] = [];
  private healthTimer: NodeJS.Timeout | undefined;
  private minuteTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly minuteDelayMs: number;
  private readonly healthFlushMs: number;
  private readonly pruneEveryMs: number;
  private readonly log: (line: string) => void;
  private failed = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** The configuration last registered (renames are found against it). */
  private registered: Config | undefined;
  /** The engine start (its startedAt) whose servers' starting states were compared with the stored ones. */
  private startRecorded: number | undefined;
  /**
   * The start of the engine run being recorded: its startedAt, or the moment the machine woke up within
   * it (a sleep splits a run); undefined while the engine does not run.
   */
  private run: number | undefined;
  /** The engine start (startedAt) that `run` belongs to. */
  private runOf: number | undefined;

  constructor(private readonly store: HistorySink, private readonly engine: Engine, options: HistoryRecorderOptions = {}) {
    this.minuteDelayMs = options.minuteDelayMs ?? 2500;
    this.healthFlushMs = options.healthFlushMs ?? 1000;
    this.pruneEveryMs = options.pruneEveryMs ?? 3600_000;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.engine.events.on('events', (event) => {
      if (event.type === 'lifecycle' && event.lifecycle.state === 'running') {
        this.syncConfigured();
        this.recordStart();
        this.recordRun();
      }
      else if (event.type === 'lifecycle' && event.lifecycle.state === 'stopping') this.endRun(event.time);
      else if (event.type === 'health') this.queueHealth(event.event);
      else if (event.type === 'state' && event.server !== undefined && !this.engine.backend(event.backend)?.server(event.server)?.check) {
        // Servers without a check: their admin changes are their timeline (a checked server's come as health events).
        this.queueHealth({ time: event.time, backend: event.backend, server: event.server, from: event.from, to: event.to, reason: `Server ${event.backend}/${event.server} is ${event.to}` });
      }
    });
    this.syncConfigured();
    this.recordStart();
    this.recordRun();
    this.scheduleMinute();
    this.pruneTimer = setInterval(() => this.guard('prune', () => this.store.prune()), this.pruneEveryMs).unref();
    this.guard('prune', () => this.store.prune());
  }

  /** Writes what is pending (health events, closed minutes, the minute in progress) and stops; resolves once written. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.minuteTimer);
    clearTimeout(this.healthTimer);
    clearInterval(this.pruneTimer);
    this.flushHealth();
    this.recordMinutes();
    this.recordMinuteInProgress();
    this.endRun(Date.now());
    await Promise.all(this.inFlight);
  }

  /**
   * Notes that the running engine is alive now: a start (a new startedAt) begins a run, a later call
   * moves its end. Nothing while the engine is not running (stopped from the UI, a failed start).
   */
  recordRun(now = Date.now()): void {
    const write = this.store.writeRun;
    const state = this.engine.lifecycle().state;
    const startedAt = this.engine.startedAt;
    if (!write || startedAt === undefined || (state !== 'running' && state !== 'reloading')) return;
    if (this.runOf !== startedAt || this.run === undefined) {
      this.runOf = startedAt;
      this.run = startedAt;
    }
    const run = this.run;
    this.guard('the engine run', () => write.call(this.store, run, now));
  }

  /**
   * The machine slept (suspend, a laptop's lid): nothing was monitored since the run's last record, so
   * the run ends there and a new one begins now. Timers count monotonic time, which stops while the
   * machine sleeps; the wall clock does not, so a tick that comes far later than planned is the sign.
   */
  recordWakeUp(now = Date.now()): void {
    if (this.run === undefined) return;
    this.run = now;
    this.recordRun(now);
  }

  /** The run being recorded ends at `time` (the engine stops, or the recorder does). */
  private endRun(time: number): void {
    const write = this.store.writeRun;
    const run = this.run;
    if (!write || run === undefined) return;
    this.run = undefined;
    this.runOf = undefined;
    this.guard('the engine run', () => write.call(this.store, run, time));
  }

  /**
   * The minute in progress, from the per-second ring (the minute ring only
   * has closed minutes), so a restart loses no traffic: counts summed, gauges
   * and p95/p99 the highest second, p50 the request-weighted mean of the
   * seconds' medians (an approximation). After a restart within the same
   * minute, the store adds the new process's part to it.
   */
  recordMinuteInProgress(now = Date.now()): number {
    const minuteStart = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const records: MinuteRecord[] = [];
    for (const [id, counters] of this.objects()) {
      const series = counters.series;
      const written = this.written.get(id) ?? -Infinity;
      if (!series || written >= minuteStart) continue;
      // Every minute not written yet: the one before too when its end has passed but the one-second
      // tick that closes it into the minute ring has not come yet (its traffic was lost at such a stop).
      const byMinute = new Map<number, SeriesPoint[]>();
      for (const p of series.lastSeconds(2 * 60)) {
        const minute = Math.floor(p.t / MINUTE_MS) * MINUTE_MS;
        if (minute <= written || minute > minuteStart) continue;
        const seconds = byMinute.get(minute);
        if (seconds) seconds.push(p);
        else byMinute.set(minute, [p]);
      }
      for (const [minute, seconds] of byMinute) {
        const point = combineSeconds(minute, seconds);
        if (point && active(point)) records.push({ id, point });
      }
      this.written.set(id, minuteStart);
    }
    this.guard('the minute in progress', () => this.store.writeMinutes(records));
    return records.length;
  }

  /**
   * Registers the running configuration's backends and servers. Only a running
   * engine's: a failed start's empty stand-in would read as every object removed.
   */
  syncConfigured(): void {
    const sync = this.store.syncConfigured;
    if (!sync || this.engine.lifecycle().state !== 'running') return;
    const config = this.engine.currentConfig();
    if (config === this.registered) return;
    const renamed = this.registered ? renamedObjects(this.registered, config) : new Map<string, string>();
    this.registered = config;
    this.guard('the configured objects', () => sync.call(this.store, configuredIds(config), renamed));
  }

  /**
   * A server begins an engine's run in its starting state (UP, or a server-state-file's) without a
   * transition. When that is not as usable as the state last stored (DOWN when Loadstar stopped), the
   * start is written as a transition: without it the timeline kept the old state through this run and
   * every later one ("Now UP" over a bar DOWN since the restart before last).
   */
  recordStart(): void {
    const startedAt = this.engine.startedAt;
    const read = this.store.healthEvents;
    if (!read || startedAt === undefined || startedAt === this.startRecorded || this.engine.lifecycle().state !== 'running') return;
    this.startRecorded = startedAt;
    const backends = configuredIds(this.engine.currentConfig()).filter((id) => id.startsWith('backend:')).map((id) => id.slice('backend:'.length));
    this.guard('the starting states', async () => {
      const starts: StoredHealthEvent[] = [];
      for (const name of backends) {
        const runtime = this.engine.backend(name);
        if (!runtime) continue;
        const last = new Map<string, StoredHealthEvent>();
        for (const e of await read.call(this.store, name, undefined, 0, startedAt - 1)) last.set(e.server, e);
        for (const server of runtime.servers) {
          const before = last.get(server.name);
          if (!before) continue;
          const began = serverStartState(server.check?.events.toArray() ?? [], startedAt, server.status);
          if (usableLabel(began) === usableLabel(before.to)) continue;
          starts.push({ time: startedAt, backend: name, server: server.name, from: before.to, to: began, reason: startReason(name, server.name, began) });
        }
      }
      if (starts.length > 0) await this.store.writeHealthEvents(starts);
    });
  }

  private scheduleMinute(): void {
    const now = Date.now();
    const next = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS + this.minuteDelayMs;
    this.minuteTimer = setTimeout(() => {
      const late = Date.now() - next;
      this.recordMinutes();
      if (late > SLEPT_MS) this.recordWakeUp();
      else if (this.run !== undefined) this.recordRun();
      this.scheduleMinute();
    }, next - now).unref();
  }

  private queueHealth(event: StoredHealthEvent): void {
    this.pendingHealth.push(event);
    this.healthTimer ??= setTimeout(() => this.flushHealth(), this.healthFlushMs).unref();
  }

  /** Writes the collected health events in one transaction. */
  flushHealth(): void {
    clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    const batch = this.pendingHealth;
    if (batch.length === 0) return;
    this.pendingHealth = [];
    this.guard('health events', () => this.store.writeHealthEvents(batch));
    // The run was alive when these happened: a process killed in the next minute still shows them before its gap.
    if (this.run !== undefined) this.recordRun();
  }

  /** Writes every minute the rings closed since the last write, in one transaction; returns how many points. */
  recordMinutes(): number {
    const records: MinuteRecord[] = [];
    for (const [id, counters] of this.objects()) {
      const series = counters.series;
      if (!series) continue;
      // The first time: every closed minute since the engine's statistics began (at most the ring's 24 h),
      // not 1440 points per object when the engine has run a minute; then the ones closed since.
      const after = this.written.get(id) ?? this.engine.stats.startedAt - 2 * MINUTE_MS;
      const minutes = Math.min(1440, Math.max(1, Math.ceil((Date.now() - after) / MINUTE_MS) + 1));
      let newest = this.written.get(id);
      for (const point of series.lastMinutes(minutes)) {
        if (point.t <= after) continue;
        newest = point.t;
        if (active(point)) records.push({ id, point });
      }
      if (newest !== undefined) this.written.set(id, newest);
    }
    this.guard('minute points', () => this.store.writeMinutes(records));
    return records.length;
  }

  /** Every frontend, backend and server of the running tables with its counters, by contract id. */
  private *objects(): Generator<[string, StatCounters]> {
    const tables = this.engine.stats.view();
    if (!tables) return;
    const stats = this.engine.stats;
    for (const name of tables.frontends.keys()) {
      const c = stats.counters('frontend', name);
      if (c) yield [`frontend:${name}`, c];
    }
    for (const [name, backend] of tables.backends) {
      const c = stats.counters('backend', name);
      if (c) yield [`backend:${name}`, c];
      for (const server of backend.servers) {
        const s = stats.counters('server', `${name}/${server.name}`);
        if (s) yield [`server:${name}/${server.name}`, s];
      }
    }
  }

  /** A store failure (disk full, file removed) is reported once and never reaches the engine; asynchronous writes are tracked for stop(). */
  private guard(what: string, action: () => unknown): void {
    const failed = (e: unknown): void => {
      if (!this.failed) this.log(`[ALERT] history: writing ${what} failed, traffic is not affected: ${(e as Error).message}`);
      this.failed = true;
    };
    try {
      const result = action();
      if (result instanceof Promise) {
        const tracked = result.then(() => void (this.failed = false), failed).finally(() => this.inFlight.delete(tracked));
        this.inFlight.add(tracked);
      } else this.failed = false;
    } catch (e) {
      failed(e);
    }
  }
}

const GAUGES = new Set(['current', 'queue', 'p95', 'p99']);

function combineSeconds(t: number, seconds: readonly SeriesPoint[]): SeriesPoint | undefined {
  if (seconds.length === 0) return undefined;
  const values = { ...seconds[0]!.values };
  for (const key of Object.keys(values) as Array<keyof SeriesPoint['values']>) values[key] = 0;
  let weighted = 0;
  for (const s of seconds) {
    for (const key of Object.keys(values) as Array<keyof SeriesPoint['values']>) {
      if (GAUGES.has(key)) values[key] = Math.max(values[key], s.values[key]);
      else if (key !== 'p50') values[key] += s.values[key];
    }
    weighted += s.values.p50 * s.values.requests;
  }
  values.p50 = values.requests > 0 ? weighted / values.requests : 0;
  return { t, values };
}

function active(point: SeriesPoint): boolean {
  for (const v of Object.values(point.values)) if (v !== 0) return true;
  return false;
}
