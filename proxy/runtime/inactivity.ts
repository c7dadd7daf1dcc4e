/**
 * Inactivity timeouts (`timeout client` on HTTP client connections) for many sockets
 * without a Node timer per socket. `socket.setTimeout` gives every socket its own
 * Timeout (≈ 0.25 KB with its bound callback and list links, kept for the whole life of
 * an idle keep-alive connection) and refreshes it on every read and every write — two
 * timer-list moves per request on the hot path.
 *
 * Here one interval per timeout value sweeps the sockets that use it. Activity is what
 * Node's socket timer sees too, reads and writes, taken from the socket's own byte
 * counters (`bytesRead` counts what the handle read, also while llhttp consumes it
 * natively; `bytesWritten` counts writes as they are dispatched): nothing is done per
 * read or write. A sweep that sees the counters moved notes the time; one that sees them
 * unchanged for the whole timeout fires. The price is precision: a timeout fires between
 * `ms` and `ms + 3 × step` after the last activity (never early), with the step
 * `ms / 32` kept between 5 and 500 ms — e.g. `timeout client 30s` fires within 30–31.5 s,
 * 200 ms within 200–218 ms. HAProxy's own timers are ms-exact; its documentation asks for
 * timeouts in seconds for client/server, where this error is ≤ 3 % of the value.
 */
import type net from 'node:net';

/** What the sweep watches: a socket, and what to do when it has been inactive for the whole timeout. */
export interface InactivityWatched {
  readonly socket: net.Socket;
  /** The socket's read + written bytes at the last sweep that saw them change (set by the sweep). */
  inactivityMark: number;
  /** That sweep's tick (monotonic time / step: small integers, no heap number per connection); -1 once fired, until the next activity. */
  inactiveSince: number;
  /** Called from the sweep once per inactive period; it catches its own exceptions. */
  onInactive(): void;
}

const MIN_STEP_MS = 5;
const MAX_STEP_MS = 500;

/** One timeout value's sweep. */
export class InactivitySweep {
  private readonly watched = new Set<InactivityWatched>();
  private timer: NodeJS.Timeout | undefined;
  readonly stepMs: number;
  /**
   * Ticks without activity after which a connection is inactive: one more than the timeout
   * holds, since the tick that saw the activity may have begun up to a step before it.
   */
  private readonly limitTicks: number;

  /** `clock` is the monotonic time in ms (tests give their own). */
  constructor(readonly ms: number, private readonly clock: () => number = () => performance.now()) {
    this.stepMs = Math.min(MAX_STEP_MS, Math.max(MIN_STEP_MS, Math.floor(ms / 32)));
    this.limitTicks = Math.ceil(ms / this.stepMs) + 1;
  }

  private tick(): number {
    return Math.floor(this.clock() / this.stepMs);
  }

  /** Starts watching `w` (its inactivity counts from now). */
  add(w: InactivityWatched): void {
    w.inactivityMark = activity(w.socket);
    w.inactiveSince = this.tick();
    this.watched.add(w);
    // Unref'd as Node's socket timers are: idle connections alone do not keep the process up.
    this.timer ??= setInterval(() => this.sweep(), this.stepMs).unref();
  }

  delete(w: InactivityWatched): void {
    this.watched.delete(w);
  }

  get size(): number {
    return this.watched.size;
  }

  /** @internal One pass over the watched connections (the interval's; tests call it directly). */
  sweep(): void {
    const now = this.tick();
    const limit = this.limitTicks;
    for (const w of this.watched) {
      const mark = activity(w.socket);
      if (mark !== w.inactivityMark) {
        w.inactivityMark = mark;
        w.inactiveSince = now;
      } else if (w.inactiveSince >= 0 && now - w.inactiveSince >= limit) {
        // As Node's socket timeout: once per inactive period; activity arms it again.
        w.inactiveSince = -1;
        w.onInactive();
      }
    }
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

type CountedSocket = net.Socket & { _bytesDispatched?: number };

/**
 * Bytes moved on the socket both ways so far: changes on every read and write. Writes are
 * counted by net.Socket's `_bytesDispatched` (what `bytesWritten` adds to, as each write is
 * handed to the handle — when Node's timer is refreshed too): the public getter allocates a
 * copy of the write queue per call, which a sweep over 10,000 sockets would do each step.
 */
function activity(socket: net.Socket): number {
  return socket.bytesRead + ((socket as CountedSocket)._bytesDispatched ?? socket.bytesWritten);
}

const sweeps = new Map<number, InactivitySweep>();

/** The sweep for a timeout of `ms` (> 0), shared by every connection with that timeout. */
export function inactivitySweep(ms: number): InactivitySweep {
  let sweep = sweeps.get(ms);
  if (!sweep) sweeps.set(ms, (sweep = new InactivitySweep(ms)));
  return sweep;
}

/**
 * A socket's inactivity timeout on the shared sweeps, set like `socket.setTimeout(ms)`: 0 stops it,
 * any other value (the same one too) starts counting from now. For sockets whose every read and write
 * would otherwise refresh a Node timer of their own (a TCP session's two sides: four refreshes per
 * exchange). `expired` runs once per inactive period, from the sweep; if it throws, the socket is destroyed.
 */
export class SocketInactivity implements InactivityWatched {
  inactivityMark = 0;
  inactiveSince = 0;
  private sweep: InactivitySweep | undefined;

  constructor(readonly socket: net.Socket, private readonly expired: () => void) {}

  set(ms: number): void {
    const next = ms > 0 ? inactivitySweep(ms) : undefined;
    if (this.sweep !== next) this.sweep?.delete(this);
    this.sweep = next;
    next?.add(this);
  }

  onInactive(): void {
    try {
      this.expired();
    } catch {
      // A throw here would end the sweep's interval callback for every other socket: this one just closes.
      this.socket.destroy();
    }
  }
}
