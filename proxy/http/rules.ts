/**
 * http-request / http-response rules compiled once per configuration load into
 * small closures: each rule is a condition and an action on the transaction.
 * Evaluation stops at the first final action (allow, deny, return, redirect,
 * auth), as in HAProxy.
 */
import { syslogLevel } from '../runtime/syslog.ts';
import type { HttpRule, HttpAction, Proxy } from '../config/model.ts';
import { setHeader, deleteHeader, replaceHeader, replaceValue, replaceWhole } from './headers.ts';
import { builtinResponse, loadErrorFile, reasonPhrase, hasBuiltinPage, replyReason } from './error-pages.ts';
import type { HttpTransaction } from './transaction.ts';
import { uriOf } from './request-uri.ts';
import { uriPathRange } from '../acl/eval-http.ts';
import type { ResponseHead } from './upstream.ts';
import { compileTxCondition, compileTxFormat } from './samples.ts';
import { storeCapture } from './captures.ts';
import { normalizeUri } from './uri-normalizer.ts';
import type { TxPredicate, TxFormat } from './samples.ts';
import { activePatternRefs, castSample, compileSample, parseSampleExpression, setVariable } from '../acl/index.ts';
import type { VarScope } from '../acl/index.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { compileTrackSc } from '../stick/track-action.ts';
import { compileIncGpc, compileSetGpt } from '../stick/counter-actions.ts';
import { requestDenied, responseTracked, streamCounters } from '../stick/http.ts';
import { cacheOf } from './cache/caches.ts';
import { compileAuthChallenge } from './auth-challenge.ts';
import { readNamedFileOrThrow } from '../config/named-file.ts';

function splitVariable(variable: string): [VarScope, string] {
  const dot = variable.indexOf('.');
  return [variable.slice(0, dot) as VarScope, variable.slice(dot + 1)];
}

/** What a final rule decided: an answer Loadstar sends itself. */
export interface LocalAnswer {
  response: Buffer;
  status: number;
  close?: boolean;
  /** The log's termination state, as HAProxy 2.6 writes it: PR for a deny, PT for a tarpit, LR for an answer served locally (return, redirect, auth, the stats page, a service). */
  termination?: string;
  /** `http-request tarpit`: how long the request is held before the answer goes out (ms). */
  tarpitMs?: number;
  /** How the statistics count it: deny/tarpit (dreq), a response denied (dresp), or answered by Loadstar itself (intercepted). */
  kind?: 'denied' | 'denied-response' | 'intercepted';
  /**
   * No answer at all (`response` is empty): `close` shuts the connection at once (http-request
   * reject), `reset` aborts it (silent-drop; HAProxy's fallback where it cannot hide the close).
   */
  drop?: 'close' | 'reset';
  /** The 500 of a rewrite that did not fit (HttpTransaction.rewriteFailure), counted in wrew. */
  rewriteFailed?: true;
  /** A frontend's tcp-request content rule ended it before the request was taken in as HTTP: logged without its request line (`<BADREQ>`). */
  beforeHttp?: boolean;
  /**
   * The answer needs the request body first (the stats page's admin form); `response` is unused then.
   * `body` is undefined when it outgrew the request buffer (`tune.bufsize` − `tune.maxrewrite`, behind the head).
   */
  withBody?: (body: Buffer | undefined) => LocalAnswer;
  /**
   * Answered by one of HAProxy's applets: the log names it where the server goes (`<STATS>`,
   * `<PROMEX>`), with queue and connect times of 0 as for an established applet connection.
   */
  applet?: AppletName;
  /**
   * The status HAProxy's log shows where it is not the one sent: its stats page logs its 401 and
   * 403 refusals as 400, with no response time (measured on haproxy 2.6.12).
   */
  loggedStatus?: number;
}

/** The names HAProxy's log gives its applets in the server field. */
export type AppletName = '<STATS>' | '<PROMEX>' | '<CACHE>';

/** `http-request wait-for-body`: what the rules after it wait for (body-wait.ts decides when it is there). */
export interface BodyWait {
  /** ms the rule waits at most (0: no timer of its own). */
  readonly timeMs: number;
  /** Enough once this many body bytes are in (0: the whole body, or a full buffer). */
  readonly atLeast: number;
}

/** The rules stopped at a wait-for-body: the transaction runs them on from `next` once the body is in. */
export interface RulesPaused {
  readonly waitForBody: BodyWait;
  readonly next: number;
}

/** `continue` = next rule; `stop` = allow (skip the remaining rules); a wait for the body; else a local answer. */
export type RuleOutcome = 'continue' | 'stop' | { readonly waitForBody: BodyWait } | LocalAnswer;

