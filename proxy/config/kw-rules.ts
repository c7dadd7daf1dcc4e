/** `http-request`, `http-response`, `http-after-response` and `tcp-request` rules (configuration.txt §4.2). */
import { ERRORFILE_CODES } from './kw-errors.ts';
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { splitCondition, logFormatFilesExist, mapFilesProblem, warnIfConditionConflicts } from './conditions.ts';
import type { ConditionErrorWords } from './conditions.ts';
import { parseLogFormat, parseSampleExpression, fetchUsableAt, predefinedAcl, parseSetVarTarget, parseVarName, sourceNames } from '../acl/index.ts';
import type { Checkpoint, Condition, FetchDef, SampleSource } from '../acl/index.ts';
import type { Diagnostics } from './diagnostics.ts';
import { parseInteger, parseSize, parseTime } from './values.ts';
import { suggest, suggestAction } from './suggest.ts';
import { ENGINE } from './status.ts';
import type { HttpAction, ReturnBody, TcpRequestRule, HttpRule, Proxy, UriNormalizer } from './model.ts';
import { cacheRuleName } from './kw-cache.ts';

type RuleSet = 'http-request' | 'http-response' | 'http-after-response';
type ActionParser = (args: readonly string[], fail: (message: string, argIndex?: number) => void, ctx: ProxyDirectiveContext) => HttpAction | undefined;

/** Actions HAProxy 2.6 has for http rules that Loadstar does not implement: rejected by name. */
const HAPROXY_HTTP_ACTIONS = [
  'do-resolve',
  'send-spoe-group', 'set-mark', 'set-nice',
  'set-tos',
  'set-bandwidth-limit', 'ot-group',
  'set-log-level',
];

/**
 * The actions HAProxy 2.6 lists when an http rule names none it knows (action.c: every registered
 * keyword in registration order, '(*)' where the name takes an argument), whether Loadstar runs them
 * or not: its message is copied from `haproxy -c`.
 */
