/**
 * Real HAProxy as the reference (DESIGN.md §7). Tests that need it skip with a
 * loud notice when it is missing on a user's machine; under CI=true a missing
 * binary is a failure, so a green CI always means HAProxy was consulted.
 */
import { spawnSync } from 'node:child_process';
import fs, { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

export const haproxyPath = (() => {
  const found = spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
})();

/** Returns true when haproxy can be used; otherwise skips (or, in CI, fails) the test. */
export function requireHaproxy(t: TestContext): boolean {
  if (haproxyPath) return true;
  if (process.env.CI) throw new Error('haproxy is not installed, and CI=true requires it (.ci/run installs it with apt-get)');
  console.warn('\n*** haproxy not found: skipping the comparison with real HAProxy (apt-get install haproxy) ***\n');
  t.skip('haproxy not installed');
  return false;
}

/** `haproxy -c` of a configuration text, written to a file of its own in a temporary directory (removed after). */
export function haproxyCheckText(text: string): { status: number; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-haproxy-c-'));
  try {
    fs.writeFileSync(path.join(dir, 'x.cfg'), text);
    return haproxyCheck(path.join(dir, 'x.cfg'), dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `haproxy -c -f FILE` from `cwd`; returns its exit status and output. */
export function haproxyCheck(file: string, cwd: string): { status: number; output: string } {
  const r = spawnSync(haproxyPath!, ['-c', '-f', file], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/**
 * The UNIX socket paths a configuration listens on (`stats socket` and `bind` lines). HAProxy binds
 * its TCP listeners before its UNIX ones, so `port` answering does not mean these listen yet.
 */
function unixListenPaths(configText: string): string[] {
  return [...configText.matchAll(/^\s*(?:stats socket|bind)\s+(?:unix@)?(\/\S+)/gm)].map((m) => m[1]!);
}

/**
 * Whether HAProxy's UNIX stream socket at `path` is listening, from /proc/net/unix (no connection
 * made, so no counter moves). HAProxy binds `<path>.<pid>.tmp`, renames it to `path`, then
 * listens; /proc/net/unix keeps the name the socket was bound to.
 */
function unixListening(procNetUnix: string, path: string, pid: number): boolean {
  if (!existsSync(path)) return false;
  // Flags 00010000 is __SO_ACCEPTCON: listen() has been called.
  return procNetUnix.split('\n').some((line) => (line.endsWith(` ${path}`) || line.endsWith(` ${path}.${pid}.tmp`)) && line.split(/\s+/)[3] === '00010000');
}

/**
 * The TCP ports a configuration's `bind` lines name (`bind 127.0.0.1:P`, `bind :P`, `bind [::1]:P`,
 * comma-separated lists); ranges and UNIX sockets are not TCP ports one can wait for here.
 */
function tcpListenPorts(configText: string): number[] {
  const ports = [...configText.matchAll(/^\s*bind\s+(\S+)/gm)].flatMap((m) => m[1]!.split(','))
    .map((address) => /:(\d+)$/.exec(address)?.[1]).filter((p) => p !== undefined).map(Number);
  return [...new Set(ports)];
}

/**
 * Whether process `pid` listens on every one of `ports`, from /proc/net/tcp{,6} and its descriptors
 * (no connection made). HAProxy binds its listeners one by one and, when one fails (a port another
 * process took), exits after binding the rest: one port answering does not mean it started.
 */
function listensOnAll(pid: number, ports: number[], fs: typeof import('node:fs')): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } });
  } catch {
    return false;
  }
  const own = new Set(fds.map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1]).filter((inode) => inode !== undefined));
  const listening = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; column 9 is the socket's inode.
      if (cols[3] === '0A' && own.has(cols[9]!)) listening.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports.every((p) => listening.has(p));
}

/**
 * The configuration with `nbthread 1` in a global section added at its end (no line moves, so
 * haproxy's messages keep their line numbers), unless it sets nbthread itself. Loadstar serves from
 * one event loop; haproxy with a thread per core may log two streams, or write two datagrams into a
 * ring, in either order, which side-by-side comparisons read as a difference.
 */
function oneThread(configText: string): string {
  if (/^\s*nbthread\s/m.test(configText)) return configText;
  return `${configText}${configText.endsWith('\n') ? '' : '\n'}global\n    nbthread 1\n`;
}

export interface HaproxyOptions {
  /**
   * haproxy's own thread count (one per core) instead of `nbthread 1`: for what it derives from it,
   * the maxconn and maxsock it reserves descriptors for, which Loadstar derives as haproxy would on
   * this machine.
   */
  defaultThreads?: boolean;
}

/** Runs real HAProxy in the foreground (`-db`) on a configuration text; resolves once `port` accepts connections and it listens on all its TCP ports and UNIX sockets. */
export async function startHaproxy(configText: string, port: number, options: HaproxyOptions = {}): Promise<{ stop(): Promise<void>; output(): string; alive(): boolean }> {
  const { spawn } = await import('node:child_process');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const net = await import('node:net');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, options.defaultThreads ? configText : oneThread(configText));
  const child = spawn(haproxyPath!, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  // The port is probed until it answers, once: each probe is a connection HAProxy counts.
  let portOpen = false;
  let openedAt = 0;
  const tcpPorts = tcpListenPorts(configText);
  for (;;) {
    if (!portOpen) {
      portOpen = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      openedAt = Date.now();
    }
    if (portOpen) {
      const procNetUnix = fs.readFileSync('/proc/net/unix', 'utf8');
      // A failed bind ends haproxy within milliseconds; a port still missing after a second is one
      // it does not listen on by design (a disabled proxy's, say), and waiting longer would not help.
      const tcpReady = listensOnAll(child.pid!, tcpPorts, fs) || (Date.now() - openedAt > 1000 && child.exitCode === null);
      if (tcpReady && unixListenPaths(configText).every((p) => unixListening(procNetUnix, p, child.pid!))) break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, portOpen ? 5 : 50));
  }
  return {
    output: () => output,
    /** Still running (haproxy aborts on a BUG_ON some hostile peers reach). */
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      child.kill('SIGUSR1');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The head of a configuration run side by side by Loadstar and HAProxy to compare their log
 * lines: HAProxy writes them to stdout (startHaproxy's output), Loadstar to startEngine's logs.
 * `defaults` lines are added to the defaults section (a timeout the test needs, say).
 */
export function loggedHttpHead(defaults = ''): string {
  return `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
${defaults}`;
}

/**
 * A haproxy log line in the words of its alert on stderr, which Loadstar's alerts follow: the two
 * differ only for a backend left without servers, whose alert quotes the name (set_backend_down:
 * "backend 'app' has no server available!") where the log line does not.
 */
export function inAlertWords(logLine: string): string {
  return logLine.replace(/^backend (\S+) has no server available!$/, "backend '$1' has no server available!");
}