type RequestStep = (tx: HttpTransaction) => RuleOutcome;
/** undefined = next rule; 'stop' = allow (this section's remaining rules are skipped); else the answer that replaces the server's. */
type ResponseStep = (tx: HttpTransaction, head: ResponseHead) => LocalAnswer | 'stop' | { readonly waitForBody: BodyWait } | undefined;

export function compileRequestRules(rules: readonly HttpRule[], proxy: Proxy, errorResponse: (status: number) => Buffer): RequestStep[] {
  return rules.map((rule, i) => {
    const when = rule.condition ? compileTxCondition(rule.condition, proxy) : undefined;
    const action = compileRequestAction(rule.action, proxy, errorResponse);
    const compiled: RequestStep = rewritesHead(rule.action) ? (tx) => (action(tx), tx.rewriteFailure() ?? 'continue') : action;
    const act: RequestStep = writesConnection(rule.action) ? (tx) => ((tx.connectionByRule = true), compiled(tx)) : compiled;
    const step: RequestStep = when ? (tx) => (when(tx) ? act(tx) : 'continue') : act;
    // The last of early-hint rules next to each other sends the 103 they made, whatever its condition.
    if (rule.action.type !== 'early-hint' || rules[i + 1]?.action.type === 'early-hint') return step;
    return (tx) => (step(tx), tx.sendEarlyHints(), 'continue');
  });
}

/**
 * A proxy's `redirect` lines: each a condition and a redirect answer (undefined when the proxy has
 * none, so that a request pays nothing for them). The first that matches answers.
 */
export function compileRedirectRules(rules: readonly HttpRule[], proxy: Proxy): RequestStep[] | undefined {
  return rules.length === 0 ? undefined : compileRequestRules(rules, proxy, builtinResponse);
}

/** Runs the steps from `from`: on to the end ('continue'), to an answer, or to a wait for the body. */
export function runRequestRules(steps: readonly RequestStep[], tx: HttpTransaction, from = 0): 'continue' | LocalAnswer | RulesPaused {
  for (let i = from; i < steps.length; i++) {
    const outcome = steps[i]!(tx);
    if (outcome === 'continue') continue;
    if (outcome === 'stop') return 'continue';
    if ('waitForBody' in outcome) return { waitForBody: outcome.waitForBody, next: i + 1 };
    return outcome;
  }
  return 'continue';
}

