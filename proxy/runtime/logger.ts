/**
 * Traffic logs and runtime alerts. A proxy with `option httplog`, `option tcplog`
 * or `log-format` logs each exchange's end; one with a `log` target and none of
 * them logs each new stream's addresses instead ("Connect from …", as HAProxy). `loadstar run` writes the lines to stdout; the desktop app
 * and `serve` will stream them through the control contract.
 */
import type net from 'node:net';
import type { Bind, LogTarget, Proxy } from '../config/model.ts';
import { dateLog } from '../acl/eval-logformat.ts';
import type { ExchangeRecord, ProtocolErrorRecord } from './exchange.ts';
import { httpLogLine, protocolErrorLogLine, tcpLogLine, compileProxyLogFormat, compileErrorLogFormat, compileLogFormatSd } from './log-format.ts';
import { embryonicLogLine } from './embryonic-log.ts';
import { LOG_ERR, LOG_INFO, type Syslog } from './syslog.ts';
import type { EmbryonicRecord } from './embryonic-log.ts';
import type { ProxyLogFormat } from './log-format.ts';

export interface LogSink {
  /** One access-log line. */
  traffic(line: string): void;
  /** Alerts and warnings about the running state ("backend app has no server available!"). */
  alert(message: string): void;
  /** Process notices and warnings under their own label (a `program` started or ended: runtime/programs.ts). */
  notice?(message: string, level: 'NOTICE' | 'WARNING'): void;
}

export const stdoutSink: LogSink = {
  traffic: (line) => process.stdout.write(line + '\n'),
  alert: (message) => process.stderr.write(`[ALERT] ${message}\n`),
  notice: (message, level) => process.stderr.write(`[${level}] ${message}\n`),
};

/** Sees every exchange at its log point, whether or not the proxy logs (the statistics, proxy/stats). */
export interface LogObserver {
  http(record: ExchangeRecord): void;
  protocolError(record: ProtocolErrorRecord): void;
  tcp(record: ExchangeRecord): void;
  alert(message: string): void;
}

export class Logger {
  private readonly formats = new Map<Proxy, ProxyLogFormat | undefined>();
  private readonly errorFormats = new Map<Proxy, ProxyLogFormat | undefined>();
  /** %lc: lines each frontend logged before this one (HAProxy's fe->log_count). */
  private readonly counts = new Map<Proxy, number>();
  observer: LogObserver | undefined;

  /** The running configuration's syslog servers (the engine replaces it with each configuration). */
  syslog: Syslog | undefined;

  constructor(private readonly sink: LogSink) {}

  /** A state change of the proxy (a server down or up, no server left): to its syslog servers (the sink had it as an alert). */
  proxyEvent(proxy: Proxy, level: number, message: string): void {
    this.syslog?.send(proxy, level, message);
  }

  /** An FCGI_STDERR record of an application, at level err under its name (mux_fcgi.c app_log), to its `log-stderr` targets. */
  fcgiStderr(logs: { readonly logs: readonly LogTarget[] }, app: string, message: string): void {
    this.syslog?.sendTagged(logs, app, LOG_ERR, message);
  }

  /**
   * `log-format-sd`: the structured data of the line being written, rendered by the format that
   * rendered the line (withSd), with the same sample context and variables, then taken by write().
   */
  private sd: string | undefined;

  /** One of the proxy's lines: to the sink (stdout, the UI), and to its syslog servers at `level`. */
  private write(proxy: Proxy, line: string, level = LOG_INFO): void {
    const sd = this.sd;
    this.sd = undefined;
    this.sink.traffic(line);
    this.syslog?.send(proxy, level, line, undefined, sd);
  }

  /** A format that also renders the proxy's `log-format-sd` (the format itself when it has none: nothing more per line). */
  private withSd(proxy: Proxy, format: ProxyLogFormat | undefined): ProxyLogFormat | undefined {
    const sd = format && proxy.logFormatSd ? compileLogFormatSd(proxy) : undefined;
    if (!format || !sd) return format;
    return (ctx, vars) => {
      this.sd = sd(ctx, vars);
      return format(ctx, vars);
    };
  }

  alert(message: string): void {
    this.observer?.alert(message);
    this.sink.alert(message);
  }

