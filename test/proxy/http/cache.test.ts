/**
 * HAProxy's small object cache (`cache` section, http-request cache-use, http-response cache-store),
 * compared with HAProxy 2.6.12 on the same configuration, after reg-tests/cache/*.vtc: what the
 * client reads (heads and bodies, the Age value shown as N), which requests reached the origin, and
 * the log lines. Each case is checked on Loadstar against what HAProxy did, recorded here, then
 * replayed through haproxy itself when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRawServer, startEngine, freePort } from '../../helpers/net.ts';
import { loggedHttpHead, haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli } from '../stats/helpers.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { certPath } from '../../helpers/tls.ts';
import { h2Exchange } from './lib/h2-client.ts';
import { sideBySide, linesLogged, requests } from './lib/side-by-side.ts';
import type { Proxy } from './lib/side-by-side.ts';

/** The origin's answer to a request: its head lines (without framing) and body; chunked when `chunked`. */
interface OriginAnswer {
  status?: string;
  headers: string[];
  body: string;
  chunked?: boolean;
}

/** An origin answering from `answer`, numbering the answers (`n` in the body) and recording the requests ("METHOD path"). */
async function origin(answer: (method: string, path: string, n: number) => OriginAnswer) {
  const seen: string[] = [];
  const server = await startRawServer((socket) => {
    let buffer = '';
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.slice(end + 4 + length);
        const [method, path] = head.split(' ') as [string, string];
        seen.push(`${method} ${path}`);
        const a = answer(method, path, seen.length);
        const framing = a.chunked ? 'transfer-encoding: chunked' : `content-length: ${a.body.length}`;
        const body = a.chunked ? (a.body === '' ? '' : `${a.body.length.toString(16)}\r\n${a.body}\r\n`) + '0\r\n\r\n' : a.body;
        socket.write(`HTTP/1.1 ${a.status ?? '200 OK'}\r\n${[...a.headers, framing].join('\r\n')}\r\n\r\n${method === 'HEAD' ? '' : body}`);
      }
    });
  });
  return { port: server.port, seen, close: () => server.close() };
}

/**
 * One request on its own connection (`connection: close`), the raw answer read to the end, with
 * the Age value replaced by N (it depends on the clock); `onData` sees it as it comes.
 */
function exchange(port: number, request: string, onData?: (data: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      onData?.(c.toString('latin1'));
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1').replace(/\r\nage: \d+\r\n/, '\r\nage: N\r\n')));
    socket.on('error', reject);
    socket.write(request.replace(/\n/g, '\r\n'));
  });
}

