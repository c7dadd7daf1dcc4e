/**
 * HTTP checks side by side with HAProxy 2.6: the same configuration runs under
 * real HAProxy, then under Loadstar, against the same recording servers, and
 * the check requests each server received must be the same bytes:
 * `http-check send-state` (X-Haproxy-Server-State), and `http-check set-var` /
 * `set-var-fmt` feeding a later request of the same check run (reset at each run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startRawServer, startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

/** A server recording each check request head and answering it with `answer(head, n)` (n: requests seen before). */
async function recorder(answer: (head: string, n: number) => string) {
  const heads: string[] = [];
  const server = await startRawServer((socket: net.Socket) => {
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end + 4);
      buf = '';
      const n = heads.length;
      heads.push(head);
      socket.end(answer(head, n));
    });
  });
  return { heads, port: server.port, close: server.close };
}

const ok = (extra = '') => `HTTP/1.1 200 OK\r\n${extra}content-length: 2\r\n\r\nok`;
const status = (code: number, reason: string) => `HTTP/1.1 ${code} ${reason}\r\ncontent-length: 0\r\n\r\n`;

/** The defaults section every configuration here starts with. */
const DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 2s
`;

type Recorder = Awaited<ReturnType<typeof recorder>>;

/** Runs `config` under HAProxy, then Loadstar, until every recorder has `n` requests; returns the heads and alert lines of each. */
async function sideBySide(config: string, bind: number, recorders: Recorder[], n: number) {
  const runs: Array<{ heads: string[][]; alerts: string[] }> = [];
  for (const impl of ['haproxy', 'loadstar'] as const) {
    for (const r of recorders) r.heads.length = 0;
    let alerts: () => string[];
    let stop: () => Promise<void>;
    if (impl === 'haproxy') {
      const h = await startHaproxy(config, bind);
      alerts = () => h.output().split('\n').map((l) => l.replace(/^\[WARNING\]\s+\(\d+\) : /, ''));
      stop = h.stop;
    } else {
      const e = await startEngine(config);
      alerts = () => e.alerts;
      stop = e.stop;
    }
    try {
      await waitFor(`${impl}: ${n} checks on every server`, () => recorders.every((r) => r.heads.length >= n), 15_000);
    } finally {
      await stop();
    }
    runs.push({ heads: recorders.map((r) => r.heads.slice(0, n)), alerts: alerts().filter((l) => /^Server \S+ is (UP|DOWN)/.test(l)).map((l) => l.replace(/check duration: \d+ms/, 'check duration: Xms')) });
  }
  return { haproxy: runs[0]!, loadstar: runs[1]! };
}

test('http-check send-state sends X-Haproxy-Server-State as HAProxy 2.6 does (state, address, name, node, weights, sessions, queue)', async (t) => {
  if (!requireHaproxy(t)) return;
  const good = [await recorder(() => ok()), await recorder(() => ok()), await recorder(() => ok())];
  const bad = await recorder(() => status(500, 'Internal Server Error'));
  const leaving = await recorder(() => status(404, 'Not Found'));
  const bind = await freePort();
  const config = `global
    node lb1
${DEFAULTS}backend bck
    option httpchk GET /health
    http-check send-state
    http-check send hdr X-A a
    server srv1 127.0.0.1:${good[0]!.port} check inter 150 weight 3 rise 2 fall 2
    server srv2 127.0.0.1:${good[1]!.port} check inter 150 rise 3 fall 2
    server srv3 127.0.0.1:${good[2]!.port} check inter 150 backup
backend sick
    option httpchk
    http-check send-state
    server bad 127.0.0.1:${bad.port} check inter 150 rise 2 fall 3
backend stopping
    option httpchk
    http-check disable-on-404
    http-check send-state
    server leaving 127.0.0.1:${leaving.port} check inter 150
frontend fe
    bind 127.0.0.1:${bind}
    default_backend bck
