/**
 * The one provisioning step (DESIGN.md §6): resolves each proxy's defaults
 * section (`from NAME`, else the last defaults above it), copies inherited
 * settings, expands server-templates, applies `default-server` and fills in
 * HAProxy's built-in defaults (mode, retries, balance). After it, a proxy's
 * typed fields are the effective settings the engine uses: consumers read
 * them as they are, without supplying defaults of their own.
 */
import type { Diagnostics } from './diagnostics.ts';
import type { Config, Proxy, ProxyMode, Server, ServerOptions } from './model.ts';

/** HAProxy's built-in server defaults (configuration.txt §5.2). */
export const SERVER_DEFAULTS = {
  /** ms */
  inter: 2000,
  rise: 2,
  fall: 3,
  weight: 1,
  errorLimit: 10,
  onError: 'fail-check',
  observe: 'none',
} as const satisfies ServerOptions;

/** HAProxy's built-in proxy defaults. */
export const PROXY_DEFAULTS = {
  mode: 'tcp',
  retries: 3,
  balance: 'roundrobin',
} as const;

export function provision(config: Config, diagnostics: Diagnostics): void {
  const named = new Map<string, Proxy>();
  let lastDefaults: Proxy | undefined;
  for (const proxy of config.proxies) {
    let parent: Proxy | undefined = lastDefaults;
    const from = proxy.section.from;
    if (from !== undefined) {
      parent = named.get(from);
      if (!parent) {
        const label = proxy.name ? `${proxy.kind} '${proxy.name}'` : 'anonymous defaults section';
        diagnostics.alert(proxy.section.loc, 'LS_ERR_CFG_REFERENCE', `defaults section '${from}' not found for ${label}.`, proxy.kind);
      }
    }
    if (parent) inherit(proxy, parent);
    if (proxy.kind === 'defaults') {
      if (proxy.name) named.set(proxy.name, proxy);
      lastDefaults = proxy;
      continue;
    }
    expandTemplates(proxy);
    for (const server of proxy.servers) server.options = { ...proxy.defaultServer, ...server.options };
    applyBuiltinDefaults(proxy);
  }
}

/** What neither the proxy nor its defaults section set takes HAProxy's built-in value. */
function applyBuiltinDefaults(proxy: Proxy): void {
  proxy.mode ??= PROXY_DEFAULTS.mode;
  proxy.retries ??= PROXY_DEFAULTS.retries;
  if (proxy.kind === 'backend' || proxy.kind === 'listen') proxy.balance ??= { algorithm: PROXY_DEFAULTS.balance, loc: proxy.section.loc };
}

/**
 * The defaults section `proxy` inherits from: the one named by `from`, else
 * the last defaults section above it — resolved as provision() does, but
 * usable while the configuration is still being parsed (the sections above
 * are complete, `proxy` itself may not be).
 */
export function inheritedDefaults(config: Config, proxy: Proxy): Proxy | undefined {
  const named = new Map<string, Proxy>();
  let lastDefaults: Proxy | undefined;
  for (const p of config.proxies) {
    if (p === proxy) break;
    if (p.kind !== 'defaults') continue;
    if (p.name) named.set(p.name, p);
    lastDefaults = p;
  }
  const from = proxy.section.from;
  return from !== undefined ? named.get(from) : lastDefaults;
}

/**
 * The mode of `proxy` as it stands while its section is parsed: its own
 * `mode` line so far, else its defaults section's (through `from` chains),
 * else HAProxy's built-in tcp — what HAProxy checks keywords parsed there against.
 */
export function modeSoFar(config: Config, proxy: Proxy): ProxyMode {
  const seen = new Set<Proxy>();
  for (let p: Proxy | undefined = proxy; p && !seen.has(p); p = inheritedDefaults(config, p)) {
    if (p.mode !== undefined) return p.mode;
    seen.add(p);
  }
  return PROXY_DEFAULTS.mode;
}

function inherit(proxy: Proxy, parent: Proxy): void {
  proxy.defaults = parent;
  proxy.mode ??= parent.mode;
  proxy.balance ??= parent.balance;
  proxy.hashType ??= parent.hashType;
  proxy.timeouts = { ...parent.timeouts, ...proxy.timeouts };
  proxy.options = { ...parent.options, ...proxy.options };
  proxy.defaultServer = { ...parent.defaultServer, ...proxy.defaultServer };
  proxy.retries ??= parent.retries;
  proxy.fullconn ??= parent.fullconn;
  if (proxy.kind !== 'backend') proxy.maxconn ??= parent.maxconn;
  if (proxy.logs.length === 0 && !proxy.noLog) proxy.logs = [...parent.logs];
  proxy.logFormat ??= parent.logFormat;
  proxy.defaultBackend ??= parent.defaultBackend;
  proxy.monitorUri ??= parent.monitorUri;
  proxy.cookie ??= parent.cookie;
  proxy.inspectDelay ??= parent.inspectDelay;
  proxy.httpCheckRequest ??= parent.httpCheckRequest;
  if (proxy.httpCheckRules.length === 0) proxy.httpCheckRules = [...parent.httpCheckRules];
  if (proxy.tcpCheckRules.length === 0) proxy.tcpCheckRules = [...parent.tcpCheckRules];
  proxy.httpCheckDisableOn404 ||= parent.httpCheckDisableOn404;
  proxy.errorfiles = new Map([...parent.errorfiles, ...proxy.errorfiles]);
  if (proxy.compression.algorithms.length === 0) proxy.compression.algorithms = [...parent.compression.algorithms];
  if (proxy.compression.types.length === 0) proxy.compression.types = [...parent.compression.types];
  proxy.compression.offload ||= parent.compression.offload;
  if (!proxy.stats.enabled && parent.stats.enabled) proxy.stats = { ...parent.stats, admin: [...proxy.stats.admin, ...parent.stats.admin] };
  // Rules declared in a named defaults section apply before the proxy's own (HAProxy 2.5+).
  if (parent.name) {
    proxy.httpRequestRules = [...parent.httpRequestRules, ...proxy.httpRequestRules];
    proxy.httpResponseRules = [...parent.httpResponseRules, ...proxy.httpResponseRules];
    proxy.httpAfterResponseRules = [...parent.httpAfterResponseRules, ...proxy.httpAfterResponseRules];
    proxy.tcpRequestRules = [...parent.tcpRequestRules, ...proxy.tcpRequestRules];
  }
}

function expandTemplates(proxy: Proxy): void {
  for (const t of proxy.serverTemplates) {
    const generated: Server[] = [];
    for (let n = t.first; n <= t.last; n++) {
      generated.push({ name: `${t.prefix}${n}`, host: t.host, port: t.port, options: { ...t.options }, fromTemplate: t.prefix, loc: t.loc });
    }
    // Keep declaration order: templates sit where their line was among the servers.
    const index = proxy.servers.findIndex((s) => s.loc.file === t.loc.file && s.loc.line > t.loc.line);
    proxy.servers.splice(index < 0 ? proxy.servers.length : index, 0, ...generated);
  }
}

/** A server's option with HAProxy's default applied. */
export function effective<K extends keyof typeof SERVER_DEFAULTS>(options: ServerOptions, key: K): NonNullable<ServerOptions[K]> | (typeof SERVER_DEFAULTS)[K] {
  return (options[key] ?? SERVER_DEFAULTS[key]) as NonNullable<ServerOptions[K]> | (typeof SERVER_DEFAULTS)[K];
}
