/**
 * A frontend (or listen section) in HTTP mode, compiled from the configuration:
 * request rules, backend switching, error pages, logging — and the backends it
 * can reach, each with its own rules, timeouts and server connection pools.
 */
import { compilePersistRules, type PersistVerdict } from '../runtime/persist-rules.ts';
import { readsServerConnection } from '../runtime/backend-conn.ts';
import { LOG_ALERT } from '../runtime/syslog.ts';
import type { GlobalSettings, Proxy } from '../config/model.ts';
import type { ErrorSnapshots } from '../runtime/error-snapshots.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { hashesRequests, type LbRequest } from '../balance/index.ts';
import { MAX_SESSION_IDLE, ServerPool } from './upstream.ts';
import type { ServerTls } from '../tls/server-tls.ts';
import type { ResponseHead, ReuseMode } from './upstream.ts';
import { compileRequestRules, compileResponseRules, compileRedirectRules, runRequestRules, runResponseRules, withHeaderNameRestriction } from './rules.ts';
import { compileConnectionRules, compileSessionRules, endRefusedSession } from '../tcp/rules.ts';
import type { SessionRules } from '../tcp/rules.ts';
import { compileHttpContentRules } from './content-rules.ts';
import type { HttpContentRules } from './content-rules.ts';
import { compileServerRules } from '../runtime/server-rules.ts';
import type { ServerChoice } from '../runtime/server-rules.ts';
import type { ConnectionRules } from '../tcp/rules.ts';
import type { BodyWait, LocalAnswer, RulesPaused } from './rules.ts';
import { compileTxCondition, compileTxFormat, plainAddress } from './samples.ts';
import { compileMonitor } from './monitor.ts';
import type { MonitorCheck } from './monitor.ts';
import { getHeader, caseAdjustFor } from './headers.ts';
import type { CaseAdjust } from './headers.ts';
import type { TxPredicate } from './samples.ts';
import { MapVarStore } from '../acl/index.ts';
import type { VarMap } from '../acl/index.ts';
import type { EngineHooks, Sample, SampleContext } from '../acl/index.ts';
import { builtinResponse, loadErrorPage } from './error-pages.ts';
import { forwardedForHeader, compileForwardFor, compileOriginalTo } from './forwardfor.ts';
import { compileUniqueId } from './unique-id.ts';
import { h2ConnectionAccepted, h2StreamAccept } from './stream-times.ts';
import { handshakeTime } from '../tls/handshake-time.ts';
import type { UniqueIdFormat } from './unique-id.ts';
import type net from 'node:net';
import type tls from 'node:tls';
import type { HttpTransaction, TransactionClient } from './transaction.ts';
import { ClientConnection } from './client.ts';
import { H2Connection } from './h2.ts';
import { h2Servers, serverMux } from './h2-upstream.ts';
import type { FcgiBackend } from './fcgi-upstream.ts';
import type { H2ServerSettings } from './h2-upstream.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ExchangeRecord, Frontend, OpenConnection, StreamTarget } from '../runtime/exchange.ts';
import { recordServer, recordTarget } from '../runtime/exchange.ts';
import { nextStreamNumber, processConnections } from '../runtime/exchange.ts';
import { StatCounters } from '../runtime/counters.ts';
import { CookiePersistence } from './persistence.ts';
import { DEFAULT_REQUEST_LIMITS } from './request-checks.ts';
import type { RequestLimits } from './request-checks.ts';
import { compileStatsAccess } from './local-services.ts';
import type { LocalServices } from './local-services.ts';
import { faults, faultPoint, internalErrorAlert } from '../runtime/faults.ts';
import { exchangeEnded, requestParsed } from '../stick/http.ts';
import { existingSessionCounters } from '../stick/tracking.ts';
import { StickPersistence } from '../stick/persistence.ts';
import { compileCompression } from './compression.ts';
import { compileHttpResponseInspection } from './response-inspection.ts';
import { rulesReadRequestBody } from './body-wait.ts';
import type { HttpResponseInspection } from './response-inspection.ts';
import type { ProxyCompression } from './compression.ts';
import { keepsRequestLine } from '../config/request-line-kept.ts';

/**
 * Where a request goes: a backend's servers, an answer of the frontend's own, or an answer the
 * backend side gave (its rules, stats page or redirect), which HAProxy logs and counts as the
 * backend's and runs the backend's http-after-response rules on.
 */
/**
 * `cached`: a cache-use rule found the object (the frontend's rules: no backend chosen).
 * `waitForBody`: the rules wait for the request body (`backend`: on the backend's side), then `resume`.
 */
export type Decision = { backend: HttpBackend; answer?: LocalAnswer } | { backend: HttpBackend | undefined; cached: true } | BodyWaitDecision | LocalAnswer;
export interface BodyWaitDecision {
  readonly waitForBody: BodyWait;
  readonly backend?: HttpBackend;
  readonly resume: () => Decision;
}

/** `option http-buffer-request` of a proxy: a wait for the whole body, as long as its `timeout http-request` (0: no timer). */
function bufferRequestOf(config: Proxy): BodyWait | undefined {
  if (!config.options['http-buffer-request']?.enabled) return undefined;
  return { timeMs: config.timeouts['http-request'] ?? 0, atLeast: 0 };
}

