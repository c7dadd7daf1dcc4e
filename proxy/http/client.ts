/**
 * One client connection in HTTP mode: llhttp frames the requests, each request
 * becomes a transaction routed on its own (keep-alive, pipelining in order),
 * and HAProxy's client-side timers apply: `timeout http-request` until a
 * request head is complete (408), `timeout http-keep-alive` between requests,
 * `timeout client` for inactivity.
 */
import type net from 'node:net';
import { newParser, REQUEST, METHODS, kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from '../runtime/llhttp.ts';
import type { HTTPParser, ParserError } from '../runtime/llhttp.ts';
import { ParserFeed } from '../runtime/parser-feed.ts';
import { HttpTransaction } from './transaction.ts';
import type { HttpFrontend } from './frontend.ts';
import { builtinResponse } from './error-pages.ts';
import { connectionInfo } from './samples.ts';
import { requestRefusal } from './request-checks.ts';
import { faults, faultPoint } from '../runtime/faults.ts';
import type { ConnectionInfo, Sample } from '../acl/index.ts';

/** Pipelined requests parsed ahead of the one being served, before reading pauses. */
const MAX_PIPELINE = 16;
/** Bytes held after an upgrade request until its answer says what they are, before reading pauses. */
const MAX_HELD = 64 * 1024;
/** A complete HTTP/1.x request line ends with the version; llhttp takes a line without one as HTTP/0.9. */
const VERSIONED_LINE = / HTTP\/\d\.\d\r?$/;

export class ClientConnection {
  readonly parser: HTTPParser;
  /** How reads reach the parser (natively while consumed) and how reading pauses. */
  private readonly feed: ParserFeed;
  /** Transactions in arrival order; the first one owns the response side. */
  readonly queue: HttpTransaction[] = [];
  closed = false;
  /** No more requests will be read (Connection: close, error, stop). */
  draining = false;
  readonly acceptedAt = Date.now();
  private flushedHeaders: string[] = [];
  private flushedUrl = '';
  private requestTimer: NodeJS.Timeout | undefined;
  /** A request has started arriving (bytes seen since the last one completed). */
  private partial = false;
  /** The head of the request arriving now has been parsed. */
  private headSeen = false;
  /** Requests read in full so far (tells whether one ended inside a read). */
  private completed = 0;
  /** Within the read being parsed: a request began / one ended / an upgrade request ended (llhttp stops there). */
  private beganInRead = false;
  private completedInRead = false;
  private upgradeEnded = false;
  /** The request whose head was parsed last asked for an upgrade. */
  private headSeenUpgrade = false;
  /** Status a request head was refused with (request-checks.ts), answered once llhttp has stopped. */
  private refusal = 0;
  /**
   * Bytes after an upgrade request (WebSocket, CONNECT): another protocol if the server switches
   * (they go into the tunnel), the next pipelined requests if it does not (they are parsed then).
   */
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private holdingFor: HttpTransaction | undefined;
  /** An internal error closed the connection (reported once). */
  private failed = false;
  /** The frontend has been told the connection is gone. */
  private released = false;
  private vars: Map<string, Sample> | undefined;
  private info: ConnectionInfo | undefined;

  /** sess.* variables live as long as the connection (created on first use). */
  get sessionVars(): Map<string, Sample> {
    return (this.vars ??= new Map());
  }

  connectionInfo(): ConnectionInfo {
    return (this.info ??= connectionInfo(this));
  }

  constructor(readonly socket: net.Socket, readonly frontend: HttpFrontend) {
    if (faults.armed) faultPoint('accept');
    socket.setNoDelay(true);
    const parser = (this.parser = newParser(REQUEST, frontend.limits.bufsize)) as OwnedParser;
    this.feed = new ParserFeed(socket, parser);
    // The parser's and the socket's callbacks are shared functions that find the connection through
    // OWNER (no closures per connection: an idle keep-alive connection's memory counts).
    parser[OWNER] = this;
    (socket as OwnedSocket)[OWNER] = this;
    parser[kOnMessageBegin] = parserOnMessageBegin;
    parser[kOnHeaders] = parserOnHeaders;
    parser[kOnHeadersComplete] = parserOnHeadersComplete;
    parser[kOnBody] = parserOnBody;
    parser[kOnMessageComplete] = parserOnMessageComplete;
    const { consumed, buffered } = this.feed.consume(parserOnExecute);
    // Not consumed (no stream handle), or after an upgrade request released the socket: 'data' events.
    // Every event of the connection enters through one of these handlers (the server side through
    // upstream.ts and the transaction's callbacks), so an exception is caught there.
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnClose);
    const client = frontend.timeouts.client;
    if (client > 0) {
      socket.setTimeout(client);
      socket.on('timeout', socketOnTimeout);
    }
    this.armRequestTimer(false);
    if (consumed && buffered) this.onData(buffered);
  }

  /** @internal llhttp hands over the fields of a head with more than 32 in batches. */
  flushHead(headers: string[], url: string): void {
    for (const h of headers) this.flushedHeaders.push(h);
    this.flushedUrl += url;
  }

  /** @internal */ onMessageBegin(): void {
    this.beganInRead = true;
    this.partial = true;
  }

  /**
   * At the end of a read: a request that began but whose head is not complete now has
   * `timeout http-request` (the keep-alive wait is over). Armed once per request, and only
   * when the head did not arrive whole within the read (the common case arms nothing).
   */
  private armHeadTimer(began: boolean): void {
    if (began && this.partial && !this.headSeen && !this.closed) this.armRequestTimer(false);
  }

  /** @internal */ onHead(major: number, minor: number, headers: string[] | undefined, method: number | undefined, url: string | undefined,
    upgrade: boolean, keepAlive: boolean): number {
    if (headers === undefined) {
      headers = this.flushedHeaders;
      this.flushedHeaders = [];
    }
    if (url === undefined) {
      url = this.flushedUrl;
      this.flushedUrl = '';
    }
    this.headSeen = true;
    this.headSeenUpgrade = upgrade;
    // Closed, or draining with nothing left to answer: what still arrives is read and dropped.
    if (this.closed || (this.draining && this.queue.length === 0)) return 0;
    const head = { method: METHODS[method!] ?? 'GET', url, versionMajor: major, versionMinor: minor, headers, keepAlive, upgrade };
    const refusal = requestRefusal(head, this.frontend.limits);
    if (refusal !== 0) {
      // Stops llhttp (a callback error); the read's end answers once execute() has returned.
      this.refusal = refusal;
      return -1;
    }
    if (faults.armed) faultPoint('request-head');
    this.clearRequestTimer();
    const tx = new HttpTransaction(this, head);
    this.queue.push(tx);
    if (!keepAlive) this.draining = true;
    if (this.queue.length === 1) tx.start();
    else if (this.queue.length >= MAX_PIPELINE) this.feed.pause();
    return 0;
  }

  /** @internal */ onMessageComplete(): void {
    this.partial = false;
    this.headSeen = false;
    this.completed++;
    this.completedInRead = true;
    const tx = this.queue[this.queue.length - 1];
    // llhttp stops after an upgrade request: what follows is the other protocol's, or more HTTP (transactionDone).
    if (this.headSeenUpgrade) this.upgradeEnded = true;
    this.headSeenUpgrade = false;
    tx?.requestComplete();
    // Idle again with nothing to answer (a response that ended before its request did): keep-alive wait.
    // While a response is pending, transactionDone starts the wait.
    if (!this.draining && this.queue.length === 0) this.armRequestTimer(true);
  }

  /**
   * After each read the parser consumed: what the read's end decides (refusals and parse errors,
   * an upgrade request's end, HTTP/0.9), as onData does for a read that came as a 'data' event.
   */
  /** @internal */ afterRead(result: number | ParserError): void {
    this.feed.touch();
    const began = this.beganInRead;
    const completed = this.completedInRead;
    this.beganInRead = false;
    this.completedInRead = false;
    if (this.refusal !== 0 || typeof result !== 'number') return this.protocolError(this.refusal || 400);
    if (this.upgradeEnded) {
      this.upgradeEnded = false;
      // The next bytes are not for llhttp: back to 'data' events (hold() keeps them for the tunnel).
      const read = this.parser.getCurrentBuffer();
      this.feed.release();
      if (result < read.length) {
        this.holdingFor = this.queue.at(-1);
        this.hold(read.subarray(result));
      }
      return;
    }
    if (began && !this.headSeen && !completed && isHttp09(this.parser.getCurrentBuffer())) return this.protocolError(400);
    this.armHeadTimer(began);
  }

  /** @internal */ closeContained(): void {
    try {
      this.close();
    } catch (e) {
      this.internalError(e);
    }
  }

  /**
   * An exception escaped Loadstar's own code while serving this connection (a bug, never the
   * client's doing): this connection alone is closed; the process and every other connection go on.
   * The client gets a 500 when no response has started: HAProxy answers its own internal errors
   * with 500 (SF_ERR_INTERNAL); a 502 would blame the server. Logged once with its stack and
   * counted as the frontend's internal errors (eint).
   */
  internalError(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.frontend.internalError(error);
    const current = this.queue[0];
    const answer = current ? !current.responseStarted : !this.closed;
    this.draining = true;
    this.closed = true;
    this.clearRequestTimer();
    this.held = undefined;
    for (const tx of this.queue.splice(0)) {
      try {
        tx.abortInternal();
      } catch {
        // Already failing: the first error is the one reported.
      }
    }
    const socket = this.socket;
    if (answer && socket.writable) socket.end(this.frontend.errorResponse(500));
    else if (socket.writable) socket.end();
    // Written bytes are flushed, then the socket goes (and 'close' releases the connection).
    if (socket.writableFinished || !socket.writable) socket.destroy();
    else socket.once('finish', () => socket.destroy());
    this.release();
  }

  /** A read that came as a 'data' event (the socket is not consumed, or no longer). */
  /** @internal */ onData(data: Buffer): void {
    if (this.held) return this.hold(data);
    if (this.draining && this.queue.length === 0) return;
    this.beganInRead = false;
    this.completedInRead = false;
    const r = this.parser.execute(data);
    const began = this.beganInRead;
    const completed = this.completedInRead;
    this.beganInRead = false;
    this.completedInRead = false;
    this.upgradeEnded = false;
    // (Node's binding reports no callback error for an upgrade request: the refusal is checked first.)
    if (this.refusal !== 0 || typeof r !== 'number') return this.protocolError(this.refusal || 400);
    // Node's llhttp binding stops after an upgrade request's head (or body) and says how far it read.
    if (r < data.length) {
      this.holdingFor = this.queue.at(-1);
      return this.hold(data.subarray(r));
    }
    // HAProxy answers an HTTP/0.9 request line at once; llhttp would wait for headers that never come.
    // Checked only when this read began the request (no earlier request ended inside it).
    if (began && !this.headSeen && !completed && isHttp09(data)) return this.protocolError(400);
    this.armHeadTimer(began);
  }

  private hold(data: Buffer): void {
    (this.held ??= []).push(data);
    this.heldBytes += data.length;
    if (this.heldBytes > MAX_HELD) this.feed.pause();
  }

  /** Request-body flow control for the transactions (reading pauses while a server is not ready). */
  pauseReading(): void {
    this.feed.pause();
  }

  resumeReading(): void {
    this.feed.resume();
  }

  /** What arrived after the upgrade request, for the tunnel once the server switched protocols. */
  upgradeRest(): Buffer | undefined {
    const held = this.held;
    this.held = undefined;
    this.heldBytes = 0;
    this.holdingFor = undefined;
    return held && Buffer.concat(held);
  }

  /** Timer for the head of the next request: http-request (or http-keep-alive while idle). */
  private armRequestTimer(idle: boolean): void {
    this.clearRequestTimer();
    const t = this.frontend.timeouts;
    const ms = idle ? (t.httpKeepAlive || t.httpRequest) : t.httpRequest;
    if (ms > 0) {
      this.requestTimer = setTimeout(() => {
        try {
          this.onRequestTimeout(idle);
        } catch (e) {
          this.internalError(e);
        }
      }, ms);
    }
  }

  private clearRequestTimer(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  private onRequestTimeout(idleWait: boolean): void {
    if (!this.partial && this.queue.length > 0) return; // a request is being served
    if (idleWait && !this.partial) return this.close(); // idle keep-alive connection: close silently
    this.frontend.counters.requestErrors++;
    this.frontend.logProtocolError(this, 408, 'cR');
    this.sendAndClose(builtinResponse(408));
  }

  /** @internal */ onClientTimeout(): void {
    // While a server is working on a request, `timeout server` decides; else the client is gone.
    const tx = this.queue[0];
    if (tx && tx.waitingForServer) return;
    if (tx) tx.abort('cD');
    this.close();
  }

  /** @internal */ onClientEnd(): void {
    // Half-close: finish what was asked, then close.
    this.draining = true;
    if (this.queue.length === 0) this.close();
  }

  protocolError(status: number): void {
    if (this.closed) return;
    this.frontend.counters.requestErrors++;
    this.frontend.logProtocolError(this, status, 'PR');
    const tx = this.queue[0];
    if (tx && tx.responseStarted) return this.close();
    this.sendAndClose(builtinResponse(status));
  }

  private sendAndClose(response: Buffer): void {
    this.draining = true;
    this.clearRequestTimer();
    // Aborting ends each transaction, which removes it from the queue: work on a copy.
    for (const tx of this.queue.splice(0)) tx.abort('cR');
    if (!this.socket.destroyed) this.socket.end(response);
    this.closed = true;
    this.socket.once('finish', () => this.socket.destroy());
  }

  /** Called by the first transaction when its response has been fully written. */
  transactionDone(tx: HttpTransaction, keepAlive: boolean): void {
    if (this.queue[0] !== tx) return;
    this.queue.shift();
    if (!keepAlive) this.draining = true;
    if (this.draining) {
      if (this.queue.length === 0 || !keepAlive) return this.end();
    }
    if (this.feed.isPaused && this.queue.length < MAX_PIPELINE) this.feed.resume();
    const next = this.queue[0];
    if (next) next.start();
    else if (!this.partial) this.armRequestTimer(true);
    // The server did not switch protocols: what followed the upgrade request is HTTP again (HAProxy serves it).
    if (tx === this.holdingFor && !tx.upgrading) {
      const rest = this.upgradeRest();
      if (rest) this.onData(rest);
    }
  }

  /** Graceful end: flush what was written, then close. */
  end(): void {
    this.clearRequestTimer();
    if (!this.socket.destroyed) this.socket.end();
    this.closed = true;
  }

  close(): void {
    if (this.closed && this.socket.destroyed) return this.release();
    this.closed = true;
    this.draining = true;
    this.clearRequestTimer();
    for (const tx of this.queue.splice(0)) tx.abort('cD');
    this.socket.destroy();
    this.release();
  }

  /**
   * Once per connection, whichever way it ended (closed here, ended after a last response, an
   * error answer or an internal error): the frontend forgets it and the parser is freed.
   */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.frontend.connectionClosed(this);
    this.feed.closeLater();
  }
}

