/**
 * A client that resets its connection (RST, as a closed browser tab may) in the middle of an
 * exchange, compared with haproxy 2.6.12 on the same cases: after its request went to the server,
 * HAProxy waits for the server's answer, even with `option abortonclose`, and logs its status with
 * CD; in the middle of the response or of the request body it ends the exchange there, CD. Before,
 * Loadstar ended all three at once and logged them `-1 cD` (a client timeout's flags).
 * Recorded from haproxy 2.6.12 with `option httplog` (without it, haproxy 2.6.12 logs the two
 * answered cases `----`: not copied); replayed against it when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, loggedHttpHead, startHaproxy } from '../../helpers/haproxy.ts';

interface Origin {
  port: number;
  /** Resolves when the origin has the request's head. */
  requested(path: string): Promise<void>;
  /** The slow answer goes out (the client has reset by then). */
  answerSlow(): void;
  close(): Promise<void>;
}

async function startOrigin(): Promise<Origin> {
  const waiting = new Map<string, () => void>();
  const arrived = new Set<string>();
  let slow: http.ServerResponse | undefined;
  const server = http.createServer((req, res) => {
    const path = req.url ?? '';
    arrived.add(path);
    waiting.get(path)?.();
    req.resume();
    if (path === '/slow') slow = res;
    else if (path === '/stream') {
      // A long answer, a piece at a time: the client resets after the first.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(1 << 24) });
      const timer = setInterval(() => res.write('x'.repeat(1000)), 20);
      res.on('close', () => clearInterval(timer));
    }
    // '/upload' is never answered: its body never ends.
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    requested: (path) => (arrived.has(path) ? Promise.resolve() : new Promise((resolve) => waiting.set(path, resolve))),
    answerSlow: () => {
      slow?.end('late');
      arrived.delete('/slow');
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const site = (port: number, origin: number): string => `${loggedHttpHead()}frontend web
    bind 127.0.0.1:${port}
    option httplog
    use_backend careful if { path /slow-abortonclose }
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
backend careful
    option abortonclose
    http-request set-path /slow
    server s1 127.0.0.1:${origin}
`;

/** Sends `request`, waits for `ready`, then resets the connection. */
async function resetAfter(port: number, request: string, ready: (got: () => number) => Promise<void>): Promise<void> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  let received = 0;
  s.on('data', (d: Buffer) => (received += d.length));
  await once(s, 'connect');
  s.write(request);
  await ready(() => received);
  s.resetAndDestroy();
}

/** Status, termination state, backend/server and path of each request's `option httplog` line. */
function summary(lines: readonly string[]): string[] {
  return lines.filter((l) => / "(GET|POST) \/.* HTTP\/1\.1"$/.test(l)).map((l) => {
    const f = l.split(' ');
    return `${f[5]} ${f[9]} ${f[3]} ${f[f.length - 2]}`;
  });
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

const EXPECTED = [
  '200 CD-- app/s1 /slow',
  '200 CD-- careful/s1 /slow-abortonclose',
  '200 CD-- app/s1 /stream',
  '-1 CD-- app/s1 /upload',
];

/** The four resets, one at a time; returns the log lines. */
async function run(port: number, origin: Origin, logged: () => string[]): Promise<string[]> {
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;
  for (const [i, path] of ['/slow', '/slow-abortonclose'].entries()) {
    await resetAfter(port, get(path), () => origin.requested('/slow'));
    // The proxy notices the reset (nothing to observe from outside) before the answer comes.
    await new Promise((r) => setTimeout(r, 200));
    origin.answerSlow();
    await waitFor(() => logged().length > i);
  }
  await resetAfter(port, get('/stream'), (got) => waitFor(() => got() > 0));
  await waitFor(() => logged().length > 2);
  await resetAfter(port, 'POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc', () => origin.requested('/upload'));
  await waitFor(() => logged().length > 3);
  return logged();
}

test('a client reset after its request went out, in the response or in its body: logged as HAProxy 2.6 logs it', async (t) => {
  const origin = await startOrigin();
  try {
    const port = await freePort();
    const e = await startEngine(site(port, origin.port));
    try {
      assert.deepEqual(await run(port, origin, () => summary(e.logs)), EXPECTED);
    } finally {
      await e.stop();
    }
  } finally {
    await origin.close();
  }
  if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded lines only');
  const again = await startOrigin();
  const hport = await freePort();
  const h = await startHaproxy(site(hport, again.port), hport);
  try {
    assert.deepEqual(await run(hport, again, () => summary(h.output().split('\n'))), EXPECTED);
  } finally {
    await h.stop();
    await again.close();
  }
});
