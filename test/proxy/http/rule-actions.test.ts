/**
 * http-request / http-response actions and rule syntax compared with HAProxy 2.6.12 (Debian)
 * on the same configuration: what the client reads (and how its connection ends), what the
 * server receives, and the log line. Each test checks Loadstar against what HAProxy did,
 * recorded here; where haproxy is installed, one more test replays the exchanges through it,
 * so a recording that no longer matches HAProxy is noticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';
import { echoServer } from './lib/echo-server.ts';

const MAP_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-actions-')), 'moved.map');
fs.writeFileSync(MAP_FILE, '/old-blog /blog\n');
process.on('exit', () => fs.rmSync(path.dirname(MAP_FILE), { recursive: true, force: true }));

function config(port: number, refusingPort: number, afterPort: number, origin: number): string {
  return `${loggedHttpHead()}    option httplog
frontend web
    bind 127.0.0.1:${port}
    http-request reject if { path /rej }
    http-request silent-drop if { path /drop }
    http-request set-method POST if { path /meth }
    http-request replace-path /old/(.*) /new/\\1 if { path_beg /old/ }
    http-request replace-path foo X if { path_beg /part/ }
    http-request replace-pathq /q/([^?]*)\\?(.*) /qq/\\1?x=\\2 if { path_beg /q/ }
    http-request replace-uri ^http://([^/]*)/(.*) /abs/\\1/\\2 if { path_beg /abs/ }
    http-request deny status 451 if { path /deny451 }
    http-request deny status 413 if { path /d413 }
    http-request deny deny_status 413 if { path /dd413 }
    http-request return status 400 if { path /r400 }
    http-request return status 404 default-errorfiles if { path /r404page }
    http-request redirect code 301 location %[path,map_str(${MAP_FILE})] ignore-empty
    http-request set-var-fmt(txn.who) "%[src]-%[path]"
    http-request set-var(txn.path) path
    http-request set-header x-who %[var(txn.who)]
    default_backend app
backend app
    http-response set-status 299 reason "Fine Thanks" if { var(txn.path) -m str /st }
    http-response set-status 404 if { var(txn.path) -m str /st404 }
    http-response set-status 502 if { var(txn.path) -m str /st502 }
    http-response set-var-fmt(txn.status) "s=%[status]"
    http-response set-header x-status %[var(txn.status)]
    server s1 127.0.0.1:${origin}
frontend after
    bind 127.0.0.1:${afterPort}
    http-request set-var(txn.path) path
    http-request deny if { path /deny }
    http-request redirect location /elsewhere if { path /moved }
    http-after-response set-header x-after %[status]
    http-after-response set-status 418 reason Teapot if { var(txn.path) -m str /deny }
    default_backend app
frontend refusing
    bind 127.0.0.1:${refusingPort}
    tcp-request connection reject if { src 127.0.0.1 }
    default_backend app
`;
}

interface Seen {
  /** What the client read, and how its connection ended. */
  reply: string;
  end: 'fin' | 'reset' | 'open';
}

