/**
 * `tcp-response inspect-delay` + `tcp-response content` in TCP mode (tcp_rules.c tcp_inspect_response):
 * the server's first bytes are held back while the backend's rules run over them, once when the
 * server connection is up (on nothing yet: `res.len eq 0` matches then) and again on each read, from
 * the first rule, until one decides. A pass is final (SMP_OPT_FINAL: missing data fails a fetch,
 * WAIT_END is true) once the delay ran out, the server sent its FIN, the buffer is full, or when there
 * is no delay at all. accept (or running past the last rule) forwards what is held, then relays;
 * reject closes both sides without forwarding it (HAProxy logs PD, the bytes counted); close closes
 * the server side and forwards what is held.
 */
import type net from 'node:net';
import { compileConditionResult, ACL_MISS, ACL_PASS } from '../acl/index.ts';
import type { SampleContext, VarStore } from '../acl/index.ts';
import type { Proxy, TcpResponseRule } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { compileVariableAction, socketStream } from './rules.ts';
import { connContext } from './samples.ts';
import { INSPECT_BUFFER_LIMIT } from './inspection.ts';
import type { ServerReads } from './stream-reads.ts';

export type ResponseVerdict = 'accept' | 'reject' | 'close';

/** One pass over the held bytes: a verdict, or 'wait' for more. */
export type ResponseRules = (client: net.Socket, held: Uint8Array, final: boolean, vars: VarStore | undefined) => ResponseVerdict | 'wait';

/** What a rule changes on its stream besides variables: `set-log-level` (TCP: the connection's one stream; HTTP: the exchange). */
export interface ResponseStream {
  setLogLevel(level: string): void;
}

/** One rule over a pass: its verdict, 'wait' (a fetch lacks data and the pass is not final), or undefined: on to the next rule. */
export type ResponseRuleStep = (ctx: SampleContext, final: boolean, stream: ResponseStream) => ResponseVerdict | 'wait' | undefined;

/** One `tcp-response content` rule; HTTP mode runs it too, in one final pass (http/response-inspection.ts). */
export function compileResponseRuleStep(rule: TcpResponseRule, proxy: Proxy): ResponseRuleStep {
  const action = rule.action;
  let act: (ctx: SampleContext, stream: ResponseStream) => ResponseVerdict | undefined;
  if ('variable' in action) {
    const run = compileVariableAction(action, proxy);
    act = (ctx) => (run(ctx), undefined);
  } else if (action.type === 'set-log-level') {
    const level = action.level;
    act = (_ctx, stream) => (stream.setLogLevel(level), undefined);
  } else {
    const verdict = action.type;
    act = () => verdict;
  }
  if (!rule.condition) return (ctx, _final, stream) => act(ctx, stream);
  const when = compileConditionResult(rule.condition, proxy.acls, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, final, stream) => {
    const r = when(ctx);
    if (r === ACL_MISS) return final ? undefined : 'wait';
    return r === ACL_PASS ? act(ctx, stream) : undefined;
  };
}

/** The stream of a pass whose rules set nothing on it. */
const NO_STREAM: ResponseStream = { setLogLevel: () => {} };

/** The backend's tcp-response content rules, or undefined when it has none (its bytes are then relayed as they come). */
export function compileResponseRules(proxy: Proxy): ResponseRules | undefined {
  const rules = proxy.tcpResponseRules;
  if (!rules || rules.length === 0) return undefined;
  const steps = rules.map((r) => compileResponseRuleStep(r, proxy));
  // `set-log-level` sets the connection's stream settings (tcp/rules.ts), as tcp-request content's does.
  const setsLevel = rules.some((r) => r.action.type === 'set-log-level');
  return (client, held, final, vars) => {
    const base = connContext(client, proxy, { payload: new Uint8Array(0), final, vars });
    const ctx: SampleContext = { ...base, conn: { ...base.conn, resPayload: held }, dir: 'res' };
    const stream = setsLevel ? { setLogLevel: (level: string) => socketStream(client).logLevel(level) } : NO_STREAM;
    for (const step of steps) {
      const verdict = step(ctx, final, stream);
      if (verdict !== undefined) return verdict;
    }
    return 'accept';
  };
}

export interface ResponseOutcome {
  verdict: ResponseVerdict;
  /** What the server sent meanwhile, to forward first on accept and close. */
  held: Buffer | undefined;
  /** A rule threw (a bug): the caller closes the session. */
  error?: unknown;
}

/**
 * Holds what `upstream` sends (through `reads`, which relays nothing until started) and runs `rules`
 * until a verdict. `done` is called once, before the relay starts; not at all if the server
 * connection closes first (the session's close handling ends it).
 */
export function inspectResponse(
  client: net.Socket, upstream: net.Socket, reads: ServerReads, rules: ResponseRules, delayMs: number, vars: VarStore | undefined,
  done: (outcome: ResponseOutcome) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const held = (): Buffer | undefined => (chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  const settle = (outcome: ResponseOutcome): void => {
    settled = true;
    clearTimeout(timer);
    upstream.off('end', onEnd);
    upstream.off('close', onClose);
    done(outcome);
  };
  const pass = (final: boolean): void => {
    if (settled) return;
    try {
      const all = held();
      const view = all && all.length > INSPECT_BUFFER_LIMIT ? all.subarray(0, INSPECT_BUFFER_LIMIT) : all ?? new Uint8Array(0);
      const verdict = rules(client, view, final, vars);
      if (verdict !== 'wait') settle({ verdict, held: all });
    } catch (error) {
      settle({ verdict: 'reject', held: undefined, error });
    }
  };
  const full = (): boolean => length >= INSPECT_BUFFER_LIMIT;
  const onEnd = (): void => {
    ended = true;
    pass(true);
  };
  const onClose = (): void => {
    settled = true;
    clearTimeout(timer);
  };
  reads.hold((chunk) => {
    chunks.push(chunk);
    length += chunk.length;
    // A full buffer makes this pass final; reading more could not change it.
    if (full()) upstream.pause();
    pass(ended || full() || delayMs <= 0);
  });
  upstream.once('end', onEnd);
  upstream.once('close', onClose);
  pass(delayMs <= 0);
  if (!settled) timer = setTimeout(() => pass(true), delayMs);
}