function compileRequestAction(action: HttpAction, proxy: Proxy, errorResponse: (status: number) => Buffer): RequestStep {
  const variable = compileVariableAction(action, proxy) ?? compileMapAction(action);
  if (variable) return (tx) => (variable(tx), 'continue');
  switch (action.type) {
    case 'set-header':
    case 'add-header': {
      const value = compileTxFormat(action.value);
      const name = action.name;
      return action.type === 'set-header'
        ? (tx) => (setHeader(tx.request.headers, name, value(tx)), 'continue')
        : (tx) => (tx.request.headers.push(name, value(tx)), 'continue');
    }
    case 'early-hint': {
      // HTTP/1.1 and HTTP/2 clients, not HTTP/1.0 (HAProxy's HTTP_MSGF_VER_11, which its H2 mux sets too); the
      // header name goes out in lower case, as HTX has it.
      const value = compileTxFormat(action.value);
      const name = action.name.toLowerCase();
      return (tx) => {
        const r = tx.request;
        if (r.versionMajor >= 2 || (r.versionMajor === 1 && r.versionMinor >= 1)) (tx.earlyHints ??= []).push(name, value(tx));
        return 'continue';
      };
    }
    case 'del-header':
      return (tx) => (deleteHeader(tx.request.headers, action.name), 'continue');
    case 'replace-header':
    case 'replace-value': {
      const regex = new RegExp(action.regex);
      const replacement = compileReplacement(action.replacement);
      const apply = action.type === 'replace-header' ? replaceHeader : replaceValue;
      return (tx) => (apply(tx.request.headers, action.name, regex, (m) => replacement(tx, m)), 'continue');
    }
    case 'set-uri': {
      const value = compileTxFormat(action.value);
      return (tx) => (tx.replaceUri(value(tx)), 'continue');
    }
    case 'set-path':
    case 'set-query':
    case 'set-pathq': {
      const value = compileTxFormat(action.value);
      const kind = action.type;
      // An HTTP/2 request's origin stays: these rewrite its path and query (HAProxy keeps the normalized URI).
      return (tx) => (tx.request.url = rewriteUrl(tx.request.url, kind, value(tx)), 'continue');
    }
    case 'set-method': {
      const value = compileTxFormat(action.value);
      return (tx) => (tx.request.method = value(tx), 'continue');
    }
    case 'replace-path':
    case 'replace-pathq':
    case 'replace-uri': {
      const regex = new RegExp(action.regex);
      const replacement = compileReplacement(action.replacement);
      const part = action.type;
      if (part === 'replace-uri') {
        // The whole URI, an HTTP/2 request's origin included (HAProxy holds it in absolute form).
        return (tx) => {
          const subject = uriOf(tx.request);
          regex.lastIndex = 0;
          if (regex.test(subject)) tx.replaceUri(replaceWhole(subject, regex, (m) => replacement(tx, m)));
          return 'continue';
        };
      }
      return (tx) => {
        const { authority, path, query } = splitTarget(tx.request.url);
        const subject = part === 'replace-path' ? path : path + query;
        const replaced = replaceWhole(subject, regex, (m) => replacement(tx, m));
        if (replaced !== subject) tx.request.url = part === 'replace-path' ? authority + replaced + query : authority + replaced;
        return 'continue';
      };
    }
    case 'strict-mode': {
      const on = action.on;
      return (tx) => ((tx.strictMode = on), 'continue');
    }
    case 'wait-for-handshake':
      return () => 'continue';
    case 'normalize-uri': {
      const normalizer = action.normalizer;
      // A strict normalizer refusing the target: HAProxy's ACT_RET_INV, a bad request (400, PR, connection closed).
      const invalid: LocalAnswer = { response: errorResponse(400), status: 400, termination: 'PR', close: true };
      return (tx) => {
        const normalized = normalizeUri(tx.request.url, normalizer);
        if (normalized === 'invalid') return invalid;
        tx.request.url = normalized;
        return 'continue';
      };
    }
    case 'set-timeout': {
      const which = action.which;
      if (action.ms !== undefined) {
        const ms = action.ms;
        return (tx) => (tx.setStreamTimeout(which, ms), 'continue');
      }
      const parsed = parseSampleExpression(action.expression!);
      if ('error' in parsed) throw new Error(parsed.error);
      const sample = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
      return (tx) => {
        // A number of ms; nothing, or not a number, leaves the timeout as it was.
        const value = sample(tx.sampleContext());
        const ms = value === undefined ? NaN : Number(value.value);
        if (Number.isInteger(ms) && ms > 0) tx.setStreamTimeout(which, ms);
        return 'continue';
      };
    }
    case 'reject':
    case 'silent-drop': {
      const dropped: LocalAnswer = { response: Buffer.alloc(0), status: -1, termination: 'PR', kind: 'denied', drop: action.type === 'reject' ? 'close' : 'reset' };
      return () => dropped;
    }
    case 'allow':
      return () => 'stop';
    case 'wait-for-body': {
      const wait = { waitForBody: { timeMs: action.timeMs, atLeast: action.atLeast } };
      return () => wait;
    }
    case 'disable-l7-retry':
      return (tx) => (tx.disableL7Retry(), 'continue');
    case 'deny':
    case 'tarpit': {
      const status = action.status;
      // A tarpit holds the request `timeout tarpit` (else `timeout connect`) before its answer, and logs PT.
      const hold = action.type === 'tarpit' ? { termination: 'PT', tarpitMs: proxy.timeouts.tarpit ?? proxy.timeouts.connect ?? 0 } : { termination: 'PR' };
      // Both count as an HTTP error in the stick counters (requestDenied: stream_inc_http_err_ctr).
      const reply = compileAnswerOf(action, errorResponse);
      return (tx) => (requestDenied(tx), { response: reply(tx), status, ...hold, kind: 'denied' });
    }
    case 'return': {
      const status = action.status;
      const reply = compileAnswerOf(action, errorResponse);
      return (tx) => ({ response: reply(tx), status, termination: 'LR', kind: 'intercepted' });
    }
    case 'redirect': {
      const redirect = compileRedirect(action);
      return (tx) => redirect(tx) ?? 'continue';
    }
    case 'auth': {
      const challenge = compileAuthChallenge(errorResponse, action.realm ?? proxy.name);
      return (tx) => (requestDenied(tx), challenge(tx.proxyAuth));
    }
    case 'use-service': {
      // The only service is the Prometheus exporter (the parser refuses others); answered from proxy/stats.
      const service = action.service;
      return (tx) => tx.frontend.localServices?.service(service, tx) ?? { response: errorResponse(503), status: 503, termination: 'PR' };
    }
    case 'set-src':
    case 'set-dst':
    case 'set-src-port':
    case 'set-dst-port': {
      const parsed = parseSampleExpression(action.expression);
      if ('error' in parsed) throw new Error(parsed.error);
      const sample = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
      const kind = action.type;
      const type = kind === 'set-src' || kind === 'set-dst' ? 'addr' : 'int';
      return (tx) => {
        // A value that is not an address (or a port) leaves the address as it was (sample_fetch_as_type fails).
        const value = sample(tx.sampleContext());
        const cast = value && castSample(value, type);
        if (cast) tx.rewriteAddress(kind, cast);
        return 'continue';
      };
    }
    case 'set-priority-class':
    case 'set-priority-offset': {
      const parsed = parseSampleExpression(action.expression);
      if ('error' in parsed) throw new Error(parsed.error);
      const sample = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
      const kind = action.type;
      return (tx) => {
        // A value that is no integer leaves the priority as it was (sample_fetch_as_type fails).
        const value = sample(tx.sampleContext());
        const cast = value && castSample(value, 'int');
        if (cast?.type === 'int') tx.setPriority(kind, cast.value);
        return 'continue';
      };
    }
    case 'capture':
      return compileCapture(action, proxy, false, 'continue');
    case 'set-log-level': {
      // 'silent': no line; another level: the level its syslog line is sent with (a later rule may undo either).
      const silent = action.level === 'silent';
      const level = silent ? undefined : syslogLevel(action.level);
      return (tx) => (tx.logSilent = silent, tx.logLevel = level, 'continue');
    }
    case 'track-sc': {
      const track = compileTrackSc(action, proxy, true);
      return (tx) => (track(tx.sampleContext(), streamCounters(tx)), 'continue');
    }
    case 'sc-inc-gpc': {
      const inc = compileIncGpc(action.counter, action.index, !action.array);
      return (tx) => (inc(tx.sampleContext(), streamCounters(tx)), 'continue');
    }
    case 'sc-set-gpt': {
      const set = compileSetGpt(action.counter, action.index, action.value, action.expression, proxy);
      return (tx) => (set(tx.sampleContext(), streamCounters(tx)), 'continue');
    }
    case 'cache-use': {
      // The rules go on after it, hit or not (HAProxy's ACT_RET_CONT); a hit is served once they are done.
      const cache = cacheOf(proxy, action.cache);
      return (tx) => (tx.useCache(cache, proxy), 'continue');
    }
    default:
      throw new Error(`http-request ${action.type} is not implemented by the engine yet`);
  }
}