export class HttpBackend {
  readonly name: string;
  readonly timeouts: { connect: number; server: number; tunnel: number };
  private readonly pools = new Map<RuntimeServer, ServerPool>();
  private readonly requestRules;
  /** `redirect` lines of a backend, or of a listen reached as another frontend's backend. */
  private readonly redirectRules;
  private readonly responseRules;
  private readonly afterResponseRules;
  /** The backend's `tcp-request content` rules (run when a frontend switched to it; a listen section's own run as its frontend's). */
  readonly contentRules: HttpContentRules | undefined;
  private readonly serverChoice: ServerChoice<HttpTransaction> | undefined;
  private readonly errorfiles: Map<number, Buffer>;
  readonly forwardFor;
  /** `option originalto` of the backend (the transaction also reads its frontend's). */
  readonly originalTo;
  /** `http-send-name-header`: the request to a server names it in this header (lower case). */
  readonly sendNameHeader: string | undefined;
  /** `stats http-request` rules of the backend's stats page. */
  readonly statsAccess;
  /** `cookie` persistence of this backend (proxy/http/persistence.ts), if configured. */
  readonly persistence: CookiePersistence | undefined;
  /** `stick on|match|store-request|store-response` rules of this backend (proxy/stick/persistence.ts), if any. */
  readonly stick: StickPersistence | undefined;
  /**
   * `option http-server-close` or `option httpclose` in the backend: one request per server
   * connection (HAProxy takes the server side's mode from the frontend's and the backend's options;
   * a backend's httpclose leaves the client connection keep-alive).
   */
  readonly serverClose: boolean;
  /**
   * `option http-pretend-keepalive`: a request sent on a connection that closes after it does not
   * say `connection: close` (HTTP/1.1) and says `connection: keep-alive` (HTTP/1.0), so that the
   * server keeps chunked encoding; the connection still closes after the response (HAProxy's
   * PR_O2_FAKE_KA, h1_update_req_conn_value).
   */
  readonly pretendKeepalive: boolean;
  /** `force-persist` / `ignore-persist` rules; undefined without. */
  private readonly persistRules: ((tx: HttpTransaction) => PersistVerdict) | undefined;
  /** `option h1-case-adjust-bogus-server`: the global h1-case-adjust table for requests to servers. */
  readonly caseAdjust: CaseAdjust | undefined;
  /** `http-reuse` (default `safe`): which idle server connections a request may take (upstream.ts). */
  readonly reuseMode: ReuseMode;
  /**
   * `option prefer-last-server`: a request goes to the server of an idle connection its client
   * connection owns (HAProxy 2.6: with `http-reuse never`, the only one where it owns any), even when full (it waits
   * in that server's queue), within `max-keep-alive-queue`.
   */
  readonly preferLastServer: boolean;
  /** The algorithm hashes the request: a connection's last server is never preferred (not even after NTLM). */
  readonly hashing: boolean;
  /** `max-keep-alive-queue` as ownedServer() takes it: undefined for no limit (-1, the default). */
  readonly maxKaQueue: number | undefined;
  /** `compression` lines of the backend (compression.ts); undefined without: its exchanges check nothing. */
  readonly compression: ProxyCompression | undefined;
  /** `option checkcache`: responses a cache could store with the cookie they set are blocked (cacheability.ts). */
  readonly checkCache: boolean;
  /** `option http-buffer-request` of the backend; undefined without. */
  readonly bufferRequest: BodyWait | undefined;
  /** `tcp-response content` rules (response-inspection.ts); undefined without: answers check nothing. */
  readonly responseInspection: HttpResponseInspection | undefined;

  /**
   * @param serverTls TLS settings of the `ssl` servers, by name.
   * @param global the global section (its h1-case-adjust table).
   * @param fcgi the backend's `use-fcgi-app` application, compiled (fcgi-upstream.ts); undefined without.
   */
  constructor(readonly config: Proxy, readonly runtime: RuntimeBackend, private readonly serverTls: ReadonlyMap<string, ServerTls> = new Map(), global?: GlobalSettings, readonly fcgi?: FcgiBackend) {
    this.name = config.name;
    this.checkCache = config.options['checkcache']?.enabled === true;
    const t = config.timeouts;
    this.timeouts = { connect: t.connect ?? 0, server: t.server ?? 0, tunnel: t.tunnel ?? 0 };
    this.errorfiles = loadErrorFiles(config);
    runtime.idleConnectionsStale = (server) => this.pools.get(server)?.closeAll();
    runtime.serverRemoved = (server) => {
      this.pools.get(server)?.closeAll();
      this.pools.delete(server);
    };
    this.requestRules = withHeaderNameRestriction(compileRequestRules(config.httpRequestRules, config, (s) => this.errorResponse(s)), config, (s) => this.errorResponse(s));
    this.contentRules = compileHttpContentRules(config, false);
    this.redirectRules = compileRedirectRules(config.redirectRules, config);
    this.responseRules = compileResponseRules(config.httpResponseRules, config, (s) => this.errorResponse(s));
    this.afterResponseRules = compileResponseRules(config.httpAfterResponseRules, config, undefined, true);
    this.serverChoice = compileServerRules<HttpTransaction>(config, () => runtime.servers,
      (rule) => compileTxCondition(rule.condition!, config), (rule) => compileTxFormat(compileTxFormat.parse(rule.server)));
    this.forwardFor = compileForwardFor(config);
    this.originalTo = compileOriginalTo(config);
    this.sendNameHeader = config.sendNameHeader;
    this.statsAccess = compileStatsAccess(config, (s) => this.errorResponse(s));
    this.persistence = CookiePersistence.fromConfig(config, runtime.servers);
    this.persistRules = compilePersistRules<HttpTransaction>(config, (rule) => compileTxCondition(rule.condition!, config));
    this.stick = StickPersistence.fromConfig(config, () => runtime.servers);
    this.serverClose = (config.options['http-server-close']?.enabled ?? false) || (config.options['httpclose']?.enabled ?? false);
    this.pretendKeepalive = config.options['http-pretend-keepalive']?.enabled ?? false;
    this.caseAdjust = caseAdjustFor(global, config, 'h1-case-adjust-bogus-server');
    this.reuseMode = (config.options['http-reuse']?.args[0] as ReuseMode | undefined) ?? 'safe';
    // HAProxy skips the last server for the algorithms that hash the request, whatever asked for it (assign_server).
    this.hashing = hashesRequests(runtime.config.balance.algorithm);
    this.preferLastServer = !this.hashing && (config.options['prefer-last-server']?.enabled ?? false);
    const kaQueue = config.maxKeepAliveQueue ?? -1;
    // HAProxy stores n + 1 in an int: -1 is 0 (no limit), and a value below -1 leaves no queue at all.
    this.maxKaQueue = kaQueue === -1 ? undefined : Math.max(0, kaQueue);
    this.compression = compileCompression(config, global);
    this.bufferRequest = bufferRequestOf(config);
    this.responseInspection = compileHttpResponseInspection(config);
    this.h2Servers = h2Servers(config.servers);
  }

