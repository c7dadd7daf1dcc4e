// Runs a command with a time limit on the whole run. The test runner waits for each test file's
// process to end, and one that never ends (a server or a browser left holding its event loop)
// would hold the run until CI's own limit, with nothing printed about which file it was. This
// ends the run at its limit instead, and says which test files were still running.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Every process in /proc: pid → { parent pid, command line }. Empty where there is no /proc. */
function processTable() {
  const table = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return table;
  }
  for (const name of entries) {
    try {
      // The command name (field 2) may hold spaces and parentheses: the parent is read after its last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.set(Number(name), { parent, argv });
    } catch {
      // The process ended while the table was read.
    }
  }
  return table;
}

/** The processes `root` started that run a test file: Node's test runner starts one per file. */
export function testProcesses(root, table = processTable()) {
  const found = [];
  for (const [pid, { parent, argv }] of table) {
    const file = parent === root ? argv.find((arg) => /\.test\.(ts|mjs|js)$/.test(arg)) : undefined;
    if (file) found.push({ pid, file });
  }
  return found.sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * Runs `command` with `args` (stdio inherited) in a process group of its own, and resolves with its
 * exit status. When it is still running after `limitMs`, the test files' processes it started are
 * killed (`onLimit` is told their files first): the runner reports them as failed and ends with its
 * summary; `stuck` names them. A runner that has not ended `graceMs` later is killed with its group.
 */
export function runWithLimit(command, args, { limitMs, graceMs = 60_000, onLimit = () => {} }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', detached: true });
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    let stuck;
    let last;
    const timer = setTimeout(() => {
      stuck = testProcesses(child.pid);
      onLimit(stuck.map(({ file }) => file));
      for (const { pid } of stuck) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // It ended meanwhile.
        }
      }
      last = setTimeout(killGroup, graceMs);
    }, limitMs);
    // Ctrl-C reaches only the foreground group, which the run has left: pass it on.
    const interrupt = () => killGroup();
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(last);
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      // What the run started and left behind (a server a killed file had started) goes with it.
      killGroup();
      const status = stuck ? 1 : (code ?? (signal ? 1 : 0));
      resolve({ status, stuck: stuck?.map(({ file }) => file) ?? [] });
    });
  });
}
