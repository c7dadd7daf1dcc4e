// How a whole test run is cut into units (one process of Node's test runner each) and the order
// they start in. Plain JavaScript: run-tests.js runs it without a TypeScript loader.

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

// The browser walkthroughs (test/e2e/) each drive a Chromium and a `loadstar serve`: most of a
// core each for a minute or two. In path order they came first, all seventeen one after another:
// four at once for the run's first four minutes kept both cores busy (load 14), a wizard's click once
// went nowhere in that crowd, and the tests waiting on timers ran later with a core to spare. So
// they are spread evenly through the run, the rest kept in path order.
const SPREAD = ['test/e2e/'];

/** The order the units start in: the SPREAD ones at even intervals among the others, which keep theirs. */
export function startOrder(units) {
  const spread = units.filter((u) => SPREAD.some((prefix) => u.name.startsWith(prefix)));
  const others = units.filter((u) => !spread.includes(u));
  const order = [];
  let placed = 0;
  for (let i = 0; i < units.length; i++) {
    // The k-th spread unit starts at place k × units ÷ spread (the first one first), or when no other is left.
    const due = placed < spread.length && (i >= Math.round((placed * units.length) / spread.length) || i - placed === others.length);
    order.push(due ? spread[placed++] : others[i - placed]);
  }
  return order;
}

/** Every test file as a unit: alone, or in its SHARED directory's groups; in path order. */
export function units(files) {
  const alone = files.filter((f) => !SHARED.some((prefix) => f.startsWith(prefix))).map((f) => ({ name: f, files: [f] }));
  return [...alone, ...groupFiles(files)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
