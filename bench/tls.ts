/**
 * TLS termination (issue #5): Loadstar versus real HAProxy in the same run,
 * each terminating TLS with the same certificate and forwarding plain HTTP
 * to the same origin on 127.0.0.1; pinned as in l7-design.ts (proxy on
 * core 0, load generator + origin on core 1). Sections:
 *  - https keep-alive: wrk over a few keep-alive connections, 100-byte
 *    responses; the origin reached directly over plain HTTP is the reference row;
 *  - resumed handshakes: wrk with `Connection: close` reconnects for every
 *    request, but keeps its TLS session across reconnects (SSL_clear), so
 *    these are abbreviated handshakes (HAProxy's `show info` shows ~100 %
 *    session reuse);
 *  - full handshakes (EC P-256 site.pem, RSA 2048 legacy.pem): one new
 *    connection, full handshake and request per iteration, driven by
 *    lib/tls-handshake-driver.ts (node:tls, never offers a session; it
 *    counts any resumption as an error). Node's client handshake costs more
 *    than wrk's, so the load core may cap req/s: compare the proxy CPU per
 *    request there.
 * HAProxy's new-TLS-session counter and reuse % are printed per handshake
 * row to show that each request had its own handshake.
 * Reports req/s, proxy CPU µs per request and the Loadstar ÷ HAProxy ratios,
 * then each goal of issue #15 (keep-alive and full handshakes ≥ 0.8×) with
 * "met" / "NOT met", judged on two ratios that must both reach 0.8: req/s,
 * and capacity (HAProxy's CPU µs per request ÷ Loadstar's) — when the load
 * generator's core saturates first (the node:tls driver always does; wrk
 * often does on keep-alive) both proxies show the same req/s whatever they
 * cost, and only the capacity ratio tells them apart.
 * Handshake rows warm up longer (--handshake-warmup, 10 s): at a few hundred
 * connections a second V8 is still compiling the per-connection code after
 * 1 s (perf: 16 % of Loadstar's CPU in the optimizing compiler, 11 % after
 * 15 s at 50 conn/s), which a long-running proxy no longer pays.
 * Loadstar runs compiled (`npm run build`: this file's dist/ copy serves with
 * --serve; --dist DIR serves another build of it).
 *
 *   node --import tsx bench/tls.ts [--duration 5] [--warmup 1] [--connections 20] [--rounds 1]
 *        [--only keepalive,resumed,ec,rsa] [--quiet-wait 5] [--cpu-prof DIR] [--dist DIR] [--handshake-warmup 10]
 *   (internal) node dist/bench/tls.js --serve --crt FILE --upstream 127.0.0.1:PORT
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { serveEngine } from './lib/serve-engine.ts';
import { waitForQuiet } from './lib/cpu.ts';
import { summarizeProfile } from './lib/cpuprofile.ts';
import { haproxyShowInfo, startHaproxy } from './lib/haproxy.ts';
import { measureLoad, type Measured } from './lib/measure.ts';
import { SMALL, startOrigin, type Origin } from './lib/origin.ts';
import { LOAD_CORE, PROXY_CORE, freePort, runBounded, spawnPinned } from './lib/proc.ts';
import { f, medianRows, table, type Row } from './lib/report.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

const certDir = fileURLToPath(new URL('../test/scenarios/certs/', import.meta.url));

interface Target {
  pid: number;
  port: number;
  stop(): Promise<void>;
  /** HAProxy's TLS counters: [new TLS sessions so far, session reuse %] */
  sslCounters?: () => Promise<[number, number]>;
}

/** The compiled copy of this file that serves Loadstar; `--dist DIR` picks another build (`tsc -p tsconfig.build.json --outDir DIR`). */
const distSelf = process.argv.includes('--dist') ? join(opt('dist', ''), 'bench', 'tls.js') : fileURLToPath(new URL('../dist/bench/tls.js', import.meta.url));

async function startLoadstar(crt: string, originPort: number, profDir: string): Promise<Target> {
  if (!existsSync(distSelf)) throw new Error(`${distSelf} is missing: run \`npm run build\` first (npm run bench:tls does)`);
  const flags = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const s = await spawnPinned(process.execPath, [...flags, distSelf, '--serve', '--crt', crt, '--upstream', `127.0.0.1:${originPort}`],
    { core: PROXY_CORE, readyLine: /^LISTENING (\d+)/ });
  return { pid: s.pid, port: Number(s.ready![1]), stop: () => s.stop() };
}

