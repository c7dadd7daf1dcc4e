/**
 * TCP relay benchmark with the "long mixed run" (issue #15): one proxy process
 * (pinned to core 0) in front of two nginx origins (100 B `return 200`, and a
 * 64 KiB static file sent with sendfile; core 1, next to wrk), loaded in
 * phases, e.g. `small:20,large:20` = 20 s of 100 B load, then 20 s of 64 KiB
 * load, through the same proxy process. Each phase is cut into slices of
 * --slice seconds; each slice prints req/s and, from /proc/PID/stat of the
 * proxy, CPU µs per request (utime+stime) and minor page faults per request
 * (minflt). A fresh process per proxy; proxies run one after the other.
 *
 *   node --import tsx bench/tcp-mixed.ts [--proxies loadstar,pipe,haproxy]
 *        [--phases small:10,large:10] [--slice 5] [--connections 50]
 *        [--dist dist] [--env MALLOC_ARENA_MAX=1,...] [--node-flags --max-semi-space-size=16]
 *        [--warmup 2] [--cpu-prof DIR] [--proxy-log FILE] [--rounds N] [--quiet-wait S --max-other PCT] [--json out.json]
 *
 * "sys µs/req" is the stime part of the CPU per request (the kernel: syscalls,
 * loopback TCP). With --rounds N and haproxy among the proxies, each proxy's
 * req/s and CPU per request are divided by HAProxy's of the same round and
 * the median of those ratios printed (the TCP goals of #15).
 *
 * "other %" is what the rest of the machine used of the two cores during the
 * slice (a shared machine: a row with a high one is disturbed).
 *
 * `loadstar` runs the compiled engine (`<dist>/bench/engine-server.js`, build
 * with `npx tsc -p tsconfig.build.json --outDir <dist>`); `loadstar-src` runs
 * it from source through tsx; `loadstar=DIR` runs DIR/bench/engine-server.js; `pipe` is bench/prototypes/d-tcp.ts. Run it
 * under `flock /tmp/loadstar-bench.lock` on a shared machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opt } from './lib/args.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const proxies = opt('proxies', 'loadstar,pipe,haproxy').split(',');
const phases = opt('phases', 'small:10,large:10').split(',').map((p) => {
  const [size, s] = p.split(':');
  if (size !== 'small' && size !== 'large') throw new Error(`--phases: '${size}' is neither small nor large`);
  return { size, seconds: Number(s) };
});
const sliceS = Number(opt('slice', '5'));
const connections = Number(opt('connections', '50'));
const distDir = resolve(root, opt('dist', 'dist'));
const extraEnv = Object.fromEntries(opt('env', '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const nodeFlags = opt('node-flags', '').split(' ').filter(Boolean);
const cpuProf = opt('cpu-prof', '');
const jsonOut = opt('json', '');
/** Append each proxy's stdout (e.g. --trace-gc lines) to this file. */
const proxyLog = opt('proxy-log', '');
/** Repeat the whole list of proxies this many times (interleaved rounds), then print medians. */
const rounds = Number(opt('rounds', '1'));
/** Before each slice, wait (at most this many seconds) until other processes use under --max-other % of the cores. */
const quietWaitS = Number(opt('quiet-wait', '0'));
const maxOtherPct = Number(opt('max-other', '15'));
/** Seconds of load with the first phase's size before measuring (JIT warm-up; a fresh process otherwise). */
const warmupS = Number(opt('warmup', '2'));

const live = new Set<ChildProcess>();
const killAll = (): void => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } };
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { killAll(); process.exit(130); });

