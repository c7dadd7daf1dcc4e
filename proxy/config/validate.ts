/**
 * Checks that need the whole configuration: references between sections,
 * name clashes, frontend/backend mode conflicts, and HAProxy's configuration
 * warnings (missing timeouts, http-only options in tcp proxies). Always gives
 * a line, even where HAProxy does not.
 */
import { logTargetWarnings } from './log-targets.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { ParseOptions } from './keywords.ts';
import type { Config, Proxy, Server, SourceLocation } from './model.ts';
import { effectiveBalance } from '../balance/index.ts';
import { chosenLogFormat } from './log-format-choice.ts';
import type { LogFormatChoice } from './log-format-choice.ts';
import { suggest } from './suggest.ts';
import { peersProblems, peersTables } from './kw-peers.ts';
import { tableNameConflict } from './kw-persist.ts';
import { emailAlertProblems } from './kw-mailers.ts';
import { logForwardWarnings } from './kw-log-forward.ts';
import { programProblems } from './kw-program.ts';
import { externalCheckProblems } from './kw-external-check.ts';
import { cacheProblems } from './kw-cache.ts';
import { ringProblems, ringTargetProblems } from './kw-ring.ts';
import { fcgiAppProblems } from './kw-fcgi.ts';
import { httpclientProblems } from './kw-httpclient.ts';
import type { SampleExpr } from '../acl/index.ts';
import { fetchUsableAt, parseLogFormat, parseSampleExpression, sourceNames } from '../acl/index.ts';
import { checkAclArguments, checkRuleArguments, resolveScope } from './sample-refs.ts';
import { checkLayer6Conditions, checkTcpTrackRules } from './kw-rules.ts';
import { serverVersions } from '../tls/versions.ts';
import { PROTOCOL_CHECKS } from './protocol-check-names.ts';

export function validate(config: Config, diagnostics: Diagnostics, options?: Pick<ParseOptions, 'readFile'>): void {
  for (const { target, message } of logTargetWarnings(config)) diagnostics.warn(target.loc, 'LS_WARN_CFG_IGNORED', message, 'log');
  const backends = new Map<string, Proxy>();
  for (const p of config.proxies) if ((p.kind === 'backend' || p.kind === 'listen') && !backends.has(p.name)) backends.set(p.name, p);
  const resolvers = new Set(config.resolvers.map((r) => r.name));
  const userlists = new Set(config.userlists.map((u) => u.name));
  const tables = new Set([...config.proxies.filter((p) => p.stickTable).map((p) => p.name), ...peersTables(config).map((t) => t.name)]);
  const scope = resolveScope(config, tables, userlists);

  for (const r of config.resolvers) {
    if (r.nameservers.length === 0 && !r.parseResolvConf) diagnostics.warn(r.section.loc, 'LS_WARN_CFG_SUSPICIOUS', `resolvers '${r.name}' has no nameservers configured!`, 'resolvers');
  }
  peersProblems(config, diagnostics);
  emailAlertProblems(config, diagnostics);
  logForwardWarnings(config, diagnostics);
  programProblems(config, diagnostics);
  externalCheckProblems(config, diagnostics);
  cacheProblems(config, diagnostics);
  ringProblems(config, diagnostics);
  ringTargetProblems(config, diagnostics);
  fcgiAppProblems(config, diagnostics);
  httpclientProblems(config, diagnostics);
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    const mode = proxy.mode;
    checkSwitching(proxy, mode, backends, diagnostics);
    if (proxy.kind !== 'frontend') checkServers(proxy, config, resolvers, diagnostics);
    if (proxy.balance?.algorithm === 'hash') checkBalanceHash(proxy, mode, diagnostics, options?.readFile);
    checkServerRules(proxy, diagnostics);
    checkTables(proxy, tables, diagnostics);
    checkAclArguments(proxy, scope, diagnostics);
    checkRuleArguments(proxy, scope, diagnostics);
    checkModeSpecific(proxy, mode, diagnostics);
    checkUnusedCheckRules(proxy, diagnostics);
    checkMuxProtocols(proxy, mode, diagnostics);
    checkTimeouts(proxy, mode, diagnostics);
    checkLogFormat(proxy, mode, diagnostics);
    checkLogAddress(proxy, config, diagnostics);
    checkTcpTrackRules(proxy, diagnostics);
    checkLayer6Conditions(proxy, diagnostics);
    checkStatsAccess(proxy, diagnostics);
    checkCompressionFilter(proxy, diagnostics);
  }
  checkTracks(config, backends, diagnostics);
  checkTableNames(config, diagnostics);
  checkUserlistMembers(config, diagnostics);
}

