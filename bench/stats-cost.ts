/**
 * The price of statistics on the hot path: Loadstar's engine with and without
 * per-exchange counters (EngineOptions.stats), same origin, same wrk load,
 * pinned as in l7-design.ts (proxy on core 0, wrk + origin on core 1),
 * alternating the two variants over several rounds. Reports req/s and proxy
 * CPU µs per request for each, and the with/without ratios (goal: ≤ 5 %).
 *
 *   node --import tsx bench/stats-cost.ts [--rounds 3] [--duration 5] [--size 100]
 *   (internal) node --import tsx bench/stats-cost.ts --serve on|off --upstream 127.0.0.1:PORT
 */
import { serveEngine } from './lib/serve-engine.ts';
import { startOrigin } from './lib/origin.ts';
import { spawnPinned, PROXY_CORE } from './lib/proc.ts';
import { runWrk } from './lib/wrk.ts';
import { cpuMeter } from './lib/cpu.ts';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

interface Sample { reqPerSec: number; cpuUsPerReq: number; p99: number }

async function measure(stats: boolean, originPort: number, durationS: number): Promise<Sample> {
  const proxy = await spawnPinned(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve', stats ? 'on' : 'off', '--upstream', `127.0.0.1:${originPort}`], {
    core: PROXY_CORE, readyLine: /^LISTENING (\d+)/,
  });
  try {
    const url = `http://127.0.0.1:${proxy.ready![1]}/`;
    await runWrk({ url, durationS: 1, connections: 50, threads: 1 });
    const meter = cpuMeter(proxy.pid);
    const wrk = await runWrk({ url, durationS, connections: 50, threads: 1 });
    const cpu = meter();
    if (wrk.errors > 0) throw new Error(`wrk saw ${wrk.errors} errors`);
    return { reqPerSec: wrk.reqPerSec, cpuUsPerReq: cpu.cpuUs / Math.max(1, wrk.requests), p99: wrk.p99 };
  } finally {
    await proxy.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '3'));
  const durationS = Number(arg('duration', '5'));
  const size = Number(arg('size', '100'));
  const origin = await startOrigin({ sizes: [size] });
  const on: Sample[] = [];
  const off: Sample[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate the order so drift on the shared machine does not favour one variant.
      for (const stats of r % 2 === 0 ? [true, false] : [false, true]) {
        const s = await measure(stats, origin.ports.get(size)!, durationS);
        (stats ? on : off).push(s);
        console.error(`round ${r + 1} stats ${stats ? 'on ' : 'off'}: ${s.reqPerSec.toFixed(0)} req/s, ${s.cpuUsPerReq.toFixed(1)} CPU µs/req, p99 ${s.p99.toFixed(2)} ms`);
      }
    }
  } finally {
    await origin.stop();
  }
  const row = (label: string, xs: Sample[]) => `| ${label} | ${median(xs.map((s) => s.reqPerSec)).toFixed(0)} | ${median(xs.map((s) => s.cpuUsPerReq)).toFixed(1)} | ${median(xs.map((s) => s.p99)).toFixed(2)} |`;
  const rps = median(on.map((s) => s.reqPerSec)) / median(off.map((s) => s.reqPerSec));
  const cpu = median(on.map((s) => s.cpuUsPerReq)) / median(off.map((s) => s.cpuUsPerReq));
  console.log(`| http ${size} B, medians of ${rounds} rounds | req/s | proxy CPU µs/req | p99 ms |\n|---|--:|--:|--:|\n${row('stats off', off)}\n${row('stats on', on)}`);
  console.log(`\nwith/without stats: req/s ×${rps.toFixed(3)} (${((1 - rps) * 100).toFixed(1)} % fewer), CPU per request ×${cpu.toFixed(3)} (${((cpu - 1) * 100).toFixed(1)} % more); goal ≤ 5 %`);
}

const serveMode = arg('serve');
if (serveMode !== undefined) await serveEngine({ upstream: arg('upstream')!, stats: serveMode === 'on' });
else await main();
