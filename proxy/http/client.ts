/**
 * One client connection in HTTP mode: llhttp frames the requests, each request
 * becomes a transaction routed on its own (keep-alive, pipelining in order),
 * and HAProxy's client-side timers apply: `timeout http-request` until a
 * request head is complete (408), `timeout http-keep-alive` between requests,
 * `timeout client` for inactivity.
 */
import type { RuntimeServer } from '../runtime/server.ts';
import type net from 'node:net';
import { REQUEST, METHODS, LENIENT_VERSION, rtspOnlyMethod, kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from '../runtime/llhttp.ts';
import type { HTTPParser, ParserError } from '../runtime/llhttp.ts';
import { ParserFeed } from '../runtime/parser-feed.ts';
import { ParserPool } from '../runtime/parser-pool.ts';
import { HttpTransaction, trailersClose } from './transaction.ts';
import type { RequestHead, TerminationState } from './transaction.ts';
import { endReuseSession } from './upstream.ts';
import type { ReuseSession, UpstreamConnection } from './upstream.ts';
import type { HttpFrontend } from './frontend.ts';
import { protocolErrorResponse } from './error-pages.ts';
import { connectionInfo } from './samples.ts';
import { refusalPosition, requestRefusal, trailersRefusal } from './request-checks.ts';
import { afterRequests, scanGap } from './message-gap.ts';
import { faults, faultPoint } from '../runtime/faults.ts';
import { inactivitySweep, type InactivityWatched } from '../runtime/inactivity.ts';
import { lastMessageStart } from '../runtime/error-snapshots.ts';
import { writeNow } from '../runtime/write-batch.ts';
import { DirectBodyWrites } from '../runtime/direct-body.ts';
import { pendingWrite } from '../runtime/pending-write.ts';
import type { ConnectionInfo, Sample } from '../acl/index.ts';
import { handshakeTime } from '../tls/handshake-time.ts';
import { requestFailed } from '../stick/http.ts';
import type { StreamTarget } from '../runtime/exchange.ts';

/** HTTP/2's connection preface (RFC 9113 §3.4), which llhttp reads as a `PRI` request and stops after. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Pipelined requests parsed ahead of the one being served, before reading pauses. */
const MAX_PIPELINE = 16;
/** Bytes held after an upgrade request until its answer says what they are, before reading pauses. */
const MAX_HELD = 64 * 1024;
/** A complete HTTP/1.x request line ends with the version; llhttp takes a line without one as HTTP/0.9. */
const VERSIONED_LINE = / HTTP\/\d\.\d\r?$/;
/**
 * A connection waiting for its next request gives its parser back after between one and two
 * of these periods without a request starting (see IdleSweep). Long against the gaps between
 * requests of a busy keep-alive connection (which keep their parser, and the native reads),
 * short against a burst of new connections (parsers alive ≈ connections busy in the last 0.1–0.2 s).
 */
const IDLE_SWEEP_MS = 100;
/** Parsers kept for reuse (~2 KB each); more are freed. */
const POOLED_PARSERS = 256;

export class ClientConnection implements InactivityWatched, ReuseSession {
  /**
   * The request parser, and how reads reach it (natively while consumed) and how reading pauses.
   * Both undefined while the connection waits idle for its next request: the parser went back
   * to the pool and the socket's next read comes as a 'data' event (see detachIfIdle).
   */
  private parser: HTTPParser | undefined;
  private feed: ParserFeed | undefined;
  /** IdleSweep's tick at which the connection began waiting for a request; -1 while it is not waiting. */
  idleTick = -1;
  /** Transactions in arrival order; the first one owns the response side. */
  readonly queue: HttpTransaction[] = [];
  closed = false;
  /** It began with HTTP/2's preface: an H2Connection takes the socket over, and what waits in its stream (h2Preface). */
  toH2 = false;
  /** Its bind says `proto h1`: HTTP/2's preface is answered 400 (HAProxy: no implicit upgrade on such a bind). */
  h1Only = false;
  /** No more requests will be read (Connection: close, error, stop, the client's FIN). */
  draining = false;
  /**
   * The client half-closed: what it sent before its FIN is still answered, in order and without
   * `connection: close` (HAProxy's H1 mux serves the requests left in its buffer after a read0 and
   * announces nothing), then the connection ends.
   */
  clientEnded = false;
  /** Its frontend was replaced by a reload: the next answer says `connection: close` and ends it (retire()). */
  retired = false;
  /**
   * A request asked for the connection to close (Connection: close, HTTP/1.0 without keep-alive):
   * what is pipelined after it is read and dropped, while the requests before it are still answered
   * keep-alive (`draining`, which every pending response reads, is set when its own response ends).
   */
  private closeRequested = false;
  readonly acceptedAt: number;
  /** %Th: its TLS handshake's ms (0 without TLS); acceptedAt is when it ended. */
  readonly handshake: number;
  /** When the request being read began (its first byte): %Ti / %TR. */
  messageBeganAt = 0;
  /** `timeout client` bookkeeping, kept by its sweep (runtime/inactivity.ts). */
  inactivityMark = 0;
  inactiveSince = 0;
  private flushedHeaders: string[] | undefined;
  private flushedUrl = '';
  private requestTimer: NodeJS.Timeout | undefined;
  /** A request has started arriving (bytes seen since the last one completed). */
  private partial = false;
  /** The head of the request arriving now has been parsed. */
  private headSeen = false;
  /** Requests read in full so far (tells whether one ended inside a read). */
  private completed = 0;
  /** Within the read being parsed: a request began / how many ended / an upgrade request ended (llhttp stops there). */
  private beganInRead = false;
  private completedInRead = 0;
  private upgradeEnded = false;
  /** The read being parsed began inside a request (llhttp's state after the read before). */
  private readBeganInRequest = false;
  /** The read being parsed, when it came as a 'data' event: looked at without a copy. Undefined while llhttp consumes the socket. */
  private dataRead: Buffer | undefined;
  /** The last read ended between requests on a CR that waits for its LF (message-gap.ts). */
  private openCr = false;
  /** The request whose head was parsed last asked for an upgrade. */
  private headSeenUpgrade = false;
  /** A transaction is being started by the head just parsed, inside a read (see atReadEnd). */
  private startingInRead = false;
  /** A local answer waiting for the end of the read (atReadEnd). */
  private readEndAnswer: (() => void) | undefined;
  /** Status a request head was refused with (request-checks.ts), answered once llhttp has stopped. */
  private refusal = 0;
  /**
   * The refusal (`refusal`) waits for the requests read before the refused one, which are answered
   * first, in order (HAProxy's H1 mux serves what it parsed before the bad request, then answers it).
   */
  private refusalWaits = false;
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
  /** `http-reuse` (upstream.ts ReuseSession): a request came before; private server connections; prefer their server. */
  reuseNotFirst = false;
  ownedIdle: UpstreamConnection[] | undefined | null = undefined;
  preferLast = false;

  /** Read from the frontend: nothing more per connection. */
  get maxOwnedIdle(): number {
    return this.frontend.maxOwnedIdle;
  }

  /** The connection is its own reuse session (no object per connection). */
  get reuse(): ReuseSession {
    return this;
  }

  /** sess.* variables live as long as the connection (created on first use). */
  get sessionVars(): Map<string, Sample> {
    return (this.vars ??= new Map());
  }

  connectionInfo(): ConnectionInfo {
    return (this.info ??= connectionInfo(this));
  }

  /** An HTTP/1 connection's responses go straight to its socket. */
  get transport(): net.Socket {
    return this.socket;
  }

  /**
   * @param vars sess.* variables `tcp-request session` rules set before the connection was made.
   * @param acceptedAt when the connection was accepted, when that was before now: a TCP frontend's
   * connection upgraded to HTTP (upgraded-frontend.ts), whose first stream dates from the TCP accept.
   */
  constructor(readonly socket: net.Socket, readonly frontend: HttpFrontend, vars?: Map<string, Sample>, acceptedAt = Date.now()) {
    this.acceptedAt = acceptedAt;
    this.vars = vars;
    if (faults.armed) faultPoint('accept');
    // TCP_NODELAY is already set: every listener is created with `noDelay` (engine.ts, tls/listener.ts).
    // Setting it again here cost a syscall per TLS connection (a TLSSocket forwards it to its TCP handle).
    // The parser's and the socket's callbacks are shared functions that find the connection through
    // OWNER (no closures per connection: an idle keep-alive connection's memory counts).
    (socket as OwnedSocket)[OWNER] = this;
    this.handshake = handshakeTime(socket, this.acceptedAt);
    // Node forgets them with the socket (a reset): read them now when they will be logged.
    if (frontend.keepsAddresses) this.info = connectionInfo(this);
    const feed = this.attachParser();
    const { consumed, buffered } = feed.consume(parserOnExecute);
    // Not consumed (no stream handle), or after an upgrade request released the socket: 'data' events.
    // Every event of the connection enters through one of these handlers (the server side through
    // upstream.ts and the transaction's callbacks), so an exception is caught there.
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnClose);
    // `timeout client`: one shared sweep per timeout value instead of a Node timer per socket
    // (an idle connection's memory counts, and the socket's timer moved on every read and write).
    const client = frontend.timeouts.client;
    if (client > 0) inactivitySweep(client).add(this);
    this.armRequestTimer(false);
    idleSweep.waiting(this);
    if (consumed && buffered) this.onData(buffered);
  }

  private directWrites: DirectBodyWrites | undefined;

  /** Big response body chunks, written straight to the socket's handle (direct-body.ts; made at the first). */
  get directBody(): DirectBodyWrites {
    return (this.directWrites ??= new DirectBodyWrites(this.socket));
  }

  /** Takes a parser from the pool for the requests to come (not consuming the socket yet). */
  private attachParser(): ParserFeed {
    const parser = requestParsers.take(this.frontend.limits.bufsize) as OwnedParser;
    parser[OWNER] = this;
    this.parser = parser;
    return (this.feed = new ParserFeed(this.socket, parser));
  }

  /**
   * IdleSweep: the connection has waited for a request since the previous sweep with nothing
   * arriving. Still idle (nothing to answer, nothing half-read, not paused, nothing held after an
   * upgrade request), it gives its parser back to the pool; the socket reads on through 'data'
   * events, so a close is seen at once and the next request's first bytes re-attach a parser
   * (onData). From a timer: no parser callback is on the stack.
   */
  /** @internal */ detachIfIdle(): void {
    const feed = this.feed;
    if (!feed || this.closed || this.draining || this.partial || this.queue.length > 0 || this.held || feed.isPaused) return;
    if (this.refusal !== 0 || this.socket.destroyed) return;
    const parser = feed.parser as OwnedParser;
    feed.release();
    parser[OWNER] = undefined;
    this.parser = undefined;
    this.feed = undefined;
    requestParsers.give(parser);
    // The pipelining queue's backing store (grown by the requests so far) goes too.
    this.queue.length = 0;
  }

  /**
   * The first read after the parser was given back: a parser from the pool parses it as any read
   * in 'data' mode, then consumes the socket again for the reads after it — unless this read
   * left the connection in a state 'data' mode serves (reading paused, bytes held after an
   * upgrade request) or closing.
   */
  private reattach(data: Buffer): void {
    const feed = this.attachParser();
    this.onData(data);
    // The read may have closed the connection (its parser then goes back) or left it in 'data' mode.
    if (feed !== this.feed || this.closed || this.held || feed.isPaused || feed.consumed) return;
    const { consumed, buffered } = feed.consume(parserOnExecute);
    if (consumed && buffered) this.onData(buffered);
  }

  /**
   * @internal llhttp hands over the fields of a head with more than 32 in batches, and a chunked
   * body's trailer fields (after the head: its `url` is the request's again, not new).
   */
  flushHead(headers: string[], url: string): void {
    // Trailers go to the request being read (HAProxy relays them); before, they stayed here and
    // became header fields of the connection's next request (its URL prefixed with this one's).
    if (this.headSeen) return this.trailers(headers);
    const flushed = (this.flushedHeaders ??= []);
    for (const h of headers) flushed.push(h);
    this.flushedUrl += url;
  }

  /**
   * A chunked request's trailer fields: to the transaction whose request is being read (it ignores
   * them once its request is complete: the head was dropped, closed or draining). A `connection:
   * close` among them makes llhttp refuse whatever follows on the connection: the request is
   * answered, then the connection closes (HAProxy 2.6 relays the field and keeps the connection).
   */
  private trailers(fields: string[]): void {
    const tx = this.queue[this.queue.length - 1];
    if (!tx) return;
    const all = tx.requestTrailers(fields);
    if (!all) return;
    // More fields or bytes than HAProxy takes: 400 (the request never completes, see onMessageComplete).
    const refused = trailersRefusal(all, this.frontend.limits);
    if (refused !== '') {
      this.refusal = 400;
      // Over the buffer, HAProxy's stream answers (its error page, connection: close), not the mux.
      if (refused === 'bytes' && tx === this.queue[0]) tx.refuse(400);
      return;
    }
    if (trailersClose(fields)) {
      this.closeRequested = true;
      tx.request.keepAlive = false;
    }
  }

  /** @internal */ onMessageBegin(): void {
    this.messageBeganAt = Date.now();
    // The empty lines before a request are checked where that costs no copy of each read: the
    // connection's first request, a request after others in the same read (pipelining), a read that
    // came as a 'data' event, or after a read that ended on a CR. Not a keep-alive request's own read.
    if (this.completedInRead > 0 || this.completed === 0 || this.dataRead !== undefined || this.openCr) this.checkGap();
    this.beganInRead = true;
    this.partial = true;
    this.idleTick = -1;
  }

  /** Refuses the request beginning now when a CR with no LF after it comes before it, as HAProxy's H1 parser does (message-gap.ts). */
  private checkGap(): void {
    const read = this.dataRead ?? this.parser!.getCurrentBuffer();
    let at = 0;
    if (this.completedInRead > 0) {
      // The requests that ended before it in this read must be placed: those read whole here, without a chunked body.
      if (this.readBeganInRequest) return;
      at = afterRequests(read, this.completedInRead);
      if (at < 0) return;
    }
    const openCr = at === 0 && this.openCr;
    this.openCr = false;
    // Stops llhttp at this head (onHead); the read's end answers 400 after the requests before it.
    if (scanGap(read, at, openCr) === 'bare-cr') this.refusal = 400;
  }

  /** A read of empty lines only, between requests: a bare CR in it is refused at once, a CR at its end waits for the next read's LF. */
  private gapRead(read: Buffer): void {
    const gap = scanGap(read, 0, this.openCr);
    this.openCr = gap === 'open-cr';
    if (gap === 'bare-cr') this.refusal = 400;
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
      headers = this.flushedHeaders ?? [];
      this.flushedHeaders = undefined;
    }
    if (url === undefined) {
      url = this.flushedUrl;
      this.flushedUrl = '';
    }
    // A request refused in this read (its trailers): llhttp stops before the next one.
    if (this.refusal !== 0) return -1;
    this.headSeen = true;
    this.headSeenUpgrade = upgrade;
    // Closed, or draining with nothing left to answer: what still arrives is read and dropped.
    if (this.closed || this.closeRequested || (this.draining && this.queue.length === 0)) return 0;
    const name = METHODS[method!];
    // An RTSP-only method parses only after an `RTSP/x.y` version, which HAProxy's H1 parser refuses.
    if (name === undefined || rtspOnlyMethod(method!)) {
      this.refusal = 400;
      return -1;
    }
    // llhttp also takes `RTSP/x.y` (after GET, POST, OPTIONS) and `ICE/x.y` (after SOURCE) without naming
    // the protocol; HAProxy refuses both. Their versions are x.0, so only x.0 requests look at the read.
    if (minor === 0 && major >= 1 && notHttpLine(this.parser!.getCurrentBuffer(), url)) {
      this.refusal = 400;
      return -1;
    }
    let wireVersion: string | undefined;
    if (major > 1 || (major === 1 && minor > 1)) {
      // HTTP/1.2 … 9.9 (llhttp's lenient version lets them through): handled as 1.1, as HAProxy does.
      // One difference left: llhttp applies HTTP/1.0's keep-alive rule to 2.0 … 9.0 and refuses what
      // follows such a request on the connection, so it stays the connection's last (HAProxy keeps it).
      wireVersion = `${major}.${minor}`;
      major = 1;
      minor = 1;
    }
    const head: RequestHead = { method: name, url, versionMajor: major, versionMinor: minor, wireVersion, headers, keepAlive, upgrade };
    const refusal = requestRefusal(head, this.frontend.limits);
    if (refusal !== 0) {
      // Stops llhttp (a callback error); the read's end answers once execute() has returned.
      this.refusal = refusal;
      refusedHeads.set(this, head);
      return -1;
    }
    if (faults.armed) faultPoint('request-head');
    this.clearRequestTimer();
    const tx = new HttpTransaction(this, head);
    this.queue.push(tx);
    if (!keepAlive) this.closeRequested = true;
    if (this.queue.length === 1) {
      this.startingInRead = true;
      tx.start();
      this.startingInRead = false;
    }
    else if (this.queue.length >= MAX_PIPELINE) this.feed!.pause();
    return 0;
  }

  /**
   * A transaction answering locally before its body is all in asks to answer once the read is
   * parsed (then the body in the same read counts as in, as for HAProxy). Only while it is being
   * started by the head of this read; false otherwise (it answers at once).
   */
  atReadEnd(fn: () => void): boolean {
    if (!this.startingInRead) return false;
    this.readEndAnswer = fn;
    return true;
  }

  private answerAtReadEnd(): void {
    const fn = this.readEndAnswer;
    this.readEndAnswer = undefined;
    fn!();
  }

  /** @internal */ onMessageComplete(): void {
    this.partial = false;
    this.headSeen = false;
    this.completed++;
    this.completedInRead++;
    const tx = this.queue[this.queue.length - 1];
    // llhttp stops after an upgrade request: what follows is the other protocol's, or more HTTP (transactionDone).
    if (this.headSeenUpgrade) this.upgradeEnded = true;
    this.headSeenUpgrade = false;
    // Refused (trailers over the limits): never completed towards the server; the read's end answers 400.
    if (this.refusal === 0) tx?.requestComplete();
    // Idle again with nothing to answer (a response that ended before its request did): keep-alive wait.
    // While a response is pending, transactionDone starts the wait.
    if (!this.draining && this.queue.length === 0) this.keepAliveWait();
  }

  /**
   * After each read the parser consumed: what the read's end decides (refusals and parse errors,
   * an upgrade request's end, HTTP/0.9), as onData does for a read that came as a 'data' event.
   */
  /** @internal */ afterRead(result: number | ParserError): void {
    const feed = this.feed!;
    feed.touch();
    const began = this.beganInRead;
    const completed = this.completedInRead > 0;
    const emptyLinesOnly = !began && !completed && !this.readBeganInRequest;
    this.beganInRead = false;
    this.completedInRead = 0;
    this.readBeganInRequest = this.partial;
    if (this.readEndAnswer) this.answerAtReadEnd();
    if (typeof result !== 'number' && this.afterClose(result)) return;
    if (typeof result !== 'number' && this.h2Preface(result, this.parser!.getCurrentBuffer())) return;
    if (emptyLinesOnly && typeof result === 'number' && this.refusal === 0) this.gapRead(this.parser!.getCurrentBuffer());
    if (this.refusal !== 0 || typeof result !== 'number') {
      this.captureRefused(this.parser!.getCurrentBuffer(), result, began, completed);
      return this.protocolError(this.refusal || 400);
    }
    if (this.upgradeEnded) {
      this.upgradeEnded = false;
      // The next bytes are not for llhttp: back to 'data' events (hold() keeps them for the tunnel).
      const read = this.parser!.getCurrentBuffer();
      feed.release();
      if (result < read.length) this.afterUpgradeRequest(read.subarray(result));
      return;
    }
    if (began && !this.headSeen && !completed && isHttp09(this.parser!.getCurrentBuffer())) return this.refuseHttp09(this.parser!.getCurrentBuffer());
    this.armHeadTimer(began);
  }

  /** @internal */ closeContained(): void {
    try {
      // Reset (or closed without a FIN) before or in the middle of a request head: HAProxy's H1 mux
      // answers and logs it as a FIN there (400 CR <BADREQ>), from the addresses kept since the accept.
      if (!this.closed && this.queue.length === 0 && (this.partial || this.completed === 0)) this.requestFailed(400, 'CR');
      const tx = this.queue[0];
      // `option abortonclose`: a request still queued or connecting is given up (CQ, CC), as on a FIN.
      if (tx?.abandonedByClient()) return this.close();
      // Else a request already sent lives on without its client, until the server answers.
      if (tx?.outlivesClientReset()) this.queue.shift();
      this.close(tx?.resetTermination);
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
    writeNow(socket);
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
    const parser = this.parser;
    if (!parser) return this.closed ? undefined : this.reattach(data);
    this.beganInRead = false;
    this.completedInRead = 0;
    this.readBeganInRequest = this.partial;
    this.dataRead = data;
    const r = parser.execute(data);
    this.dataRead = undefined;
    const began = this.beganInRead;
    const completed = this.completedInRead > 0;
    const emptyLinesOnly = !began && !completed && !this.readBeganInRequest;
    const upgraded = this.upgradeEnded;
    this.beganInRead = false;
    this.completedInRead = 0;
    this.readBeganInRequest = this.partial;
    this.upgradeEnded = false;
    if (this.readEndAnswer) this.answerAtReadEnd();
    // (Node's binding reports no callback error for an upgrade request: the refusal is checked first.)
    if (typeof r !== 'number' && this.afterClose(r)) return;
    if (typeof r !== 'number' && this.h2Preface(r, data)) return;
    if (emptyLinesOnly && typeof r === 'number' && this.refusal === 0 && r === data.length) this.gapRead(data);
    if (this.refusal !== 0 || typeof r !== 'number') {
      this.captureRefused(data, r, began, completed);
      return this.protocolError(this.refusal || 400);
    }
    // Node's llhttp binding stops after an upgrade request's head (or body) and says how far it read.
    if (r < data.length) {
      // No upgrade request ended in this read: the bytes after one whose server did not switch, which
      // llhttp leaves unread when they begin no request (a WebSocket frame). HAProxy answers them 400.
      if (!upgraded) return this.protocolError(400);
      return this.afterUpgradeRequest(data.subarray(r));
    }
    // HAProxy answers an HTTP/0.9 request line at once; llhttp would wait for headers that never come.
    // Checked only when this read began the request (no earlier request ended inside it).
    if (began && !this.headSeen && !completed && isHttp09(data)) return this.refuseHttp09(data);
    this.armHeadTimer(began);
  }

  /** An HTTP/0.9 request line alone in the read: refused at once, captured where HAProxy's parser stops (the line's end). */
  private refuseHttp09(read: Buffer): void {
    this.captureRefused(read, requestLineEnd(read), true, false);
    this.protocolError(400);
  }

  /**
   * A request llhttp or the request checks refused in this read goes to the frontend's error
   * snapshot (`show errors`), as HAProxy's H1 mux captures it (h1_capture_bad_message): the read from
   * the refused request's first byte, where the parser stopped, and its stream's backend when its
   * head came in an earlier read (HAProxy had made a stream of it then; before that, none).
   * `began`/`completed`: a request began / one ended in this read. Only on the error path.
   */
  private captureRefused(read: Buffer, result: number | ParserError, began: boolean, completed: boolean): void {
    const store = this.frontend.errorSnapshots;
    const head = refusedHeads.get(this);
    if (head) refusedHeads.delete(this);
    if (!store || this.closed || this.refusalWaits) return;
    const errorAt = typeof result === 'number' ? result : result.bytesParsed;
    // Requests before it in the read (pipelined): where the refused one begins.
    const start = began && completed ? lastMessageStart(read, errorAt, REQUEST, LENIENT_VERSION, this.frontend.limits.bufsize) : 0;
    let backend: string | undefined;
    if (!began && this.headSeen) {
      const frontend = this.frontend;
      // A stream's backend is its frontend until switching picks one: a listen section is both.
      backend = this.queue.at(-1)?.target().backend ?? (frontend.config.kind === 'listen' ? frontend.name : undefined);
    }
    // Where HAProxy's parser names the fault of a head the request checks refused (else llhttp's stop: the head's end).
    const at = head && refusalPosition(head, read.subarray(start), this.frontend.limits);
    store.captureRequest(this.frontend.name, backend, this.socket, { read, start, errorAt: at === undefined ? errorAt : start + at });
  }

  /**
   * llhttp's 'Data after `Connection: close`': bytes after a request that closes the connection
   * (Connection: close, HTTP/1.0 without keep-alive). They are dropped, as HAProxy 2.6 does, and the
   * request is still answered; a 400 here discarded the server's answer. (Only on a parse error.)
   */
  private afterClose(error: ParserError): boolean {
    return this.refusal === 0 && this.closeRequested && error.code === 'HPE_CLOSED_CONNECTION';
  }

  /**
   * The connection began with HTTP/2's connection preface (llhttp stops on `PRI * HTTP/2.0`): HAProxy
   * 2.6's H1 mux hands such a connection to its H2 mux (h2c by prior knowledge on a plain bind), and
   * so does this one, to an H2Connection, with the preface and the rest of the read put back first,
   * unless `option disable-h2-upgrade` says not to. (Only on a parse error: the hot path pays nothing.)
   */
  private h2Preface(error: ParserError, read: Buffer): boolean {
    if (error.code !== 'HPE_PAUSED_H2_UPGRADE' || this.completed > 0 || this.queue.length > 0 || this.closed) return false;
    // `option disable-h2-upgrade`, or a `proto h1` bind: HAProxy's H1 mux keeps the connection and answers the PRI request 400.
    if (this.frontend.noH2Upgrade || this.h1Only) return false;
    this.closed = true;
    this.toH2 = true;
    this.draining = true;
    this.released = true;
    this.clearRequestTimer();
    const socket = this.socket;
    socket.off('data', socketOnData);
    socket.off('end', socketOnEnd);
    socket.off('close', socketOnClose);
    socket.off('error', socketOnClose);
    if (this.frontend.timeouts.client > 0) inactivitySweep(this.frontend.timeouts.client).delete(this);
    const feed = this.feed;
    this.feed = undefined;
    this.parser = undefined;
    // Back to 'data' mode (safe inside kOnExecute), paused until the h2 session takes the socket.
    feed?.release();
    socket.pause();
    socket.unshift(Buffer.concat([H2_PREFACE, read.subarray(error.bytesParsed)]));
    if (feed) {
      setImmediate(() => {
        (feed.parser as OwnedParser)[OWNER] = undefined;
        requestParsers.give(feed.parser);
      });
    }
    // Out of the parser's callback before Node's http2 takes the socket's handle.
    setImmediate(() => {
      try {
        this.frontend.switchToH2(this, socket, this.vars);
      } catch (e) {
        socket.destroy();
        this.frontend.internalError(e);
      }
    });
    return true;
  }

  /**
   * The bytes after an upgrade request (WebSocket, CONNECT) wait for its answer (hold), unless it has
   * its answer already, a rule's, given while the request was parsed: then they are HTTP again, read
   * once this read is done (HAProxy serves them), or dropped when that answer closed the connection.
   */
  private afterUpgradeRequest(rest: Buffer): void {
    const upgrade = this.queue.at(-1);
    if (upgrade !== undefined) {
      this.holdingFor = upgrade;
      return this.hold(rest);
    }
    process.nextTick(() => {
      if (!this.closed && !this.draining) this.onData(rest);
    });
  }

  private hold(data: Buffer): void {
    (this.held ??= []).push(data);
    this.heldBytes += data.length;
    if (this.heldBytes > MAX_HELD) this.pauseReading();
  }

  /** Request-body flow control for the transactions (reading pauses while a server is not ready). */
  pauseReading(): void {
    if (this.feed) this.feed.pause();
    else this.socket.pause();
  }

  resumeReading(): void {
    if (this.feed) this.feed.resume();
    else this.socket.resume();
  }

  /** What arrived after the upgrade request, for the tunnel once the server switched protocols. */
  upgradeRest(): Buffer | undefined {
    const held = this.held;
    this.held = undefined;
    this.heldBytes = 0;
    this.holdingFor = undefined;
    return held && Buffer.concat(held);
  }

  /** Waiting for the next request (keep-alive): its timer, and the parser goes back to the pool if nothing comes soon. */
  private keepAliveWait(): void {
    this.armRequestTimer(true);
    idleSweep.waiting(this);
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
    this.requestFailed(408, 'cR');
  }

  /**
   * A request that will never come whole (timeout, or the client's FIN or reset in its middle), or
   * none at all on a new connection: HAProxy 2.6's H1 mux answers 408 / 400 and logs `<BADREQ>`.
   * A connection that never sent a byte is a probe (a browser's pre-connect, a port check): with
   * `option http-ignore-probes` it is closed without a word, with `option dontlognull` answered but not logged.
   */
  private requestFailed(status: 400 | 408, termination: 'cR' | 'CR'): void {
    const probe = !this.partial && this.completed === 0;
    const options = this.frontend.config.options;
    if (probe && options['http-ignore-probes']?.enabled) return this.close();
    this.frontend.counters.requestErrors++;
    requestFailed(this.socket, status);
    if (!(probe && options['dontlognull']?.enabled)) this.frontend.logProtocolError(this, status, termination);
    this.sendAndClose(protocolErrorResponse(status));
  }

  /** @internal The inactivity sweep: `timeout client` passed without a read or a write. */
  onInactive(): void {
    try {
      // A tunnel (after a 101 or CONNECT) has its own timeout, set by the transaction in place of this one.
      if (this.queue[0]?.upgrading) return inactivitySweep(this.frontend.timeouts.client).delete(this);
      this.onClientTimeout();
    } catch (e) {
      this.internalError(e);
    }
  }

  /** @internal */ onClientTimeout(): void {
    // While a server is working on a request, `timeout server` decides; else the client is gone.
    // Also while the server sends the rest of a response the client is taking (nothing waits to be
    // written to it, its request is in): HAProxy arms `timeout client` only while it reads a request
    // or writes a response the client does not take, so a server stalling mid-body ends at `timeout
    // server` (sD) — haproxy 2.6.12, test/proxy/http/stalled-side.test.ts.
    const tx = this.queue[0];
    // Rules waiting for the body: HAProxy's read timeout there answers 408 (http_wait_for_msg_body).
    if (tx?.waitingForBody) return tx.bodyWaitTimedOut();
    // Nothing waits: neither in the socket's stream nor in libuv (a write straight to the handle, direct-body.ts).
    if (tx && (tx.waitingForServer || (tx.responseStarted && tx.requestEnded && !tx.upgrading && pendingWrite(this.socket) === 0))) return;
    if (tx) tx.abort('cD');
    this.close();
  }

  retire(): void {
    this.retired = true;
  }

  killServerSessions(server: RuntimeServer): void {
    for (const tx of [...this.queue]) if (tx.usesServer(server)) tx.shutdown('K');
  }

  kill(): void {
    const exchanges = [...this.queue];
    for (const tx of exchanges) tx.shutdown('K');
    if (exchanges.length === 0) this.close();
  }

  /** `show sess`: where its request in progress goes; undefined between requests (HAProxy has no stream then). */
  current(): StreamTarget | undefined {
    return this.queue[0]?.target();
  }

  /** @internal */ onClientEnd(): void {
    // Loadstar ended the connection already (an answer that closes it, a 408): the client's FIN
    // completes the close (the socket's 'close' releases it); there is no request left to refuse.
    if (this.closed) return;
    // Half-close: finish what was asked, then close.
    this.draining = true;
    this.clientEnded = true;
    const tx = this.queue[0];
    // Rules waiting for the body run on with what came; the exchange then ends (CR) unless they answered.
    if (tx?.bodyWaitAborted()) {
      if (this.queue[0] === tx) this.close();
      return;
    }
    if (tx) {
      // Its body unfinished, the request can never be whole: HAProxy aborts the exchange there (CD, no answer).
      if (!tx.requestEnded && !tx.upgrading) {
        tx.abort('CD');
        this.close();
      } else if (tx.abandonedByClient()) this.close();
      return;
    }
    // In the middle of a request head, or before any request: 400, as HAProxy's H1 mux answers a read0 there.
    if (this.partial || this.completed === 0) return this.requestFailed(400, 'CR');
    this.close();
  }

  /**
   * A request llhttp or the request checks refused, or bytes that are not HTTP. Requests read before
   * it are still served (HAProxy 2.6.12: its H1 mux answers them in order, then the refusal, logged
   * then); nothing after it is parsed (llhttp stays stopped), the refused request never starts.
   */
  protocolError(status: number): void {
    if (this.closed || this.refusalWaits) return;
    if (this.queue.length > 0 && this.deferRefusal(status)) return;
    this.refuseNow(status);
  }

  /** Whether the refusal can wait for the requests before it: not when the refused one is being served (its body was bad). */
  private deferRefusal(status: number): boolean {
    const last = this.queue[this.queue.length - 1]!;
    if (!last.requestEnded) {
      // Its head was valid, its body or trailers were not: it was queued, never started; it goes
      // as if never read (HAProxy's mux never made a stream of it: only the refusal is logged).
      if (last === this.queue[0]) return false;
      this.queue.pop();
    }
    this.refusal = status;
    this.refusalWaits = true;
    // Not a request being read any more: no 408 for it.
    this.clearRequestTimer();
    return true;
  }

  private refuseNow(status: number): void {
    this.frontend.counters.requestErrors++;
    requestFailed(this.socket, status);
    this.frontend.logProtocolError(this, status, 'PR');
    const tx = this.queue[0];
    if (tx && tx.responseStarted) return this.close();
    this.sendAndClose(protocolErrorResponse(status));
  }

  private sendAndClose(response: Buffer): void {
    this.draining = true;
    this.clearRequestTimer();
    // Aborting ends each transaction, which removes it from the queue: work on a copy.
    for (const tx of this.queue.splice(0)) tx.abort('cR');
    writeNow(this.socket);
    if (!this.socket.destroyed) this.socket.end(response);
    this.closed = true;
    this.socket.once('finish', () => this.socket.destroy());
  }

  /** Called by the first transaction when its response has been fully written. */
  transactionDone(tx: HttpTransaction, keepAlive: boolean): void {
    if (this.queue[0] !== tx) return;
    this.queue.shift();
    if (!keepAlive) this.draining = true;
    else if (this.refusalWaits && this.queue.length === 0) return this.refuseNow(this.refusal);
    if (this.draining) {
      if (this.queue.length === 0 || !keepAlive) return this.end();
    }
    const feed = this.feed;
    if (feed && feed.isPaused && this.queue.length < MAX_PIPELINE) feed.resume();
    const next = this.queue[0];
    if (next) {
      next.restartClock();
      next.start();
    } else if (!this.partial) this.keepAliveWait();
    // The server did not switch protocols: what followed the upgrade request is HTTP again (HAProxy serves it).
    if (tx === this.holdingFor && !tx.upgrading) {
      const rest = this.upgradeRest();
      if (rest) this.onData(rest);
    }
  }

  /**
   * http-request silent-drop: the client is told nothing. HAProxy (as root) removes the connection
   * with TCP_REPAIR so no FIN or RST ever leaves; Node cannot, so the connection stops reading and
   * sits silent until `timeout client` (30 s without one), then is reset.
   */
  silence(): void {
    this.silenced = true;
    this.closed = true;
    this.draining = true;
    this.clearRequestTimer();
    const handle = (this.socket as unknown as { _handle?: { readStop?(): number } })._handle;
    handle?.readStop?.();
    this.socket.pause();
    const timer = setTimeout(() => this.socket.resetAndDestroy(), this.frontend.timeouts.client || 30_000);
    this.socket.once('close', () => clearTimeout(timer));
  }

  private silenced = false;

  /** Graceful end: flush what was written, then close. */
  end(): void {
    if (this.silenced) return;
    this.clearRequestTimer();
    writeNow(this.socket);
    if (!this.socket.destroyed) this.socket.end();
    this.closed = true;
  }

  /** @param first how the exchange being served is logged (others waiting behind it: a client abort, cD). */
  close(first: TerminationState = 'cD'): void {
    if (this.closed && this.socket.destroyed) return this.release();
    this.closed = true;
    this.draining = true;
    this.clearRequestTimer();
    for (const [i, tx] of this.queue.splice(0).entries()) tx.abort(i === 0 ? first : 'cD');
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
    // Its private server connections (NTLM, `http-reuse never`) close with it, as HAProxy's session_free.
    endReuseSession(this);
    this.frontend.connectionClosed(this);
    if (this.frontend.timeouts.client > 0) inactivitySweep(this.frontend.timeouts.client).delete(this);
    const feed = this.feed;
    if (!feed) return;
    // The parser may be inside a read now: it goes back to the pool once no C++ frame of it is on
    // the stack. Until then it parses what still arrives for the closed connection, as before.
    setImmediate(() => {
      feed.release();
      (feed.parser as OwnedParser)[OWNER] = undefined;
      if (this.feed === feed) {
        this.feed = undefined;
        this.parser = undefined;
      }
      requestParsers.give(feed.parser);
    });
  }
}

