/**
 * Whether a frontend keeps each request's line for its log: HAProxy's `to_log & LW_REQ`, which
 * makes it copy the line to `txn->uri` as the request arrives (http_ana.c). `capture.req.method`
 * and `capture.req.uri` read that copy, so they find nothing in a frontend that does not keep it.
 *
 * HAProxy sets LW_REQ while it parses any log-format string of the proxy (log.c): for a variable
 * that shows the request line (%r, %HM, %HP, %HPO, %HQ, %HU, %HV, %rt), and for every `%[…]` sample
 * once the proxy is known to need HTTP (`http_needed`). That need is set by the sample's own fetch
 * when it reads HTTP, by an earlier rule condition that reads HTTP, and, for the strings compiled
 * after the whole configuration is read (the access-log format, log-format-sd, unique-id-format,
 * dynamic use_backend and use-server names), by the proxy being in HTTP mode.
 */
import type { Condition, LogFormatToken, SampleExpr } from '../acl/index.ts';
import { parseLogFormat, predefinedAcl } from '../acl/index.ts';
import { accessLogFormatText } from './log-format-choice.ts';
import type { Proxy, SourceLocation } from './model.ts';
import { conditionalRules } from './sample-refs.ts';

/** log.c's logformat_keywords whose flag is LW_REQ. */
const REQUEST_LINE_VARIABLES = new Set(['r', 'HM', 'HP', 'HPO', 'HQ', 'HU', 'HV', 'rt']);
/** SMP_USE_HTTP_ANY. */
const HTTP_SOURCES = new Set(['HRQHV', 'HRQHP', 'HRQBO', 'HRSHV', 'HRSHP', 'HRSBO']);

const readsHttp = (expr: SampleExpr): boolean => expr.fetch.sources.some((s) => HTTP_SOURCES.has(s));

/** Whether one log-format string sets LW_REQ, `httpNeeded` saying whether the proxy needed HTTP before it. */
function setsRequestLine(tokens: readonly LogFormatToken[], httpNeeded: boolean): boolean {
  return tokens.some((t) => (t.kind === 'var' && REQUEST_LINE_VARIABLES.has(t.name)) || (t.kind === 'sample' && (httpNeeded || readsHttp(t.expr))));
}

/** Whether a rule condition reads HTTP (acl.c: the condition's use flags make `http_needed`). */
function conditionReadsHttp(proxy: Proxy, condition: Condition | undefined): boolean {
  for (const and of condition?.terms ?? []) {
    for (const term of and.terms) {
      const decls = term.kind === 'anon' ? [term.acl] : (proxy.acls.get(term.name) ?? (term.predefined ? [predefinedAcl(term.name)!] : []));
      if (decls.some((d) => d && readsHttp(d.sample))) return true;
    }
  }
  return false;
}

const isTokens = (v: unknown): v is LogFormatToken[] => Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'object' && t !== null && 'kind' in t);

function parsedTokens(text: string): LogFormatToken[] | undefined {
  const parsed = parseLogFormat(text);
  return 'error' in parsed ? undefined : parsed.tokens;
}

/**
 * The log-format strings of a rule's action: its fields of tokens, and the `lf-string` body and
 * `hdr` values of a return, deny or tarpit answer (kept as text).
 */
function actionFormats(action: object): LogFormatToken[][] {
  const found: LogFormatToken[][] = [];
  for (const value of Object.values(action)) if (isTokens(value)) found.push(value);
  const answer = action as { body?: { kind: string; text?: string }; headers?: Array<{ value: string }> };
  const texts = [answer.body?.kind === 'lf-string' ? answer.body.text : undefined, ...(Array.isArray(answer.headers) ? answer.headers.map((h) => h.value) : [])];
  for (const text of texts) {
    const tokens = text === undefined ? undefined : parsedTokens(text);
    if (tokens) found.push(tokens);
  }
  return found;
}

/** Line `a` comes before line `b` of the same file. */
const before = (a: SourceLocation, b: SourceLocation): boolean => a.file === b.file && a.line < b.line;

/** HAProxy's `to_log & LW_REQ` for a frontend or listen section (false for the others). */
export function keepsRequestLine(proxy: Proxy): boolean {
  if (proxy.kind !== 'frontend' && proxy.kind !== 'listen') return false;
  const conditioned = conditionalRules(proxy).filter((r) => conditionReadsHttp(proxy, r.condition)).map((r) => r.loc);

  // The strings of rule actions, parsed line by line as the section is read.
  const families = [proxy.httpRequestRules, proxy.httpResponseRules, proxy.httpAfterResponseRules, proxy.redirectRules, proxy.tcpRequestRules, proxy.tcpResponseRules ?? []];
  for (const rules of families) {
    for (const rule of rules) {
      const httpNeeded = conditioned.some((loc) => before(loc, rule.loc));
      if (actionFormats(rule.action).some((tokens) => setsRequestLine(tokens, httpNeeded))) return true;
    }
  }

  // The strings compiled once the whole configuration is read.
  const httpNeeded = proxy.mode === 'http' || conditioned.length > 0;
  const accessLog = accessLogFormatText(proxy);
  const late = [accessLog === undefined ? undefined : parsedTokens(accessLog), proxy.logFormatSd?.tokens, proxy.uniqueIdFormat?.tokens, proxy.errorLogFormat?.tokens];
  for (const rule of proxy.switchingRules) if (rule.dynamic) late.push(parsedTokens(rule.backend));
  for (const rule of proxy.serverRules) if (rule.dynamic) late.push(parsedTokens(rule.server));
  return late.some((tokens) => tokens !== undefined && setsRequestLine(tokens, httpNeeded));
}
