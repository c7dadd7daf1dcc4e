/**
 * Access-log lines: `log-format`, else HAProxy's httplog / clf / tcplog formats,
 * rendered by the compiled log-format language with the engine's timers.
 */
import { compileLogFormat, parseLogFormat } from '../acl/index.ts';
import type { LogVars, SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import { accessLogFormatText } from '../config/log-format-choice.ts';
import type { ExchangeRecord, ProtocolErrorRecord } from './exchange.ts';
import { patternFileReader } from './pattern-files.ts';

export type ProxyLogFormat = (ctx: SampleContext, vars: LogVars) => string;

/**
 * %si / %sp: the server's address, once a server was chosen (HAProxy: once its connection exists); `unix` and 0 for a socket;
 * where the connection went for a server that follows the client's destination (serverTarget).
 */
function serverVars(r: ExchangeRecord): Pick<LogVars, 'serverAddr' | 'serverPort' | 'backendSourceAddr' | 'backendSourcePort'> {
  const server = r.server;
  const to = r.serverTarget ?? server;
  if (!to) return {};
  return { serverAddr: server?.path === undefined ? to.host : 'unix', serverPort: to.port, backendSourceAddr: r.serverSource?.address, backendSourcePort: r.serverSource?.port };
}

/** The proxy's format, or undefined when it does not log (no httplog/tcplog/log-format). */
export function compileProxyLogFormat(proxy: Proxy): ProxyLogFormat | undefined {
  const text = accessLogFormatText(proxy);
  if (text === undefined) return undefined;
  const mode = proxy.mode;
  // Log lines merge runs of spaces and print '-' for empty fields, as HAProxy's log-format does.
  const parsed = parseLogFormat(text, { mode, mergeSpaces: true, defaults: { mandatory: true } });
  if ('error' in parsed) return undefined;
  const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, vars) => render(ctx, vars);
}

/** The proxy's `log-format-sd`, or undefined without one. */
export function compileLogFormatSd(proxy: Proxy): ProxyLogFormat | undefined {
  const text = proxy.logFormatSd?.text;
  if (text === undefined) return undefined;
  const parsed = parseLogFormat(text, { mode: proxy.mode, mergeSpaces: true, defaults: { mandatory: true } });
  if ('error' in parsed) return undefined;
  const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, vars) => render(ctx, vars);
}

/** The proxy's `error-log-format`, or undefined without one. */
export function compileErrorLogFormat(proxy: Proxy): ProxyLogFormat | undefined {
  const text = proxy.errorLogFormat?.text;
  if (text === undefined) return undefined;
  const parsed = parseLogFormat(text, { mode: proxy.mode, mergeSpaces: true, defaults: { mandatory: true } });
  if ('error' in parsed) return undefined;
  const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, vars) => render(ctx, vars);
}

/** A request that never became an exchange (400, 408). */
/** `logasap`: `option logasap` marks these lines' time and bytes with '+' too, as HAProxy does. */
export function protocolErrorLogLine(format: ProxyLogFormat, r: ProtocolErrorRecord, logCounter = 0, logasap = false): string {
  const connections = r.connections ?? r.frontend.active;
  const start = r.streamStart ?? r.startedAt;
  return format(r.sample(), {
    acceptDate: start, tHandshake: r.handshake ?? 0, tIdle: r.idle ?? 0,
    tRequest: -1, tQueue: -1, tConnect: -1, tData: -1, tClose: Date.now() - start,
    status: r.status, terminationState: r.termination, backendName: r.frontend.name, serverName: '<NOSRV>',
    // The connection being logged is still open and counted, as in HAProxy (1/1/0/0/0 for a lone 408).
    activeConnections: r.allConnections ?? connections, frontendConnections: connections, requestCounter: r.streamNumber, logCounter,
    logasap,
  });
}

/** `logasap`: written early (`option logasap`): %Ta, %Tt, %Tu and %B so far, prefixed with '+'. */
export function httpLogLine(format: ProxyLogFormat, r: ExchangeRecord, logCounter = 0, logasap = false): string {
  const now = Date.now();
  const backend = r.backend;
  const connections = r.connections ?? r.frontend.active;
  // The record's marks count from the complete request head; HAProxy's from its stream's accept date.
  const start = r.streamStart ?? r.startedAt;
  const head = r.startedAt - start;
  return format(r.sample(), {
    acceptDate: start,
    tHandshake: r.handshake ?? 0,
    tIdle: r.idle ?? 0,
    tRequest: r.tarpitted || r.requestWait === -1 ? -1 : head + (r.requestWait ?? 0),
    tQueue: r.tw < 0 ? -1 : head + r.tw,
    tConnect: r.tc < 0 ? -1 : head + r.tw + r.tc,
    tData: r.tr < 0 ? -1 : head + r.tr,
    tClose: now - start,
    bytesRead: r.bytesOut,
    bytesUploaded: r.bytesIn,
    // No answer went out (an abort): HAProxy logs -1.
    status: r.loggedStatus ?? (r.status === 0 ? -1 : r.status),
    backendName: backend?.name ?? r.frontend.name,
    serverName: r.server?.name ?? r.applet ?? '<NOSRV>',
    terminationState: r.termination,
    cookieState: r.cookieState,
    activeConnections: r.allConnections ?? connections,
    frontendConnections: connections,
    backendConnections: backend ? backend.servers.reduce((n, s) => n + s.served, 0) : 0,
    serverConnections: r.server?.served ?? 0,
    retries: r.retries,
    redispatched: r.redispatched,
    serverQueue: r.queued?.server,
    backendQueue: r.queued?.backend,
    requestCounter: r.streamNumber,
    logCounter,
    ...serverVars(r),
    capturedRequestHeaders: r.captures?.request?.headers,
    capturedResponseHeaders: r.captures?.response?.headers,
    capturedRequestCookie: r.captures?.request?.cookie,
    capturedResponseCookie: r.captures?.response?.cookie,
    logasap,
  });
}

export function tcpLogLine(format: ProxyLogFormat, r: ExchangeRecord, logCounter = 0, logasap = false): string {
  const now = Date.now();
  const connections = r.connections ?? r.frontend.active;
  const backend = r.backend;
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
    activeConnections: r.allConnections ?? connections,
    frontendConnections: connections,
    backendConnections: backend ? backend.servers.reduce((n, s) => n + s.served, 0) : 0,
    serverConnections: r.server?.served ?? 0,
    retries: r.retries,
    redispatched: r.redispatched,
    serverQueue: r.queued?.server,
    backendQueue: r.queued?.backend,
    requestCounter: r.streamNumber,
    logCounter,
    ...serverVars(r),
    logasap,
  });
}
