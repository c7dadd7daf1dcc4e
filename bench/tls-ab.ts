/**
 * Interleaved A/B rounds of two Loadstar builds on full TLS handshakes (bench/tls.ts's
 * set-up: the engine terminating TLS on the proxy core, the node:tls handshake driver and an
 * nginx origin on the load core): each round starts a fresh engine from each build (order
 * alternating), warms it up, measures it, stops it. bench:tls starts each proxy once per
 * test, so one slow process (seen on both builds: the same build at 590 and 1,130 µs per
 * handshake in one run) decides its row; fresh processes per round average that out.
 * Prints each round and the medians of the proxy's CPU µs per handshake.
 *
 *   node --import tsx bench/tls-ab.ts --a /tmp/base-dist --b dist [--rounds 6] [--crt site.pem|legacy.pem]
 *        [--warmup 8] [--duration 4] [--connections 20] [--b-flags "--max-semi-space-size=32"]
 *
 * --a/--b are compiled trees (`npx tsc -p tsconfig.build.json --outDir DIR`) holding bench/tls.js.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, SMALL } from './lib/origin.ts';
import { LOAD_CORE, PROXY_CORE, spawnPinned, runBounded } from './lib/proc.ts';
import { measureLoad } from './lib/measure.ts';
import type { WrkResult } from './lib/wrk.ts';
import { opt } from './lib/args.ts';

const builds = { A: path.resolve(opt('a')), B: path.resolve(opt('b')) };
const rounds = Number(opt('rounds', '6'));
const crt = fileURLToPath(new URL(`../test/scenarios/certs/${opt('crt', 'site.pem')}`, import.meta.url));
const warmupS = Number(opt('warmup', '8'));
const durationS = Number(opt('duration', '4'));
const connections = opt('connections', '20');
/** Node flags for B's engine only (the same build with other V8 settings, say), as in bench/ab.ts. */
const flags = { A: [] as string[], B: opt('b-flags', '').split(' ').filter(Boolean) };
const driver = fileURLToPath(new URL('./lib/tls-handshake-driver.ts', import.meta.url));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function drive(port: string, seconds: number): Promise<WrkResult> {
  const r = await runBounded(process.execPath, ['--import', 'tsx', driver, '--port', port, '--connections', connections, '--duration', String(seconds)],
    { core: LOAD_CORE, timeoutMs: (seconds + 20) * 1000 });
  if (r.code !== 0) throw new Error(`handshake driver exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WrkResult;
}

const origin = await startOrigin({ kind: 'nginx', sizes: [SMALL] });
const results: Record<'A' | 'B', number[]> = { A: [], B: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    for (const side of round % 2 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
      const engine = await spawnPinned(process.execPath,
        [...flags[side], path.join(builds[side], 'bench/tls.js'), '--serve', '--crt', crt, '--upstream', `127.0.0.1:${origin.ports.get(SMALL)}`],
        { core: PROXY_CORE, readyLine: /^LISTENING (\d+)/ });
      try {
        const port = engine.ready![1]!;
        await drive(port, warmupS); // JIT warm-up (docs/perf-tls.md)
        const m = await measureLoad(() => drive(port, durationS), engine.pid, origin.pid);
        results[side].push(m.proxyCpuUsPerReq!);
        console.log(`round ${round} ${side}: ${m.wrk.reqPerSec.toFixed(0)} handshakes/s, ${m.proxyCpuUsPerReq!.toFixed(1)} µs each, err ${m.wrk.errors}, other ${m.otherCpuPct.toFixed(0)} %`);
      } finally {
        await engine.stop();
      }
    }
  }
} finally {
  await origin.stop();
}
for (const side of ['A', 'B'] as const) {
  const r = results[side];
  console.log(`${side} (${builds[side]}${flags[side].length ? ' ' + flags[side].join(' ') : ''}), full handshakes ${path.basename(crt)}, median of ${r.length}: ${median(r).toFixed(1)} µs [${r.map((v) => v.toFixed(0)).join(' ')}]`);
}
