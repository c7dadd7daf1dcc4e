/**
 * Connections to servers: llhttp parses each response, idle keep-alive
 * connections wait in a per-server pool for the next request. A connection
 * serves one transaction at a time; the transaction sets the handlers.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ServerTls } from '../tls/server-tls.ts';
import { newParser, RESPONSE, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from '../runtime/llhttp.ts';
import type { HTTPParser, HeadersCompleteCallback, ParserError } from '../runtime/llhttp.ts';
import { ParserFeed } from '../runtime/parser-feed.ts';
import type { RuntimeServer } from '../runtime/server.ts';

export interface ResponseHead {
  status: number;
  reason: string;
  versionMajor: number;
  versionMinor: number;
  headers: string[];
  keepAlive: boolean;
  upgrade: boolean;
}

/** What the transaction using a connection wants to hear about. */
export interface UpstreamHandlers {
  /** Return true when the response has no body (answer to HEAD). */
  head(head: ResponseHead): boolean;
  body(chunk: Buffer): void;
  complete(): void;
  /** The end of one read from the server: what the transaction held back (a response head) goes out now. */
  readDone(): void;
  /** Closed, reset, or sent something that is not HTTP. `bytes` = response bytes seen so far. */
  error(reason: 'closed' | 'invalid' | 'error', bytes: number): void;
  /** The server stayed silent for the inactivity time set with `setInactivityTimeout`. */
  timeout(): void;
  /**
   * The client socket the response goes to: corked while one read from the server is
   * parsed, so a response head and body leave in one write (one syscall, not three).
   */
  readonly sink: net.Socket;
  /** Told when one of these handlers throws (a bug): it closes its client connection. */
  readonly owner: { internalError(error: unknown): void };
}

export class UpstreamConnection {
  readonly parser: HTTPParser;
  handlers: UpstreamHandlers | undefined;
  /** Response bytes received for the current transaction (0 = nothing yet: safe to retry). */
  received = 0;
  /** True once a transaction used it: a failure before any byte may be a stale keep-alive. */
  reused = false;
  dead = false;
  /** Set when the connection became a tunnel (101): bytes after the response head go there. */
  tunnelRest: ((rest: Buffer) => void) | undefined;
  private flushed: string[] = [];
  /** How reads reach the parser (natively while consumed) and how reading pauses. */
  private readonly feed: ParserFeed;
  /** The client socket corked for the read being parsed (uncorked once the read is done). */
  private corked: net.Socket | undefined;
  /** The transaction's response ended within the read being parsed. */
  private completedInRead = false;

  /**
   * @param sni the server name sent in the TLS handshake (undefined: none, or plain TCP);
   *   a kept-alive connection is reused only for a request that sends the same one.
   */
  constructor(readonly socket: net.Socket, readonly server: RuntimeServer, private readonly pool: ServerPool, readonly sni?: string) {
    const parser = (this.parser = newParser(RESPONSE));
    this.feed = new ParserFeed(socket, parser);
    parser[kOnHeaders] = (headers: string[]) => {
      for (const h of headers) this.flushed.push(h);
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
      const handlers = this.handlers;
      if (!handlers) return 0;
      try {
        this.corkSink(handlers);
        return handlers.head({ status: status!, reason: reason ?? '', versionMajor: major, versionMinor: minor, headers, keepAlive, upgrade }) ? 1 : 0;
      } catch (e) {
        this.internalError(e, handlers);
        return -1;
      }
    };
    parser[kOnHeadersComplete] = onHead;
    parser[kOnBody] = (chunk: Buffer) => {
      const handlers = this.handlers;
      if (!handlers) return;
      try {
        this.corkSink(handlers);
        handlers.body(chunk);
      } catch (e) {
        this.internalError(e, handlers);
      }
    };
    parser[kOnMessageComplete] = () => {
      const handlers = this.handlers;
      if (!handlers) return;
      this.completedInRead = true;
      try {
        this.corkSink(handlers);
        handlers.complete();
      } catch (e) {
        this.internalError(e, handlers);
      }
    };
    this.feed.consume((result) => {
      const handlers = this.handlers;
      try {
        this.afterRead(result);
      } catch (e) {
        this.internalError(e, handlers);
      }
    });
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
    socket.on('close', () => this.failContained('closed'));
    socket.on('error', () => this.failContained('error'));
    // One listener for the connection's life: `timeout server` while serving, the idle limit while pooled.
    socket.on('timeout', () => {
      const handlers = this.handlers;
      try {
        if (handlers) handlers.timeout();
        else this.destroy();
      } catch (e) {
        this.internalError(e, handlers);
      }
    });
  }

  /** Response writes of one read leave together: the client socket stays corked until the read is parsed. */
  private corkSink(handlers: UpstreamHandlers): void {
    if (this.corked) return;
    this.corked = handlers.sink;
    this.corked.cork();
  }