/** A user's groups and a group's users must be declared in the userlist (cfgparse.c, after the whole file is read). */
function checkUserlistMembers(config: Config, diagnostics: Diagnostics): void {
  for (const list of config.userlists) {
    const groups = new Set(list.groups.map((g) => g.name));
    const users = new Set(list.users.map((u) => u.name));
    for (const user of list.users) {
      for (const group of user.groups) if (!groups.has(group)) diagnostics.alert(user.loc, 'LS_ERR_CFG_REFERENCE', `userlist '${list.name}': no such group '${group}' specified in user '${user.name}'`, 'user');
    }
    for (const group of list.groups) {
      for (const user of group.users) if (!users.has(user)) diagnostics.alert(group.loc, 'LS_ERR_CFG_REFERENCE', `userlist '${list.name}': no such user '${user}' specified in group '${group.name}'`, 'group');
    }
  }
}

/** A frontend and a backend may share a name, but not a stick table: a table takes its proxy's name. */
function checkTableNames(config: Config, diagnostics: Diagnostics): void {
  const declared = new Map<string, Proxy>();
  for (const proxy of config.proxies) {
    const table = proxy.stickTable;
    if (!table || proxy.kind === 'defaults') continue;
    const other = declared.get(proxy.name);
    if (other) diagnostics.alert(table.loc, 'LS_ERR_CFG_CONFLICT', tableNameConflict(proxy.name, other.kind, other.name, other.stickTable!.loc), 'stick-table');
    else declared.set(proxy.name, proxy);
  }
}

/** HAProxy's check_implicit_http_comp_flt: with another filter declared, compression needs its filter written out. */
function checkCompressionFilter(proxy: Proxy, diagnostics: Diagnostics): void {
  const c = proxy.compression;
  const configured = c.algorithms.length > 0 || c.types.length > 0 || c.offload || c.filter === true;
  if (configured && c.otherFilter && !c.filter) {
    diagnostics.alert(proxy.section.loc, 'LS_ERR_CFG_SYNTAX', `config: ${proxy.kind} '${proxy.name}': require an explicit filter declaration to use HTTP compression`, 'filter');
  }
}

/**
 * `balance hash <expr>`: HAProxy compiles the expression once the whole section is read
 * (cfgparse.c check_config_validity, in the context of use-server) and names the proxy at its
 * section line; reported here on the `balance` line (its own or its defaults'), with that text.
 * The map files of `map*` converters must open, as sample_parse_expr() loads them.
 */
function checkBalanceHash(proxy: Proxy, mode: string, diagnostics: Diagnostics, readFile: ((path: string) => string | undefined) | undefined): void {
  const balance = proxy.balance!;
  const text = balance.expression ?? '';
  const where = `${proxyTypeStr(proxy)} '${proxy.name}' [${proxy.section.loc.file}:${proxy.section.loc.line}]`;
  const parsed = parseSampleExpression(text);
  const error = 'error' in parsed ? parsed.error : missingMapFile(parsed.expr, readFile);
  if (error !== undefined || 'error' in parsed) {
    diagnostics.alert(balance.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `${where}: failed to parse 'balance hash' expression '${text}' in : ${error}.`, 'balance');
    return;
  }
  const fetch = parsed.expr.fetch;
  if (!fetchUsableAt(fetch, 'backend-use-server')) {
    diagnostics.alert(balance.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `${where}: error detected while parsing 'balance hash' expression '${text}' which requires information from ${sourceNames(fetch.sources)}, which is not available here.`, 'balance');
  } else if (mode === 'http' && fetch.sources.includes('L6REQ')) {
    diagnostics.warn(balance.loc, 'LS_WARN_CFG_IGNORED', `${where}: L6 sample fetch <${text}> will be ignored in 'balance hash' expression in HTTP mode.`, 'balance');
  }
}

/** The error of the first `map*` converter whose file does not open (sample_parse_expr's words), else undefined. */
function missingMapFile(expr: SampleExpr, readFile: ((path: string) => string | undefined) | undefined): string | undefined {
  if (!readFile) return undefined;
  for (const conv of expr.converters) {
    const file = conv.args[0];
    if (conv.def.name.startsWith('map') && file?.type === 'str' && readFile(file.value) === undefined) {
      return `invalid args in converter '${conv.def.name}' : failed to open pattern file <${file.value}>`;
    }
  }
  return undefined;
}

