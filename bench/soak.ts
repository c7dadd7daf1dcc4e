/**
 * Soak: Loadstar (`loadstar run` as a child process) under mixed load with
 * faults for DURATION (default 10 minutes), everything on 127.0.0.1:
 *   - keep-alive and `Connection: close` clients on a backend of 4 servers
 *     (retries 3, option redispatch, health checks), POSTs among the GETs;
 *   - every 15 s one fault in turn: a server killed (back 5 s later), a server
 *     that resets connections mid-response, a slowloris burst, a burst of idle
 *     connections dropped at once, a SIGHUP reload with changed weights.
 * Every 10 s it samples the engine process: RSS, event-loop delay
 * (perf_hooks.monitorEventLoopDelay inside the engine, test/reliability/lib/loadstar-entry.ts)
 * and open descriptors (/proc/PID/fd); it writes a CSV and prints the curve.
 *
 *   npm run bench:soak                 (10 minutes)
 *   DURATION=120 npm run bench:soak    (seconds; "2m" works too)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const entry = path.join(root, 'test/reliability/lib/loadstar-entry.ts');
const outDir = path.join(root, 'test-output/reliability');

function seconds(v: string | undefined, fallback: number): number {
  if (!v) return fallback;
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(v.trim());
  if (!m) throw new Error(`DURATION: expected seconds or e.g. 2m, got '${v}'`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}
const DURATION_S = seconds(process.env.DURATION, 600);
const SAMPLE_MS = 10_000;
const FAULT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** An origin on a fixed port that can be killed and brought back; `resets` makes every 5th answer a reset mid-body. */
class Origin {
  private server: http.Server | undefined;
  resets = false;
  private n = 0;
  constructor(readonly name: string, readonly port: number) {}
  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (this.resets && ++this.n % 5 === 0) {
          res.writeHead(200, { 'content-length': '1000' });
          res.write('x'.repeat(100));
          setTimeout(() => req.socket.resetAndDestroy(), 5);
          return;
        }
        res.setHeader('x-server', this.name);
        res.end(`${this.name} ${'y'.repeat(512)}`);
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.server = server;
  }
  kill(): void {
    this.server?.closeAllConnections();
    this.server?.close();
    this.server = undefined;
  }
}