/** The request line in `data` (its first line) has no HTTP version: HTTP/0.9, which HAProxy refuses. */
function isHttp09(data: Buffer): boolean {
  const lf = data.indexOf(10);
  if (lf < 0) return false;
  // llhttp skips empty lines before a request.
  const line = data.toString('latin1', 0, lf).trimStart();
  return line !== '' && !VERSIONED_LINE.test(line);
}

/**
 * The connection a parser or a socket serves. Containment: while the parser consumes the socket,
 * llhttp calls these from C++ with no JS frame below, so each one catches what it throws (an
 * escape would be an uncaught exception and end the process).
 */
const OWNER = Symbol('loadstar.clientConnection');
type OwnedParser = HTTPParser & { [OWNER]: ClientConnection };
type OwnedSocket = net.Socket & { [OWNER]: ClientConnection };

function parserOnMessageBegin(this: OwnedParser): void {
  const c = this[OWNER];
  try {
    c.onMessageBegin();
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnHeaders(this: OwnedParser, headers: string[], url: string): void {
  this[OWNER].flushHead(headers, url);
}

function parserOnHeadersComplete(this: OwnedParser, major: number, minor: number, headers: string[] | undefined, method: number | undefined,
  url: string | undefined, _status: unknown, _reason: unknown, upgrade: boolean, keepAlive: boolean): number {
  const c = this[OWNER];
  try {
    return c.onHead(major, minor, headers, method, url, upgrade, keepAlive);
  } catch (e) {
    c.internalError(e);
    return -1;
  }
}

function parserOnBody(this: OwnedParser, chunk: Buffer): void {
  const c = this[OWNER];
  try {
    c.queue[c.queue.length - 1]?.requestBody(chunk);
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnMessageComplete(this: OwnedParser): void {
  const c = this[OWNER];
  try {
    c.onMessageComplete();
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnExecute(this: OwnedParser, result: number | ParserError): void {
  const c = this[OWNER];
  try {
    c.afterRead(result);
  } catch (e) {
    c.internalError(e);
  }
}

function socketOnData(this: OwnedSocket, data: Buffer): void {
  const c = this[OWNER];
  try {
    c.onData(data);
  } catch (e) {
    c.internalError(e);
  }
}

function socketOnEnd(this: OwnedSocket): void {
  const c = this[OWNER];
  try {
    c.onClientEnd();
  } catch (e) {
    c.internalError(e);
  }
}

function socketOnClose(this: OwnedSocket): void {
  this[OWNER].closeContained();
}

function socketOnTimeout(this: OwnedSocket): void {
  const c = this[OWNER];
  try {
    c.onClientTimeout();
  } catch (e) {
    c.internalError(e);
  }
}
