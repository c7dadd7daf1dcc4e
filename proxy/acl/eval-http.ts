/**
 * HTTP helpers of the evaluator, ported from HAProxy 2.6's http_htx.c,
 * http.c and http_fetch.c: header lookup with comma splitting
 * (http_find_header), occurrences, cookies (http_extract_cookie_value), URL
 * parameters (http_find_next_url_param), path / query / authority parsing
 * (http_parse_path), url2sa, get_http_auth. All work on Node's rawHeaders
 * (alternating names and values) and the request target as received, and
 * allocate nothing beyond the substrings they return.
 */
import type { Sample } from './eval-sample.ts';
import type { SampleContext } from './context.ts';
import type { Span } from './fetch/define.ts';
import { buf2ip, mkStr } from './eval-sample.ts';

/** Visitor of multi-valued fetches: 0 = go on, anything else stops the iteration and is returned. */
export type Visit = (s: Sample, ctx: SampleContext) => number;

/** ASCII case-insensitive comparison with an already lowercase name (isteqi). */
export function eqLower(s: string, lower: string): boolean {
  const n = s.length;
  if (n !== lower.length) return false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** ASCII-only lowercase (tolower() in the C locale). */
export function asciiLower(s: string): string {
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) break;
  }
  if (i === n) return s;
  let ascii = true;
  for (let j = i; j < n; j++) if (s.charCodeAt(j) > 127) { ascii = false; break; }
  if (ascii) return s.toLowerCase();
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/** ASCII-only uppercase. */
export function asciiUpper(s: string): string {
  let out = '';
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) { out += String.fromCharCode(c - 32); changed = true; } else out += s[i];
  }
  return changed ? out : s;
}

/** HTTP_IS_LWS: space, tab, CR, LF. */
const isLws = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;
/** HTTP_IS_SPHT: space, tab. */
const isSpht = (c: number): boolean => c === 32 || c === 9;

/** http_find_hdr_value_end(): first ',' at or after `start` outside double quotes, or the length. */
export function hdrValueEnd(v: string, start: number): number {
  const n = v.length;
  let quoted = false;
  let pair = false;
  for (let i = start; i < n; i++) {
    const c = v.charCodeAt(i);
    if (pair) pair = false;
    else if (quoted) {
      if (c === 92) pair = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44) return i;
  }
  return n;
}

/** v[start, end) without leading and trailing LWS (returns v itself when nothing is cut). */
function trimmed(v: string, start: number, end: number): string {
  while (start < end && isLws(v.charCodeAt(start))) start++;
  while (end > start && isLws(v.charCodeAt(end - 1))) end--;
  return start === 0 && end === v.length ? v : v.slice(start, end);
}

/** Does the value need splitting (has a comma)? Values with no comma are a single element. */
const hasComma = (v: string): boolean => v.indexOf(',') >= 0;

/**
 * Calls `visit` with each value of the headers named `lname` (lowercase; ''
 * = every header), in order: with `split`, each comma-separated element
 * (quotes respected, LWS trimmed, empty elements kept) as http_find_header()
 * does for hdr(); without, whole lines as for fhdr(). `map` turns a value into
 * a sample (undefined = skip it). Stops at the first non-zero visit result.
 */
export function eachHeader(
  raw: readonly string[], lname: string, split: boolean,
  map: (v: string) => Sample | undefined, visit: Visit, ctx: SampleContext,
): number {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (lname !== '' && !eqLower(raw[i]!, lname)) continue;
    const v = raw[i + 1]!;
    if (!split || !hasComma(v)) {
      const s = map(trimmed(v, 0, v.length));
      if (s !== undefined) {
        const r = visit(s, ctx);
        if (r !== 0) return r;
      }
      continue;
    }
    let pos = 0;
    for (;;) {
      const end = hdrValueEnd(v, pos);
      const s = map(trimmed(v, pos, end));
      if (s !== undefined) {
        const r = visit(s, ctx);
        if (r !== 0) return r;
      }
      if (end >= v.length) break;
      pos = end + 1;
    }
  }
  return 0;
}

/** Elements of one header value (comma-split when `split`). */
function elements(v: string, split: boolean): string[] {
  if (!split || !hasComma(v)) return [trimmed(v, 0, v.length)];
  const out: string[] = [];
  let pos = 0;
  for (;;) {
    const end = hdrValueEnd(v, pos);
    out.push(trimmed(v, pos, end));
    if (end >= v.length) return out;
    pos = end + 1;
  }
}

