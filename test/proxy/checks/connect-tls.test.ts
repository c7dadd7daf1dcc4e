/**
 * `tcp-check connect ssl` / `connect default` side by side with HAProxy 2.6: which transport each
 * connect line uses (TLS with `ssl`; the server's check-ssl with `default`; plain TCP otherwise,
 * even on a check-ssl server), the SNI and ALPN it offers, and the check's outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import tls from 'node:tls';
import https from 'node:https';
import type net from 'node:net';
import { freePort } from '../../helpers/net.ts';
import { requireHaproxy } from '../../helpers/haproxy.ts';
import { underBoth } from './lib/under-both.ts';
import { certPath } from '../../helpers/tls.ts';

interface Seen {
  /** One line per TLS handshake: the SNI and the ALPN protocol agreed. */
  handshakes: string[];
  /** Lines received over TLS. */
  lines: string[];
}

/** A TLS server that greets with `+OK`, answers PING with PONG, and records what each connection offered. */
async function tlsGreeter(): Promise<{ port: number; seen: Seen; close(): Promise<void> }> {
  const pem = fs.readFileSync(certPath('site.pem'));
  const seen: Seen = { handshakes: [], lines: [] };
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: pem, key: pem, ALPNProtocols: ['x-test'] }, (socket) => {
    seen.handshakes.push(`sni=${socket.servername || '-'} alpn=${socket.alpnProtocol || '-'}`);
    socket.write('+OK\r\n');
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i + 1);
        buf = buf.slice(i + 1);
        seen.lines.push(line);
        socket.end(line === 'PING\r\n' ? 'PONG\r\n' : 'ERR\r\n');
      }
    });
    socket.on('error', () => {});
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

test('tcp-check connect ssl (sni, alpn), connect default on a check-ssl server, and a plain connect line: transports, SNI, ALPN and outcomes as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const viaSsl = await tlsGreeter();
  const viaDefault = await tlsGreeter();
  const viaPlain = await tlsGreeter();
  const bind = await freePort();
  const config = `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
backend ssl_line
    option tcp-check
    tcp-check connect ssl sni check.example alpn x-test,http/1.1
    tcp-check expect string +OK
    tcp-check send "PING\\r\\n"
    tcp-check expect string PONG
    server s 127.0.0.1:${viaSsl.port} check verify none inter 1s rise 1 fall 1
backend default_line
    option tcp-check
    tcp-check connect default
    tcp-check expect string +OK
    server s 127.0.0.1:${viaDefault.port} check check-ssl check-sni default.example verify none inter 1s rise 1 fall 1
backend plain_line
    option tcp-check
    tcp-check connect
    tcp-check expect string +OK
    server s 127.0.0.1:${viaPlain.port} check check-ssl verify none inter 1s rise 1 fall 1
frontend fe
    bind 127.0.0.1:${bind}
    default_backend ssl_line
`;
  const all = [viaSsl, viaDefault, viaPlain];
  const first = (s: Seen): Seen => ({ handshakes: s.handshakes.slice(0, 2), lines: s.lines.slice(0, 2) });
  try {
    const results = await underBoth(config, bind,
      () => { for (const s of all) Object.assign(s.seen, { handshakes: [], lines: [] }); },
      (alerts) => viaSsl.seen.lines.length >= 2 && viaDefault.seen.handshakes.length >= 2 && alerts.some((l) => /^Server plain_line\/s is DOWN/.test(l)),
      () => ({ ssl: first(viaSsl.seen), default: first(viaDefault.seen), plain: first(viaPlain.seen) }));
    const h = results.haproxy!;
    assert.deepEqual(h.ssl.handshakes, ['sni=check.example alpn=x-test', 'sni=check.example alpn=x-test']);
    assert.deepEqual(h.ssl.lines, ['PING\r\n', 'PING\r\n']);
    assert.deepEqual(h.default.handshakes, ['sni=default.example alpn=-', 'sni=default.example alpn=-']);
    // The plain connect line sends no ClientHello: no handshake, and the greeting never comes (Layer7 timeout at the expect).
    assert.deepEqual(h.plain.handshakes, []);
    assert.equal(h.down.length, 1, h.down.join('\n'));
    assert.deepEqual(results.loadstar, h);
  } finally {
    for (const s of all) await s.close();
  }
});

test('http-check connect ssl sni on a server without ssl, and a plain http-check connect on an ssl server: as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const pem = fs.readFileSync(certPath('site.pem'));
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = https.createServer({ cert: pem, key: pem }, (req, res) => {
    requests.push(`${req.method} ${req.url} sni=${(req.socket as tls.TLSSocket).servername || '-'}`);
    res.end('ok');
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const bind = await freePort();
  const config = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
backend over_tls
    option httpchk
    http-check connect ssl sni hc.example
    http-check send meth GET uri /tls
    server s 127.0.0.1:${port} check verify none inter 1s rise 1 fall 1
backend plain_line
    option httpchk
    http-check connect
    http-check send meth GET uri /plain
    server s 127.0.0.1:${port} ssl verify none check inter 1s rise 1 fall 1
frontend fe
    bind 127.0.0.1:${bind}
    default_backend over_tls
`;
  try {
    const results = await underBoth(config, bind,
      () => { requests.length = 0; },
      (alerts) => requests.length >= 2 && alerts.some((l) => /^Server plain_line\/s is DOWN/.test(l)),
      () => ({ requests: requests.slice(0, 2) }));
    assert.deepEqual(results.haproxy!.requests, ['GET /tls sni=hc.example', 'GET /tls sni=hc.example']);
    assert.equal(results.haproxy!.down.length, 1, results.haproxy!.down.join('\n'));
    assert.deepEqual(results.loadstar, results.haproxy);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
