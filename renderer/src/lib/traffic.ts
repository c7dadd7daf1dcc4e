/**
 * Columns for the traffic charts, from series points (history, minute or
 * second slots) and from live ticks. Counts become per-second rates (a
 * minute slot holds a minute's worth); gauges and percentiles stay as they are.
 */
import type { ObjectTick, SeriesMetric, SeriesPoint } from '../../../proxy/control/contract.ts';

export const TRAFFIC_COLUMNS = [
  'requests', 'bytesIn', 'bytesOut', 'hrsp1xx', 'hrsp2xx', 'hrsp3xx', 'hrsp4xx', 'hrsp5xx', 'current', 'queue', 'p50', 'p95', 'p99',
] as const satisfies readonly SeriesMetric[];
export type TrafficColumn = (typeof TRAFFIC_COLUMNS)[number];

const COUNTED = new Set<TrafficColumn>(['requests', 'bytesIn', 'bytesOut', 'hrsp1xx', 'hrsp2xx', 'hrsp3xx', 'hrsp4xx', 'hrsp5xx']);

export interface TrafficColumns {
  times: number[];
  cols: Record<TrafficColumn, number[]>;
}

export function emptyColumns(): TrafficColumns {
  return { times: [], cols: Object.fromEntries(TRAFFIC_COLUMNS.map((c) => [c, []])) as unknown as Record<TrafficColumn, number[]> };
}

export function columnsFromPoints(points: SeriesPoint[], slotSeconds: number): TrafficColumns {
  const out = emptyColumns();
  for (const p of points) {
    out.times.push(p.t);
    for (const c of TRAFFIC_COLUMNS) {
      const v = p.values[c] ?? 0;
      out.cols[c].push(COUNTED.has(c) ? v / slotSeconds : v);
    }
  }
  return out;
}

export function tickValues(tick: ObjectTick | undefined): Record<TrafficColumn, number> {
  const h = tick?.hrsp ?? [0, 0, 0, 0, 0];
  return {
    requests: tick?.requests ?? 0,
    bytesIn: tick?.bytesIn ?? 0,
    bytesOut: tick?.bytesOut ?? 0,
    hrsp1xx: h[0], hrsp2xx: h[1], hrsp3xx: h[2], hrsp4xx: h[3], hrsp5xx: h[4],
    current: tick?.current ?? 0,
    queue: tick?.queue ?? 0,
    p50: tick?.p50 ?? 0,
    p95: tick?.p95 ?? 0,
    p99: tick?.p99 ?? 0,
  };
}

/** Appends one second (replacing the slot if it is already there) and keeps at most `keep` slots. */
export function appendSecond(columns: TrafficColumns, t: number, values: Record<TrafficColumn, number>, keep: number): TrafficColumns {
  const times = columns.times.slice();
  const cols = { ...columns.cols };
  const last = times.length - 1;
  const replace = last >= 0 && times[last] === t;
  if (last >= 0 && times[last]! > t) return columns;
  if (!replace) times.push(t);
  for (const c of TRAFFIC_COLUMNS) {
    const col = cols[c].slice();
    if (replace) col[col.length - 1] = values[c];
    else col.push(values[c]);
    if (col.length > keep) col.splice(0, col.length - keep);
    cols[c] = col;
  }
  if (times.length > keep) times.splice(0, times.length - keep);
  return { times, cols };
}

/** Parses `frontend:<n>`, `backend:<n>`, `server:<b>/<s>`. */
export function describeObject(id: string): { type: 'frontend' | 'backend' | 'server' | 'unknown'; text: string; backend?: string; server?: string } {
  const colon = id.indexOf(':');
  const type = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (type === 'frontend') return { type, text: `Frontend ${rest}` };
  if (type === 'backend') return { type, text: `Backend ${rest}`, backend: rest };
  if (type === 'server') {
    const slash = rest.indexOf('/');
    return { type, text: `Server ${rest}`, backend: rest.slice(0, slash), server: rest.slice(slash + 1) };
  }
  return { type: 'unknown', text: id };
}

/**
 * The object the Traffic screen opens on when none is named: the one with the
 * most requests in its recent points (a busy frontend, not merely the first of
 * the configuration); the first when none had any, undefined for an empty list.
 */
export function busiest(candidates: ReadonlyArray<{ id: string; points: readonly SeriesPoint[] }>): string | undefined {
  let best: { id: string; requests: number } | undefined;
  for (const c of candidates) {
    const requests = c.points.reduce((sum, p) => sum + (p.values.requests ?? 0), 0);
    if (best === undefined || requests > best.requests) best = { id: c.id, requests };
  }
  return best?.id;
}

/** The shortest stretch of time a chart spans: less data is drawn at the right of the last minute. */
export const SHORTEST_SPAN_MS = 60_000;

/**
 * The x range, in epoch seconds as uPlot takes it, of a chart whose data (epoch ms) covers less than
 * a minute: the minute up to its last point. Drawn as the data's own range, a few seconds after a
 * start (a single point: a range of ~1000 days) labelled the axis in milliseconds (":16.000 :16.200 …")
 * or years. Undefined when the data covers a minute or more, or there is none.
 */
export function shortDataRange(times: ArrayLike<number>): [number, number] | undefined {
  if (times.length === 0) return undefined;
  const last = times[times.length - 1]!;
  if (last - times[0]! >= SHORTEST_SPAN_MS) return undefined;
  return [(last - SHORTEST_SPAN_MS) / 1000, last / 1000];
}
