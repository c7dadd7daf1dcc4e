/**
 * TLS towards servers as HAProxy 2.6 does it: the server's last TLS session is offered on the next
 * connection (ssl_bc_is_resumed), not with `no-ssl-reuse`; and the bc_* / ssl_bc_* fetches read the
 * stream's server connection, in http-response rules and in log-format lines, in HTTP and TCP mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import type net from 'node:net';
import { startEngine, freePort, rawExchange, startNamedServer, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';

const pem = () => fs.readFileSync(certPath('site.pem'));

/** An HTTPS origin that answers 200 and counts the handshakes it resumed. */
async function httpsOrigin(): Promise<{ port: number; resumed: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let resumed = 0;
  const server = https.createServer({ cert: pem(), key: pem() }, (_req, res) => {
    res.setHeader('connection', 'close');
    res.end('ok');
  });
  server.on('secureConnection', (s: tls.TLSSocket) => { if (s.isSessionReused()) resumed++; });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    resumed: () => resumed,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

type Impl = 'haproxy' | 'loadstar';

async function run(impl: Impl, config: string, port: number, steps: () => Promise<string[]>, logLines: number): Promise<{ answers: string[]; logs: string[] }> {
  if (impl === 'haproxy') {
    const h = await startHaproxy(config, port);
    try {
      const answers = await steps();
      const lines = () => h.output().split('\n').filter((l) => l.startsWith('bc:'));
      await waitFor('haproxy log lines', () => lines().length >= logLines);
      return { answers, logs: lines() };
    } finally {
      await h.stop();
    }
  }
  const e = await startEngine(config);
  try {
    const answers = await steps();
    const lines = () => e.logs.filter((l) => l.startsWith('bc:'));
    await waitFor('loadstar log lines', () => lines().length >= logLines);
    return { answers, logs: lines() };
  } finally {
    await e.stop();
  }
}

const LOG = 'bc:%[bc_http_major] ssl=%[ssl_bc] %[ssl_bc_protocol] alpn=%[ssl_bc_alpn] resumed=%[ssl_bc_is_resumed] err=%[bc_err]/%[ssl_bc_err]/%[bc_err_str] dst=%[bc_dst]:%[bc_dst_port] src=%[bc_src] %[ssl_bc_alg_keysize] %b';

test('HTTP: the second TLS connection to a server resumes the first one\'s session (not with no-ssl-reuse), and bc_* / ssl_bc_* say so, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const reusing = await httpsOrigin();
  const notReusing = await httpsOrigin();
  const plain = await startNamedServer('plain');
  const port = await freePort();
  const config = `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-format "${LOG}"
    http-response set-header x-bc "%[ssl_bc] %[ssl_bc_protocol] %[ssl_bc_is_resumed] %[bc_dst_port]"
    use_backend noreuse if { path_beg /noreuse }
    use_backend plain if { path_beg /plain }
    default_backend tls
backend tls
    http-reuse never
    server s 127.0.0.1:${reusing.port} ssl verify none alpn http/1.1
backend noreuse
    http-reuse never
    server s 127.0.0.1:${notReusing.port} ssl verify none no-ssl-reuse
backend plain
    server p 127.0.0.1:${plain.port}
`;
  const steps = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const path of ['/a', '/b', '/c', '/noreuse/a', '/noreuse/b', '/plain/a']) {
      const raw = await rawExchange(port, `GET ${path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n`);
      out.push(`${path} ${raw.split('\r\n')[0]} | ${/\r\nx-bc: ([^\r]*)/i.exec(raw)?.[1] ?? '-'}`);
    }
    return out;
  };
  const names = (text: string) => text
    .replaceAll(String(reusing.port), '<tls>').replaceAll(String(notReusing.port), '<noreuse>').replaceAll(String(plain.port), '<plain>');
  try {
    const seen: Record<string, { answers: string[]; logs: string[]; resumed: number[] }> = {};
    for (const impl of ['haproxy', 'loadstar'] as const) {
      const before = [reusing.resumed(), notReusing.resumed()];
      const r = await run(impl, config, port, steps, 6);
      // haproxy's readiness probe connection is logged too (it carries no request): not part of the comparison.
      seen[impl] = { answers: r.answers.map(names), logs: r.logs.map(names).filter((x) => !x.endsWith(' fe')), resumed: [reusing.resumed() - before[0]!, notReusing.resumed() - before[1]!] };
    }
    // HAProxy 2.6.12 offers a server's session from the connection after the one that got it: the first
    // resumed handshake is the 3rd here (its new-session callback stores what the 2nd handshake made).
    // Loadstar resumes from the 2nd. Both resume later connections, and neither with no-ssl-reuse.
    const h = seen.haproxy!;
    const l = seen.loadstar!;
    assert.ok(h.resumed[0]! >= 1 && l.resumed[0]! >= h.resumed[0]!, JSON.stringify([h.resumed, l.resumed]));
    assert.equal(h.resumed[1], 0);
    assert.equal(l.resumed[1], 0);
    const sameResumed = (lines: string[]) => lines.map((x) => x.replace(/^(\/[a-z]+ HTTP\/1\.1 200 OK \| 1 TLSv1\.3) [01]/, '$1 R').replace(/resumed=[01] (.*tls)$/, 'resumed=R $1'));
    assert.equal(h.answers[2], '/c HTTP/1.1 200 OK | 1 TLSv1.3 1 <tls>');
    assert.equal(l.answers[2], h.answers[2]);
    assert.equal(h.answers[4], '/noreuse/b HTTP/1.1 200 OK | 1 TLSv1.3 0 <noreuse>');
    assert.equal(h.answers[5], '/plain/a HTTP/1.1 200 OK | 0  0 <plain>', 'an empty fetch is an empty string in a header');
    assert.deepEqual(sameResumed(l.answers), sameResumed(h.answers));
    assert.deepEqual(sameResumed(l.logs), sameResumed(h.logs));
  } finally {
    await reusing.close();
    await notReusing.close();
    await plain.close();
  }
});

