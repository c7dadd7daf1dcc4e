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
import { compileCondition, compileConditionResult, compileLogFormat, compileSample, parseSampleExpression, setVariable, castSample, mkStr, ACL_MISS, ACL_PASS } from '../acl/index.ts';
import type { Sample, SampleContext, VarScope, VarStore } from '../acl/index.ts';
import type { Proxy, TcpRequestRule } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { compileTrackSc } from '../stick/track-action.ts';
import { compileIncGpc, compileSetGpt } from '../stick/counter-actions.ts';
import { countSession, existingSessionCounters, sessionCounters } from '../stick/tracking.ts';
import type { StickCounters } from '../stick/tracking.ts';
import { connContext } from './samples.ts';
import type { ConnInspection } from './samples.ts';
import { expectProxyHeader } from '../runtime/proxy-header-reader.ts';
import { rewriteSocketAddress } from '../runtime/socket-addresses.ts';
import type { AddressRewrite } from '../runtime/socket-addresses.ts';
import { setQueuePriority } from '../runtime/backend.ts';
import { syslogLevel } from '../runtime/syslog.ts';
import type { QueuePriority } from '../runtime/backend.ts';

/**
 * 'drop' is silent-drop's: the connection ends without a word (a reset where it cannot be hidden).
 * 'switch' is `switch-mode http`'s: the rules stop and the connection goes on as HTTP (an HTTP
 * request's rules take it as accept: HAProxy's action does nothing on a stream that is HTTP already).
 */
export type ContentVerdict = 'accept' | 'reject' | 'wait' | 'drop' | 'switch';

/** One pass of the content rules over what is held: accept, reject, or wait for more data. */
export type ContentRules = (socket: net.Socket, inspection: ConnInspection) => ContentVerdict;

/**
 * A step returns a verdict that ends the pass, or undefined to go on with the next rule.
 * `counters` gives the stick counters track-sc fills: the connection's in TCP mode, the
 * exchange's (its stream) in HTTP mode.
 */
export type RuleStep = (ctx: SampleContext, counters: () => StickCounters, stream: RuleStream) => ContentVerdict | undefined;

/**
 * What a content or session rule changes on the stream it runs for.
 * `address`: where set-src, set-src-port, set-dst and set-dst-port put the address or port they
 * computed: the connection's socket (every rule of a TCP-mode proxy, session rules: HAProxy's
 * session and connection addresses, which a TCP connection's one stream reads), or an HTTP
 * request's own view (its stream's addresses: content rules of an HTTP-mode proxy). `ctx` reads
 * the new value after it.
 * `priority`: set-priority-class and set-priority-offset, the stream's place in a queue.
 * `logLevel`: set-log-level.
 */
export interface RuleStream {
  address(ctx: SampleContext, kind: AddressRewrite, value: Sample): void;
  priority(kind: 'set-priority-class' | 'set-priority-offset', value: number): void;
  /** `set-log-level <level>|silent`: how the stream's log line is sent, or that it is not. */
  logLevel(level: string): void;
}

/**
 * What content rules set on a TCP connection's one stream: its queue priority (set-priority-*),
 * and for its log line `set-log-level` (silent: none; else the line's syslog level).
 */
export interface TcpStreamSettings {
  priority?: QueuePriority;
  silent?: boolean;
  logLevel?: number;
}

/** Each TCP connection's settings; none was set while the flag is down. */
const settings = new WeakMap<net.Socket, TcpStreamSettings>();
let anySettings = false;

/** What a TCP connection's content rules set, if anything. */
export function streamSettings(socket: net.Socket): TcpStreamSettings | undefined {
  return anySettings ? settings.get(socket) : undefined;
}

function settingsOf(socket: net.Socket): TcpStreamSettings {
  let found = settings.get(socket);
  if (!found) settings.set(socket, (found = {}));
  anySettings = true;
  return found;
}

/** The RuleStream of a connection: its socket's addresses change, and the context's view of them. */
export function socketStream(socket: net.Socket): RuleStream {
  return {
    address(ctx, kind, value) {
      if (!rewriteSocketAddress(socket, kind, value)) return;
      (ctx as { conn: SampleContext['conn'] }).conn = {
        ...ctx.conn, src: socket.remoteAddress ?? '', srcPort: socket.remotePort ?? 0, dst: socket.localAddress ?? '', dstPort: socket.localPort ?? 0,
      };
    },
    priority(kind, value) {
      const own = settingsOf(socket);
      setQueuePriority((own.priority ??= { class: 0, offset: 0 }), kind, value);
    },
    logLevel(level) {
      const own = settingsOf(socket);
      own.silent = level === 'silent';
      own.logLevel = level === 'silent' ? undefined : syslogLevel(level);
    },
  };
}

