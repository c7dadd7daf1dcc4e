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

/** Files reached from `entry` through relative imports (type-only ones included), and the bare specifiers met on the way. */
function importClosure(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else external.add(`${path.relative(root, file)} imports '${spec}'`);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => path.relative(root, f)).sort(), external: [...external] };
}

test("contract.ts's type closure stays inside proxy/control/ and proxy/errors.ts, with no node:* or other package import", () => {
  const { files, external } = importClosure(path.join(root, 'proxy', 'control', 'contract.ts'));
  assert.deepEqual(files.filter((f) => !f.startsWith(`proxy${path.sep}control${path.sep}`) && f !== path.join('proxy', 'errors.ts')), []);
  assert.deepEqual(external, []);
  // A renderer compiled with DOM-only types has no Node namespace either.
  const nodeTypes = files.filter((f) => /\bNodeJS\.|\bBuffer\b/.test(fs.readFileSync(path.join(root, f), 'utf8').replace(/\/\/.*$/gm, '')));
  assert.deepEqual(nodeTypes, []);
});

test('the closure check itself follows imports and reports what leaves the allowed files', () => {
  const dir = fs.mkdtempSync(path.join(root, 'test', 'proxy', '.probe-closure-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "import type net from 'node:net';\nexport type B = net.Socket;\n");
    const { files, external } = importClosure(path.join(dir, 'a.ts'));
    assert.deepEqual(files.map((f) => path.basename(f)), ['a.ts', 'b.ts']);
    assert.equal(external.length, 1);
    assert.match(external[0]!, /imports 'node:net'$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