/**
 * http-response and http-after-response rules. `errorResponse`: the proxy's error pages, for
 * http-response deny (http-after-response has no final action).
 */
export function compileResponseRules(rules: readonly HttpRule[], proxy: Proxy, errorResponse: (status: number) => Buffer = builtinResponse, afterResponse = false): ResponseStep[] {
  return rules.map((rule) => {
    const when = rule.condition ? compileTxCondition(rule.condition, proxy) : undefined;
    const action = compileResponseAction(rule.action, proxy, errorResponse);
    // (An http-after-response rewrite has no answer left to replace.)
    const compiled: ResponseStep = !afterResponse && rewritesHead(rule.action) ? (tx, head) => (action(tx, head), tx.rewriteFailure(head)) : action;
    const act: ResponseStep = writesConnection(rule.action) ? (tx, head) => ((tx.responseConnectionByRule = true), compiled(tx, head)) : compiled;
    return when ? (tx, head) => (when(tx) ? act(tx, head) : undefined) : act;
  });
}

/**
 * A rule that writes a Connection field. HAProxy's H1 mux takes the close and keep-alive tokens out
 * of a message as it reads it, so the ones it finds when it writes the message were put there by a
 * rule, and it obeys them: `close` ends that connection after the exchange (transaction.ts).
 */
function rewritesHead(action: HttpAction): boolean {
  const t = action.type;
  return t === 'set-header' || t === 'add-header' || t === 'replace-header' || t === 'replace-value';
}

function writesConnection(action: HttpAction): boolean {
  const t = action.type;
  return (t === 'set-header' || t === 'add-header' || t === 'replace-header' || t === 'replace-value') && action.name.toLowerCase() === 'connection';
}

/**
 * Runs response rules on a server's answer until a final one: undefined when the answer goes on,
 * else the answer that replaces it (http-response deny, return, redirect).
 */
