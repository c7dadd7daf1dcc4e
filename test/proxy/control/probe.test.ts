import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { probeServer, checkListen } from '../../../proxy/control/probe.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { startNamedServer, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

test('probing a server tells reachable from refused, with the time it took', async () => {
  const origin = await startNamedServer('o');
  try {
    const up = await probeServer({ address: '127.0.0.1', port: origin.port });
    assert.ok(up.ok && up.value.reachable && up.value.ms >= 0);
    const closed = await freePort();
    const down = await probeServer({ address: '127.0.0.1', port: closed, timeoutMs: 1000 });
    assert.ok(down.ok && !down.value.reachable);
    assert.match(down.value.reason ?? '', /refused/);
    assert.equal(origin.hits, 0, 'the probe sends no request');
  } finally {
    await origin.close();
  }
  for (const bad of [{ address: 'a b', port: 80 }, { address: '127.0.0.1', port: 0 }, { address: '127.0.0.1', port: 80, timeoutMs: 5 }, undefined]) {
    const r = await probeServer(bad as never);
    assert.ok(!r.ok && r.error.code === 'LS_ERR_CTL_BAD_VALUE', JSON.stringify(bad));
  }
});

test('a listen address is reported in use by another frontend, by another program, or free', async () => {
  const port = await freePort();
  const config = parseConfig([{ name: 't', text: `${HTTP_DEFAULTS}\nfrontend web\n    bind *:${port}\n    default_backend b\nbackend b\n    server s 127.0.0.1:9\n` }]).config;
  const used = await checkListen({ address: '127.0.0.1', port }, config);
  assert.ok(used.ok);
  assert.deepEqual(used.value, { free: false, usedBy: 'web', reason: `frontend web already listens on *:${port}` });
  const own = await checkListen({ address: '127.0.0.1', port, frontend: 'web' }, config);
  assert.ok(own.ok && own.value.free, 'the frontend being edited may keep its own port');

  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const taken = (holder.address() as net.AddressInfo).port;
  try {
    const busy = await checkListen({ address: '127.0.0.1', port: taken }, config);
    assert.ok(busy.ok && !busy.value.free);
    assert.match(busy.value.reason ?? '', /another program already listens/);
  } finally {
    await new Promise<void>((r) => holder.close(() => r()));
  }
  const free = await checkListen({ address: '127.0.0.1', port: await freePort() }, config);
  assert.ok(free.ok && free.value.free);
  const badPort = await checkListen({ address: '127.0.0.1', port: 70000 }, config);
  assert.ok(!badPort.ok);
});

test("Loadstar's own admin UI on the port is named, not reported as another program", async () => {
  const admin = net.createServer();
  await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
  const port = (admin.address() as net.AddressInfo).port;
  const own = [{ what: "Loadstar's admin UI", host: '127.0.0.1', port }];
  try {
    for (const address of ['127.0.0.1', '']) {
      const r = await checkListen({ address, port }, undefined, own);
      assert.ok(r.ok);
      assert.deepEqual(r.value, { free: false, reason: `Loadstar's admin UI listens on 127.0.0.1:${port}` });
    }
    const v6 = await checkListen({ address: '', port }, undefined, [{ what: "Loadstar's admin UI", host: '::1', port }]);
    assert.ok(v6.ok && v6.value.reason === `Loadstar's admin UI listens on [::1]:${port}`);
    // Another port is checked as before.
    const other = await checkListen({ address: '127.0.0.1', port: await freePort() }, undefined, own);
    assert.ok(other.ok && other.value.free);
  } finally {
    await new Promise<void>((r) => admin.close(() => r()));
  }
});
