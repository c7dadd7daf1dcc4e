/**
 * A frontend (or listen section) in TCP mode: each connection is balanced on
 * its own, connected with HAProxy's retries, then bytes are piped both ways
 * with backpressure and half-close. Timers: `timeout client`/`server` while
 * connecting and for each side's inactivity, `timeout tunnel` (when set)
 * for the whole established connection, `client-fin`/`server-fin` once one
 * side has closed.
 *
 * `tcp-request connection` rules run at accept. When the frontend (or the
 * backend it picks) has `tcp-request content` rules, the first bytes are held
 * back and inspected (inspection.ts); switching rules and the balancer then
 * see them, and they are forwarded first once the server is connected.
 * Without content rules nothing is held and nothing extra is listened to.
 *
 * A plain server's side reads into reused buffers (reused-reads.ts); an `ssl` server's is a
 * `tls.TLSSocket` (connectTls), read through 'data' (stream-reads.ts), connected once its
 * handshake is: %Tc and `timeout connect` include it, and a failed one is a failed connection.
 */
import { compileRdpPersistence, type RdpPersistence } from './rdp-persist.ts';
import { keepAliveOnceConnected } from '../runtime/tcp-keepalive.ts';
import { compilePersistRules, type PersistVerdict } from '../runtime/persist-rules.ts';
import net from 'node:net';
import { backendConnInfo, readsServerConnection } from '../runtime/backend-conn.ts';
import type { BackendConnInfo } from '../acl/context.ts';
import { keepSessions, sessionToOffer } from '../runtime/tls-sessions.ts';
import tls from 'node:tls';
import { MapVarStore } from '../acl/index.ts';
import { compileResponseRules, inspectResponse } from './response-inspection.ts';
import type { ResponseRules } from './response-inspection.ts';
import type { VarMap } from '../acl/index.ts';
import type { Sample } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import type { CancelSlot, QueuePositions, RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer, ServerSession } from '../runtime/server.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ExchangeRecord, Frontend, OpenConnection } from '../runtime/exchange.ts';
import { nextStreamNumber, processConnections, recordServer, recordTarget } from '../runtime/exchange.ts';
import { StatCounters } from '../runtime/counters.ts';
import { compileConnCondition, connContext, connLbRequest } from './samples.ts';
import { StickPersistence } from '../stick/persistence.ts';
import type { StickRequest } from '../stick/persistence.ts';
import type { ConnInspection, ConnPredicate } from './samples.ts';
import { compileConnectionRules, compileContentRules, compileSessionRules, endRefusedSession, streamSettings } from './rules.ts';
import type { ConnectionRules, ContentRules, SessionRules } from './rules.ts';
import { compileUniqueId } from '../http/unique-id.ts';
import type { UniqueIdFormat } from '../http/unique-id.ts';
import { HeldRequest, inspect } from './inspection.ts';
import { ReusedReads } from './reused-reads.ts';
import type { ReadTarget } from './reused-reads.ts';
import { StreamReads } from './stream-reads.ts';
import { socks4Handshake, socks4Request } from '../runtime/socks4.ts';
import { ConnectWatch } from './connect-watch.ts';
import type { ServerReads } from './stream-reads.ts';
import type { ServerTls } from '../tls/server-tls.ts';
import { SSL_TOO_MANY } from '../tls/ssl-conns.ts';
import { adoptReads } from './client-reads.ts';
import { SocketInactivity } from '../runtime/inactivity.ts';
import type { InspectionOutcome } from './inspection.ts';
import { writeStallTimer } from '../runtime/pending-write.ts';
import { retryAssigned, retriedOnServer, serverConnection } from '../runtime/counters.ts';
import { connectFailureOf } from '../runtime/retry.ts';
import type { ConnectFailure } from '../runtime/retry.ts';
import { faults, faultPoint, internalErrorAlert } from '../runtime/faults.ts';
import { compileServerRules } from '../runtime/server-rules.ts';
import type { ServerChoice } from '../runtime/server-rules.ts';
import type { ProxyHeaderMaker } from '../runtime/proxy-header-out.ts';
import type { UpgradedHttpFrontend } from '../http/upgraded-frontend.ts';

/** What a backend's use-server rules see: the connection and the bytes held for inspection. */
interface ConnAtRouting {
  client: net.Socket;
  inspection: ConnInspection | undefined;
}

export interface TcpBackendTimers {
  connect: number;
  server: number;
  tunnel: number;
  serverFin: number;
}

/** Connections accepted on a `proto none` bind: raw TCP, never handed to the HTTP engine. */
const rawOnly = new WeakSet<net.Socket>();

export interface TcpSessionRecord {
  frontend: TcpFrontend;
  /** Its log line went out when the server connection came up (`option logasap`). */
  loggedEarly?: boolean;
  backend?: RuntimeBackend;
  server?: RuntimeServer;
  client: net.Socket;
  acceptedAt: number;
  /** ms: queue wait, connect, total */
  tw: number;
  tc: number;
  bytesIn: number;
  bytesOut: number;
  termination: string;
  retries: number;
  /** Retries counted in the statistics as they happened (all of them: retryAssigned). */
  retriesCounted?: number;
  /** A redispatch is under way from this server: counted once the new one is known. */
  retryFrom?: RuntimeServer;
  /** Sent to another server after a failed connection (%rc's '+'). */
  redispatched?: boolean;
  /** What the backend's stick rules decided (undefined: it has none), stored with the server once connected. */
  stick?: StickRequest;
  /** The server is the one a stick rule found (HAProxy's SF_DIRECT): a failed connection redispatches only as `option redispatch` says. */
  direct?: boolean;
  /** A force-persist rule held when the backend was chosen: the server is never left for another (stick match on a stopped server, no redispatch). */
  forcePersist?: boolean;
  /** %sq / %bq when it waited in a queue. */
  queued?: QueuePositions;
  /** The client side's `timeout client` (its delay changes as the session goes on). */
  clientIdle?: SocketInactivity;
  /** Content rules are still inspecting the request (a client timeout then ends it as 'cR'). */
  inspecting?: boolean;
  /** Bytes held back by content inspection, forwarded before piping starts. */
  held?: HeldRequest;
  /** Variables set by content rules (sess.*, txn.*, req.*: one connection is one session and one transaction). */
  vars?: MapVarStore;
  /** %rt: the session's number in this process. */
  streamNumber: number;
  /** %bi / %bp: the server connection's source, kept when a log-format may print it. */
  serverSource?: { address?: string; port?: number };
  /** %si / %sp: where the connection to a server without an address or a port went (RuntimeServer.target). */
  serverTarget?: { host: string; port: number };
  /** The server connection as it was once up, noted when the log format reads it (bc_*, ssl_bc_*): the line is written after it closed. */
  serverConnection?: BackendConnInfo;
  /** The client while its server is being found and connected (connect-watch.ts): from the first wait for a slot until connected or given up. */
  connecting?: ConnectWatch;
  /** Waiting for a server slot (the balancer, the queue) rather than for a connection. */
  waitingSlot?: boolean;
  /** %fi / %fp: the address the client connected to, kept when a log-format may print it (Node forgets it at close). */
  local?: { address?: string; port?: number };
}

