/**
 * Traffic logs and runtime alerts. A proxy logs when it has a `log` target and
 * `option httplog`, `option tcplog` or `log-format` (HAProxy logs nothing
 * otherwise). `loadstar run` writes the lines to stdout; the desktop app
 * and `serve` will stream them through the control contract.
 */
import type { Proxy } from '../config/model.ts';
import type { HttpFrontend } from '../http/frontend.ts';
import type { HttpTransaction } from '../http/transaction.ts';
import type { ClientConnection } from '../http/client.ts';
import type { TcpSessionRecord } from '../tcp/frontend.ts';
import { httpLogLine, tcpLogLine, compileProxyLogFormat } from './log-format.ts';
import type { ProxyLogFormat } from './log-format.ts';

export interface LogSink {
  /** One access-log line. */
  traffic(line: string): void;
  /** Alerts and warnings about the running state ("backend app has no server available!"). */
  alert(message: string): void;
}

export const stdoutSink: LogSink = {
  traffic: (line) => process.stdout.write(line + '\n'),
  alert: (message) => process.stderr.write(`[ALERT] ${message}\n`),
};

export class Logger {
  private readonly formats = new Map<Proxy, ProxyLogFormat | undefined>();

  constructor(private readonly sink: LogSink) {}

  alert(message: string): void {
    this.sink.alert(message);
  }

  private formatFor(proxy: Proxy): ProxyLogFormat | undefined {
    if (!this.formats.has(proxy)) this.formats.set(proxy, compileProxyLogFormat(proxy));
    return this.formats.get(proxy);
  }

  request(frontend: HttpFrontend, tx: HttpTransaction): void {
    const format = this.formatFor(frontend.config);
    if (format) this.sink.traffic(httpLogLine(format, tx));
  }

  protocolError(frontend: HttpFrontend, client: ClientConnection, status: number, termination: string): void {
    const format = this.formatFor(frontend.config);
    if (format) this.sink.traffic(httpLogLine(format, undefined, { client, status, termination }));
  }

  tcp(record: TcpSessionRecord): void {
    const format = this.formatFor(record.frontend.config);
    if (format) this.sink.traffic(tcpLogLine(format, record));
  }
}
