/**
 * One direction of a TCP session, read into buffers Loadstar reuses instead of
 * one fresh allocation per read. The server side when it is plain TCP
 * (`net.connect`'s `onread`; a TLS server's goes through stream-reads.ts); the
 * client side when client-reads.ts could give the accepted socket the same
 * `onread` (plain TCP clients).
 *
 * Left to itself, Node reads every socket into a new 64 KiB malloc'd backing
 * store; relaying 64 KiB responses that way cost external-memory mark-compacts
 * and page faults (docs/perf-tcp.md has the measurements). The reading
 * ("source") socket reads into ReadBuffers (proxy/runtime/read-buffers.ts: a
 * small buffer every idle socket shares, a 64 KiB one of its own while busy,
 * lent to a write the sink could not take at once) and the bytes are written to
 * the other ("sink") one.
 *
 * A plain TCP sink is written through its handle (direct-write.ts) while its
 * stream queues nothing: a chunk the kernel takes whole costs no stream
 * machinery. A chunk it does not take at once keeps the buffer it refers to
 * and pauses the source until libuv has written it.
 *
 * Backpressure otherwise is pipe()'s: the source is paused when the sink's
 * write queue is over its high-water mark, and resumed on 'drain' — but not
 * after a write the kernel took whole (Node's write() returns false for any
 * chunk larger than the mark, even one already sent).
 */
import type net from 'node:net';
import { ReadBuffers } from '../runtime/read-buffers.ts';
import { DirectBodyWrites } from '../runtime/direct-body.ts';

export interface ReadTarget {
  /** The socket read from (paused and resumed for backpressure). */
  source: net.Socket;
  /** The socket written to. */
  sink: net.Socket;
  /** Called with each chunk's size before it is written (byte counters, fault points). */
  onChunk(bytes: number): void;
  /** Told when reading stops for backpressure (true) and starts again once the sink drained (false). */
  onStall?(stalled: boolean): void;
}

export class ReusedReads {
  private readonly buffers = new ReadBuffers();
  private paused = false;
  private target: ReadTarget | undefined;
  /**
   * Direct writes to the sink, counted as ReadBuffers sees a writer: the socket's own buffer they
   * may refer to is lent to them (not given back to the free list for another socket) until they are done.
   */
  private direct: DirectBodyWrites | undefined;
  /** Until start(): takes what the source sends (tcp-response inspection holding the server's first bytes). */
  private holder: ((chunk: Buffer) => void) | undefined;

  /** The `onread` option of `net.connect` for the source socket. */
  readonly onread = {
    buffer: (): Buffer => this.buffers.next(),
    // true: reading goes on (backpressure pauses the socket itself, see relay()).
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      this.relay(bytes, buffer as Buffer);
      return true;
    },
  };

  /** Until start(), each chunk read is copied (the buffers are reused) and given to `onChunk` instead of being dropped. */
  hold(onChunk: (chunk: Buffer) => void): void {
    this.holder = onChunk;
  }

  /** Relays from now on (the source socket is connected; nothing was read before, or hold() took it). */
  start(target: ReadTarget): void {
    this.holder = undefined;
    this.target = target;
    const direct = new DirectBodyWrites(target.sink);
    this.direct = direct.usable ? direct : undefined;
    target.sink.on('drain', () => this.drained());
  }

  /** The session is over: the socket reads no more, its own buffer goes back (writes still lent keep theirs). */
  close(): void {
    this.buffers.close();
    this.target = undefined;
    this.direct = undefined;
  }

  private relay(bytes: number, buffer: Buffer): void {
    const buffers = this.buffers;
    buffers.read(bytes, buffer);
    const target = this.target;
    // Not relaying (yet or any more): what the source sent has nowhere to go, unless it is held.
    if (!target) {
      if (this.holder) this.holder(Buffer.from(buffer.subarray(0, bytes)));
      return;
    }
    target.onChunk(bytes);
    const sink = target.sink;
    if (sink.destroyed) return;
    let chunk: Buffer;
    if (this.direct) {
      const view = buffers.forDirectWrite(bytes, buffer);
      const direct = this.direct.write(view);
      if (direct === 'sent' || direct === 'failed') return;
      if (direct === 'pending') {
        buffers.directWriteHeld();
        buffers.settle(this.direct);
        this.direct.whenIdle(() => this.drained());
        return this.stall(target);
      }
      chunk = buffers.forStream(view);
    } else {
      chunk = buffers.keep(bytes === buffer.length ? buffer : buffer.subarray(0, bytes));
    }
    const belowMark = sink.write(chunk);
    // A write the kernel did not take whole keeps the buffer it refers to.
    buffers.settle(sink);
    if (!belowMark && sink.writableLength > 0) this.stall(target);
  }

  private stall(target: ReadTarget): void {
    this.paused = true;
    target.source.pause();
    target.onStall?.(true);
  }

  /** The sink took everything queued (stream or direct): lent buffers are free, and the source may send again. */
  private drained(): void {
    this.buffers.reclaim();
    if (this.paused && this.target && !this.direct?.waiting) {
      this.paused = false;
      this.target.source.resume();
      this.target.onStall?.(false);
    }
  }
}