test('TCP: an ssl server\'s sessions are resumed, and a log-format reads bc_* / ssl_bc_*, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = await httpsOrigin();
  const port = await freePort();
  const config = `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-format "${LOG}"
    default_backend tls
backend tls
    server s 127.0.0.1:${origin.port} ssl verify none
`;
  const steps = async (): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < 3; i++) out.push((await rawExchange(port, 'GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n')).split('\r\n')[0]!);
    return out;
  };
  try {
    const seen: Record<string, { answers: string[]; logs: string[]; resumed: number }> = {};
    for (const impl of ['haproxy', 'loadstar'] as const) {
      const before = origin.resumed();
      const r = await run(impl, config, port, steps, 3);
      seen[impl] = { answers: r.answers, logs: r.logs.map((l) => l.replaceAll(String(origin.port), '<tls>')), resumed: origin.resumed() - before };
    }
    const h = seen.haproxy!;
    const l = seen.loadstar!;
    assert.ok(h.resumed >= 1 && l.resumed >= h.resumed, JSON.stringify([h.resumed, l.resumed]));
    const sameResumed = (lines: string[]) => lines.map((x) => x.replace(/resumed=[01]/, 'resumed=R'));
    assert.equal(h.logs.at(-1), 'bc:- ssl=1 TLSv1.3 alpn=- resumed=1 err=0/0/Success dst=127.0.0.1:<tls> src=127.0.0.1 256 tls');
    assert.equal(l.logs.at(-1), h.logs.at(-1));
    assert.deepEqual(l.answers, h.answers);
    assert.deepEqual(sameResumed(l.logs), sameResumed(h.logs).slice(-l.logs.length));
  } finally {
    await origin.close();
  }
});
