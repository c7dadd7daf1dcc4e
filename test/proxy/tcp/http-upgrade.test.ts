/**
 * A TCP frontend handing its connection to an HTTP backend (HAProxy's TCP→HTTP upgrade): the
 * implicit one (the backend chosen is `mode http`) and `tcp-request content switch-mode http`,
 * side by side with real HAProxy, whose answers and log lines were recorded below (haproxy
 * 2.6.12): what the server receives (X-Forwarded-For, the rules' headers, the inspected bytes
 * once), which backend serves each request of a kept-alive connection, the 400 for what is not
 * HTTP, and the tcplog lines (one per request).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http2 from 'node:http2';
import { sideBySide } from '../http/lib/side-by-side.ts';
import type { Proxy } from '../http/lib/side-by-side.ts';
import { rawClient } from '../http/lib/raw-client.ts';
import { linesLogged } from '../http/lib/side-by-side.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

/** An origin answering each request with what it received: its head (names in lower case) and its body. */
async function origin(): Promise<{ port: number; received: () => string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let all = '';
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buffered = '';
    s.on('data', (d: Buffer) => {
      all += d.toString('latin1');
      buffered += d.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) break;
        const raw = buffered.slice(0, end);
        const length = Number(/^content-length: *(\d+)/im.exec(raw)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) break;
        const body = buffered.slice(end + 4, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        const lineEnd = raw.indexOf('\r\n');
        const head = raw.slice(0, lineEnd) + raw.slice(lineEnd).replace(/^([^:\r\n]+):/gm, (_, n: string) => `${n.toLowerCase()}:`);
        const echo = `${head.replace(/\r\n/g, '\n')}\n\n${body}`;
        s.write(`HTTP/1.1 200 OK\r\nx-origin: yes\r\ncontent-length: ${echo.length}\r\n\r\n${echo}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => all,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const HEAD = `global
    log stdout format raw local0
defaults
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

/**
 * The last `n` tcplog lines (the probe connection sideBySide and startHaproxy make is logged
 * first, as CR): frontend, backend/server, timers (-1 or T), bytes and termination state.
 */
async function tcpLogged(proxy: Proxy, n: number): Promise<string[]> {
  return (await linesLogged(proxy, n + 1)).slice(-n).map((l) => {
    const f = l.split(' ');
    return [f[2], f[3], f[4]!.split('/').map((v) => (v === '-1' ? v : 'T')).join('/'), f[5], f[6]].join(' ');
  });
}

/**
 * The x-g values (a connection's stick counter the content rules increment) counted from 1 at the first
 * request: whether the rules' first pass, at accept, already sees the first bytes is a race in HAProxy
 * (it counts once or twice for the first request); each later request counts once.
 */
function countedFromOne(got: string): string {
  const first = Number(/x-g: (\d)/.exec(got)?.[1] ?? 0);
  return got.replace(/x-g: (\d)/g, (_, n: string) => `x-g: ${Number(n) - first + 1}`);
}

/** Runs `check` on Loadstar then HAProxy; returns what each saw (HAProxy's only when installed). */
async function bothWays<T>(t: Parameters<typeof sideBySide>[0], config: (port: number) => string, check: (port: number, proxy: Proxy) => Promise<T>): Promise<T[]> {
  const seen: T[] = [];
  await sideBySide(t, config, async (port, proxy) => void seen.push(await check(port, proxy)));
  return seen;
}

const CRLF = (s: string): string => s.replace(/\n/g, '\r\n');

/** HAProxy's 400 (the head's lines end in CRLF, the page's in LF). */
const BAD_REQUEST = `${CRLF('HTTP/1.1 400 Bad request\nContent-length: 90\nCache-Control: no-cache\nConnection: close\nContent-Type: text/html\n\n')}<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n`;

/** The origin's answer to a request it received as `head` (lines, names in lower case) and `body`. */
function echoed(head: string, body = ''): string {
  const echo = `${head}\n\n${body}`;
  return `HTTP/1.1 200 OK\r\nx-origin: yes\r\ncontent-length: ${echo.length}\r\n\r\n${echo}`;
}

test('implicit upgrade: the backend is mode http, so requests get its forwardfor and rules; later requests are routed again; the inspected bytes reach the server once', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    option tcplog
    option forwardfor
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content track-sc0 src_port table t
    tcp-request content sc-inc-gpc0(0)
    tcp-request content set-var(txn.p) req.payload(0,9)
    tcp-request content accept if { req.len gt 0 }
    http-request set-header X-Fe f
    use_backend b2 if { path /two }
    default_backend b1
backend t
    stick-table type integer size 10 store gpc0
backend b1
    mode http
    option forwardfor
    http-request set-header X-Be b1
    http-request set-header X-G %[src_port,table_gpc0(t)]
    http-request set-header X-P %[var(txn.p)]
    server s1 127.0.0.1:${server.port}
backend b2
    mode http
    http-request set-header X-Be b2
    http-request set-header X-G %[src_port,table_gpc0(t)]
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, async (port, proxy) => {
      const got = await rawClient(port, [
        CRLF('POST /one HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello'), 200,
        CRLF('GET /two HTTP/1.1\nHost: x\n\n'), 200,
        CRLF('GET /one HTTP/1.1\nHost: x\n\n'),
      ], 400);
      return [countedFromOne(got), ...(await tcpLogged(proxy, 3))];
    });
    // The counter is the connection's (its source port), counted from 1 at the first request: the content rules
    // ran once more on each later request.
    const answers = [
      // The frontend's http-request rules run (HAProxy warns they are ignored, and runs them); its forwardfor does not.
      echoed('POST /one HTTP/1.1\nhost: x\ncontent-length: 5\nx-fe: f\nx-be: b1\nx-g: 1\nx-p: POST /one\nx-forwarded-for: 127.0.0.1', 'hello'),
      // Later requests: content rules again (req.payload reads nothing then), switching on the HTTP request.
      echoed('GET /two HTTP/1.1\nhost: x\nx-fe: f\nx-be: b2\nx-g: 2'),
      echoed('GET /one HTTP/1.1\nhost: x\nx-fe: f\nx-be: b1\nx-g: 3\nx-p: \nx-forwarded-for: 127.0.0.1'),
    ];
    // Loadstar and HAProxy alike, then as recorded from HAProxy.
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
    assert.deepEqual(seen[0], [
      `client got (still open):\n${answers.join('')}`,
      // %B as HAProxy counts an upgraded stream's answer (its HTX size, 7 more than the bytes on the wire here).
      'f b1/s1 T/T/T 179 --', 'f b2/s1 T/T/T 112 --', 'f b1/s1 T/T/T 145 --',
    ]);
    // What the TCP side held for its rules went to the server once, before what followed.
    assert.equal(server.received().split('hello').length - 1, seen.length);
  } finally {
    await server.close();
  }
});

test('implicit upgrade: what is not HTTP gets the 400 and is logged f/<NOSRV> PR, first or after a request', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    option tcplog
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len gt 0 }
    # Run again on the later requests, where req.len is the HTTP request's HTX size.
    tcp-request content reject
    default_backend b1
backend b1
    mode http
    option forwardfor
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, async (port, proxy) => {
      const first = await rawClient(port, [CRLF('HELLO WORLD\n\n')], 400);
      const second = await rawClient(port, [CRLF('GET / HTTP/1.1\nHost: x\n\n'), 100, CRLF('BAD\n\n')], 400);
      return [first, second, ...(await tcpLogged(proxy, 3))];
    });
    const bad = BAD_REQUEST;
    const answer = echoed('GET / HTTP/1.1\nhost: x\nx-forwarded-for: 127.0.0.1');
    // Loadstar and HAProxy alike, then as recorded from HAProxy.
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
    assert.deepEqual(seen[0], [
      `client got (closed):\n${bad}`,
      `client got (closed):\n${answer}${bad}`,
      'f f/<NOSRV> -1/-1/T 0 PR', 'f b1/s1 T/T/T 112 --', 'f f/<NOSRV> -1/-1/T 0 PR',
    ]);
  } finally {
    await server.close();
  }
});

