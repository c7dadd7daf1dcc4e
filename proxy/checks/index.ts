/**
 * Health checks for an engine's tables (DESIGN.md §4 `checks/`): one
 * ServerCheck per server with `check`, started with a random first delay so
 * a start or reload does not check every server at once, and carrying the
 * health of servers that survive a reload (same backend and server name, still
 * checked at the same address; ServerCheck.adopt says what a moved one keeps).
 * A server with only `agent-check` gets one too, whose regular check does not run.
 */
import type { Config } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import { ServerCheck } from './checker.ts';
import type { HealthNotify } from './checker.ts';
import { agentPort, checkSettings, nodeName } from './settings.ts';
import { checkTls } from '../tls/server-tls.ts';
import type { SslConns } from '../tls/ssl-conns.ts';
import { followTrackers, settleTrackers } from './track.ts';

export { ServerCheck } from './checker.ts';
export type { HealthEvent } from './events.ts';
export type { CheckResult, CheckCode } from './types.ts';

export class HealthChecks {
  readonly checks: ServerCheck[] = [];

  private readonly backends: ReadonlyMap<string, RuntimeBackend>;

  /** @param sslConns the process's TLS endpoints (`maxsslconn`), which TLS checks count towards. */
  constructor(backends: ReadonlyMap<string, RuntimeBackend>, config: Config, notify: HealthNotify, sslConns?: SslConns) {
    this.backends = backends;
    for (const backend of backends.values()) backend.trackersFollow = (server) => followTrackers(server, notify);
    const spread = Number(config.global.tune['spread-checks'] ?? 0) || 0;
    const node = nodeName(config);
    for (const backend of backends.values()) {
      for (const server of backend.servers) {
        const o = server.config.options;
        if (!o.check && !(o.agentCheck && agentPort(server.config) !== undefined)) continue;
        const settings = checkSettings(backend.config, server.config, spread, checkTls(server.config, config, backend.config.name), node);
        if (settings.target.tls && sslConns) settings.target.sslConns = sslConns;
        this.checks.push(new ServerCheck(backend, server, settings, notify));
      }
    }
  }

  /** Carries over the state of servers that still exist; call before the new tables serve traffic. */
  adopt(previous: HealthChecks | undefined): void {
    if (previous) this.adoptFrom(previous);
    settleTrackers(this.backends.values());
  }

  private adoptFrom(previous: HealthChecks): void {
    const old = new Map(previous.checks.map((c) => [`${c.backend.name}/${c.server.name}`, c]));
    for (const check of this.checks) {
      const before = old.get(`${check.backend.name}/${check.server.name}`);
      if (before) check.adopt(before);
    }
    for (const backend of new Set(this.checks.map((c) => c.backend))) {
      for (const s of backend.servers) backend.balancer.update(s);
    }
  }

  start(): void {
    for (const check of this.checks) check.start();
  }

  stop(): void {
    for (const check of this.checks) check.stop();
  }

  find(backend: string, server: string): ServerCheck | undefined {
    return this.checks.find((c) => c.backend.name === backend && c.server.name === server);
  }
}
