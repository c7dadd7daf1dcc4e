/**
 * HTTP checks: `option httpchk [METH] [URI] [VER]` and `http-check send`
 * build the request; `http-check expect [!]status|rstatus|string|rstring`
 * judge the answer (default: 2xx and 3xx pass). The response is framed by
 * Node's llhttp, never by hand. `http-check disable-on-404` turns a 404 from a
 * server that is not DOWN into L7OKC (NOLB). `uri-lf`, `body-lf` and header
 * values are log-format strings rendered for each check (check-format.ts).
 * Each `http-check connect` opens one more exchange of the same check run;
 * `set-var` / `set-var-fmt` / `unset-var` rules run in order between them
 * (check-vars.ts), those after an expect reading the response with res.*
 * fetches. `http-check send-state` adds X-Haproxy-Server-State to every request
 * (ServerCheck.stateHeader).
 */
import type net from 'node:net';
import type { HeaderExpect, HttpCheckExpect, HttpCheckRule, HttpCheckRequest } from '../config/model.ts';
import { newParser, RESPONSE, LENIENT_RESPONSE, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from '../runtime/llhttp.ts';
import type { HeadersCompleteCallback } from '../runtime/llhttp.ts';
import type { TLSSocket } from 'node:tls';
import { CheckConnection, failure } from './connection.ts';
import { h2CheckExchange } from './h2-check.ts';
import { checkText } from './check-format.ts';
import type { CheckText } from './check-format.ts';
import { checkRunVars, compileCheckVar, compilePortExpr, compileStatusCodeExpr } from './check-vars.ts';
import type { CheckVarStep } from './check-vars.ts';
import type { SampleContext } from '../acl/index.ts';
import type { CheckCode, CheckResult, CheckTarget, FcgiCheckMux, Probe, ProbeContext } from './types.ts';

/** One request of a check. */
export interface HttpCheckRequestSpec {
  method: string;
  uri: CheckText;
  version: string;
  headers: Array<{ name: string; value: CheckText }>;
  body?: CheckText;
}

/** What follows a request: an expectation on its response, or a variable rule. */
type AfterSend = { expect: HttpCheckExpect } | { vars: CheckVarStep };

/**
 * One connection of a check: `http-check connect` (the first one may be
 * implicit), its variable rules before the send, the request, then its expects
 * and variable rules in order (those before the first expect run before the
 * response arrives, as HAProxy's do).
 */
export interface HttpExchange {
  /** `http-check connect port N`; else the check's port. */
  port?: number;
  /** `http-check connect port <expr>`, evaluated at each connect (before `port`). */
  portExpr?: (ctx: SampleContext | undefined) => number | undefined;
  before: CheckVarStep[];
  request: HttpCheckRequestSpec;
  after: AfterSend[];
  /** `http-check connect proto h1|h2`: this connection's protocol, whatever else says. */
  proto?: 'h1' | 'h2';
  /** The connect line names its ALPN protocols: what TLS agrees on chooses the protocol. */
  lineAlpn?: boolean;
  /** The connection is the check's default one (no connect line, or `connect default`): the server's check-proto applies. */
  defaultConnect: boolean;
}

export interface HttpCheckSpec {
  exchanges: HttpExchange[];
  disableOn404: boolean;
  /** `http-check send-state`: each request carries X-Haproxy-Server-State (ProbeContext.serverState). */
  sendState: boolean;
  /** The server's `check-proto`, else its `proto` (HAProxy's check->mux_proto): the default connection's protocol. */
  checkProto?: 'h1' | 'h2';
  /** The server has `check-alpn`: what TLS agrees on chooses the protocol (else HTTP/1.1, as HAProxy's mux choice). */
  checkAlpn?: boolean;
  /** A `proto fcgi` server (check.c: its mux for HTTP checks): the default connection speaks FastCGI to the backend's application. */
  fcgi?: FcgiCheckMux;
}

/** HAProxy's implicit last expect: a 2xx or 3xx status. */
const IMPLICIT_EXPECT: HttpCheckExpect = { kind: 'status', pattern: '200-399', negate: false };

const defaultRequest = (): HttpCheckRequestSpec => ({ method: 'OPTIONS', uri: checkText('/', false), version: 'HTTP/1.0', headers: [] });

/**
 * `option httpchk [METH] [URI] [VER]`. Headers and a body hidden after the version
 * (`HTTP/1.1\\r\\nHost:\\ www`, deprecated) become the request's headers and body, as
 * HAProxy's proxy_parse_httpchk_req parses them; header values are log-format strings there.
 */
function optionRequest(request: HttpCheckRequest | undefined): HttpCheckRequestSpec {
  let version = request?.version ?? 'HTTP/1.0';
  const spec: HttpCheckRequestSpec = { ...defaultRequest(), method: request?.method ?? 'OPTIONS', uri: checkText(request?.uri ?? '/', false) };
  const bodyAt = version.indexOf('\r\n\r\n');
  const headersAt = version.indexOf('\r\n');
  if (bodyAt >= 0) {
    const body = version.slice(bodyAt + 4);
    spec.body = checkText(body, false);
  }
  if (headersAt >= 0 && headersAt !== bodyAt) {
    for (const line of version.slice(headersAt + 2, bodyAt >= 0 ? bodyAt : undefined).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const text = line.slice(colon + 1).trim();
      spec.headers.push({ name: line.slice(0, colon), value: safeLogFormat(text) });
    }
  }
  if (headersAt >= 0) version = version.slice(0, headersAt);
  spec.version = version;
  return spec;
}

/** A header value as a log-format string; one that does not parse is sent as written (never throws). */
function safeLogFormat(text: string): CheckText {
  try {
    return checkText(text, true);
  } catch {
    return checkText(text, false);
  }
}

/**
 * Builds the exchanges from `option httpchk` and the http-check rules, as HAProxy's
 * tcpcheck_add_http_rule / check_proxy_tcpcheck do: `option httpchk` gives the
 * first request (OPTIONS / HTTP/1.0 by default), merged with the first
 * `http-check send`; each later `http-check connect` opens a new exchange with a
 * request of its own; an exchange with no expect ends with an implicit 2xx/3xx one.
 */
export function httpCheckSpec(request: HttpCheckRequest | undefined, rules: readonly HttpCheckRule[], disableOn404: boolean, sendState = false, server: { checkProto?: 'h1' | 'h2'; checkAlpn?: boolean; fcgi?: FcgiCheckMux } = {}): HttpCheckSpec {
  const first: HttpExchange = { before: [], request: optionRequest(request), after: [], defaultConnect: true };
  // `option httpchk`'s request is merged with the first `http-check send`, whose headers replace its own.
  let fromOption = request !== undefined;
  const exchanges = [first];
  let current = first;
  let started = false;
  let sent = false;
  // Variable rules wait to learn whether an explicit send follows them in the same exchange.
  let pending: CheckVarStep[] = [];
  const flush = () => {
    for (const v of pending) current.after.push({ vars: v });
    pending = [];
  };
  for (const rule of rules) {
    if (rule.type === 'connect') {
      // Variable rules before the exchange's connect run before it (they may set its port);
      // after a previous exchange, they end that one (its response still readable).
      if (started) flush();
      else {
        current.before.push(...pending);
        pending = [];
      }
      if (started) {
        current = { before: [], request: defaultRequest(), after: [], defaultConnect: false };
        exchanges.push(current);
        started = false;
        sent = false;
      }
      current.defaultConnect = rule.default === true;
      if (rule.proto !== undefined) current.proto = rule.proto;
      if (rule.alpn !== undefined) current.lineAlpn = true;
      if (rule.port !== undefined) current.port = rule.port;
      if (rule.portExpr !== undefined) current.portExpr = compilePortExpr(rule.portExpr);
    } else if (rule.type === 'send') {
      if (!sent) {
        current.before.push(...pending);
        pending = [];
      } else flush();
      sent = true;
      started = true;
      const r = current.request;
      if (fromOption) {
        fromOption = false;
        r.headers = [];
      }
      if (rule.method) r.method = rule.method;
      if (rule.uri) r.uri = checkText(rule.uri, rule.uriLf ?? false);
      if (rule.version) r.version = rule.version;
      for (const h of rule.headers) r.headers.push({ name: h.name, value: checkText(h.value, true) });
      if (rule.body !== undefined) r.body = checkText(rule.body, rule.bodyLf ?? false);
    } else if (rule.type === 'expect') {
      flush();
      started = true;
      current.after.push({ expect: rule.expect });
    } else if (rule.type === 'set-var' || rule.type === 'set-var-fmt' || rule.type === 'unset-var') {
      pending.push(compileCheckVar(rule));
    }
  }
  flush();
  for (const ex of exchanges) if (!ex.after.some((a) => 'expect' in a)) ex.after.push({ expect: IMPLICIT_EXPECT });
  return { exchanges, disableOn404, sendState, ...(server.checkProto ? { checkProto: server.checkProto } : {}), ...(server.checkAlpn ? { checkAlpn: true } : {}), ...(server.fcgi ? { fcgi: server.fcgi } : {}) };
}

/** One check request as it goes out, whatever the protocol (httpCheckRequestBytes for HTTP/1.1, h2-check.ts for HTTP/2). */
export interface CheckRequest {
  method: string;
  target: string;
  /** Names in lower case; the configured ones, then X-Haproxy-Server-State. */
  headers: Array<{ name: string; value: string }>;
  body: string;
}

/** The request's parts, log-format texts rendered with `sample`: an empty uri-lf is "/", an empty header is left out. */
export function httpCheckRequest(spec: HttpCheckRequestSpec, sample?: SampleContext, state?: string): CheckRequest {
  const headers = spec.headers.map((h) => ({ name: h.name.toLowerCase(), value: h.value(sample) })).filter((h) => h.value !== '');
  if (state !== undefined) headers.push({ name: 'x-haproxy-server-state', value: state });
  return { method: spec.method, target: spec.uri(sample) || '/', headers, body: spec.body?.(sample) ?? '' };
}

/**
 * The request of one check; log-format parts are rendered with `sample` (HAProxy: an empty uri-lf is "/", an empty header is left out).
 * Header names go out in lower case, as HAProxy 2.6's HTTP/1 mux writes them; `state` is the
 * X-Haproxy-Server-State value (`http-check send-state`), after the configured headers.
 */
export function httpCheckRequestBytes(spec: HttpCheckRequestSpec, sample?: SampleContext, state?: string, alwaysClose = false): Buffer {
  const { method, target, headers, body } = httpCheckRequest(spec, sample, state);
  let head = `${method} ${target} ${spec.version}\r\n`;
  const has = (n: string) => headers.some((h) => h.name === n);
  for (const h of headers) head += `${h.name}: ${h.value}\r\n`;
  if (body.length > 0 && !has('content-length')) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  // HAProxy 2.6 says close to an HTTP/1.1 server only: an HTTP/1.0 request closes by itself.
  // (The check's HTX has it whatever the version: a FastCGI application sees it as HTTP_CONNECTION.)
  if (!has('connection') && (alwaysClose || !/^HTTP\/1\.0(?![0-9])/i.test(spec.version))) head += 'connection: close\r\n';
  return Buffer.from(head + '\r\n' + body, 'latin1');
}

/** A check's response: the status line's parts, the fields as name, value, name…, the body. */
export interface ParsedResponse {
  status: number;
  reason: string;
  /** '1.1' */
  version: string;
  headers: string[];
  body: Buffer;
}

/** Statuses the expect `status` pattern accepts: `200`, `200-299`, `200,301-302`. */
function statusMatches(pattern: string, status: number): boolean {
  return pattern.split(',').some((part) => {
    const [lo, hi] = part.trim().split('-');
    const low = Number(lo);
    const high = hi === undefined ? low : Number(hi);
    return status >= low && status <= high;
  });
}

/** An expect's log-format texts and status-code expression, compiled once per rule. */
interface CompiledOptions {
  /** hdr / fhdr: name-lf / value-lf texts and -m reg expressions. */
  name?: CheckText;
  value?: CheckText;
  nameRe?: RegExp;
  valueRe?: RegExp;
  onSuccess?: CheckText;
  onError?: CheckText;
  statusCode?: (ctx: SampleContext | undefined) => number | undefined;
}
const compiledOptions = new WeakMap<HttpCheckExpect, CompiledOptions>();

function optionsOf(expect: HttpCheckExpect): CompiledOptions {
  let c = compiledOptions.get(expect);
  if (!c) {
    c = {};
    if (expect.onSuccess !== undefined) c.onSuccess = checkText(expect.onSuccess, true);
    if (expect.onError !== undefined) c.onError = checkText(expect.onError, true);
    if (expect.statusCode !== undefined) c.statusCode = compileStatusCodeExpr(expect.statusCode);
    const h = expect.header;
    if (h?.nameLf) c.name = checkText(h.name, true);
    if (h?.valueLf && h.value !== undefined) c.value = checkText(h.value, true);
    // HAProxy compiles the name regex without case, the value regex with it.
    if (h?.nameMatch === 'reg') c.nameRe = new RegExp(h.name, 'i');
    if (h?.valueMatch === 'reg' && h.value !== undefined) c.valueRe = new RegExp(h.value);
    compiledOptions.set(expect, c);
  }
  return c;
}

/**
 * One expectation on a response: the failure, or undefined when it holds (HAProxy's
 * tcpcheck_eval_expect_http). A failure's info is on-error's text, else HAProxy's words, then the
 * comment; its code is error-status, else L7STS (status, headers) or L7RSP (body).
 */
function judge(expect: HttpCheckExpect, response: ParsedResponse, started: number, ctx: SampleContext | undefined): CheckResult | undefined {
  const { status } = response;
  let match: boolean;
  let failCode: CheckCode;
  let info: string;
  switch (expect.kind) {
    case 'status':
      match = statusMatches(expect.pattern, status);
      failCode = 'L7STS';
      info = response.reason;
      break;
    case 'rstatus':
      match = new RegExp(expect.pattern).test(String(status));
      failCode = 'L7STS';
      info = response.reason;
      break;
    case 'string':
    case 'rstring':
      if (response.body.length === 0) {
        match = false;
        failCode = 'L7RSP';
        info = 'HTTP content check could not find a response body';
        // No body fails whether inverted or not.
        return failed(expect, expect.errorStatus ?? failCode, info, started, ctx, status);
      }
      match = expect.kind === 'string' ? response.body.includes(expect.pattern, 0, 'latin1') : new RegExp(expect.pattern).test(response.body.toString('latin1'));
      failCode = 'L7RSP';
      info = expect.negate ? 'HTTP check matched unwanted content' : 'HTTP content check did not match';
      break;
    default: {
      const header = expect.header ?? headerFromPattern(expect.pattern);
      const o = optionsOf(expect);
      const name = header.nameLf ? o.name!(ctx) : header.name;
      const value = header.valueLf ? o.value!(ctx) : header.value;
      if (name === '' || value === '') return failed(expect, 'L7RSP', 'log-format string evaluated to an empty string', started, ctx, status);
      match = headerMatches(header, name, value, expect.kind === 'fhdr', response.headers, o);
      failCode = 'L7STS';
      info = response.reason;
    }
  }
  if (match === expect.negate) return failed(expect, expect.errorStatus ?? failCode, info, started, ctx, status);
  return undefined;
}

/** A rule built by hand (`name <n> [value <v>]`), exact name and value. */
function headerFromPattern(pattern: string): HeaderExpect {
  const m = /name\s+(\S+)(?:\s+value\s+(.+))?/.exec(pattern);
  return { nameMatch: 'str', name: m?.[1] ?? '', ...(m?.[2] !== undefined ? { valueMatch: 'str' as const, value: m[2] } : {}) };
}

/** The values of one header line as HAProxy's http_find_header gives them: comma-separated (quotes kept whole) unless `full`, blanks trimmed. */
function headerValues(line: string, full: boolean): string[] {
  if (full) return [line.trim()];
  const values: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (c === ',' && !quoted) {
      values.push(line.slice(start, i).trim());
      start = i + 1;
    }
  }
  values.push(line.slice(start).trim());
  return values;
}

