/**
 * The status snapshot: the engine's lifecycle, frontends with their binds and
 * routing, backends and servers with admin state, weights and their check,
 * all read from the engine at the moment of the call (the configuration in
 * force, never a copy that a reload would leave stale).
 */
import type { Engine } from '../engine.ts';
import type { BalancingProxy, FrontendProxy, ListenProxy, Proxy, SwitchingRule } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { DEFAULT_STATS_URI } from '../config/model.ts';
import { traceRequest } from '../http/trace.ts';
import type { BackendStatus, BindStatus, FrontendStatus, PageStatus, RouteStatus, ServerAdminState, ServerCheckStatus, ServerStatus, StatusSnapshot } from './contract.ts';

export function statusSnapshot(engine: Engine, now = Date.now()): StatusSnapshot {
  const config = engine.currentConfig();
  // Status labels and last-change times as of now (a change made outside the checks is noticed here).
  engine.stats.sync(now);
  const listeners = engine.listenerStatus();
  const frontends: FrontendStatus[] = [];
  const backends: BackendStatus[] = [];
  for (const proxy of config.proxies) {
    if (proxy.disabled || proxy.kind === 'defaults') continue;
    if (proxy.kind === 'frontend' || proxy.kind === 'listen') {
      const plainRedirects = redirectsPlainToHttps(engine, proxy);
      frontends.push({
        name: proxy.name,
        mode: proxy.mode,
        binds: listeners.filter((l) => l.frontend === proxy.name).map((l): BindStatus => ({
          address: l.address.host === '' ? (l.address.family === 'ipv6' ? '::' : '0.0.0.0') : l.address.host,
          port: l.listening ?? l.port,
          tls: l.bind.ssl,
          listening: l.listening !== undefined,
          ...(plainRedirects && !l.bind.ssl ? { redirectsToHttps: true as const } : {}),
        })),
        routes: proxy.switchingRules.map((rule) => ({ backend: rule.backend, condition: conditionText(proxy, rule) } satisfies RouteStatus)),
        ...pagesOf(proxy),
        ...(proxy.defaultBackend ? { defaultBackend: proxy.defaultBackend.name } : proxy.kind === 'listen' ? { defaultBackend: proxy.name } : {}),
        current: engine.stats.counters('frontend', proxy.name)?.scur ?? 0,
      });
    }
    if (proxy.kind === 'backend' || proxy.kind === 'listen') {
      const runtime = engine.backend(proxy.name);
      if (runtime) backends.push(backendStatus(proxy, runtime));
    }
  }
  return { at: now, lifecycle: engine.lifecycle(), frontends, backends };
}

function backendStatus(proxy: BalancingProxy, runtime: RuntimeBackend): BackendStatus {
  const servers = runtime.servers.map(serverStatus);
  return {
    name: proxy.name,
    mode: proxy.mode,
    algorithm: proxy.balance.algorithm,
    queued: runtime.queue.length,
    usable: servers.filter((s) => s.usable).length,
    servers,
  };
}

export function serverStatus(server: RuntimeServer): ServerStatus {
  const check = server.check;
  // DNS's own maintenance (HAProxy's RMAINT) is not the operator's: the admin state reads ready unless they asked for maintenance too.
  const heldByDns = server.resolutionMaint !== undefined && !server.maintForcedUnderDns;
  const admin = heldByDns ? 'READY' : check ? check.state.admin : server.admin;
  // Slow start: the weight in effect is a sixteenth-step share of the runtime weight.
  const weight = server.warmup === undefined ? server.weight : Math.floor((server.weight * server.warmup) / 16);
  return {
    name: server.name,
    address: server.addressless ? '' : server.address,
    ...(server.fqdn !== undefined ? { fqdn: server.fqdn } : {}),
    ...(server.resolutionMaint !== undefined ? { resolution: server.resolutionMaint.trim() } : {}),
    status: server.status,
    admin: admin.toLowerCase() as ServerAdminState,
    usable: server.usable && server.weight > 0,
    weight,
    configuredWeight: server.config.options.weight,
    backup: server.backup,
    current: server.served,
    queued: server.queued,
    maxconn: server.maxconn,
    total: server.total,
    connectErrors: server.connectErrors,
    retries: server.retries,
    lastChange: server.stats.lastChange,
    ...(check ? { check: checkStatus(server) } : {}),
  };
}

