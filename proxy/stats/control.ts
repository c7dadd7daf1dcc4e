/**
 * The statistics the control contract reads, as plain records (structurally
 * the contract's StatsSnapshot): HAProxy's `show stat` fields of every
 * frontend, backend and server with their latency percentiles, and the
 * counters (with their series) of one object by its contract id. Reads the
 * registry only, never the engine.
 */
import type { StatsRegistry } from './registry.ts';
import type { StatCounters } from '../runtime/counters.ts';
import { statRows } from './rows.ts';

/** `frontend:<name>`, `backend:<name>` or `server:<backend>/<server>`. */
export type StatsObjectId = string;

export interface StatsObjectSnapshot {
  id: StatsObjectId;
  type: 'frontend' | 'backend' | 'server';
  /** `show stat` columns by name (HAProxy's names); absent = empty column. */
  fields: Record<string, string | number>;
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

export function statsSnapshot(registry: StatsRegistry, now = Date.now()): StatsSnapshot {
  const tables = registry.view();
  registry.sync(now);
  const objects = tables
    ? statRows(tables, now).map((r): StatsObjectSnapshot => ({
      id: r.type === 0 ? `frontend:${r.proxy.name}` : r.type === 1 ? `backend:${r.proxy.name}` : `server:${r.proxy.name}/${r.server!.name}`,
      type: r.type === 0 ? 'frontend' : r.type === 1 ? 'backend' : 'server',
      fields: Object.fromEntries(Object.entries(r.values).filter((e): e is [string, string | number] => e[1] !== undefined)),
      p50: r.counters.latency.quantile(0.5),
      p95: r.counters.latency.quantile(0.95),
      p99: r.counters.latency.quantile(0.99),
    }))
    : [];
  return { at: now, uptimeSeconds: Math.floor((now - registry.startedAt) / 1000), objects };
}

export type ObjectKind = 'frontend' | 'backend' | 'server';

/** Splits a contract object id; undefined when it is not one. */
export function parseObjectId(id: string): { kind: ObjectKind; name: string } | undefined {
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const name = id.slice(colon + 1);
  if (colon < 0 || name === '' || (kind !== 'frontend' && kind !== 'backend' && kind !== 'server')) return undefined;
  if (kind === 'server' && !/^[^/]+\/[^/]+$/.test(name)) return undefined;
  return { kind, name };
}

/** The counters of an object by its contract id (undefined: no such object in the running tables). */
export function objectCounters(registry: StatsRegistry, id: string): StatCounters | undefined {
  const parsed = parseObjectId(id);
  return parsed ? registry.counters(parsed.kind, parsed.name) : undefined;
}
