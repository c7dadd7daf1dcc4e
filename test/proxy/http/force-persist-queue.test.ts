/**
 * `force-persist` and a full server side by side with HAProxy 2.6.12: a request a force-persist
 * rule holds for is never redispatched (HAProxy's SF_FORCE_PRST): when its server's queue is full
 * it gets a 503 even with `option redispatch`, and when that server goes down while the request
 * waits in its queue, it stays there (pendconn_redistribute skips it) and is served by that server
 * once a slot frees, or gets a 503 at `timeout queue`. Any request waiting in a server's own queue
 * is served by that server once a slot frees, even when it went down meanwhile (process_srv_queue).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { request, startNamedServer, type TestServer } from '../../helpers/net.ts';

/** An origin that answers its name after `ms`. */
function slowServer(name: string, ms: number): Promise<TestServer> {
  return startNamedServer(name, (req, res) => {
    req.resume();
    setTimeout(() => res.end(name), ms);
  });
}

/** A listen section with cookie persistence on s1 (slow: `a`) and s2 (`b`), the rules given, s1's options. */
function twoServers(port: number, c: { queue: string; rules: string[]; s1: string; a: { port: number }; b: { port: number } }): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout queue ${c.queue}
    timeout check 5s
listen l
    bind 127.0.0.1:${port}
    cookie SRV
${c.rules.map((r) => `    ${r}\n`).join('')}    server s1 127.0.0.1:${c.a.port} cookie s1 ${c.s1}
    server s2 127.0.0.1:${c.b.port} cookie s2
`;
}

const ask = async (port: number, headers: Record<string, string>): Promise<string> => {
  const r = await request(port, '/', { headers: { ...headers, connection: 'close' } });
  return `${r.status} ${r.status === 200 ? r.body : ''}`.trim();
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('force-persist with a full server queue: no redispatch even with option redispatch, a 503 instead, as in HAProxy', async (t) => {
  const a = await slowServer('a', 600);
  const b = await startNamedServer('b');
  const results: string[][] = [];
  try {
    await sideBySide(t, (port) => twoServers(port, { queue: '3s', rules: ['option redispatch', 'force-persist if { req.hdr(x-force) 1 }'], s1: 'maxconn 1 maxqueue 1', a, b }), async (port) => {
      const busy = ask(port, { cookie: 'SRV=s1' });
      await sleep(100);
      const waiting = ask(port, { cookie: 'SRV=s1' });
      await sleep(100);
      const unforced = await ask(port, { cookie: 'SRV=s1' });
      const forced = await ask(port, { cookie: 'SRV=s1', 'x-force': '1' });
      results.push([await busy, await waiting, unforced, forced]);
    });
  } finally {
    await a.close();
    await b.close();
  }
  t.diagnostic(JSON.stringify(results));
  for (const r of results) assert.deepEqual(r, ['200 a', '200 a', '200 b', '503']);
});

test('force-persist waiting in the queue of a server that goes down: it stays there with option redispatch and that server serves it, as in HAProxy', async (t) => {
  const a = await slowServer('a', 800);
  const b = await startNamedServer('b');
  const results: string[][] = [];
  try {
    await sideBySide(t, (port) => twoServers(port, { queue: '4s', rules: ['option redispatch', 'force-persist if { req.hdr(x-force) 1 }'], s1: `maxconn 1 check port ${port + 1} inter 100 fall 1 rise 1`, a, b }), async (port) => {
      // s1's check answers while this listener lives.
      const checked = net.createServer((s) => s.destroy());
      await new Promise<void>((r) => checked.listen(port + 1, '127.0.0.1', r));
      await sleep(400);
      const busy = ask(port, { cookie: 'SRV=s1' });
      await sleep(100);
      const forced = ask(port, { cookie: 'SRV=s1', 'x-force': '1' });
      const unforced = ask(port, { cookie: 'SRV=s1' });
      await sleep(100);
      checked.close();
      results.push([await busy, await forced, await unforced]);
    });
  } finally {
    await a.close();
    await b.close();
  }
  t.diagnostic(JSON.stringify(results));
  for (const r of results) assert.deepEqual(r, ['200 a', '200 a', '200 b']);
});

test('force-persist on a server in maintenance that is full: it waits in its queue and is served once a slot frees, as in HAProxy', async (t) => {
  const a = await slowServer('a', 500);
  const b = await startNamedServer('b');
  const results: string[][] = [];
  try {
    await sideBySide(t, (port) => twoServers(port, { queue: '3s', rules: ['option redispatch', 'force-persist if { always_true }'], s1: 'maxconn 1 disabled', a, b }), async (port) => {
      const first = ask(port, { cookie: 'SRV=s1' });
      await sleep(100);
      const second = ask(port, { cookie: 'SRV=s1' });
      results.push([await first, await second]);
    });
  } finally {
    await a.close();
    await b.close();
  }
  t.diagnostic(JSON.stringify(results));
  for (const r of results) assert.deepEqual(r, ['200 a', '200 a']);
});

test('a request waiting in the queue of a server that goes down (no redispatch) is served by that server once a slot frees, as in HAProxy', async (t) => {
  const a = await slowServer('a', 800);
  const b = await startNamedServer('b');
  const results: string[][] = [];
  try {
    await sideBySide(t, (port) => twoServers(port, { queue: '4s', rules: [], s1: `maxconn 1 check port ${port + 1} inter 100 fall 1 rise 1`, a, b }), async (port) => {
      const checked = net.createServer((s) => s.destroy());
      await new Promise<void>((r) => checked.listen(port + 1, '127.0.0.1', r));
      await sleep(400);
      const started = Date.now();
      const busy = ask(port, { cookie: 'SRV=s1' });
      await sleep(100);
      // Served when the busy one ends (about 1.6 s in), not at `timeout queue` (4 s).
      const queued = ask(port, { cookie: 'SRV=s1' }).then((s) => `${s}${Date.now() - started < 3000 ? '' : ' late'}`);
      await sleep(100);
      checked.close();
      results.push([await busy, await queued]);
    });
  } finally {
    await a.close();
    await b.close();
  }
  t.diagnostic(JSON.stringify(results));
  for (const r of results) assert.deepEqual(r, ['200 a', '200 a']);
});
