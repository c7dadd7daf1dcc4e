/**
 * Stick tables for rate limiting, side by side with HAProxy 2.6: the counters
 * track-sc keeps (http_req_rate/cnt, conn_cur/cnt/rate, http_err_cnt, gpc0),
 * where the 429s start, a connection limit with held connections, a table
 * declared in another backend, entries expiring, and TCP-mode tracking.
 * Each case runs on Loadstar against the outcome recorded from haproxy
 * 2.6.12, then on haproxy itself when it is installed. Rates use 10 s
 * periods and a handful of requests: every request falls in the first period,
 * whose rate is its exact count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer } from '../../helpers/net.ts';
import { sideBySide, probe } from '../http/lib/side-by-side.ts';

const DEFAULTS = `defaults
    timeout client 5s
    timeout server 5s
    timeout connect 2s
`;

/** HTTP/1.1 GETs: `n` on one keep-alive connection (or each on its own): "status body" for each. */
async function gets(port: number, n: number, keepAlive: boolean, path = '/'): Promise<string[]> {
  const out: string[] = [];
  let socket: net.Socket | undefined;
  try {
    for (let i = 0; i < n; i++) {
      if (!keepAlive || !socket) {
        if (socket) await closeAndSettle(socket);
        socket = net.connect(port, '127.0.0.1');
      }
      out.push(await exchange(socket, `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
    }
  } finally {
    if (socket) await closeAndSettle(socket);
  }
  return out;
}

/**
 * Closes a connection and gives the proxy time to release its stream. The next connection's conn_cur must
 * not count this one: a loaded machine can run this client between haproxy sending an answer and
 * releasing its stream, whether the next connection comes from this call of gets or the next one.
 */
async function closeAndSettle(socket: net.Socket): Promise<void> {
  socket.destroy();
  await new Promise((r) => setTimeout(r, 100));
}

/** One request on `socket`: "status body" once the content-length's worth came, "closed" if the connection ended first. */
function exchange(socket: net.Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const done = (answer: string): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(answer);
    };
    const onData = (d: Buffer): void => {
      received += d.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
      const body = received.slice(end + 4);
      if (body.length >= length) done(`${received.slice(9, 12)} ${body.slice(0, length)}`);
    };
    const onClose = (): void => done('closed');
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => {});
    socket.write(request);
  });
}

const rateLimited = (port: number): string => `${DEFAULTS}
frontend web
    mode http
    bind 127.0.0.1:${port}
    stick-table type ip size 100k expire 30s store http_req_rate(10s),http_req_cnt,conn_cur,conn_cnt,conn_rate(10s),http_err_cnt,http_err_rate(10s),gpc0
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 } !{ path /peek }
    http-request return status 200 content-type text/plain lf-string "%[sc_http_req_cnt(0)] %[sc_http_req_rate(0)] %[sc_conn_cur(0)] %[sc_conn_cnt(0)] %[sc0_conn_rate] %[sc_http_err_cnt(0)] %[sc0_http_err_rate] %[sc0_tracked] %[sc1_tracked] %[table_cnt] %[table_avl] %[src_http_req_cnt] %[sc0_inc_gpc0] %[sc_get_gpc0(0)]"
`;

test('http-request track-sc0 src counts each request and connection; the 6th request of a 10 s period over a limit of 5 is denied with 429, as in HAProxy', async (t) => {
  await sideBySide(t, rateLimited, async (port) => {
    const separate = await gets(port, 3, false);
    const kept = await gets(port, 5, true);
    const [peek] = await gets(port, 1, false, '/peek');
    // Recorded from haproxy 2.6.12: each request is a stream that tracks (conn_cnt and conn_rate count it, conn_cur is
    // 1 while it runs); the denials count as HTTP errors; counting goes on after the limit (the rate keeps rising).
    assert.deepEqual([...separate, ...kept].map((a) => a.slice(0, 3) === '429' ? '429' : a), [
      '200 1 1 1 1 1 0 0 1 0 1 102399 1 1 1',
      '200 2 2 1 2 2 0 0 1 0 1 102399 2 2 2',
      '200 3 3 1 3 3 0 0 1 0 1 102399 3 3 3',
      '200 4 4 1 4 4 0 0 1 0 1 102399 4 4 4',
      '200 5 5 1 5 5 0 0 1 0 1 102399 5 5 5',
      '429', '429', '429',
    ]);
    // The three denials counted as HTTP errors; the requests went on counting (gpc0 only where the answer was made).
    assert.equal(peek, '200 9 9 1 9 9 3 3 1 0 1 102399 9 6 6');
  });
});

/** A TCP server that greets each connection with "hi" and keeps it open. */
const greeter = (): ReturnType<typeof startRawServer> => startRawServer((s) => s.write('hi'));

/** Opens a connection: 'hi' when the server's greeting came through, 'closed' when the proxy refused it. */
function open(port: number, send?: string): Promise<{ answer: string; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { if (send) socket.write(send); });
    let settled = false;
    const settle = (answer: string): void => { if (!settled) { settled = true; resolve({ answer, socket }); } };
    socket.on('data', (d: Buffer) => settle(d.toString('latin1')));
    socket.on('close', () => settle('closed'));
    socket.on('error', () => {});
  });
}

test('tcp-request connection track-sc0 src with reject if sc_conn_cur(0) gt 2: a third held connection is refused, and a new one passes once one closed, as in HAProxy', async (t) => {
  const server = await greeter();
  try {
    const config = (port: number): string => `${DEFAULTS}
listen db
    mode tcp
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store conn_cur,conn_cnt,conn_rate(10s),sess_cnt
    tcp-request connection track-sc0 src
    tcp-request connection reject if { sc_conn_cur(0) gt 2 }
    server s1 127.0.0.1:${server.port}
`;
    await sideBySide(t, config, async (port) => {
      const a = await open(port);
      const b = await open(port);
      const c = await open(port);
      assert.deepEqual([a.answer, b.answer, c.answer], ['hi', 'hi', 'closed']);
      a.socket.destroy();
      // The close reaches the proxy a moment later: a refused attempt changes nothing, so try again for a while.
      let d = await open(port);
      for (let i = 0; i < 50 && d.answer === 'closed'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        d = await open(port);
      }
      assert.equal(d.answer, 'hi');
      b.socket.destroy();
      d.socket.destroy();
    });
  } finally {
    await server.close();
  }
});

const sharedTable = (port: number): string => `${DEFAULTS}
backend st_src
    stick-table type ip size 10 expire 1s store http_req_cnt,gpc0,conn_cur
frontend web
    mode http
    bind 127.0.0.1:${port}
    http-request track-sc1 src table st_src
    http-request return status 200 content-type text/plain lf-string "%[sc_http_req_cnt(1)] %[sc1_conn_cur] %[src_http_req_cnt(st_src)] %[table_cnt(st_src)] %[table_avl(st_src)] %[sc_inc_gpc0(1)] %[sc1_get_gpc0(st_src)] %[sc1_trackers]"
`;

test('track-sc1 src table st_src keeps the counts in a backend holding only a table; the entry expires 1 s after its last use, as in HAProxy', async (t) => {
  await sideBySide(t, sharedTable, async (port) => {
    const first = await gets(port, 3, true);
    assert.deepEqual(first, ['200 1 1 1 1 9 1 1 1', '200 2 1 2 1 9 2 2 1', '200 3 1 3 1 9 3 3 1']);
    // Not used for 1.5 s: gone, and tracked again from zero.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await gets(port, 1, false), ['200 1 1 1 1 9 1 1 1']);
  });
});

test('tcp-request content track-sc0 src in a TCP listen: conn_cnt counts each connection; reject if sc0_conn_cnt gt 3 refuses the fourth, as in HAProxy', async (t) => {
  const server = await greeter();
  try {
    const config = (port: number): string => `${DEFAULTS}
listen db
    mode tcp
    bind 127.0.0.1:${port}
    stick-table type string len 16 size 1k expire 30s store conn_cnt,conn_cur,sess_cnt
    tcp-request inspect-delay 2s
    tcp-request content track-sc0 src,ipmask(24) if { req.len gt 0 }
    tcp-request content reject if { sc0_conn_cnt gt 3 }
    server s1 127.0.0.1:${server.port}
`;
    await sideBySide(t, config, async (port) => {
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) {
        // Tracked once it has sent something (haproxy's start-up probe sends nothing: it is not counted).
        const c = await open(port, 'x');
        answers.push(c.answer);
        c.socket.destroy();
      }
      assert.deepEqual(answers, ['hi', 'hi', 'hi', 'closed', 'closed']);
    });
  } finally {
    await server.close();
  }
});

const homeLab = (port: number): string => `${DEFAULTS}
frontend web
    mode http
    bind 127.0.0.1:${port}
    stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cur,conn_rate(3s),gpc0
    tcp-request connection track-sc0 src
    tcp-request connection reject if { sc_conn_cur(0) gt 2 }
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 4 }
    http-request return status 200 content-type text/plain lf-string "%[sc_http_req_rate(0)] %[sc_conn_cur(0)] %[sc0_conn_rate] %[sc0_trackers]"
`;

test('the home-lab pattern in an HTTP frontend: tcp-request connection track-sc0 and reject over 2 connections, http-request track-sc0 (already tracked: no second count) and a 429 over 4 requests, as in HAProxy', async (t) => {
  await sideBySide(t, homeLab, async (port) => {
    const request = 'GET / HTTP/1.1\r\nhost: x\r\n\r\n';
    const a = net.connect(port, '127.0.0.1');
    let b: net.Socket | undefined;
    try {
      // The probe counted first: a connection, and a request that failed (recorded from haproxy 2.6.12).
      assert.equal(await exchange(a, request), '200 2 1 2 1');
      b = net.connect(port, '127.0.0.1');
      assert.equal(await exchange(b, request), '200 3 2 3 2');
      // A third connection while two are held: refused by the connection rule (it counted in conn_rate all the same).
      const c = await open(port);
      assert.equal(c.answer, 'closed');
      assert.equal(await exchange(a, request), '200 4 2 4 2');
      assert.equal((await exchange(b, request)).slice(0, 3), '429');
      assert.equal((await exchange(a, request)).slice(0, 3), '429');
    } finally {
      a.destroy();
      b?.destroy();
    }
  });
});

const failures = (port: number): string => `${DEFAULTS}    timeout http-request 500ms
frontend web
    mode http
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store http_req_cnt,http_err_cnt,conn_cnt
    tcp-request connection track-sc0 src
    http-request return status 200 content-type text/plain lf-string "%[sc0_http_req_cnt] %[sc0_http_err_cnt] %[sc0_conn_cnt]"
`;

test('requests that fail before they are whole count as requests in what the connection tracks, and as HTTP errors unless they timed out, as in HAProxy', async (t) => {
  await sideBySide(t, failures, async (port) => {
    const get = (): Promise<string> => gets(port, 1, false).then(([answer]) => answer!);
    const seen: string[] = [await get()];
    await probe(port); // closed without a request: 400 CR
    await new Promise((r) => setTimeout(r, 200)); // until the proxy has seen it close
    seen.push(await get());
    await rawAnswer(port, 'GARBAGE\r\n\r\n'); // 400 PR
    seen.push(await get());
    await rawAnswer(port, 'GET / HTTP/1.1\r\n'); // 408 after timeout http-request
    seen.push(await get());
    // The probe of the start came first: the counts include it.
    assert.deepEqual(seen, ['200 2 1 2', '200 4 2 4', '200 6 3 6', '200 8 3 8']);
  });
});

/** Sends `data` and waits until the proxy closes the connection. */
function rawAnswer(port: number, data: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

test("a server's 4xx answers count as HTTP errors and its 5xx (but 501 and 505) as failures in the entries the request tracks, as in HAProxy", async (t) => {
  const app = await startRawServer((s) => {
    s.on('data', (d: Buffer) => {
      const status = /^GET \/(\d{3})/.exec(d.toString('latin1'))?.[1] ?? '200';
      s.write(`HTTP/1.1 ${status} X\r\ncontent-length: 0\r\n\r\n`);
    });
  });
  try {
    const config = (port: number): string => `${DEFAULTS}
frontend web
    mode http
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store http_req_cnt,http_err_cnt,http_err_rate(10s),http_fail_cnt,http_fail_rate(10s)
    http-request track-sc0 src
    http-request return status 200 content-type text/plain lf-string "%[sc0_http_req_cnt] %[sc0_http_err_cnt] %[sc0_http_err_rate] %[sc0_http_fail_cnt] %[sc0_http_fail_rate]" if { path /peek }
    default_backend app
backend app
    mode http
    server s1 127.0.0.1:${app.port}
`;
    await sideBySide(t, config, async (port) => {
      const statuses: string[] = [];
      for (const path of ['/404', '/200', '/403', '/500', '/501', '/503', '/505']) statuses.push(...await gets(port, 1, false, path));
      assert.deepEqual(statuses.map((s) => s.slice(0, 3)), ['404', '200', '403', '500', '501', '503', '505']);
      assert.deepEqual(await gets(port, 1, false, '/peek'), ['200 8 2 2 2 2']);
    });
  } finally {
    await app.close();
  }
});

const flagged = (port: number): string => `${DEFAULTS}
frontend web
    mode http
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store gpc0,gpc0_rate(10s),gpc1
    http-request track-sc2 src
    http-request deny deny_status 403 if { sc2_get_gpc0 gt 1 }
    http-request sc-inc-gpc0(2) if { path /bad }
    http-request sc-inc-gpc1(2)
    http-request sc-inc-gpc0(1)
    http-request return status 200 content-type text/plain lf-string "%[sc2_get_gpc0] %[sc2_gpc0_rate] %[sc_get_gpc1(2)]"
`;

test('http-request sc-inc-gpc0(2) / sc-inc-gpc1(2) count in what sc2 tracks (an untracked counter is left alone); a deny on sc2_get_gpc0 blocks the client after two bad requests, as in HAProxy', async (t) => {
  await sideBySide(t, flagged, async (port) => {
    const answers: string[] = [];
    for (const path of ['/ok', '/bad', '/ok', '/bad', '/ok']) answers.push(...await gets(port, 1, false, path));
    assert.deepEqual(answers.map((a) => a.startsWith('403') ? '403' : a), ['200 0 0 1', '200 1 1 2', '200 1 1 3', '200 2 2 4', '403']);
  });
});
