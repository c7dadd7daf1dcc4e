/**
 * Issue #15's performance goals, checked against the rows of one benchmark
 * run: each goal is a ratio of Loadstar to a reference measured in the same
 * run (HAProxy, node http-proxy), a loss in the mixed long run, or a memory
 * figure, with "met" / "NOT met" / "not measured" (a row missing or failed).
 * Pure functions: the benchmarks print `goalsBlock(...)`, the tests feed
 * fixed rows.
 */
import { LARGE, SMALL } from './origin.ts';
import { f, type Row } from './report.ts';

export type GoalStatus = 'met' | 'NOT met' | 'not measured';

export interface GoalCheck {
  /** what is compared, e.g. "HTTP 100 B req/s, Loadstar ÷ HAProxy" */
  name: string;
  /** measured value in `unit` (a ratio, a loss in %, KiB); null when not measured */
  value: number | null;
  cmp: '>=' | '<=';
  target: number;
  unit: '×' | '%' | 'KiB';
  /** the figures the value comes from */
  detail: string;
  status: GoalStatus;
}

/** One 64 KiB measurement of the mixed run. */
export type MixedSide = Pick<Row, 'wrk' | 'proxyCpuUsPerReq' | 'proxyFaultsPerReq' | 'otherCpuPct'>;

/** One proxy's mixed long run: a fresh process on 64 KiB vs one that served 100 B first (bench/lib/mixed.ts). */
export interface MixedResult {
  id: string;
  name: string;
  /** seconds of 100 B load the long-lived process served before its 64 KiB measurement */
  smallSeconds: number;
  fresh: MixedSide | null;
  longLived: MixedSide | null;
  /**
   * Another fresh process, measured after the long-lived one: the baseline is the mean of the two
   * fresh runs, so that a drift of the machine's speed over the section cancels out.
   */
  freshAfter?: MixedSide | null;
  error?: string;
}

const positive = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x) && x > 0;

/** The mean over the fresh runs that have the figure (undefined: none has it). */
function freshMean(m: MixedResult, figure: (side: MixedSide) => number | null | undefined): number | undefined {
  const xs = [m.fresh, m.freshAfter].map((side) => (side ? figure(side) : undefined)).filter(positive);
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Loss of the long-lived process against the fresh baseline, in % (positive = slower); null when either is missing. */
export function mixedLoss(m: MixedResult): { reqPct: number | null; cpuPct: number | null } {
  const fr = freshMean(m, (side) => side.wrk.reqPerSec);
  const lr = m.longLived?.wrk.reqPerSec;
  const fc = freshMean(m, (side) => side.proxyCpuUsPerReq);
  const lc = m.longLived?.proxyCpuUsPerReq;
  return {
    reqPct: fr !== undefined && lr !== undefined && Number.isFinite(lr) ? 100 * (1 - lr / fr) : null,
    cpuPct: fc !== undefined && positive(lc) ? 100 * (lc / fc - 1) : null,
  };
}

function judge(value: number | null, cmp: '>=' | '<=', target: number): GoalStatus {
  if (value === null || !Number.isFinite(value)) return 'not measured';
  // a ratio printed as exactly the target counts as met
  const eps = 1e-9;
  return (cmp === '>=' ? value >= target - eps : value <= target + eps) ? 'met' : 'NOT met';
}

function check(name: string, value: number | null, cmp: '>=' | '<=', target: number, unit: GoalCheck['unit'], detail: string): GoalCheck {
  return { name, value, cmp, target, unit, detail, status: judge(value, cmp, target) };
}

/** The successful row of proxy `id` at body `size`, if the run has one. */
function row(rows: Row[], id: string, size: number): Row | undefined {
  return rows.find((r) => r.id === id && r.size === size && r.error === undefined);
}

type Metric = { label: string; unit: string; digits: number; get(r: Row): number | null | undefined };
const REQ: Metric = { label: 'req/s', unit: 'req/s', digits: 0, get: (r) => r.wrk.reqPerSec };
const MBS: Metric = { label: 'MB/s', unit: 'MB/s', digits: 1, get: (r) => r.wrk.mbPerSec };
const CPU: Metric = { label: 'CPU/req', unit: 'µs/req', digits: 1, get: (r) => r.proxyCpuUsPerReq };
const P99: Metric = { label: 'p99', unit: 'ms', digits: 2, get: (r) => r.wrk.p99 };

/**
 * Other processes used more than this share of a core (%) during a row: its
 * ratio is flagged as disturbed (the machine is shared; see bench/l7-design.ts).
 */
export const DISTURBED_OTHER_PCT = 10;

function disturbed(parts: [string, number | null | undefined][]): string {
  const bad = parts.filter(([, pct]) => typeof pct === 'number' && pct > DISTURBED_OTHER_PCT);
  return bad.length ? `; DISTURBED: other processes used ${bad.map(([who, pct]) => `${f(pct)} % of a core during ${who}`).join(', ')}` : '';
}

/** Loadstar's row `id` against the reference `refId`, same size, on one metric. */
function ratio(rows: Row[], title: string, id: string, refId: string, refName: string, size: number, m: Metric, cmp: '>=' | '<=', target: number): GoalCheck {
  const a = row(rows, id, size);
  const b = row(rows, refId, size);
  const va = a ? m.get(a) : undefined;
  const vb = b ? m.get(b) : undefined;
  const ok = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);
  const value = ok(va) && ok(vb) && vb > 0 ? va / vb : null;
  const missing = [!ok(va) ? id : '', !(ok(vb) && vb > 0) ? refId : ''].filter(Boolean);
  const detail = missing.length ? `no result for ${missing.join(', ')}`
    : `Loadstar ${f(va, m.digits)} vs ${refName} ${f(vb, m.digits)} ${m.unit}${disturbed([[id, a?.otherCpuPct], [refId, b?.otherCpuPct]])}`;
  return check(`${title} ${m.label}, Loadstar ÷ ${refName}`, value, cmp, target, '×', detail);
}