/** `stats http-request` rules replace `stats auth`/`stats realm`: HAProxy refuses both on one proxy. */
function checkStatsAccess(proxy: Proxy, diagnostics: Diagnostics): void {
  const first = proxy.stats.httpRequest[0];
  if (first && (proxy.stats.auth.length > 0 || proxy.stats.realm !== undefined)) {
    diagnostics.alert(first.loc, 'LS_ERR_CFG_CONFLICT', `proxy '${proxy.name}': stats 'auth'/'realm' and 'http-request' can't be used at the same time.`, 'stats http-request');
  }
}

/**
 * `server … track [<backend>/]<server>`, resolved in configuration order with
 * HAProxy's srv_apply_track() errors: the tracked server must exist in a
 * backend, be checked (check or agent) or track one itself, and the chain
 * must not loop back; a server cannot both check and track.
 */
function checkTracks(config: Config, backends: Map<string, Proxy>, diagnostics: Diagnostics): void {
  const applied = new Map<Server, Server>();
  const alert = (proxy: Proxy, server: Server, message: string) => diagnostics.alert(server.loc, 'LS_ERR_CFG_REFERENCE', `'server ${proxy.name}/${server.name}' : ${message}`, 'server');
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults' || proxy.kind === 'frontend') continue;
    for (const server of proxy.servers) {
      const spec = server.options.track;
      if (spec === undefined) continue;
      if (server.options.check) {
        alert(proxy, server, 'unable to enable checks and tracking at the same time!');
        continue;
      }
      const slash = spec.lastIndexOf('/');
      const owner: Proxy | undefined = slash < 0 ? proxy : backends.get(spec.slice(0, slash));
      const name = slash < 0 ? spec : spec.slice(slash + 1);
      if (!owner) {
        alert(proxy, server, `unable to find required proxy '${spec.slice(0, slash)}' for tracking.`);
        continue;
      }
      const tracked = owner.servers.find((s) => s.name === name);
      if (!tracked) {
        alert(proxy, server, `unable to find required server '${name}' for tracking.`);
        continue;
      }
      const o = tracked.options;
      if (!o.check && !(o.agentCheck && (o.agentPort !== undefined || o.port !== undefined)) && o.track === undefined) {
        alert(proxy, server, `unable to use ${owner.name}/${tracked.name} for tracking as it does not have any check nor agent enabled.`);
        continue;
      }
      let loop = applied.get(tracked);
      while (loop && loop !== server) loop = applied.get(loop);
      if (tracked === server || loop) {
        alert(proxy, server, `unable to track ${owner.name}/${tracked.name} as it belongs to a tracking chain looping back to ${owner.name}/${tracked === server ? tracked.name : loop!.name}.`);
        continue;
      }
      if (owner !== proxy && owner.httpCheckDisableOn404 !== proxy.httpCheckDisableOn404) {
        alert(proxy, server, `unable to use ${owner.name}/${tracked.name} fortracking: disable-on-404 option inconsistency.`);
        continue;
      }
      applied.set(server, tracked);
    }
  }
}

/**
 * A frontend's log formats (its own or its defaults'), as HAProxy checks them once the mode is known:
 * HTTP-only variables (%Ta, %Ti, %TR, %hr …) refused in a tcp proxy, and `%[…]` fetches refused where
 * their data is gone when the line is written (SMP_VAL_FE_LOG_END: `%[req.hdr(host)]`, `%[path]`,
 * `%[res.hdr(x)]`; `capture request header` and `%[capture.req.hdr(0)]` are the way). Reported at
 * the format's own line, once per frontend, as haproxy 2.6.12 does.
 */
function checkLogFormat(proxy: Proxy, mode: string, diagnostics: Diagnostics): void {
  if (proxy.kind === 'backend') return;
  for (const [format, keyword] of [[proxy.logFormat, 'log-format'], [proxy.logFormatSd, 'log-format-sd'], [proxy.errorLogFormat, 'error-log-format']] as const) {
    if (!format) continue;
    const parsed = parseLogFormat(format.text, { mode: mode === 'http' ? 'http' : 'tcp', checkpoints: ['log'] });
    if ('error' in parsed) diagnostics.alert(format.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `Proxy '${proxy.name}': failed to parse ${keyword} : ${parsed.error}.`, keyword);
  }
}

/**
 * A frontend with a log format (`option httplog`, `tcplog`, `log-format`…) but nowhere to send its lines:
 * HAProxy warns once the configuration is read (cfgparse.c), `log global` without a global `log` included.
 */
