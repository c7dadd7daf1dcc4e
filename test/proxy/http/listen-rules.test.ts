/**
 * A listen section's http-request, redirect, http-response and http-after-response lines, reached
 * through its own bind and as another frontend's backend, compared with HAProxy 2.6.12: each runs
 * once, either way. Loadstar is checked against what HAProxy did, recorded here; where haproxy is
 * installed, the same requests replay through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { echoServer } from './lib/echo-server.ts';
import { oneExchange } from './lib/one-exchange.ts';

function config(front: number, own: number, origin: number): string {
  return `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${front}
    default_backend shop
listen shop
    bind 127.0.0.1:${own}
    http-request add-header x-shop 1
    redirect location /moved if { path /old }
    http-response add-header x-res shop
    http-after-response add-header x-after shop
    server s1 127.0.0.1:${origin}
`;
}

/** [through the frontend (0) or the listen's own bind (1), target, the answer's head then what the server received]. */
const EXCHANGES: Array<[number, string, string]> = [
  [0, '/a', 'HTTP/1.1 200 OK\r\ncontent-length: 40\r\nx-res: shop\r\nx-after: shop | GET /a HTTP/1.1 | host: ex.com | x-shop: 1'],
  [0, '/old', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /moved\r\ncache-control: no-cache\r\nx-after: shop'],
  [1, '/a', 'HTTP/1.1 200 OK\r\ncontent-length: 40\r\nx-res: shop\r\nx-after: shop | GET /a HTTP/1.1 | host: ex.com | x-shop: 1'],
  [1, '/old', 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /moved\r\ncache-control: no-cache\r\nx-after: shop'],
];

async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void> }>): Promise<Array<[number, string, string]>> {
  const origin = await echoServer();
  const ports = [await freePort(), await freePort()];
  const proxy = await start(ports[0]!, config(ports[0]!, ports[1]!, origin.port));
  try {
    const seen: Array<[number, string, string]> = [];
    for (const [i, target] of EXCHANGES) {
      const { head, body } = await oneExchange(ports[i]!, `GET ${target} HTTP/1.1\r\nhost: ex.com\r\n\r\n`);
      seen.push([i, target, body ? `${head} | ${body.trim().split('\n').join(' | ')}` : head]);
    }
    return seen;
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

test('a listen runs its rules once, through its own bind and as a backend (recorded from HAProxy 2.6.12)', async () => {
  assert.deepEqual(await observe(async (_port, text) => startEngine(text)), EXCHANGES);
});

test('the listen-rules recording still matches real HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await observe((port, text) => startHaproxy(text, port)), EXCHANGES);
});
