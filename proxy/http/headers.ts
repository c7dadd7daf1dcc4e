/**
 * Header lists as llhttp gives them: a flat array [name, value, name, value …]
 * in arrival order with original case. Operations follow HAProxy's
 * set-header / add-header / del-header / replace-header / replace-value.
 */
import type { GlobalSettings, Proxy } from '../config/model.ts';

export type HeaderList = string[];

/**
 * An interim answer, which a final one follows: 100 and 102 to 199, as HAProxy 2.6's
 * http_wait_for_response tells them. 101 ends the exchange (the protocol switches), and a status
 * below 100 (`099`) is a final answer with its body.
 */
export function isInterimStatus(status: number): boolean {
  return status >= 100 && status < 200 && status !== 101;
}

/**
 * A final status an HTTP/2 client can be sent: 200 to 599. Below 100 HAProxy's H2 mux cannot encode
 * it and resets the stream (INTERNAL_ERROR); 600 to 999 it relays, but Node's http2 refuses them
 * (ERR_HTTP2_STATUS_INVALID), so Loadstar resets those streams too (h2.ts, docs/reliability.md).
 */
export function h2SendsFinalStatus(status: number): boolean {
  return status >= 200 && status <= 599;
}

export function getHeader(headers: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return headers[i + 1];
  }
  return undefined;
}

/** A comma-separated value (Connection, Upgrade) names `token` (lower case), in any case. */
export function hasToken(value: string, token: string): boolean {
  const lower = value.toLowerCase();
  if (!lower.includes(token)) return false;
  return lower.split(',').some((t) => t.trim() === token);
}

export function deleteHeader(headers: HeaderList, name: string): void {
  const lower = name.toLowerCase();
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const n = headers[r]!;
    if (n.length === lower.length && n.toLowerCase() === lower) continue;
    headers[w++] = n;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}

export function setHeader(headers: HeaderList, name: string, value: string): void {
  deleteHeader(headers, name);
  headers.push(name, value);
}

/** replace-header: the regex applies to each full header line value. */
export function replaceHeader(headers: HeaderList, name: string, regex: RegExp, replacement: (match: RegExpExecArray) => string): void {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== lower) continue;
    headers[i + 1] = replaceWhole(headers[i + 1]!, regex, replacement);
  }
}

/** replace-value: the regex applies to each comma-separated value of the header. */
export function replaceValue(headers: HeaderList, name: string, regex: RegExp, replacement: (match: RegExpExecArray) => string): void {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== lower) continue;
    // HAProxy 2.6: a value the regex matches becomes the expansion alone, its spaces gone; the
    // others stay byte for byte ("1foo2, bar" → "Y, bar", "bar ,  foo" → "bar ,Y").
    headers[i + 1] = headers[i + 1]!.split(',').map((v) => {
      regex.lastIndex = 0;
      const m = regex.exec(v.trim());
      return m ? replacement(m) : v;
    }).join(',');
  }
}

/** HAProxy replaces only when the regex matches the whole value (it is anchored by the user). */
/**
 * HAProxy's replace-* rule (exp_replace): when the regex matches anywhere in the value, the whole
 * value becomes the expansion of the replacement (`\\1` … from the match); text around the match
 * is not kept ("afoob" with `foo` → `X` gives "X").
 */
export function replaceWhole(value: string, regex: RegExp, replacement: (match: RegExpExecArray) => string): string {
  regex.lastIndex = 0;
  const m = regex.exec(value);
  return m ? replacement(m) : value;
}

/** Serialises a head: start line, headers, blank line (latin1: header bytes pass through unchanged). */
export function serializeHead(startLine: string, headers: HeaderList, extra = ''): string {
  let head = startLine + '\r\n';
  for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + '\r\n';
  return head + extra + '\r\n';
}

/**
 * A Connection header's value as HAProxy 2.6's H1 mux forwards it: its `close` and `keep-alive`
 * tokens removed (the mux writes its own), every other token kept as written, so a header the
 * client or server nominates is passed on, not removed (h1_parse_connection_header). A removed
 * token takes the blanks and the comma around it: `X-A ,  close , Y` → `X-A ,Y`. '' = nothing left,
 * the header is not sent. The common one-token values cost no allocation.
 */
export function connectionValueToForward(value: string): string {
  if (value.indexOf(',') < 0) return isConnectionOption(value.trim()) ? '' : value;
  const parts = value.split(',');
  let out = '';
  let kept = 0;
  let afterRemoved = false;
  for (const part of parts) {
    if (isConnectionOption(part.trim())) {
      afterRemoved = true;
      continue;
    }
    out += (kept++ > 0 ? ',' : '') + (afterRemoved ? part.trimStart() : part);
    afterRemoved = false;
  }
  return afterRemoved ? out.trimEnd() : out;
}

