/**
 * Access-log lines: `log-format`, else HAProxy's httplog / clf / tcplog formats,
 * rendered by the compiled log-format language with the engine's timers.
 */
import { compileLogFormat, parseLogFormat, DEFAULT_LOG_FORMATS } from '../acl/index.ts';
import type { LogVars, SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import type { HttpTransaction } from '../http/transaction.ts';
import type { ClientConnection } from '../http/client.ts';
import type { TcpSessionRecord } from '../tcp/frontend.ts';
import { connContext } from '../tcp/samples.ts';
import { patternFileReader } from './pattern-files.ts';

export type ProxyLogFormat = (ctx: SampleContext, vars: LogVars) => string;

/** The proxy's format, or undefined when it does not log (no httplog/tcplog/log-format). */
export function compileProxyLogFormat(proxy: Proxy): ProxyLogFormat | undefined {
  let text: string | undefined = proxy.logFormat?.text;
  const httplog = proxy.options['httplog'];
  if (text === undefined && httplog?.enabled) text = httplog.args[0] === 'clf' ? DEFAULT_LOG_FORMATS.clf : DEFAULT_LOG_FORMATS.http;
  if (text === undefined && (proxy.options['tcplog']?.enabled)) text = DEFAULT_LOG_FORMATS.tcp;
  if (text === undefined) return undefined;
  const mode = proxy.mode ?? 'tcp';
  if (mode === 'tcp' && text === DEFAULT_LOG_FORMATS.http) text = DEFAULT_LOG_FORMATS.tcp;
  // Log lines merge runs of spaces and print '-' for empty fields, as HAProxy's log-format does.
  const parsed = parseLogFormat(text, { mode, mergeSpaces: true, defaults: { mandatory: true } });
  if ('error' in parsed) return undefined;
  const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, vars) => render(ctx, vars);
}

export function httpLogLine(
  format: ProxyLogFormat,
  tx: HttpTransaction | undefined,
  error?: { client: ClientConnection; status: number; termination: string },
): string {
  if (!tx) {
    const client = error!.client;
    const ctx: SampleContext = { conn: client.connectionInfo() };
    return format(ctx, {
      acceptDate: client.acceptedAt, tRequest: -1, tQueue: -1, tConnect: -1, tData: -1, tClose: Date.now() - client.acceptedAt,
      status: error!.status, terminationState: error!.termination, backendName: client.frontend.name, serverName: '<NOSRV>',
    });
  }
  const now = Date.now();
  const backend = tx.backend;
  return format(tx.sampleContext(), {
    acceptDate: tx.startedAt,
    tIdle: 0,
    tRequest: 0,
    tQueue: tx.tw,
    tConnect: tx.tc < 0 ? -1 : tx.tw + tx.tc,
    tData: tx.tr,
    tClose: now - tx.startedAt,
    bytesRead: tx.bytesOut,
    bytesUploaded: tx.bytesIn,
    status: tx.status,
    backendName: backend?.name ?? tx.frontend.name,
    serverName: tx.server?.name ?? '<NOSRV>',
    terminationState: tx.termination,
    cookieState: tx.persistence ? tx.persistence.clientFlag + tx.persistence.serverFlag : '--',
    activeConnections: tx.frontend.connections.size,
    frontendConnections: tx.frontend.connections.size,
    backendConnections: backend ? backend.runtime.servers.reduce((n, s) => n + s.served, 0) : 0,
    serverConnections: tx.server?.served ?? 0,
    retries: tx.retries,
  });
}

export function tcpLogLine(format: ProxyLogFormat, r: TcpSessionRecord): string {
  const now = Date.now();
  return format(connContext(r.client, r.frontend.config), {
    acceptDate: r.acceptedAt,
    tQueue: r.tw,
    tConnect: r.tc < 0 ? -1 : r.tw + r.tc,
    tClose: now - r.acceptedAt,
    bytesRead: r.bytesOut,
    bytesUploaded: r.bytesIn,
    backendName: r.backend?.name ?? r.frontend.name,
    serverName: r.server?.name ?? '<NOSRV>',
    terminationState: r.termination,
    activeConnections: r.frontend.sessions.size,
    frontendConnections: r.frontend.sessions.size,
    serverConnections: r.server?.served ?? 0,
    retries: r.retries,
  });
}