  /** The servers spoken to over HTTP/2 (`proto h2`, `alpn h2,…`), undefined when none is. */
  private readonly h2Servers: ReadonlyMap<string, H2ServerSettings> | undefined;

  pool(server: RuntimeServer): ServerPool {
    let pool = this.pools.get(server);
    if (!pool) {
      // A server `add server` made carries its own settings; the configured ones' were built with these tables.
      const dynamic = server.config.dynamic === true;
      this.pools.set(server, (pool = new ServerPool(server, dynamic ? server.tls : this.serverTls.get(server.name))));
      pool.keepAlive = this.runtime.serverKeepAlive;
      const h2 = dynamic ? h2Servers([server.config])?.get(server.name) : this.h2Servers?.get(server.name);
      if (h2) pool.mux = serverMux(pool, h2);
      else if (this.fcgi && server.config.options.proto === 'fcgi') pool.mux = this.fcgi.mux(pool);
    }
    return pool;
  }

  lbRequest(tx: HttpTransaction): LbRequest {
    return new HttpLbRequest(tx);
  }

  /**
   * `force-persist` / `ignore-persist`: what the first rule that holds says of this request, noted
   * on it. HAProxy's process_switching_rules runs them as soon as the backend is known, before the
   * backend's tcp-request content and http-request rules (and before its `option
   * http-buffer-request` wait); a listen section's own http-request rules have run by then.
   */
  applyPersistRules(tx: HttpTransaction): void {
    const verdict = this.persistRules?.(tx);
    if (verdict === 'force') tx.forcePersist = true;
    else if (verdict === 'ignore') tx.ignorePersist = true;
  }

  /** The server a `use-server` rule names for this request, if one does and it is up (or `force`: whatever its state). */
  useServer(tx: HttpTransaction, force: boolean): RuntimeServer | undefined {
    return this.serverChoice?.(tx, force);
  }

  /** `option forwardfor` of the backend, else of the frontend (HAProxy accepts it in either). */
  forwardedFor(tx: HttpTransaction): string {
    const ff = this.forwardFor ?? tx.frontend.forwardFor;
    return ff ? forwardedForHeader(ff, tx) : '';
  }

  runRequestRules(tx: HttpTransaction, from = 0): 'continue' | LocalAnswer | RulesPaused {
    const outcome = runRequestRules(this.requestRules, tx, from);
    // The request is this backend's already (HAProxy's SF_BE_ASSIGNED): a failed rewrite counts here too.
    if (typeof outcome === 'object' && 'rewriteFailed' in outcome) this.runtime.stats.wrew++;
    return outcome;
  }

  runRedirectRules(tx: HttpTransaction): 'continue' | LocalAnswer {
    // Redirect lines only answer (compileRedirectRules): they never wait.
    return this.redirectRules ? runRequestRules(this.redirectRules, tx) as 'continue' | LocalAnswer : 'continue';
  }

  /** http-response rules from `from` on: undefined, the answer that replaces the server's (deny, return, redirect), or a wait for the body. */
  applyResponseRules(tx: HttpTransaction, head: ResponseHead, from = 0): LocalAnswer | RulesPaused | undefined {
    return runResponseRules(this.responseRules, tx, head, from);
  }

  get hasAfterResponseRules(): boolean {
    return this.afterResponseRules.length > 0;
  }

  /** http-after-response: after the http-response rules, on every answer, Loadstar's own included. */
  applyAfterResponseRules(tx: HttpTransaction, head: ResponseHead): void {
    runResponseRules(this.afterResponseRules, tx, head);
  }

  responseError(_tx: HttpTransaction): void {}

  errorResponse(status: number): Buffer {
    return this.errorfiles.get(status) ?? builtinResponse(status);
  }

  /** The backend's own page for `status` (errorfile, http-error), undefined when it has none. */
  ownErrorResponse(status: number): Buffer | undefined {
    return this.errorfiles.get(status);
  }

  closeIdle(): void {
    for (const pool of this.pools.values()) pool.closeAll();
  }
}