function checkLogAddress(proxy: Proxy, config: Config, diagnostics: Diagnostics): void {
  if (proxy.kind === 'backend') return;
  if (chosenLogFormat(proxy) === undefined) return;
  const addresses = proxy.logs.flatMap((t) => (t.target === 'global' ? config.global.logs : [t]));
  if (addresses.length > 0) return;
  diagnostics.warn(proxy.section.loc, 'LS_WARN_CFG_SUSPICIOUS', `log format ignored for ${proxyTypeStr(proxy)} '${proxy.name}' since it has no log address.`, 'log');
}

/** A `use-server` rule must name a server of its own backend (HAProxy checks it once the section is read). */
function checkServerRules(proxy: Proxy, diagnostics: Diagnostics): void {
  // A server line that was itself refused (reported already) still declares its name.
  const names = new Set([...proxy.servers.map((s) => s.name), ...proxy.section.directives.filter((d) => d.keyword === 'server' && d.args[0] !== undefined).map((d) => d.args[0]!)]);
  for (const rule of proxy.serverRules) {
    if (rule.dynamic || names.has(rule.server)) continue;
    const hint = suggest(rule.server, names);
    diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', `${proxy.kind} '${proxy.name}' : unable to find server '${rule.server}' referenced in a 'use-server' rule.${hint ? ` Did you mean '${hint}'?` : ''}`, 'use-server');
  }
}

/**
 * The targets of `default_backend` and `use_backend`, as check_config_validity resolves them: also
 * in a backend, where HAProxy ignores the lines (with a warning at parse time) but still looks their
 * targets up and refuses one that is missing, the proxy itself, or of an incompatible mode.
 */
function checkSwitching(proxy: Proxy, mode: string, backends: Map<string, Proxy>, diagnostics: Diagnostics): void {
  const targets: Array<{ name: string; loc: SourceLocation; what: 'use_backend' | 'default_backend' }> = [];
  if (proxy.defaultBackend) targets.push({ ...proxy.defaultBackend, what: 'default_backend' });
  for (const rule of proxy.switchingRules) if (!rule.dynamic) targets.push({ name: rule.backend, loc: rule.loc, what: 'use_backend' });
  targets.push(...proxy.ignoredSwitching ?? []);
  for (const t of targets) {
    const backend = backends.get(t.name);
    if (!backend) {
      const hint = suggest(t.name, backends.keys());
      diagnostics.alert(t.loc, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}': unable to find required ${t.what}: '${t.name}'.${hint ? ` Did you mean '${hint}'?` : ''}`, t.what);
      continue;
    }
    if (backend === proxy) {
      diagnostics.alert(t.loc, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}': loop detected for ${t.what}: '${t.name}'.`, t.what);
      continue;
    }
    // A proxy whose `from` failed was already reported; its mode is unknown, not tcp.
    const unresolved = (p: Proxy) => p.section.from !== undefined && !p.defaults;
    if (unresolved(proxy) || unresolved(backend)) continue;
    const backendMode = backend.mode;
    if (mode === 'http' && backendMode === 'tcp') {
      const where = (p: Proxy) => `${p.section.loc.file}:${p.section.loc.line}`;
      const as = t.what === 'default_backend' ? 'as its default backend' : "in a 'use_backend' rule";
      diagnostics.alert(t.loc, 'LS_ERR_CFG_CONFLICT', `http ${proxyTypeStr(proxy)} '${proxy.name}' (${where(proxy)}) tries to use incompatible tcp ${proxyTypeStr(backend)} '${backend.name}' (${where(backend)}) ${as} (see 'mode').`, t.what);
    } else if (t.what === 'default_backend' && proxy.servers.length > 0) {
      diagnostics.warn(t.loc, 'LS_WARN_CFG_SUSPICIOUS', `In proxy '${proxy.name}', the 'default_backend' rule always has precedence over the servers, which will never be used.`, t.what);
    }
  }
}

function checkServers(proxy: Proxy, config: Config, resolvers: Set<string>, diagnostics: Diagnostics): void {
  const seen = new Map<string, SourceLocation>();
  for (const server of proxy.servers) {
    const previous = seen.get(server.name);
    if (previous && !server.fromTemplate) {
      diagnostics.alert(server.loc, 'LS_ERR_CFG_DUPLICATE', `backend '${proxy.name}', another server named '${server.name}' was already defined at line ${previous.line}, please use distinct names.`, 'server');
    } else seen.set(server.name, server.loc);
    checkServer(proxy, server, config, resolvers, diagnostics);
  }
}

/**
 * What HAProxy checks of one server once its proxy is read (its check, agent and SSL context):
 * also for a server the runtime API's `add server` makes (stats/server-commands.ts), whose messages
 * are these without the `'server <b>/<s>' : ` label.
 */
