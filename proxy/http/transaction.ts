/**
 * One HTTP request/response exchange: http-request rules and routing (by the
 * frontend), a connection slot on a server (queue, maxconn), connection with
 * HAProxy's retries and redispatch, forwarding the request, relaying the
 * response through the http-response rules, and HAProxy's error answers
 * (502 invalid or aborted response, 503 no server, 504 `timeout server`).
 */
import { uriAuthority, uriOf } from './request-uri.ts';
import { SSL_TOO_MANY } from '../tls/ssl-conns.ts';
import { UpstreamConnection, connectUpstream, takeOwned, ownedServer, type ConnectTarget } from './upstream.ts';
import { headEnd } from '../runtime/error-snapshots.ts';
import type { CapturedRead } from '../runtime/error-snapshots.ts';
import type { ProxyHeaderMaker } from '../runtime/proxy-header-out.ts';
import { BATCH_BYTES, holdWrites, releaseWrites, writeHeld, writeNow } from '../runtime/write-batch.ts';
import type { DirectBodyWrites } from '../runtime/direct-body.ts';
import type { ResponseHead, ReuseSession } from './upstream.ts';
import type { CaseAdjust } from './headers.ts';
import type { AppletName, LocalAnswer, RulesPaused } from './rules.ts';

/** Response rules stopped at a wait-for-body, on the backend's side or the frontend's. */
type ResponseRulesPaused = RulesPaused & { readonly side: 'backend' | 'frontend' };
import { serializeHead, getHeader, deleteHeader, connectionValueToForward, adjustHeadCase, teValueToForward, lastChunk, chunkSizeLine, hasToken, contentLengthDigits, isInterimStatus, h2SendsFinalStatus } from './headers.ts';
import { acceptsWebsocket, isWebsocketUpgrade, newWebsocketKey, websocketAccept, websocketKey } from './websocket.ts';
import { originalToHeader } from './forwardfor.ts';
import { answerCloses, builtinResponse, hasErrorPage, renderAnswer } from './error-pages.ts';
import { blocksCacheableCookie } from './cacheability.ts';
import type net from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import type { BodyWaitDecision, Decision, HttpBackend, HttpFrontend } from './frontend.ts';
import { streamAcceptDate } from './frontend.ts';
import { h2StreamAccept } from './stream-times.ts';
import type { RuntimeServer, ServerSession, ShutdownCause } from '../runtime/server.ts';
import type { QueuePositions, QueuePriority } from '../runtime/backend.ts';
import { setQueuePriority } from '../runtime/backend.ts';
import { MapVarStore, ipv4ToString, ipv6ToString } from '../acl/index.ts';
import { responseHeadRefused, rewriteOverflows, trailersRefusal } from './request-checks.ts';
import { END_OF_TRAILERS, END_OF_TRAILERS_BLOCK, htxFieldsSize, htxHeadSize, htxSizeOfAnswer, requestBodyRoom, requestHtxUsage } from './htx-size.ts';
import { RequestBodyWait, bodyless, expectsContinue, CONTINUE_RESPONSE, CONTINUE_HTX_SIZE } from './body-wait.ts';
import { H2_CHUNKED_FRAMING } from './h2-upstream.ts';
import type { H2Channel } from './h2-upstream.ts';
import { backendConnInfo } from '../runtime/backend-conn.ts';
import type { PersistenceOutcome } from './persistence.ts';
import type { StickRequest } from '../stick/persistence.ts';
import { faults, faultPoint } from '../runtime/faults.ts';
import { nextStreamNumber } from '../runtime/exchange.ts';
import type { StreamTarget } from '../runtime/exchange.ts';
import { captureMessage } from './captures.ts';
import { rewriteAnswerHead, type RewrittenAnswer } from './answer-head.ts';
import type { MessageCaptures } from './captures.ts';
import type { SampleContext, HttpRequestInfo, HttpResponseInfo, ConnectionInfo, Sample } from '../acl/index.ts';
import type { BackendConnInfo } from '../acl/context.ts';
import { responseReceived, streamCounters } from '../stick/http.ts';
import { retryAssigned, retriedOnServer, serverConnection } from '../runtime/counters.ts';
import { connectFailureOf } from '../runtime/retry.ts';
import { chooseAlgorithm, responseCompressible, rewriteCompressedHead } from './compression.ts';
import type { CompressionAlgorithm } from './compression.ts';
import { BodyCompressor } from './compressor.ts';
import { CacheExchange, cacheStore, cacheUse, hitHead } from './cache/exchange.ts';
import type { CacheWriter } from './cache/exchange.ts';
import type { HttpCache } from './cache/store.ts';
import type { Proxy } from '../config/model.ts';
import type { H2ResponseSink } from './h2.ts';
import { syslogLevel } from '../runtime/syslog.ts';

/** Where a response goes: an HTTP/1 connection's socket, or an HTTP/2 stream's sink (h2.ts). */
export type ResponseSink = net.Socket | H2ResponseSink;

/** The client side of a transaction: an HTTP/1.1 connection (client.ts) or one HTTP/2 stream (h2.ts). */
export interface TransactionClient {
  /** Where the response goes. */
  readonly socket: ResponseSink;
  /**
   * The connection the client came on (its TCP or TLS socket; HTTP/1: `socket` itself). What is per
   * connection keys on it: the stick counters `tcp-request connection` tracks, the statistics, the
   * Connect log line, an upgrade's tunnel.
   */
  readonly transport: net.Socket;
  readonly frontend: HttpFrontend;
  readonly sessionVars: Map<string, Sample>;
  /** HTTP/1 on plain TCP: big response body chunks written straight to the socket's handle. */
  readonly directBody?: DirectBodyWrites;
  /** Request-body flow control: stop and restart reading from the client. */
  pauseReading(): void;
  resumeReading(): void;
  /** No more requests will be read from this client. */
  readonly draining: boolean;
  /** It is draining because the client half-closed (HTTP/1): the answers say nothing of the close that follows. */
  readonly clientEnded?: boolean;
  /** Served on a configuration a reload replaced: the answer closes the connection (HTTP/1). */
  readonly retired?: boolean;
  readonly acceptedAt: number;
  /** HTTP/1: when the request being parsed began (its first byte); absent on HTTP/2 (a stream begins whole). */
  readonly messageBeganAt?: number;
  connectionInfo(): ConnectionInfo;
  transactionDone(tx: HttpTransaction, keepAlive: boolean): void;
  /** Bytes the client sent after an upgrade request, handed to the tunnel once the server switched. */
  upgradeRest?(): Buffer | undefined;
  /** Where an upgrade's tunnel reads and writes the client's bytes: an HTTP/2 stream (RFC 8441); absent, `transport`. */
  tunnelEnd?(): Duplex;
  /** The tunnel is over (HTTP/2: the stream ends once what it holds has left); absent, its end is destroyed. */
  closeTunnel?(): void;
  /**
   * Runs `fn` once the read being parsed is done, if a read is being parsed now (HTTP/1.1: a
   * transaction started by the head it just parsed); false when none is (run it now).
   */
  atReadEnd?(fn: () => void): boolean;
  /** http-request silent-drop: leave without telling the client anything (HTTP/1; absent: reset). */
  silence?(): void;
  /** An exception escaped while serving it: close it (500 if no response started), report once. */
  internalError(error: unknown): void;
  /** The client connection as `http-reuse` sees it (absent: private server connections close after their exchange). */
  readonly reuse?: ReuseSession;
}

export interface RequestHead {
  method: string;
  /** The request target as received (origin-form path?query, or absolute-form). */
  url: string;
  /**
   * HTTP/2: `scheme://authority` of its :scheme and :authority, when both came. HAProxy 2.6 holds
   * such a request's URI in absolute form: its %r and %U read `GET https://host/path HTTP/2.0`.
   */
  origin?: string;
  versionMajor: number;
  versionMinor: number;
  /**
   * The version as received (`3.1`), when it is not the one the request is handled as: HAProxy 2.6
   * takes any HTTP/<digit>.<digit> and handles 1.2 to 9.9 as 1.1 (H1_MF_VER_11), while its logs and
   * req.ver show what came. Undefined for 1.0, 1.1 and HTTP/2 (the common case costs nothing).
   */
  wireVersion?: string;
  /** Flat [name, value, …] in arrival order; rules edit it in place. */
  headers: string[];
  /** The client allows the connection to stay open after this exchange. */
  keepAlive: boolean;
  upgrade: boolean;
}

/** A status code as its three digits (`099`: llhttp hands over the number, HAProxy relays the text). */
function statusCode(status: number): string {
  return status < 100 ? String(status).padStart(3, '0') : String(status);
}

/** A request's line as HAProxy logs it, with the URI as it arrived (an HTTP/2 request's in absolute form). */
function requestLineOf(r: RequestHead, method: string, uri: string): string {
  return `${method} ${uri} HTTP/${r.wireVersion ?? `${r.versionMajor}.${r.versionMinor}`}`;
}

/** HAProxy's two-letter termination state for the logs (first: who/what ended it, second: the phase). */
export type TerminationState = string;

/** A start line's version as HTX holds it: 8 characters, HTTP/1.0, 1.1 or 2.0 alike (only its length counts). */
const HTX_VERSION = 'HTTP/1.1';
/** Methods a request may be sent again with (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
/**
 * A response body chunk up to this size leaves in one write with the head when both come in one
 * read (one string, one send, instead of a writev of two buffers).
 */
const MERGE_WITH_HEAD = 4096;
/** `connection: close` as HTX counts it (name and value). */
const CONNECTION_CLOSE_HTX_SIZE = 'connection'.length + 'close'.length;
/** Request body bytes buffered before the server connection is ready, before reading pauses. */
const MAX_BUFFERED_BODY = 256 * 1024;

export class HttpTransaction implements ServerSession {
  /** When its head was complete; for a pipelined request, when the one before it was answered (restartClock). */
  startedAt = Date.now();
  /** %rt (HAProxy's stream number). */
  readonly streamNumber = nextStreamNumber();
  /** When the request's first byte came (HTTP/1: its parser began the message; HTTP/2: the stream's creation). */
  beganAt: number;
  /**
   * HTTP/2: HAProxy's accept date of the stream (the previous stream's creation, else the connection's accept
   * before its handshake) and its %Th (the handshake, on the first stream only). HTTP/1 is dated at its end.
   */
  readonly h2Accept: number | undefined;
  readonly h2Handshake: number = 0;
  /** The frontend's `capture` lines, as the messages arrived (%hr %hs %CC %CS). */
  requestCaptures: MessageCaptures | undefined;
  responseCaptures: MessageCaptures | undefined;
  /** %bi / %bp: the server connection's source address, kept when the frontend has a log-format. */
  serverSource: { address?: string; port?: number } | undefined;
  backend: HttpBackend | undefined;
  server: RuntimeServer | undefined;

  /** Where it goes, once chosen (`show sess`). */
  target(): StreamTarget {
    return { backend: this.backend?.name, server: this.server?.name };
  }
  status = 0;
  /** Body bytes sent to the client (response). */
  bytesOut = 0;
  /** Body bytes received from the client (request). */
  bytesIn = 0;
  /** What HAProxy counts besides the body (htx-size.ts): the request's head, end marks and trailers. */
  headBytesIn = 0;
  /** The same for the response, or the whole of a local answer. */
  headBytesOut = 0;
  termination: TerminationState = '--';
  /** A local answer that counts in the statistics as a denied or an intercepted request. */
  localKind: 'denied' | 'denied-response' | 'intercepted' | undefined;
  /** The client reset its connection while this exchange waited for the server's answer (outlivesClientReset). */
  clientGone = false;
  /** The applet that answered (stats page, exporter), named by the log as the server. */
  applet: AppletName | undefined;
  /** The status the log shows instead of the one sent (LocalAnswer.loggedStatus). */
  loggedStatus: number | undefined;
  /** http-response rules waiting for the response body: the head, and the body held meanwhile; undefined when none waits. */
  private responseWait: { wait: RequestBodyWait<LocalAnswer | ResponseRulesPaused | undefined>; head: ResponseHead; compressing: boolean; chunks: Buffer[]; bytes: number } | undefined;
  /** The response body the rules read (res.body*) once they waited for it. */
  private responseBodyRead: Buffer | undefined;
  /** The backend's tcp-response content rules ran on this exchange's answer. */
  private responseInspected = false;
  /** The rules wait for the request body (body-wait.ts); undefined when they do not (the common case). */
  private bodyWait: RequestBodyWait<Decision> | undefined;
  /** The body the rules read (req.body*) once a wait for it ended: at most what HAProxy's buffer holds. */
  private rulesBody: Buffer | undefined;
  /** ms the rules waited for the body after the head (%TR counts them); -1: it never came (408). */
  requestWait = 0;
  /** `Expect: 100-continue` was answered by a wait for the body. */
  private continueSent = false;
  /** A local answer waiting for the request body (the stats page's admin form). */
  private bodyAnswer: ((body: Buffer | undefined) => LocalAnswer) | undefined;
  /** The body bytes the request buffer holds behind the head, for `bodyAnswer`: past them it is answered without its body. */
  private bodyAnswerRoom = 0;
  retries = 0;
  /** Retries already counted in the statistics when they happened (retry-on's), not at the end. */
  retriesCounted = 0;
  /** Sent to another server after a failed connection (HAProxy's SF_REDISP: %rc's '+'). */
  redispatched = false;
  /** `http-request disable-l7-retry` ran: only a failed connection sends the request again. */
  private l7RetryDisabled = false;
  /**
   * retry-on (HAProxy's l7_buffer): the request body as it left, kept while the request may be
   * sent again; undefined without a retry-on failure to act on, or once it cannot be replayed.
   */
  private replayBody: Buffer[] | undefined;
  /** The request left whole and fits its buffer (HAProxy's TX_L7_RETRY): a retry-on failure replays it. */
  private replayable = false;
  /** It went to a server once (the replay decision is taken then). */
  private sentOnce = false;
  /** A retry is being redispatched from this server (its statistics count it once the new one is known). */
  private retryFrom: RuntimeServer | undefined;
  /** An `ignore-persist` rule matched (set when the backend is chosen): the cookie is not used, and the response gets none. */
  ignorePersist = false;
  /** A `force-persist` rule matched (set when the backend is chosen): servers named by a rule, the cookie or a stick entry are used even when down, and never left for another. */
  forcePersist = false;
  /** The persistence cookie's verdict (backend with `cookie`), read again on the response and by the logs. */
  persistence: PersistenceOutcome | undefined;
  /** The server was the one the persistence cookie or a stick rule named (HAProxy's SF_DIRECT). */
  private direct = false;
  /** What the backend's stick rules decided on the request (undefined: the backend has none). */
  private stickRequest: StickRequest | undefined;
  /** Timer marks for the logs (ms since startedAt): queue, connect, response headers. */
  tw = -1;
  tc = -1;
  tr = -1;
  /** %sq / %bq: where it waited in the server's and the backend's queue (undefined: it did not queue). */
  queued: QueuePositions | undefined;
  responseStarted = false;
  waitingForServer = false;
  upgrading = false;
  private varStore: MapVarStore | undefined;
  /** The server's response head once received (http-response rules and logs read it). */
  response: ResponseHead | undefined;
  private context: SampleContext | undefined;
  /** The unique id once made (uniqueId()). */
  private uid: string | undefined;
  private upstream: UpstreamConnection | undefined;
  private pendingBody: Buffer[] = [];
  private pendingBytes = 0;
  private requestDone = false;
  private readonly chunkedRequest: boolean;
  /**
   * The client's request has no body (no Transfer-Encoding, no Content-Length or 0): HAProxy's H1 mux
   * holds it to length 0 towards the server, whatever Content-Length a rule sets.
   */
  private readonly requestBodyless: boolean;
  /** The request body goes to the server chunked (as requestHeadForServer decided from the fields it sends). */
  private chunkedToServer = false;
  /** Request body bytes the server may still get under the Content-Length it was told; -1: none told. */
  private requestAnnouncedLeft = -1;
  /** The server was told a length and chunks, for a chunked request: reaching that length fails it (see announcedEndsChunks). */
  private requestAnnouncedEndsChunks = false;
  /** The trailer fields of a chunked request body (flat [name, value, …]), relayed after its last chunk. */
  private requestTrailerFields: string[] | undefined;
  private chunkedResponse = false;
  /**
   * How the body of the answer being relayed is framed where it comes from, before http-response
   * rules edit its fields: by a length (a Content-Length, an HTTP/2 or FastCGI server's framing, a
   * cached object), by chunks, or by the server's close.
   */
  private bodyFraming: 'length' | 'chunked' | 'close' = 'length';
  /** Body bytes the client may still get under the Content-Length it was told; -1: no length told. */
  private announcedLeft = -1;
  /**
   * The client was told a length and chunks, for a chunked answer: reaching that length fails the
   * answer (HAProxy's H1 mux ends the message there, and the last chunk that still comes is too much).
   */
  private announcedEndsChunks = false;
  /** Chunks of the server's current read, waiting to leave as one (flushChunks). */
  private chunkPieces: Buffer[] | undefined = undefined;
  private closeAfter = false;
  /**
   * The framing of this exchange is not trusted on a kept-alive connection: an HTTP/1.0 request or
   * response with Transfer-Encoding (RFC 9112 §6.1: treat the framing as faulty, close after it). The
   * server connection is used for this exchange only and the client connection closes after it, as
   * HAProxy 2.6 does (it sends such a request to the server without `connection: keep-alive`).
   */
  private framingClose = false;
  /**
   * An http-request / http-response rule wrote a Connection field (rules.ts): its `close` token,
   * which HAProxy's H1 mux obeys as it writes the message, closes that side's connection after this
   * exchange (the server's or the client's own tokens were never the rules' and are only dropped).
   */
  connectionByRule = false;
  responseConnectionByRule = false;
  /** `http-request` / `http-response strict-mode`: a rewrite that does not fit ends the exchange with a 500 (HAProxy's default: on). */
  strictMode = true;
  /** The response head, held until the end of the read it came in so a small body can join it. */
  private pendingHead: string | undefined;
  private cancelWait: (() => QueuePositions | undefined) | undefined;
  /** Held by `http-request tarpit` before its answer (the log's %TR is -1 then, as HAProxy's). */
  tarpitted = false;
  /** `http-request set-timeout server|tunnel`: this stream's own timeouts (ms), else the backend's. */
  private serverTimeout: number | undefined;
  private tunnelTimeout: number | undefined;

