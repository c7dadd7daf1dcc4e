/**
 * Writes renderer/src/generated/keywords.ts from the keyword registry: the
 * keywords each section of haproxy.cfg accepts, for the configuration
 * editor's completion. The renderer cannot import proxy/config at runtime
 * (DESIGN.md §1), so the list is data generated here. `npm run build` runs
 * this before vite; the output is committed so that a fresh clone
 * type-checks before its first build, and a test fails when it is stale.
 *
 *   node --import tsx scripts/gen-renderer-keywords.ts [--check]
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderRendererKeywords } from './renderer-keywords.ts';

const target = fileURLToPath(new URL('../renderer/src/generated/keywords.ts', import.meta.url));
const text = renderRendererKeywords();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error(`${target} is stale: run 'node --import tsx scripts/gen-renderer-keywords.ts'`);
    process.exit(1);
  }
} else if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) {
  fs.writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
