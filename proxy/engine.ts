/**
 * Engine: a loaded configuration → listening sockets, frontends, backends.
 * start() binds every `bind` line; reload() swaps the routing tables while
 * keeping the sockets of binds that did not change (connections in flight
 * finish on the table they started with); stop() stops accepting, lets
 * in-flight work finish within a grace period, then closes what is left.
 */
import { FcgiBackend } from './http/fcgi-upstream.ts';
import { backendFcgiApp } from './config/kw-fcgi.ts';
import { processVariables } from './runtime/proc-vars.ts';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config, Proxy, Bind, ListenAddress, Server } from './config/model.ts';
import { RuntimeBackend, carryUncheckedAdmin } from './runtime/backend.ts';
import { backendFullconn } from './runtime/fullconn.ts';
import { HttpBackend, HttpFrontend } from './http/frontend.ts';
import { frontendLimits, requestLimits } from './http/request-checks.ts';
import { TcpFrontend } from './tcp/frontend.ts';
import { UpgradedHttpFrontend } from './http/upgraded-frontend.ts';
import { switchesToHttp } from './config/validate.ts';
import { tcpKeepAlive } from './config/kw-tcpka.ts';
import { Logger, stdoutSink } from './runtime/logger.ts';
import type { LogSink } from './runtime/logger.ts';
import type { Frontend } from './runtime/exchange.ts';
import { unsupportedFeatures } from './runtime/unsupported.ts';
import { linkTracks } from './runtime/track.ts';
import { engineHooks } from './runtime/hooks.ts';
import { ErrorSnapshots } from './runtime/error-snapshots.ts';
import { StickTables } from './stick/tables.ts';
import { HttpCaches } from './http/cache/caches.ts';
import { PatternRefs, withPatternRefs } from './acl/pattern-ref.ts';
import type { VarMap } from './acl/index.ts';
import { ConnectionLimiter } from './runtime/limiter.ts';
import { FreqCounter, RateGate, rateClock, type RateCheck } from './runtime/rate-limit.ts';
import { LOG_EMERG, LOG_NOTICE, LOG_WARNING, Syslog, syslogLevel, type LogDrops } from './runtime/syslog.ts';
import type { Rings } from './runtime/ring.ts';
import { BindError, EngineUnsupportedError, LoadstarError, ResolveAtLoadError } from './errors.ts';
import { HealthChecks, loadServerStateFiles } from './checks/index.ts';
import { fcgiCheckMux } from './http/fcgi-upstream.ts';
import { EmailAlerts } from './checks/email-alerts.ts';
import { Programs } from './runtime/programs.ts';
import { LogForwarders } from './runtime/log-forward.ts';
import { compressionLoad } from './http/compression-load.ts';
import type { MailedLine } from './checks/checker.ts';
import { createTlsServer, loadBindTls, tlsListenerKey } from './tls/listener.ts';
import type { BindTls } from './tls/bind-tls.ts';
import { RuntimeCerts } from './tls/runtime-certs.ts';
import { handshakeStartOf } from './tls/handshake-time.ts';
import { HANDSHAKE_FAILURES } from './tls/handshake-failures.ts';
import { PROXY_HEADER_ERROR_CODES } from './runtime/proxy-protocol.ts';
import { inheritProxyAddresses, proxyHeaderExpected, receiveProxyHeader } from './runtime/proxy-header-reader.ts';
import { inheritRewrittenAddresses } from './runtime/socket-addresses.ts';
import { backendServerTls, otherTrustFiles, serverTls, serverTrustUser } from './tls/server-tls.ts';
import { numberedRefs } from './tls/ticket-keys.ts';
import type { TicketKeyRef } from './tls/ticket-keys.ts';
import type { ServerTls } from './tls/server-tls.ts';
import type { CommittedTrust } from './tls/client-trust.ts';
import type { TrustUsingBind } from './tls/runtime-cafiles.ts';
import { forgetSessions } from './runtime/tls-sessions.ts';
import { SslConns } from './tls/ssl-conns.ts';
import { effectiveMaxconn } from './runtime/default-maxconn.ts';
import type { HealthEvent } from './checks/index.ts';
import { StatsRegistry } from './stats/registry.ts';
import type { RuntimeOverrides } from './stats/registry.ts';
import { LocalServices } from './http/local-services.ts';
import { RuntimeApi } from './stats/runtime-api.ts';
import { AccessLogObserver } from './stats/access-log.ts';
import { EngineEventHub } from './engine-events.ts';
import { EngineResolvers } from './runtime/resolvers/index.ts';
import { resolveAtLoad, resolveSources } from './runtime/resolve-at-load.ts';
import type { EngineLifecycle, EngineState } from './engine-events.ts';

/** How often certificate files are checked for changes (a stat per file). */
const CERTIFICATE_POLL_MS = 2000;

interface Listener {
  key: string;
  server: net.Server;
  /** Where connections go; replaced on reload. */
  frontend: Frontend;
  bind: Bind;
  proxy: Proxy;
  /** TLS material of an `ssl` bind; replaced on reload and when certificate files change. */
  tls: BindTls | undefined;
  /** `option clitcpka` (or `tcpka`): the accepted sockets' keep-alive idle time in ms (0: the system's); undefined: off. */
  keepAlive: number | undefined;
  /** Where it listens (what `enable frontend` binds again). */
  address: ListenAddress;
  port: number;
  /** `disable frontend`: its server is closed, accepting nothing, until `enable frontend` or a reload opens it again. */
  paused?: boolean;
  /** The rate limits' gate in front of its server (runtime/rate-limit.ts). */
  gate?: RateGate;
}

interface Tables {
  backends: Map<string, RuntimeBackend>;
  httpBackends: Map<string, HttpBackend>;
  frontends: Map<string, Frontend>;
  stick: StickTables;
  caches: HttpCaches;
  /** The map and pattern files the rules read (runtime API `show map`, `add acl` …): read again on each load. */
  patterns: PatternRefs;
  /** Runtime DNS for the servers with `resolvers`; undefined when none has (nothing runs for it). */
  resolvers: EngineResolvers | undefined;
  /** The proc.* variables every frontend shares (runtime API `get var`). */
  procVars: VarMap;
  /** The TLS settings of the configured `ssl` servers, by backend then server name (the objects their pools read). */
  serverTls: Map<string, Map<string, ServerTls>>;
  /** The invalid requests and responses captured (runtime API `show errors`): empty on each load, as in HAProxy's new process. */
  errors: ErrorSnapshots;
}

export interface EngineOptions {
  sink?: LogSink;
  /** false: no per-exchange statistics (bench/stats-cost.ts measures their price); default true. */
  stats?: boolean;
  /** Name of the configuration (a file path or `haproxy.cfg`), reported by the lifecycle. */
  configName?: string;
  /** What was reported while the configuration was read and checked (its warnings), for `show startup-logs`. */
  startupLogs?: string;
}

