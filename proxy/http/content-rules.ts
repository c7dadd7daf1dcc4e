/**
 * `tcp-request content` rules of an HTTP-mode proxy. HAProxy 2.6 runs them on
 * each request (each is a stream of its own) once the mux has parsed its head:
 * a frontend's before anything looks at the request as HTTP (AN_REQ_INSPECT_FE
 * comes before AN_REQ_WAIT_HTTP, so the request is not yet counted in the
 * stick counters nor logged with its line), a backend's once switching chose
 * it (AN_REQ_INSPECT_BE, before its http-request rules). The rules are the TCP
 * engine's (proxy/tcp/rules.ts); their track-sc actions track the exchange's
 * stream counters, as http-request track-sc does; their set-src, set-dst … change
 * the request's addresses, as http-request set-src does.
 */
import type { Proxy } from '../config/model.ts';
import { compileRuleSteps, runSteps } from '../tcp/rules.ts';
import { streamCounters } from '../stick/http.ts';
import { syslogLevel } from '../runtime/syslog.ts';
import type { HttpTransaction } from './transaction.ts';
import type { LocalAnswer } from './rules.ts';

/** One request through the rules: undefined lets it go on; else how its connection ends. */
export type HttpContentRules = (tx: HttpTransaction) => LocalAnswer | undefined;

/**
 * `beforeHttp`: the frontend's rules, which run before the request is taken in as HTTP: a refused
 * one is logged as HAProxy logs it, `<BADREQ>` with no request line.
 */
export function compileHttpContentRules(proxy: Proxy, beforeHttp: boolean): HttpContentRules | undefined {
  const steps = compileRuleSteps(proxy, 'content', true);
  if (!steps) return undefined;
  // reject kills the connection (sc_must_kill_conn): no answer; silent-drop hides even the close.
  const rejected: LocalAnswer = { response: Buffer.alloc(0), status: -1, termination: 'PR', kind: 'denied', drop: 'close', beforeHttp };
  const dropped: LocalAnswer = { ...rejected, drop: 'reset' };
  return (tx) => {
    const verdict = runSteps(steps, tx.sampleContext(), () => streamCounters(tx), {
      // set-src … rewrite this request's view of the addresses (its stream's, as http-request set-src).
      address: (_ctx, kind, value) => tx.rewriteAddress(kind, value),
      priority: (kind, value) => tx.setPriority(kind, value),
      logLevel: (level) => {
        tx.logSilent = level === 'silent';
        tx.logLevel = level === 'silent' ? undefined : syslogLevel(level);
      },
    });
    return verdict === 'reject' ? rejected : verdict === 'drop' ? dropped : undefined;
  };
}
