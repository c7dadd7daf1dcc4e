/**
 * HTTP health checks over HTTP/2, side by side with HAProxy 2.6: a `proto h2` server's checks,
 * `check-proto h2`, `http-check connect proto h2`, and ALPN with `check-alpn h2,http/1.1`; what the
 * server receives (HAProxy's H2 mux: `:scheme` https, the Host field as `host`, no connection-specific
 * fields) and each outcome (503, a request without Host, an explicit connect line that keeps
 * HTTP/1.1, a server that does not speak HTTP/2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { freePort } from '../../helpers/net.ts';
import { requireHaproxy } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';
import { underBoth } from './lib/under-both.ts';

/** Requests by path: the protocol they came in, and their fields (pseudo-headers included, for HTTP/2). */
type Seen = Map<string, string[]>;

function record(seen: Seen, path: string, line: string): void {
  seen.set(path, [...(seen.get(path) ?? []), line]);
}

/** Answers 503 on /bad, 200 with `x-check: yes` elsewhere; records each request's protocol and fields. */
function answer(seen: Seen, req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const fields = req.httpVersion === '2.0'
    ? Object.entries(req.headers).map(([k, v]) => `${k}=${String(v)}`).sort().join(' ')
    : req.rawHeaders.join(' ');
  record(seen, req.url, `${req.httpVersion} ${fields}`);
  res.writeHead(req.url === '/bad' ? 503 : 200, { 'x-check': 'yes' });
  res.end('ok');
}

async function listening<S extends net.Server>(server: S): Promise<S & { port: number }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port });
}

test('HTTP/2 health checks (proto h2, check-proto h2, connect proto h2, check-alpn h2): requests and outcomes as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const seen: Seen = new Map();
  const pem = fs.readFileSync(certPath('site.pem'));
  const h2c = await listening(http2.createServer((req, res) => answer(seen, req, res)));
  const h2tls = await listening(http2.createSecureServer({ cert: pem, key: pem, allowHTTP1: true }, (req, res) => answer(seen, req, res)));
  // An HTTP/1.1 server: Node's answers a connection preface with 400 and closes.
  const h1 = await listening(http.createServer((req, res) => res.end('ok')));
  const servers: net.Server[] = [h2c, h2tls, h1];
  for (const s of servers) s.on('error', () => {});
  const bind = await freePort();
  const host = 'http-check send hdr Host check.example';
  const config = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
backend by_proto
    option httpchk GET /proto
    http-check send hdr Host check.example hdr Connection close hdr X-Foo bar
    server s 127.0.0.1:${h2c.port} proto h2 check inter 150 rise 1 fall 1
backend status_503
    option httpchk GET /bad
    ${host}
    server s 127.0.0.1:${h2c.port} check check-proto h2 inter 150 rise 1 fall 1
backend no_host
    option httpchk GET /nohost
    server s 127.0.0.1:${h2c.port} check check-proto h2 inter 150 rise 1 fall 1
backend connect_line
    option httpchk GET /line
    http-check connect proto h2
    ${host}
    server s 127.0.0.1:${h2c.port} check inter 150 rise 1 fall 1
backend explicit_h1
    option httpchk GET /explicit
    http-check connect
    ${host}
    server s 127.0.0.1:${h2c.port} check check-proto h2 inter 150 rise 1 fall 1
backend by_alpn
    option httpchk GET /alpn
    ${host}
    server s 127.0.0.1:${h2tls.port} check ssl verify none check-alpn h2,http/1.1 inter 1s rise 1 fall 1
backend alpn_h1
    option httpchk GET /alpn-h1
    ${host}
    server s 127.0.0.1:${h2tls.port} check ssl verify none check-alpn http/1.1 inter 1s rise 1 fall 1
backend not_h2
    option httpchk GET /
    ${host}
    server s 127.0.0.1:${h1.port} check check-proto h2 inter 150 rise 1 fall 1
frontend fe
    bind 127.0.0.1:${bind}
    default_backend by_proto
`;
  const paths = ['/proto', '/line', '/alpn', '/alpn-h1'];
  try {
    const results = await underBoth(config, bind,
      () => seen.clear(),
      (alerts) => paths.every((p) => (seen.get(p)?.length ?? 0) >= 2) && ['status_503', 'no_host', 'explicit_h1', 'not_h2'].every((b) => alerts.some((l) => l.startsWith(`Server ${b}/s is DOWN`))),
      () => Object.fromEntries([...seen].map(([p, lines]) => [p, lines[0]])));
    const h = results.haproxy!;
    assert.equal(h['/proto'], '2.0 :method=GET :path=/proto :scheme=https host=check.example x-foo=bar');
    assert.match(h['/alpn'] ?? '', /^2\.0 /);
    assert.match(h['/alpn-h1'] ?? '', /^1\.0 /);
    assert.equal(h['/nohost'], undefined, 'a request without Host never leaves');
    assert.deepEqual(h.down.sort(), [
      'Server explicit_h1/s is DOWN, reason: Layer7 invalid response, .',
      'Server no_host/s is DOWN, reason: Socket error, .',
      'Server not_h2/s is DOWN, reason: Socket error, .',
      'Server status_503/s is DOWN, reason: Layer7 wrong status, code: 503, .',
    ]);
    results.loadstar!.down.sort();
    assert.deepEqual(results.loadstar, h);
  } finally {
    for (const s of servers) {
      (s as http.Server).closeAllConnections?.();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
});
