/**
 * openAppliance, the one opening of a data dir shared by `loadstar serve` and
 * the desktop engine host: a configuration that cannot start (errors, a port
 * in use) leaves a failed engine that says why and takes a corrected
 * configuration (applyConfig, applyChange) which starts it; mustStart (serve
 * -f) refuses instead and leaves nothing behind; the first-run demo moves off
 * busy ports and says so, and a demo port taken later is a clear failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openAppliance, ApplianceStartError, demoPortsFrom } from '../../../proxy/admin/appliance.ts';
import type { Appliance } from '../../../proxy/admin/appliance.ts';
import { freePort, request } from '../../helpers/net.ts';
import { fixedSiteConfig as siteConfig } from './helpers.ts';

function tempDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-appliance-')), 'data');
}

/** A port held by a listener of this test until release(). */
async function occupy(port = 0): Promise<{ port: number; release(): Promise<void> }> {
  const holder = net.createServer();
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen(port, '127.0.0.1', resolve);
  });
  return { port: (holder.address() as net.AddressInfo).port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
}

async function withAppliance(open: Promise<Appliance>, body: (a: Appliance) => Promise<void>): Promise<void> {
  const appliance = await open;
  try {
    await body(appliance);
  } finally {
    await appliance.close(0);
  }
}

test('a data-dir configuration with errors opens as a failed engine that says why, and applying a corrected text starts it', async () => {
  const dir = tempDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), 'frontend web\n    bind 127.0.0.1:notaport\n');
  const lines: string[] = [];
  await withAppliance(openAppliance(dir, { log: (l) => lines.push(l) }), async (a) => {
    assert.equal(a.startError?.code, 'LS_ERR_CFG_INVALID');
    const status = await a.control.status();
    assert.ok(status.ok);
    assert.equal(status.value.lifecycle.state, 'failed');
    assert.match(status.value.lifecycle.lastError!.message, /haproxy\.cfg has errors, so the proxy did not start:\n.*haproxy\.cfg:2/);
    // Start has nothing to start: it fails the same way rather than running an empty configuration.
    const start = await a.control.start();
    assert.equal(start.ok, false);
    assert.equal((await a.control.status() as { value: { lifecycle: { state: string } } }).value.lifecycle.state, 'failed');
    // The editor gets the file's text.
    const config = await a.control.getConfig();
    assert.ok(config.ok);
    assert.match(config.value.text, /notaport/);

    const port = await freePort();
    const applied = await a.control.applyConfig(siteConfig(port));
    assert.ok(applied.ok, JSON.stringify(applied));
    assert.equal(applied.value.lifecycle.state, 'running');
    assert.equal((await request(port, '/')).body, 'fixed');
  });
});

test('a data-dir configuration whose port is taken is failed with the address; applyChange of a fixed text writes it, versions it and starts it', async () => {
  const dir = tempDir();
  fs.mkdirSync(dir, { recursive: true });
  const busy = await occupy();
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, siteConfig(busy.port));
  try {
    await withAppliance(openAppliance(dir, { log: () => {} }), async (a) => {
      assert.equal(a.startError?.code, 'LS_ERR_ENG_BIND');
      const status = await a.control.status();
      assert.ok(status.ok);
      assert.equal(status.value.lifecycle.state, 'failed');
      assert.match(status.value.lifecycle.lastError!.message, new RegExp(`cannot bind 127\\.0\\.0\\.1:${busy.port}: address already in use`));

      const current = await a.control.getConfig();
      assert.ok(current.ok);
      const port = await freePort();
      const change = await a.control.applyChange({ text: siteConfig(port), baseHash: current.value.hash, source: 'editor', graceMs: 200 });
      assert.ok(change.ok, JSON.stringify(change));
      assert.equal(change.value.outcome, 'applied', JSON.stringify(change.value));
      assert.equal(fs.readFileSync(file, 'utf8'), siteConfig(port));
      assert.equal((await a.control.status() as { value: { lifecycle: { state: string } } }).value.lifecycle.state, 'running');
      assert.equal((await request(port, '/')).body, 'fixed');
      const versions = await a.control.listVersions();
      assert.ok(versions.ok);
      assert.ok(versions.value.some((v) => v.source === 'editor' && v.outcome === 'applied'), JSON.stringify(versions.value));
    });
  } finally {
    await busy.release();
  }
});