  /** `http-request disable-l7-retry`. */
  disableL7Retry(): void {
    this.l7RetryDisabled = true;
  }

  setStreamTimeout(which: 'server' | 'tunnel', ms: number): void {
    if (which === 'server') this.serverTimeout = ms;
    else this.tunnelTimeout = ms;
  }

  /** Its log line went out at the response head (`option logasap`). */
  loggedEarly = false;
  /** Closed without an answer by http-request reject / silent-drop (%TR is -1 then too). */
  dropped = false;
  /** `set-log-level silent`: the exchange writes no log line (it still counts in the statistics). */
  logSilent = false;
  /** `set-log-level <level>` other than silent: its line's syslog level (undefined: the usual one). */
  logLevel: number | undefined;

  /** `tcp-response content set-log-level <level>|silent` (http/response-inspection.ts). */
  setLogLevel(level: string): void {
    this.logSilent = level === 'silent';
    this.logLevel = level === 'silent' ? undefined : syslogLevel(level);
  }
  /** Refused by a frontend's tcp-request content rule, before HAProxy would have taken the request in as HTTP: logged without it. */
  requestUnseen = false;
  /** The method and URI (an HTTP/2 request's with its origin) before any rule changed them: %r and capture.req.* show these. */
  private readonly arrivedMethod: string;
  private readonly arrivedUri: string;
  private finished = false;
  private slotHeld = false;
  /** A request of the same client connection came before this one (HAProxy's TX_NOT_FIRST): it may take a fresh idle connection. */
  private notFirst = false;
  /** The algorithm the request allows (compression.ts): set only when the frontend or the backend compresses. */
  private compression: CompressionAlgorithm | undefined;
  /** The response body's encoder, once the server's answer qualified for compression. */
  private compressor: BodyCompressor | undefined;
  /** Reading from the server waits for zlib's input queue to drain. */
  private serverWaitsForZlib = false;
  /** What the cache rules did (cache/exchange.ts); undefined until one runs. */
  cache: CacheExchange | undefined;
  /** The response body going into a cache as it is relayed (`http-response cache-store`). */
  private cacheWriter: CacheWriter | undefined;

  /** `http-request cache-use`: a hit is served once the request rules are done (processRequest stops routing). */
  useCache(cache: HttpCache, proxy: Proxy): void {
    cacheUse((this.cache ??= new CacheExchange()), cache, this.request, proxy === this.frontend.config);
  }

  /** `http-response cache-store`: the response as the rules left it so far is stored, then its body as it goes out. */
  storeInCache(cache: HttpCache, proxy: Proxy, head: ResponseHead): void {
    if (this.cacheWriter !== undefined) return;
    // The compression filter of the frontend runs before a backend's cache: HAProxy stores no compressed response.
    if (this.compression !== undefined && proxy !== this.frontend.config && this.frontend.compression !== undefined) return;
    this.cacheWriter = cacheStore(this.cache, cache, this.request, head, this.cache?.hit !== undefined);
  }

  constructor(readonly client: TransactionClient, readonly request: RequestHead) {
    if (client.frontend.logsConnects) client.frontend.logConnect(client);
    this.arrivedMethod = request.method;
    this.arrivedUri = uriOf(request);
    const began = client.messageBeganAt;
    this.beganAt = began ?? this.startedAt;
    if (began === undefined && client.reuse) {
      this.h2Accept = h2StreamAccept(client.reuse, client.acceptedAt, this.startedAt);
      this.h2Handshake = Math.max(0, client.acceptedAt - this.h2Accept);
    } else this.h2Accept = undefined;
    const te = getHeader(request.headers, 'transfer-encoding');
    this.chunkedRequest = te !== undefined && /chunked/i.test(te);
    this.requestBodyless = !this.chunkedRequest && !hasBody(request.headers);
    if (te !== undefined && request.versionMinor === 0 && request.versionMajor === 1) {
      this.framingClose = true;
      request.keepAlive = false;
    }
    // An upgrade request with a body is not an upgrade: HAProxy 2.6 removes its Upgrade header and
    // answers a 101 with 502 (h1_postparse_req_hdrs: only a bodyless request may switch protocols).
    if (request.upgrade && request.method !== 'CONNECT' && (this.chunkedRequest || hasBody(request.headers))) {
      deleteHeader(request.headers, 'upgrade');
      request.upgrade = false;
    }
    // Taken before any rule edits the headers: HAProxy counts the request as its mux parsed it.
    this.headBytesIn = htxHeadSize(request.method, uriOf(request), HTX_VERSION, request.headers) + (this.chunkedRequest ? END_OF_TRAILERS : 0);
    this.requestCaptures = captureMessage(client.frontend.config, request.headers, false);
    this.responseCaptures = this.requestCaptures && captureMessage(client.frontend.config, [], true);
  }

  /** Variables of set-var / var(): txn., req. and res. scopes live with the transaction (created on first use). */
  get vars(): MapVarStore {
    return (this.varStore ??= new MapVarStore(this.client.frontend.procVars, this.client.sessionVars));
  }

  /** What ACLs and sample expressions read; fetches see the request as the rules left it. */
  sampleContext(): SampleContext {
    if (this.context) return this.context;
    const tx = this;
    const req: HttpRequestInfo = {
      get method() { return tx.request.method; },
      get url() { return uriOf(tx.request); },
      get version() { return tx.request.wireVersion ?? `${tx.request.versionMajor}.${tx.request.versionMinor}`; },
      // As it arrived, whatever the rules changed since (HAProxy copies it to txn->uri first).
      get requestLine() { return requestLineOf(tx.request, tx.arrivedMethod, tx.arrivedUri); },
      requestLineKept: tx.client.frontend.keepsRequestLine,
      get rawHeaders() { return tx.request.headers; },
      get proxyAuth() { return tx.proxyAuth; },
      get captures() { return tx.requestCaptures?.headers; },
      get body() { return tx.rulesBody ?? tx.bodyAvailable(); },
      // req.len: computed only when a rule asks.
      get htxLength() { return tx.requestHtxLength(); },
    };
    const res: HttpResponseInfo = {
      get status() { return tx.response?.status ?? tx.status; },
      get rawHeaders() { return tx.response?.headers ?? []; },
      get captures() { return tx.responseCaptures?.headers; },
      get compression() { return tx.compression?.name; },
      get cacheName() { return tx.cache?.hit?.cache.name; },
      get body() { return tx.responseBodyRead; },
    };
    this.context = {
      conn: this.client.connectionInfo(),
      req,
      get res() { return tx.response ? res : undefined; },
      get dir() { return tx.response ? 'res' as const : 'req' as const; },
      get vars() { return tx.vars; },
      hooks: this.frontend.hooks,
      get backendName() { return tx.backend?.name; },
      get serverName() { return tx.server?.name; },
      get serverId() { return tx.server?.id; },
      get bc() { return tx.serverConnection(); },
      get priority() { return tx.priority; },
      get uniqueId() { return tx.uniqueId(); },
      get stick() { return streamCounters(tx); },
    };
    return this.context;
  }

  get frontend() {
    return this.client.frontend;
  }

  /**
   * HAProxy's TX_USE_PX_CONN: under the frontend's `option http-use-proxy-header`, a request whose
   * URI, as it arrived, begins with neither `/` nor `*` (absolute form, CONNECT's authority, an
   * HTTP/2 request with :authority, whose URI HAProxy holds in absolute form) was sent to a forward
   * proxy: its credentials are read from Proxy-Authorization and `http-request auth` answers 407.
   */
  get proxyAuth(): boolean {
    if (!this.frontend.proxyHeaderAuth) return false;
    const first = this.arrivedUri.charCodeAt(0);
    return first !== 0x2f && first !== 0x2a;
  }

  /**
   * `set-uri` / `replace-uri` (HAProxy's http_replace_req_uri): the whole URI is replaced, an HTTP/2
   * request's origin with it (the server then gets the URI as written: a path, or an absolute URI),
   * and a URI with an authority makes it the Host header's value (http_update_host).
   */
  replaceUri(uri: string): void {
    const r = this.request;
    r.origin = undefined;
    r.url = uri;
    const authority = uriAuthority(uri);
    if (authority === undefined) return;
    const h = r.headers;
    for (let i = 0; i < h.length; i += 2) {
      if (h[i]!.length === 4 && h[i]!.toLowerCase() === 'host') {
        h[i + 1] = authority;
        return;
      }
    }
  }

  /** http-request early-hint: the headers (name, value, …) of the 103 Early Hints answer the next sendEarlyHints() sends. */
  earlyHints: string[] | undefined = undefined;

  /**
   * The 103 Early Hints answer of a run of early-hint rules (HAProxy's http_action_early_hint): sent
   * at once, before the final answer, as HAProxy forwards it; nothing when no rule of the run added a header.
   */
  sendEarlyHints(): void {
    const headers = this.earlyHints;
    if (!headers) return;
    this.earlyHints = undefined;
    // Counted in %B as a relayed interim answer is (htx-size.ts).
    this.headBytesOut += htxHeadSize(HTX_VERSION, '103', 'Early Hints', headers);
    const head = serializeHead('HTTP/1.1 103 Early Hints', headers);
    const adjust = this.frontend.caseAdjust;
    this.writeClient(adjust ? adjustHeadCase(head, adjust) : head);
  }

  /** set-priority-class / set-priority-offset: where this request waits in a queue (undefined: class 0, offset 0). */
  priority: QueuePriority | undefined = undefined;

  setPriority(kind: 'set-priority-class' | 'set-priority-offset', value: number): void {
    setQueuePriority((this.priority ??= { class: 0, offset: 0 }), kind, value);
  }

  /** http-request set-src / set-dst … changed this request's view of its connection's addresses. */
  addressesRewritten = false;

  /**
   * http-request set-src, set-src-port, set-dst, set-dst-port: HAProxy 2.6 rewrites the stream's
   * addresses, so the next request of the connection sees the real ones again. A new address keeps
   * the port (both families have one).
   */
  rewriteAddress(kind: 'set-src' | 'set-dst' | 'set-src-port' | 'set-dst-port', value: Sample): void {
    const ctx = this.sampleContext() as { conn: ConnectionInfo };
    const conn = { ...ctx.conn };
    if (value.type === 'ipv4' || value.type === 'ipv6') {
      const address = value.type === 'ipv4' ? ipv4ToString(value.value) : ipv6ToString(value.value);
      if (kind === 'set-src') conn.src = address;
      else conn.dst = address;
    } else if (value.type === 'int') {
      const port = Number(value.value) & 0xffff;
      if (kind === 'set-src-port') conn.srcPort = port;
      else conn.dstPort = port;
    } else return;
    ctx.conn = conn;
    this.addressesRewritten = true;
  }

  /** The request's unique id (`unique-id-format`), made the first time it is asked for; undefined without one. */
  uniqueId(): string | undefined {
    if (this.uid !== undefined) return this.uid;
    const format = this.frontend.uniqueId;
    if (!format) return undefined;
    // While it renders, the id reads as empty (a format naming %ID or unique-id), as in HAProxy.
    this.uid = '';
    return (this.uid = format(this.sampleContext(), streamAcceptDate(this), this.streamNumber));
  }

  // ------------------------------------------------------------------ request side

