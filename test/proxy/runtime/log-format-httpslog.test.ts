/**
 * `option httpslog` (HAProxy 2.6, configuration.txt 8.2.4): the HTTP log line followed by
 * fc_err / ssl_fc_err,hex / ssl_c_err / ssl_c_ca_err / ssl_fc_is_resumed and ssl_fc_sni / %sslv /
 * %sslc, for plain HTTP and for TLS 1.3, TLS 1.2, with and without SNI, and a resumed TLS 1.2
 * session. The lines were recorded from haproxy 2.6.12 and are compared with it again, field by
 * field, where it is installed; the client port, the date and the timers' values are not compared.
 * Before this test Loadstar refused `option httpslog`, and logged '-' for ssl_fc_is_resumed on a
 * connection without TLS (HAProxy: 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyCheck, loggedHttpHead, requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { certPath } from '../../helpers/tls.ts';

const config = (plain: number, secure: number, extra = ''): string => `${loggedHttpHead()}frontend web
    bind 127.0.0.1:${plain}
    bind 127.0.0.1:${secure} ssl crt ${certPath('site.pem')}
${extra}    option httpslog
    http-request return status 200 content-type text/plain string ok
`;

const REQUEST = 'GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

function plainRequest(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(REQUEST));
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

/** One request over TLS; resolves with the session to resume, when one came. */
function tlsRequest(port: number, options: tls.ConnectionOptions): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let session: Buffer | undefined;
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => s.write(REQUEST));
    s.on('session', (b: Buffer) => (session = b));
    s.on('data', () => {});
    s.on('error', () => resolve(session));
    s.on('close', () => resolve(session));
  });
}

/**
 * `pauseMs` between requests: time for the proxy to see the previous connection closed, or %ac/%fc
 * count it (haproxy did on a loaded run: 2/2/0/0/0).
 */
async function traffic(plain: number, secure: number, pauseMs = 0): Promise<void> {
  const pause = () => new Promise((r) => setTimeout(r, pauseMs));
  await plainRequest(plain);
  await pause();
  await tlsRequest(secure, { servername: 'site.test' });
  await pause();
  await tlsRequest(secure, {});
  await pause();
  const session = await tlsRequest(secure, { servername: 'site.test', maxVersion: 'TLSv1.2' });
  await pause();
  await tlsRequest(secure, { servername: 'site.test', maxVersion: 'TLSv1.2', session });
}

const HTTP = 'web/<NOSRV> T/-1/-1/-1/T 200 73 - - LR-- 1/1/0/0/0 0/0 "GET /t HTTP/1.1"';
const EXPECTED = [
  `127.0.0.1:PORT [DATE] web ${HTTP} 0/-/-/-/0 -/-/-`,
  `127.0.0.1:PORT [DATE] web~ ${HTTP} 0/0000000000000000/0/0/0 site.test/TLSv1.3/TLS_AES_256_GCM_SHA384`,
  `127.0.0.1:PORT [DATE] web~ ${HTTP} 0/0000000000000000/0/0/0 -/TLSv1.3/TLS_AES_256_GCM_SHA384`,
  `127.0.0.1:PORT [DATE] web~ ${HTTP} 0/0000000000000000/0/0/0 site.test/TLSv1.2/ECDHE-ECDSA-AES256-GCM-SHA384`,
  `127.0.0.1:PORT [DATE] web~ ${HTTP} 0/0000000000000000/0/0/1 site.test/TLSv1.2/ECDHE-ECDSA-AES256-GCM-SHA384`,
];
/**
 * The SNI of a resumed TLS 1.2 session is not compared: HAProxy logs the name the session began
 * with; Node's TLS server does not give it for a resumed session (socket.servername is false, and
 * the session it serialises holds no host name), so Loadstar logs '-'.
 */
const UNCHECKED_SNI = new Set([4]);

/** The client port, the date and the timers' values vary from run to run. */
function normalise(line: string): string {
  return line
    .replace(/^127\.0\.0\.1:\d+ \[[^\]]+\]/, '127.0.0.1:PORT [DATE]')
    .replace(/ (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+) 200 /, (_m, ...t: string[]) => ` ${t.slice(0, 5).map((v) => (v === '-1' ? v : 'T')).join('/')} 200 `);
}

