/**
 * The request tracer (issue #13 §4): "why did this request go there?". A
 * request described as data (method, URL, headers, client address, TLS and
 * SNI) is evaluated against the LIVE configuration of a running engine the way
 * a real request is routed (frontend.ts processRequest, transaction.ts
 * acquireSlot), without sending traffic and without disturbing live state:
 *
 *  - every http-request rule of the frontend, then of the chosen backend, in
 *    order, with its condition, each ACL's fetched value and result, and what
 *    it did (header rewrites apply to a copy of the request, so later rules
 *    and the routing see them, as in HAProxy);
 *  - a final rule (redirect, deny, return, auth, tarpit, use-service), the
 *    stats page or a `redirect` line that would answer instead;
 *  - every use_backend in order, the one that matched or the default backend;
 *  - the persistence cookie that would apply;
 *  - the server the algorithm would pick now and why (state, weight, load,
 *    hash key), from a copy of the balancer (balance/peek.ts): no round-robin
 *    position is consumed, no counter changes.
 *
 * Actions that would change shared state (use-service, set-var on proc/sess
 * scopes, set-map/del-map/add-acl/del-acl) are reported, not run.
 */
import { compilePersistRules, type PersistVerdict } from '../runtime/persist-rules.ts';
import type { BalancingProxy, Config, Directive, FrontendProxy, HttpRule, ListenProxy, Proxy } from '../config/model.ts';
import { DEFAULT_STATS_URI } from '../config/model.ts';
import { directiveText } from '../config/serialize.ts';
import {
  compileAclResult, compileCondition, compileSample, parseSampleExpression, sampleToString, predefinedAcl, MapVarStore, ACL_PASS, ACL_MISS,
} from '../acl/index.ts';
import type { AclDeclaration, Condition, ConnectionInfo, EngineHooks, SampleContext, HttpRequestInfo } from '../acl/index.ts';
import { hashesRequests, type LbRequest } from '../balance/index.ts';
import { peekPick } from '../balance/peek.ts';
import { requestHash } from '../balance/hashed.ts';
import { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { engineHooks } from '../runtime/hooks.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { compileRequestRules } from './rules.ts';
import { compileTxFormat, compileTxCondition } from './samples.ts';
import { compileServerRules } from '../runtime/server-rules.ts';
import { getHeader } from './headers.ts';
import { frontendLimits, requestLimits, requestRefusalReason } from './request-checks.ts';
import { CookiePersistence } from './persistence.ts';
import { builtinResponse } from './error-pages.ts';
import type { HttpTransaction } from './transaction.ts';

/** What the tracer needs from the running engine (an Engine is one). */
export interface TraceTarget {
  currentConfig(): Config;
  backend(name: string): RuntimeBackend | undefined;
}

export interface TraceRequest {
  frontend: string;
  /** Default GET. */
  method?: string;
  /** The request target as sent: `/path?query` (or an absolute URL). */
  url: string;
  /** Header fields in order; `Name: value` strings or [name, value] pairs. */
  headers?: Array<string | [string, string]>;
  /** Client address, default 127.0.0.1. */
  source?: string;
  /** Default 50000. */
  sourcePort?: number;
  /** The client connected over TLS (ssl_fc). */
  tls?: boolean;
  /** The SNI the client sent (ssl_fc_sni), with tls. */
  sni?: string;
}

export interface AclTrace {
  /** `is_api`, `!is_api`, or the anonymous ACL as written: `{ ssl_fc }`. */
  name: string;
  negated: boolean;
  /** Each declaration of the ACL: criterion, patterns, the value fetched from this request, whether it matched. */
  declarations: Array<{ criterion: string; patterns: string[]; fetched: string | null; matched: boolean; line?: number }>;
  /** The ACL's result after `!`: true = this term holds. */
  result: boolean;
}

export interface ConditionTrace {
  /** `if is_api`, `unless { ssl_fc }`. */
  text: string;
  result: boolean;
  acls: AclTrace[];
}

export interface RuleTrace {
  proxy: string;
  line: number;
  /** The rule as written. */
  text: string;
  condition?: ConditionTrace;
  /** skipped: the condition was false; applied: it ran and evaluation went on; final: it answers; stop: `allow`; not-run: reported only. */
  outcome: 'skipped' | 'applied' | 'final' | 'stop' | 'not-run';
  detail?: string;
}

export interface RouteTrace {
  line: number;
  text: string;
  backend: string;
  condition?: ConditionTrace;
  matched: boolean;
}

export interface ServerTrace {
  name: string;
  /** HAProxy's status column: UP, DOWN, MAINT, DRAIN, "no check" … */
  status: string;
  usable: boolean;
  weight: number;
  backup: boolean;
  current: number;
  queued: number;
  /** 0 = no limit */
  maxconn: number;
}

export interface TraceAnswer {
  kind: 'redirect' | 'deny' | 'tarpit' | 'return' | 'auth' | 'service' | 'stats' | 'no-backend' | 'no-server' | 'reject' | 'silent-drop' | 'bad-request';
  status: number;
  /** redirect: the Location. */
  location?: string;
  /** The rule or reason that answers. */
  by: string;
}

export interface TraceResult {
  frontend: string;
  mode: 'http' | 'tcp';
  /** The request after the http-request rules (rewrites applied). */
  request: { method: string; url: string; headers: Array<[string, string]> };
  rules: RuleTrace[];
  routes: RouteTrace[];
  backend?: string;
  /** How the backend was chosen. */
  backendBy?: 'use_backend' | 'default_backend' | 'listen';
  /** Set when Loadstar would answer itself instead of a server. */
  answer?: TraceAnswer;
  persistence?: { cookie: string; value?: string; server?: string; used: boolean; reason: string };
  algorithm?: string;
  /** Hash-based algorithms: what is hashed, with which function. */
  /** Hash-based algorithms: the key hashed, the function, and the 32-bit value the balancer looks up (absent without a key). */
  hash?: { key: string | null; value?: number; function: string; method: 'map-based' | 'consistent'; note: string };
  server?: ServerTrace;
  /** Why that server (or why none). */
  serverReason?: string;
  servers: ServerTrace[];
  /** The whole story as sentences, in order, for a step list. */
  steps: string[];
}

export type TraceOutcome = { ok: true; value: TraceResult } | { ok: false; error: { code: 'LS_ERR_CTL_NOT_FOUND' | 'LS_ERR_CTL_BAD_VALUE'; message: string } };

// ---------------------------------------------------------------- input

function headerPairs(input: TraceRequest['headers']): Array<[string, string]> | string {
  if (input === undefined) return [];
  if (!Array.isArray(input)) return 'headers: a list of "Name: value" strings or [name, value] pairs';
  const out: Array<[string, string]> = [];
  for (const h of input) {
    if (typeof h === 'string') {
      const colon = h.indexOf(':');
      if (colon <= 0) return `header ${JSON.stringify(h)}: expected "Name: value"`;
      out.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
    } else if (Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'string' && h[0] !== '') out.push([h[0], h[1]]);
    else return `header ${JSON.stringify(h)}: expected "Name: value" or [name, value]`;
  }
  const bad = out.find(([n]) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n));
  if (bad) return `header ${JSON.stringify(bad[0])}: its name has characters HTTP does not allow`;
  return out;
}