test('implicit upgrade: the first request is logged as a stream that began at the TCP accept (Tt counts the wait before it)', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    option tcplog
    bind 127.0.0.1:${port}
    # The wait is spent in the TCP phase, the content rules waiting for the first bytes.
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len gt 0 }
    default_backend b1
backend b1
    mode http
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, async (port, proxy) => {
      await rawClient(port, [300, CRLF('GET / HTTP/1.1\nHost: x\n\n')], 200);
      const line = (await linesLogged(proxy, 2)).at(-1)!;
      return Number(line.split(' ')[4]!.split('/')[2]);
    });
    // The client waited 300 ms before its request (a margin for the event loops of both sides).
    for (const tt of seen) assert.ok(tt >= 250, `Tt ${tt}`);
  } finally {
    await server.close();
  }
});

test('implicit upgrade: a request whose FIN came while the content rules held it is answered (HAProxy closes it unanswered)', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len gt 100 }
    default_backend b1
backend b1
    mode http
    http-request set-header X-Be b1
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, (port) => new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(CRLF('GET /fin HTTP/1.0\nHost: x\n\n')));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => {});
    }));
    // HAProxy 2.6.12 closes such a connection without an answer or a log line (its H1 mux is set up on a
    // connection already shut for reading); Loadstar answers the request, whole as it is.
    if (seen.length > 1) assert.equal(seen[1], '');
    // HTTP/1.0 without keep-alive: the server connection is kept alive and the client's closed (as HAProxy does when the FIN comes later).
    assert.equal(seen[0], echoed('GET /fin HTTP/1.0\nhost: x\nx-be: b1\nconnection: keep-alive').replace('\r\n\r\n', '\r\nconnection: close\r\n\r\n'));
  } finally {
    await server.close();
  }
});