export interface FrontendCounters {
  requests: number;
  requestErrors: number;
  connections: number;
}

/** A client connection as the frontend tracks it: HTTP/1.1 (client.ts) or HTTP/2 (h2.ts). */
export interface FrontendConnection {
  /** Requests in progress on it. */
  readonly queue: readonly unknown[];
  draining: boolean;
  close(): void;
  /** Its configuration was replaced: it ends after its next answer (HTTP/1: `connection: close`; h2: GOAWAY). */
  retire(): void;
  /** `shutdown sessions server`: ends its exchanges that hold a slot on `server`. */
  killServerSessions(server: RuntimeServer): void;
  /** `shutdown session`: its exchanges end as killed streams ('K'); without one, it closes. */
  kill(): void;
  /** `show sess`: where its request in progress goes; undefined between requests. */
  current(): StreamTarget | undefined;
  readonly socket: net.Socket;
}

export class HttpFrontend implements Frontend {
  readonly name: string;
  readonly timeouts: { client: number; httpRequest: number; httpKeepAlive: number };
  readonly counters: FrontendCounters = { requests: 0, requestErrors: 0, connections: 0 };
  /** `option http-server-close` or `option httpclose`: one request per server connection. */
  readonly serverClose: boolean;
  /** `option httpclose`: one request per client connection too. */
  readonly closeClient: boolean;
  /** `option disable-h2-upgrade`: a plain HTTP/1 connection that starts with HTTP/2's preface is answered 400, not switched to HTTP/2. */
  readonly noH2Upgrade: boolean;
  /** `option http-use-proxy-header`: requests to a forward proxy authenticate with Proxy-Authorization (HttpTransaction.proxyAuth). */
  readonly proxyHeaderAuth: boolean;
  /** HTTP/2 clients may upgrade over a stream (RFC 8441 extended CONNECT), unless `h2-workaround-bogus-websocket-clients`. */
  readonly h2ExtendedConnect: boolean;
  readonly connections = new Set<FrontendConnection>();
  /** proc.* variables, shared by every frontend of the configuration (set by the engine: runtime/proc-vars.ts). */
  procVars: VarMap = new Map();
  /** Engine state the sample fetches may ask for (nbsrv, be_conn …). */
  hooks: EngineHooks | undefined;
  /** Statistics (proxy/stats); the engine gives it the counters kept across reloads. */
  stats = new StatCounters();
  /** The stats page and `use-service` answers (proxy/stats), set by the engine. */
  localServices: LocalServices | undefined;
  /** Header count and head size limits (`tune.http.maxhdr`, `tune.bufsize`), set by the engine from the global section. */
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS;
  /** Where refused requests and invalid responses are captured (`show errors`); set by the engine (none: not captured). */
  errorSnapshots: ErrorSnapshots | undefined;
  private readonly connectionRules: ConnectionRules | undefined;
  private readonly sessionRules: SessionRules | undefined;
  private readonly contentRules: HttpContentRules | undefined;
  /** `monitor-uri` (monitor.ts); undefined without one. */
  protected readonly monitor: MonitorCheck | undefined;
  protected readonly requestRules;
  private readonly redirectRules;
  private readonly responseRules;
  private readonly afterResponseRules;
  private readonly switching: Array<{ when: TxPredicate | undefined; backend: (tx: HttpTransaction) => HttpBackend | undefined }>;
  private readonly defaultBackend: HttpBackend | undefined;
  private readonly errorfiles: Map<number, Buffer>;
  readonly forwardFor;
  readonly originalTo;
  private readonly statsAccess;
  /** `option logasap`: log lines go out at the response head, not at the end. */
  readonly logAsap: boolean;
  /** `max-session-srv-conns`: the idle server connections a client connection keeps (upstream.ts ReuseSession). */
  readonly maxOwnedIdle: number;
  /**
   * The frontend logs: each connection's facts (addresses …) are read at its accept, so that a client
   * that resets before its request is logged with them (%ci, %fi …) as HAProxy logs it: Node forgets them.
   */
  readonly keepsAddresses: boolean;
  /** `unique-id-format`: renders a request's unique id (undefined: the frontend has none). */
  readonly uniqueId: UniqueIdFormat | undefined;
  /** `unique-id-header`, in lower case as the H1 mux writes header names. */
  readonly uniqueIdHeader: string | undefined;
  /** `option h1-case-adjust-bogus-client`: the global h1-case-adjust table for what goes to HTTP/1 clients. */
  readonly caseAdjust: CaseAdjust | undefined;
  /** `compression` lines of the frontend (compression.ts); undefined without. */
  readonly compression: ProxyCompression | undefined;
  /** `option http-buffer-request` of the frontend; undefined without (requests stream as they come). */
  protected readonly bufferRequest: BodyWait | undefined;
  /** Some http-request rule of the frontend or of a backend reads the body (body-wait.ts): requests start at the end of their read. */
  readonly rulesReadBody: boolean;

