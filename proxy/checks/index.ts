/**
 * Health checks for an engine's tables (DESIGN.md §4 `checks/`): one
 * ServerCheck per server with `check`, started with a random first delay so
 * a start or reload does not check every server at once, and carrying the
 * health of servers that survive a reload (same backend and server name, still
 * checked at the same address; ServerCheck.adopt says what a moved one keeps).
 * A server with only `agent-check` gets one too, whose regular check does not run.
 */
import type { BalancingProxy, Config, Proxy, Server } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { ServerCheck } from './checker.ts';
import type { HealthNotify } from './checker.ts';
import type { FcgiCheckMux } from './types.ts';
import { agentPort, checkSettings, nodeName } from './settings.ts';
import { checkTls, connectRuleTls } from '../tls/server-tls.ts';
import type { SslConns } from '../tls/ssl-conns.ts';
import type { CommittedTrust } from '../tls/client-trust.ts';
import type tls from 'node:tls';
import { followTrackers, settleTrackers } from './track.ts';
import { externalCheckSpec } from './external.ts';

export { ServerCheck } from './checker.ts';
export { loadServerStateFiles } from './server-state-file.ts';
export type { HealthEvent } from './events.ts';
export type { CheckResult, CheckCode } from './types.ts';

export class HealthChecks {
  readonly checks: ServerCheck[] = [];

  private readonly backends: ReadonlyMap<string, RuntimeBackend>;

  /**
   * @param sslConns the process's TLS endpoints (`maxsslconn`), which TLS checks count towards.
   * @param fcgiFor the FastCGI mux of a backend's `proto fcgi` servers (built by the HTTP layer), for their HTTP checks.
   * @param committed CA and CRL contents committed over the runtime API, which TLS checks read instead of the files.
   */
  constructor(
    backends: ReadonlyMap<string, RuntimeBackend>,
    private readonly config: Config,
    private readonly notify: HealthNotify,
    private readonly sslConns?: SslConns,
    private readonly fcgiFor?: (proxy: Proxy) => FcgiCheckMux | undefined,
    private readonly committed?: CommittedTrust,
  ) {
    this.backends = backends;
    for (const backend of backends.values()) backend.trackersFollow = (server) => followTrackers(server, notify);
    for (const backend of backends.values()) {
      for (const server of backend.servers) {
        const check = this.build(backend, server);
        if (check) this.checks.push(check);
      }
    }
  }

  /**
   * The server's check, for `set server … health` and the stats page's hrunn/hnolb/hdown: HAProxy keeps
   * a check's health on every server and forces one without check too. A server with neither check
   * nor agent gets its ServerCheck then: never started, its regular check off ("no check"), it holds
   * the forced state, logs the change and has its trackers follow.
   */
  forcible(backend: RuntimeBackend, server: RuntimeServer): ServerCheck {
    if (server.check) return server.check as ServerCheck;
    const check = this.build(backend, server, true)!;
    this.checks.push(check);
    return check;
  }

  /** The check of a server with `check` or an agent it can reach, else undefined (unless `always`). */
  private build(backend: RuntimeBackend, server: RuntimeServer, always = false): ServerCheck | undefined {
    const config = this.config;
    const o = server.config.options;
    if (!always && !o.check && !(o.agentCheck && agentPort(server.config) !== undefined)) return undefined;
    const spread = Number(config.global.tune['spread-checks'] ?? 0) || 0;
    const settings = checkSettings(backend.config, server.config, spread, checkTls(server.config, config, backend.config.name, this.committed), nodeName(config), connectLinesTls(backend.config, server.config, config, this.committed), config.global.pp2NeverSendLocal, o.proto === 'fcgi' ? this.fcgiFor?.(backend.config) : undefined);
    if ((settings.target.tls || settings.target.connectTls) && this.sslConns) settings.target.sslConns = this.sslConns;
    if (settings.kind === 'external') settings.external = externalCheckSpec(backend.config, server.config, server, proxyId(config, backend.config));
    return new ServerCheck(backend, server, settings, this.notify);
  }

  /**
   * A server `add server` placed in a running backend: its check and agent are built stopped
   * (HAProxy clears CHK_ST_ENABLED for a dynamic server): `enable health` / `enable agent` start them.
   */
  addServer(backend: RuntimeBackend, server: RuntimeServer): void {
    const check = this.build(backend, server);
    if (!check) return;
    check.disableHealth();
    check.disableAgent();
    check.start();
    this.checks.push(check);
  }