/**
 * Hands the parsers of connections waiting idle for a request back to the pool. A connection
 * that begins waiting is noted with the current tick; at the end of the next tick, if it has
 * been waiting since (its idleTick unchanged: no request began), it detaches its parser. The
 * cost on the hot path is one array push per keep-alive wait; the timer runs only while some
 * connection is waiting, and touches each waiting connection once.
 */
class IdleSweep {
  private tick = 0;
  private current: ClientConnection[] = [];
  private previous: ClientConnection[] = [];
  private timer: NodeJS.Timeout | undefined;

  waiting(c: ClientConnection): void {
    c.idleTick = this.tick;
    this.current.push(c);
    this.timer ??= setInterval(() => this.sweep(), IDLE_SWEEP_MS).unref();
  }

  private sweep(): void {
    const due = this.previous;
    const dueTick = this.tick - 1;
    this.previous = this.current;
    this.current = [];
    this.tick++;
    for (const c of due) {
      if (c.idleTick !== dueTick) continue;
      c.idleTick = -1;
      try {
        c.detachIfIdle();
      } catch (e) {
        c.internalError(e);
      }
    }
    if (this.previous.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

const idleSweep = new IdleSweep();

/** The request line in `data` (its first line) has no HTTP version: HTTP/0.9, which HAProxy refuses. */
function isHttp09(data: Buffer): boolean {
  const end = requestLineEnd(data);
  if (end < 0) return false;
  const line = data.toString('latin1', 0, end).trimStart();
  return line !== '' && !VERSIONED_LINE.test(line);
}

/** Where the read's first line that is not empty ends (its CR, else its LF); -1 without one. llhttp skips empty lines before a request. */
function requestLineEnd(data: Buffer): number {
  let at = 0;
  while (at < data.length && (data[at] === 13 || data[at] === 10)) at++;
  const lf = data.indexOf(10, at);
  if (lf < 0) return -1;
  return data[lf - 1] === 13 ? lf - 1 : lf;
}

/**
 * The read holding a request line says `<target> RTSP/` or `<target> ICE/`. A line that came in an
 * earlier read (a head over several reads) is not seen: taken as HTTP, as before.
 */
function notHttpLine(read: Buffer, url: string): boolean {
  const text = read.toString('latin1');
  return text.includes(`${url} RTSP/`) || text.includes(`${url} ICE/`);
}

/**
 * The connection a parser or a socket serves. Containment: while the parser consumes the socket,
 * llhttp calls these from C++ with no JS frame below, so each one catches what it throws (an
 * escape would be an uncaught exception and end the process).
 */
const OWNER = Symbol('loadstar.clientConnection');
type OwnedParser = HTTPParser & { [OWNER]: ClientConnection | undefined };
type OwnedSocket = net.Socket & { [OWNER]: ClientConnection };

/**
 * The head the request checks refused (`refusal`), for its error snapshot's position (captureRefused):
 * beside the connections rather than a field of each, which only a refused request would use.
 */
const refusedHeads = new WeakMap<ClientConnection, RequestHead>();

/** Client parsers all carry these callbacks; a connection taking one sets only its OWNER. */
const requestParsers = new ParserPool(REQUEST, POOLED_PARSERS, LENIENT_VERSION, (parser) => {
  parser[kOnMessageBegin] = parserOnMessageBegin;
  parser[kOnHeaders] = parserOnHeaders;
  parser[kOnHeadersComplete] = parserOnHeadersComplete;
  parser[kOnBody] = parserOnBody;
  parser[kOnMessageComplete] = parserOnMessageComplete;
});

function parserOnMessageBegin(this: OwnedParser): void {
  const c = this[OWNER]!;
  try {
    c.onMessageBegin();
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnHeaders(this: OwnedParser, headers: string[], url: string): void {
  const c = this[OWNER]!;
  try {
    c.flushHead(headers, url);
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnHeadersComplete(this: OwnedParser, major: number, minor: number, headers: string[] | undefined, method: number | undefined,
  url: string | undefined, _status: unknown, _reason: unknown, upgrade: boolean, keepAlive: boolean): number {
  const c = this[OWNER]!;
  try {
    return c.onHead(major, minor, headers, method, url, upgrade, keepAlive);
  } catch (e) {
    c.internalError(e);
    return -1;
  }
}

function parserOnBody(this: OwnedParser, chunk: Buffer): void {
  const c = this[OWNER]!;
  try {
    c.queue[c.queue.length - 1]?.requestBody(chunk);
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnMessageComplete(this: OwnedParser): void {
  const c = this[OWNER]!;
  try {
    c.onMessageComplete();
  } catch (e) {
    c.internalError(e);
  }
}

function parserOnExecute(this: OwnedParser, result: number | ParserError): void {
  const c = this[OWNER]!;
  try {
    c.afterRead(result);
  } catch (e) {
    c.internalError(e);
  }
}

function socketOnData(this: OwnedSocket, data: Buffer): void {
  const c = this[OWNER]!;
  try {
    c.onData(data);
  } catch (e) {
    c.internalError(e);
  }
}

function socketOnEnd(this: OwnedSocket): void {
  const c = this[OWNER]!;
  try {
    c.onClientEnd();
  } catch (e) {
    c.internalError(e);
  }
}

function socketOnClose(this: OwnedSocket): void {
  this[OWNER]!.closeContained();
}
