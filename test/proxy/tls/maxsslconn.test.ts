/**
 * Global `maxsslconn` (proxy/tls/ssl-conns.ts), side by side with haproxy 2.6.12: TLS endpoints
 * of both sides count; at the limit a TLS client connection gets no handshake (a plain listener
 * is served), a freed slot takes the next one, and a request needing a new TLS server connection
 * gets a 500 logged IC, not retried. `show info` reports the limit and the open endpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { freePort } from '../../helpers/net.ts';
import { certPath } from '../../helpers/tls.ts';
import { cli, readCsv, row, until } from '../stats/helpers.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

function field(text: string, name: string): string {
  return text.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? `(no ${name})`;
}

function handshake(port: number): { socket: tls.TLSSocket; outcome: Promise<string> } {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  const outcome = new Promise<string>((resolve) => {
    socket.once('secureConnect', () => resolve('secured'));
    socket.once('error', () => resolve('closed'));
    socket.once('close', () => resolve('closed'));
    setTimeout(() => resolve('pending'), 700).unref();
  });
  return { socket, outcome };
}

function get(port: number, p: string): Promise<string> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim().split('\n')[0]}`));
    }).on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
  });
}

test('maxsslconn parses as haproxy 2.6.12 reads it', () => {
  const parse = (v: string) => parseConfig([{ name: 't.cfg', text: `global\n    maxsslconn ${v}\n` }]);
  assert.equal(parse('25').config.global.maxSslConn, 25);
  assert.equal(parse('0').config.global.maxSslConn, 0);
  // atoi(): a word reads as 0 (no limit), "12x" as 12 — accepted, with a warning here.
  const word = parse('abc');
  assert.ok(word.ok);
  assert.equal(word.config.global.maxSslConn, 0);
  assert.ok(word.diagnostics.some((d) => d.severity === 'warning'));
  assert.equal(parse('12x').config.global.maxSslConn, 12);
  const messages = (v: string) => parse(v).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
  assert.deepEqual(messages(''), [`'maxsslconn' expects an integer argument.`]);
  assert.deepEqual(messages('5 6'), [`'maxsslconn' cannot handle unexpected argument '6'.`]);
  assert.deepEqual(messages('-1'), [`'maxsslconn' expects a positive numeric value.`]);
});

test('maxsslconn 1 as haproxy 2.6.12: a second TLS client gets no handshake, a plain one is served, a freed slot takes the next', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maxsslconn-'));
  const plainPorts = [await freePort(), await freePort()];
  let configured = 0;
  let runs = 0;
  try {
    await sideBySide(t, (port) => `global
    maxsslconn 1
    stats socket ${path.join(dir, `s${configured}.sock`)} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}
    bind 127.0.0.1:${plainPorts[configured++]}
    http-request return status 200 content-type text/plain string ok
`, async (port) => {
      const run = runs++;
      const sock = path.join(dir, `s${run}.sock`);
      const first = handshake(port);
      assert.equal(await first.outcome, 'secured');
      const second = handshake(port);
      try {
        assert.equal(await get(plainPorts[run]!, '/'), '200 ok', 'the plain listener is not limited');
        const outcome = await second.outcome;
        assert.notEqual(outcome, 'secured', 'no handshake over the limit');
        // HAProxy 2.6.12 leaves that connection open, unserved (a leak); Loadstar closes it.
        if (run === 0) assert.equal(outcome, 'closed');
        const info = await cli(sock, 'show info');
        assert.equal(field(info, 'MaxSslConns'), '1');
        assert.equal(field(info, 'CurrSslConns'), '1');
        first.socket.destroy();
        await until('CurrSslConns 0', async () => field(await cli(sock, 'show info'), 'CurrSslConns') === '0', 5000);
        // HAProxy pauses the TLS listener up to 100 ms after the refusal.
        await new Promise((r) => setTimeout(r, 200));
        const third = handshake(port);
        assert.equal(await third.outcome, 'secured', 'a freed slot takes the next connection');
        third.socket.destroy();
      } finally {
        first.socket.destroy();
        second.socket.destroy();
      }
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('maxsslconn 1 as haproxy 2.6.12: a request needing a second TLS server connection gets a 500, logged IC with %Tc -1, not retried', { timeout: 60_000 }, async (t) => {
  const pem = fs.readFileSync(certPath('site.pem'), 'utf8');
  let accepted = 0;
  const origin = https.createServer({ key: pem, cert: pem }, (req, res) => setTimeout(() => res.end(`hi ${req.url}`), 600));
  origin.on('secureConnection', () => accepted++);
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as AddressInfo).port;
  try {
    await sideBySide(t, (port) => `global
    maxsslconn 1
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 5s
    log stdout format raw local0
    log-format "%ST %tsc %Tc %rc %b/%s %r"
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    retries 3
    server s 127.0.0.1:${originPort} ssl verify none
`, async (port, proxy) => {
      const before = accepted;
      const a = get(port, '/a');
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await get(port, '/b'), '500 <html><body><h1>500 Internal Server Error</h1>');
      assert.equal(await a, '200 hi /a');
      assert.equal(accepted - before, 1, 'one TLS connection to the server');
      await until('two log lines', () => proxy.logs().length >= 2, 3000);
      assert.deepEqual(proxy.logs().filter((l) => l.startsWith('500')), ['500 IC-- -1 0 b/s GET /b HTTP/1.1']);
    });
  } finally {
    origin.closeAllConnections();
    origin.close();
  }
});

test('maxsslconn 1 as haproxy 2.6.12: TLS health checks take a slot too, and one at the limit fails "Layer7 timeout", "Too many SSL connections"', { timeout: 60_000 }, async (t) => {
  const pem = fs.readFileSync(certPath('site.pem'), 'utf8');
  const origin = tls.createServer({ key: pem, cert: pem }, (s) => {
    s.on('data', (d: Buffer) => s.write(`echo:${d}`));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maxsslconn-'));
  let configured = 0;
  let runs = 0;
  const server = async (sock: string): Promise<Record<string, string>> => {
    const rows = readCsv(await cli(sock, 'show stat'));
    return row(rows, 'db', 's');
  };
  try {
    await sideBySide(t, (port) => `global
    maxsslconn 1
    stats socket ${path.join(dir, `s${configured++}.sock`)} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 20s
    timeout server 20s
    timeout check 1s
listen db
    bind 127.0.0.1:${port}
    server s 127.0.0.1:${originPort} ssl verify none check inter 1s fall 2 rise 1
`, async (port) => {
      const sock = path.join(dir, `s${runs++}.sock`);
      // Checks alone: each one's TLS connection is counted, and given back once it closed.
      await until('three checks counted', async () => Number(field(await cli(sock, 'show info'), 'CumSslConns')) >= 3, 10_000);
      await until('no check connection open', async () => field(await cli(sock, 'show info'), 'CurrSslConns') === '0', 5000);
      assert.equal((await server(sock)).check_status, 'L6OK');
      // A session holds the one slot: the checks fail until it closes. (It may find a check holding
      // the slot, and end IC: then the next one.)
      let session: net.Socket | undefined;
      try {
        // On a loaded machine a check's handshake holds the slot most of the time: keep trying for a while.
        for (const deadline = Date.now() + 15_000; !session && Date.now() < deadline;) {
          const s = net.connect(port, '127.0.0.1');
          const echoed = await new Promise<string>((resolve) => {
            s.once('data', (d: Buffer) => resolve(String(d)));
            s.on('error', () => resolve('error'));
            s.on('close', () => resolve('closed'));
            s.write('hello');
          });
          if (echoed === 'echo:hello') session = s;
          else {
            s.destroy();
            await new Promise((r) => setTimeout(r, 30));
          }
        }
        assert.ok(session, 'a session got the slot');
        await until('the server DOWN', async () => (await server(sock)).status === 'DOWN', 10_000);
        const down = await server(sock);
        assert.deepEqual([down.check_status, down.check_desc, down.last_chk], ['L7TOUT', 'Layer7 timeout', 'Too many SSL connections']);
      } finally {
        session?.destroy();
      }
      // A check passes once a handshake fits in `timeout check`: on a loaded machine that can take several.
      await until('the server UP again', async () => (await server(sock)).status === 'UP', 15_000);
    });
  } finally {
    origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
