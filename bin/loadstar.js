#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=67108864 MALLOC_TOP_PAD_=16777216 MALLOC_MMAP_THRESHOLD_=1048576 node --max-semi-space-size=8
// Entry point for the `loadstar` command. It runs the JavaScript that
// `npm run build` (run by `npm ci`/`npm install` through "prepare") compiled
// into dist/: the engine's hot path must not pay for on-the-fly TypeScript.
// The shebang sets glibc's malloc settings and V8's young-generation cap for the engine
// (proxy/runtime/allocator-env.ts says why).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/proxy/cli.js', import.meta.url);
if (!existsSync(compiled)) {
  console.error("loadstar: dist/ is missing; run 'npm run build' (npm ci and npm install run it for you).");
  process.exit(2);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
