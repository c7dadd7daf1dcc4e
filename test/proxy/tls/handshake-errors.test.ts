/**
 * Connections that fail before their first request, on `bind … ssl`: the log line HAProxy 2.6 writes
 * for its embryonic sessions, `option dontlognull`, `error-log-format`, and the counters (conn_tot,
 * ssl_failed_handshake, ssl_sess). The lines and counts below were recorded from haproxy 2.6.12 on
 * the same configuration and clients; where haproxy is installed, the last test replays them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { startEngine, startRawServer, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-handshake-errors-'));
  for (const [name, cn] of [['site', 'a.test'], ['other', 'b.test']] as const) {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
      '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, `${name}.pem`), fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8') + fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'));
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ports { tls13: number; named: number; multi: number; quiet: number; errfmt: number; stats: number }

function config(p: Ports, statsSocket = ''): string {
  const site = path.join(dir, 'site.pem');
  return `global
    log stdout format raw local0
${statsSocket}
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 1s
    timeout server 5s
    timeout http-request 500
frontend fe
    option httplog
    bind 127.0.0.1:${p.tls13} ssl crt ${site} ssl-min-ver TLSv1.3
    bind 127.0.0.1:${p.named} name named ssl crt ${site}
    http-request return status 200 content-type text/plain string ok
frontend multi
    option httplog
    bind 127.0.0.1:${p.multi} name m ssl crt ${site} crt ${path.join(dir, 'other.pem')}
    http-request return status 200 content-type text/plain string ok
frontend quiet
    option httplog
    option dontlognull
    bind 127.0.0.1:${p.quiet} name q ssl crt ${site}
    http-request return status 200 content-type text/plain string ok
frontend errfmt
    error-log-format "E %ci %ft %b/%s %ST %B %ts %tsc %TR/%Tw/%Tc/%Tr %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r %[fc_err]|%[fc_err_str]"
    bind 127.0.0.1:${p.errfmt} name e ssl crt ${site}
    http-request return status 200 content-type text/plain string ok
listen ready
    bind 127.0.0.1:${p.stats}
    http-request return status 200
`;
}

const HELLO_START = Buffer.from([0x16, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Opens a connection, sends `data`, then ends it as told; resolves once the proxy closed it. */
function raw(port: number, data: Buffer | string | undefined, end: 'fin' | 'reset' | 'wait'): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      if (data) s.write(data);
      // The proxy must have read the bytes before they are followed by the close.
      if (end !== 'wait') setTimeout(() => (end === 'fin' ? s.end() : s.resetAndDestroy()), data ? 200 : 0);
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

function tlsClient(port: number, options: tls.ConnectionOptions, request?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      if (!request) return void s.end();
      s.write(request);
    });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
  });
}

