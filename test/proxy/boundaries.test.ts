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

/**
 * The layers of proxy/, lowest first: a module imports only from its own layer
 * or lower ones, so changing a lower layer never needs a higher one to build
 * and no import cycle spans layers. A unit is a folder under proxy/, or a file
 * directly in it.
 *   0 errors                              registered error codes (a leaf)
 *   1 config, acl, balance, certs, tls    the configuration and what it compiles to
 *   2 runtime, stick                      running state: servers, backends, counters, logger, exchange records, stick tables
 *   3 checks, stats                       health checks, statistics (read runtime state through narrow views)
 *   4 http, tcp                           the frontends (each implements runtime's Frontend)
 *   5 engine, engine-events               sockets, tables, reloads, the event hub
 *   6 store                               configuration versions, history
 *   7 control                             the control contract's implementation (the one door)
 *   8 admin, cli, demo                    entry points
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors'],
  ['config', 'acl', 'balance', 'certs', 'tls'],
  ['runtime', 'stick'],
  ['checks', 'stats'],
  ['http', 'tcp'],
  ['engine', 'engine-events'],
  ['store'],
  ['control'],
  ['admin', 'cli', 'demo'],
];

function unitOf(file: string): string {
  const rel = path.relative(path.join(root, 'proxy'), file).split(path.sep);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '');
}

function layerOf(unit: string): number {
  return LAYERS.findIndex((units) => units.includes(unit));
}

/** Every relative import in proxy/ that points to a higher layer, as `from.ts -> to.ts`. */
function wrongWayImports(files: string[]): { wrong: string[]; unplaced: string[] } {
  const wrong: string[] = [];
  const unplaced = new Set<string>();
  for (const file of files) {
    const from = layerOf(unitOf(file));
    if (from < 0) unplaced.add(unitOf(file));
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(path.join(root, 'proxy') + path.sep)) continue;
      const to = layerOf(unitOf(target));
      if (to < 0) unplaced.add(unitOf(target));
      else if (from >= 0 && to > from) wrong.push(`${path.relative(root, file)} -> ${path.relative(root, target)}`.split(path.sep).join('/'));
    }
  }
  return { wrong, unplaced: [...unplaced] };
}

test('imports in proxy/ point down the layer table (config, acl, balance < runtime < checks, stats < http, tcp < engine < store < control < admin, cli)', () => {
  const { wrong, unplaced } = wrongWayImports(sources(path.join(root, 'proxy')).filter((f) => f.endsWith('.ts')));
  assert.deepEqual(unplaced, [], 'every folder and file of proxy/ has a row in LAYERS');
  // 31 import lines pointed up when the table was written (issue #11); none may now.
  assert.deepEqual(wrong, [], 'wrong-way imports');
});

test('the layer check itself reports an import that points up', () => {
  const dir = path.join(root, 'proxy', 'runtime');
  const probe = path.join(dir, '.probe-layer.ts');
  fs.writeFileSync(probe, "import type { Engine } from '../engine.ts';\nimport type { Proxy } from '../config/model.ts';\n");
  try {
    assert.deepEqual(wrongWayImports([probe]).wrong, ['proxy/runtime/.probe-layer.ts -> proxy/engine.ts']);
  } finally {
    fs.rmSync(probe);
  }
});

/** Assignments to a server's state (`server.usable = …`, `s.weight++` …) outside the files allowed to write it. */
function serverStateWrites(files: string[]): string[] {
  const write = /\b(?:server|srv|s)\.(usable|admin|weight|warmup|maxconn)\s*(?:=(?!=)|\+\+|--|\+=|-=)/g;
  const found: string[] = [];
  for (const file of files) {
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (write.test(line.replace(/\/\/.*$/, ''))) found.push(`${path.relative(root, file).split(path.sep).join('/')}:${i + 1}`);
      write.lastIndex = 0;
    });
  }
  return found;
}

test("a server's state (usable, admin, weight, warmup, maxconn) is written only by RuntimeBackend: checks, agent, runtime API, stats page and control call its setters", () => {
  const owners = new Set([path.join(root, 'proxy', 'runtime', 'backend.ts'), path.join(root, 'proxy', 'runtime', 'server.ts')]);
  const files = sources(path.join(root, 'proxy')).filter((f) => f.endsWith('.ts') && !owners.has(f));
  assert.deepEqual(serverStateWrites(files), []);
});

test('the server-state check itself finds a write', () => {
  const probe = path.join(root, 'test', 'proxy', '.probe-state.ts');
  fs.writeFileSync(probe, "server.usable = false;\nif (server.usable === true) s.weight++;\nreply.admin = 'MAINT';\n");
  try {
    assert.deepEqual(serverStateWrites([probe]), ['test/proxy/.probe-state.ts:1', 'test/proxy/.probe-state.ts:2']);
  } finally {
    fs.rmSync(probe);
  }
});
