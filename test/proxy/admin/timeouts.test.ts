/** The admin server's limits on slow clients (server.ts ADMIN_TIMEOUTS), with short timeouts so the tests stay fast. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { fakeControl, adminWith, session } from './helpers.ts';
import { waitFor } from '../../helpers/net.ts';
import { ADMIN_TIMEOUTS } from '../../../proxy/admin/server.ts';

const short = { headersMs: 300, requestMs: 600, keepAliveMs: 300, checkIntervalMs: 50 };

/** A raw connection that records what it receives and when it is closed. */
function raw(port: number): { socket: net.Socket; received: () => string; closedAt: () => number | undefined } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  let closedAt: number | undefined;
  socket.on('error', () => {});
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('close', () => (closedAt = Date.now()));
  return { socket, received: () => text, closedAt: () => closedAt };
}

test('a head sent a header line at a time (slowloris) is answered 408 and closed at the head timeout', { timeout: 10_000 }, async () => {
  const admin = await adminWith({ control: fakeControl(), timeouts: short });
  const c = raw(admin.port);
  const started = Date.now();
  c.socket.write(`GET / HTTP/1.1\r\nHost: ${admin.host}\r\n`);
  const drip = setInterval(() => c.socket.writable && c.socket.write(`X-Drip-${Date.now()}: 1\r\n`), 50);
  try {
    await waitFor('the connection closed', () => c.closedAt() !== undefined, 3000);
    assert.match(c.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    const took = c.closedAt()! - started;
    assert.ok(took >= short.headersMs - 20 && took < 2000, `closed after ${took} ms`);
  } finally {
    clearInterval(drip);
    c.socket.destroy();
    await admin.close();
  }
});

test('a request body that stalls is answered 408 and closed at the request timeout; the method never runs', { timeout: 10_000 }, async () => {
  const control = fakeControl();
  const admin = await adminWith({ control, timeouts: short });
  const s = await session(admin);
  const c = raw(admin.port);
  const started = Date.now();
  const headers = Object.entries({ ...s.headers, host: admin.host, 'content-length': '100' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  c.socket.write(`POST /api/status HTTP/1.1\r\n${headers}\r\n{"args": [`);
  try {
    await waitFor('the connection closed', () => c.closedAt() !== undefined, 3000);
    assert.match(c.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    const took = c.closedAt()! - started;
    assert.ok(took >= short.requestMs - 20 && took < 2500, `closed after ${took} ms`);
    assert.deepEqual(control.calls, []);
  } finally {
    c.socket.destroy();
    await admin.close();
  }
});

test('an event stream outlives the request timeout, and a body sent steadily within it is served', { timeout: 10_000 }, async () => {
  const control = fakeControl();
  const admin = await adminWith({ control, timeouts: short, events: { heartbeatMs: 100 } });
  let body = '';
  let ended = false;
  const req = http.get({ host: '127.0.0.1', port: admin.port, path: '/api/events?topics=stats', headers: { host: admin.host }, agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    res.on('end', () => (ended = true));
  });
  req.on('error', () => {});
  try {
    await waitFor('the subscription', () => control.listeners === 1);
    await new Promise((resolve) => setTimeout(resolve, 3 * short.requestMs));
    control.emit('stats', { late: true });
    await waitFor('the late event', () => body.includes('"late":true'));
    assert.equal(ended, false);
    assert.equal(admin.streams.size, 1);

    // 120 bytes over ~400 ms: slower than a single write, quicker than the timeout.
    const s = await session(admin);
    const payload = JSON.stringify({ args: [] }).padEnd(120, ' ');
    const answer = await new Promise<number>((resolve, reject) => {
      const post = http.request({ host: '127.0.0.1', port: admin.port, method: 'POST', path: '/api/status', headers: { ...s.headers, host: admin.host, 'content-length': String(payload.length) }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      post.on('error', reject);
      let at = 0;
      const step = setInterval(() => {
        post.write(payload.slice(at, at + 30));
        at += 30;
        if (at >= payload.length) {
          clearInterval(step);
          post.end();
        }
      }, 100);
    });
    assert.equal(answer, 200);
  } finally {
    req.destroy();
    await admin.close();
  }
});

test('the defaults suit a local admin UI: a head in 10 s, a whole request in 60 s, idle keep-alive 5 s', async () => {
  assert.deepEqual(ADMIN_TIMEOUTS, { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 });
});