const HAPROXY_ACTION_LISTS: Readonly<Record<RuleSet, readonly string[]>> = {
  'http-request': ['wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'cache-use', 'add-acl(*)', 'add-header', 'allow', 'auth', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry', 'early-hint', 'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', 'replace-uri', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', 'set-pathq', 'set-query', 'set-uri', 'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset'],
  'http-response': ['ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'cache-store', 'add-acl(*)', 'add-header', 'allow', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-status', 'strict-mode', 'track-sc(*)', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop'],
  'http-after-response': ['ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'],
};

/**
 * `set-map(<file>) <key fmt> <value fmt>`, `del-map(<file>) <key fmt>`, `add-acl(<file>) <key fmt>`,
 * `del-acl(<file>) <key fmt>` (http_act.c parse_http_set_map, its messages). HAProxy matches the
 * action by prefix and takes the file name as what lies between the 8th character and the last one:
 * Loadstar does the same, and warns when the word is not exactly `<action>(<file>)`. Null when `action`
 * is none of them.
 */
function parseMapAction(action: string, args: readonly string[], fail: (m: string, i?: number) => void, ctx: ProxyDirectiveContext): HttpAction | undefined | null {
  const m = /^(set-map|del-map|add-acl|del-acl)/.exec(action);
  if (!m) return null;
  const type = m[1] as 'set-map' | 'del-map' | 'add-acl' | 'del-acl';
  const count = type === 'set-map' ? 2 : 1;
  if (args.length < count) return void fail(`expects exactly ${count} arguments.`);
  if (action.length < 9) return void fail(`expects '${type}(<file>)' (the file name in parentheses, written as the map or ACL names it).`, -1);
  if (args.length > count) {
    return void ctx.error(`'${ctx.directive.keyword} ${action}' expects either 'if' or 'unless' followed by a condition but found '${args[count]}'.`, count + 1);
  }
  const file = action.slice(8, -1);
  if (!/^(set-map|del-map|add-acl|del-acl)\(.*\)$/.test(action)) {
    ctx.warn(`'${ctx.directive.keyword} ${action}': read as '${type}(${file})' (as HAProxy does); write '${type}(<file>)'.`, 0);
  }
  const key = logFormatValue(args[0]!, fail, 0, ctx);
  if (!key) return undefined;
  if (type !== 'set-map') return { type, file, key, keyText: args[0]! };
  const value = logFormatValue(args[1]!, fail, 1, ctx);
  return value && { type, file, key, keyText: args[0]!, value, valueText: args[1]! };
}

/**
 * Where tools.c parse_size_err() stops on `text` (a size in an unsigned 32-bit integer, with an
 * optional k/m/g suffix): the character it names, '' at the end; undefined when the size is valid.
 */
function sizeError(text: string): string | undefined {
  let value = 0;
  let i = 0;
  if (!/^\d/.test(text)) return text[0] ?? '';
  for (; i < text.length && /\d/.test(text[i]!); i++) {
    value = value * 10 + Number(text[i]);
    if (value > 0xffffffff) return text[i];
  }
  const shift = { '': 0, k: 10, m: 20, g: 30 }[(text[i] ?? '').toLowerCase()];
  if (shift === undefined || value * 2 ** shift > 0xffffffff) return text[i];
  return i + (shift > 0 ? 1 : 0) < text.length ? text[i + 1] : undefined;
}

/**
 * `wait-for-body time <time> [at-least <bytes>]` (HAProxy's parse_http_wait_for_body: the two
 * options in any order, its error texts; a word it does not know ends the options and is then
 * refused as a misplaced condition).
 */
function parseWaitForBody(args: readonly string[], fail: (message: string, argIndex?: number) => void, ctx: ProxyDirectiveContext): HttpAction | undefined {
  let timeMs: number | undefined;
  let atLeast = 0;
  let i = 0;
  for (; i < args.length; i += 2) {
    const option = args[i]!;
    if (option !== 'time' && option !== 'at-least') break;
    const value = args[i + 1];
    if (value === undefined) return void fail(`missing argument for '${option}'.`, i);
    if (option === 'time') {
      const t = parseTime(value, 'wait-for-body time');
      if (t.error?.startsWith('timer overflow') || (t.value ?? 0) > 2147483647) return void fail('time overflow (maximum value is 2147483647 ms or ~24.8 days).', i + 1);
      if (t.error !== undefined) return void fail(`unexpected character '${/^\d*(.)/.exec(value)?.[1] ?? value[0] ?? ''}'.`, i + 1);
      timeMs = t.value;
    } else {
      const bad = sizeError(value);
      if (bad !== undefined) return void fail(`unexpected character '${bad}'.`, i + 1);
      atLeast = parseSize(value, 'wait-for-body at-least').value!;
    }
  }
  if (timeMs === undefined) return void fail('expects time <time> [ at-least <bytes> ].', 0);
  if (i < args.length) return void ctx.error(`'${ctx.directive.keyword} wait-for-body' expects either 'if' or 'unless' followed by a condition but found '${args[i]}'.`, i + 2);
  return { type: 'wait-for-body', timeMs, atLeast };
}

/** The matching methods `del-header <name> -m <method>` takes (http_act.c parse_http_del_header). */
const DEL_HEADER_METHODS = ['str', 'beg', 'end', 'sub', 'reg'];

/** deny and tarpit take `status` or its older spelling `deny_status` (configuration.txt, "http-request deny"). */
const DENY_STATUS_WORDS = ['status', 'deny_status'];

const VALID_REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * HAProxy's check points of each rule family, frontend side then backend side: a rule's log-format
 * arguments and sample expressions are checked at the frontend one when the proxy has the frontend
 * capability (frontend, listen, defaults), at the backend one when it has the backend capability
 * (backend, listen, defaults), and a fetch passes if it is usable at either (http_act.c
 * parse_http_set_header, vars.c parse_store, tcp_rules.c tcp_parse_tcp_req). Connection and session
 * rules are a frontend's only.
 */
const RULE_CHECKPOINTS: Readonly<Record<string, readonly [Checkpoint, Checkpoint | undefined]>> = {
  'http-request': ['frontend-http-request', 'backend-http-request'],
  'stats http-request': ['frontend-http-request', 'backend-http-request'],
  redirect: ['frontend-http-request', 'backend-http-request'],
  'http-response': ['frontend-http-response', 'backend-http-response'],
  'http-after-response': ['frontend-http-response', 'backend-http-response'],
  'tcp-request connection': ['frontend-tcp-request-connection', undefined],
  'tcp-request session': ['frontend-tcp-request-session', undefined],
  'tcp-request content': ['frontend-tcp-request-content', 'backend-tcp-request-content'],
  'tcp-response content': ['frontend-tcp-response-content', 'backend-tcp-response-content'],
};

/** Where the current rule's samples are evaluated (RULE_CHECKPOINTS); undefined (unchecked) for other directives. */
export function ruleCheckpoints(ctx: ProxyDirectiveContext): Checkpoint[] | undefined {
  const pair = RULE_CHECKPOINTS[ctx.directive.keyword];
  if (!pair) return undefined;
  const [fe, be] = pair;
  if (be === undefined) return [fe];
  return [...(ctx.kind !== 'backend' ? [fe] : []), ...(ctx.kind !== 'frontend' ? [be] : [])];
}

/**
 * HAProxy's refusal of a sample expression whose fetch is usable at none of `checkpoints`
 * (`named`: the word HAProxy names, the action's for set-var); undefined when it is usable.
 */
export function unusableFetch(fetch: FetchDef, checkpoints: readonly Checkpoint[] | undefined, named: string): string | undefined {
  if (!checkpoints || checkpoints.some((c) => fetchUsableAt(fetch, c))) return undefined;
  return `fetch method '${named}' extracts information from '${sourceNames(fetch.sources)}', none of which is available here`;
}

/**
 * A rule's log-format argument, parsed as HAProxy's parse_logformat_string() parses it for the
 * rule's phase (ruleCheckpoints), its error printed as HAProxy prints it (`end`: the '.' an http
 * rule's message ends with, none for a tcp rule's). `http`: an HTTP action's string (LOG_OPT_HTTP,
 * all but set-var-fmt), where HAProxy warns that a layer-6 fetch (req.len, res.payload…) is ignored.
 */
function logFormatValue(text: string, fail: (m: string, i?: number) => void, argIndex: number, ctx: ProxyDirectiveContext, end: '' | '.' = '.', http = true) {
  const parsed = parseLogFormat(text, { checkpoints: ruleCheckpoints(ctx), http });
  if ('error' in parsed) {
    fail(`${parsed.error}${end}`, argIndex);
    return undefined;
  }
  for (const w of parsed.warnings) ctx.warn(w, argIndex + 1);
  // A map file that does not open or holds what its converter cannot read: reported by logFormatFilesExist().
  if (!logFormatFilesExist(ctx, parsed.tokens, argIndex + 1)) return undefined;
  return parsed.tokens;
}

function headerAction(type: 'set-header' | 'add-header'): ActionParser {
  return (args, fail, ctx) => {
    if (args.length < 2) return void fail('expects exactly 2 arguments.');
    if (args.length > 2) return void reportExtraWord(ctx, type, args[2]!, 3);
    const value = logFormatValue(args[1]!, fail, 1, ctx);
    return value && { type, name: args[0]!, value, valueText: args[1]! };
  };
}

/**
 * `early-hint <name> <fmt>` (http_act.c parse_http_set_header): a header of the 103 Early Hints
 * answer this rule and the early-hint rules next to it send (http/rules.ts).
 */
function parseEarlyHint(args: readonly string[], fail: (message: string, argIndex?: number) => void, ctx: ProxyDirectiveContext): HttpAction | undefined {
  if (args.length < 2 || args[0] === '' || args[1] === '') return void fail('expects exactly 2 arguments.');
  if (args.length > 2) return void ctx.error(`'http-request early-hint' expects either 'if' or 'unless' followed by a condition but found '${args[2]}'.`, 3);
  const value = logFormatValue(args[1]!, fail, 1, ctx);
  return value && { type: 'early-hint', name: args[0]!, value, valueText: args[1]! };
}

function uriPartAction(type: 'set-path' | 'set-query' | 'set-uri' | 'set-pathq' | 'set-method'): ActionParser {
  return (args, fail, ctx) => {
    // http_act.c parse_set_req_line() counts its own words.
    if (args.length !== 1) return void fail('expects exactly 1 argument <format>.');
    const value = logFormatValue(args[0]!, fail, 0, ctx);
    return value && { type, value, valueText: args[0]! };
  };
}

/**
 * parseReturnLike, then the `lf-string` or `lf-file` payload is parsed as log-format as HAProxy
 * parses it at load (http_htx.c http_parse_http_reply, its messages: a syntax error, or a fetch
 * whose data the rule's phase does not have), and the map files an `lf-string` names must exist
 * (the use is recorded for the runtime API's `show map`).
 */
function parseReply(action: string, args: readonly string[], fail: (m: string, i?: number) => void, statusWords: readonly string[], defaultStatus: number, ctx: ProxyDirectiveContext) {
  const checkpoints = ruleCheckpoints(ctx);
  const warn = (message: string, argIndex: number): void => ctx.warn(message, argIndex + 1);
  const onExtra = (word: string, argIndex: number): void => reportExtraWord(ctx, action, word, argIndex + 1);
  const r = parseReturnLike(args, fail, statusWords, defaultStatus, ctx.options.readFile, checkpoints, warn, onExtra);
  if (r?.body?.kind !== 'lf-string' && r?.body?.kind !== 'lf-file') return r;
  const kind = r.body.kind;
  const at = args.lastIndexOf(kind) + 1;
  const text = r.body.kind === 'lf-string' ? r.body.text : ctx.options.readFile(r.body.path) ?? '';
  const parsed = parseLogFormat(text, { checkpoints, http: true });
  if ('error' in parsed) return void fail(`${parsed.error}.`, at);
  for (const w of parsed.warnings) warn(w, at);
  if (kind === 'lf-file' || logFormatFilesExist(ctx, parsed.tokens, at + 1)) return r;
  return void fail(`a file named in '${text}' cannot be opened.`, at);
}

/** The codes HAProxy 2.6 has an error page for (http.c http_err_codes): 421 and 422 too, which `errorfile` does not take. */
const ERROR_PAGE_CODES: ReadonlySet<number> = new Set([...ERRORFILE_CODES, 421, 422]);

/** `[status N] [content-type T] [string S | lf-string S | file F | lf-file F | errorfile F | errorfiles N] [hdr N V]…` */
function parseReturnLike(args: readonly string[], fail: (m: string, i?: number) => void, statusWords: readonly string[], defaultStatus: number, readFile: (path: string) => string | undefined, checkpoints?: readonly Checkpoint[], warn?: (message: string, argIndex: number) => void, onExtra?: (word: string, argIndex: number) => void) {
  let status = defaultStatus;
  let contentType: string | undefined;
  let body: ReturnBody | undefined;
  // HAProxy answers with the proxy's error page only when asked: `default-errorfiles`, the older
  // `deny_status`, or a bare deny/tarpit; `status N` alone gives an empty answer.
  let errorPage = args.length === 0 && statusWords.includes('deny_status');
  const headers: Array<{ name: string; value: string }> = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const value = args[i + 1];
    if (statusWords.includes(word)) {
      if (word === 'deny_status') errorPage = true;
      // http_htx.c http_parse_http_reply(): a missing code is 'status''s whatever the word.
      if (value === undefined) return void fail(`'status' expects <status_code> as argument.`, i);
      if (!/^\d+$/.test(value)) return void fail(`'${word}' expects a status code.`, i);
      const code = Number(value);
      if (code < 200 || code > 599) return void fail(`Unexpected status code '${value}'.`, i + 1);
      status = code;
      i++;
    } else if (word === 'content-type') {
      if (value === undefined) return void fail(`'content-type' expects a type.`, i);
      contentType = value;
      i++;
    } else if (word === 'string' || word === 'lf-string' || word === 'file' || word === 'lf-file' || word === 'errorfile') {
      if (value === undefined) return void fail(`'${word}' expects an argument.`, i);
      body = word === 'string' || word === 'lf-string' ? { kind: word, text: value } : { kind: word, path: value };
      // Read at load, as HAProxy does (http_htx.c): the engine reads it again when it compiles the rule.
      if (body && 'path' in body && readFile(value) === undefined) return void fail(`'${word}' : error opening file '${value}'.`, i + 1);
      i++;
    } else if (word === 'errorfiles') {
      if (value === undefined) return void fail(`'errorfiles' expects a section name.`, i);
      // An http-errors section, looked up once the whole file is read (provision.ts: resolveErrorPages).
      body = { kind: 'errorfiles', name: value };
      i++;
    } else if (word === 'default-errorfiles') {
      body = undefined;
      errorPage = true;
    } else if (word === 'hdr') {
      const v = args[i + 2];
      if (value === undefined || v === undefined) return void fail(`'hdr' expects <name> and <value>.`, i);
      // The value is log-format (HAProxy's http_parse_http_reply), rendered for each answer (http/rules.ts).
      const format = parseLogFormat(v, { checkpoints, http: true });
      if ('error' in format) return void fail(`${format.error}.`, i + 2);
      for (const w of format.warnings) warn?.(w, i + 2);
      headers.push({ name: value, value: v });
      i += 2;
    } else {
      // http_parse_http_reply() stops at a word it does not know: the rule's condition, or an error.
      if (onExtra) return void onExtra(word, i);
      return void fail(`unexpected keyword '${word}'.`, i);
    }
  }
  if (body && body.kind !== 'errorfile' && body.kind !== 'errorfiles' && contentType === undefined && (body.kind === 'string' || body.kind === 'lf-string')) {
    return void fail(`a 'content-type' must be set with a '${body.kind}' payload.`);
  }
  // An error page stands for the answer (the proxy's own, or an http-errors section's): only the codes
  // HAProxy has one for (http_parse_http_reply checks them against http_err_codes).
  const pageKind = body?.kind === 'errorfiles' ? 'errorfiles' : body === undefined && errorPage ? 'default-errorfiles' : undefined;
  if (pageKind && !ERROR_PAGE_CODES.has(status)) return void fail(`status code '${status}' not handled by default with '${pageKind}' argument.`);
  return { status, contentType, body, headers, errorPage: body === undefined && errorPage };
}

/**
 * The words of a redirect, in any order ("code 301 location /x" too; the type is required), as
 * HAProxy's http_parse_redirect_rule reads them for `http-request redirect` and `redirect` alike.
 * `http-request redirect` takes its location as log-format; the proxy-level `redirect` as plain
 * text (HAProxy's "old-style" rule: `%[path]` stays as written, `ignore-empty` has no effect).
 */
function parseRedirect(args: readonly string[], fail: (m: string, i?: number) => void, ctx: ProxyDirectiveContext, value: 'log-format' | 'text'): HttpAction | undefined {
  let kind: 'location' | 'prefix' | 'scheme' | undefined;
  let valueText: string | undefined;
  let valueIndex = 0;
  let code = 302;
  let dropQuery = false;
  let appendSlash = false;
  let setCookie: string | undefined;
  let clearCookie: string | undefined;
  let ignoreEmpty = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const takesArgument = w === 'location' || w === 'prefix' || w === 'scheme' || w === 'code' || w === 'set-cookie' || w === 'clear-cookie';
    if (takesArgument && !args[i + 1]) return void fail(`missing argument for '${w}'.`, i);
    if (w === 'location' || w === 'prefix' || w === 'scheme') {
      kind = w;
      valueText = args[i + 1];
      valueIndex = i + 1;
      i++;
    } else if (w === 'code') {
      const c = Number(args[i + 1]);
      if (!VALID_REDIRECT_CODES.has(c)) return void fail(`'code': unsupported HTTP code '${args[i + 1]}' (must be one of 301, 302, 303, 307 or 308).`, i + 1);
      code = c;
      i++;
    } else if (w === 'drop-query') dropQuery = true;
    else if (w === 'append-slash') appendSlash = true;
    else if (w === 'ignore-empty') ignoreEmpty = value === 'log-format';
    else if (w === 'set-cookie' || w === 'clear-cookie') {
      if (w === 'set-cookie') setCookie = args[i + 1];
      else clearCookie = args[i + 1];
      i++;
    } else return void fail(`expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '${w}').`, i);
  }
  if (kind === undefined || valueText === undefined) return void fail(`redirection type expected ('prefix', 'location', or 'scheme').`, 0);
  const tokens = value === 'text' ? [{ kind: 'text' as const, text: valueText }] : logFormatValue(valueText, fail, valueIndex, ctx);
  if (!tokens) return undefined;
  return { type: 'redirect', kind, value: tokens, valueText, code, dropQuery, appendSlash, setCookie, clearCookie, ...(ignoreEmpty ? { ignoreEmpty } : {}) };
}

