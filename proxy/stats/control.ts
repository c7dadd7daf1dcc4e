/**
 * The statistics side of the control contract, as functions of the engine
 * (proxy/control wires them into ControlContract): a counters snapshot,
 * series of one object over a range, a server's health timeline, and
 * subscriptions to the structured access log and to state events.
 */
import type { Engine } from '../engine.ts';
import type { HealthEvent } from '../checks/index.ts';
import { statRows } from './rows.ts';
import type { FieldValue } from './rows.ts';
import type { AccessLogEntry, StatsEvent } from './registry.ts';
import type { SeriesPoint } from './series.ts';
import { SECOND_SLOTS, MINUTE_SLOTS } from './series.ts';

export type { AccessLogEntry, StatsEvent, SeriesPoint };

/** `frontend:<name>`, `backend:<name>` or `server:<backend>/<server>`. */
export type StatsObjectId = string;

export interface StatsObjectSnapshot {
  id: StatsObjectId;
  type: 'frontend' | 'backend' | 'server';
  /** `show stat` columns by name (HAProxy's names); absent = empty column. */
  fields: Record<string, FieldValue>;
  /** Response time percentiles over the whole run, ms. */
  p50: number;
  p95: number;
  p99: number;
}

export interface StatsSnapshot {
  /** epoch ms */
  at: number;
  uptimeSeconds: number;
  objects: StatsObjectSnapshot[];
}

export function statsSnapshot(engine: Engine): StatsSnapshot {
  const tables = engine.stats.view();
  const now = Date.now();
  engine.stats.sync(now);
  const objects = tables
    ? statRows(tables, now).map((r): StatsObjectSnapshot => ({
      id: r.type === 0 ? `frontend:${r.proxy.name}` : r.type === 1 ? `backend:${r.proxy.name}` : `server:${r.proxy.name}/${r.server!.name}`,
      type: r.type === 0 ? 'frontend' : r.type === 1 ? 'backend' : 'server',
      fields: Object.fromEntries(Object.entries(r.values).filter(([, v]) => v !== undefined)),
      p50: r.counters.latency.quantile(0.5),
      p95: r.counters.latency.quantile(0.95),
      p99: r.counters.latency.quantile(0.99),
    }))
    : [];
  return { at: now, uptimeSeconds: Math.floor((now - engine.stats.startedAt) / 1000), objects };
}

/** A time range: per-second points for up to 15 minutes, per-minute points for up to 24 hours. */
export interface SeriesRange {
  resolution: 'second' | 'minute';
  /** How many slots back from now (seconds: ≤ 900, minutes: ≤ 1440). */
  count: number;
}

export type SeriesResult =
  | { ok: true; resolution: 'second' | 'minute'; points: SeriesPoint[] }
  | { ok: false; error: { code: 'LS_ERR_CTL_NOT_FOUND' | 'LS_ERR_CTL_BAD_VALUE'; message: string } };

export function series(engine: Engine, id: StatsObjectId, range: SeriesRange): SeriesResult {
  const max = range.resolution === 'second' ? SECOND_SLOTS : MINUTE_SLOTS;
  if (!Number.isInteger(range.count) || range.count < 1 || range.count > max || (range.resolution !== 'second' && range.resolution !== 'minute')) {
    return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: `range must be 1..900 seconds or 1..1440 minutes, got ${range.count} ${range.resolution}.` } };
  }
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  if (kind !== 'frontend' && kind !== 'backend' && kind !== 'server') {
    return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: `'${id}' is not an object id (frontend:NAME, backend:NAME, server:BACKEND/SERVER).` } };
  }
  const counters = engine.stats.counters(kind, id.slice(colon + 1));
  if (!counters) return { ok: false, error: { code: 'LS_ERR_CTL_NOT_FOUND', message: `No such ${kind} '${id.slice(colon + 1)}'.` } };
  // An object that never saw traffic has no ring yet: its series is all zeros.
  const s = counters.series;
  const points = s ? (range.resolution === 'second' ? s.lastSeconds(range.count) : s.lastMinutes(range.count)) : [];
  return { ok: true, resolution: range.resolution, points };
}

/** A server's health transitions (oldest first) with `from`/`to` epoch-ms bounds; empty for a server without `check`. */
export function timeline(engine: Engine, backend: string, server: string, range: { from?: number; to?: number } = {}): HealthEvent[] | undefined {
  const runtime = engine.backend(backend)?.server(server);
  if (!runtime) return undefined;
  const events = runtime.check?.events.toArray() ?? [];
  return events.filter((e) => (range.from === undefined || e.time >= range.from) && (range.to === undefined || e.time <= range.to));
}

/** Structured access-log entries as exchanges finish; returns the unsubscribe function. */
export function subscribeAccessLog(engine: Engine, listener: (entry: AccessLogEntry) => void): () => void {
  engine.stats.accessSubscribers.add(listener);
  return () => engine.stats.accessSubscribers.delete(listener);
}

/** Health transitions, state changes (runtime API, control, checks) and alerts; returns the unsubscribe function. */
export function subscribeEvents(engine: Engine, listener: (event: StatsEvent) => void): () => void {
  engine.stats.eventSubscribers.add(listener);
  return () => engine.stats.eventSubscribers.delete(listener);
}
