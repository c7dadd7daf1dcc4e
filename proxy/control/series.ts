/**
 * Time series of one object over a range: `count` slots back from now come
 * from the engine's memory rings (per second: 15 minutes, per minute: 24
 * hours); a `from`/`to` span comes from the history store when there is one
 * (per minute, 30 days), topped up from memory for the minutes not stored yet,
 * and from memory alone, as far as it reaches, when there is none.
 */
import type { Engine } from '../engine.ts';
import { objectCounters, parseObjectId } from '../stats/control.ts';
import { SECOND_SLOTS, MINUTE_SLOTS } from '../runtime/series.ts';
import { ControlFailure } from './answers.ts';
import { badValue, integer, oneOf, optionalTime, record } from './args.ts';
import type { HistorySource } from './history.ts';
import type { SeriesData, SeriesPoint, SeriesRange, StatsObjectId } from './contract.ts';

/** The longest `from`/`to` span the history store keeps. */
export const HISTORY_SPAN_MS = 30 * 24 * 3600_000;

export async function seriesOf(engine: Engine, history: HistorySource | undefined, id: unknown, rangeArg: unknown, now = Date.now()): Promise<SeriesData> {
  if (typeof id !== 'string' || !parseObjectId(id)) throw badValue('series', 'id', 'frontend:NAME, backend:NAME or server:BACKEND/SERVER', id);
  const range = record('series', 'range', rangeArg);
  const resolution = oneOf('series', 'range.resolution', range['resolution'], ['second', 'minute'] as const);
  const counters = objectCounters(engine.stats, id);
  const hasSpan = range['from'] !== undefined || range['to'] !== undefined;
  if (!hasSpan) {
    const count = integer('series', 'range.count', range['count'], 1, resolution === 'second' ? SECOND_SLOTS : MINUTE_SLOTS);
    if (!counters) throw notFound(id);
    // An object that never saw traffic has no ring yet: its series is empty.
    const s = counters.series;
    return { id, resolution, points: s ? (resolution === 'second' ? s.lastSeconds(count) : s.lastMinutes(count)) : [] };
  }
  if (range['count'] !== undefined) throw badValue('series', 'range', 'either count or from/to', 'both');
  const to = optionalTime('series', 'range.to', range['to']) ?? now;
  const from = optionalTime('series', 'range.from', range['from']) ?? to - 3600_000;
  if (from > to) throw badValue('series', 'range.from', `no later than range.to (${to})`, from);
  if (to - from > HISTORY_SPAN_MS) throw badValue('series', 'range', 'a span of at most 30 days', `${Math.round((to - from) / 86_400_000)} days`);
  const memory = (): SeriesPoint[] => {
    const s = counters?.series;
    if (!s) return [];
    const points = resolution === 'second' ? s.lastSeconds(SECOND_SLOTS) : s.lastMinutes(MINUTE_SLOTS);
    return points.filter((p) => p.t >= from && p.t <= to);
  };
  if (resolution === 'minute' && history) {
    const stored = await history.series(id, from, to);
    if (!counters && stored.length === 0) throw notFound(id);
    // Minutes not flushed to the store yet come from memory.
    const last = stored.length > 0 ? stored[stored.length - 1]!.t : -Infinity;
    return { id, resolution, points: [...stored, ...memory().filter((p) => p.t > last)] };
  }
  if (!counters) throw notFound(id);
  return { id, resolution, points: memory() };
}

function notFound(id: StatsObjectId): ControlFailure {
  const parsed = parseObjectId(id)!;
  return new ControlFailure('LS_ERR_CTL_NOT_FOUND', `series: no such ${parsed.kind} '${parsed.name}' in the running configuration.`);
}