  /**
   * A pipelined request begins once the one before it is answered: HAProxy's H1 mux parses it and
   * creates its stream only then, so its timers (%Tw, %Ta …) and dates count from there, not from
   * its arrival behind the other.
   */
  restartClock(): void {
    this.startedAt = this.beganAt = Date.now();
  }

  start(): void {
    // Rules reading the body run once the read that brought the head is parsed (body-wait.ts).
    if (this.frontend.rulesReadBody && !this.requestDone && this.client.atReadEnd?.(() => this.startNow())) return;
    this.startNow();
  }

  private startNow(): void {
    if (this.finished) return;
    const session = this.client.reuse;
    if (session) {
      this.notFirst = session.reuseNotFirst;
      session.reuseNotFirst = true;
    }
    this.decide(this.frontend.processRequest(this));
  }

  /** What the request rules decided: a wait for the body, an answer of Loadstar's own, or a backend's servers. */
  private decide(decision: Decision): void {
    if ('waitForBody' in decision) return this.waitForBody(decision);
    if ('cached' in decision) {
      this.backend = decision.backend;
      return this.serveFromCache();
    }
    const answer = 'response' in decision ? decision : decision.answer;
    // When the backend side answered, the log, the statistics and http-after-response see its backend.
    if (!('response' in decision)) this.backend = decision.backend;
    if (answer) {
      this.localKind = answer.kind;
      if (answer.applet) this.servedByApplet(answer);
      if (answer.withBody) {
        this.bodyAnswer = answer.withBody;
        const headSize = this.headBytesIn - (this.chunkedRequest ? END_OF_TRAILERS : 0);
        this.bodyAnswerRoom = requestBodyRoom(this.frontend.limits.headRoom, headSize, this.request.headers) - (this.chunkedRequest ? END_OF_TRAILERS_BLOCK : 0);
        if (this.requestDone) this.answerWithBody();
        else if (this.pendingBytes > this.bodyAnswerRoom) this.answerWithBody(true);
        return;
      }
      this.status = answer.status;
      this.termination = answer.termination ?? '--';
      if (answer.beforeHttp) this.requestUnseen = true;
      if (answer.drop) return this.dropClient(answer.drop);
      if (answer.tarpitMs) return this.tarpit(answer.tarpitMs, answer.response, answer.close ?? false);
      return this.respondLocally(answer.response, answer.close ?? false);
    }
    const backend = this.backend!;
    // force-persist / ignore-persist ran when the backend was chosen (HttpBackend.applyPersistRules); the cookie is read now, after the backend's rules.
    if (backend.persistence) this.persistence = backend.persistence.onRequest(this.request.headers, this.forcePersist ? 'force' : this.ignorePersist ? 'ignore' : undefined);
    // After every http-request rule, as HAProxy's compression filter reads the request (it may remove Accept-Encoding).
    const fe = this.frontend.compression;
    const be = backend.compression;
    if (fe !== undefined || be !== undefined) this.compression = chooseAlgorithm(fe, be, this.request.headers);
    this.acquireSlot();
  }

  // ------------------------------------------------------------------ waiting for the request body (body-wait.ts)

  /**
   * The rules wait for the body: at once on when there is none or enough of it is in already;
   * else the body collects where it waits for a server anyway, and requestBody / requestComplete
   * run the rules on once there is enough.
   */
  private waitForBody(decision: BodyWaitDecision): void {
    if (decision.backend) this.backend = decision.backend;
    const r = this.request;
    // (A request whose body is all in already, say one that waited behind another, goes through the wait at once, its body read.)
    if (!this.requestDone && bodyless(r.method, r.versionMajor, r.headers, this.chunkedRequest)) return this.decide(decision.resume());
    // HAProxy answers Expect: 100-continue the first time the body is waited for.
    if (!this.continueSent && expectsContinue(r.versionMajor, r.versionMinor, r.headers)) {
      this.continueSent = true;
      deleteHeader(r.headers, 'expect');
      this.bytesOut += CONTINUE_HTX_SIZE;
      this.writeClient(CONTINUE_RESPONSE);
    }
    const room = requestBodyRoom(this.frontend.limits.headRoom, this.headBytesIn - (this.chunkedRequest ? END_OF_TRAILERS : 0), r.headers);
    const wait = new RequestBodyWait(decision.waitForBody, room, decision.resume, () => this.contained(() => this.bodyWaitTimedOut()));
    this.bodyWait = wait;
    // Reading paused on a body held before the wait began (a request pipelined behind another): the wait reads on.
    if (this.pendingBytes > MAX_BUFFERED_BODY && this.waitWantsMore()) this.client.resumeReading();
    this.checkBodyWait();
  }

  /**
   * A body wait reads up to its room (the buffer behind the head), which a `tune.bufsize` above
   * the usual cap of held body makes larger: reading pauses only past it, as HAProxy fills its buffer.
   */
  private waitWantsMore(): boolean {
    return (this.bodyWait !== undefined && this.pendingBytes < this.bodyWait.room) || (this.bodyAnswer !== undefined && this.pendingBytes <= this.bodyAnswerRoom);
  }

  /** The body so far is enough for the waiting rules: they run on, with req.body* reading it. */
  private checkBodyWait(): void {
    const wait = this.bodyWait!;
    if (!wait.enough(this.pendingBytes, this.requestDone)) return;
    this.endBodyWait();
    this.decide(wait.resume());
  }

  private endBodyWait(): void {
    const wait = this.bodyWait!;
    wait.end();
    this.bodyWait = undefined;
    const body = this.pendingBody.length === 1 ? this.pendingBody[0]! : Buffer.concat(this.pendingBody);
    this.rulesBody = body.length > wait.room ? body.subarray(0, wait.room) : body;
    this.requestWait += Date.now() - wait.began;
  }

  /**
   * The body did not come in time (the wait's own time, or `timeout client`): 408 and the
   * connection closes, logged cR with %TR -1 and counted as a failed request (HAProxy's abort_req).
   */
  bodyWaitTimedOut(): void {
    if (!this.bodyWait || this.finished) return;
    this.bodyWait.end();
    this.bodyWait = undefined;
    this.requestWait = -1;
    this.frontend.counters.requestErrors++;
    this.termination = 'cR';
    this.status = 408;
    // HAProxy's reply counts the `connection: close` it carries (%B 232 for the built-in page).
    this.answerLocally(this.frontend.errorResponse(408, this.backend), true, CONNECTION_CLOSE_HTX_SIZE);
  }

  /**
   * The client closed its side while the rules waited: they run on with what came (HAProxy stops
   * waiting at the read's end), then the exchange ends there, logged CR, unless they answered
   * (haproxy 2.6.12: `-1 CR-- … be s`, the server picked but never sent the request).
   */
  bodyWaitAborted(): boolean {
    const wait = this.bodyWait;
    if (!wait) return false;
    this.endBodyWait();
    // A later wait-for-body has nothing more to wait for either.
    let decision = wait.resume();
    while ('waitForBody' in decision) {
      if (decision.backend) this.backend = decision.backend;
      decision = decision.resume();
    }
    // As in HAProxy, what they decided starts (the server is picked, an answer goes out), then the exchange ends.
    this.decide(decision);
    if (!this.finished) this.abort('CR');
    return true;
  }

  /**
   * The body HAProxy's buffer would hold for the rules without a wait (req.body*): what came so far
   * and has not left for a server, at most the room behind the head.
   */
  /** req.len on an HTTP request: its head's HTX size as the rules left it, and the body bytes received so far. */
  private requestHtxLength(): number {
    const r = this.request;
    const head = htxHeadSize(r.method, uriOf(r), HTX_VERSION, r.headers);
    return head + ((this.rulesBody ?? this.bodyAvailable())?.length ?? 0);
  }

  private bodyAvailable(): Buffer | undefined {
    if (this.upstream || this.pendingBody.length === 0) return undefined;
    const room = requestBodyRoom(this.frontend.limits.headRoom, this.headBytesIn - (this.chunkedRequest ? END_OF_TRAILERS : 0), this.request.headers);
    const body = this.pendingBody.length === 1 ? this.pendingBody[0]! : Buffer.concat(this.pendingBody);
    return body.length > room ? body.subarray(0, room) : body;
  }

  /** Waiting for the request body before its rules go on (the client's timers ask). */
  get waitingForBody(): boolean {
    return this.bodyWait !== undefined;
  }

