/**
 * Electron stays in the thin glue: only these main/ files import 'electron'
 * as a value, everything else (and every test) at most as `import type`, so
 * the tests run under plain Node, where importing electron may try to
 * download its binary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const GLUE = ['index.ts', 'ipc.ts', 'preload.ts', 'tray.ts', 'window.ts'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

const valueImport = /^\s*import\s+(?!type\b)[^;]*from\s+['"]electron['"]|require\(\s*['"]electron['"]\s*\)|import\(\s*['"]electron['"]\s*\)/m;

test('only the glue modules of main/ import electron at run time', () => {
  const importing = sources(path.join(root, 'main')).filter((f) => valueImport.test(fs.readFileSync(f, 'utf8'))).map((f) => path.basename(f)).sort();
  assert.deepEqual(importing, GLUE);
});

test('no test, script or proxy module imports electron at run time', () => {
  for (const dir of ['test', 'scripts', 'proxy']) {
    for (const file of sources(path.join(root, dir))) {
      assert.doesNotMatch(fs.readFileSync(file, 'utf8'), valueImport, path.relative(root, file));
    }
  }
});

test('no plain module of main/ imports a glue module', () => {
  for (const file of sources(path.join(root, 'main')).filter((f) => !GLUE.includes(path.basename(f)))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const glue of GLUE) assert.doesNotMatch(text, new RegExp(`from\\s+['"]\\./${glue.replace('.', '\\.')}['"]`), `${path.basename(file)} imports ${glue}`);
  }
});