`;
  try {
    const { haproxy, loadstar } = await sideBySide(config, bind, [...good, bad, leaving], 4);
    // disable-on-404: NOLB once the 404 has been seen.
    assert.match(haproxy.heads[4]![1]!, /x-haproxy-server-state: NOLB; .*name=stopping\/leaving; node=lb1; weight=1\/0;/);
    // The reference itself, so a change of HAProxy's format shows here first.
    assert.equal(haproxy.heads[0]![0], `GET /health HTTP/1.0\r\nx-a: a\r\nx-haproxy-server-state: UP 1/2; address=127.0.0.1; port=${good[0]!.port}; name=bck/srv1; node=lb1; weight=3/4; scur=0/0; qcur=0\r\n\r\n`);
    assert.deepEqual(loadstar.heads, haproxy.heads);
    assert.deepEqual(loadstar.alerts, haproxy.alerts);
  } finally {
    for (const r of [...good, bad, leaving]) await r.close();
  }
});

test('http-check set-var / set-var-fmt carry a response header into the next request of the same check run, reset at each run, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  // /first answers with a token (the flaky server only the first time); /second wants it back.
  const serve = (token: (n: number) => string | undefined) => recorder((head, n) => {
    if (head.startsWith('GET /first')) {
      const tk = token(n);
      return ok(tk ? `x-token: ${tk}\r\n` : '');
    }
    return /\r\nx-token: abc\r\n/.test(head) ? ok() : status(403, 'Forbidden');
  });
  const good = await serve(() => 'abc');
  const flaky = await serve((n) => (n === 0 ? 'abc' : undefined));
  const bind = await freePort();
  const config = `${DEFAULTS}backend vars
    option httpchk GET /first
    http-check connect
    http-check send hdr X-Step one
    http-check expect status 200
    http-check set-var(check.token) res.fhdr(x-token)
    http-check set-var-fmt(check.fmt) "t=%[var(check.token)]"
    http-check connect
    http-check send meth GET uri /second hdr X-Token %[var(check.token)] hdr X-Fmt %[var(check.fmt)]
    http-check expect status 200
    server good 127.0.0.1:${good.port} check inter 150 rise 1 fall 1
    server flaky 127.0.0.1:${flaky.port} check inter 150 rise 1 fall 1
frontend fe
    bind 127.0.0.1:${bind}
    default_backend vars
`;
  try {
    const { haproxy, loadstar } = await sideBySide(config, bind, [good, flaky], 6);
    assert.equal(haproxy.heads[0]![1], 'GET /second HTTP/1.0\r\nx-token: abc\r\nx-fmt: t=abc\r\n\r\n');
    // The second run starts without the first run's variable: no x-token, and x-fmt renders it empty.
    assert.equal(haproxy.heads[1]![3], 'GET /second HTTP/1.0\r\nx-fmt: t=\r\n\r\n');
    assert.deepEqual(loadstar.heads, haproxy.heads);
    assert.ok(haproxy.alerts.some((l) => l.startsWith('Server vars/flaky is DOWN')), haproxy.alerts.join('\n'));
    assert.deepEqual(loadstar.alerts, haproxy.alerts);
  } finally {
    await good.close();
    await flaky.close();
  }
});

test('http-check send-state during slowstart reports the ramped weight and throttle=N% as HAProxy 2.6 does', async (t) => {
  if (!requireHaproxy(t)) return;
  // Fails its first two checks (DOWN), then passes: back UP, the server warms up over slowstart.
  const warming = [await recorder((_h, n) => (n < 2 ? status(503, 'Service Unavailable') : ok())), await recorder((_h, n) => (n < 2 ? status(503, 'Service Unavailable') : ok()))];
  const bind = await freePort();
  const config = `global
    node lb1
${DEFAULTS}backend warm
    option httpchk
    http-check send-state
    server w1 127.0.0.1:${warming[0]!.port} check inter 300 rise 1 fall 1 slowstart 20s weight 10
    server w2 127.0.0.1:${warming[1]!.port} check inter 300 rise 1 fall 1 slowstart 20s weight 3
