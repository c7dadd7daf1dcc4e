/**
 * HTTP/2 from clients (TLS + ALPN h2, or `bind … proto h2`), served by Node's http2 for the framing.
 * Each stream becomes an HttpTransaction exactly like an HTTP/1.1 request —
 * same rules, routing, balancing, logs — and is forwarded to HTTP/1.1 servers.
 * The transaction writes its answer as HTTP/1.1 bytes (server responses and
 * Loadstar's own error pages alike); llhttp reads them back here and they
 * leave as HEADERS and DATA frames, hop-by-hop headers removed.
 */
import http2 from 'node:http2';
import type { RuntimeServer } from '../runtime/server.ts';
import type net from 'node:net';
import { Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { newParser, RESPONSE, LENIENT_RESPONSE, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete, isHopByHop } from '../runtime/llhttp.ts';
import type { HTTPParser, HeadersCompleteCallback } from '../runtime/llhttp.ts';
import { HttpTransaction } from './transaction.ts';
import { h2SendsFinalStatus } from './headers.ts';
import type { RequestHead } from './transaction.ts';
import { endReuseSession } from './upstream.ts';
import type { ReuseSession, UpstreamConnection } from './upstream.ts';
import type { HttpFrontend } from './frontend.ts';
import { connectionInfo } from './samples.ts';
import { h2RequestRefusal } from './request-checks.ts';
import { destroyOutsideReads } from './h2-session.ts';
import type { ConnectionInfo, Sample } from '../acl/index.ts';
import type { StreamTarget } from '../runtime/exchange.ts';

/** Header fields HTTP/2 forbids (RFC 9113 §8.2.2) besides the hop-by-hop ones llhttp.ts knows. */
const H2_FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host']);
/** Node refuses duplicates of these; HTTP/1.1 servers rarely repeat them, the last one wins. */
const SINGLE_VALUE = new Set(['content-type', 'content-length', 'location', 'etag', 'last-modified', 'date', 'server', 'age', 'expires', 'authorization', 'user-agent', 'referer', 'from', 'max-forwards', 'if-modified-since', 'if-unmodified-since', 'content-md5', 'content-range', 'retry-after']);

/**
 * Session factory: Node's http2 server does the framing of connections handed to it.
 * HAProxy's default `tune.h2.max-concurrent-streams` (100) instead of Node's unlimited one,
 * so one client cannot open streams without bound. Node would refuse a header block of more than
 * 128 fields itself (RST_STREAM ENHANCE_YOUR_CALM); HAProxy takes up to 2 × `tune.http.maxhdr` − 1
 * (201 by default), the limit h2RequestRefusal applies.
 */
function sessionFactory(enableConnectProtocol: boolean): http2.Http2Server {
  const factory = http2.createServer({ settings: { enablePush: false, maxConcurrentStreams: 100, enableConnectProtocol }, maxHeaderListPairs: 2048 });
  factory.on('session', (session) => adopting?.adopt(session));
  return factory;
}
/**
 * HAProxy 2.6 announces SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441: WebSocket and other upgrades over
 * an HTTP/2 stream) unless `h2-workaround-bogus-websocket-clients`; the second factory is for that case.
 */
const sessions = sessionFactory(true);
let sessionsWithoutUpgrades: http2.Http2Server | undefined;
let adopting: H2Connection | undefined;

/**
 * Bytes an upgrade's stream holds before the server switched protocols, before reading pauses (HTTP/2's
 * flow control then holds the client back, as client.ts's MAX_HELD holds an HTTP/1.1 client).
 */
const MAX_EARLY = 64 * 1024;

/** The length of HTTP/2's client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4). */
const CLIENT_PREFACE_BYTES = 24;

/** One client connection that negotiated h2. */
export class H2Connection implements ReuseSession {
  /** Streams in progress (the engine waits for them on stop). */
  readonly queue: H2Stream[] = [];
  draining = false;
  readonly acceptedAt = Date.now();
  readonly sessionVars: Map<string, Sample>;
  private info: ConnectionInfo | undefined;
  private session: http2.ServerHttp2Session | undefined;
  /**
   * `http-reuse`: the h2 connection is HAProxy's session, its streams its requests (upstream.ts
   * ReuseSession). HAProxy 2.6 treats every stream as a request after the first, the first stream
   * of a connection too (it takes an idle server connection with `safe`): recorded in http-reuse.test.ts.
   */
  reuseNotFirst = true;
  ownedIdle: UpstreamConnection[] | undefined | null = undefined;
  preferLast = false;

  get maxOwnedIdle(): number {
    return this.frontend.maxOwnedIdle;
  }

  /** @param sessionVars sess.* variables `tcp-request session` rules set before the connection was made. */
  /** @param socket TLS (ALPN h2), or cleartext on a `proto h2` bind (prior knowledge). */
  constructor(readonly socket: net.Socket, readonly frontend: HttpFrontend, sessionVars?: Map<string, Sample>) {
    this.sessionVars = sessionVars ?? new Map();
    adopting = this;
    (frontend.h2ExtendedConnect ? sessions : (sessionsWithoutUpgrades ??= sessionFactory(false))).emit('connection', socket);
    adopting = undefined;
  }

  adopt(session: http2.ServerHttp2Session): void {
    this.session = session;
    // A connection error nghttp2 detects (an even stream id, a window past 2^31-1 …) reaches Node as
    // destroy(error), which sends GOAWAY INTERNAL_ERROR in place of the code nghttp2 meant. The
    // GOAWAY gets that code (PROTOCOL_ERROR, FLOW_CONTROL_ERROR …), the one HAProxy 2.6 sends too.
    // (An instance's method replaced: Node calls this one from C++, with no event before it.) The
    // session ends once the read being parsed is over (h2-session.ts: else a client can abort the process).
    destroyOutsideReads(session, goawayCode);
    // The fourth argument (the fields as received, flat) is Node's, missing from its types.
    session.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => this.onStream(stream, headers, rawHeaders));
    session.on('error', (error: Error) => {
      if (/client magic/.test(error.message)) this.prefaceFailed();
      this.closeContained();
    });
    session.on('close', () => this.closed());
    // The client finished (FIN or close_notify): nothing more will come on this connection.
    this.socket.once('end', () => {
      this.clientLeft();
      this.drain();
    });
    this.socket.on('error', () => this.clientLeft());
    this.armIdleTimer();
  }

  /** A failed preface was logged (prefaceFailed): once per connection. */
  private prefaceLogged = false;

  /**
   * The client's preface failed: bytes other than HTTP/2's connection preface (nghttp2's "bad client
   * magic"), or its FIN or reset before the preface's 24 bytes had all come. HAProxy 2.6's H2 mux logs
   * either, once; a connection that timed out or that Loadstar closed is not logged.
   */
  private prefaceFailed(): void {
    if (this.prefaceLogged) return;
    this.prefaceLogged = true;
    try {
      this.frontend.logH2PrefaceError(this, this.socket.bytesRead === 0);
    } catch (e) {
      this.frontend.internalError(e);
    }
  }

  private clientLeft(): void {
    const session = this.session;
    if (session && !session.closed && !session.destroyed && this.socket.bytesRead < CLIENT_PREFACE_BYTES) this.prefaceFailed();
  }

  /**
   * `timeout http-keep-alive` (else `timeout client`) while no stream is in progress: the connection
   * closes (GOAWAY). Node's session timer fires once per quiet spell: one that fired while a stream
   * was still being served is armed again when the last stream ends, else the connection stayed open
   * for good once its streams were done.
   */
  private armIdleTimer(): void {
    const idle = this.frontend.timeouts.httpKeepAlive || this.frontend.timeouts.client;
    const session = this.session;
    if (idle > 0 && session && !session.destroyed) session.setTimeout(idle, () => (this.queue.length === 0 ? session.close() : undefined));
  }

  connectionInfo(): ConnectionInfo {
    return (this.info ??= connectionInfo(this));
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: readonly string[]): void {
    if (this.draining) return refuse(stream, http2.constants.NGHTTP2_REFUSED_STREAM);
    let h2stream: H2Stream | undefined;
    try {
      const head = requestHead(headers, stream.endAfterHeaders);
      // HAProxy's H2 mux refuses these before any stream exists: nothing is logged, nothing reaches a server.
      const refusal = h2RequestRefusal(head.method, htxTarget(headers, head.url), head.headers, rawHeaders, this.frontend.limits);
      if (refusal === 'connection') {
        stream.on('error', () => {}); // the session's error reaches its streams (see refuse)
        // Streams later in the same read are refused: the session ends once the read is over.
        this.draining = true;
        return void this.session?.destroy(new Error('a header block larger than HAProxy decodes'), http2.constants.NGHTTP2_COMPRESSION_ERROR);
      }
      if (refusal === 'stream') return refuse(stream, http2.constants.NGHTTP2_PROTOCOL_ERROR);
      h2stream = new H2Stream(this, stream, head);
      this.queue.push(h2stream);
      h2stream.start();
    } catch (e) {
      if (h2stream) return h2stream.internalError(e);
      this.frontend.internalError(e);
      refuse(stream, http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  streamDone(stream: H2Stream): void {
    const i = this.queue.indexOf(stream);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.queue.length > 0) return;
    if (this.draining) this.session?.close();
    else this.armIdleTimer();
  }

  /** GOAWAY is graceful: streams in flight finish and the client opens a new connection for more. */
  retire(): void {
    this.drain();
  }

  killServerSessions(server: RuntimeServer): void {
    for (const stream of [...this.queue]) stream.killServerSession(server);
  }

  kill(): void {
    const streams = [...this.queue];
    for (const stream of streams) stream.kill();
    if (streams.length === 0) this.close();
  }

  /** `show sess`: where its oldest stream in progress goes; undefined without one. */
  current(): StreamTarget | undefined {
    return this.queue[0]?.target();
  }

  /** Graceful stop: GOAWAY, streams in flight finish. */
  drain(): void {
    this.draining = true;
    if (this.queue.length === 0) this.session?.close();
  }

  close(): void {
    this.draining = true;
    for (const stream of [...this.queue]) stream.abort();
    this.session?.destroy();
    // After the session's end (its GOAWAY), which waits for the end of the read (h2-session.ts).
    setImmediate(() => this.socket.destroy());
  }

  /** close() from a session event: an exception in the streams' endings is reported, the session still goes. */
  private closeContained(): void {
    try {
      this.close();
    } catch (e) {
      this.frontend.internalError(e);
      this.session?.destroy();
      this.socket.destroy();
    }
  }

  private closed(): void {
    endReuseSession(this);
    this.frontend.connectionClosed(this);
  }
}

/** One request stream, standing where a client connection stands for an HTTP/1.1 transaction. */
export class H2Stream {
  readonly socket: H2ResponseSink;
  private readonly tx: HttpTransaction;

  /** Where its request goes (`show sess`). */
  target(): StreamTarget {
    return this.tx.target();
  }

  /** An internal error ended the stream (reported once). */
  private failed = false;
  /** The transaction is over: request body still arriving is read and dropped. */
  private answered = false;
  /** The client ended its side (END_STREAM). */
  private requestEnded = false;
  /** `timeout client` for the rest of a request body after the answer (see transactionDone). */
  private bodyTimer: NodeJS.Timeout | undefined;
  /**
   * An upgrade over the stream (RFC 8441): what the client sent before the server switched
   * protocols, handed to the tunnel (upgradeRest); undefined for other requests.
   */
  private early: Buffer[] | undefined;
  private earlyBytes = 0;
  /** The request asks for an upgrade over the stream (RFC 8441 extended CONNECT). */
  private readonly upgrade: boolean;

  /** `shutdown sessions server`: its exchange ends when it holds a slot on `server`. */
  killServerSession(server: RuntimeServer): void {
    if (this.tx.usesServer(server)) this.tx.shutdown('K');
  }

  kill(): void {
    this.tx.shutdown('K');
  }

  /** The HTTP/2 connection the stream is part of. */
  get transport(): net.Socket {
    return this.connection.socket;
  }

  /** Request-body flow control: h2's own window does the rest. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  constructor(private readonly connection: H2Connection, readonly stream: http2.ServerHttp2Stream, head: RequestHead) {
    this.socket = new H2ResponseSink(stream, head.method === 'HEAD', connection.frontend.timeouts.client, () => this.abort(), head.upgrade);
    this.upgrade = head.upgrade;
    if (head.upgrade) this.early = [];
    // The Writable side and pause/resume are what the transaction uses; an upgrade's tunnel takes the stream itself (tunnelEnd).
    this.tx = new HttpTransaction(this, head);
    // Containment: an exception while serving the stream ends that stream (internalError), not the process.
    stream.on('data', (chunk: Buffer) => {
      if (this.answered) return this.bodyTimer?.refresh();
      if (this.early) {
        this.early.push(chunk);
        // The tunnel resumes reading once the server switched (transaction.ts startTunnel).
        if ((this.earlyBytes += chunk.length) >= MAX_EARLY) stream.pause();
        return;
      }
      try {
        this.tx.requestBody(chunk);
      } catch (e) {
        this.internalError(e);
      }
    });
    // Trailer fields (a HEADERS frame after the body): relayed after the last chunk when the request
    // goes to the server chunked (no Content-Length), dropped otherwise, as HAProxy 2.6 does.
    stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => {
      try {
        this.tx.requestTrailers(flatTrailers(trailers));
      } catch (e) {
        this.internalError(e);
      }
    });
    stream.on('end', () => {
      this.requestEnded = true;
      clearTimeout(this.bodyTimer);
      // An upgrade's request was complete with its HEADERS: the end of its stream is the tunnel's.
      if (this.answered || this.upgrade) return;
      try {
        this.tx.requestComplete();
      } catch (e) {
        this.internalError(e);
      }
    });
    stream.on('aborted', () => this.abortContained());
    stream.on('error', () => this.abortContained());
    stream.on('close', () => {
      clearTimeout(this.bodyTimer);
      if (!this.socket.ended) this.abortContained();
      this.connection.streamDone(this);
    });
  }

  private abortContained(): void {
    try {
      this.tx.abort('cD');
    } catch (e) {
      this.internalError(e);
    }
  }

  /**
   * An exception escaped while serving this stream: it alone ends — with a 500 when nothing was
   * answered yet (HAProxy's status for its internal errors), else reset — logged once, counted (eint).
   */
  internalError(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.frontend.internalError(error);
    const stream = this.stream;
    try {
      if (!stream.closed && !stream.headersSent) stream.respond({ ':status': 500 }, { endStream: true });
      else if (!stream.closed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      this.tx.abortInternal();
    } catch {
      // Already failing: the first error is the one reported.
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  get frontend(): HttpFrontend {
    return this.connection.frontend;
  }

  get sessionVars(): Map<string, Sample> {
    return this.connection.sessionVars;
  }

  get reuse(): ReuseSession {
    return this.connection;
  }

  get draining(): boolean {
    return this.connection.draining;
  }

  get acceptedAt(): number {
    return this.connection.acceptedAt;
  }

  connectionInfo(): ConnectionInfo {
    return this.connection.connectionInfo();
  }

  start(): void {
    if (this.stream.endAfterHeaders) this.requestEnded = true;
    if (this.stream.endAfterHeaders || this.upgrade) this.tx.requestComplete();
    this.tx.start();
  }

  /** What the client sent on an upgrade's stream before the server switched protocols. */
  upgradeRest(): Buffer | undefined {
    const early = this.early;
    this.early = undefined;
    return early && early.length > 0 ? Buffer.concat(early) : undefined;
  }

  /** The server switched protocols (its 101 left as a 200, RFC 8441): the stream carries the tunnel's bytes both ways. */
  tunnelEnd(): Duplex {
    return this.stream;
  }

  /** The tunnel's end came once already: the stream is ending, waiting for the client's window. */
  private tunnelClosing = false;

  /**
   * The tunnel is over (the server's side closed, a timeout, an error): what the server sent still
   * reaches the client, then END_STREAM, then RST_STREAM CANCEL unless the client ended its side too,
   * as HAProxy's h2 mux ends it. Before, the stream was destroyed at once: Node reset it (NO_ERROR) and
   * dropped what waited for the client's window, the end of a download through a WebSocket lost. A
   * second call (the tunnel's timeout while the client does not read) resets it at once.
   */
  closeTunnel(): void {
    const stream = this.stream;
    if (stream.closed) return;
    const cancel = (): void => {
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    if (this.tunnelClosing || stream.destroyed) return cancel();
    this.tunnelClosing = true;
    if (!stream.writableEnded) stream.end();
    if (stream.writableFinished) cancel();
    else stream.once('finish', cancel);
  }

  /**
   * The response was written in full (the sink normally ended the stream when its message completed).
   * A request body still unfinished then, HAProxy 2.6 resets the stream (RST_STREAM CANCEL): at once
   * after an exchange it ended itself (a 504, an abort), else once the client has sent nothing for
   * `timeout client`. Before, the stream stayed open for as long as the client kept it: it held one
   * of the connection's 100 streams, and the connection never reached its idle timeout.
   */
  transactionDone(): void {
    this.answered = true;
    this.socket.finishResponse();
    if (this.requestEnded || this.stream.closed) return;
    const cancel = () => {
      if (!this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    const idle = this.frontend.timeouts.client;
    // An upgrade the server refused or answered without switching (a 400, a 502, a 200): its request was
    // whole with its HEADERS, and HAProxy 2.6 resets the stream right after the answer, as after an exchange it ended itself.
    if (this.tx.termination !== '--' || idle <= 0 || this.upgrade) {
      // After the answer's last frame: a reset sent before it would take its place.
      if (this.stream.writableFinished) cancel();
      else this.stream.once('finish', cancel);
    } else {
      this.bodyTimer = setTimeout(cancel, idle);
    }
  }

  abort(): void {
    this.tx.abort('cD');
    if (!this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }
}

/**
 * Resets a stream no H2Stream serves. Node emits 'error' on a stream closed with a code other than
 * NO_ERROR or CANCEL, and an 'error' nobody listens to ends the process: one is listened to here.
 */
function refuse(stream: http2.ServerHttp2Stream, code: number): void {
  stream.on('error', () => {});
  if (!stream.closed) stream.close(code);
}

/**
 * The RFC 9113 error code for an error nghttp2 reported (its `errno`, a lib error code), as
 * nghttp2's get_error_code_from_lib_error_code maps them; undefined leaves Node's choice.
 */
function goawayCode(error: Error | undefined): number | undefined {
  const errno = (error as NodeJS.ErrnoException | undefined)?.errno;
  switch (errno) {
    case -510: return http2.constants.NGHTTP2_STREAM_CLOSED; // NGHTTP2_ERR_STREAM_CLOSED
    case -523: return http2.constants.NGHTTP2_COMPRESSION_ERROR; // NGHTTP2_ERR_HEADER_COMP
    case -522: return http2.constants.NGHTTP2_FRAME_SIZE_ERROR; // NGHTTP2_ERR_FRAME_SIZE_ERROR
    case -524: return http2.constants.NGHTTP2_FLOW_CONTROL_ERROR; // NGHTTP2_ERR_FLOW_CONTROL
    case -533: return http2.constants.NGHTTP2_REFUSED_STREAM; // NGHTTP2_ERR_REFUSED_STREAM
    case -505: case -531: case -532: return http2.constants.NGHTTP2_PROTOCOL_ERROR; // _PROTO, _HTTP_HEADER, _HTTP_MESSAGING
    default: return undefined;
  }
}

/** The target as HAProxy's HTX holds an h2 request's: absolute (scheme://authority path) when it has an :authority, as CONNECT's authority alone. */
function htxTarget(headers: http2.IncomingHttpHeaders, path: string): string {
  const authority = headers[':authority'];
  if (authority === undefined || isPlainConnect(headers)) return path;
  return `${String(headers[':scheme'] ?? 'https')}://${authority}${path}`;
}

/**
 * An :authority without its scheme's default port (`a:443` for https, `a:80` for http): HAProxy
 * 2.6's h2 mux runs its scheme-based normalization on the absolute URI it builds (as on an HTTP/1
 * absolute-form target, request-checks.ts), so the Host the server gets, the log and the rules say `a`.
 */
function withoutSchemePort(scheme: string, authority: string): string {
  const s = scheme.toLowerCase();
  const port = s === 'https' ? ':443' : s === 'http' ? ':80' : undefined;
  return port !== undefined && authority.endsWith(port) ? authority.slice(0, authority.length - port.length) : authority;
}

/** CONNECT to a host and port (RFC 9113 §8.5), not RFC 8441's extended CONNECT (which has a :protocol). */
function isPlainConnect(headers: http2.IncomingHttpHeaders): boolean {
  return headers[':method'] === 'CONNECT' && headers[':protocol'] === undefined;
}

/**
 * h2 pseudo-headers → the request as an HTTP/1.1 transaction sees it (Host from :authority). An
 * extended CONNECT (RFC 8441: `:protocol websocket`) becomes what HAProxy 2.6's h2 mux makes of it
 * (h2_prepare_htx_reqline): a bodyless GET with `upgrade: <protocol>` and `connection: upgrade`.
 */
function requestHead(headers: http2.IncomingHttpHeaders, endStream: boolean): RequestHead {
  const flat: string[] = [];
  const received = headers[':authority'];
  const scheme = headers[':scheme'];
  const protocol = headers[':method'] === 'CONNECT' ? headers[':protocol'] : undefined;
  const authority = received !== undefined && scheme !== undefined && !isPlainConnect(headers) ? withoutSchemePort(String(scheme), received) : received;
  if (authority !== undefined) flat.push('host', authority);
  let hasLength = false;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined || (name === 'host' && authority !== undefined)) continue;
    // An extended CONNECT has no body whatever it says (RFC 8441 §4): haproxy 2.6.12 sends the GET
    // without its content-length, which would make the server wait for a body that never comes.
    if (name === 'content-length' && protocol !== undefined) continue;
    if (name === 'content-length') hasLength = true;
    // RFC 9113 §8.2.3: cookie crumbs are joined with "; " for HTTP/1.1.
    if (name === 'cookie' && Array.isArray(value)) flat.push(name, value.join('; '));
    else if (Array.isArray(value)) for (const v of value) flat.push(name, v);
    else flat.push(name, value);
  }
  if (protocol !== undefined) flat.push('upgrade', String(protocol), 'connection', 'upgrade');
  // A body of unknown length is sent to the HTTP/1.1 server chunked (an upgrade's stream is a tunnel, no body).
  else if (!endStream && !hasLength) flat.push('transfer-encoding', 'chunked');
  return {
    method: protocol !== undefined ? 'GET' : String(headers[':method'] ?? 'GET'),
    url: String(headers[':path'] ?? '/'),
    // HAProxy 2.6's h2 mux makes the URI absolute from :scheme and :authority (its logs, %U).
    origin: authority !== undefined && headers[':scheme'] !== undefined ? `${String(headers[':scheme'])}://${authority}` : undefined,
    versionMajor: 2,
    versionMinor: 0,
    headers: flat,
    keepAlive: true,
    upgrade: protocol !== undefined,
  };
}

/**
 * Receives the transaction's HTTP/1.1 response bytes and writes them to the h2 stream.
 * Backpressure: a write completes once the stream has room again.
 */
export class H2ResponseSink extends Writable {
  ended = false;
  private readonly parser: HTTPParser;
  private flushed: string[] = [];
  private needDrain = false;
  /** The head has been parsed: kOnHeaders now carries the chunked body's trailer section. */
  private afterHead = false;
  /** The message being parsed is an interim answer (1xx): its end is not the response's. */
  private interim = false;
  /** Trailer fields of the response, sent as a HEADERS frame when the stream asks for them ('wantTrailers'). */
  private trailers: string[] | undefined;

  /** Runs while a write waits for the client's flow-control window (see waitForDrain). */
  private stallTimer: NodeJS.Timeout | undefined;

  /**
   * `stallMs` (`timeout client`) and `onStall`: a response that waits that long for the client to
   * open its window ends the stream (see waitForDrain). `upgrade`: the request was an extended
   * CONNECT (RFC 8441), whose 101 answer is a 200 on HTTP/2 and leaves the stream open for the tunnel.
   */
  constructor(private readonly stream: http2.ServerHttp2Stream, headRequest: boolean, private readonly stallMs = 0, private readonly onStall?: () => void, upgrade = false) {
    super({ decodeStrings: true });
    // The transaction's own HTTP/1 answer, with what a sloppy server's values may hold (llhttp.ts).
    const parser = (this.parser = newParser(RESPONSE, undefined, LENIENT_RESPONSE));
    parser[kOnHeaders] = (headers: string[]) => {
      const into = this.afterHead ? (this.trailers ??= []) : this.flushed;
      for (const h of headers) into.push(h);
    };
    const onHead: HeadersCompleteCallback = (_major, _minor, headers, _m, _u, status) => {
      if (headers === undefined) {
        headers = this.flushed;
        this.flushed = [];
      }
      // The server switched protocols: HAProxy 2.6's h2 mux answers an extended CONNECT's 101 with a 200
      // (h2s_frt_make_resp_headers); the tunnel's bytes then go to the stream itself (H2Stream.tunnelEnd).
      if (status === 101 && upgrade) {
        this.ended = true;
        if (!stream.closed && !stream.headersSent) stream.respond(responseHeaders(200, headers), { endStream: false });
        return 0;
      }
      // An interim answer (103 Early Hints, 100 Continue) goes out at once as its own HEADERS frame, as
      // HAProxy's H2 mux sends it; 101 has no meaning on h2 otherwise.
      if (status! >= 100 && status! < 200) {
        if (status !== 101 && !stream.closed && !stream.headersSent) {
          try {
            stream.additionalHeaders(responseHeaders(status!, headers));
          } catch {
            // A header HTTP/2 refuses (Node's checks): the interim answer is dropped, the final one still goes.
          }
        }
        this.interim = true;
        return 0;
      }
      // A final status this stream cannot carry: reset, as HAProxy's H2 mux resets a stream whose
      // status it cannot encode (the transaction logs it CD).
      if (!h2SendsFinalStatus(status!)) {
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        return 0;
      }
      this.afterHead = true;
      // A chunked answer may end with trailers: the stream waits for them after its last DATA frame
      // (an empty trailer section ends it with an empty DATA frame, as HAProxy's h2 mux does).
      const waitForTrailers = !headRequest && status !== 204 && status !== 205 && status !== 304 && isChunked(headers);
      if (!stream.closed && !stream.headersSent) {
        // HEADERS wait for the end of this write: an answer whose end is there already (no body, no
        // trailers: gRPC's trailers-only answers) leaves as one HEADERS frame with END_STREAM, as
        // HAProxy's H2 mux sends it (gRPC clients read grpc-status from it only then).
        if (headRequest) stream.respond(responseHeaders(status!, headers), { endStream: true });
        else this.pendingHead = { headers: responseHeaders(status!, headers), waitForTrailers };
      }
      return headRequest ? 1 : 0;
    };
    parser[kOnHeadersComplete] = onHead;
    parser[kOnBody] = (chunk: Buffer) => {
      this.respond(false);
      // Never a body before its HEADERS: Node would send them as a bare 200.
      if (!stream.closed && stream.headersSent && !stream.write(chunk)) this.needDrain = true;
    };
    parser[kOnMessageComplete] = () => {
      // The end of an interim answer: the final one follows.
      if (this.interim) {
        this.interim = false;
        return;
      }
      if (this.ended) return;
      this.ended = true;
      // No body: the answer ends with its HEADERS frame, unless it has trailers to send after it.
      this.respond(!(this.trailers && this.trailers.length > 0));
      if (!stream.closed && !stream.writableEnded) stream.end();
    };
  }

  /** The answer's HEADERS, held until the end of the write that brought them (see onHead). */
  private pendingHead: { headers: http2.OutgoingHttpHeaders; waitForTrailers: boolean } | undefined;

  /** Sends the held HEADERS; `endStream`: the answer ends with them. */
  private respond(endStream: boolean): void {
    const head = this.pendingHead;
    if (!head) return;
    this.pendingHead = undefined;
    const stream = this.stream;
    if (stream.closed || stream.headersSent) return;
    const waitForTrailers = head.waitForTrailers && !endStream;
    if (waitForTrailers) stream.once('wantTrailers', () => this.sendTrailers());
    stream.respond(head.headers, { endStream, waitForTrailers });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.ended || this.stream.closed) return done();
    const r = this.parser.execute(chunk);
    // The head's write ended with the answer still going on: its HEADERS leave now.
    this.respond(false);
    if (typeof r !== 'number') {
      this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return done();
    }
    if (!this.needDrain) return done();
    this.needDrain = false;
    this.waitForDrain(done);
  }

  /**
   * Backpressure: the next write once the stream has room. A client that keeps its window shut
   * (never a WINDOW_UPDATE) holds the answer, and through it the server's connection: after
   * `timeout client` without room, the stream ends (onStall aborts the exchange, logged cD, and
   * resets the stream), as HAProxy 2.6 ends a stream whose client does not take its data; the
   * connection then closes at its idle timeout. Before, only `timeout server` ended such a stream.
   */
  private waitForDrain(done: () => void): void {
    if (this.stallMs > 0 && this.onStall) this.stallTimer = setTimeout(this.onStall, this.stallMs);
    this.stream.once('drain', () => {
      clearTimeout(this.stallTimer);
      done();
    });
  }

  /** The trailer section HAProxy's h2 mux sends (h2s_make_trailers): without the fields HTTP/2 forbids. */
  private sendTrailers(): void {
    const out: http2.OutgoingHttpHeaders = {};
    const t = this.trailers ?? [];
    for (let i = 0; i < t.length; i += 2) {
      const name = t[i]!.toLowerCase();
      const value = t[i + 1]!;
      if (isHopByHop(name) || H2_FORBIDDEN.has(name) || name === 'content-length' || INVALID_VALUE.test(value)) continue;
      const existing = out[name];
      out[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [String(existing), value];
    }
    try {
      this.stream.sendTrailers(out);
    } catch {
      // The stream went away meanwhile, or Node refused a field: the stream ends without them.
      if (!this.stream.closed) this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.stallTimer);
    // Reset unless the response ended (the stream may still be sending it, or waiting to send its trailers).
    if (!this.stream.closed && (!this.ended || error)) this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    setImmediate(() => this.parser.close());
    done(error);
  }

  /** Request-body flow control (the transaction pauses reading while a server is not ready). */
  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  isPaused(): boolean {
    return this.stream.isPaused();
  }

  /**
   * The transaction is over. Its last writes may still be corked: the stream ends once they are
   * processed (_final), also for a response llhttp could not see the end of.
   */
  finishResponse(): void {
    if (!this.writableEnded) this.end();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.ended) {
      this.ended = true;
      this.respond(false);
      if (!this.stream.closed && !this.stream.writableEnded) this.stream.end();
    }
    done();
  }
}

/** The H1 head the transaction wrote says its body is chunked. */
function isChunked(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === 17 && headers[i]!.toLowerCase() === 'transfer-encoding') return true;
  }
  return false;
}

/** An h2 trailer section as flat [name, value, …] fields (names come in lower case from Node). */
function flatTrailers(trailers: http2.IncomingHttpHeaders): string[] {
  const flat: string[] = [];
  for (const [name, value] of Object.entries(trailers)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) flat.push(name, v);
    else flat.push(name, value);
  }
  return flat;
}

/** What Node's HTTP/2 refuses in a field value (its checkInvalidHeaderChar). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function responseHeaders(status: number, headers: readonly string[]): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':status': status };
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (isHopByHop(name) || H2_FORBIDDEN.has(name)) continue;
    const value = headers[i + 1]!;
    // A control byte or NUL from a sloppy server (relayed to HTTP/1 clients as HAProxy relays it):
    // Node's HTTP/2 refuses the whole answer for it, an HTTP/2 client ignores such a field (nghttp2
    // does, behind HAProxy): the field is left out and the answer goes.
    if (INVALID_VALUE.test(value)) continue;
    const existing = out[name];
    if (existing === undefined || SINGLE_VALUE.has(name)) out[name] = value;
    else if (name === 'set-cookie') out[name] = Array.isArray(existing) ? [...existing, value] : [String(existing), value];
    else out[name] = `${String(existing)}, ${value}`;
  }
  return out;
}

