/**
 * Holds 10,000 idle keep-alive client connections on Loadstar and on HAProxy
 * (each connection made one request, then stays open), and reports the
 * proxy's resident memory before and after, per connection, then issue #15's
 * goal (≤ 4 KiB per connection at 10,000) with Loadstar's ratio to it and
 * HAProxy's figure from the same run. Bounded: opens the connections in
 * batches, reads memory 5 s and 10 s after, checks they are all still open,
 * closes everything.
 *
 *   npm run build && node dist/bench/idle-connections.js [--count 10000]
 *        [--engine-flags "--max-semi-space-size=4"] [--no-haproxy] [--hold 5,10]
 *
 * --engine-flags gives the engine's process other Node/V8 flags (an A/B of a process
 * setting on the same build); --no-haproxy measures Loadstar alone (quicker A/B rounds);
 * --hold is when (s after the last connection opened) memory is read. The goal is judged
 * on the last reading, when the connections have been idle long enough for the engine to
 * have settled (its quiet-time reclaim, proxy/runtime/quiet-reclaim.ts, ends ~7 s into
 * the quiet); the earlier one shows the way there.
 */
import net from 'node:net';
import { goalsBlock, idleGoal } from './lib/goals.ts';
import { freePort } from './lib/proc.ts';
import { withAllocatorEnv } from '../proxy/runtime/allocator-env.ts';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';

const countAt = process.argv.indexOf('--count');
const COUNT = countAt >= 0 ? Number(process.argv[countAt + 1]) : 10_000;
const BATCH = 500;
const flagsAt = process.argv.indexOf('--engine-flags');
const ENGINE_FLAGS = flagsAt >= 0 ? process.argv[flagsAt + 1]!.split(' ').filter(Boolean) : [];
const WITH_HAPROXY = !process.argv.includes('--no-haproxy');
const holdAt = process.argv.indexOf('--hold');
/** Seconds after the connections are open at which memory is read, ascending. */
const HOLDS_S = (holdAt >= 0 ? process.argv[holdAt + 1]!.split(',').map(Number) : [5, 10]).sort((a, b) => a - b);

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/**
 * Where resident memory sits (KiB): glibc's main heap ([heap]: what native code mallocs —
 * Node's socket handles, llhttp parsers) and anonymous mappings (V8's heap pages; thread
 * arenas). Read from the outside, so the engine runs unchanged.
 */
function residentSplit(pid: number): { heap: number; anon: number } {
  let heap = 0;
  let anon = 0;
  let name = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      name = line.split(/\s+/)[5] ?? '';
      continue;
    }
    const rss = /^Rss:\s+(\d+)/.exec(line);
    if (!rss) continue;
    if (name === '[heap]') heap += Number(rss[1]);
    else if (name === '') anon += Number(rss[1]);
  }
  return { heap, anon };
}

async function origin(): Promise<{ port: number; close(): void }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => { server.closeAllConnections(); server.close(); } };
}


function waitLine(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 15_000);
    const on = (d: Buffer) => { out += d; if (re.test(out)) { clearTimeout(timer); resolve(); } };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => { const s = net.connect(port, '127.0.0.1'); s.on('connect', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

/** Opens `count` connections, each sends one GET and reads the answer, then stays idle. */
async function openIdle(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let done = 0; done < count; done += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, () => new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', reject);
      s.once('connect', () => s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
      s.once('data', () => resolve());
      sockets.push(s);
    })));
  }
  return sockets;
}

interface Held { lines: string[]; kibPerConn: number; held: number; count: number; earlier: { atS: number; kibPerConn: number }[] }

/**
 * The engine's quiet-time reclaim steps (engine-server's --log-reclaim lines), with their time
 * relative to `opened` (performance.now() of this process; both clocks are monotonic since
 * their process's start, so the engine's is shifted by when it started).
 */
function reclaimSteps(child: ChildProcess): { describe(opened: number, startedAt: number): string } {
  const steps: string[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    for (const m of String(d).matchAll(/^RECLAIM (\w+) (\d+) ([\d.]+) ([\d.]+)$/gm)) steps.push(`${m[1]} ${m[2]} ${m[3]} ${m[4]}`);
  });
  return {
    describe: (opened, startedAt) => steps.map((s) => {
      const [step, at, before, after] = s.split(' ');
      return `${step} at ${((startedAt + Number(at) - opened) / 1000).toFixed(1)} s (heap ${before} -> ${after} MiB)`;
    }).join(', ') || 'none',
  };
}

