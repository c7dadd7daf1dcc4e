// Runs a command with a time limit on the whole run. The test runner waits for each test file's
// process to end, and one that never ends (a server or a browser left holding its event loop)
// would hold the run until CI's own limit, with nothing printed about which file it was. So would
// a process a file started with the runner's output as its own (the runner reads each file's output
// to its end). This kills a file's process that runs too long, ends the run at its limit, and says
// what was still running.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Every process in /proc: pid → { parent pid, process group, command line }. Empty where there is no /proc. */
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
      // The command name (field 2) may hold spaces and parentheses: the fields are read after its last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [, parent, group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.set(Number(name), { parent, group, argv });
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

/** The other processes of `root`'s process group (what the test files started and left), with their command lines. */
export function otherProcesses(root, table = processTable()) {
  const files = new Set(testProcesses(root, table).map(({ pid }) => pid));
  const found = [];
  for (const [pid, { group, argv }] of table) {
    if (group === root && pid !== root && !files.has(pid)) found.push({ pid, command: argv.join(' ') });
  }
  return found;
}

function kill(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // It ended meanwhile.
  }
}

/**
 * Runs `command` with `args` (stdio inherited) in a process group of its own, and resolves with its
 * exit status. A test file's process alive for longer than `fileLimitMs` is killed (`onFileLimit`
 * is told its file first): the runner reports the file as failed. When the run is still going after
 * `limitMs`, every other process of its group is killed (`onLimit` is told the test files and the
 * other command lines first), so the runner reports the rest and ends with its summary; one that
 * has not ended `graceMs` later is killed with its group. `stuck` names the files killed.
 */
export function runWithLimit(command, args, { limitMs, fileLimitMs = limitMs, graceMs = 60_000, pollMs = 1000, onLimit = () => {}, onFileLimit = () => {} }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', detached: true });
    const killGroup = () => kill(-child.pid);
    const stuck = [];
    let last;
    // When each test file's process was first seen.
    const seen = new Map();
    const poll = setInterval(() => {
      const now = Date.now();
      for (const { pid, file } of testProcesses(child.pid)) {
        if (!seen.has(pid)) seen.set(pid, now);
        else if (now - seen.get(pid) > fileLimitMs) {
          seen.delete(pid);
          stuck.push(file);
          onFileLimit(file);
          kill(pid);
        }
      }
    }, pollMs);
    const timer = setTimeout(() => {
      clearInterval(poll);
      const table = processTable();
      const files = testProcesses(child.pid, table);
      const others = otherProcesses(child.pid, table);
      stuck.push(...files.map(({ file }) => file));
      onLimit(files.map(({ file }) => file), others.map(({ command }) => command));
      for (const { pid } of [...files, ...others]) kill(pid);
      last = setTimeout(killGroup, graceMs);
    }, limitMs);
    // Ctrl-C reaches only the foreground group, which the run has left: pass it on.
    const interrupt = () => killGroup();
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      clearTimeout(last);
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      // What the run started and left behind (a server a killed file had started) goes with it.
      killGroup();
      resolve({ status: stuck.length > 0 ? 1 : (code ?? (signal ? 1 : 0)), stuck });
    });
  });
}
