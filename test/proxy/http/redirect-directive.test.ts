/**
 * The proxy-level `redirect` directive compared with HAProxy 2.6.12 on the same configuration:
 * where it runs (after the proxy's http-request rules, before use_backend, in backends too), its
 * plain-text target, its options, and the log line. Loadstar is checked against what HAProxy did,
 * recorded here; where haproxy is installed, the same exchanges replay through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';
import { echoServer } from './lib/echo-server.ts';
import { oneExchange } from './lib/one-exchange.ts';

function config(port: number, origin: number): string {
  return `${loggedHttpHead()}    option httplog
frontend web
    bind 127.0.0.1:${port}
    redirect location /saw-header if { req.hdr(x-set) -m found } { path /order }
    http-request set-header x-set 1
    http-request deny if { path /deny }
    redirect location /never if { path /deny }
    redirect prefix https://ex.org code 301 if { path_beg /pre/ }
    redirect prefix / drop-query if { path_beg /self }
    redirect scheme https code 301 if { path /scheme }
    redirect location /%[path] if { path /literal }
    redirect location /c code 308 set-cookie SEEN=1 if { path /cookie }
    redirect location /c code 303 clear-cookie SEEN if { path /clear }
    redirect prefix /p append-slash if { path /slash }
    redirect location /first if { path /two }
    redirect location /second if { path /two }
    use_backend be if { path_beg /be/ }
    redirect location /late if { path_beg /be/late }
    default_backend app
backend be
    http-request set-header x-be 1
    redirect code 307 location /from-backend if { req.hdr(x-be) -m found } { path /be/r }
    http-after-response set-header x-after be
    server s1 127.0.0.1:${origin}
backend app
    server s1 127.0.0.1:${origin}
`;
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nhost: ex.com\r\n\r\n`;

/** [target, the answer's head (or, proxied, the request the server got), the log's backend/server, status and termination state]. */
const EXCHANGES: Array<[string, string, string]> = [
  // The http-request rule written after the redirect ran first: the redirect saw its header.
  ['/order', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /saw-header\r\ncache-control: no-cache', 'web/<NOSRV> 302 LR--'],
  // An http-request deny wins over a redirect of the same request.
  ['/deny', 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html', 'web/<NOSRV> 403 PR--'],
  ['/pre/a?q=1', 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: https://ex.org/pre/a?q=1', 'web/<NOSRV> 301 LR--'],
  ['/self/x?q=1', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /self/x\r\ncache-control: no-cache', 'web/<NOSRV> 302 LR--'],
  ['/scheme', 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: https://ex.com/scheme', 'web/<NOSRV> 301 LR--'],
  // The target is plain text: no log-format.
  ['/literal', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /%[path]\r\ncache-control: no-cache', 'web/<NOSRV> 302 LR--'],
  ['/cookie', 'HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: /c\r\nset-cookie: SEEN=1; path=/;', 'web/<NOSRV> 308 LR--'],
  ['/clear', 'HTTP/1.1 303 See Other\r\ncontent-length: 0\r\nlocation: /c\r\ncache-control: no-cache\r\nset-cookie: SEEN; path=/; Max-Age=0;', 'web/<NOSRV> 303 LR--'],
  ['/slash', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /p/slash/\r\ncache-control: no-cache', 'web/<NOSRV> 302 LR--'],
  // The first matching line answers.
  ['/two', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /first\r\ncache-control: no-cache', 'web/<NOSRV> 302 LR--'],
  // Written after use_backend, still run before it.
  ['/be/late', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /late\r\ncache-control: no-cache', 'web/<NOSRV> 302 LR--'],
  // A backend's redirect, after the backend's http-request rules: logged and post-processed as the backend's.
  ['/be/r', 'HTTP/1.1 307 Temporary Redirect\r\ncontent-length: 0\r\nlocation: /from-backend\r\ncache-control: no-cache\r\nx-after: be', 'be/<NOSRV> 307 LR--'],
  // Proxied: what the server received.
  ['/be/other', 'GET /be/other HTTP/1.1 | host: ex.com | x-set: 1 | x-be: 1', 'be/s1 200 ----'],
  ['/plain', 'GET /plain HTTP/1.1 | host: ex.com | x-set: 1', 'app/s1 200 ----'],
];

async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void>; logs(): string }>): Promise<Array<[string, string, string]>> {
  const origin = await echoServer();
  const port = await freePort();
  const proxy = await start(port, config(port, origin.port));
  try {
    const heads: string[] = [];
    for (const [target] of EXCHANGES) {
      const { head, body } = await oneExchange(port, get(target));
      heads.push(head.startsWith('HTTP/1.1 200') ? body.trim().split('\n').join(' | ') : head);
    }
    // A log line is written once its exchange is over, and may reach the pipe after later ones: wait
    // for every exchange's line rather than for a delay (haproxy's came late on a loaded CI run).
    const logged = () => EXCHANGES.every(([target]) => proxy.logs().includes(` "GET ${target} HTTP/1.1"`));
    for (let i = 0; i < 200 && !logged(); i++) await new Promise((r) => setTimeout(r, 25));
    const lines = proxy.logs().split('\n');
    return EXCHANGES.map(([target], i) => {
      const fields = lines.find((l) => l.includes(` "GET ${target} HTTP/1.1"`))?.split(' ') ?? [];
      return [target, heads[i]!, `${fields[3]} ${fields[5]} ${fields[9]}`];
    });
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

test('redirect lines run where HAProxy runs them, with its answers and log lines (recorded from HAProxy 2.6.12)', async () => {
  assert.deepEqual(await observe(async (_port, text) => {
    const e = await startEngine(text);
    return { stop: () => e.stop(), logs: () => e.logs.join('\n') };
  }), EXCHANGES);
});

test('the redirect recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await observe(async (port, text) => {
    const h = await startHaproxy(text, port);
    return { stop: () => h.stop(), logs: () => h.output() };
  }), EXCHANGES);
});
