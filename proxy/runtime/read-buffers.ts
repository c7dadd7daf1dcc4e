/**
 * Buffers a socket reads into (net's `onread` option) that Loadstar reuses,
 * instead of Node's fresh 64 KiB allocation per read. Relaying big bodies
 * through fresh buffers costs a malloc per read, external-memory garbage
 * collections and, on this kind of VM, page faults when glibc trims and
 * re-grows its heap (docs/perf-tcp.md, docs/architecture.md).
 *
 *  - A socket that is not busy reads into one small buffer shared by every
 *    socket (HTTP server connections, both directions of TCP sessions):
 *    whatever must outlive the read is copied out of it (`fromShared`), so it
 *    is free again as soon as the read is handled.
 *  - A read that fills its buffer means more is coming: the socket then reads
 *    into a 64 KiB buffer of its own from a free list, until a read leaves it
 *    not full.
 *  - A write that refers to the socket's own buffer and that the kernel did not
 *    take at once (Node queues the view, not a copy) keeps that buffer: it is
 *    lent to the write, the socket takes another for its next read, and the
 *    lent one goes back to the free list once that writer's queue is empty.
 */
import type { Writable } from 'node:stream';

/** Below half of Buffer.poolSize (8 KiB), so a copy out of it is a slice of Node's pool, not a malloc. */
const SHARED_READ_SIZE = 4095;
/** libuv's suggested read size, what Node reads into by default. */
export const OWN_READ_SIZE = 64 * 1024;
/** Spare 64 KiB buffers kept for the next busy socket (2 MiB); more are left to the GC. */
const MAX_SPARE = 32;

const shared = Buffer.allocUnsafeSlow(SHARED_READ_SIZE);
const spare: Buffer[] = [];

function takeBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(OWN_READ_SIZE);
}

function giveBack(buffer: Buffer): void {
  if (spare.length < MAX_SPARE) spare.push(buffer);
}

/** Buffers in the free list (tests look at it). */
export function spareReadBuffers(): number {
  return spare.length;
}

export class ReadBuffers {
  /** The 64 KiB buffer the socket reads into while it is busy. */
  private own: Buffer | undefined;
  /** Buffers held by writes still queued in `writer`s, back to the free list once their queue is empty. */
  private lent: { buffer: Buffer; writer: Writable }[] = [];
  /** The last read filled its buffer. */
  private filled = false;

  /** The next buffer to read into (net's `onread.buffer` as a function; called after every read). */
  next(): Buffer {
    if (this.lent.length > 0) this.reclaim();
    if (this.filled) return (this.own ??= takeBuffer());
    if (this.own) {
      giveBack(this.own);
      this.own = undefined;
    }
    return shared;
  }

  /** Tells how full the read was (call first in `onread.callback`). */
  read(bytes: number, buffer: Uint8Array): void {
    this.filled = bytes === buffer.length;
  }

  /** True when `chunk` lies in the shared buffer: copy it before it outlives the read. */
  isShared(chunk: Uint8Array): boolean {
    return chunk.buffer === shared.buffer;
  }

  /** A copy of a chunk of the shared buffer (a slice of Node's pool for small ones). */
  fromShared(chunk: Uint8Array): Buffer {
    const copy = Buffer.allocUnsafe(chunk.length);
    copy.set(chunk);
    return copy;
  }

  /**
   * After the writes of one read that may refer to the socket's own buffer: if `writer` still queues
   * bytes, the buffer is the write's now (lent), and the next read goes into another.
   */
  settle(writer: Writable | undefined): void {
    if (!writer || !this.own || writer.writableLength === 0) return;
    this.lent.push({ buffer: this.own, writer });
    this.own = undefined;
  }

  /** Lent buffers whose writer's queue is empty go back; a destroyed writer's are left to the GC. */
  private reclaim(): void {
    this.lent = this.lent.filter(({ buffer, writer }) => {
      if (writer.destroyed) return false;
      if (writer.writableLength > 0) return true;
      giveBack(buffer);
      return false;
    });
  }

  /** The socket reads no more: its own buffer goes back (lent ones stay with their writes). */
  close(): void {
    if (this.own) giveBack(this.own);
    this.own = undefined;
    this.lent = [];
  }
}