/** Runs the steps from `from`: to the end (undefined), to an answer replacing the server's, or to a wait for the body. */
export function runResponseRules(steps: readonly ResponseStep[], tx: HttpTransaction, head: ResponseHead, from = 0): LocalAnswer | RulesPaused | undefined {
  for (let i = from; i < steps.length; i++) {
    const outcome = steps[i]!(tx, head);
    if (outcome === undefined) continue;
    if (outcome === 'stop') return undefined;
    if ('waitForBody' in outcome) return { waitForBody: outcome.waitForBody, next: i + 1 };
    return outcome;
  }
  return undefined;
}

function compileResponseAction(action: HttpAction, proxy: Proxy, errorResponse: (status: number) => Buffer): ResponseStep {
  const variable = compileVariableAction(action, proxy) ?? compileMapAction(action);
  if (variable) return (tx) => (variable(tx), undefined);
  switch (action.type) {
    case 'wait-for-body': {
      const wait = { waitForBody: { timeMs: action.timeMs, atLeast: action.atLeast } };
      return () => wait;
    }
    case 'deny': {
      // HAProxy 2.6 logs PH (proxy, at the headers) and counts no HTTP error in the stick counters (denied_resp only).
      const status = action.status;
      const reply = compileAnswerOf(action, errorResponse);
      return (tx) => ({ response: reply(tx), status, termination: 'PH', kind: 'denied-response' });
    }
    case 'return': {
      const status = action.status;
      const reply = compileAnswerOf(action, errorResponse);
      return (tx) => ({ response: reply(tx), status, termination: 'LH', kind: 'intercepted' });
    }
    case 'redirect': {
      const redirect = compileRedirect(action);
      return (tx) => {
        const answer = redirect(tx);
        return answer && { ...answer, termination: 'LH' };
      };
    }
    case 'set-header': {
      const value = compileTxFormat(action.value);
      return (tx, head) => (setHeader(head.headers, action.name, value(tx)), undefined);
    }
    case 'add-header': {
      const value = compileTxFormat(action.value);
      return (tx, head) => (head.headers.push(action.name, value(tx)), undefined);
    }
    case 'del-header':
      return (_tx, head) => (deleteHeader(head.headers, action.name), undefined);
    case 'replace-header':
    case 'replace-value': {
      const regex = new RegExp(action.regex);
      const replacement = compileReplacement(action.replacement);
      const apply = action.type === 'replace-header' ? replaceHeader : replaceValue;
      return (tx, head) => (apply(head.headers, action.name, regex, (m) => replacement(tx, m)), undefined);
    }
    case 'set-log-level': {
      const silent = action.level === 'silent';
      const level = silent ? undefined : syslogLevel(action.level);
      return (tx) => (tx.logSilent = silent, tx.logLevel = level, undefined);
    }
    case 'capture':
      return compileCapture(action, proxy, true, undefined);
    case 'strict-mode': {
      const on = action.on;
      return (tx) => void (tx.strictMode = on);
    }
    case 'sc-inc-gpc': {
      const inc = compileIncGpc(action.counter, action.index, !action.array);
      return (tx) => (inc(tx.sampleContext(), streamCounters(tx)), undefined);
    }
    case 'sc-set-gpt': {
      const set = compileSetGpt(action.counter, action.index, action.value, action.expression, proxy);
      return (tx) => (set(tx.sampleContext(), streamCounters(tx)), undefined);
    }
    case 'track-sc': {
      // Tracked here, the entry counts the request (and its error or failure) itself: responseTracked.
      const track = compileTrackSc(action, proxy);
      const n = action.counter;
      return (tx, head) => {
        const counters = streamCounters(tx);
        if (counters.slot(n)) return undefined;
        track(tx.sampleContext(), counters);
        const tracked = counters.slot(n);
        if (tracked) responseTracked(tracked, head.status);
        return undefined;
      };
    }
    case 'allow':
      // The end of this section's rules (the next section's still run, as in HAProxy).
      return () => 'stop';
    case 'set-status': {
      const { status, reason } = action;
      return (_tx, head) => {
        head.status = status;
        // Without a reason, the standard phrase for the new code (not the server's old one).
        head.reason = reason ?? replyReason(status);
        return undefined;
      };
    }
    case 'cache-store': {
      const cache = cacheOf(proxy, action.cache);
      return (tx, head) => (tx.storeInCache(cache, proxy, head), undefined);
    }
    default:
      throw new Error(`http-response ${action.type} is not implemented by the engine yet`);
  }
}

/**
 * The answer of a deny, tarpit or return rule: the proxy's error page when asked for and one
 * exists, else an empty answer with the rule's hdr lines (HAProxy's http_reply), or its payload.
 */
