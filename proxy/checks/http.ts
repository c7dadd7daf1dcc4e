/**
 * HTTP checks: `option httpchk [METH] [URI] [VER]` and `http-check send`
 * build the request; `http-check expect [!]status|rstatus|string|rstring`
 * judge the answer (default: 2xx and 3xx pass). The response is framed by
 * Node's llhttp, never by hand. `http-check disable-on-404` turns a 404 from a
 * server that is not DOWN into L7OKC (NOLB). `uri-lf`, `body-lf` and header
 * values are log-format strings rendered for each check (check-format.ts).
 */
import type { HttpCheckExpect, HttpCheckRule, HttpCheckRequest } from '../config/model.ts';
import { newParser, RESPONSE, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from '../runtime/llhttp.ts';
import type { HeadersCompleteCallback } from '../runtime/llhttp.ts';
import { CheckConnection, failure } from './connection.ts';
import { checkText } from './check-format.ts';
import type { CheckText } from './check-format.ts';
import type { SampleContext } from '../acl/index.ts';
import type { CheckCode, CheckResult, CheckTarget, Probe, ProbeContext } from './types.ts';

export interface HttpCheckSpec {
  method: string;
  uri: CheckText;
  version: string;
  headers: Array<{ name: string; value: CheckText }>;
  body?: CheckText;
  expects: HttpCheckExpect[];
  disableOn404: boolean;
}

/** Merges `option httpchk` with the `http-check send` / `expect` rules (HAProxy's defaults: OPTIONS / HTTP/1.0). */
export function httpCheckSpec(request: HttpCheckRequest | undefined, rules: readonly HttpCheckRule[], disableOn404: boolean): HttpCheckSpec {
  const spec: HttpCheckSpec = {
    method: request?.method ?? 'OPTIONS',
    uri: checkText(request?.uri ?? '/', false),
    version: request?.version ?? 'HTTP/1.0',
    headers: [],
    expects: [],
    disableOn404,
  };
  for (const rule of rules) {
    if (rule.type === 'send') {
      if (rule.method) spec.method = rule.method;
      if (rule.uri) spec.uri = checkText(rule.uri, rule.uriLf ?? false);
      if (rule.version) spec.version = rule.version;
      for (const h of rule.headers) spec.headers.push({ name: h.name, value: checkText(h.value, true) });
      if (rule.body !== undefined) spec.body = checkText(rule.body, rule.bodyLf ?? false);
    } else if (rule.type === 'expect') spec.expects.push(rule.expect);
  }
  return spec;
}

/** The request of one check; log-format parts are rendered with `sample` (HAProxy: an empty uri-lf is "/", an empty header is left out). */
export function httpCheckRequestBytes(spec: HttpCheckSpec, sample?: SampleContext): Buffer {
  // Headers appended to the version with "\r\n" (deprecated form) are kept as written.
  let head = `${spec.method} ${spec.uri(sample) || '/'} ${spec.version}\r\n`;
  const headers = spec.headers.map((h) => ({ name: h.name, value: h.value(sample) })).filter((h) => h.value !== '');
  const has = (n: string) => headers.some((h) => h.name.toLowerCase() === n);
  for (const h of headers) head += `${h.name}: ${h.value}\r\n`;
  const body = spec.body?.(sample) ?? '';
  if (body.length > 0 && !has('content-length')) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  // HAProxy 2.6 says close to an HTTP/1.1 server only: an HTTP/1.0 request closes by itself.
  if (!has('connection') && !/^HTTP\/1\.0(?![0-9])/i.test(spec.version)) head += 'connection: close\r\n';
  return Buffer.from(head + '\r\n' + body, 'latin1');
}

interface ParsedResponse {
  status: number;
  reason: string;
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

function judge(spec: HttpCheckSpec, response: ParsedResponse, started: number, context: ProbeContext): CheckResult {
  const { status } = response;
  if (spec.disableOn404 && status === 404 && !context.serverDown) return failure('L7OKC', started, response.reason, status);
  if (spec.expects.length === 0) {
    const ok = status >= 200 && status < 400;
    return ok ? failure('L7OK', started, '', status) : failure('L7STS', started, response.reason, status);
  }
  for (const expect of spec.expects) {
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
        match = response.body.includes(expect.pattern, 0, 'latin1');
        failCode = 'L7RSP';
        info = 'HTTP content check did not match';
        break;
      case 'rstring':
        match = new RegExp(expect.pattern).test(response.body.toString('latin1'));
        failCode = 'L7RSP';
        info = 'HTTP content check did not match';
        break;
      default: {
        // hdr / fhdr: pattern "name <n> [value <v>]" — presence of the header (value substring when given).
        const m = /name\s+(\S+)(?:\s+value\s+(.+))?/.exec(expect.pattern);
        const name = m?.[1]?.toLowerCase() ?? '';
        const value = m?.[2];
        match = false;
        for (let i = 0; i + 1 < response.headers.length; i += 2) {
          if (response.headers[i]!.toLowerCase() === name && (value === undefined || response.headers[i + 1]!.includes(value))) match = true;
        }
        failCode = 'L7RSP';
        info = 'HTTP header check did not match';
      }
    }
    if (match === expect.negate) return failure(failCode, started, info, status);
  }
  return failure('L7OK', started, '', status);
}

export function httpProbe(spec: HttpCheckSpec): Probe {
  const head = spec.method.toUpperCase() === 'HEAD';
  return async (target: CheckTarget, context: ProbeContext): Promise<CheckResult> => {
    const started = Date.now();
    const conn = await CheckConnection.open(target, started);
    if (!(conn instanceof CheckConnection)) return conn;
    try {
      conn.write(httpCheckRequestBytes(spec, context.sample));
      const parser = newParser(RESPONSE);
      let response: ParsedResponse | undefined;
      let complete = false;
      // llhttp's binding hands over header fields in batches of 32 through kOnHeaders
      // once a head has more; kOnHeadersComplete then brings only the rest (or none).
      // Later kOnHeaders calls carry trailers, which `expect hdr` does not look at.
      let flushed: string[] | undefined = [];
      parser[kOnHeaders] = (batch: string[]) => { if (flushed) for (const field of batch) flushed.push(field); };
      const onHeaders: HeadersCompleteCallback = (_maj, _min, headers, _m, _u, statusCode, statusMessage) => {
        const before = flushed ?? [];
        flushed = undefined;
        const all = before.length === 0 ? headers ?? [] : headers ? before.concat(headers) : before;
        response = { status: statusCode ?? 0, reason: statusMessage ?? '', headers: all, body: Buffer.alloc(0) };
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
            if (r instanceof Error) return failure('L7RSP', started, r.reason || r.message);
            if (complete && response) return judge(spec, response, started, context);
          }
          const outcome = await conn.waitData(fed);
          if (outcome === 'data') continue;
          if (outcome === 'timeout') return failure('L7TOUT', started, '');
          // The peer closed: a response without length ends here. As HAProxy 2.6, a response whose head
          // arrived is judged on what came, even if its body was cut short; a reset before any answer
          // is a socket error (SOCKERR), a plain close an invalid (empty) response.
          const end = parser.finish();
          if (response) return judge(spec, response, started, context);
          if (conn.error !== undefined) return failure('SOCKERR', started, 'Connection reset by peer');
          if (end instanceof Error) return failure('L7RSP', started, end.reason || end.message);
          return failure('L7RSP', started, 'empty response');
        }
      } finally {
        parser.close();
      }
    } finally {
      conn.close();
    }
  };
}
