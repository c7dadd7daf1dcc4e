import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|js|mjs|svelte)$/.test(e.name) ? [p] : [];
  });
}

/** Every module specifier in import/export-from statements, dynamic imports and require calls. */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)];
  return found.map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

test('proxy/ imports neither electron, svelte, nor anything in main/ or renderer/', () => {
  const offenders: string[] = [];
  for (const file of sources(path.join(root, 'proxy'))) {
    for (const spec of specifiers(file)) {
      const resolved = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : spec;
      const bad = /^(electron|svelte)(\/|$)/.test(spec)
        || resolved.startsWith(path.join(root, 'main') + path.sep)
        || resolved.startsWith(path.join(root, 'renderer') + path.sep);
      if (bad) offenders.push(`${path.relative(root, file)} imports '${spec}'`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the boundary check itself recognises a forbidden import', () => {
  const probe = path.join(root, 'test', 'proxy', '.probe-import.ts');
  fs.writeFileSync(probe, "import { app } from 'electron';\nimport x from '../../main/index.ts';\n");
  try {
    assert.deepEqual(specifiers(probe), ['electron', '../../main/index.ts']);
  } finally {
    fs.rmSync(probe);
  }
});