function start(cmd: string[], core: number, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn('taskset', ['-c', String(core), ...cmd], { stdio: ['ignore', 'pipe', 'inherit'], env });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); res(true); });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port}`);
}

interface Stat { utime: number; stime: number; minflt: number }
function stat(pid: number): Stat {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // after "(comm)": minflt is field 10, utime 14, stime 15 (1-based) → 7, 11, 12 here
  return { minflt: Number(f[7]), utime: Number(f[11]) * 10_000, stime: Number(f[12]) * 10_000 };
}

/** Busy time (µs) of all cores together, from /proc/stat. */
function busyUs(): number {
  const v = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return (v.reduce((a, b) => a + b, 0) - v[3]! - v[4]!) * 10_000;
}

/** CPU time (µs) of this process and its reaped children (wrk). */
function selfAndChildrenUs(): number {
  const s = readFileSync('/proc/self/stat', 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10_000;
}

/** Waits until, over one second, processes other than `pids` used less than --max-other % of the cores (at most --quiet-wait s). */
async function waitForQuiet(pids: number[]): Promise<void> {
  const deadline = Date.now() + quietWaitS * 1000;
  while (Date.now() < deadline) {
    const cpu = (): number => pids.reduce((sum, pid) => { const t = stat(pid); return sum + t.utime + t.stime; }, 0);
    const b0 = busyUs();
    const c0 = cpu();
    await new Promise((r) => setTimeout(r, 1000));
    if ((100 * (busyUs() - b0 - (cpu() - c0))) / 1e6 < maxOtherPct) return;
  }
}

function rssKiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'latin1').match(/^VmRSS:\s+(\d+)/m);
  return m ? Number(m[1]) : 0;
}

async function wrk(url: string, seconds: number): Promise<{ requests: number; rps: number; mbps: number; p99: string; errors: number }> {
  const child = start(['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], 1);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  await once(child, 'exit');
  const total = out.match(/^\s*(\d+) requests in/m);
  const rps = out.match(/^Requests\/sec:\s+([\d.]+)/m);
  const tps = out.match(/^Transfer\/sec:\s+([\d.]+)(\w+)/m);
  const p99 = out.match(/^\s+99%\s+(\S+)/m);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  if (!total || !rps) throw new Error(`wrk output:\n${out}`);
  const unit: Record<string, number> = { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 };
  return {
    requests: Number(total[1]), rps: Number(rps[1]), mbps: tps ? Number(tps[1]) * (unit[tps[2]] ?? 1) : 0,
    p99: p99?.[1] ?? '?',
    errors: (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
  };
}

/** nginx on one port: GET /small answers 100 B (`return 200`), GET /large.txt the 64 KiB file (sendfile). */
async function startNginx(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const body = Buffer.alloc(65536, 'x');
  body[65535] = 0x0a;
  writeFileSync(join(dir, 'large.txt'), body);
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${port};
    root ${dir};
    default_type text/plain;
    location = /small { return 200 "${'x'.repeat(99)}\\n"; }
  }
}
`);
  const child = start(['/usr/sbin/nginx', '-p', dir, '-c', join(dir, 'nginx.conf')], 1);
  await waitForPort(port);
  return { child, port };
}

/** A TCP proxy in front of `upstream`; returns its process and port. */
async function startProxy(kind: string, upstream: number, dir: string): Promise<{ child: ChildProcess; port: number }> {
  const env = { ...process.env, ...extraEnv };
  const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf), '--cpu-prof-name', `${kind.replace(/[^\w.-]+/g, '_')}-${upstream}.cpuprofile`] : [];
  const node = [process.execPath, ...nodeFlags, ...prof];
  if (kind === 'haproxy') {
    const port = await freePort();
    const cfg = join(dir, `haproxy-${port}.cfg`);
    writeFileSync(cfg, ['global', '    nbthread 1', '    maxconn 4096', 'defaults', '    mode tcp', '    timeout connect 5s',
      '    timeout client 30s', '    timeout server 30s', 'frontend fe', `    bind 127.0.0.1:${port}`, '    default_backend be',
      'backend be', `    server origin 127.0.0.1:${upstream}`, ''].join('\n'));
    const child = start(['/usr/sbin/haproxy', '-f', cfg, '-db'], 0, env);
    await waitForPort(port);
    return { child, port };
  }
  // `loadstar=DIR`: another compiled tree (an A/B comparison in one run)
  const dist = kind.startsWith('loadstar=') ? resolve(kind.slice('loadstar='.length)) : distDir;
  const cmd = kind === 'loadstar' || kind.startsWith('loadstar=') ? [...node, join(dist, 'bench/engine-server.js'), '--mode', 'tcp', '--upstream', `127.0.0.1:${upstream}`]
    : kind === 'loadstar-src' ? [...node, '--import', 'tsx', join(root, 'bench/engine-server.ts'), '--mode', 'tcp', '--upstream', `127.0.0.1:${upstream}`]
    : kind === 'pipe' || kind === 'manual' ? [...node, '--import', 'tsx', join(root, 'bench/prototypes/d-tcp.ts'), '--port', '0', '--upstream', `127.0.0.1:${upstream}`, '--mode', kind]
    : undefined;
  if (!cmd) throw new Error(`unknown proxy '${kind}'`);
  const child = start(cmd, 0, env);
  let buf: string | null = '';
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (proxyLog) appendFileSync(proxyLog, d);
      if (buf === null) return;
      buf += d;
      const m = buf.match(/LISTENING (\d+)/);
      if (m) {
        buf = null;
        res(Number(m[1]));
      }
    });
    child.once('exit', (code) => rej(new Error(`${kind} exited (${code})`)));
  });
  return { child, port };
}

interface SliceRow { proxy: string; round: number; phase: number; size: string; t: number; rps: number; mbps: number; p99: string; cpuUsPerReq: number; sysUsPerReq: number; minfltPerReq: number; rssMiB: number; otherPct: number; errors: number }

