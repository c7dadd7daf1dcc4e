/**
 * What HAProxy 2.6 refuses in a request head that llhttp accepts, checked on
 * the head llhttp parsed (never on raw bytes: llhttp does the framing). Each
 * refusal was observed on real HAProxy 2.6 with the same request:
 * - more header fields than `tune.http.maxhdr` − 1 (HAProxy keeps one slot of
 *   its header table for the end marker), or a head larger than its buffer
 *   (`tune.bufsize` − `tune.maxrewrite`, counted as HAProxy stores it) → 400;
 * - HTTP/0.9, a `#fragment` in the target (CVE-2023-45539's path-ACL bypass) → 400;
 * - a header field name longer than 255 bytes → 400 (HAProxy stores a name's
 *   length in one byte; CVE-2021-40346 was that length overflowing);
 * - two Host headers that differ, or an absolute-form / CONNECT target whose
 *   authority is not the Host header's → 400 (ACLs on `hdr(host)` and the
 *   server would disagree about the site); identical duplicates are merged;
 * - an HTTP/1.0 GET, HEAD or DELETE request with a body (Content-Length above 0, or chunked)
 *   → 413, unless `h1-accept-payload-with-any-method` (an HTTP/1.0 server may not look for a
 *   body there: the body would be read as the next request);
 * - a transfer-coding before `chunked` (`gzip, chunked`) → 422 (llhttp refuses
 *   codings after it, and a non-chunked final coding, itself);
 * - a WebSocket upgrade (Connection: upgrade + Upgrade: websocket) without
 *   Sec-WebSocket-Key → 400, unless the request has a body (then it is no upgrade:
 *   transaction.ts removes its Upgrade header, as HAProxy does).
 * The checks run once per request, in one pass over the header list. A response head's limits are
 * the same (responseHeadRefused).
 */
import type { RequestHead } from './transaction.ts';
import { deleteHeader, hasToken } from './headers.ts';
import { connectionValueKept } from './htx-size.ts';
import type { Config } from '../config/model.ts';

/** HAProxy's request limits (`tune.*` of the global section), with its defaults. */
export interface RequestLimits {
  /** `tune.http.maxhdr` (default 101): at most this − 1 header fields. */
  maxHeaders: number;
  /** `tune.bufsize` (default 16384) − `tune.maxrewrite` (default 1024, at most bufsize / 2): room for the head. */
  headRoom: number;
  /** `tune.bufsize`: what llhttp may buffer for a head before our exact check sees it. */
  bufsize: number;
  /** `h1-accept-payload-with-any-method`: HTTP/1.0 GET/HEAD/DELETE may carry a body. */
  payloadWithAnyMethod: boolean;
  /**
   * The frontend's `option accept-invalid-http-request`: a `#` in the target is taken (HTTP/1 and
   * HTTP/2), the one of HAProxy's relaxations llhttp leaves to these checks (frontendLimits).
   */
  acceptInvalid: boolean;
}

const DEFAULT_BUFSIZE = 16384;
const DEFAULT_MAXREWRITE = 1024;
const DEFAULT_MAXHDR = 101;

export const DEFAULT_REQUEST_LIMITS: RequestLimits = limitsOf(DEFAULT_BUFSIZE, DEFAULT_MAXREWRITE, DEFAULT_MAXHDR);

/** The limits a configuration sets (`tune.bufsize`, `tune.maxrewrite`, `tune.http.maxhdr`), HAProxy's defaults otherwise. */
export function requestLimits(global: Config['global']): RequestLimits {
  const tune = global.tune;
  const number = (name: string, fallback: number): number => {
    const v = Number(tune[name]);
    return tune[name] !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
  };
  return limitsOf(number('tune.bufsize', DEFAULT_BUFSIZE), number('tune.maxrewrite', DEFAULT_MAXREWRITE), number('tune.http.maxhdr', DEFAULT_MAXHDR), global.h1AcceptPayloadWithAnyMethod ?? false);
}

function limitsOf(bufsize: number, maxrewrite: number, maxhdr: number, payloadWithAnyMethod = false): RequestLimits {
  // HAProxy 2.6 (haproxy.c): maxrewrite is capped at half the buffer.
  const reserve = Math.min(maxrewrite, Math.floor(bufsize / 2));
  return { maxHeaders: maxhdr - 1, headRoom: bufsize - reserve, bufsize, payloadWithAnyMethod, acceptInvalid: false };
}