function checkRequest(r: TraceRequest | undefined): string | undefined {
  if (typeof r !== 'object' || r === null) return 'the request must be an object { frontend, url, … }';
  if (typeof r.frontend !== 'string' || r.frontend === '') return 'frontend: the name of a frontend';
  if (typeof r.url !== 'string' || r.url === '' || /\s/.test(r.url)) return 'url: a request target such as /path?query, without spaces';
  if (r.method !== undefined && (typeof r.method !== 'string' || !/^[A-Za-z]+$/.test(r.method))) return 'method: an HTTP method such as GET';
  if (r.source !== undefined && (typeof r.source !== 'string' || !/^[0-9a-fA-F:.]+$/.test(r.source))) return 'source: an IPv4 or IPv6 address';
  if (r.sni !== undefined && typeof r.sni !== 'string') return 'sni: a host name';
  return undefined;
}

// ---------------------------------------------------------------- the simulated transaction

/**
 * A TLS 1.2/1.3 ClientHello record as a client sends it first (RFC 8446 §4.1.2), with the server_name
 * extension when `sni` is given: what a TLS passthrough's inspection holds when its rules run.
 */
export function clientHello(sni: string | undefined): Uint8Array {
  const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
  const name = sni ? [...Buffer.from(sni, 'ascii')] : [];
  const serverName = sni ? [0x00, 0x00, ...u16(name.length + 5), ...u16(name.length + 3), 0x00, ...u16(name.length), ...name] : [];
  // supported_versions: TLS 1.3, 1.2.
  const versions = [0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03];
  const extensions = [...serverName, ...versions];
  const body = [0x03, 0x03, ...new Array<number>(32).fill(0x2a), 0x00, ...u16(2), 0x13, 0x01, 0x01, 0x00, ...u16(extensions.length), ...extensions];
  const handshake = [0x01, (body.length >> 16) & 0xff, ...u16(body.length & 0xffff), ...body];
  return Uint8Array.from([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

/** The parts of HttpTransaction that compiled rules and fetches read, over copies of the request. */
class TraceTx {
  readonly request: { method: string; url: string; versionMajor: number; versionMinor: number; headers: string[]; keepAlive: boolean; upgrade: boolean };
  readonly vars = new MapVarStore();
  backendName: string | undefined;
  readonly frontend: { name: string; hooks: EngineHooks; localServices: undefined; procVars: Map<string, unknown> };
  private readonly context: SampleContext;

  /**
   * @param heldHead a TCP frontend with `tcp-request inspect-delay`: its rules read the request's head
   *   from the bytes they hold (HAProxy's RAW mode, proxy/tcp/raw-request.ts), taken here as held whole
   */
  constructor(method: string, url: string, headers: Array<[string, string]>, readonly conn: ConnectionInfo, hooks: EngineHooks, frontendName: string, readonly http: boolean, heldHead = false) {
    this.request = { method, url, versionMajor: 1, versionMinor: 1, headers: headers.flat(), keepAlive: true, upgrade: false };
    this.frontend = { name: frontendName, hooks, localServices: undefined, procVars: new Map<string, unknown>() };
    const tx = this;
    const req: HttpRequestInfo = {
      get method() { return tx.request.method; },
      get url() { return tx.request.url; },
      get version() { return '1.1'; },
      get rawHeaders() { return tx.request.headers; },
    };
    // A TCP frontend reads HTTP fetches from the bytes its inspection holds; without an inspect-delay it
    // holds none when it routes, and they find nothing.
    // A TLS passthrough holds the client's hello instead (req.ssl_sni, req.ssl_hello_type read it).
    const raw: HttpRequestInfo | undefined = heldHead && !conn.payload ? { method: req.method, url: req.url, version: req.version, rawHeaders: [...req.rawHeaders], raw: true } : undefined;
    this.context = {
      conn,
      ...(http ? { req } : raw ? { req: raw } : {}),
      dir: 'req',
      vars: this.vars,
      hooks,
      get backendName() { return tx.backendName; },
    };
  }

  sampleContext(): SampleContext {
    return this.context;
  }

  /** The engine's check after a header rewrite (a head over tune.bufsize is a 500): a trace's heads are the user's few fields, never that large. */
  rewriteFailure(): undefined {
    return undefined;
  }

  /** Compiled engine rules take a transaction; this object carries every field they read. */
  asTransaction(): HttpTransaction {
    return this as unknown as HttpTransaction;
  }
}

// ---------------------------------------------------------------- conditions

function conditionText(d: Directive | undefined, fallback: string): string {
  if (!d) return fallback;
  const words = directiveText(d).split(' ');
  const at = words.findIndex((w) => w === 'if' || w === 'unless');
  return at >= 0 ? words.slice(at).join(' ') : fallback;
}

function declarationTrace(decl: AclDeclaration & { loc?: { line: number } }, ctx: SampleContext, proxy: Proxy): AclTrace['declarations'][number] {
  const options = { readFile: patternFileReader, currentProxy: proxy.name };
  let fetched: string | null = null;
  try {
    const s = compileSample(decl.sample, options)(ctx);
    fetched = s === undefined ? null : sampleToString(s) ?? null;
  } catch {
    fetched = null;
  }
  let matched = false;
  try {
    matched = compileAclResult([decl], options)(ctx) === ACL_PASS;
  } catch {
    matched = false;
  }
  return { criterion: decl.criterion, patterns: [...decl.values, ...decl.files.map((f) => `-f ${f.file}`)], fetched, matched, ...(decl.loc ? { line: decl.loc.line } : {}) };
}

function traceCondition(cond: Condition, text: string, ctx: SampleContext, proxy: Proxy): ConditionTrace {
  const options = { readFile: patternFileReader, currentProxy: proxy.name };
  const result = compileCondition(cond, proxy.acls, options)(ctx);
  const acls: AclTrace[] = [];
  for (const suite of cond.terms) {
    for (const term of suite.terms) {
      const decls: Array<AclDeclaration & { loc?: { line: number } }> = term.kind === 'anon'
        ? [term.acl]
        : proxy.acls.get(term.name) ?? (predefinedAcl(term.name) ? [predefinedAcl(term.name)!] : []);
      const declarations = decls.map((d) => declarationTrace(d, ctx, proxy));
      let raw = false;
      try {
        const r = compileAclResult(decls, options)(ctx);
        raw = r === ACL_PASS;
        if (r === ACL_MISS) raw = false;
      } catch {
        raw = false;
      }
      const name = term.kind === 'anon' ? `{ ${term.acl.criterion}${term.acl.values.length ? ' ' + term.acl.values.join(' ') : ''} }` : term.name;
      acls.push({ name: `${term.negate ? '!' : ''}${name}`, negated: term.negate, declarations, result: term.negate ? !raw : raw });
    }
  }
  return { text, result, acls };
}

function aclSentence(c: ConditionTrace): string {
  return c.acls.map((a) => {
    const values = a.declarations.map((d) => `${d.criterion} = ${d.fetched === null ? 'nothing' : JSON.stringify(d.fetched)}`).join(', ');
    return `${a.name} is ${a.result ? 'true' : 'false'} (${values})`;
  }).join('; ');
}

// ---------------------------------------------------------------- rules

function directiveAt(proxy: Proxy, line: number, keyword: string): Directive | undefined {
  return proxy.section.directives.find((d) => d.loc.line === line && d.keyword === keyword);
}

const FINAL = new Set(['redirect', 'deny', 'tarpit', 'return', 'auth', 'use-service']);

function runRules(proxy: Proxy, rules: readonly HttpRule[], tx: TraceTx, result: TraceResult, keyword: 'http-request' | 'redirect' = 'http-request'): 'continue' | 'answered' {
  for (const rule of rules) {
    const d = directiveAt(proxy, rule.loc.line, keyword);
    const text = d ? directiveText(d) : `${keyword} ${rule.action.type}`;
    const trace: RuleTrace = { proxy: proxy.name, line: rule.loc.line, text, outcome: 'applied' };
    result.rules.push(trace);
    if (rule.condition) {
      trace.condition = traceCondition(rule.condition, conditionText(d, rule.condition.polarity), tx.sampleContext(), proxy);
      if (!trace.condition.result) {
        trace.outcome = 'skipped';
        result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — skipped: the condition is false (${aclSentence(trace.condition)})`);
        continue;
      }
    }
    const type = rule.action.type;
    if (type === 'allow') {
      trace.outcome = 'stop';
      result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — allow: the remaining http-request rules of ${proxy.name} are skipped`);
      return 'continue';
    }
    if (type === 'use-service') {
      trace.outcome = 'final';
      result.answer = { kind: 'service', status: 200, by: text };
      result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — Loadstar answers with the service itself`);
      return 'answered';
    }
    if (type === 'set-var' || type === 'unset-var') {
      const scope = rule.action.variable.split('.')[0];
      if (scope === 'proc' || scope === 'sess') {
        trace.outcome = 'not-run';
        trace.detail = `a ${scope} variable outlives the request; not changed by a trace`;
        result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — not run by the trace (${trace.detail})`);
        continue;
      }
    }
    if (type === 'set-map' || type === 'del-map' || type === 'add-acl' || type === 'del-acl') {
      trace.outcome = 'not-run';
      trace.detail = `the entries of ${rule.action.file} outlive the request; not changed by a trace`;
      result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — not run by the trace (${trace.detail})`);
      continue;
    }
    let step;
    try {
      step = compileRequestRules([{ ...rule, condition: undefined }], proxy, (status) => builtinResponse(status))[0]!;
    } catch (e) {
      trace.outcome = 'not-run';
      trace.detail = (e as Error).message;
      result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — cannot be evaluated: ${trace.detail}`);
      continue;
    }
    const outcome = step(tx.asTransaction());
    // A trace has no body: a wait-for-body lets the rules after it run at once.
    if (outcome === 'continue' || outcome === 'stop' || 'waitForBody' in outcome) {
      result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — applied${trace.condition ? ` (${aclSentence(trace.condition)})` : ''}`);
      continue;
    }
    trace.outcome = 'final';
    if (outcome.drop) {
      result.answer = { kind: type as 'reject' | 'silent-drop', status: -1, by: `${proxy.name}:${rule.loc.line} ${text}` };
      result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — the connection is ${outcome.drop === 'close' ? 'closed' : 'reset'} without an answer; the request goes to no server`);
      return 'answered';
    }
    const kind = (FINAL.has(type) ? type : 'return') as TraceAnswer['kind'];
    const head = outcome.response.toString('latin1', 0, Math.min(outcome.response.length, 4096));
    const location = /\r\nlocation: ([^\r]*)\r\n/i.exec(head)?.[1];
    result.answer = { kind, status: outcome.status, by: `${proxy.name}:${rule.loc.line} ${text}`, ...(location !== undefined ? { location } : {}) };
    result.steps.push(`${proxy.name}:${rule.loc.line} ${text} — answers ${outcome.status}${location !== undefined ? ` with Location ${location}` : ''}; the request goes to no server`);
    return 'answered';
  }
  return 'continue';
}

