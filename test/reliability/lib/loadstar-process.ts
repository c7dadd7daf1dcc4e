/**
 * Runs `loadstar run -f FILE` as a child process (lib/loadstar-entry.ts): a
 * crash is then an observation (exit code, stderr) instead of the end of the
 * test run, RSS and descriptors are the proxy's own, and SIGHUP reloads
 * exactly as a user's `kill -HUP` would.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const entry = fileURLToPath(new URL('./loadstar-entry.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface ProcessSample {
  rss: number;
  heapUsed: number;
  eventLoopDelayMeanMs: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Open file descriptors (/proc/PID/fd). */
  fds: number;
}

export interface LoadstarProcess {
  pid: number;
  child: ChildProcess;
  file: string;
  output(): string;
  alive(): boolean;
  exitCode(): number | null;
  /** Resolves when the process has exited (one promise: waiting on it adds no listener). */
  exited: Promise<void>;
  sample(): Promise<ProcessSample>;
  /** Writes the new configuration and sends SIGHUP; resolves with the notice line it printed. */
  reload(text: string): Promise<string>;
  stop(): Promise<void>;
}

/** Resolves once something accepts connections on 127.0.0.1:port. */
export async function waitForPort(port: number, ms: number, giveUp: () => string | undefined): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    const why = giveUp();
    if (why !== undefined || Date.now() > deadline) throw new Error(why ?? `nothing listens on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function openDescriptors(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export async function startLoadstar(configText: string, waitPort: number): Promise<LoadstarProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-reliability-'));
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, configText);
  const child = spawn(process.execPath, ['--import', TS_IMPORT, entry, 'run', '-f', file], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let output = '';
  // Access logs go to stdout; only the tail matters for a report, so keep it bounded.
  const keep = (d: Buffer) => { output = (output + d.toString()).slice(-200_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let code: number | null = null;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', (c, signal) => { exited = true; code = c ?? (signal ? 128 : null); resolve(); }));
  try {
    await waitForPort(waitPort, 30_000, () => (exited ? `loadstar exited (${code}) before listening:\n${output}` : undefined));
  } catch (e) {
    // Never leave a child behind: a test process with one would not exit.
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const pending: Array<(s: Omit<ProcessSample, 'fds'>) => void> = [];
  child.on('message', (m) => pending.shift()?.(m as Omit<ProcessSample, 'fds'>));
  return {
    pid: child.pid!,
    child,
    file,
    output: () => output,
    alive: () => !exited,
    exitCode: () => code,
    exited: exit,
    sample: () => new Promise<ProcessSample>((resolve, reject) => {
      if (exited) return reject(new Error('loadstar is not running'));
      const timer = setTimeout(() => reject(new Error('loadstar did not answer the sample probe')), 10_000);
      pending.push((s) => { clearTimeout(timer); resolve({ ...s, fds: openDescriptors(child.pid!) }); });
      child.send('sample');
    }),
    reload: async (text: string) => {
      const before = output.length;
      fs.writeFileSync(file, text);
      child.kill('SIGHUP');
      const deadline = Date.now() + 15_000;
      for (;;) {
        const m = /\[(NOTICE|ALERT)\] (configuration reloaded|reload refused[^\n]*|reload failed[^\n]*)/.exec(output.slice(Math.max(0, before - 10)));
        if (m) return m[0];
        if (exited) throw new Error(`loadstar exited during a reload:\n${output.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error('no reload notice from loadstar within 15 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