/**
 * The step of `set-src|set-src-port|set-dst|set-dst-port <expr>`: the expression's value as an
 * address (or a port); one that is none changes nothing (sample_fetch_as_type fails), the rules go
 * on. `set-priority-class|set-priority-offset <expr>`: its value as an integer.
 */
function compileStreamAction(action: { type: AddressRewrite | 'set-priority-class' | 'set-priority-offset'; expression: string }, proxy: Proxy): (ctx: SampleContext, stream: RuleStream) => undefined {
  const parsed = parseSampleExpression(action.expression);
  if ('error' in parsed) throw new Error(parsed.error);
  const sample = compileSample(parsed.expr, options(proxy));
  const kind = action.type;
  if (kind === 'set-priority-class' || kind === 'set-priority-offset') {
    return (ctx, stream) => {
      const value = sample(ctx);
      const cast = value && castSample(value, 'int');
      if (cast?.type === 'int') stream.priority(kind, cast.value);
      return undefined;
    };
  }
  const type = kind === 'set-src' || kind === 'set-dst' ? 'addr' : 'int';
  return (ctx, stream) => {
    const value = sample(ctx);
    const cast = value && castSample(value, type);
    if (cast) stream.address(ctx, kind, cast);
    return undefined;
  };
}

/**
 * `tcp-request session` rules: once per connection, after the connection rules and the TLS
 * handshake. 'accept' lets it in; 'reject' and 'drop' end it unlogged (endRefusedSession), as HAProxy does.
 */
export type SessionRules = (socket: net.Socket, vars: VarStore) => ContentVerdict;

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
  const countedLater = proxy.tcpRequestRules.some((r) => r.phase === 'session');
  return (socket) => {
    const ctx = connContext(socket, proxy);
    for (const rule of rules) {
      if (rule.when && !rule.when(ctx)) continue;
      const verdict = rule.act(ctx, socket);
      if (verdict === false) return false;
      if (verdict === true) break;
    }
    // With session rules, the session is counted once they have run (session_count_new).
    if (!countedLater) countSession(existingSessionCounters(socket));
    return true;
  };
}

/** accept / reject end the rules (true / false); track-sc goes on with the next rule (undefined). */
function compileConnectionAction(rule: TcpRequestRule, proxy: Proxy): (ctx: SampleContext, socket: net.Socket) => boolean | undefined {
  const action = rule.action;
  switch (action.type) {
    case 'accept': return () => true;
    case 'reject': return () => false;
    // The connection must start with a PROXY header (read once the rules are done); the rules go on.
    case 'expect-proxy': return (_ctx, socket) => (expectProxyHeader(socket), undefined);
    case 'track-sc': {
      const track = compileTrackSc(action, proxy);
      return (ctx, socket) => (track(ctx, sessionCounters(socket)), undefined);
    }
    case 'sc-inc-gpc': {
      const inc = compileIncGpc(action.counter, action.index, !action.array);
      return (ctx, socket) => (inc(ctx, sessionCounters(socket)), undefined);
    }
    case 'sc-set-gpt': {
      const set = compileSetGpt(action.counter, action.index, action.value, action.expression, proxy);
      return (ctx, socket) => (set(ctx, sessionCounters(socket)), undefined);
    }
    case 'set-src':
    case 'set-src-port':
    case 'set-dst':
    case 'set-dst-port': {
      const set = compileStreamAction(action, proxy);
      return (ctx, socket) => set(ctx, socketStream(socket));
    }
    default:
      // unsupportedFeatures() refuses these configurations before an engine is built.
      throw new Error(`tcp-request connection ${action.type} is not run by the engine yet`);
  }
}

/** The proxy's `tcp-request content` rules, or undefined when it has none (no data is held back then). */
export function compileContentRules(proxy: Proxy): ContentRules | undefined {
  const steps = compileRuleSteps(proxy, 'content', false);
  if (!steps) return undefined;
  return (socket, inspection) => runSteps(steps, connContext(socket, proxy, inspection), () => sessionCounters(socket), socketStream(socket));
}

/** The proxy's `tcp-request session` rules, or undefined when it has none. */
export function compileSessionRules(proxy: Proxy): SessionRules | undefined {
  const steps = compileRuleSteps(proxy, 'session', true);
  if (!steps) return undefined;
  return (socket, vars) => {
    const verdict = runSteps(steps, connContext(socket, proxy, { payload: new Uint8Array(0), final: true, vars }), () => sessionCounters(socket), socketStream(socket));
    if (verdict === 'accept') countSession(existingSessionCounters(socket));
    return verdict;
  };
}

/**
 * The steps of the proxy's rules of one phase, or undefined when it has none. `final`: no more
 * data can come (session rules; content rules of an HTTP request, whose head is whole), so a
 * condition that lacks its data fails instead of waiting (SMP_OPT_FINAL).
 */
