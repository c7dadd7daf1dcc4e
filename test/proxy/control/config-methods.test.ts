import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { ConfigStore, engineTarget } from '../../../proxy/store/config-store.ts';
import { startEngine, startNamedServer, freePort, request, HTTP_DEFAULTS } from '../../helpers/net.ts';

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ctl-config-'));
  const web = await startNamedServer('web1');
  const api = await startNamedServer('api1');
  const port = await freePort();
  const text = `${HTTP_DEFAULTS}
# the site
frontend site
    bind 127.0.0.1:${port}
    option httplog
    default_backend web

backend web
    server web1 127.0.0.1:${web.port}
`;
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
  const running = await startEngine(text);
  const store = ConfigStore.open({ dataDir: dir, target: engineTarget(running.engine), graceMs: 200, pollMs: 20 });
  const control = new InProcessControl(running.engine, { configStore: store, dataDir: dir, log: () => {} });
  return {
    dir, port, web, api, running, control, text,
    async close() {
      await running.stop();
      await web.close();
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('the wizard path through the contract: get the model, build a change from edits, preview, apply safely, and traffic follows', async () => {
  const s = await setup();
  try {
    const got = await s.control.getConfig();
    assert.ok(got.ok);
    assert.equal(got.value.modifiedOnDisk, false);
    assert.deepEqual(got.value.model.frontends.map((f) => [f.name, f.unknownDirectives]), [['site', 1]]);
    const built = await s.control.buildConfig([
      { op: 'set-backend', backend: { name: 'api', servers: [{ name: 'api1', address: '127.0.0.1', port: s.api.port }], healthCheck: { type: 'none' } } },
      { op: 'set-frontend', frontend: { ...got.value.model.frontends[0]!, rules: [{ backend: 'api', match: { kind: 'path-begins', values: ['/api/'] } }] } },
    ]);
    assert.ok(built.ok);
    assert.equal(built.value.valid, true, JSON.stringify(built.value));
    assert.equal(built.value.summary, 'changed routing of frontend site; added backend api (1 server)');
    assert.match(built.value.diff, /^\+    acl is_api path_beg \/api\/$/m);
    assert.ok(built.value.text!.includes('# the site\nfrontend site\n') && built.value.text!.includes('    option httplog\n'));
    const preview = await s.control.previewConfig(built.value.text!);
    assert.ok(preview.ok && preview.value.valid && preview.value.diff === built.value.diff);
    const applied = await s.control.applyChange({ text: built.value.text!, baseHash: got.value.hash, source: 'wizard' });
    assert.ok(applied.ok, JSON.stringify(applied));
    assert.equal(applied.value.outcome, 'applied');
    assert.equal((await request(s.port, '/api/x')).body, 'api1');
    assert.equal((await request(s.port, '/')).body, 'web1');
    const stale = await s.control.applyChange({ text: s.text, baseHash: got.value.hash, source: 'editor' });
    assert.ok(!stale.ok && stale.error.code === 'LS_ERR_CTL_CONFLICT');

    const versions = await s.control.listVersions();
    assert.ok(versions.ok);
    assert.deepEqual(versions.value.map((v) => [v.id, v.source]), [[2, 'wizard'], [1, 'initial']]);
    const v1 = await s.control.getVersion(1);
    assert.ok(v1.ok && v1.value.text === s.text);
    const back = await s.control.rollback(1);
    assert.ok(back.ok && back.value.outcome === 'applied');
    assert.equal((await request(s.port, '/api/x')).body, 'web1');
    const missing = await s.control.getVersion(99);
    assert.ok(!missing.ok && missing.error.code === 'LS_ERR_CTL_NOT_FOUND');
  } finally {
    await s.close();
  }
});

test('form problems come back per field, and the tracer, split, health wording, probe and listen check answer through the contract', async () => {
  const s = await setup();
  try {
    const bad = await s.control.buildConfig([{ op: 'set-backend', backend: { name: 'x', servers: [{ name: 's', address: '10.0.0.1', port: 0 }] } }]);
    assert.ok(bad.ok);
    assert.equal(bad.value.valid, false);
    assert.equal(bad.value.problems[0]!.field, 'backend.servers[0].port');
    const trace = await s.control.traceRequest({ frontend: 'site', url: '/' });
    assert.ok(trace.ok);
    assert.equal(trace.value.backend, 'web');
    assert.equal(trace.value.server?.name, 'web1');
    const split = await s.control.predictSplit({ algorithm: 'roundrobin', servers: [{ name: 'a', weight: 3 }, { name: 'b' }], picks: 8 });
    assert.ok(split.ok);
    assert.deepEqual(split.value.counts.map((c) => c.count), [6, 2]);
    const words = await s.control.explainHealthCheck({ type: 'tcp', interMs: 2000, fall: 3, rise: 2 });
    assert.ok(words.ok && words.value.includes('DOWN after 3 failed checks 2 s apart'));
    const probe = await s.control.probeServer({ address: '127.0.0.1', port: s.web.port });
    assert.ok(probe.ok && probe.value.reachable);
    const listen = await s.control.checkListen({ address: '127.0.0.1', port: s.port });
    assert.ok(listen.ok && !listen.value.free && listen.value.usedBy === 'site');
    for (const answer of [
      await s.control.traceRequest({ frontend: 'nope', url: '/' }),
      await s.control.explainHealthCheck({ type: 'ping' } as never),
      await s.control.applyChange('text' as never),
      await s.control.getVersion('1' as never),
      await s.control.buildConfig('edits' as never),
      await s.control.predictSplit({ algorithm: 'fastest', servers: [] } as never),
    ]) {
      assert.ok(!answer.ok && ['LS_ERR_CTL_BAD_VALUE', 'LS_ERR_CTL_NOT_FOUND'].includes(answer.error.code), JSON.stringify(answer));
    }
  } finally {
    await s.close();
  }
});

test('without a configuration store the file methods answer LS_ERR_CTL_STATE; the tracer still works', async () => {
  const port = await freePort();
  const running = await startEngine(`${HTTP_DEFAULTS}\nfrontend f\n    bind 127.0.0.1:${port}\n    default_backend b\nbackend b\n    server s 127.0.0.1:9\n`);
  try {
    const control = new InProcessControl(running.engine, { log: () => {} });
    for (const answer of [await control.getConfig(), await control.listVersions(), await control.rollback(1), await control.applyChange({ text: '', baseHash: '0'.repeat(64), source: 'cli' })]) {
      assert.ok(!answer.ok && answer.error.code === 'LS_ERR_CTL_STATE', JSON.stringify(answer));
    }
    const built = await control.buildConfig([{ op: 'remove-backend', name: 'b' }], 'backend b\n    server s 127.0.0.1:9\n');
    assert.ok(built.ok && built.value.text === '');
    assert.ok((await control.traceRequest({ frontend: 'f', url: '/' })).ok);
  } finally {
    await running.stop();
  }
});