const HTTP_ACTIONS: Record<string, { sets: readonly RuleSet[]; parse: ActionParser }> = {
  redirect: {
    sets: ['http-request', 'http-response'],
    parse: (args, fail, ctx) => parseRedirect(args, fail, ctx, 'log-format'),
  },
  'set-header': { sets: ['http-request', 'http-response', 'http-after-response'], parse: headerAction('set-header') },
  'early-hint': { sets: ['http-request'], parse: parseEarlyHint },
  'add-header': { sets: ['http-request', 'http-response', 'http-after-response'], parse: headerAction('add-header') },
  'del-header': {
    sets: ['http-request', 'http-response', 'http-after-response'],
    parse(args, fail, ctx) {
      // http_act.c parse_http_del_header(): a name, an optional '-m <method>', then the condition.
      if (args.length === 0) return void fail('expects at least 1 argument.');
      const extra = args[1] === '-m' ? 3 : 1;
      if (args[1] === '-m' && !args[2]) return void fail("-m flag expects exactly 1 argument.", 1);
      if (args[1] === '-m' && !DEL_HEADER_METHODS.includes(args[2]!)) return void fail(`-m with unsupported matching method '${args[2]}'.`, 2);
      if (args.length > extra) return void reportExtraWord(ctx, 'del-header', args[extra]!, extra + 1);
      return { type: 'del-header', name: args[0]!, method: args[2] };
    },
  },
  'replace-header': { sets: ['http-request', 'http-response', 'http-after-response'], parse: replaceAction('replace-header') },
  'replace-value': { sets: ['http-request', 'http-response', 'http-after-response'], parse: replaceAction('replace-value') },
  'set-path': { sets: ['http-request'], parse: uriPartAction('set-path') },
  'set-pathq': { sets: ['http-request'], parse: uriPartAction('set-pathq') },
  'set-query': { sets: ['http-request'], parse: uriPartAction('set-query') },
  'set-uri': { sets: ['http-request'], parse: uriPartAction('set-uri') },
  'set-method': { sets: ['http-request'], parse: uriPartAction('set-method') },
  'replace-path': { sets: ['http-request'], parse: replaceUriAction('replace-path') },
  'replace-pathq': { sets: ['http-request'], parse: replaceUriAction('replace-pathq') },
  'replace-uri': { sets: ['http-request'], parse: replaceUriAction('replace-uri') },
  reject: { sets: ['http-request'], parse: noArgument('reject') },
  'set-timeout': {
    sets: ['http-request'],
    parse(args, fail, ctx) {
      // Server and tunnel timeouts are the backend side's (HAProxy refuses the rule in a frontend).
      if (ctx.kind === 'frontend') return void fail(`proxy '${ctx.proxy.name}' has no backend capability.`);
      if (args.length < 2) return void fail('expects exactly 2 arguments.');
      const which = args[0];
      if (which !== 'server' && which !== 'tunnel') return void fail(`'set-timeout' rule supports 'server'/'tunnel' (got '${which ?? ''}').`, 0);
      const value = args[1];
      if (value === undefined || args.length > 2) return void fail(`'set-timeout ${which}' expects a time or a sample expression.`, 1);
      // action.c cfg_parse_rule_set_timeout(): a time, else a sample expression; its words for each failure.
      const t = parseTime(value, `set-timeout ${which}`);
      const overflow = t.error?.startsWith('timer overflow') === true;
      const bad = t.error === undefined || overflow ? undefined : /^unexpected character '(.?)'/.exec(t.error)?.[1] ?? value[0] ?? '';
      if (bad === undefined) {
        const ms = overflow ? Infinity : t.value!;
        if (ms > 2147483647) return void fail(`timer overflow in argument '${value}' to rule 'set-timeout ${which}' (maximum value is 2147483647 ms or ~24.8 days).`, 1);
        if (ms > 0 && ms < 1) return void fail(`timer underflow in argument '${value}' to rule 'set-timeout ${which}' (minimum value is 1 ms).`, 1);
        if (ms === 0) return void fail(`null value is not valid for a 'set-timeout ${which}' rule.`, 1);
        return { type: 'set-timeout', which, ms };
      }
      const sample = parseSampleExpression(value);
      if ('error' in sample) return void fail(`unexpected character '${bad}' in rule 'set-timeout ${which}'.`, 1);
      return { type: 'set-timeout', which, expression: value };
    },
  },
  'silent-drop': { sets: ['http-request', 'http-response'], parse: noArgument('silent-drop') },
  'wait-for-body': { sets: ['http-request', 'http-response'], parse: parseWaitForBody },
  'disable-l7-retry': {
    sets: ['http-request'],
    parse(args, fail) {
      if (args.length > 0) return void fail(`'disable-l7-retry' takes no argument (got '${args[0]}').`, 0);
      return { type: 'disable-l7-retry' };
    },
  },
  'set-status': {
    sets: ['http-response', 'http-after-response'],
    parse(args, fail, ctx) {
      const code = Number(args[0]);
      if (args[0] === undefined || !/^\d+$/.test(args[0]) || code < 100 || code > 999) return void fail(`expects an integer status code between 100 and 999.`, 0);
      if (args.length === 1) return { type: 'set-status', status: code };
      // http_act.c parse_http_set_status(): 'reason <text>', then only the condition.
      const extra = args[1] !== 'reason' || args[2] === undefined ? 1 : args.length > 3 ? 3 : undefined;
      if (extra !== undefined) return void reportExtraWord(ctx, 'set-status', args[extra]!, extra + 1);
      return { type: 'set-status', status: code, reason: args[2] };
    },
  },
  deny: {
    sets: ['http-request', 'http-response'],
    parse(args, fail, ctx) {
      // A response denied is answered 502 by default (configuration.txt, "http-response deny").
      const r = parseReply('deny', args, fail, DENY_STATUS_WORDS, ctx.directive.keyword === 'http-response' ? 502 : 403, ctx);
      return r && { type: 'deny', status: r.status, contentType: r.contentType, body: r.body, headers: r.headers, errorPage: r.errorPage };
    },
  },
  tarpit: {
    sets: ['http-request'],
    parse(args, fail, ctx) {
      const r = parseReply('tarpit', args, fail, DENY_STATUS_WORDS, 500, ctx);
      return r && { type: 'tarpit', status: r.status, contentType: r.contentType, body: r.body, headers: r.headers, errorPage: r.errorPage };
    },
  },
  allow: {
    sets: ['http-request', 'http-response', 'http-after-response'],
    parse(args, fail, ctx) {
      if (args.length > 0) return void reportExtraWord(ctx, 'allow', args[0]!, 1);
      return { type: 'allow' };
    },
  },
  return: {
    sets: ['http-request', 'http-response'],
    parse(args, fail, ctx) {
      const r = parseReply('return', args, fail, ['status'], 200, ctx);
      return r && { type: 'return', status: r.status, contentType: r.contentType, body: r.body, headers: r.headers, errorPage: r.errorPage };
    },
  },
  auth: {
    sets: ['http-request'],
    parse(args, fail, ctx) {
      // http_act.c parse_http_auth(): an optional 'realm <name>', then the condition.
      if (args.length === 0) return { type: 'auth' };
      if (args[0] !== 'realm') return void reportExtraWord(ctx, 'auth', args[0]!, 1);
      if (!args[1]) return void fail('missing realm value.', 0);
      if (args.length > 2) return void reportExtraWord(ctx, 'auth', args[2]!, 3);
      return { type: 'auth', realm: args[1] };
    },
  },
  'use-service': {
    sets: ['http-request'],
    parse(args, fail, ctx) {
      // action.c parse_http_req_use_service(): its words; Loadstar has HAProxy's prometheus-exporter.
      if (args.length === 0) return void fail(`'use-service' expects a service name.`);
      if (args[0] !== 'prometheus-exporter') return void fail(`'${args[0]}' unknown service name.`, 0);
      if (args.length > 1) return void reportExtraWord(ctx, 'use-service', args[1]!, 2);
      return { type: 'use-service', service: args[0] };
    },
  },
  'cache-use': {
    sets: ['http-request'],
    parse(args, fail, ctx) {
      const cache = cacheRuleName(ctx, args, fail);
      return cache === undefined ? undefined : { type: 'cache-use', cache };
    },
  },
  'cache-store': {
    sets: ['http-response'],
    parse(args, fail, ctx) {
      const cache = cacheRuleName(ctx, args, fail);
      return cache === undefined ? undefined : { type: 'cache-store', cache };
    },
  },
  'set-src': { sets: ['http-request'], parse: addressAction('set-src') },
  'set-src-port': { sets: ['http-request'], parse: addressAction('set-src-port') },
  'set-dst': { sets: ['http-request'], parse: addressAction('set-dst') },
  'set-dst-port': { sets: ['http-request'], parse: addressAction('set-dst-port') },
  'set-priority-class': { sets: ['http-request'], parse: addressAction('set-priority-class') },
  'set-priority-offset': { sets: ['http-request'], parse: addressAction('set-priority-offset') },
  'normalize-uri': { sets: ['http-request'], parse: parseNormalizeUri },
  /**
   * `wait-for-handshake` (ssl_sock.c ssl_parse_wait_for_hs): HAProxy holds a request that came in
   * TLS 1.3 early data (0-RTT) until the handshake is over. Node's TLS server never accepts early
   * data, so every request already comes after its handshake: the rule has nothing to wait for.
   */
  'wait-for-handshake': {
    sets: ['http-request'],
    parse(args, _fail, ctx) {
      if (args.length > 0) return void ctx.error(`'http-request wait-for-handshake' expects either 'if' or 'unless' followed by a condition but found '${args[0]}'.`, 1);
      return { type: 'wait-for-handshake' };
    },
  },
  'strict-mode': {
    sets: ['http-request', 'http-response', 'http-after-response'],
    parse(args, fail, ctx) {
      if (args.length === 0) return void fail('expects exactly 1 arguments.');
      if (args[0] !== 'on' && args[0] !== 'off') return void fail(`Unexpected value '${args[0]}'. Only 'on' and 'off' are supported.`, 0);
      if (args.length > 1) return void ctx.error(`'${ctx.directive.keyword} strict-mode' expects either 'if' or 'unless' followed by a condition but found '${args[1]}'.`, 2);
      // HAProxy stops an exchange whose header rewrite failed (no room left in its buffer) with a 500
      // unless strict-mode is off; Loadstar checks the same room (http/request-checks.ts rewriteOverflows).
      return { type: 'strict-mode', on: args[0] === 'on' };
    },
  },
  capture: {
    sets: ['http-request', 'http-response'],
    parse(args, fail, ctx) {
      const expr = args[0];
      // http_act.c parse_http_req_capture() / parse_http_res_capture(): their words (a response takes an id only, refused below for len).
      const response = ctx.directive.keyword === 'http-response';
      if (expr === undefined || args[1] === undefined || args[2] === undefined) return void fail(response ? 'expects <expression> id <idx>.' : `expects <expression> [ 'len' <length> | id <idx> ].`);
      if (args[1] !== 'len' && args[1] !== 'id') return void fail(response ? `expects 'id', found '${args[1]}'.` : `expects 'len' or 'id', found '${args[1]}'.`, 1);
      const sample = parseSampleExpression(expr);
      if ('error' in sample) return void fail(sample.error, 0);
      const maps = mapFilesProblem(ctx, sample.expr);
      if (maps) return void fail(`${maps}.`, 0);
      // Checked where a frontend would run it, whatever the proxy (http_act.c parse_http_req_capture, parse_http_res_capture).
      const unusable = unusableFetch(sample.expr.fetch, [ctx.directive.keyword === 'http-response' ? 'frontend-http-response' : 'frontend-http-request'], expr);
      if (unusable) return void fail(`${unusable}.`, 0);
      const n = parseInteger(args[2], `capture ${args[1]}`, args[1] === 'len' ? 1 : 0);
      if (n.error !== undefined) return void fail(n.error, 2);
      if (args.length > 3) return void reportExtraWord(ctx, 'capture', args[3]!, 4);
      if (args[1] === 'id') return { type: 'capture', expression: expr, id: n.value };
      // A response capture only fills a declared slot; `len` declares one, which needs a frontend (http_act.c parse_http_res_capture, parse_http_req_capture).
      if (ctx.directive.keyword === 'http-response') return void fail(`expects 'id', found 'len'.`, 1);
      if (ctx.kind === 'backend') return void fail(`proxy '${ctx.proxy.name}' has no frontend capability.`);
      // `len` in a frontend: a new slot of the request captures, after those declared before (cfg_parse: nb_req_cap++).
      if (ctx.kind === 'defaults') return { type: 'capture', expression: expr, len: n.value };
      const id = ctx.proxy.captures.filter((c) => c.kind === 'request header' || c.kind === 'request slot').length;
      ctx.proxy.captures.push({ kind: 'request slot', name: '', len: n.value, loc: ctx.directive.loc });
      return { type: 'capture', expression: expr, len: n.value, id };
    },
  },
};