function textMatches(method: HeaderExpect['nameMatch'], text: string, pattern: string, re: RegExp | undefined, noCase: boolean): boolean {
  const t = noCase ? text.toLowerCase() : text;
  const p = noCase ? pattern.toLowerCase() : pattern;
  switch (method) {
    case 'str': return t === p;
    case 'beg': return t.startsWith(p);
    case 'end': return t.endsWith(p);
    case 'sub': return t.includes(p);
    case 'reg': return re!.test(text);
  }
}

/** tcpcheck_eval_expect_http for hdr / fhdr: some header whose name matches has a value that matches (or no value pattern). */
function headerMatches(h: HeaderExpect, name: string, value: string | undefined, fhdr: boolean, headers: readonly string[], o: CompiledOptions): boolean {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!textMatches(h.nameMatch, headers[i]!, name, o.nameRe, true)) continue;
    if (value === undefined) return true;
    for (const v of headerValues(headers[i + 1]!, fhdr)) if (textMatches(h.valueMatch ?? 'str', v, value, o.valueRe, false)) return true;
  }
  return false;
}

function failed(expect: HttpCheckExpect, code: CheckCode, desc: string, started: number, ctx: SampleContext | undefined, status: number): CheckResult {
  const o = optionsOf(expect);
  let info = o.onError ? o.onError(ctx) : desc;
  if (expect.comment !== undefined) info += ` comment: ${expect.comment}`;
  return failure(code, started, info, o.statusCode?.(ctx) ?? status);
}

