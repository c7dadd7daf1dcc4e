/**
 * A keep-alive connection that waits idle gives its llhttp parser back to the pool
 * (client.ts, IdleSweep: after 100–200 ms) and takes one again on its next bytes.
 * What the client sees must not change: these tests wait past the sweep, then send
 * the next request in the ways that exercise the first read after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';

const PAST_SWEEP_MS = 350;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function engineWith(lines: string, serverPort: number) {
  return startEngine(`
defaults
    mode http
    timeout connect 1s
    timeout server 5s
    timeout client 5s
${lines}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${serverPort}
`);
}

/** A raw client connection that collects everything it reads. */
async function client(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  socket.on('close', () => { closed = true; });
  socket.on('error', () => {});
  const responses = () => text.match(/HTTP\/1\.1 \d{3} /g) ?? [];
  return {
    socket,
    get text() { return text; },
    get closed() { return closed; },
    responses,
    async until(n: number, ms = 3000) {
      for (const end = Date.now() + ms; responses().length < n && !closed && Date.now() < end;) await sleep(10);
      return responses();
    },
  };
}

test('after an idle wait, requests are served: one, pipelined, a head split across reads, a body', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith('', app.port);
  try {
    const c = await client(e.port);
    c.socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await c.until(1)).length, 1);
    await sleep(PAST_SWEEP_MS);
    c.socket.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await c.until(2)).length, 2, JSON.stringify({ text: c.text, closed: c.closed, alerts: e.alerts }));
    await sleep(PAST_SWEEP_MS);
    // Two requests in the first read after the wait: both answered, in order.
    c.socket.write('GET /3 HTTP/1.1\r\nHost: x\r\n\r\nGET /4 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await c.until(4)).length, 4);
    await sleep(PAST_SWEEP_MS);
    // The head split: the first part re-attaches a parser, the rest comes to it natively.
    c.socket.write('GET /5 HTTP/1.1\r\nHo');
    await sleep(50);
    c.socket.write('st: x\r\n\r\n');
    assert.equal((await c.until(5)).length, 5);
    await sleep(PAST_SWEEP_MS);
    c.socket.write('POST /6 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel');
    await sleep(50);
    c.socket.write('lo');
    assert.equal((await c.until(6)).length, 6);
    const urls = [...c.text.matchAll(/x-seen-url: (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['/1', '/2', '/3', '/4', '/5', '/6']);
    assert.equal(c.closed, false);
    c.socket.destroy();
    assert.deepEqual(e.alerts, []);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('after an idle wait: a partial head still gets 408 at timeout http-request, garbage still gets 400', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith('    timeout http-request 300ms\n    timeout http-keep-alive 5s', app.port);
  try {
    const slow = await client(e.port);
    slow.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await slow.until(1);
    await sleep(PAST_SWEEP_MS);
    slow.socket.write('GET / HTTP/1.1\r\nHo');
    const started = Date.now();
    await slow.until(2);
    assert.match(slow.text, /HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started >= 250, `408 after ${Date.now() - started} ms`);

    const bad = await client(e.port);
    bad.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await bad.until(1);
    await sleep(PAST_SWEEP_MS);
    bad.socket.write('GET /\r\n');
    await bad.until(2);
    assert.match(bad.text, /HTTP\/1\.1 400 /);
    assert.deepEqual(e.alerts, []);
  } finally {
    await e.stop();
    await app.close();
  }
});

test('a connection closed by the client while it waits without a parser is released', async () => {
  const app = await startNamedServer('app');
  const e = await engineWith('', app.port);
  try {
    const frontend = (e.engine as unknown as { tables: { frontends: Map<string, { active: number }> } }).tables.frontends.get('web')!;
    const c = await client(e.port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.until(1);
    await sleep(PAST_SWEEP_MS);
    assert.equal(frontend.active, 1);
    c.socket.end();
    for (let i = 0; i < 100 && !c.closed; i++) await sleep(10);
    assert.equal(c.closed, true);
    for (let i = 0; i < 100 && frontend.active > 0; i++) await sleep(10);
    assert.equal(frontend.active, 0);
    assert.deepEqual(e.alerts, []);
  } finally {
    await e.stop();
    await app.close();
  }
});
