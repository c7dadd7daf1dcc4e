/**
 * The structured access log: one plain record per finished HTTP exchange or
 * TCP session, built only while someone listens (the engine's event hub).
 * With statistics on, the registry builds it next to its counters (its byte
 * counts include the request and response heads); with statistics off
 * (bench/stats-cost.ts), AccessLogObserver builds it alone, so a UI gets its
 * log either way.
 */
import type { ExchangeRecord } from '../runtime/exchange.ts';
import type { LogObserver } from '../runtime/logger.ts';

/** One finished exchange (HTTP request or TCP session), as the structured access-log stream carries it. */
export interface AccessLogEntry {
  /** epoch ms when the request (HTTP) or connection (TCP) started */
  time: number;
  mode: 'http' | 'tcp';
  frontend: string;
  backend?: string;
  server?: string;
  client: string;
  method?: string;
  url?: string;
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
  return {
    time: r.startedAt, mode: 'http', frontend: r.frontend.name, backend: r.backend?.name, server: r.server?.name,
    client: r.clientAddress(), method: r.method, url: r.url, status: r.status,
    bytesIn, bytesOut, tw: r.tw, tc: r.tc, tr: r.tr, tt, termination: r.termination, retries: r.retries,
  };
}

export function tcpAccessEntry(r: ExchangeRecord, tt: number): AccessLogEntry {
  return {
    time: r.startedAt, mode: 'tcp', frontend: r.frontend.name, backend: r.backend?.name, server: r.server?.name,
    client: r.clientAddress(), status: 0,
    bytesIn: r.bytesIn, bytesOut: r.bytesOut, tw: r.tw, tc: r.tc, tr: -1, tt, termination: r.termination, retries: r.retries,
  };
}

/** The logger's observer when statistics are off: access-log entries only (bodies' bytes, no counters). */
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