/** A frontend's limits: `option accept-invalid-http-request` relaxes the global ones. */
export function frontendLimits(limits: RequestLimits, proxy: Pick<Config['proxies'][number], 'options'>): RequestLimits {
  return proxy.options['accept-invalid-http-request']?.enabled ? { ...limits, acceptInvalid: true } : limits;
}

/**
 * Bytes a head takes in HAProxy's HTX buffer: 8 per block (start line, each
 * header) plus the start line's descriptor, the end-of-headers block and the
 * buffer's own header — 85 bytes in all, measured against HAProxy 2.6 with four
 * buffer settings (exact to the byte). The version is stored as 8 bytes (HTTP/1.x).
 */
const HTX_FIXED = 85;
const HTX_PER_HEADER = 8;
const HTX_VERSION = 8;

/**
 * A server's response head HAProxy 2.6's H1 parser refuses (the client gets a 502): more header
 * fields than `tune.http.maxhdr` − 1, or more bytes than the buffer leaves for a head, counted as a
 * request's (measured against haproxy 2.6.12 with the default limits: 99 fields besides a
 * Content-Length pass and 100 do not; a 15,226-byte field value in a `200 OK` passes, one byte more
 * does not). llhttp takes both.
 */
export function responseHeadRefused(reason: string, fields: readonly string[], limits: RequestLimits): boolean {
  return fields.length / 2 > limits.maxHeaders || headBufferBytes(3 + reason.length, fields) > limits.headRoom;
}

/**
 * What a head takes in HAProxy's buffer (see HTX_FIXED): `startLine` is the length of its start
 * line's method and target, or status and reason.
 */
function headBufferBytes(startLine: number, fields: readonly string[]): number {
  let size = HTX_FIXED + HTX_VERSION + startLine;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    let value = fields[i + 1]!;
    // The H1 mux takes Connection's close and keep-alive out as it reads the head (the field, if nothing is left).
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      value = connectionValueKept(value);
      if (value === '') continue;
    }
    size += name.length + value.length + HTX_PER_HEADER;
  }
  return size;
}

/**
 * A head an http-request or http-response rule rewrote no longer fits the whole buffer
 * (`tune.bufsize`: the rewrite has used up the `tune.maxrewrite` reserve). HAProxy's rewrite fails
 * there and, in strict mode (its default), the exchange ends with a 500 (rules.ts). Measured
 * against haproxy 2.6.12 (a set-header copying an N-byte field): a request head of 16,383 bytes
 * passes and one of 16,385 does not.
 */
export function rewriteOverflows(startLine: number, fields: readonly string[], limits: RequestLimits): boolean {
  return headBufferBytes(startLine, fields) > limits.bufsize;
}

/**
 * What HAProxy 2.6's H2 mux refuses in a request nghttp2 let through (h2c_decode_headers and
 * h2_make_htx_request, measured against haproxy 2.6.12): '' when it goes on;
 * - 'connection' (GOAWAY COMPRESSION_ERROR) for more than 2 × `tune.http.maxhdr` − 1 fields,
 *   pseudo-headers included (its HPACK decoder's list is full), or more decoded bytes than
 *   `tune.bufsize` (its decoding buffer is full: an HPACK bomb, a field referenced again and
 *   again). HAProxy counts there the bytes Huffman or its dynamic table expanded, which Node does
 *   not tell; a block of plain literals that large is HAProxy's GOAWAY INTERNAL_ERROR instead (its
 *   frame does not fit its buffer), also a connection error;
 * - 'stream' (RST_STREAM PROTOCOL_ERROR) for a `#` in :path, a name longer than 255 bytes, or a
 *   head larger than the buffer's room for it (`tune.bufsize` − `tune.maxrewrite`, as HTX counts).
 * `url` is the target as HTX holds it (absolute when the request had an :authority), `fields` the
 * regular fields with Host, `raw` every field of the header block as received (flat).
 */
export function h2RequestRefusal(method: string, url: string, fields: readonly string[], raw: readonly string[], limits: RequestLimits): '' | 'connection' | 'stream' {
  if (raw.length / 2 > 2 * (limits.maxHeaders + 1) - 1) return 'connection';
  let decoded = 0;
  for (const s of raw) decoded += s.length;
  if (decoded > limits.bufsize) return 'connection';
  if (!limits.acceptInvalid && url.includes('#')) return 'stream';
  let size = HTX_FIXED + method.length + url.length + HTX_VERSION;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.length > MAX_NAME_LENGTH) return 'stream';
    size += fields[i]!.length + fields[i + 1]!.length + HTX_PER_HEADER;
  }
  return size > limits.headRoom ? 'stream' : '';
}

