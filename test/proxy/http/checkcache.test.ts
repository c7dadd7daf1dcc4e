/**
 * `option checkcache` side by side with haproxy 2.6.12: a response a cache could store with the
 * cookie it sets is blocked (HAProxy's page for the server's status, its 500 page for a status
 * without one; logged with the server's status, PH, %Tr -1), others pass: by method, status,
 * Cache-Control (public, private, no-cache="set-cookie", max-age, max-age=0 …), Pragma, Expires and
 * validators, Set-Cookie2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { freePort, startEngine } from '../../helpers/net.ts';
import { cli, readCsv } from '../stats/helpers.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from '../config/lib/parse-cases.ts';

/** An origin answering with the status `s` and the headers the query names (repeated names repeat). */
function origin(): Promise<http.Server> {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const headers: string[] = [];
      let status = 200;
      for (const [k, v] of query) {
        if (k === 's') status = Number(v);
        else headers.push(k, v);
      }
      res.writeHead(status, [...headers, 'content-length', '2']);
      res.end(req.method === 'HEAD' ? undefined : 'ok');
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function fetch(port: number, method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.split('\n')[0]}`));
    });
    req.on('error', reject);
    req.end();
  });
}

const CASES: Array<[method: string, query: string]> = [
  ['GET', ''],
  // No freshness and no validator: not cacheable.
  ['GET', 'set-cookie=a=1'],
  ['GET', 'set-cookie=a=1&etag=x'],
  ['GET', 'set-cookie=a=1&cache-control=max-age%3D60'],
  ['GET', 'set-cookie=a=1&expires=Thu'],
  ['GET', 'set-cookie=a=1&etag=x&cache-control=private'],
  ['GET', 'set-cookie=a=1&etag=x&cache-control=no-cache%3D%22set-cookie%22'],
  ['GET', 'set-cookie=a=1&etag=x&pragma=no-cache'],
  // Only the first Pragma header counts.
  ['GET', 'set-cookie=a=1&etag=x&pragma=x&pragma=no-cache'],
  ['GET', 'set-cookie=a=1&etag=x&s=206'],
  ['GET', 'set-cookie=a=1&etag=x&s=404'],
  ['GET', 'set-cookie=a=1&etag=x&s=302'],
  ['GET', 'set-cookie=a=1&etag=x&s=302&cache-control=public'],
  ['GET', 'set-cookie=a=1&etag=x&cache-control=max-age%3D0,%20public'],
  ['GET', 'set-cookie=a=1&etag=x&cache-control=private,%20public'],
  ['GET', 'set-cookie=a=1&cache-control=max-age%3D0&cache-control=s-maxage%3D60'],
  ['GET', 'set-cookie=a=1&etag=x&cache-control=private%3Dx'],
  ['GET', 'set-cookie2=a&last-modified=x'],
  ['POST', 'set-cookie=a=1&etag=x'],
  ['POST', 'set-cookie=a=1&etag=x&cache-control=public'],
  ['HEAD', 'set-cookie=a=1&etag=x'],
  ['OPTIONS', 'set-cookie=a=1&etag=x'],
];

test('option checkcache blocks cacheable responses that set a cookie, as haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const server = await origin();
  const port = (server.address() as AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-checkcache-'));
  const config = (listen: number) => `${loggedHttpHead().replace('global\n', `global\n    stats socket ${path.join(dir, `${listen}.sock`)} level admin\n`)}frontend fe
    bind 127.0.0.1:${listen}
    log-format "%ST %tsc %Tr %b/%s %HM %HP"
    default_backend be
backend be
    option checkcache
    server s1 127.0.0.1:${port}
`;
  const seen: Array<{ answers: string[]; logs: string[]; denied: string[] }> = [];
  try {
    await sideBySide(t, config, async (listen, proxy) => {
      const answers: string[] = [];
      for (const [method, query] of CASES) answers.push(`${method} ${query}: ${await fetch(listen, method, `/x?${query}`)}`);
      await new Promise((r) => setTimeout(r, 200));
      // dreq / dresp of fe, be and s1: blocked responses are denied responses (HAProxy's denied_resp).
      const denied = readCsv(await cli(path.join(dir, `${listen}.sock`), 'show stat')).map((r) => `${r['pxname']}/${r['svname']} ${r['dreq']} ${r['dresp']}`);
      seen.push({ denied, answers, logs: proxy.logs().filter((l) => !l.startsWith('Blocking')).map((l) => l.replace(/ \/x$/, '').replace(/^(\S+ \S+) \d+ /, '$1 T ')) });
    });
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(seen[0]!.denied, ['fe/FRONTEND 0 14', 'be/s1  14', 'be/BACKEND 0 14']);
  const ok = '200 ok';
  const page200 = '200 <html><body><h1>200 OK</h1>';
  assert.deepEqual(seen[0]!.answers, [
    `GET : ${ok}`,
    `GET set-cookie=a=1: ${ok}`,
    `GET set-cookie=a=1&etag=x: ${page200}`,
    `GET set-cookie=a=1&cache-control=max-age%3D60: ${page200}`,
    `GET set-cookie=a=1&expires=Thu: ${page200}`,
    `GET set-cookie=a=1&etag=x&cache-control=private: ${ok}`,
    `GET set-cookie=a=1&etag=x&cache-control=no-cache%3D%22set-cookie%22: ${ok}`,
    `GET set-cookie=a=1&etag=x&pragma=no-cache: ${ok}`,
    `GET set-cookie=a=1&etag=x&pragma=x&pragma=no-cache: ${page200}`,
    // No page of its own for 206: HAProxy's 500 page.
    'GET set-cookie=a=1&etag=x&s=206: 500 <html><body><h1>500 Internal Server Error</h1>',
    'GET set-cookie=a=1&etag=x&s=404: 404 <html><body><h1>404 Not Found</h1>',
    'GET set-cookie=a=1&etag=x&s=302: 302 ok',
    // `public` makes any answer cacheable, POST and 302 included.
    'GET set-cookie=a=1&etag=x&s=302&cache-control=public: 500 <html><body><h1>500 Internal Server Error</h1>',
    `GET set-cookie=a=1&etag=x&cache-control=max-age%3D0,%20public: ${page200}`,
    `GET set-cookie=a=1&etag=x&cache-control=private,%20public: ${page200}`,
    `GET set-cookie=a=1&cache-control=max-age%3D0&cache-control=s-maxage%3D60: ${ok}`,
    `GET set-cookie=a=1&etag=x&cache-control=private%3Dx: ${page200}`,
    `GET set-cookie2=a&last-modified=x: ${page200}`,
    `POST set-cookie=a=1&etag=x: ${ok}`,
    `POST set-cookie=a=1&etag=x&cache-control=public: ${page200}`,
    'HEAD set-cookie=a=1&etag=x: 200 ',
    `OPTIONS set-cookie=a=1&etag=x: ${page200}`,
  ]);
  const blocked = seen[0]!.logs.filter((l) => l.includes(' PH-- '));
  assert.deepEqual(blocked.slice(0, 3), ['200 PH-- -1 be/s1 GET', '200 PH-- -1 be/s1 GET', '200 PH-- -1 be/s1 GET']);
  assert.ok(seen[0]!.logs.includes('206 PH-- -1 be/s1 GET'), seen[0]!.logs.join('\n'));
  if (seen[1]) {
    assert.deepEqual(seen[1].answers, seen[0]!.answers, 'haproxy answered the same');
    // haproxy logs when the stream ends, which can come after the client's next request began:
    // the same lines, in any order.
    assert.deepEqual([...seen[1].logs].sort(), [...seen[0]!.logs].sort(), 'haproxy logged the same');
    assert.deepEqual(seen[1].denied, seen[0]!.denied, 'haproxy counted the same');
  }
});

test('option checkcache: the block is alerted as haproxy 2.6.12 alerts it, and counted as a denied response', { timeout: 30_000 }, async () => {
  const server = await origin();
  const port = (server.address() as AddressInfo).port;
  const listen = await freePort();
  const engine = await startEngine(`defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${listen}
    default_backend be
backend be
    option checkcache
    server s1 127.0.0.1:${port}
`);
  try {
    assert.equal(await fetch(engine.port, 'GET', '/x?set-cookie=a=1&etag=x'), '200 <html><body><h1>200 OK</h1>');
    assert.deepEqual(engine.alerts, ['Blocking cacheable cookie in response from instance be, server s1.']);
    const be = engine.engine.stats.view()!.backends.get('be')!;
    assert.equal(be.stats.dresp, 1);
  } finally {
    await engine.stop();
    server.close();
  }
});

const head = 'defaults\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';
const cases: ParseCase[] = [
  { text: `${head}backend be\n  mode tcp\n  option checkcache\n  server s 127.0.0.1:1\n`, valid: true, message: "'option checkcache' ignored for backend 'be' as it requires HTTP mode." },
  { text: `${head}frontend fe\n  mode http\n  bind 127.0.0.1:1\n  option checkcache\n  default_backend be\nbackend be\n  mode http\n  no option checkcache\n`, valid: true, message: "'checkcache' ignored because frontend 'fe' has no backend capability." },
];

test('option checkcache: accepted and warned about as haproxy 2.6.12 -c does', (t) => {
  assertLoadstarParses(cases);
  assertHaproxyParses(t, cases);
});
