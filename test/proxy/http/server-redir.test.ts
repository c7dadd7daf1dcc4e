/**
 * `server … redir <prefix>` (configuration.txt §5.2) side by side with HAProxy 2.6.12: a GET or
 * HEAD sent to the server is answered 302 with Location prefix + path (query kept, an absolute-form
 * URI's path only) and the connection closes; other methods, and a target without a path (`*`),
 * go to the server. Each case runs on Loadstar against the outcome recorded from haproxy, then on
 * haproxy itself when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide, logged } from './lib/side-by-side.ts';
import { echoServer } from './lib/echo-server.ts';

/** One request on its own connection: the answer's status line and headers joined by '|', its body, and how it ended. */
function ask(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let got = '';
    let end = 'open';
    const timer = setTimeout(() => s.destroy(), 1000);
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('end', () => (end = 'fin'));
    s.on('error', () => (end = 'reset'));
    s.on('close', () => {
      clearTimeout(timer);
      const split = got.indexOf('\r\n\r\n');
      resolve(`${got.slice(0, split).split('\r\n').join('|')} [${got.slice(split + 4).split('\n')[0]}] ${end}`);
    });
  });
}

test('redir: GET and HEAD answer 302 to prefix + path and close; POST and * go to the server', async (t) => {
  const origin = await echoServer();
  try {
    await sideBySide(t, (port) => `global
    log stdout format raw local0
defaults
    log global
    mode http
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server s 127.0.0.1:${origin.port} redir http://img.example.com
`, async (port, proxy) => {
      const redirect = (location: string) => `HTTP/1.1 302 Found|cache-control: no-cache|content-length: 0|location: ${location}|connection: close [] fin`;
      assert.equal(await ask(port, 'GET /a/b?x=1 HTTP/1.1\r\nhost: x\r\n\r\n'), redirect('http://img.example.com/a/b?x=1'));
      assert.equal(await ask(port, 'HEAD / HTTP/1.1\r\nhost: x\r\n\r\n'), redirect('http://img.example.com/'));
      assert.equal(await ask(port, 'GET http://foo.test/p/q HTTP/1.1\r\nhost: foo.test\r\n\r\n'), redirect('http://img.example.com/p/q'));
      assert.equal(await ask(port, 'GET / HTTP/1.0\r\n\r\n'), redirect('http://img.example.com/'));
      assert.equal(await ask(port, 'POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'), 'HTTP/1.1 200 OK|content-length: 44|connection: close [POST /p HTTP/1.1] fin');
      assert.equal(await ask(port, 'OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), 'HTTP/1.1 200 OK|content-length: 28|connection: close [OPTIONS * HTTP/1.1] fin');
      // Each exchange is logged as its connection ends: on a loaded machine two of them may log in either order.
      assert.deepEqual((await logged(proxy, 7)).sort(), [
        // startHaproxy's probe connection (made on both).
        'fe/<NOSRV> -1/-1/-1/-1/T 400 0 CR-- "<BADREQ>"',
        'be/s T/T/-1/-1/T 302 126 LC-- "GET /a/b?x=1 HTTP/1.1"',
        'be/s T/T/-1/-1/T 302 119 LC-- "HEAD / HTTP/1.1"',
        'be/s T/T/-1/-1/T 302 122 LC-- "GET http://foo.test/p/q HTTP/1.1"',
        'be/s T/T/-1/-1/T 302 119 LC-- "GET / HTTP/1.0"',
        'be/s T/T/T/T/T 200 94 ---- "POST /p HTTP/1.1"',
        'be/s T/T/T/T/T 200 78 ---- "OPTIONS * HTTP/1.1"',
      ].sort());
    });
  } finally {
    await origin.close();
  }
});