/**
 * Why requestRefusal refuses a head, in words, with the status (the request tracer's answer);
 * undefined when it takes it. Each limit is found by relaxing it alone: the head passes without
 * it, so it was the reason. Not for the hot path (it checks the head again per limit).
 */
export function requestRefusalReason(head: RequestHead, limits: RequestLimits): { status: number; reason: string } | undefined {
  const check = (relaxed: Partial<RequestLimits> = {}): number => requestRefusal({ ...head, headers: [...head.headers] }, { ...limits, ...relaxed });
  const status = check();
  if (status === 0) return undefined;
  const h = head.headers;
  const hosts = h.filter((_, i) => i % 2 === 1 && h[i - 1]!.toLowerCase() === 'host');
  const reason = status === 413 ? 'an HTTP/1.0 GET, HEAD or DELETE request with a body'
    : status === 422 ? "a transfer-coding before 'chunked'"
    : head.versionMajor === 0 ? 'HTTP/0.9'
    : h.length / 2 > limits.maxHeaders ? `more than ${limits.maxHeaders} header fields (tune.http.maxhdr)`
    : h.some((name, i) => i % 2 === 0 && name.length > MAX_NAME_LENGTH) ? `a header name longer than ${MAX_NAME_LENGTH} characters`
    : check({ headRoom: Number.MAX_SAFE_INTEGER }) === 0 ? `the request line and headers take more than the ${limits.headRoom} bytes the buffer leaves for them (tune.bufsize − tune.maxrewrite)`
    : check({ acceptInvalid: true }) === 0 ? "a '#' in the target (option accept-invalid-http-request allows it)"
    : new Set(hosts.map((v) => v.toLowerCase())).size > 1 ? 'two Host headers that differ'
    : hosts.length > 0 && !authorityMatchesHost(head.method, head.url, hosts[0]!) ? "the target's authority is not the Host header"
    : head.method === 'CONNECT' ? 'a CONNECT target that is not host:port'
    : 'a WebSocket upgrade without Sec-WebSocket-Key';
  return { status, reason };
}

/** Longest header field name HAProxy 2.6 takes (its HTX blocks keep a name's length in 8 bits). */
const MAX_NAME_LENGTH = 255;

/** 0 when the request may go on, else the status to refuse it with (400, 413, 422). */
export function requestRefusal(head: RequestHead, limits: RequestLimits): number {
  if (head.versionMajor === 0) return 400;
  const h = head.headers;
  if (h.length / 2 > limits.maxHeaders) return 400;
  let size = HTX_FIXED + head.method.length + head.url.length + HTX_VERSION;
  let host: string | undefined;
  let duplicateHost = false;
  let transferEncodings = 0;
  let codings = '';
  let connection: string | undefined;
  let upgrade: string | undefined;
  let wsKey = false;
  let contentLength: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    const value = h[i + 1]!;
    if (name.length > MAX_NAME_LENGTH) return 400;
    size += name.length + value.length + HTX_PER_HEADER;
    // Length first: most headers are none of these.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() !== 'host') break;
        if (host === undefined) host = value;
        else if (host.toLowerCase() !== value.toLowerCase()) return 400;
        else duplicateHost = true;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') upgrade = upgrade === undefined ? value : `${upgrade},${value}`;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') contentLength = value;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          transferEncodings++;
          codings = transferEncodings === 1 ? value : `${codings},${value}`;
        } else if (name.toLowerCase() === 'sec-websocket-key' && value !== '') wsKey = true;
        break;
    }
  }
  if (size > limits.headRoom) return 400;
  if (!limits.acceptInvalid && head.url.includes('#')) return 400;
  if (head.versionMajor === 1 && head.versionMinor === 0 && (transferEncodings > 0 || Number(contentLength) > 0) && !limits.payloadWithAnyMethod
    && (head.method === 'GET' || head.method === 'HEAD' || head.method === 'DELETE')) return 413;
  if (transferEncodings > 0 && (transferEncodings > 1 || codings.includes(','))) {
    // llhttp made sure chunked is the last coding; anything before it is HAProxy's 422.
    return 422;
  }
  if (host !== undefined && !authorityMatchesHost(head.method, head.url, host)) return 400;
  // (A request with a body is no upgrade for HAProxy: its Upgrade header goes, nothing to check.)
  if (upgrade !== undefined && connection !== undefined && !wsKey && transferEncodings === 0 && !(Number(contentLength) > 0)
    && hasToken(upgrade, 'websocket') && hasToken(connection, 'upgrade')) return 400;
  // Identical Host headers are one Host, as HAProxy forwards them.
  if (duplicateHost) {
    deleteHeader(h, 'host');
    h.push('host', host!);
  }
  // Origin-form (the common case) has no authority to check or normalize.
  if (head.url.charCodeAt(0) === SLASH) return 0;
  if (head.method === 'CONNECT') {
    // RFC 9112 §3.2.3: authority-form is host ":" port; HAProxy 2.6.12 refuses a CONNECT without a port (h1_validate_connect_authority).
    if (!CONNECT_PORT.test(head.url)) return 400;
    if (host !== undefined) {
      const normalized = withoutDefaultPort(host, CONNECT_DEFAULT_PORTS);
      if (normalized !== host && normalized !== '' && host.charCodeAt(host.length - 1) !== COLON) replaceHost(h, normalized);
    }
  } else if (head.url !== '*') schemeBasedNormalize(head);
  return 0;
}

