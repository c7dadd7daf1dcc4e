// How a whole test run is cut into units, one process of Node's test runner each. Plain
// JavaScript: run-tests.js runs it without a TypeScript loader.

// Directories of unit tests: modules called in-process, no servers, no waiting, no top-level
// beforeEach/afterEach. Node's runner starts a process per file, and each one costs ~0.6 s of
// CPU loading the sources through tsx, more than most of these files' tests take; so these run
// in a few processes that import several files each (their tests keep their names; a failure's
// stack names its file). Everything else keeps a process of its own.
const SHARED = ['test/proxy/config/', 'test/proxy/balance/', 'test/proxy/acl/', 'test/proxy/control/', 'test/renderer/', 'test/bench/', 'test/scripts/'];
const FILES_PER_GROUP = 20;

/** Test files that share a process, in groups of at most FILES_PER_GROUP: each group is a name and its files. */
export function groupFiles(files) {
  const groups = [];
  for (const prefix of SHARED) {
    const members = files.filter((f) => f.startsWith(prefix));
    const count = Math.ceil(members.length / FILES_PER_GROUP);
    for (let i = 0; i < count; i++) {
      // Spread evenly: 58 files make groups of 20, 19 and 19.
      groups.push({ name: `${prefix}group-${i + 1}`, files: members.filter((_f, n) => n % count === i) });
    }
  }
  return groups;
}

/** Every test file as a unit: alone, or in its SHARED directory's groups; in path order. */
export function units(files) {
  const alone = files.filter((f) => !SHARED.some((prefix) => f.startsWith(prefix))).map((f) => ({ name: f, files: [f] }));
  return [...alone, ...groupFiles(files)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