/** One request on its own connection; the reply until the proxy closed, reset, or `waitMs` passed. */
function exchange(port: number, request: string, waitMs = 500): Promise<Seen> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let reply = '';
    const done = (end: Seen['end']): void => { clearTimeout(timer); s.destroy(); resolve({ reply, end }); };
    const timer = setTimeout(() => done('open'), waitMs);
    s.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    s.on('end', () => done('fin'));
    s.on('error', () => done('reset'));
  });
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nhost: ex.com\r\n\r\n`;

/** The request line and headers the server got (the echo server's body), or the head of a local answer. */
function shown(seen: Seen): string {
  const body = seen.reply.indexOf('\r\n\r\n');
  if (!seen.reply.startsWith('HTTP/1.1 200')) return seen.reply.slice(0, body < 0 ? undefined : body);
  return `${seen.reply.slice(0, seen.reply.indexOf('\r\n'))} | ${seen.reply.slice(body + 4).trim().replace(/\n/g, ' | ')}`;
}

/** [request, what the client sees (shown()), how the connection ended, the log's status and termination state]. */
const EXCHANGES: Array<[string, string, Seen['end'], string]> = [
  [get('/meth'), 'HTTP/1.1 200 OK | POST /meth HTTP/1.1 | host: ex.com | x-who: 127.0.0.1-/meth', 'open', '200 ----'],
  [get('/old/a/b?z=1'), 'HTTP/1.1 200 OK | GET /new/a/b?z=1 HTTP/1.1 | host: ex.com | x-who: 127.0.0.1-/new/a/b', 'open', '200 ----'],
  // A regex matching part of the path: the whole path becomes the expansion (HAProxy's exp_replace).
  [get('/part/foo/bar?foo'), 'HTTP/1.1 200 OK | GET X?foo HTTP/1.1 | host: ex.com | x-who: 127.0.0.1-', 'open', '200 ----'],
  [get('/q/a?b=c'), 'HTTP/1.1 200 OK | GET /qq/a?x=b=c HTTP/1.1 | host: ex.com | x-who: 127.0.0.1-/qq/a', 'open', '200 ----'],
  [get('http://ex.com/abs/z?k'), 'HTTP/1.1 200 OK | GET /abs/ex.com/abs/z?k HTTP/1.1 | host: ex.com | x-who: 127.0.0.1-/abs/ex.com/abs/z', 'open', '200 ----'],
  // replace-path on an absolute-form target keeps its scheme and authority.
  [get('http://ex.com/old/x?y'), 'HTTP/1.1 200 OK | GET http://ex.com/new/x?y HTTP/1.1 | host: ex.com | x-who: 127.0.0.1-/new/x', 'open', '200 ----'],
  [get('/rej'), '', 'fin', '-1 PR--'],
  // silent-drop: nothing reaches the client (HAProxy as root hides the close with TCP_REPAIR).
  [get('/drop'), '', 'open', '-1 PR--'],
  // A status without an error page of its own: an empty answer, and the connection stays open.
  [get('/deny451'), 'HTTP/1.1 451 Unavailable For Legal Reasons\r\ncontent-length: 0', 'open', '451 PR--'],
  // 'status N' alone: an empty answer with HAProxy's reason table; deny_status and default-errorfiles: the error page.
  [get('/d413'), 'HTTP/1.1 413 Request Entity Too Large\r\ncontent-length: 0', 'open', '413 PR--'],
  [get('/dd413'), 'HTTP/1.1 413 Payload Too Large\r\ncontent-length: 106\r\ncontent-type: text/html', 'open', '413 PR--'],
  [get('/r400'), 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0', 'open', '400 LR--'],
  [get('/r404page'), 'HTTP/1.1 404 Not Found\r\ncontent-length: 83\r\ncontent-type: text/html', 'open', '404 LR--'],
  [get('/old-blog'), 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /blog', 'open', '301 LR--'],
  [get('/st'), 'HTTP/1.1 299 Fine Thanks\r\ncontent-length: 52\r\nx-status: s=299', 'open', '299 ----'],
  [get('/st502'), 'HTTP/1.1 502 Bad Gateway or Proxy Error\r\ncontent-length: 58\r\nx-status: s=502', 'open', '502 ----'],
  [get('/st404'), 'HTTP/1.1 404 Not Found\r\ncontent-length: 58\r\nx-status: s=404', 'open', '404 ----'],
];

/** http-after-response on a proxied answer, a deny's error page and a redirect: [request, the answer's head]. */
const AFTER_EXCHANGES: Array<[string, string]> = [
  [get('/ok'), 'HTTP/1.1 200 OK\r\ncontent-length: 31\r\nx-status: s=200\r\nx-after: 200'],
  [get('/deny'), 'HTTP/1.1 418 Teapot\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nx-after: 403'],
  [get('/moved'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /elsewhere\r\ncache-control: no-cache\r\nx-after: 302'],
];

async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void>; logs(): string }>): Promise<{ seen: Seen[]; logs: string; refused: Seen; after: string[] }> {
  const origin = await echoServer();
  const port = await freePort();
  const refusingPort = await freePort();
  const afterPort = await freePort();
  const proxy = await start(port, config(port, refusingPort, afterPort, origin.port));
  try {
    const seen: Seen[] = [];
    for (const [request] of EXCHANGES) seen.push(await exchange(port, request));
    const refused = await exchange(refusingPort, get('/'));
    const after: string[] = [];
    for (const [request] of AFTER_EXCHANGES) {
      const seen = await exchange(afterPort, request);
      after.push(seen.reply.slice(0, seen.reply.indexOf('\r\n\r\n')));
    }
    await new Promise((r) => setTimeout(r, 200));
    return { seen, logs: proxy.logs(), refused, after };
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

function check(result: Awaited<ReturnType<typeof observe>>): void {
  const lines = result.logs.split('\n').filter((l) => / "GET /.test(l));
  // All exchanges compared at once, so that one run shows every difference.
  const observed = EXCHANGES.map(([request], i) => {
    const seen = result.seen[i]!;
    const target = request.split(' ')[1]!;
    const fields = lines.find((l) => l.includes(` "GET ${target} HTTP/1.1"`))?.split(' ') ?? [];
    return [target, shown(seen).replace(/\r\ncache-control: no-cache/, ''), seen.end, `${fields[5]} ${fields[9]}`];
  });
  assert.deepEqual(observed, EXCHANGES.map(([request, ...rest]) => [request.split(' ')[1]!, ...rest]));
  assert.deepEqual(result.after, AFTER_EXCHANGES.map(([, head]) => head));
  // tcp-request connection reject in an HTTP frontend: a reset, before any byte, and no log line.
  assert.deepEqual(result.refused, { reply: '', end: 'reset' });
  assert.equal(lines.filter((l) => l.includes('refusing')).length, 0);
}

test('Loadstar runs the actions as HAProxy does (recorded from HAProxy 2.6.12)', async () => {
  check(await observe(async (port, text) => {
    const e = await startEngine(text);
    return { stop: () => e.stop(), logs: () => e.logs.join('\n') };
  }));
});

test('the recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  check(await observe(async (port, text) => {
    const h = await startHaproxy(text, port);
    return { stop: () => h.stop(), logs: () => h.output() };
  }));
});

/** set-timeout server: this request's server timeout, a time or an expression (ms), in a backend. */
function timeoutConfig(port: number, origin: number): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend slow
backend slow
    http-request set-timeout server 200 if { path /short }
    http-request set-timeout server req.hdr(x-timeout) if { req.hdr(x-timeout) -m found }
    server s1 127.0.0.1:${origin}
`;
}

async function timeoutStatuses(start: (port: number, text: string) => Promise<{ stop(): Promise<void> }>): Promise<string[]> {
  // An origin that answers after 700 ms.
  const slow = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => setTimeout(() => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 700));
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const proxy = await start(port, timeoutConfig(port, (slow.address() as net.AddressInfo).port));
  try {
    const status = async (target: string, extra = '') => (await exchange(port, `GET ${target} HTTP/1.1\r\nhost: ex.com\r\n${extra}\r\n`, 1500)).reply.slice(9, 12);
    return [await status('/short'), await status('/long'), await status('/x', 'x-timeout: 150\r\n'), await status('/x', 'x-timeout: 3000\r\n')];
  } finally {
    await proxy.stop();
    await new Promise<void>((r) => slow.close(() => r()));
  }
}

test('http-request set-timeout server ends a slow answer as HAProxy does (504 after the stream\'s own timeout)', async (t) => {
  const expected = ['504', '200', '504', '200'];
  assert.deepEqual(await timeoutStatuses(async (_port, text) => startEngine(text)), expected);
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await timeoutStatuses((port, text) => startHaproxy(text, port)), expected);
});