export class TcpFrontend implements Frontend {
  readonly name: string;
  /** Its sessions by client socket (`shutdown session` finds one's record here). */
  readonly sessions = new Map<net.Socket, TcpSessionRecord>();
  /** Statistics (proxy/stats); the engine gives it the counters kept across reloads. */
  stats = new StatCounters();
  private readonly switching: Array<{ when: ConnPredicate | undefined; backend: RuntimeBackend | undefined }>;
  private readonly defaultBackend: RuntimeBackend | undefined;
  private readonly clientTimeout: number;
  /** `unique-id-format`: %ID and the unique-id fetch of a session's log line (made then, as HAProxy's strm_log does). */
  readonly uniqueId: UniqueIdFormat | undefined;
  /** `timeout client-fin` (0: not set, the client's read limit stays `timeout client` after a half-close). */
  private readonly clientFin: number;
  private readonly connectionRules: ConnectionRules | undefined;
  private readonly sessionRules: SessionRules | undefined;
  private readonly contentRules: ContentRules | undefined;
  /** `tcp-request content` rules of the backends this frontend can reach (a listen section's own run once). */
  private readonly backendContentRules = new Map<RuntimeBackend, ContentRules>();
  /** `tcp-response content` rules of the backends this frontend can reach (only those that have some; a listen section's own too). */
  private readonly responseRules = new Map<RuntimeBackend, ResponseRules>();
  /** `use-server` rules of the backends this frontend can reach. */
  private readonly serverChoices = new Map<RuntimeBackend, ServerChoice<ConnAtRouting>>();
  /** `persist rdp-cookie` of the backends that have it. */
  private readonly rdpPersistence = new Map<RuntimeBackend, RdpPersistence>();
  /** force-persist / ignore-persist rules of the backends that have some. */
  private readonly persistRules = new Map<RuntimeBackend, (c: ConnAtRouting) => PersistVerdict>();
  /** `stick` rules of the backends this frontend can reach (only those that have some). */
  private readonly stickRules = new Map<RuntimeBackend, StickPersistence>();
  /** `proc.*` variables, shared by every frontend of the configuration (set by the engine: runtime/proc-vars.ts). */
  procVars: VarMap = new Map();
  /**
   * Where a connection goes on as HTTP (http/upgraded-frontend.ts): set by the engine when
   * `httpUpgrade` says so, else undefined (a connection then pays one field check, in route()).
   */
  upgrade: UpgradedHttpFrontend | undefined;
  /** The frontend can hand connections to the HTTP engine: a backend it reaches is `mode http`, or it has `switch-mode http`. */
  readonly httpUpgrade: boolean;
  /** The log format reads the server connection (bc_*, ssl_bc_*): noted once it is up. */
  private readonly logsServerConnection: boolean;
  /** `switch-mode http proto …` of the frontend's first switch-mode rule. */
  private readonly switchProto: 'h1' | 'h2' | undefined;

  /** TLS settings of the `ssl` servers of the backends this frontend can reach (only those that have some), by server name. */
  private readonly serverTls = new Map<RuntimeBackend, ReadonlyMap<string, ServerTls>>();

  /** @param serverTls TLS settings of the `ssl` servers, by backend name then server name (tls/server-tls.ts backendServerTls). */
  constructor(readonly config: Proxy, private readonly backends: ReadonlyMap<string, RuntimeBackend>, private readonly logger: Logger, serverTls: ReadonlyMap<string, ReadonlyMap<string, ServerTls>> = new Map()) {
    this.name = config.name;
    this.logsConnects = logger.logsConnects(config);
    this.logsServerConnection = readsServerConnection(config.logFormat?.text);
    this.clientTimeout = config.timeouts.client ?? 0;
    this.uniqueId = compileUniqueId(config);
    this.clientFin = config.timeouts['client-fin'] ?? 0;
    this.switching = config.switchingRules.map((rule) => ({
      when: rule.condition ? compileConnCondition(rule.condition, config) : undefined,
      backend: backends.get(rule.backend),
    }));
    const defaultName = config.defaultBackend?.name ?? (config.kind === 'listen' ? config.name : undefined);
    this.defaultBackend = defaultName !== undefined ? backends.get(defaultName) : undefined;
    this.connectionRules = compileConnectionRules(config);
    this.sessionRules = compileSessionRules(config);
    this.contentRules = compileContentRules(config);
    for (const backend of new Set([...this.switching.map((r) => r.backend), this.defaultBackend])) {
      if (!backend || backend.config === config) continue;
      const rules = compileContentRules(backend.config);
      if (rules) this.backendContentRules.set(backend, rules);
    }
    const switchRule = config.tcpRequestRules.find((r) => r.action.type === 'switch-mode');
    this.switchProto = switchRule?.action.type === 'switch-mode' ? switchRule.action.proto : undefined;
    this.httpUpgrade = switchRule !== undefined || [...this.switching.map((r) => r.backend), this.defaultBackend].some((b) => b?.config.mode === 'http');
    for (const backend of new Set([...this.switching.map((r) => r.backend), this.defaultBackend])) {
      if (!backend) continue;
      const choice = compileServerRules<ConnAtRouting>(backend.config, () => backend.servers, (rule) => {
        const when = compileConnCondition(rule.condition!, backend.config);
        return (c) => when(c.client, backend.config, c.inspection);
      }, () => () => ''); // a log-format server name is refused in TCP mode (unsupported.ts)
      if (choice) this.serverChoices.set(backend, choice);
      const persist = compilePersistRules<ConnAtRouting>(backend.config, (rule) => {
        const when = compileConnCondition(rule.condition!, backend.config);
        return (c) => when(c.client, backend.config, c.inspection);
      });
      if (persist) this.persistRules.set(backend, persist);
      const rdp = compileRdpPersistence(backend.config, () => backend.servers);
      if (rdp) this.rdpPersistence.set(backend, rdp);
      const stick = StickPersistence.fromConfig(backend.config, () => backend.servers);
      if (stick) this.stickRules.set(backend, stick);
      const response = compileResponseRules(backend.config);
      if (response) this.responseRules.set(backend, response);
      const secure = serverTls.get(backend.name);
      if (secure && secure.size > 0) this.serverTls.set(backend, secure);
    }
  }

