import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { ControlEvent, EngineEvent, Result } from '../../../proxy/control/contract.ts';
import { startNamedServer, request, freePort, HTTP_DEFAULTS, waitFor } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

function code(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.error.code;
}

const first = (port: number, app: number) => `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${app} check inter 100
`;

const second = (port: number, app: number, api: number) => `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    acl is_api path_beg /api
    use_backend api if is_api
    use_backend api unless { hdr(host) -m found }
    default_backend app
backend app
    balance leastconn
    server s1 127.0.0.1:${app} weight 5
backend api
    server a1 127.0.0.1:${api}
`;

test('the lifecycle follows start, reload, a refused reload, stop and start; listeners close on stop and reopen on start', async () => {
  const app = await startNamedServer('app');
  const api = await startNamedServer('api');
  const port = await freePort();
  const parsed = parseConfig([{ name: 'one.cfg', text: first(port, app.port) }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} }, configName: 'one.cfg' });
  const control = new InProcessControl(engine);
  const lifecycle: string[] = [];
  const stop = control.subscribe(['events'], (e: ControlEvent<'events'>) => {
    if (e.payload.type === 'lifecycle') lifecycle.push(e.payload.lifecycle.state);
  });
  try {
    assert.equal(value(await control.status()).lifecycle.state, 'stopped');
    const started = value(await control.start());
    assert.equal(started.state, 'running');
    assert.equal(started.configName, 'one.cfg');
    assert.equal(started.reloads, 0);
    assert.ok(started.loadedAt > 0);
    assert.equal(code(await control.start()), 'LS_ERR_CTL_STATE', 'a running engine is not started twice');
    assert.equal((await request(port)).body, 'app');

    const applied = value(await control.applyConfig(second(port, app.port, api.port), 'two.cfg'));
    assert.equal(applied.lifecycle.state, 'running');
    assert.equal(applied.lifecycle.reloads, 1);
    assert.equal(applied.lifecycle.configName, 'two.cfg');
    assert.ok(applied.lifecycle.loadedAt >= started.loadedAt);
    assert.equal((await request(port, '/api/x')).body, 'api');

    // Refused reloads (the engine cannot bind a port in use; a text with errors) keep the configuration and say why.
    const refused = await control.applyConfig(`${second(port, app.port, api.port)}frontend extra\n    bind 127.0.0.1:${app.port}\n    default_backend app\n`, 'three.cfg');
    assert.equal(code(refused), 'LS_ERR_ENG_BIND');
    let afterRefusal = value(await control.status()).lifecycle;
    assert.equal(afterRefusal.state, 'running');
    assert.equal(afterRefusal.configName, 'two.cfg');
    assert.equal(afterRefusal.reloads, 1);
    assert.equal(afterRefusal.lastError?.code, 'LS_ERR_ENG_BIND');
    const invalid = await control.applyConfig('backend app\n    balanse roundrobin\n', 'four.cfg');
    assert.equal(code(invalid), 'LS_ERR_CFG_INVALID');
    assert.match(invalid.ok ? '' : invalid.error.diagnostics![0]!.text, /unknown keyword 'balanse'/);
    afterRefusal = value(await control.status()).lifecycle;
    assert.equal(afterRefusal.lastError?.code, 'LS_ERR_CFG_INVALID');
    assert.equal(afterRefusal.configName, 'two.cfg');
    assert.equal((await request(port, '/api/x')).body, 'api', 'the running configuration still serves');

    const stopped = value(await control.stop(200));
    assert.equal(stopped.state, 'stopped');
    await assert.rejects(request(port), /ECONNREFUSED/, 'listeners are closed');
    const whileStopped = value(await control.status());
    assert.deepEqual(whileStopped.frontends[0]!.binds.map((b) => b.listening), [false]);
    assert.equal(code(await control.stop()), 'LS_ERR_CTL_STATE');
    assert.equal(code(await control.applyConfig(first(port, app.port))), 'LS_ERR_CTL_STATE', 'no reload while stopped');

    const restarted = value(await control.start());
    assert.equal(restarted.state, 'running');
    assert.equal(restarted.configName, 'two.cfg', 'start uses the configuration in force');
    assert.equal((await request(port, '/api/x')).body, 'api');
    assert.deepEqual(value(await control.status()).frontends[0]!.binds.map((b) => b.listening), [true]);

    assert.deepEqual(lifecycle, ['starting', 'running', 'reloading', 'running', 'reloading', 'running', 'running', 'stopping', 'stopped', 'starting', 'running']);
    const recent = value(await control.recentEvents(3));
    assert.deepEqual(recent.map((e: EngineEvent) => e.type === 'lifecycle' && e.lifecycle.state), ['running', 'starting', 'stopped'], 'newest first');
  } finally {
    stop();
    await engine.stop(100);
    await app.close();
    await api.close();
  }
});

test('status after a reload describes the new configuration: routes with their conditions as written, default backend, weights', async () => {
  const app = await startNamedServer('app');
  const api = await startNamedServer('api');
  const port = await freePort();
  const parsed = parseConfig([{ name: 'one.cfg', text: first(port, app.port) }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  try {
    const before = value(await control.status());
    assert.deepEqual(before.frontends.map((f) => f.routes), [[]]);
    assert.equal(before.backends[0]!.servers[0]!.check?.kind, 'tcp');
    assert.equal(before.backends[0]!.servers[0]!.check?.inter, 100);

    value(await control.applyConfig(second(port, app.port, api.port)));
    const after = value(await control.status());
    const web = after.frontends[0]!;
    assert.deepEqual(web.routes, [
      { backend: 'api', condition: 'if is_api' },
      { backend: 'api', condition: 'unless { hdr(host) -m found }' },
    ]);
    assert.equal(web.defaultBackend, 'app');
    assert.deepEqual(web.binds, [{ address: '127.0.0.1', port, tls: false, listening: true }]);
    assert.deepEqual(after.backends.map((b) => [b.name, b.algorithm, b.usable, b.servers.map((s) => s.name)]), [['app', 'leastconn', 1, ['s1']], ['api', 'roundrobin', 1, ['a1']]]);
    const s1 = after.backends[0]!.servers[0]!;
    assert.equal(s1.weight, 5);
    assert.equal(s1.configuredWeight, 5);
    assert.equal(s1.check, undefined, 'the new configuration has no check on s1');
    assert.equal(s1.admin, 'ready');

    const changed = value(await control.setServerWeight('app', 's1', 2));
    assert.equal(changed.weight, 2);
    assert.equal(changed.configuredWeight, 5);
    const drained = value(await control.setServerState('app', 's1', 'drain'));
    assert.equal(drained.admin, 'drain');
    assert.equal(drained.usable, false);
    assert.ok(drained.lastChange >= before.at);
  } finally {
    await engine.stop(100);
    await app.close();
    await api.close();
  }
});

test('health checks stop with the engine and run again after start', async () => {
  const app = await startNamedServer('app');
  const port = await freePort();
  const parsed = parseConfig([{ name: 'one.cfg', text: first(port, app.port) }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  const control = new InProcessControl(engine);
  try {
    value(await control.start());
    const check = () => engine.backend('app')!.server('s1')!.check!;
    await waitFor('a first check', () => check().count > 0);
    value(await control.stop(100));
    const count = check().count;
    const results = value(await control.checkResults('app', 's1')).length;
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(check().count, count, 'no check runs while stopped');
    value(await control.start());
    await waitFor('checks after start', () => check().count > count);
    assert.ok(value(await control.checkResults('app', 's1')).length > results, 'the check results survive the restart');
  } finally {
    await engine.stop(100);
    await app.close();
  }
});
