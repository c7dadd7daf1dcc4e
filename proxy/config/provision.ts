/**
 * The one provisioning step (DESIGN.md §6): resolves each proxy's defaults
 * section (`from NAME`, else the last defaults above it; a defaults section
 * itself inherits only through `from`, as in HAProxy 2.6), copies inherited
 * settings, expands server-templates, applies `default-server` and fills in
 * HAProxy's built-in defaults. Its result is typed (model.ts: Proxy, Server):
 * every setting HAProxy always has a value for is there, so consumers read
 * them as they are and cannot forget a default. Only this module reads the
 * tables below (test/proxy/config/provision.test.ts keeps it so).
 *
 * The text is untouched: the serializer writes the sections' directives, so
 * what the user wrote (and did not write) survives.
 */
import type { Diagnostics } from './diagnostics.ts';
import { resolveErrorPages } from './kw-errors.ts';
import { DefaultsRuleUsers, inheritCaptureSlots } from './defaults-rules.ts';
import type {
  BalancingProxy, Config, DefaultsProxy, FrontendProxy, ParsedConfig, ParsedProxy, ParsedServer, Proxy, ProxyMode,
  ProvisionedServerOptions, Server, ServerOptions,
} from './model.ts';

/** HAProxy's built-in server defaults (configuration.txt §5.2); fastinter and downinter default to inter. */
const SERVER_DEFAULTS = {
  check: false,
  /** ms */
  inter: 2000,
  rise: 2,
  fall: 3,
  weight: 1,
  backup: false,
  /** 0 = unlimited */
  maxconn: 0,
  /** 0 = unlimited */
  maxqueue: 0,
  /** ms; 0 = none */
  slowstart: 0,
  disabled: false,
  errorLimit: 10,
  onError: 'fail-check',
  observe: 'none',
  agentCheck: false,
  /** ms: `agent-inter` has its own default, not `inter`. */
  agentInter: 2000,
} as const satisfies ServerOptions;

/** HAProxy's built-in proxy defaults. */
const PROXY_DEFAULTS = {
  mode: 'tcp',
  retries: 3,
  balance: 'roundrobin',
} as const;

export function provision(parsed: ParsedConfig, diagnostics: Diagnostics): Config {
  const named = new Map<string, DefaultsProxy>();
  let lastDefaults: DefaultsProxy | undefined;
  const proxies: Array<Proxy | DefaultsProxy> = [];
  const ruleUsers = new DefaultsRuleUsers();
  for (const proxy of parsed.proxies) {
    // A defaults section without `from` starts from HAProxy's built-ins: the one above it does not carry over.
    let parent: DefaultsProxy | undefined = proxy.kind === 'defaults' ? undefined : lastDefaults;
    const from = proxy.section.from;
    if (from !== undefined) {
      parent = named.get(from);
      if (!parent) {
        const label = proxy.name ? `${proxy.kind} '${proxy.name}'` : 'anonymous defaults section';
        diagnostics.alert(proxy.section.loc, 'LS_ERR_CFG_REFERENCE', `defaults section '${from}' not found for ${label}.`, proxy.kind);
      }
    }
    if (parent) {
      ruleUsers.check(proxy, parent, diagnostics);
      inherit(proxy, parent);
    }
    const kind = proxy.kind;
    if (kind === 'defaults') {
      const defaults: DefaultsProxy = Object.assign(proxy, { kind });
      if (defaults.name) named.set(defaults.name, defaults);
      lastDefaults = defaults;
      proxies.push(defaults);
      continue;
    }
    // HAProxy's check_config_validity: a load-balancing algorithm (`balance`, its own or inherited) wins over `dispatch`.
    if (proxy.dispatch && proxy.balance) {
      diagnostics.warn(proxy.dispatch.loc, 'LS_WARN_CFG_IGNORED', `dispatch address of ${kind === 'listen' ? 'proxy' : kind} '${proxy.name}' will be ignored in balance mode.`, 'dispatch');
      proxy.dispatch = undefined;
    }
    // HAProxy: `option transparent` takes the place of an algorithm (a `dispatch` line wins over it) and excludes `balance`.
    const transparent = kind !== 'frontend' && proxy.options['transparent']?.enabled === true;
    if (transparent && proxy.balance) {
      diagnostics.alert(proxy.options['transparent']!.loc, 'LS_ERR_CFG_CONFLICT', `${kind === 'listen' ? 'proxy' : kind} '${proxy.name}' cannot use both transparent and balance mode.`, 'option transparent');
    }
    // HAProxy's check_config_validity, for every proxy able to be a backend.
    if (kind !== 'frontend' && proxy.loadServerStateFromFile === 'global' && parsed.global.serverStateFile === undefined) {
      diagnostics.warn(proxy.section.loc, 'LS_WARN_CFG_SUSPICIOUS', `backend '${proxy.name}' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!`, 'load-server-state-from-file');
    }
    expandTemplates(proxy);
    resolveErrorPages(proxy, parsed, diagnostics);
    proxies.push(withBuiltinDefaults(proxy, kind));
  }
  return Object.assign(parsed, { proxies });
}

