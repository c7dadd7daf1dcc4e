/**
 * The structured access log: one plain record per finished HTTP exchange or
 * TCP session, built only while someone listens (the engine's event hub).
 * Byte counts include the heads, as HAProxy counts them (http/htx-size.ts).
 * With statistics on, the registry builds it next to its counters; with statistics off
 * (bench/stats-cost.ts), AccessLogObserver builds it alone, so a UI gets its
 * log either way.
 */
import type { ExchangeRecord } from '../runtime/exchange.ts';
import type { LogObserver } from '../runtime/logger.ts';
import type { ConnectionInfo } from '../acl/context.ts';

/** One finished exchange (HTTP request or TCP session), as the structured access-log stream carries it. */
export interface AccessLogEntry {
  /** epoch ms when the request (HTTP) or connection (TCP) started */
  time: number;
  mode: 'http' | 'tcp';
  frontend: string;
  backend?: string;
  server?: string;
  client: string;
  /** The client's address without its port (`client` has both): what the request tracer takes as the source. */
  clientIp: string;
  /** TLS was negotiated on the client's connection (ssl_fc). */
  tls: boolean;
  /** The SNI the client sent over TLS. */
  sni?: string;
  method?: string;
  url?: string;
  /** The request's Host header (HTTP), as the backend rules saw it. */
  host?: string;
  /** HTTP status, 0 when no response was sent (aborted) or in TCP mode. */
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** ms: queue wait, connect, response headers (from start), total; -1 = not reached. */
  tw: number;
  tc: number;
  tr: number;
  tt: number;
  /** HAProxy's two-letter termination state. */
  termination: string;
  retries: number;
}

/** Where access-log entries go, and whether anyone wants them now. */
export interface AccessLogOutput {
  accessLogWanted(): boolean;
  accessLog(entry: AccessLogEntry): void;
}

export function httpAccessEntry(r: ExchangeRecord, bytesIn: number, bytesOut: number, tt: number): AccessLogEntry {
  // Built only while someone listens: the sample context is the log-format's own view of the exchange.
  const { conn, req } = r.sample();
  return {
    time: r.startedAt, mode: 'http', frontend: r.frontend.name, backend: r.backend?.name, server: r.server?.name,
    ...clientOf(r, conn), method: r.method, url: r.url, host: req ? hostOf(req.rawHeaders) : undefined, status: r.status,
    bytesIn, bytesOut, tw: r.tw, tc: r.tc, tr: r.tr, tt, termination: r.termination, retries: r.retries,
  };
}

export function tcpAccessEntry(r: ExchangeRecord, tt: number): AccessLogEntry {
  return {
    time: r.startedAt, mode: 'tcp', frontend: r.frontend.name, backend: r.backend?.name, server: r.server?.name,
    ...clientOf(r, r.sample().conn), status: 0,
    bytesIn: r.bytesIn, bytesOut: r.bytesOut, tw: r.tw, tc: r.tc, tr: -1, tt, termination: r.termination, retries: r.retries,
  };
}

function clientOf(r: ExchangeRecord, conn: ConnectionInfo): Pick<AccessLogEntry, 'client' | 'clientIp' | 'tls' | 'sni'> {
  return { client: r.clientAddress(), clientIp: conn.src, tls: conn.ssl, ...(conn.sslSni ? { sni: conn.sslSni } : {}) };
}

/** The first Host header's value (HTTP/2's :authority arrives as Host too). */
function hostOf(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'host') return rawHeaders[i + 1];
  }
  return undefined;
}

/** The logger's observer when statistics are off: access-log entries only (no counters). */
export class AccessLogObserver implements LogObserver {
  constructor(private readonly output: AccessLogOutput) {}

  http(r: ExchangeRecord): void {
    if (this.output.accessLogWanted()) this.output.accessLog(httpAccessEntry(r, r.bytesIn, r.bytesOut, Date.now() - r.startedAt));
  }

  protocolError(): void {}

  tcp(r: ExchangeRecord): void {
    if (this.output.accessLogWanted()) this.output.accessLog(tcpAccessEntry(r, Date.now() - r.startedAt));
  }

  alert(): void {}
}