  /**
   * An exception in Loadstar's code while serving one connection: that connection (both sides) is
   * closed — its 'close' handlers release the slot and log it — the error is logged once with its
   * stack and counted (eint). TCP mode has no response to answer with.
   */
  internalError(error: unknown, record?: TcpSessionRecord): void {
    this.stats.eint++;
    this.logger.alert(internalErrorAlert(`frontend ${this.name}`, error));
    if (!record) return;
    if (record.termination === '--') record.termination = `I${record.tc >= 0 ? 'D' : record.inspecting ? 'R' : 'C'}`;
    const upstream = upstreamOf.get(record.client);
    record.client.destroy();
    upstream?.destroy();
    // A piped session is logged by its close handlers; one that never got there is logged here.
    if (upstream) return;
    try {
      this.log(record);
    } catch {
      // The first error is the one reported.
    }
  }

  /** The log point of a connection (its faults are contained by the caller). */
  private log(record: TcpSessionRecord): void {
    if (faults.armed) faultPoint('log');
    this.logger.tcp(exchangeRecord(record), record.loggedEarly);
  }

  /** Log targets without a log format: each session logs where it came from (HAProxy's "Connect from" line). */
  private readonly logsConnects: boolean;

  admits(client: net.Socket): boolean {
    return !this.connectionRules || this.connectionRules(client);
  }

  handle(client: net.Socket): void {
    if (faults.armed) faultPoint('accept');
    // tcp-request session: a refused connection is closed and not logged (HAProxy 2.6).
    const sessionVars = this.sessionRules && new MapVarStore(this.procVars);
    const verdict = sessionVars && this.sessionRules!(client, sessionVars);
    if (verdict !== undefined && verdict !== 'accept') return endRefusedSession(client, verdict);
    const record: TcpSessionRecord = {
      frontend: this, client, acceptedAt: Date.now(), tw: -1, tc: -1, bytesIn: 0, bytesOut: 0, termination: '--', retries: 0,
      streamNumber: nextStreamNumber(),
    };
    this.sessions.set(client, record);
    processConnections.opened();
    if (this.logsConnects) this.logger.connectFrom(this.config, { src: client.remoteAddress, srcPort: client.remotePort, dst: client.localAddress, dstPort: client.localPort }, client);
    if (this.config.logFormat) record.local = { address: client.localAddress, port: client.localPort };
    client.setNoDelay(true);
    // One inactivity timeout per side on the shared sweeps (no Node timer refreshed per read and write);
    // later phases only change its delay.
    const clientIdle = (record.clientIdle = new SocketInactivity(client, () => {
      if (record.termination === '--') record.termination = record.inspecting ? 'cR' : 'cD';
      client.destroy();
      upstreamOf.get(client)?.destroy();
    }));
    client.on('close', () => {
      clientIdle.set(0);
      if (this.sessions.delete(client)) processConnections.closed();
    });
    client.on('error', () => client.destroy());
    if (this.clientTimeout > 0) clientIdle.set(this.clientTimeout);
    if (!this.contentRules && this.backendContentRules.size === 0 && !sessionVars) {
      // Until connected, data from the client waits in the socket (paused).
      client.pause();
      return this.route(record, undefined);
    }
    record.held = new HeldRequest(client);
    record.vars = sessionVars ?? new MapVarStore(this.procVars);
    client.pause();
    if (!this.contentRules) return this.route(record, this.inspection(record));
    record.inspecting = true;
    inspect(client, record.held, this.contentRules, this.config.inspectDelay ?? 0, record.vars, (outcome) => {
      try {
        this.inspected(record, outcome);
      } catch (e) {
        this.internalError(e, record);
      }
    });
  }

  /** What switching rules and backend content rules see once the frontend's inspection is over: the held bytes, as final. */
  private inspection(record: TcpSessionRecord): ConnInspection {
    return { payload: record.held!.view(), final: true, vars: record.vars };
  }

  private inspected(record: TcpSessionRecord, outcome: InspectionOutcome): void {
    if (outcome.error !== undefined) return this.internalError(outcome.error, record);
    record.inspecting = false;
    if (outcome.verdict === 'reject') return this.reject(record);
    if (outcome.aborted) {
      // HAProxy still runs the switching rules on a final pass: the log names the backend.
      record.backend = this.pickBackend(record.client, this.inspection(record));
      if (record.termination === '--') record.termination = 'CR';
      return this.end(record);
    }
    // `switch-mode http`: the connection is HTTP from this rule on; switching runs on its requests.
    // Not on a `proto none` bind: HAProxy's pass-through mux cannot be upgraded, and the stream ends
    // as refused by the rules (PR, no backend).
    if (outcome.verdict === 'switch' && rawOnly.has(record.client)) return this.reject(record);
    if (outcome.verdict === 'switch' && this.upgrade) return this.toHttp(record, undefined);
    this.route(record, this.inspection(record));
  }

  /** `tcp-request content reject`: the connection is closed, logged as PR (SF_ERR_PRXCOND, request phase). */
  private reject(record: TcpSessionRecord): void {
    record.termination = 'PR';
    this.end(record);
  }

  private pickBackend(client: net.Socket, inspection: ConnInspection | undefined): RuntimeBackend | undefined {
    for (const rule of this.switching) {
      if (rule.when && !rule.when(client, this.config, inspection)) continue;
      if (rule.backend) return rule.backend;
    }
    return this.defaultBackend;
  }

