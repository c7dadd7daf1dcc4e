/**
 * Buffers a socket reads into (net's `onread` option) that Loadstar reuses,
 * instead of Node's fresh 64 KiB allocation per read. Relaying big bodies
 * through fresh buffers costs a malloc per read, external-memory garbage
 * collections and, on this kind of VM, page faults when glibc trims and
 * re-grows its heap (docs/perf-tcp.md, docs/architecture.md).
 *
 *  - A socket that is not busy reads into one small buffer shared by every
 *    socket (HTTP server connections, both directions of TCP sessions):
 *    whatever must outlive the read is copied out of it (`keep`), so it
 *    is free again as soon as the read is handled.
 *  - A read that fills its buffer means more is coming: the socket then reads
 *    into a 64 KiB buffer of its own from a free list, until a read leaves it
 *    not full.
 *  - A write that refers to the socket's own buffer and that the kernel did not
 *    take at once (Node queues the view, not a copy) keeps that buffer: it is
 *    lent to the write, the socket takes another for its next read, and the
 *    lent one goes back to the free list once that writer's queue is empty.
 *  - A small read relayed straight to a socket's handle (a TCP session) is
 *    copied into one "out" buffer no socket reads into, through views made
 *    once per length (`forDirectWrite`): relaying it allocates nothing.
 */
/** What holds a lent buffer: a Writable stream, or anything that counts the writes still referring to it the same way. */
export interface LendingWriter {
  readonly destroyed: boolean;
  readonly writableLength: number;
}

/** Below half of Buffer.poolSize (8 KiB), so a copy out of it is a slice of Node's pool, not a malloc. */
const SHARED_READ_SIZE = 4095;
/** libuv's suggested read size, what Node reads into by default. */
export const OWN_READ_SIZE = 64 * 1024;
/** Spare 64 KiB buffers kept for the next busy socket (2 MiB); more are left to the GC. */
const MAX_SPARE = 32;

const shared = Buffer.allocUnsafeSlow(SHARED_READ_SIZE);
const spare: Buffer[] = [];

/**
 * Views of a buffer by length, made once: a relayed 100-byte read costs no view object (a small
 * allocation per read was most of what a TCP session's exchange left for the young generation).
 */
class Views {
  private readonly byLength: Array<Buffer | undefined> = new Array(SHARED_READ_SIZE + 1);
  constructor(readonly buffer: Buffer) {}
  first(bytes: number): Buffer {
    return (this.byLength[bytes] ??= this.buffer.subarray(0, bytes));
  }
}

const sharedViews = new Views(shared);

/**
 * Where a small read from the shared buffer is copied to be written straight to a socket's handle
 * (`forDirectWrite`): one buffer for every socket, which — unlike `shared` — no socket reads into,
 * so it is free again as soon as the kernel took the write whole (nearly always). A write that has
 * to wait holds it (libuv refers to its memory): `outHeld()` then puts a new one in its place.
 */
let out = new Views(Buffer.allocUnsafeSlow(SHARED_READ_SIZE));

/** The out buffer is held by a write libuv has not finished: later copies go to another. */
function outHeld(): void {
  out = new Views(Buffer.allocUnsafeSlow(SHARED_READ_SIZE));
}

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
  private lent: { buffer: Buffer; writer: LendingWriter }[] = [];
  /** The last read filled its buffer. */
  private filled = false;
  /** forDirectWrite's last view is in the out buffer. */
  private copiedOut = false;

  /** The next buffer to read into (net's `onread.buffer` as a function; called after every read). */
  next(): Buffer {
    this.reclaim();
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

  /**
   * `view` (of what was just read) as a Buffer that may outlive the read, at most once per read.
   * A view of the socket's own buffer is returned as it is (settle() lends the buffer if a write
   * still holds it). Bytes in the shared buffer are copied: after a full read, into the start of the
   * socket's own buffer, which it reads into next anyway (no allocation); else into Node's pool.
   */
  keep(view: Buffer): Buffer {
    if (view.buffer !== shared.buffer) return view;
    if (this.filled) {
      const own = (this.own ??= takeBuffer());
      own.set(view);
      return own.subarray(0, view.length);
    }
    const copy = Buffer.allocUnsafe(view.length);
    copy.set(view);
    return copy;
  }

  /**
   * The `bytes` just read into `buffer`, to be written straight to a socket's handle at once
   * (direct-write.ts) and nowhere else. A read into the socket's own buffer is returned as keep()
   * returns it. A small read into the shared buffer is copied into the out buffer, with views made
   * once per length: nothing is allocated. The view is valid until the next call; when the write
   * has to wait, call outHeld() (the write keeps the view's memory), and settle() as for keep().
   */
  forDirectWrite(bytes: number, buffer: Buffer): Buffer {
    if (buffer.buffer !== shared.buffer || this.filled) {
      this.copiedOut = false;
      return this.keep(bytes === buffer.length ? buffer : buffer.subarray(0, bytes));
    }
    this.copiedOut = true;
    const view = out.first(bytes);
    view.set(sharedViews.first(bytes));
    return view;
  }

  /** The write of forDirectWrite's view has to wait: its memory is the write's now. */
  directWriteHeld(): void {
    if (this.copiedOut) outHeld();
  }

  /** forDirectWrite's view, to be written through the stream instead (which queues it): a copy of the out buffer's. */
  forStream(view: Buffer): Buffer {
    return this.copiedOut ? Buffer.from(view) : view;
  }

  /**
   * After the writes of one read that may refer to the socket's own buffer: if `writer` still queues
   * bytes, the buffer is the write's now (lent), and the next read goes into another.
   */
  settle(writer: LendingWriter | undefined): void {
    if (!writer || !this.own || writer.writableLength === 0) return;
    this.lent.push({ buffer: this.own, writer });
    this.own = undefined;
  }

  /**
   * Lent buffers whose writer's queue is empty go back; a destroyed writer's are left to the GC.
   * Runs at every read; owners call it on their writer's 'drain' too, because a socket streaming
   * steadily rarely has an empty queue at the moment it reads, and would take new buffers meanwhile.
   */
  reclaim(): void {
    if (this.lent.length === 0) return;
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
