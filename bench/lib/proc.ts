/**
 * Child-process plumbing for benchmarks: spawn a process pinned to a CPU core
 * (via `taskset`), wait until it reports readiness, and make sure every child
 * is killed when the benchmark ends — normally, on an exception, or on
 * SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/** Core the proxy under test runs on. */
export const PROXY_CORE = 0;
/** Core wrk and the origin server run on. */
export const LOAD_CORE = 1;

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => { killAllSync(); process.exit(130); });
  }
  process.on('uncaughtException', (err) => { console.error(err); killAllSync(); process.exit(1); });
  process.on('unhandledRejection', (err) => { console.error(err); killAllSync(); process.exit(1); });
}

export interface Spawned {
  child: ChildProcess;
  /** PID of the real program (taskset execs it, so it is the child's PID). */
  pid: number;
  stdout: string[];
  stderr: string[];
  /** Stop: SIGTERM, then SIGKILL after `graceMs`. Resolves once exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  core?: number;           // pin with taskset -c <core>; undefined = no pinning
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve once a stdout line matches; its match is returned in `ready`. */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
  /** Echo the child's stderr to ours (default true). */
  echoStderr?: boolean;
}

export async function spawnPinned(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Spawned & { ready: RegExpMatchArray | null }> {
  installHooks();
  const full = opts.core === undefined ? [cmd, ...args] : ['taskset', '-c', String(opts.core), cmd, ...args];
  const child = spawn(full[0], full.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const exited = once(child, 'exit').then(() => { live.delete(child); });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let readyResolve: ((m: RegExpMatchArray) => void) | undefined;
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      stdout.push(line);
      if (readyResolve && opts.readyLine) {
        const m = line.match(opts.readyLine);
        if (m) { readyResolve(m); readyResolve = undefined; }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (opts.echoStderr !== false) process.stderr.write(`[${cmd}] ${d}`);
  });
  const stop = async (graceMs = 3000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    await exited;
    clearTimeout(t);
  };
  if (child.pid === undefined) {
    await once(child, 'error').catch(() => undefined);
    throw new Error(`could not spawn ${full.join(' ')}`);
  }
  let ready: RegExpMatchArray | null = null;
  if (opts.readyLine) {
    const timeoutMs = opts.readyTimeoutMs ?? 15000;
    try {
      ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${cmd} not ready after ${timeoutMs} ms; stderr: ${stderr.join('')}`)), timeoutMs);
        const onExit = (code: number | null, sig: string | null): void => {
          clearTimeout(t);
          reject(new Error(`${cmd} exited early (code ${code}, signal ${sig}); stderr: ${stderr.join('')}`));
        };
        child.once('exit', onExit);
        readyResolve = (m) => { clearTimeout(t); child.off('exit', onExit); resolve(m); };
      });
    } catch (err) {
      await stop(500);
      throw err;
    }
  }
  return { child, pid: child.pid, stdout, stderr, stop, ready };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Resolve once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Run a command to completion (bounded), capturing output. */
export async function runBounded(cmd: string, args: string[], opts: { core?: number; timeoutMs: number; cwd?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  installHooks();
  const full = opts.core === undefined ? [cmd, ...args] : ['taskset', '-c', String(opts.core), cmd, ...args];
  const child = spawn(full[0], full.slice(1), { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(t);
  live.delete(child);
  return { code, stdout, stderr };
}