/** MAX_HDR_HISTORY: negative occurrences may not go further back. */
const MAX_HDR_HISTORY = 10;

/**
 * http_get_htx_hdr() / http_get_htx_fhdr(): occurrence `occ` (1 = first,
 * -1 = last, down to -10) of the header values named `lname`.
 */
export function headerOccurrence(raw: readonly string[], lname: string, occ: number, split: boolean): string | undefined {
  if (occ > 0) {
    let left = occ;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (lname !== '' && !eqLower(raw[i]!, lname)) continue;
      const v = raw[i + 1]!;
      if (!split || !hasComma(v)) {
        if (--left === 0) return trimmed(v, 0, v.length);
        continue;
      }
      const els = elements(v, true);
      if (left <= els.length) return els[left - 1];
      left -= els.length;
    }
    return undefined;
  }
  // occ 0 is treated like HAProxy's occ >= 0 loop: first element
  if (occ === 0) return headerOccurrence(raw, lname, 1, split);
  let back = -occ;
  if (back > MAX_HDR_HISTORY) return undefined;
  for (let i = raw.length - 2 - (raw.length & 1); i >= 0; i -= 2) {
    if (lname !== '' && !eqLower(raw[i]!, lname)) continue;
    const v = raw[i + 1]!;
    if (!split || !hasComma(v)) {
      if (--back === 0) return trimmed(v, 0, v.length);
      continue;
    }
    const els = elements(v, true);
    if (back <= els.length) return els[els.length - back];
    back -= els.length;
  }
  return undefined;
}

/** Number of header values named `lname` ('' = all), comma-split or not (hdr_cnt / fhdr_cnt). */
export function headerCount(raw: readonly string[], lname: string, split: boolean): number {
  let n = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (lname !== '' && !eqLower(raw[i]!, lname)) continue;
    n += split ? elements(raw[i + 1]!, true).length : 1;
  }
  return n;
}

/** First value of header `lname` (first comma-separated element). */
export function firstHeader(raw: readonly string[], lname: string): string | undefined {
  return headerOccurrence(raw, lname, 1, true);
}

// ---------------------------------------------------------------- cookies

/** http_find_cookie_value_end(): first ',' or ';' outside quotes. */
function cookieValueEndPos(s: string, start: number, end: number): number {
  let quoted = false;
  let pair = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (pair) pair = false;
    else if (quoted) {
      if (c === 92) pair = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44 || c === 59) return i;
  }
  return end;
}

/**
 * http_extract_cookie_value() on s[start, end): looks for cookie `name`
 * ('' = any) — several cookies per line when `list` (request Cookie
 * headers), only the first attribute otherwise (Set-Cookie). On success sets
 * `value` (when given) to the value's [start, end) and returns where to continue; -1 when not found.
 */
export function extractCookie(s: string, start: number, end: number, name: string, list: boolean, value?: Span): number {
  const nl = name.length;
  for (let att = start; att + nl + 1 < end;) {
    while (att < end && isSpht(s.charCodeAt(att))) att++;
    let equal = att;
    let attEnd = att;
    while (equal < end) {
      const c = s.charCodeAt(equal);
      if (c === 61 || c === 59 || (list && c === 44)) break;
      equal++;
      if (isSpht(c)) continue;
      attEnd = equal;
    }
    let valBeg: number;
    let valEnd: number;
    let next: number;
    if (equal < end && s.charCodeAt(equal) === 61) {
      valBeg = equal + 1;
      while (valBeg < end && isSpht(s.charCodeAt(valBeg))) valBeg++;
      next = cookieValueEndPos(s, valBeg, end);
      valEnd = next;
      while (valEnd > valBeg && isSpht(s.charCodeAt(valEnd - 1))) valEnd--;
    } else {
      valBeg = valEnd = next = equal;
    }
    if (att < end && s.charCodeAt(att) === 36) { att = next + 1; continue; } // '$' attributes
    if (equal === next) { att = next + 1; continue; } // no '='
    if (nl === 0 || (attEnd - att === nl && s.startsWith(name, att))) {
      if (value) {
        value.start = valBeg;
        value.end = valEnd;
      }
      return next + 1;
    }
    if (!list) break;
    att = next + 1;
  }
  return -1;
}

/**
 * smp_fetch_cookie(): values of cookie `name` in the `hdrName` headers
 * ('cookie' or 'set-cookie'), in order. `iterate` reports them all (ACLs);
 * otherwise only the last one (or the first one when no name is given) is
 * passed to `visit`. `scratch` (the caller's, reused) receives each value's range.
 */