const SLASH = 0x2f;
const COLON = 0x3a;
/** A port after the last colon, digits only, not empty. */
const CONNECT_PORT = /:\d+$/;

/**
 * HAProxy 2.6's scheme-based normalization of an absolute-form target (RFC 3986 §6.2.3,
 * http_scheme_based_normalize): the scheme's default port (`http://…:80`, `https://…:443`) or an
 * empty one (`http://…:/`) is dropped from the target, and every Host field is set to the host without it. Rules, logs and
 * the server see `GET https://a/ HTTP/1.1` + `host: a` for `GET https://a:443/` + `Host: a:443`.
 */
function schemeBasedNormalize(head: RequestHead): void {
  const url = head.url;
  const sep = url.indexOf('://');
  if (sep <= 0) return;
  const scheme = url.slice(0, sep).toLowerCase();
  const port = scheme === 'http' ? '80' : scheme === 'https' ? '443' : undefined;
  if (port === undefined) return;
  const start = sep + 3;
  // HAProxy's authority runs to the first '/' (http_parse_authority): `http://a:80?q` has none to drop.
  let end = url.indexOf('/', start);
  if (end < 0) end = url.length;
  let colon = end;
  while (colon > start && isDigit(url.charCodeAt(colon - 1))) colon--;
  // The default port, or none after the colon (`http://a:/`): both dropped, colon included.
  const written = url.slice(colon, end);
  if (colon - 1 < start || url.charCodeAt(colon - 1) !== COLON || (written !== port && written !== '')) return;
  const hostPart = url.slice(start, colon - 1);
  head.url = url.slice(0, start) + hostPart + url.slice(end);
  // The target keeps a userinfo (`http://u@a/`); the Host fields get the host alone, as from HAProxy.
  replaceHost(head.headers, hostPart.slice(hostPart.lastIndexOf('@') + 1));
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Every Host field's value becomes `value` (in place, names as received). */
function replaceHost(h: string[], value: string): void {
  for (let i = 0; i < h.length; i += 2) if (h[i]!.length === 4 && h[i]!.toLowerCase() === 'host') h[i + 1] = value;
}

/** A comma-separated header value holds `token` (case-insensitive). */
/**
 * An origin-form or `*` target has no authority to disagree with. Otherwise the
 * authority (userinfo dropped) must be the Host, ignoring case and the scheme's
 * default port on either side: HAProxy 2.6 takes `http://a:80/` with `Host: a`,
 * `https://a/` with `Host: a:443`, `CONNECT a:443` with `Host: a`, and refuses
 * `http://a:443/` with `Host: a` or `CONNECT a:443` with `Host: a:80`.
 */
export function authorityMatchesHost(method: string, url: string, host: string): boolean {
  let authority: string;
  let defaults: readonly string[];
  if (method === 'CONNECT') {
    authority = url;
    defaults = CONNECT_DEFAULT_PORTS;
  } else {
    if (url.length === 0 || url[0] === '/' || url === '*') return true;
    const sep = url.indexOf('://');
    if (sep <= 0) return true;
    const scheme = url.slice(0, sep).toLowerCase();
    const rest = url.slice(sep + 3);
    // To the first '/', as HAProxy's http_parse_authority: `http://a?q` names the authority `a?q`, which
    // no Host matches here (haproxy takes `Host: a?q`; for RFC 3986 the authority is `a`: ambiguous, refused).
    const end = rest.indexOf('/');
    authority = end < 0 ? rest : rest.slice(0, end);
    if (authority.includes('?')) return false;
    defaults = scheme === 'http' ? HTTP_DEFAULT_PORT : scheme === 'https' ? HTTPS_DEFAULT_PORT : NO_DEFAULT_PORT;
  }
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  const a = authority.toLowerCase();
  const h = host.toLowerCase();
  return a === h || withoutDefaultPort(a, defaults) === h || a === withoutDefaultPort(h, defaults);
}

const HTTP_DEFAULT_PORT = ['80'];
const HTTPS_DEFAULT_PORT = ['443'];
const CONNECT_DEFAULT_PORTS = ['80', '443'];
const NO_DEFAULT_PORT: readonly string[] = [];

/** `host:port` without the port when it is a default one or empty (`a:` is `a`); IPv6 literals keep their brackets. */
function withoutDefaultPort(authority: string, defaults: readonly string[]): string {
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || colon < authority.lastIndexOf(']')) return authority;
  const port = authority.slice(colon + 1);
  return port === '' || defaults.includes(port) ? authority.slice(0, colon) : authority;
}