/**
 * What neither the proxy nor its defaults section set takes HAProxy's built-in
 * value. The object stays the same (the parser's references to it hold); its
 * type says what is now filled in.
 */
function withBuiltinDefaults(proxy: ParsedProxy, kind: Proxy['kind']): Proxy {
  // A server read before a later default-server line has its own snapshot of the section's (over the defaults section's).
  const servers: Server[] = proxy.servers.map((server) => Object.assign(server, {
    options: withServerDefaults({ ...(server.defaultServer ? { ...proxy.defaults?.defaultServer, ...server.defaultServer } : proxy.defaultServer), ...server.options }),
  }));
  const transparent = kind !== 'frontend' && proxy.balance === undefined && proxy.options['transparent']?.enabled === true;
  const dispatch = proxy.dispatch ? { name: '', ...proxy.dispatch, options: withServerDefaults({}) }
    : transparent ? { name: '', host: '0.0.0.0', port: 0, toDestination: true as const, options: withServerDefaults({}), loc: proxy.options['transparent']!.loc } : undefined;
  const filled = { mode: proxy.mode ?? PROXY_DEFAULTS.mode, retries: proxy.retries ?? PROXY_DEFAULTS.retries, servers, dispatch };
  if (kind === 'frontend') return Object.assign(proxy, filled, { kind }) satisfies FrontendProxy;
  const balance = proxy.balance ?? { algorithm: PROXY_DEFAULTS.balance, loc: proxy.section.loc };
  // HAProxy: a backend without "timeout queue" queues for its "timeout connect" (neither: no limit).
  if (proxy.timeouts.queue === undefined && proxy.timeouts.connect !== undefined) proxy.timeouts = { ...proxy.timeouts, queue: proxy.timeouts.connect };
  return Object.assign(proxy, filled, { kind, balance }) satisfies BalancingProxy;
}

/**
 * Server options as written (a server line over `default-server`) with
 * HAProxy's built-in value for every setting not given. Also what the
 * configuration editor asks for the timings a new server line would get.
 */
export function withServerDefaults(o: ServerOptions): ProvisionedServerOptions {
  const inter = o.inter ?? SERVER_DEFAULTS.inter;
  return {
    ...o,
    check: o.check ?? SERVER_DEFAULTS.check,
    inter,
    fastinter: o.fastinter ?? inter,
    downinter: o.downinter ?? inter,
    rise: o.rise ?? SERVER_DEFAULTS.rise,
    fall: o.fall ?? SERVER_DEFAULTS.fall,
    weight: o.weight ?? SERVER_DEFAULTS.weight,
    backup: o.backup ?? SERVER_DEFAULTS.backup,
    // HAProxy: a minconn above maxconn (or alone) becomes the maxconn.
    maxconn: Math.max(o.maxconn ?? SERVER_DEFAULTS.maxconn, o.minconn ?? 0),
    maxqueue: o.maxqueue ?? SERVER_DEFAULTS.maxqueue,
    slowstart: o.slowstart ?? SERVER_DEFAULTS.slowstart,
    disabled: o.disabled ?? SERVER_DEFAULTS.disabled,
    observe: o.observe ?? SERVER_DEFAULTS.observe,
    errorLimit: o.errorLimit ?? SERVER_DEFAULTS.errorLimit,
    onError: o.onError ?? SERVER_DEFAULTS.onError,
    agentCheck: o.agentCheck ?? SERVER_DEFAULTS.agentCheck,
    agentInter: o.agentInter ?? SERVER_DEFAULTS.agentInter,
  };
}

