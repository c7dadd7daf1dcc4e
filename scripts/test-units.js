// How a whole test run is cut into units, one process of Node's test runner each. Plain
// JavaScript: run-tests.js runs it without a TypeScript loader.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Node's runner starts a process per unit, and each one costs ~1 s of CPU and ~1 s of wall time
// loading the engine's sources (measured on 2026-12-06: ten test/proxy/http files took 21.2 CPU-s
// and 69 s as processes of their own, 7.3 CPU-s and 59 s in one). So files share processes: the
// module of a unit imports several files; their tests keep their names, run one after another as
// in a file of their own, and a failure's stack names its file.
//
// Directories of unit tests (modules called in-process, no servers, no waiting) share processes in
// groups of up to 20.
const SHARED = ['test/proxy/config/', 'test/proxy/balance/', 'test/proxy/acl/', 'test/proxy/control/', 'test/renderer/', 'test/bench/', 'test/scripts/'];
const FILES_PER_GROUP = 20;
// Every other file starts servers and waits on them: these share processes by directory in smaller
// groups, so that no group is long enough to be the run's tail.
const FILES_PER_SERVER_GROUP = 6;
// The browser walkthroughs each take 20–130 s beside a Chromium and a `loadstar serve`; the load is a
// small part of that, so each keeps its process.
const ALONE_DIRS = ['test/e2e/'];
// A top-level before/after/beforeEach/afterEach hook belongs to the process's root test: in a shared
// process it would run around the other files' tests too, or (registered after the root's hooks have
// run) not at all. A file with one keeps its process.
const TOP_LEVEL_HOOK = /^(before|after|beforeEach|afterEach)\(/m;

/** `members` cut into `count` groups spread evenly: 58 files in 3 make groups of 20, 19 and 19. */
function spread(prefix, members, perGroup) {
  const count = Math.ceil(members.length / perGroup);
  return Array.from({ length: count }, (_v, i) => ({ name: `${prefix}group-${i + 1}`, files: members.filter((_f, n) => n % count === i) }));
}

/**
 * Every test file as a unit: its SHARED directory's groups, its own directory's server groups, or
 * alone (browser tests, files with top-level hooks); in path order. `source` reads a file's text.
 */
export function units(files, source = (file) => readFileSync(file, 'utf8')) {
  const shared = (f) => SHARED.some((prefix) => f.startsWith(prefix));
  const alone = (f) => ALONE_DIRS.some((prefix) => f.startsWith(prefix)) || TOP_LEVEL_HOOK.test(source(f));
  const plan = SHARED.flatMap((prefix) => spread(prefix, files.filter((f) => f.startsWith(prefix)), FILES_PER_GROUP));
  const byDir = new Map();
  for (const f of files) {
    if (shared(f)) continue;
    if (alone(f)) {
      plan.push({ name: f, files: [f] });
      continue;
    }
    const dir = `${dirname(f)}/`;
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  for (const [dir, members] of byDir) {
    plan.push(...(members.length === 1 ? [{ name: members[0], files: members }] : spread(dir, members, FILES_PER_SERVER_GROUP)));
  }
  return plan.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