// ---------------------------------------------------------------- servers

function serverTrace(s: RuntimeServer): ServerTrace {
  // A configuration traced without a running engine (loadstar trace -f) has no checks running yet.
  const status = !s.check && s.config.options.check && s.admin === 'READY' ? 'UP (not checked yet)' : s.status;
  return { name: s.name, status, usable: s.usable && s.weight > 0, weight: s.weight, backup: s.backup, current: s.served, queued: s.queued, maxconn: s.maxconn };
}

function hashKey(proxy: BalancingProxy, lb: LbRequest): string | null {
  const b = proxy.balance;
  switch (b.algorithm) {
    case 'source': return lb.source ?? null;
    case 'uri': return lb.uri ?? null;
    case 'hdr': return lb.header?.(b.header ?? '') ?? null;
    case 'url_param': {
      const q = lb.uri?.indexOf('?') ?? -1;
      if (q < 0) return null;
      for (const pair of lb.uri!.slice(q + 1).split('&')) {
        const eq = pair.indexOf('=');
        if ((eq < 0 ? pair : pair.slice(0, eq)) === b.param) return eq < 0 ? '' : pair.slice(eq + 1);
      }
      return null;
    }
    case 'rdp-cookie': return null;
    case 'hash': {
      // The expression's value as text (a binary or integer one is hashed as bytes, see balance/expr.ts).
      const parsed = parseSampleExpression(b.expression ?? '');
      const ctx = lb.sampleContext?.();
      if ('error' in parsed || ctx === undefined) return null;
      try {
        const s = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name })(ctx);
        return s === undefined ? null : sampleToString(s) ?? '';
      } catch {
        return null;
      }
    }
    default: return null;
  }
}