/** Runs `check` on Loadstar or on haproxy alone, on a configuration made for its port. */
async function sideBySideOn(which: 'Loadstar' | 'haproxy', config: (port: number) => string, check: (port: number) => Promise<void>): Promise<void> {
  const port = await freePort();
  const proxy = which === 'Loadstar' ? await startEngine(config(port)) : await startHaproxy(config(port), port);
  try {
    await check(port);
  } finally {
    await proxy.stop();
  }
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\nhost: site\n${extra}connection: close\n\n`;

/** Log lines reduced to backend/server, timers (T for a time, -1), status, bytes and termination. */
async function logged(proxy: Proxy, n: number): Promise<string[]> {
  return (await linesLogged(proxy, n)).map((l) => {
    const f = l.split(' ');
    return [f[3], f[4]!.split('/').map((v) => (v === '-1' ? v : 'T')).join('/'), f[5], f[6], f[9], f.slice(-3).join(' ')].join(' ');
  });
}

function config(cacheLines: string, proxyLines: string, originPort: number) {
  return (port: number): string => `${loggedHttpHead()}    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 5s
    timeout server 5s
cache c1
    total-max-size 1
${cacheLines}frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
${proxyLines}    server s1 127.0.0.1:${originPort}
`;
}

const STORED = (n: number) => ({ headers: ['cache-control: max-age=60', 'etag: "e1"', 'last-modified: Mon, 01 Jan 2024 00:00:00 GMT'], body: `body${n}` });

test('a stored answer is served from the cache with its Age, to GET and HEAD, and 304 to a matching conditional request (reg-tests/cache/basic, if-none-match, if-modified-since)', async (t) => {
  const o = await origin((_m, _p, n) => STORED(n));
  t.after(() => o.close());
  await sideBySide(t, config('', '    http-request cache-use c1\n    http-response cache-store c1\n', o.port), async (port, proxy) => {
    o.seen.length = 0;
    const answers = [];
    for (const request of [
      get('/a'), get('/a'), `HEAD /a HTTP/1.1\nhost: site\nconnection: close\n\n`,
      get('/a', 'if-none-match: "e1"\n'), get('/a', 'if-none-match: "other"\n'), get('/a', 'if-none-match: *\n'),
      get('/a', 'if-modified-since: Tue, 02 Jan 2024 00:00:00 GMT\n'), get('/a', 'if-modified-since: Sun, 31 Dec 2023 00:00:00 GMT\n'),
    ]) answers.push(await exchange(port, request));
    const head = 'cache-control: max-age=60\r\netag: "e1"\r\nlast-modified: Mon, 01 Jan 2024 00:00:00 GMT\r\ncontent-length: 5\r\n';
    assert.deepEqual(answers, [
      `HTTP/1.1 200 OK\r\n${head}connection: close\r\n\r\nbody1`,
      `HTTP/1.1 200 OK\r\n${head}age: N\r\nconnection: close\r\n\r\nbody1`,
      `HTTP/1.1 200 OK\r\n${head}age: N\r\nconnection: close\r\n\r\n`,
      `HTTP/1.1 304 Not Modified\r\n${head}age: N\r\nconnection: close\r\n\r\n`,
      `HTTP/1.1 200 OK\r\n${head}age: N\r\nconnection: close\r\n\r\nbody1`,
      `HTTP/1.1 304 Not Modified\r\n${head}age: N\r\nconnection: close\r\n\r\n`,
      `HTTP/1.1 304 Not Modified\r\n${head}age: N\r\nconnection: close\r\n\r\n`,
      `HTTP/1.1 200 OK\r\n${head}age: N\r\nconnection: close\r\n\r\nbody1`,
    ]);
    assert.deepEqual(o.seen, ['GET /a']);
    assert.deepEqual((await logged(proxy, 8)).slice(0, 3), [
      'be/s1 T/T/T/T/T 200 127 ---- "GET /a HTTP/1.1"',
      'be/<CACHE> T/T/T/T/T 200 131 LR-- "GET /a HTTP/1.1"',
      'be/<CACHE> T/T/T/T/T 200 126 LR-- "HEAD /a HTTP/1.1"',
    ]);
  });
});

/** An answer for each path of the caching-rules cases: cache-control and friends, as the path names them. */
function rulesAnswer(method: string, path: string, n: number): OriginAnswer {
  const body = `${path}#${n}`;
  const h = (...headers: string[]): OriginAnswer => ({ headers, body });
  switch (path.replace(/\?.*$/, '')) {
    case '/max-age': return h('cache-control: max-age=5');
    case '/s-maxage': return h('cache-control: s-maxage=5');
    case '/expires': return h('expires: Thu, 01 Jan 2099 00:00:00 GMT');
    case '/expired': return h('expires: Thu, 01 Jan 2015 00:00:00 GMT');
    case '/bad-expires': return h('expires: soon');
    case '/last-modified': return h('last-modified: Thu, 22 Oct 2020 16:51:12 GMT');
    case '/etag': return h('etag: "e"');
    case '/uncacheable': return h();
    case '/invalid-age': return h('cache-control: max-age=5', 'age: abc');
    case '/old-age': return h('cache-control: max-age=5', 'age: 10');
    case '/zero-age': return h('cache-control: max-age=5', 'age: 0');
    case '/good-age': return h('cache-control: max-age=500', 'age: 100');
    case '/private': return h('cache-control: private, max-age=5');
    case '/no-store': return h('cache-control: no-store', 'etag: "e"');
    case '/no-cache': return h('cache-control: no-cache', 'etag: "e"');
    case '/public': return h('cache-control: public', 'etag: "e"');
    case '/pragma': return h('pragma: no-cache', 'cache-control: max-age=5');
    case '/cookie': return h('cache-control: max-age=5', 'set-cookie: a=b');
    case '/cookie-no-cache': return h('cache-control: max-age=5, no-cache="set-cookie"', 'set-cookie: a=b');
    case '/vary': return h('cache-control: max-age=5', 'vary: accept-encoding');
    case '/not-found': return { ...h('cache-control: max-age=5'), status: '404 Not Found' };
    case '/big': return { headers: ['cache-control: max-age=5'], body: 'x'.repeat(400) };
    case '/big-chunked': return { headers: ['cache-control: max-age=5'], body: 'x'.repeat(400), chunked: true };
    case '/chunked': return { ...h('cache-control: max-age=5'), chunked: true };
    default: return h('cache-control: max-age=5', `x-method: ${method}`);
  }
}

