/**
 * Bytes a socket still has to send: its stream's queue and what libuv has not handed to the kernel
 * yet (the handle's writeQueueSize, which Node's own socket timer reads too). It falls as the peer
 * reads: a write timeout that follows it is refreshed by any progress, as HAProxy's are.
 *
 * Why a plain timer and this rather than `socket.setTimeout`: Node's socket timer lets its first
 * expiry pass while a write is pending (net.Socket._onTimeout), so a peer that stopped reading was
 * timed out after twice the timeout.
 */
import type net from 'node:net';

export function pendingWrite(socket: net.Socket): number {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle;
  return socket.writableLength + (handle?.writeQueueSize ?? 0);
}

/**
 * Calls `expired` once `socket` has made no write progress for `ms`; returns the cancel function.
 * For a direction whose sink stopped taking data (backpressure), from the moment it stalled.
 */
export function writeStallTimer(socket: net.Socket, ms: number, expired: () => void): () => void {
  let pending = pendingWrite(socket);
  let timer: NodeJS.Timeout;
  const check = (): void => {
    const now = pendingWrite(socket);
    if (now !== pending) {
      pending = now;
      timer = setTimeout(check, ms);
      return;
    }
    expired();
  };
  timer = setTimeout(check, ms);
  return () => clearTimeout(timer);
}
