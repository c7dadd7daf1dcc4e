import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { CONTROL_METHODS } from '../../../proxy/control/contract.ts';
import type { Result, StatusSnapshot } from '../../../proxy/control/contract.ts';
import { certPath } from '../../helpers/tls.ts';
import { startNamedServer, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const text = (port: number, app: number, body = '') => `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
${body}    default_backend app
backend app
    balance leastconn
    server s1 127.0.0.1:${app} weight 3
`;

test('the control contract validates, applies and reports status; an invalid text changes nothing', async () => {
  const app = await startNamedServer('app');
  const port = await freePort();
  const first = parseConfig([{ name: 'site.cfg', text: text(port, app.port) }]);
  const engine = new Engine(first.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  try {
    assert.equal((await request(port)).body, 'app');

    const bad = value(await control.validateConfig('backend app\n    balanse roundrobin\n', 'edit.cfg'));
    assert.equal(bad.valid, false);
    assert.equal(bad.diagnostics[0]!.line, 2);
    assert.match(bad.diagnostics[0]!.text, /^\[ALERT\] parsing \[edit\.cfg:2\] : unknown keyword 'balanse'/);

    // Valid but serving nothing (an empty text, backends alone): said, as `haproxy -c` says it will not start.
    for (const silent of ['', 'backend app\n    server a 127.0.0.1:1\n']) {
      const checked = value(await control.validateConfig(silent, 'edit.cfg'));
      assert.equal(checked.valid, true);
      const said = checked.diagnostics.filter((d) => /nothing would listen/.test(d.message));
      assert.deepEqual(said.map((d) => [d.severity, d.line]), [['warning', 1]]);
      assert.match(said[0]!.text, /^\[WARNING\] parsing \[edit\.cfg:1\] : nothing would listen: no frontend or listen section has a 'bind' line/);
    }
    assert.deepEqual(value(await control.validateConfig(text(port, app.port), 'edit.cfg')).diagnostics, []);

    const refused = await control.applyConfig('frontend web\n    bind 127.0.0.1:1 ssl\n');
    assert.equal(refused.ok, false);
    assert.equal((await request(port)).body, 'app', 'the running configuration still serves');

    const applied = await control.applyConfig(text(port, app.port, '    http-request return status 200 content-type text/plain string changed if { path /x }\n'));
    assert.equal(applied.ok, true);
    assert.equal((await request(port, '/x')).body, 'changed');
    assert.equal((await request(port, '/')).body, 'app');

    const status = value(await control.status());
    assert.deepEqual(status.frontends.map((f) => [f.name, f.binds.map((b) => b.port)]), [['web', [port]]]);
    assert.equal(status.backends[0]!.algorithm, 'leastconn');
    assert.equal(status.backends[0]!.servers[0]!.weight, 3);
    assert.equal(status.backends[0]!.servers[0]!.total, 1, 'the new tables count from the reload on');
    assert.deepEqual(Object.values(CONTROL_METHODS).map((m) => m.channel).filter((c) => !/^[a-z]+:[a-z]+$/.test(c)), []);
  } finally {
    await engine.stop(100);
    await app.close();
  }
});

test("status names a frontend's built-in pages: the stats page's path (HAProxy's default without stats uri) and Prometheus metrics' path or condition", async () => {
  const app = await startNamedServer('app');
  const [port, port2] = await Promise.all([freePort(), freePort()]);
  const cfg = `${text(port, app.port, '    stats uri /s\n    http-request use-service prometheus-exporter if { path /metrics }\n')}`
    + `frontend other\n    bind 127.0.0.1:${port2}\n    stats enable\n    http-request use-service prometheus-exporter if { src 10.0.0.0/8 }\n    default_backend app\n`;
  const engine = new Engine(parseConfig([{ name: 'site.cfg', text: cfg }]).config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  try {
    const status = value(await control.status());
    assert.deepEqual(status.frontends.map((f) => [f.name, f.pages]), [
      ['web', [{ kind: 'stats', path: '/s' }, { kind: 'metrics', path: '/metrics' }]],
      ['other', [{ kind: 'stats', path: '/haproxy?stats' }, { kind: 'metrics', condition: 'if { src 10.0.0.0/8 }' }]],
    ]);
    value(await control.applyConfig(text(port, app.port)));
    assert.equal(value(await control.status()).frontends[0]!.pages, undefined, 'none: no field');
  } finally {
    await engine.stop(100);
    await app.close();
  }
});

test("status marks the plain binds whose requests the frontend's rules redirect to HTTPS (the seed's `redirect scheme https if !{ ssl_fc }`), and no other", async () => {
  const app = await startNamedServer('app');
  const [plain, secure, other, partly] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const cfg = `${HTTP_DEFAULTS}frontend site
    bind 127.0.0.1:${secure} ssl crt ${certPath('site.pem')}
    bind 127.0.0.1:${plain}
    http-request redirect scheme https code 301 if !{ ssl_fc }
    default_backend app
frontend elsewhere
    bind 127.0.0.1:${other}
    redirect location http://127.0.0.1:${plain}/ code 302
frontend some_paths
    bind 127.0.0.1:${partly}
    http-request redirect scheme https if { path_beg /login }
    default_backend app
backend app
    server s1 127.0.0.1:${app.port}
`;
  const engine = new Engine(parseConfig([{ name: 'site.cfg', text: cfg }]).config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  try {
    const marks = (s: StatusSnapshot) => s.frontends.map((f) => [f.name, f.binds.map((b) => `${b.port === plain ? 'plain' : b.port === secure ? 'tls' : 'other'}${b.redirectsToHttps ? ' → https' : ''}`)]);
    assert.deepEqual(marks(value(await control.status())), [
      ['site', ['tls', 'plain → https']],
      ['elsewhere', ['other']],
      ['some_paths', ['other']],
    ]);
    // The mark follows the running rules: without the redirect, the plain bind serves the site.
    value(await control.applyConfig(cfg.replace('    http-request redirect scheme https code 301 if !{ ssl_fc }\n', '')));
    assert.deepEqual(marks(value(await control.status()))[0], ['site', ['tls', 'plain']]);
  } finally {
    await engine.stop(100);
    await app.close();
  }
});
