/**
 * Profile a proxy prototype under wrk load: V8 CPU profile (--cpu-prof) summarised
 * by function and category, and optionally a system-wide view with `perf`
 * (kernel vs node binary vs JIT code), which the V8 profile cannot see.
 *
 *   node --import tsx bench/profile.ts --proxy C [--size 100] [--duration 8] [--perf [--no-cpu-prof]] [--keep DIR] [--close]
 *
 * --close sends `Connection: close` (a new connection per request: the per-connection path).
 */
import { mkdtempSync, readdirSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeProfile } from './lib/cpuprofile.ts';
import { cpuMeter } from './lib/cpu.ts';
import { startOrigin, SMALL } from './lib/origin.ts';
import { runBounded } from './lib/proc.ts';
import { PROXIES, verifyProxy } from './lib/proxies.ts';
import { runWrk } from './lib/wrk.ts';
import { closeHeaders, opt } from './lib/args.ts';

const id = opt('proxy', 'C');
const size = Number(opt('size', String(SMALL)));
const durationS = Number(opt('duration', '8'));
const usePerf = process.argv.includes('--perf');
// --no-cpu-prof: perf only (the V8 sampler thread itself costs ~15 % CPU and shows in perf)
const useCpuProf = !process.argv.includes('--no-cpu-prof');
const keep = opt('keep', '');
const headers = closeHeaders();

async function main(): Promise<void> {
  const def = PROXIES[id];
  if (!def || id.startsWith('haproxy')) throw new Error(`--proxy must be one of the Node prototypes: ${Object.keys(PROXIES).filter((k) => !k.startsWith('haproxy')).join(', ')}`);
  const dir = keep || mkdtempSync(join(tmpdir(), 'loadstar-prof-'));
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const origin = await startOrigin({ sizes: [size] });
  try {
    const flags = useCpuProf ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'] : [];
    if (usePerf) flags.push('--perf-basic-prof-only-functions', '--interpreted-frames-native-stack');
    const proxy = await def.start({ backendPort: origin.ports.get(size)!, nodeFlags: flags });
    let perfOut = '';
    let window: [number, number] | undefined;
    let stopped = false;
    try {
      const url = `http://127.0.0.1:${proxy.port}/`;
      await verifyProxy(url, size);
      await runWrk({ url, durationS: 2, headers }); // warm-up (JIT)
      const meter = cpuMeter(proxy.pid);
      const w0 = Number(process.hrtime.bigint() / 1000n);
      const perfData = join(dir, 'perf.data');
      const perf = usePerf
        ? runBounded('perf', ['record', '-F', '999', '-o', perfData, '-p', String(proxy.pid), '--', 'sleep', String(durationS - 1)], { timeoutMs: (durationS + 20) * 1000 })
        : null;
      const r = await runWrk({ url, durationS, headers });
      const c = meter();
      window = [w0, Number(process.hrtime.bigint() / 1000n)];
      if (perf) {
        await perf;
        const report = async (sort: string, n: number): Promise<string> => {
          const rep = await runBounded('perf', ['report', '-i', perfData, '--no-children', '--sort', sort, '-g', 'none', '--stdio'], { timeoutMs: 120_000 });
          return rep.stdout.split('\n').filter((l) => /^\s+\d/.test(l)).slice(0, n).join('\n');
        };
        const nodeSyms = await runBounded('perf', ['report', '-i', perfData, '--no-children', '--dsos', 'node', '--sort', 'sym', '-g', 'none', '--stdio'], { timeoutMs: 120_000 });
        perfOut = `by thread:\n${await report('comm', 8)}\n\nby DSO:\n${await report('dso', 10)}\n\nby symbol:\n${await report('dso,sym', 30)}` +
          `\n\ninside the node binary (% of all samples):\n${nodeSyms.stdout.split('\n').filter((l) => /^\s+\d/.test(l)).slice(0, 20).join('\n')}`;
      }
      await proxy.stop();
      stopped = true;
      console.log(`${def.label}, ${size} B: ${r.reqPerSec.toFixed(0)} req/s, proxy CPU ${(c.cpuUs / r.requests).toFixed(1)} µs/req ` +
        `(${(100 * c.sysUs / c.cpuUs).toFixed(0)}% sys) under profiling`);
    } finally {
      if (!stopped) await proxy.stop();
    }
    if (useCpuProf) {
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      const s = summarizeProfile(join(dir, file), 25, window);
      console.log(`\nV8 CPU profile (${(s.busyUs / 1e6).toFixed(1)} s busy of ${(s.totalUs / 1e6).toFixed(1)} s), self time by category:`);
      for (const c of s.byCategory.filter((x) => x.pct >= 0.1)) console.log(`  ${c.pct.toFixed(1).padStart(5)}%  ${c.category}`);
      console.log('\nTop functions by self time:');
      for (const f of s.top) console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}  [${f.category}]`);
    }
    if (perfOut) console.log(`\nperf (whole process incl. kernel; cpu-clock sampling in a VM: kernel symbols skew to irq-enable points):\n${perfOut}`);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`\nprofile kept in ${dir}`);
  } finally {
    await origin.stop();
  }
}

await main();
