import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileAll, compiledPath } from '../../../scripts/ts-loader/compile.js';

const register = pathToFileURL(path.resolve('scripts/ts-loader/register.js')).href;

/** A small project: a module that prints what its import says, its own URL, and fails at a known line when asked. */
function project(): { root: string; main: string; lib: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ts-loader-'));
  fs.writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', verbatimModuleSyntax: true } }));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.mkdirSync(path.join(root, 'proxy'));
  const lib = path.join(root, 'proxy', 'lib.ts');
  const main = path.join(root, 'proxy', 'main.ts');
  fs.writeFileSync(lib, "export enum Mode { Tcp = 'tcp', Http = 'http' }\nexport const from = 'source';\n");
  fs.writeFileSync(
    main,
    [
      "import type { Server } from 'node:net';",
      "import { Mode, from } from './lib.ts';",
      'class Holder { value: number = 1; }',
      'const unused: Server | undefined = undefined;',
      'console.log(JSON.stringify({ mode: Mode.Http, from, url: import.meta.url, field: Object.keys(new Holder()), unused }));',
      "if (process.argv[2] === 'fail') throw new Error('line 6');",
      '',
    ].join('\n'),
  );
  return { root, main, lib };
}

function run(env: Record<string, string>, file: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', register, file, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, out: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

test('a compiled set is what a .ts module loads, under its own URL; a source changed since, or outside the set, is compiled as it loads', async (t) => {
  const { root, main, lib } = project();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const outDir = path.join(root, 'out');
  const compiledAt = Date.now() - 1000; // the sources below are older than this, as before a run
  const past = new Date(compiledAt - 5000);
  for (const f of [lib, main]) fs.utimesSync(f, past, past);
  assert.equal(await compileAll(root, outDir), 2);
  const env = { LOADSTAR_TS_COMPILED: JSON.stringify({ root, outDir, compiledAt }) };

  const plain = run(env, main);
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(plain.out, { mode: 'http', from: 'source', url: pathToFileURL(main).href, field: ['value'] });

  // The copy is what loads: one edited after compiling says so.
  fs.writeFileSync(compiledPath(outDir, root, lib), "export var Mode = { Http: 'http' };\nexport const from = 'compiled copy';\n");
  assert.equal(run(env, main).out.from, 'compiled copy');

  // A source changed after the compile is compiled anew, not taken from the stale copy.
  fs.writeFileSync(lib, "export enum Mode { Http = 'http' }\nexport const from = 'changed source';\n");
  assert.equal(run(env, main).out.from, 'changed source');

  // Without a compiled set, every source is compiled as it loads.
  assert.equal(run({ LOADSTAR_TS_COMPILED: JSON.stringify({ root }) }, main).out.from, 'changed source');
});

test('a stack names the .ts source and its line', (t) => {
  const { root, main } = project();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = run({ LOADSTAR_TS_COMPILED: JSON.stringify({ root }) }, main, 'fail');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`${main.replaceAll('.', '\\.')}:6:`));
});

test('a source that does not compile fails where it is loaded, naming its line; the rest of the set compiles', async (t) => {
  const { root, main } = project();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const broken = path.join(root, 'proxy', 'broken.ts');
  fs.writeFileSync(broken, 'export const x: number = 1;\nexport const y = (;\n');
  const outDir = path.join(root, 'out');
  const compiledAt = Date.now() + 1000; // every source predates the compile
  assert.equal(await compileAll(root, outDir), 2);
  const env = { LOADSTAR_TS_COMPILED: JSON.stringify({ root, outDir, compiledAt }) };
  assert.equal(run(env, main).status, 0);
  const r = run(env, broken);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /broken\.ts:2:/);
});