/**
 * A server the runtime API's `add server` makes (HAProxy's SRV_PARSE_DYNAMIC): its line over the
 * built-in values only, as no `default-server` applies to it (server.c's _srv_parse_init).
 */
export function provisionDynamicServer(server: ParsedServer): Server {
  return { ...server, options: withServerDefaults(server.options) };
}

/** The settings a server line with nothing written on it gets, in a section with no `default-server`. */
export const BUILTIN_SERVER: Readonly<ProvisionedServerOptions> = Object.freeze(withServerDefaults({}));

/** HAProxy's balancing algorithm for a backend that has no `balance` line and inherits none. */
export const BUILTIN_BALANCE = PROXY_DEFAULTS.balance;

/**
 * The defaults section `proxy` inherits from: the one named by `from`, else
 * (for a frontend, backend or listen section) the last defaults section above it — resolved as provision() does, but
 * usable while the configuration is still being parsed (the sections above
 * are complete, `proxy` itself may not be).
 */
export function inheritedDefaults(config: ParsedConfig, proxy: ParsedProxy): ParsedProxy | undefined {
  const named = new Map<string, ParsedProxy>();
  let lastDefaults: ParsedProxy | undefined;
  for (const p of config.proxies) {
    if (p === proxy) break;
    if (p.kind !== 'defaults') continue;
    if (p.name) named.set(p.name, p);
    lastDefaults = p;
  }
  const from = proxy.section.from;
  if (from !== undefined) return named.get(from);
  return proxy.kind === 'defaults' ? undefined : lastDefaults;
}

/**
 * The mode of `proxy` as it stands while its section is parsed: its own
 * `mode` line so far, else its defaults section's (through `from` chains),
 * else HAProxy's built-in tcp — what HAProxy checks keywords parsed there against.
 */
export function modeSoFar(config: ParsedConfig, proxy: ParsedProxy): ProxyMode {
  const seen = new Set<ParsedProxy>();
  for (let p: ParsedProxy | undefined = proxy; p && !seen.has(p); p = inheritedDefaults(config, p)) {
    if (p.mode !== undefined) return p.mode;
    seen.add(p);
  }
  return PROXY_DEFAULTS.mode;
}