  notice(message: string, level: 'NOTICE' | 'WARNING' = 'NOTICE'): void {
    this.sink.notice?.(message, level);
  }

  private nextCount(proxy: Proxy): number {
    const n = this.counts.get(proxy) ?? 0;
    this.counts.set(proxy, n + 1);
    return n;
  }

  /** The proxy writes access-log lines (httplog, tcplog or log-format). */
  logs(proxy: Proxy): boolean {
    return this.formatFor(proxy) !== undefined;
  }

  private formatFor(proxy: Proxy): ProxyLogFormat | undefined {
    if (!this.formats.has(proxy)) this.formats.set(proxy, this.withSd(proxy, compileProxyLogFormat(proxy)));
    return this.formats.get(proxy);
  }

  /** The end of an HTTP exchange. */
  /** An exchange's end; `lineWritten`: its log line went out early (`option logasap`), the statistics still count it now. */
  request(record: ExchangeRecord, lineWritten = false): void {
    this.observer?.http(record);
    const format = lineWritten || record.silent || quietNormal(record, true) ? undefined : this.formatFor(record.frontend.config);
    if (format) this.write(record.frontend.config, httpLogLine(format, record, this.nextCount(record.frontend.config)), exchangeLevel(record, true));
  }

  /** `option logasap`: an HTTP exchange's line once the response head is in, with what is known so far. */
  requestAsap(record: ExchangeRecord): void {
    const format = record.silent || quietNormal(record, true) ? undefined : this.formatFor(record.frontend.config);
    if (format) this.write(record.frontend.config, httpLogLine(format, record, this.nextCount(record.frontend.config), true), exchangeLevel(record, true));
  }

  /** `option logasap`: a TCP session's line once its server connection is established. */
  tcpAsap(record: ExchangeRecord): void {
    const format = record.silent || quietNormal(record, false) ? undefined : this.formatFor(record.frontend.config);
    if (format) this.write(record.frontend.config, tcpLogLine(format, record, this.nextCount(record.frontend.config), true), exchangeLevel(record, false));
  }

  /** A request the HTTP parser refused (400, 408…): HAProxy's mux logs it with `error-log-format` when there is one. */
  protocolError(record: ProtocolErrorRecord): void {
    this.observer?.protocolError(record);
    const format = this.errorFormatFor(record.frontend.config) ?? this.formatFor(record.frontend.config);
    if (format) this.write(record.frontend.config, protocolErrorLogLine(format, record, this.nextCount(record.frontend.config), record.frontend.config.options['logasap']?.enabled ?? false));
  }

  /**
   * A connection that failed before it became a stream: its TLS handshake or PROXY header (HAProxy's
   * session_kill_embryonic). With `error-log-format` the line is that format's; else, when the
   * frontend logs, `<src>:<port> [<accept date>] <frontend>/<bind name or listener id>: <reason>`.
   * `option dontlognull` is the caller's to apply (which failures it drops depends on the reason).
   */
  connectionError(record: EmbryonicRecord): void {
    const proxy = record.frontend.config;
    const errorFormat = this.errorFormatFor(proxy);
    if (errorFormat) return void this.write(proxy, embryonicLogLine(errorFormat, record, this.nextCount(proxy)));
    if (!this.formatFor(proxy)) return;
    const { socket, bind } = record;
    const src = socket.remoteAddress?.startsWith('::ffff:') ? socket.remoteAddress.slice(7) : socket.remoteAddress;
    const label = bind.name ?? String(listenerId(proxy, bind, record.listenerPort ?? socket.localPort ?? 0));
    this.write(proxy, `${src ?? 'unknown'}:${socket.remotePort ?? 0} [${dateLog(record.acceptedAt)}] ${proxy.name}/${label}: ${record.failure.reason}`);
  }

  /**
   * The proxy has log targets but no log format (no `option httplog`, `tcplog`, `httpslog` or
   * `log-format`): HAProxy then logs each new stream's addresses instead of its end (connectFrom).
   */
  logsConnects(proxy: Proxy): boolean {
    return proxy.logs.length > 0 && (proxy.mode === 'http' || proxy.mode === 'tcp') && !this.logs(proxy);
  }