/** `close` or `keep-alive`, in any case: the Connection tokens HAProxy's H1 mux consumes. */
export function isConnectionOption(token: string): boolean {
  return (token.length === 5 && token.toLowerCase() === 'close') || (token.length === 10 && token.toLowerCase() === 'keep-alive');
}

/** `h1-case-adjust` for one proxy: lower-case name → the case to send. */
export type CaseAdjust = ReadonlyMap<string, string>;

/**
 * The h1-case-adjust table a proxy applies, when its `option` (h1-case-adjust-bogus-client for
 * what goes to clients, -bogus-server for what goes to servers) is on and the global section has
 * entries; undefined otherwise (names go out in lower case).
 */
export function caseAdjustFor(global: GlobalSettings | undefined, proxy: Proxy, option: 'h1-case-adjust-bogus-client' | 'h1-case-adjust-bogus-server'): CaseAdjust | undefined {
  const table = global?.h1CaseAdjust;
  if (!table || !proxy.options[option]?.enabled) return undefined;
  return new Map(Object.entries(table));
}

/**
 * A serialised head (start line, header lines, maybe the blank line and a body) with the names the
 * table knows in its case, as HAProxy's H1 mux writes them: every header line, the ones the mux
 * adds (Connection, X-Forwarded-For) and local answers included. Runs only where the option is on.
 */
export function adjustHeadCase(head: string, adjust: CaseAdjust): string {
  let at = head.indexOf('\r\n') + 2;
  if (at < 2) return head;
  let out = head.slice(0, at);
  while (at < head.length) {
    const eol = head.indexOf('\r\n', at);
    if (eol < 0 || eol === at) return out + head.slice(at);
    const colon = head.indexOf(':', at);
    if (colon > at && colon < eol) {
      const name = head.slice(at, colon);
      out += (adjust.get(name.toLowerCase()) ?? name) + head.slice(colon, eol + 2);
    } else out += head.slice(at, eol + 2);
    at = eol + 2;
  }
  return out;
}

/**
 * A TE header's value as HAProxy 2.6's muxes forward it, in requests and responses alike
 * (h1_process_output_headers, h2's too): `trailers` when the value holds that word (case-sensitive, first occurrence) at its
 * end or before a comma, else '' (the header is not sent). `trailers, chunked` → `trailers`;
 * `gzip`, `Trailers`, `trailers;q=1` → dropped; HAProxy's substring search also takes `xtrailers`.
 */
export function teValueToForward(value: string): string {
  const at = value.indexOf('trailers');
  if (at < 0 || (value.length > at + 8 && value.charCodeAt(at + 8) !== 44 /* , */)) return '';
  return 'trailers';
}

/** A chunk's size line as HAProxy's H1 mux writes it: hexadecimal in upper case (`1F`). */
export function chunkSizeLine(length: number): string {
  return length.toString(16).toUpperCase() + '\r\n';
}

/**
 * The end of a chunked message as HAProxy's H1 mux writes it: the last chunk, the trailer fields
 * (names in lower case, or as h1-case-adjust says; values as received) and the blank line.
 */
export function lastChunk(trailers: readonly string[] | undefined, adjust: CaseAdjust | undefined): string {
  if (trailers === undefined) return '0\r\n\r\n';
  let out = '0\r\n';
  for (let i = 0; i < trailers.length; i += 2) {
    const name = trailers[i]!.toLowerCase();
    out += (adjust?.get(name) ?? name) + ': ' + trailers[i + 1]! + '\r\n';
  }
  return out + '\r\n';
}

/** ULLONG_MAX: the largest length HAProxy's H1 parser reads. */
const MAX_LENGTH = '18446744073709551615';

/**
 * A Content-Length value read as HAProxy's h1_parse_cont_len_header reads it: one length, or the same
 * length repeated in a comma-separated list (blanks around each, one comma after the last). Returns
 * the digits of the last one as written, or undefined when it is not such a value, or names another
 * length than `previous` (the digits of a Content-Length before it). `011` and `11` are one length.
 */
export function contentLengthDigits(value: string, previous?: string): string | undefined {
  // The common case, a server's own single length (19 digits stay below ULLONG_MAX), without a scan for lists.
  if (previous === undefined && value.length > 0 && value.length < 20 && allDigits(value)) return value;
  let list = value.trim();
  if (list.endsWith(',')) list = list.slice(0, -1);
  let digits: string | undefined;
  for (const word of list.split(',')) {
    const w = word.trim();
    if (!/^[0-9]+$/.test(w) || !sameLength(w, digits ?? previous ?? w)) return undefined;
    digits = w;
  }
  return digits;
}

function allDigits(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Two lengths' digits name the same length, one HAProxy can read (at most ULLONG_MAX). */
function sameLength(a: string, b: string): boolean {
  const x = a.replace(/^0+(?=.)/, '');
  if (x.length > MAX_LENGTH.length || (x.length === MAX_LENGTH.length && x > MAX_LENGTH)) return false;
  return x === b.replace(/^0+(?=.)/, '');
}