  /** A timer's callback: what it throws ends this exchange as an internal error, not the process. */
  private contained(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.client.internalError(e);
    }
  }

  /** The stats page or the exporter answers: HAProxy's applet is connected at once, and the log names it. */
  private servedByApplet(answer: LocalAnswer): void {
    this.applet = answer.applet;
    this.tw = 0;
    this.tc = 0;
    if (answer.loggedStatus === undefined) this.tr = Date.now() - this.startedAt;
    else this.loggedStatus = answer.loggedStatus;
  }

  requestBody(chunk: Buffer): void {
    if (faults.armed) faultPoint('request-body');
    this.bytesIn += chunk.length;
    if (this.replayBody) this.replayBody.push(chunk);
    if (this.upstream) return this.writeBody(chunk);
    this.pendingBody.push(chunk);
    this.pendingBytes += chunk.length;
    // A body the buffer cannot hold whole: the stats page's form is answered without it (HAProxy's EXCD).
    if (this.bodyAnswer && this.pendingBytes > this.bodyAnswerRoom) return this.answerWithBody(true);
    if (this.pendingBytes > MAX_BUFFERED_BODY && !this.waitWantsMore()) this.client.pauseReading();
    if (this.bodyWait) this.checkBodyWait();
  }

  /** The whole request has been read. */
  get requestEnded(): boolean {
    return this.requestDone;
  }

  /**
   * Trailer fields of the request body (llhttp gives them just before the request completes, in
   * batches of 32; h2 in one HEADERS frame). HAProxy 2.6 relays them after the last chunk when the
   * request goes to the server chunked, and drops them otherwise (a Content-Length request from h2).
   * Returns all the fields so far (for the limits), undefined when the request was already complete.
   */
  requestTrailers(fields: readonly string[]): readonly string[] | undefined {
    if (this.requestDone) return undefined;
    const kept = (this.requestTrailerFields ??= []);
    for (const f of fields) kept.push(f);
    return kept;
  }

  requestComplete(): void {
    this.requestDone = true;
    if (this.requestTrailerFields) this.headBytesIn += htxFieldsSize(this.requestTrailerFields);
    if (this.bodyAnswer) return this.answerWithBody();
    if (this.bodyWait) return this.checkBodyWait();
    if (this.upstream && this.chunkedToServer) this.upstream.socket.write(this.requestLastChunk(), 'latin1');
  }

  /** The end of the chunked request body: last chunk, trailers, blank line. */
  private requestLastChunk(): string {
    return lastChunk(this.requestTrailerFields, this.backend!.caseAdjust);
  }

  private writeBody(chunk: Buffer): void {
    const left = this.requestAnnouncedLeft;
    if (left >= 0) {
      if (chunk.length > left || (chunk.length === left && this.requestAnnouncedEndsChunks)) return this.requestTooLong();
      this.requestAnnouncedLeft = left - chunk.length;
    }
    const socket = this.upstream!.socket;
    const ok = this.chunkedToServer
      ? (socket.write(chunkSizeLine(chunk.length)), socket.write(chunk), socket.write('\r\n'))
      : socket.write(chunk);
    if (!ok) {
      this.client.pauseReading();
      this.upstream!.stallWrites(() => this.client.resumeReading());
    }
  }

  // ------------------------------------------------------------------ server selection

  private acquireSlot(avoid?: RuntimeServer): void {
    const backend = this.backend!;
    this.waitingForServer = true;
    // A redispatch forgets the cookie's server, as HAProxy clears SF_DIRECT.
    const cookieServer = avoid ? undefined : this.persistence?.server;
    // `use-server` comes before the cookie (which is still read, to strip a prefix) and the balancer.
    const ruled = avoid ? undefined : backend.useServer(this, this.forcePersist);
    // Then the stick rules, once per request (a redispatch keeps their keys, to store the server finally used).
    if (backend.stick && !avoid) this.stickRequest = backend.stick.onRequest(this.sampleContext(), (ruled ?? cookieServer) !== undefined, this.forcePersist);
    const stuck = avoid ? undefined : this.stickRequest?.server;
    // A client connection a server authenticated (NTLM) goes back to that server (HAProxy's SESS_FL_PREFER_LAST);
    // with `option prefer-last-server`, to the server of a connection it owns, waiting for it within `max-keep-alive-queue`.
    const session = this.client.reuse;
    const forced = ruled ?? cookieServer ?? stuck ?? (session?.ownedIdle && !avoid && !backend.hashing && (session.preferLast || backend.preferLastServer)
      ? ownedServer(session, backend.runtime.servers, session.preferLast ? undefined : backend.maxKaQueue) : undefined);
    this.cancelWait = backend.runtime.acquire(backend.lbRequest(this), (result, queued) => {
      this.cancelWait = undefined;
      if (queued) this.queued = queued;
      if (this.finished) {
        if ('server' in result) backend.runtime.release(result.server);
        return;
      }
      // A queued request gets its slot inside another exchange's release: an error here is this one's.
      try {
        // No server at all: the request never queued, %Tw stays -1 as in HAProxy (a queue timeout keeps its wait).
        if (!('error' in result) || result.error !== 'no-server') this.tw = Date.now() - this.startedAt;
        if ('error' in result) {
          // No alert per request: HAProxy says "has no server available!" once, when the backend goes down (set_backend_down).
          this.termination = result.error === 'no-server' ? 'SC' : 'sQ';
          return this.fail(503);
        }
        this.slotHeld = true;
        // Only servers that may end their streams on a state change keep them (on-marked-down/up).
        result.server.sessions?.add(this);
        if (this.retryFrom) this.retryAssigned(this.retryFrom, result.server);
        this.server = result.server;
        this.direct = (cookieServer ?? stuck) !== undefined && result.server === (cookieServer ?? stuck);
        this.connect();
      } catch (e) {
        this.internalError(e);
      }
    }, avoid, forced, this.priority, this.forcePersist);
  }

  private connect(): void {
    const backend = this.backend!;
    const server = this.server!;
    if (server.config.options.redir !== undefined && this.redirectToServer(server.config.options.redir)) return;
    const pool = backend.pool(server);
    const sni = pool.tls?.sni?.(this.sampleContext());
    const target = server.followsDestination ? this.destinationOf(server) : undefined;
    if (!this.serverClose()) {
      // The client connection's own idle connection first (HAProxy's session_get_conn), then the pool as `http-reuse` allows.
      const session = this.client.reuse;
      const mode = backend.reuseMode;
      // An HTTP/2 server (pool.mux): a connection serving other streams first; a WebSocket request gets a connection of its own (h2-upstream.ts).
      const mux = pool.mux;
      const shared = mux === undefined ? undefined : this.request.upgrade ? null : mux.share(session, this.notFirst, mode, sni);
      // A `send-proxy` server's connections carry this client's addresses: only its own are reused
      // (HAProxy hashes the PROXY line into the connection's reuse key).
      const reusable = shared === null ? undefined : shared ?? (session?.ownedIdle ? takeOwned(session, pool, sni, target?.key) : undefined) ?? (mode === 'never' || server.proxyHeader ? undefined : pool.take(sni, this.notFirst, mode, target?.key, session));
      if (reusable) {
        serverConnection(backend.runtime.stats, server.stats, true);
        this.tc = 0; // connected at once: HAProxy logs %Tc 0 for a reused connection
        return this.send(reusable);
      }
    }
    serverConnection(backend.runtime.stats, server.stats, false);
    const started = Date.now();
    connectUpstream(pool, backend.timeouts.connect, (conn, error) => {
      if (this.finished) return conn?.destroy();
      try {
        if (!conn) return this.connectFailed(error ?? 'error', sni !== undefined);
        if (faults.armed) faultPoint('connect');
        server.check?.observe('layer4', true, '');
        // `http-reuse never`: the connection belongs to this client connection alone.
        if (backend.reuseMode === 'never' || server.proxyHeader) {
          conn.private = true;
          conn.owner = this.client.reuse;
        }
        this.tc = Date.now() - started;
        this.send(conn);
      } catch (e) {
        if (conn !== this.upstream) conn?.destroy();
        this.internalError(e);
      }
    }, sni, backend.reuseMode, this.client.reuse, this.request.upgrade ? (isWebsocketUpgrade(this.request.headers) ? 'websocket' : 'other') : undefined, server.proxyHeader && this.proxyHeaderFor(server.proxyHeader), target);
  }

  /**
   * %si / %sp of a server written without an address or a port: where its connection went (the
   * client's destination, as set-dst / set-dst-port left it); undefined for other servers.
   */
  serverTarget: ConnectTarget | undefined = undefined;

  /** Where a connection to a server without an address or a port goes for this request (RuntimeServer.target). */
  private destinationOf(server: RuntimeServer): ConnectTarget {
    const conn = this.addressesRewritten ? this.sampleContext().conn : this.client.connectionInfo();
    const { host, port } = server.target({ localAddress: conn.dst, localPort: conn.dstPort });
    return (this.serverTarget = { host, port, key: `${host.includes(':') ? `[${host}]` : host}:${port}` });
  }

  /** The PROXY header of a new connection to a `send-proxy` server: the addresses as this stream sees them. */
  private proxyHeaderFor(make: ProxyHeaderMaker): Buffer {
    const conn = this.addressesRewritten ? this.sampleContext().conn : this.client.connectionInfo();
    return make(conn, () => this.uniqueId());
  }

  /**
   * `server … redir <prefix>`: a GET or HEAD whose URI has a path answers 302 with Location
   * prefix + path (query included; the prefix `/` alone keeps the path as is) and closes, instead
   * of connecting: HAProxy 2.6's http_perform_server_redirect, logged LC with %Tc -1. Other
   * requests go to the server. Returns false when the request is not redirected.
   */
  private redirectToServer(prefix: string): boolean {
    const method = this.request.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    // An absolute-form target ("http://host/p") contributes its path; one without a path (`*`) is not redirected.
    const url = this.request.url;
    const path = url.startsWith('/') ? url : /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(url)?.[1];
    if (path === undefined) return false;
    const location = prefix === '/' ? path : prefix + path;
    this.status = 302;
    this.termination = 'LC';
    // HAProxy writes Connection: close into the answer itself here, so it counts in the logged bytes
    // (its H1 mux sends it last).
    const answer = `HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: ${location}\r\nconnection: close\r\n\r\n`;
    this.answerLocally(Buffer.from(answer, 'latin1'), true, 'connection'.length + 'close'.length);
    return true;
  }

  /**
   * The backend's retry plan (proxy/runtime/retry.ts afterConnectFailure, as in TCP mode) says:
   * give up (503, SC or sC), retry the server, or redispatch. `sniSent`: the TLS handshake sent an SNI.
   */
  private connectFailed(error: string, sniSent: boolean): void {
    const backend = this.backend!;
    const server = this.server!;
    server.connectErrors++;
    if (error === SSL_TOO_MANY) {
      // `maxsslconn` reached (tls/ssl-conns.ts): HAProxy's SF_ERR_INTERNAL, a 500 not retried.
      this.termination = 'IC';
      this.releaseSlot();
      return this.fail(500);
    }
    server.check?.observe('layer4', false, `connection error: ${error}`);
    const failure = connectFailureOf(error, error === 'timeout', sniSent);
    const step = backend.runtime.retryPlan.afterConnectFailure(this.retries, failure, backend.runtime.retryContext(server, this.direct, this.forcePersist));
    if (step.giveUp) {
      this.retries = step.retries;
      this.termination = step.termination;
      this.releaseSlot();
      return this.fail(503);
    }
    this.retries++;
    this.retriesCounted++;
    server.retries++;
    setTimeout(() => {
      if (this.finished) return;
      try {
        this.retryAfter(server, step.redispatch);
      } catch (e) {
        this.internalError(e);
      }
    }, step.delayMs);
  }

  /** The connection the request went to (bc_*, ssl_bc_*): a socket, or an HTTP/2 stream of a session. */
  private serverSide: UpstreamConnection | undefined;

  /** What the log reads of that connection, noted while it was open (HttpFrontend.logsServerConnection). */
  private serverNoted: BackendConnInfo | undefined;

  /** bc_* / ssl_bc_*: the server connection of this exchange, once the request went on one. */
  serverConnection(): BackendConnInfo | undefined {
    const conn = this.serverSide;
    if (!conn) return undefined;
    if (this.serverNoted) return this.serverNoted;
    return conn.h2 ? backendConnInfo((conn.socket as unknown as H2Channel).h2.socket, 2) : backendConnInfo(conn.socket, 1);
  }

  private send(conn: UpstreamConnection): void {
    this.upstream = conn;
    this.serverSide = conn;
    if (this.frontend.config.logFormat) this.serverSource = { address: conn.socket.localAddress, port: conn.socket.localPort };
    this.waitingForServer = true;
    conn.attach({
      head: (head) => this.onResponseHead(head),
      body: (chunk) => this.onResponseBody(chunk),
      complete: (trailers) => this.onResponseComplete(trailers),
      readDone: () => {
        this.flushChunks();
        this.flushHead();
        this.compressor?.flush();
      },
      error: (reason, bytes, captured) => {
        if (captured) this.captureInvalidResponse(conn, captured);
        this.onUpstreamError(conn, reason, bytes);
      },
      timeout: () => this.onServerTimeout(),
      sink: this.client.socket,
      owner: this,
    });
    conn.setInactivityTimeout(this.serverTimeout ?? this.backend!.timeouts.server);
    const socket = conn.socket;
    // A FastCGI connection builds its parameters from the stream's facts (fcgi-upstream.ts).
    if (conn.fcgi !== undefined) conn.fcgi.prepare(this.backend!.fcgi!.facts(this, this.addressesRewritten ? this.sampleContext().conn : this.client.connectionInfo()));
    // The request leaves with the others of this event-loop turn (write-batch.ts).
    const batched = holdWrites(socket);
    if (!batched) socket.cork();
    writeHeld(socket, this.requestHeadForServer());
    for (const chunk of this.pendingBody) {
      this.writeBody(chunk);
      if (this.upstream !== conn) return;
    }
    if (this.requestDone && this.chunkedToServer) socket.write(this.requestLastChunk(), 'latin1');
    if (batched) releaseWrites(socket);
    else socket.uncork();
    if (!this.sentOnce) {
      this.sentOnce = true;
      if (this.backend!.runtime.retryPlan.l7 && !this.l7RetryDisabled) this.keepForReplay();
    }
    this.pendingBody = [];
    if (this.pendingBytes > MAX_BUFFERED_BODY) this.client.resumeReading();
    this.pendingBytes = 0;
  }

  /**
   * retry-on: HAProxy copies the request for a replay at its first send, if the request is whole by
   * then (its mux parsed the whole read) and fits the buffer (`tune.bufsize` − `tune.maxrewrite`).
   * A request sent while the read holding the rest of it is parsed (a reused server connection is
   * taken at once) is decided once that read is done.
   */
  private keepForReplay(): void {
    this.replayBody = this.pendingBody;
    const decide = (): void => {
      if (this.requestDone && this.requestBufferUsage() <= this.frontend.limits.headRoom) this.replayable = true;
      else this.replayBody = undefined;
    };
    if (this.requestDone) decide();
    else setImmediate(decide);
  }

  /**
   * A failure retry-on names, before anything of the response went to the client (`junk`: an
   * invalid response): the request goes again, to the same server or, as `option redispatch`
   * says, another (HAProxy's do_l7_retry). False when it may not (not replayable, retries spent).
   */
  private l7Retry(junk: boolean): boolean {
    if (!this.replayable || this.responseStarted || this.finished) return false;
    const backend = this.backend!;
    const runtime = backend.runtime;
    const server = this.server!;
    const step = runtime.retryPlan.afterL7Failure(this.retries, runtime.retryContext(server, this.direct, this.forcePersist));
    if (step.giveUp) return false;
    this.upstream?.destroy();
    this.upstream = undefined;
    // HAProxy counts an invalid response as a failed one even when it retries (return_bad_res).
    if (junk) {
      server.stats.eresp++;
      runtime.stats.eresp++;
      server.check?.observe('layer7', false, 'invalid response');
    }
    this.retries++;
    this.retriesCounted++;
    server.retries++;
    // HAProxy 2.6.12 counts a retry-on retry in wretr here (do_l7_retry), then again, or as a
    // redispatch (wredis), once its server is assigned (retryAssigned).
    server.stats.wretr++;
    runtime.stats.wretr++;
    this.response = undefined;
    this.status = 0;
    this.tr = -1;
    this.termination = '--';
    this.pendingBody = this.replayBody!.slice();
    this.retryAfter(server, step.redispatch);
    return true;
  }

  /** The next attempt after a failure on `server`: another server (redispatch), or the same one again. */
  private retryAfter(server: RuntimeServer, redispatch: boolean): void {
    if (redispatch) {
      this.retryFrom = server;
      this.releaseSlot();
      this.acquireSlot(server);
    } else {
      retriedOnServer(this.backend!.runtime.stats, server);
      this.connect();
    }
  }

  /** What the whole request takes in HAProxy's buffer (htx-size.ts), as it arrived. */
  private requestBufferUsage(): number {
    return requestHtxUsage(this.headBytesIn + this.bytesIn, this.request.headers, this.bytesIn, this.chunkedRequest, this.requestTrailerFields);
  }

  /** The statistics of a retry once its server is known (runtime/counters.ts); another server is a redispatch (%rc's '+'). */
  private retryAssigned(from: RuntimeServer, to: RuntimeServer): void {
    this.retryFrom = undefined;
    if (retryAssigned(this.backend!.runtime.stats, from, to)) this.redispatched = true;
  }

  /** One request per server connection: http-server-close or httpclose in the frontend or the backend. */
  private serverClose(): boolean {
    return this.framingClose || this.frontend.serverClose || this.backend!.serverClose;
  }

  /**
   * The request head as HAProxy 2.6's H1 mux writes it: the client's HTTP version (1.0 stays 1.0;
   * HTTP/2 becomes 1.1), header names in lower case, every header passed on in place (Keep-Alive,
   * Upgrade and the headers Connection nominates too) except Connection's close and keep-alive
   * tokens, TE (only as `trailers`) and the http-send-name-header one, then the backend's X-Forwarded-For and
   * X-Original-To, then the mux's own Connection header (`keep-alive` to an HTTP/1.0 request kept alive,
   * `close` to an HTTP/1.1 one that is not: h1_update_req_conn_value), then the server's name
   * (http-send-name-header) last. Per header: one toLowerCase (no copy when already lower case).
   */
  private requestHeadForServer(): string {
    const r = this.request;
    const h = r.headers;
    const http10 = r.versionMajor === 1 && r.versionMinor === 0;
    // An HTTP/2 server gets an HTTP/2 client's :scheme and :authority (HAProxy's HTX keeps the absolute URI): h2-upstream.ts reads them back.
    const target = r.origin !== undefined && this.upstream?.pool.mux !== undefined && this.upstream.fcgi === undefined ? uriOf(r) : r.url;
    let head = r.method + ' ' + target + (http10 ? ' HTTP/1.0\r\n' : ' HTTP/1.1\r\n');
    // http-send-name-header: the client's header of that name is not passed on (-1: no such header).
    const sendName = this.backend!.sendNameHeader;
    const sendNameLength = sendName === undefined ? -1 : sendName.length;
    /** The Content-Length the server is told (its digits); a bodyless request's is 0 whatever a rule says. */
    let announced: string | undefined;
    let transferEncoding = false;
    /** The codings of Transfer-Encoding fields a rule gave a request that was not chunked (sent as they are). */
    let ruleCodings: RequestCodings | undefined;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!.toLowerCase();
      let value = h[i + 1]!;
      if (name.length === sendNameLength && name === sendName) continue;
      if (name.length === 10 && name === 'connection') {
        // A rule's `close`: this server connection serves this request alone and is told so (h1_process_output).
        if (this.connectionByRule && hasToken(value, 'close')) this.framingClose = true;
        value = connectionValueToForward(value);
        if (value === '') continue;
      } else if (name.length === 17 && name === 'transfer-encoding') {
        if (this.chunkedRequest) transferEncoding = true;
        // One a rule gave a request that was not chunked goes to HTTP/1.1 servers (framed below). The
        // HTTP/2 and FastCGI channels read the head written here and frame the body their own way:
        // with the field, their parser refuses a request that has a length too (a 502).
        else if (this.upstream?.pool.mux !== undefined) continue;
        else ruleCodings = readRequestCodings(value, ruleCodings);
      } else if (name.length === 14 && name === 'content-length') {
        // Not a length, another length than the one before, or a length on a request without body
        // (an http-request rule's doing): left out, as HAProxy's H1 mux leaves it out.
        const digits = contentLengthDigits(value, announced ?? (this.requestBodyless ? '0' : undefined));
        if (digits === undefined) continue;
        announced ??= digits;
        value = digits;
      } else if (name.length === 2 && name === 'te') {
        // HAProxy 2.6 sends TE only as `trailers`, when the client's value has that word (else not at all).
        value = teValueToForward(value);
        if (value === '') continue;
      }
      head += name + ': ' + value + '\r\n';
    }
    // HAProxy's http_process_request adds the unique id, then X-Forwarded-For, after every rule.
    const uidHeader = this.frontend.uniqueIdHeader;
    if (uidHeader !== undefined) {
      const id = this.uniqueId();
      if (id !== undefined) head += uidHeader + ': ' + id + '\r\n';
    }
    head += this.backend!.forwardedFor(this);
    // The body's framing from the fields the rules left, as HAProxy's H1 mux frames it: chunked when
    // they say so, or when they no longer say the length of a body (a rule removed the field); within
    // the length they say otherwise; with both, the server connection closes after ("T-E + C-L").
    // A coding a rule gave a request that was not chunked: chunked when its last coding is `chunked`
    // (a request without body too: its last chunk alone), else the body as it is; the connection closes
    // after when there is a length, or no body (HAProxy's mux counts that as length 0), or HTTP/1.0.
    const chunkedByRule = ruleCodings?.chunked === true;
    const lostLength = !this.requestBodyless && !transferEncoding && !chunkedByRule && announced === undefined && !http10;
    this.chunkedToServer = transferEncoding || chunkedByRule || lostLength;
    this.requestAnnouncedLeft = announced !== undefined && !this.requestBodyless ? Number(announced) : -1;
    this.requestAnnouncedEndsChunks = transferEncoding;
    if (transferEncoding && announced !== undefined) this.framingClose = true;
    if (ruleCodings !== undefined && (announced !== undefined || this.requestBodyless || http10)) this.framingClose = true;
    // Then X-Original-To, when the frontend or the backend asks for it.
    const originalTo = this.backend!.originalTo;
    if (originalTo !== undefined || this.frontend.originalTo !== undefined) head += originalToHeader(this.frontend.originalTo, originalTo, this);
    if (!r.upgrade) {
      // `option http-pretend-keepalive` (backend): announced as kept alive even when it will close.
      if (this.serverClose() && !this.backend!.pretendKeepalive) {
        if (!http10) head += 'connection: close\r\n';
      } else if (http10) head += 'connection: keep-alive\r\n';
    }
    // HAProxy's H1 mux adds the chunking it decided after the Connection header.
    if (lostLength) head += 'transfer-encoding: chunked\r\n';
    // The server's name after the Connection header, as HAProxy's H1 mux adds it: built for each
    // attempt, so that after a retry or a redispatch it names the server actually tried.
    if (sendName !== undefined) head += sendName + ': ' + this.server!.name + '\r\n';
    // An HTTP/2 client's WebSocket has no key: an HTTP/1.1 server gets one made up, checked in its 101.
    if (r.upgrade && !this.upstream!.h2 && isWebsocketUpgrade(h) && getHeader(h, 'sec-websocket-key') === undefined) {
      this.madeWebsocketKey = newWebsocketKey();
      head += 'Sec-Websocket-Key: ' + this.madeWebsocketKey + '\r\n';
    }
    const adjust = this.backend!.caseAdjust;
    return adjust ? adjustHeadCase(head + '\r\n', adjust) : head + '\r\n';
  }

  // ------------------------------------------------------------------ response side

  private onResponseHead(head: ResponseHead): boolean | 'tunnel' {
    if (faults.armed) faultPoint('response-head');
    if (this.frontend.logsServerConnection && this.serverNoted === undefined) this.serverNoted = this.serverConnection();
    // The limits of HAProxy's H1 parser (an HTTP/2 or FastCGI server's answer has its channel's own).
    if (!head.framed && head.versionMajor !== 2 && responseHeadRefused(head.reason, head.headers, this.frontend.limits)) return this.invalidResponse(true);
    if (this.clientGone && head.status !== 101 && !isInterimStatus(head.status)) return this.answerForNobody(head);
    // tcp-response content (response-inspection.ts): once, when the server's answer starts.
    const inspection = this.backend!.responseInspection;
    if (inspection !== undefined && !this.responseInspected) {
      this.responseInspected = true;
      const verdict = inspection(this.sampleContext(), this);
      if (verdict !== 'accept') return this.refusedByResponseRules(verdict);
    }
    if (head.status === 101 && (!this.request.upgrade || !hasToken(getHeader(head.headers, 'connection') ?? '', 'upgrade'))) {
      // Switching protocols nobody asked for, or a 101 without `Connection: upgrade`: HAProxy 2.6
      // answers 502 (http_wait_for_response wants the option on both sides) and closes the connection
      // (the server now speaks something else; reused, its bytes would answer the next request).
      return this.invalidResponse();
    }
    // An HTTP/1.1 server's WebSocket 101 without Sec-WebSocket-Accept (or, for a key made up here, the
    // wrong one) is an invalid answer to HAProxy 2.6's H1 mux (websocket.ts).
    if (head.status === 101 && !this.upstream!.h2 && isWebsocketUpgrade(head.headers) && !acceptsWebsocket(head.headers, this.madeWebsocketKey)) return this.invalidResponse(true);
    if (isInterimStatus(head.status)) {
      // Interim responses (100 Continue, 103 Early Hints …) go to HTTP/1.1 clients as they are. HTTP/1.0
      // clients get none (RFC 9110 §15.2: 1xx must not be sent to them; HAProxy 2.6 relays them anyway),
      // h2 clients get them as an interim HEADERS frame (h2.ts), as from HAProxy. The exchange goes on:
      // llhttp ends this message and onResponseComplete waits for the final one.
      // HAProxy's %B and bout count it as they count the final one (htx-size.ts).
      this.headBytesOut += htxHeadSize(HTX_VERSION, statusCode(head.status), head.reason, head.headers);
      const r = this.request;
      if (r.versionMajor >= 2 || (r.versionMajor === 1 && r.versionMinor >= 1)) {
        // The reason as the server wrote it, empty included (HAProxy's H1 mux writes what it received).
        const interim = serializeHead(`HTTP/1.1 ${statusCode(head.status)} ${head.reason}`, interimHeaders(head.headers));
        const adjust = this.frontend.caseAdjust;
        this.writeClient(adjust ? adjustHeadCase(interim, adjust) : interim);
      }
      return false;
    }
    const l7 = this.replayable ? this.backend!.runtime.retryPlan.l7 : undefined;
    if (l7 && l7.statuses.has(head.status) && this.l7Retry(false)) return true;
    this.tr = Date.now() - this.startedAt;
    this.waitingForServer = false;
    this.status = head.status;
    this.response = head;
    // An HTTP/2 client's stream is reset for a status it cannot be sent (h2.ts): logged as HAProxy logs that reset.
    if (this.request.versionMajor === 2 && !h2SendsFinalStatus(head.status) && head.status !== 101) this.termination = 'CD';
    const framing = fieldsFraming(head.headers);
    this.bodyFraming = head.versionMajor === 2 || head.framed ? 'length' : framing;
    const transferEncoding = framing === 'chunked';
    // A Content-Length beside a Transfer-Encoding is dropped as HAProxy's H1 parser drops it
    // (RFC 9112 §6.3: the encoding frames the body): captures, rules, logs and the client never see it.
    if (transferEncoding) {
      const length = head.headers.length;
      deleteHeader(head.headers, 'content-length');
      // A server that said both is not trusted with another request (HAProxy's H1 mux closes its connection).
      if (head.headers.length !== length) this.framingClose = true;
    }
    this.responseCaptures = captureMessage(this.frontend.config, head.headers, true);
    // Before the response rules edit the headers, as HAProxy counts it (htx-size.ts).
    this.headBytesOut += htxHeadSize(HTX_VERSION, statusCode(head.status), head.reason, head.headers)
      + (transferEncoding ? (head.versionMajor === 2 || head.framed ? -H2_CHUNKED_FRAMING : END_OF_TRAILERS) : 0);
    // `observe layer7`: 5xx answers count as errors, except 501 and 505 (HAProxy's rule).
    const failed = head.status >= 500 && head.status !== 501 && head.status !== 505;
    this.server?.check?.observe('layer7', !failed, `HTTP status ${head.status}`);
    responseReceived(this, head.status);
    // Decided on the server's head as it came, before the rules (HAProxy's post-analyzer of AN_RES_WAIT_HTTP).
    const compressing = this.compression !== undefined && responseCompressible(this.frontend.compression, this.backend!.compression, this.request, head);
    // From now on it names the algorithm compressing this response, if any (res.comp, res.comp_algo).
    if (!compressing) this.compression = undefined;
    // The stick store rules run before the http-response rules (AN_RES_STORE_RULES comes first).
    const stick = this.backend!.stick;
    // A `dispatch` address is no server: nothing is stored for it.
    if (stick && this.server && !this.server.dispatch) stick.onResponse(this.sampleContext(), this.stickRequest, this.server);
    return this.relayResponseHead(head, compressing);
  }

  /**
   * The response rules on a final response head (the server's, or a cache's), then the head as it
   * goes to the client, held until the end of the read; true when no body follows (HEAD), 'tunnel'
   * when a tunnel does (a 2xx to CONNECT).
   */
  private relayResponseHead(head: ResponseHead, compressing: boolean, bodyComes = true): boolean | 'tunnel' {
    return this.afterResponseRules(head, compressing, this.responseRules(head, 'backend', 0), bodyComes);
  }

  /**
   * The http-response rules, the backend's then the frontend's, from rule `from` of `side`: undefined
   * (the server's answer goes on), the answer replacing it, or where they wait for its body.
   */
  private responseRules(head: ResponseHead, side: 'backend' | 'frontend', from: number): LocalAnswer | ResponseRulesPaused | undefined {
    if (side === 'backend') {
      const outcome = this.backend?.applyResponseRules(this, head, from);
      if (outcome !== undefined) return 'waitForBody' in outcome ? { ...outcome, side } : outcome;
      from = 0;
    }
    const outcome = this.frontend.applyResponseRules(this, head, from);
    return outcome !== undefined && 'waitForBody' in outcome ? { ...outcome, side: 'frontend' } : outcome;
  }

  /** What follows the response rules: a wait for the body, the answer replacing the server's, or its head on its way out. */
  private afterResponseRules(head: ResponseHead, compressing: boolean, outcome: LocalAnswer | ResponseRulesPaused | undefined, bodyComes: boolean): boolean | 'tunnel' {
    if (outcome !== undefined && 'waitForBody' in outcome) {
      // No body to wait for (a HEAD, 204, 304, an empty one, a cached object): the rules go on at once.
      if (!bodyComes || !responseHasBody(this.request.method, head)) return this.afterResponseRules(head, compressing, this.responseRules(head, outcome.side, outcome.next), bodyComes);
      return this.waitForResponseBody(head, compressing, outcome);
    }
    if (outcome) return this.replaceResponse(outcome);
    if (this.backend?.checkCache && this.upstream && blocksCacheableCookie(this.request.method, head.status, head.headers)) return this.blockCacheableCookie(head.status);
    this.backend?.applyAfterResponseRules(this, head);
    this.frontend.applyAfterResponseRules(this, head);
    this.status = head.status; // http-response set-status
    if (this.frontend.logAsap) {
      this.frontend.logEarly(this);
      this.loggedEarly = true;
    }
    if (this.persistence) this.backend!.persistence!.onResponse(this.persistence, this.server?.dispatch ? undefined : this.server, this.direct, this.request.method, head.status, head.headers, this.ignorePersist);
    const r = this.request;
    if (compressing) rewriteCompressedHead(head.headers, this.compression!);
    const noContent = head.status === 204;
    const bodyless = r.method === 'HEAD' || noContent || head.status === 304;
    // HAProxy relays the server's version (an HTTP/1.0 server's answer stays HTTP/1.0); h2.ts reads 1.1.
    const response10 = head.versionMajor === 1 && head.versionMinor === 0 && r.versionMajor === 1;
    let hasLength = false;
    /** The Content-Length the client is told (its digits). */
    let announced: string | undefined;
    let chunked = false;
    let transferEncodings = 0;
    // An HTTP/2 server's answer has no reason phrase, and HAProxy 2.6 writes none (`HTTP/1.1 200 `).
    // Status and reason as the server wrote them (an empty reason stays empty), as HAProxy's H1 mux
    // writes the start line it received; an HTTP/2 server's answer has no reason.
    let out = `HTTP/1.${response10 ? 0 : 1} ${statusCode(head.status)} ${head.reason}\r\n`;
    const h = head.headers;
    /** A rule's `close` in the Connection field: the client's connection ends after this answer, and says so. */
    let closeByRule = false;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!.toLowerCase();
      let value = h[i + 1]!;
      if (name.length === 10 && name === 'connection') {
        if (this.responseConnectionByRule && hasToken(value, 'close')) closeByRule = true;
        value = connectionValueToForward(value);
        if (value === '') continue;
      } else if (name.length === 14 && name === 'content-length') {
        // HAProxy's H1 mux writes no framing header in a 204 (h1_process_output_headers).
        if (noContent) continue;
        // Not a length, or another length than the one before (an http-response rule's doing: llhttp
        // checked the server's): left out, as HAProxy's H1 mux leaves it out; a list goes out as its last.
        const digits = contentLengthDigits(value, announced);
        if (digits === undefined) continue;
        announced ??= digits;
        value = digits;
        hasLength = true;
      } else if (name.length === 17 && name === 'transfer-encoding') {
        chunked = ++transferEncodings === 1 && isChunkedAlone(value);
        // An HTTP/2 server's answer has no such field: HAProxy's H1 mux adds it after its Connection header (below).
        if (noContent || head.versionMajor === 2 || head.framed) continue;
      } else if (name.length === 2 && name === 'te') {
        // The mux filters TE in responses too: `trailers` or nothing.
        value = teValueToForward(value);
        if (value === '') continue;
      }
      out += name + ': ' + value + '\r\n';
    }
    if (transferEncodings > 0) {
      // Any Transfer-Encoding but one `chunked` (gzip, chunked; chunked twice; xchunked; identity):
      // HAProxy 2.6 answers 502 (invalid response). llhttp would frame some of them otherwise.
      if (!chunked) return this.invalidResponse(true);
      // An HTTP/1.0 answer with Transfer-Encoding: relayed, then both connections close (HAProxy 2.6).
      if (head.versionMajor === 1 && head.versionMinor === 0) {
        this.framingClose = true;
        this.closeAfter = true;
      }
    }
    // h2 clients get names in lower case whatever the table says (h2.ts).
    const adjust = r.versionMajor === 1 ? this.frontend.caseAdjust : undefined;
    // A 2xx to CONNECT from an HTTP/1 server opens a tunnel, as after a 101 (HAProxy's H1 mux switches
    // both sides to tunnel mode): relayed as the server wrote it, no Connection header added.
    const connectTunnel = r.method === 'CONNECT' && head.status >= 200 && head.status < 300 && !this.upstream!.h2;
    if ((head.status === 101 && r.upgrade) || connectTunnel) {
      // The server's Connection: upgrade and Upgrade headers went out in place. An HTTP/2 server's
      // WebSocket answer has no Sec-WebSocket-Accept: an HTTP/1.1 client gets the one for its key.
      if (r.versionMajor === 1 && this.upstream!.h2 && isWebsocketUpgrade(h) && getHeader(h, 'sec-websocket-accept') === undefined) {
        const key = websocketKey(r.headers);
        if (key !== undefined) out += 'Sec-Websocket-Accept: ' + websocketAccept(key) + '\r\n';
      }
      out += '\r\n';
      if (adjust) out = adjustHeadCase(out, adjust);
      this.responseStarted = true;
      this.writeClient(out);
      this.startTunnel();
      return connectTunnel ? 'tunnel' : true;
    }
    const http11 = r.versionMajor > 1 || (r.versionMajor === 1 && r.versionMinor >= 1);
    // An HTTP/1.1 answer whose length is known but whose fields no longer say it (an http-response rule
    // removed its Content-Length or Transfer-Encoding) goes out chunked, as HAProxy's H1 mux sends it.
    let chunkedForLostLength = false;
    this.announcedLeft = -1;
    if (!bodyless) {
      // A chunked answer stays chunked, to HTTP/1.0 clients too, as HAProxy 2.6 relays it.
      if (chunked) this.chunkedResponse = true;
      else if (!hasLength) {
        // Delimited by the server's close: HAProxy ends the client connection after it, to HTTP/1.1
        // clients too. HTTP/2 clients get the chunked form (h2.ts decodes it into DATA frames).
        if (r.versionMajor > 1) {
          this.chunkedResponse = true;
          out += 'transfer-encoding: chunked\r\n';
        } else if (this.bodyFraming !== 'close' && head.versionMajor === 1 && head.versionMinor === 1 && !head.framed) {
          this.chunkedResponse = true;
          chunkedForLostLength = true;
        } else this.closeAfter = true;
      }
      // An HTTP/1 client's connection ends with an answer the server's close delimits, whatever length
      // it was told; and with one that says both a length and chunks (HAProxy's H1 mux: "T-E + C-L").
      if (r.versionMajor === 1 && (this.bodyFraming === 'close' || (hasLength && transferEncodings > 0))) this.closeAfter = true;
      if (hasLength) {
        this.announcedLeft = Number(announced);
        this.announcedEndsChunks = chunked && this.bodyFraming === 'chunked';
      }
    }
    if (closeByRule || !r.keepAlive || (this.client.draining && !this.client.clientEnded) || this.client.retired || this.frontend.closeClient) this.closeAfter = true;
    // HAProxy's h1_update_res_conn_value: say what differs from the versions' default.
    if (this.closeAfter) {
      if (!response10) out += 'connection: close\r\n';
    } else if (response10 || !http11) out += 'connection: keep-alive\r\n';
    if ((chunked && (head.versionMajor === 2 || head.framed) && !noContent) || chunkedForLostLength) out += 'transfer-encoding: chunked\r\n';
    this.responseStarted = true;
    this.pendingHead = adjust ? adjustHeadCase(out + '\r\n', adjust) : out + '\r\n';
    // (A rule may have made it bodyless since: set-status 204 or 304.)
    if (compressing && this.chunkedResponse) {
      const tuning = (this.backend!.compression ?? this.frontend.compression)!.zlib;
      this.compressor = new BodyCompressor(this.compression!, tuning, this.client.socket, (e) => this.internalError(e), [this.frontend.stats, this.backend!.runtime.stats]);
    }
    return r.method === 'HEAD';
  }

  /** comp_rsp: a response compressed to its end (HAProxy's comp_http_end; a TCP frontend's upgraded stream counts on the backend only). */
  private countCompressedResponse(): void {
    if (this.frontend.config.mode === 'http') this.frontend.stats.compRsp++;
    this.backend!.runtime.stats.compRsp++;
  }

  /**
   * A tcp-response content rule refused the answer: reject closes the client connection without
   * a word (haproxy 2.6.12: `-1 PD--`, %Tr -1), close ends the server connection, which the client
   * learns as a 502 (`SH--`).
   */
  private refusedByResponseRules(verdict: 'reject' | 'close'): true {
    const conn = this.upstream;
    if (verdict === 'close' && conn) {
      conn.destroy();
      this.onUpstreamError(conn, 'closed', conn.received || 1);
      return true;
    }
    this.upstream = undefined;
    conn?.destroy();
    this.waitingForServer = false;
    this.termination = 'PD';
    this.tr = -1;
    this.status = 0;
    this.abortClient();
    return true;
  }

  // ------------------------------------------------------------------ waiting for the response body

  /**
   * `http-response wait-for-body`: the head waits, the body collects (copied: the connection reads
   * into its buffers again) until it is all in, fills the buffer or reaches `at-least`; then the
   * rules run on with res.body* reading it, and what they let through goes out. At the rule's time
   * the client gets a 504 (HAProxy's abort_res; haproxy 2.6.12 logs sR).
   */
  private waitForResponseBody(head: ResponseHead, compressing: boolean, paused: ResponseRulesPaused): false {
    const room = requestBodyRoom(this.frontend.limits.headRoom, htxHeadSize(HTX_VERSION, statusCode(head.status), head.reason, head.headers), head.headers);
    const wait = new RequestBodyWait(paused.waitForBody, room, () => this.responseRules(head, paused.side, paused.next), () => this.contained(() => this.responseWaitTimedOut()));
    this.responseWait = { wait, head, compressing, chunks: [], bytes: 0 };
    return false;
  }

  private holdResponseBody(chunk: Buffer): void {
    const held = this.responseWait!;
    held.chunks.push(Buffer.from(chunk));
    held.bytes += chunk.length;
    if (held.wait.enough(held.bytes, false)) this.endResponseWait(false);
  }

  /** Enough of the body is in (`complete`: all of it): the rules run on, then the head and the body held go out. */
  private endResponseWait(complete: boolean): void {
    const held = this.responseWait!;
    this.responseWait = undefined;
    held.wait.end();
    const body = held.chunks.length === 1 ? held.chunks[0]! : Buffer.concat(held.chunks);
    this.responseBodyRead = body.length > held.wait.room ? body.subarray(0, held.wait.room) : body;
    const outcome = held.wait.resume();
    // An answer replacing the server's: HAProxy's %B counts the body it held too.
    if (outcome !== undefined && !('waitForBody' in outcome)) this.bytesOut += body.length;
    const noBody = this.afterResponseRules(held.head, held.compressing, outcome, true);
    if (this.finished || this.response === undefined) return;
    // HAProxy sends what it held as one piece (one chunk of a chunked answer).
    if (!noBody && body.length > 0) this.onResponseBody(body);
    if (!complete) this.flushHead();
  }

  /** The response body did not come in time: 504, the server connection closed (HAProxy's abort_res). */
  private responseWaitTimedOut(): void {
    if (!this.responseWait || this.finished) return;
    this.responseWait.wait.end();
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    this.response = undefined;
    // As HAProxy counts it: the server's head and the body it held.
    this.bytesOut += this.headBytesOut + this.responseWait.bytes;
    this.responseWait = undefined;
    this.tr = -1;
    this.termination = 'sR';
    this.status = 504;
    this.answerLocally(this.frontend.errorResponse(504, this.backend), false);
  }

  /**
   * http-response deny, return or redirect: the client gets this answer instead of the server's (the
   * http-after-response rules run on it), logged with %Tr -1 as HAProxy 2.6 does. The server connection
   * closes: HAProxy closes it after return and redirect, and keeps it after a deny when the server's
   * answer was whole (Loadstar does not wait for the rest of an answer it drops).
   */
  private replaceResponse(answer: LocalAnswer): true {
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    this.cacheWriter?.abort();
    this.cacheWriter = undefined;
    this.response = undefined;
    this.compression = undefined; // the answer goes out as it was built
    // HAProxy counts what it had of the server's answer in %B too: its head (and the body bytes of the same read, not counted here).
    this.bytesOut += this.headBytesOut;
    this.tr = -1;
    this.status = answer.status;
    this.termination = answer.termination ?? '--';
    this.localKind = answer.kind;
    this.respondLocally(answer.response, answer.close ?? false);
    return true;
  }

  /**
   * `option checkcache`: the server's answer is dropped for HAProxy's page of its status (its 500 page when
   * it has none), logged with the server's status, PH and %Tr -1, counted as a denied response.
   */
  private blockCacheableCookie(status: number): true {
    const backend = this.backend!;
    this.frontend.blockedCacheableCookie(backend, this.server && !this.server.dispatch ? this.server.name : '<dispatch>');
    const page = hasErrorPage(status) ? status : 500;
    return this.replaceResponse({ response: this.frontend.errorResponse(page, backend), status, termination: 'PH', kind: 'denied-response' });
  }

  /**
   * The server's answer cannot be relayed: its connection closes and the client gets HAProxy's 502.
   * `headRefused`: HAProxy's H1 mux refused the head (an unknown transfer coding, a WebSocket 101
   * without its accept key) and captured it for `show errors`, at the head's end; called from the
   * head callback, while the read is being parsed.
   */
  /**
   * After an http-request or http-response rule rewrote a head: whether it still fits HAProxy's
   * buffer (request-checks.ts rewriteOverflows), and if not, in strict mode, the 500 that ends the
   * exchange, counted as a failed rewrite (wrew) where HAProxy counts it; undefined otherwise.
   */
  rewriteFailure(head?: ResponseHead): LocalAnswer | undefined {
    if (!this.strictMode) return undefined;
    const limits = this.frontend.limits;
    const overflows = head === undefined
      ? rewriteOverflows(this.request.method.length + this.request.url.length, this.request.headers, limits)
      : rewriteOverflows(3 + head.reason.length, head.headers, limits);
    if (!overflows) return undefined;
    // The frontend's count; the backend's where the request is its (a response's; a request's in HttpBackend.runRequestRules).
    this.frontend.stats.wrew++;
    if (head !== undefined && this.backend) this.backend.runtime.stats.wrew++;
    if (head !== undefined && this.server) this.server.stats.wrew++;
    const response = this.frontend.errorResponse(500, this.backend);
    return { response, status: 500, termination: head === undefined ? 'PR' : 'PH', rewriteFailed: true };
  }

  private invalidResponse(headRefused = false): true {
    const conn = this.upstream!;
    if (headRefused && this.frontend.errorSnapshots) {
      const read = conn.currentRead();
      this.captureInvalidResponse(conn, { read, start: 0, errorAt: headEnd(read) });
    }
    conn.destroy();
    this.onUpstreamError(conn, 'invalid', conn.received || 1);
    return true;
  }

  /** The head held back by onResponseHead goes out (end of the server's read, or before anything else). */
  private flushHead(): void {
    const head = this.pendingHead;
    if (head === undefined) return;
    this.pendingHead = undefined;
    this.writeClient(head);
  }

  private onResponseBody(chunk: Buffer): void {
    if (faults.armed) faultPoint('response-body');
    if (this.responseWait) return this.holdResponseBody(chunk);
    // Stored as the server sent it, before any compression (the cache filter comes first).
    if (this.cacheWriter !== undefined) this.cacheWriter.write(chunk);
    if (this.compressor !== undefined) return this.compressBody(this.compressor, chunk);
    if (this.chunkedResponse) {
      // The chunks of one read leave as one (flushChunks at the read's end), as HAProxy's H1 mux
      // writes the data its buffer holds: `2 ab` + `3 cde` in one read go out as `5 abcde`.
      // (llhttp hands over copies: they may wait for the read's end.)
      if (this.chunkPieces === undefined) this.chunkPieces = [chunk];
      else this.chunkPieces.push(chunk);
      return;
    }
    this.sendResponseBody(chunk);
  }

  /** The chunks a read brought (onResponseBody), as one chunk: at the end of the read, or before the last chunk. */
  private flushChunks(): void {
    const pieces = this.chunkPieces;
    if (pieces === undefined) return;
    this.chunkPieces = undefined;
    this.sendResponseBody(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
  }

  /** Body bytes to the client: with the head still held back when they fit, else after it. */
  private sendResponseBody(chunk: Buffer): void {
    const left = this.announcedLeft;
    if (left >= 0) {
      if (chunk.length > left || (chunk.length === left && this.announcedEndsChunks)) return this.tooMuchPayload(chunk.length);
      this.announcedLeft = left - chunk.length;
    }
    const socket: Writable = this.client.socket;
    // Backpressure (the server paused while the client's queue is over its mark) is the server
    // connection's, decided once its read is written out (UpstreamConnection.uncorkSink).
    const head = this.pendingHead;
    if (head !== undefined && chunk.length <= MERGE_WITH_HEAD && !socket.destroyed) {
      // latin1 maps bytes to chars one to one: the body goes out byte for byte.
      this.pendingHead = undefined;
      const body = chunk.toString('latin1');
      writeHeld(socket, this.chunkedResponse ? `${head}${chunkSizeLine(chunk.length)}${body}\r\n` : head + body);
    } else if (head !== undefined) {
      // Through the stream, as the body after it: both leave in one writev.
      this.pendingHead = undefined;
      if (!socket.destroyed) socket.write(head, 'latin1');
      this.writeBodyChunk(socket, chunk, false);
    } else this.writeBodyChunk(socket, chunk, true);
    this.bytesOut += chunk.length;
  }

  /**
   * More body than the Content-Length the client was told (an http-response rule set it): HAProxy's
   * H1 mux refuses to send it ("too much payload, more than announced") and closes the client's
   * connection. What this read would have sent is dropped, the head too if it is still held: the
   * client never reads bytes past the length as a next response. Logged CD, as haproxy 2.6.12 logs it.
   */
  private tooMuchPayload(bytes: number): void {
    this.bytesOut += bytes;
    this.pendingHead = undefined;
    this.chunkPieces = undefined;
    this.termination = 'CD';
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    this.abortClient();
  }

  /** %B and bout count the body as the server sent it, before compression (haproxy 2.6.12). */
  private compressBody(compressor: BodyCompressor, chunk: Buffer): void {
    this.flushHead();
    this.bytesOut += chunk.length;
    const conn = this.upstream;
    if (compressor.write(chunk) || !conn) return;
    // Also when the connection's own client backpressure resumed it meanwhile: zlib's queue is still full.
    conn.pauseReading();
    if (this.serverWaitsForZlib) return;
    this.serverWaitsForZlib = true;
    compressor.whenDrained(() => {
      this.serverWaitsForZlib = false;
      if (this.upstream === conn) conn.resumeReading();
    });
  }

  /** `direct`: the chunk may go straight to the handle (not when it is to leave in one writev with the head before it). */
  private writeBodyChunk(socket: Writable, chunk: Buffer, direct: boolean): void {
    if (this.chunkedResponse) {
      socket.write(chunkSizeLine(chunk.length));
      socket.write(chunk);
      socket.write('\r\n');
    } else if (!direct || !this.writeDirect(socket, chunk)) socket.write(chunk);
  }

  /**
   * A big body chunk straight to a plain TCP client's handle (direct-body.ts), skipping Node's
   * Writable path; false when it must go through `socket.write`. Only from a server connection,
   * which stops reading while such a write waits; smaller chunks stay in the turn's write batch.
   */
  private writeDirect(socket: Writable, chunk: Buffer): boolean {
    const upstream = this.upstream;
    const writes = this.client.directBody;
    if (upstream === undefined || writes === undefined || chunk.length < BATCH_BYTES || !writes.usable) return false;
    // What the turn's batch holds for this socket was written before this chunk: it leaves first.
    writeNow(socket);
    const result = writes.write(chunk);
    if (result === 'stream') return false;
    if (result === 'pending') upstream.waitForDirectWrite(writes);
    return true;
  }

  /** @param trailers the trailer fields of a chunked response, relayed after its last chunk (HAProxy 2.6). */
  private onResponseComplete(trailers: string[] | undefined): void {
    // After a 101 the connection is a tunnel: llhttp's end of message means nothing more.
    if (this.upgrading) return;
    // The end of an interim (1xx) response: the final response is still to come.
    if (this.response === undefined) return;
    // The rules waited for this body: they run on with all of it, then the answer goes out, then it ends.
    if (this.responseWait) {
      this.endResponseWait(true);
      if (this.finished || this.response === undefined || this.upstream === undefined) return;
    }
    // Trailers over HAProxy's limits: an invalid response (502 if nothing went out yet; here the
    // head has, so the client connection ends without the last chunk).
    if (trailers !== undefined && trailersRefusal(trailers, this.frontend.limits) !== '') {
      this.invalidResponse();
      return;
    }
    // (An HTTP/2 server's answer has its end-of-trailers block only when it had trailers.)
    if (trailers !== undefined) this.headBytesOut += htxFieldsSize(trailers) + (this.response.versionMajor === 2 ? END_OF_TRAILERS : 0);
    this.cacheWriter?.complete();
    this.flushChunks();
    if (this.finished) return;
    const head = this.pendingHead;
    this.pendingHead = undefined;
    const compressor = this.compressor;
    let end = '';
    if (this.chunkedResponse) {
      // h2 clients: the sink reads the trailers back and sends them as a HEADERS frame (h2.ts).
      end = lastChunk(trailers, this.request.versionMajor === 1 ? this.frontend.caseAdjust : undefined);
      // A compressed body's last chunk follows zlib's tail (below).
      if (compressor !== undefined) {
        if (head !== undefined) this.writeClient(head);
      } else this.writeClient(head === undefined ? end : head + end);
    }
    else if (head !== undefined) this.writeClient(head);
    const conn = this.upstream!;
    this.upstream = undefined;
    // A parked connection must read (to notice the server closing it).
    if (this.serverWaitsForZlib) conn.resumeReading();
    const status = this.response.status;
    if ((status === 401 || status === 407) && authenticatesConnection(this.response)) {
      // NTLM/Negotiate authenticate the connection: it is this client connection's alone from now
      // on (already so with `http-reuse never`), and its next requests go to that server.
      const session = this.client.reuse;
      if (!conn.private) {
        conn.private = true;
        conn.owner = session;
      }
      if (session) session.preferLast = true;
    }
    // Reusable only if the server keeps it open (llhttp read Connection / the HTTP version),
    // the whole request was sent, and the response was not ended by closing.
    // A `connection: close` in the trailers ends it too: llhttp refuses its next response (HAProxy 2.6 reuses it).
    const reuse = !this.serverClose() && this.requestDone && !conn.dead && this.response!.keepAlive && !conn.socket.readableEnded && !trailersClose(trailers);
    conn.detach(reuse, this.backend!.timeouts.server || 30_000);
    if (compressor === undefined) return this.finish();
    // The exchange ends once zlib's tail has gone out (the next pipelined answer waits for it).
    compressor.end(() => {
      try {
        this.countCompressedResponse();
        this.writeClient(end);
        this.finish();
      } catch (e) {
        this.internalError(e);
      }
    });
  }

  /**
   * A response llhttp refused goes to the backend's error snapshot (`show errors`) with this stream's
   * frontend, its server and its client, as HAProxy's H1 mux captures it (h1_capture_bad_message),
   * whatever follows (a 502, a retry, the end of a response already started). Error path only.
   */
  private captureInvalidResponse(conn: UpstreamConnection, captured: CapturedRead): void {
    const backend = this.backend;
    // An HTTP/2 or FastCGI server's answer reaches llhttp rewritten as HTTP/1.1 text (h2-upstream.ts,
    // fcgi-upstream.ts): not the server's bytes. HAProxy's H2 mux captures nothing either.
    if (this.finished || !backend || conn.h2 || conn.fcgi) return;
    const server = conn.server.dispatch ? undefined : conn.server;
    this.frontend.errorSnapshots?.captureResponse(backend.name, this.frontend.name, server, this.client.transport, captured);
  }

  private onUpstreamError(conn: UpstreamConnection, failure: 'closed' | 'invalid' | 'error' | 'stale', bytes: number): void {
    if (this.finished) return;
    this.upstream = undefined;
    // A connection its server had broken before this request took it: HAProxy would not have used it.
    // The request goes to another one when that is safe (nothing of its body read yet, a method that may be repeated).
    if (failure === 'stale' && IDEMPOTENT.has(this.request.method) && this.bytesIn === 0) return this.connect();
    const reason = failure === 'stale' ? 'closed' : failure;
    if (this.responseStarted && !this.headOnlyHeld(reason)) {
      this.termination = 'SD';
      // A server that ended the connection: what it sent before still reaches the client (held for
      // the turn's end, write-batch.ts). An invalid read's own bytes are dropped with the connection.
      return this.abortClient(reason !== 'invalid');
    }
    const l7 = this.replayable ? this.backend!.runtime.retryPlan.l7 : undefined;
    if (l7 && (reason === 'invalid' ? l7.junkResponse : l7.emptyResponse) && this.l7Retry(reason === 'invalid')) return;
    // Not the client connection's first request, and the server closed before a byte of its answer
    // (HAProxy's abort_keep_alive): the client connection closes with no answer and no log line, so
    // that the client sends the request again, as it does when a kept-alive connection it reuses was
    // closed. Nothing is sent to a server again here: the client may have gone already.
    // (An HTTP/2 client's streams are each their own: HAProxy sets TX_NOT_FIRST on HTTP/1 connections only.)
    if (bytes === 0 && reason !== 'invalid' && this.notFirst && this.request.versionMajor === 1) {
      this.logSilent = true;
      return this.abortClient();
    }
    this.termination = reason === 'invalid' ? 'PH' : 'SH';
    conn.server.check?.observe(reason === 'invalid' ? 'layer7' : 'layer4', false, reason === 'invalid' ? 'invalid response' : 'connection closed before the response');
    this.backend!.responseError(this);
    this.fail(502);
  }

  /**
   * An invalid response whose head is still held back (it came in the same read as the bytes that
   * broke the framing, a bad chunk size …): nothing of it reached the client, so it is dropped and
   * the client gets the 502 (PH), as from HAProxy 2.6, whose parser fails the whole read before
   * anything is forwarded. Aborting the client instead ended its connection with no answer at all
   * while the log said 200.
   */
  private headOnlyHeld(reason: 'closed' | 'invalid' | 'error'): boolean {
    if (reason !== 'invalid' || this.pendingHead === undefined) return false;
    this.pendingHead = undefined;
    this.responseStarted = false;
    this.chunkedResponse = false;
    this.chunkPieces = undefined;
    // No complete answer came: %Tr is -1 (HAProxy: `0/0/0/-1/1 502 209 - - PH--`).
    this.tr = -1;
    this.response = undefined;
    this.compression = undefined;
    this.compressor?.close();
    this.compressor = undefined;
    this.cacheWriter?.abort();
    this.cacheWriter = undefined;
    return true;
  }

  private onServerTimeout(): void {
    if (this.finished) return;
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    if (this.responseStarted) {
      this.termination = 'sD';
      return this.abortClient();
    }
    if (this.replayable && this.backend!.runtime.retryPlan.l7?.responseTimeout && this.l7Retry(false)) return;
    this.termination = 'sH';
    this.server?.check?.observe('layer7', false, 'server timeout');
    this.fail(504);
  }

  // ------------------------------------------------------------------ tunnels (WebSocket, CONNECT)

  private startTunnel(): void {
    const conn = this.upstream!;
    this.upstream = undefined;
    this.upgrading = true;
    // A tunnel now, no longer an HTTP connection of its pool (never parked again).
    conn.leavePool();
    const server = conn.socket;
    // HTTP/1: the connection itself; HTTP/2: the request's stream (extended CONNECT, RFC 8441).
    const client = (this.client.tunnelEnd?.() ?? this.client.transport) as net.Socket;
    conn.tunnelRest = (rest) => client.write(rest);
    server.removeAllListeners('data');
    server.removeAllListeners('end');
    server.removeAllListeners('close');
    server.removeAllListeners('error');
    server.removeAllListeners('timeout');
    client.removeAllListeners('timeout');
    client.removeAllListeners('data');
    const rest = this.client.upgradeRest?.();
    if (rest) server.write(rest);
    const timeout = this.tunnelTimeout ?? (this.backend!.timeouts.tunnel || this.serverTimeout || this.backend!.timeouts.server);
    this.tunnelServer = server;
    const end = (): void => {
      if (this.client.closeTunnel) this.client.closeTunnel();
      else client.destroy();
      server.destroy();
      try {
        this.finish();
      } catch (e) {
        this.internalError(e);
      }
    };
    for (const [from, to] of [[client, server], [server, client]] as const) {
      from.on('data', (d: Buffer) => {
        try {
          if (faults.armed) faultPoint('tunnel');
          if (from === server) this.bytesOut += d.length;
          else this.bytesIn += d.length;
          if (!to.write(d)) {
            from.pause();
            to.once('drain', () => from.resume());
          }
        } catch (e) {
          this.internalError(e);
        }
      });
      from.on('end', () => {
        writeNow(to);
        to.end();
      });
      from.on('error', end);
      from.on('close', end);
      if (timeout > 0) from.setTimeout(timeout, end);
    }
    // Reading may have paused while the upgrade's answer was awaited.
    client.resume();
  }

  /** The server side of a tunnel (after a 101), closed with the exchange. */
  private tunnelServer: net.Socket | undefined;
  /** The Sec-WebSocket-Key made up for an HTTP/2 client's WebSocket to an HTTP/1.1 server (websocket.ts). */
  private madeWebsocketKey: string | undefined;

  // ------------------------------------------------------------------ endings

  private writeClient(data: string | Buffer): void {
    const socket: Writable = this.client.socket;
    if (socket.destroyed) return;
    if (typeof data === 'string') writeHeld(socket, data);
    else socket.write(data);
  }

  /**
   * `http-request tarpit`: the answer waits `ms`, as HAProxy holds a tarpitted request; the wait
   * shows in the log as %Tw, and %TR is -1 (haproxy 2.6.12: `-1/404/-1/-1/403 500 … PT--`).
   */
  private tarpit(ms: number, response: Buffer, close: boolean): void {
    this.tarpitted = true;
    const timer = setTimeout(() => {
      this.cancelWait = undefined;
      this.tw = Date.now() - this.startedAt;
      try {
        this.respondLocally(response, close);
      } catch (e) {
        this.internalError(e);
      }
    }, ms);
    this.cancelWait = () => void clearTimeout(timer);
  }

  /**
   * A cache-use rule found the object (HAProxy's cache applet, logged as server `<CACHE>`): no server
   * is contacted, the stored head and body go through the response rules as a server's would. A hit
   * of the frontend's rules never chose a backend; HAProxy counts it as intercepted then.
   */
  private serveFromCache(): void {
    const hit = this.cache!.hit!;
    if (!this.backend || this.backend.config === this.frontend.config) this.localKind = 'intercepted';
    this.termination = 'LR';
    this.applet = '<CACHE>';
    this.tw = this.tc = this.tr = 0;
    const head = hitHead(hit);
    this.bodyFraming = fieldsFraming(head.headers) === 'chunked' ? 'chunked' : 'length';
    // As for Loadstar's own answers: a request body not all in yet closes the connection after the answer.
    const r = this.request;
    if (!this.requestDone && r.versionMajor === 1 && (this.chunkedRequest || hasBody(r.headers))) this.closeAfter = true;
    this.status = head.status;
    this.response = head;
    this.responseCaptures = captureMessage(this.frontend.config, head.headers, true);
    this.headBytesOut += htxHeadSize(HTX_VERSION, statusCode(head.status), head.reason, head.headers);
    // The compression filter comes after the cache's: a stored object is compressed on its way out.
    const fe = this.frontend.compression;
    const be = this.backend?.compression;
    if (fe !== undefined || be !== undefined) this.compression = chooseAlgorithm(fe, be, this.request.headers);
    const compressing = this.compression !== undefined && responseCompressible(fe, be, this.request, head);
    if (!compressing) this.compression = undefined;
    // A cached object's body is not read by the response rules: a wait-for-body goes on at once.
    const bodyless = this.relayResponseHead(head, compressing, false);
    if (this.finished || this.response === undefined) return;
    if (!bodyless && head.status !== 304 && head.status !== 204) {
      for (const chunk of hit.object.body) {
        this.onResponseBody(chunk);
        if (this.finished) return;
      }
    }
    this.flushChunks();
    if (this.finished) return;
    const pending = this.pendingHead;
    this.pendingHead = undefined;
    const end = this.chunkedResponse ? lastChunk(undefined, this.request.versionMajor === 1 ? this.frontend.caseAdjust : undefined) : '';
    const compressor = this.compressor;
    if (compressor === undefined) {
      if (pending !== undefined || end !== '') this.writeClient((pending ?? '') + end);
      return this.finish();
    }
    if (pending !== undefined) this.writeClient(pending);
    compressor.end(() => {
      try {
        this.countCompressedResponse();
        this.writeClient(end);
        this.finish();
      } catch (e) {
        this.internalError(e);
      }
    });
  }

  /** Answer produced by Loadstar itself (rules, errors). */
  respondLocally(response: Buffer, close: boolean): void {
    if (this.finished) return;
    const r = this.request;
    if (!this.requestDone && r.versionMajor === 1 && (this.chunkedRequest || hasBody(r.headers))) {
      // HAProxy's H1 mux closes the connection after its own answer to a request whose body is not
      // all in (h1_process_output_headers: a proxy response while the request is not done), where
      // Loadstar read the rest and kept the connection. What came in the same read counts as in
      // (HAProxy parses a whole read before answering): an answer decided at the head waits for
      // the end of the read (client.ts).
      const answer = (): void => this.answerLocally(response, close || !this.requestDone);
      if (!this.client.atReadEnd?.(answer)) answer();
      return;
    }
    this.answerLocally(response, close);
  }

  /** `uncountedHeadBytes`: header bytes HAProxy counts that htxSizeOfAnswer leaves out (a Connection: close it wrote itself). */
  private answerLocally(response: Buffer, close: boolean, uncountedHeadBytes = 0): void {
    if (this.finished) return;
    this.responseStarted = true;
    response = renderAnswer(response, this);
    const r = this.request;
    let counted = response;
    if (this.frontend.afterResponseRulesFor(this.backend)) {
      const rewritten = this.afterResponseRulesOnAnswer(response);
      counted = rewritten.counted;
      // HAProxy's H1 mux sends nothing of an answer whose body is longer than the length the rules left.
      if (rewritten.answer === undefined) {
        this.headBytesOut = htxSizeOfAnswer(counted) + uncountedHeadBytes;
        return this.abortClient();
      }
      response = rewritten.answer;
      if (rewritten.close) close = true;
    }
    // HAProxy counts the answer as it built it: no Connection header yet (its mux adds that one), no body to a HEAD.
    this.headBytesOut = htxSizeOfAnswer(r.method === 'HEAD' ? headOnly(counted) : counted) + uncountedHeadBytes;
    // An errorfile may be an HTTP/1.0 message: closing needs no header there, keeping the connection does.
    const http10Answer = response.subarray(0, 8).toString('latin1') === 'HTTP/1.0';
    // A 2xx to CONNECT opens a tunnel, with nothing behind this answer: HAProxy's H1 mux writes no
    // Connection header there, and the connection ends with the answer.
    if (r.method === 'CONNECT' && response[9] === 0x32) this.closeAfter = true;
    else if (close || !r.keepAlive || (this.client.draining && !this.client.clientEnded) || this.client.retired || this.frontend.closeClient || answerCloses(response)) {
      this.closeAfter = true;
      if (!http10Answer) response = withConnectionHeader(response, CONNECTION_CLOSE);
    } else if ((r.versionMajor === 1 && r.versionMinor === 0) || http10Answer) response = withConnectionHeader(response, CONNECTION_KEEP_ALIVE);
    // The answer to a HEAD request is its head alone, as HAProxy sends it (a body would be read as the next answer).
    if (r.method === 'HEAD') response = headOnly(response);
    const adjust = r.versionMajor === 1 ? this.frontend.caseAdjust : undefined;
    if (adjust) response = adjustAnswerCase(response, adjust);
    this.writeClient(response);
    // The rest of the request body, if any, is read and dropped by the parser.
    this.finish();
  }

  /** http-after-response rules on an answer Loadstar built (a deny, a redirect, an error page …). */
  private afterResponseRulesOnAnswer(response: Buffer): RewrittenAnswer {
    return rewriteAnswerHead(response, (head) => {
      // The rules' response fetches (status, res.hdr …) read this answer.
      const proxied = this.response;
      this.response = head;
      try {
        this.backend?.applyAfterResponseRules(this, head);
        this.frontend.applyAfterResponseRules(this, head);
      } finally {
        this.response = proxied;
      }
      this.status = head.status;
    }, this.request.method === 'HEAD');
  }

  /** `tooLarge`: the body outgrew the request buffer; the answer is given without it. */
  private answerWithBody(tooLarge = false): void {
    const answer = this.bodyAnswer!(tooLarge ? undefined : Buffer.concat(this.pendingBody));
    this.bodyAnswer = undefined;
    this.pendingBody = [];
    this.status = answer.status;
    this.termination = answer.termination ?? '--';
    this.respondLocally(answer.response, answer.close ?? false);
  }

  /**
   * The request turned out invalid after it was routed (its trailers): what was sent to the server
   * is abandoned and the client gets `status` with the connection closed, or, if the server's
   * answer has begun, its connection ends.
   */
  refuse(status: number): void {
    if (this.finished) return;
    this.cancelWait?.();
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    this.termination = 'PR';
    if (this.responseStarted) return this.abortClient();
    this.fail(status);
  }

  /**
   * More request body than the Content-Length the server was told (an http-request rule set it):
   * HAProxy's H1 mux refuses to send it. The server connection closes (what this turn would have sent
   * it is dropped) and the client gets a 500, logged IH, as from haproxy 2.6.12.
   */
  private requestTooLong(): void {
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    this.termination = 'IH';
    if (this.responseStarted) return this.abortClient();
    this.fail(500);
  }

  fail(status: number): void {
    this.status = status;
    this.respondLocally(this.frontend.errorResponse(status, this.backend), status === 400 || status === 408);
  }

  /** http-request reject / silent-drop: the connection ends without an answer. */
  private dropClient(how: 'close' | 'reset'): void {
    this.closeAfter = true;
    this.dropped = true;
    const socket = this.client.socket;
    if (how === 'reset' && this.client.silence) this.client.silence();
    else if (how === 'reset' && 'resetAndDestroy' in socket) socket.resetAndDestroy();
    else socket.destroy();
    this.finish();
  }

  /** @param flushHeld write what this turn relayed to the client first (write-batch.ts), instead of dropping it. */
  private abortClient(flushHeld = false): void {
    this.closeAfter = true;
    if (flushHeld) writeNow(this.client.socket);
    this.client.socket.destroy();
    this.finish();
  }

  /** The client went away or the connection is being torn down. */
  /**
   * The client reset its connection (closed it without a FIN). HAProxy 2.6 goes on waiting for the
   * answer to a request it has sent, even with `option abortonclose` (which drops queued and
   * connecting requests only: abandonedByClient, asked first), and logs the server's status with CD. Returns true when this
   * exchange lives on without its client, waiting for that answer.
   */
  outlivesClientReset(): boolean {
    if (this.finished || !this.waitingForServer || !this.requestDone || this.upgrading) return false;
    this.clientGone = true;
    return true;
  }

  /**
   * `option abortonclose`: a client that closed its side (a FIN, or a reset) while its request
   * waits in the queue or for its server connection gives the request up there, as HAProxy 2.6
   * does (logged CQ or CC, status -1). Without the option, or once the request is on its way, it
   * is served. Returns true when the exchange ended here.
   */
  abandonedByClient(): boolean {
    if (this.finished || this.upstream || !this.waitingForServer) return false;
    if (!this.backend?.config.options['abortonclose']?.enabled) return false;
    if (!this.slotHeld) {
      this.tw = Date.now() - this.startedAt;
      this.queued = this.cancelWait?.() ?? this.queued;
    }
    this.abort(this.slotHeld ? 'CC' : 'CQ');
    return true;
  }

  /** How an exchange ended by its client's reset is logged: CD in the middle of a body, as HAProxy; else a client abort as before. */
  get resetTermination(): TerminationState {
    return this.responseStarted || !this.requestDone ? 'CD' : 'cD';
  }

  /** The server's answer to a client that reset its connection: logged and counted as HAProxy does, not sent. */
  private answerForNobody(head: ResponseHead): true {
    this.tr = Date.now() - this.startedAt;
    this.status = head.status;
    this.response = head;
    this.headBytesOut += htxHeadSize(HTX_VERSION, statusCode(head.status), head.reason, head.headers);
    responseReceived(this, head.status);
    this.abort('CD');
    return true;
  }

  abort(termination: TerminationState): void {
    if (this.finished) return;
    if (this.termination === '--') this.termination = termination;
    this.cancelWait?.();
    const conn = this.upstream;
    this.upstream = undefined;
    // A response still in flight makes the server connection unusable.
    conn?.destroy();
    this.tunnelServer?.destroy();
    this.finish();
  }

  /** An exception escaped while serving this exchange: its client connection closes (client.ts decides the answer). */
  internalError(error: unknown): void {
    this.client.internalError(error);
  }

  /**
   * Ends the exchange because of an internal error: logged with status 500 when no response had
   * started, and HAProxy's 'I' (internal error) termination state with the phase it happened in.
   */
  abortInternal(): void {
    if (this.finished) return;
    if (!this.responseStarted) this.status = 500;
    // What was relayed so far still reaches the client before its connection ends.
    else this.flushHead();
    this.termination = `I${this.responseStarted ? 'D' : this.upstream ? 'H' : this.server ? 'C' : 'R'}`;
    this.abort(this.termination);
  }

  private releaseSlot(): void {
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.server!.sessions?.delete(this);
    this.backend!.runtime.release(this.server!);
  }

  /** `shutdown sessions server`: this exchange holds a slot on `server` (HAProxy's srv->streams; a queued one does not). */
  usesServer(server: RuntimeServer): boolean {
    return this.slotHeld && !this.finished && this.server === server;
  }

  /**
   * The server went down (`on-marked-down shutdown-sessions`, 'D'), an active one came up while
   * this one is a backup (`on-marked-up shutdown-backup-sessions`, 'U') or the runtime API said
   * `shutdown sessions server` ('K', HAProxy's SF_ERR_KILLED): HAProxy's stream_shutdown.
   * Waiting for the response head, the client gets a 502 and keeps its connection (DH); a response
   * or tunnel under way is cut (DD) — haproxy 2.6.12, test/proxy/runtime/on-marked.test.ts.
   */
  shutdown(why: ShutdownCause): void {
    if (this.finished) return;
    const conn = this.upstream;
    this.upstream = undefined;
    conn?.destroy();
    if (this.responseStarted || this.tunnelServer) {
      this.termination = `${why}D`;
      this.tunnelServer?.destroy();
      return this.abortClient();
    }
    this.termination = `${why}${conn ? 'H' : 'C'}`;
    this.fail(502);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.waitingForServer = false;
    this.cancelWait?.();
    this.bodyWait?.end();
    this.responseWait?.wait.end();
    this.compressor?.close();
    // A body not stored whole is not kept.
    this.cacheWriter?.abort();
    this.releaseSlot();
    this.frontend.transactionFinished(this);
    if (!this.upgrading) this.client.transactionDone(this, !this.closeAfter);
  }
}

