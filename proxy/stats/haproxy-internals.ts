/**
 * HAProxy 2.6's runtime API commands that report on HAProxy's own machinery (file descriptors,
 * threads, tasks, memory pools, profiling, traces, the peers' internal state), which a
 * Node.js engine does not have. They are listed by `help` and suggested for near misses as HAProxy
 * does, so a script's typo gets the same hints; run, each says plainly that Loadstar lacks it
 * instead of "Unknown command".
 */
import { cliErr } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

export interface InternalCommand {
  words: string[];
  usage: string;
  help: string;
  /** `set profiling` and `trace` change the process: admin only, as in HAProxy. */
  level: 'user' | 'admin';
  run(): CliAnswer;
}

function lacking(command: string, what: string): () => CliAnswer {
  return () => cliErr(`'${command}' is not available in Loadstar: it reports ${what}, which Loadstar's Node.js engine does not have.\n`);
}

const INTERNALS = "HAProxy's own internals";

export const INTERNAL_COMMANDS: readonly InternalCommand[] = [
  { words: ['set', 'profiling'], usage: 'set profiling <what> {auto|on|off}', help: 'enable/disable resource profiling (tasks,memory)', level: 'admin', run: lacking('set profiling', `${INTERNALS} (task and memory profiling)`) },
  { words: ['show', 'activity'], usage: 'show activity', help: 'show per-thread activity stats (for support/developers)', level: 'user', run: lacking('show activity', `${INTERNALS} (per-thread loop activity)`) },
  { words: ['show', 'fd'], usage: 'show fd [num]', help: 'dump list of file descriptors in use or a specific one', level: 'user', run: lacking('show fd', `${INTERNALS} (its file descriptor table)`) },
  { words: ['show', 'libs'], usage: 'show libs', help: 'show loaded object files and libraries', level: 'user', run: lacking('show libs', `${INTERNALS} (the object files it loaded)`) },
  { words: ['show', 'peers'], usage: 'show peers [dict|-] [section]', help: 'dump some information about all the peers or this peers section', level: 'user', run: lacking('show peers', `${INTERNALS} (its peers applets and their buffers)`) },
  { words: ['show', 'pools'], usage: 'show pools', help: 'report information about the memory pools usage', level: 'user', run: lacking('show pools', `${INTERNALS} (its memory pools)`) },
  { words: ['show', 'profiling'], usage: 'show profiling [<what>|<#lines>|byaddr]*', help: 'show profiling state (all,status,tasks,memory)', level: 'user', run: lacking('show profiling', `${INTERNALS} (task and memory profiling)`) },
  { words: ['show', 'tasks'], usage: 'show tasks', help: 'show running tasks', level: 'user', run: lacking('show tasks', `${INTERNALS} (its scheduler's tasks)`) },
  { words: ['show', 'threads'], usage: 'show threads', help: 'show some threads debugging information', level: 'user', run: lacking('show threads', `${INTERNALS} (its threads)`) },
  { words: ['show', 'trace'], usage: 'show trace [<module>]', help: 'show live tracing state', level: 'user', run: lacking('show trace', `${INTERNALS} (its trace sources)`) },
  { words: ['trace'], usage: 'trace [<module>|0] [cmd [args...]]', help: 'manage live tracing (empty to list, 0 to stop all)', level: 'admin', run: lacking('trace', `${INTERNALS} (its trace sources)`) },
];