/** Two requests for `path` (with `extra` request lines): "x-cache-hit of each, then how many reached the origin". */
async function twice(port: number, seen: string[], path: string, extra = '', version = '1.1'): Promise<string> {
  const before = seen.length;
  const hits: string[] = [];
  for (let i = 0; i < 2; i++) {
    const answer = await exchange(port, `GET ${path} HTTP/${version}\nhost: site\n${extra}connection: close\n\n`);
    const hit = /\r\nx-cache-hit: (\d)/.exec(answer)?.[1] ?? '?';
    const name = /\r\nx-cache-name: ([^\r]*)/.exec(answer)?.[1] ?? '?';
    const age = /\r\nage: /.test(answer) ? '+age' : '';
    hits.push(`${hit}${name === '' ? '' : `(${name})`}${age}`);
  }
  return `${path}${extra ? ` [${extra.trim()}]` : ''}: ${hits.join(' ')} origin=${seen.length - before}`;
}

test('what is stored and what is served, from the response and the request headers (reg-tests/cache/caching_rules, expires, sample_fetches)', async (t) => {
  const o = await origin(rulesAnswer);
  t.after(() => o.close());
  const lines = `    http-request cache-use c1
    http-response cache-store c1
    http-response set-header x-cache-hit %[res.cache_hit]
    http-response set-header x-cache-name %[res.cache_name]
`;
  await sideBySide(t, config('    max-object-size 300\n', lines, o.port), async (port) => {
    const results: string[] = [];
    for (const path of ['/max-age', '/s-maxage', '/expires', '/expired', '/bad-expires', '/last-modified', '/etag', '/uncacheable', '/invalid-age', '/old-age',
      '/zero-age', '/good-age', '/private', '/no-store', '/no-cache', '/public', '/pragma', '/cookie', '/cookie-no-cache', '/vary', '/not-found', '/big',
      '/big-chunked', '/chunked']) results.push(await twice(port, o.seen, path));
    results.push(await twice(port, o.seen, '/r1', 'cache-control: no-cache\n'));
    results.push(await twice(port, o.seen, '/r2', 'pragma: no-cache\n'));
    results.push(await twice(port, o.seen, '/r3', 'authorization: Basic eDp5\n'));
    results.push(await twice(port, o.seen, '/r4', 'cache-control: max-age=0\n'));
    results.push(await twice(port, o.seen, '/r5', 'cache-control: no-store\n'));
    results.push(await twice(port, o.seen, '/r6', '', '1.0'));
    results.push(await twice(port, o.seen, '/r7?q=1'));
    assert.deepEqual(results, [
      '/max-age: 0 1(c1)+age origin=1',
      '/s-maxage: 0 1(c1)+age origin=1',
      '/expires: 0 1(c1)+age origin=1',
      '/expired: 0 0 origin=2',
      '/bad-expires: 0 0 origin=2',
      '/last-modified: 0 1(c1)+age origin=1',
      '/etag: 0 1(c1)+age origin=1',
      '/uncacheable: 0 0 origin=2',
      '/invalid-age: 0+age 0+age origin=2',
      // Stale already (Age above max-age): not stored, and its Age goes to the client as it came.
      '/old-age: 0+age 0+age origin=2',
      '/zero-age: 0+age 0+age origin=2',
      '/good-age: 0 1(c1)+age origin=1',
      '/private: 0 0 origin=2',
      '/no-store: 0 0 origin=2',
      '/no-cache: 0 0 origin=2',
      '/public: 0 1(c1)+age origin=1',
      '/pragma: 0 0 origin=2',
      '/cookie: 0 1(c1)+age origin=1',
      '/cookie-no-cache: 0 0 origin=2',
      '/vary: 0 0 origin=2',
      '/not-found: 0 0 origin=2',
      '/big: 0 0 origin=2',
      '/big-chunked: 0 0 origin=2',
      '/chunked: 0 1(c1)+age origin=1',
      '/r1 [cache-control: no-cache]: 0 0 origin=2',
      '/r2 [pragma: no-cache]: 0 0 origin=2',
      '/r3 [authorization: Basic eDp5]: 0 0 origin=2',
      '/r4 [cache-control: max-age=0]: 0 0 origin=2',
      '/r5 [cache-control: no-store]: 0 0 origin=2',
      '/r6: 0 0 origin=2',
      '/r7?q=1: 0 1(c1)+age origin=1',
    ]);
  });
});

/**
 * The stats CSV's cache counters: "pxname/svname lookups/hits" for each proxy row. (Not `intercepted`:
 * HAProxy counts the stats request itself in it while answering, Loadstar once the exchange ends.)
 */