test('switch-mode http: the frontend routes each request as HTTP, with its forwardfor and rules, from the first request on', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    option tcplog
    option forwardfor
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content track-sc0 src_port table t
    tcp-request content sc-inc-gpc0(0)
    tcp-request content set-var(txn.p) req.payload(0,8)
    tcp-request content switch-mode http if HTTP
    tcp-request content reject
    http-request set-header X-Fe f
    http-request set-header X-G %[src_port,table_gpc0(t)]
    http-request set-header X-P %[var(txn.p)]
    use_backend b2 if { path /two }
    default_backend b1
backend t
    stick-table type integer size 10 store gpc0
backend b1
    mode http
    http-request set-header X-Be b1
    server s1 127.0.0.1:${server.port}
backend b2
    mode http
    http-request set-header X-Be b2
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, async (port, proxy) => {
      const got = await rawClient(port, [CRLF('GET /two HTTP/1.1\nHost: x\n\n'), 200, CRLF('GET /one HTTP/1.1\nHost: x\n\n'), 200, CRLF('BAD\n\n')], 400);
      return [countedFromOne(got), ...(await tcpLogged(proxy, 3))];
    });
    const bad = BAD_REQUEST;
    // The connection's counter (counted from 1 at the first request): once more on the next request.
    const answers = [
      echoed('GET /two HTTP/1.1\nhost: x\nx-fe: f\nx-g: 1\nx-p: GET /two\nx-be: b2\nx-forwarded-for: 127.0.0.1'),
      echoed('GET /one HTTP/1.1\nhost: x\nx-fe: f\nx-g: 2\nx-p: \nx-be: b1\nx-forwarded-for: 127.0.0.1'),
    ];
    // Loadstar and HAProxy alike, then as recorded from HAProxy.
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
    assert.deepEqual(seen[0], [
      `client got (closed):\n${answers.join('')}${bad}`,
      'f b2/s1 T/T/T 153 --', 'f b1/s1 T/T/T 145 --', 'f f/<NOSRV> -1/-1/T 0 PR',
    ]);
  } finally {
    await server.close();
  }
});