function inherit(proxy: ParsedProxy, parent: DefaultsProxy): void {
  proxy.defaults = parent;
  proxy.mode ??= parent.mode;
  proxy.balance ??= parent.balance;
  proxy.hashType ??= parent.hashType;
  proxy.hashBalanceFactor ??= parent.hashBalanceFactor;
  proxy.maxKeepAliveQueue ??= parent.maxKeepAliveQueue;
  proxy.timeouts = { ...parent.timeouts, ...proxy.timeouts };
  proxy.options = { ...parent.options, ...proxy.options };
  proxy.defaultServer = { ...parent.defaultServer, ...proxy.defaultServer };
  proxy.retries ??= parent.retries;
  proxy.retryOn ??= parent.retryOn;
  proxy.fullconn ??= parent.fullconn;
  proxy.clitcpkaIdle ??= parent.clitcpkaIdle;
  proxy.srvtcpkaIdle ??= parent.srvtcpkaIdle;
  proxy.loadServerStateFromFile ??= parent.loadServerStateFromFile;
  proxy.source ??= parent.source;
  if (proxy.kind !== 'backend') {
    proxy.maxconn ??= parent.maxconn;
    proxy.backlog ??= parent.backlog;
    proxy.rateLimitSessions ??= parent.rateLimitSessions;
    proxy.maxSessionSrvConns ??= parent.maxSessionSrvConns;
  }
  // HAProxy copies the defaults' log lines into the proxy first; its own lines add to them (`no log`: its own only).
  if (!proxy.noLog) proxy.logs = [...parent.logs, ...proxy.logs];
  proxy.logTag ??= parent.logTag;
  proxy.logFormat ??= parent.logFormat;
  proxy.logFormatSd ??= parent.logFormatSd;
  proxy.errorLogFormat ??= parent.errorLogFormat;
  proxy.uniqueIdFormat ??= parent.uniqueIdFormat;
  proxy.uniqueIdHeader ??= parent.uniqueIdHeader;
  proxy.sendNameHeader ??= parent.sendNameHeader;
  proxy.defaultBackend ??= parent.defaultBackend;
  proxy.monitorUri ??= parent.monitorUri;
  proxy.cookie ??= parent.cookie;
  proxy.rdpCookiePersist ??= parent.rdpCookiePersist;
  proxy.dynamicCookieKey ??= parent.dynamicCookieKey;
  // Field by field: the proxy's own lines replace what the defaults section set (proxy_defproxy_cpy).
  if (parent.emailAlert) proxy.emailAlert = { ...parent.emailAlert, ...proxy.emailAlert };
  proxy.inspectDelay ??= parent.inspectDelay;
  proxy.responseInspectDelay ??= parent.responseInspectDelay;
  proxy.httpCheckRequest ??= parent.httpCheckRequest;
  proxy.externalCheckCommand ??= parent.externalCheckCommand;
  proxy.externalCheckPath ??= parent.externalCheckPath;
  if (proxy.httpCheckRules.length === 0) proxy.httpCheckRules = [...parent.httpCheckRules];
  if (proxy.tcpCheckRules.length === 0) proxy.tcpCheckRules = [...parent.tcpCheckRules];
  proxy.httpCheckDisableOn404 ||= parent.httpCheckDisableOn404;
  // HAProxy copies the defaults section's error lines ahead of the proxy's own (proxy_dup_default_conf_errors).
  proxy.errorDirectives = [...parent.errorDirectives, ...proxy.errorDirectives];
  // HAProxy's proxy starts from the defaults' algorithm and type lists and its own lines add to them
  // (proxy_defproxy_cpy shares the lists, comp_append_* chains onto them); `offload` is not passed on.
  proxy.compression.algorithms = [...parent.compression.algorithms, ...proxy.compression.algorithms];
  proxy.compression.types = [...parent.compression.types, ...proxy.compression.types];
  if (!proxy.stats.enabled && parent.stats.enabled) proxy.stats = { ...parent.stats, admin: [...proxy.stats.admin, ...parent.stats.admin] };
  // Rules declared in a named defaults section apply before the proxy's own (HAProxy 2.5+).
  if (parent.name) {
    proxy.httpRequestRules = [...parent.httpRequestRules, ...proxy.httpRequestRules];
    proxy.httpResponseRules = [...parent.httpResponseRules, ...proxy.httpResponseRules];
    proxy.httpAfterResponseRules = [...parent.httpAfterResponseRules, ...proxy.httpAfterResponseRules];
    proxy.tcpRequestRules = [...parent.tcpRequestRules, ...proxy.tcpRequestRules];
    if (parent.tcpResponseRules) proxy.tcpResponseRules = [...parent.tcpResponseRules, ...proxy.tcpResponseRules ?? []];
    inheritCaptureSlots(proxy, parent);
  }
}

function expandTemplates(proxy: ParsedProxy): void {
  for (const t of proxy.serverTemplates) {
    const generated: ParsedServer[] = [];
    for (let n = t.first; n <= t.last; n++) {
      generated.push({ name: `${t.prefix}${n}`, host: t.host, port: t.port, ...(t.unix ? { unix: true } : {}), options: { ...t.options }, ...(t.defaultServer ? { defaultServer: t.defaultServer } : {}), fromTemplate: t.prefix, loc: t.loc });
    }
    // Keep declaration order: templates sit where their line was among the servers.
    const index = proxy.servers.findIndex((s) => s.loc.file === t.loc.file && s.loc.line > t.loc.line);
    proxy.servers.splice(index < 0 ? proxy.servers.length : index, 0, ...generated);
  }
}