async function cacheCounters(port: number): Promise<string[]> {
  const answer = await exchange(port, get('/stats;csv'));
  const split = answer.indexOf('\r\n\r\n');
  let csv = answer.slice(split + 4);
  if (/transfer-encoding: chunked/i.test(answer.slice(0, split))) {
    let body = '';
    for (let rest = csv; ;) {
      const line = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, line), 16);
      if (!(size > 0)) break;
      body += rest.slice(line + 2, line + 2 + size);
      rest = rest.slice(line + 4 + size);
    }
    csv = body;
  }
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const names = header!.split(',');
  const at = (row: string[], name: string) => row[names.indexOf(name)];
  return rows.map((r) => r.split(',')).filter((r) => at(r, 'svname') !== 's1')
    .map((r) => `${at(r, 'pxname')}/${at(r, 'svname')} ${at(r, 'cache_lookups')}/${at(r, 'cache_hits')}`);
}

test('a hit of the frontend\'s rules chooses no backend: logged as <frontend>/<CACHE>; lookups and hits count where the rule is (stats CSV, Prometheus)', async (t) => {
  const o = await origin((_m, _p, n) => STORED(n));
  t.after(() => o.close());
  const make = (port: number): string => `${loggedHttpHead()}    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 5s
    timeout server 5s
cache c1
    total-max-size 1
frontend fe
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
    http-request use-service prometheus-exporter if { path /metrics }
    http-request set-var(txn.path) path
    http-request cache-use c1 if { path_beg /f }
    http-response cache-store c1 if { var(txn.path) -m beg /f }
    default_backend be
backend be
    http-request cache-use c1 if { path_beg /b }
    http-response cache-store c1 if { var(txn.path) -m beg /b }
    server s1 127.0.0.1:${o.port}
`;
  await sideBySide(t, make, async (port, proxy) => {
    o.seen.length = 0;
    for (const path of ['/f', '/f', '/f', '/b', '/b', '/n']) await exchange(port, get(path));
    assert.deepEqual(o.seen, ['GET /f', 'GET /b', 'GET /n']);
    assert.deepEqual(await logged(proxy, 6), [
      'be/s1 T/T/T/T/T 200 127 ---- "GET /f HTTP/1.1"',
      'fe/<CACHE> T/T/T/T/T 200 131 LR-- "GET /f HTTP/1.1"',
      'fe/<CACHE> T/T/T/T/T 200 131 LR-- "GET /f HTTP/1.1"',
      'be/s1 T/T/T/T/T 200 127 ---- "GET /b HTTP/1.1"',
      'be/<CACHE> T/T/T/T/T 200 131 LR-- "GET /b HTTP/1.1"',
      'be/s1 T/T/T/T/T 200 127 ---- "GET /n HTTP/1.1"',
    ]);
    assert.deepEqual(await cacheCounters(port), ['fe/FRONTEND 3/2', 'be/BACKEND 2/1']);
    const metrics = (await exchange(port, get('/metrics'))).split('\n').filter((l) => /^haproxy_\w+_http_cache/.test(l));
    assert.deepEqual(metrics, [
      'haproxy_frontend_http_cache_lookups_total{proxy="fe"} 3',
      'haproxy_frontend_http_cache_hits_total{proxy="fe"} 2',
      'haproxy_backend_http_cache_lookups_total{proxy="be"} 2',
      'haproxy_backend_http_cache_hits_total{proxy="be"} 1',
    ]);
  });
});

/** The origin of the Vary cases: varies on what the path says, encodes as the request's x-give asks. */
function varyAnswer(_method: string, path: string, n: number, give?: string): OriginAnswer {
  const vary = path.startsWith('/ref') ? 'referer' : path.startsWith('/both') ? 'accept-encoding,referer' : path.startsWith('/agent') ? 'user-agent' : 'accept-encoding';
  return { headers: ['cache-control: max-age=60', `vary: ${vary}`, ...(give ? [`content-encoding: ${give}`] : [])], body: `${path}#${n}` };
}

