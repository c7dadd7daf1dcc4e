/**
 * `monitor-uri` and `monitor fail` (configuration.txt §4.2): a request for the monitor URI is
 * answered by the frontend itself, before its http-request rules, as HAProxy 2.6's
 * http_wait_for_request does — 200 ("Service ready", or the `errorfile 200`), or the 503 page
 * while a `monitor fail` condition holds — counted as intercepted and never logged.
 */
import type { Proxy } from '../config/model.ts';
import type { LocalAnswer } from './rules.ts';
import type { HttpTransaction } from './transaction.ts';
import { compileTxCondition } from './samples.ts';

export type MonitorCheck = (tx: HttpTransaction) => LocalAnswer | undefined;

/** Undefined for a frontend without `monitor-uri`: its requests check nothing. */
export function compileMonitor(config: Proxy, errorResponse: (status: number) => Buffer): MonitorCheck | undefined {
  const uri = config.monitorUri;
  if (uri === undefined) return undefined;
  const failWhen = config.monitorFail.map((line) => (line.condition ? compileTxCondition(line.condition, config) : () => true));
  return (tx) => {
    if (!isMonitorRequest(tx.request.url, uri)) return undefined;
    tx.logSilent = true;
    const status = failWhen.some((fails) => fails(tx)) ? 503 : 200;
    return { response: errorResponse(status), status, termination: 'LR', kind: 'intercepted' };
  };
}

/** HAProxy compares the request's path (with its query: http_parse_path) when the monitor URI is a path, and the whole URI. */
function isMonitorRequest(url: string, uri: string): boolean {
  return url === uri || (uri.startsWith('/') && pathOf(url) === uri);
}

/** The path and query of an origin-form or absolute-form target; '' for '*' or an authority alone. */
function pathOf(url: string): string {
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme < 0) return '';
  const slash = url.indexOf('/', scheme + 3);
  return slash < 0 ? '' : url.slice(slash);
}
