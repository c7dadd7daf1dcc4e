/**
 * Connections to servers: llhttp parses each response, idle keep-alive
 * connections wait in a per-server pool for the next request. A connection
 * serves one transaction at a time; the transaction sets the handlers.
 */
import type { CapturedRead } from '../runtime/error-snapshots.ts';
import type { FcgiChannel } from './fcgi-upstream.ts';
import net from 'node:net';
import type { Writable } from 'node:stream';
import tls from 'node:tls';
import type { ServerTls } from '../tls/server-tls.ts';
import { SSL_TOO_MANY } from '../tls/ssl-conns.ts';
import { keepAliveOnceConnected } from '../runtime/tcp-keepalive.ts';
import { holdWrites, releaseWrites } from '../runtime/write-batch.ts';
import { keepSessions, sessionToOffer } from '../runtime/tls-sessions.ts';
import { socks4Handshake, socks4Request } from '../runtime/socks4.ts';
import type { Socks4Address } from '../config/model.ts';
import { newParser, RESPONSE, LENIENT_RESPONSE, kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete, pauseWithoutStack, restoreStackTraces } from '../runtime/llhttp.ts';
import type { HTTPParser, HeadersCompleteCallback, ParserError } from '../runtime/llhttp.ts';
import { foldAfterStatusLine, scanGap } from './message-gap.ts';
import { isInterimStatus } from './headers.ts';
import { ParserFeed } from '../runtime/parser-feed.ts';
import { ReadBuffers } from '../runtime/read-buffers.ts';
import type { DirectBodyWrites } from '../runtime/direct-body.ts';
import { SocketInactivity } from '../runtime/inactivity.ts';
import { writeStallTimer } from '../runtime/pending-write.ts';
import type { RuntimeServer, ServerConnectionGauges } from '../runtime/server.ts';

export interface ResponseHead {
  status: number;
  reason: string;
  versionMajor: number;
  versionMinor: number;
  headers: string[];
  keepAlive: boolean;
  upgrade: boolean;
  /**
   * Its `transfer-encoding: chunked` is the framing a channel (fcgi-upstream.ts) gave an answer
   * without length, not a field of the server's: written where HAProxy's H1 mux adds it (as for HTTP/2).
   */
  framed?: boolean;
}

/** What the transaction using a connection wants to hear about. */
export interface UpstreamHandlers {
  /**
   * Return true when the response has no body (answer to HEAD); 'tunnel' when nothing after the head
   * is HTTP any more (a 2xx to CONNECT: llhttp stops there as after a 101, and the rest is the tunnel's).
   */
  head(head: ResponseHead): boolean | 'tunnel';
  /**
   * A piece of the response body. It may be a view of a buffer the connection reads into again
   * after this read (see `RAW_BODY_MIN`): write it or copy it, never keep it.
   */
  body(chunk: Buffer): void;
  /** The response ended; `trailers`: the trailer fields of a chunked body, if it had any (flat [name, value, …]). */
  complete(trailers: string[] | undefined): void;
  /** The end of one read from the server: what the transaction held back (a response head) goes out now. */
  readDone(): void;
  /**
   * Closed, reset, or sent something that is not HTTP. `bytes` = response bytes seen so far;
   * `captured`: for a response llhttp refused, the read and where it stopped (error path only).
   * 'stale': dropped for what the server sent before this exchange took the connection (bytes out of
   * turn after the last answer, in the same read): a connection HAProxy would not have reused.
   */
  error(reason: 'closed' | 'invalid' | 'error' | 'stale', bytes: number, captured?: CapturedRead): void;
  /** The server stayed silent for the inactivity time set with `setInactivityTimeout`. */
  timeout(): void;
  /**
   * The client socket the response goes to: corked while one read from the server is
   * parsed, so a response head and body leave in one write (one syscall, not three).
   */
  readonly sink: Writable;
  /** Told when one of these handlers throws (a bug): it closes its client connection. */
  readonly owner: { internalError(error: unknown): void };
}

/**
 * Content-Length response bodies at least this big are not handed over by llhttp's body callback,
 * because Node 20's binding gives every piece of body as a fresh copy (a malloc, a memcpy and
 * external memory for the GC per read). The head callback stops llhttp right after the head, and the
 * body goes to the transaction as views of the buffer the connection read it into (ReadBuffers),
 * while llhttp still parses the same bytes, with no body callback, so it still frames the end of the
 * message. Below this size the copy is cheaper than the stop (execute() then returns an Error object),
 * except for the commonest case, a small body that ends the read its head began (smallBody): that
 * one is taken from the read without either.
 */
export const RAW_BODY_MIN = 16 * 1024;
/** llhttp's HPE_PAUSED: returned by the head callback, it ends execute() right after the head. */
const PAUSE_AFTER_HEAD = 21;

/**
 * A plain-TCP server socket reads through `onread` into ReadBuffers; this bridges those reads to the
 * UpstreamConnection, which exists only once the socket is connected (reading starts after that).
 */
export class UpstreamReads {
  readonly buffers = new ReadBuffers();
  conn: UpstreamConnection | undefined;
  /** net.connect's `onread` option. */
  readonly onread = {
    buffer: (): Buffer => this.buffers.next(),
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      this.buffers.read(bytes, buffer);
      this.conn?.onRead(buffer as Buffer, bytes);
      return true;
    },
  };
}

/**
 * The Content-Length of a response llhttp frames by it (a body may follow), or -1: no such field,
 * a Transfer-Encoding (it frames the body), or a status without body. llhttp has validated the fields.
 */
function bodyLength(head: ResponseHead): number {
  if ((head.status >= 100 && head.status < 200) || head.status === 204 || head.status === 304 || head.upgrade) return -1;
  let length = -1;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(h[i + 1]);
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return -1;
  }
  // llhttp lets only digits through; anything else (NaN) would read as no length here.
  return length >= 0 ? length : -1;
}

/**
 * Just past the first empty line of `read` (LF LF, or LF CR LF), or -1 if none ends before `limit`.
 * In a read that begins with a status line, that is where llhttp ends the head: every LF of a head
 * ends a line (llhttp allows none inside a reason or a value, lenient flags included), and a line
 * with nothing before its LF but a CR, or nothing at all, ends the head.
 */
export function emptyLineEnd(read: Uint8Array, limit: number): number {
  for (let i = 0; i + 1 < limit; i++) {
    if (read[i] !== 10) continue;
    const next = read[i + 1];
    if (next === 10) return i + 2;
    if (next === 13 && read[i + 2] === 10) return i + 3 <= limit ? i + 3 : -1;
  }
  return -1;
}

