/**
 * What a server's check does, from the configuration: which probe (TCP
 * connect, `option httpchk`, `option tcp-check`), where it connects (`addr`,
 * `port`), its timeouts and its rise/fall/inter timings (provisioned: HAProxy's
 * defaults are already in the server's options), and its agent (`agent-check`:
 * agent-addr, else addr, else the server's address; agent-port, else port).
 */
import type { FcgiCheckMux } from './types.ts';
import { hostname } from 'node:os';
import type { Config, Proxy, Server, SourceAddress } from '../config/model.ts';
import { httpCheckSpec, httpProbe } from './http.ts';
import { tcpConnectCheck } from './tcp.ts';
import { tcpCheckProbe } from './tcp-check.ts';
import { PROTOCOL_CHECKS, protocolCheckProbe } from './protocol-checks.ts';
import type { CheckTimings } from './state.ts';
import type { CheckTarget, Probe } from './types.ts';
import type { AgentSettings } from './agent.ts';
import { checkProxyHeader } from '../runtime/proxy-header-out.ts';
import type { ExternalCheckSpec } from './external.ts';

export interface CheckSettings {
  kind: 'tcp' | 'http' | 'tcp-check' | 'external';
  /** The regular check runs (`check`); false when only the agent does. */
  active: boolean;
  /** `agent-check` with a port to reach. */
  agent?: AgentSettings;
  probe: Probe;
  target: CheckTarget;
  timings: CheckTimings;
  /** `spread-checks` percentage: each interval is moved by up to ± this share. */
  spreadPercent: number;
  /** ms; 0 = none. */
  slowstart: number;
  logHealthChecks: boolean;
  /** `http-check send-state`: HTTP checks carry X-Haproxy-Server-State. */
  sendState: boolean;
  /** The `node` name that header reports (global `node`, else the host name). */
  node?: string;
  /** `option external-check`: the command and what it is told (set by HealthChecks; `probe` is then unused). */
  external?: ExternalCheckSpec;
}

/** The probe of an external check: ServerCheck runs the command itself (external.ts), never this. */
const externalProbe: Probe = () => Promise.reject(new Error('an external check runs through ServerCheck, not its probe'));

export function checkTimings(server: Server): CheckTimings {
  const { inter, fastinter, downinter, rise, fall } = server.options;
  return { inter, fastinter, downinter, rise, fall };
}

/**
 * @param tls check-ssl options (proxy/tls/server-tls.ts checkTls), undefined for plain checks.
 * @param node the process's `node` name (nodeName), for `http-check send-state`.
 */