/** The cases, one after the other (each line must come before the next case starts). */
async function runCases(p: Ports, lines: () => string[]): Promise<void> {
  const steps: Array<() => Promise<unknown>> = [
    () => raw(p.named, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', 'wait'),
    () => tlsClient(p.tls13, { maxVersion: 'TLSv1.2' }),
    () => raw(p.named, undefined, 'fin'),
    () => raw(p.named, HELLO_START, 'fin'),
    () => raw(p.named, HELLO_START, 'reset'),
    () => raw(p.named, undefined, 'wait'),
    () => tlsClient(p.named, { ciphers: 'NULL-SHA', maxVersion: 'TLSv1.2' }),
    () => raw(p.multi, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', 'wait'),
    () => raw(p.multi, HELLO_START, 'fin'),
    () => raw(p.multi, HELLO_START, 'wait'),
    () => raw(p.quiet, undefined, 'fin'),
    () => raw(p.quiet, undefined, 'wait'),
    () => raw(p.quiet, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', 'wait'),
    () => raw(p.errfmt, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', 'wait'),
    () => raw(p.errfmt, undefined, 'fin'),
    () => tlsClient(p.errfmt, {}, 'GET / HTTP/1.1\r\nbad header\r\n\r\n'),
    () => tlsClient(p.named, {}, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
  ];
  for (const step of steps) {
    const before = lines().length;
    await step();
    // Cases that log wait for their line; the others give the proxy a moment to show it logs nothing.
    await Promise.race([waitFor('a log line', () => lines().length > before, 3000).catch(() => {}), sleep(300)]);
  }
}

/** Recorded from haproxy 2.6.12, with `<ip>:<port> [<date>] ` cut off the default lines. */
const RECORDED = [
  'fe/named: SSL handshake failure',
  'fe/1: SSL handshake failure',
  'fe/named: Connection closed during SSL handshake',
  'fe/named: Connection closed during SSL handshake',
  'fe/named: SSL handshake failure',
  'fe/named: Timeout during SSL handshake',
  'fe/named: SSL handshake failure',
  'multi/m: SSL handshake failure',
  'multi/m: Connection closed during SSL handshake',
  'multi/m: Timeout during SSL handshake',
  'quiet/q: SSL handshake failure',
  'E 127.0.0.1 errfmt~ errfmt/<NOSRV> 0 0 PR PR-- -1/-1/-1/-1 1/1/0/0/0 0/0 "<BADREQ>" 34|SSL handshake failure',
  'E 127.0.0.1 errfmt~ errfmt/<NOSRV> 0 0 PR PR-- -1/-1/-1/-1 1/1/0/0/0 0/0 "<BADREQ>" 24|Connection closed during SSL handshake',
  'E 127.0.0.1 errfmt~ errfmt/<NOSRV> 400 0 PR PR-- -1/-1/-1/-1 1/1/0/0/0 0/0 "<BADREQ>" 0|Success',
  'fe~ fe/<NOSRV> 200 ok',
];

/** The lines without address and date, the successful request's reduced to frontend, status and body. */
function masked(lines: readonly string[]): string[] {
  return lines.filter((l) => l.trim() !== '').map((l) => l.replace(/^\d+\.\d+\.\d+\.\d+:\d+ \[[^\]]+\] /, ''))
    .map((l) => (l.startsWith('fe~ ') ? `${l.split(' ').slice(0, 2).join(' ')} ${l.split(' ')[3]} ok` : l));
}

/** Recorded from haproxy 2.6.12's `show stat` after the cases: fe counted all 8 connections and 6 failed handshakes (not the timeout), 1 session. */
const FE_COUNTS = { conn_tot: 8, stot: 1, ssl_sess: 1, ssl_failed_handshake: 6 };

async function ports(): Promise<Ports> {
  return { tls13: await freePort(), named: await freePort(), multi: await freePort(), quiet: await freePort(), errfmt: await freePort(), stats: await freePort() };
}

test('failed TLS handshakes are logged, dropped by dontlognull and rendered by error-log-format as haproxy 2.6 does, and counted', async () => {
  const p = await ports();
  const proxy = await startEngine(config(p));
  try {
    await runCases(p, () => proxy.logs);
    await waitFor('all lines', () => masked(proxy.logs).length >= RECORDED.length);
    assert.deepEqual(masked(proxy.logs).map((l) => l.replace(/ 200 ok$/, ' 200 ok')), RECORDED);
    const fe = proxy.engine.stats.counters('frontend', 'fe')!;
    assert.deepEqual({ conn_tot: fe.connTot, stot: fe.stot, ssl_sess: fe.sslSess, ssl_failed_handshake: fe.sslFailedHandshake }, FE_COUNTS);
  } finally {
    await proxy.stop();
  }
});

test('error-log-format is inherited from defaults and refused with haproxy\'s messages when malformed', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const inherited = parseConfig([{ name: 't.cfg', text: 'defaults\n    mode http\n    error-log-format "%ci %ts"\nfrontend f\n    bind :8080\n' }]);
  assert.ok(inherited.ok);
  assert.equal(inherited.config.proxies.find((x) => x.name === 'f')!.errorLogFormat?.text, '%ci %ts');
  const bad = parseConfig([{ name: 't.cfg', text: 'defaults\n    mode http\n    error-log-format\nfrontend f\n    bind :8080\n    error-log-format a b\n' }]);
  assert.equal(bad.ok, false);
  const messages = bad.diagnostics.map((d) => d.message).join('\n');
  // haproxy 2.6.12: "error-log-format expects an argument." and "… expects only one argument, don't forget to escape spaces!"
  assert.match(messages, /error-log-format expects an argument\./);
  assert.match(messages, /error-log-format expects only one argument, don't forget to escape spaces!/);
});

/** A `show stat` field of a frontend, read from haproxy's stats socket. */
async function haproxyStat(socketPath: string, frontend: string): Promise<Record<string, string>> {
  const csv = await new Promise<string>((resolve) => {
    let out = '';
    const s = net.connect(socketPath, () => s.write('show stat\n'));
    s.on('data', (d: Buffer) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });
  const [head, ...rows] = csv.split('\n');
  const names = head!.replace(/^# /, '').split(',');
  const row = rows.map((r) => r.split(',')).find((r) => r[0] === frontend && r[1] === 'FRONTEND')!;
  return Object.fromEntries(names.map((n, i) => [n, row[i]!]));
}

test('haproxy 2.6 writes the recorded lines and counts', async (t) => {
  if (!requireHaproxy(t)) return;
  const p = await ports();
  const socketPath = path.join(dir, 'haproxy.sock');
  const haproxy = await startHaproxy(config(p, `    stats socket ${socketPath} level admin`), p.stats);
  try {
    const lines = (): string[] => haproxy.output().split('\n').filter((l) => l.trim() !== '');
    await runCases(p, lines);
    await waitFor('all lines', () => masked(lines()).length >= RECORDED.length);
    assert.deepEqual(masked(lines()), RECORDED);
    const fe = await haproxyStat(socketPath, 'fe');
    assert.deepEqual({ conn_tot: Number(fe.conn_tot), stot: Number(fe.stot), ssl_sess: Number(fe.ssl_sess), ssl_failed_handshake: Number(fe.ssl_failed_handshake) }, FE_COUNTS);
  } finally {
    await haproxy.stop();
  }
});

/** A PROXY header refused, and a connection closed before sending one, through error-log-format: recorded from haproxy 2.6.12. */
const PROXY_RECORDED = [
  'E 127.0.0.1 pp pp/<NOSRV> 0 PR 15|Received something which does not look like a PROXY protocol header',
  'E 127.0.0.1 pp pp/<NOSRV> 0 PR 11|Connection closed while waiting for PROXY protocol header',
];

/** A plain listener that logs nothing, for startHaproxy's readiness probe (a probe on a logged port would add a line). */
function readyListener(port: number): string {
  return `listen ready
    bind 127.0.0.1:${port}
    http-request return status 200
`;
}

function proxyConfig(port: number, readyPort: number): string {
  return `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 2s
    timeout server 5s
frontend pp
    error-log-format "E %ci %ft %b/%s %ST %ts %[fc_err]|%[fc_err_str]"
    bind 127.0.0.1:${port} name p accept-proxy
    http-request return status 200 content-type text/plain string ok
${readyListener(readyPort)}`;
}

async function runProxyCases(port: number, lines: () => string[]): Promise<void> {
  await raw(port, 'GET / HTTP/1.1\r\n\r\nxxxxxxxxxxxxxxxxxxxx', 'wait');
  await waitFor('the refused header logged', () => lines().length >= 1);
  await raw(port, undefined, 'fin');
  await waitFor('the closed connection logged', () => lines().length >= 2);
}

test('PROXY header errors are written with error-log-format and their fc_err, as haproxy 2.6 does', async (t) => {
  const port = await freePort();
  const readyPort = await freePort();
  const proxy = await startEngine(proxyConfig(port, readyPort));
  try {
    await runProxyCases(port, () => proxy.logs);
    assert.deepEqual(proxy.logs, PROXY_RECORDED);
  } finally {
    await proxy.stop();
  }
  if (!requireHaproxy(t)) return;
  const haproxy = await startHaproxy(proxyConfig(port, readyPort), readyPort);
  try {
    const lines = (): string[] => haproxy.output().split('\n').filter((l) => l.startsWith('E '));
    await runProxyCases(port, lines);
    assert.deepEqual(lines(), PROXY_RECORDED);
  } finally {
    await haproxy.stop();
  }
});

function tcpConfig(port: number, serverPort: number, readyPort: number, statsSocket = ''): string {
  return `global
    log stdout format raw local0
${statsSocket}
defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 2s
    timeout server 5s
frontend tcpfe
    error-log-format "T %ci %ft %ts %b %[fc_err]"
    bind 127.0.0.1:${port} ssl crt ${path.join(dir, 'site.pem')}
    default_backend be
backend be
    server s1 127.0.0.1:${serverPort}
${readyListener(readyPort).replace('listen ready', 'listen ready\n    mode http')}`;
}

/** Two failed handshakes, then a full TLS 1.2 handshake and one resuming its session; each session is answered and closed by the server. */
async function runTcpCases(port: number, lines: () => string[]): Promise<boolean[]> {
  await raw(port, 'GET / HTTP/1.1\r\n\r\n', 'wait');
  await waitFor('the failed handshake logged', () => lines().length >= 1);
  await raw(port, undefined, 'fin');
  await waitFor('the closed handshake logged', () => lines().length >= 2);
  const reused: boolean[] = [];
  let session: Buffer | undefined;
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...(session ? { session } : {}) }, () => {
        reused.push(s.isSessionReused());
        session = s.getSession();
      });
      s.on('data', () => {});
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
  }
  return reused;
}

/** Recorded from haproxy 2.6.12: a TCP frontend's error-log-format lines, and its show stat counts. */
const TCP_RECORDED = ['T 127.0.0.1 tcpfe~ PR tcpfe 34', 'T 127.0.0.1 tcpfe~ PR tcpfe 24'];
const TCP_COUNTS = { conn_tot: 4, stot: 2, ssl_sess: 1, ssl_reused_sess: 1, ssl_failed_handshake: 2 };

test('a TCP frontend writes error-log-format lines for failed handshakes, and counts resumed sessions in ssl_reused_sess, as haproxy 2.6', async (t) => {
  const server = await startRawServer((socket) => socket.end('hello\n'));
  const port = await freePort();
  const readyPort = await freePort();
  const proxy = await startEngine(tcpConfig(port, server.port, readyPort));
  try {
    const errorLines = (): string[] => proxy.logs.filter((l) => l.startsWith('T '));
    assert.deepEqual(await runTcpCases(port, errorLines), [false, true]);
    assert.deepEqual(errorLines(), TCP_RECORDED);
    const c = proxy.engine.stats.counters('frontend', 'tcpfe')!;
    await waitFor('both sessions counted', () => c.stot === 2);
    assert.deepEqual({ conn_tot: c.connTot, stot: c.stot, ssl_sess: c.sslSess, ssl_reused_sess: c.sslReusedSess, ssl_failed_handshake: c.sslFailedHandshake }, TCP_COUNTS);
  } finally {
    await proxy.stop();
  }
  if (!requireHaproxy(t)) return void (await server.close());
  const socketPath = path.join(dir, 'haproxy-tcp.sock');
  const haproxy = await startHaproxy(tcpConfig(port, server.port, readyPort, `    stats socket ${socketPath} level admin`), readyPort);
  try {
    const errorLines = (): string[] => haproxy.output().split('\n').filter((l) => l.startsWith('T '));
    assert.deepEqual(await runTcpCases(port, errorLines), [false, true]);
    assert.deepEqual(errorLines(), TCP_RECORDED);
    const fe = await haproxyStat(socketPath, 'tcpfe');
    assert.deepEqual({ conn_tot: Number(fe.conn_tot), stot: Number(fe.stot), ssl_sess: Number(fe.ssl_sess), ssl_reused_sess: Number(fe.ssl_reused_sess), ssl_failed_handshake: Number(fe.ssl_failed_handshake) }, TCP_COUNTS);
  } finally {
    await haproxy.stop();
    await server.close();
  }
});