  private route(record: TcpSessionRecord, inspection: ConnInspection | undefined): void {
    const backend = this.pickBackend(record.client, inspection);
    if (!backend) {
      record.termination = 'SC';
      return this.end(record);
    }
    record.backend = backend;
    // force-persist / ignore-persist, as soon as the backend is known: before its content rules
    // (HAProxy's process_switching_rules; ignore only concerns HTTP cookies).
    const persist = this.persistRules.size > 0 ? this.persistRules.get(backend) : undefined;
    const verdict = persist?.({ client: record.client, inspection });
    // A `mode http` backend upgrades the connection (HAProxy's stream_set_backend): its rules run on HTTP
    // requests, the first one with the verdict taken here, on what the TCP side had (nothing without inspect-delay).
    if (this.upgrade !== undefined && backend.config.mode === 'http') {
      // A `proto none` bind's connection cannot become HTTP: HAProxy ends it as a resource failure (RR) of that backend.
      if (rawOnly.has(record.client)) {
        record.termination = 'RR';
        return this.end(record);
      }
      return this.toHttp(record, backend, verdict);
    }
    if (verdict === 'force') record.forcePersist = true;
    const rules = this.backendContentRules.get(backend);
    if (!rules || !record.held) return this.acquire(record, backend);
    // A backend's own content rules inspect again, with its own delay (tcp_inspect_request for AN_REQ_INSPECT_BE).
    record.inspecting = true;
    inspect(record.client, record.held, rules, backend.config.inspectDelay ?? 0, record.vars, (outcome) => {
      try {
        if (outcome.error !== undefined) return this.internalError(outcome.error, record);
        record.inspecting = false;
        if (outcome.verdict === 'reject') return this.reject(record);
        if (outcome.aborted) {
          if (record.termination === '--') record.termination = 'CR';
          return this.end(record);
        }
        this.acquire(record, backend);
      } catch (e) {
        this.internalError(e, record);
      }
    });
  }

  /**
   * The connection goes on as HTTP (http/upgraded-frontend.ts): what inspection held is put back in
   * front of the socket's stream, for the HTTP parser to read first; this side's timer, session
   * count and listeners let go (its 'close' and 'error' handlers find nothing left to do). No TCP
   * log line: HAProxy logs the upgraded stream once per HTTP request.
   */
  private toHttp(record: TcpSessionRecord, backend: RuntimeBackend | undefined, persist?: PersistVerdict): void {
    // The client closed before sending a byte: there is no request for the HTTP side to refuse.
    // HAProxy 2.6.12 ends the stream there, unanswered, logged as the TCP session it still is (no
    // backend, `<NOSRV>`, CR); a plain HTTP frontend answers the same FIN with a 400.
    if (record.held?.ended === true && record.held.length === 0) {
      record.backend = undefined;
      record.termination = 'CR';
      return this.end(record);
    }
    const client = record.client;
    const upgrade = this.upgrade!;
    record.clientIdle!.set(0);
    if (this.sessions.delete(client)) processConnections.closed();
    const held = record.held?.take();
    const ended = record.held?.ended === true;
    if (held && !ended) client.unshift(held);
    upgrade.stats = this.stats;
    const vars = record.vars;
    upgrade.takeOver(client, {
      backend: backend?.name, proto: backend ? undefined : this.switchProto, acceptedAt: record.acceptedAt, persist,
      vars: vars && { sess: vars.sess, txn: vars.txn, req: vars.req },
    });
    // The client's FIN came during inspection: its 'end' is past, so the bytes and the FIN are replayed as events.
    if (ended && !client.destroyed) {
      if (held) client.emit('data', held);
      client.emit('end');
    }
  }

  private acquire(record: TcpSessionRecord, backend: RuntimeBackend, avoid?: RuntimeServer): void {
    let cancel: CancelSlot | undefined;
    // A client that leaves while queued ends the session there (connect-watch.ts): CD, or CQ on a
    // FIN under `option abortonclose`, with the time it waited (%Tw), as haproxy 2.6.12 logs it.
    record.waitingSlot = true;
    this.watchConnecting(record, backend).during(() => {
      const positions = cancel?.();
      if (positions) record.queued = positions;
      if (record.tw < 0) record.tw = Date.now() - record.acceptedAt;
    });
    // Content rules may have rewritten the destination (set-dst, set-dst-port): the log's %fi:%fp show it.
    if (record.local && record.held) record.local = { address: record.client.localAddress, port: record.client.localPort };
    const routing = avoid ? undefined : { client: record.client, inspection: record.held ? this.inspection(record) : undefined };
    const ruled = routing && this.serverChoices.get(backend)?.(routing, record.forcePersist === true);
    // `persist rdp-cookie`, unless a use-server rule chose (HAProxy's analysers run it between the two).
    const rdp = ruled === undefined && routing && record.held && this.rdpPersistence.size > 0 ? this.rdpPersistence.get(backend)?.(record.held.view()) : undefined;
    // The stick rules, once per session (a redispatch keeps their keys, to store the server finally used).
    const stick = this.stickRules.size > 0 ? this.stickRules.get(backend) : undefined;
    if (stick && !avoid) record.stick = stick.onRequest(connContext(record.client, backend.config, record.held ? this.inspection(record) : undefined), (ruled ?? rdp) !== undefined, record.forcePersist === true);
    // The server persistence chose (HAProxy's SF_DIRECT): the RDP cookie's, else a stick match's.
    const persistent = avoid ? undefined : rdp ?? record.stick?.server;
    cancel = backend.acquire(connLbRequest(record.client, backend.config, record.held?.view(), record.vars), (result, queued) => {
      record.waitingSlot = false;
      record.connecting?.during(() => {});
      if (queued) record.queued = queued;
      // A queued connection gets its slot inside another one's release: an error here is this one's.
      try {
        // No server at all: the request never queued, %Tw is -1 as in HAProxy (a queue timeout keeps its wait).
        if (!('error' in result) || result.error !== 'no-server') record.tw = Date.now() - record.acceptedAt;
        if ('error' in result) {
          // No alert per connection: HAProxy says "has no server available!" once, when the backend goes down.
          record.termination = result.error === 'no-server' ? 'SC' : 'sQ';
          return this.endUnconnected(record);
        }
        if (record.retryFrom) {
          if (retryAssigned(backend.stats, record.retryFrom, result.server)) record.redispatched = true;
          record.retryFrom = undefined;
        }
        record.server = result.server;
        record.direct = persistent !== undefined && result.server === persistent;
        this.connect(record, backend, result.server);
      } catch (e) {
        // The slot is given back by connect()'s close handling once it has started, else here.
        if ('server' in result && record.server === undefined) backend.release(result.server);
        this.internalError(e, record);
      }
    }, avoid, ruled ?? persistent, streamSettings(record.client)?.priority, record.forcePersist === true);
  }