/**
 * HAProxy 2.6's rule (http_wait_for_response): a 401 with a WWW-Authenticate, or a 407 with a
 * Proxy-Authenticate, one of whose comma-separated values begins with "NTLM" or "Nego" (any case:
 * NTLM, Negotiate, Nego2) makes the server connection private to its client connection.
 */
function authenticatesConnection(head: ResponseHead): boolean {
  const wanted = head.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i]!.length !== wanted.length || h[i]!.toLowerCase() !== wanted) continue;
    for (const value of h[i + 1]!.split(',')) {
      const scheme = value.trimStart().slice(0, 4).toLowerCase();
      if (scheme === 'ntlm' || scheme === 'nego') return true;
    }
  }
  return false;
}

/**
 * An interim answer's headers as the final one's go out: names in lower case, Connection's
 * close/keep-alive tokens removed, TE as `trailers` or not at all, and no Content-Length or
 * Transfer-Encoding (HAProxy's H1 mux skips them below 200).
 */
function interimHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    let value = headers[i + 1]!;
    if (name === 'content-length' || name === 'transfer-encoding') continue;
    if (name === 'connection') value = connectionValueToForward(value);
    else if (name === 'te') value = teValueToForward(value);
    else {
      out.push(name, value);
      continue;
    }
    if (value !== '') out.push(name, value);
  }
  return out;
}

