/**
 * Which access-log format a proxy ends up with. `option httplog`, `option httpslog`, `option tcplog`
 * and `log-format` each set HAProxy's one logformat_string: the last line written wins, and a
 * proxy's own lines come after what it inherited from its defaults section (it starts as a copy of
 * them). So a TCP listen with its own `option tcplog` under defaults with `option httplog` logs
 * tcplog, and no "not usable" warning applies to it.
 */
import { DEFAULT_LOG_FORMATS } from '../acl/index.ts';
import type { OptionSetting, Proxy, SourceLocation } from './model.ts';

export type LogFormatKind = 'custom' | 'http' | 'clf' | 'https' | 'tcp';

export interface LogFormatChoice {
  readonly kind: LogFormatKind;
  /** The line that chose it (the proxy's own, or its defaults'). */
  readonly loc: SourceLocation;
}

/** The format the proxy's lines use, or undefined when it has none (it logs no traffic). */
export function chosenLogFormat(proxy: Proxy): LogFormatChoice | undefined {
  const candidates: LogFormatChoice[] = [];
  if (proxy.logFormat) candidates.push({ kind: 'custom', loc: proxy.logFormat.loc });
  const option = (name: string): OptionSetting | undefined => {
    const o = proxy.options[name];
    return o?.enabled ? o : undefined;
  };
  const httplog = option('httplog');
  if (httplog) candidates.push({ kind: httplog.args[0] === 'clf' ? 'clf' : 'http', loc: httplog.loc });
  const httpslog = option('httpslog');
  if (httpslog) candidates.push({ kind: 'https', loc: httpslog.loc });
  const tcplog = option('tcplog');
  if (tcplog) candidates.push({ kind: 'tcp', loc: tcplog.loc });
  if (candidates.length <= 1) return candidates[0];
  const own = (loc: SourceLocation): boolean => proxy.section.directives.some((d) => d.loc.file === loc.file && d.loc.line === loc.line);
  return candidates.reduce((last, c) => (writtenAfter(c.loc, last.loc, own) ? c : last));
}

/** `a` was written after `b`: a proxy's own line after an inherited one, else later in the same file. */
function writtenAfter(a: SourceLocation, b: SourceLocation, own: (loc: SourceLocation) => boolean): boolean {
  const ownA = own(a);
  if (ownA !== own(b)) return ownA;
  return a.file === b.file && a.line > b.line;
}

/**
 * The text of the access-log format the proxy compiles, or undefined when it logs no traffic. An
 * HTTP format in a TCP proxy falls back to tcplog (HAProxy's proxy_cfg_ensure_no_http).
 */
export function accessLogFormatText(proxy: Proxy): string | undefined {
  const choice = chosenLogFormat(proxy);
  if (choice === undefined) return undefined;
  if (choice.kind === 'custom') return proxy.logFormat!.text;
  return proxy.mode === 'tcp' && choice.kind !== 'tcp' ? DEFAULT_LOG_FORMATS.tcp : DEFAULT_LOG_FORMATS[choice.kind];
}
