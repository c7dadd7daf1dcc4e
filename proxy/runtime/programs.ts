/**
 * `program` sections at run time (configuration.txt 3.7): HAProxy's master starts each command
 * beside its workers (mworker-prog.c, mworker.c); Loadstar's engine, the process that owns
 * reloads, does the same, with the same life and messages as haproxy 2.6.12 (checked with
 * `haproxy -W`):
 * - start: each program is started ("New program 'a' (pid) forked").
 * - reload: every running instance gets SIGUSR1 and is a former one from then on; a program with
 *   `option start-on-reload` (the default) gets a new instance, one with `no option
 *   start-on-reload` none.
 * - stop: SIGTERM to every instance, current or former.
 * - a current instance that exits: "Current program 'a' (pid) exited with code N (Exit)"; a status
 *   other than 0, 130 (SIGINT) or 143 (SIGTERM) is a failure, which stops everything unless
 *   `master-worker no-exit-on-failure` (HAProxy's exit-on-failure).
 * - a former instance (one a reload replaced) that exits: "Former program …" as a warning.
 * A signal ends a program with status 128 + its number, described as strsignal(3) does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Program } from '../config/model.ts';

export type ProgramReportLevel = 'NOTICE' | 'WARNING' | 'ALERT';

export interface ProgramsHost {
  report(level: ProgramReportLevel, message: string): void;
  /** A current program ended with a failing status and exit-on-failure applies. */
  failed(program: string, status: number): void;
}

interface Instance {
  name: string;
  child: ChildProcess;
  /** Replaced by a reload (or not started again by one): its end is not a failure. */
  former: boolean;
}

/** strsignal(3)'s descriptions (glibc) of the signals a program is likely to die of. */
const SIGNAL_TEXT: Readonly<Record<string, string>> = {
  SIGHUP: 'Hangup', SIGINT: 'Interrupt', SIGQUIT: 'Quit', SIGILL: 'Illegal instruction', SIGTRAP: 'Trace/breakpoint trap',
  SIGABRT: 'Aborted', SIGBUS: 'Bus error', SIGFPE: 'Floating point exception', SIGKILL: 'Killed', SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault', SIGUSR2: 'User defined signal 2', SIGPIPE: 'Broken pipe', SIGALRM: 'Alarm clock', SIGTERM: 'Terminated',
};

/** strerror(3)'s words for the errors a failed exec gives. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', ENOEXEC: 'Exec format error', ENOTDIR: 'Not a directory',
  EPERM: 'Operation not permitted', E2BIG: 'Argument list too long', ENOMEM: 'Cannot allocate memory',
};

/** HAProxy's exit status of a child: its exit code, or 128 + the signal that ended it. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal !== null) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 0;
}

/** "(Exit)" for a status below 128, else the signal's description. */
export function statusText(status: number, signal: NodeJS.Signals | null): string {
  if (status < 128) return 'Exit';
  return (signal !== null ? SIGNAL_TEXT[signal] : undefined) ?? `Unknown signal ${status - 128}`;
}

/** How long a stop waits for the programs to end after SIGTERM. */
const STOP_WAIT_MS = 3000;

export class Programs {
  private instances: Instance[] = [];
  private exitOnFailure = true;
  /** Stopping: the instances' ends are the stop's doing, not failures. */
  private stopping = false;
  private readonly onProcessExit = (): void => this.signalAll('SIGTERM');

  constructor(private readonly host: ProgramsHost) {}

  /** At the engine's start: every program of the configuration. */
  start(programs: readonly Program[], exitOnFailure: boolean): void {
    this.exitOnFailure = exitOnFailure;
    this.stopping = false;
    for (const program of programs) this.launch(program);
  }

  /**
   * After a reload took effect: SIGUSR1 to every running instance, which becomes a former one
   * (its end no longer counts as a failure), then a new instance of each program that starts on
   * reload. haproxy 2.6.12 does so for `no option start-on-reload` programs too: their instance is
   * signalled and former, and none starts (an instance that outlives the signal keeps running).
   */
  reload(programs: readonly Program[], exitOnFailure: boolean): void {
    this.exitOnFailure = exitOnFailure;
    for (const instance of this.instances) {
      instance.former = true;
      instance.child.kill('SIGUSR1');
    }
    for (const program of programs) if (program.startOnReload) this.launch(program);
  }

  /**
   * At the engine's stop: SIGTERM to every instance (their ends are no longer failures); resolves
   * once all have ended, or after `waitMs` for one that ignores the signal (it is left running).
   */
  async stop(waitMs = STOP_WAIT_MS): Promise<void> {
    this.stopping = true;
    this.signalAll('SIGTERM');
    const ends = this.instances.map((i) => new Promise<void>((resolve) => (i.child.exitCode !== null || i.child.signalCode !== null ? resolve() : i.child.once('exit', () => resolve()))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ends), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** The running instances (what `show proc` would list): name, pid, and whether a reload replaced it. */
  running(): Array<{ name: string; pid: number | undefined; former: boolean }> {
    return this.instances.map((i) => ({ name: i.name, pid: i.child.pid, former: i.former }));
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const instance of this.instances) instance.child.kill(signal);
  }

  private launch(program: Program): void {
    const [file, ...args] = program.command!;
    const child = spawn(file!, args, {
      stdio: 'inherit',
      ...(program.uid !== undefined ? { uid: program.uid } : {}),
      ...(program.gid !== undefined ? { gid: program.gid } : {}),
    });
    const instance: Instance = { name: program.name, child, former: false };
    if (this.instances.length === 0) process.on('exit', this.onProcessExit);
    this.instances.push(instance);
    if (child.pid !== undefined) this.host.report('NOTICE', `New program '${program.name}' (${child.pid}) forked`);
    child.once('error', (error: NodeJS.ErrnoException) => {
      // No process ran (HAProxy's forked child prints this and exits 1).
      if (child.pid !== undefined) return;
      const reason = ERRNO_TEXT[error.code ?? ''] ?? error.message;
      const ids = error.code === 'EPERM' && (program.uid !== undefined || program.gid !== undefined);
      this.host.report('ALERT', ids ? `[${file}.main()] Cannot set ${program.uid !== undefined ? `uid ${program.uid}` : `gid ${program.gid}`}.` : `Cannot execute ${file}: ${reason}`);
      this.ended(instance, 1, null);
    });
    child.once('exit', (code, signal) => this.ended(instance, exitStatus(code, signal), signal));
  }

  private ended(instance: Instance, status: number, signal: NodeJS.Signals | null): void {
    const at = this.instances.indexOf(instance);
    if (at < 0) return;
    this.instances.splice(at, 1);
    if (this.instances.length === 0) process.off('exit', this.onProcessExit);
    const what = `program '${instance.name}' (${instance.child.pid ?? -1}) exited with code ${status} (${statusText(status, signal)})`;
    if (instance.former) return this.host.report('WARNING', `Former ${what}`);
    this.host.report('ALERT', `Current ${what}`);
    if (status !== 0 && status !== 130 && status !== 143 && this.exitOnFailure && !this.stopping) this.host.failed(instance.name, status);
  }
}