/** A request head announces a body: chunked (checked by the caller) or a Content-Length above 0. */
function hasBody(headers: readonly string[]): boolean {
  const length = getHeader(headers as string[], 'content-length');
  return length !== undefined && Number(length) > 0;
}

/** Trailer fields hold a Connection field with the `close` token (llhttp then ends the connection after the message). */
export function trailersClose(trailers: readonly string[] | undefined): boolean {
  if (trailers === undefined) return false;
  for (let i = 0; i < trailers.length; i += 2) {
    const name = trailers[i]!;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    if (trailers[i + 1]!.split(',').some((t) => t.trim().toLowerCase() === 'close')) return true;
  }
  return false;
}

/**
 * A local answer says whether the client connection stays open, as HAProxy's H1 mux writes it
 * (`connection: close`, or `keep-alive` to an HTTP/1.0 client, last in the head), unless its head
 * already has a Connection header.
 */
function withConnectionHeader(response: Buffer, header: Buffer): Buffer {
  const end = response.indexOf('\r\n\r\n');
  if (end < 0) return response;
  if (/\r\nconnection:/i.test(response.toString('latin1', 0, end + 2))) return response;
  return Buffer.concat([response.subarray(0, end + 2), header, response.subarray(end + 2)]);
}

/** How an HTTP/1 answer's fields frame its body: chunks (a Transfer-Encoding), a length, or neither (the server's close). */
function fieldsFraming(h: readonly string[]): 'length' | 'chunked' | 'close' {
  let framing: 'length' | 'chunked' | 'close' = 'close';
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return 'chunked';
    if (name.length === 14 && name.toLowerCase() === 'content-length') framing = 'length';
  }
  return framing;
}