  /**
   * @param global the global section (its h1-case-adjust table, compression's zlib settings).
   * @param httpOptions false: a TCP frontend's connections upgraded when their backend is chosen
   * (upgraded-frontend.ts): HAProxy drops its `option forwardfor` / `originalto` at load then.
   */
  constructor(readonly config: Proxy, backends: ReadonlyMap<string, HttpBackend>, protected readonly logger: Logger, global?: GlobalSettings, httpOptions = true) {
    this.forwardFor = httpOptions ? compileForwardFor(config) : undefined;
    this.originalTo = httpOptions ? compileOriginalTo(config) : undefined;
    this.logAsap = config.options['logasap']?.enabled ?? false;
    this.maxOwnedIdle = config.maxSessionSrvConns ?? MAX_SESSION_IDLE;
    this.keepsAddresses = logger.logs(config);
    this.logsConnects = logger.logsConnects(config);
    this.logsServerConnection = readsServerConnection(config.logFormat?.text);
    this.keepsRequestLine = keepsRequestLine(config);
    this.uniqueId = compileUniqueId(config);
    this.uniqueIdHeader = config.uniqueIdHeader?.toLowerCase();
    this.caseAdjust = caseAdjustFor(global, config, 'h1-case-adjust-bogus-client');
    this.compression = compileCompression(config, global);
    this.bufferRequest = bufferRequestOf(config);
    this.rulesReadBody = rulesReadRequestBody([config, ...[...backends.values()].map((b) => b.config)]);
    this.name = config.name;
    const t = config.timeouts;
    this.timeouts = { client: t.client ?? 0, httpRequest: t['http-request'] ?? 0, httpKeepAlive: t['http-keep-alive'] ?? 0 };
    this.closeClient = config.options['httpclose']?.enabled ?? false;
    this.serverClose = (config.options['http-server-close']?.enabled ?? false) || this.closeClient;
    this.noH2Upgrade = config.options['disable-h2-upgrade']?.enabled ?? false;
    this.proxyHeaderAuth = config.options['http-use-proxy-header']?.enabled ?? false;
    this.h2ExtendedConnect = !(global?.h2NoWebSocket ?? false);
    this.errorfiles = loadErrorFiles(config);
    this.connectionRules = compileConnectionRules(config);
    this.sessionRules = compileSessionRules(config);
    this.contentRules = compileHttpContentRules(config, true);
    this.monitor = compileMonitor(config, (s) => this.errorResponse(s));
    this.requestRules = withHeaderNameRestriction(compileRequestRules(config.httpRequestRules, config, (s) => this.errorResponse(s)), config, (s) => this.errorResponse(s));
    this.redirectRules = compileRedirectRules(config.redirectRules, config);
    this.statsAccess = compileStatsAccess(config, (s) => this.errorResponse(s));
    this.responseRules = compileResponseRules(config.httpResponseRules, config, (s) => this.errorResponse(s));
    this.afterResponseRules = compileResponseRules(config.httpAfterResponseRules, config, undefined, true);
    this.switching = config.switchingRules.map((rule) => {
      const when = rule.condition ? compileTxCondition(rule.condition, config) : undefined;
      if (!rule.dynamic) {
        const backend = backends.get(rule.backend);
        return { when, backend: () => backend };
      }
      const name = compileTxFormat(compileTxFormat.parse(rule.backend));
      return { when, backend: (tx: HttpTransaction) => backends.get(name(tx)) };
    });
    // A listen section is its own default backend.
    const defaultName = config.defaultBackend?.name ?? (config.kind === 'listen' ? config.name : undefined);
    this.defaultBackend = defaultName !== undefined ? backends.get(defaultName) : undefined;
  }

  processRequest(tx: HttpTransaction): Decision {
    this.counters.requests++;
    // tcp-request content first: HAProxy counts the request in the stick counters after them (in what they track too).
    if (this.contentRules) {
      const refused = this.contentRules(tx);
      if (refused) return refused;
      requestParsed(tx, true);
    } else requestParsed(tx);
    // monitor-uri answers from the head (HAProxy's http_wait_for_request), before any wait for the body.
    const monitored = this.monitor?.(tx);
    if (monitored) return monitored;
    // `option http-buffer-request`: the body before any http-request rule (HAProxy's AN_REQ_HTTP_BODY).
    if (this.bufferRequest) return { waitForBody: this.bufferRequest, resume: () => this.frontendRules(tx, 0) };
    return this.frontendRules(tx, 0);
  }

  /** The frontend's http-request rules from `from` on, then what follows them up to the backend's. */
  protected frontendRules(tx: HttpTransaction, from: number): Decision {
    const frontendOutcome = runRequestRules(this.requestRules, tx, from);
    if (frontendOutcome !== 'continue') {
      if (!('waitForBody' in frontendOutcome)) return frontendOutcome;
      return { waitForBody: frontendOutcome.waitForBody, resume: () => this.frontendRules(tx, frontendOutcome.next) };
    }
    // A hit ends the request's processing here, as HAProxy's applet target does.
    if (tx.cache?.hit) return { backend: this.config.kind === 'listen' ? this.defaultBackend : undefined, cached: true };
    // `stats uri`: after the proxy's http-request rules, before switching (HAProxy's order).
    const frontendStats = this.config.stats.enabled ? this.localServices?.statsPage(this.config, tx, this.statsAccess) : undefined;
    if (frontendStats) return frontendStats;
    // `redirect` lines: after the stats page, before switching (http_process_req_common).
    if (this.redirectRules) {
      const redirected = runRequestRules(this.redirectRules, tx);
      if (redirected !== 'continue') return redirected as LocalAnswer;
    }
    let backend: HttpBackend | undefined;
    for (const rule of this.switching) {
      if (rule.when && !rule.when(tx)) continue;
      backend = rule.backend(tx);
      if (backend) break;
    }
    backend ??= this.defaultBackend;
    if (!backend) return { response: this.errorResponse(503), status: 503, termination: 'SC' };
    backend.applyPersistRules(tx);
    if (backend.config === this.config) return { backend };
    // The backend's `option http-buffer-request`, when the frontend did not wait already (HAProxy's stream_set_backend).
    const chosen = backend;
    if (chosen.bufferRequest && !this.bufferRequest) return { waitForBody: chosen.bufferRequest, backend: chosen, resume: () => this.backendSide(tx, chosen) };
    return this.backendSide(tx, chosen);
  }

