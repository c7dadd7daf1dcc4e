/**
 * Log lines to a UNIX datagram socket (`log /dev/log local0`, what Debian's and most distributions'
 * haproxy.cfg write). Node.js cannot send datagrams on a UNIX socket without a native addon, so each
 * (socket, tag) pair gets one util-linux `logger` process (package bsdutils: installed on every Debian
 * and derivative), which reads `<PRI>message` lines on its standard input and sends each as one
 * datagram with the local header haproxy writes there: `<PRI>Mmm dd hh:mm:ss tag[pid]: message`
 * (haproxy ends its datagram with a newline, logger does not: syslog daemons drop it either way).
 *
 * As with haproxy, a line is never waited for: when `logger` takes no more (its pipe is full), lines
 * are dropped and counted (`show info` DroppedLogs); a socket nobody listens on loses them silently.
 * A `logger` that exits is started again on a later line, at most once a second; one that cannot be
 * started at all (not installed) is reported once, and the socket's lines then go to stdout only.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { LogDrops } from './syslog.ts';

/** Between two starts of a `logger` that exited. */
const RESTART_MS = 1000;

export class UnixSocketLog {
  private child: ChildProcessByStdio<Writable, null, null> | undefined;
  /** Its pipe is full: lines are dropped until it drains. */
  private blocked = false;
  private startedAt = -Infinity;
  private unavailable = false;

  constructor(
    readonly path: string,
    readonly tag: string,
    private readonly drops: LogDrops,
    private readonly alert: (message: string) => void,
  ) {}

  /** One line: `pri` is facility × 8 + level; the message is already cut to the target's `len`. */
  write(pri: number, message: string): void {
    const child = this.child ?? this.start();
    if (child === undefined || this.blocked) {
      if (!this.unavailable) this.drops.dropped++;
      return;
    }
    if (!child.stdin.write(`<${pri}>${message.replace(/\n/g, ' ')}\n`, 'latin1')) {
      this.blocked = true;
      child.stdin.once('drain', () => (this.blocked = false));
    }
  }

  /** The configuration that used this socket is gone: `logger` sends what it has read, then exits. */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessByStdio<Writable, null, null> | undefined {
    if (this.unavailable || Date.now() - this.startedAt < RESTART_MS) return undefined;
    this.startedAt = Date.now();
    // --size: lines are cut to the target's len before they come here; logger's own 1 KiB cap must not cut them again.
    const child = spawn('logger', ['--socket', this.path, '--socket-errors=off', '--prio-prefix', '--tag', this.tag, `--id=${process.pid}`, '--size', '65536'],
      { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined && !this.unavailable) {
        this.unavailable = true;
        this.alert(`log target '${this.path}': cannot start 'logger' (util-linux) to write to the UNIX socket (${error.code ?? error.message}): its lines go to stdout only.`);
      }
      if (this.child === child) this.child = undefined;
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      this.blocked = false;
    });
    // A write after logger died: dropped, as the line's datagram would be.
    child.stdin.on('error', () => {});
    // Neither keeps the engine's process alive.
    child.unref();
    (child.stdin as Writable & { unref?: () => void }).unref?.();
    this.child = child;
    this.blocked = false;
    return child;
  }
}
