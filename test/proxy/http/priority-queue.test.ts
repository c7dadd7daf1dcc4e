/**
 * set-priority-class and set-priority-offset (http-request, tcp-request content) side by side with
 * HAProxy 2.6.12: a server at maxconn 1 serves the requests waiting in the queue by class (lower
 * first), then by the time they queued plus their offset in ms (queue.c), and prio_class /
 * prio_offset read what the rules set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { startRawServer } from '../../helpers/net.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An origin that holds its first request until released and records what reaches it, in order. */
async function holdingOrigin() {
  const seen: string[] = [];
  let release: () => void = () => {};
  let first = true;
  const server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers['x-prio'] ?? ''}`);
    if (first) {
      first = false;
      release = () => res.end('ok');
    } else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    release: () => release(),
    reset: () => { seen.length = 0; first = true; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

const httpConfig = (origin: number) => (port: number): string => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout queue 5s
frontend web
    bind 127.0.0.1:${port}
    http-request set-priority-class url_param(c) if { url_param(c) -m found }
    http-request set-priority-offset url_param(o) if { url_param(o) -m found }
    http-request set-priority-class int(5000) if { path /clamped }
    http-request set-priority-offset int(-9999999) if { path /clamped }
    http-request set-header x-prio "%[prio_class] %[prio_offset]"
    default_backend app
backend app
    server s1 127.0.0.1:${origin} maxconn 1
`;

test('http-request set-priority-class / set-priority-offset order a full server\'s queue by class, then time plus offset, as in HAProxy', async (t) => {
  const origin = await holdingOrigin();
  try {
    await sideBySide(t, httpConfig(origin.port), async (port) => {
      origin.reset();
      const answers: Array<Promise<number>> = [get(port, '/first')];
      await sleep(100);
      for (const path of ['/a', '/b?c=1', '/c?c=-1', '/d?o=-1000', '/e?c=1&o=-500', '/clamped', '/f?c=-1&o=20']) {
        answers.push(get(port, path));
        await sleep(40);
      }
      await sleep(150);
      origin.release();
      assert.deepEqual(await Promise.all(answers), [200, 200, 200, 200, 200, 200, 200, 200]);
      // Recorded from haproxy 2.6.12.
      assert.deepEqual(origin.seen, [
        '/first 0 0',
        '/c?c=-1 -1 0',
        '/f?c=-1&o=20 -1 20',
        '/d?o=-1000 0 -1000',
        '/a 0 0',
        '/e?c=1&o=-500 1 -500',
        '/b?c=1 1 0',
        '/clamped 2047 -524287',
      ]);
    });
  } finally {
    await origin.close();
  }
});

const tcpConfig = (origin: number) => (port: number): string => `defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout queue 5s
listen tcp_in
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 1s
    tcp-request content set-priority-class req.payload(0,1),hex2i if { req.len ge 1 }
    tcp-request content set-var(sess.p) prio_class
    server s1 127.0.0.1:${origin} maxconn 1
`;

test('tcp-request content set-priority-class orders a TCP backend\'s queue, as in HAProxy', async (t) => {
  const seen: string[] = [];
  let release: () => void = () => {};
  const origin = await startRawServer((s) => {
    s.once('data', (d: Buffer) => {
      seen.push(d.toString('latin1'));
      if (seen.length === 1) release = () => s.end('done');
      else s.end('done');
    });
  });
  /** One connection sending `data`: what came back. */
  const send = (port: number, data: string) => new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    s.on('error', () => resolve('error'));
    s.on('close', () => resolve(got));
  });
  try {
    await sideBySide(t, tcpConfig(origin.port), async (port) => {
      seen.length = 0;
      const answers = [send(port, '0first')];
      await sleep(100);
      for (const data of ['5five', '1one', '3three', '1again']) {
        answers.push(send(port, data));
        await sleep(40);
      }
      await sleep(150);
      release();
      assert.deepEqual(await Promise.all(answers), ['done', 'done', 'done', 'done', 'done']);
      assert.deepEqual(seen, ['0first', '1one', '1again', '3three', '5five']);
    });
  } finally {
    await origin.close();
  }
});