test('with process-vary on, variants by Accept-Encoding and Referer; other Vary headers are not stored (reg-tests/cache/vary, vary_accept_encoding)', async (t) => {
  let give: string | undefined;
  const o = await origin((m, p, n) => varyAnswer(m, p, n, give));
  t.after(() => o.close());
  const lines = `    http-request cache-use c1
    http-response cache-store c1
    http-response set-header x-cache-hit %[res.cache_hit]
`;
  await sideBySide(t, config('    process-vary on\n    max-secondary-entries 2\n', lines, o.port), async (port) => {
    o.seen.length = 0;
    const results: string[] = [];
    const ask = async (path: string, headers: string, encoding?: string): Promise<void> => {
      give = encoding;
      const before = o.seen.length;
      const answer = await exchange(port, get(path, headers.split('|').filter(Boolean).map((h) => `${h}\n`).join('')));
      const hit = /\r\nx-cache-hit: (\d)/.exec(answer)?.[1] ?? '?';
      const ce = /\r\ncontent-encoding: ([^\r]*)/.exec(answer)?.[1] ?? '-';
      results.push(`${path} [${headers}]: hit=${hit} ${ce} ${answer.slice(answer.indexOf('\r\n\r\n') + 4)} origin+${o.seen.length - before}`);
    };
    await ask('/ae', 'accept-encoding: gzip', 'gzip');
    await ask('/ae', 'accept-encoding: gzip');
    await ask('/ae', 'accept-encoding: GZIP');
    await ask('/ae', 'accept-encoding: deflate,gzip');
    await ask('/ae', 'accept-encoding: first,second|accept-encoding: gzip');
    await ask('/ae', 'accept-encoding: gzip;q=0.8');
    await ask('/ae', 'accept-encoding: gzip  ; q=0.8');
    await ask('/ae', 'accept-encoding: deflate', 'deflate');
    await ask('/ae', 'accept-encoding: deflate');
    await ask('/ae', 'accept-encoding: gzip;q=0, deflate');
    await ask('/ae', '');
    await ask('/ae', 'accept-encoding: *');
    await ask('/ae', 'accept-encoding: br', 'br');
    await ask('/ae', 'accept-encoding: br');
    await ask('/id', 'accept-encoding: br');
    await ask('/id', 'accept-encoding: br');
    await ask('/id', 'accept-encoding: identity;q=0');
    await ask('/multi', 'accept-encoding: deflate, gzip', 'deflate, gzip');
    await ask('/multi', 'accept-encoding: deflate, gzip');
    await ask('/multi', 'accept-encoding: gzip');
    await ask('/unknown', 'accept-encoding: x', 'unknown_encoding');
    await ask('/unknown', 'accept-encoding: x', 'unknown_encoding');
    await ask('/ref', 'referer: a');
    await ask('/ref', 'referer: a');
    await ask('/ref', 'referer: b');
    await ask('/ref', 'referer: b');
    await ask('/ref', '');
    await ask('/ref', 'referer: a');
    await ask('/both', 'accept-encoding: gzip|referer: a', 'gzip');
    await ask('/both', 'accept-encoding: gzip|referer: a');
    await ask('/both', 'accept-encoding: gzip|referer: b', 'gzip');
    await ask('/agent', 'user-agent: x');
    await ask('/agent', 'user-agent: x');
    assert.deepEqual(results, [
      '/ae [accept-encoding: gzip]: hit=0 gzip /ae#1 origin+1',
      '/ae [accept-encoding: gzip]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: GZIP]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: deflate,gzip]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: first,second|accept-encoding: gzip]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: gzip;q=0.8]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: gzip  ; q=0.8]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: deflate]: hit=0 deflate /ae#2 origin+1',
      '/ae [accept-encoding: deflate]: hit=1 deflate /ae#2 origin+0',
      '/ae [accept-encoding: gzip;q=0, deflate]: hit=1 deflate /ae#2 origin+0',
      '/ae []: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: *]: hit=1 gzip /ae#1 origin+0',
      '/ae [accept-encoding: br]: hit=0 br /ae#3 origin+1',
      '/ae [accept-encoding: br]: hit=0 - /ae#4 origin+1',
      '/id [accept-encoding: br]: hit=0 - /id#5 origin+1',
      '/id [accept-encoding: br]: hit=1 - /id#5 origin+0',
      '/id [accept-encoding: identity;q=0]: hit=0 - /id#6 origin+1',
      '/multi [accept-encoding: deflate, gzip]: hit=0 deflate, gzip /multi#7 origin+1',
      '/multi [accept-encoding: deflate, gzip]: hit=1 deflate, gzip /multi#7 origin+0',
      '/multi [accept-encoding: gzip]: hit=0 - /multi#8 origin+1',
      '/unknown [accept-encoding: x]: hit=0 unknown_encoding /unknown#9 origin+1',
      '/unknown [accept-encoding: x]: hit=0 unknown_encoding /unknown#10 origin+1',
      // HAProxy 2.6 writes the response's encoding into every stored secondary key, and a request's key for
      // `Vary: referer` alone has no encodings: such objects are stored but never served.
      '/ref [referer: a]: hit=0 - /ref#11 origin+1',
      '/ref [referer: a]: hit=0 - /ref#12 origin+1',
      '/ref [referer: b]: hit=0 - /ref#13 origin+1',
      '/ref [referer: b]: hit=0 - /ref#14 origin+1',
      '/ref []: hit=0 - /ref#15 origin+1',
      '/ref [referer: a]: hit=0 - /ref#16 origin+1',
      '/both [accept-encoding: gzip|referer: a]: hit=0 gzip /both#17 origin+1',
      '/both [accept-encoding: gzip|referer: a]: hit=1 gzip /both#17 origin+0',
      '/both [accept-encoding: gzip|referer: b]: hit=0 gzip /both#18 origin+1',
      '/agent [user-agent: x]: hit=0 - /agent#19 origin+1',
      '/agent [user-agent: x]: hit=0 - /agent#20 origin+1',
    ]);
  });
});

