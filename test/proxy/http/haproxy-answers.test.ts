/**
 * Answers a client sees byte for byte, recorded from HAProxy 2.6.12 (Debian) on the same
 * configuration and requests: local answers (redirect, return, deny, error pages) and their
 * Connection header, pipelined requests ended by a Connection: close one, and the server side of
 * `option http-server-close` / `option httpclose` set in a backend. Each test checks Loadstar
 * against the recorded bytes; where haproxy is installed, one more test replays the same
 * exchanges through it, so a recording that no longer matches HAProxy is noticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort, rawExchange } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { echoServer } from './lib/echo-server.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A log-format payload file for `lf-file` (read by both proxies at load). */
const LF_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-answers-')), 'reply.txt');
fs.writeFileSync(LF_FILE, 'path=%[path] m=%[method]\n');
process.on('exit', () => fs.rmSync(path.dirname(LF_FILE), { recursive: true, force: true }));

const DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
`;

/** Local answers: the redirect forms, return, deny and the no-server 503. */
function localConfig(port: number, frontendExtra = ''): string {
  return `${DEFAULTS}frontend web
    bind 127.0.0.1:${port}
${frontendExtra}    http-request redirect scheme https code 301 if { path_beg /s301 }
    http-request redirect prefix / code 308 if { path_beg /p308 }
    http-request redirect location /loc code 303 if { path_beg /l303 }
    http-request redirect prefix /x set-cookie SEEN=1 if { path_beg /ck }
    http-request redirect prefix /x clear-cookie SEEN= if { path_beg /cc }
    http-request return status 200 content-type text/plain string hi hdr x-a b hdr x-c d if { path /ret }
    http-request return status 204 if { path /r204 }
    http-request return status 404 hdr x-a b if { path /r404 }
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain lf-file ${LF_FILE} if { path /lf-file }
    http-request deny deny_status 429 content-type text/plain lf-string "slow down %[path]" hdr retry-after 5 if { path /d429 }
    http-request deny deny_status 400 if { path /d400 }
    default_backend none
backend none
`;
}

const get = (path: string, extra = '', version = '1.1') => `GET ${path} HTTP/${version}\r\nHost: ex.com\r\n${extra}\r\n`;

/** Each exchange on its own connection; what the client read until the proxy closed (or 400 ms passed). */
const LOCAL_EXCHANGES: Array<[string, string]> = [
  [get('/s301/a?q=1'), 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: https://ex.com/s301/a?q=1\r\n\r\n'],
  [get('/p308/z?a'), 'HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: /p308/z?a\r\n\r\n'],
  // An absolute-form target (as sent to a proxy): the redirect takes its path, not the whole target.
  [get('http://ex.com/s301/b?q=2'), 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: https://ex.com/s301/b?q=2\r\n\r\n'],
  [get('HTTP://user@ex.com:80/p308/y'), 'HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: /p308/y\r\n\r\n'],
  [get('/l303?q'), 'HTTP/1.1 303 See Other\r\ncontent-length: 0\r\nlocation: /loc\r\ncache-control: no-cache\r\n\r\n'],
  [get('/ck'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x/ck\r\ncache-control: no-cache\r\nset-cookie: SEEN=1; path=/;\r\n\r\n'],
  [get('/cc'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x/cc\r\ncache-control: no-cache\r\nset-cookie: SEEN=; path=/; Max-Age=0;\r\n\r\n'],
  [get('/ret'), 'HTTP/1.1 200 OK\r\nx-a: b\r\nx-c: d\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nhi'],
  [get('/r204'), 'HTTP/1.1 204 No Content\r\n\r\n'],
  [get('/r404'), 'HTTP/1.1 404 Not Found\r\nx-a: b\r\ncontent-length: 0\r\n\r\n'],
  // Log-format payloads are rendered per request; deny sends its hdr lines.
  [get('/lf-file'), 'HTTP/1.1 200 OK\r\ncontent-length: 20\r\ncontent-type: text/plain\r\n\r\npath=/lf-file m=GET\n'],
  [get('/d429'), 'HTTP/1.1 429 Too Many Requests\r\nretry-after: 5\r\ncontent-length: 15\r\ncontent-type: text/plain\r\n\r\nslow down /d429'],
  // The 400 page closes the connection: connection: close comes last.
  [get('/d400'), 'HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n' +
    '<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n'],
  // The client asked to close: HAProxy says so in the answer.
  [get('/ck', 'Connection: close\r\n'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x/ck\r\ncache-control: no-cache\r\nset-cookie: SEEN=1; path=/;\r\nconnection: close\r\n\r\n'],
  [get('/nosrv', 'Connection: close\r\n'), 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n' +
    '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n'],
  [get('/ret', 'Connection: close\r\n'), 'HTTP/1.1 200 OK\r\nx-a: b\r\nx-c: d\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nhi'],
  // An HTTP/1.0 client: keep-alive is said when it asked for it, close otherwise.
  [get('/deny', 'Connection: keep-alive\r\n', '1.0'), 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: keep-alive\r\n\r\n' +
    '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n'],
  [get('/l303', '', '1.0'), 'HTTP/1.1 303 See Other\r\ncontent-length: 0\r\nlocation: /loc\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n'],
];

/** With `option httpclose` in the frontend every local answer closes the connection and says so. */
const HTTPCLOSE_EXCHANGES: Array<[string, string]> = [
  [get('/ret'), 'HTTP/1.1 200 OK\r\nx-a: b\r\nx-c: d\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nhi'],
  [get('/deny', 'Connection: keep-alive\r\n', '1.0'), 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n' +
    '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n'],
];

/** Two pipelined requests, the second with Connection: close: both answered, the first keep-alive. */
const PIPELINED = get('/g') + get('/h', 'Connection: close\r\n');
function pipelinedAnswer(serverClose: boolean): string {
  const close = serverClose ? 'connection: close\n' : '';
  const one = (path: string) => `GET ${path} HTTP/1.1\nhost: ex.com\n${close}\n`;
  return `HTTP/1.1 200 OK\r\ncontent-length: ${one('/g').length}\r\n\r\n${one('/g')}` +
    `HTTP/1.1 200 OK\r\ncontent-length: ${one('/h').length}\r\nconnection: close\r\n\r\n${one('/h')}`;
}

function forwardConfig(port: number, origin: number, frontendOption: string, backendOption: string): string {
  return `${DEFAULTS}frontend web
    bind 127.0.0.1:${port}
