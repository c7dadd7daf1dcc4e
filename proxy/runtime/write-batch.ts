/**
 * Small writes of one event-loop turn leave together, at the turn's end.
 *
 * On a loopback or virtualised host the dearest part of a small write is not the copy but the
 * wake-up it causes: the write runs the peer's TCP receive inline, and waking a peer that sleeps
 * in epoll on another CPU costs an inter-processor interrupt (under perf, `sock_def_readable` →
 * `_raw_spin_unlock_irqrestore` took 31 % of the engine's CPU at 100-byte responses, against 11 %
 * of HAProxy's). Writes spaced by the engine's own work let the peer run and fall asleep again
 * between them, so nearly every write pays for a wake-up. HAProxy's event loop sends what a turn
 * produced close together, after processing it; this does the same for Node's sockets: a socket
 * held here stays corked until the turn's check phase (setImmediate), so the responses or requests
 * of every read handled in the turn go out back to back, and a sleeping peer is woken once.
 *
 * Only small writes wait: a socket whose queue reaches BATCH_BYTES is released at once by its
 * holder (a big body gains nothing from waiting and would hold read buffers meanwhile), which also
 * puts a response's head and the body read right after it into one write.
 */
import net from 'node:net';
import type { Writable } from 'node:stream';

/** Queued bytes from which a held socket is written at once (releaseWrites() says so). */
export const BATCH_BYTES = 16 * 1024;

const held = new Set<Writable>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const socket of held) socket.uncork();
  held.clear();
}

/**
 * Corks `socket` until the end of this turn, once per turn. Only sockets: another Writable (an
 * HTTP/2 stream's sink) has its own framing and is left alone. Returns whether it is held.
 */
export function holdWrites(socket: Writable): boolean {
  if (held.has(socket)) return true;
  if (!(socket instanceof net.Socket)) return false;
  socket.cork();
  held.add(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
  return true;
}

/**
 * The holder's writes for now are done: a socket with BATCH_BYTES or more queued is written at
 * once (true: the caller may look at its backpressure now); a smaller queue waits for the turn's end.
 */
export function releaseWrites(socket: Writable): boolean {
  if (socket.writableLength < BATCH_BYTES || !held.delete(socket)) return false;
  socket.uncork();
  return true;
}

/**
 * What `socket` holds for the turn's end is written now: before a destroy(), which would drop it
 * (a server that aborts in the read that brought the last bytes: they still reach the client).
 */
export function writeNow(socket: Writable): void {
  if (held.delete(socket)) socket.uncork();
}