test('a successful unsafe method removes the stored object, a failed one does not; HEAD is served but never stored; the stored head is the one cache-store saw (reg-tests/cache/post_on_entry)', async (t) => {
  const o = await origin((m, p, n) => (p === '/fail' && m !== 'GET' ? { status: '500 Internal Server Error', headers: [], body: 'no' } : STORED(n)));
  t.after(() => o.close());
  const lines = `    http-request cache-use c1
    http-response add-header x-before 1
    http-response cache-store c1
    http-response set-header x-after %[res.cache_hit]
`;
  await sideBySide(t, config('', lines, o.port), async (port) => {
    o.seen.length = 0;
    const answers: string[] = [];
    const send = async (request: string): Promise<void> => {
      const answer = await exchange(port, request);
      answers.push(answer.slice(0, answer.indexOf('\r\n\r\n')).split('\r\n').filter((l) => /^(HTTP|x-|age)/.test(l)).join('|') + ` ${answer.slice(answer.indexOf('\r\n\r\n') + 4)}`);
    };
    await send(get('/p'));
    await send(get('/p'));
    await send(`POST /p HTTP/1.1\nhost: site\ncontent-length: 2\nconnection: close\n\nhi`);
    await send(get('/p'));
    await send(get('/fail'));
    await send(`DELETE /fail HTTP/1.1\nhost: site\nconnection: close\n\n`);
    await send(get('/fail'));
    await send(`HEAD /h HTTP/1.1\nhost: site\nconnection: close\n\n`);
    await send(get('/h'));
    await send(`HEAD /h HTTP/1.1\nhost: site\nconnection: close\n\n`);
    assert.deepEqual(answers, [
      'HTTP/1.1 200 OK|x-before: 1|x-after: 0 body1',
      'HTTP/1.1 200 OK|x-before: 1|age: N|x-before: 1|x-after: 1 body1',
      'HTTP/1.1 200 OK|x-before: 1|x-after: 0 body2',
      'HTTP/1.1 200 OK|x-before: 1|x-after: 0 body3',
      'HTTP/1.1 200 OK|x-before: 1|x-after: 0 body4',
      'HTTP/1.1 500 Internal Server Error|x-before: 1|x-after: 0 no',
      'HTTP/1.1 200 OK|x-before: 1|age: N|x-before: 1|x-after: 1 body4',
      'HTTP/1.1 200 OK|x-before: 1|x-after: 0 ',
      'HTTP/1.1 200 OK|x-before: 1|x-after: 0 body7',
      'HTTP/1.1 200 OK|x-before: 1|age: N|x-before: 1|x-after: 1 ',
    ]);
    assert.deepEqual(o.seen, ['GET /p', 'POST /p', 'GET /p', 'GET /fail', 'DELETE /fail', 'HEAD /h', 'GET /h']);
  });
});

