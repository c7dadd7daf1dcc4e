/**
 * The cost of a connection (wrk `-H 'Connection: close'`: accept, one request, close), in
 * alternated rounds of fresh processes on `npm run bench`'s set-up (the server pinned to the proxy
 * core; wrk and the nginx origin on the other):
 *  - HAProxy 2.6 and Loadstar's engine proxying to the nginx origin (http-reuse always on both);
 *  - prototype F (bench/prototypes/accept-answer.ts) answering by itself, accepted through
 *    `net.Server` and through libuv's TCP handles without a `net.Socket`: what Node's accept path
 *    costs, apart from any proxying.
 * Prints each round and the medians of CPU µs per connection (the steadier figure) and req/s.
 *
 *   node --import tsx bench/accept-cost.ts [--rounds 3] [--duration 3]
 */
import { fileURLToPath } from 'node:url';
import { measureWrk, type Measured } from './lib/measure.ts';
import { startOrigin } from './lib/origin.ts';
import { PROXY_CORE, spawnPinned } from './lib/proc.ts';
import { PROXIES } from './lib/proxies.ts';
import { CONNECTION_CLOSE, opt } from './lib/args.ts';

const rounds = Number(opt('rounds', '3'));
const durationS = Number(opt('duration', '3'));
const headers = [CONNECTION_CLOSE];
const prototype = fileURLToPath(new URL('./prototypes/accept-answer.ts', import.meta.url));

interface Server { pid: number; port: number; stop(): Promise<void> }
interface Subject { label: string; start(originPort: number): Promise<Server> }

const proxy = (id: string): Subject => ({
  label: PROXIES[id]!.label,
  async start(originPort) {
    const p = await PROXIES[id]!.start({ backendPort: originPort });
    return { pid: p.pid, port: p.port, stop: () => p.stop() };
  },
});

const answering = (accept: 'net' | 'handle'): Subject => ({
  label: `Node answering itself, accepted by ${accept === 'net' ? 'net.Server' : 'TCP handles (no net.Socket)'}`,
  async start() {
    const s = await spawnPinned(process.execPath, ['--import', 'tsx', prototype, '--accept', accept], { core: PROXY_CORE, readyLine: /^LISTENING (\d+)/ });
    return { pid: s.pid, port: Number(s.ready![1]), stop: () => s.stop() };
  },
});

const subjects = [proxy('haproxy-http'), proxy('loadstar-http'), answering('net'), answering('handle')];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const origin = await startOrigin({ kind: 'nginx', sizes: [100] });
const results = new Map<Subject, Measured[]>(subjects.map((s) => [s, []]));
try {
  const originPort = origin.ports.get(100)!;
  for (let round = 1; round <= rounds; round++) {
    // A rotating order, so that a slow minute of this shared machine does not always hit the same subject.
    const order = subjects.map((_, i) => subjects[(i + round - 1) % subjects.length]!);
    for (const subject of order) {
      const server = await subject.start(originPort);
      try {
        const url = `http://127.0.0.1:${server.port}/`;
        await measureWrk({ url, durationS: 1, connections: 50, threads: 1, headers }, null, origin.pid); // warm-up (JIT)
        const m = await measureWrk({ url, durationS, connections: 50, threads: 1, headers }, server.pid, origin.pid);
        if (m.wrk.errors > 0) throw new Error(`${subject.label}: ${m.wrk.errors} errors`);
        results.get(subject)!.push(m);
        console.log(`round ${round} ${subject.label}: ${m.wrk.reqPerSec.toFixed(0)} conn/s, ${m.proxyCpuUsPerReq!.toFixed(1)} µs CPU per connection ` +
          `(${m.proxySysPct!.toFixed(0)} % system), other ${m.otherCpuPct.toFixed(0)} %`);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await origin.stop();
}
const haproxyUs = median(results.get(subjects[0]!)!.map((m) => m.proxyCpuUsPerReq!));
console.log(`\nmedians of ${rounds} rounds (wrk -t1 -c50 -d${durationS}s, Connection: close):`);
for (const [subject, ms] of results) {
  const us = median(ms.map((m) => m.proxyCpuUsPerReq!));
  console.log(`  ${subject.label.padEnd(62)} ${median(ms.map((m) => m.wrk.reqPerSec)).toFixed(0).padStart(6)} conn/s  ${us.toFixed(1).padStart(6)} µs CPU per connection  (${(us / haproxyUs).toFixed(2)}× HAProxy's)`);
}