test('a text that fails too (a port in use, behaviour not run yet) keeps the engine failed with the new reason, and Start retries the previous one', async () => {
  const dir = tempDir();
  fs.mkdirSync(dir, { recursive: true });
  const busy = await occupy();
  const other = await occupy();
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), siteConfig(busy.port));
  try {
    await withAppliance(openAppliance(dir, { log: () => {} }), async (a) => {
      const unsupported = await a.control.applyConfig(`${siteConfig(other.port)}backend h2_proxied\n    mode http\n    server s1 127.0.0.1:1 proto h2 send-proxy\n`);
      assert.equal(unsupported.ok, false);
      const said = await a.control.status();
      assert.ok(said.ok);
      assert.equal(said.value.lifecycle.state, 'failed');
      assert.match(said.value.lifecycle.lastError!.message, /'send-proxy' on an HTTP\/2 server/);

      const refused = await a.control.applyConfig(siteConfig(other.port));
      assert.equal(refused.ok, false);
      const status = await a.control.status();
      assert.ok(status.ok);
      assert.equal(status.value.lifecycle.state, 'failed');
      assert.match(status.value.lifecycle.lastError!.message, new RegExp(`:${other.port}: address already in use`));
      await busy.release();
      const started = await a.control.start();
      assert.ok(started.ok, JSON.stringify(started));
      assert.equal(started.value.state, 'running');
      assert.equal((await request(busy.port, '/')).body, 'fixed');
    });
  } finally {
    await other.release();
    await busy.release().catch(() => {});
  }
});

test('mustStart (serve -f FILE) refuses a configuration that cannot start and leaves nothing open or written', async () => {
  const dir = tempDir();
  const file = path.join(path.dirname(dir), 'explicit.cfg');
  fs.writeFileSync(file, 'frontend web\n    bind 127.0.0.1:notaport\n');
  await assert.rejects(openAppliance(dir, { configFile: file, mustStart: true, log: () => {} }), (e: unknown) => {
    assert.ok(e instanceof ApplianceStartError);
    assert.equal(e.code, 'LS_ERR_CFG_INVALID');
    assert.equal(e.configFile, file);
    assert.ok(e.diagnostics.some((d) => d.severity !== 'warning' && d.line === 2));
    return true;
  });
  assert.equal(fs.existsSync(path.join(dir, 'versions')), false);
  assert.equal(fs.existsSync(path.join(dir, 'haproxy.cfg')), false, 'no demo written when -f is given');

  const busy = await occupy();
  fs.writeFileSync(file, siteConfig(busy.port));
  try {
    await assert.rejects(openAppliance(dir, { configFile: file, mustStart: true, log: () => {} }), /cannot bind .*address already in use/);
  } finally {
    await busy.release();
  }
});

test('the first-run demo moves off a busy preferred port and says so; that port taken on a later run is a failure naming it', async () => {
  const dir = tempDir();
  const busy = await occupy();
  const lines: string[] = [];
  let demoPort = 0;
  try {
    await withAppliance(openAppliance(dir, { demoBasePort: busy.port, log: (l) => lines.push(l) }), async (a) => {
      assert.equal(a.startError, undefined);
      const notice = lines.find((l) => l.includes('first run'))!;
      assert.match(notice, new RegExp(`port ${busy.port} is in use, so the demo took (\\d+)`));
      demoPort = Number(/so the demo took (\d+)/.exec(notice)![1]);
      assert.match(fs.readFileSync(a.configFile, 'utf8'), new RegExp(`bind 127\\.0\\.0\\.1:${demoPort}\\n`));
      assert.match((await request(demoPort, '/')).body, /Loadstar demo server/);
    });
  } finally {
    await busy.release();
  }

  const taken = await occupy(demoPort);
  try {
    await withAppliance(openAppliance(dir, { log: () => {} }), async (a) => {
      const status = await a.control.status();
      assert.ok(status.ok);
      assert.equal(status.value.lifecycle.state, 'failed');
      assert.match(status.value.lifecycle.lastError!.message, new RegExp(`frontend 'demo' : cannot bind 127\\.0\\.0\\.1:${demoPort}: address already in use`));
    });
  } finally {
    await taken.release();
  }
});