export function eachCookie(
  raw: readonly string[], hdrName: string, name: string, list: boolean, iterate: boolean,
  map: (v: string) => Sample, visit: Visit, ctx: SampleContext, scratch: Span,
): number {
  let last: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!eqLower(raw[i]!, hdrName)) continue;
    const v = raw[i + 1]!;
    const els = hasComma(v) ? elements(v, true) : undefined;
    for (let e = 0; e < (els ? els.length : 1); e++) {
      const line = els ? els[e]! : trimmed(v, 0, v.length);
      if (line.length < name.length + 1) continue;
      let pos = 0;
      while (pos >= 0) {
        pos = extractCookie(line, pos, line.length, name, list, scratch);
        if (pos < 0) break;
        const value = line.slice(scratch.start, scratch.end);
        if (iterate) {
          const r = visit(map(value), ctx);
          if (r !== 0) return r;
        } else if (name === '') {
          return visit(map(value), ctx); // no name: the first cookie
        } else last = value; // else the last occurrence
      }
    }
  }
  return last !== undefined ? visit(map(last), ctx) : 0;
}

/** smp_fetch_cookie_cnt(): number of occurrences of cookie `name`. */
export function cookieCount(raw: readonly string[], hdrName: string, name: string, list: boolean): number {
  let n = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!eqLower(raw[i]!, hdrName)) continue;
    for (const line of elements(raw[i + 1]!, true)) {
      if (line.length < name.length + 1) continue;
      let pos = 0;
      while ((pos = extractCookie(line, pos, line.length, name, list)) >= 0) n++;
    }
  }
  return n;
}

// ---------------------------------------------------------------- URL

/** http_is_param_delimiter() */
const isParamDelim = (c: number, delim: number): boolean => c === 38 || c === 59 || c === delim;

/**
 * http_find_next_url_param() over s[start, end): finds the next parameter
 * `name` ('' = any); on success sets `value` (when given) to its [start, end) and returns true.
 */
export function findUrlParam(s: string, start: number, end: number, name: string, delim: number, value?: Span): boolean {
  const nl = name.length;
  let valueStart: number;
  if (nl > 0) {
    let pos = start;
    let found = -1;
    while (pos < end) {
      const equal = pos + nl;
      if (equal >= end) return false;
      if (s.charCodeAt(equal) === 61) {
        if (s.startsWith(name, pos)) { found = pos; break; }
        pos += nl + 1;
      }
      while (pos < end && !isParamDelim(s.charCodeAt(pos), delim)) pos++;
      if (pos >= end) return false;
      pos++;
    }
    if (found < 0) return false;
    valueStart = found + nl + 1;
  } else {
    const eq = s.indexOf('=', start);
    if (eq < 0 || eq >= end) return false;
    valueStart = eq + 1;
  }
  let valueEnd = valueStart;
  while (valueEnd < end && !isParamDelim(s.charCodeAt(valueEnd), delim)) valueEnd++;
  if (value) {
    value.start = valueStart;
    value.end = valueEnd;
  }
  return true;
}

/** http_parse_path(): [start, end) of the path of a request target (with its query), or undefined. */
export function uriPathRange(url: string): number {
  const n = url.length;
  if (n === 0) return -1;
  const c0 = url.charCodeAt(0);
  if (c0 === 42) return -1; // '*'
  if (c0 === 47) return 0; // '/'
  // absolute URI: scheme "://" authority [path]; anything else is an authority (CONNECT)
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122))) return -1;
  let i = 1;
  for (; i < n; i++) {
    const c = url.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) break;
  }
  // scheme must be followed by "://" (else it is an authority: no path)
  if (url.charCodeAt(i) !== 58 || url.charCodeAt(i + 1) !== 47 || url.charCodeAt(i + 2) !== 47) return -1;
  const slash = url.indexOf('/', i + 3);
  return slash < 0 ? -1 : slash;
}

/** path: the path without the query string; pathq: with it. */
export function uriPath(url: string, withQuery: boolean): string | undefined {
  const start = uriPathRange(url);
  if (start < 0) return undefined;
  if (withQuery) return start === 0 ? url : url.slice(start);
  const q = url.indexOf('?', start);
  return start === 0 && q < 0 ? url : url.slice(start, q < 0 ? url.length : q);
}