/** The normalizers taking an option word, and the word (parse_http_normalize_uri). */
const NORMALIZER_OPTIONS: Record<string, string> = { 'path-strip-dotdot': 'full', 'percent-to-uppercase': 'strict', 'percent-decode-unreserved': 'strict' };
const NORMALIZERS = ['path-merge-slashes', 'path-strip-dot', 'path-strip-dotdot', 'query-sort-by-name', 'percent-to-uppercase', 'percent-decode-unreserved', 'fragment-strip', 'fragment-encode'];

/** `normalize-uri <normalizer> [full|strict]`: experimental in HAProxy 2.6, allowed by a global `expose-experimental-directives` above. */
function parseNormalizeUri(args: readonly string[], fail: (m: string, i?: number) => void, ctx: ProxyDirectiveContext): HttpAction | undefined {
  const exposed = ctx.config.sections.some((s) => s.kind === 'global' && s.directives.some((d) => d.keyword === 'expose-experimental-directives'));
  if (!exposed) return void ctx.error(`'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'`, 0);
  const [name, option] = args;
  if (name === undefined) return void fail('missing argument <normalizer>.');
  if (!NORMALIZERS.includes(name)) return void fail(`unknown normalizer '${name}'.`, 0);
  const optionWord = NORMALIZER_OPTIONS[name];
  if (option !== undefined && optionWord !== undefined && option !== optionWord) return void fail(`unknown argument '${option}' for '${name}' normalizer.`, 1);
  const extra = optionWord !== undefined && option === optionWord ? 2 : 1;
  if (args.length > extra) {
    return void ctx.error(`'http-request normalize-uri' expects either 'if' or 'unless' followed by a condition but found '${args[extra]}'.`, extra + 1);
  }
  return { type: 'normalize-uri', normalizer: (option ? `${name} ${option}` : name) as UriNormalizer };
}

/**
 * The expression of `set-src|set-src-port|set-dst|set-dst-port <expr>` in http-request and
 * tcp-request rules (tcp_act.c tcp_parse_set_src_dst): one word, whose fetch must be usable where
 * the proxy reads request headers (HAProxy checks that for every phase, so `hdr()` passes even in
 * a connection rule, where it finds nothing); an error message and where otherwise. The same
 * for set-priority-class and set-priority-offset (queue.c parse_set_priority_class), whose message
 * names the word HAProxy has at hand instead of the expression (`named`: 'tcp-request', or the action).
 */
function addressExpression(args: readonly string[], ctx: ProxyDirectiveContext, named?: string): { expression: string } | { error: string; argIndex?: number; extra?: true } {
  const text = args[0];
  if (text === undefined) return { error: 'missing fetch method' };
  const sample = parseSampleExpression(text);
  if ('error' in sample) return { error: sample.error, argIndex: 0 };
  const maps = mapFilesProblem(ctx, sample.expr);
  if (maps) return { error: maps, argIndex: 0 };
  if (args.length > 1) return { error: args[1]!, argIndex: 1, extra: true };
  const fetch = sample.expr.fetch;
  const frontend = ctx.kind !== 'backend' && fetchUsableAt(fetch, 'frontend-http-request');
  const backend = ctx.kind !== 'frontend' && fetchUsableAt(fetch, 'backend-http-request');
  if (!frontend && !backend) return { error: `fetch method '${named ?? text}' extracts information from '${sourceNames(fetch.sources)}', none of which is available here`, argIndex: 0 };
  return { expression: text };
}

/** `http-request set-src|set-src-port|set-dst|set-dst-port|set-priority-class|set-priority-offset <expr>` */
function addressAction(type: 'set-src' | 'set-src-port' | 'set-dst' | 'set-dst-port' | 'set-priority-class' | 'set-priority-offset'): ActionParser {
  return (args, fail, ctx) => {
    const parsed = addressExpression(args, ctx, type.startsWith('set-priority') ? type : undefined);
    if ('expression' in parsed) return { type, expression: parsed.expression };
    if (parsed.extra) return void ctx.error(`'http-request ${type}' expects either 'if' or 'unless' followed by a condition but found '${parsed.error}'.`, 2);
    return void fail(`${parsed.error}.`, parsed.argIndex);
  };
}

function noArgument(type: 'reject' | 'silent-drop'): ActionParser {
  return (args, fail, ctx) => {
    if (args.length > 0) return void reportExtraWord(ctx, type, args[0]!, 1);
    return { type };
  };
}

function validRegex(regex: string, fail: (m: string, i?: number) => void, argIndex: number): boolean {
  try {
    new RegExp(regex);
    return true;
  } catch (e) {
    fail(`regex '${regex}' is invalid (${(e as Error).message.replace(/^Invalid regular expression: /, '')}).`, argIndex);
    return false;
  }
}

/** `replace-path|replace-pathq|replace-uri <match-regex> <replace-fmt>` */
function replaceUriAction(type: 'replace-path' | 'replace-pathq' | 'replace-uri'): ActionParser {
  return (args, fail, ctx) => {
    // http_act.c parse_replace_uri() counts its own words.
    if (args.length !== 2) return void fail('expects exactly 2 arguments <match-regex> and <replace-format>.');
    if (!validRegex(args[0]!, fail, 0)) return undefined;
    const replacement = logFormatValue(args[1]!, fail, 1, ctx);
    return replacement && { type, regex: args[0]!, replacement, replacementText: args[1]! };
  };
}

function replaceAction(type: 'replace-header' | 'replace-value'): ActionParser {
  return (args, fail, ctx) => {
    if (args.length < 3) return void fail('expects exactly 3 arguments.');
    if (args.length > 3) return void reportExtraWord(ctx, type, args[3]!, 4);
    if (!validRegex(args[1]!, fail, 1)) return undefined;
    const replacement = logFormatValue(args[2]!, fail, 2, ctx);
    return replacement && { type, name: args[0]!, regex: args[1]!, replacement, replacementText: args[2]! };
  };
}

/**
 * `set-var(<var>[,<cond>…]) <expr>`, `set-var-fmt(<var>[,<cond>…]) <fmt>`, `unset-var(<var>)` in http
 * and tcp rules (vars.c parse_store, with its messages); null when `action` is none of them.
 */
/**
 * A tcp rule's set-var / set-var-fmt / unset-var action (tcp-request and tcp-response): HAProxy
 * prints its error alone, at the action's argument. Undefined after reporting an error.
 */
export function parseTcpVariableAction(ctx: ProxyDirectiveContext, action: string, args: readonly string[]): ReturnType<typeof parseVariableAction> {
  let failed = false;
  const fail = (message: string, argIndex?: number): void => {
    failed = true;
    ctx.error(message, argIndex === undefined ? undefined : argIndex + 1);
  };
  const parsed = parseVariableAction(action, args, fail, ctx, '');
  return failed ? undefined : parsed;
}