function compare(lines: string[]): void {
  assert.equal(lines.length, EXPECTED.length, lines.join('\n'));
  lines.forEach((line, i) => {
    const relax = (fields: string[]): string[] => (UNCHECKED_SNI.has(i) ? [...fields.slice(0, -1), fields.at(-1)!.replace(/^[^/]*\//, 'SNI/')] : fields);
    const got = relax(normalise(line).split(' '));
    const want = relax(EXPECTED[i]!.split(' '));
    assert.equal(got.length, want.length, line);
    got.forEach((field, f) => assert.equal(field, want[f], `line ${i + 1}, field ${f + 1}: ${line}`));
  });
}

test('option httpslog logs the HTTP fields and the TLS ones as HAProxy 2.6 does, for plain HTTP, TLS 1.3, TLS 1.2 and a resumed session', async () => {
  const [plain, secure] = [await freePort(), await freePort()];
  const e = await startEngine(config(plain, secure));
  try {
    await traffic(plain, secure);
    compare(e.logs);
  } finally {
    await e.stop();
  }
});

test('option httpslog after a log-format replaces it; a log-format after it wins', async () => {
  for (const [text, expected] of [
    [(plain: number, secure: number) => config(plain, secure, '    log-format "LF"\n'), EXPECTED[0]],
    [(plain: number, secure: number) => `${config(plain, secure)}    log-format "LF"\n`, 'LF'],
  ] as const) {
    const [plain, secure] = [await freePort(), await freePort()];
    const e = await startEngine(text(plain, secure));
    try {
      await plainRequest(plain);
      assert.equal(normalise(e.logs[0] ?? ''), expected);
    } finally {
      await e.stop();
    }
  }
});

test('option httpslog in a tcp frontend falls back to tcplog, and in a backend is ignored, with HAProxy 2.6\'s warnings', (t) => {
  const text = `defaults
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    mode tcp
    bind 127.0.0.1:8080
    option httpslog
    default_backend b
backend b
    mode tcp
    option httpslog
    server s 127.0.0.1:8081
`;
  const r = parseConfig([{ name: 'x.cfg', text }]);
  assert.ok(r.ok);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}: ${d.message}`), [
    "12: backend 'b' : 'option httpslog' directive is ignored in backends.",
    "8: 'option httpslog' not usable with frontend 'f' (needs 'mode http'). Falling back to 'option tcplog'.",
    // The backend's own line set a format all the same, and the frontend has nowhere to log (haproxy 2.6.12 says both).
    "5: log format ignored for frontend 'f' since it has no log address.",
    "12: 'option httpslog' not usable with backend 'b' (needs 'mode http'). Falling back to 'option tcplog'.",
  ]);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-httpslog-'));
  try {
    fs.writeFileSync(path.join(dir, 'x.cfg'), text);
    const h = haproxyCheck('x.cfg', dir);
    assert.equal(h.status, 0);
    assert.match(h.output, /parsing \[x\.cfg:12\] : backend 'b' : 'option httpslog' directive is ignored in backends\./);
    assert.match(h.output, /parsing \[x\.cfg:8\] : 'option httpslog' not usable with frontend 'f' \(needs 'mode http'\)\. Falling back to 'option tcplog'\./);
    assert.match(h.output, /parsing \[x\.cfg:12\] : 'option httpslog' not usable with backend 'b'/);
    assert.match(h.output, /log format ignored for frontend 'f' since it has no log address\./);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the recorded httpslog lines are what HAProxy 2.6 logs today', async (t) => {
  if (!requireHaproxy(t)) return;
  const [plain, secure] = [await freePort(), await freePort()];
  const proxy = await startHaproxy(config(plain, secure), plain);
  try {
    // The readiness probe must be over before the first request, or %ac/%fc count it: its <BADREQ> line
    // says haproxy ended it; the connection is released just after, which cannot be observed.
    for (const deadline = Date.now() + 2000; !proxy.output().includes('<BADREQ>') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    await traffic(plain, secure, 150);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await proxy.stop();
  }
  // startHaproxy's readiness probe is a connection without a request: HAProxy logs it (<BADREQ>).
  compare(proxy.output().split('\n').filter((l) => l.startsWith('127.0.0.1:') && !l.includes('<BADREQ>')));
});
