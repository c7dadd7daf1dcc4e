/**
 * One load run (wrk, or another driver reporting a WrkResult) with the CPU accounting of bench/l7-design.ts: the proxy's
 * CPU time (µs per request, % of a core, share in the kernel) and minor page
 * faults per request, the origin's CPU time,
 * wrk's (reaped-children time) and what other processes used on the two
 * benchmark cores meanwhile — the machine may be shared, so a row can say
 * how disturbed it was.
 */
import { coreBusyUs, cpuMeter, cpuTimes, reapedChildrenUs } from './cpu.ts';
import type { Row } from './report.ts';
import { LOAD_CORE, PROXY_CORE } from './proc.ts';
import { runWrk, type WrkOptions, type WrkResult } from './wrk.ts';

export type Measured = Omit<Row, 'section' | 'name' | 'id' | 'size'>;

export function measureWrk(wrkOptions: WrkOptions, proxyPid: number | null, originPid: number): Promise<Measured> {
  return measureLoad(() => runWrk(wrkOptions), proxyPid, originPid);
}

/** `load` must run the load generator as a child process that has exited (been reaped) when it resolves. */
export async function measureLoad(load: () => Promise<WrkResult>, proxyPid: number | null, originPid: number): Promise<Measured> {
  const pm = proxyPid === null ? null : cpuMeter(proxyPid);
  const om = cpuMeter(originPid);
  const self0 = cpuTimes(process.pid).totalUs;
  const kids0 = reapedChildrenUs();
  const busy0 = coreBusyUs();
  const wrk = await load();
  const busy1 = coreBusyUs();
  const kids = reapedChildrenUs() - kids0;
  const self = cpuTimes(process.pid).totalUs - self0;
  const p = pm?.();
  const o = om();
  const busy = (busy1[PROXY_CORE] - busy0[PROXY_CORE]) + (busy1[LOAD_CORE] - busy0[LOAD_CORE]);
  const other = busy - (p?.cpuUs ?? 0) - o.cpuUs - kids - self;
  return {
    wrk,
    proxyCpuUsPerReq: p ? p.cpuUs / Math.max(1, wrk.requests) : null,
    proxyCpuPct: p ? (100 * p.cpuUs) / p.wallUs : null,
    proxySysPct: p ? (100 * p.sysUs) / Math.max(1, p.cpuUs) : null,
    proxyFaultsPerReq: p ? p.minFlt / Math.max(1, wrk.requests) : null,
    originCpuPct: (100 * o.cpuUs) / o.wallUs,
    wrkCpuPct: (100 * kids) / o.wallUs,
    otherCpuPct: Math.max(0, (100 * other) / o.wallUs),
    attempts: 1,
  };
}