export function parseVariableAction(action: string, args: readonly string[], fail: (m: string, i?: number) => void, ctx: ProxyDirectiveContext, end: '' | '.'): Extract<HttpAction, { type: 'set-var' | 'unset-var' | 'set-var-fmt' }> | undefined | null {
  const m = /^(set-var-fmt|set-var|unset-var)(.*)$/.exec(action);
  if (!m) return null;
  const type = m[1] as 'set-var-fmt' | 'set-var' | 'unset-var';
  const inner = m[2]!;
  const expects = `Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'`;
  if (!inner.startsWith('(')) return void fail(`invalid or incomplete action '${action}'. ${expects}${end}`, -1);
  if (!inner.endsWith(')') || inner.length < 2) return void fail(`incomplete argument after action '${action}'. ${expects}${end}`, -1);
  const target = parseSetVarTarget(inner.slice(1, -1));
  if ('error' in target) return void fail(`${target.error}${end}`, -1);
  if (type === 'unset-var' && target.conditions.length > 0) {
    return void fail(`unset-var does not expect parameters after the variable name. Only "set-var" and "set-var-fmt" manage conditions${end}`, -1);
  }
  const name = parseVarName(target.variable);
  if ('error' in name) return void fail(`${name.error}${end}`, -1);
  const variable = target.variable;
  const conditions = target.conditions.length > 0 ? { conditions: target.conditions } : {};
  // vars.c parse_store() reads the words it needs; the rule's parser then refuses any other before the condition.
  const needs = type === 'unset-var' ? 0 : 1;
  if (args.length > needs) return void reportExtraWord(ctx, action, args[needs]!, needs + 1);
  if (type === 'unset-var') return { type, variable };
  if (type === 'set-var-fmt') {
    // A missing format is an empty one (the variable is set to an empty string), as in HAProxy.
    const text = args[0] ?? '';
    const format = logFormatValue(text, fail, 0, ctx, end, false);
    return format && { type, variable, format, formatText: text, ...conditions };
  }
  const expr = args[0];
  if (expr === undefined) return void fail(`missing fetch method${end}`, -1);
  const sample = parseSampleExpression(expr);
  if ('error' in sample) return void fail(sample.error, 0);
  const maps = mapFilesProblem(ctx, sample.expr);
  if (maps) return void fail(`${maps}${end}`, 0);
  const unusable = unusableFetch(sample.expr.fetch, ruleCheckpoints(ctx), action);
  if (unusable) return void fail(`${unusable}${end}`, 0);
  return { type, variable, expression: expr, ...conditions };
}

/**
 * A word after the ones an action reads, before the condition: http_rules.c and tcp_rules.c refuse
 * it, each in its words. `argIndex` counts the directive's arguments (the action is 0).
 */
export function reportExtraWord(ctx: ProxyDirectiveContext, action: string, word: string, argIndex: number): void {
  const keyword = ctx.directive.keyword;
  if (keyword.startsWith('tcp-')) ctx.error(`'${keyword} ${action}' only accepts 'if' or 'unless', in ${ctx.sectionLabel} (got '${word}')`, argIndex);
  else ctx.error(`'${keyword} ${action}' expects either 'if' or 'unless' followed by a condition but found '${word}'.`, argIndex);
}

/** The one check point sc-set-gpt's expression is checked at, whatever the proxy (stick_table.c parse_set_gpt). */
const GPT_CHECKPOINTS: Readonly<Record<string, Checkpoint>> = {
  'http-request': 'frontend-http-request',
  'http-response': 'backend-http-response',
  'tcp-request session': 'frontend-tcp-request-session',
  'tcp-request content': 'frontend-tcp-request-content',
  'tcp-response content': 'backend-tcp-response-content',
};

/**
 * `sc-inc-gpc0|1[(<sc>)]`, `sc-inc-gpc(<idx>,<sc>)`, `sc-set-gpt0[(<sc>)] [<int>|<expr>]` and
 * `sc-set-gpt(<idx>,<sc>) <int>|<expr>` (stick_table.c parse_inc_gpc, parse_set_gpt; no (<sc>) means 0,
 * no value 0); null when `action` is none of them.
 */
function parseCounterAction(action: string, args: readonly string[], fail: (m: string, i?: number) => void, ctx: ProxyDirectiveContext, end: '' | '.'): Extract<HttpAction, { type: 'sc-inc-gpc' | 'sc-set-gpt' }> | undefined | null {
  const m = /^(sc-inc-gpc([01])?|sc-set-gpt(0)?)(?:\((.*)\))?$/.exec(action);
  if (!m) return null;
  const legacy = m[2] !== undefined || m[3] !== undefined;
  const inner = m[4];
  let index: number | undefined;
  let id = inner ?? '0';
  if (!legacy) {
    // The array forms name the element first: (<idx>,<sc>).
    const [what, form] = m[1] === 'sc-inc-gpc' ? ['gpc', 'sc-inc-gpc(<GPC ID>,<Track ID>)'] : ['gpt', 'sc-set-gpt(<GPT ID>,<Track ID>)'];
    if (inner === undefined) return void fail(`invalid ${what} ID '${action}'. Expects ${form}.`, -1);
    const comma = inner.indexOf(',');
    if (comma < 0 || !/^\d+$/.test(inner.slice(0, comma))) return void fail(`Missing ${what} ID '${action}'. Expects ${form}.`, -1);
    index = Number(inner.slice(0, comma));
    id = inner.slice(comma + 1);
  }
  if (!/^\d+$/.test(id) || Number(id) > 2) return void fail(`invalid stick table track ID '${action}'. The max allowed ID is 2.`, -1);
  const counter = Number(id) as 0 | 1 | 2;
  if (m[1]!.startsWith('sc-inc-gpc')) {
    if (args.length > 0) return void fail(`'${action}' takes no argument (was '${args[0]}').`, 0);
    return legacy ? { type: 'sc-inc-gpc', index: Number(m[2]), counter } : { type: 'sc-inc-gpc', index: index!, counter, array: true };
  }
  const at = index === undefined ? {} : { index };
  const value = args[0] ?? '';
  if (args.length > 1) return void fail(`'${action}' expects an integer or a sample expression (got '${args[1]}' after it).`, 1);
  if (/^-?\d*$/.test(value)) return { type: 'sc-set-gpt', counter, ...at, value: value === '' || value === '-' ? 0 : Number(value) };
  const sample = parseSampleExpression(value);
  if ('error' in sample) return void fail(sample.error, 0);
  const maps = mapFilesProblem(ctx, sample.expr);
  if (maps) return void fail(`${maps}${end}`, 0);
  const checkpoint = GPT_CHECKPOINTS[ctx.directive.keyword];
  const unusable = unusableFetch(sample.expr.fetch, checkpoint && [checkpoint], value);
  if (unusable) return void fail(`${unusable}${end}`, 0);
  return { type: 'sc-set-gpt', counter, ...at, expression: value };
}

/** `set-log-level <level>|silent` (stream.c stream_parse_set_log_level): a syslog level's name or 'silent'. */
export function isLogLevel(word: string | undefined): word is string {
  return word !== undefined && ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', 'silent'].includes(word);
}
export const LOG_LEVEL_EXPECTED = `expects exactly 1 argument (log level name or 'silent')`;

/** set-var(name) / unset-var(name) / track-sc0..2 / sc-inc-gpc0|1(sc): actions whose name carries an argument. */
function parseSpecialAction(action: string, args: readonly string[], fail: (m: string, i?: number) => void, ctx: ProxyDirectiveContext): HttpAction | undefined | null {
  const variableAction = parseVariableAction(action, args, fail, ctx, '.');
  if (variableAction !== null) return variableAction;
  const track = /^track-sc([012])$/.exec(action);
  if (track) {
    const key = args[0];
    if (key === undefined) return void fail(`'${action}' expects a key expression.`, -1);
    const sample = parseSampleExpression(key);
    if ('error' in sample) return void fail(sample.error, 0);
    const maps = mapFilesProblem(ctx, sample.expr);
    if (maps) return void fail(`${maps}.`, 0);
    const unusable = unusableFetch(sample.expr.fetch, ruleCheckpoints(ctx), key);
    if (unusable) return void fail(`${unusable}.`, 0);
    // http_act.c parse_http_track_sc(): an optional 'table <name>', then the condition.
    if (args[1] === 'table' && !args[2]) return void fail('missing table name.', 1);
    const extra = args[1] === 'table' ? 3 : 1;
    if (args.length > extra) return void reportExtraWord(ctx, action, args[extra]!, extra + 1);
    return { type: 'track-sc', counter: Number(track[1]) as 0 | 1 | 2, key, table: args[2] };
  }
  const counterAction = parseCounterAction(action, args, fail, ctx, '.');
  if (counterAction !== null) return counterAction;
  const mapAction = parseMapAction(action, args, fail, ctx);
  if (mapAction !== null) return mapAction;
  if (action === 'set-log-level') {
    const level = args[0];
    if (!isLogLevel(level)) return void fail(`${LOG_LEVEL_EXPECTED}.`, 0);
    if (args.length > 1) return void ctx.error(`'${ctx.directive.keyword} set-log-level' expects either 'if' or 'unless' followed by a condition but found '${args[1]}'.`, 2);
    return { type: 'set-log-level', level };
  }
  return null;
}

/**
 * One http rule action by name, as `<set> <action> <args>` would parse it; null when the set has no
 * such action (`stats http-request` reuses allow, deny and auth).
 */
export function parseHttpAction(set: RuleSet, action: string, args: readonly string[], fail: (message: string, argIndex?: number) => void, ctx: ProxyDirectiveContext): HttpAction | undefined | null {
  const spec = HTTP_ACTIONS[action];
  return spec && spec.sets.includes(set) ? spec.parse(args, fail, ctx) : null;
}

/** The actions Loadstar parses in an http rule set (those whose name carries an argument, such as set-var(), apart). */
export function httpActionNames(set: RuleSet): string[] {
  return Object.keys(HTTP_ACTIONS).filter((a) => HTTP_ACTIONS[a]!.sets.includes(set));
}