export class UpstreamConnection {
  readonly parser: HTTPParser;
  handlers: UpstreamHandlers | undefined;
  /** Response bytes received for the current transaction (0 = nothing yet: safe to retry). */
  received = 0;
  /** True once a transaction used it: a failure before any byte may be a stale keep-alive. */
  reused = false;
  /** A stream of an HTTP/2 session (h2-upstream.ts), not a socket: its answers come from an HTTP/2 server. */
  h2 = false;
  /** A FastCGI connection (fcgi-upstream.ts), not a socket: the transaction gives it its request's facts before writing. */
  fcgi: FcgiChannel | undefined = undefined;
  dead = false;
  /**
   * Private (HAProxy's CO_FL_PRIVATE): never given to another client connection. Set for an
   * NTLM/Negotiate answer (the server authenticated the connection) and with `http-reuse never`;
   * `owner` is the client connection it belongs to (undefined: closed after its exchange).
   */
  private = false;
  owner: ReuseSession | undefined;
  /** The idle list it waits in (its pool's, or its owner's), undefined while serving. */
  parkedIn: UpstreamConnection[] | undefined;
  /** Counted in its pool's `used` (serving a transaction). */
  private inUse = false;
  /** Set when the connection became a tunnel (101): bytes after the response head go there. */
  tunnelRest: ((rest: Buffer) => void) | undefined;
  private flushed: string[] = [];
  /**
   * The head of the message being read has been parsed: what llhttp hands over through kOnHeaders
   * now is a chunked body's trailer section (`trailers`), not early-flushed head fields. Before,
   * trailers stayed in `flushed` and became header fields of the connection's next response — a
   * response to another client, possibly.
   */
  private afterHead = false;
  private trailers: string[] | undefined;
  /** How reads reach the parser (natively while consumed) and how reading pauses. */
  private readonly feed: ParserFeed;
  /** The client socket corked for the read being parsed (uncorked once the read is done). */
  private corked: Writable | undefined;
  /** The transaction's response ended within the read being parsed. */
  private completedInRead = false;
  /** No byte of the next response has come yet (refusedGap looks at the first read's empty lines). */
  private awaitingHead = true;
  /**
   * The read being parsed, while it began with a response's status line: the head callback may take
   * a small body from it (smallBody). Undefined once a head has used it, and outside parse().
   */
  private headRead: Buffer | undefined;
  /**
   * A small Content-Length body found whole at the end of headRead (the head callback took llhttp's
   * body callback away): handed to the transaction when llhttp ends the message, as the body
   * callback would have been called just before. Node 20's binding gives each body as a fresh copy:
   * a malloc, an ArrayBuffer, and a sweep of it by the next scavenge (most of a scavenge's pause
   * under load). This takes the body from the read buffer instead.
   */
  private smallBody: Buffer | undefined;
  /**
   * llhttp's message-begin callback after an interim (1xx) response's head: the final response's
   * first bytes came in the same read as the interim's end, so the next read does not begin a
   * response (awaitingHead).
   */
  private readonly onNextBegins = (): void => {
    this.awaitingHead = false;
    this.parser[kOnMessageBegin] = undefined;
  };
  /** The last read ended, before a response, on a CR that waits for its LF. */
  private gapOpenCr = false;
  /**
   * A transaction's final response ended within the read being parsed (detach). Loadstar never
   * pipelines to a server, so a response head after it in the same read is the server talking out
   * of turn: the connection is dropped (HAProxy 2.6 closes it too), even if another request took it
   * meanwhile (a pipelined or queued request is started inside the completion callback).
   */
  private detachedInRead = false;
  /**
   * A message began while the connection was detached (llhttp's message-begin callback, set from
   * detach until the next attach outside that read): bytes of a head that is not complete yet, which
   * would otherwise prefix the next request's response (a 302 of the server's choosing to the next
   * client). The connection fails at the end of the read.
   */
  private unsolicited = false;
  private readonly onUnsolicited = (): void => {
    this.unsolicited = true;
  };
  /** The reused buffers reads go into (plain TCP); undefined when llhttp consumes the socket (TLS). */
  private readonly reads: ReadBuffers | undefined;
  /** Bytes of a raw-relayed body still to come (see RAW_BODY_MIN). */
  private rawLeft = 0;
  /** Inside onRead: the read buffer may be referenced by writes not yet settled. */
  private inRead = false;
  /** llhttp's body callback, taken away while a body is relayed raw. */
  private readonly onBody: (chunk: Buffer) => void;

  /**
   * Where a server that follows the client's destination (RuntimeServer.followsDestination)
   * connected, as `host:port`; undefined for other servers. Like `sni`, part of the reuse key:
   * HAProxy 2.6 hashes the destination into an idle connection's key for such servers
   * (be_calculate_conn_hash), so a connection to one destination never serves a request for another.
   */
  dest: string | undefined = undefined;