const dir = mkdtempSync(join(tmpdir(), 'loadstar-tcp-mixed-'));
const rows: SliceRow[] = [];
try {
  const origin = await startNginx(dir);
  // One proxy process serves both sizes: nginx serves both bodies on one port, by path.
  for (let round = 1; round <= rounds; round++) for (const kind of proxies) {
    const proxy = await startProxy(kind, origin.port, dir);
    const pid = proxy.child.pid!;
    console.log(`# ${kind} (pid ${pid}) round ${round} env ${JSON.stringify(extraEnv)} flags ${nodeFlags.join(' ')}`);
    console.log('proxy\tphase\tsize\tt(s)\treq/s\tMiB/s\tp99\tCPU µs/req\tsys µs/req\tminflt/req\tRSS MiB\tother %\terrors');
    const sizeUrl = (size: string): string => `http://127.0.0.1:${proxy.port}/${size === 'small' ? 'small' : 'large.txt'}`;
    if (warmupS > 0) await wrk(sizeUrl(phases[0]!.size), warmupS);
    let t = 0;
    for (const [pi, phase] of phases.entries()) {
      const url = sizeUrl(phase.size);
      for (let left = phase.seconds; left > 0; left -= sliceS) {
        const s = Math.min(sliceS, left);
        if (quietWaitS > 0) await waitForQuiet([pid, origin.child.pid!]);
        if (proxyLog) appendFileSync(proxyLog, `## ${kind} ${phase.size} from t=${t}\n`);
        const a = stat(pid);
        const na = stat(origin.child.pid!);
        const busy0 = busyUs();
        const self0 = selfAndChildrenUs();
        const w = await wrk(url, s);
        const b = stat(pid);
        const nb = stat(origin.child.pid!);
        const known = (b.utime + b.stime - a.utime - a.stime) + (nb.utime + nb.stime - na.utime - na.stime) + (selfAndChildrenUs() - self0);
        const otherPct = Math.max(0, (100 * (busyUs() - busy0 - known)) / (s * 1e6));
        t += s;
        const row: SliceRow = {
          proxy: kind, round, phase: pi, size: phase.size, t, rps: w.rps, mbps: w.mbps, p99: w.p99,
          cpuUsPerReq: (b.utime + b.stime - a.utime - a.stime) / Math.max(1, w.requests),
          sysUsPerReq: (b.stime - a.stime) / Math.max(1, w.requests),
          minfltPerReq: (b.minflt - a.minflt) / Math.max(1, w.requests), rssMiB: rssKiB(pid) / 1024, otherPct, errors: w.errors,
        };
        rows.push(row);
        console.log([kind, pi, phase.size, t, row.rps.toFixed(0), row.mbps.toFixed(0), row.p99, row.cpuUsPerReq.toFixed(1), row.sysUsPerReq.toFixed(1),
          row.minfltPerReq.toFixed(3), row.rssMiB.toFixed(0), row.otherPct.toFixed(0), row.errors].join('\t'));
      }
    }
    await stop(proxy.child);
  }
  await stop(origin.child);
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
if (rounds > 1) {
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  console.log(`\n# medians over ${rounds} rounds (each phase's slices together)`);
  console.log('proxy\tphase\tsize\treq/s\tCPU µs/req\tsys µs/req\tminflt/req\tother %');
  for (const kind of proxies) {
    for (const [pi, phase] of phases.entries()) {
      const r = rows.filter((x) => x.proxy === kind && x.phase === pi);
      console.log([kind, pi, phase.size, median(r.map((x) => x.rps)).toFixed(0), median(r.map((x) => x.cpuUsPerReq)).toFixed(1), median(r.map((x) => x.sysUsPerReq)).toFixed(1),
        median(r.map((x) => x.minfltPerReq)).toFixed(3), median(r.map((x) => x.otherPct)).toFixed(0)].join('\t'));
    }
  }
}
if (rounds > 1 && proxies.includes('haproxy')) {
  // Ratios within each round (the proxies of a round ran one after the other, minutes apart at most), then their median.
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const sum = (r: SliceRow[], f: (x: SliceRow) => number): number => r.reduce((a, x) => a + f(x), 0) / Math.max(1, r.length);
  console.log(`\n# ratios to haproxy, per round, then the median (req/s: higher is better; CPU per request: HAProxy's ÷ this one's)`);
  console.log('proxy\tphase\tsize\treq/s ratio\tCPU ratio\tper round (req/s)');
  for (const kind of proxies.filter((p) => p !== 'haproxy')) {
    for (const [pi, phase] of phases.entries()) {
      const rps: number[] = [];
      const cpu: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        const h = rows.filter((x) => x.proxy === 'haproxy' && x.phase === pi && x.round === round);
        const r = rows.filter((x) => x.proxy === kind && x.phase === pi && x.round === round);
        if (!h.length || !r.length) continue;
        rps.push(sum(r, (x) => x.rps) / sum(h, (x) => x.rps));
        cpu.push(sum(h, (x) => x.cpuUsPerReq) / sum(r, (x) => x.cpuUsPerReq));
      }
      console.log([kind, pi, phase.size, median(rps).toFixed(2), median(cpu).toFixed(2), rps.map((x) => x.toFixed(2)).join(' ')].join('\t'));
    }
  }
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