test('switch-mode http proto h2: the connection is HTTP/2, each stream through the frontend rules', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    option tcplog
    option forwardfor
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content switch-mode http proto h2 if HTTP
    tcp-request content reject
    http-request set-header X-Fe f
    default_backend b1
backend b1
    mode http
    http-request set-header X-Be b1
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, async (port, proxy) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      const get = (p: string): Promise<string> => new Promise((resolve) => {
        const req = session.request({ ':path': p });
        let body = '';
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (d: Buffer) => (body += d.toString('latin1')));
        req.on('end', () => resolve(`${status} ${body}`));
        req.on('error', (e: Error) => resolve(`error ${e.message}`));
        req.end();
      });
      const answers = [await get('/a'), await get('/b')];
      session.close();
      // The host field is the authority the client sent: the proxy's port, which differs between the two runs.
      // %B varies with the authority's length (the port's digits) too.
      return [...answers.map((a) => a.replace(`host: 127.0.0.1:${port}`, 'host: PROXY')), ...(await tcpLogged(proxy, 2)).map((l) => l.replace(/ \d+ --$/, ' B --'))];
    });
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
    const echo = (p: string): string => `200 GET ${p} HTTP/1.1\nhost: PROXY\nx-fe: f\nx-be: b1\nx-forwarded-for: 127.0.0.1\n\n`;
    assert.deepEqual(seen[0], [echo('/a'), echo('/b'), 'f b1/s1 T/T/T B --', 'f b1/s1 T/T/T B --']);
  } finally {
    await server.close();
  }
});

