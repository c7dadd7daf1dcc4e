/**
 * The mixed long run (issue #15): does a proxy process that has served small
 * responses for a while relay big ones as fast as a fresh process? In a long
 * suite the Node proxies were seen to drop up to 3× on 64 KiB responses after
 * 100 B load, while HAProxy and nginx did not.
 *
 * For each proxy, in its share of the total time (`totalSeconds` ÷ proxies):
 *  1. a fresh process: warm-up, then 64 KiB measured;
 *  2. a second fresh process: 100 B load for half the share, then the same
 *     warm-up and 64 KiB measurement (the long-lived one);
 *  3. a third fresh process measured as the first.
 * All go through the origin's mixed port (`/<size>` by path), so one process
 * serves both sizes. The baseline is the mean of the two fresh runs, which
 * bracket the long-lived one: this VM's speed drifts by ±20 % within a minute
 * (measured against one fresh process half a minute earlier, the loss ranged
 * from −38.6 % to +23.1 % over three runs of the same code), and a linear
 * drift cancels. The loss is 1 − long-lived ÷ baseline req/s; CPU µs and
 * minor page faults per request are reported for each run.
 */
import { waitForQuiet } from './cpu.ts';
import { f } from './report.ts';
import { mixedLoss, type MixedResult } from './goals.ts';
import { measureWrk } from './measure.ts';
import { LARGE, SMALL, type Origin } from './origin.ts';
import { PROXIES, verifyProxy } from './proxies.ts';
import { runWrk } from './wrk.ts';

export const MIXED_DEFAULT_IDS = ['loadstar-http', 'loadstar-tcp', 'haproxy-http'];

export interface MixedOptions {
  ids: string[];
  /** seconds for the whole section (default 120 in bench/l7-design.ts) */
  totalSeconds: number;
  /** upper bound of each measured 64 KiB window, s */
  durationS: number;
  warmupS: number;
  connections: number;
  threads: number;
  log(line: string): void;
}

/** How one proxy's share of the time is spent (whole seconds: wrk's -d takes integers). */
export function mixedPlan(totalSeconds: number, proxies: number, durationS: number, warmupS: number): { smallS: number; measureS: number; warmupS: number } {
  const share = totalSeconds / Math.max(1, proxies);
  const smallS = Math.max(1, Math.round(share / 2));
  // the other half holds three (warm-up + measurement) windows
  const measureS = Math.max(1, Math.min(durationS, Math.floor(share / 6) - warmupS));
  return { smallS, measureS, warmupS: share >= 8 ? warmupS : 0 };
}

async function measureLarge(def: (typeof PROXIES)[string], origin: Origin, plan: ReturnType<typeof mixedPlan>, o: MixedOptions, smallFirst: boolean): Promise<MixedResult['fresh']> {
  const proxy = await def.start({ backendPort: origin.mixedPort! });
  try {
    const base = `http://127.0.0.1:${proxy.port}`;
    if (smallFirst) {
      await verifyProxy(`${base}/${SMALL}`, SMALL);
      await runWrk({ url: `${base}/${SMALL}`, durationS: plan.smallS, connections: o.connections, threads: o.threads });
    } else {
      // the fresh process may wait for a quiet machine; the long-lived one must not sit idle (its state is what is measured)
      await waitForQuiet([0, 1], 10, 10_000);
    }
    await verifyProxy(`${base}/${LARGE}`, LARGE);
    if (plan.warmupS > 0) await runWrk({ url: `${base}/${LARGE}`, durationS: plan.warmupS, connections: o.connections, threads: o.threads });
    const m = await measureWrk({ url: `${base}/${LARGE}`, durationS: plan.measureS, connections: o.connections, threads: o.threads }, proxy.pid, origin.pid);
    const died = proxy.died();
    if (died) throw new Error(died);
    return m;
  } catch (err) {
    const died = proxy.died();
    throw new Error(died ? `${def.label} ${died}` : `${def.label}: ${(err as Error).message}`);
  } finally {
    await proxy.stop();
  }
}

/** Run the mixed section; a proxy that fails gets a result with `error`, the others still run. */
export async function runMixed(origin: Origin, o: MixedOptions): Promise<MixedResult[]> {
  if (origin.mixedPort === undefined) throw new Error(`the mixed run needs an origin that serves both sizes on one port (nginx); '${origin.impl}' does not`);
  const plan = mixedPlan(o.totalSeconds, o.ids.length, o.durationS, o.warmupS);
  const out: MixedResult[] = [];
  for (const id of o.ids) {
    const def = PROXIES[id];
    if (!def) throw new Error(`unknown proxy '${id}' for the mixed run`);
    const r: MixedResult = { id, name: def.label, smallSeconds: plan.smallS, fresh: null, longLived: null };
    try {
      r.fresh = await measureLarge(def, origin, plan, o, false);
      r.longLived = await measureLarge(def, origin, plan, o, true);
      r.freshAfter = await measureLarge(def, origin, plan, o, false);
    } catch (err) {
      r.error = (err as Error).message;
      o.log(`  FAILED (mixed): ${r.error}`);
    }
    const loss = mixedLoss(r);
    o.log(`mixed        ${def.label.padEnd(36)} fresh ${f(r.fresh?.wrk.reqPerSec).padStart(6)} → ${f(r.longLived?.wrk.reqPerSec).padStart(6)} → fresh ${f(r.freshAfter?.wrk.reqPerSec).padStart(6)} req/s ` +
      `after ${plan.smallS} s of 100 B (loss ${f(loss.reqPct, 1)} %, CPU/req ${f(loss.cpuPct, 1)} %)`);
    out.push(r);
  }
  return out;
}

/** The mixed run's table (markdown, like report.ts's). */
export function mixedTable(results: MixedResult[]): string {
  const out = ['| proxy | 100 B load before, s | fresh 64 KiB req/s, before / after | long-lived 64 KiB req/s | req/s loss % | fresh CPU µs/req, before / after | long-lived CPU µs/req | CPU/req change % | fresh minor faults/req | long-lived minor faults/req | other CPU % fresh / long-lived / fresh |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|'];
  for (const r of results) {
    const loss = mixedLoss(r);
    out.push(`| ${r.name}${r.error ? ' (FAILED)' : ''} | ${r.smallSeconds} | ${f(r.fresh?.wrk.reqPerSec)} / ${f(r.freshAfter?.wrk.reqPerSec)} | ${f(r.longLived?.wrk.reqPerSec)} | ${f(loss.reqPct, 1)} | ` +
      `${f(r.fresh?.proxyCpuUsPerReq, 1)} / ${f(r.freshAfter?.proxyCpuUsPerReq, 1)} | ${f(r.longLived?.proxyCpuUsPerReq, 1)} | ${f(loss.cpuPct, 1)} | ${f(r.fresh?.proxyFaultsPerReq, 2)} | ${f(r.longLived?.proxyFaultsPerReq, 2)} | ` +
      `${f(r.fresh?.otherCpuPct)} / ${f(r.longLived?.otherCpuPct)} / ${f(r.freshAfter?.otherCpuPct)} |`);
  }
  return out.join('\n');
}