/** force-persist / ignore-persist: the first that holds says how the rules and the cookie treat servers that are down. */
function persistVerdict(proxy: BalancingProxy, tx: TraceTx, result: TraceResult): PersistVerdict {
  const verdict = tx.http ? compilePersistRules<HttpTransaction>(proxy, (rule) => compileTxCondition(rule.condition!, proxy))?.(tx.asTransaction()) : undefined;
  if (verdict === 'force') result.steps.push('a force-persist rule holds: a server a use-server rule or the cookie names is used even when it is down, and the request is never redispatched');
  if (verdict === 'ignore') result.steps.push('an ignore-persist rule holds: the persistence cookie names no server');
  return verdict;
}

function pickServer(proxy: BalancingProxy, runtime: RuntimeBackend, tx: TraceTx, result: TraceResult, verdict: PersistVerdict): void {
  result.servers = runtime.servers.map(serverTrace);
  const algorithm = proxy.balance.algorithm;
  result.algorithm = algorithm;
  const headers = tx.request.headers;
  const lb: LbRequest = {
    source: tx.conn.src.startsWith('::ffff:') ? tx.conn.src.slice(7) : tx.conn.src,
    ...(tx.http ? { uri: tx.request.url, header: (name: string) => getHeader(headers, name.toLowerCase()) } : {}),
    sampleContext: () => tx.sampleContext(),
  };
  if (hashesRequests(algorithm)) {
    const key = hashKey(proxy, lb);
    const method = proxy.hashType?.method ?? 'map-based';
    const fn = proxy.hashType?.func ?? 'sdbm';
    const value = requestHash(runtime.balancer, lb);
    result.hash = {
      key, ...(value !== undefined && value >= 0 ? { value } : {}), function: fn, method,
      note: key === null
        ? 'the request has no hash key, so the server is chosen by round robin'
        : `the same ${algorithm === 'source' ? 'client address' : algorithm === 'hdr' ? 'header value' : algorithm === 'uri' ? 'URI' : algorithm === 'hash' ? `value of ${proxy.balance.expression ?? 'the expression'}` : 'parameter value'} always lands on the same server while the servers stay the same`,
    };
  }
  // use-server rules first: they win over the cookie and the balancer.
  if (tx.http) {
    const choice = compileServerRules<HttpTransaction>(proxy, () => runtime.servers, (rule) => compileTxCondition(rule.condition!, proxy), (rule) => compileTxFormat(compileTxFormat.parse(rule.server)));
    const ruled = choice?.(tx.asTransaction(), verdict === 'force');
    if (ruled) {
      result.server = serverTrace(ruled);
      result.serverReason = `a use-server rule names ${ruled.name}, so neither cookie nor algorithm is consulted`;
      result.steps.push(`use-server → server ${ruled.name} (${ruled.status})`);
      return;
    }
  }
  // Cookie persistence first, as HAProxy's http_process_request does.
  if (proxy.cookie && proxy.mode !== 'tcp') {
    const persistence = CookiePersistence.fromConfig(proxy, runtime.servers);
    const outcome = persistence?.onRequest([...headers], verdict);
    const server = outcome?.server;
    const cookie = proxy.cookie.name;
    const raw = getHeader(headers, 'cookie') ?? '';
    const value = raw.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${cookie}=`))?.slice(cookie.length + 1);
    if (server) {
      result.persistence = { cookie, value, server: server.name, used: true, reason: `cookie ${cookie}=${value ?? ''} names server ${server.name} (${server.status})` };
      result.server = serverTrace(server);
      result.serverReason = `the persistence cookie ${cookie} names ${server.name}, so the algorithm is not consulted`;
      result.steps.push(`cookie ${cookie}=${value ?? ''} → server ${server.name} (${server.status}), without balancing`);
      return;
    }
    result.persistence = {
      cookie, ...(value !== undefined ? { value } : {}), used: false,
      reason: value === undefined ? `no ${cookie} cookie in the request: the server is chosen by ${algorithm}${proxy.cookie.mode === 'insert' ? ` and the response sets ${cookie}` : ''}` : `cookie ${cookie}=${value} names no usable server: balanced by ${algorithm}`,
    };
    result.steps.push(result.persistence.reason);
  }
  // `dispatch` (no `balance`): what no rule bound to a server goes to the dispatch address, unbalanced.
  if (runtime.dispatch) {
    // `option transparent`: the address the client connected to (as set-dst rules leave it).
    const where = runtime.dispatch.followsDestination ? 'the address the client connected to (option transparent)' : `backend ${proxy.name}'s dispatch address ${runtime.dispatch.address}`;
    result.serverReason = `no rule binds the request to a server: it goes to ${where}, without balancing (the log names no server)`;
    result.steps.push(runtime.dispatch.followsDestination ? 'option transparent → the client\'s destination' : `dispatch → ${runtime.dispatch.address}`);
    return;
  }
  if (runtime.balancer.queueShortcut && runtime.queue.length > 0 && runtime.servers.some((s) => s.served > 0)) {
    result.serverReason = `${runtime.queue.length} request(s) already wait in backend ${proxy.name}'s queue: this one would wait behind them for the first free server`;
    result.steps.push(result.serverReason);
    return;
  }
  const picked = peekPick(runtime.balancer, runtime.servers, lb) as RuntimeServer | undefined;
  if (!picked) {
    result.answer = { kind: 'no-server', status: 503, by: `backend ${proxy.name} has no usable server` };
    result.serverReason = runtime.hasUsableServer ? 'every usable server is at its maxconn: the request would wait in the queue' : `no server of ${proxy.name} can take traffic (${result.servers.map((s) => `${s.name} ${s.status}`).join(', ')}): 503`;
    result.steps.push(result.serverReason);
    return;
  }
  const t = serverTrace(picked);
  result.server = t;
  const load = `${t.current} connection(s) now${t.maxconn ? ` of ${t.maxconn}` : ''}, weight ${t.weight}, ${t.status}`;
  result.serverReason = hashesRequests(algorithm) && result.hash?.key !== null
    ? `${algorithm} hashes ${JSON.stringify(result.hash?.key)} (${result.hash?.function}, ${result.hash?.method}${result.hash?.value !== undefined ? `: ${result.hash.value}` : ''}) to ${t.name} (${load})`
    : algorithm === 'random'
      ? `random draws ${t.name} next, keeping the less loaded of its draws (${load}); other requests arriving first take other draws`
      : `${algorithm} picks ${t.name} next (${load})`;
  result.steps.push(`server: ${result.serverReason}`);
}