  private uncorkSink(): void {
    this.handlers?.readDone();
    const sink = this.corked;
    if (!sink) return;
    this.corked = undefined;
    sink.uncork();
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

  /** The inactivity limit in force (socket.setTimeout), so that setting the same one again costs nothing. */
  private inactivityMs = -1;

  /**
   * Inactivity limit (ms, 0 = none) for what the connection is doing now. `timeout server` while
   * serving and the pool's idle limit are usually the same: then the running timer stays (every read
   * and write restarts it anyway) instead of a new timer and listener per request and per parking.
   */
  setInactivityTimeout(ms: number): void {
    if (ms === this.inactivityMs) return this.feed.touch();
    this.inactivityMs = ms;
    this.socket.setTimeout(ms);
  }

  /** After each read the parser consumed (the same decisions as onData for a 'data' event). */
  private afterRead(result: number | ParserError): void {
    this.feed.touch();
    // Also when a handler threw: what was written so far still reaches the client.
    this.uncorkSink();
    const completed = this.completedInRead;
    this.completedInRead = false;
    if (typeof result !== 'number') return this.fail('invalid');
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

  private onData(data: Buffer): void {
    if (!this.handlers && !this.tunnelRest) {
      // A server talking while idle breaks the next exchange: drop the connection.
      this.destroy();
      return;
    }
    this.received += data.length;
    if (this.handlers) this.corkSink(this.handlers);
    let r: number | Error;
    try {
      r = this.parser.execute(data);
    } finally {
      // Also when a handler threw: what was written so far still reaches the client.
      this.uncorkSink();
      this.completedInRead = false;
    }
    if (typeof r !== 'number') return this.fail('invalid');
    if (r < data.length && this.tunnelRest) this.tunnelRest(data.subarray(r));
  }

  /** Response-body flow control: stop and restart reading from the server while the client is slow. */
  pauseReading(): void {
    this.feed.pause();
  }

  resumeReading(): void {
    this.feed.resume();
  }

  /** The end of a response without length is the end of the connection: let llhttp know first. */
  private fail(reason: 'closed' | 'invalid' | 'error'): void {
    if (this.dead) return;
    if (reason === 'closed' && this.handlers && this.received > 0) {
      const r = this.parser.finish();
      this.uncorkSink();
      if (r === undefined && !this.handlers) return this.destroy();
    }
    this.dead = true;
    this.pool.remove(this);
    const handlers = this.handlers;
    this.handlers = undefined;
    this.socket.destroy();
    this.feed.closeLater();
    handlers?.error(reason, this.received);
  }

  /** Starts serving a transaction. */
  attach(handlers: UpstreamHandlers): void {
    this.handlers = handlers;
    this.received = 0;
  }

  /** The response is complete: park the connection for the next request, or close it. */
  detach(keepAlive: boolean, idleTimeout: number): void {
    this.handlers = undefined;
    this.reused = true;
    if (!keepAlive || this.dead) return this.destroy();
    this.pool.park(this, idleTimeout);
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.handlers = undefined;
    this.pool.remove(this);
    this.socket.destroy();
    this.feed.closeLater();
  }
}

/** Idle keep-alive connections of one server, newest first (most likely still open). */
export class ServerPool {
  private readonly idle: UpstreamConnection[] = [];

  /** @param tls how to speak TLS to this server (`server … ssl`), undefined for plain TCP. */
  constructor(readonly server: RuntimeServer, readonly tls?: ServerTls) {}

  take(sni?: string): UpstreamConnection | undefined {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const conn = this.idle[i]!;
      if (conn.dead || conn.socket.destroyed) {
        this.idle.splice(i, 1);
        continue;
      }
      if (conn.sni !== sni) continue;
      this.idle.splice(i, 1);
      return conn;
    }
    return undefined;
  }

  park(conn: UpstreamConnection, idleTimeout: number): void {
    this.idle.push(conn);
    conn.setInactivityTimeout(idleTimeout);
  }

  remove(conn: UpstreamConnection): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  closeAll(): void {
    for (const conn of [...this.idle]) conn.destroy();
  }

  get size(): number {
    return this.idle.length;
  }
}

/** Opens a new connection; `done` gets it or the reason it failed ('timeout' after `timeout connect`). */
export function connectUpstream(pool: ServerPool, timeout: number, done: (conn: UpstreamConnection | undefined, error?: string) => void, sni?: string): () => void {
  const server = pool.server;
  // With TLS the connection is usable once the handshake (and the certificate check) succeeded.
  const socket = pool.tls
    ? tls.connect({ host: server.host, port: server.port, ...pool.tls.base, ...(sni ? { servername: sni } : {}) }).setNoDelay(true)
    : net.connect({ host: server.host, port: server.port, noDelay: true });
  const ready = pool.tls ? 'secureConnect' : 'connect';
  let settled = false;
  const finish = (error?: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off(ready, onConnect);
    socket.off('error', onError);
    if (error) {
      socket.destroy();
      done(undefined, error);
    } else done(new UpstreamConnection(socket, server, pool, sni));
  };
  const onConnect = (): void => finish();
  const onError = (e: NodeJS.ErrnoException): void => finish(e.code ?? e.message);
  socket.once(ready, onConnect);
  socket.once('error', onError);
  const timer = timeout > 0 ? setTimeout(() => finish('timeout'), timeout) : undefined;
  return () => finish('aborted');
}