export function checkServer(proxy: Proxy, server: Server, config: Config, resolvers: ReadonlySet<string>, diagnostics: Diagnostics): void {
  const verifyDefault = config.global.tune['ssl-server-verify'] ?? 'required';
  const connectsSsl = [...proxy.tcpCheckRules, ...proxy.httpCheckRules].some((r) => r.type === 'connect' && r.ssl);
  {
    const o = server.options;
    if (o.resolvers !== undefined && !resolvers.has(o.resolvers)) {
      diagnostics.alert(server.loc, 'LS_ERR_CFG_REFERENCE', `${proxy.kind === 'listen' ? 'proxy' : proxy.kind} '${proxy.name}', server '${server.name}': unable to find required resolvers '${o.resolvers}'.`, 'server');
    }
    // HTTP/2 connections (h2-upstream.ts) are shared without regard to the destination: not for servers that follow it.
    const followsDestination = !server.unix && (server.host === '0.0.0.0' || server.host === '::' || server.port === 0 || server.portIsOffset === true);
    if (followsDestination && proxy.mode === 'http' && (o.proto === 'h2' || (o.ssl === true && o.alpn?.includes('h2')))) {
      diagnostics.alert(server.loc, 'LS_ERR_CFG_UNSUPPORTED', `'server ${proxy.name}/${server.name}' : HTTP/2 to a server without an address or a port (its connections follow the client's destination) is not supported by Loadstar yet; give it its address and port, or speak HTTP/1.1 to it.`, 'server');
    }
    if (o.proto === 'fcgi' && proxy.mode === 'http') {
      // FastCGI goes over plain TCP or a UNIX socket here (fcgi-upstream.ts); HAProxy's HTTP checks would go through the FastCGI mux.
      const unsupported = o.ssl === true ? 'ssl' : o.sendProxy || o.sendProxyV2 ? 'send-proxy' : o.socks4 !== undefined ? 'socks4'
        : followsDestination ? 'an address or a port following the client\'s destination' : undefined;
      if (unsupported !== undefined) diagnostics.alert(server.loc, 'LS_ERR_CFG_UNSUPPORTED', `'server ${proxy.name}/${server.name}' : 'proto fcgi' with ${unsupported} is not supported by Loadstar yet.`, 'server');
    }
    // check.c init_srv_check: an explicit check-proto must be the check's kind (h1/h2 for HTTP checks, none for the others).
    if (o.check && o.checkProto !== undefined && (o.checkProto === 'none') === (proxy.options['httpchk']?.enabled === true)) {
      diagnostics.alert(server.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `config: ${proxyTypeStr(proxy)} '${proxy.name}': server '${server.name}' uses an incompatible MUX protocol for the selected check type`, 'server');
    }
    const noPort = checkWithoutPort(proxy, server);
    if (noPort) diagnostics.alert(server.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `config: ${proxyTypeStr(proxy)} '${proxy.name}': server '${server.name}' has ${noPort}.`, 'server');
    if (o.agentCheck && o.agentPort === undefined && o.port === undefined) {
      diagnostics.alert(server.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `'server ${proxy.name}/${server.name}' : server ${server.name} does not have agent port. Agent check has been disabled.`, 'server');
    }
    // HAProxy builds a server's SSL context (ssl_sock_prepare_srv_ctx) for `ssl`, for `check-ssl`, and for
    // every server of a proxy with a `tcp-check connect ssl` / `http-check connect ssl` line (PR_O_TCPCHK_SSL).
    if (o.ssl === true || o.checkSsl === true || connectsSsl) {
      // HAProxy works the versions out when it builds the server's SSL context, and says so then.
      const versions = serverVersions(config.global.sslDefaultServer.options, o, { proxy: proxy.name, server: server.name });
      for (const warning of versions.warnings) diagnostics.warn(server.loc, 'LS_WARN_CFG_SUSPICIOUS', `'server ${proxy.name}/${server.name}' : ${warning}`, 'server');
      if (versions.error) diagnostics.alert(server.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `'server ${proxy.name}/${server.name}' : ${versions.error}`, 'server');
      if ((o.verify ?? verifyDefault) === 'required' && o.caFile === undefined) {
        // The longer text when verification is on because of the global default (haproxy 2.6.12).
        const why = verifyDefault === 'required'
          ? "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default."
          : 'verify is enabled but no CA file specified.';
        diagnostics.alert(server.loc, 'LS_ERR_CFG_BAD_ARGUMENT', `'server ${proxy.name}/${server.name}' : ${why}`, 'server');
      }
    }
  }
}

/**
 * A health-checked server written without a port (none, 0, `+N`, `-N`: its traffic goes to the client's
 * destination port) and no check `port`: HAProxy 2.6's init_srv_check refuses it unless the first
 * tcp-check rule connects to a port of its own. Says what is missing, else undefined.
 */