  /**
   * @param sni the server name sent in the TLS handshake (undefined: none, or plain TCP);
   *   a kept-alive connection is reused only for a request that sends the same one.
   */
  constructor(readonly socket: net.Socket, readonly server: RuntimeServer, readonly pool: ServerPool, readonly sni?: string, reads?: UpstreamReads, counted = false) {
    // Counted in the pool's `used` since connectUpstream began the connection.
    this.inUse = counted;
    // An HTTP/2 channel (h2-upstream.ts) has no byte counters for the sweeps: it keeps its own timer.
    this.idle = socket instanceof net.Socket ? new SocketInactivity(socket, () => this.timedOut()) : ownTimer(socket, () => this.timedOut());
    // What HAProxy's H1 parser lets a server get away with (llhttp.ts; onHead handles 1.2 … 9.9 as 1.1).
    const parser = (this.parser = newParser(RESPONSE, undefined, LENIENT_RESPONSE));
    this.feed = new ParserFeed(socket, parser);
    parser[kOnHeaders] = (headers: string[]) => {
      const into = this.afterHead ? (this.trailers ??= []) : this.flushed;
      for (const h of headers) into.push(h);
    };
    // Containment: the handlers run the transaction's code; an exception there is handed to its owner.
    // While the parser consumes the socket these run from C++ with nothing below to catch, so each
    // catches its own. (The handlers are taken first: a transaction detaches itself before its last
    // steps, logging included.)
    const onHead: HeadersCompleteCallback = (major, minor, headers, _m, _u, status, reason, upgrade, keepAlive) => {
      if (headers === undefined) {
        headers = this.flushed;
        this.flushed = [];
      }
      this.afterHead = true;
      const handlers = this.handlers;
      // A head nobody asked for (see detachedInRead): llhttp stops, the connection fails.
      if (!handlers || this.detachedInRead) return -1;
      try {
        this.corkSink(handlers);
        // An HTTP/2 server's answer (h2-upstream.ts writes it as HTTP/1.1 for llhttp) says version 2.0 to the transaction.
        // An HTTP/1 server's 1.2 … 9.9 is 1.1 (HAProxy's H1_MF_VER_11); major 2 would read as HTTP/2's.
        if (major > 1 || (major === 1 && minor > 1)) {
          major = 1;
          minor = 1;
        }
        const head: ResponseHead = this.h2
          ? { status: status!, reason: reason ?? '', versionMajor: 2, versionMinor: 0, headers, keepAlive, upgrade }
          : { status: status!, reason: reason ?? '', versionMajor: major, versionMinor: minor, headers, keepAlive, upgrade };
        if (this.fcgi !== undefined) head.framed = true;
        // After an interim response the final one may begin in the same read: its first byte says so.
        if (isInterimStatus(status!)) parser[kOnMessageBegin] = this.onNextBegins;
        // Only the first head of a read can begin at its first byte.
        const read = this.headRead;
        this.headRead = undefined;
        // The server's framing, as llhttp reads it: before http-response rules may edit the fields.
        // Only reads into ReadBuffers (plain TCP) are relayed raw or taken from.
        const length = this.reads ? bodyLength(head) : -1;
        const bodyless = handlers.head(head);
        // llhttp's 2: no body, and what follows is an upgraded protocol's.
        if (bodyless === 'tunnel') return 2;
        if (bodyless) return 1;
        if (!this.reads || this.handlers !== handlers || this.dead || length <= 0) return 0;
        if (length < RAW_BODY_MIN) {
          // The whole body ends this read, right after the head (the read began with the status line):
          // taken from the read when the message ends, without llhttp's copy.
          if (read !== undefined && emptyLineEnd(read, read.length - length) === read.length - length) {
            this.smallBody = read.subarray(read.length - length);
            parser[kOnBody] = undefined;
          }
          return 0;
        }
        this.rawLeft = length;
        parser[kOnBody] = undefined;
        pauseWithoutStack();
        return PAUSE_AFTER_HEAD;
      } catch (e) {
        this.internalError(e, handlers);
        return -1;
      }
    };
    parser[kOnHeadersComplete] = onHead;
    this.onBody = (chunk: Buffer) => {
      const handlers = this.handlers;
      if (!handlers) return;
      try {
        this.corkSink(handlers);
        handlers.body(chunk);
      } catch (e) {
        this.internalError(e, handlers);
      }
    };
    parser[kOnBody] = this.onBody;
    parser[kOnMessageBegin] = undefined;
    parser[kOnMessageComplete] = () => {
      if (parser[kOnBody] === undefined) parser[kOnBody] = this.onBody;
      const small = this.smallBody;
      if (small !== undefined) {
        this.smallBody = undefined;
        // As llhttp's body callback: a copy only where the read buffer is not the socket's own (ReadBuffers.keep).
        this.onBody(this.reads!.keep(small));
      }
      this.awaitingHead = true;
      const trailers = this.trailers;
      this.trailers = undefined;
      this.afterHead = false;
      const handlers = this.handlers;
      if (!handlers) return;
      this.completedInRead = true;
      try {
        this.corkSink(handlers);
        handlers.complete(trailers);
      } catch (e) {
        this.internalError(e, handlers);
      }
    };
    if (reads) {
      this.reads = reads.buffers;
      reads.conn = this;
    } else {
      this.feed.consume((result) => {
        const handlers = this.handlers;
        try {
          this.afterRead(result);
        } catch (e) {
          this.internalError(e, handlers);
        }
      });
    }
    // Reads come as 'data' events only when the socket could not be consumed, or after a 101 released it.
    socket.on('data', (data: Buffer) => {
      const handlers = this.handlers;
      try {
        this.onData(data);
      } catch (e) {
        this.internalError(e, handlers);
      }
    });
    socket.on('end', () => this.failContained('closed'));
    socket.on('close', () => {
      this.idle.set(0);
      this.failContained('closed');
    });
    socket.on('error', () => this.failContained('error'));
  }

  /**
   * `timeout server` while serving, the idle limit while pooled: on the shared inactivity sweeps
   * (runtime/inactivity.ts), which see reads and writes in the socket's byte counters, instead of
   * a Node timer refreshed by each of them.
   */
  private readonly idle: { set(ms: number): void };

  /** The inactivity limit passed (`timeout server` while serving, the idle limit while pooled). */
  private timedOut(): void {
    const handlers = this.handlers;
    try {
      if (handlers) handlers.timeout();
      else this.destroy();
    } catch (e) {
      this.internalError(e, handlers);
    }
  }

  /** Cancels the write-stall timer running while the server does not take the request body (stallWrites). */
  private cancelWriteStall: (() => void) | undefined;

  /**
   * The server does not take the request body (a write over the mark): `timeout server` runs on its
   * writes alone from now, refreshed by any progress (pending-write.ts), until it took everything;
   * `drained` is called then.
   */
  stallWrites(drained: () => void): void {
    this.socket.once('drain', drained);
    if (this.cancelWriteStall || this.inactivityMs <= 0 || this.dead) return;
    this.cancelWriteStall = writeStallTimer(this.socket, this.inactivityMs, () => {
      this.cancelWriteStall = undefined;
      this.timedOut();
    });
    this.rearm();
    this.socket.once('drain', () => {
      this.endWriteStall();
      this.rearm();
    });
  }

  private endWriteStall(): void {
    this.cancelWriteStall?.();
    this.cancelWriteStall = undefined;
  }

  /** corkSink held the sink in the turn's write batch (a socket), instead of corking it for this read alone. */
  private sinkBatched = false;

  /**
   * Response writes of one read leave together: the client socket stays corked until the read is
   * parsed, and a small response until the end of the event-loop turn (write-batch.ts).
   */
  private corkSink(handlers: UpstreamHandlers): void {
    if (this.corked) return;
    const sink = (this.corked = handlers.sink);
    this.sinkBatched = holdWrites(sink);
    if (!this.sinkBatched) sink.cork();
  }

