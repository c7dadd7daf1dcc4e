/**
 * Interleaved A/B rounds of two Loadstar builds on `npm run bench`'s set-up
 * (nginx origin on the load core, the engine pinned to the proxy core, wrk
 * -t1 -c50): each round starts a fresh engine from build A, measures it,
 * stops it, then the same for B, so slow drifts of this shared machine hit
 * both sides alike. Prints each round and the medians of CPU µs per request
 * (the steadier figure), req/s and minor faults per request. How the changes
 * of issue #15 were measured (docs/architecture.md).
 *
 *   node --import tsx bench/ab.ts --a /tmp/base-dist --b dist [--mode http|tcp]
 *        [--size 100|65536] [--rounds 5] [--duration 3] [--b-flags "--max-semi-space-size=32"] [--close]
 *        [--b-args "--compression gzip"] [--header "Accept-Encoding: gzip"]
 *
 * --close sends `Connection: close` (a new connection per request: the per-connection cost).
 * --chunked N: the origin is the raw Node one, sending its bodies as chunks of N bytes (nginx
 *   answers a static file with a Content-Length).
 *   e.g. node --import tsx bench/ab.ts --a /tmp/base-dist --b dist --size 1048576 --chunked 4096
 * --a/--b are compiled trees (`npx tsc -p tsconfig.build.json --outDir DIR`) holding bench/engine-server.js.
 */
import path from 'node:path';
import { measureWrk, type Measured } from './lib/measure.ts';
import { startOrigin } from './lib/origin.ts';
import { PROXY_CORE, spawnPinned } from './lib/proc.ts';
import { withAllocatorEnv } from '../proxy/runtime/allocator-env.ts';
import { closeHeaders, opt } from './lib/args.ts';

const builds = { A: path.resolve(opt('a')), B: path.resolve(opt('b')) };
const mode = opt('mode', 'http') as 'http' | 'tcp';
const size = Number(opt('size', '100'));
const rounds = Number(opt('rounds', '5'));
const durationS = Number(opt('duration', '3'));
/** Node flags for B's engine only (the same build with other V8 settings, say). */
/** `--close`: wrk reconnects after every response. */
const headers = [...closeHeaders(), ...(process.argv.includes('--header') ? [opt('header')] : [])];
const flags = { A: [] as string[], B: opt('b-flags', '').split(' ').filter(Boolean) };
/** Arguments for B's engine-server only (`--compression gzip`: the same build, compressing). */
const engineArgs = { A: [] as string[], B: opt('b-args', '').split(' ').filter(Boolean) };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function measure(dist: string, nodeFlags: string[], extra: string[], originPort: number, originPid: number): Promise<Measured> {
  const engine = await spawnPinned(process.execPath,
    [...nodeFlags, path.join(dist, 'bench/engine-server.js'), '--mode', mode, '--upstream', `127.0.0.1:${originPort}`, ...extra],
    { core: PROXY_CORE, readyLine: /^LISTENING (\d+)/, env: withAllocatorEnv(process.env) });
  try {
    const url = `http://127.0.0.1:${engine.ready![1]}/`;
    await measureWrk({ url, durationS: 1, connections: 50, threads: 1, headers }, null, originPid); // warm-up (JIT)
    return await measureWrk({ url, durationS, connections: 50, threads: 1, headers }, engine.pid, originPid);
  } finally {
    await engine.stop();
  }
}

const chunked = Number(opt('chunked', '0'));
const origin = await startOrigin(chunked > 0 ? { sizes: [size], chunked } : { kind: 'nginx', sizes: [size] });
const results: Record<'A' | 'B', Measured[]> = { A: [], B: [] };
try {
  const port = origin.ports.get(size)!;
  for (let round = 1; round <= rounds; round++) {
    for (const side of ['A', 'B'] as const) {
      const m = await measure(builds[side], flags[side], engineArgs[side], port, origin.pid);
      results[side].push(m);
      console.log(`round ${round} ${side}: ${m.wrk.reqPerSec.toFixed(0)} req/s, ${m.proxyCpuUsPerReq!.toFixed(1)} µs/req, ` +
        `${m.proxyFaultsPerReq!.toFixed(3)} faults/req, p99 ${m.wrk.p99.toFixed(2)} ms, other ${m.otherCpuPct.toFixed(0)} %`);
    }
  }
} finally {
  await origin.stop();
}
for (const side of ['A', 'B'] as const) {
  const r = results[side];
  console.log(`${side} (${builds[side]}${flags[side].length ? ' ' + flags[side].join(' ') : ''}${engineArgs[side].length ? ' ' + engineArgs[side].join(' ') : ''}), ${mode} ${size} B${headers.length ? `, ${headers.join(', ')}` : ''}, median of ${r.length}: ` +
    `${median(r.map((m) => m.proxyCpuUsPerReq!)).toFixed(1)} µs/req, ${median(r.map((m) => m.wrk.reqPerSec)).toFixed(0)} req/s, ` +
    `${median(r.map((m) => m.proxyFaultsPerReq!)).toFixed(3)} faults/req, p99 ${median(r.map((m) => m.wrk.p99)).toFixed(2)} ms`);
}