/** query: what follows the first '?'. */
export function uriQuery(url: string): string | undefined {
  const q = url.indexOf('?');
  return q < 0 ? undefined : url.slice(q + 1);
}

/**
 * url2sa() for url_ip / url_port: only "http://" and "https://" absolute
 * URIs with a literal IPv4 host qualify (IPv6 and names yield nothing).
 */
export function urlIPv4(url: string): { addr: number; port: number } | undefined {
  const sep = url.indexOf('://');
  if (sep < 0) return undefined;
  const scheme = url.slice(0, sep).toLowerCase();
  let port: number;
  if (scheme === 'http') port = 80;
  else if (scheme === 'https') port = 443;
  else return undefined;
  const hostStart = sep + 3;
  if (url.charCodeAt(hostStart) === 91) return undefined; // '[': IPv6
  const v4 = url2ipv4(url, hostStart);
  if (!v4) return undefined;
  let p = hostStart + v4.len;
  if (url.charCodeAt(p) === 58) {
    p++;
    let v = 0;
    while (p < url.length) {
      const d = url.charCodeAt(p) - 48;
      if (d < 0 || d > 9) break;
      v = (v * 10 + d) >>> 0;
      p++;
    }
    port = v & 0xffff;
  }
  return { addr: v4.addr, port };
}

/** url2ipv4(): like buf2ip() but the string may not end right after a dot-terminated 4th octet. */
function url2ipv4(s: string, start: number): { addr: number; len: number } | undefined {
  return buf2ip(s, start, s.length);
}

// ---------------------------------------------------------------- authorization

/** Result of get_http_auth(). */
export interface HttpAuth {
  readonly method: 'basic' | 'bearer';
  readonly user: string;
  readonly pass: string;
  /** What follows the scheme (credentials / token). */
  readonly data: string;
}

/** base64dec() of HAProxy (strict alphabet, length multiple of 4); undefined when invalid. */
export function base64Decode(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n % 4) return undefined;
  const out = new Uint8Array((n / 4) * 3);
  let len = 0;
  let pad = 0;
  let i = 0;
  const t = [0, 0, 0, 0];
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    let b: number;
    if (c >= 65 && c <= 90) b = c - 65;
    else if (c >= 97 && c <= 122) b = c - 71;
    else if (c >= 48 && c <= 57) b = c + 4;
    else if (c === 43) b = 62;
    else if (c === 47) b = 63;
    else if (c === 61) b = 64;
    else return undefined;
    if (pad && b !== 64) return undefined;
    if (pad && i < 2) return undefined;
    if (b === 64) pad++;
    t[i++] = b & 63;
    if (i === 4) {
      out[len] = ((t[0]! << 2) | (t[1]! >> 4)) & 255;
      out[len + 1] = ((t[1]! << 4) | (t[2]! >> 2)) & 255;
      out[len + 2] = ((t[2]! << 6) | t[3]!) & 255;
      len += 3 - pad;
      pad = 0;
      i = 0;
    }
  }
  return out.subarray(0, len);
}

/**
 * get_http_auth(): parses the first element of the Authorization header (Proxy-Authorization
 * with `proxy`: HttpRequestInfo.proxyAuth).
 * The scheme is compared case-insensitively over its own length, so a
 * scheme that is a prefix of "Basic"/"Bearer" is accepted, as in HAProxy.
 */
export function httpAuth(raw: readonly string[], proxy = false): HttpAuth | undefined {
  const v = firstHeader(raw, proxy ? 'proxy-authorization' : 'authorization');
  if (v === undefined) return undefined;
  const sp = v.indexOf(' ');
  if (sp <= 0) return undefined;
  const scheme = v.slice(0, sp).toLowerCase();
  let p = sp;
  while (p < v.length && v.charCodeAt(p) === 32) p++;
  const data = v.slice(p);
  if ('basic'.startsWith(scheme)) {
    const bytes = base64Decode(data);
    if (!bytes) return undefined;
    let decoded = Buffer.from(bytes).toString('latin1');
    const nul = decoded.indexOf('\0');
    if (nul >= 0) decoded = decoded.slice(0, nul);
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { method: 'basic', user: decoded.slice(0, colon), pass: decoded.slice(colon + 1), data };
  }
  if ('bearer'.startsWith(scheme)) return { method: 'bearer', user: '', pass: '', data };
  return undefined;
}

/** Shortcut used by fetches returning a string sample or nothing. */
export const strOrUndef = (v: string | undefined): Sample | undefined => (v === undefined ? undefined : mkStr(v));
