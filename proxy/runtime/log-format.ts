/**
 * Access-log lines: `log-format`, else HAProxy's httplog / clf / tcplog formats,
 * rendered by the compiled log-format language with the engine's timers.
 */
import { compileLogFormat, parseLogFormat, DEFAULT_LOG_FORMATS } from '../acl/index.ts';
import type { LogVars, SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import type { ExchangeRecord, ProtocolErrorRecord } from './exchange.ts';
import { patternFileReader } from './pattern-files.ts';

export type ProxyLogFormat = (ctx: SampleContext, vars: LogVars) => string;

/** The proxy's format, or undefined when it does not log (no httplog/tcplog/log-format). */
export function compileProxyLogFormat(proxy: Proxy): ProxyLogFormat | undefined {
  let text: string | undefined = proxy.logFormat?.text;
  const httplog = proxy.options['httplog'];
  if (text === undefined && httplog?.enabled) text = httplog.args[0] === 'clf' ? DEFAULT_LOG_FORMATS.clf : DEFAULT_LOG_FORMATS.http;
  if (text === undefined && (proxy.options['tcplog']?.enabled)) text = DEFAULT_LOG_FORMATS.tcp;
  if (text === undefined) return undefined;
  const mode = proxy.mode;
  if (mode === 'tcp' && text === DEFAULT_LOG_FORMATS.http) text = DEFAULT_LOG_FORMATS.tcp;
  // Log lines merge runs of spaces and print '-' for empty fields, as HAProxy's log-format does.
  const parsed = parseLogFormat(text, { mode, mergeSpaces: true, defaults: { mandatory: true } });
  if ('error' in parsed) return undefined;
  const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, vars) => render(ctx, vars);
}

/** A request that never became an exchange (400, 408). */
export function protocolErrorLogLine(format: ProxyLogFormat, r: ProtocolErrorRecord): string {
  return format(r.sample(), {
    acceptDate: r.startedAt, tRequest: -1, tQueue: -1, tConnect: -1, tData: -1, tClose: Date.now() - r.startedAt,
    status: r.status, terminationState: r.termination, backendName: r.frontend.name, serverName: '<NOSRV>',
  });
}

export function httpLogLine(format: ProxyLogFormat, r: ExchangeRecord): string {
  const now = Date.now();
  const backend = r.backend;
  return format(r.sample(), {
    acceptDate: r.startedAt,
    tIdle: 0,
    tRequest: 0,
    tQueue: r.tw,
    tConnect: r.tc < 0 ? -1 : r.tw + r.tc,
    tData: r.tr,
    tClose: now - r.startedAt,
    bytesRead: r.bytesOut,
    bytesUploaded: r.bytesIn,
    status: r.status,
    backendName: backend?.name ?? r.frontend.name,
    serverName: r.server?.name ?? '<NOSRV>',
    terminationState: r.termination,
    cookieState: r.cookieState,
    activeConnections: r.frontend.active,
    frontendConnections: r.frontend.active,
    backendConnections: backend ? backend.servers.reduce((n, s) => n + s.served, 0) : 0,
    serverConnections: r.server?.served ?? 0,
    retries: r.retries,
    redispatched: r.redispatched,
  });
}

export function tcpLogLine(format: ProxyLogFormat, r: ExchangeRecord): string {
  const now = Date.now();
  return format(r.sample(), {
    acceptDate: r.startedAt,
    tQueue: r.tw,
    tConnect: r.tc < 0 ? -1 : r.tw + r.tc,
    tClose: now - r.startedAt,
    bytesRead: r.bytesOut,
    bytesUploaded: r.bytesIn,
    backendName: r.backend?.name ?? r.frontend.name,
    serverName: r.server?.name ?? '<NOSRV>',
    terminationState: r.termination,
    activeConnections: r.frontend.active,
    frontendConnections: r.frontend.active,
    serverConnections: r.server?.served ?? 0,
    retries: r.retries,
    redispatched: r.redispatched,
  });
}