test("the status says the built-in demo is running until the user's own configuration replaces it, and still says so after a restart", async () => {
  const dir = tempDir();
  await withAppliance(openAppliance(dir, { demoBasePort: await freePort(), log: () => {} }), async (a) => {
    const status = await a.control.status();
    assert.ok(status.ok);
    assert.deepEqual(status.value.demo, { only: true, servers: ['demo-web/demo-web1', 'demo-web/demo-web2', 'demo-api/demo-api1'] });
  });
  await withAppliance(openAppliance(dir, { log: () => {} }), async (a) => {
    const status = await a.control.status();
    assert.ok(status.ok);
    assert.equal(status.value.demo?.only, true, 'the demo after a restart');
    const current = await a.control.getConfig();
    assert.ok(current.ok);
    const change = await a.control.applyChange({ text: siteConfig(await freePort()), baseHash: current.value.hash, source: 'editor', graceMs: 200 });
    assert.ok(change.ok && change.value.outcome === 'applied', JSON.stringify(change));
    const after = await a.control.status();
    assert.ok(after.ok);
    assert.equal(after.value.demo, undefined, 'replaced by the user\'s configuration');
  });
  await withAppliance(openAppliance(dir, { log: () => {} }), async (a) => {
    const status = await a.control.status();
    assert.ok(status.ok && status.value.lifecycle.state === 'running');
    assert.equal(status.value.demo, undefined, 'and not back after a restart');
  });
});

test('the demo base port comes from the option, else $LOADSTAR_DEMO_PORT, else 8080; a bad value is warned about', () => {
  const warnings: string[] = [];
  const log = (l: string) => warnings.push(l);
  assert.deepEqual(demoPortsFrom(undefined, log, {}), { frontend: 8080, web1: 8081, web2: 8082, api1: 8083 });
  assert.deepEqual(demoPortsFrom(undefined, log, { LOADSTAR_DEMO_PORT: '9100' }), { frontend: 9100, web1: 9101, web2: 9102, api1: 9103 });
  assert.deepEqual(demoPortsFrom(7000, log, { LOADSTAR_DEMO_PORT: '9100' }).frontend, 7000);
  assert.equal(warnings.length, 0);
  assert.equal(demoPortsFrom(undefined, log, { LOADSTAR_DEMO_PORT: 'eighty' }).frontend, 8080);
  assert.match(warnings[0], /LOADSTAR_DEMO_PORT=eighty is not a port between 1 and 65532/);
});

test("removing the last demo item with the forms takes the first run's DEMO note out of the proposed text", async () => {
  const dir = tempDir();
  await withAppliance(openAppliance(dir, { demoBasePort: await freePort(), log: () => {} }), async (a) => {
    const keep = await a.control.buildConfig([{ op: 'remove-frontend', name: 'demo' }]);
    assert.ok(keep.ok && keep.value.valid, JSON.stringify(keep));
    assert.match(keep.value.text!, /^# DEMO: /m, 'demo backends are left');
    const built = await a.control.buildConfig([{ op: 'remove-frontend', name: 'demo' }, { op: 'remove-backend', name: 'demo-web' }, { op: 'remove-backend', name: 'demo-api' }]);
    assert.ok(built.ok && built.value.valid, JSON.stringify(built));
    assert.doesNotMatch(built.value.text!, /DEMO|demo/);
    assert.match(built.value.diff, /^-# DEMO: this first-run configuration/m);
  });
});

test('applyConfig on an appliance goes through the safe apply: haproxy.cfg, getConfig and the versions say what runs; a refusal keeps the file and says why', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'haproxy.cfg');
  await withAppliance(openAppliance(dir, { demoBasePort: await freePort(), graceMs: 200, log: () => {} }), async (a) => {
    const port = await freePort();
    const applied = await a.control.applyConfig(siteConfig(port));
    assert.ok(applied.ok, JSON.stringify(applied));
    assert.equal((await request(port, '/')).body, 'fixed');
    // It used to reload the engine only: the file, getConfig and a restart still had the demo.
    assert.equal(fs.readFileSync(file, 'utf8'), siteConfig(port));
    const current = await a.control.getConfig();
    assert.ok(current.ok);
    assert.equal(current.value.text, siteConfig(port));
    const versions = await a.control.listVersions();
    assert.ok(versions.ok);
    assert.equal(versions.value[0]!.source, 'api');
    assert.equal(versions.value[0]!.outcome, 'applied');

    const busy = await occupy();
    try {
      const refused = await a.control.applyConfig(siteConfig(busy.port));
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.error.code, 'LS_ERR_ENG_BIND');
      assert.match(!refused.ok ? refused.error.message : '', new RegExp(`:${busy.port}: address already in use.*running configuration is kept`));
    } finally {
      await busy.release();
    }
    const invalid = await a.control.applyConfig('frontend web\n    bind 127.0.0.1:notaport\n');
    assert.equal(!invalid.ok && invalid.error.code, 'LS_ERR_CFG_INVALID');
    assert.ok(!invalid.ok && invalid.error.diagnostics?.some((d) => d.line === 2), JSON.stringify(invalid));
    assert.equal(fs.readFileSync(file, 'utf8'), siteConfig(port), 'the file keeps what runs');
    assert.equal((await request(port, '/')).body, 'fixed');
  });
});
