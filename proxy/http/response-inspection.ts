/**
 * `tcp-response content` rules of an HTTP-mode backend (HAProxy 2.6's AN_RES_INSPECT before
 * AN_RES_WAIT_HTTP): run once, when the server's answer starts, over the exchange (its variables,
 * its request); what HAProxy reads from the raw bytes there (res.len, res.payload …) it ignores on
 * HTTP proxies and Loadstar finds nothing. set-var / set-var-fmt / unset-var run, set-log-level sets the
 * exchange's (a later http-response set-log-level changes it again), accept lets the
 * answer through, reject closes the client connection without a word (haproxy 2.6.12 logs `-1 PD--`),
 * close ends the server connection and the client gets a 502 (`SH--`).
 */
import type { SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import { compileResponseRuleStep } from '../tcp/response-inspection.ts';
import type { ResponseStream, ResponseVerdict } from '../tcp/response-inspection.ts';

/** The backend's rules over an exchange's sample context: the verdict of the first that decides, else accept. */
export type HttpResponseInspection = (ctx: SampleContext, exchange: ResponseStream) => ResponseVerdict;

/** Undefined for a backend without such rules: its exchanges check nothing. */
export function compileHttpResponseInspection(proxy: Proxy): HttpResponseInspection | undefined {
  const rules = proxy.tcpResponseRules;
  if (!rules || rules.length === 0) return undefined;
  const steps = rules.map((r) => compileResponseRuleStep(r, proxy));
  return (ctx, exchange) => {
    for (const step of steps) {
      // One pass, final: a fetch with nothing to read does not match (never 'wait').
      const verdict = step(ctx, true, exchange);
      if (verdict !== undefined && verdict !== 'wait') return verdict;
    }
    return 'accept';
  };
}