  /** A backend other than the frontend's own: its tcp-request content rules, then its http-request rules. */
  protected backendSide(tx: HttpTransaction, backend: HttpBackend): Decision {
    const refusedByBackend = backend.contentRules?.(tx);
    if (refusedByBackend) return { backend, answer: refusedByBackend };
    return this.backendRules(tx, backend, 0);
  }

  /** The backend's http-request rules from `from` on, its stats page and redirects. */
  private backendRules(tx: HttpTransaction, backend: HttpBackend, from: number): Decision {
    const outcome = backend.runRequestRules(tx, from);
    if (outcome !== 'continue') {
      if (!('waitForBody' in outcome)) return { backend, answer: outcome };
      return { waitForBody: outcome.waitForBody, backend, resume: () => this.backendRules(tx, backend, outcome.next) };
    }
    if (tx.cache?.hit) return { backend, cached: true };
    const backendStats = backend.config.stats.enabled ? this.localServices?.statsPage(backend.config, tx, backend.statsAccess) : undefined;
    if (backendStats) return { backend, answer: backendStats };
    const redirected = backend.runRedirectRules(tx);
    if (redirected !== 'continue') return { backend, answer: redirected };
    return { backend };
  }

  /** The frontend's http-response rules (after the backend's) from `from` on: undefined, the answer that replaces the server's, or a wait for the body. */
  applyResponseRules(tx: HttpTransaction, head: ResponseHead, from = 0): LocalAnswer | RulesPaused | undefined {
    if (tx.backend?.config === this.config) return undefined;
    return runResponseRules(this.responseRules, tx, head, from);
  }

  applyAfterResponseRules(tx: HttpTransaction, head: ResponseHead): void {
    if (tx.backend?.config === this.config) return;
    runResponseRules(this.afterResponseRules, tx, head);
  }

  /** Some http-after-response rule may apply to an answer of this frontend (its own, or its backend's). */
  afterResponseRulesFor(backend: HttpBackend | undefined): boolean {
    return this.afterResponseRules.length > 0 || (backend?.hasAfterResponseRules ?? false);
  }

  errorResponse(status: number, backend?: HttpBackend): Buffer {
    // The backend's page, else the frontend's, else HAProxy's own (http_error_message).
    return backend?.ownErrorResponse(status) ?? this.errorfiles.get(status) ?? builtinResponse(status);
  }

  /** `option checkcache` blocked a response: HAProxy's alert, also to the backend's log targets at alert level. */
  blockedCacheableCookie(backend: HttpBackend, server: string): void {
    const message = `Blocking cacheable cookie in response from instance ${backend.name}, server ${server}.`;
    this.logger.alert(message);
    this.logger.proxyEvent(backend.config, LOG_ALERT, message);
  }

  /** `option logasap`: the exchange's log line goes out now that its response head is in. */
  logEarly(tx: HttpTransaction): void {
    this.logger.requestAsap(exchangeRecord(this, tx));
  }

  /** Log targets without a log format: each request (HAProxy's stream) logs where it came from, not how it ended. */
  readonly logsConnects: boolean;

  /**
   * The log format reads the server connection (bc_*, ssl_bc_*): each exchange notes it while it is
   * open, since the line is written when it may have closed (HAProxy still has it then).
   */
  readonly logsServerConnection: boolean;
  /** HAProxy's to_log & LW_REQ: the request line is kept for the log, and capture.req.method / capture.req.uri read it. */
  readonly keepsRequestLine: boolean;

  /** A new request (stream) of a frontend that logsConnects. */
  logConnect(client: TransactionClient): void {
    this.logger.connectFrom(this.config, client.connectionInfo(), client.transport);
  }

  transactionFinished(tx: HttpTransaction): void {
    if (faults.armed) faultPoint('log');
    this.logger.request(exchangeRecord(this, tx), tx.loggedEarly);
    exchangeEnded(tx);
  }

  /** An exception in Loadstar's code closed one connection of this frontend: logged with its stack, counted (eint). */
  internalError(error: unknown): void {
    this.stats.eint++;
    this.logger.alert(internalErrorAlert(`frontend ${this.name}`, error));
  }

  /**
   * An HTTP/2 connection whose client preface failed (h2.ts): logged as HAProxy 2.6's H2 mux logs it,
   * `<BADREQ>` with status 0 and PR, no request counted; a connection that sent nothing is a probe,
   * not logged under `option dontlognull` or `option http-ignore-probes`.
   */
  logH2PrefaceError(connection: H2Connection, sentNothing: boolean): void {
    const options = this.config.options;
    if (sentNothing && (options['dontlognull']?.enabled || options['http-ignore-probes']?.enabled)) return;
    const streamStart = h2StreamAccept(connection, connection.acceptedAt, Date.now());
    this.logger.protocolError({
      frontend: this, startedAt: connection.acceptedAt, streamStart, handshake: connection.acceptedAt - streamStart, status: 0, termination: 'PR',
      streamNumber: nextStreamNumber(), uncounted: true,
      ...connectionsCounting(this, connection), sample: () => ({ conn: connection.connectionInfo(), hooks: this.hooks, stick: existingSessionCounters(connection.socket) }),
    });
  }

