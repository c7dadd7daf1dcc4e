/**
 * `tcp-request content set-log-level` side by side with HAProxy 2.6.12: in TCP mode the
 * connection's log line goes at the level set, or not at all (`silent`); in HTTP mode the
 * request's, as http-request set-log-level (which a later rule may change again).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { startRawServer } from '../../helpers/net.ts';
import dgram from 'node:dgram';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { echoServer } from '../http/lib/echo-server.ts';

/** A syslog server on loopback: the datagrams it got (format short: `<PRI>message`). */
async function syslogServer(): Promise<{ port: number; got: string[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString('latin1').replace(/\n$/, '')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, got, close: () => socket.close() };
}

async function settle(got: string[], n: number): Promise<string[]> {
  for (let i = 0; i < 100 && got.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  return got.splice(0);
}

/** The global and defaults lines of these tests: lines go to `syslog` in format short (`<PRI>message`). */
const logHead = (syslog: number, mode: 'tcp' | 'http', logFormat: string, comment = ''): string => `global
    log 127.0.0.1:${syslog} format short local0
defaults
    mode ${mode}
    log global
${comment}    log-format "${logFormat}"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

/**
 * Through Loadstar then haproxy (configured for a syslog server and `origin`): `drive` sends its
 * requests, then the lines logged after the probe connection's must be `expected`.
 */
async function assertLogged(t: TestContext, origin: { port: number; close(): Promise<void> }, config: (syslog: number, origin: number) => (port: number) => string, drive: (port: number) => Promise<void>, expected: string[]): Promise<void> {
  const syslog = await syslogServer();
  try {
    await sideBySide(t, config(syslog.port, origin.port), async (port) => {
      await settle(syslog.got, 1); // the probe connection's line
      await drive(port);
      assert.deepEqual(await settle(syslog.got, expected.length), expected);
    });
  } finally {
    syslog.close();
    await origin.close();
  }
}

const tcpConfig = (syslog: number, origin: number) => (port: number): string => `${logHead(syslog, 'tcp', '%ci %b')}listen tcp_in
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content set-log-level silent if { req.payload(0,5) -m str quiet }
    tcp-request content set-log-level err if { req.payload(0,3) -m str err }
    server s1 127.0.0.1:${origin}
`;

function send(port: number, data: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    s.on('error', () => resolve('error'));
    s.on('close', () => resolve(got));
  });
}

test('tcp-request content set-log-level in TCP mode: silent drops the connection\'s line, a level changes its priority, as in HAProxy', async (t) => {
  const origin = await startRawServer((s) => s.once('data', () => s.end('ok')));
  // Recorded from haproxy 2.6.12 (format short: the level alone, err <3>, info <6>); the silent one is not logged.
  await assertLogged(t, origin, tcpConfig, async (port) => {
    assert.deepEqual([await send(port, 'quiet'), await send(port, 'err'), await send(port, 'plain')], ['ok', 'ok', 'ok']);
  }, ['<3>127.0.0.1 tcp_in', '<6>127.0.0.1 tcp_in']);
});

const httpConfig = (syslog: number, origin: number) => (port: number): string => `${logHead(syslog, 'http', '%HP %ST')}frontend web
    bind 127.0.0.1:${port}
    tcp-request content set-log-level silent if { path /quiet }
    tcp-request content set-log-level err if { path /err }
    http-request set-log-level notice if { path /err } { req.hdr(x-notice) -m found }
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

test('tcp-request content set-log-level in HTTP mode sets the request\'s level, and a later http-request set-log-level changes it, as in HAProxy', async (t) => {
  const origin = await echoServer();
  // err <3>, notice <5>, info <6>; the silent one is not logged.
  await assertLogged(t, origin, httpConfig, async (port) => {
    assert.deepEqual([await get(port, '/quiet'), await get(port, '/err'), await get(port, '/err', { 'x-notice': '1' }), await get(port, '/plain')], [200, 200, 200, 200]);
  }, ['<3>/err 200', '<5>/err 200', '<6>/plain 200']);
});

const tcpResponseConfig = (syslog: number, origin: number) => (port: number): string => `${logHead(syslog, 'tcp', '%ci %b %B', `    # With %B (LW_BYTES) the line waits for the end of the session; without, haproxy 2.6 writes it
    # as soon as the server connection is up, before any tcp-response rule (back_establish).
`)}listen tcp_in
    bind 127.0.0.1:${port}
    tcp-response inspect-delay 1s
    tcp-response content set-log-level silent if { res.payload(0,5) -m str quiet }
    tcp-response content set-log-level err if { res.payload(0,3) -m str err }
    server s1 127.0.0.1:${origin}
`;

test('tcp-response content set-log-level in TCP mode: silent drops the connection\'s line, a level changes its priority, as in HAProxy', async (t) => {
  // The origin answers what it was sent.
  const origin = await startRawServer((s) => s.once('data', (d: Buffer) => s.end(d)));
  // Recorded from haproxy 2.6.12 (err <3>, info <6>); the silent one is not logged.
  await assertLogged(t, origin, tcpResponseConfig, async (port) => {
    assert.deepEqual([await send(port, 'quiet'), await send(port, 'err'), await send(port, 'plain')], ['quiet', 'err', 'plain']);
  }, ['<3>127.0.0.1 tcp_in 3', '<6>127.0.0.1 tcp_in 5']);
});

const httpResponseConfig = (syslog: number, origin: number) => (port: number): string => `${logHead(syslog, 'http', '%HP %ST')}frontend web
    bind 127.0.0.1:${port}
    http-request set-var(txn.path) path
    default_backend app
backend app
    tcp-response content set-log-level silent if { var(txn.path) -m str /quiet }
    tcp-response content set-log-level err if { var(txn.path) -m str /err }
    http-response set-log-level notice if { var(txn.path) -m str /err } { res.hdr(x-notice) -m found }
    server s1 127.0.0.1:${origin}
`;

test('tcp-response content set-log-level in an HTTP backend sets the exchange\'s level, and a later http-response set-log-level changes it, as in HAProxy', async (t) => {
  const origin = await startRawServer((s) => {
    s.on('error', () => {});
    let buffered = '';
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const notice = /x-notice/i.test(head) ? 'x-notice: 1\r\n' : '';
        s.write(`HTTP/1.1 200 OK\r\n${notice}content-length: 0\r\n\r\n`);
      }
    });
  });
  // Recorded from haproxy 2.6.12: err <3>, notice <5>, info <6>; the silent one is not logged.
  await assertLogged(t, origin, httpResponseConfig, async (port) => {
    assert.deepEqual([await get(port, '/quiet'), await get(port, '/err'), await get(port, '/err', { 'x-notice': '1' }), await get(port, '/plain')], [200, 200, 200, 200]);
  }, ['<3>/err 200', '<5>/err 200', '<6>/plain 200']);
});
