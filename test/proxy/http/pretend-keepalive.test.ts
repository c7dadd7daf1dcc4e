/**
 * `option http-pretend-keepalive` (HAProxy's PR_O2_FAKE_KA) side by side with haproxy 2.6.12:
 * with http-server-close, the request to the server carries no `connection: close` (HTTP/1.1) or
 * carries `connection: keep-alive` (HTTP/1.0), a chunked response reaches the client whole and
 * the client connection stays open, and the server connection is still closed after each response
 * (HAProxy with a reset, as for any http-server-close; Loadstar with a FIN).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { startRawServer } from '../../helpers/net.ts';

interface Seen { heads: string[]; closedByProxy: number }

test('option http-pretend-keepalive: keep-alive announced to the server, its connection still closed after the response, as haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const seen: Seen = { heads: [], closedByProxy: 0 };
  const origin = await startRawServer((socket) => {
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      seen.heads.push(head.split('\r\n').filter((l) => /^(GET|connection:)/i.test(l)).join(' | '));
      // A response of unknown length unless chunked: the server chooses chunked because it was told keep-alive.
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    });
    // Closed by the proxy: HAProxy resets it (http-server-close's nolinger), Loadstar ends it; both count.
    socket.on('end', () => socket.end());
    socket.on('close', () => seen.closedByProxy++);
  });
  const results: Array<{ heads: string[]; closed: number; answers: string }> = [];
  try {
    await sideBySide(t, (port) => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    option http-server-close
    default_backend b
backend b
    option http-pretend-keepalive
    server s 127.0.0.1:${origin.port}
`, async (port) => {
      seen.heads = [];
      seen.closedByProxy = 0;
      const answers = await new Promise<string>((resolve) => {
        const c = net.connect(port, '127.0.0.1');
        let got = '';
        c.on('data', (d) => (got += d.toString('latin1')));
        c.write('GET /one HTTP/1.1\r\nhost: a\r\n\r\n');
        setTimeout(() => c.write('GET /two HTTP/1.0\r\nhost: a\r\nconnection: keep-alive\r\n\r\n'), 200);
        setTimeout(() => { c.destroy(); resolve(got.replace(/\r\n(date|content-length): [^\r]*/gi, '')); }, 700);
      });
      await new Promise((r) => setTimeout(r, 200));
      results.push({ heads: [...seen.heads], closed: seen.closedByProxy, answers });
    });
  } finally {
    await origin.close();
  }
  const [loadstar, haproxy] = results;
  assert.deepEqual(loadstar!.heads, ['GET /one HTTP/1.1', 'GET /two HTTP/1.0 | connection: keep-alive']);
  assert.equal(loadstar!.closed, 2, 'each server connection closed after its response');
  if (haproxy) assert.deepEqual(loadstar, haproxy);
});