function checkWithoutPort(proxy: Proxy, server: Server): string | undefined {
  const o = server.options;
  if (!o.check || server.unix || o.port !== undefined || !(server.port === 0 || server.portIsOffset)) return undefined;
  // HAProxy's tcpcheck_rules list: `option tcp-check`'s lines, or the ruleset of httpchk and the protocol checks (never starting with a connect).
  const tcpCheck = proxy.options['tcp-check']?.enabled && !proxy.options['httpchk']?.enabled;
  const rules = tcpCheck ? proxy.tcpCheckRules : [];
  const first = rules[0];
  if (first?.type === 'connect' && connectsToPort(first)) {
    // Then every connect rule needs its port (a `port <expr>` is no port here: HAProxy reads connect.port).
    return rules.every((r) => r.type !== 'connect' || connectsToPort(r)) ? undefined : "neither service port nor check port, and a tcp_check rule 'connect' with no port information";
  }
  const ruleset = tcpCheck ? rules.length > 0 : proxy.options['httpchk']?.enabled || PROTOCOL_CHECKS.some((name) => proxy.options[name]?.enabled);
  return ruleset ? "neither service port nor check port nor tcp_check rule 'connect' with port information" : 'neither service port nor check port';
}

/** A `tcp-check connect` line with a port of its own: `port <n>`, or `addr <ip>:<port>` (HAProxy's connect.port, get_host_port(connect.addr)). */
function connectsToPort(rule: { port?: number; addr?: string }): boolean {
  return rule.port !== undefined || Number(/:(\d+)$/.exec(rule.addr ?? '')?.[1] ?? 0) > 0;
}

function checkTables(proxy: Proxy, tables: Set<string>, diagnostics: Diagnostics): void {
  const refs: Array<{ table: string; loc: SourceLocation; by?: string }> = [];
  for (const rule of proxy.stickRules) refs.push({ table: rule.table ?? proxy.name, loc: rule.loc });
  for (const rule of [...proxy.httpRequestRules, ...proxy.httpResponseRules, ...proxy.tcpRequestRules]) {
    if (rule.action.type === 'track-sc') refs.push({ table: rule.action.table ?? proxy.name, loc: rule.loc, by: `track-sc${rule.action.counter}` });
  }
  for (const ref of refs) {
    if (!tables.has(ref.table)) {
      // cfgparse.c words a stick rule's and action.c check_trk_action() a track-sc's.
      diagnostics.alert(ref.loc, 'LS_ERR_CFG_REFERENCE', ref.by
        ? `Proxy '${proxy.name}': unable to find table '${ref.table}' referenced by ${ref.by}.`
        : `Proxy '${proxy.name}': unable to find stick-table '${ref.table}'.`);
    }
  }
}

/**
 * A backend inherits no log format, but its own `option httplog|httpslog|tcplog` line still sets one
 * in HAProxy 2.6 (after the "ignored in backends" warning), which the TCP-mode check then sees.
 */
function ownBackendLogOption(proxy: Proxy): LogFormatChoice | undefined {
  let last: LogFormatChoice | undefined;
  for (const d of proxy.section.directives) {
    if (d.keyword === 'option httplog') last = { kind: 'http', loc: d.loc };
    else if (d.keyword === 'option httpslog') last = { kind: 'https', loc: d.loc };
    else if (d.keyword === 'option tcplog') last = { kind: 'tcp', loc: d.loc };
  }
  return last;
}

/** How HAProxy's messages name a proxy (proxy_type_str): a `listen` section is a "proxy". */
function proxyTypeStr(proxy: Proxy): string {
  return proxy.kind === 'listen' ? 'proxy' : proxy.kind;
}

/**
 * HAProxy 2.6's cfg_opts and cfg_opts2 entries marked PR_MODE_HTTP (cfgparse-listen.c), after checkcache, with the
 * sides (caps) they apply to. Not h1-case-adjust-bogus-client/server: haproxy 2.6.12 gives them no warning.
 */
const HTTP_ONLY_OPTIONS: ReadonlyArray<readonly [string, 'fe' | 'be' | 'both']> = [
  ['http-buffer-request', 'both'], ['http-ignore-probes', 'fe'], ['idle-close-on-response', 'fe'], ['prefer-last-server', 'be'],
  ['accept-invalid-http-request', 'fe'], ['accept-invalid-http-response', 'be'], ['http-use-proxy-header', 'fe'], ['http-pretend-keepalive', 'be'],
  ['http-no-delay', 'both'], ['disable-h2-upgrade', 'fe'],
];