  logProtocolError(client: ClientConnection, status: number, termination: string): void {
    // Dated as its stream: from the end of the connection's previous exchange, else from its accept (before TLS).
    const previous = previousEnd.get(client);
    const handshake = previous === undefined ? client.handshake : 0;
    const streamStart = previous ?? client.acceptedAt - handshake;
    const began = client.messageBeganAt;
    this.logger.protocolError({
      frontend: this, startedAt: client.acceptedAt, streamStart, handshake, idle: began > streamStart + handshake ? began - streamStart - handshake : 0,
      status, termination, streamNumber: nextStreamNumber(),
      ...connectionsCounting(this, client), sample: () => ({ conn: client.connectionInfo(), hooks: this.hooks, stick: existingSessionCounters(client.socket) }),
    });
  }

  admits(socket: net.Socket): boolean {
    return !this.connectionRules || this.connectionRules(socket);
  }

  /**
   * `tcp-request session` rules, once the connection is set up (after TLS): a refused connection
   * is closed and not logged, as HAProxy 2.6 does; the sess.* variables they set are the connection's.
   */
  private admitsSession(socket: net.Socket, sessionVars: Map<string, Sample>): boolean {
    const verdict = this.sessionRules!(socket, new MapVarStore(this.procVars, sessionVars));
    if (verdict === 'accept') return true;
    endRefusedSession(socket, verdict);
    return false;
  }

  /** A connection the engine accepted: HTTP/2 when TLS negotiated h2 (ALPN) or the bind says `proto h2`, else HTTP/1. */
  accept(socket: net.Socket, proto?: 'h1' | 'h2' | 'none'): void {
    const h2 = proto === undefined ? (socket as tls.TLSSocket).alpnProtocol === 'h2' : proto === 'h2';
    const sessionVars = this.sessionRules && new Map<string, Sample>();
    if (sessionVars && !this.admitsSession(socket, sessionVars)) return;
    if (!h2) {
      const connection = new ClientConnection(socket, this, sessionVars);
      // Set before its first read (the parser reads from the socket's handle later, asynchronously).
      if (proto === 'h1') connection.h1Only = true;
      return this.connectionOpened(connection);
    }
    const connection = new H2Connection(socket, this, sessionVars);
    h2ConnectionAccepted(connection, handshakeTime(socket, connection.acceptedAt));
    this.connectionOpened(connection);
  }

  get active(): number {
    return this.connections.size;
  }

  /** `shutdown sessions server`: the exchanges holding a slot on `server` end (502 'KH' before the answer, cut 'KD' after). */
  shutdownServerSessions(server: RuntimeServer): void {
    for (const c of [...this.connections]) c.killServerSessions(server);
  }

  shutdownSession(socket: net.Socket): boolean {
    for (const c of this.connections) {
      if (c.socket !== socket) continue;
      c.kill();
      return true;
    }
    return false;
  }

  openConnections(): OpenConnection[] {
    return [...this.connections] as OpenConnection[];
  }

  /** Connections with a request in progress. */
  get busy(): number {
    let busy = 0;
    for (const c of this.connections) if (c.queue.length > 0) busy++;
    return busy;
  }

  /** Idle keep-alive connections are closed at once; busy ones finish their request, then close. */
  drain(): void {
    for (const c of this.connections) {
      if (c.queue.length === 0) c.close();
      else c.draining = true;
    }
  }

  close(): void {
    for (const c of this.connections) c.close();
  }

  /**
   * A reload replaced this frontend. HAProxy's old process soft-stops: it closes idle keep-alive
   * connections at once and answers requests in progress with `connection: close`. Closing an
   * idle keep-alive connection races with a request the client may be sending on it at that
   * moment (a client that does not retry sees a reset: 60 of them in reload-under-load's run),
   * so every connection here, idle or busy, ends after its next answer instead: one more request
   * is served on the old configuration, none is lost.
   */
  retire(): void {
    for (const c of this.connections) c.retire();
  }

  connectionOpened(client: FrontendConnection): void {
    this.counters.connections++;
    this.connections.add(client);
    processConnections.opened();
  }

  /**
   * A client connection of a plain HTTP/1 bind began with HTTP/2's preface (client.ts): it goes on
   * as an H2Connection, counted once (it replaces the ClientConnection in the set).
   */
  switchToH2(client: FrontendConnection, socket: net.Socket, sessionVars: Map<string, Sample> | undefined): void {
    this.connections.delete(client);
    if (socket.destroyed) return void processConnections.closed();
    const connection = new H2Connection(socket, this, sessionVars);
    h2ConnectionAccepted(connection, handshakeTime(socket, connection.acceptedAt));
    this.connections.add(connection);
  }

  connectionClosed(client: FrontendConnection): void {
    if (this.connections.delete(client)) processConnections.closed();
  }
}

/**
 * What the balancer hashes, read only when an algorithm asks: the client address costs a
 * getpeername (and the connection's other facts a getsockname, and on TLS the cipher and
 * protocol) per connection, which round robin and the other non-hashing algorithms never need.
 * A class, not an object literal with a getter: every request object has the same shape and
 * the accessors live on one prototype (no closure per request either).
 */
