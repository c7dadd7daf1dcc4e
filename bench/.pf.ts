// scratch: perf record -g of Loadstar and HAProxy under the same 64 KiB load
import { startOrigin } from './lib/origin.ts';
import { PROXIES } from './lib/proxies.ts';
import { runWrk } from './lib/wrk.ts';
import { runBounded } from './lib/proc.ts';
const size = Number(process.argv[2] ?? 65536);
const ids = (process.argv[3] ?? 'loadstar-http,haproxy-http').split(',');
const origin = await startOrigin({ kind: 'nginx', sizes: [size] });
try {
  for (const id of ids) {
    const p = await PROXIES[id]!.start({ backendPort: origin.ports.get(size)!, nodeFlags: ['--perf-basic-prof-only-functions'] });
    try {
      const url = `http://127.0.0.1:${p.port}/`;
      await runWrk({ url, durationS: 2 });
      const st = runBounded('perf', ['record', '-g', '-F', '1999', '-o', `/tmp/sc/${id}.perf`, '-p', String(p.pid), '--', 'sleep', '4'], { timeoutMs: 30000 });
      const r = await runWrk({ url, durationS: 4, connections: 50, threads: 1 });
      await st;
      console.log(id, 'req/s', r.reqPerSec);
    } finally { await p.stop(); }
  }
} finally { await origin.stop(); }
