/**
 * `loadstar serve` with a configuration that cannot start, as real processes:
 * the data dir's haproxy.cfg (errors, or a port in use) starts the admin
 * server with the engine failed and the reason in its status, and applying a
 * corrected text through the API starts the proxy; an explicit `-f FILE`
 * that cannot start exits with the diagnostics instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, request } from '../../helpers/net.ts';
import { call, fixedSiteConfig as siteConfig, session } from './helpers.ts';
import { waitForStderr } from '../../helpers/child-output.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const cli = fileURLToPath(new URL('./fixtures/loadstar.ts', import.meta.url));

function dataDirWith(config: string): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-serve-fail-')), 'data');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config);
  return dir;
}

/** Runs serve on `dataDir`, then `body` with the admin port and a session. */
const children = new Map<number, number>();
/** The serve process behind an admin port. */
const servePid = (admin: { port: number }): number => children.get(admin.port)!;

async function serving(dataDir: string, body: (admin: { port: number; headers: Record<string, string> }, stderr: () => string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ['--import', TS_IMPORT, cli, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = (await waitForStderr(child, /Loadstar admin UI: http:\/\/127\.0\.0\.1:\d+\//)).replace('Loadstar admin UI: ', '');
    const port = Number(new URL(url).port);
    children.set(port, child.pid!);
    const s = await session({ port, origin: `http://127.0.0.1:${port}` });
    await body({ port, headers: s.headers }, () => stderr);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  } finally {
    child.kill('SIGKILL');
  }
}

test('serve with a data-dir configuration that has errors starts the admin UI, reports the engine failed with the reason, and an applied fix starts it', async () => {
  const dataDir = dataDirWith('frontend web\n    bind 127.0.0.1:notaport\n');
  await serving(dataDir, async (admin, stderr) => {
    assert.match(stderr(), /\[ALERT\] parsing \[.*haproxy\.cfg:2\] : 'bind'/);
    assert.match(stderr(), /the proxy is not running; the admin UI shows why/);
    const status = (await call(admin.port, 'POST', '/api/status', admin.headers, '{"args":[]}')).json();
    assert.equal(status.value.lifecycle.state, 'failed');
    assert.match(status.value.lifecycle.lastError.message, /haproxy\.cfg has errors, so the proxy did not start:\n.*haproxy\.cfg:2/);

    const port = await freePort();
    const applied = (await call(admin.port, 'POST', '/api/applyConfig', admin.headers, JSON.stringify({ args: [siteConfig(port)] }))).json();
    assert.equal(applied.ok, true, JSON.stringify(applied));
    assert.equal(applied.value.lifecycle.state, 'running');
    assert.equal((await request(port, '/')).body, 'fixed');
  });
});

test('serve with a data-dir configuration whose port is in use says which address, and a change applied from the UI fixes the file and starts the proxy', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const busy = (holder.address() as net.AddressInfo).port;
  const dataDir = dataDirWith(siteConfig(busy));
  try {
    await serving(dataDir, async (admin, stderr) => {
      assert.match(stderr(), new RegExp(`\\[ALERT\\] .*cannot bind 127\\.0\\.0\\.1:${busy}: address already in use`));
      const status = (await call(admin.port, 'POST', '/api/status', admin.headers, '{"args":[]}')).json();
      assert.equal(status.value.lifecycle.state, 'failed');
      assert.match(status.value.lifecycle.lastError.message, new RegExp(`cannot bind 127\\.0\\.0\\.1:${busy}: address already in use`));

      const current = (await call(admin.port, 'POST', '/api/getConfig', admin.headers, '{"args":[]}')).json();
      const port = await freePort();
      const change = { text: siteConfig(port), baseHash: current.value.hash, source: 'editor', graceMs: 200 };
      const applied = (await call(admin.port, 'POST', '/api/applyChange', admin.headers, JSON.stringify({ args: [change] }))).json();
      assert.equal(applied.ok, true, JSON.stringify(applied));
      assert.equal(applied.value.outcome, 'applied', JSON.stringify(applied.value));
      assert.equal(fs.readFileSync(path.join(dataDir, 'haproxy.cfg'), 'utf8'), siteConfig(port));
      assert.equal((await request(port, '/')).body, 'fixed');
    });
  } finally {
    holder.close();
  }
});

test('serve with a failed data-dir configuration starts it on SIGHUP once the file is fixed by hand', async () => {
  const dataDir = dataDirWith('frontend web\n    bind 127.0.0.1:notaport\n');
  await serving(dataDir, async (admin, stderr) => {
    const port = await freePort();
    fs.writeFileSync(path.join(dataDir, 'haproxy.cfg'), siteConfig(port));
    process.kill(servePid(admin), 'SIGHUP');
    for (let i = 0; i < 100 && !/configuration reloaded/.test(stderr()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(stderr(), /configuration reloaded/);
    const status = (await call(admin.port, 'POST', '/api/status', admin.headers, '{"args":[]}')).json();
    assert.equal(status.value.lifecycle.state, 'running');
    assert.equal((await request(port, '/')).body, 'fixed');
  });
});

test('serve -f FILE that cannot start exits with the diagnostics (as haproxy -f) rather than serving a failed engine', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-serve-f-'));
  const file = path.join(dir, 'bad.cfg');
  fs.writeFileSync(file, 'frontend web\n    bind 127.0.0.1:notaport\n');
  const run = () => spawnSync(process.execPath, ['--import', TS_IMPORT, cli, 'serve', '-f', file, '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')], { encoding: 'utf8', timeout: 60_000 });
  const invalid = run();
  assert.equal(invalid.status, 1, invalid.stderr);
  assert.match(invalid.stderr, /\[ALERT\] parsing \[.*bad\.cfg:2\] : 'bind'/);
  assert.match(invalid.stderr, /\[ALERT\] Fatal errors found in configuration: .*bad\.cfg/);
  assert.doesNotMatch(invalid.stderr, /admin UI/);

  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const busy = (holder.address() as net.AddressInfo).port;
  try {
    fs.writeFileSync(file, siteConfig(busy));
    const taken = run();
    assert.equal(taken.status, 1, taken.stderr);
    assert.match(taken.stderr, new RegExp(`\\[ALERT\\] .*cannot bind 127\\.0\\.0\\.1:${busy}: address already in use`));
    assert.doesNotMatch(taken.stderr, /admin UI/);
  } finally {
    holder.close();
  }
});
