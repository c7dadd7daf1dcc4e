import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { startNamedServer, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

async function setup(check: string) {
  const held: http.ServerResponse[] = [];
  const a = await startNamedServer('a', (req, res) => {
    if (req.url === '/slow') return void held.push(res);
    res.end('a');
  });
  const b = await startNamedServer('b');
  const port = await freePort();
  const parsed = parseConfig([{ name: 'admin.cfg', text: `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
    server a 127.0.0.1:${a.port}${check}
    server b 127.0.0.1:${b.port}${check}
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  const bodies = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await request(port)).body);
    return out;
  };
  return {
    port, held, control, bodies,
    close: async () => { await engine.stop(100); await a.close(); await b.close(); },
  };
}

for (const [label, check] of [['without health checks', ''], ['with health checks', ' check inter 5s']] as const) {
  test(`drain keeps the request in flight and takes no new ones; ready brings the server back (${label})`, async () => {
    const s = await setup(check);
    try {
      const slow = request(s.port, '/slow');
      while (s.held.length < 1) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await s.control.setServerState('app', 'a', 'drain')).ok, true);
      assert.deepEqual(await s.bodies(4), ['b', 'b', 'b', 'b']);
      // With checks, HAProxy shows the health counter too until the first check ("DRAIN 1/3").
      assert.match(value(await s.control.status()).backends[0]!.servers[0]!.status, /^DRAIN\b/);
      s.held[0]!.end('slow done');
      assert.equal((await slow).body, 'slow done', 'the drained server finished its request');
      await s.control.setServerState('app', 'a', 'ready');
      assert.ok((await s.bodies(4)).includes('a'));
      await s.control.setServerState('app', 'b', 'maint');
      assert.deepEqual(await s.bodies(3), ['a', 'a', 'a']);
      assert.equal(value(await s.control.status()).backends[0]!.servers[1]!.status, 'MAINT');
    } finally {
      await s.close();
    }
  });
}

test('a weight change applies to the next picks; bad names and values are answers, not throws', async () => {
  const s = await setup('');
  try {
    assert.equal((await s.control.setServerWeight('app', 'b', 3)).ok, true);
    const picks = await s.bodies(8);
    assert.equal(picks.filter((p) => p === 'b').length, 6);
    assert.equal((await s.control.setServerWeight('app', 'a', 0)).ok, true);
    assert.deepEqual(await s.bodies(3), ['b', 'b', 'b']);
    const missing = await s.control.setServerState('app', 'zz', 'drain');
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.error.message : '', /No such server 'zz' in backend 'app'/);
    const bad = await s.control.setServerWeight('app', 'a', 300);
    assert.equal(!bad.ok && bad.error.code, 'LS_ERR_CTL_BAD_VALUE');
  } finally {
    await s.close();
  }
});