  /**
   * HAProxy's line for a new stream of such a proxy (stream_new): `Connect from <src>:<port> to
   * <dst>:<port> (<frontend>/<HTTP|TCP>)`, or `Connect to unix:<listener id> (…)` on a UNIX socket.
   */
  connectFrom(proxy: Proxy, conn: { src?: string; srcPort?: number; dst?: string; dstPort?: number }, socket: net.Socket): void {
    const mode = proxy.mode === 'http' ? 'HTTP' : 'TCP';
    if (conn.src) {
      this.write(proxy, `Connect from ${conn.src}:${conn.srcPort ?? 0} to ${conn.dst ? `${conn.dst}:${conn.dstPort ?? 0}` : 'undetermined address:0'} (${proxy.name}/${mode})`);
      return;
    }
    // A UNIX socket's client has no address: HAProxy names the listener by its number.
    const path = (socket as net.Socket & { server?: net.Server }).server?.address();
    this.write(proxy, `Connect to unix:${typeof path === 'string' ? unixListenerId(proxy, path) : 0} (${proxy.name}/${mode})`);
  }

  /** The proxy writes a line for a connection that fails before its stream (connectionError). */
  logsConnectionErrors(proxy: Proxy): boolean {
    return this.errorFormatFor(proxy) !== undefined || this.formatFor(proxy) !== undefined;
  }

  /** The proxy's `error-log-format`, compiled once; undefined without one. */
  private errorFormatFor(proxy: Proxy): ProxyLogFormat | undefined {
    if (!proxy.errorLogFormat) return undefined;
    if (!this.errorFormats.has(proxy)) this.errorFormats.set(proxy, this.withSd(proxy, compileErrorLogFormat(proxy)));
    return this.errorFormats.get(proxy);
  }

  /** The end of a TCP session. */
  tcp(record: ExchangeRecord, lineWritten = false): void {
    this.observer?.tcp(record);
    const format = lineWritten || record.silent || quietNormal(record, false) ? undefined : this.formatFor(record.frontend.config);
    if (format) this.write(record.frontend.config, tcpLogLine(format, record, this.nextCount(record.frontend.config)), exchangeLevel(record, false));
  }
}

/**
 * `option dontlog-normal`: the exchange went well, so it writes no line. HAProxy 2.6's sess_log
 * logs only a redispatch, a termination cause other than none or local (L), retries without an
 * error, or (HTTP) a status of 500 and above.
 */
function quietNormal(record: ExchangeRecord, http: boolean): boolean {
  if (!record.frontend.config.options['dontlog-normal']?.enabled) return false;
  return !loggedAsError(record, http);
}

/**
 * What sess_log counts as an error (for `option dontlog-normal` and `option log-separate-errors`):
 * a redispatch, a termination cause other than none or local (L), retries without an error, or
 * (HTTP) a status of 500 and above.
 */
function loggedAsError(record: ExchangeRecord, http: boolean): boolean {
  const cause = record.termination[0];
  return record.redispatched === true || (cause !== '-' && cause !== 'L') || (cause === '-' && record.retries > 0) || (http && record.status >= 500);
}

/** The syslog level of an exchange's line: `set-log-level`'s, else err for an error with `option log-separate-errors`, else info. */
function exchangeLevel(record: ExchangeRecord, http: boolean): number {
  if (record.logLevel !== undefined) return record.logLevel;
  return record.frontend.config.options['log-separate-errors']?.enabled && loggedAsError(record, http) ? LOG_ERR : LOG_INFO;
}

/** HAProxy's automatic listener id: listeners (one per address and port) are numbered from 1 in the proxy's bind order. */
/** The listener number (as listenerId counts) of the proxy's UNIX socket bound at `path`. */
function unixListenerId(proxy: Proxy, path: string): number {
  let id = 0;
  for (const b of proxy.binds) {
    for (const a of b.addresses) {
      for (let p = a.port; p <= a.portEnd; p++) {
        id++;
        if (a.family === 'unix' && a.host === path) return id;
      }
    }
  }
  return 0;
}

function listenerId(proxy: Proxy, bind: Bind, port: number): number {
  let id = 0;
  for (const b of proxy.binds) {
    for (const a of b.addresses) {
      for (let p = a.port; p <= a.portEnd; p++) {
        id++;
        if (b === bind && (p === port || a.family === 'unix')) return id;
      }
    }
  }
  return id;
}