export function compileRuleSteps(proxy: Proxy, phase: 'content' | 'session', final: boolean): RuleStep[] | undefined {
  const rules = proxy.tcpRequestRules.filter((r) => r.phase === phase);
  if (rules.length === 0) return undefined;
  return rules.map((rule) => compileStep(rule, proxy, final));
}

/** One pass over the steps: the first verdict, else accept. */
export function runSteps(steps: readonly RuleStep[], ctx: SampleContext, counters: () => StickCounters, stream: RuleStream): ContentVerdict {
  for (const step of steps) {
    const verdict = step(ctx, counters, stream);
    if (verdict !== undefined) return verdict;
  }
  return 'accept';
}

function compileStep(rule: TcpRequestRule, proxy: Proxy, final: boolean): RuleStep {
  const act = compileAction(rule, proxy);
  if (!rule.condition) return act;
  const when = compileConditionResult(rule.condition, proxy.acls, options(proxy));
  return (ctx, counters, stream) => {
    const r = when(ctx);
    if (r === ACL_MISS) return final ? undefined : 'wait';
    return r === ACL_PASS ? act(ctx, counters, stream) : undefined;
  };
}

function compileAction(rule: TcpRequestRule, proxy: Proxy): RuleStep {
  const action = rule.action;
  switch (action.type) {
    case 'accept': return () => 'accept';
    case 'reject': return () => 'reject';
    case 'silent-drop': return () => 'drop';
    case 'switch-mode': return () => 'switch';
    case 'set-var':
    case 'set-var-fmt':
    case 'unset-var': {
      const run = compileVariableAction(action, proxy);
      return (ctx) => (run(ctx), undefined);
    }
    case 'track-sc': {
      const track = compileTrackSc(action, proxy);
      return (ctx, counters) => (track(ctx, counters()), undefined);
    }
    case 'sc-inc-gpc': {
      const inc = compileIncGpc(action.counter, action.index, !action.array);
      return (ctx, counters) => (inc(ctx, counters()), undefined);
    }
    case 'sc-set-gpt': {
      const set = compileSetGpt(action.counter, action.index, action.value, action.expression, proxy);
      return (ctx, counters) => (set(ctx, counters()), undefined);
    }
    case 'set-src':
    case 'set-src-port':
    case 'set-dst':
    case 'set-dst-port':
    case 'set-priority-class':
    case 'set-priority-offset': {
      const set = compileStreamAction(action, proxy);
      return (ctx, _counters, stream) => set(ctx, stream);
    }
    case 'set-log-level': {
      const level = action.level;
      return (_ctx, _counters, stream) => (stream.logLevel(level), undefined);
    }
    default:
      // unsupportedFeatures() refuses these configurations before an engine is built.
      throw new Error(`tcp-request ${rule.phase} ${action.type} is not run by the engine yet`);
  }
}

/** set-var, set-var-fmt and unset-var in tcp-request and tcp-response rules: the variable stored in the context's store. */
export function compileVariableAction(action: VariableAction, proxy: Proxy): (ctx: SampleContext) => void {
  const [scope, name] = splitVariable(action.variable);
  if (action.type === 'unset-var') return (ctx) => ctx.vars?.unset(scope, name);
  const conditions = action.conditions;
  if (action.type === 'set-var-fmt') {
    const format = compileLogFormat(action.format, options(proxy));
    return (ctx) => {
      if (ctx.vars) setVariable(ctx.vars, scope, name, mkStr(format(ctx)), conditions);
    };
  }
  const parsed = parseSampleExpression(action.expression!);
  if ('error' in parsed) throw new Error(parsed.error);
  const sample = compileSample(parsed.expr, options(proxy));
  return (ctx) => {
    const value = sample(ctx);
    if (value !== undefined && ctx.vars) setVariable(ctx.vars, scope, name, value, conditions);
  };
}

type VariableAction = Extract<TcpRequestRule['action'], { type: 'set-var' | 'set-var-fmt' | 'unset-var' }>;

/**
 * Ends a connection a session rule refused. reject closes it, as HAProxy 2.6 closes its socket (the
 * kernel resets it when the client's data is still unread); silent-drop resets it. A TLS socket
 * cannot reset itself (Node allows it on a TCP handle only): the TCP connection under it is reset.
 */
export function endRefusedSession(socket: net.Socket, verdict: ContentVerdict): void {
  if (verdict !== 'drop') return void socket.destroy();
  const raw = (socket as net.Socket & { _parent?: net.Socket })._parent ?? socket;
  try {
    raw.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** 'sess.name' → ['sess', 'name'] (the parser has checked the scope). */
function splitVariable(variable: string): [VarScope, string] {
  const dot = variable.indexOf('.');
  return [variable.slice(0, dot) as VarScope, variable.slice(dot + 1)];
}
