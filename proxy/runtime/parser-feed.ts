/**
 * How a socket's bytes reach its llhttp parser. By default the parser consumes
 * the socket's handle, as node:http's server does: libuv reads into the
 * binding's shared buffer and llhttp parses it in C++, with no JS Buffer, no
 * Readable-stream bookkeeping and no JS→C++ `execute()` call per read
 * (docs/architecture.md: −10 µs per request measured on the prototypes). The
 * parser then reports each read through kOnExecute. A feed can go back to
 * `'data'` events (`release()`), which tunnels and upgrade requests need.
 *
 * While consumed, `socket.pause()` no longer stops reading (the Readable stream
 * never sees the bytes), so reading is paused and resumed here, on the handle,
 * exactly as node:http does for its consumed sockets.
 *
 * Everything the parser calls back while consumed runs from C++ with no JS
 * frame below it: an exception there would be an uncaught exception, so the
 * owner wraps every parser callback (see `contained` in client.ts/upstream.ts).
 */
import type net from 'node:net';
import { kOnExecute, type HTTPParser, type ParserError } from './llhttp.ts';

/** The parts of a socket's libuv handle node:http itself relies on (stable since Node 12). */
interface StreamHandle {
  isStreamBase?: boolean;
  /** Set by whoever consumes the handle (node:http uses the same flag). */
  _consumed?: boolean;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

interface SocketInternals {
  _handle: StreamHandle | null;
  /** Refreshes the socket's inactivity timer (`socket.setTimeout`), as a read through the stream would. */
  _unrefTimer?(): void;
}

export class ParserFeed {
  /** The parser reads the handle natively (kOnExecute), not through `'data'` events. */
  consumed = false;
  private paused = false;

  constructor(readonly socket: net.Socket, readonly parser: HTTPParser) {}

  /**
   * Hands the socket's reads to the parser; `afterRead` gets what execute() returned for each read.
   * Returns false (and changes nothing) when the socket has no stream handle to consume: the
   * owner then feeds the parser from `'data'` events. Bytes the socket's stream had already
   * buffered are returned, to be parsed first.
   */
  consume(afterRead: (result: number | ParserError) => void): { consumed: boolean; buffered: Buffer | null } {
    const socket = this.socket as unknown as net.Socket & SocketInternals;
    const handle = socket._handle;
    if (!handle || !handle.isStreamBase || handle._consumed) return { consumed: false, buffered: null };
    // Anything read before now sits in the Readable buffer; the native reads come after it.
    const buffered = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
    handle._consumed = true;
    this.parser[kOnExecute] = afterRead;
    this.parser.consume(handle);
    this.consumed = true;
    return { consumed: true, buffered };
  }

  /** Back to `'data'` events (tunnels, upgrade requests). Safe inside kOnExecute, as node:http does it there. */
  release(): void {
    if (!this.consumed) return;
    this.consumed = false;
    this.parser.unconsume();
    const handle = (this.socket as unknown as SocketInternals)._handle;
    if (handle) handle._consumed = false;
    // A pause taken while consumed was taken on the handle: hand it over to the stream.
    if (this.paused) {
      this.paused = false;
      this.startHandle();
      this.socket.pause();
    }
  }

  pause(): void {
    if (!this.consumed) return void this.socket.pause();
    if (this.paused) return;
    this.paused = true;
    const handle = (this.socket as unknown as SocketInternals)._handle;
    if (handle && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  resume(): void {
    if (!this.consumed) return void this.socket.resume();
    if (!this.paused) return;
    this.paused = false;
    this.startHandle();
  }

  get isPaused(): boolean {
    return this.consumed ? this.paused : this.socket.isPaused();
  }

  /** Inside kOnExecute: a read counts as activity for `socket.setTimeout`, as it does through the stream. */
  touch(): void {
    (this.socket as unknown as SocketInternals)._unrefTimer?.();
  }

  private startHandle(): void {
    const handle = (this.socket as unknown as SocketInternals)._handle;
    if (handle && !handle.reading && !this.socket.destroyed) {
      handle.reading = true;
      handle.readStart();
    }
  }

  /** Frees the parser once no C++ frame of it can be on the stack (it may be inside a read now). */
  closeLater(): void {
    setImmediate(() => {
      this.release();
      this.parser.close();
    });
  }
}
