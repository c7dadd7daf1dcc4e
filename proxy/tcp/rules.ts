/**
 * `tcp-request connection` and `tcp-request content` rules of a TCP-mode
 * proxy, compiled once per configuration load (tcp_rules.c).
 *
 * Connection rules see only layer-4 facts and decide at once. Content rules
 * are run over the bytes held back so far: a condition that cannot be decided
 * yet (ACL_MISS: the data it needs may still arrive) stops the pass with
 * 'wait', and the next pass starts again from the first rule, as HAProxy does.
 * track-sc actions track the connection's stick counters (proxy/stick).
 */
import type net from 'node:net';
import { compileCondition, compileConditionResult, compileSample, parseSampleExpression, ACL_MISS, ACL_PASS } from '../acl/index.ts';
import type { SampleContext, VarScope } from '../acl/index.ts';
import type { Proxy, TcpRequestRule } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { compileTrackSc } from '../stick/track-action.ts';
import { countSession, existingSessionCounters, sessionCounters } from '../stick/tracking.ts';
import { connContext } from './samples.ts';
import type { ConnInspection } from './samples.ts';

export type ContentVerdict = 'accept' | 'reject' | 'wait';

/** One pass of the content rules over what is held: accept, reject, or wait for more data. */
export type ContentRules = (socket: net.Socket, inspection: ConnInspection) => ContentVerdict;

/** A step returns a verdict that ends the pass, or undefined to go on with the next rule. */
type Step = (ctx: SampleContext, socket: net.Socket) => ContentVerdict | undefined;

/** true: accept the connection; false: reject it. */
export type ConnectionRules = (socket: net.Socket) => boolean;

const options = (proxy: Proxy) => ({ readFile: patternFileReader, currentProxy: proxy.name });

/** The proxy's `tcp-request connection` rules, or undefined when it has none (the common case costs nothing). */
export function compileConnectionRules(proxy: Proxy): ConnectionRules | undefined {
  const rules = proxy.tcpRequestRules.filter((r) => r.phase === 'connection').map((rule) => ({
    when: rule.condition ? compileCondition(rule.condition, proxy.acls, options(proxy)) : undefined,
    act: compileConnectionAction(rule, proxy),
  }));
  if (rules.length === 0) return undefined;
  return (socket) => {
    const ctx = connContext(socket, proxy);
    for (const rule of rules) {
      if (rule.when && !rule.when(ctx)) continue;
      const verdict = rule.act(ctx, socket);
      if (verdict === false) return false;
      if (verdict === true) break;
    }
    countSession(existingSessionCounters(socket));
    return true;
  };
}

/** accept / reject end the rules (true / false); track-sc goes on with the next rule (undefined). */
function compileConnectionAction(rule: TcpRequestRule, proxy: Proxy): (ctx: SampleContext, socket: net.Socket) => boolean | undefined {
  const action = rule.action;
  switch (action.type) {
    case 'accept': return () => true;
    case 'reject': return () => false;
    case 'track-sc': {
      const track = compileTrackSc(action, proxy);
      return (ctx, socket) => (track(ctx, sessionCounters(socket)), undefined);
    }
    default:
      // unsupportedFeatures() refuses these configurations before an engine is built.
      throw new Error(`tcp-request connection ${action.type} is not run by the engine yet`);
  }
}

/** The proxy's `tcp-request content` rules, or undefined when it has none (no data is held back then). */
export function compileContentRules(proxy: Proxy): ContentRules | undefined {
  const rules = proxy.tcpRequestRules.filter((r) => r.phase === 'content');
  if (rules.length === 0) return undefined;
  const steps = rules.map((rule) => compileStep(rule, proxy));
  return (socket, inspection) => {
    const ctx = connContext(socket, proxy, inspection);
    for (const step of steps) {
      const verdict = step(ctx, socket);
      if (verdict !== undefined) return verdict;
    }
    return 'accept';
  };
}

function compileStep(rule: TcpRequestRule, proxy: Proxy): Step {
  const act = compileAction(rule, proxy);
  if (!rule.condition) return act;
  const when = compileConditionResult(rule.condition, proxy.acls, options(proxy));
  return (ctx, socket) => {
    const r = when(ctx);
    if (r === ACL_MISS) return 'wait';
    return r === ACL_PASS ? act(ctx, socket) : undefined;
  };
}

function compileAction(rule: TcpRequestRule, proxy: Proxy): Step {
  const action = rule.action;
  switch (action.type) {
    case 'accept': return () => 'accept';
    case 'reject': return () => 'reject';
    case 'set-var': {
      const [scope, name] = splitVariable(action.variable);
      const parsed = parseSampleExpression(action.expression!);
      if ('error' in parsed) throw new Error(parsed.error);
      const sample = compileSample(parsed.expr, options(proxy));
      return (ctx) => {
        const value = sample(ctx);
        if (value !== undefined) ctx.vars?.set(scope, name, value);
        return undefined;
      };
    }
    case 'unset-var': {
      const [scope, name] = splitVariable(action.variable);
      return (ctx) => (ctx.vars?.unset(scope, name), undefined);
    }
    case 'track-sc': {
      const track = compileTrackSc(action, proxy);
      return (ctx, socket) => (track(ctx, sessionCounters(socket)), undefined);
    }
    default:
      // unsupportedFeatures() refuses these configurations before an engine is built.
      throw new Error(`tcp-request content ${action.type} is not run by the engine yet`);
  }
}

/** 'sess.name' → ['sess', 'name'] (the parser has checked the scope). */
function splitVariable(variable: string): [VarScope, string] {
  const dot = variable.indexOf('.');
  return [variable.slice(0, dot) as VarScope, variable.slice(dot + 1)];
}