  private proxyHeaderOf(record: TcpSessionRecord, make: ProxyHeaderMaker): Buffer {
    const ctx = connContext(record.client, this.config);
    return make(ctx.conn, () => this.uniqueId?.(ctx, record.acceptedAt, record.streamNumber));
  }

  private connect(record: TcpSessionRecord, backend: RuntimeBackend, server: RuntimeServer): void {
    serverConnection(backend.stats, server.stats, false);
    const timers = backendTimers(backend);
    const started = Date.now();
    // `server … ssl`: a TLS socket, read through 'data' (stream-reads.ts), up once its handshake is.
    const secure = server.tls ?? (this.serverTls.size > 0 ? this.serverTls.get(backend)?.get(server.name) : undefined);
    let reads: ServerReads;
    let upstream: net.Socket;
    let sentSni = false;
    // `socks4`: the connection is up once the proxy granted it (runtime/socks4.ts), and TLS, if any, is done through it.
    const via = server.socks4;
    let socksTarget: { host: string; port: number } | undefined;
    if (via) {
      if (secure?.sslConns?.full()) return this.sslConnsFull(record, backend, server);
      socksTarget = server.target(record.client);
      if (socksTarget !== server) record.serverTarget = socksTarget;
      upstream = net.connect({ host: via.host, port: via.port, path: via.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true, allowHalfOpen: true });
      if (backend.serverKeepAlive !== undefined) keepAliveOnceConnected(upstream, backend.serverKeepAlive);
      reads = new StreamReads(upstream);
    } else if (secure) {
      // `maxsslconn` reached: no connection is opened (HAProxy's SF_ERR_INTERNAL, not retried).
      if (secure.sslConns?.full()) return this.sslConnsFull(record, backend, server);
      const opened = this.connectTls(record, server, secure);
      upstream = opened.socket;
      sentSni = opened.sni !== undefined;
      reads = new StreamReads(upstream);
    } else {
      // The server side reads into reused buffers (reused-reads.ts); its bytes are relayed from the first read on.
      const reused = new ReusedReads();
      const target = server.target(record.client);
      if (target !== server) record.serverTarget = target;
      upstream = net.connect({ host: target.host, port: target.port, path: server.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true, allowHalfOpen: true, onread: reused.onread });
      if (backend.serverKeepAlive !== undefined) keepAliveOnceConnected(upstream, backend.serverKeepAlive);
      // `send-proxy`: the client's addresses go first, before anything relayed.
      if (server.proxyHeader) upstream.write(this.proxyHeaderOf(record, server.proxyHeader));
      reads = reused;
    }
    let connected = false;
    let timedOut = false;
    const timer = timers.connect > 0 ? setTimeout(() => {
      timedOut = true;
      upstream.destroy(new Error('timeout'));
    }, timers.connect) : undefined;
    // on-marked-down / on-marked-up may end the session once connected (HAProxy logs it 'D-' / 'U-').
    const session: ServerSession | undefined = server.sessions && {
      shutdown: (why) => {
        if (record.termination === '--') record.termination = `${why}-`;
        record.client.destroy();
        upstream.destroy();
      },
    };
    const release = once(() => {
      if (session) server.sessions?.delete(session);
      backend.release(server);
    });
    // A client that leaves meanwhile ends the attempt (connect-watch.ts).
    this.watchConnecting(record, backend).during(() => {
      clearTimeout(timer);
      upstream.destroy();
      release();
    });
    const onUp = (): void => {
      connected = true;
      clearTimeout(timer);
      record.connecting?.done();
      record.connecting = undefined;
      if (session) server.sessions?.add(session);
      try {
        if (faults.armed) faultPoint('connect');
        server.check?.observe('layer4', true, '');
        record.tc = Date.now() - started;
        // In TCP mode the store rules run once the server connection is up (HAProxy stores before any data).
        const stick = this.stickRules.size > 0 ? this.stickRules.get(backend) : undefined;
        if (stick && !server.dispatch) stick.onResponse(connContext(record.client, backend.config), record.stick, server);
        if (this.config.logFormat) {
          record.serverSource = { address: upstream.localAddress, port: upstream.localPort };
          if (this.logsServerConnection) record.serverConnection = backendConnInfo(upstream);
        }
        if (this.config.options['logasap']?.enabled) {
          // `option logasap`: the line goes out now that the server connection is up.
          this.logger.tcpAsap(exchangeRecord(record));
          record.loggedEarly = true;
        }
        this.pipe(record, upstream, reads, timers, release);
      } catch (e) {
        // Not piped yet: nothing else will close the server side or give the slot back.
        if (!upstreamOf.has(record.client)) {
          upstream.destroy();
          release();
        }
        this.internalError(e, record);
      }
    };
    let failed = false;
    const onError = (e: NodeJS.ErrnoException): void => {
      // Under `socks4` + `ssl` both the tunnel and the TLS socket may tell of one failure.
      if (connected || failed) return;
      failed = true;
      try {
        this.connectError(record, backend, server, upstream, timer, release, connectFailureOf(e.code, timedOut, sentSni));
      } catch (e) {
        this.internalError(e, record);
      }
    };
    upstream.once('error', onError);
    if (!via) return void upstream.once(secure ? 'secureConnect' : 'connect', onUp);
    const raw = upstream;
    socks4Handshake(raw, socks4Request(socksTarget!.host, socksTarget!.port), (refused) => {
      // A refusal fails the connection as a refused one does (SC, retried).
      if (refused) return void raw.destroy(new Error(refused));
      if (server.proxyHeader) raw.write(this.proxyHeaderOf(record, server.proxyHeader));
      if (!secure) return onUp();
      const opened = this.connectTls(record, server, secure, raw);
      upstream = opened.socket;
      sentSni = opened.sni !== undefined;
      reads = new StreamReads(upstream);
      upstream.once('secureConnect', onUp);
      upstream.once('error', onError);
    });
  }