function config(port: number, origins: Origin[], step: number): string {
  const servers = origins.map((o, i) => `    server ${o.name} 127.0.0.1:${o.port} check inter 1s fall 2 rise 2 weight ${10 + ((step + i) % 4) * 10}`).join('\n');
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout http-request 2s
    timeout client 10s
    timeout server 5s
    retries 3
    option redispatch
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
${servers}
`;
}

interface Counters { ok: number; failed: number; errors: Map<string, number>; failedAt: number[] }

function client(port: number, keepAlive: boolean, counters: Counters, running: () => boolean): Promise<void> {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
  let i = 0;
  const one = () => new Promise<void>((resolve) => {
    const method = i++ % 4 === 3 ? 'POST' : 'GET';
    const req = http.request({ host: '127.0.0.1', port, method, path: '/', agent, headers: keepAlive ? {} : { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) counters.ok++; else count(`HTTP ${res.statusCode}`); resolve(); });
      res.on('error', (e: NodeJS.ErrnoException) => { count(e.code ?? e.message); resolve(); });
    });
    const count = (what: string) => { counters.failed++; counters.failedAt.push(Date.now()); counters.errors.set(what, (counters.errors.get(what) ?? 0) + 1); };
    req.on('error', (e: NodeJS.ErrnoException) => { count(e.code ?? e.message); resolve(); });
    req.setTimeout(15_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.end(method === 'POST' ? 'payload' : undefined);
  });
  return (async () => {
    while (running()) await one();
    if (agent) agent.destroy();
  })();
}

async function slowlorisBurst(port: number, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let lines = 0;
    const t = setInterval(() => { if (lines++ > 40) s.destroy(); else s.write(lines === 1 ? 'GET / HTTP/1.1\r\nHost: x\r\n' : `X-${lines}: a\r\n`); }, 200);
    s.on('error', () => {});
    s.on('close', () => { clearInterval(t); resolve(); });
  })));
}

async function idleBurst(port: number, n: number): Promise<void> {
  const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => resolve(s));
  })));
  await sleep(2000);
  for (const s of sockets) s.destroy();
}

function fds(pid: number): number {
  try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return -1; }
}

async function main(): Promise<void> {
  const port = await freePort();
  const origins = await Promise.all(['s1', 's2', 's3', 's4'].map(async (n) => new Origin(n, await freePort())));
  for (const o of origins) await o.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-soak-'));
  const cfgFile = path.join(dir, 'haproxy.cfg');
  let step = 0;
  fs.writeFileSync(cfgFile, config(port, origins, step));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'run', '-f', cfgFile], { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d).slice(-20_000); });
  let exited = false;
  child.on('exit', () => { exited = true; });
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) break;
    await sleep(100);
  }
  const probe = (): Promise<{ rss: number; heapUsed: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number; eventLoopDelayMeanMs: number }> =>
    new Promise((resolve) => { child.once('message', (m) => resolve(m as never)); child.send('sample'); });

  const counters: Counters = { ok: 0, failed: 0, errors: new Map(), failedAt: [] };
  const end = Date.now() + DURATION_S * 1000;
  const running = () => Date.now() < end && !exited;
  const clients = [
    ...Array.from({ length: 6 }, () => client(port, true, counters, running)),
    ...Array.from({ length: 3 }, () => client(port, false, counters, running)),
  ];
  const faults: string[] = [];
  /** When each fault started and what it was, to tell which failures it caused. */
  const faultTimes: Array<{ at: number; kind: string }> = [];
  const faultLoop = (async () => {
    let k = 0;
    while (running()) {
      await sleep(FAULT_MS);
      if (!running()) break;
      const kind = k++ % 5;
      const t = new Date().toISOString().slice(11, 19);
      faultTimes.push({ at: Date.now(), kind: ['server killed', 'server resets mid-body', 'slowloris burst', 'idle burst', 'SIGHUP reload'][kind]! });
      if (kind === 0) {
        const o = origins[k % origins.length]!;
        o.kill();
        faults.push(`${t} killed ${o.name}`);
        setTimeout(() => void o.start().catch(() => {}), 5000);
      } else if (kind === 1) {
        const o = origins[(k + 1) % origins.length]!;
        o.resets = true;
        faults.push(`${t} ${o.name} resets every 5th answer mid-body for 5 s`);
        setTimeout(() => { o.resets = false; }, 5000);
      } else if (kind === 2) {
        faults.push(`${t} slowloris burst (50 connections)`);
        void slowlorisBurst(port, 50);
      } else if (kind === 3) {
        faults.push(`${t} 500 idle connections opened then dropped`);
        void idleBurst(port, 500);
      } else {
        fs.writeFileSync(cfgFile, config(port, origins, ++step));
        child.kill('SIGHUP');
        faults.push(`${t} SIGHUP reload (weights changed)`);
      }
    }
  })();

  const rows: string[] = ['elapsed_s,rss_mb,heap_used_mb,event_loop_delay_mean_ms,event_loop_delay_p99_ms,event_loop_delay_max_ms,open_fds,requests_ok,requests_failed'];
  const samples: Array<{ t: number; rss: number; heap: number; p99: number; max: number; fds: number; ok: number }> = [];
  const started = Date.now();
  console.log(`soak: ${DURATION_S} s, Loadstar pid ${child.pid}, port ${port}; sampling every ${SAMPLE_MS / 1000} s`);
  console.log('  t(s)   RSS(MB)  heap(MB)  ELD mean/p99/max (ms)   fds   ok        failed');
  while (running()) {
    await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
    if (exited) break;
    const s = await probe();
    const t = Math.round((Date.now() - started) / 1000);
    const f = fds(child.pid!);
    samples.push({ t, rss: s.rss / 2 ** 20, heap: s.heapUsed / 2 ** 20, p99: s.eventLoopDelayP99Ms, max: s.eventLoopDelayMaxMs, fds: f, ok: counters.ok });
    rows.push([t, (s.rss / 2 ** 20).toFixed(1), (s.heapUsed / 2 ** 20).toFixed(1), s.eventLoopDelayMeanMs.toFixed(2), s.eventLoopDelayP99Ms.toFixed(2), s.eventLoopDelayMaxMs.toFixed(2), f, counters.ok, counters.failed].join(','));
    console.log(`  ${String(t).padStart(4)}   ${(s.rss / 2 ** 20).toFixed(1).padStart(6)}   ${(s.heapUsed / 2 ** 20).toFixed(1).padStart(6)}   ${s.eventLoopDelayMeanMs.toFixed(2)}/${s.eventLoopDelayP99Ms.toFixed(2)}/${s.eventLoopDelayMaxMs.toFixed(2)}`.padEnd(54) + `${String(f).padStart(5)}   ${String(counters.ok).padEnd(9)} ${counters.failed}`);
  }
  await Promise.all(clients);
  await faultLoop;
  fs.mkdirSync(outDir, { recursive: true });
  const csv = path.join(outDir, 'soak.csv');
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const spark = (xs: number[]) => {
    const lo = Math.min(...xs), hi = Math.max(...xs);
    return xs.map((x) => '▁▂▃▄▅▆▇█'[hi === lo ? 0 : Math.round(((x - lo) / (hi - lo)) * 7)]).join('');
  };
  const alive = !exited;
  console.log(`\ncurve (${samples.length} samples)`);
  console.log(`  RSS MB   ${spark(samples.map((s) => s.rss))}  ${samples[0]?.rss.toFixed(1)} → ${samples.at(-1)?.rss.toFixed(1)} (max ${Math.max(...samples.map((s) => s.rss)).toFixed(1)})`);
  console.log(`  heap MB  ${spark(samples.map((s) => s.heap))}  ${samples[0]?.heap.toFixed(1)} → ${samples.at(-1)?.heap.toFixed(1)} (max ${Math.max(...samples.map((s) => s.heap)).toFixed(1)})`);
  console.log(`  fds      ${spark(samples.map((s) => s.fds))}  ${samples[0]?.fds} → ${samples.at(-1)?.fds} (max ${Math.max(...samples.map((s) => s.fds))})`);
  console.log(`  ELD p99  ${spark(samples.map((s) => s.p99))}  max p99 ${Math.max(...samples.map((s) => s.p99)).toFixed(2)} ms, max ${Math.max(...samples.map((s) => s.max)).toFixed(1)} ms`);
  console.log(`\nrequests: ${counters.ok} ok, ${counters.failed} failed (${[...counters.errors].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'})`);
  // A failure belongs to the fault that started at most 8 s before it (each fault lasts at most 5 s, plus retries).
  const byFault = new Map<string, number>();
  for (const at of counters.failedAt) {
    const fault = faultTimes.filter((f) => f.at <= at && at - f.at <= 8000).at(-1);
    const key = fault?.kind ?? 'no fault active';
    byFault.set(key, (byFault.get(key) ?? 0) + 1);
  }
  console.log(`failures by fault: ${[...byFault].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`);
  console.log(`faults injected: ${faults.length}\n${faults.map((f) => `  ${f}`).join('\n')}`);
  console.log(`engine ${alive ? 'still running' : 'EXITED'}; CSV: ${csv}`);
  // The engine's alerts (health changes, reloads, internal errors) tell what happened.
  if (!alive || counters.failed > counters.ok) console.log(`last lines of the engine's stderr:\n${stderr.slice(-3000)}`);
  child.kill('SIGTERM');
  await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
  for (const o of origins) o.kill();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(alive ? 0 : 1);
}

await main();