/** Every goal of issue #15 that `npm run bench` measures, in the issue's order. */
export function evaluateGoals(rows: Row[], mixed: MixedResult[] = []): GoalCheck[] {
  const H = 'HAProxy';
  const out: GoalCheck[] = [
    ratio(rows, 'HTTP 100 B', 'loadstar-http', 'haproxy-http', H, SMALL, REQ, '>=', 0.8),
    ratio(rows, 'HTTP 100 B', 'loadstar-http', 'haproxy-http', H, SMALL, CPU, '<=', 1.25),
    ratio(rows, 'HTTP 100 B', 'loadstar-http', 'node-http-proxy', 'node http-proxy', SMALL, REQ, '>=', 5),
    ratio(rows, 'HTTP 64 KiB', 'loadstar-http', 'haproxy-http', H, LARGE, MBS, '>=', 0.8),
    ratio(rows, 'TCP 100 B', 'loadstar-tcp', 'haproxy-tcp', H, SMALL, REQ, '>=', 1.0),
    ratio(rows, 'TCP 64 KiB', 'loadstar-tcp', 'haproxy-tcp', H, LARGE, REQ, '>=', 1.0),
  ];
  for (const mode of ['http', 'tcp'] as const) {
    for (const [size, label] of [[SMALL, '100 B'], [LARGE, '64 KiB']] as const) {
      out.push(ratio(rows, `${mode.toUpperCase()} ${label}`, `loadstar-${mode}`, `haproxy-${mode}`, H, size, P99, '<=', 1.5));
    }
  }
  for (const mode of ['http', 'tcp'] as const) {
    const m = mixed.find((x) => x.id === `loadstar-${mode}`);
    const loss = m ? mixedLoss(m) : { reqPct: null, cpuPct: null };
    const detail = !m ? 'mixed run not made'
      : loss.reqPct === null ? `no result${m.error ? `: ${m.error}` : ''}`
      : `64 KiB req/s fresh ${f(m.fresh?.wrk.reqPerSec)}${m.freshAfter ? ` (and ${f(m.freshAfter.wrk.reqPerSec)} after)` : ''} vs ${f(m.longLived!.wrk.reqPerSec)} after ${m.smallSeconds} s of 100 B; CPU/req ${loss.cpuPct === null ? '-' : `${loss.cpuPct >= 0 ? '+' : ''}${f(loss.cpuPct, 1)} %`}` +
        disturbed([['the fresh run', m.fresh?.otherCpuPct], ['the long-lived run', m.longLived!.otherCpuPct], ['the second fresh run', m.freshAfter?.otherCpuPct]]);
    out.push(check(`${mode.toUpperCase()} mixed run, 64 KiB req/s loss vs a fresh process`, loss.reqPct, '<=', 10, '%', detail));
  }
  return out;
}

/** `npm run bench:idle`'s goal: ≤ 4 KiB per idle keep-alive connection at 10,000, with HAProxy's figure from the same run. */
export function idleGoal(o: {
  kibPerConn: number | null; held: number; count: number; haproxyKibPerConn: number | null;
  /** When (s idle) the judged reading was taken, and the readings before it. */
  atS?: number; earlier?: readonly { atS: number; kibPerConn: number }[];
}): GoalCheck {
  const target = 4;
  const parts = [`${o.held}/${o.count} connections held${o.atS === undefined ? '' : `, read after ${o.atS} s idle`}`,
    ...(o.earlier ?? []).map((e) => `${f(e.kibPerConn, 2)} KiB after ${e.atS} s`),
    o.kibPerConn === null ? '' : `${f(o.kibPerConn / target, 2)}× the goal`,
    o.haproxyKibPerConn === null ? 'HAProxy not measured'
      : `HAProxy ${f(o.haproxyKibPerConn, 2)} KiB${o.kibPerConn === null || o.haproxyKibPerConn <= 0 ? '' : ` (Loadstar ${f(o.kibPerConn / o.haproxyKibPerConn, 1)}× HAProxy)`}`];
  const c = check(`memory per idle keep-alive connection at ${o.count}`, o.kibPerConn, '<=', target, 'KiB', parts.filter(Boolean).join('; '));
  // a figure from fewer connections than asked for, or from fewer than the goal's 10,000, does not meet it
  if (c.status === 'met' && (o.held < o.count || o.count < 10_000)) c.status = 'NOT met';
  return c;
}

function show(value: number | null, unit: GoalCheck['unit']): string {
  if (value === null) return '-';
  return unit === '×' ? `${f(value, 2)}×` : unit === '%' ? `${f(value, 1)} %` : `${f(value, 2)} KiB`;
}

/** The "Goals" block printed after a benchmark's table. */
export function goalsBlock(checks: GoalCheck[], title = 'Goals (issue #15), from this run'): string {
  const out = [title, '', '| goal | measured | target | status | from |', '|---|--:|--:|---|---|'];
  for (const c of checks) {
    out.push(`| ${c.name} | ${show(c.value, c.unit)} | ${c.cmp === '>=' ? '≥' : '≤'} ${show(c.target, c.unit)} | ${c.status} | ${c.detail} |`);
  }
  const n = (s: GoalStatus): number => checks.filter((c) => c.status === s).length;
  out.push('', `${checks.length} goal${checks.length === 1 ? '' : 's'}: ${n('met')} met, ${n('NOT met')} NOT met, ${n('not measured')} not measured`);
  return out.join('\n');
}
