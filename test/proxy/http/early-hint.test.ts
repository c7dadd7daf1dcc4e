/**
 * `http-request early-hint` side by side with HAProxy 2.6.12: early-hint rules next to each other
 * send one `103 Early Hints` answer with their headers (names in lower case), at once, before the
 * server has answered; a rule further down sends another one; HTTP/1.0 clients get none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http2 from 'node:http2';
import { sideBySide } from './lib/side-by-side.ts';
import { startRawServer } from '../../helpers/net.ts';

const config = (origin: number) => (port: number): string => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request early-hint Link "</style.css>; rel=preload; as=style"
    http-request early-hint Link "</script.js>; rel=preload; as=script"
    http-request set-var(txn.p) path
    http-request early-hint X-Path "%[var(txn.p)]" if { path /two }
    http-request return status 200 content-type text/plain string ok if { path /ret }
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

/** One request: the chunks the client got, each as it came (the first one within 150 ms of sending). */
function exchange(port: number, head: string): Promise<string[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(head));
    const chunks: string[] = [];
    let last = -1;
    const sent = Date.now();
    s.on('data', (d: Buffer) => {
      // Bytes that came together (within 50 ms) make one chunk.
      const now = Date.now() - sent;
      if (last >= 0 && now - last < 50) chunks[chunks.length - 1] += d.toString('latin1');
      else chunks.push(d.toString('latin1'));
      last = now;
    });
    s.on('error', () => resolve([...chunks, 'error']));
    s.on('close', () => resolve(chunks));
  });
}

const FINAL = 'HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nserved';
/** The server's answer as the client gets it (it asked to close). */
const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nserved';
const HINTS = 'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style\r\nlink: </script.js>; rel=preload; as=script\r\n\r\n';

test('http-request early-hint sends 103 Early Hints to HTTP/1.1 clients before the answer, one per run of rules, as in HAProxy', async (t) => {
  // The server answers 300 ms after the request: the hints come first, on their own.
  const origin = await startRawServer((s) => s.once('data', () => setTimeout(() => s.end(FINAL), 300)));
  try {
    await sideBySide(t, config(origin.port), async (port) => {
      assert.deepEqual(await exchange(port, 'GET /one HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), [HINTS, ANSWER]);
      // Recorded from haproxy 2.6.12: the lone rule further down sends a second 103.
      assert.deepEqual(await exchange(port, 'GET /two HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), [
        `${HINTS}HTTP/1.1 103 Early Hints\r\nx-path: /two\r\n\r\n`, ANSWER,
      ]);
      // An answer of the proxy's own follows the hints.
      assert.deepEqual(await exchange(port, 'GET /ret HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), [
        `${HINTS}HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nok`,
      ]);
      // HTTP/1.0: no hints.
      assert.deepEqual(await exchange(port, 'GET /one HTTP/1.0\r\nhost: x\r\n\r\n'), [ANSWER]);
    });
  } finally {
    await origin.close();
  }
});

/** One HTTP/2 request (prior knowledge): the interim answers' headers, then the final status and body. */
function h2Exchange(port: number, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', reject);
    const seen: string[] = [];
    const req = client.request({ ':path': path });
    req.on('headers', (h) => seen.push(`${h[':status']} ${JSON.stringify(Object.entries(h).filter(([k]) => k !== ':status'))}`));
    req.on('response', (h) => seen.push(`final ${h[':status']}`));
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      client.close();
      resolve([...seen, body]);
    });
    req.on('error', reject);
  });
}

test('HTTP/2 clients get the early hints as an interim HEADERS frame, and a server\'s own 103 too, as in HAProxy', async (t) => {
  const origin = await startRawServer((s) => s.once('data', () => s.end(`HTTP/1.1 103 Early Hints\r\nlink: </server.css>; rel=preload\r\n\r\n${FINAL}`)));
  const h2 = (origin: number) => (port: number) => config(origin)(port).replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} proto h2`);
  try {
    await sideBySide(t, h2(origin.port), async (port) => {
      const links = '[["link","</style.css>; rel=preload; as=style, </script.js>; rel=preload; as=script"]]';
      assert.deepEqual(await h2Exchange(port, '/ret'), [`103 ${links}`, 'final 200', 'ok']);
      assert.deepEqual(await h2Exchange(port, '/one'), [`103 ${links}`, '103 [["link","</server.css>; rel=preload"]]', 'final 200', 'served']);
    });
  } finally {
    await origin.close();
  }
});