  private uncorkSink(): void {
    this.handlers?.readDone();
    const sink = this.corked;
    if (!sink) return;
    this.corked = undefined;
    // A small response waits for the turn's end with the others (write-batch.ts): its queue is
    // below the backpressure mark anyway.
    if (this.sinkBatched) {
      if (!releaseWrites(sink)) return;
    } else sink.uncork();
    // Backpressure, once the read is written out: the server waits while the client's queue is over
    // its mark. Not when the kernel took everything: write() says false for any chunk bigger than the
    // mark, even one already sent, and pausing for that cost a read stop and start per big response.
    if (sink.writableNeedDrain && sink.writableLength > 0 && this.drainSink !== sink && !this.dead) {
      this.drainSink = sink;
      this.pauseReading();
      this.rearm();
      sink.once('drain', () => {
        this.reads?.reclaim();
        if (this.drainSink !== sink) return; // the connection moved on (parked, reused)
        this.drainSink = undefined;
        this.rearm();
        if (!this.directSink) this.resumeReading();
      });
    }
  }

  /**
   * The socket's inactivity limit for what waits now. While the client does not take the response
   * (`drainSink`), the server is not expected to send: HAProxy arms no `timeout server` then (its
   * response buffer is full, nothing is read), and the client's `timeout client`, whose writes wait,
   * ends the exchange (cD). While the server does not take the request body, the write-stall timer
   * stands for it (stallWrites). Otherwise `inactivityMs`.
   */
  private rearm(): void {
    this.idle.set(this.drainSink || this.directSink || this.cancelWriteStall || this.inactivityMs < 0 ? 0 : this.inactivityMs);
  }

  /** The client socket whose 'drain' reading from the server waits for. */
  private drainSink: Writable | undefined;
  /** The client's direct body writes (direct-body.ts) reading from the server waits for. */
  private directSink: DirectBodyWrites | undefined;

  /**
   * A chunk of this response written straight to the client's handle waits in libuv: reading from
   * the server stops until it has left (as for a stream write over the mark, uncorkSink), and the
   * read buffer it refers to is lent to `writes` at the read's end (onRead).
   */
  waitForDirectWrite(writes: DirectBodyWrites): void {
    if (this.directSink === writes || this.dead) return;
    this.directSink = writes;
    this.pauseReading();
    this.rearm();
    writes.whenIdle(() => {
      this.reads?.reclaim();
      if (this.directSink !== writes) return; // the connection moved on (parked, reused)
      this.directSink = undefined;
      if (this.dead) return;
      this.rearm();
      if (!this.drainSink) this.resumeReading();
    });
  }

  private failContained(reason: 'closed' | 'error'): void {
    const handlers = this.handlers;
    try {
      this.fail(reason);
    } catch (e) {
      this.internalError(e, handlers);
    }
  }

  /**
   * An exception in the code serving this connection: it is closed, and the transaction it served
   * closes its client. A connection serving none cannot reach any code that throws; if one ever
   * did, the warning is the report (there is no connection to blame).
   */
  private internalError(error: unknown, handlers = this.handlers): void {
    this.destroy();
    if (handlers) handlers.owner.internalError(error);
    else process.emitWarning(error instanceof Error ? error : String(error), 'LoadstarInternalError');
  }

  /** The inactivity limit in force, so that setting the same one again costs nothing. */
  private inactivityMs = -1;

  /**
   * Inactivity limit (ms, 0 = none) for what the connection is doing now. `timeout server` while
   * serving and the pool's idle limit are usually the same: then the sweep watching it stays (every
   * read and write counts as activity anyway) instead of a change per request and per parking.
   */
  setInactivityTimeout(ms: number): void {
    if (ms === this.inactivityMs) return;
    this.inactivityMs = ms;
    this.idle.set(ms);
  }

  /** After each read the parser consumed (the same decisions as onData for a 'data' event). */
  private afterRead(result: number | ParserError): void {
    // Also when a handler threw: what was written so far still reaches the client.
    this.uncorkSink();
    const completed = this.completedInRead;
    this.completedInRead = false;
    if (typeof result !== 'number') return this.fail('invalid', { read: this.parser.getCurrentBuffer(), start: 0, errorAt: result.bytesParsed });
    if (this.detachedInRead && this.settleRead()) return;
    this.received += result;
    if (this.tunnelRest) {
      // After a 101 the bytes are the other protocol's: back to 'data' events for the tunnel.
      const read = this.parser.getCurrentBuffer();
      this.feed.release();
      if (result < read.length) this.tunnelRest(read.subarray(result));
      return;
    }
    // A server talking while idle breaks the next exchange: drop the connection.
    if (!this.handlers && !completed) this.destroy();
  }

  /**
   * One read into the connection's ReadBuffers (plain TCP). `buffer` is read into again afterwards:
   * what outlives this call is copied, or the buffer is lent to the client write that holds it.
   */
  onRead(buffer: Buffer, bytes: number): void {
    const handlers = this.handlers;
    const sink = handlers?.sink;
    this.inRead = true;
    try {
      const data = buffer.subarray(0, bytes);
      // A tunnel (after a 101) reads through 'data' listeners: they get a copy they may keep.
      if (this.tunnelRest) this.socket.emit('data', Buffer.from(data));
      else this.onData(data);
    } catch (e) {
      this.internalError(e, handlers);
    } finally {
      this.inRead = false;
      // A direct write still held by libuv counts as well as the stream's queue (direct-body.ts).
      this.reads!.settle(this.directSink ?? sink);
      if (this.dead) this.reads!.close();
    }
  }

  private onData(data: Buffer): void {
    if (!this.handlers && !this.tunnelRest) {
      // A server talking while idle breaks the next exchange: drop the connection.
      this.destroy();
      return;
    }
    this.received += data.length;
    if (this.handlers) this.corkSink(this.handlers);
    try {
      this.parse(data);
    } finally {
      // Also when a handler threw: what was written so far still reaches the client.
      this.uncorkSink();
      this.completedInRead = false;
      if (this.detachedInRead) this.settleRead();
    }
  }

  /**
   * The end of a read in which a response ended: out-of-turn bytes after it (a message began) fail
   * the connection, and the request that may have taken it meanwhile is retried elsewhere. True if so.
   */
  private settleRead(): boolean {
    if (this.unsolicited) {
      this.fail('invalid');
      return true;
    }
    this.detachedInRead = false;
    // Taken again within the read: from now on its bytes are the new exchange's.
    if (this.handlers) this.parser[kOnMessageBegin] = undefined;
    return false;
  }

