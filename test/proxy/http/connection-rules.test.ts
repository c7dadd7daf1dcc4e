/**
 * A Connection field written by http-request / http-response rules, side by side with haproxy 2.6:
 * its `close` token, which HAProxy's H1 mux obeys as it writes the message, ends that connection
 * after the exchange (the server's or the client's own close and keep-alive tokens are only taken
 * out). Only 127.0.0.1 is used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { requestsWithHeads, sideBySide } from './lib/side-by-side.ts';
import { oneBackend } from './lib/one-backend.ts';

/** An origin answering each request with its path (status 295 for /close-me), counting connections and the heads it got. */
async function origin(): Promise<{ port: number; connections: number; heads: string[]; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, heads: [] as string[] };
  const server = net.createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        state.heads.push(head);
        const path = head.split(' ')[1]!;
        s.write(`HTTP/1.1 ${path === '/close-me' ? '295 X' : '200 OK'}\r\nContent-Length: ${path.length}\r\n\r\n${path}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  });
}

const config = (originPort: number, rules: string) => oneBackend(originPort, rules);

test('http-response set-header Connection close: the client is told and its connection ends after that answer', async (t) => {
  const o = await origin();
  try {
    await sideBySide(t, config(o.port, '    http-response set-header Connection close if { status 295 }'), async (port) => {
      assert.deepEqual(await requestsWithHeads(port, '/a', '/b'), ['200 content-length: 2 /a', '200 content-length: 2 /b', 'open']);
      assert.deepEqual(await requestsWithHeads(port, '/close-me', '/b'), ['295 content-length: 9|connection: close /close-me', 'fin']);
    });
  } finally {
    await o.close();
  }
});

test('http-request set-header Connection close: the server is told and its connection serves that request alone', async (t) => {
  const o = await origin();
  try {
    await sideBySide(t, config(o.port, '    http-request set-header Connection close if { path /close-me }'), async (port) => {
      o.connections = 0;
      o.heads.length = 0;
      assert.deepEqual(await requestsWithHeads(port, '/close-me', '/b', '/c'), ['295 content-length: 9 /close-me', '200 content-length: 2 /b', '200 content-length: 2 /c', 'open']);
      assert.equal(o.heads[0], 'GET /close-me HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      assert.equal(o.heads[1], 'GET /b HTTP/1.1\r\nhost: x\r\n\r\n');
      assert.equal(o.connections, 2, 'a new server connection after the closed one, then kept');
    });
  } finally {
    await o.close();
  }
});