function checkModeSpecific(proxy: Proxy, mode: string, diagnostics: Diagnostics): void {
  if (mode === 'http') return;
  // proxy_cfg_ensure_no_http, in its order: what a TCP proxy ignores (before the log format's word below).
  const ignored = (loc: SourceLocation, message: string, keyword: string) => diagnostics.warn(loc, 'LS_WARN_CFG_IGNORED', message, keyword);
  if (proxy.cookie) ignored(proxy.cookie.loc, `cookie will be ignored for ${proxyTypeStr(proxy)} '${proxy.name}' (needs 'mode http').`, 'cookie');
  if (proxy.monitorUri !== undefined && proxy.kind !== 'backend') {
    const line = proxy.section.directives.find((d) => d.keyword === 'monitor-uri');
    ignored(line?.loc ?? proxy.section.loc, `monitor-uri will be ignored for ${proxyTypeStr(proxy)} '${proxy.name}' (needs 'mode http').`, 'monitor-uri');
  }
  if (proxy.balance && effectiveBalance(mode, proxy.balance) !== proxy.balance) {
    const line = proxy.section.directives.find((d) => d.keyword === 'balance');
    ignored(line?.loc ?? proxy.section.loc, `Layer 7 hash not possible for ${proxyTypeStr(proxy)} '${proxy.name}' (needs 'mode http'). Falling back to round robin.`, 'balance');
  }
  // check_config_validity's server loop: a `redir` prefix is refused, a server's `cookie` value ignored.
  for (const server of proxy.servers) {
    if (server.options.redir !== undefined) diagnostics.alert(server.loc, 'LS_ERR_CFG_CONFLICT', `${proxyTypeStr(proxy)} '${proxy.name}' : server cannot have cookie or redirect prefix in non-HTTP mode.`, 'server');
    if (server.options.cookie !== undefined) ignored(server.loc, `${proxyTypeStr(proxy)} '${proxy.name}' : ignoring cookie for server '${server.name}' as HTTP mode is disabled.`, 'cookie');
  }
  // HAProxy's proxy_cfg_ensure_no_http warns about the format the proxy ended up with, not every line that set one.
  const format = proxy.kind === 'backend' ? ownBackendLogOption(proxy) : chosenLogFormat(proxy);
  if (format && format.kind !== 'custom' && format.kind !== 'tcp') {
    const name = format.kind === 'https' ? 'httpslog' : 'httplog';
    diagnostics.warn(format.loc, 'LS_WARN_CFG_SUSPICIOUS', `'option ${name}' not usable with ${proxyTypeStr(proxy)} '${proxy.name}' (needs 'mode http'). Falling back to 'option tcplog'.`, `option ${name}`);
  }
  // `switch-mode http` makes the proxy's HTTP directives run once a connection is upgraded (HAProxy's PR_O_HTTP_UPG).
  if (switchesToHttp(proxy)) {
    if (proxy.kind === 'listen' && !proxy.defaultBackend && proxy.switchingRules.length === 0 && proxy.servers.length > 0) {
      const rule = proxy.tcpRequestRules.find((r) => r.action.type === 'switch-mode')!;
      diagnostics.warn(rule.loc, 'LS_WARN_CFG_SUSPICIOUS', `Proxy '${proxy.name}' : 'switch-mode http' configured for a ${mode} ${proxy.kind} with no backend. Incoming connections upgraded to HTTP cannot be routed to TCP servers`);
    }
    return;
  }
  // The stats page (any `stats` line, or the defaults') and `capture cookie`, before the rules and options.
  if (proxy.stats.enabled) {
    const line = proxy.section.directives.find((d) => d.keyword.startsWith('stats '));
    diagnostics.warn(line?.loc ?? proxy.section.loc, 'LS_WARN_CFG_SUSPICIOUS', `'stats' statement ignored for ${proxyTypeStr(proxy)} '${proxy.name}' as it requires HTTP mode.`, 'stats');
  }
  const cookieCapture = proxy.captures.find((c) => c.kind === 'cookie');
  if (cookieCapture) diagnostics.warn(cookieCapture.loc, 'LS_WARN_CFG_SUSPICIOUS', `'capture' statement ignored for ${proxyTypeStr(proxy)} '${proxy.name}' as it requires HTTP mode.`, 'capture cookie');
  // checkcache: from HAProxy's table of HTTP-only options (cfg_opts), checked before forwardfor and originalto;
  // then the rest of its two tables (cfg_opts, cfg_opts2) in their order, each for the sides it applies to.
  const frontendSide = proxy.kind !== 'backend';
  const backendSide = proxy.kind !== 'frontend';
  const names = ['checkcache', 'forwardfor', 'originalto', ...HTTP_ONLY_OPTIONS.filter(([, side]) => (side === 'fe' ? frontendSide : side === 'be' ? backendSide : true)).map(([name]) => name)];
  for (const name of names) {
    const option = proxy.options[name];
    if (option?.enabled) {
      diagnostics.warn(option.loc, 'LS_WARN_CFG_SUSPICIOUS', `'option ${name}' ignored for ${proxyTypeStr(proxy)} '${proxy.name}' as it requires HTTP mode.`, `option ${name}`);
    }
  }
  // One warning per list, at its first rule, as HAProxy's check_config_validity gives them.
  const lists = [['http-request', proxy.httpRequestRules], ['http-response', proxy.httpResponseRules], ['http-after-response', proxy.httpAfterResponseRules], ['redirect', proxy.redirectRules]] as const;
  for (const [keyword, rules] of lists) {
    const first = rules[0];
    if (first) diagnostics.warn(first.loc, 'LS_WARN_CFG_SUSPICIOUS', `'${keyword}' rules ignored for ${proxyTypeStr(proxy)} '${proxy.name}' as they require HTTP mode.`, keyword);
  }
}

