/**
 * The small process interface the supervisor drives, and one adapter per
 * process kind: Node's child_process.fork (tests, fallbacks) and Electron's
 * utilityProcess.fork (the desktop app; the `utilityProcess` object is passed
 * in, so this module never imports electron).
 */
import { fork } from 'node:child_process';
import { ENGINE_NODE_FLAGS, withAllocatorEnv } from '../proxy/runtime/allocator-env.ts';
import type { HostInbound } from './engine-protocol.ts';

export interface ExitInfo {
  /** Exit status, null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, when the carrier tells (utilityProcess does not). */
  signal: NodeJS.Signals | null;
}

export interface EngineProcess {
  readonly pid: number | undefined;
  postMessage(message: HostInbound): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, when the process has ended for whatever reason. */
  onExit(listener: (exit: ExitInfo) => void): void;
  /** Ends it now, even with a blocked event loop. */
  kill(): void;
}

export type SpawnEngine = () => EngineProcess;

export interface NodeForkOptions {
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
  args?: string[];
  /** Where the host's stdout/stderr go; inherited by default. */
  stdio?: 'inherit' | 'ignore';
}

/** Node's child_process.fork as an EngineProcess. */
export function nodeForkSpawner(modulePath: string, options: NodeForkOptions = {}): SpawnEngine {
  return () => {
    const child = fork(modulePath, options.args ?? [], {
      env: withAllocatorEnv(options.env ?? process.env),
      execArgv: options.execArgv ?? process.execArgv,
      stdio: options.stdio === 'ignore' ? ['ignore', 'ignore', 'ignore', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    // A message to a process that just died must not throw in main.
    child.on('error', () => {});
    return {
      get pid() { return child.pid; },
      postMessage: (message) => {
        if (child.connected) child.send(message, (error) => void error);
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.once('exit', (code, signal) => listener({ code, signal })),
      kill: () => void child.kill('SIGKILL'),
    };
  };
}

/** The part of Electron's UtilityProcess this adapter uses (structural, so no electron import). */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  once(event: 'exit', listener: (code: number) => void): this;
}

export interface UtilityForkLike {
  fork(modulePath: string, args?: string[], options?: { env?: NodeJS.ProcessEnv; execArgv?: string[]; serviceName?: string; stdio?: 'inherit' | 'ignore' | 'pipe' }): UtilityProcessLike;
}

/** Electron's utilityProcess.fork as an EngineProcess. */
export function utilitySpawner(utilityProcess: UtilityForkLike, modulePath: string, env: NodeJS.ProcessEnv): SpawnEngine {
  return () => {
    // The V8 flags as arguments too: a packaged Electron app may ignore NODE_OPTIONS.
    const child = utilityProcess.fork(modulePath, [], { env: withAllocatorEnv(env), execArgv: [...ENGINE_NODE_FLAGS], serviceName: 'Loadstar engine', stdio: 'inherit' });
    let exited = false;
    child.once('exit', () => { exited = true; });
    return {
      get pid() { return child.pid; },
      postMessage: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => void child.on('message', listener),
      // utilityProcess reports only a code; a signal death shows as a non-zero code.
      onExit: (listener) => void child.once('exit', (code) => listener({ code, signal: null })),
      // SIGTERM on POSIX; the host installs no handler, so a blocked loop dies too.
      kill: () => void child.kill(),
    };
  };
}