function compileAnswerOf(action: Extract<HttpAction, { type: 'deny' | 'tarpit' | 'return' }>, errorResponse: (status: number) => Buffer): (tx: HttpTransaction) => Buffer {
  const status = action.status;
  const headers = compileHeaderLines(action.headers ?? []);
  if (!action.body && action.errorPage && hasBuiltinPage(status)) {
    const page = errorResponse(status);
    return () => page;
  }
  const build = action.body ? compileReply(action.body, action.contentType, status) : emptyReply(status);
  if (typeof headers === 'string' && !build.perRequest) {
    const response = build.answer(headers, undefined);
    return () => response;
  }
  return (tx) => build.answer(typeof headers === 'string' ? headers : headers(tx), tx);
}

/**
 * A reply's hdr lines, whose values are log-format (HAProxy's http_reply hdrs): one fixed block when
 * none has a `%`, else rendered for each answer.
 */
function compileHeaderLines(headers: ReadonlyArray<{ name: string; value: string }>): string | ((tx: HttpTransaction) => string) {
  if (!headers.some((h) => h.value.includes('%'))) return headers.map((h) => `${h.name.toLowerCase()}: ${h.value}\r\n`).join('');
  const lines = headers.map((h) => ({ name: h.name.toLowerCase(), value: compileTxFormat(parseFormat(h.value)) }));
  return (tx) => lines.map((l) => `${l.name}: ${l.value(tx)}\r\n`).join('');
}

/** How an answer is built from its hdr lines; `perRequest`: its payload is log-format too. */
interface ReplyBuilder {
  perRequest: boolean;
  answer(headerLines: string, tx: HttpTransaction | undefined): Buffer;
}

/** A redirect rule's answer, or undefined when `ignore-empty` skips it. */
function compileRedirect(action: Extract<HttpAction, { type: 'redirect' }>): (tx: HttpTransaction) => LocalAnswer | undefined {
  const value = compileTxFormat(action.value);
  // As HAProxy 2.6 writes them (http_apply_redirect_rule): Location, then Cache-Control: no-cache
  // for the temporary codes only (301 and 308 may be cached), then the cookie.
  const cacheControl = action.code === 301 || action.code === 308 ? '' : 'cache-control: no-cache\r\n';
  const cookie = action.setCookie ? `set-cookie: ${action.setCookie}; path=/;\r\n` : action.clearCookie ? `set-cookie: ${action.clearCookie}; path=/; Max-Age=0;\r\n` : '';
  const ignoreEmpty = action.ignoreEmpty === true && action.kind !== 'scheme';
  return (tx) => {
    const target = value(tx);
    if (ignoreEmpty && target === '') return undefined;
    const location = redirectLocation(tx, action.kind, target, action.dropQuery, action.appendSlash);
    const response = Buffer.from(`HTTP/1.1 ${action.code} ${reasonPhrase(action.code)}\r\ncontent-length: 0\r\nlocation: ${location}\r\n${cacheControl}${cookie}\r\n`, 'latin1');
    return { response, status: action.code, termination: 'LR', kind: 'intercepted' };
  };
}

/** http-request / http-response capture: the sample, as a string, in the frontend's capture slot (captures.ts). */
function compileCapture<R>(action: Extract<HttpAction, { type: 'capture' }>, proxy: Proxy, response: boolean, next: R): (tx: HttpTransaction) => R {
  const parsed = parseSampleExpression(action.expression);
  if ('error' in parsed) throw new Error(parsed.error);
  const sample = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
  // unsupportedFeatures() refuses a capture without a slot (a backend's `len` rule).
  const id = action.id!;
  return (tx) => {
    const value = sample(tx.sampleContext());
    const text = value && castSample(value, 'str');
    if (text) storeCapture(tx.frontend.config, response ? tx.responseCaptures : tx.requestCaptures, response, id, String(text.value));
    return next;
  };
}

/** A reply without payload: the hdr lines, then content-length: 0 — none on a 204, which may not carry one (RFC 9110 §8.6). */
function emptyReply(status: number): ReplyBuilder {
  const length = status === 204 ? '' : 'content-length: 0\r\n';
  return { perRequest: false, answer: (headerLines) => Buffer.from(`HTTP/1.1 ${status} ${replyReason(status)}\r\n${headerLines}${length}\r\n`) };
}

/** A header name HAProxy lets through `option http-restrict-req-hdr-names`: letters, digits and '-'. */
const PLAIN_HEADER_NAME = /^[0-9A-Za-z-]*$/;

