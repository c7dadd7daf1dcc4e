/**
 * Rate limits on new connections: `maxconnrate`, `maxsessrate`, `maxsslrate` (global) and
 * `rate-limit sessions` (frontends). As in HAProxy, a listener over a limit stops taking
 * connections in until the rate allows one more; nothing is refused. HAProxy leaves the waiting
 * connections in the kernel's backlog; Loadstar has accepted them already and leaves them unread
 * (as limiter.ts does for maxconn), in arrival order, up to a backlog's worth per listener.
 *
 * The rate is HAProxy's frequency counter (freq_ctr): the events of the current one-second period
 * plus those of the previous period weighted by the share of it still inside the sliding second.
 */
import type net from 'node:net';
import { FreqCtr } from '../stick/freq-ctr.ts';

const PERIOD_MS = 1000;

/**
 * The counters' clock, in ms: monotonic, and far from 0 as HAProxy's is, so that a counter's first
 * period starts at its first event (a clock starting near 0, as performance.now() does, would put
 * the first period boundary at 1000 ms of process time instead).
 */
export function rateClock(): number {
  return performance.timeOrigin + performance.now();
}

/** A per-second counter: HAProxy's freq_ctr over a one-second period (stick/freq-ctr.ts). */
export class FreqCounter {
  private readonly ctr = new FreqCtr();

  add(now: number, n = 1): void {
    this.ctr.update(PERIOD_MS, n, now);
  }

  /** Events in the sliding second (HAProxy's read_freq_ctr). */
  read(now: number): number {
    return this.ctr.read(PERIOD_MS, now);
  }

  /** How many more events the sliding second takes under `limit` (0: the limit is reached). */
  remain(limit: number, now: number): number {
    return this.ctr.remain(PERIOD_MS, limit, now);
  }

  /** Milliseconds until one more event fits under `limit` (at least 1 when it does not fit now). */
  delay(limit: number, now: number): number {
    return this.ctr.delay(PERIOD_MS, limit, now);
  }
}

/** One limit a listener checks before it takes a connection in. */
export interface RateCheck {
  counter: FreqCounter;
  /** Events per second; 0 or less: no limit. */
  limit: number;
}

/** The shortest wait before a held connection is looked at again. */
const MIN_WAIT_MS = 5;

/** Waiting connections per listener at most: a kernel backlog's worth (more are reset, as a full backlog drops them). */
export const MAX_WAITING = 1024;

/** The gate in front of one listener. */
export class RateGate {
  private readonly waiting: Array<{ socket: net.Socket; go: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param checks the limits in force now (read again at every decision: a reload may change them);
   *   undefined when there are none, and then a connection goes on at once.
   * @param taken called for each connection let in (it counts the events the checks count at accept).
   */
  constructor(private readonly checks: () => RateCheck[] | undefined, private readonly taken: (now: number) => void) {}

  admit(socket: net.Socket, go: () => void): void {
    const checks = this.checks();
    if (checks === undefined) return go();
    const now = rateClock();
    if (this.waiting.length === 0 && room(checks, now)) {
      this.taken(now);
      return go();
    }
    if (this.waiting.length >= MAX_WAITING) return void socket.resetAndDestroy();
    holdUnread(socket);
    this.waiting.push({ socket, go });
    this.schedule(checks, now);
  }

  /** Connections waiting now. */
  get pending(): number {
    return this.waiting.length;
  }

  /** The limits changed (`set rate-limit`): the waiting connections are looked at now, not when the wait computed under the old ones ends. */
  recheck(): void {
    if (this.waiting.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.release();
  }

  private schedule(checks: RateCheck[], now: number): void {
    if (this.timer) return;
    // HAProxy's delay is 1 ms whenever the limit is met exactly, which, with every event in the current
    // period, stays so until it ends: polling then is at most every MIN_WAIT_MS, not every millisecond.
    let wait = MIN_WAIT_MS;
    for (const c of checks) if (c.limit > 0) wait = Math.max(wait, c.counter.delay(c.limit, now));
    this.timer = setTimeout(() => this.release(), wait);
    this.timer.unref();
  }

  private release(): void {
    this.timer = undefined;
    const checks = this.checks() ?? [];
    for (;;) {
      const next = this.waiting[0];
      if (!next) return;
      const now = rateClock();
      if (next.socket.destroyed) {
        this.waiting.shift();
        continue;
      }
      if (!room(checks, now)) return this.schedule(checks, now);
      this.waiting.shift();
      this.taken(now);
      readAgain(next.socket);
      // Containment: this runs from a timer, with nothing below to catch an exception; it closes this connection alone.
      try {
        next.go();
      } catch (e) {
        next.socket.destroy();
        process.emitWarning(e instanceof Error ? e : String(e), 'LoadstarInternalError');
      }
    }
  }
}

function room(checks: RateCheck[], now: number): boolean {
  for (const c of checks) if (c.limit > 0 && c.counter.remain(c.limit, now) <= 0) return false;
  return true;
}

type ReadingHandle = { reading: boolean; readStop(): number; readStart(): number };

/**
 * Stops reading at the socket's handle, not at its stream: a paused stream goes on reading into its
 * buffer, and a TLS handshake (which takes the handle over) would never see those bytes. This runs
 * in the 'connection' event, before the first read, so nothing is buffered yet.
 */
function holdUnread(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: ReadingHandle })._handle;
  if (!handle) return;
  handle.reading = false;
  handle.readStop();
}

/** Reading starts again as it was when the connection came (net's tryReadStart). */
function readAgain(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: ReadingHandle })._handle;
  if (!handle || handle.reading) return;
  handle.reading = true;
  if (handle.readStart() !== 0) socket.destroy();
}