/** What the Transfer-Encoding fields of a request say so far: whether its last coding is `chunked`, and whether one was. */
interface RequestCodings { chunked: boolean; sawChunked: boolean }

/**
 * One more Transfer-Encoding field of a request, read as HAProxy 2.6's h1_parse_xfer_enc_header
 * reads it when its H1 mux writes the field: the body is chunked when the last coding is `chunked`;
 * `chunked` twice, or a coding after it, stops the reading with no chunking (an empty element
 * between commas is a coding, a blank end is not).
 */
function readRequestCodings(value: string, before: RequestCodings | undefined): RequestCodings {
  const state = before ? { ...before } : { chunked: false, sawChunked: false };
  const words = value.split(',');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.trim();
    if (word === '' && i === words.length - 1) break;
    state.chunked = false;
    if (state.sawChunked) break;
    if (word.toLowerCase() === 'chunked') state.chunked = state.sawChunked = true;
  }
  return state;
}

/** A Transfer-Encoding value that is `chunked` alone (any case, blanks around): the one HAProxy 2.6 relays. */
function isChunkedAlone(value: string): boolean {
  const v = value.length === 7 ? value : value.trim();
  return v.length === 7 && v.toLowerCase() === 'chunked';
}

/** A local answer's head with h1-case-adjust applied, its body unchanged. */
function adjustAnswerCase(response: Buffer, adjust: CaseAdjust): Buffer {
  const end = response.indexOf('\r\n\r\n');
  if (end < 0) return response;
  const head = adjustHeadCase(response.toString('latin1', 0, end + 4), adjust);
  return Buffer.concat([Buffer.from(head, 'latin1'), response.subarray(end + 4)]);
}

function headOnly(response: Buffer): Buffer {
  const end = response.indexOf('\r\n\r\n');
  return end < 0 ? response : response.subarray(0, end + 4);
}

const CONNECTION_CLOSE = Buffer.from('connection: close\r\n');
const CONNECTION_KEEP_ALIVE = Buffer.from('connection: keep-alive\r\n');

/** A final response with a body to wait for: not to a HEAD, not 204 / 304, not announced empty. */
function responseHasBody(method: string, head: ResponseHead): boolean {
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return false;
  const length = getHeader(head.headers, 'content-length');
  return length === undefined || Number(length) > 0;
}
