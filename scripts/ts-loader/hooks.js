// Module hooks for a test run: a .ts module loads its JavaScript compiled before the run
// (compile.js), keeping its own URL, so that import.meta.url and stack traces name the source.
// A source the compiled set lacks, or one changed since, is compiled here (esbuild, loaded then).
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledPath, compileOne, tsconfigRaw } from './compile.js';

/** @type {{ root: string, outDir?: string, compiledAt?: number }} */
let settings;
let tsconfig;

export function initialize(data) {
  settings = data;
}

/** The copy compiled before the run, if it has one and the source has not changed since. */
function compiledCopy(path) {
  const inRoot = relative(settings.root, path);
  if (!settings.outDir || inRoot.startsWith('..') || isAbsolute(inRoot)) return undefined;
  if (statSync(path).mtimeMs >= settings.compiledAt) return undefined;
  try {
    return readFileSync(compiledPath(settings.outDir, settings.root, path), 'utf8');
  } catch {
    return undefined; // a source added since
  }
}

async function javascriptFor(path) {
  tsconfig ??= tsconfigRaw(settings.root);
  return compiledCopy(path) ?? compileOne(path, tsconfig);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    return { format: 'module', source: await javascriptFor(fileURLToPath(url)), shortCircuit: true };
  }
  return nextLoad(url, context);
}