${frontendOption ? `    ${frontendOption}\n` : ''}    default_backend app
backend app
${backendOption ? `    ${backendOption}\n` : ''}    server s1 127.0.0.1:${origin}
`;
}

/** Header names lowercased: HAProxy sends every name lowercase, Loadstar keeps the server's spelling. */
const lowerNames = (s: string) => s.replace(/^([A-Za-z-]+):/gm, (_, n: string) => `${n.toLowerCase()}:`);

async function exchanges(port: number, list: Array<[string, string]>): Promise<string[]> {
  const out: string[] = [];
  for (const [req] of list) out.push(await rawExchange(port, req, 400));
  return out;
}

test('redirects, return and deny answer as HAProxy 2.6 does: header order, Cache-Control only on temporary redirects, the clear-cookie form, log-format payloads, deny hdr', async () => {
  const port = await freePort();
  const e = await startEngine(localConfig(port));
  try {
    const got = await exchanges(port, LOCAL_EXCHANGES);
    LOCAL_EXCHANGES.forEach(([req, answer], i) => assert.equal(got[i], answer, req.split('\r\n')[0]));
  } finally {
    await e.stop();
  }
});

test('with option httpclose a local answer closes the client connection and says connection: close', async () => {
  const port = await freePort();
  const e = await startEngine(localConfig(port, '    option httpclose\n'));
  try {
    const got = await exchanges(port, HTTPCLOSE_EXCHANGES);
    HTTPCLOSE_EXCHANGES.forEach(([req, answer], i) => assert.equal(got[i], answer, req.split('\r\n')[0]));
  } finally {
    await e.stop();
  }
});

test('a request pipelined before a Connection: close request is answered keep-alive, and the close request is answered too', async () => {
  const origin = await echoServer();
  try {
    for (const [frontendOption, serverClose] of [['', false], ['option http-server-close', true]] as const) {
      const port = await freePort();
      const e = await startEngine(forwardConfig(port, origin.port, frontendOption, ''));
      try {
        assert.equal(lowerNames(await rawExchange(port, PIPELINED, 2000)), pipelinedAnswer(serverClose), frontendOption || 'keep-alive');
      } finally {
        await e.stop();
      }
    }
  } finally {
    await origin.close();
  }
});

/** What the echo origin answers to GET `path` forwarded with one server connection per request (`connection: close` to it). */
function echoedClose(path: string, clientClose = false): string {
  const request = `GET ${path} HTTP/1.1\nhost: ex.com\nconnection: close\n\n`;
  return `HTTP/1.1 200 OK\r\ncontent-length: ${request.length}\r\n${clientClose ? 'connection: close\r\n' : ''}\r\n${request}`;
}

test('option http-server-close or httpclose in the backend (or httpclose in the frontend) gives each request its own server connection', async () => {
  const origin = await echoServer();
  try {
    const cases = [
      { fe: '', be: 'option http-server-close', clientClose: false },
      { fe: '', be: 'option httpclose', clientClose: false },
      { fe: 'option httpclose', be: '', clientClose: true },
    ];
    for (const c of cases) {
      const port = await freePort();
      const e = await startEngine(forwardConfig(port, origin.port, c.fe, c.be));
      const before = origin.connections;
      try {
        const got = lowerNames(await rawExchange(port, get('/g') + get('/h'), 600));
        // httpclose in the frontend closes the client connection after the first answer (HAProxy does too).
        assert.equal(got, c.clientClose ? echoedClose('/g', true) : echoedClose('/g') + echoedClose('/h'), `${c.fe} | ${c.be}`);
        assert.equal(origin.connections - before, c.clientClose ? 1 : 2, `one server connection per request: ${c.fe} | ${c.be}`);
      } finally {
        await e.stop();
      }
    }
  } finally {
    await origin.close();
  }
});

test('the recorded answers are what HAProxy 2.6 answers today', async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = await echoServer();
  try {
    const run = async (text: (port: number) => string, fn: (port: number) => Promise<string[]>) => {
      const port = await freePort();
      const proxy = await startHaproxy(`global\n    nbthread 1\n${text(port)}`, port);
      try {
        return await fn(port);
      } finally {
        await proxy.stop();
      }
    };
    assert.deepEqual(await run((p) => localConfig(p), (p) => exchanges(p, LOCAL_EXCHANGES)), LOCAL_EXCHANGES.map(([, a]) => a));
    assert.deepEqual(await run((p) => localConfig(p, '    option httpclose\n'), (p) => exchanges(p, HTTPCLOSE_EXCHANGES)), HTTPCLOSE_EXCHANGES.map(([, a]) => a));
    for (const [fe, serverClose] of [['', false], ['option http-server-close', true]] as const) {
      assert.deepEqual(await run((p) => forwardConfig(p, origin.port, fe, ''), async (p) => [await rawExchange(p, PIPELINED, 2000)]), [pipelinedAnswer(serverClose)]);
    }
    for (const be of ['option http-server-close', 'option httpclose']) {
      assert.deepEqual(await run((p) => forwardConfig(p, origin.port, '', be), async (p) => [await rawExchange(p, get('/g') + get('/h'), 600)]), [echoedClose('/g') + echoedClose('/h')], be);
    }
  } finally {
    await origin.close();
  }
});

/** A dead first server and a live second one, `retries 3` and `option redispatch`. */
function redispatchConfig(port: number, dead: number, origin: number, algorithm: string): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    retries 3
    option redispatch
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance ${algorithm}
    server s1 127.0.0.1:${dead}
    server s2 127.0.0.1:${origin}
`;
}