/** Reads one response off `conn`: the response (judged on what came if the server closed early), or the check's failure. */
async function readResponse(conn: CheckConnection, head: boolean, started: number, timeoutCode: CheckCode = 'L7TOUT'): Promise<ParsedResponse | CheckResult> {
  // What HAProxy's checks take from a sloppy server (bare LF line ends, HTTP/1.2 …), as the traffic does.
  const parser = newParser(RESPONSE, undefined, LENIENT_RESPONSE);
  let response: ParsedResponse | undefined;
  let complete = false;
  // llhttp's binding hands over header fields in batches of 32 through kOnHeaders
  // once a head has more; kOnHeadersComplete then brings only the rest (or none).
  // Later kOnHeaders calls carry trailers, which `expect hdr` does not look at.
  let flushed: string[] | undefined = [];
  parser[kOnHeaders] = (batch: string[]) => { if (flushed) for (const field of batch) flushed.push(field); };
  const onHeaders: HeadersCompleteCallback = (major, minor, headers, _m, _u, statusCode, statusMessage) => {
    const before = flushed ?? [];
    flushed = undefined;
    const all = before.length === 0 ? headers ?? [] : headers ? before.concat(headers) : before;
    response = { status: statusCode ?? 0, reason: statusMessage ?? '', version: `${major}.${minor}`, headers: all, body: Buffer.alloc(0) };
    return head ? 1 : 0;
  };
  parser[kOnHeadersComplete] = onHeaders;
  parser[kOnBody] = (chunk: Buffer) => { if (response) response.body = Buffer.concat([response.body, chunk]); };
  parser[kOnMessageComplete] = () => { complete = true; };
  let fed = 0;
  try {
    for (;;) {
      if (conn.received.length > fed) {
        const r = parser.execute(conn.received.subarray(fed));
        fed = conn.received.length;
        // An answer HAProxy's H1 mux cannot parse: its HTX says so, and the check has no more words (tcpcheck_eval_expect_http).
        if (r instanceof Error) return failure('L7RSP', started, '');
        if (complete && response) return response;
      }
      const outcome = await conn.waitData(fed);
      if (outcome === 'data') continue;
      if (outcome === 'timeout') return failure(timeoutCode, started, '');
      // The peer closed: a response without length ends here. As HAProxy 2.6, a response whose head
      // arrived is judged on what came, even if its body was cut short; a reset before any answer
      // is a socket error (SOCKERR), a plain close an invalid response, without info (haproxy 2.6.12:
      // "reason: Layer7 invalid response, check duration: …").
      const end = parser.finish();
      if (response) return response;
      if (conn.error !== undefined) return failure('SOCKERR', started, 'Connection reset by peer');
      if (end instanceof Error) return failure('L7RSP', started, '');
      return failure('L7RSP', started, '');
    }
  } finally {
    parser.close();
  }
}