// ---------------------------------------------------------------- the trace

/**
 * A configuration as it would start, for `loadstar trace -f FILE` without a
 * running engine: fresh backends, every server in its initial state.
 */
export function staticTarget(config: Config): TraceTarget {
  const backends = new Map<string, RuntimeBackend>();
  for (const p of config.proxies) {
    if ((p.kind === 'backend' || p.kind === 'listen') && !p.disabled) backends.set(p.name, new RuntimeBackend(p));
  }
  return { currentConfig: () => config, backend: (name) => backends.get(name) };
}

/** Traces a request through the running configuration of `target`. Never throws for bad input. */
export function traceRequest(target: TraceTarget, request: TraceRequest): TraceOutcome {
  const bad = checkRequest(request);
  if (bad) return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: bad } };
  const headers = headerPairs(request.headers);
  if (typeof headers === 'string') return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: headers } };
  const config = target.currentConfig();
  const frontend = config.proxies.find((p): p is FrontendProxy | ListenProxy => (p.kind === 'frontend' || p.kind === 'listen') && p.name === request.frontend && !p.disabled);
  if (!frontend) {
    const names = config.proxies.filter((p) => p.kind === 'frontend' || p.kind === 'listen').map((p) => p.name);
    return { ok: false, error: { code: 'LS_ERR_CTL_NOT_FOUND', message: `there is no frontend '${request.frontend}' in the running configuration${names.length ? ` (frontends: ${names.join(', ')})` : ''}` } };
  }
  const mode = frontend.mode;
  const backends = new Map<string, RuntimeBackend>();
  for (const p of config.proxies) {
    const b = (p.kind === 'backend' || p.kind === 'listen') ? target.backend(p.name) : undefined;
    if (b) backends.set(p.name, b);
  }
  const bind = frontend.binds[0]?.addresses[0];
  // Over TLS to a TCP frontend that does not terminate it (TLS passthrough): the connection is not TLS to
  // Loadstar (ssl_fc is false); its inspection holds the client's hello, with the SNI, once it has waited.
  const passthrough = mode === 'tcp' && request.tls === true && !frontend.binds[0]?.ssl;
  const hello = passthrough && (frontend.inspectDelay ?? 0) > 0 ? clientHello(request.sni) : undefined;
  const conn: ConnectionInfo = {
    src: request.source ?? '127.0.0.1',
    srcPort: request.sourcePort ?? 50000,
    dst: bind?.host || '0.0.0.0',
    dstPort: bind?.port ?? 0,
    frontend: frontend.name,
    defaultBackend: frontend.defaultBackend?.name,
    ssl: request.tls === true && !passthrough,
    ...(request.tls && !passthrough ? { sslProtocol: 'TLSv1.3', ...(request.sni ? { sslSni: request.sni } : {}) } : {}),
    ...(hello ? { payload: hello } : {}),
  };
  const method = (request.method ?? 'GET').toUpperCase();
  const tx = new TraceTx(method, request.url, headers, conn, engineHooks(config, backends), frontend.name, mode === 'http', (frontend.inspectDelay ?? 0) > 0);
  const result: TraceResult = { frontend: frontend.name, mode, request: { method, url: request.url, headers: [] }, rules: [], routes: [], servers: [], steps: [] };
  result.steps.push(`${method} ${request.url} from ${conn.src}${request.tls ? ` over TLS${request.sni ? ` (SNI ${request.sni})` : ''}` : ''} arrives at frontend ${frontend.name} (${mode} mode)`);
  if (passthrough) {
    result.steps.push(hello
      ? `the TLS passes through (the bind does not terminate it): the inspection holds the client's hello${request.sni ? ` with the server name ${request.sni}` : ', without a server name'}`
      : 'the TLS passes through (the bind does not terminate it), and without tcp-request inspect-delay the routing does not wait for the hello: req.ssl_sni finds nothing');
  }
  const finish = (): TraceOutcome => {
    const h = tx.request.headers;
    result.request = { method: tx.request.method, url: tx.request.url, headers: Array.from({ length: h.length / 2 }, (_, i) => [h[2 * i]!, h[2 * i + 1]!] as [string, string]) };
    return { ok: true, value: result };
  };

  if (mode === 'http') {
    // What the engine refuses before any rule runs (request-checks.ts): a real request like this one gets 400.
    const head = { method, url: request.url, versionMajor: 1, versionMinor: 1, headers: headers.flat(), keepAlive: true, upgrade: false };
    const refused = requestRefusalReason(head, frontendLimits(requestLimits(config.global), frontend));
    if (refused) {
      result.answer = { kind: 'bad-request', status: refused.status, by: refused.reason };
      result.steps.push(`Loadstar refuses the request before any rule runs (${refused.reason}): ${refused.status}`);
      return finish();
    }
  }
  if (mode === 'tcp' && frontend.tcpRequestRules.length > 0) result.steps.push('tcp-request rules are not traced: the routing below assumes they accept the connection');
  if (mode === 'http' && runRules(frontend, frontend.httpRequestRules, tx, result) === 'answered') return finish();
  if (mode === 'http' && frontend.stats.enabled && tx.request.url.startsWith(frontend.stats.uri ?? DEFAULT_STATS_URI)) {
    result.answer = { kind: 'stats', status: 200, by: `stats uri ${frontend.stats.uri ?? DEFAULT_STATS_URI}` };
    result.steps.push(`the stats page of ${frontend.name} answers (stats uri ${frontend.stats.uri ?? DEFAULT_STATS_URI})`);
    return finish();
  }
  // The proxy-level `redirect` lines: after the http-request rules and the stats page, before use_backend.
  if (mode === 'http' && runRules(frontend, frontend.redirectRules, tx, result, 'redirect') === 'answered') return finish();

  let chosen: string | undefined;
  for (const rule of frontend.switchingRules) {
    const d = directiveAt(frontend, rule.loc.line, 'use_backend');
    const text = d ? directiveText(d) : `use_backend ${rule.backend}`;
    const route: RouteTrace = { line: rule.loc.line, text, backend: rule.backend, matched: false };
    result.routes.push(route);
    if (rule.condition) route.condition = traceCondition(rule.condition, conditionText(d, rule.condition.polarity), tx.sampleContext(), frontend);
    if (route.condition && !route.condition.result) {
      result.steps.push(`${frontend.name}:${rule.loc.line} ${text} — no: ${aclSentence(route.condition)}`);
      continue;
    }
    let name = rule.backend;
    if (rule.dynamic) {
      try {
        name = compileTxFormat(compileTxFormat.parse(rule.backend))(tx.asTransaction());
      } catch {
        name = '';
      }
      route.backend = name;
    }
    if (!backends.has(name)) {
      result.steps.push(`${frontend.name}:${rule.loc.line} ${text} — matches, but there is no backend '${name}': the next rule is tried`);
      continue;
    }
    route.matched = true;
    chosen = name;
    result.backendBy = 'use_backend';
    result.steps.push(`${frontend.name}:${rule.loc.line} ${text} — yes${route.condition ? ` (${aclSentence(route.condition)})` : ''}: backend ${name}`);
    break;
  }
  if (chosen === undefined) {
    const fallback = frontend.defaultBackend?.name ?? (frontend.kind === 'listen' ? frontend.name : undefined);
    if (fallback !== undefined && backends.has(fallback)) {
      chosen = fallback;
      result.backendBy = frontend.defaultBackend ? 'default_backend' : 'listen';
      result.steps.push(frontend.defaultBackend ? `no use_backend rule matched: default_backend ${fallback}` : `listen ${fallback} serves the request itself`);
    } else {
      result.answer = { kind: 'no-backend', status: 503, by: 'no use_backend rule matched and there is no default_backend' };
      result.steps.push('no use_backend rule matched and there is no default_backend: 503');
      return finish();
    }
  }
  result.backend = chosen;
  tx.backendName = chosen;
  const backendProxy = config.proxies.find((p): p is BalancingProxy => (p.kind === 'backend' || p.kind === 'listen') && p.name === chosen)!;
  // The persist rules run as soon as the backend is known, before its own rules (HAProxy's process_switching_rules).
  const verdict = persistVerdict(backendProxy, tx, result);
  // A backend's own http-request rules, then its redirect lines, run after switching (a listen
  // section serving its own requests ran them as the frontend's).
  if (mode === 'http' && backendProxy !== frontend) {
    if (runRules(backendProxy, backendProxy.httpRequestRules, tx, result) === 'answered') return finish();
    if (runRules(backendProxy, backendProxy.redirectRules, tx, result, 'redirect') === 'answered') return finish();
  }
  pickServer(backendProxy, backends.get(chosen)!, tx, result, verdict);
  return finish();
}
