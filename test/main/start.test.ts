/** `npm start`'s choice between the desktop app and `loadstar serve`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error a plain JavaScript script without type declarations
import { adminUrlOf, chooseLauncher, findElectronBinary, serveNotice } from '../../scripts/start.js';

test('with Electron and a display: the desktop app', () => {
  const linux = chooseLauncher({ platform: 'linux', env: { DISPLAY: ':0' }, electronBinary: '/e/electron' });
  assert.equal(linux.mode, 'desktop');
  assert.equal(linux.command, '/e/electron');
  assert.equal(chooseLauncher({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' }, electronBinary: '/e' }).mode, 'desktop');
  assert.equal(chooseLauncher({ platform: 'darwin', env: {}, electronBinary: '/e' }).mode, 'desktop');
  assert.equal(chooseLauncher({ platform: 'win32', env: {}, electronBinary: 'C:\\e.exe' }).mode, 'desktop');
});

test('without Electron\'s binary, without a display, or asked to: loadstar serve, with the reason', () => {
  assert.deepEqual(chooseLauncher({ platform: 'linux', env: { DISPLAY: ':0' }, electronBinary: undefined }), { mode: 'serve', reason: "Electron's binary is not installed" });
  assert.deepEqual(chooseLauncher({ platform: 'linux', env: {}, electronBinary: '/e' }), { mode: 'serve', reason: 'no display ($DISPLAY / $WAYLAND_DISPLAY unset)' });
  assert.deepEqual(chooseLauncher({ platform: 'darwin', env: { LOADSTAR_HEADLESS: '1' }, electronBinary: '/e' }), { mode: 'serve', reason: 'LOADSTAR_HEADLESS=1' });
  assert.equal(serveNotice('no display'), "[NOTICE] desktop app not started (no display): running 'loadstar serve'; open http://127.0.0.1:9000/ in a browser\n");
  assert.equal(adminUrlOf([]), 'http://127.0.0.1:9000/');
  assert.equal(adminUrlOf(['--listen', '127.0.0.1:9100']), 'http://127.0.0.1:9100/');
  assert.equal(adminUrlOf(['-f', 'x.cfg', '--listen=[::1]:9200']), 'http://[::1]:9200/');
});

test('the Electron binary is found through the path file its package writes, and only when it exists', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-electron-'));
  assert.equal(findElectronBinary({}, 'linux', dir), undefined, 'no path.txt: the download was skipped');
  fs.writeFileSync(path.join(dir, 'path.txt'), 'electron');
  assert.equal(findElectronBinary({}, 'linux', dir), undefined, 'path.txt without the binary');
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.writeFileSync(path.join(dir, 'dist', 'electron'), '');
  assert.equal(findElectronBinary({}, 'linux', dir), path.join(dir, 'dist', 'electron'));
  assert.equal(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'dist') }, 'linux', '/nowhere'), path.join(dir, 'dist', 'electron'));
});

test('on this machine (no Electron binary downloaded) npm start falls back to serve', () => {
  const binary = findElectronBinary();
  if (binary) return; // a developer machine with Electron: nothing to check here
  assert.equal(chooseLauncher({ platform: process.platform, env: process.env, electronBinary: binary }).mode, 'serve');
});