/** The tout-status of the exchange's first expect, which waits for the response. */
function firstTimeoutStatus(ex: HttpExchange): CheckCode {
  for (const step of ex.after) if ('expect' in step) return step.expect.toutStatus ?? 'L7TOUT';
  return 'L7TOUT';
}

export function httpProbe(spec: HttpCheckSpec): Probe {
  return async (target: CheckTarget, context: ProbeContext): Promise<CheckResult> => {
    const started = Date.now();
    // The check's own session: its check.* and sess.* variables start empty at each run.
    const base = context.sample;
    const run: SampleContext | undefined = base && { ...base, vars: checkRunVars(base.vars) };
    let status: number | undefined;
    // The last expect rule that passed, and the sample context it saw (for on-success and status-code).
    let last: HttpCheckExpect | undefined;
    let lastSample: SampleContext | undefined;
    for (const ex of spec.exchanges) {
      // Variable rules before the send run before the connect: HAProxy's come first in the ruleset,
      // or right after the connect, and need nothing from it.
      if (run) for (const step of ex.before) step(run);
      const port = ex.portExpr?.(run) ?? ex.port;
      const opened = await CheckConnection.open(port === undefined ? target : { ...target, port }, started);
      if (!(opened instanceof CheckConnection)) return opened;
      let conn = opened;
      try {
        const state = spec.sendState ? context.serverState?.() : undefined;
        // HAProxy's choice of mux (tcpcheck_eval_connect): the line's proto, else the server's check-proto on
        // the default connection, else what TLS agreed on when the line or the server's check-alpn named
        // protocols, else HTTP/1.1.
        const proto = ex.proto ?? (ex.defaultConnect ? spec.checkProto : undefined);
        const byAlpn = ex.lineAlpn === true || spec.checkAlpn === true;
        const h2 = proto !== undefined ? proto === 'h2' : byAlpn && (conn.socket as TLSSocket).alpnProtocol === 'h2';
        // The HTTP/2 exchange starts now, as the HTTP/1.1 request is written now; the first expect awaits its answer.
        let h2Answer: Promise<ParsedResponse | CheckResult> | undefined;
        if (h2) h2Answer = h2CheckExchange(conn, httpCheckRequest(ex.request, run, state), started, firstTimeoutStatus(ex));
        else if (spec.fcgi && proto === undefined && ex.defaultConnect) {
          // Through the FastCGI mux: the request as the check's HTX has it (with its Connection: close), as records.
          conn = conn.through((socket) => spec.fcgi!.wrap(socket, target));
          conn.write(httpCheckRequestBytes(ex.request, run, state, true));
        } else conn.write(httpCheckRequestBytes(ex.request, run, state));
        let response: ParsedResponse | undefined;
        let sample = run;
        for (const step of ex.after) {
          if ('vars' in step) {
            if (sample) step.vars(sample);
            continue;
          }
          if (!response) {
            const read = h2Answer ? await h2Answer : await readResponse(conn, ex.request.method.toUpperCase() === 'HEAD', started, step.expect.toutStatus);
            if (!('headers' in read)) return read;
            response = read;
            status = response.status;
            // disable-on-404: a 404 from a server that is not DOWN stops the check as "conditionally passed".
            if (spec.disableOn404 && status === 404 && !context.serverDown) return failure('L7OKC', started, response.reason, status);
            const res = { status: response.status, version: response.version, rawHeaders: response.headers, body: response.body };
            if (run) sample = { ...run, res };
          }
          const failed = judge(step.expect, response, started, sample);
          if (failed) return failed;
          last = step.expect;
          lastSample = sample;
        }
      } finally {
        conn.close();
      }
    }
    if (!last) return failure('L7OK', started, '', status);
    // The last expect passed: its ok-status, on-success text and status-code (tcpcheck_expect_onsuccess_message).
    const o = optionsOf(last);
    return failure(last.okStatus ?? 'L7OK', started, o.onSuccess ? o.onSuccess(lastSample) : '', o.statusCode?.(lastSample) ?? status);
  };
}