test('implicit upgrade: a connection that begins with the HTTP/2 preface goes on as HTTP/2 (h2c by prior knowledge), its first frames kept', async (t) => {
  const server = await origin();
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    option tcplog
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len gt 0 }
    default_backend b1
backend b1
    mode http
    server s1 127.0.0.1:${server.port}
`;
    const seen = await bothWays(t, config, async (port) => {
      // The preface and the client's first frames (SETTINGS, HEADERS) come in one read, which the TCP side holds.
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      const answer = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('no answer'), 3000);
        const req = session.request({ ':path': '/h2' });
        let body = '';
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (d: Buffer) => (body += d.toString('latin1')));
        req.on('end', () => (clearTimeout(timer), resolve(`${status} ${body.split('\n')[0]}`)));
        req.on('error', (e: Error) => (clearTimeout(timer), resolve(`error ${e.message}`)));
        req.end();
      });
      session.destroy();
      return answer;
    });
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
    assert.equal(seen[0], '200 GET /h2 HTTP/1.1');
  } finally {
    await server.close();
  }
});

test('implicit upgrade and switch-mode: a client that closes before sending a byte gets no answer (HAProxy ends the stream unanswered)', async (t) => {
  const server = await origin();
  try {
    const rules = {
      implicit: 'tcp-request content accept if { req.len gt 0 }',
      switched: 'tcp-request content switch-mode http if HTTP',
    };
    /** Connects, sends its FIN at once, and reads until the proxy closes: what came back. */
    const finFirst = (port: number): Promise<string> => new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end());
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => {});
      const timer = setTimeout(() => socket.destroy(), 3000);
      socket.on('close', () => (clearTimeout(timer), resolve(got === '' ? 'closed, nothing written' : got.slice(0, got.indexOf('\r\n')))));
    });
    for (const [name, rule] of Object.entries(rules)) {
      const config = (port: number): string => `${HEAD}
frontend ${name}
    mode tcp
    option tcplog
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    ${rule}
    default_backend b1
backend b1
    mode http
    server s1 127.0.0.1:${server.port}
`;
      const seen = await bothWays(t, config, (port) => finFirst(port));
      if (seen.length > 1) assert.equal(seen[1], seen[0], name);
      // Loadstar answered 400 here, as a plain HTTP frontend does.
      assert.equal(seen[0], 'closed, nothing written', name);
    }
  } finally {
    await server.close();
  }
});

/** `tcp-request content switch-mode` lines, and what HAProxy 2.6 says of each (undefined: accepted). */
const SWITCH_MODE_LINES: Array<{ line: string; section?: 'backend'; error?: string }> = [
  { line: 'tcp-request content switch-mode http' },
  { line: 'tcp-request content switch-mode http proto h1 if { req.len gt 0 }' },
  { line: 'tcp-request content switch-mode http proto h2' },
  { line: 'tcp-request content switch-mode tcp', error: "'tcp-request switch-mode' expects a valid mode (got 'tcp')." },
  { line: 'tcp-request content switch-mode', error: "'tcp-request switch-mode' expects a mode as argument." },
  { line: 'tcp-request content switch-mode http proto foo', error: "'tcp-request switch-mode': 'proto' expects a valid MUX protocol, if specified (got 'foo')" },
  { line: 'tcp-request content switch-mode http proto fcgi', error: "Proxy 'f': MUX protocol 'fcgi' is not compatible with the selected mode." },
  { line: 'tcp-request content switch-mode http foo', error: "'tcp-request content switch-mode' only accepts 'if' or 'unless', in frontend 'f' (got 'foo')" },
  { line: 'tcp-request content switch-mode http', section: 'backend', error: "'tcp-request switch-mode' not allowed because backend 'b' has no frontend capability" },
];

function switchModeConfig(c: (typeof SWITCH_MODE_LINES)[number]): string {
  return `defaults
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    mode tcp
    bind 127.0.0.1:1
    ${c.section ? '' : c.line}
    default_backend b
backend b
    mode http
    ${c.section ? c.line : ''}
    server s 127.0.0.1:1
`;
}

test("switch-mode's arguments: Loadstar accepts and refuses the lines HAProxy does, with its messages", () => {
  for (const c of SWITCH_MODE_LINES) {
    const errors = parseConfig([{ name: 'check.cfg', text: switchModeConfig(c) }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
    if (!c.error) assert.deepEqual(errors, [], c.line);
    else assert.ok(errors.some((e) => e.endsWith(c.error!)), `${c.line}: ${errors.join('; ')}`);
  }
});

test('haproxy -c agrees on the switch-mode lines, and drops the HTTP-mode warnings of a frontend that has one', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-switch-mode-'));
  try {
    for (const [i, c] of SWITCH_MODE_LINES.entries()) {
      const file = path.join(dir, `case${i}.cfg`);
      fs.writeFileSync(file, switchModeConfig(c));
      const r = haproxyCheck(file, dir);
      if (!c.error) assert.equal(r.status, 0, `${c.line}:\n${r.output}`);
      else assert.ok(r.output.includes(c.error), `${c.line}:\n${r.output}`);
    }
    const withHttpDirectives = (rule: string): string => `defaults\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    mode tcp\n    bind 127.0.0.1:1\n    option forwardfor\n    ${rule}\n    http-request set-header X-Fe f\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:1\n`;
    for (const rule of ['tcp-request content switch-mode http', 'tcp-request content accept']) {
      const text = withHttpDirectives(rule);
      const file = path.join(dir, 'warnings.cfg');
      fs.writeFileSync(file, text);
      const theirs = haproxyCheck(file, dir).output;
      const ours = parseConfig([{ name: 'warnings.cfg', text }]).diagnostics.map((d) => d.message).join('\n');
      for (const warning of ["'option forwardfor' ignored for frontend 'f' as it requires HTTP mode.", 'rules ignored for frontend \'f\' as they require HTTP mode.']) {
        assert.equal(ours.includes(warning), theirs.includes(warning), `${rule}: ${warning}\nhaproxy:\n${theirs}\nloadstar:\n${ours}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
