/**
 * Interleaved rounds of prototype proxies (bench/lib/proxies.ts ids) on
 * `npm run bench`'s set-up, as bench/ab.ts does for two engine builds: nginx
 * origin, the proxy pinned to the proxy core, wrk -t1 -c50; each round starts
 * a fresh process of each id in turn (1 s warm-up, then measured). Prints each
 * round and the medians; CPU µs per request is the steadier figure.
 *
 *   node --import tsx bench/prototypes/ab.ts --ids C-consume,E [--size 100] [--rounds 5] [--duration 3]
 */
import { measureWrk, type Measured } from '../lib/measure.ts';
import { startOrigin } from '../lib/origin.ts';
import { PROXIES } from '../lib/proxies.ts';
import { opt } from '../lib/args.ts';

const ids = opt('ids', 'C-consume,E').split(',');
for (const id of ids) if (!PROXIES[id]) throw new Error(`unknown proxy id ${id}`);
const size = Number(opt('size', '100'));
const rounds = Number(opt('rounds', '5'));
const durationS = Number(opt('duration', '3'));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const origin = await startOrigin({ kind: 'nginx', sizes: [size] });
const results = new Map<string, Measured[]>(ids.map((id) => [id, []]));
try {
  const backendPort = origin.ports.get(size)!;
  for (let round = 1; round <= rounds; round++) {
    for (const id of ids) {
      const p = await PROXIES[id]!.start({ backendPort });
      try {
        const url = `http://127.0.0.1:${p.port}/`;
        await measureWrk({ url, durationS: 1, connections: 50, threads: 1 }, null, origin.pid);
        const m = await measureWrk({ url, durationS, connections: 50, threads: 1 }, p.pid, origin.pid);
        results.get(id)!.push(m);
        console.log(`round ${round} ${id}: ${m.wrk.reqPerSec.toFixed(0)} req/s, ${m.proxyCpuUsPerReq!.toFixed(1)} µs/req, ` +
          `p99 ${m.wrk.p99.toFixed(2)} ms, errors ${m.wrk.errors ?? 0}, other ${m.otherCpuPct.toFixed(0)} %`);
      } finally {
        await p.stop();
      }
    }
  }
} finally {
  await origin.stop();
}
for (const id of ids) {
  const r = results.get(id)!;
  const us = r.map((m) => m.proxyCpuUsPerReq!);
  console.log(`${id} (${PROXIES[id]!.label}), http ${size} B, median of ${r.length}: ${median(us).toFixed(1)} µs/req ` +
    `(${Math.min(...us).toFixed(1)}–${Math.max(...us).toFixed(1)}), ${median(r.map((m) => m.wrk.reqPerSec)).toFixed(0)} req/s, ` +
    `p99 ${median(r.map((m) => m.wrk.p99)).toFixed(2)} ms`);
}
