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
 *
 * The hot path's text (a request head, a small response with its body) goes through writeHeld():
 * kept here as one string per socket and written straight to the socket's handle at the turn's
 * end, when nothing else is queued before it. Node's corked Writable path for the same write
 * (writeOrBuffer, the buffered list, uncork, clearBuffer, _writeGeneric, a new WriteWrap, the
 * afterWrite tick) was about a tenth of the engine's CPU at 100-byte responses.
 */
import net from 'node:net';
import type { Writable } from 'node:stream';
import { isDirectWritable, streamBinding, writeError, type SocketInternals, type WriteReq } from './direct-write.ts';

/** Queued bytes from which a held socket is written at once (releaseWrites() says so). */
export const BATCH_BYTES = 16 * 1024;

const held = new Set<Writable>();
/** writeHeld()'s text per held socket, written before the socket's own (corked) queue. */
const pendingText = new Map<Writable, string>();
/** Sockets with a direct write the kernel did not take whole: libuv holds it, Writable does not know. */
const inFlight = new WeakSet<Writable>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const socket of held) release(socket);
  held.clear();
}

/** The held socket's text, then its corked queue, leave now (in that order: the text was written first). */
function release(socket: Writable): void {
  const text = pendingText.get(socket);
  if (text !== undefined) {
    pendingText.delete(socket);
    writeText(socket as net.Socket, text);
  }
  socket.uncork();
}

/** One request object for every write the kernel takes whole (see direct-write.ts). */
let spareReq: WriteReq | undefined;

function writeText(socket: net.Socket, text: string): void {
  const internals = socket as unknown as SocketInternals;
  const handle = internals._handle;
  // Destroyed meanwhile: the text goes with it, as a corked queue does. Ended: every end() on a
  // socket that may be held is preceded by writeNow(), so this is only a socket already closing.
  if (socket.destroyed || !handle || socket.writableEnded) return;
  const { WriteWrap, streamBaseState, kLastWriteWasAsync } = streamBinding!;
  const req = spareReq ?? new WriteWrap();
  req.handle = handle;
  req.async = false;
  const status = handle.writeLatin1String(req, text);
  if (status !== 0) {
    spareReq = req;
    socket.destroy(writeError(status));
    return;
  }
  internals._unrefTimer!();
  if (streamBaseState[kLastWriteWasAsync] === 0) {
    spareReq = req;
    return;
  }
  // The rest waits in libuv, ahead of anything written to the socket later; the request object is
  // that write's now (Node's C++ reads `oncomplete` when it finishes).
  spareReq = undefined;
  req.async = true;
  inFlight.add(socket);
  req.oncomplete = (done: number) => {
    inFlight.delete(socket);
    if (done < 0 && !socket.destroyed) socket.destroy(writeError(done));
  };
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
 * Writes latin1 `text` to `socket`: on a held plain TCP socket with nothing queued before it,
 * straight to its handle at the turn's end; otherwise through `socket.write`.
 */
export function writeHeld(socket: Writable, text: string): void {
  const tcp = socket as net.Socket;
  if (held.has(socket) && socket.writableLength === 0 && !tcp.connecting && !inFlight.has(socket) && isDirectWritable(tcp)) {
    const before = pendingText.get(socket);
    pendingText.set(socket, before === undefined ? text : before + text);
  } else socket.write(text, 'latin1');
}

/**
 * The holder's writes for now are done: a socket with BATCH_BYTES or more queued is written at
 * once (true: the caller may look at its backpressure now); a smaller queue waits for the turn's end.
 */
export function releaseWrites(socket: Writable): boolean {
  if (socket.writableLength + (pendingText.get(socket)?.length ?? 0) < BATCH_BYTES || !held.delete(socket)) return false;
  release(socket);
  return true;
}

/**
 * What `socket` holds for the turn's end is written now: before a destroy(), which would drop it
 * (a server that aborts in the read that brought the last bytes: they still reach the client), and
 * before an end(), which would otherwise send the corked queue and the FIN ahead of writeHeld()'s text.
 */
export function writeNow(socket: Writable): void {
  if (held.delete(socket)) release(socket);
}
