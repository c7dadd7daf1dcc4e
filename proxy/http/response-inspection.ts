/**
 * `tcp-response content` rules of an HTTP-mode backend (HAProxy 2.6's AN_RES_INSPECT before
 * AN_RES_WAIT_HTTP): run once, when the server's answer starts, over the exchange (its variables,
 * its request); what HAProxy reads from the raw bytes there (res.len, res.payload …) it ignores on
 * HTTP proxies and Loadstar finds nothing. set-var / set-var-fmt / unset-var run, accept lets the
 * answer through, reject closes the client connection without a word (haproxy 2.6.12 logs `-1 PD--`),
 * close ends the server connection and the client gets a 502 (`SH--`).
 */
import { compileConditionResult, ACL_PASS } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import type { Proxy, TcpResponseRule } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { compileVariableAction } from '../tcp/rules.ts';
import type { ResponseVerdict } from '../tcp/response-inspection.ts';

/** The backend's rules over an exchange's sample context: the verdict of the first that decides, else accept. */
export type HttpResponseInspection = (ctx: SampleContext) => ResponseVerdict;

type Step = (ctx: SampleContext) => ResponseVerdict | undefined;

function compileStep(rule: TcpResponseRule, proxy: Proxy): Step {
  const action = rule.action;
  let act: Step;
  if ('variable' in action) {
    const run = compileVariableAction(action, proxy);
    act = (ctx) => (run(ctx), undefined);
  } else {
    const verdict = action.type;
    act = () => verdict;
  }
  if (!rule.condition) return act;
  const when = compileConditionResult(rule.condition, proxy.acls, { readFile: patternFileReader, currentProxy: proxy.name });
  // One pass, final: a fetch with nothing to read does not match.
  return (ctx) => (when(ctx) === ACL_PASS ? act(ctx) : undefined);
}

/** Undefined for a backend without such rules: its exchanges check nothing. */
export function compileHttpResponseInspection(proxy: Proxy): HttpResponseInspection | undefined {
  const rules = proxy.tcpResponseRules;
  if (!rules || rules.length === 0) return undefined;
  const steps = rules.map((r) => compileStep(r, proxy));
  return (ctx) => {
    for (const step of steps) {
      const verdict = step(ctx);
      if (verdict !== undefined) return verdict;
    }
    return 'accept';
  };
}