test('concurrent misses for one key: the first answer is stored, the others only relayed; a body over max-object-size reaches the client whole and is not stored', async (t) => {
  let release: (() => void) | undefined;
  const seen: string[] = [];
  const server = await startRawServer((socket) => {
    let buffer = '';
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      while (buffer.includes('\r\n\r\n')) {
        const head = buffer.slice(0, buffer.indexOf('\r\n\r\n'));
        buffer = buffer.slice(head.length + 4);
        const path = head.split(' ')[1]!;
        seen.push(path);
        const n = seen.length;
        const start = `HTTP/1.1 200 OK\r\ncache-control: max-age=60\r\ntransfer-encoding: chunked\r\n\r\n`;
        if (path === '/slow' && n === 1) {
          // The first answer's body ends only once the second answer reached the client.
          socket.write(`${start}6\r\nfirst-\r\n`);
          release = () => socket.write('4\r\nbody\r\n0\r\n\r\n');
        } else if (path === '/slow') {
          socket.write(`${start}7\r\nsecond!\r\n0\r\n\r\n`);
        } else socket.write(`${start}${(400).toString(16)}\r\n${'y'.repeat(400)}\r\n0\r\n\r\n`);
      }
    });
  });
  t.after(() => server.close());
  const lines = `    http-request cache-use c1
    http-response cache-store c1
`;
  await sideBySide(t, config('    max-object-size 300\n', lines, server.port), async (port) => {
    seen.length = 0;
    release = undefined;
    const body = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4).replace(/\r\n/g, '|');
    // The second request goes once the first answer's head and first chunk reached the client: the
    // proxy has begun storing it by then.
    let firstSoFar = '';
    const first = exchange(port, get('/slow'), (d) => (firstSoFar += d));
    while (!firstSoFar.includes('first-')) await new Promise((r) => setTimeout(r, 10));
    const second = await exchange(port, get('/slow'));
    release!();
    assert.deepEqual([body(await first), body(second), body(await exchange(port, get('/slow')))], ['6|first-|4|body|0||', '7|second!|0||', 'A|first-body|0||']);
    assert.equal(body(await exchange(port, get('/big'))), `190|${'y'.repeat(400)}|0||`);
    await exchange(port, get('/big'));
    assert.deepEqual(seen, ['/slow', '/slow', '/big', '/big']);
  });
});