  /** Parses one read; a body relayed raw (RAW_BODY_MIN) goes to the handlers as views of `data`. */
  private parse(data: Buffer): void {
    let beginsHead = false;
    if (this.awaitingHead) {
      // Before refusedGap: a read that begins a response with its status line (HTTP/…), no gap before it.
      beginsHead = data[0] === 0x48 && !this.gapOpenCr;
      if (this.refusedGap(data)) return;
    }
    let at = 0;
    while (at < data.length && !this.dead) {
      if (this.rawLeft > 0) {
        at = this.relayRaw(data, at);
        continue;
      }
      // Bytes after the end of the response: a server talking while idle breaks the next exchange.
      if (at > 0 && !this.handlers) return this.destroy();
      this.headRead = at === 0 && beginsHead ? data : undefined;
      const r = this.parser.execute(at === 0 ? data : data.subarray(at));
      this.headRead = undefined;
      if (this.smallBody !== undefined) {
        // Only when a handler ended the connection within the head: llhttp stopped before the body.
        this.smallBody = undefined;
        this.parser[kOnBody] = this.onBody;
      }
      restoreStackTraces();
      if (typeof r === 'number') {
        // After a 101 the rest is the other protocol's (a copy: `data` may be read into again).
        if (at + r < data.length && this.tunnelRest) this.tunnelRest(Buffer.from(data.subarray(at + r)));
        return;
      }
      // The head callback stopped llhttp at the end of a head whose body is relayed raw.
      if (r.code !== 'HPE_PAUSED' || this.rawLeft === 0) return this.fail('invalid', { read: data, start: 0, errorAt: at + r.bytesParsed });
      this.parser.resume();
      at += r.bytesParsed;
    }
  }

  /**
   * The first read after a response (or the first of the connection): HAProxy's H1 parser skips
   * empty lines before a status line and refuses a CR that no LF follows, and a fold right after
   * the status line (message-gap.ts), where llhttp takes both. True when the connection failed for it.
   */
  private refusedGap(data: Buffer): boolean {
    const first = data[0];
    if (first !== 13 && first !== 10 && !this.gapOpenCr) {
      this.awaitingHead = false;
      const fold = foldAfterStatusLine(data);
      if (fold < 0) return false;
      this.fail('invalid', { read: data, start: 0, errorAt: fold });
      return true;
    }
    const gap = scanGap(data, 0, this.gapOpenCr);
    this.gapOpenCr = gap === 'open-cr';
    if (gap === 'bare-cr') {
      this.fail('invalid', { read: data, start: 0, errorAt: 0 });
      return true;
    }
    // Empty lines alone in this read: the status line is still to come.
    this.awaitingHead = gap !== 'ok';
    return false;
  }

  /** Hands the next piece of a raw body to the transaction; llhttp parses it too, without a copy. */
  private relayRaw(data: Buffer, at: number): number {
    const n = Math.min(this.rawLeft, data.length - at);
    const chunk = data.subarray(at, at + n);
    this.rawLeft -= n;
    this.handlers?.body(this.reads!.keep(chunk));
    // With no body callback llhttp copies nothing; it counts the body and ends the message as usual.
    const r = this.parser.execute(chunk);
    if (typeof r !== 'number') {
      this.fail('invalid', { read: data, start: 0, errorAt: at + r.bytesParsed });
      return data.length;
    }
    return at + n;
  }

  /** Response-body flow control: stop and restart reading from the server while the client is slow. */
  pauseReading(): void {
    this.feed.pause();
  }

  resumeReading(): void {
    this.feed.resume();
  }

  /**
   * The end of a response without length is the end of the connection: let llhttp know first.
   * `captured`: the read llhttp refused and where, for the backend's error snapshot (`show errors`).
   */
  private fail(failure: 'closed' | 'invalid' | 'error', captured?: CapturedRead): void {
    if (this.dead) return;
    // Out-of-turn bytes after the last response (detachedInRead): a request that took the connection
    // meanwhile has had no answer, and goes to another connection if it may (the transaction decides).
    const reason = failure === 'invalid' && this.detachedInRead && this.received === 0 ? 'stale' : failure;
    if (reason === 'closed' && this.handlers && this.received > 0) {
      const r = this.parser.finish();
      this.uncorkSink();
      if (r === undefined && !this.handlers) return this.destroy();
    }
    this.dead = true;
    this.endWriteStall();
    this.unpark();
    this.notInUse();
    const handlers = this.handlers;
    this.handlers = undefined;
    this.socket.destroy();
    this.feed.closeLater();
    this.releaseReads();
    handlers?.error(reason, this.received, reason === 'invalid' ? captured : undefined);
  }

  /** Inside a parser callback: a copy of the bytes being parsed, for an error snapshot (error path only). */
  currentRead(): Buffer {
    return this.parser.getCurrentBuffer();
  }

  /** Starts serving a transaction. */
  attach(handlers: UpstreamHandlers): void {
    this.handlers = handlers;
    this.received = 0;
    if (!this.detachedInRead) this.parser[kOnMessageBegin] = undefined;
    if (!this.inUse) {
      this.inUse = true;
      this.pool.use();
    }
  }

  /**
   * The response is complete: park the connection for the next request, or close it. A private
   * one waits with its owner (closed if it has none, or it ended), the others in the server's pool.
   */
  detach(keepAlive: boolean, idleTimeout: number): void {
    this.handlers = undefined;
    this.detachedInRead = true;
    // A parked connection reads (a server closing it must be noticed), whatever its last client does.
    if (this.drainSink || this.directSink) {
      this.drainSink = undefined;
      this.directSink = undefined;
      this.rearm();
      this.resumeReading();
    }
    // HAProxy's "safe" idle connections: the exchange that just ended was not its first.
    const safe = this.reused;
    this.reused = true;
    if (!keepAlive || this.dead) return this.destroy();
    this.parser[kOnMessageBegin] = this.onUnsolicited;
    const kept = this.private ? parkOwned(this, idleTimeout) : this.pool.park(this, safe, idleTimeout);
    this.notInUse();
    if (!kept) this.destroy();
  }

  /** The connection became a tunnel (101): its pool stops counting it as in use. */
  leavePool(): void {
    this.notInUse();
  }

