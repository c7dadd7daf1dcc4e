import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startEngine, startNamedServer, freePort, rawExchange, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { cli, readCsv, row, until } from './helpers.ts';

/**
 * Sends a request and resets the connection before the (slow) answer: a client abort (a mere FIN is
 * a half-close HAProxy keeps serving). HAProxy 2.6.12 still waits for the server then, here until
 * `timeout server` (504 sH, to nobody), and counts both a client abort and a response error.
 */
function abortAfter(port: number, data: string, ms: number): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    s.on('error', () => {});
    setTimeout(() => { s.resetAndDestroy(); resolve(Buffer.byteLength(data, 'latin1')); }, ms);
  });
}

test('counters are exact after a scripted load of known statuses, denials, errors, timeouts and aborts', async () => {
  const origin = await startNamedServer('app', (req, res) => {
    req.resume();
    if (req.url === '/missing') res.statusCode = 404;
    if (req.url === '/error') res.statusCode = 500;
    if (req.url === '/hang') return; // never answers: the client gives up
    res.end('payload');
  });
  const slow = await startNamedServer('slow', (req) => void req.resume()); // never answers: timeout server
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-stats-'));
  const sock = path.join(dir, 'admin.sock');
  const port = await freePort();
  const e = await startEngine(`global
  stats socket ${sock} mode 600 level admin
${HTTP_DEFAULTS}frontend fe
  bind 127.0.0.1:${port}
  log-format "%b U=%U B=%B"
  http-request deny if { path /denied }
  use_backend slow if { path_beg /slow }
  use_backend empty if { path_beg /empty }
  default_backend app
backend app
  timeout server 300ms
  server a1 127.0.0.1:${origin.port}
backend slow
  timeout server 200ms
  server s1 127.0.0.1:${slow.port}
backend empty
  server e1 127.0.0.1:${origin.port} disabled
`);
  try {
    const exchange = async (p: string) => rawExchange(port, `GET ${p} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n`);
    for (let i = 0; i < 10; i++) assert.match(await exchange('/ok'), /^HTTP\/1.1 200/);
    for (let i = 0; i < 5; i++) assert.match(await exchange('/missing'), /^HTTP\/1.1 404/);
    for (let i = 0; i < 3; i++) assert.match(await exchange('/error'), /^HTTP\/1.1 500/);
    for (let i = 0; i < 2; i++) assert.match(await exchange('/denied'), /^HTTP\/1.1 403/);
    for (let i = 0; i < 2; i++) assert.match(await exchange('/slow'), /^HTTP\/1.1 504/);
    for (let i = 0; i < 2; i++) assert.match(await exchange('/empty'), /^HTTP\/1.1 503/);
    const garbage = 'NOT HTTP AT ALL\r\n\r\n';
    const bad = await rawExchange(port, garbage);
    assert.match(bad, /^HTTP\/1.1 400/);
    for (let i = 0; i < 2; i++) await abortAfter(port, 'GET /hang HTTP/1.1\r\nhost: test\r\n\r\n', 100);
    await until('the aborted requests to be accounted', () => e.engine.stats.counters('frontend', 'fe')!.scur === 0 && e.engine.stats.counters('backend', 'app')!.cliAbrt === 2);

    // bin / bout add up what the log lines say each exchange moved (%U / %B, as HAProxy counts them:
    // test/proxy/http/log-bytes.test.ts); the invalid request logs and counts none, as in HAProxy.
    await until('every exchange logged', () => e.logs.length === 27);
    const sent = { fe: 0, app: 0 };
    const received = { fe: 0, app: 0 };
    for (const line of e.logs) {
      const [, backend, u, b] = /^(\S+) U=(\d+) B=(\d+)$/.exec(line)!;
      sent.fe += Number(u);
      received.fe += Number(b);
      if (backend === 'app') {
        sent.app += Number(u);
        received.app += Number(b);
      }
    }
    assert.ok(sent.app > 0 && received.app > 0);
    const rows = readCsv(await cli(sock, 'show stat'));
    const fe = row(rows, 'fe', 'FRONTEND');
    const expectFe = {
      req_tot: 26, hrsp_2xx: 10, hrsp_4xx: 8, hrsp_5xx: 9, hrsp_1xx: 0, hrsp_3xx: 0, hrsp_other: 0, dreq: 2, ereq: 1,
      stot: 27, conn_tot: 27, scur: 0, bin: sent.fe, bout: received.fe, status: 'OPEN', type: 0,
    };
    for (const [k, v] of Object.entries(expectFe)) assert.equal(fe[k], String(v), `fe ${k}`);
    const app = row(rows, 'app', 'BACKEND');
    const a1 = row(rows, 'app', 'a1');
    for (const r of [app, a1]) {
      // The aborted requests' 504s count in the backend (and the frontend), not in the server, which sent no answer.
      const own = r === app ? { req_tot: 20, hrsp_5xx: 5 } : { req_tot: 18, hrsp_5xx: 3 };
      const expect = { ...own, hrsp_2xx: 10, hrsp_4xx: 5, cli_abrt: 2, srv_abrt: 0, eresp: 2, econ: 0, stot: 20, lbtot: 20, scur: 0, bin: sent.app, bout: received.app };
      for (const [k, v] of Object.entries(expect)) assert.equal(r[k], String(v), `${r['svname']} ${k}`);
    }
    for (const r of [row(rows, 'slow', 'BACKEND'), row(rows, 'slow', 's1')]) {
      const expect = { eresp: 2, srv_abrt: 0, cli_abrt: 0, stot: 2 };
      for (const [k, v] of Object.entries(expect)) assert.equal(r[k], String(v), `slow ${r['svname']} ${k}`);
    }
    // The 504s are Loadstar's own answers: the backend counts them, the server sent no response (HAProxy's rule).
    assert.equal(row(rows, 'slow', 'BACKEND')['hrsp_5xx'], '2');
    assert.equal(row(rows, 'slow', 'BACKEND')['req_tot'], '2');
    assert.equal(row(rows, 'slow', 's1')['hrsp_5xx'], '0');
    assert.equal(row(rows, 'slow', 's1')['req_tot'], '0');
    const empty = row(rows, 'empty', 'BACKEND');
    assert.equal(empty['req_tot'], '2');
    assert.equal(empty['hrsp_5xx'], '2');
    assert.equal(empty['status'], 'DOWN');
    assert.equal(row(rows, 'empty', 'e1')['status'], 'MAINT');
    assert.equal(row(rows, 'empty', 'e1')['stot'], '0');
  } finally {
    await e.stop();
    await origin.close();
    await slow.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