/**
 * Four requests in a row: who answered each, and whether it came before the pauses between
 * retries (3 × 1 s without an immediate redispatch) could have passed — 2 s, so that a slow
 * machine does not turn an immediate answer into a pause.
 */
async function redispatchRun(port: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 4; i++) {
    const started = Date.now();
    const answer = await rawExchange(port, get(`/${i}`, 'Connection: close\r\n'), 5000);
    out.push(`${answer.split('\r\n')[0]} ${Date.now() - started < 2000 ? 'at once' : 'after a pause'}`);
  }
  return out;
}

// HAProxy 2.6.12: every request answered by s2 at once, each log line with one redispatch (%rc "+1").
const REDISPATCHED = Array(4).fill('HTTP/1.1 200 OK at once');

test('with option redispatch a refused connection is balanced to another server at once, without the 1 s pause, as HAProxy 2.6 does', async () => {
  const origin = await echoServer();
  const dead = await freePort();
  try {
    for (const algorithm of ['roundrobin', 'leastconn']) {
      const port = await freePort();
      const e = await startEngine(redispatchConfig(port, dead, origin.port, algorithm));
      try {
        assert.deepEqual(await redispatchRun(port), REDISPATCHED, algorithm);
      } finally {
        await e.stop();
      }
    }
  } finally {
    await origin.close();
  }
});

test('HAProxy 2.6 redispatches a refused connection at once too', async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = await echoServer();
  const dead = await freePort();
  try {
    for (const algorithm of ['roundrobin', 'leastconn']) {
      const port = await freePort();
      const proxy = await startHaproxy(`global\n    nbthread 1\n${redispatchConfig(port, dead, origin.port, algorithm)}`, port);
      try {
        assert.deepEqual(await redispatchRun(port), REDISPATCHED, algorithm);
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    await origin.close();
  }
});