  private notInUse(): void {
    if (!this.inUse) return;
    this.inUse = false;
    this.pool.used--;
  }

  /** Out of the idle list it waits in. */
  unpark(): void {
    const list = this.parkedIn;
    if (!list) return;
    this.parkedIn = undefined;
    const i = list.lastIndexOf(this);
    if (i >= 0) list.splice(i, 1);
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.handlers = undefined;
    this.endWriteStall();
    this.unpark();
    this.notInUse();
    this.socket.destroy();
    this.feed.closeLater();
    this.releaseReads();
  }

  /** The read buffer goes back unless a read is being handled (onRead does it once its writes are settled). */
  private releaseReads(): void {
    if (!this.inRead) this.reads?.close();
  }
}

/** `http-reuse`: which idle server connections a request may take (HAProxy 2.6, default `safe`). */
export type ReuseMode = 'never' | 'safe' | 'aggressive' | 'always';

/** How long a peak of connections in use counts for keeping idle ones (HAProxy's pool-purge-delay, 5 s). */
const NEED_PERIOD_MS = 5000;

/**
 * Idle keep-alive connections of one server, in HAProxy 2.6's two lists: `fresh` ones served one
 * request (its "idle" list), `safe` ones more than one (they proved the server keeps connections
 * open). Newest last (most likely still open); taken from the end.
 */
export class ServerPool implements ServerConnectionGauges {
  private readonly fresh: UpstreamConnection[] = [];
  private readonly safe: UpstreamConnection[] = [];
  /** Connections serving a transaction now (HAProxy's curr_used_conns). */
  used = 0;
  /** The most in use at once in this period, and the estimate kept from earlier ones (max_used_conns, est_need_conns). */
  private peak = 0;
  private needed = 0;
  private periodEnds = 0;

  /** HTTP/2 (`proto h2`, `alpn`: h2-upstream.ts) or FastCGI (`proto fcgi`: fcgi-upstream.ts) to this server, undefined for HTTP/1.1 servers. */
  mux: ServerMux | undefined = undefined;

  /** `option srvtcpka`: the connections' keep-alive idle time in ms (0: the system's); undefined: off. */
  keepAlive: number | undefined = undefined;

  /** @param tls how to speak TLS to this server (`server … ssl`), undefined for plain TCP. */
  constructor(readonly server: RuntimeServer, readonly tls?: ServerTls) {
    server.connections = this;
  }

  get idleCount(): number {
    return this.fresh.length;
  }

  get safeCount(): number {
    return this.safe.length;
  }

  /** HAProxy's est_need_conns: raised to what is in use at once as it happens, halved towards that peak each period. */
  get neededEstimate(): number {
    return Math.max(this.needed, this.peak);
  }

  get peakUsed(): number {
    return this.peak;
  }

  /** A connection starts connecting or serving: one more in use, and the peak (HAProxy's srv_use_conn). */
  use(): void {
    if (++this.used > this.peak) this.peak = this.used;
  }

  /**
   * An idle connection sending `sni` for a request, as HAProxy 2.6's connect_server picks one:
   * a request after the first of its client connection (`notFirst`) takes a fresh one, else a safe
   * one; a first request takes none with `safe` (it gets its own connection), a safe one with
   * `aggressive`, a safe one else a fresh one with `always`. (`never` never asks.)
   */
  take(sni: string | undefined, notFirst: boolean, mode: ReuseMode, dest?: string, client?: ReuseSession): UpstreamConnection | undefined {
    const conn = this.takeFromLists(sni, notFirst, mode, dest);
    if (conn && this.mux) this.mux.taken(conn, mode, client);
    return conn;
  }

  private takeFromLists(sni: string | undefined, notFirst: boolean, mode: ReuseMode, dest: string | undefined): UpstreamConnection | undefined {
    if (notFirst) return takeIdle(this.fresh, sni, dest) ?? takeIdle(this.safe, sni, dest);
    if (mode === 'always') return takeIdle(this.safe, sni, dest) ?? takeIdle(this.fresh, sni, dest);
    if (mode === 'aggressive') return takeIdle(this.safe, sni, dest);
    return undefined;
  }

  /**
   * Keeps a connection whose exchange ended for the next request, or says no (the caller closes
   * it), as HAProxy 2.6's srv_add_to_idle_list: kept while no safe connection waits and it is safe
   * or nothing waits, else while idle + in use stay within the most in use at once lately (so that
   * `safe`, which opens a connection per client connection, does not pile idle ones up). That
   * estimate grows as soon as more are in use (use()) and shrinks at most every 5 s, when a
   * connection is refused (HAProxy: its purge task, every pool-purge-delay).
   */
  park(conn: UpstreamConnection, safe: boolean, idleTimeout: number): boolean {
    // A dynamic server keeps no idle connection: it does not inherit the default-server's unlimited
    // pool-max-conn, and HAProxy 2.6 starts it at 0 (new_server), so each connection closes after its exchange.
    if (this.server.config.dynamic) return false;
    // An HTTP/2 connection waits only once its last stream ended, and always as a safe one (h2_detach).
    const h2 = this.mux?.keeps(conn);
    if (h2 === false) return false;
    if (h2) safe = true;
    const idle = this.fresh.length + this.safe.length;
    if (!((this.safe.length === 0 && (safe || this.fresh.length === 0)) || this.used + idle <= Math.max(this.peak, this.needed))) {
      this.nextPeriod();
      return false;
    }
    const list = safe ? this.safe : this.fresh;
    list.push(conn);
    conn.parkedIn = list;
    conn.setInactivityTimeout(idleTimeout);
    return true;
  }

  /** The peak of the period that ended becomes the estimate (halfway down from a higher one), as HAProxy's purge does. */
  private nextPeriod(): void {
    const now = Date.now();
    if (now < this.periodEnds) return;
    this.periodEnds = now + NEED_PERIOD_MS;
    this.needed = Math.max((this.needed + this.peak) >> 1, this.peak);
    this.peak = this.used;
  }

  closeAll(): void {
    for (const conn of [...this.fresh, ...this.safe]) conn.destroy();
  }

  get size(): number {
    return this.fresh.length + this.safe.length;
  }
}

