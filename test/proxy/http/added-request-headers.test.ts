/**
 * Headers the proxy adds to the request for the server, compared with HAProxy 2.6.12 on the same
 * configuration: `option originalto` (frontend or backend, its `header` and `except`) and
 * `http-send-name-header` (replacing the client's header, naming the server a redispatch tried).
 * Loadstar is checked against what the server received from HAProxy, recorded here; where haproxy
 * is installed, the same requests replay through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { echoServer } from './lib/echo-server.ts';
import { oneExchange } from './lib/one-exchange.ts';

function config(port: number, origin: number, dead: number): string {
  return `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    option originalto
    use_backend hdr if { path_beg /hdr }
    use_backend ex if { path_beg /ex }
    use_backend named if { path_beg /named }
    use_backend retry if { path_beg /retry }
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
backend hdr
    option originalto header X-Dest
    server s1 127.0.0.1:${origin}
backend ex
    option originalto except 127.0.0.0/8
    server s1 127.0.0.1:${origin}
backend named
    http-send-name-header X-Server
    server web1 127.0.0.1:${origin}
backend retry
    http-send-name-header x-server
    option redispatch
    retries 1
    server dead 127.0.0.1:${dead}
    server alive 127.0.0.1:${origin}
`;
}

/** [request, what the server received]. */
const EXCHANGES: Array<[string, string]> = [
  ['GET /plain HTTP/1.1\r\nhost: ex.com\r\n\r\n', 'GET /plain HTTP/1.1 | host: ex.com | x-original-to: 127.0.0.1'],
  // The client's own header stays; the proxy adds its line after it.
  ['GET /plain2 HTTP/1.1\r\nhost: ex.com\r\nx-original-to: 10.0.0.1\r\n\r\n', 'GET /plain2 HTTP/1.1 | host: ex.com | x-original-to: 10.0.0.1 | x-original-to: 127.0.0.1'],
  // The backend's header name wins over the frontend's.
  ['GET /hdr HTTP/1.1\r\nhost: ex.com\r\n\r\n', 'GET /hdr HTTP/1.1 | host: ex.com | x-dest: 127.0.0.1'],
  // The backend's except covers the destination: no header, though the frontend asks for one.
  ['GET /ex HTTP/1.1\r\nhost: ex.com\r\n\r\n', 'GET /ex HTTP/1.1 | host: ex.com'],
  // The client's X-Server is replaced by the server's name, written last.
  ['GET /named HTTP/1.1\r\nx-server: forged\r\nhost: ex.com\r\nX-SERVER: again\r\n\r\n', 'GET /named HTTP/1.1 | host: ex.com | x-original-to: 127.0.0.1 | x-server: web1'],
  // HTTP/1.0: after the Connection header the proxy adds.
  ['GET /named10 HTTP/1.0\r\nhost: ex.com\r\n\r\n', 'GET /named10 HTTP/1.0 | host: ex.com | x-original-to: 127.0.0.1 | connection: keep-alive | x-server: web1'],
  // The first pick refuses the connection; the redispatched request names the server that answered.
  ['GET /retry HTTP/1.1\r\nhost: ex.com\r\n\r\n', 'GET /retry HTTP/1.1 | host: ex.com | x-original-to: 127.0.0.1 | x-server: alive'],
];

async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void> }>): Promise<Array<[string, string]>> {
  const origin = await echoServer();
  const port = await freePort();
  const dead = await freePort();
  const proxy = await start(port, config(port, origin.port, dead));
  try {
    const seen: Array<[string, string]> = [];
    for (const [request] of EXCHANGES) {
      const { head, body } = await oneExchange(port, request);
      seen.push([request, head.startsWith('HTTP/1.1 200') || head.startsWith('HTTP/1.0 200') ? body.trim().split('\n').join(' | ') : head]);
    }
    return seen;
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

test('originalto and http-send-name-header reach the server as HAProxy sends them (recorded from HAProxy 2.6.12)', async () => {
  assert.deepEqual(await observe(async (_port, text) => startEngine(text)), EXCHANGES);
});

test('the added-headers recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await observe((port, text) => startHaproxy(text, port)), EXCHANGES);
});