/** @param fcgi the backend's FastCGI application (`use-fcgi-app`): HTTP checks of its `proto fcgi` servers go through it. */
export function checkSettings(proxy: Proxy, server: Server, spreadPercent = 0, tls?: CheckTarget['tls'], node?: string, connectTls?: CheckTarget['connectTls'], pp2NeverSendLocal = false, fcgi?: FcgiCheckMux): CheckSettings {
  const timings = checkTimings(server);
  const checkTimeout = proxy.timeouts.check;
  // HAProxy: with `timeout check`, connect gets min(timeout connect, inter) and the read `timeout check`;
  // without it, `inter` bounds the whole check.
  const connectTimeout = Math.min(proxy.timeouts.connect ?? timings.inter, timings.inter);
  const target: CheckTarget = {
    host: server.options.addr ?? server.host,
    port: server.options.port ?? server.port,
    ...(server.unix && server.options.addr === undefined ? { path: server.host } : {}),
    connectTimeout,
    readTimeout: checkTimeout ?? timings.inter,
    ...(checkTimeout === undefined ? { totalTimeout: timings.inter } : {}),
    ...(tls ? { tls } : {}),
    ...(connectTls ? { connectTls } : {}),
    ...localBinding(server.options.source ?? proxy.source),
  };
  // `socks4`: checks connect directly unless `check-via-socks4` (or a connect line's `via-socks4`) says otherwise.
  if (server.options.socks4) {
    target.socks4 = server.options.socks4;
    if (server.options.checkViaSocks4) target.viaSocks4 = true;
  }
  // HAProxy (check.c): checks send the server's PROXY header unless `port` or `addr` send them elsewhere; `check-send-proxy` always.
  const o = server.options;
  const sendProxy = o.checkSendProxy === true || (o.port === undefined && o.addr === undefined && (o.sendProxy === true || o.sendProxyV2 === true));
  if (sendProxy) target.sendProxy = true;
  if (sendProxy || proxy.tcpCheckRules.some((r) => r.type === 'connect' && r.sendProxy)) target.proxyHeader = (own) => checkProxyHeader(o, own, pp2NeverSendLocal);
  // Kept among the proxy's options by the parser (proxy/config/kw-checks.ts SEND_STATE), inherited from defaults.
  const sendState = proxy.options['http-check send-state']?.enabled ?? false;
  let kind: CheckSettings['kind'] = 'tcp';
  let probe: Probe = tcpConnectCheck;
  if (proxy.options['external-check']?.enabled && proxy.externalCheckCommand) {
    kind = 'external';
    probe = externalProbe;
  } else if (proxy.options['httpchk']?.enabled) {
    kind = 'http';
    // check.c: an HTTP check takes the server's mux (proto h1/h2) unless check-proto names one.
    const mux = server.options.checkProto ?? server.options.proto;
    probe = httpProbe(httpCheckSpec(proxy.httpCheckRequest, proxy.httpCheckRules, proxy.httpCheckDisableOn404, sendState, {
      ...(mux === 'h1' || mux === 'h2' ? { checkProto: mux } : {}),
      ...(mux === 'fcgi' && fcgi ? { fcgi } : {}),
      ...(server.options.checkAlpn !== undefined ? { checkAlpn: true } : {}),
    }));
    const connect = proxy.httpCheckRules.find((r) => r.type === 'connect');
    if (connect?.type === 'connect') {
      if (connect.port !== undefined) target.port = connect.port;
      // tcpcheck_eval_connect: its own `via-socks4`, or the server's check-via-socks4 with `default`.
      if (target.socks4) target.viaSocks4 = connect.viaSocks4 === true || (connect.default === true && server.options.checkViaSocks4 === true);
      // An explicit connect line says its own transport: TLS with `ssl` (or `default` on a check-ssl server), else plain.
      const lineTls = connectTls?.get(connect);
      if (lineTls) target.tls = lineTls;
      else delete target.tls;
    }
  } else if (proxy.options['tcp-check']?.enabled && proxy.tcpCheckRules.length > 0) {
    kind = 'tcp-check';
    probe = tcpCheckProbe(proxy.tcpCheckRules);
  } else if (!proxy.options['tcp-check']?.enabled) {
    // `option redis-check` and friends: HAProxy's built-in tcp-check rulesets (the parser keeps one enabled).
    const protocol = PROTOCOL_CHECKS.find((name) => proxy.options[name]?.enabled);
    if (protocol) {
      kind = 'tcp-check';
      probe = protocolCheckProbe(protocol, proxy.options[protocol]!.args);
    }
  }
  const agent = agentSettings(proxy, server);
  return {
    kind,
    active: server.options.check,
    ...(agent ? { agent } : {}),
    probe,
    target,
    timings,
    spreadPercent,
    slowstart: server.options.slowstart,
    logHealthChecks: proxy.options['log-health-checks']?.enabled ?? false,
    sendState: kind === 'http' && sendState,
    ...(node !== undefined ? { node } : {}),
  };
}

/** HAProxy's global.node: the last `node` line of the global section, else the host name. */
export function nodeName(config: Config): string {
  const lines = config.global.section?.directives.filter((d) => d.keyword === 'node') ?? [];
  return lines.at(-1)?.args[0] ?? hostname();
}

/** The agent's port: `agent-port`, else `port` (validation refuses `agent-check` with neither, as HAProxy does). */
export function agentPort(server: Server): number | undefined {
  return server.options.agentPort ?? server.options.port;
}

function agentSettings(proxy: Proxy, server: Server): AgentSettings | undefined {
  const o = server.options;
  const port = agentPort(server);
  if (!o.agentCheck || port === undefined) return undefined;
  const inter = o.agentInter;
  const checkTimeout = proxy.timeouts.check;
  return {
    // As for the regular check, agent-inter bounds the exchange when `timeout check` is unset.
    target: {
      host: o.agentAddr ?? o.addr ?? server.host,
      port,
      connectTimeout: Math.min(proxy.timeouts.connect ?? inter, inter),
      readTimeout: checkTimeout ?? inter,
      ...(checkTimeout === undefined ? { totalTimeout: inter } : {}),
      // tcpcheck_eval_connect reads the server's check-via-socks4 for its agent too.
      ...(o.socks4 && o.checkViaSocks4 ? { socks4: o.socks4, viaSocks4: true } : {}),
    },
    ...(o.agentSend !== undefined ? { send: o.agentSend } : {}),
    inter,
  };
}

/** HAProxy binds checks to the server's (else the backend's) `source` too. */
function localBinding(source: SourceAddress | undefined): Pick<CheckTarget, 'localAddress' | 'localPort'> {
  if (!source) return {};
  return { ...(source.address !== undefined ? { localAddress: source.address } : {}), ...(source.port !== undefined ? { localPort: source.port } : {}) };
}