  /** A server `del server` removed: its check stops for good. */
  removeServer(server: RuntimeServer): void {
    const at = this.checks.findIndex((c) => c.server === server);
    if (at < 0) return;
    this.checks[at]!.stop();
    this.checks.splice(at, 1);
  }

  /** Carries over the state of servers that still exist; call before the new tables serve traffic. */
  adopt(previous: HealthChecks | undefined): void {
    if (previous) this.adoptFrom(previous);
    settleTrackers(this.backends.values());
  }

  private adoptFrom(previous: HealthChecks): void {
    // A server `add server` made is gone with the reload: one the file declares under its name starts afresh.
    const old = new Map(previous.checks.filter((c) => !c.server.config.dynamic).map((c) => [`${c.backend.name}/${c.server.name}`, c]));
    for (const check of this.checks) {
      const before = old.get(`${check.backend.name}/${check.server.name}`);
      if (before) check.adopt(before);
    }
    for (const backend of new Set(this.checks.map((c) => c.backend))) {
      for (const s of backend.servers) backend.balancer.update(s);
    }
  }

  /**
   * Starts every check and agent, their first runs spread as HAProxy's start_checks spreads them:
   * the n-th of N (in configuration order, a server's check before its agent) after
   * n × interval ÷ N, the interval being the smallest of 1 s or more among them (its own when
   * longer), at most `max-spread-checks`. The first server is checked at once.
   */
  start(): void {
    const maxSpread = Number(this.config.global.tune['max-spread-checks'] ?? 0) || 0;
    const runs: Array<{ interval: number; check: ServerCheck; agent: boolean }> = [];
    for (const check of this.checks) {
      if (check.settings.active) runs.push({ interval: check.state.interval(), check, agent: false });
      if (check.agent) runs.push({ interval: check.agent.settings.inter, check, agent: true });
    }
    // SRV_CHK_INTER_THRES: shorter intervals do not set the spread.
    const spreadOver = Math.min(...runs.map((r) => r.interval).filter((i) => i >= 1000));
    const firstDelays = new Map<ServerCheck, { health?: number; agent?: number }>();
    runs.forEach((run, position) => {
      let over = Math.max(Number.isFinite(spreadOver) ? spreadOver : 0, run.interval);
      if (maxSpread > 0 && over > maxSpread) over = maxSpread;
      const delays = firstDelays.get(run.check) ?? {};
      delays[run.agent ? 'agent' : 'health'] = Math.trunc((over * position) / runs.length);
      firstDelays.set(run.check, delays);
    });
    for (const check of this.checks) {
      const delays = firstDelays.get(check);
      check.start(delays?.health, delays?.agent);
    }
  }

  stop(): void {
    for (const check of this.checks) check.stop();
  }

  /**
   * `commit ssl ca-file` / `crl-file` built the server's TLS context again (tls/server-tls.ts
   * serverTrustUser): its checks connect with it from now on, as HAProxy's use the server's SSL_CTX.
   */
  retrust(server: RuntimeServer, secureContext: tls.SecureContext | undefined): void {
    for (const check of this.checks) {
      if (check.server !== server) continue;
      const target = check.settings.target;
      for (const options of [target.tls, ...(target.connectTls?.values() ?? [])]) if (options) options.secureContext = secureContext;
    }
  }

  find(backend: string, server: string): ServerCheck | undefined {
    return this.checks.find((c) => c.backend.name === backend && c.server.name === server);
  }
}

/** The TLS options of the proxy's check `connect` lines that connect over TLS, for this server; undefined when none does. */
function connectLinesTls(proxy: BalancingProxy, server: Server, config: Config, committed: CommittedTrust | undefined): Map<object, tls.ConnectionOptions> | undefined {
  let found: Map<object, tls.ConnectionOptions> | undefined;
  for (const rules of [proxy.tcpCheckRules, proxy.httpCheckRules]) {
    for (const rule of rules) {
      if (rule.type !== 'connect') continue;
      const options = connectRuleTls(server, config, proxy.name, rule, committed);
      if (options) (found ??= new Map()).set(rule, options);
    }
  }
  return found;
}

/** A proxy's id as HAProxy numbers it: its `id`, else its place among the proxies, after the CLI's own when a stats socket exists. */
export function proxyId(config: Config, proxy: BalancingProxy): number {
  if (proxy.id !== undefined) return proxy.id;
  let next = config.global.statsSockets.length > 0 ? 2 : 1;
  for (const p of config.proxies) {
    if (p.kind === 'defaults') continue;
    if (p === proxy || p.name === proxy.name) return next;
    next++;
  }
  return next;
}