/**
 * Bytes a trailer section takes in HAProxy's HTX buffer beyond its fields (8 per field): measured
 * against HAProxy 2.6.12 with tune.bufsize 16384 and 8192 (exact to the byte).
 */
const HTX_TRAILERS_FIXED = 57;

/**
 * Whether a chunked message's trailer fields fit HAProxy 2.6's limits (h1_parse_msg_tlrs): '' when
 * they do; 'fields' for more than `tune.http.maxhdr` − 1 of them (its parser fails: the H1 mux's own
 * 400 to a request); 'bytes' for more than its buffer takes (the stream's 400, Connection: close).
 * A response over either limit is invalid (HAProxy's 502 when nothing was sent yet).
 */
export function trailersRefusal(fields: readonly string[], limits: RequestLimits): '' | 'fields' | 'bytes' {
  if (fields.length / 2 > limits.maxHeaders) return 'fields';
  let size = HTX_TRAILERS_FIXED;
  for (let i = 0; i < fields.length; i += 2) size += fields[i]!.length + fields[i + 1]!.length + HTX_PER_HEADER;
  return size > limits.headRoom ? 'bytes' : '';
}

/**
 * Where in a refused request's bytes (`message`, from its first byte) HAProxy's H1 parser stops for
 * the refusals it makes while it parses (h1_headers_to_hdr_list): the end of an HTTP/0.9 request
 * line, where its header table overflowed, the value of a Host field that differs from the first,
 * the `#` of a target (unless accepted). Undefined for
 * the others, which HAProxy reports at the head's end as llhttp does. For `show errors` only: it
 * runs on the error path, after requestRefusal refused `head`.
 */
export function refusalPosition(head: RequestHead, message: Buffer, limits: RequestLimits): number | undefined {
  const text = message.toString('latin1');
  if (head.versionMajor === 0) {
    const eol = text.search(/\r|\n/);
    return eol < 0 ? undefined : eol;
  }
  const h = head.headers;
  // HAProxy's header table (tune.http.maxhdr slots, one for the end marker) overflows at the end of
  // line maxhdr + 1 after the request line: the field that did not fit, or the empty line.
  if (h.length / 2 > limits.maxHeaders) return lineStart(text, limits.maxHeaders + 3);
  let host: string | undefined;
  let hosts = 0;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    if (name.length > MAX_NAME_LENGTH) return undefined;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    hosts++;
    if (host === undefined) host = h[i + 1]!;
    else if (host.toLowerCase() !== h[i + 1]!.toLowerCase()) {
      // The value of the `hosts`-th Host field line.
      const fields = text.matchAll(/\nhost[ \t]*:[ \t]*/gi);
      let n = 0;
      for (const m of fields) if (++n === hosts) return m.index + m[0].length;
      return undefined;
    }
  }
  const eol = text.search(/\r|\n/);
  const hash = text.indexOf('#');
  return hash >= 0 && (eol < 0 || hash < eol) && head.url.includes('#') && !limits.acceptInvalid ? hash : undefined;
}

/** The offset of line `n` (0: the request line), just after the n-th line feed; undefined without one. */
function lineStart(text: string, n: number): number | undefined {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const lf = text.indexOf('\n', at);
    if (lf < 0) return undefined;
    at = lf + 1;
  }
  return at;
}