export class Engine {
  private listeners = new Map<string, Listener>();
  private tables: Tables | undefined;
  private readonly logger: Logger;
  private stopping = false;
  private checks: HealthChecks | undefined;
  /** `email-alert`: server state changes mailed to the proxies' mailers. */
  private readonly emailAlerts = new EmailAlerts((m) => this.logger.alert(m));
  /** `program` sections' commands, started, signalled on reload and stopped with the engine. */
  private readonly programs = new Programs({
    report: (level, message) => (level === 'ALERT' ? this.logger.alert(message) : this.logger.notice(message, level)),
    failed: (name, status) => void this.programFailed(name, status),
  });
  private certificatePoll: NodeJS.Timeout | undefined;
  /** Counters, rates and time series of every frontend, backend and server (proxy/stats). */
  readonly stats = new StatsRegistry();
  private readonly services = new LocalServices(this);
  private readonly runtimeApi = new RuntimeApi(this);
  /**
   * Certificates, CA files and CRL files set and committed over the runtime API (`set ssl cert` /
   * `commit ssl cert`, `ssl ca-file`, `ssl crl-file`), served by the binds of their files.
   */
  private readonly runtimeCerts = new RuntimeCerts(
    () => new Set([...this.listeners.values()].flatMap((l) => (l.tls ? [l.tls] : []))),
    () => otherTrustFiles(this.config),
    () => this.trustServers(),
  );
  private readonly statsEnabled: boolean;
  /** Access log, engine events and the stats tick, whether or not statistics are on (the control contract's events). */
  readonly events = new EngineEventHub();
  private state: EngineState = 'stopped';
  private stateSince = Date.now();
  /**
   * When start() last began: the servers begin this run in their starting state (UP, or a
   * server-state-file's) without a transition, which a health timeline places here.
   */
  startedAt: number | undefined;
  private configName: string;
  private loadedAt = 0;
  private reloads = 0;
  private lastError: EngineLifecycle['lastError'];
  /** Why the configuration given could not even be loaded (loadFailed): there is nothing to start until reload() brings one. */
  private notLoaded: { code: LoadstarError['code']; message: string } | undefined;

  constructor(private config: Config, options: EngineOptions = {}) {
    const sink = options.sink ?? stdoutSink;
    // Alerts reach the event hub through the sink, so they are events with statistics on or off.
    this.logger = new Logger({
      traffic: (line) => sink.traffic(line),
      alert: (message) => {
        sink.alert(message);
        if (this.events.listening('events')) this.events.publish('events', { type: 'alert', time: Date.now(), message });
      },
      notice: (message, level) => sink.notice?.(message, level),
    });
    this.configName = options.configName ?? 'haproxy.cfg';
    this.startup = options.startupLogs ?? '';
    this.statsEnabled = options.stats ?? true;
    const hub = this.events;
    this.stats.output = {
      accessLogWanted: () => hub.listening('access-log'),
      accessLog: (entry) => hub.publish('access-log', entry),
      state: (event) => hub.publish('events', event),
      tickWanted: () => hub.listening('stats'),
      tick: (tick) => hub.publish('stats', tick),
    };
    this.logger.observer = this.statsEnabled ? this.stats : new AccessLogObserver(this.stats.output);
    // maxcompcpuusage reads the event loop's idle share of the last second, which the tick measures.
    this.stats.process.afterTick = () => (compressionLoad.idlePct = this.stats.process.idlePct);
    this.globalLimiter = new ConnectionLimiter(effectiveMaxconn(config) ?? 0);
    this.sslConns.limit = config.global.maxSslConn ?? 0;
    const unsupported = unsupportedFeatures(config);
    if (unsupported.length > 0) throw new EngineUnsupportedError(unsupported);
  }

  /** Backend runtime state by name (servers, queues), for the control contract and tests. */
  backend(name: string): RuntimeBackend | undefined {
    return this.tables?.backends.get(name);
  }

  /** The running configuration's stick tables (`show table`). */
  stickTables(): StickTables | undefined {
    return this.tables?.stick;
  }

  private readonly startup: string;

  /** What start-up reported (`show startup-logs`): the warnings of the configuration the process started with. */
  startupLogs(): string {
    return this.startup;
  }

  /** An alert line for the operator from the runtime API (a command that failed where it should have answered). */
  alert(message: string): void {
    this.logger.alert(message);
  }

  /** The running configuration's proc.* variables (`get var`). */
  procVariables(): VarMap | undefined {
    return this.tables?.procVars;
  }

  /** The running configuration's runtime DNS (`show resolvers`). */
  resolvers(): EngineResolvers | undefined {
    return this.tables?.resolvers;
  }

  /** Log lines the syslog servers did not get because too many waited to be sent (`show info` DroppedLogs), since start. */
  private readonly logDrops: LogDrops = { dropped: 0 };

  droppedLogs(): number {
    return this.logDrops.dropped;
  }

  /** The listeners of the configuration's `log-forward` sections; undefined without any. */
  private logForwarders: LogForwarders | undefined;

  /** The configuration's syslog servers receive the log lines from now on (the previous configuration's sockets close). */
  private useSyslog(syslog: Syslog): void {
    this.logger.syslog?.close();
    this.logger.syslog = syslog;
    syslog.rings.startForwarding();
  }

  /** Stopping: finishing what is in flight, taking nothing new. */
  isStopping(): boolean {
    return this.stopping;
  }

  /** The running configuration's caches (`show cache`). */
  /** `show info`'s MaxSslConns, CurrSslConns and CumSslConns. */
  sslConnections(): { limit: number; current: number; total: number } {
    return { limit: this.sslConns.limit, current: this.sslConns.current, total: this.sslConns.total };
  }

  /** The running configuration's rings and buf0 (`show events`): its syslog's, which `log ring@` lines write to. */
  rings(): Rings | undefined {
    return this.logger.syslog?.rings;
  }

  httpCaches(): HttpCaches | undefined {
    return this.tables?.caches;
  }

  /** The certificates the binds serve and the runtime API's transaction over them (`show ssl cert`, `set ssl cert` …). */
  sslCerts(): RuntimeCerts {
    return this.runtimeCerts;
  }

  /** The binds' `tls-ticket-keys` files, numbered as the runtime API numbers them (`show tls-keys`, `set ssl tls-key`). */
  ticketKeys(): TicketKeyRef[] {
    return numberedRefs([...this.listeners.values()].flatMap((l) => (l.tls?.ticketKeys ? [l.tls.ticketKeys] : [])));
  }

  /** The running configuration's map and pattern files (`show map`, `add acl` …). */
  patternRefs(): PatternRefs | undefined {
    return this.tables?.patterns;
  }

  /**
   * The configured servers that are users of the CA file tree (server-tls.ts serverTrustUser): a
   * commit of their CA or CRL file builds their context again and forgets their TLS sessions.
   */
  private *trustServers(): Iterable<TrustUsingBind> {
    const tables = this.tables;
    if (!tables) return;
    for (const [name, servers] of tables.serverTls) {
      const backend = tables.backends.get(name);
      if (!backend) continue;
      for (const [serverName, settings] of servers) {
        const server = backend.server(serverName);
        if (!server || server.tls) continue;
        const user = serverTrustUser(server.config, this.config, name, settings, this.runtimeCerts.committedTrust, () => {
          forgetSessions(server);
          this.checks?.retrust(server, settings.base.secureContext);
        });
        if (user) yield user;
      }
    }
  }

  /** TLS settings of a server the runtime API's `add server` makes with `ssl`, counted in `maxsslconn` as the configured ones'. */
  dynamicServerTls(proxy: string, server: Server): ServerTls | undefined {
    const settings = serverTls(server, this.config, proxy);
    return settings && { ...settings, sslConns: this.sslConns };
  }

  /** Active health checks of the running tables (state, timeline, results per server). */
  healthChecks(): HealthChecks | undefined {
    return this.checks;
  }