/**
 * `option http-restrict-req-hdr-names delete|reject` (http_req_restrict_header_names): after the proxy's
 * http-request rules, header names with other characters are removed, or the request is denied (403).
 * The steps unchanged when the option is unset or `preserve` (unset is `delete` in a backend with `use-fcgi-app`).
 */
export function withHeaderNameRestriction(steps: RequestStep[], proxy: Proxy, errorResponse: (status: number) => Buffer): RequestStep[] {
  // A backend with `use-fcgi-app` deletes them unless the option says otherwise (cfg_fcgi_apps_postparser).
  const mode = proxy.options['http-restrict-req-hdr-names']?.args[0] ?? (proxy.useFcgiApp !== undefined ? 'delete' : undefined);
  if (mode !== 'delete' && mode !== 'reject') return steps;
  const denied = (): LocalAnswer => ({ response: errorResponse(403), status: 403, termination: 'PR', kind: 'denied' });
  const restrict: RequestStep = (tx) => {
    const headers = tx.request.headers;
    let w = 0;
    for (let r = 0; r < headers.length; r += 2) {
      const name = headers[r]!;
      if (!PLAIN_HEADER_NAME.test(name)) {
        if (mode === 'reject') return (requestDenied(tx), denied());
        continue;
      }
      headers[w++] = name;
      headers[w++] = headers[r + 1]!;
    }
    headers.length = w;
    return 'continue';
  };
  return [...steps, restrict];
}

/** set-var, set-var-fmt and unset-var, the same in request and response rules; undefined for other actions. */
function compileVariableAction(action: HttpAction, proxy: Proxy): ((tx: HttpTransaction) => void) | undefined {
  if (action.type !== 'set-var' && action.type !== 'set-var-fmt' && action.type !== 'unset-var') return undefined;
  const [scope, name] = splitVariable(action.variable);
  if (action.type === 'unset-var') return (tx) => tx.vars.unset(scope, name);
  const conditions = action.conditions;
  if (action.type === 'set-var-fmt') {
    const format = compileTxFormat(action.format);
    return (tx) => setVariable(tx.vars, scope, name, { type: 'str', value: format(tx) }, conditions);
  }
  const parsed = parseSampleExpression(action.expression!);
  if ('error' in parsed) throw new Error(parsed.error);
  const sample = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
  return (tx) => {
    const value = sample(tx.sampleContext());
    if (value !== undefined) setVariable(tx.vars, scope, name, value, conditions);
  };
}

/**
 * set-map, del-map, add-acl and del-acl (http_action_set_map), the same in request and response
 * rules; undefined for other actions. The file's entries are those of the load the rule belongs to
 * (acl/pattern-ref.ts), found by name when the rule runs: a file no map or ACL reads is no
 * reference, and the rule does nothing, as in HAProxy.
 */
function compileMapAction(action: HttpAction): ((tx: HttpTransaction) => void) | undefined {
  if (action.type !== 'set-map' && action.type !== 'del-map' && action.type !== 'add-acl' && action.type !== 'del-acl') return undefined;
  const refs = activePatternRefs();
  if (!refs) return () => undefined;
  const file = action.file;
  const key = compileTxFormat(action.key);
  switch (action.type) {
    case 'add-acl':
      return (tx) => {
        const ref = refs.lookup(file);
        if (!ref) return;
        const k = key(tx);
        if (!ref.find(k)) ref.add(k, undefined);
      };
    case 'set-map': {
      const value = compileTxFormat(action.value!);
      return (tx) => {
        const ref = refs.lookup(file);
        if (!ref) return;
        const k = key(tx);
        const v = value(tx);
        if (ref.find(k)) ref.set(k, v);
        else ref.add(k, v);
      };
    }
    default:
      return (tx) => {
        refs.lookup(file)?.delete(key(tx));
      };
  }
}

/** A request target cut for the replace-* actions: scheme and authority of an absolute-form target, path, `?query`. */
function splitTarget(url: string): { authority: string; path: string; query: string } {
  const scheme = url.charCodeAt(0) === 47 /* / */ ? null : /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(url);
  const authority = scheme ? scheme[0] : '';
  const path = url.slice(authority.length);
  const q = path.indexOf('?');
  return q < 0 ? { authority, path, query: '' } : { authority, path: path.slice(0, q), query: path.slice(q) };
}

/** `\1`-style back-references in a log-format replacement. */
function compileReplacement(tokens: Parameters<typeof compileTxFormat>[0]): (tx: HttpTransaction, m: RegExpExecArray) => string {
  const format = compileTxFormat(tokens);
  return (tx, m) => format(tx).replace(/\\(\d)/g, (_, d: string) => m[Number(d)] ?? '');
}

