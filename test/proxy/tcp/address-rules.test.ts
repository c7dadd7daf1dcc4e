/**
 * `tcp-request connection|session|content set-src|set-src-port|set-dst|set-dst-port` side by
 * side with HAProxy 2.6.12: what src and dst read afterwards, the log's %ci:%cp and %fi:%fp, the
 * PROXY header `send-proxy` sends to the server, option forwardfor, and how long a rewrite lasts
 * in HTTP mode (a connection rule's for the whole connection, a content rule's for its request
 * only: HAProxy rewrites the connection's, the session's or the stream's addresses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer } from '../../helpers/net.ts';
import { sideBySide, linesLogged } from '../http/lib/side-by-side.ts';
import { echoServer } from '../http/lib/echo-server.ts';
import { certPath, tlsRequest } from '../../helpers/tls.ts';

/** What the server got first (a PROXY header line), sent back to the client. */
async function proxyLineEcho() {
  return startRawServer((s) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n');
      if (end >= 0) s.end(got.slice(0, end));
    });
  });
}

/** One TCP connection that sends `data`: what came back before the close. */
function exchange(port: number, data = 'x'): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    s.on('error', () => resolve(`${got}(error)`));
    s.on('close', () => resolve(got));
  });
}

const tcpConfig = (origin: number) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    log-format "%ci:%cp %fi:%fp %[var(sess.a)] %[var(sess.b)]"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen tcp_in
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request connection set-src ipv4(10.1.1.1)
    tcp-request session set-var(sess.a) src
    tcp-request session set-src-port int(4444)
    tcp-request content set-dst ipv6(2001:db8::2)
    tcp-request content set-dst-port int(8888)
    tcp-request content set-src str(not-an-address)
    tcp-request content set-var(sess.b) src,concat(/,txn.x),concat(,sess.none)
    server s1 127.0.0.1:${origin} send-proxy
`;

test('tcp-request connection/session/content set-src, set-dst and their ports in TCP mode: fetches, log, send-proxy, as in HAProxy', async (t) => {
  const origin = await proxyLineEcho();
  try {
    await sideBySide(t, tcpConfig(origin.port), async (port, proxy) => {
      // Recorded from haproxy 2.6.12: the server's PROXY header carries every rewrite (an IPv4
      // source with an IPv6 destination is sent as TCP6, the source mapped); a value that is no address changes nothing.
      assert.equal(await exchange(port), 'PROXY TCP6 ::ffff:10.1.1.1 2001:db8::2 4444 8888');
      const lines = await linesLogged(proxy, 2);
      assert.equal(lines.at(-1), '10.1.1.1:4444 2001:db8::2:8888 10.1.1.1 10.1.1.1/');
    });
  } finally {
    await origin.close();
  }
});

const httpConfig = (origin: number) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode http
    log global
    log-format "%ci %fi:%fp %[src] %ST"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    option forwardfor
    tcp-request connection set-src ipv4(10.1.1.1)
    tcp-request session set-dst-port int(81)
    tcp-request content set-src ipv4(10.3.3.3) if { path /content }
    http-request return status 200 content-type text/plain lf-string "%[src] %[dst_port]" if { path /ret }
    default_backend app
backend app
    tcp-request content set-dst ipv4(10.4.4.4)
    server s1 127.0.0.1:${origin}
`;

/** Requests on one connection: each answer's body (the echo server's: the request it got, lines joined by ' | '). */
function requests(port: number, ...paths: string[]): Promise<string[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let received = '';
    const out: string[] = [];
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      for (;;) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
        if (received.length < end + 4 + length) return;
        out.push(received.slice(end + 4, end + 4 + length).replace(/\n+$/, '').replace(/\r?\n/g, ' | '));
        received = received.slice(end + 4 + length);
        if (out.length === paths.length) {
          s.destroy();
          return resolve(out);
        }
      }
    });
    s.on('error', () => resolve(out));
    s.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nhost: x\r\n\r\n`).join(''));
  });
}

test('tcp-request rules rewriting addresses in HTTP mode: a connection or session rule lasts the connection, a content rule its request, as in HAProxy', async (t) => {
  const origin = await echoServer();
  try {
    await sideBySide(t, httpConfig(origin.port), async (port, proxy) => {
      const seen = await requests(port, '/ret', '/content', '/ret', '/fwd');
      // Recorded from haproxy 2.6.12.
      assert.deepEqual(seen, [
        '10.1.1.1 81',
        'GET /content HTTP/1.1 | host: x | x-forwarded-for: 10.3.3.3',
        '10.1.1.1 81',
        'GET /fwd HTTP/1.1 | host: x | x-forwarded-for: 10.1.1.1',
      ]);
      const lines = (await linesLogged(proxy, 5)).slice(-4);
      assert.deepEqual(lines, [
        '10.1.1.1 127.0.0.1:81 10.1.1.1 200',
        '10.3.3.3 10.4.4.4:81 10.3.3.3 200',
        '10.1.1.1 127.0.0.1:81 10.1.1.1 200',
        '10.1.1.1 10.4.4.4:81 10.1.1.1 200',
      ]);
    });
  } finally {
    await origin.close();
  }
});

const transparentConfig = (origin: number) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    log-format "%b/%s %si:%sp"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen tcp_in
    bind 127.0.0.1:${port}
    tcp-request connection set-dst ipv4(127.0.0.1)
    tcp-request session set-dst-port int(${origin - 1})
    server s1 0.0.0.0:+1
`;

test('a server without an address and with a port offset connects where set-dst and set-dst-port sent the client, plus the offset, and logs that as %si:%sp, as in HAProxy', async (t) => {
  const origin = await startRawServer((s) => s.end('origin'));
  try {
    await sideBySide(t, transparentConfig(origin.port), async (port, proxy) => {
      assert.equal(await exchange(port), 'origin');
      const lines = await linesLogged(proxy, 2);
      assert.equal(lines.at(-1), `tcp_in/s1 127.0.0.1:${origin.port}`);
    });
  } finally {
    await origin.close();
  }
});

const tlsConfig = (port: number): string => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend secure
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}
    tcp-request connection set-src ipv4(10.1.1.1)
    tcp-request connection set-dst-port int(444)
    # Node never takes TLS 1.3 early data: every request comes after its handshake, nothing waits.
    http-request wait-for-handshake
    http-request return status 200 content-type text/plain lf-string "%[src] %[dst_port] %ci"
`;

test('a connection rule\'s set-src runs before the TLS handshake and the TLS connection keeps it; wait-for-handshake lets the request through, as in HAProxy', async (t) => {
  await sideBySide(t, tlsConfig, async (port) => {
    const answer = await tlsRequest(port, 'localhost', 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', { rejectUnauthorized: false });
    assert.match(answer.response, /\r\n\r\n10\.1\.1\.1 444 10\.1\.1\.1$/);
  });
});
