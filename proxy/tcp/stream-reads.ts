/**
 * One direction of a TCP session read through the socket's 'data' events: the
 * server side when it is a TLS socket (`server … ssl`), whose bytes are
 * decrypted by the TLS layer and cannot be read into reused buffers (a
 * `tls.TLSSocket` takes no `onread`). The same contract as ReusedReads (hold
 * until start, relay with pipe()'s backpressure, close), so the relay in
 * frontend.ts treats both alike; the plain path's per-chunk code is
 * ReusedReads' own and pays nothing for this one.
 */
import type net from 'node:net';
import type { ReadTarget } from './reused-reads.ts';

/** What frontend.ts's relay and tcp-response inspection need of a server side's reads. */
export interface ServerReads {
  hold(onChunk: (chunk: Buffer) => void): void;
  start(target: ReadTarget): void;
  close(): void;
}

export class StreamReads implements ServerReads {
  private target: ReadTarget | undefined;
  private holder: ((chunk: Buffer) => void) | undefined;
  private paused = false;
  private listening = false;

  constructor(private readonly source: net.Socket) {}

  /** Until start(), each chunk is given to `onChunk` (tcp-response inspection holding the server's first bytes). */
  hold(onChunk: (chunk: Buffer) => void): void {
    this.holder = onChunk;
    this.listen();
  }

  start(target: ReadTarget): void {
    this.holder = undefined;
    this.target = target;
    target.sink.on('drain', () => {
      if (!this.paused || !this.target) return;
      this.paused = false;
      this.target.source.resume();
      this.target.onStall?.(false);
    });
    this.listen();
  }

  close(): void {
    this.target = undefined;
  }

  /** 'data' is listened to from the first hold() or start() on: until then the socket keeps what it reads. */
  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.source.on('data', (chunk: Buffer) => this.relay(chunk));
  }

  private relay(chunk: Buffer): void {
    const target = this.target;
    if (!target) {
      this.holder?.(chunk);
      return;
    }
    target.onChunk(chunk.length);
    const sink = target.sink;
    if (sink.destroyed) return;
    if (!sink.write(chunk)) {
      this.paused = true;
      target.source.pause();
      target.onStall?.(true);
    }
  }
}
