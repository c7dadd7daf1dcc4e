// scratch: syscall counts per request (strace -c) for Loadstar and HAProxy, 64 KiB
import { startOrigin } from './lib/origin.ts';
import { PROXIES } from './lib/proxies.ts';
import { runWrk } from './lib/wrk.ts';
import { runBounded } from './lib/proc.ts';
const size = Number(process.argv[2] ?? 65536);
const origin = await startOrigin({ kind: 'nginx', sizes: [size] });
try {
  for (const id of ['loadstar-http', 'haproxy-http']) {
    const p = await PROXIES[id]!.start({ backendPort: origin.ports.get(size)! });
    try {
      const url = `http://127.0.0.1:${p.port}/`;
      await runWrk({ url, durationS: 1 });
      const st = runBounded('strace', ['-c', '-f', '-p', String(p.pid), '-o', `/tmp/sc/${id}.txt`], { timeoutMs: 20000 });
      await new Promise((r) => setTimeout(r, 500));
      const r = await runWrk({ url, durationS: 3, connections: 50, threads: 1 });
      await runBounded('pkill', ['-INT', '-f', `strace -c -f -p ${p.pid}`], { timeoutMs: 5000 });
      await st;
      console.log(id, 'requests', r.requests ?? r.reqPerSec * 3);
    } finally { await p.stop(); }
  }
} finally { await origin.stop(); }