async function measure(name: string, child: ChildProcess, port: number, count = COUNT, reclaim?: { log: ReturnType<typeof reclaimSteps>; startedAt: number }): Promise<Held> {
  await waitPort(port);
  const before = rssKiB(child.pid!);
  const splitBefore = residentSplit(child.pid!);
  const sockets = await openIdle(port, count);
  const opened = performance.now();
  const readings: { atS: number; kibPerConn: number; line: string }[] = [];
  for (const atS of HOLDS_S) {
    await new Promise((r) => setTimeout(r, Math.max(0, opened + atS * 1000 - performance.now())));
    const after = rssKiB(child.pid!);
    const splitAfter = residentSplit(child.pid!);
    const kibPerConn = (after - before) / count;
    readings.push({ atS, kibPerConn,
      line: `${name.padEnd(10)} after ${atS} s idle: RSS ${(before / 1024).toFixed(1)} MiB -> ${(after / 1024).toFixed(1)} MiB (${kibPerConn.toFixed(2)} KiB per connection`
        + `: malloc heap ${((splitAfter.heap - splitBefore.heap) / count).toFixed(2)}, anonymous mappings ${((splitAfter.anon - splitBefore.anon) / count).toFixed(2)})` });
  }
  const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  for (const s of sockets) s.destroy();
  child.kill('SIGTERM');
  const last = readings[readings.length - 1]!;
  const reclaimLine = reclaim ? [`${name.padEnd(10)} quiet-time reclaim after the last connection opened: ${reclaim.log.describe(opened, reclaim.startedAt)}`] : [];
  return { kibPerConn: last.kibPerConn, held: open, count, earlier: readings.slice(0, -1).map(({ atS, kibPerConn }) => ({ atS, kibPerConn })),
    lines: [`${name.padEnd(10)} held ${open}/${count} idle keep-alive connections`, ...readings.map((r) => r.line), ...reclaimLine] };
}

/** HAProxy's figure in the same run (the reference); null when it could not be measured. */
async function measureHaproxy(originPort: number): Promise<Held | null> {
  const hpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idle-'));
  // HAProxy reserves two descriptors per connection; with this machine's hard limit of
  // 20,000 descriptors it cannot start with maxconn 10,000, so it is compared at 9,900.
  const hpCount = Math.min(COUNT, 9900);
  fs.writeFileSync(path.join(dir, 'h.cfg'), `global\n    nbthread 1\n    maxconn 9990\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\nfrontend f\n    bind 127.0.0.1:${hpPort}\n    maxconn 9990\n    default_backend b\nbackend b\n    server o 127.0.0.1:${originPort}\n`);
  const hp = spawn('haproxy', ['-db', '-f', path.join(dir, 'h.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  hp.once('error', (err) => console.error(`haproxy: ${err.message}`));
  try {
    return await measure('haproxy', hp, hpPort, hpCount);
  } catch (err) {
    // Loadstar's figure and its goal still count without the reference
    hp.kill('SIGKILL');
    console.error(`haproxy: not measured (${(err as Error).message})`);
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = await origin();
  let loadstar: Held;
  let haproxy: Held | null = null;
  try {
    const lsPort = await freePort();
    const startedAt = performance.now();
    const engine = spawn(process.execPath, [...ENGINE_FLAGS, path.join(path.dirname(new URL(import.meta.url).pathname), 'engine-server.js'), '--upstream', `127.0.0.1:${o.port}`, '--port', String(lsPort), '--log-reclaim'], { stdio: ['ignore', 'pipe', 'pipe'], env: withAllocatorEnv(process.env) });
    const log = reclaimSteps(engine);
    await waitLine(engine, /LISTENING/);
    loadstar = await measure('loadstar', engine, lsPort, COUNT, { log, startedAt });
    if (WITH_HAPROXY) haproxy = await measureHaproxy(o.port);
  } finally {
    o.close();
  }
  console.log([loadstar, haproxy].filter((h) => h !== null).flatMap((h) => h.lines).join('\n'));
  console.log(`\n${goalsBlock([idleGoal({ kibPerConn: loadstar.kibPerConn, held: loadstar.held, count: loadstar.count, haproxyKibPerConn: haproxy?.kibPerConn ?? null,
    atS: HOLDS_S[HOLDS_S.length - 1]!, earlier: loadstar.earlier })])}`);
}

await main();