function checkStatus(server: RuntimeServer): ServerCheckStatus {
  const check = server.check!;
  const last = check.results.last();
  const settings = check.settings;
  const kind = !settings.active ? 'agent' : settings.kind === 'tcp' && settings.target.tls ? 'ssl' : settings.kind;
  return {
    kind,
    ...(last ? { lastCode: last.code, lastDurationMs: last.durationMs, ...(last.info ? { lastInfo: last.info } : {}) } : {}),
    inter: settings.timings.inter,
    rise: settings.timings.rise,
    fall: settings.timings.fall,
  };
}

/** The stats page (`stats enable|uri`…) and Prometheus metrics (`http-request use-service prometheus-exporter`) of a frontend. */
function pagesOf(proxy: Proxy): { pages?: PageStatus[] } {
  const pages: PageStatus[] = [];
  if (proxy.mode === 'http' && proxy.stats.enabled) pages.push({ kind: 'stats', path: proxy.stats.uri ?? DEFAULT_STATS_URI });
  for (const rule of proxy.httpRequestRules) {
    if (rule.action.type !== 'use-service' || rule.action.service !== 'prometheus-exporter') continue;
    const directive = proxy.section.directives.find((d) => d.loc === rule.loc || (d.keyword === 'http-request' && d.loc.line === rule.loc.line && d.loc.file === rule.loc.file));
    const words = directive?.args ?? [];
    const start = words.findIndex((w) => w === 'if' || w === 'unless');
    const condition = start < 0 ? '' : words.slice(start).join(' ');
    const plain = /^if \{ path (\S+) \}$/.exec(condition);
    pages.push({ kind: 'metrics', ...(plain ? { path: plain[1]! } : condition ? { condition } : {}) });
  }
  return pages.length > 0 ? { pages } : {};
}

/**
 * Whether a plain request to an HTTP frontend is answered with a redirect to HTTPS: the request the
 * tracer would describe (GET / over plain HTTP), so that whatever the rules test (`!{ ssl_fc }`,
 * `unless { ssl_fc }`, nothing) is the engine's own verdict. Only frontends with a redirect rule and a
 * plain bind are traced.
 */
function redirectsPlainToHttps(engine: Engine, proxy: FrontendProxy | ListenProxy): boolean {
  if (proxy.mode !== 'http') return false;
  if (!proxy.binds.some((b) => !b.ssl)) return false;
  if (!proxy.httpRequestRules.some((r) => r.action.type === 'redirect') && proxy.redirectRules.length === 0) return false;
  const traced = traceRequest(engine, { frontend: proxy.name, url: '/', headers: [['Host', 'loadstar.invalid']], tls: false });
  return traced.ok && traced.value.answer?.kind === 'redirect' && /^https:/i.test(traced.value.answer.location ?? '');
}

/** `if is_api`, `unless { ssl_fc }`: the rule's condition words as written on its line; '' when unconditional. */
function conditionText(proxy: Proxy, rule: SwitchingRule): string {
  if (!rule.condition) return '';
  const directive = proxy.section.directives.find((d) => d.loc === rule.loc)
    ?? proxy.section.directives.find((d) => d.keyword === 'use_backend' && d.loc.line === rule.loc.line && d.loc.file === rule.loc.file);
  if (!directive) return '';
  const words = directive.args;
  const start = words.findIndex((w, i) => i > 0 && (w === 'if' || w === 'unless'));
  return start < 0 ? '' : words.slice(start).join(' ');
}