  /**
   * A TLS connection to `server` (`ssl`): the SNI of the `sni` expression (on the client's
   * connection and the bytes held for inspection), the server's `alpn`, and `send-proxy`'s header
   * first on the plain socket, before the ClientHello. It takes a `maxsslconn` slot until it closes.
   */
  private connectTls(record: TcpSessionRecord, server: RuntimeServer, secure: ServerTls, over?: net.Socket): { socket: tls.TLSSocket; sni: string | undefined } {
    const backendConfig = record.backend!.config;
    const sni = secure.sni?.(connContext(record.client, backendConfig, record.held ? this.inspection(record) : undefined));
    const alpn = server.config.options.alpn;
    // A FIN is passed on in each direction on its own (half-close): tls.connect takes allowHalfOpen (its typings omit it).
    const options = { ...secure.base, allowHalfOpen: true, ...(sni ? { servername: sni } : {}), ...(alpn ? { ALPNProtocols: alpn } : {}), ...sessionToOffer(server, sni) } as tls.ConnectionOptions;
    let socket: tls.TLSSocket;
    const target = server.target(record.client);
    if (target !== server) record.serverTarget = target;
    if (over) {
      // Through a `socks4` proxy's granted tunnel (its PROXY header already written).
      socket = tls.connect({ ...options, socket: over });
    } else if (server.proxyHeader) {
      const raw = net.connect({ host: target.host, port: target.port, path: server.path, localAddress: server.localAddress, localPort: server.localPort, noDelay: true, allowHalfOpen: true });
      if (record.backend!.serverKeepAlive !== undefined) keepAliveOnceConnected(raw, record.backend!.serverKeepAlive);
      raw.write(this.proxyHeaderOf(record, server.proxyHeader));
      socket = tls.connect({ ...options, socket: raw });
    } else {
      // tls.connect hands localAddress/localPort to the socket it opens (its typings omit them).
      socket = tls.connect({ ...options, host: target.host, port: target.port, path: server.path, localAddress: server.localAddress, localPort: server.localPort } as tls.ConnectionOptions);
      socket.setNoDelay(true);
      if (record.backend!.serverKeepAlive !== undefined) keepAliveOnceConnected(socket, record.backend!.serverKeepAlive);
    }
    secure.sslConns?.take(socket);
    keepSessions(server, socket, sni);
    return { socket, sni };
  }

  /**
   * `maxsslconn` reached (tls/ssl-conns.ts): HAProxy's connect_server fails with SF_ERR_INTERNAL,
   * the session ends without a retry, logged IC, a failed connection for the server.
   */
  private sslConnsFull(record: TcpSessionRecord, backend: RuntimeBackend, server: RuntimeServer): void {
    server.connectErrors++;
    backend.release(server);
    record.termination = 'IC';
    this.endUnconnected(record);
  }

  /**
   * The watch of the client while `record`'s server is being connected (connect-watch.ts), begun
   * at the first attempt: a client that leaves ends the session at once (CD; CC on a FIN under
   * `option abortonclose`), as haproxy 2.6.12 does; `timeout client` waits until connected.
   */
  private watchConnecting(record: TcpSessionRecord, backend: RuntimeBackend): ConnectWatch {
    if (record.connecting) return record.connecting;
    // HAProxy does not apply `timeout client` while connecting (the attempts are bounded by
    // `timeout connect` and `retries`); pipe() arms the client side again once connected.
    record.clientIdle?.set(0);
    return record.connecting = new ConnectWatch(record.client, backend.config.options['abortonclose']?.enabled === true, (termination, pending) => {
      try {
        record.connecting = undefined;
        // A FIN under abortonclose while waiting for a slot is logged CQ (a reset CD in both phases).
        if (record.termination === '--') record.termination = termination === 'CC' && record.waitingSlot ? 'CQ' : termination;
        record.bytesIn += pending + (record.held?.length ?? 0);
        this.end(record);
      } catch (e) {
        this.internalError(e, record);
      }
    });
  }

  /**
   * A session that ends before its server connection came up: what the client sent meanwhile
   * counts in %U (HAProxy read it into the request buffer), the held bytes of inspection too.
   */
  private endUnconnected(record: TcpSessionRecord): void {
    const watch = record.connecting;
    record.connecting = undefined;
    watch?.done();
    record.bytesIn += (record.held?.length ?? 0) + record.client.readableLength;
    this.end(record);
  }

  /**
   * The server refused or timed out: the backend's retry plan (proxy/runtime/retry.ts
   * afterConnectFailure, as in HTTP mode) says give up, retry the server, or redispatch.
   */
  private connectError(record: TcpSessionRecord, backend: RuntimeBackend, server: RuntimeServer, upstream: net.Socket, timer: NodeJS.Timeout | undefined, release: () => void, failure: ConnectFailure): void {
    clearTimeout(timer);
    upstream.destroy();
    server.connectErrors++;
    server.check?.observe('layer4', false, 'connection error');
    if (record.client.destroyed) return release();
    const step = backend.retryPlan.afterConnectFailure(record.retries, failure, backend.retryContext(server, record.direct ?? false, record.forcePersist === true));
    if (step.giveUp) {
      release();
      record.retries = step.retries;
      record.termination = step.termination;
      return this.endUnconnected(record);
    }
    record.retries++;
    record.retriesCounted = (record.retriesCounted ?? 0) + 1;
    server.retries++;
    const pause = setTimeout(() => {
      if (record.client.destroyed) return release();
      try {
        if (step.redispatch) {
          record.retryFrom = server;
          release();
          // Waiting for a server again: the balancer's own close handling cancels that wait.
          record.connecting?.during(() => {});
          this.acquire(record, backend, server);
        } else {
          retriedOnServer(backend.stats, server);
          this.connect(record, backend, server);
        }
      } catch (e) {
        this.internalError(e, record);
      }
    }, step.delayMs);
    // A client that leaves during the pause ends the session there: no retry follows.
    record.connecting?.during(() => {
      clearTimeout(pause);
      release();
    });
  }

