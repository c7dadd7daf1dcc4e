/**
 * ServerPool on its own: which idle connection each kind of request takes (HAProxy 2.6's
 * connect_server table), that a connection is reused only for the same SNI, and which connections
 * are kept idle after their exchange (srv_add_to_idle_list). The same rules end to end, compared
 * with real HAProxy, are in http-reuse.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ServerPool, connectUpstream } from '../../../proxy/http/upstream.ts';
import type { UpstreamConnection } from '../../../proxy/http/upstream.ts';
import type { RuntimeServer } from '../../../proxy/runtime/server.ts';

function conn(name: string, sni?: string): UpstreamConnection {
  return { name, sni, dead: false, socket: { destroyed: false }, parkedIn: undefined, setInactivityTimeout() {} } as unknown as UpstreamConnection;
}
/** A configured server (not one `add server` made, which keeps no idle connection) with these fields. */
function configured(fields: Partial<RuntimeServer> = {}): RuntimeServer {
  return { config: { options: {} }, ...fields } as unknown as RuntimeServer;
}
const nameOf = (c: UpstreamConnection | undefined): string => (c as unknown as { name: string } | undefined)?.name ?? 'none';

/** A pool holding `fresh` (served one request) and `safe` (served several) idle connections. */
function poolWith(fresh: UpstreamConnection, safe: UpstreamConnection): ServerPool {
  const pool = new ServerPool(configured());
  pool.use();
  pool.use();
  assert.ok(pool.park(safe, true, 1000));
  pool.used = 1;
  assert.ok(pool.park(fresh, false, 1000));
  pool.used = 0;
  return pool;
}

test('a request after the first takes a fresh connection, then a safe one, whatever the mode', () => {
  for (const mode of ['safe', 'aggressive', 'always'] as const) {
    const pool = poolWith(conn('fresh'), conn('safe'));
    assert.deepEqual([nameOf(pool.take(undefined, true, mode)), nameOf(pool.take(undefined, true, mode)), nameOf(pool.take(undefined, true, mode))], ['fresh', 'safe', 'none'], mode);
  }
});

test('a first request: none with safe, safe ones only with aggressive, safe then fresh with always', () => {
  let pool = poolWith(conn('fresh'), conn('safe'));
  assert.equal(nameOf(pool.take(undefined, false, 'safe')), 'none');
  pool = poolWith(conn('fresh'), conn('safe'));
  assert.deepEqual([nameOf(pool.take(undefined, false, 'aggressive')), nameOf(pool.take(undefined, false, 'aggressive'))], ['safe', 'none']);
  pool = poolWith(conn('fresh'), conn('safe'));
  assert.deepEqual([nameOf(pool.take(undefined, false, 'always')), nameOf(pool.take(undefined, false, 'always')), nameOf(pool.take(undefined, false, 'always'))], ['safe', 'fresh', 'none']);
});

test('a connection is reused only for a request sending the same SNI', () => {
  const pool = poolWith(conn('fresh-a', 'a.home.arpa'), conn('safe-b', 'b.home.arpa'));
  assert.equal(nameOf(pool.take('c.home.arpa', true, 'always')), 'none');
  assert.equal(nameOf(pool.take(undefined, false, 'always')), 'none');
  assert.equal(nameOf(pool.take('a.home.arpa', false, 'always')), 'fresh-a');
  assert.equal(nameOf(pool.take('b.home.arpa', true, 'safe')), 'safe-b');
  assert.equal(pool.size, 0);
});

test('kept idle: the first one, a safe one while no safe one waits, then as many as were in use at once', () => {
  const pool = new ServerPool(configured());
  // One at a time: a second fresh connection is not kept next to the first; a safe one is, once.
  pool.use();
  assert.equal(pool.park(conn('a'), false, 1000), true);
  assert.equal(pool.park(conn('b'), false, 1000), false);
  assert.equal(pool.park(conn('c'), true, 1000), true);
  assert.equal(pool.park(conn('d'), true, 1000), false);
  assert.equal(pool.size, 2);
  // Three in use at once (the parked connection still counts as in use): all three are kept.
  const busy = new ServerPool(configured());
  for (let i = 0; i < 3; i++) busy.use();
  assert.equal(busy.park(conn('x'), false, 1000), true);
  busy.used = 2;
  assert.equal(busy.park(conn('y'), false, 1000), true);
  busy.used = 1;
  assert.equal(busy.park(conn('z'), false, 1000), true);
  assert.equal(busy.size, 3);
});

test('a connection being established counts as in use (as HAProxy counts it), until it fails or closes', async () => {
  const server = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const pool = new ServerPool(configured({ host: '127.0.0.1', port }));
    const opened = new Promise<UpstreamConnection | undefined>((r) => connectUpstream(pool, 1000, (c) => r(c)));
    assert.equal(pool.used, 1, 'while connecting');
    const c = await opened;
    assert.ok(c);
    assert.equal(pool.used, 1, 'connected, before its first request');
    c.destroy();
    assert.equal(pool.used, 0, 'closed');
    // A refused connection: counted while it was tried, not after.
    const closed = await new Promise<net.Server>((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => r(s)); });
    const gone = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const failing = new ServerPool(configured({ host: '127.0.0.1', port: gone }));
    const error = await new Promise<string | undefined>((r) => connectUpstream(failing, 1000, (_c, e) => r(e)));
    assert.equal(error, 'ECONNREFUSED');
    assert.equal(failing.used, 0);
  } finally {
    server.close();
  }
});
