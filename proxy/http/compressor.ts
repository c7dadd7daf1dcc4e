/**
 * One response body on its way to the client through Node's zlib (never a hand-written deflate):
 * written as the server's reads come, flushed at the end of each read (Z_SYNC_FLUSH, as HAProxy
 * flushes at the end of each payload it filters: a slowly streamed answer is not held back), sent
 * to the client as HTTP/1.1 chunks (h2.ts turns them into DATA frames for HTTP/2 clients).
 *
 * Memory stays bounded per exchange: zlib's state (tune.zlib.*), at most WRITE_MARK of input
 * queued before the server connection stops being read, and zlib's output paused while the
 * client's socket is over its mark. close() frees the zlib stream (client abort, error, end).
 */
import zlib from 'node:zlib';
import type { Writable } from 'node:stream';
import type { CompressionAlgorithm, ZlibTuning } from './compression.ts';
import type { StatCounters } from '../runtime/counters.ts';
import { chunkSizeLine } from './headers.ts';
import { compressionLoad } from './compression-load.ts';

/** Input queued in zlib before `write` says stop: two reads of the server connection (64 KiB each). */
const WRITE_MARK = 128 * 1024;

export class BodyCompressor {
  private readonly stream: zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | undefined;
  /** Written since the last flush: a flush with nothing new would cost an empty block. */
  private pending = false;
  private ended = false;
  private closed = false;
  private waitingForClient = false;

  /**
   * @param sink the client socket (or an h2 stream's sink) the chunks go to
   * @param failed zlib failed (never expected): the exchange ends as on an internal error
   * @param counters the frontend's and the backend's statistics: comp_in / comp_out, or comp_byp
   *   for `identity` (HAProxy's compression level 0), counted as the bytes pass, as HAProxy does
   */
  constructor(
    algorithm: CompressionAlgorithm, tuning: ZlibTuning, private readonly sink: Writable, failed: (error: unknown) => void,
    private readonly counters: readonly StatCounters[],
  ) {
    if (algorithm.name === 'identity') return;
    const options: zlib.ZlibOptions & { writableHighWaterMark: number } = {
      level: tuning.level,
      windowBits: tuning.windowBits,
      memLevel: tuning.memLevel,
      writableHighWaterMark: WRITE_MARK,
    };
    const stream = (this.stream = algorithm.name === 'gzip' ? zlib.createGzip(options) : algorithm.name === 'deflate' ? zlib.createDeflate(options) : zlib.createDeflateRaw(options));
    stream.on('data', (out: Buffer) => {
      for (const c of counters) c.compOut += out.length;
      try {
        this.writeChunk(out);
      } catch (e) {
        failed(e);
      }
    });
    stream.on('error', (e) => {
      if (!this.closed) failed(e);
    });
  }

  /** A piece of the body (copied: it may be a view of a read buffer). False: stop reading the server until `whenDrained`. */
  write(chunk: Buffer): boolean {
    if (chunk.length === 0 || this.closed) return true;
    const stream = this.stream;
    if (!stream) {
      for (const c of this.counters) c.compByp += chunk.length;
      this.writeChunk(chunk);
      return true;
    }
    for (const c of this.counters) c.compIn += chunk.length;
    compressionLoad.countInput(chunk.length);
    this.pending = true;
    return stream.write(Buffer.from(chunk));
  }

  /** `fn` once zlib's input queue is below its mark again (not called if the compressor closes first). */
  whenDrained(fn: () => void): void {
    this.stream?.once('drain', () => {
      if (!this.closed) fn();
    });
  }

  /** The end of one read from the server: what was written leaves now. */
  flush(): void {
    if (!this.pending || this.ended || this.closed) return;
    this.pending = false;
    this.stream!.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  /** The body is complete: `done` runs once the compressed tail has been written to the sink. */
  end(done: () => void): void {
    this.ended = true;
    const stream = this.stream;
    if (!stream) return done();
    stream.once('end', () => {
      if (!this.closed) done();
    });
    stream.end();
  }

  /** Frees the zlib stream (the exchange ended, completed or not); nothing is written afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream?.destroy();
  }

  private writeChunk(data: Buffer): void {
    const sink = this.sink;
    if (this.closed || sink.destroyed) return;
    sink.write(chunkSizeLine(data.length), 'latin1');
    sink.write(data);
    const ok = sink.write('\r\n', 'latin1');
    // The client reads slower than zlib writes: zlib's output waits (and so, through its input mark, the server).
    if (!ok && this.stream && !this.waitingForClient) {
      this.waitingForClient = true;
      this.stream.pause();
      sink.once('drain', () => {
        this.waitingForClient = false;
        if (!this.closed) this.stream!.resume();
      });
    }
  }
}