test('show cache lists each cache and its fresh objects in HAProxy\'s format (addresses and sizes masked), to the admin level only', async (t) => {
  const o = await origin((_m, p, n) => (p === '/v' ? varyAnswer('GET', p, n, 'gzip') : STORED(n)));
  t.after(() => o.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-show-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const make = (sock: string) => (port: number): string => config('    process-vary on\n', '    http-request cache-use c1\n    http-response cache-store c1\n', o.port)(port)
    .replace('global\n', `global\n    stats socket ${sock} level admin\n    stats socket ${sock}.user level user\n`);
  for (const [name, sockName] of [['Loadstar', 'l.sock'], ['haproxy', 'h.sock']] as const) {
    if (name === 'haproxy' && !haproxyPath) continue;
    const sock = path.join(dir, sockName);
    await sideBySideOn(name, make(sock), async (port) => {
      for (const p of ['/a', '/b', '/a']) await exchange(port, get(p));
      await exchange(port, get('/v', 'accept-encoding: gzip\nreferer: r\n'));
      const shown = (await cli(sock, 'show cache')).replace(/0x[0-9a-f]+/g, (m) => (m.length === 18 ? m : 'ADDR'))
        .replace(/size:\d+/g, 'size:S').replace(/expire:\d+/g, 'expire:E').split('\n').filter(Boolean);
      assert.deepEqual([shown[0], ...shown.slice(1).sort()], [
        'ADDR: c1 (shctx:ADDR, available blocks:1024)',
        'ADDR hash:313198531 vary:0x0000000000000000 size:S (1 blocks), refcount:0, expire:E',
        'ADDR hash:3589648837 vary:0x0100000000000000 size:S (1 blocks), refcount:0, expire:E',
        'ADDR hash:723073683 vary:0x0000000000000000 size:S (1 blocks), refcount:0, expire:E',
      ], name);
      assert.equal(await cli(`${sock}.user`, 'show cache'), 'Permission denied\n\n', name);
    });
  }
});

test('with compression in the same backend, the cache stores the answer as the server sent it and hits are compressed for clients that accept it', async (t) => {
  const text = 'hello hello hello hello hello hello hello hello hello hello';
  const o = await origin(() => ({ headers: ['content-type: text/plain', 'cache-control: max-age=60'], body: text }));
  t.after(() => o.close());
  const lines = `    compression algo gzip
    compression type text/plain
    http-request cache-use c1
    http-response cache-store c1
    http-response set-header x-cache-hit %[res.cache_hit]
`;
  await sideBySide(t, config('', lines, o.port), async (port) => {
    o.seen.length = 0;
    const results: string[] = [];
    for (const ae of ['accept-encoding: gzip\n', '', 'accept-encoding: gzip\n']) {
      const answer = await exchange(port, get('/z', ae));
      const split = answer.indexOf('\r\n\r\n');
      const head = answer.slice(0, split);
      let body = Buffer.from(answer.slice(split + 4), 'latin1');
      if (/transfer-encoding: chunked/i.test(head)) {
        const parts: Buffer[] = [];
        for (let rest = body; ;) {
          const line = rest.indexOf('\r\n');
          const size = parseInt(rest.subarray(0, line).toString(), 16);
          if (!(size > 0)) break;
          parts.push(rest.subarray(line + 2, line + 2 + size));
          rest = rest.subarray(line + 4 + size);
        }
        body = Buffer.concat(parts);
      }
      const gzip = /\r\ncontent-encoding: gzip/.test(head);
      const decoded = gzip ? zlib.gunzipSync(body).toString() : body.toString();
      results.push(`hit=${/\r\nx-cache-hit: (\d)/.exec(head)?.[1]} ${gzip ? 'gzip' : 'identity'} vary=${/\r\nvary: ([^\r]*)/.exec(head)?.[1] ?? '-'} ${decoded === text ? 'text' : decoded}`);
    }
    assert.deepEqual(results, ['hit=0 gzip vary=Accept-Encoding text', 'hit=1 identity vary=- text', 'hit=1 gzip vary=Accept-Encoding text']);
    assert.deepEqual(o.seen, ['GET /z']);
  });
});

test('a reload starts with empty caches, as HAProxy\'s new process does', async (t) => {
  const o = await origin((_m, _p, n) => STORED(n));
  t.after(() => o.close());
  const port = await freePort();
  const text = config('', '    http-request cache-use c1\n    http-response cache-store c1\n', o.port)(port);
  const running = await startEngine(text);
  t.after(() => running.stop());
  const body = async (): Promise<string> => {
    const answer = await exchange(port, get('/r'));
    return answer.slice(answer.indexOf('\r\n\r\n') + 4);
  };
  assert.deepEqual([await body(), await body()], ['body1', 'body1']);
  const reparsed = parseConfig([{ name: 'test.cfg', text }]);
  assert.ok(reparsed.ok);
  await running.engine.reload(reparsed.config);
  assert.deepEqual([await body(), await body()], ['body2', 'body2']);
  assert.deepEqual(o.seen, ['GET /r', 'GET /r']);
});

test('HTTP/2 clients are served from the cache too', async (t) => {
  const o = await origin((_m, _p, n) => STORED(n));
  t.after(() => o.close());
  const make = (port: number): string => config('', '    http-request cache-use c1\n    http-response cache-store c1\n    http-response set-header x-cache-hit %[res.cache_hit]\n', o.port)(port)
    .replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2`);
  await sideBySide(t, make, async (port) => {
    o.seen.length = 0;
    const seen = [];
    for (let i = 0; i < 2; i++) seen.push((await h2Exchange(port, { headers: {} })).replace(/"age":"\d+"/, '"age":"N"'));
    const head = '"cache-control":"max-age=60","etag":"\\"e1\\"","last-modified":"Mon, 01 Jan 2024 00:00:00 GMT","content-length":"5"';
    assert.deepEqual(seen, [
      `response {":status":200,${head},"x-cache-hit":"0"}\ndata "body1"\nend\nclosed, reset code 0\n`,
      `response {":status":200,${head},"age":"N","x-cache-hit":"1"}\ndata "body1"\nend\nclosed, reset code 0\n`,
    ]);
    assert.deepEqual(o.seen, ['GET /']);
  });
});

test('in a listen section, a hit is logged as <listen>/<CACHE> and counted in its frontend row', async (t) => {
  const o = await origin((_m, _p, n) => STORED(n));
  t.after(() => o.close());
  const make = (port: number): string => `${loggedHttpHead()}    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 5s
    timeout server 5s
cache c1
    total-max-size 1
listen li
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
    http-request cache-use c1 unless { path_beg /stats }
    http-response cache-store c1
    server s1 127.0.0.1:${o.port}
`;
  await sideBySide(t, make, async (port, proxy) => {
    o.seen.length = 0;
    for (let i = 0; i < 2; i++) await exchange(port, get('/l'));
    assert.deepEqual(await logged(proxy, 2), [
      'li/s1 T/T/T/T/T 200 127 ---- "GET /l HTTP/1.1"',
      'li/<CACHE> T/T/T/T/T 200 131 LR-- "GET /l HTTP/1.1"',
    ]);
    assert.deepEqual(await cacheCounters(port), ['li/FRONTEND 2/1', 'li/BACKEND 0/0']);
  });
});

test('hits on a kept-alive connection, pipelined with misses', async (t) => {
  const o = await origin((_m, p, n) => (p === '/miss' ? { headers: [], body: `miss${n}` } : STORED(n)));
  t.after(() => o.close());
  await sideBySide(t, config('', '    http-request cache-use c1\n    http-response cache-store c1\n', o.port), async (port) => {
    o.seen.length = 0;
    assert.deepEqual(await requests(port, '/k', '/k', '/miss', '/k', '/miss'), ['200 body1', '200 body1', '200 miss2', '200 body1', '200 miss3', 'open']);
    assert.deepEqual(o.seen, ['GET /k', 'GET /miss', 'GET /miss']);
  });
});
