/**
 * The structured access log: one plain record per finished HTTP exchange or
 * TCP session, built only while someone listens (the engine's event hub).
 * With statistics on, the registry builds it next to its counters (its byte
 * counts include the request and response heads); with statistics off
 * (bench/stats-cost.ts), AccessLogObserver builds it alone, so a UI gets its
 * log either way.
 */
import type { HttpFrontend } from '../http/frontend.ts';
import type { HttpTransaction } from '../http/transaction.ts';
import type { TcpSessionRecord } from '../tcp/frontend.ts';
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

export function httpAccessEntry(frontend: HttpFrontend, tx: HttpTransaction, bytesIn: number, bytesOut: number, tt: number): AccessLogEntry {
  const info = tx.client.connectionInfo();
  return {
    time: tx.startedAt, mode: 'http', frontend: frontend.name, backend: tx.backend?.name, server: tx.server?.name,
    client: `${info.src ?? ''}:${info.srcPort ?? ''}`, method: tx.request.method, url: tx.request.url, status: tx.status,
    bytesIn, bytesOut, tw: tx.tw, tc: tx.tc, tr: tx.tr, tt, termination: tx.termination, retries: tx.retries,
  };
}

export function tcpAccessEntry(record: TcpSessionRecord, tt: number): AccessLogEntry {
  return {
    time: record.acceptedAt, mode: 'tcp', frontend: record.frontend.name, backend: record.backend?.name, server: record.server?.name,
    client: `${record.client.remoteAddress ?? ''}:${record.client.remotePort ?? ''}`, status: 0,
    bytesIn: record.bytesIn, bytesOut: record.bytesOut, tw: record.tw, tc: record.tc, tr: -1, tt, termination: record.termination, retries: record.retries,
  };
}

/** The logger's observer when statistics are off: access-log entries only (bodies' bytes, no counters). */
export class AccessLogObserver implements LogObserver {
  constructor(private readonly output: AccessLogOutput) {}

  http(frontend: HttpFrontend, tx: HttpTransaction): void {
    if (this.output.accessLogWanted()) this.output.accessLog(httpAccessEntry(frontend, tx, tx.bytesIn, tx.bytesOut, Date.now() - tx.startedAt));
  }

  protocolError(): void {}

  tcp(record: TcpSessionRecord): void {
    if (this.output.accessLogWanted()) this.output.accessLog(tcpAccessEntry(record, Date.now() - record.acceptedAt));
  }

  alert(): void {}
}
