/**
 * One direction of a TCP session, read into buffers Loadstar reuses instead of
 * one fresh allocation per read. The server side always (`net.connect`'s
 * `onread`); the client side when client-reads.ts could give the accepted
 * socket the same `onread` (plain TCP clients).
 *
 * Left to itself, Node reads every socket into a new 64 KiB malloc'd backing
 * store (an ArrayBuffer V8 frees only when it collects it). Relaying 64 KiB
 * responses that way allocated ~10 MB/s of external memory per 1000 req/s: V8
 * ran a mark-compact every few hundred ms for it, and glibc handed the freed
 * heap top back to the kernel and faulted it in again (~2 minor faults per
 * response; docs/perf-tcp.md has the measurements). `net.connect` takes an
 * `onread` option (a buffer, or a function giving the next buffer after each
 * read, and a callback instead of 'data'); the reading ("source") socket uses it
 * and the bytes are written to the other ("sink") one:
 *
 *  - An idle source socket reads into one small buffer shared by all of them
 *    (both directions, every session).
 *    What lands there is copied out before it is written (into a slice of
 *    Node's shared 8 KiB pool; a full read into the socket's own buffer, see
 *    below), so no write ever refers to the shared buffer and any socket may
 *    read into it next.
 *  - A read that fills its buffer means more is coming: the socket then reads
 *    into a 64 KiB buffer from a free list, its own until a read leaves it not
 *    full, when the buffer goes back to the list.
 *  - A write the sink cannot take at once keeps a reference to the buffer it
 *    was given (Node queues the view, not a copy): that buffer then stays with
 *    the write, the socket takes another one for its next read, and the buffer
 *    returns to the list on the sink's 'drain' (nothing left to write).
 *
 * Backpressure is pipe()'s: the source is paused when the sink's write queue
 * is over its high-water mark, and resumed on 'drain' — but not after a write
 * the kernel took whole (Node's write() returns false for any chunk larger
 * than the mark, even one already sent).
 */
import type net from 'node:net';

/** Below half of Buffer.poolSize (8 KiB), so a copy of what was read is a slice of Node's pool. */
const SHARED_READ_SIZE = 4095;
/** libuv's suggested read size, what Node reads into by default. */
const OWN_READ_SIZE = 64 * 1024;
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

export interface ReadTarget {
  /** The socket read from (paused and resumed for backpressure). */
  source: net.Socket;
  /** The socket written to. */
  sink: net.Socket;
  /** Called with each chunk's size before it is written (byte counters, fault points). */
  onChunk(bytes: number): void;
}

export class ReusedReads {
  /** The 64 KiB buffer this socket reads into while it is busy. */
  private own: Buffer | undefined;
  /** Buffers given to writes still queued in the sink socket, back to the free list on 'drain'. */
  private lent: Buffer[] = [];
  /** The last read filled its buffer. */
  private filled = false;
  private paused = false;
  private target: ReadTarget | undefined;

  /** The `onread` option of `net.connect` for the source socket. */
  readonly onread = {
    buffer: (): Buffer => this.nextBuffer(),
    // true: reading goes on (backpressure pauses the socket itself, see relay()).
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      this.relay(bytes, buffer as Buffer);
      return true;
    },
  };

  /** Relays from now on (the source socket is connected; nothing was read before). */
  start(target: ReadTarget): void {
    this.target = target;
    target.sink.on('drain', () => this.drained());
  }

  /** The session is over: the socket reads no more, its own buffer goes back (writes still lent keep theirs). */
  close(): void {
    if (this.own) giveBack(this.own);
    this.own = undefined;
    this.lent = [];
    this.target = undefined;
  }

  private nextBuffer(): Buffer {
    if (this.filled) return (this.own ??= takeBuffer());
    if (this.own) {
      giveBack(this.own);
      this.own = undefined;
    }
    return shared;
  }

  private relay(bytes: number, buffer: Buffer): void {
    this.filled = bytes === buffer.length;
    const target = this.target;
    // Not relaying (yet or any more): what the source sent has nowhere to go.
    if (!target) return;
    target.onChunk(bytes);
    const sink = target.sink;
    if (sink.destroyed) return;
    let chunk: Buffer;
    if (buffer !== shared) chunk = bytes === buffer.length ? buffer : buffer.subarray(0, bytes);
    else if (bytes < shared.length) {
      chunk = Buffer.allocUnsafe(bytes);
      shared.copy(chunk, 0, 0, bytes);
    } else {
      // A full small read: more is coming, into the socket's own buffer, which takes this copy first.
      this.own ??= takeBuffer();
      shared.copy(this.own, 0, 0, bytes);
      chunk = this.own.subarray(0, bytes);
    }
    const belowMark = sink.write(chunk);
    if (sink.writableLength === 0) return;
    // The write is queued and may refer to the socket's own buffer: it is the write's until the queue is empty.
    if (this.own && chunk.buffer === this.own.buffer) {
      this.lent.push(this.own);
      this.own = undefined;
    }
    if (!belowMark) {
      this.paused = true;
      target.source.pause();
    }
  }

  /** The sink took everything queued: lent buffers are free, and the source may send again. */
  private drained(): void {
    if (this.lent.length > 0) {
      for (const b of this.lent) giveBack(b);
      this.lent = [];
    }
    if (this.paused && this.target) {
      this.paused = false;
      this.target.source.resume();
    }
  }
}
