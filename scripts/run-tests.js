#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (tsx loads TypeScript).
// Node 20's --test does not expand globs itself, so the files are listed here.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runWithLimit } from './test-watchdog.js';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

// Directories of unit tests: modules called in-process, no servers, no waiting, no top-level
// beforeEach/afterEach. Node's runner starts a process per file, and each one costs ~0.6 s of
// CPU loading the sources through tsx, more than most of these files' tests take; so these run
// in a few processes that import several files each (their tests keep their names; a failure's
// stack names its file). Everything else keeps a process of its own.
const SHARED = ['test/proxy/config/', 'test/proxy/balance/', 'test/proxy/acl/', 'test/proxy/control/', 'test/renderer/', 'test/bench/', 'test/scripts/'];
const FILES_PER_GROUP = 20;

/** Test files that share a process, in groups of at most FILES_PER_GROUP, each written as a module importing them. */
function groupFiles(files, dir) {
  const groups = [];
  for (const prefix of SHARED) {
    const members = files.filter((f) => f.startsWith(prefix));
    const count = Math.ceil(members.length / FILES_PER_GROUP);
    for (let i = 0; i < count; i++) {
      // Spread evenly: 58 files make groups of 20, 19 and 19.
      const part = members.filter((_f, n) => n % count === i);
      const name = join(dir, `${prefix.replace(/\/$/, '').replaceAll('/', '-')}-${i + 1}.test.mjs`);
      writeFileSync(name, part.map((f) => `import ${JSON.stringify(pathToFileURL(resolve(f)).href)};\n`).join(''));
      groups.push(name);
    }
  }
  return groups;
}

const filter = process.argv.slice(2);
const files = find('test').filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A filtered run (npm test -- <part of a path>) runs each file on its own, as it is.
const groupDir = filter.length === 0 ? mkdtempSync(join(tmpdir(), 'loadstar-test-groups-')) : undefined;
const grouped = groupDir ? groupFiles(files, groupDir) : [];
const alone = groupDir ? files.filter((f) => !SHARED.some((prefix) => f.startsWith(prefix))) : files;
// Four files at once on a 2-core machine: the suite mostly waits (timeouts, health-check
// intervals, haproxy started side by side). On 2026-12-06 four took 669 s where three took
// 762–832 s. The first run at four failed four tests; each was an order or a moment the load
// exposed (haproxy's threads, a minute's end, an HTTP/2 stream's buffer, haproxy reading past an
// argument), fixed since, and the next run passed whole. Node's runner starts and reports the files
// in the order of their full paths, whatever the order given here.
// A file's process that never ends (a browser or a server left holding its event loop) would hold
// the run: the runner waits for every file's process, and on 2026-12-06 one held a CI run until
// CI's 90-minute limit, with nothing printed. (Node's --test-force-exit is no cure: in a process of
// grouped files it exits once the tests known so far are done, before the later files have loaded,
// and their tests are silently not run.) So a test with no timeout of its own gets 5 minutes (the
// longest took 142 s under CI's load), a file's process 15 (the longest file takes ~3), and the run
// 45 (it takes ~20 on a slow 2-core machine); past that what runs is killed, named, and failed.
const RUN_LIMIT_MS = 45 * 60_000;
const FILE_LIMIT_MS = 15 * 60_000;
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=4', '--test-timeout=300000', ...alone, ...grouped];
const result = await runWithLimit(process.execPath, args, {
  limitMs: RUN_LIMIT_MS,
  fileLimitMs: FILE_LIMIT_MS,
  onFileLimit: (file) => console.error(`\n${file} still runs after ${FILE_LIMIT_MS / 60_000} minutes: stopped\n`),
  onLimit: (files, others) => {
    console.error(`\nThe run is stopped after ${RUN_LIMIT_MS / 60_000} minutes. Test files still running:\n${files.map((f) => `  ${f}\n`).join('') || '  none\n'}`);
    console.error(`Other processes the tests started and left running (one may hold a file's output open):\n${others.map((c) => `  ${c.slice(0, 300)}\n`).join('') || '  none\n'}`);
  },
});
if (groupDir) rmSync(groupDir, { recursive: true, force: true });
process.exit(result.status);
