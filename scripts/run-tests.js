#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner. TypeScript is compiled once, before the
// run, and loaded by scripts/ts-loader (see there why not tsx).
// Node 20's --test does not expand globs itself, so the files are listed here.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runWithLimit } from './test-watchdog.js';
import { units as planUnits } from './test-units.js';
import { compileAll } from './ts-loader/compile.js';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Node's runner starts (and reports) the files in the order of their full paths, whatever the order
 * it is given; so, with the groups' modules in the temporary directory, the order depended on where
 * the checkout is (in CI's, /check/work/main, the browser tests came first and the groups last; in
 * /tmp/…, the other way round). So each unit of a whole run is a module in `dir` whose name begins
 * with its place in path order, importing its test files (their tests keep their names; a failure's
 * stack names its file): the same order on every machine.
 * (Spreading the browser tests through the run instead was measured on 2026-12-06: 1,060 → 1,027 s,
 * but both cores were busy in 62 % of the later two-second samples instead of 47 %, the load under
 * which the tests compared with haproxy on timing fail; not kept. Measured again after the server
 * tests came to share processes: two tests failed under the moved load; not kept. See
 * docs/architecture.md, "Thirty-fifth pass".)
 */
function writeUnits(units, dir) {
  return units.map((unit, n) => {
    const file = join(dir, `${String(n).padStart(4, '0')}-${unit.name.replace(/\/$/, '').replaceAll('/', '-')}.test.mjs`);
    writeFileSync(file, unit.files.map((f) => `import ${JSON.stringify(pathToFileURL(resolve(f)).href)};\n`).join(''));
    return { file, name: unit.name };
  });
}

const filter = process.argv.slice(2);
const files = find('test').filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A filtered run (npm test -- <part of a path>) runs each file on its own, as it is, in path order.
const whole = filter.length === 0;
const unitDir = whole ? mkdtempSync(join(tmpdir(), 'loadstar-test-units-')) : undefined;
const units = unitDir ? writeUnits(planUnits(files), unitDir) : files.map((f) => ({ file: f, name: f }));
/** What a unit's module is, for messages: its test file, or the group's name. */
const unitName = new Map(units.map((u) => [u.file, u.name]));
const named = (file) => unitName.get(file) ?? file;
// Five units at once on a 2-core machine: the suite mostly waits (timeouts, health-check intervals,
// haproxy started side by side). On 2026-12-06 four took 669 s where three took 762–832 s; after
// the server tests came to share processes (test-units.js), five took 739 s where four took 818,
// CPU 933 against 1,030 s. (Five was measured before that too, at 979 s against 1,011–1,046, and
// not kept then: 3–6 % for more load, while loading ~335 processes took a third of the CPU.)
// The first runs at a new concurrency each found tests timed on an assumption the load broke (a
// pause that took longer than asked, haproxy's threads, a minute's end); each was fixed.
// Node's runner starts and reports the units in the order of their full paths, whatever the order
// given here: hence writeUnits.
// A file's process that never ends (a browser or a server left holding its event loop) would hold
// the run: the runner waits for every file's process, and on 2026-12-06 one held a CI run until
// CI's 90-minute limit, with nothing printed. (Node's --test-force-exit is no cure: in a process of
// grouped files it exits once the tests known so far are done, before the later files have loaded,
// and their tests are silently not run.) So a test with no timeout of its own gets 5 minutes (the
// longest took 142 s under CI's load), a file's process 15 (the longest file takes ~3), and the run
// 45 (it takes ~20 on a slow 2-core machine); past that what runs is killed, named, and failed.
const RUN_LIMIT_MS = 45 * 60_000;
const FILE_LIMIT_MS = 15 * 60_000;
// The sources as JavaScript, compiled before the run; its processes (and the children they start
// with test/helpers/ts-import.ts's loader) read them from here.
const compiledDir = mkdtempSync(join(tmpdir(), 'loadstar-test-js-'));
const compiledAt = Date.now();
await compileAll('.', compiledDir);
process.env.LOADSTAR_TS_COMPILED = JSON.stringify({ root: resolve('.'), outDir: compiledDir, compiledAt });
const loader = pathToFileURL(resolve('scripts/ts-loader/register.js')).href;
const args = ['--import', loader, '--test', '--test-reporter=spec', '--test-concurrency=5', '--test-timeout=300000', ...units.map((u) => u.file)];
const result = await runWithLimit(process.execPath, args, {
  limitMs: RUN_LIMIT_MS,
  fileLimitMs: FILE_LIMIT_MS,
  onFileLimit: (file) => console.error(`\n${named(file)} still runs after ${FILE_LIMIT_MS / 60_000} minutes: stopped\n`),
  onLimit: (files, others) => {
    console.error(`\nThe run is stopped after ${RUN_LIMIT_MS / 60_000} minutes. Test files still running:\n${files.map((f) => `  ${named(f)}\n`).join('') || '  none\n'}`);
    console.error(`Other processes the tests started and left running (one may hold a file's output open):\n${others.map((c) => `  ${c.slice(0, 300)}\n`).join('') || '  none\n'}`);
  },
});
if (unitDir) rmSync(unitDir, { recursive: true, force: true });
rmSync(compiledDir, { recursive: true, force: true });
process.exit(result.status);
