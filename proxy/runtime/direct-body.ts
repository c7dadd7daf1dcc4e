/**
 * Chunks written straight to a plain TCP socket's handle (direct-write.ts), counted while libuv
 * holds them: the TCP relay's (tcp/reused-reads.ts) and big HTTP response bodies'. Through
 * `socket.write` every chunk of a big HTTP body went through Node's Writable machinery (the corked
 * buffer, uncork, clearBuffer, a new WriteWrap, the completion's callbacks and tick): HTTP mode spent
 * ~12 µs of user time per 57 KB read where the TCP relay spends ~5 for the same bytes
 * (docs/architecture.md, "Thirty-seventh pass").
 *
 * A chunk the kernel does not take at once stays with libuv, which refers to its memory: the
 * caller stops reading from the server until `whenIdle` calls back (the backpressure Writable's
 * 'drain' gave), and a read buffer the chunk is a view of stays lent to this object, whose
 * `writableLength` counts those writes (ReadBuffers.settle / reclaim).
 */
import type net from 'node:net';
import { directWriter, type DirectWriteResult, type DirectWriter } from './direct-write.ts';
import type { LendingWriter } from './read-buffers.ts';

export class DirectBodyWrites implements LendingWriter {
  private readonly writer: DirectWriter | undefined;
  /** Direct writes libuv still holds (completed or failed ones are counted off). */
  private pending = 0;
  private idle: (() => void) | undefined;

  constructor(private readonly socket: net.Socket) {
    this.writer = directWriter(socket, () => {
      this.pending--;
      if (this.pending > 0) return;
      const idle = this.idle;
      this.idle = undefined;
      idle?.();
    });
  }

  /** Whether chunks can go straight to the handle at all (a plain TCP socket, Node's binding as expected). */
  get usable(): boolean {
    return this.writer !== undefined;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** What still refers to memory handed to the socket: its stream's queue and the direct writes libuv holds. */
  get writableLength(): number {
    return this.socket.writableLength + this.pending;
  }

  /** Whether a direct write is still held by libuv. */
  get waiting(): boolean {
    return this.pending > 0;
  }

  /**
   * Writes `chunk` to the handle when the stream queues nothing before it: 'sent', 'pending' (the
   * caller keeps the chunk's memory and waits for whenIdle), 'failed' (the socket is being destroyed),
   * or 'stream' (not written: the caller writes it through `socket.write`).
   */
  write(chunk: Buffer): DirectWriteResult {
    if (!this.writer) return 'stream';
    const result = this.writer(chunk);
    if (result === 'pending') this.pending++;
    return result;
  }

  /** Calls `then` once no direct write is pending (at once if none is); a later call replaces it. */
  whenIdle(then: () => void): void {
    if (this.pending === 0) then();
    else this.idle = then;
  }
}