  private pipe(record: TcpSessionRecord, upstream: net.Socket, reads: ServerReads, timers: TcpBackendTimers, release: () => void): void {
    const client = record.client;
    // In TCP mode `timeout tunnel`, when set, replaces the client and server timeouts once connected.
    const clientIdle = timers.tunnel || this.clientTimeout;
    const serverIdle = timers.tunnel || timers.server;
    upstreamOf.set(client, upstream);
    const upstreamIdle = new SocketInactivity(upstream, () => {
      if (record.termination === '--') record.termination = 'sD';
      destroyBoth();
    });
    upstream.once('close', () => upstreamIdle.set(0));
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    // Each side's inactivity limit, armed as HAProxy arms a side's timeout: while it reads from it
    // with room left, or writes to it. A direction waiting for its sink to drain reads nothing: only
    // the sink's write limit runs then, from the stall, refreshed by any write progress
    // (pending-write.ts). A client that stops reading ends at `timeout client` (cD), a server that
    // stops reading at `timeout server` (sD) — haproxy 2.6.12, test/proxy/http/stalled-side.test.ts.
    // Half-close (halfClosed below) changes them as HAProxy 2.6 does.
    const idle = { client: clientIdle, server: serverIdle };
    const writeLimit = { toClient: clientIdle, toServer: serverIdle };
    /** The cancel functions of the write-stall timers running (pending-write.ts). */
    const stallTimers: { toClient?: () => void; toServer?: () => void } = {};
    const arm = (): void => {
      const stalled = stallTimers.toClient !== undefined || stallTimers.toServer !== undefined;
      record.clientIdle!.set(stalled ? 0 : idle.client);
      upstreamIdle.set(stalled ? 0 : idle.server);
    };
    const stall = (direction: 'toClient' | 'toServer', on: boolean): void => {
      stallTimers[direction]?.();
      stallTimers[direction] = undefined;
      const ms = writeLimit[direction];
      if (on && ms > 0) {
        stallTimers[direction] = writeStallTimer(direction === 'toClient' ? client : upstream, ms, () => {
          if (record.termination === '--') record.termination = direction === 'toClient' ? 'cD' : 'sD';
          destroyBoth();
        });
      }
      arm();
    };
    arm();
    /**
     * One side sent its FIN, passed on to the other: HAProxy 2.6 reads no more from the side that
     * sent it (its read timeout is gone: no limit while nothing waits to be written to it), and the
     * side it was passed on to gets its *-fin timeout in place of its read timeout, when set
     * (stconn.c sc_app_shutw_conn: `timeout server-fin` for the server, `client-fin` for the
     * client; neither is the other's fallback). Under `timeout tunnel` a write to the side that
     * sent the FIN waits its *-fin timeout too (stream.c's tunnel timeouts). test/proxy/tcp/half-close.test.ts.
     */
    const halfClosed = (by: 'client' | 'server'): void => {
      const was = by === 'client' ? idle.server : idle.client;
      if (by === 'client') {
        idle.client = 0;
        idle.server = timers.serverFin || serverIdle;
        if (timers.tunnel && this.clientFin) writeLimit.toClient = this.clientFin;
      } else {
        idle.server = 0;
        idle.client = this.clientFin || clientIdle;
        if (timers.tunnel && timers.serverFin) writeLimit.toServer = timers.serverFin;
      }
      if (stallTimers.toClient !== undefined || stallTimers.toServer !== undefined) return;
      // The side that sent the FIN has no read limit any more; the other keeps counting from its
      // last activity unless its limit changed (HAProxy re-arms a read timeout only for a *-fin one).
      if (by === 'client') {
        record.clientIdle!.set(0);
        if (idle.server !== was) upstreamIdle.set(idle.server);
      } else {
        upstreamIdle.set(0);
        if (idle.client !== was) record.clientIdle!.set(idle.client);
      }
    };
    const clientEnded = (): void => halfClosed('client');
    // What inspection held back goes first; `write` keeps its order before anything piped after it.
    const held = record.held?.take();
    if (held) {
      record.bytesIn += held.length;
      upstream.write(held);
    }
    // Server → client: read into reused buffers and written on (reused-reads.ts), with pipe()'s backpressure.
    const toClient: ReadTarget = {
      source: upstream,
      sink: client,
      onChunk: (bytes) => {
        record.bytesOut += bytes;
        if (faults.armed) this.tunnelFault(record);
      },
      onStall: (on) => stall('toClient', on),
    };
    const responseRules = this.responseRules.size > 0 && record.backend ? this.responseRules.get(record.backend) : undefined;
    if (!responseRules) reads.start(toClient);
    else {
      // Before the 'end' listener below: a FIN during inspection makes a final pass, whose bytes go out before the client's FIN.
      inspectResponse(client, upstream, reads, responseRules, record.backend!.config.responseInspectDelay ?? 0, record.vars ??= new MapVarStore(this.procVars), (outcome) => {
        try {
          if (outcome.error !== undefined) return this.internalError(outcome.error, record);
          const held = outcome.held;
          // HAProxy counts what it read from the server, forwarded or not.
          if (held) record.bytesOut += held.length;
          if (outcome.verdict === 'reject') {
            // SF_ERR_PRXCOND in the data phase; both sides closed (channel_abort), nothing forwarded.
            record.termination = 'PD';
            this.stats.dresp++;
            record.backend!.stats.dresp++;
            if (record.server) record.server.stats.dresp++;
            return destroyBoth();
          }
          if (held && !client.destroyed) client.write(held);
          // close: the server side is closed at once (SI_FL_NOLINGER); the client's follows once what was held is written.
          if (outcome.verdict === 'close') return void upstream.destroy();
          reads.start(toClient);
          upstream.resume();
        } catch (e) {
          this.internalError(e, record);
        }
      });
    }
    let clientReads: ReusedReads | undefined;
    if (record.held?.ended || client.readableEnded) {
      // The client's FIN came during inspection or while connecting (after the held bytes): its 'end' is past.
      upstream.end();
      clientEnded();
    } else {
      const onChunk = (bytes: number): void => {
        record.bytesIn += bytes;
        if (faults.armed) this.tunnelFault(record);
      };
      // What the client sent while the server was being connected waits in its stream: it goes first.
      const early = client.readableLength > 0 ? (client.read() as Buffer | null) : null;
      if (early) {
        onChunk(early.length);
        if (!upstream.destroyed) upstream.write(early);
      }
      clientReads = new ReusedReads();
      if (!client.destroyed && adoptReads(client, clientReads.onread)) {
        // Client → server: reused buffers too (client-reads.ts), with the same backpressure as the other way.
        clientReads.start({ source: client, sink: upstream, onChunk, onStall: (on) => stall('toServer', on) });
      } else {
        // A TLS client (or a Node without the fields client-reads.ts needs): what pipe() does, in one listener.
        clientReads = undefined;
        client.on('data', (d: Buffer) => {
          onChunk(d.length);
          if (!upstream.destroyed && !upstream.write(d)) {
            client.pause();
            stall('toServer', true);
          }
        });
        upstream.on('drain', () => {
          client.resume();
          if (stallTimers.toServer) stall('toServer', false);
        });
      }
      // Half-close: a FIN is passed on, and once one side has sent it the other side's *-fin timer bounds the wait.
      client.once('end', () => {
        if (!upstream.destroyed) upstream.end();
        clientEnded();
      });
    }
    upstream.once('end', () => {
      if (!client.destroyed) client.end();
      halfClosed('server');
    });
    upstream.on('error', () => { if (record.termination === '--') record.termination = 'SD'; destroyBoth(); });
    client.on('error', () => { if (record.termination === '--') record.termination = 'CD'; destroyBoth(); });
    let closed = 0;
    const onClose = (): void => {
      stallTimers.toClient?.();
      stallTimers.toServer?.();
      if (++closed === 2) {
        reads.close();
        clientReads?.close();
        release();
        try {
          this.log(record);
        } catch (e) {
          this.internalError(e, record);
        }
      } else destroyBothLater();
    };
    // When one side is fully closed (not just half-closed), the other follows.
    const destroyBothLater = (): void => {
      if (client.destroyed && !upstream.writableEnded) upstream.end();
      if (upstream.destroyed && !client.writableEnded) client.end();
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
    client.resume();
  }

  private tunnelFault(record: TcpSessionRecord): void {
    try {
      faultPoint('tunnel');
    } catch (e) {
      this.internalError(e, record);
    }
  }

  private end(record: TcpSessionRecord): void {
    // The log reads the client's address from its socket, which cannot ask the kernel once destroyed:
    // reading it now keeps it (net.Socket caches it) for a session ended before anything asked (SC, RR…).
    void record.client.remoteAddress;
    record.client.destroy();
    this.log(record);
  }

  closeAll(): void {
    for (const s of this.sessions.keys()) s.destroy();
    this.upgrade?.close();
  }

  /** @param proto the bind's `proto`: `none` keeps the connection raw TCP (no upgrade to HTTP). */
  accept(socket: net.Socket, proto?: 'h1' | 'h2' | 'none'): void {
    if (proto === 'none') rawOnly.add(socket);
    this.handle(socket);
  }

  get active(): number {
    return this.sessions.size + (this.upgrade?.active ?? 0);
  }

  /** `shutdown sessions server`: the connections it handed over to HTTP (its TCP sessions are not tracked per server). */
  shutdownServerSessions(server: RuntimeServer): void {
    this.upgrade?.shutdownServerSessions(server);
  }

  /**
   * `shutdown session`: a session ends as HAProxy's killed stream (stream_shutdown, SF_ERR_KILLED):
   * both sides closed; logged 'K' with the phase it was in before its server connection, and, once
   * connected, without termination flags as haproxy 2.6.12 logs it. An upgraded connection as an HTTP one.
   */
  shutdownSession(socket: net.Socket): boolean {
    const record = this.sessions.get(socket);
    if (!record) return this.upgrade?.shutdownSession(socket) ?? false;
    if (record.termination === '--' && record.tc < 0) record.termination = `K${record.inspecting ? 'R' : 'C'}`;
    socket.destroy();
    upstreamOf.get(socket)?.destroy();
    return true;
  }

  openConnections(): OpenConnection[] {
    const own = [...this.sessions].map(([socket, record]): OpenConnection => ({
      socket, acceptedAt: record.acceptedAt, current: () => ({ backend: record.backend?.name, server: record.server?.name }),
    }));
    return this.upgrade ? [...own, ...this.upgrade.openConnections()] : own;
  }

  /** Every open session is busy: a stop waits for them all (and for the upgraded connections with a request in progress). */
  get busy(): number {
    return this.sessions.size + (this.upgrade?.busy ?? 0);
  }

  /** Sessions carry on to their end (TCP has no idle state to close early); upgraded connections drain as HTTP ones do. */
  drain(): void {
    this.upgrade?.drain();
  }

  retire(): void {
    this.upgrade?.retire();
  }

  close(): void {
    this.closeAll();
  }
}

/** The plain record of a finished session (the logger, log-format and statistics read it). */
function exchangeRecord(r: TcpSessionRecord): ExchangeRecord {
  const client = r.client;
  // `tcp-request content set-log-level`: no line (silent), or the line's level.
  const set = streamSettings(client);
  return {
    silent: set?.silent, logLevel: set?.logLevel,
    frontend: r.frontend, backend: r.backend, server: recordServer(r.server), serverTarget: recordTarget(r.server, r.serverTarget), socket: client, startedAt: r.acceptedAt, status: 0,
    bytesIn: r.bytesIn, bytesOut: r.bytesOut, tw: r.tw, tc: r.tc, tr: -1, termination: r.termination, retries: r.retries, redispatched: r.redispatched, queued: r.queued, cookieState: '--',
    streamNumber: r.streamNumber, serverSource: r.serverSource,
    // The session being logged counts, as in HAProxy, though its socket may have closed already.
    connections: r.frontend.sessions.size + (r.frontend.sessions.has(client) ? 0 : 1),
    allConnections: processConnections.count + (r.frontend.sessions.has(client) ? 0 : 1),
    clientAddress: () => `${client.remoteAddress ?? ''}:${client.remotePort ?? ''}`,
    sample: () => {
      // The session's variables (set by its session and content rules) are read by the log too.
      const plain = connContext(client, r.frontend.config, r.vars && { payload: new Uint8Array(0), final: true, vars: r.vars });
      const ctx = r.serverConnection ? { ...plain, bc: r.serverConnection } : plain;
      const local = r.local;
      const withLocal = local ? { ...ctx, conn: { ...ctx.conn, dst: local.address ?? '', dstPort: local.port ?? 0 } } : ctx;
      const uniqueId = r.frontend.uniqueId;
      return uniqueId ? { ...withLocal, uniqueId: uniqueId(withLocal, r.acceptedAt, r.streamNumber) } : withLocal;
    },
  };
}

/** The server-side socket of each client connection, for the client's timeout listener. */
const upstreamOf = new WeakMap<net.Socket, net.Socket>();

function backendTimers(backend: RuntimeBackend): TcpBackendTimers {
  const t = backend.config.timeouts;
  return { connect: t.connect ?? 0, server: t.server ?? 0, tunnel: t.tunnel ?? 0, serverFin: t['server-fin'] ?? 0 };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