/** The newest open connection of `list` sending `sni` to `dest` (see UpstreamConnection.dest), taken out of it. */
function takeIdle(list: UpstreamConnection[], sni: string | undefined, dest: string | undefined): UpstreamConnection | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const conn = list[i]!;
    if (conn.dead || conn.socket.destroyed) {
      list.splice(i, 1);
      conn.parkedIn = undefined;
      continue;
    }
    if (conn.sni !== sni || conn.dest !== dest) continue;
    list.splice(i, 1);
    conn.parkedIn = undefined;
    return conn;
  }
  return undefined;
}

/**
 * A client connection as HAProxy's session is for connection reuse. ClientConnection and
 * H2Connection carry these fields themselves (no object per connection).
 */
export interface ReuseSession {
  /** A request of this client connection came before (HAProxy's TX_NOT_FIRST). */
  reuseNotFirst: boolean;
  /**
   * Its private server connections waiting for its next request (at most MAX_SESSION_IDLE);
   * undefined while there are none, null once it ended (they are closed then).
   */
  ownedIdle: UpstreamConnection[] | undefined | null;
  /** A server authenticated a connection of it (NTLM/Negotiate): its next requests go there (SESS_FL_PREFER_LAST). */
  preferLast: boolean;
  /** How many of them it keeps: its frontend's max-session-srv-conns. */
  readonly maxOwnedIdle: number;
}

/** Idle connections one client connection keeps without max-session-srv-conns (HAProxy's MAX_SRV_LIST). */
export const MAX_SESSION_IDLE = 5;

/** The client connection's own idle connection to this pool's server, sending `sni`, to `dest` (see UpstreamConnection.dest). */
export function takeOwned(session: ReuseSession, pool: ServerPool, sni: string | undefined, dest?: string): UpstreamConnection | undefined {
  const idle = session.ownedIdle;
  if (!idle) return undefined;
  for (let i = idle.length - 1; i >= 0; i--) {
    const conn = idle[i]!;
    if (conn.pool !== pool || conn.sni !== sni || conn.dest !== dest || conn.dead) continue;
    idle.splice(i, 1);
    conn.parkedIn = undefined;
    return conn;
  }
  return undefined;
}

/** A private connection waits with its owner for the next request; false: it has none, it ended, or it keeps enough. */
function parkOwned(conn: UpstreamConnection, idleTimeout: number): boolean {
  const session = conn.owner;
  if (!session || session.ownedIdle === null || conn.pool.mux?.keeps(conn) === false) return false;
  const idle = (session.ownedIdle ??= []);
  if (idle.length >= session.maxOwnedIdle) return false;
  idle.push(conn);
  conn.parkedIn = idle;
  conn.setInactivityTimeout(idleTimeout);
  return true;
}

/**
 * The server of an idle connection the session owns, among `servers` and usable (HAProxy 2.6's
 * assign_server with SESS_FL_PREFER_LAST or `option prefer-last-server`; the latter, with
 * `maxQueue` (max-keep-alive-queue), only while the server has room or fewer wait in its queue).
 */
export function ownedServer(session: ReuseSession, servers: readonly RuntimeServer[], maxQueue: number | undefined): RuntimeServer | undefined {
  for (const conn of session.ownedIdle ?? []) {
    const server = conn.server;
    if (conn.dead || !server.usable || !servers.includes(server)) continue;
    if (maxQueue !== undefined && server.full && server.queue.length >= maxQueue) continue;
    return server;
  }
  return undefined;
}

/** The client connection ended: its idle private connections close (the ones serving close with their exchange). */
export function endReuseSession(session: ReuseSession): void {
  const idle = session.ownedIdle;
  session.ownedIdle = null;
  if (!idle) return;
  for (const conn of idle.splice(0)) {
    conn.parkedIn = undefined;
    conn.destroy();
  }
}

/**
 * A server spoken to over HTTP/2 (h2-upstream.ts): its connections carry several exchanges at once.
 * The pool asks it what to do with them; a server without one speaks HTTP/1.1 and pays nothing.
 */
export interface ServerMux {
  /** A connection already serving other exchanges that this request may share (HAProxy's avail_conns, the session's own), else undefined. */
  share(client: ReuseSession | undefined, notFirst: boolean, mode: ReuseMode, sni: string | undefined): UpstreamConnection | undefined;
  /** An idle connection was taken from the pool's lists by a request of `client`, under `http-reuse` `mode`. */
  taken(conn: UpstreamConnection, mode: ReuseMode, client: ReuseSession | undefined): void;
  /** Whether a connection whose exchange ended may wait idle; undefined: not one of its own (HTTP/1.1, the pool decides). */
  keeps(conn: UpstreamConnection): boolean | undefined;
  /** Opens a new connection (connectUpstream's contract). */
  connect(timeout: number, done: (conn: UpstreamConnection | undefined, error?: string) => void, sni: string | undefined, mode: ReuseMode, client: ReuseSession | undefined, upgrade: UpgradeKind): () => void;
}

/** What a request upgrades to: a WebSocket (the server's `ws` decides its protocol), another protocol, or nothing. */
export type UpgradeKind = 'websocket' | 'other' | undefined;

/**
 * Where a connection to a server that follows the client's destination goes (RuntimeServer.target),
 * with `key`, `host:port`, the idle connections it leaves are told apart by (UpstreamConnection.dest).
 */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  readonly key: string;
}

/** The server line's `alpn` (here without h2, which goes through the HTTP/2 mux): offered as HAProxy offers it. */
function serverAlpn(server: RuntimeServer): { ALPNProtocols?: string[] } {
  const alpn = server.config.options.alpn?.filter((p) => p !== 'h2');
  return alpn && alpn.length > 0 ? { ALPNProtocols: alpn } : {};
}

/**
 * Opens a new connection; `done` gets it or the reason it failed ('timeout' after `timeout connect`).
 * `mode`, `client` and `upgrade` matter to HTTP/2 servers only (ServerMux); `target`, to servers
 * that follow the client's destination.
 */
