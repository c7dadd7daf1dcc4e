/**
 * The cost of a connection (wrk `-H 'Connection: close'`: accept, one request, close), in
 * alternated rounds of fresh processes on `npm run bench`'s set-up (the server pinned to the proxy
 * core; wrk and the nginx origin on the other):
 *  - HAProxy 2.6 and Loadstar's engine proxying to the nginx origin (http-reuse always on both);
 *  - prototype F (bench/prototypes/accept-answer.ts) answering by itself, accepted through
 *    `net.Server` and through libuv's TCP handles without a `net.Socket`: what Node's accept path
 *    costs, apart from any proxying.
 * With --tls: prototype F's two TLS servers (`tls.Server`, and Node's TLSWrap on the bare handle)
 * under full handshakes (lib/tls-handshake-driver.ts, EC P-256 site.pem; its client costs more than
 * the servers, so compare the CPU per connection, not the rate), after a longer warm-up (V8 still
 * compiles per-connection code after a second). HAProxy and Loadstar's TLS rows are `npm run bench:tls`'s.
 * Prints each round and the medians of CPU µs per connection (the steadier figure) and connections/s.
 *
 *   node --import tsx bench/accept-cost.ts [--rounds 3] [--duration 3] [--tls]
 */
import { fileURLToPath } from 'node:url';
import { runHandshakeDriver } from './lib/handshake-load.ts';
import { measureLoad, type Measured } from './lib/measure.ts';
import { startOrigin } from './lib/origin.ts';
import { PROXY_CORE, spawnPinned } from './lib/proc.ts';
import { PROXIES } from './lib/proxies.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';
import { CONNECTION_CLOSE, opt } from './lib/args.ts';

const rounds = Number(opt('rounds', '3'));
const durationS = Number(opt('duration', '3'));
const headers = [CONNECTION_CLOSE];
const prototype = fileURLToPath(new URL('./prototypes/accept-answer.ts', import.meta.url));
const withTls = process.argv.includes('--tls');
const crt = fileURLToPath(new URL('../test/scenarios/certs/site.pem', import.meta.url));
const warmupS = withTls ? 5 : 1;

interface Server { pid: number; port: number; stop(): Promise<void> }
interface Subject { label: string; start(originPort: number): Promise<Server> }

const proxy = (id: string): Subject => ({
  label: PROXIES[id]!.label,
  async start(originPort) {
    const p = await PROXIES[id]!.start({ backendPort: originPort });
    return { pid: p.pid, port: p.port, stop: () => p.stop() };
  },
});

const ACCEPTED_BY = {
  net: 'net.Server', handle: 'TCP handles (no net.Socket)',
  'tls-net': 'tls.Server', 'tls-handle': 'TLSWrap on TCP handles (no sockets)',
} as const;

const answering = (accept: keyof typeof ACCEPTED_BY): Subject => ({
  label: `Node answering itself, accepted by ${ACCEPTED_BY[accept]}`,
  async start() {
    const s = await spawnPinned(process.execPath, ['--import', 'tsx', prototype, '--accept', accept, '--crt', crt], { core: PROXY_CORE, readyLine: /^LISTENING (\d+)/ });
    return { pid: s.pid, port: Number(s.ready![1]), stop: () => s.stop() };
  },
});

const subjects = withTls ? [answering('tls-net'), answering('tls-handle')] : [proxy('haproxy-http'), proxy('loadstar-http'), answering('net'), answering('handle')];

/** One load run against `port`: wrk with `Connection: close`, or full TLS handshakes. */
function load(port: number, durationS: number): () => Promise<WrkResult> {
  return withTls ? () => runHandshakeDriver(port, 20, durationS) : () => runWrk({ url: `http://127.0.0.1:${port}/`, durationS, connections: 50, threads: 1, headers });
}

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
        await load(server.port, warmupS)(); // warm-up (JIT)
        const m = await measureLoad(load(server.port, durationS), server.pid, origin.pid);
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
const firstUs = median(results.get(subjects[0]!)!.map((m) => m.proxyCpuUsPerReq!));
console.log(`\nmedians of ${rounds} rounds (${withTls ? `full TLS handshakes, 20 clients, ${durationS} s` : `wrk -t1 -c50 -d${durationS}s, Connection: close`}):`);
const firstRounds = results.get(subjects[0]!)!.map((m) => m.proxyCpuUsPerReq!);
for (const [subject, ms] of results) {
  const rows = ms.map((m) => m.proxyCpuUsPerReq!);
  const us = median(rows);
  // The machine drifts between rounds: the paired differences with the first row, round by round, are steadier than the medians.
  const diffs = rows.map((v, i) => v - firstRounds[i]!);
  const paired = subject === subjects[0] ? '' : `; paired with it, ${median(diffs) >= 0 ? '+' : ''}${median(diffs).toFixed(1)} µs by median, lower in ${diffs.filter((d) => d < 0).length} of ${diffs.length} rounds`;
  console.log(`  ${subject.label.padEnd(62)} ${median(ms.map((m) => m.wrk.reqPerSec)).toFixed(0).padStart(6)} conn/s  ${us.toFixed(1).padStart(6)} µs CPU per connection  (${(us / firstUs).toFixed(2)}× the first row's${paired})`);
}
