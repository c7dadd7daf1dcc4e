/** Result rows of bench/l7-design.ts, their markdown table, and medians over several runs. */
import type { WrkResult } from './wrk.ts';

export interface Row {
  section: string;
  name: string;
  id: string;
  size: number;
  wrk: WrkResult;
  proxyCpuUsPerReq: number | null;
  proxyCpuPct: number | null;
  proxySysPct: number | null;   // share of the proxy's CPU time spent in the kernel
  /** minor page faults of the proxy process per request (/proc/PID/stat minflt); optional: older JSON runs lack it */
  proxyFaultsPerReq?: number | null;
  originCpuPct: number;
  wrkCpuPct: number;
  /** CPU used on the two cores by anything but proxy, origin, wrk and the bench script, in % of one core */
  otherCpuPct: number;
  attempts: number;
  /** set by medianRows: min and max CPU µs/req over the runs, and how many runs */
  cpuRange?: [number, number];
  runs?: number;
  /** why the measurement failed, if it did */
  error?: string;
}

export const f = (n: number | null | undefined, d = 0): string => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

export function table(rows: Row[]): string {
  const out: string[] = [];
  const multi = rows.some((r) => (r.runs ?? 1) > 1);
  out.push(`| test | proxy | req/s | MB/s | p50 ms | p99 ms | err | proxy CPU µs/req${multi ? ' (min–max, runs)' : ''} | proxy CPU % | of which sys % | proxy minor faults/req | origin CPU % | wrk CPU % | other CPU % | req/s ÷ HAProxy | CPU/req ÷ HAProxy |`);
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const ref = rows.find((x) => x.section === r.section && x.id.startsWith('haproxy'));
    const rpsRatio = ref && r.id !== 'direct' ? r.wrk.reqPerSec / ref.wrk.reqPerSec : null;
    const cpuRatio = ref && r.proxyCpuUsPerReq !== null && ref.proxyCpuUsPerReq ? r.proxyCpuUsPerReq / ref.proxyCpuUsPerReq : null;
    const cpu = r.cpuRange && r.proxyCpuUsPerReq !== null ? `${f(r.proxyCpuUsPerReq, 1)} (${f(r.cpuRange[0], 0)}–${f(r.cpuRange[1], 0)}, n=${r.runs})` : f(r.proxyCpuUsPerReq, 1);
    out.push(`| ${r.section} | ${r.name} | ${f(r.wrk.reqPerSec)} | ${f(r.wrk.mbPerSec, 1)} | ${f(r.wrk.p50, 2)} | ${f(r.wrk.p99, 2)} | ${r.wrk.errors} | ${cpu} | ${f(r.proxyCpuPct)} | ${f(r.proxySysPct)} | ${f(r.proxyFaultsPerReq, 2)} | ${f(r.originCpuPct)} | ${f(r.wrkCpuPct)} | ${f(r.otherCpuPct)} | ${f(rpsRatio, 2)} | ${f(cpuRatio, 2)} |`);
  }
  return out.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Per (section, id): the median of every number over the runs (rows missing
 * from a run are skipped). Rows disturbed by other processes by more than
 * `maxOtherPct` are left out when at least one undisturbed run exists.
 */
export function medianRows(runs: Row[][], maxOtherPct = 10): Row[] {
  const order: string[] = [];
  const groups = new Map<string, Row[]>();
  for (const run of runs) {
    for (const r of run) {
      const key = `${r.section}\u0000${r.id}`;
      if (!groups.has(key)) { groups.set(key, []); order.push(key); }
      groups.get(key)!.push(r);
    }
  }
  return order.map((key) => {
    const ok = groups.get(key)!.filter((r) => r.error === undefined);
    const all = ok.length > 0 ? ok : groups.get(key)!;
    const clean = all.filter((r) => r.otherCpuPct <= maxOtherPct);
    const rs = clean.length > 0 ? clean : all;
    const med = (g: (r: Row) => number | null): number | null => {
      const xs = rs.map(g).filter((x): x is number => x !== null && !Number.isNaN(x));
      return xs.length ? median(xs) : null;
    };
    const cpus = rs.map((r) => r.proxyCpuUsPerReq).filter((x): x is number => x !== null);
    const first = rs[0];
    return {
      ...first,
      wrk: { ...first.wrk, reqPerSec: med((r) => r.wrk.reqPerSec)!, mbPerSec: med((r) => r.wrk.mbPerSec)!, p50: med((r) => r.wrk.p50)!,
        p99: med((r) => r.wrk.p99)!, errors: rs.reduce((a, r) => a + r.wrk.errors, 0), requests: med((r) => r.wrk.requests)! },
      proxyCpuUsPerReq: med((r) => r.proxyCpuUsPerReq),
      proxyCpuPct: med((r) => r.proxyCpuPct),
      proxySysPct: med((r) => r.proxySysPct),
      proxyFaultsPerReq: med((r) => r.proxyFaultsPerReq ?? null),
      originCpuPct: med((r) => r.originCpuPct)!,
      wrkCpuPct: med((r) => r.wrkCpuPct)!,
      otherCpuPct: med((r) => r.otherCpuPct)!,
      cpuRange: cpus.length ? [Math.min(...cpus), Math.max(...cpus)] : undefined,
      runs: rs.length,
    };
  });
}