async function startHaproxyTls(crt: string, originPort: number): Promise<Target> {
  const h = await startHaproxy({ mode: 'http', backendPort: originPort, ssl: { crt }, statsSocket: true });
  return {
    pid: h.pid, port: h.port, stop: () => h.stop(),
    sslCounters: async () => {
      const info = await haproxyShowInfo(h.statsSocket!);
      return [Number(info.get('CumSslConns')), Number(info.get('SslFrontendSessionReuse_pct'))];
    },
  };
}

interface Check { section: string; id: string; requests: number; driverResumed?: number; sslSessions?: number; reusePct?: number }

/** wrk: keep-alive; wrk-close: wrk with `Connection: close` (resumed handshakes); driver: full handshakes. */
interface Section { name: string; key: string; crt: string; load: 'wrk' | 'wrk-close' | 'driver'; goal: boolean }

/** Issue #15: HTTPS keep-alive and full handshakes at ≥ 0.8× HAProxy. */
const GOAL = 0.8;

async function main(): Promise<void> {
  const t0 = Date.now();
  const durationS = Number(opt('duration', '5'));
  const warmupS = Number(opt('warmup', '1'));
  const handshakeWarmupS = Number(opt('handshake-warmup', '10'));
  const connections = Number(opt('connections', '20'));
  const rounds = Number(opt('rounds', '1'));
  const quietWaitS = Number(opt('quiet-wait', '5'));
  const only = opt('only', 'keepalive,resumed,ec,rsa').split(',');
  const profDir = opt('cpu-prof', '');
  const site = join(certDir, 'site.pem');
  const legacy = join(certDir, 'legacy.pem');
  const sections: Section[] = ([
    { name: 'https keep-alive 100 B', key: 'keepalive', crt: site, load: 'wrk', goal: true },
    { name: 'resumed handshakes (wrk) EC', key: 'resumed', crt: site, load: 'wrk-close', goal: false },
    { name: 'full handshakes EC P-256', key: 'ec', crt: site, load: 'driver', goal: true },
    { name: 'full handshakes RSA 2048', key: 'rsa', crt: legacy, load: 'driver', goal: true },
  ] as Section[]).filter((s) => only.includes(s.key));

  const origin = await startOrigin({ sizes: [SMALL] });
  const originPort = origin.ports.get(SMALL)!;
  const runs: Row[][] = [];
  const checks: Check[] = [];
  const negotiated = new Map<string, string>();
  try {
    for (let round = 0; round < rounds; round++) {
      const rows: Row[] = [];
      // alternate which proxy goes first, so drift on the shared machine favours neither
      const order = round % 2 === 0 ? ['haproxy-https', 'loadstar-https'] : ['loadstar-https', 'haproxy-https'];
      for (const section of sections) {
        const ids = section.load === 'wrk' ? ['direct', ...order] : order;
        for (const id of ids) {
          const warm = section.load === 'wrk' ? warmupS : handshakeWarmupS;
          const row = await measureRow(section, id, origin, originPort, { connections, durationS }, warm, quietWaitS, profDir, checks, negotiated);
          rows.push(row);
          process.stderr.write(`round ${round + 1}  ${section.name.padEnd(28)} ${row.name.padEnd(30)} ${f(row.wrk.reqPerSec).padStart(7)} req/s  ` +
            `${f(row.proxyCpuUsPerReq, 1).padStart(7)} µs/req  proxy CPU ${f(row.proxyCpuPct)}%  err ${row.wrk.errors}  other ${f(row.otherCpuPct)}%\n`);
        }
      }
      runs.push(rows);
    }
  } finally {
    await origin.stop();
  }
  const rows = runs.length > 1 ? medianRows(runs) : runs[0]!;
  console.log(`\nLoadstar TLS benchmark — node ${process.version}, OpenSSL ${process.versions.openssl}, ${connections} connections, ${durationS} s per run ` +
    `(+${warmupS} s warm-up, ${handshakeWarmupS} s for handshake rows), ${rounds} round(s); proxy on core ${PROXY_CORE}, load generator (wrk or the node:tls handshake driver; "wrk CPU %") ` +
    `+ origin on core ${LOAD_CORE}; total ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  console.log(table(rows));
  console.log('\nNegotiated (probe connections per proxy and certificate):');
  for (const [k, v] of negotiated) console.log(`  ${k}: ${v}`);
  if (checks.length > 0) {
    console.log('\nA handshake per request? (HAProxy: new TLS sessions during the run and session reuse % from `show info`; driver: sessions it saw resumed)');
    console.log('| test | proxy | requests | HAProxy new TLS sessions | ÷ requests | HAProxy reuse % | driver: resumed |\n|---|---|--:|--:|--:|--:|--:|');
    for (const c of checks) {
      console.log(`| ${c.section} | ${c.id} | ${c.requests} | ${c.sslSessions ?? '-'} | ${c.sslSessions === undefined ? '-' : f(c.sslSessions / Math.max(1, c.requests), 2)} | ${c.reusePct ?? '-'} | ${c.driverResumed ?? '-'} |`);
    }
  }
  console.log('\nLoadstar ÷ HAProxy, and the goals of issue #15 (≥ 0.8× on both req/s and capacity = HAProxy CPU µs/req ÷ Loadstar CPU µs/req):');
  for (const section of sections) {
    const h = rows.find((r) => r.section === section.name && r.id === 'haproxy-https');
    const l = rows.find((r) => r.section === section.name && r.id === 'loadstar-https');
    if (!h || !l) continue;
    const reqRatio = l.wrk.reqPerSec / h.wrk.reqPerSec;
    const capacity = (h.proxyCpuUsPerReq ?? NaN) / (l.proxyCpuUsPerReq ?? NaN);
    const verdict = !section.goal ? 'no goal (reported)' : reqRatio >= GOAL && capacity >= GOAL ? 'met' : 'NOT met';
    console.log(`  ${section.name}: ${f(reqRatio, 2)}× req/s, ${f(capacity, 2)}× capacity (${f(1 / capacity, 2)}× CPU per request) → ${verdict}`);
  }
}

/** One HTTPS request on a new connection (offering `session` if given); checks the answer is the origin's body. */
function probeOnce(port: number, session?: Buffer): Promise<{ negotiated: string; reused: boolean; session?: Buffer }> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    let negotiated = '';
    let reused = false;
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(session ? { session } : {}) }, () => {
      const key = s.getEphemeralKeyInfo() as tls.EphemeralKeyInfo | null;
      const cert = s.getPeerX509Certificate();
      negotiated = `${s.getProtocol()} ${s.getCipher().name}, key exchange ${key?.name ?? key?.type ?? '?'}, ` +
        `certificate ${cert?.publicKey.asymmetricKeyType ?? '?'} ${cert?.subject.replace(/\n/g, ' ') ?? ''}`;
      reused = s.isSessionReused();
      s.end('GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n');
    });
    s.on('session', (t: Buffer) => { ticket = t; });
    let got = '';
    s.setEncoding('latin1').on('data', (d: string) => { got += d; });
    s.on('end', () => {
      const body = got.slice(got.indexOf('\r\n\r\n') + 4);
      if (!got.startsWith('HTTP/1.1 200') || body.length !== SMALL) reject(new Error(`unexpected answer: ${JSON.stringify(got.slice(0, 200))}`));
      else resolve({ negotiated, reused, session: ticket });
    });
    s.setTimeout(5000, () => s.destroy(new Error('no answer within 5 s')));
    s.on('error', reject);
  });
}

/** What a proxy negotiates, and whether it resumes a session (so both are seen to do the same work). */
async function probe(port: number): Promise<string> {
  const first = await probeOnce(port);
  const second = first.session ? await probeOnce(port, first.session) : undefined;
  return `${first.negotiated}, resumes a session: ${second?.reused ? 'yes' : 'no'}`;
}

const driverScript = fileURLToPath(new URL('./lib/tls-handshake-driver.ts', import.meta.url));

/** Full handshakes, one request each, from lib/tls-handshake-driver.ts pinned to the load core; bounded in time. */
async function runDriver(port: number, connections: number, durationS: number): Promise<WrkResult> {
  const r = await runBounded(process.execPath, ['--import', 'tsx', driverScript, '--port', String(port), '--connections', String(connections), '--duration', String(durationS)],
    { core: LOAD_CORE, timeoutMs: (durationS + 20) * 1000 });
  if (r.code !== 0) throw new Error(`handshake driver exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WrkResult;
}

type Load = { connections: number; durationS: number };

async function measureRow(section: Section, id: string, origin: Origin, originPort: number, load: Load,
  warmupS: number, quietWaitS: number, profDir: string, checks: Check[], negotiated: Map<string, string>): Promise<Row> {
  const label = id === 'direct' ? 'direct to origin (plain http)' : id === 'haproxy-https' ? 'HAProxy 2.6 (https)' : 'Loadstar engine (https)';
  const run = (url: string, port: number, durationS: number) => (): Promise<WrkResult> => section.load === 'driver'
    ? runDriver(port, load.connections, durationS)
    : runWrk({ url, durationS, connections: load.connections, threads: 1, core: LOAD_CORE, headers: section.load === 'wrk-close' ? ['Connection: close'] : [] });
  // warm up (JIT, caches), then let other sessions' bursts on the shared machine pass (bounded)
  const prepare = async (url: string, port: number): Promise<void> => {
    if (warmupS > 0) await run(url, port, warmupS)();
    if (quietWaitS > 0) await waitForQuiet([PROXY_CORE, LOAD_CORE], 10, quietWaitS * 1000);
  };
  try {
    if (id === 'direct') {
      const url = `http://127.0.0.1:${originPort}/`;
      await prepare(url, originPort);
      return { section: section.name, name: label, id, size: SMALL, ...(await measureLoad(run(url, originPort, load.durationS), null, origin.pid)) };
    }
    const target = id === 'haproxy-https' ? await startHaproxyTls(section.crt, originPort) : await startLoadstar(section.crt, originPort, profDir);
    let m: Measured;
    try {
      negotiated.set(`${label}, ${section.crt.replace(/.*\//, '')}`, await probe(target.port));
      const url = `https://127.0.0.1:${target.port}/`;
      await prepare(url, target.port);
      const ssl0 = await target.sslCounters?.();
      m = await measureLoad(run(url, target.port, load.durationS), target.pid, origin.pid);
      const ssl1 = await target.sslCounters?.();
      if (section.load !== 'wrk') {
        const resumed = (m.wrk as WrkResult & { resumed?: number }).resumed;
        checks.push({ section: section.name, id, requests: m.wrk.requests, ...(resumed !== undefined ? { driverResumed: resumed } : {}),
          ...(ssl0 && ssl1 ? { sslSessions: ssl1[0] - ssl0[0], reusePct: ssl1[1] } : {}) });
      }
    } finally {
      await target.stop();
    }
    if (profDir && id === 'loadstar-https') printProfile(profDir);
    return { section: section.name, name: label, id, size: SMALL, ...m };
  } catch (err) {
    // one failing proxy must not lose the rest of the run
    process.stderr.write(`  FAILED: ${label}, ${section.name}: ${(err as Error).message}\n`);
    return { section: section.name, name: `${label} (FAILED)`, id, size: SMALL, error: (err as Error).message,
      wrk: { reqPerSec: NaN, mbPerSec: NaN, p50: NaN, p99: NaN, errors: 0, requests: 0, seconds: 0, raw: '' },
      proxyCpuUsPerReq: null, proxyCpuPct: null, proxySysPct: null, originCpuPct: NaN, wrkCpuPct: NaN, otherCpuPct: NaN, attempts: 1 };
  }
}

/** Top self-time functions of the newest Loadstar profile (whole process life: start-up and warm-up included). */
function printProfile(dir: string): void {
  const files = readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).map((n) => join(dir, n));
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) return void process.stderr.write(`  (no .cpuprofile in ${dir})\n`);
  const s = summarizeProfile(newest, 15);
  process.stderr.write(`  profile ${newest}: ${(s.busyUs / 1e6).toFixed(1)} s busy\n`);
  for (const c of s.byCategory.slice(0, 8)) process.stderr.write(`    ${c.pct.toFixed(1).padStart(5)}%  ${c.category}\n`);
  for (const t of s.top) process.stderr.write(`    ${t.pct.toFixed(1).padStart(5)}%  ${t.name}  ${t.where}\n`);
}

if (process.argv.includes('--serve')) await serveEngine({ upstream: opt('upstream', ''), bindOptions: `ssl crt ${opt('crt', '')}` });
else await main();