function parseFormat(text: string) {
  return compileTxFormat.parse(text);
}

/**
 * The answer of a return / deny rule with a payload. `lf-string` and `lf-file` are log-format
 * (the file read once, at load, as HAProxy does), rendered per request; the rest is built once.
 */
function compileReply(body: NonNullable<Extract<HttpAction, { type: 'return' }>['body']>, contentType: string | undefined, status: number): ReplyBuilder {
  const start = `HTTP/1.1 ${status} ${replyReason(status)}\r\n`;
  if (body.kind === 'lf-string' || body.kind === 'lf-file') {
    const text = compileTxFormat(parseFormat(body.kind === 'lf-string' ? body.text : readNamedFileOrThrow(body.path).toString('utf8')));
    const type = contentType ?? (body.kind === 'lf-string' ? 'text/plain' : undefined);
    const tail = `${type ? `content-type: ${type}\r\n` : ''}\r\n`;
    return {
      perRequest: true,
      answer(headerLines, tx) {
        const payload = Buffer.from(text(tx!));
        return Buffer.concat([Buffer.from(`${start}${headerLines}content-length: ${payload.length}\r\n${tail}`), payload]);
      },
    };
  }
  if (body.kind === 'errorfile' || (body.kind === 'errorfiles' && body.path !== undefined)) {
    const file = loadErrorFile(body.path!);
    return { perRequest: false, answer: () => file };
  }
  // An http-errors section without the status: an empty answer (HAProxy 2.6 warns at load).
  const payload = body.kind === 'string' ? Buffer.from(body.text) : body.kind === 'errorfiles' ? Buffer.alloc(0) : readNamedFileOrThrow(body.path);
  // HAProxy's order (http_reply_to_htx): the rule's hdr lines, then content-length, then content-type.
  const tail = `content-length: ${payload.length}\r\n${contentType ? `content-type: ${contentType}\r\n` : ''}\r\n`;
  return { perRequest: false, answer: (headerLines) => Buffer.concat([Buffer.from(`${start}${headerLines}${tail}`), payload]) };
}

/** HAProxy's redirect Location for `location`, `prefix` and `scheme` rules. */
export function redirectLocation(tx: HttpTransaction, kind: 'location' | 'prefix' | 'scheme', value: string, dropQuery: boolean, appendSlash: boolean): string {
  if (kind === 'location') return value;
  let uri = originForm(tx.request.url);
  if (dropQuery) {
    const q = uri.indexOf('?');
    if (q >= 0) uri = uri.slice(0, q);
  }
  if (appendSlash && !uri.includes('?') && !uri.endsWith('/')) uri += '/';
  if (kind === 'prefix') return value === '/' ? uri : value + uri;
  const host = tx.request.headers.length > 0 ? hostOf(tx) : '';
  return `${value}://${host}${uri}`;
}

/**
 * The path and query of a request target: an absolute-form target (`http://host/p?q`, which a
 * client may send to a proxy) gives what follows its authority, "/" when nothing does (HAProxy's
 * http_get_path, as its redirects use it).
 */
function originForm(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!scheme) return url;
  const rest = url.slice(scheme[0].length);
  const i = rest.search(/[/?]/);
  return i < 0 ? '/' : rest[i] === '/' ? rest.slice(i) : `/${rest.slice(i)}`;
}

function hostOf(tx: HttpTransaction): string {
  const h = tx.request.headers;
  for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() === 'host') return h[i + 1]!;
  return '';
}

/**
 * set-path / set-pathq / set-query on a request target, as HAProxy 2.6 rewrites its URI
 * (http_replace_req_path, http_replace_req_query): an absolute-form target keeps its scheme and
 * authority; set-query keeps a `?` it empties, and adds one only for a value.
 */
export function rewriteUrl(url: string, kind: 'set-path' | 'set-query' | 'set-pathq', value: string): string {
  const q = url.indexOf('?');
  if (kind === 'set-query') {
    if (q >= 0) return url.slice(0, q + 1) + value;
    return value === '' ? url : `${url}?${value}`;
  }
  // http_parse_path: where the path begins; a target without one ('*', an authority) is replaced whole.
  const start = Math.max(0, uriPathRange(url));
  const end = kind === 'set-pathq' || q < start ? url.length : q;
  return url.slice(0, start) + value + url.slice(end);
}

export { builtinResponse };
export type { TxPredicate, TxFormat };
