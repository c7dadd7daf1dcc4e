// Compiles the repository's TypeScript once, before a test run, so that the run's hundreds of Node
// processes load JavaScript instead of each compiling (or looking up in tsx's cache) the same
// sources. Measured on 2026-12-06 (8 runs each): loading the engine through tsx cost 1.9 CPU-s a
// process, through these hooks 1.5, plain JavaScript from dist/ 0.9; a run starts ~390 such processes.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

/** Where TypeScript lives in the repository (dist/ and node_modules/ are left out). */
export const SOURCE_DIRS = ['proxy', 'main', 'test', 'bench', 'scripts', 'renderer/src', 'bin'];

function* typescriptFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // a source directory a checkout lacks
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* typescriptFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

/** tsconfig.json's compiler options, for esbuild (it honours the target's class fields and verbatimModuleSyntax). */
export function tsconfigRaw(root) {
  return { compilerOptions: JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions };
}

/**
 * One source's JavaScript, with an inline source map whose source is the file's own name: the hooks
 * give the module its original URL, so stacks name the .ts file and its lines.
 */
export async function compileOne(path, tsconfigRaw) {
  // Imported here: the hooks need esbuild only for a source the compiled set lacks.
  const { transform } = await import('esbuild');
  const { code } = await transform(readFileSync(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: basename(path),
    tsconfigRaw,
  });
  return code;
}

/** Where the compiled form of `path` (absolute) is kept under `outDir`. */
export function compiledPath(outDir, root, path) {
  return join(outDir, relative(root, path)) + '.js';
}

/**
 * Compiles every TypeScript source under `root` into `outDir`; returns how many compiled. A source
 * that does not compile is left out: the hooks compile it again where it is loaded, so its error
 * fails the test files that import it, naming the file and line, and not the whole run.
 */
export async function compileAll(root, outDir) {
  root = resolve(root);
  const tsconfig = tsconfigRaw(root);
  const files = SOURCE_DIRS.flatMap((dir) => [...typescriptFiles(join(root, dir))]);
  const compiled = await Promise.all(
    files.map(async (path) => {
      let code;
      try {
        code = await compileOne(path, tsconfig);
      } catch {
        return false;
      }
      const target = compiledPath(outDir, root, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
      return true;
    }),
  );
  return compiled.filter(Boolean).length;
}