/** Whether HAProxy 2.6 has an http-request action of this name (Loadstar runs it or not). */
export function knownHttpRequestAction(action: string): boolean {
  const base = action.replace(/\(.*$/, '');
  return HTTP_ACTIONS[base]?.sets.includes('http-request') === true || HAPROXY_HTTP_ACTIONS.includes(base)
    || /^(set-var|unset-var|set-var-fmt|track-sc[012]|sc-inc-gpc[01]?|sc-set-gpt0?)$/.test(base) || base === 'set-log-level'
    || /^(set-map|del-map|add-acl|del-acl)/.test(action);
}

/**
 * HAProxy runs a proxy's http-request rules, then its `redirect` lines, then use_backend, then
 * use-server, whatever order the file writes them in; it warns when a line comes after one that
 * runs later (cfgparse-listen.c, warnif_misplaced_http_req / warnif_misplaced_redirect).
 */
function warnIfMisplaced(ctx: ProxyDirectiveContext, keyword: 'http-request' | 'redirect'): void {
  const p = ctx.proxy;
  const later = keyword === 'http-request' && p.redirectRules.length > 0 ? 'redirect'
    : p.switchingRules.length > 0 ? 'use_backend'
      : p.serverRules.length > 0 ? 'use-server' : undefined;
  if (later) ctx.warn(`a '${keyword}' rule placed after a '${later}' rule will still be processed before.`, undefined, 'LS_WARN_CFG_SUSPICIOUS');
}

/** `redirect location|prefix|scheme <to> [code N] [option …] [{if|unless} cond]` in a frontend, listen or backend. */
function parseRedirectDirective(ctx: ProxyDirectiveContext): void {
  const split = splitCondition(ctx, 0, 'a redirect rule', { head: `error detected in ${ctx.sectionLabel} while parsing redirect rule : error in condition:`, tail: '.' });
  if (!split.ok) return;
  let failed = false;
  const fail = (message: string, argIndex?: number): void => {
    failed = true;
    ctx.error(`error detected in ${ctx.sectionLabel} while parsing redirect rule : ${message}`, argIndex);
  };
  const action = parseRedirect(split.head, fail, ctx, 'text');
  if (failed || !action) return;
  warnIfMisplaced(ctx, 'redirect');
  warnIfConditionConflicts(ctx, split.condition, ruleCheckpoints(ctx));
  ctx.proxy.redirectRules.push({ action, condition: split.condition, loc: ctx.directive.loc });
}

/**
 * HAProxy's words for an error in an http rule's condition (http_rules.c): a redirect parses its own
 * condition and says so in its rule's message.
 */
function httpConditionWords(ctx: ProxyDirectiveContext, set: RuleSet, action: string): ConditionErrorWords {
  if (action === 'redirect') return { head: `error detected in ${ctx.sectionLabel} while parsing '${set} redirect' rule : error in condition:`, tail: '.' };
  return { head: `error detected while parsing an '${set} ${action}' condition :`, tail: '.' };
}

function parseHttpRule(set: RuleSet) {
  return (ctx: ProxyDirectiveContext): void => {
    const action = ctx.args[0];
    const available = Object.keys(HTTP_ACTIONS).filter((a) => HTTP_ACTIONS[a]!.sets.includes(set));
    const expects = `'${set}' expects ${HAPROXY_ACTION_LISTS[set].map((a) => `'${a}'`).join(', ')}`;
    if (action === undefined) return ctx.error(`${expects}, but got '' (missing argument).`);
    const split = splitCondition(ctx, 1, `an '${set} ${action}' rule`, httpConditionWords(ctx, set, action));
    if (!split.ok) return;
    const args = split.head.slice(1);
    let failed = false;
    const fail = (message: string, argIndex?: number): void => {
      failed = true;
      ctx.error(`error detected in ${ctx.sectionLabel} while parsing '${set} ${action}' rule : ${message}`, argIndex === undefined ? undefined : argIndex + 1);
    };
    const spec = HTTP_ACTIONS[action];
    let parsed: HttpAction | undefined | null;
    if (spec && spec.sets.includes(set)) parsed = spec.parse(args, fail, ctx);
    else if (!spec) parsed = set === 'http-request' || /^(set-var|unset-var|set-var-fmt)\(/.test(action) || (set === 'http-response' && (action === 'set-log-level' || /^(track-sc[012]|sc-inc-gpc[01]?(\(.*\))?|sc-set-gpt0?(\(.*\))?)$/.test(action) || /^(set-map|del-map|add-acl|del-acl)/.test(action))) ? parseSpecialAction(action, args, fail, ctx) : null;
    else parsed = null;
    if (failed) return;
    if (parsed === null) {
      const base = action.replace(/\(.*$/, '');
      if (!spec && (HAPROXY_HTTP_ACTIONS.includes(base) || /^track-sc\d$/.test(base))) {
        return ctx.error(`'${set} ${base}' is not supported by Loadstar yet (supported: ${available.join(', ')}).`, 0, 'LS_ERR_CFG_UNSUPPORTED');
      }
      const hint = suggestAction(action, HAPROXY_ACTION_LISTS[set]);
      return ctx.error(`${expects}, but got '${action}'.${hint ? ` Did you mean '${hint}' maybe ?` : ''}`, 0);
    }
    if (parsed === undefined) return;
    const rule: HttpRule = { action: parsed, condition: split.condition, loc: ctx.directive.loc };
    if (set === 'http-request') warnIfMisplaced(ctx, 'http-request');
    warnIfConditionConflicts(ctx, split.condition, ruleCheckpoints(ctx));
    if (set === 'http-request') ctx.proxy.httpRequestRules.push(rule);
    else if (set === 'http-response') ctx.proxy.httpResponseRules.push(rule);
    else ctx.proxy.httpAfterResponseRules.push(rule);
  };
}

/**
 * What HAProxy 2.6 lists when a tcp-request rule names no action it knows (tcp_rules.c): its
 * built-in actions, then the registered ones of the phase in registration order, '(*)' where the
 * name takes an argument; the built-ins are also the extra words of its "Did you mean".
 */
const TCP_BUILTIN_ACTIONS = "'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2'";
const TCP_SUGGEST_EXTRA = ['accept', 'reject', 'capture', 'track-sc', 'expect-proxy', 'expect-netscaler-cip'];
const TCP_CONNECTION_ACTIONS = ['sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop'];
const TCP_ACTION_LISTS: Readonly<Record<'connection' | 'content' | 'session', readonly string[]>> = {
  connection: TCP_CONNECTION_ACTIONS,
  session: TCP_CONNECTION_ACTIONS,
  content: ['ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset'],
};
const tcpHint = (phase: 'connection' | 'content' | 'session', action: string): string => {
  const hint = suggestAction(action, TCP_ACTION_LISTS[phase], TCP_SUGGEST_EXTRA);
  return hint ? ` Did you mean '${hint}' maybe ?` : '';
};
const tcpActionList = (phase: 'connection' | 'content' | 'session'): string => `${TCP_BUILTIN_ACTIONS}, ${TCP_ACTION_LISTS[phase].map((a) => `'${a}'`).join(', ')}`;
const HAPROXY_TCP_ACTIONS = ['expect-netscaler-cip', 'ot-group', 'set-nice', 'send-spoe-group', 'do-resolve', 'set-mark', 'set-tos', 'set-priority-class', 'set-priority-offset', 'attach-srv'];

/**
 * `tcp-request content switch-mode http [proto <name>]` (HAProxy's parse_tcp_switch_stream_mode and
 * check_tcp_switch_stream_mode, their messages): a frontend's connection becomes an HTTP one at
 * that rule (tcp/frontend.ts hands it to the HTTP engine). `proto` names the HTTP mux: h1 or h2.
 */
function parseSwitchMode(ctx: ProxyDirectiveContext, args: readonly string[]): TcpRequestRule['action'] | undefined {
  if (ctx.kind === 'backend') return void ctx.error(`'tcp-request switch-mode' not allowed because backend '${ctx.proxy.name}' has no frontend capability`, 0);
  const mode = args[0];
  if (mode === undefined) return void ctx.error(`'tcp-request switch-mode' expects a mode as argument.`, 0);
  if (mode !== 'http') return void ctx.error(`'tcp-request switch-mode' expects a valid mode (got '${mode}').`, 1);
  if (args.length === 1) return { type: 'switch-mode' };
  if (args[1] !== 'proto') return void ctx.error(`'tcp-request content switch-mode' only accepts 'if' or 'unless', in ${ctx.sectionLabel} (got '${args[1]}')`, 2);
  const proto = args[2];
  if (proto === undefined || !['h1', 'h2', 'fcgi', 'none'].includes(proto) || args.length > 3) {
    return void ctx.error(`'tcp-request switch-mode': 'proto' expects a valid MUX protocol, if specified (got '${proto ?? ''}')`, 3);
  }
  if (proto !== 'h1' && proto !== 'h2') return void ctx.error(`Proxy '${ctx.proxy.name}': MUX protocol '${proto}' is not compatible with the selected mode.`, 3);
  return { type: 'switch-mode', proto };
}

function parseTcpRequest(phase: 'connection' | 'content' | 'session') {
  return (ctx: ProxyDirectiveContext): void => {
    if (phase !== 'content' && ctx.kind === 'backend') {
      return ctx.error(`tcp-request ${phase} is not allowed because backend ${ctx.proxy.name} is not a frontend`);
    }
    const action = ctx.args[0];
    const split = splitCondition(ctx, 1, `a 'tcp-request ${phase}' rule`, { head: (kw) => `'tcp-request ${phase} ${action ?? ''}' : error detected in ${ctx.sectionLabel} while parsing '${kw}' condition :` });
    if (!split.ok) return;
    const args = split.head.slice(1);
    const where = `in ${ctx.sectionLabel}`;
    let result: TcpRequestRule['action'] | undefined;
    if (action === 'expect-proxy') {
      // HAProxy names the word that follows, even when it is the condition's 'if'.
      const next = ctx.args[ctx.args.indexOf('expect-proxy') + 1] ?? '';
      if (next !== 'layer4') return ctx.error(`'tcp-request ${phase} expect-proxy' only supports 'layer4' ${where} (got '${next}')`, 1);
      if (phase !== 'connection') return ctx.error(`'expect-proxy layer4' is not allowed in 'tcp-request ${phase}' rules ${where}`, 0);
      if (args.length > 1) return ctx.error(`'tcp-request ${phase} expect-proxy' only accepts 'if' or 'unless', ${where} (got '${args[1]}')`, 2);
      result = { type: 'expect-proxy' };
    } else if (action === 'accept' || action === 'reject' || action === 'silent-drop') {
      if (args.length > 0) return ctx.error(`'tcp-request ${phase} ${action}' only accepts 'if' or 'unless', ${where} (got '${args[0]}')`, 1);
      result = { type: action };
    } else if (action !== undefined && /^track-sc[012]$/.test(action)) {
      if (args[0] === undefined) return ctx.error(`'tcp-request ${phase} ${action}' expects a key expression.`, 0);
      const sample = parseSampleExpression(args[0]);
      if ('error' in sample) return ctx.error(`'tcp-request ${phase} ${action}' : ${sample.error}`, 1);
      const maps = mapFilesProblem(ctx, sample.expr);
      if (maps) return ctx.error(`'tcp-request ${phase} ${action}' : ${maps}`, 1, 'LS_ERR_CFG_FILE');
      const unusable = unusableFetch(sample.expr.fetch, ruleCheckpoints(ctx), args[0]);
      if (unusable) return ctx.error(`'tcp-request ${phase} ${action}' : ${unusable}`, 1);
      // tcp_rules.c: an optional 'table <name>', then the condition.
      // (Its "missing table name" never shows: the table named '' is not found once the configuration is read.)
      if (args[1] === 'table' && !args[2]) return ctx.error(`Proxy '${ctx.proxy.name}': unable to find table '' referenced by ${action}.`, 2);
      const extra = args[1] === 'table' ? 3 : 1;
      if (args.length > extra) return reportExtraWord(ctx, action, args[extra]!, extra + 1);
      result = { type: 'track-sc', counter: Number(action.slice(-1)) as 0 | 1 | 2, key: args[0], table: args[2] };
    } else if (action !== undefined && /^(set-var-fmt|set-var|unset-var)\(/.test(action)) {
      const parsed = parseTcpVariableAction(ctx, action, args);
      if (!parsed) return;
      result = parsed;
    } else if (action !== undefined && /^(sc-inc-gpc[01]?|sc-set-gpt0?)(\(.*\))?$/.test(action)) {
      let failed = false;
      const fail = (message: string, argIndex?: number): void => {
        failed = true;
        ctx.error(message, argIndex === undefined ? undefined : argIndex + 1);
      };
      const parsed = parseCounterAction(action, args, fail, ctx, '');
      if (failed || !parsed) return;
      result = parsed;
    } else if (action === 'capture') {
      // tcp_rules.c: captures fill the stream's slots, which connection and session rules come before.
      if (phase !== 'content') return ctx.error(`'capture ${args[0] ?? ''}' is not allowed in 'tcp-request ${phase}' rules in ${ctx.sectionLabel}`, 0);
      // tcp_rules.c: the expression first, then 'len <n>' (n > 0), then only the condition; its words.
      const capture = `'tcp-request ${phase} capture'`;
      if (args[0] === undefined) return ctx.error(`${capture} : missing fetch method`, 0);
      const sample = parseSampleExpression(args[0]);
      if ('error' in sample) return ctx.error(`${capture} : ${sample.error}`, 1);
      const maps = mapFilesProblem(ctx, sample.expr);
      if (maps) return ctx.error(`${capture} : ${maps}`, 1, 'LS_ERR_CFG_FILE');
      const unusable = unusableFetch(sample.expr.fetch, ruleCheckpoints(ctx), args[0]);
      if (unusable) return ctx.error(`${capture} : ${unusable}`, 1);
      if (args[1] !== 'len') return ctx.error(`${capture} : a positive 'len' argument is mandatory`, 2);
      // HAProxy reads the length with atoi(): Loadstar takes digits only (test/scenarios/invalid/README.md).
      const n = /^\d+$/.test(args[2] ?? '') && Number(args[2]) > 0 ? { value: Number(args[2]) } : { error: `${capture} : length must be > 0` };
      if (n.error !== undefined) return ctx.error(n.error, 3);
      if (args.length > 3) return ctx.error(`${capture} only accepts 'if' or 'unless', ${where} (got '${args[3]}')`, 4);
      result = { type: 'capture', expression: args[0]!, len: n.value };
    } else if (action === 'use-service' && phase === 'content') {
      // The one service Loadstar has answers HTTP requests only (promex service_parse_prometheus_exporter).
      if (args[0] === undefined) return ctx.error(`'tcp-request' expects a service name.`, 0);
      if (args[0] === 'prometheus-exporter') return ctx.error("Prometheus exporter service only available on 'http-request' rulesets", 1);
      return ctx.error(`'${phase}' unknown service name.`, 1);
    } else if (action === 'switch-mode' && phase === 'content') {
      const parsed = parseSwitchMode(ctx, args);
      if (!parsed) return;
      result = parsed;
    } else if (action === 'switch-mode') {
      return ctx.error(`'tcp-request ${phase}' expects ${tcpActionList(phase)} ${where} (got '${action}').${tcpHint(phase, action)}`, 0);
    } else if (action === 'set-src' || action === 'set-src-port' || action === 'set-dst' || action === 'set-dst-port'
      || ((action === 'set-priority-class' || action === 'set-priority-offset') && phase === 'content')) {
      const parsed = addressExpression(args, ctx, action.startsWith('set-priority') ? 'tcp-request' : undefined);
      if (!('expression' in parsed)) {
        if (parsed.extra) return ctx.error(`'tcp-request ${phase} ${action}' only accepts 'if' or 'unless', ${where} (got '${parsed.error}')`, 2);
        return ctx.error(parsed.error, parsed.argIndex === undefined ? undefined : parsed.argIndex + 1);
      }
      result = { type: action, expression: parsed.expression };
    } else if (action === 'set-log-level' && phase === 'content') {
      if (!isLogLevel(args[0])) return ctx.error(LOG_LEVEL_EXPECTED, 1);
      if (args.length > 1) return ctx.error(`'tcp-request ${phase} ${action}' only accepts 'if' or 'unless', ${where} (got '${args[1]}')`, 2);
      result = { type: 'set-log-level', level: args[0] };
    } else if (action !== undefined && HAPROXY_TCP_ACTIONS.includes(action.replace(/\(.*$/, '')) && !action.startsWith('set-priority') && action !== 'set-log-level') {
      return ctx.error(`'tcp-request ${phase} ${action}' is not supported by Loadstar yet.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
    } else {
      return ctx.error(`'tcp-request ${phase}' expects ${tcpActionList(phase)} ${where} (got '${action ?? ''}').${tcpHint(phase, action ?? '')}`, 0);
    }
    if (!result) return;
    warnIfConditionConflicts(ctx, split.condition, ruleCheckpoints(ctx), `tcp-request ${phase}`);
    ctx.proxy.tcpRequestRules.push({ phase, action: result, condition: split.condition, loc: ctx.directive.loc });
  };
}

registerProxyKeywords([
  {
    name: 'option http-restrict-req-hdr-names',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Request header names with characters other than letters, digits and \'-\': `preserve` (default) keeps them, `delete` removes them, `reject` denies the request (403); after the proxy\'s http-request rules, in the frontend and again in the backend.',
    parse(ctx) {
      const mode = ctx.args[0];
      const expects = `option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.`;
      if (mode === undefined) return ctx.error(`missing parameter. ${expects}`);
      if (mode !== 'preserve' && mode !== 'reject' && mode !== 'delete') return ctx.error(`invalid parameter '${mode}'. ${expects}`, 0);
      if (ctx.args.length > 1) return ctx.error(`'option' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
      ctx.proxy.options['http-restrict-req-hdr-names'] = { enabled: true, args: [mode], loc: ctx.directive.loc };
    },
  },
  {
    name: 'declare capture',
    sections: 'fl',
    status: ENGINE,
    summary: 'Declares a request or response capture slot (`len N`) that http-request / http-response capture … id rules fill: %hr / %hs and capture.req.hdr / capture.res.hdr show it.',
    parse(ctx) {
      // proxy.c proxy_parse_declare(): its messages; words after the length are not read.
      const [dir, lenWord, len] = ctx.args;
      if (dir !== 'request' && dir !== 'response') return ctx.error(`'declare capture' requires a direction ('request' or 'response')`, 0);
      if (lenWord !== 'len') return ctx.error(`'declare capture' requires a capture length ('len')`, 1);
      if (!len) return ctx.error(`'declare capture': 'len' requires a numeric value that represents the capture length`, 1);
      const v = parseInteger(len, 'declare capture len', 1, 65535);
      if (v.error !== undefined) return ctx.error(v.error, 2);
      ctx.proxy.captures.push({ kind: `${dir} slot`, name: '', len: v.value, loc: ctx.directive.loc });
    },
  },
  { name: 'http-request', sections: 'nflb', status: ENGINE, summary: 'Request rules: redirect, set/add/del/replace-header, set-path, set-method, replace-path/uri, deny, reject, silent-drop, allow, return, auth, disable-l7-retry, set-var, set-var-fmt, track-sc, sc-inc-gpc0/1, sc-inc-gpc(<idx>,<sc>), sc-set-gpt0, sc-set-gpt(<idx>,<sc>), use-service, cache-use (a fresh object of the named cache answers, as HAProxy\'s <CACHE>), set-log-level (silent: no log line), strict-mode (on by default: a set/add/replace-header that leaves the head larger than tune.bufsize ends the exchange with a 500, logged PR or PH and counted in wrew, as in HAProxy; off: the exchange goes on, with the rewrite, where HAProxy drops the rewrite that did not fit), set-src/set-src-port/set-dst/set-dst-port (for this request: what src, dst, the log\'s %ci/%cp/%fi/%fp and option forwardfor see), early-hint <name> <fmt> (early-hint rules next to each other send one 103 Early Hints answer with their headers at once, to HTTP/1.1 clients and as an interim HEADERS frame to HTTP/2 ones; HTTP/1.0 clients get none), wait-for-handshake (accepted, no effect: HAProxy holds requests that came in TLS 1.3 early data until the handshake ends; Node never accepts early data, so a request always comes after its handshake), set-priority-class/set-priority-offset (where the request waits when its servers are full: a queue is served by class, lower first, then by the time a request queued plus its offset in ms; prio_class/prio_offset read them), normalize-uri (every HAProxy 2.6 normalizer; experimental there: needs a global expose-experimental-directives), wait-for-body time <time> [at-least <bytes>] (the rules after it wait for the body: all of it, a full buffer or at-least bytes; 408 when it does not come in time; rules before it, and rules without a wait, see the body that came with the head, as in HAProxy). The URI rules work on the URI as HAProxy 2.6 holds it: an HTTP/2 request with :authority has it in absolute form (`url`, `url_beg` and replace-uri see `https://host/path`; set-path, set-query and replace-path its path), set-uri and replace-uri replace it whole (the server gets what they wrote) and make a written authority the Host header, and set-path / set-pathq / set-query keep an absolute-form target\'s scheme and authority. set-var and set-var-fmt take conditions: set-var(<name>,ifexists,ifgt…). set-map(<file>) <key> <value>, del-map(<file>) <key>, add-acl(<file>) <key>, del-acl(<file>) <key> (log-format key and value) change the in-memory entries of a map or -f pattern file the configuration reads, seen at once by map converters and ACLs (and the runtime API); a reload reads the files again.', parse: parseHttpRule('http-request') },
  { name: 'http-response', sections: 'nflb', status: ENGINE, summary: 'Response rules: set/add/del/replace-header, replace-value, set-status, set-var, set-var-fmt (with conditions), set-log-level, cache-store (stores a cacheable 200 answer to a GET in the named cache), track-sc, sc-inc-gpc0/1, sc-inc-gpc(<idx>,<sc>), sc-set-gpt0, sc-set-gpt(<idx>,<sc>), capture … id, allow, deny (502 unless a status is given), return, redirect (the answer replaces the server\'s; the server connection is closed), strict-mode (on by default: a set/add/replace-header that leaves the head larger than tune.bufsize ends the exchange with a 500, logged PR or PH and counted in wrew, as in HAProxy; off: the exchange goes on, with the rewrite, where HAProxy drops the rewrite that did not fit), set-map/del-map/add-acl/del-acl (as in http-request).', parse: parseHttpRule('http-response') },
  { name: 'http-after-response', sections: 'nflb', status: ENGINE, summary: 'Rules applied to every response, including Loadstar\'s own.', parse: parseHttpRule('http-after-response') },
  {
    name: 'redirect',
    sections: 'flb',
    status: ENGINE,
    summary: 'Answers with a redirection (`location`, `prefix` or `scheme` <to>, `code` 301/302/303/307/308, `drop-query`, `append-slash`, `set-cookie`, `clear-cookie`) when the condition matches: after the proxy\'s http-request rules and its stats page, before use_backend. The target is plain text, not log-format (use `http-request redirect` for that).',
    parse: parseRedirectDirective,
  },
  { name: 'tcp-request connection', sections: 'nfl', status: ENGINE, summary: 'Rules on a new connection before any data (accept, reject, `expect-proxy layer4` (the connection must start with a PROXY protocol header, read once the rules are done), track-sc, sc-inc-gpc0/1, sc-inc-gpc(<idx>,<sc>), sc-set-gpt0, sc-set-gpt(<idx>,<sc>), set-src/set-src-port/set-dst/set-dst-port (the connection\'s addresses, for all it carries: src, dst, the log\'s %ci/%cp/%fi/%fp, option forwardfor, send-proxy, balance source; a server written `0.0.0.0` or without a port connects to the new destination in TCP mode)).', parse: parseTcpRequest('connection') },
  { name: 'tcp-request session', sections: 'nfl', status: ENGINE, summary: 'Rules once the session is set up (after the TLS handshake), once per connection: accept, reject, silent-drop, track-sc, sc-inc-gpc0/1, sc-inc-gpc(<idx>,<sc>), sc-set-gpt0, sc-set-gpt(<idx>,<sc>), set-var/set-var-fmt/unset-var, set-src/set-src-port/set-dst/set-dst-port (the connection\'s addresses, as in connection rules). A refused connection is closed (silent-drop: reset) and not logged.', parse: parseTcpRequest('session') },
  { name: 'tcp-request content', sections: 'nflb', status: ENGINE, summary: 'Rules on the first bytes of content (e.g. SNI routing); in HTTP mode, on each request once its head is parsed (reject closes the connection without an answer). `switch-mode http [proto h1|h2]` in a frontend: the connection goes on as HTTP from that rule (the frontend\'s http-request rules, option forwardfor and use_backend then apply to each request); a TCP frontend whose backend is `mode http` is upgraded the same way when the backend is chosen. set-src/set-src-port/set-dst/set-dst-port: in TCP mode the connection\'s addresses; in HTTP mode the request\'s only, as http-request set-src. set-priority-class/set-priority-offset: the stream\'s place in a queue, as in http-request. set-log-level <level>|silent: the level of the connection\'s log line (TCP mode) or the request\'s (HTTP mode), or no line.', parse: parseTcpRequest('content') },
  {
    name: 'tcp-request inspect-delay',
    sections: 'nflb',
    status: ENGINE,
    summary: 'How long content rules may wait for data.',
    parse(ctx) {
      const t = parseTime(ctx.args[0] ?? '', 'tcp-request inspect-delay');
      if (t.error !== undefined) return ctx.error(t.error, 0);
      if (t.warning) ctx.warn(t.warning, 0, 'LS_WARN_CFG_SUSPICIOUS');
      ctx.proxy.inspectDelay = t.value;
    },
  },
]);


/** Where a fetch reads the request's contents (HAProxy's SMP_USE_L6REQ|HRQHV|HRQHP|HRQBO). */
const REQUEST_CONTENTS: ReadonlySet<SampleSource> = new Set(['L6REQ', 'HRQHV', 'HRQHP', 'HRQBO']);
const readsContents = (fetch: FetchDef): boolean => fetch.sources.some((s) => REQUEST_CONTENTS.has(s));

/** Some fetch of the condition (its named ACLs' included) reads the request's contents. */
function conditionReadsContents(condition: Condition, proxy: Proxy): boolean {
  for (const and of condition.terms) {
    for (const term of and.terms) {
      const decls = term.kind === 'anon' ? [term.acl] : proxy.acls.get(term.name) ?? (term.predefined ? [predefinedAcl(term.name)!].filter(Boolean) : []);
      if (decls.some((d) => readsContents(d.sample.fetch))) return true;
    }
  }
  return false;
}

/** Where a fetch reads raw bytes of the connection (HAProxy's SMP_USE_L6REQ|L6RES). */
const LAYER6: ReadonlySet<SampleSource> = new Set(['L6REQ', 'L6RES']);

/** Some fetch of the condition (its named ACLs' included) reads raw bytes (res.len, req.payload …). */
function conditionReadsLayer6(condition: Condition, proxy: Proxy): boolean {
  for (const and of condition.terms) {
    for (const term of and.terms) {
      const decls = term.kind === 'anon' ? [term.acl] : proxy.acls.get(term.name) ?? (term.predefined ? [predefinedAcl(term.name)!].filter(Boolean) : []);
      if (decls.some((d) => d.sample.fetch.sources.some((s) => LAYER6.has(s)))) return true;
    }
  }
  return false;
}

/**
 * HAProxy 2.6's warning on an HTTP proxy's rule whose condition reads raw bytes (warnif_tcp_http_cond,
 * from check_action_rules): an HTTP stream's buffer holds no such bytes, so the condition never sees any.
 */
export function checkLayer6Conditions(proxy: Proxy, diagnostics: Diagnostics): void {
  if (proxy.mode !== 'http') return;
  const rules: Array<{ condition?: Condition; loc: HttpRule['loc'] }> = [
    ...proxy.tcpRequestRules, ...(proxy.tcpResponseRules ?? []), ...proxy.httpRequestRules, ...proxy.httpResponseRules, ...proxy.httpAfterResponseRules,
  ];
  for (const rule of rules) {
    if (rule.condition && conditionReadsLayer6(rule.condition, proxy)) {
      diagnostics.warn(rule.loc, 'LS_WARN_CFG_SUSPICIOUS', `Proxy '${proxy.name}': L6 sample fetches ignored on HTTP proxies (declared at ${rule.loc.file}:${rule.loc.line}).`);
    }
  }
}

/**
 * HAProxy 2.6's warnings on `tcp-request content track-sc*` rules of a frontend (check_trk_action):
 * a key read from the contents with no inspect-delay, and, in HTTP mode, a rule that reads nothing of
 * the request, which HAProxy advises to move to the session level.
 */
export function checkTcpTrackRules(proxy: Proxy, diagnostics: Diagnostics): void {
  if (proxy.kind !== 'frontend' && proxy.kind !== 'listen') return;
  for (const rule of proxy.tcpRequestRules) {
    if (rule.phase !== 'content' || rule.action.type !== 'track-sc') continue;
    const parsed = parseSampleExpression(rule.action.key);
    if ('error' in parsed) continue;
    const fetch = parsed.expr.fetch;
    if (proxy.inspectDelay === undefined && !fetchUsableAt(fetch, 'frontend-tcp-request-session')) {
      diagnostics.warn(rule.loc, 'LS_WARN_CFG_SUSPICIOUS', `${proxy.kind} '${proxy.name}' : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay' setting. This means that this rule will randomly find its contents. This can be fixed by setting the tcp-request inspect-delay.`, 'tcp-request content');
    }
    if (proxy.mode === 'http' && !readsContents(fetch) && (!rule.condition || !conditionReadsContents(rule.condition, proxy))) {
      diagnostics.warn(rule.loc, 'LS_WARN_CFG_SUSPICIOUS', `${proxy.kind} '${proxy.name}' : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests).`, 'tcp-request content');
    }
  }
}
