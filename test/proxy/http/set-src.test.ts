/**
 * http-request set-src, set-src-port, set-dst and set-dst-port side by side
 * with HAProxy 2.6.12 (the Cloudflare home-lab case: `set-src
 * hdr(CF-Connecting-IP)`): what src, dst and their ports read afterwards, the
 * log's %ci:%cp and %fi:%fp, the address option forwardfor sends, and that
 * the next request of the connection sees the real addresses again (HAProxy
 * 2.6 rewrites the stream's addresses). Each case runs on Loadstar against the
 * outcome recorded from haproxy, then on haproxy itself when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';
import { echoServer } from './lib/echo-server.ts';

const config = (origin: number) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode http
    log global
    log-format "%ci:%cp %fi:%fp %[src] %ST"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    option forwardfor
    http-request set-src hdr(cf-connecting-ip) if { req.hdr(cf-connecting-ip) -m found }
    http-request set-dst ipv4(10.9.9.9) if { path /dst }
    http-request set-dst-port int(81) if { path /dst }
    http-request set-src-port int(1234) if { path /sport }
    http-request set-var(txn.a) src
    http-request return status 200 content-type text/plain lf-string "%[var(txn.a)] %[src] %[dst] %[dst_port] %[src,ipmask(8)]" if { path /ret }
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

/** Requests on one connection: each answer's body with the client's own port shown as PORT. */
function requests(port: number, ...heads: string[]): Promise<string[]> {
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
        out.push(received.slice(end + 4, end + 4 + length).split(String(s.localPort)).join('PORT').replace(/\n+$/, '').replace(/\n/g, ' | '));
        received = received.slice(end + 4 + length);
        if (out.length === heads.length) {
          s.destroy();
          return resolve(out);
        }
      }
    });
    s.on('error', () => resolve(out));
    s.write(heads.map((h) => `GET ${h}\r\n\r\n`).join(''));
  });
}

test('http-request set-src hdr(CF-Connecting-IP) and set-dst / set-*-port: fetches, log, forwardfor, as in HAProxy', async (t) => {
  const origin = await echoServer();
  try {
    await sideBySide(t, config(origin.port), async (port, proxy) => {
      const seen = [
        ...await requests(port, '/ret HTTP/1.1\r\nhost: x\r\ncf-connecting-ip: 203.0.113.7', '/ret HTTP/1.1\r\nhost: x'),
        ...await requests(port, '/ret HTTP/1.1\r\nhost: x\r\ncf-connecting-ip: 2001:db8::1'),
        ...await requests(port, '/ret HTTP/1.1\r\nhost: x\r\ncf-connecting-ip: garbage'),
        ...await requests(port, '/fwd HTTP/1.1\r\nhost: x\r\ncf-connecting-ip: 198.51.100.9', '/fwd HTTP/1.1\r\nhost: x'),
      ];
      // Recorded from haproxy 2.6.12: the address is this request's only; a value that is no address changes nothing;
      // ipmask(8) of an IPv6 address gives nothing.
      assert.deepEqual(seen, [
        '203.0.113.7 203.0.113.7 127.0.0.1 PORT_FE 203.0.0.0',
        '127.0.0.1 127.0.0.1 127.0.0.1 PORT_FE 127.0.0.0',
        '2001:db8::1 2001:db8::1 127.0.0.1 PORT_FE ',
        '127.0.0.1 127.0.0.1 127.0.0.1 PORT_FE 127.0.0.0',
        'GET /fwd HTTP/1.1 | host: x | cf-connecting-ip: 198.51.100.9 | x-forwarded-for: 198.51.100.9',
        'GET /fwd HTTP/1.1 | host: x | x-forwarded-for: 127.0.0.1',
      ].map((l) => l.replace('PORT_FE', String(port))));
      const more = [
        ...await requests(port, '/dst HTTP/1.1\r\nhost: x\r\ncf-connecting-ip: 203.0.113.8'),
        ...await requests(port, '/sport HTTP/1.1\r\nhost: x'),
      ];
      assert.deepEqual(more, [
        'GET /dst HTTP/1.1 | host: x | cf-connecting-ip: 203.0.113.8 | x-forwarded-for: 203.0.113.8',
        'GET /sport HTTP/1.1 | host: x | x-forwarded-for: 127.0.0.1',
      ]);
      const lines = (await linesLogged(proxy, 9)).slice(-8); // the probe connection is logged first
      // The log's %ci:%cp %fi:%fp: the rewritten addresses, ports kept (client ports shown as P).
      assert.deepEqual(lines.map((l) => l.replace(new RegExp(`:${port} `, 'g'), ':FE ').replace(/:(3[2-9]\d{3}|[4-6]\d{4}) /, ':P ')), [
        '203.0.113.7:P 127.0.0.1:FE 203.0.113.7 200',
        '127.0.0.1:P 127.0.0.1:FE 127.0.0.1 200',
        '2001:db8::1:P 127.0.0.1:FE 2001:db8::1 200',
        '127.0.0.1:P 127.0.0.1:FE 127.0.0.1 200',
        '198.51.100.9:P 127.0.0.1:FE 198.51.100.9 200',
        '127.0.0.1:P 127.0.0.1:FE 127.0.0.1 200',
        '203.0.113.8:P 10.9.9.9:81 203.0.113.8 200',
        '127.0.0.1:1234 127.0.0.1:FE 127.0.0.1 200',
      ]);
    });
  } finally {
    await origin.close();
  }
});
