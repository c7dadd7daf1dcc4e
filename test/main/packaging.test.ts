/**
 * Packaging, checked offline: electron-builder's Linux `dir` target with
 * `electronDist` pointing at a stand-in Electron (a folder holding a fake
 * `electron` file) builds resources/app.asar from electron-builder.yml, and
 * the archive holds what the app runs and nothing it should not.
 * Needs `npm run build` first (npm test runs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

function missing(t: { skip(message: string): void }, message: string): void {
  if (process.env.CI === 'true') assert.fail(message);
  console.error(`\n*** SKIPPED: ${message} ***\n`);
  t.skip(message);
}

test('the packaging configuration sets the security fuses and every installer the issue asks for', () => {
  const yml = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
  for (const line of ['runAsNode: false', 'enableNodeOptionsEnvironmentVariable: false', 'enableNodeCliInspectArguments: false', 'onlyLoadAppFromAsar: true',
    'enableEmbeddedAsarIntegrityValidation: true', 'grantFileProtocolExtraPrivileges: false', 'asar: true', 'npmRebuild: true',
    'target: [AppImage, deb, rpm]', 'category: Network', 'target: nsis', 'target: dmg', 'appId: dev.loadstar.app', 'productName: Loadstar']) {
    assert.ok(yml.split('\n').some((l) => l.trim() === line), `electron-builder.yml: ${line}`);
  }
});

test('electron-builder packs main, preload, the renderer build, the engine and production dependencies only into app.asar', { timeout: 600_000 }, (t) => {
  const cli = path.join(root, 'node_modules', 'electron-builder', 'cli.js');
  if (!fs.existsSync(cli)) return missing(t, 'electron-builder is not installed (npm ci): packaging was not checked');
  for (const built of ['dist/main/index.js', 'dist/main/preload.cjs', 'dist/main/engine-entry.js', 'dist/renderer/index.html', 'dist/proxy/engine.js']) {
    if (!fs.existsSync(path.join(root, built))) return missing(t, `${built} is missing: run 'npm run build' before this test`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-pack-'));
  const standIn = path.join(work, 'electron-dist');
  fs.mkdirSync(standIn);
  fs.writeFileSync(path.join(standIn, 'electron'), '#!/bin/sh\necho stand-in for Electron\n', { mode: 0o755 });
  const out = path.join(work, 'out');
  // The real configuration, with what only a release machine can do switched off:
  // no rebuild of native modules for Electron (needs Electron's headers), no fuses (need the real binary).
  const config = path.join(work, 'electron-builder.json');
  fs.writeFileSync(config, JSON.stringify({
    extends: path.join(root, 'electron-builder.yml'),
    electronDist: standIn,
    npmRebuild: false,
    electronFuses: null,
    directories: { output: out, buildResources: 'build' },
  }));
  const run = spawnSync(process.execPath, [cli, '--linux', 'dir', '--config', config, '--publish', 'never'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 540_000,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
  });
  assert.equal(run.status, 0, `electron-builder failed:\n${run.stdout}\n${run.stderr}`);

  const unpacked = path.join(out, 'linux-unpacked');
  assert.ok(fs.existsSync(path.join(unpacked, 'loadstar')), 'the executable is named loadstar');
  const asar = require(path.join(root, 'node_modules', '@electron', 'asar')) as { listPackage(file: string): string[]; extractFile(archive: string, file: string): Buffer };
  const archive = path.join(unpacked, 'resources', 'app.asar');
  const files = asar.listPackage(archive).map((f) => f.replaceAll('\\', '/'));
  const has = (f: string) => files.includes(f);

  for (const f of ['/package.json', '/dist/main/index.js', '/dist/main/preload.cjs', '/dist/main/engine-entry.js', '/dist/main/supervisor.js',
    '/dist/renderer/index.html', '/dist/proxy/engine.js', '/dist/proxy/control/in-process.js', '/build/tray/tray-healthy-16.png', '/build/icons/512x512.png']) {
    assert.ok(has(f), `${f} is in app.asar`);
  }
  assert.ok(files.some((f) => /^\/dist\/renderer\/assets\/.+\.js$/.test(f)), 'the renderer bundle');
  const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as { main: string; homepage: string };
  assert.equal(manifest.main, 'dist/main/index.js');

  // Production dependencies only.
  const modules = new Set(files.filter((f) => f.startsWith('/node_modules/')).map((f) => f.split('/')[2]).filter((m) => !m.startsWith('@')));
  assert.ok(modules.has('better-sqlite3') && modules.has('node-forge'), 'the runtime dependencies');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  for (const dev of Object.keys(pkg.devDependencies)) {
    assert.ok(!files.some((f) => f === `/node_modules/${dev}` || f.startsWith(`/node_modules/${dev}/`)), `devDependency ${dev} is not shipped`);
  }
  for (const tool of ['electron', 'typescript', 'vite', 'svelte', 'tsx', 'electron-builder', 'esbuild', 'playwright-core']) assert.ok(!modules.has(tool), tool);

  // No sources, tests, benchmarks, or source maps with absolute paths.
  const forbidden = files.filter((f) => /(^|\/)(test|tests|__tests__|bench)(\/|$)|\.test\.[jt]s$|(^|\/)test\.js$|\.ts$/.test(f) && !f.endsWith('.d.ts'));
  assert.deepEqual(forbidden, []);
  assert.ok(!files.some((f) => f.startsWith('/main/') || f.startsWith('/proxy/') || f.startsWith('/renderer/') || f.startsWith('/scripts/')), 'no source folders');
  for (const map of files.filter((f) => f.endsWith('.map'))) {
    const text = asar.extractFile(archive, map.slice(1)).toString('utf8');
    assert.doesNotMatch(text, /"(\/|[A-Za-z]:\\\\)[^"]*"/, `${map} holds an absolute path`);
  }
  // The native module is unpacked next to the archive, where Node can load it.
  assert.ok(fs.readdirSync(path.join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules')).includes('better-sqlite3'));
  fs.rmSync(work, { recursive: true, force: true });
});