/** check_config_validity: check rules written before a check option of their kind, never followed by one. */
function checkUnusedCheckRules(proxy: Proxy, diagnostics: Diagnostics): void {
  const unused = proxy.unusedCheckRules;
  if (!unused) return;
  const at = (keyword: string) => proxy.section.directives.find((d) => d.keyword === keyword)?.loc ?? proxy.section.loc;
  if (unused.has('http')) diagnostics.warn(at('http-check'), 'LS_WARN_CFG_IGNORED', `${proxyTypeStr(proxy)} '${proxy.name}' uses http-check rules without 'option httpchk', so the rules are ignored.`, 'http-check');
  if (unused.has('tcp')) diagnostics.warn(at('tcp-check'), 'LS_WARN_CFG_IGNORED', `${proxyTypeStr(proxy)} '${proxy.name}' uses tcp-check rules without 'option tcp-check', so the rules are ignored.`, 'tcp-check');
}

/** The proxy has a `tcp-request content switch-mode http` rule. */
export function switchesToHttp(proxy: Proxy): boolean {
  return proxy.tcpRequestRules.some((r) => r.action.type === 'switch-mode');
}

/**
 * A mux of the other mode on a bind or a server: HAProxy refuses `proto h1|h2` in a TCP proxy and
 * `proto none` on an HTTP one (its messages).
 */
function checkMuxProtocols(proxy: Proxy, mode: string, diagnostics: Diagnostics): void {
  for (const bind of proxy.binds) {
    if (bind.proto === undefined || (bind.proto === 'none') !== (mode === 'http')) continue;
    const address = bind.addresses.map((a) => `${a.host}:${a.port}`).join(',');
    diagnostics.alert(bind.loc, 'LS_ERR_CFG_CONFLICT', `${proxy.kind} '${proxy.name}' : MUX protocol '${bind.proto}' is not usable for 'bind ${address}' at [${bind.loc.file}:${bind.loc.line}].`, 'bind');
  }
  for (const server of proxy.servers) {
    const proto = server.options.proto;
    if (proto === undefined || mode === 'http') continue;
    diagnostics.alert(server.loc, 'LS_ERR_CFG_CONFLICT', `${proxy.kind} '${proxy.name}' : MUX protocol '${proto}' is not usable for server '${server.name}' at [${server.loc.file}:${server.loc.line}].`, 'server');
  }
}

function checkTimeouts(proxy: Proxy, mode: string, diagnostics: Diagnostics): void {
  if (proxy.disabled || (mode !== 'http' && mode !== 'tcp')) return;
  const t = proxy.timeouts;
  const missing: string[] = [];
  if (proxy.kind !== 'backend' && !t.client) missing.push('client');
  if (proxy.kind !== 'frontend' && !t.connect) missing.push('connect');
  if (proxy.kind !== 'frontend' && !t.server) missing.push('server');
  if (missing.length === 0) return;
  diagnostics.warn(proxy.section.loc, 'LS_WARN_CFG_MISSING_TIMEOUT', `missing timeouts for ${proxyTypeStr(proxy)} '${proxy.name}'. While not properly invalid, you will certainly encounter various problems with such a configuration. To fix this, please ensure that all following timeouts are set to a non-zero value: ${missing.map((m) => `'${m}'`).join(', ')}.`, proxy.kind);
}