frontend fe
    bind 127.0.0.1:${bind}
    default_backend warm
`;
  try {
    const { haproxy, loadstar } = await sideBySide(config, bind, warming, 6);
    // Checks 5 and 6 of each server come when both are back and warming, less than 2 s into slowstart
    // (ramp step 1/16 for both: the backend's total, summed in sixteenths, rounds up to 1). Which
    // second of its clock each run's check falls in is chance, so the throttle percentage is not compared.
    const warm = (heads: string[][]) => heads.map((h) => h.slice(4, 6).map((x) => x.replace(/throttle=\d+%/, 'throttle=N%')));
    assert.match(haproxy.heads[0]![4]!, /UP; .*name=warm\/w1; node=lb1; weight=1\/1; scur=0\/0; qcur=0; throttle=\d+%\r\n/);
    assert.deepEqual(warm(loadstar.heads), warm(haproxy.heads));
  } finally {
    for (const r of warming) await r.close();
  }
});

test('option httpchk with headers and a body hidden after the version (deprecated) sends them as HAProxy 2.6 does; a later http-check send replaces those headers', async (t) => {
  if (!requireHaproxy(t)) return;
  const servers = [await recorder(() => ok()), await recorder(() => ok()), await recorder(() => ok())];
  const bind = await freePort();
  const config = `${DEFAULTS}backend hidden
    option httpchk GET /h HTTP/1.1\\r\\nHost:\\ www.example\\r\\nX-Custom:\\ \\ Yes
    server s1 127.0.0.1:${servers[0]!.port} check inter 150
backend hidden-body
    option httpchk POST /b HTTP/1.0\\r\\nContent-Type:\\ text/plain\\r\\n\\r\\nping
    server s2 127.0.0.1:${servers[1]!.port} check inter 150
backend replaced
    option httpchk GET /h HTTP/1.1\\r\\nHost:\\ www.example
    http-check send hdr X-Other yes
    server s3 127.0.0.1:${servers[2]!.port} check inter 150
frontend fe
    bind 127.0.0.1:${bind}
    default_backend hidden
`;
  try {
    const { haproxy, loadstar } = await sideBySide(config, bind, servers, 2);
    assert.equal(haproxy.heads[0]![0], 'GET /h HTTP/1.1\r\nhost: www.example\r\nx-custom: Yes\r\nconnection: close\r\n\r\n');
    assert.deepEqual(loadstar.heads, haproxy.heads);
  } finally {
    for (const r of servers) await r.close();
  }
});

test('a sloppy server\'s check answers (bare LF, HTTP/1.2, length beside chunked, a control byte) keep it UP, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const servers = [
    await recorder(() => 'HTTP/1.0 200 OK\nContent-Length: 2\n\nok'),
    await recorder(() => 'HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    await recorder(() => 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'),
    await recorder(() => 'HTTP/1.0 200 OK\r\nX-A: b\x01c\r\nContent-Length: 2\r\n\r\nok'),
    // Still invalid for both: a space before the colon.
    await recorder(() => 'HTTP/1.0 200 OK\r\nX-A : b\r\nContent-Length: 2\r\n\r\nok'),
  ];
  const bind = await freePort();
  const config = `${DEFAULTS}backend app
    option httpchk GET /
${servers.map((s, i) => `    server s${i} 127.0.0.1:${s.port} check inter 100 fall 2`).join('\n')}
frontend fe
    bind 127.0.0.1:${bind}
    default_backend app
`;
  try {
    const { haproxy, loadstar } = await sideBySide(config, bind, servers, 4);
    assert.deepEqual(haproxy.alerts.map((l) => l.split(',')[0]), ['Server app/s4 is DOWN']);
    assert.deepEqual(loadstar.alerts.map((l) => l.split(',')[0]), ['Server app/s4 is DOWN']);
  } finally {
    for (const r of servers) await r.close();
  }
});