  /**
   * Every address actually listened on, e.g. to learn the port of `bind 127.0.0.1:0` (tests);
   * `where` as a person reads it (`127.0.0.1:80`, `[::1]:80`, `unix@/run/site.sock`, whose port is 0).
   */
  addresses(): Array<{ frontend: string; address: string; port: number; where: string }> {
    return [...this.listeners.values()].filter((l) => !l.paused).map((l) => {
      const a = l.server.address();
      if (typeof a === 'string' || a === null) return { frontend: l.proxy.name, address: a ?? '', port: 0, where: `unix@${a ?? ''}` };
      return { frontend: l.proxy.name, address: a.address, port: a.port, where: `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` };
    });
  }

  /** The running configuration (the runtime API and the stats page read its settings). */
  currentConfig(): Config {
    return this.config;
  }

  /** Where the engine is in its life, the configuration in force and when it was loaded. */
  lifecycle(): EngineLifecycle {
    return {
      state: this.state, since: this.stateSince, configName: this.configName, loadedAt: this.loadedAt, reloads: this.reloads,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private setState(state: EngineState): void {
    this.state = state;
    this.stateSince = Date.now();
    this.events.publish('events', { type: 'lifecycle', time: this.stateSince, lifecycle: this.lifecycle() });
  }

  /** Every listen spec of the configuration in force and the port it actually listens on (undefined: not listening). */
  listenerStatus(): Array<{ frontend: string; bind: Bind; address: ListenAddress; port: number; listening: number | undefined }> {
    const out: Array<{ frontend: string; bind: Bind; address: ListenAddress; port: number; listening: number | undefined }> = [];
    for (const [key, spec] of listenSpecs(this.config, new Map())) {
      const listener = [...this.listeners.values()].find((l) => l.bind === spec.bind && l.key.startsWith(key.slice(0, key.lastIndexOf('|') + 1)));
      const address = listener?.server.address();
      out.push({ frontend: spec.proxy.name, bind: spec.bind, address: spec.address, port: spec.port, listening: address && typeof address === 'object' ? address.port : undefined });
    }
    return out;
  }

  /**
   * Binds every `bind` line and starts the health checks; also after stop()
   * (the configuration in force, counters and health history are kept).
   * A failure leaves nothing open and the lifecycle `failed`.
   */
  async start(): Promise<void> {
    if (this.notLoaded) {
      this.lastError = this.notLoaded;
      this.setState('failed');
      throw new LoadstarError(this.notLoaded.code, this.notLoaded.message);
    }
    this.setState('starting');
    this.startedAt = Date.now();
    this.stopping = false;
    try {
      const tlsByBind = loadBindTls(this.config, this.runtimeCerts);
      for (const tls of tlsByBind.values()) for (const w of tls.loadWarnings()) this.logger.alert(w);
      await this.resolveSourceNames(this.config);
      this.tables = buildTables(this.config, this.logger, this.services, this.sslConns, this.runtimeCerts.committedTrust);
      // The state a `server-state-file` saved (HAProxy applies it when a new process starts; a reload keeps
      // the running state): read first, as its addresses are init-addr's `last` (apply_server_state before srv_init_addr).
      const saved = await loadServerStateFiles(this.config, this.tables.backends, {
        warn: (m) => this.logger.alert(m),
        log: (proxy, m) => this.logger.proxyEvent(proxy, LOG_NOTICE, m),
      });
      // First addresses (init-addr) before the checks read each server's state.
      await this.prepareResolvers(this.config, this.tables, undefined, saved.lastAddress);
      const syslog = await Syslog.prepare(this.config, this.logDrops, (m) => this.logger.alert(m));
      const checks = new HealthChecks(this.tables.backends, this.config, (m, e, mail) => this.healthNotify(m, e, mail), this.sslConns, (proxy) => fcgiCheckMux(this.config, proxy), this.runtimeCerts.committedTrust);
      // A start after stop() keeps each server's timeline and check results.
      checks.adopt(this.checks);
      // The saved states apply to the servers and their checks before these start.
      const applied = saved.apply(checks.checks);
      // After the checks: the counters take each server's status with its check (not "no check" for a moment).
      this.attachStats(this.config, this.tables);
      for (const { server, at } of applied.lastChanges) server.stats.lastChange = at;
      await this.bindAll(this.config, this.tables, tlsByBind);
      await this.runtimeApi.listen(this.config.global);
      this.certificatePoll = setInterval(() => this.refreshCertificates(), CERTIFICATE_POLL_MS).unref();
      this.checks = checks;
      this.emailAlerts.configure(this.config);
      this.logForwarders = await LogForwarders.open(this.config.logForwards, syslog, (m) => this.logger.alert(m));
      this.useSyslog(syslog);
      checks.start();
      this.tables.resolvers?.start();
      // The tick runs with statistics off too: state changes and the live stats topic come from it.
      this.stats.start();
    } catch (e) {
      for (const l of this.listeners.values()) l.server.close();
      this.listeners.clear();
      await this.runtimeApi.close();
      await this.logForwarders?.close();
      this.logForwarders = undefined;
      this.lastError = errorOf(e);
      this.setState('failed');
      throw e;
    }
    this.loadedAt = Date.now();
    this.lastError = undefined;
    this.setState('running');
    this.programs.start(this.config.programs, this.config.global.masterWorker?.exitOnFailure ?? true);
  }

  /** The status of the program whose failure stopped the engine (exit-on-failure): HAProxy's master exits with it. */
  failedProgramStatus: number | undefined;

  /**
   * A program ended with a failing status under `master-worker` (without `no-exit-on-failure`):
   * HAProxy's master then stops every process; the engine stops at once and is `failed`, and
   * `loadstar run` exits.
   */
  private async programFailed(name: string, status: number): Promise<void> {
    if (this.state !== 'running' && this.state !== 'reloading') return;
    this.failedProgramStatus = status;
    this.logger.alert('exit-on-failure: killing every processes with SIGTERM');
    await this.stop(0);
    this.lastError = { code: 'LS_ERR_ENG_PROGRAM', message: `program '${name}' exited with code ${status}, which stops the engine ('master-worker' exit-on-failure; 'master-worker no-exit-on-failure' keeps it running)` };
    this.setState('failed');
  }

  /**
   * Runtime DNS of a new set of tables (start or reload): built only when a server uses
   * `resolvers`; each such server gets its first address (`init-addr`, `last` being its address
   * in `previous`, the tables running before a reload, or at start the one a server-state file
   * saved, `saved`). Resolutions start with the tables.
   */
  private async prepareResolvers(config: Config, tables: Tables, previous?: Tables, saved?: (backend: string, server: string) => string | undefined): Promise<void> {
    // Through healthNotify: a backend the DNS leaves without servers is told as a check leaving it so would be (alert and emerg log line).
    tables.resolvers = EngineResolvers.build(config, tables.backends, (m) => this.healthNotify(m));
    await tables.resolvers?.prepare(previous?.backends, saved);
    // The other servers given by a host name: HAProxy refuses the configuration when one gives no address
    // (its init-addr honoured; `last` is the same server and name in the running tables). Looked up off the event loop.
    const { problems, starts } = await resolveAtLoad(config, {
      servers: 'without-resolvers',
      logs: false,
      last: (backend, server) => {
        if (!previous) return saved?.(backend, server.name);
        const before = previous.backends.get(backend)?.server(server.name);
        return before !== undefined && !before.addressless && before.config.host === server.host ? before.host : undefined;
      },
    });
    const alerts = problems.filter((p) => p.severity === 'alert');
    if (alerts.length > 0) throw new ResolveAtLoadError(alerts.map((p) => p.message).join('\n'));
    for (const p of problems) this.logger.alert(p.message);
    // init-addr reached `none` (the server waits in maintenance for an address: `set server … addr`) or an
    // address (an init-addr IP, the last one, or the name resolved): connections and checks go there.
    for (const start of starts) {
      const backend = tables.backends.get(start.backend);
      const server = backend?.server(start.server);
      if (!backend || !server) continue;
      if ('address' in start) backend.setServerAddress(server, start.address);
      else {
        backend.setServerAddress(server, undefined);
        backend.setServerResolutionMaint(server, 'no address at start (init-addr)');
      }
    }
  }

  /** `source` host names get their addresses before the servers are built from them; one that gives none refuses the configuration, as in HAProxy. */
  private async resolveSourceNames(config: Config): Promise<void> {
    const alerts = await resolveSources(config);
    if (alerts.length > 0) throw new ResolveAtLoadError(alerts.map((p) => p.message).join('\n'));
  }

  private healthNotify(message: string, event?: HealthEvent, mail?: MailedLine): void {
    const noServer = mail ? undefined : /^backend (.+) has no server available!$/.exec(message)?.[1];
    // HAProxy's alert quotes the backend's name (set_backend_down: "backend 'app' has no server available!"); its log line does not.
    this.logger.alert(noServer === undefined ? message : `backend '${noServer}' has no server available!`);
    // To the backend's syslog servers too, at HAProxy's level: the state change's, emerg for a backend left without servers.
    const backend = mail?.backend ?? noServer;
    const proxy = backend === undefined ? undefined : this.config.proxies.find((p): p is Proxy => p.name === backend && (p.kind === 'backend' || p.kind === 'listen'));
    if (proxy) this.logger.proxyEvent(proxy, mail ? syslogLevel(mail.level) : LOG_EMERG, message);
    if (mail) this.emailAlerts.send(mail.backend, mail.level, message);
    if (event) {
      this.stats.healthEvent(event);
      this.events.publish('events', { type: 'health', time: event.time, event });
    }
  }

  private attachStats(config: Config, tables: Tables): void {
    this.stats.attach({ config, frontends: tables.frontends, backends: tables.backends, overrides: this.overrides, errors: tables.errors });
  }

  /** What runtime API commands changed (paused frontends, maxconn); a reload or a stop forgets it. */
  private readonly overrides: RuntimeOverrides = { paused: new Set(), stopped: new Set(), frontendMaxconn: new Map(), globalMaxconn: undefined, rateLimits: {} };

  private clearOverrides(): void {
    this.overrides.paused.clear();
    this.overrides.stopped.clear();
    this.overrides.frontendMaxconn.clear();
    this.overrides.globalMaxconn = undefined;
    for (const k of ['connections', 'sessions', 'sslSessions', 'compression'] as const) delete this.overrides.rateLimits[k];
    compressionLoad.rateLimitOverride = undefined;
  }

  /** `set maxconn frontend`: its connection limit from now on (0: none but the process's); waiting connections take the room. */
  setFrontendMaxconn(name: string, maxconn: number): void {
    this.overrides.frontendMaxconn.set(name, maxconn);
    this.limiters.get(name)?.setLimit(maxconn);
  }

  /** The process's connection limit as configured or derived at start (HAProxy's hardmaxconn); undefined: unknown. */
  hardMaxconn(): number | undefined {
    return effectiveMaxconn(this.config);
  }

  /** `set maxconn global`: the process's connection limit from now on (at most hardMaxconn()). */
  setGlobalMaxconn(maxconn: number): void {
    this.overrides.globalMaxconn = maxconn;
    this.globalLimiter.setLimit(maxconn);
  }

  /**
   * `set rate-limit connections|sessions|ssl-sessions global <n>`: the process's rate limit from now on
   * (0: none), in place of maxconnrate, maxsessrate or maxsslrate. The connections the listeners hold
   * back are looked at again at once (HAProxy's dequeue_all_listeners): a wait computed under the old
   * limit may be far longer than the new one asks.
   */
  /** `set rate-limit … global`: connections, sessions and TLS sessions per second, compression in kB/s. */
  setGlobalRateLimit(which: 'connections' | 'sessions' | 'sslSessions' | 'compression', limit: number): void {
    if (which === 'compression') {
      compressionLoad.rateLimitOverride = this.overrides.rateLimits.compression = limit * 1024;
      return;
    }
    this.overrides.rateLimits[which] = limit;
    // The connections held back under the old limit are looked at again now (HAProxy's dequeue_all_listeners).
    for (const l of this.listeners.values()) l.gate?.recheck();
  }

  /**
   * `disable frontend`: its listeners stop accepting (new connections are refused, as by a paused
   * HAProxy listener); the connections it has go on. 'already' when none of its listeners accepts.
   */
  pauseFrontend(name: string): 'paused' | 'already' {
    const listeners = [...this.listeners.values()].filter((l) => l.proxy.name === name && !l.paused);
    if (listeners.length === 0) return 'already';
    for (const l of listeners) {
      l.paused = true;
      l.server.close();
    }
    this.overrides.paused.add(name);
    return 'paused';
  }

  /**
   * `shutdown frontend` (stop_proxy): its listeners close for good — `enable frontend` does not open
   * them again, a reload does — and the connections it has go on. 'already': it was stopped before.
   */
  stopFrontend(name: string): 'stopped' | 'already' {
    if (this.overrides.stopped.has(name)) return 'already';
    const proxy = this.config.proxies.find((p): p is Proxy => p.name === name && p.kind !== 'defaults');
    for (const l of this.listeners.values()) {
      if (l.proxy.name !== name || l.paused) continue;
      l.paused = true;
      l.server.close();
    }
    this.overrides.paused.delete(name);
    this.overrides.stopped.add(name);
    // listener.c stop_listener, once the proxy has no listener left: a warning, and to the proxy's log servers.
    const fe = this.tables?.frontends.get(name)?.stats.connTot ?? 0;
    const be = proxy?.kind === 'listen' ? this.tables?.backends.get(name)?.stats.stot ?? 0 : 0;
    const message = `Proxy ${name} stopped (cumulated conns: FE: ${fe}, BE: ${be}).`;
    this.logger.alert(message);
    if (proxy) this.logger.proxyEvent(proxy, LOG_WARNING, message);
    return 'stopped';
  }

  /**
   * `enable frontend`: its paused listeners listen again on their addresses; 'failed' (logged)
   * when one cannot (the port was taken meanwhile), the others being open then.
   */
  async resumeFrontend(name: string): Promise<'resumed' | 'already' | 'failed'> {
    const listeners = [...this.listeners.values()].filter((l) => l.proxy.name === name && l.paused);
    if (listeners.length === 0) return 'already';
    let failed = false;
    for (const l of listeners) {
      const server = this.listenerServer(l);
      try {
        await listen(server, l.address, l.port, l.bind, l.proxy, this.config);
      } catch (e) {
        this.logger.alert(`enable frontend ${name}: ${(e as Error).message}`);
        failed = true;
        continue;
      }
      // A reload or a stop meanwhile replaced or closed it: this socket is not wanted.
      if (this.listeners.get(l.key) !== l || !l.paused) {
        server.close();
        continue;
      }
      l.server = server;
      l.paused = false;
    }
    if (![...this.listeners.values()].some((l) => l.proxy.name === name && l.paused)) this.overrides.paused.delete(name);
    return failed ? 'failed' : 'resumed';
  }

  /** Picks up certificate files replaced on disk; handshakes from now on use them. */
  refreshCertificates(): void {
    for (const l of this.listeners.values()) l.tls?.refresh((m) => this.logger.alert(m));
  }

  /**
   * Applies a new, already validated configuration without dropping unchanged
   * listeners. A refusal keeps the running configuration and is the lifecycle's `lastError`.
   */
  async reload(config: Config, configName?: string): Promise<void> {
    if (this.state === 'failed') return this.startInstead(config, configName);
    const previous = this.state;
    this.setState('reloading');
    try {
      await this.swap(config);
    } catch (e) {
      this.lastError = errorOf(e);
      this.setState(previous);
      throw e;
    }
    this.reloads++;
    this.loadedAt = Date.now();
    this.lastError = undefined;
    if (configName !== undefined) this.configName = configName;
    this.setState(previous === 'stopped' ? previous : 'running');
  }

  /**
   * A failed engine listens on nothing, so a configuration given to it is
   * started rather than swapped in: how a configuration that could not start
   * is fixed from the UI. When that start fails too, the previous configuration
   * is kept (what Start retries) and the lifecycle stays `failed` with the new reason.
   */
  private async startInstead(config: Config, configName: string | undefined): Promise<void> {
    const unsupported = unsupportedFeatures(config);
    if (unsupported.length > 0) {
      const refused = new EngineUnsupportedError(unsupported);
      this.lastError = errorOf(refused);
      this.setState('failed');
      throw refused;
    }
    const previous = { config: this.config, configName: this.configName, notLoaded: this.notLoaded };
    this.config = config;
    if (configName !== undefined) this.configName = configName;
    this.notLoaded = undefined;
    this.globalLimiter.limit = effectiveMaxconn(config) ?? 0;
    this.sslConns.limit = config.global.maxSslConn ?? 0;
    try {
      await this.start();
    } catch (e) {
      this.config = previous.config;
      this.configName = previous.configName;
      this.notLoaded = previous.notLoaded;
      this.globalLimiter.limit = effectiveMaxconn(previous.config) ?? 0;
      this.sslConns.limit = previous.config.global.maxSslConn ?? 0;
      throw e;
    }
    this.reloads++;
  }

  /**
   * The configuration could not be loaded at all (it has errors, or uses what the
   * engine does not run): the engine, built on an empty stand-in, is `failed` with
   * why, and start() refuses the same way until reload() brings a configuration.
   */
  loadFailed(error: { code: LoadstarError['code']; message: string }): void {
    this.notLoaded = error;
    this.lastError = error;
    this.setState('failed');
  }

  /** A reload refused before it reached the engine (the configuration has errors): the lifecycle says why. */
  reloadRefused(error: { code: LoadstarError['code']; message: string }): void {
    this.lastError = error;
    this.setState(this.state);
  }

  private async swap(config: Config): Promise<void> {
    const unsupported = unsupportedFeatures(config);
    if (unsupported.length > 0) throw new EngineUnsupportedError(unsupported);
    // Certificates first: an unusable file rejects the reload before anything changes.
    const certGeneration = this.runtimeCerts.generation;
    const tlsByBind = loadBindTls(config, this.runtimeCerts);
    for (const tls of tlsByBind.values()) for (const w of tls.loadWarnings()) this.logger.alert(w);
    await this.resolveSourceNames(config);
    // The tables of `peers` sections with only the local peer keep their entries (stick/tables.ts).
    const tables = buildTables(config, this.logger, this.services, this.sslConns, this.runtimeCerts.committedTrust, this.tables?.stick);
    await this.prepareResolvers(config, tables, this.tables);
    const syslog = await Syslog.prepare(config, this.logDrops, (m) => this.logger.alert(m));
    const checks = new HealthChecks(tables.backends, config, (m, e, mail) => this.healthNotify(m, e, mail), this.sslConns, (proxy) => fcgiCheckMux(config, proxy), this.runtimeCerts.committedTrust);
    checks.adopt(this.checks);
    carryUncheckedAdmin(this.tables?.backends, tables.backends);
    // Counters before the binds (listeners kept across the reload route to the new tables as soon as they
    // commit), after the checks: a checked server's status is then its carried health, not "no check",
    // which the next tick took for a change ("no check → UP" in the events after every reload).
    this.attachStats(config, tables);
    // Listeners the new configuration drops keep serving until every new bind is open:
    // a failed reload leaves the running ones exactly as they were.
    const wanted = listenSpecs(config, tlsByBind);
    const running = listenSpecs(this.config, new Map([...this.listeners.values()].flatMap((l) => (l.tls ? [[l.bind, l.tls] as const] : []))));
    const removed = new Map<Listener, ListenSpec>();
    for (const [key, listener] of this.listeners) if (!wanted.has(key) && running.has(key)) removed.set(listener, running.get(key)!);
    let binds: PendingBinds | undefined;
    try {
      binds = await this.openBinds(config, tables, tlsByBind, removed);
      await this.runtimeApi.listen(config.global);
    } catch (e) {
      await binds?.rollback();
      if (this.tables) this.attachStats(this.config, this.tables);
      throw e;
    }
    binds.commit();
    // A certificate committed over the runtime API while the binds opened went to the old ones: the new ones read it now.
    if (this.runtimeCerts.generation !== certGeneration) for (const tls of new Set(tlsByBind.values())) tls.refresh((m) => this.logger.alert(m), true);
    this.clearOverrides();
    for (const listener of removed.keys()) {
      if (!binds.closedEarly.has(listener)) listener.server.close();
      this.listeners.delete(listener.key);
    }
    const old = this.tables;
    this.tables = tables;
    this.config = config;
    this.globalLimiter.limit = effectiveMaxconn(config) ?? 0;
    this.sslConns.limit = config.global.maxSslConn ?? 0;
    this.checks?.stop();
    this.checks = checks;
    this.emailAlerts.configure(config);
    this.useSyslog(syslog);
    await this.reopenLogForwarders(config, syslog);
    checks.start();
    old?.resolvers?.stop();
    tables.resolvers?.start();
    for (const backend of old?.httpBackends.values() ?? []) backend.closeIdle();
    // Kept-alive clients come back to the new configuration instead of being served by removed
    // servers and renamed backends for as long as they stay: each old connection ends after its
    // next answer (HttpFrontend.retire says how this differs from HAProxy's soft-stop, and why).
    for (const frontend of old?.frontends.values() ?? []) frontend.retire();
    this.programs.reload(config.programs, config.global.masterWorker?.exitOnFailure ?? true);
  }

  /**
   * A reload's log-forward listeners: the previous ones close first (their addresses are taken again), then
   * the new configuration's open. One that cannot open is an alert: the reload has committed by then.
   */
  private async reopenLogForwarders(config: Config, syslog: Syslog): Promise<void> {
    await this.logForwarders?.close();
    this.logForwarders = undefined;
    try {
      this.logForwarders = await LogForwarders.open(config.logForwards, syslog, (m) => this.logger.alert(m));
    } catch (e) {
      this.logger.alert(`log-forward: cannot open a listener (${(e as Error).message}); the sections' messages are not received.`);
    }
  }

  private async bindAll(config: Config, tables: Tables, tlsByBind: ReadonlyMap<Bind, BindTls>): Promise<void> {
    (await this.openBinds(config, tables, tlsByBind, new Map())).commit();
  }

  /**
   * Opens every bind that is not listening yet; only commit() then points the kept
   * listeners at the new tables and registers the new ones. A bind that fails closes
   * what this call opened and throws, leaving the running listeners as they were.
   * A `removed` listener holding the address of a new bind (same address, other bind
   * options) is closed first and reopened by rollback().
   */
  private async openBinds(
    config: Config, tables: Tables, tlsByBind: ReadonlyMap<Bind, BindTls>, removed: ReadonlyMap<Listener, ListenSpec>,
  ): Promise<PendingBinds> {
    const opened: Listener[] = [];
    const kept: Array<[Listener, ListenSpec]> = [];
    const closedEarly = new Map<Listener, ListenSpec>();
    const rollback = async (): Promise<void> => {
      for (const l of opened) l.server.close();
      for (const [l, spec] of closedEarly) {
        l.server = this.listenerServer(l);
        try {
          await listen(l.server, spec.address, spec.port, spec.bind, spec.proxy, this.config);
        } catch (e) {
          this.logger.alert(`reload rolled back but could not reopen a listener: ${(e as Error).message}`);
        }
      }
      closedEarly.clear();
    };
    try {
      for (const [key, spec] of listenSpecs(config, tlsByBind)) {
        const existing = this.listeners.get(key);
        // A listener `disable frontend` paused opens again with the new configuration (HAProxy's new process listens on every bind).
        if (existing && !existing.paused) {
          kept.push([existing, spec]);
          continue;
        }
        for (const [old, oldSpec] of removed) {
          if (!closedEarly.has(old) && sameSocketAddress(oldSpec, spec)) {
            old.server.close();
            closedEarly.set(old, oldSpec);
          }
        }
        const bindTls = tlsByBind.get(spec.bind);
        const frontend = tables.frontends.get(spec.proxy.name)!;
        const listener: Listener = {
          key, server: undefined as unknown as net.Server, frontend, bind: spec.bind, proxy: spec.proxy, tls: bindTls, keepAlive: tcpKeepAlive(spec.proxy, 'client'), address: spec.address, port: spec.port,
        };
        listener.server = this.listenerServer(listener);
        await listen(listener.server, spec.address, spec.port, spec.bind, spec.proxy, config);
        opened.push(listener);
      }
    } catch (e) {
      await rollback();
      throw e;
    }
    return {
      closedEarly,
      rollback,
      commit: () => {
        for (const [l, spec] of kept) {
          const bindTls = tlsByBind.get(spec.bind);
          l.frontend = tables.frontends.get(spec.proxy.name)!;
          l.proxy = spec.proxy;
          l.keepAlive = tcpKeepAlive(spec.proxy, 'client');
          l.bind = spec.bind;
          l.tls = bindTls;
          if (bindTls) this.wireTls(l, bindTls);
        }
        for (const l of opened) this.listeners.set(l.key, l);
      },
    };
  }

  /** A listening server for `listener` (TLS when its bind has TLS material). */
  private listenerServer(listener: Listener): net.Server {
    const bindTls = listener.tls;
    // tcp-request connection rules see the raw connection, before a TLS handshake; a refused one gets a reset.
    // One they let in is a session (maxsessrate, rate-limit sessions count it).
    const admits = (socket: net.Socket): boolean => {
      if (!listener.frontend.admits(socket)) return (socket.resetAndDestroy(), false);
      // HAProxy's session_accept_fd sets SO_KEEPALIVE (and TCP_KEEPIDLE) before anything is read.
      if (listener.keepAlive !== undefined) socket.setKeepAlive(true, listener.keepAlive);
      this.sessionStarted(listener);
      return true;
    };
    const arrives = (socket: net.Socket, go: () => void): void => this.arrives(listener, socket, go);
    // The rate limits come first: over one, the listener takes nothing in (HAProxy's listener_accept()).
    const gate = new RateGate(() => this.rateChecks(listener), (now) => this.connectionTaken(listener, now));
    listener.gate = gate;
    const gated = (socket: net.Socket, go: () => void): void => gate.admit(socket, go);
    if (!bindTls) return net.createServer({ noDelay: true, allowHalfOpen: true, pauseOnConnect: false }, (socket) => gated(socket, () => { if (admits(socket)) arrives(socket, () => this.accept(listener, socket)); }));
    this.wireTls(listener, bindTls);
    // A TLS connection takes its `maxsslconn` slot first, as HAProxy's ssl_sock_init runs before the
    // tcp-request connection rules; at the limit it is closed without a handshake (tls/ssl-conns.ts).
    const tlsAdmits = (socket: net.Socket): boolean => {
      if (!this.sslConns.take(socket)) return (socket.destroy(), false);
      return admits(socket);
    };
    return createTlsServer(() => listener.tls!, listener.proxy, tlsAdmits, arrives, gated);
  }

  /** Process-wide rates of new connections, sessions and TLS sessions, counted while a limit on them is set. */
  private readonly connRate = new FreqCounter();
  private readonly sessRate = new FreqCounter();
  private readonly sslRate = new FreqCounter();
  /** Each frontend's session rate (`rate-limit sessions`), by name: kept across reloads, as the limiters are. */
  private readonly frontendSessRates = new Map<string, FreqCounter>();

  private frontendSessRate(name: string): FreqCounter {
    let counter = this.frontendSessRates.get(name);
    if (!counter) this.frontendSessRates.set(name, (counter = new FreqCounter()));
    return counter;
  }

  /** The rate limits a new connection on `listener` must fit under now; undefined when none is set (the usual case). */
  private rateChecks(listener: Listener): RateCheck[] | undefined {
    const g = this.config.global;
    // `set rate-limit … global` replaces the configuration's limits (0: none).
    const runtime = this.overrides.rateLimits;
    const conn = runtime.connections ?? g.maxConnRate;
    const sess = runtime.sessions ?? g.maxSessRate;
    const ssl = runtime.sslSessions ?? g.maxSslRate;
    const perFrontend = listener.proxy.rateLimitSessions;
    const tls = listener.tls !== undefined && ssl !== undefined;
    if (conn === undefined && sess === undefined && !tls && !perFrontend) return undefined;
    const checks: RateCheck[] = [];
    if (conn !== undefined) checks.push({ counter: this.connRate, limit: conn });
    if (sess !== undefined) checks.push({ counter: this.sessRate, limit: sess });
    if (tls) checks.push({ counter: this.sslRate, limit: ssl! });
    if (perFrontend) checks.push({ counter: this.frontendSessRate(listener.proxy.name), limit: perFrontend });
    return checks;
  }

  /** A connection the rate gate let in: a new connection, and on a TLS listener a new TLS session. */
  private connectionTaken(listener: Listener, now: number): void {
    const g = this.config.global;
    const runtime = this.overrides.rateLimits;
    if ((runtime.connections ?? g.maxConnRate) !== undefined) this.connRate.add(now);
    if ((runtime.sslSessions ?? g.maxSslRate) !== undefined && listener.tls !== undefined) this.sslRate.add(now);
  }

  private sessionStarted(listener: Listener): void {
    const g = this.config.global;
    const sess = this.overrides.rateLimits.sessions ?? g.maxSessRate;
    const perFrontend = listener.proxy.rateLimitSessions;
    if (sess === undefined && !perFrontend) return;
    const now = rateClock();
    if (sess !== undefined) this.sessRate.add(now);
    if (perFrontend) this.frontendSessRate(listener.proxy.name).add(now);
  }

  /**
   * A connection the `tcp-request connection` rules let in: with `accept-proxy` on its bind (or an
   * `expect-proxy` rule that matched) it must first send a PROXY header, whose addresses become its
   * own; then `go` goes on (TLS handshake, frontend). Other connections go on at once.
   */
  private arrives(listener: Listener, socket: net.Socket, go: () => void): void {
    if (!listener.bind.acceptProxy && !(listener.proxy.tcpRequestRules.length > 0 && proxyHeaderExpected(socket))) return go();
    const acceptedAt = Date.now();
    const listenerPort = socket.localPort;
    this.awaitingHeader.add(socket);
    socket.once('close', () => this.awaitingHeader.delete(socket));
    receiveProxyHeader(socket, listener.proxy.timeouts.client ?? 0, (outcome) => {
      this.awaitingHeader.delete(socket);
      if (outcome.ok) return go();
      if (this.statsEnabled) this.stats.connectionFailedEarly(listener.frontend);
      // session_kill_embryonic: dontlognull drops the connections that closed, failed or timed out before a header.
      if (outcome.log === 'unless-dontlognull' && listener.proxy.options['dontlognull']?.enabled) return;
      const handshake = outcome.error === 'timeout' ? -1 : Date.now() - acceptedAt;
      this.logger.connectionError({
        frontend: listener.frontend, bind: listener.bind, socket, acceptedAt, failure: { reason: outcome.reason, code: PROXY_HEADER_ERROR_CODES[outcome.error] }, handshake, listenerPort,
      });
    });
  }

  /**
   * Established TLS connections go to the listener's frontend; failed or refused handshakes to its
   * counters (conn_tot, ssl_failed_handshake) and its log.
   */
  private wireTls(listener: Listener, bindTls: BindTls): void {
    bindTls.secured = (socket) => this.accept(listener, socket);
    bindTls.logsFailures = this.logger.logsConnectionErrors(listener.proxy);
    bindTls.succeeded = this.statsEnabled ? (socket) => this.stats.tlsHandshake(listener.frontend, socket.isSessionReused() ? 'resumed' : 'new') : undefined;
    bindTls.refused = (socket, failure) => {
      if (this.statsEnabled) {
        this.stats.connectionFailedEarly(listener.frontend);
        if (failure.counted) this.stats.tlsHandshake(listener.frontend, 'failed');
      }
      // session_kill_embryonic: dontlognull drops the connections that closed or timed out.
      if (failure.quiet && listener.proxy.options['dontlognull']?.enabled) return;
      const acceptedAt = handshakeStartOf(socket);
      const handshake = failure === HANDSHAKE_FAILURES.timeout ? -1 : Date.now() - acceptedAt;
      this.logger.connectionError({ frontend: listener.frontend, bind: listener.bind, socket, acceptedAt, failure, handshake });
    };
  }

  /** Connections still waiting for their PROXY header: not a frontend's yet, a stop closes them. */
  private readonly awaitingHeader = new Set<net.Socket>();

  private accept(listener: Listener, socket: net.Socket): void {
    if (this.stopping) return void socket.destroy();
    if ((socket as { encrypted?: boolean }).encrypted) {
      // A TLS connection over one whose addresses a tcp-request connection rule rewrote (set-src …)
      // speaks for them too, and for a PROXY header's addresses, which come after the rules.
      inheritRewrittenAddresses(socket);
      if (listener.bind.acceptProxy) inheritProxyAddresses(socket);
    }
    const frontend = listener.frontend;
    const limiter = this.limiterFor(listener);
    limiter.admit(socket, () => {
      // Containment: an exception while taking the connection in closes it alone (issue #10);
      // once taken in, the frontends' own entry points catch what happens on it.
      try {
        if (this.statsEnabled) this.stats.connectionAccepted(frontend, socket, listener.proxy.mode === 'http' && listener.bind.proto !== 'h2');
        frontend.accept(socket, listener.bind.proto);
      } catch (e) {
        socket.destroy();
        frontend.internalError(e);
      }
    });
  }

  private readonly globalLimiter: ConnectionLimiter;
  /** The process's TLS endpoints, both sides, and `maxsslconn` (tls/ssl-conns.ts); kept across reloads. */
  private readonly sslConns = new SslConns();
  private readonly limiters = new Map<string, ConnectionLimiter>();
  private readonly listenerLimiters = new Map<string, ConnectionLimiter>();

  /** One limiter per frontend name, kept across reloads so the counts stay true. */
  private frontendLimiter(proxy: Proxy): ConnectionLimiter {
    let limiter = this.limiters.get(proxy.name);
    if (!limiter) this.limiters.set(proxy.name, (limiter = new ConnectionLimiter(proxy.maxconn ?? 0, this.globalLimiter)));
    const set = this.overrides.frontendMaxconn.size > 0 ? this.overrides.frontendMaxconn.get(proxy.name) : undefined;
    limiter.limit = set ?? proxy.maxconn ?? 0;
    return limiter;
  }

  /** The frontend's limiter, or below it the listener's own when its bind line has `maxconn` (kept per address and port across reloads). */
  private limiterFor(listener: Listener): ConnectionLimiter {
    const frontend = this.frontendLimiter(listener.proxy);
    const maxconn = listener.bind.maxconn;
    if (maxconn === undefined) return frontend;
    const key = `${listener.proxy.name} ${listener.key}`;
    let limiter = this.listenerLimiters.get(key);
    if (!limiter) this.listenerLimiters.set(key, (limiter = new ConnectionLimiter(maxconn, frontend)));
    limiter.limit = maxconn;
    return limiter;
  }

  /** Stops accepting, waits up to `graceMs` for in-flight connections, then closes them; start() may follow. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    // The programs get SIGTERM with the listeners' close, as HAProxy's master signals every child at once.
    const programsEnded = this.programs.stop();
    try {
      await this.shutdown(graceMs);
      await programsEnded;
    } finally {
      this.setState('stopped');
    }
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.checks?.stop();
    this.tables?.resolvers?.stop();
    this.emailAlerts.close();
    await this.logForwarders?.close();
    this.logForwarders = undefined;
    // The rings' servers are let go at once, as HAProxy's forwarders close when stopping.
    this.logger.syslog?.rings.close();
    clearInterval(this.certificatePoll);
    this.stats.stop();
    await this.runtimeApi.close();
    // Stop accepting now; close()'s callback would wait for every open connection, which is what follows.
    const closed = [...this.listeners.values()].map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    this.listeners.clear();
    this.clearOverrides();
    for (const socket of this.awaitingHeader) socket.destroy();
    this.awaitingHeader.clear();
    const tables = this.tables;
    if (!tables) return;
    for (const backend of tables.httpBackends.values()) backend.closeIdle();
    const deadline = Date.now() + graceMs;
    for (;;) {
      let busy = 0;
      for (const f of tables.frontends.values()) {
        // Idle connections are closed at once; busy ones finish what they are doing.
        f.drain();
        busy += f.busy;
      }
      if (busy === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const f of tables.frontends.values()) f.close();
    for (const backend of tables.httpBackends.values()) backend.closeIdle();
    // Sockets not handed to a frontend yet (a TLS handshake in progress) do not hold the stop for long.
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** A lifecycle's lastError: registered codes kept, anything else is an internal failure. */
function errorOf(e: unknown): { code: LoadstarError['code']; message: string } {
  if (e instanceof LoadstarError) return { code: e.code, message: e.message };
  return { code: 'LS_ERR_CTL_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** The backend's `use-fcgi-app` application compiled for its `proto fcgi` servers (fcgi-upstream.ts); undefined without. */
function fcgiBackend(config: Config, proxy: Proxy, logger: Logger): FcgiBackend | undefined {
  const app = backendFcgiApp(config, proxy);
  if (!app) return undefined;
  const targets = { logs: app.logStderr };
  return new FcgiBackend(app, proxy, (message) => logger.fcgiStderr(targets, app.name, message));
}

/** `committed`: CA and CRL contents committed over the runtime API, which the servers' contexts read instead of their files. */
function buildTables(config: Config, logger: Logger, services: LocalServices, sslConns: SslConns, committed: CommittedTrust, previousStick?: StickTables): Tables {
  // Every map and pattern file is read afresh, as by HAProxy's new process: changes made at run time are gone.
  const patterns = new PatternRefs((config.patternFiles ?? []).map((u) => ({ name: u.file, kind: u.kind, file: u.loc.file, line: u.loc.line })));
  return withPatternRefs(patterns, () => ({ ...buildTablesWith(config, logger, services, sslConns, committed, previousStick), patterns }));
}

function buildTablesWith(config: Config, logger: Logger, services: LocalServices, sslConns: SslConns, committed: CommittedTrust, previousStick?: StickTables): Omit<Tables, 'patterns'> {
  // Before any rule is compiled: track-sc actions find their tables (fresh ones on each load, but for peers' hand-over).
  const stick = new StickTables(config, previousStick);
  // Empty on every load, as in HAProxy's new process; before any rule is compiled (cache-use finds its cache).
  const caches = new HttpCaches(config);
  const backends = new Map<string, RuntimeBackend>();
  const httpBackends = new Map<string, HttpBackend>();
  /** `server … ssl` of TCP-mode backends (tcp/frontend.ts), by backend then server name. */
  const tcpServerTls = new Map<string, Map<string, ServerTls>>();
  /** Every backend's, for the runtime API's CA file commits. */
  const serverTls = new Map<string, Map<string, ServerTls>>();
  for (const proxy of config.proxies) {
    if (proxy.kind !== 'backend' && proxy.kind !== 'listen') continue;
    if (proxy.disabled) continue;
    const runtime = new RuntimeBackend(proxy, backendFullconn(config, proxy));
    backends.set(proxy.name, runtime);
    const secure = proxy.servers.some((s) => s.options.ssl) ? backendServerTls(proxy, config, sslConns, committed) : new Map<string, ServerTls>();
    if (secure.size > 0) serverTls.set(proxy.name, secure);
    if (proxy.mode === 'http') httpBackends.set(proxy.name, new HttpBackend(proxy, runtime, secure, config.global, fcgiBackend(config, proxy, logger)));
    else if (secure.size > 0) tcpServerTls.set(proxy.name, secure);
  }
  linkTracks(backends);
  const frontends = new Map<string, Frontend>();
  const hooks = engineHooks(config, backends, stick);
  const procVars = processVariables(config);
  const limits = requestLimits(config.global);
  const errors = new ErrorSnapshots(limits.bufsize);
  for (const proxy of config.proxies) {
    if (proxy.kind !== 'frontend' && proxy.kind !== 'listen') continue;
    if (proxy.disabled) continue;
    const mode = proxy.mode;
    if (mode === 'http') {
      const frontend = new HttpFrontend(proxy, httpBackends, logger, config.global);
      frontend.hooks = hooks;
      frontend.limits = frontendLimits(limits, proxy);
      frontend.errorSnapshots = errors;
      frontend.localServices = services;
      frontend.procVars = procVars;
      frontends.set(proxy.name, frontend);
    } else {
      const frontend = new TcpFrontend(proxy, backends, logger, tcpServerTls);
      frontend.procVars = procVars;
      if (frontend.httpUpgrade) {
        // Its connections may go on as HTTP (TCP→HTTP upgrade): an HTTP engine of its own, built only then.
        const http = new UpgradedHttpFrontend(proxy, httpBackends, logger, config.global, !switchesToHttp(proxy));
        http.hooks = hooks;
        http.limits = frontendLimits(limits, proxy);
        http.errorSnapshots = errors;
        http.localServices = services;
        http.procVars = procVars;
        frontend.upgrade = http;
      }
      frontends.set(proxy.name, frontend);
    }
  }
  return { backends, httpBackends, frontends, stick, caches, resolvers: undefined, procVars, serverTls, errors };
}

/** Binds opened by a reload, not in force yet. */
interface PendingBinds {
  /** Points kept listeners at the new tables and registers the new ones. */
  commit(): void;
  /** Closes what was opened and reopens the removed listeners closed early. */
  rollback(): Promise<void>;
  /** Removed listeners already closed to free the address of a new bind. */
  readonly closedEarly: ReadonlyMap<Listener, ListenSpec>;
}

/** Would a socket bound for `a` keep one for `b` from binding (same port on an overlapping host, same UNIX path)? */
function sameSocketAddress(a: ListenSpec, b: ListenSpec): boolean {
  if (a.address.family === 'unix' || b.address.family === 'unix') return a.address.family === b.address.family && a.address.host === b.address.host;
  if (a.port !== b.port || a.port === 0) return false; // port 0: each gets its own
  const wildcard = (h: string): boolean => h === '' || h === '0.0.0.0' || h === '::';
  return a.address.host === b.address.host || wildcard(a.address.host) || wildcard(b.address.host);
}

interface ListenSpec {
  address: ListenAddress;
  port: number;
  bind: Bind;
  proxy: Proxy;
}

/** One entry per (address, port): port ranges expand, as HAProxy binds each port. */
function listenSpecs(config: Config, tlsByBind: ReadonlyMap<Bind, BindTls>): Map<string, ListenSpec> {
  const specs = new Map<string, ListenSpec>();
  for (const proxy of config.proxies) {
    if ((proxy.kind !== 'frontend' && proxy.kind !== 'listen') || proxy.disabled) continue;
    for (const bind of proxy.binds) {
      for (const address of bind.addresses) {
        for (let port = address.port; port <= address.portEnd; port++) {
          const key = `${address.family}|${address.host}|${port}|${bind.v6only}|${bind.v4v6}|${tlsListenerKey(tlsByBind.get(bind))}`;
          specs.set(key, { address, port, bind, proxy });
        }
      }
    }
  }
  return specs;
}

/** HAProxy's listener_backlog: the bind's backlog, the frontend's, the bind's maxconn, the frontend's, the global maxconn, 1024. */
function listenBacklog(bind: Bind, proxy: Proxy, config: Config): number {
  return bind.backlog || proxy.backlog || bind.maxconn || proxy.maxconn || effectiveMaxconn(config) || 1024;
}

function listen(server: net.Server, address: ListenAddress, port: number, bind: Bind, proxy: Proxy, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      // libuv reports a UNIX socket path in a missing directory as EACCES, which reads as a port's privilege.
      const directory = address.family === 'unix' ? path.dirname(address.host) : '';
      const cause = directory && !fs.existsSync(directory) ? Object.assign(new Error(`no such directory: ${directory}`), { cause: e }) : e;
      reject(new BindError(address, port, bind, proxy, cause));
    };
    server.once('error', onError);
    // HAProxy binds a UNIX socket under a temporary name and renames it over the path: a stale socket
    // of an earlier run, or any file there, is replaced. Removed first here, so that Node's close()
    // still removes the path it listened on.
    if (address.family === 'unix') {
      try {
        if (!fs.statSync(address.host).isDirectory()) fs.unlinkSync(address.host);
      } catch {
        // Nothing there (or not removable): listen() says what is wrong.
      }
    }
    const options: net.ListenOptions = address.family === 'unix'
      ? { path: address.host }
      : {
        host: address.host === '' ? (address.family === 'ipv6' ? '::' : '0.0.0.0') : address.host,
        port,
        ipv6Only: bind.v6only,
        backlog: listenBacklog(bind, proxy, config),
      };
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