class HttpLbRequest implements LbRequest {
  constructor(private readonly tx: HttpTransaction) {}

  get source(): string | undefined {
    return plainAddress(this.tx.client.connectionInfo().src);
  }

  get uri(): string {
    return this.tx.request.url;
  }

  header(name: string): string | undefined {
    return getHeader(this.tx.request.headers, name.toLowerCase());
  }

  sampleContext(): SampleContext {
    return this.tx.sampleContext();
  }
}

/** The frontend's open connections with `client` counted even when it has closed already (HAProxy logs before it lets go). */
function connectionsCounting(frontend: HttpFrontend, client: object): { connections: number; allConnections: number } {
  const open: ReadonlySet<object> = frontend.connections;
  const gone = open.has(client) ? 0 : 1;
  return { connections: open.size + gone, allConnections: processConnections.count + gone };
}

/** When each HTTP/1 connection's last exchange ended (the next one's stream starts there). */
const previousEnd = new WeakMap<ClientConnection, number>();

/**
 * HAProxy's accept date of the stream `tx` belongs to (%t, %Ts …): its connection's accept for the
 * first request of an HTTP/1 connection, the end of the previous exchange for the next ones, the
 * request itself for an h2 stream.
 */
export function streamAcceptDate(tx: HttpTransaction): number {
  const client = tx.client;
  if (!(client instanceof ClientConnection)) return tx.h2Accept ?? tx.startedAt;
  return Math.min(previousEnd.get(client) ?? client.acceptedAt - client.handshake, tx.startedAt);
}

/** The plain record of a finished exchange (the logger, log-format and statistics read it). */
function exchangeRecord(frontend: HttpFrontend, tx: HttpTransaction): ExchangeRecord {
  const client = tx.client;
  const persistence = tx.persistence;
  // HAProxy's stream of an HTTP/1 request starts at the connection's accept (the first request) or at the end of
  // the previous exchange, where the time until the request came is idle (%Ti); an h2 stream starts with its request.
  const now = Date.now();
  let streamStart = tx.startedAt;
  let idle = 0;
  let handshake = 0;
  if (client instanceof ClientConnection) {
    const previous = previousEnd.get(client);
    previousEnd.set(client, now);
    // %Ti runs to the request's first byte, %TR from there to its complete head.
    const began = Math.min(tx.beganAt, tx.startedAt);
    if (previous === undefined) {
      handshake = client.handshake;
      streamStart = Math.min(client.acceptedAt, began) - handshake;
      idle = Math.max(0, began - client.acceptedAt);
    } else if (previous < tx.startedAt) {
      streamStart = previous;
      idle = Math.max(0, began - previous);
    }
  } else if (tx.h2Accept !== undefined) {
    // An h2 stream begins whole: idle until its creation, after the handshake on the first one.
    streamStart = tx.h2Accept;
    handshake = tx.h2Handshake;
    idle = Math.max(0, tx.startedAt - streamStart - handshake);
  }
  return {
    frontend, backend: tx.backend?.runtime, server: recordServer(tx.server), serverTarget: recordTarget(tx.server, tx.serverTarget), cache: tx.cache, socket: client.transport, startedAt: tx.startedAt, streamStart, idle, handshake, tarpitted: tx.tarpitted || tx.dropped, requestWait: tx.requestWait,
    silent: tx.logSilent, logLevel: tx.logLevel,
    method: tx.request.method, url: tx.request.url, status: tx.status, serverStatus: tx.response?.status, local: tx.localKind, applet: tx.applet, loggedStatus: tx.loggedStatus, clientReset: tx.clientGone,
    // HAProxy's %U / %B and bin / bout: heads included, counted as HAProxy counts them (htx-size.ts).
    bytesIn: tx.headBytesIn + tx.bytesIn, bytesOut: tx.headBytesOut + tx.bytesOut, tw: tx.tw, tc: tx.tc, tr: tx.tr, termination: tx.termination, retries: tx.retries, retriesCounted: tx.retriesCounted, redispatched: tx.redispatched, queued: tx.queued,
    cookieState: persistence ? persistence.clientFlag + persistence.serverFlag : '--',
    // An h2 stream's connection is its reuse session (the frontend counts connections, not streams).
    streamNumber: tx.streamNumber, ...connectionsCounting(frontend, client.reuse ?? client), serverSource: tx.serverSource,
    // HAProxy takes the request's cookie after the rules, and on a deny, not for an answer it serves itself (return, redirect, auth, stats).
    captures: tx.requestCaptures && {
      request: tx.localKind === 'intercepted' ? { headers: tx.requestCaptures.headers, cookie: undefined } : tx.requestCaptures,
      response: tx.responseCaptures,
    },
    clientAddress: () => {
      const info = tx.addressesRewritten ? tx.sampleContext().conn : client.connectionInfo();
      return `${info.src ?? ''}:${info.srcPort ?? ''}`;
    },
    sample: tx.requestUnseen ? () => withoutRequest(tx.sampleContext()) : () => tx.sampleContext(),
  };
}

/** What the log of a request refused before HAProxy took it in as HTTP sees: no request (%r is `<BADREQ>`). */
function withoutRequest(ctx: SampleContext): SampleContext {
  return Object.create(ctx, { req: { value: undefined } }) as SampleContext;
}

function loadErrorFiles(config: Proxy): Map<number, Buffer> {
  return new Map([...config.errorfiles].map(([status, page]) => [status, loadErrorPage(page, status)]));
}