export function connectUpstream(pool: ServerPool, timeout: number, done: (conn: UpstreamConnection | undefined, error?: string) => void, sni?: string, mode: ReuseMode = 'safe', client?: ReuseSession, upgrade: UpgradeKind = undefined, proxyHeader?: Buffer, target?: ConnectTarget): () => void {
  if (pool.mux) return pool.mux.connect(timeout, done, sni, mode, client, upgrade);
  const server = pool.server;
  // A server that follows the client's destination connects where RuntimeServer.target() said.
  const { host, port } = target ?? server;
  // `maxsslconn` reached: no connection is opened (sslConnsFull says how the stream ends).
  if (pool.tls?.sslConns?.full()) return sslConnsFull(done);
  if (server.socks4) return connectViaSocks4(pool, server.socks4, host, port, timeout, done, sni, proxyHeader, target);
  // With TLS the connection is usable once the handshake (and the certificate check) succeeded.
  // Plain TCP reads into reused buffers (UpstreamReads); TLS sockets are consumed by llhttp.
  const reads = pool.tls ? undefined : new UpstreamReads();
  let socket: net.Socket;
  let rawSocket: net.Socket | undefined;
  if (proxyHeader) {
    // `send-proxy`: the header is the connection's first bytes, before a TLS ClientHello.
    const raw = rawSocket = net.connect({ host, port, path: server.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true, ...(reads ? { onread: reads.onread } : {}) });
    raw.write(proxyHeader);
    socket = pool.tls ? tls.connect({ socket: raw, ...pool.tls.base, ...serverAlpn(server), ...(sni ? { servername: sni } : {}), ...sessionToOffer(server, sni) }) : raw;
  } else {
    socket = pool.tls
      // tls.connect hands localAddress/localPort to the socket it opens (its typings omit them).
      ? tls.connect({ host, port, path: server.path, localAddress: server.localAddress, localPort: server.localPort, ...pool.tls.base, ...serverAlpn(server), ...(sni ? { servername: sni } : {}), ...sessionToOffer(server, sni) } as tls.ConnectionOptions).setNoDelay(true)
      : net.connect({ host, port, path: server.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true, onread: reads!.onread });
  }
  // `option srvtcpka`: on the TCP socket (under TLS, the raw one when there is one).
  if (pool.keepAlive !== undefined) keepAliveOnceConnected(rawSocket ?? socket, pool.keepAlive);
  if (pool.tls) keepSessions(server, socket as tls.TLSSocket, sni);
  pool.tls?.sslConns?.take(socket);
  return awaitConnection(pool, socket, pool.tls ? 'secureConnect' : 'connect', timeout, () => {
    const conn = new UpstreamConnection(socket, server, pool, sni, reads, true);
    if (target) conn.dest = target.key;
    done(conn);
  }, (error) => done(undefined, error));
}

/**
 * A new server connection, in use from now on (as HAProxy counts one being established: keeping
 * idle ones depends on it), until its socket's `ready` event, an error, `timeout connect` or the
 * returned abort, whichever comes first. A failure gives the pool its count back and destroys the
 * socket before `failed` hears why ('timeout', 'aborted' or the error's code).
 */
export function awaitConnection(pool: ServerPool, socket: net.Socket, ready: 'connect' | 'secureConnect', timeout: number, connected: () => void, failed: (error: string) => void): () => void {
  let settled = false;
  pool.use();
  const finish = (error?: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off(ready, onConnect);
    socket.off('error', onError);
    if (error === undefined) return connected();
    pool.used--;
    socket.destroy();
    failed(error);
  };
  const onConnect = (): void => finish();
  const onError = (e: NodeJS.ErrnoException): void => finish(e.code ?? e.message);
  socket.once(ready, onConnect);
  socket.once('error', onError);
  const timer = timeout > 0 ? setTimeout(() => finish('timeout'), timeout) : undefined;
  return () => finish('aborted');
}

/**
 * connectUpstream for a server with `socks4` (runtime/socks4.ts): the socket goes to the SOCKS4
 * proxy, asks it for `host:port`, and once granted carries the PROXY header and the TLS handshake;
 * the connection is up (and %Tc counted) when all of that is done, within `timeout connect`. A
 * refusal or a proxy closing is a failed connection, as a refused one is. Its reads go through the
 * stream (llhttp consumes the socket), not UpstreamReads, so that nothing after the reply is lost.
 */
function connectViaSocks4(pool: ServerPool, via: Socks4Address, host: string, port: number, timeout: number, done: (conn: UpstreamConnection | undefined, error?: string) => void, sni: string | undefined, proxyHeader: Buffer | undefined, target: ConnectTarget | undefined): () => void {
  const server = pool.server;
  const raw = net.connect({ host: via.host, port: via.port, path: via.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true });
  if (pool.keepAlive !== undefined) keepAliveOnceConnected(raw, pool.keepAlive);
  let socket: net.Socket = raw;
  let settled = false;
  pool.use();
  const finish = (error?: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    stopHandshake();
    raw.off('error', onError);
    socket.off('error', onError);
    socket.off('secureConnect', onSecure);
    if (error) {
      pool.used--;
      socket.destroy();
      raw.destroy();
      done(undefined, error);
    } else {
      const conn = new UpstreamConnection(socket, server, pool, sni, undefined, true);
      if (target) conn.dest = target.key;
      done(conn);
    }
  };
  const onError = (e: NodeJS.ErrnoException): void => finish(e.code ?? e.message);
  const onSecure = (): void => finish();
  raw.once('error', onError);
  const stopHandshake = socks4Handshake(raw, socks4Request(host, port), (refused) => {
    if (refused) return finish(refused);
    // `send-proxy`: the header goes through the tunnel, before a TLS ClientHello.
    if (proxyHeader) raw.write(proxyHeader);
    if (!pool.tls) return finish();
    const secure = socket = tls.connect({ socket: raw, ...pool.tls.base, ...serverAlpn(server), ...(sni ? { servername: sni } : {}), ...sessionToOffer(server, sni) });
    keepSessions(server, secure, sni);
    pool.tls.sslConns?.take(secure);
    secure.once('secureConnect', onSecure);
    secure.once('error', onError);
  });
  const timer = timeout > 0 ? setTimeout(() => finish('timeout'), timeout) : undefined;
  return () => finish('aborted');
}

/**
 * A connection to a TLS server over `maxsslconn` fails at once with SSL_TOO_MANY (HAProxy's
 * connect_server returns SF_ERR_INTERNAL: a 500, not retried). `done` is called on the next tick,
 * as a real connection's outcome is.
 */
export function sslConnsFull(done: (conn: UpstreamConnection | undefined, error?: string) => void): () => void {
  let cancelled = false;
  process.nextTick(() => { if (!cancelled) done(undefined, SSL_TOO_MANY); });
  return () => { cancelled = true; };
}

/** A stream's own `setTimeout` and 'timeout' event, as the inactivity timeout of a connection the sweeps cannot watch. */
function ownTimer(stream: net.Socket, expired: () => void): { set(ms: number): void } {
  stream.on('timeout', expired);
  return { set: (ms) => void stream.setTimeout(ms) };
}
