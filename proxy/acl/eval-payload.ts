/**
 * Layer-6 fetches over the raw bytes of a TCP stream (payload.c): TLS
 * ClientHello inspection (req.ssl_hello_type, req.ssl_ver, req.ssl_sni,
 * req.ssl_alpn, req.ssl_ec_ext, req.ssl_st_ext), RDP cookies and
 * payload / payload_lv extraction.
 *
 * Each function returns a value, SHORT when more bytes could change the
 * answer (HAProxy's SMP_F_MAY_CHANGE: the caller waits while the inspect
 * delay runs), or NOT when the bytes can never match. The checks follow
 * HAProxy's, plus explicit bounds checks everywhere: where HAProxy would read
 * past the announced lengths of a malformed hello (the SNI name length is
 * not checked against the extension length, the handshake body is compared
 * with the record's remaining bytes 4 bytes too early), this code answers
 * NOT / SHORT instead of returning bytes from outside the message.
 *
 * Where a result is a range of `d`, it is written to a Span the caller owns
 * (a compiled fetch keeps one and reuses it: nothing is allocated per call).
 */
import type { Span } from './fetch/define.ts';

/** More data may change the result. */
export const SHORT = -1;
/** Not a match, whatever follows. */
export const NOT = -2;

/** Buffer size HAProxy uses to cap what it waits for (tune.bufsize - tune.maxrewrite). */
const RECV_LIMIT = 16384 - 1024;

/** A range that may grow with more data (payload() with no length reaches the end of what arrived). */
export interface PayloadSpan extends Span {
  mayGrow: boolean;
}

/**
 * Walks a ClientHello up to its extensions, the way the req.ssl_sni,
 * req.ssl_alpn, req.ssl_ec_ext and req.ssl_st_ext fetches do. Returns 0 and
 * sets `ext` to the extensions block [start, end), or SHORT / NOT.
 */
export function clientHelloExtensions(d: Uint8Array, ext: Span): number {
  const n = d.length;
  if (n === 0) return SHORT;
  if (d[0] !== 0x16) return NOT; // handshake record
  if (n < 3) return SHORT;
  if (d[1]! < 0x03) return NOT; // SSLv3 or later record layer
  if (n < 5) return SHORT;
  let hsLen = (d[3]! << 8) | d[4]!;
  if (hsLen < 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return NOT; // too short to have an extension
  let p = 5;
  if (n < p + 1) return SHORT;
  if (d[p] !== 0x01) return NOT; // ClientHello
  if (n < p + 4) return SHORT;
  hsLen = (d[p + 1]! << 16) | (d[p + 2]! << 8) | d[p + 3]!;
  if (hsLen < 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return NOT;
  p += 4;
  if (n < p + hsLen) return SHORT; // we want the whole handshake message
  const end = p + hsLen;
  if (d[p]! < 0x03 || d[p + 1]! < 0x01) return NOT; // TLSv1 minimum
  const sidLen = d[p + 34]!;
  if (sidLen > 32 || sidLen > hsLen - 35) return NOT;
  p += 35 + sidLen;
  let left = end - p;
  if (left < 4) return NOT;
  const ciphersLen = (d[p]! << 8) | d[p + 1]!;
  if (ciphersLen < 2 || ciphersLen > left) return NOT;
  p += 2 + ciphersLen;
  left = end - p;
  if (left < 2) return NOT;
  const compLen = d[p]!;
  if (compLen < 1 || compLen > left) return NOT;
  p += 1 + compLen;
  left = end - p;
  if (left < 2) return NOT;
  const extLen = (d[p]! << 8) | d[p + 1]!;
  if (extLen > left - 2) return NOT;
  ext.start = p + 2;
  ext.end = p + 2 + extLen;
  return 0;
}

/** Finds extension `type` in the block [ext.start, ext.end): offset of its header, or NOT. */
function findExtension(d: Uint8Array, type: number, ext: Span): number {
  const extEnd = ext.end;
  let p = ext.start;
  while (extEnd - p >= 4) {
    const t = (d[p]! << 8) | d[p + 1]!;
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    if (len > extEnd - p - 4) return NOT; // extension too long
    if (t === type) return p;
    p += 4 + len;
  }
  return NOT;
}

/** req.ssl_sni: host name of the server_name extension, as bytes offsets [start, end) in `out`, or SHORT / NOT. */
export function sslSni(d: Uint8Array, out: Span): number {
  const r = clientHelloExtensions(d, out);
  if (r !== 0) return r;
  const extEnd = out.end;
  let p = out.start;
  // several server_name extensions are not valid TLS; like HAProxy, use the first with a host_name entry
  while (extEnd - p >= 4) {
    const t = (d[p]! << 8) | d[p + 1]!;
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    const hsLeft = extEnd - p;
    if (len > hsLeft - 4) return NOT;
    if (t === 0) {
      if (len < 2) return NOT;
      const listLen = (d[p + 4]! << 8) | d[p + 5]!;
      if (listLen < 4 || listLen > hsLeft - 6) return NOT;
      if (d[p + 6] === 0) { // host_name
        const nameLen = (d[p + 7]! << 8) | d[p + 8]!;
        if (9 + nameLen > 4 + len || 3 + nameLen > listLen) return NOT; // bounds (not checked by HAProxy)
        out.start = p + 9;
        out.end = p + 9 + nameLen;
        return 0;
      }
    }
    p += 4 + len;
  }
  return NOT;
}

/** req.ssl_alpn: the protocol names of the ALPN extension, in order (SHORT / NOT otherwise); `scratch` is overwritten. */
export function sslAlpn(d: Uint8Array, scratch: Span): string[] | number {
  const r = clientHelloExtensions(d, scratch);
  if (r !== 0) return r;
  const p = findExtension(d, 16, scratch);
  if (p < 0) return NOT;
  const len = (d[p + 2]! << 8) | d[p + 3]!;
  if (len < 3) return NOT;
  const names: string[] = [];
  let off = 6;
  for (;;) {
    const nameLen = d[p + off]!;
    if (nameLen + off - 3 > len) return names.length ? names : NOT;
    names.push(Buffer.from(d.subarray(p + off + 1, p + off + 1 + nameLen)).toString('latin1'));
    if (nameLen + off - 3 >= len) return names;
    off += nameLen + 1;
  }
}

/** req.ssl_ec_ext: 1 if the supported_groups (elliptic curves) extension is present, NOT if absent; `scratch` is overwritten. */
export function sslEcExt(d: Uint8Array, scratch: Span): number {
  const r = clientHelloExtensions(d, scratch);
  if (r !== 0) return r;
  return findExtension(d, 10, scratch) >= 0 ? 1 : NOT;
}

/** req.ssl_st_ext: 0 no SessionTicket extension, 1 empty one, 2 with a ticket; `scratch` is overwritten. */
export function sslStExt(d: Uint8Array, scratch: Span): number {
  const r = clientHelloExtensions(d, scratch);
  if (r !== 0) return r;
  const extEnd = scratch.end;
  let p = scratch.start;
  while (extEnd - p >= 4) {
    const t = (d[p]! << 8) | d[p + 1]!;
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    if (len > extEnd - p - 4) return NOT;
    if (t === 35) return len > 0 ? 2 : 1;
    p += 4 + len;
  }
  return 0;
}

/** req.ssl_hello_type / res.ssl_hello_type: handshake message type of a complete SSLv3+ record. */
export function sslHelloType(d: Uint8Array): number {
  const n = d.length;
  if (n === 0) return SHORT;
  const t = d[0]!;
  if (!((t >= 0x14 && t <= 0x17) || t === 0xff)) return NOT;
  if (n < 9) return SHORT;
  if (((d[1]! << 16) | d[2]!) < 0x00030000) return NOT;
  if (((d[3]! << 8) | d[4]!) < 4) return NOT;
  const hsType = d[5]!;
  const hsLen = (d[6]! << 16) | (d[7]! << 8) | d[8]!;
  if (n < 9 + hsLen) return SHORT;
  return hsType;
}

/**
 * req.ssl_ver: client hello version (major<<16 | minor) of an SSLv3/TLS
 * record or of an SSLv2 client hello.
 */
export function sslVersion(d: Uint8Array): number {
  const n = d.length;
  if (n === 0) return SHORT;
  let version: number;
  let msgLen: number;
  let left = n;
  let p = 0;
  const t = d[0]!;
  if ((t >= 0x14 && t <= 0x17) || t === 0xff) {
    if (n < 11) return SHORT;
    version = (d[1]! << 16) | d[2]!;
    msgLen = (d[3]! << 8) | d[4]!;
    if (version < 0x00030000) return NOT;
    if (msgLen < 6 || msgLen > (1 << 14) + 2048) return NOT;
    left -= 5;
    p += 5;
    version = (d[p + 4]! << 16) | d[p + 5]!; // the hello's version, not the record's
  } else {
    let rlen: number;
    let plen: number;
    if (t & 0x80) {
      if (n < 3) return SHORT;
      rlen = ((t & 0x7f) << 8) | d[1]!;
      plen = 0;
      left -= 2; p += 2;
    } else {
      if (n < 4) return SHORT;
      rlen = ((t & 0x3f) << 8) | d[1]!;
      plen = d[2]!;
      left -= 3; p += 3;
    }
    if (d[p] !== 0x01) return NOT;
    left--; p++;
    if (left < 8) return SHORT;
    version = (d[p]! << 16) | d[p + 1]!;
    const cilen = (d[p + 2]! << 8) | d[p + 3]!;
    const silen = (d[p + 4]! << 8) | d[p + 5]!;
    const chlen = (d[p + 6]! << 8) | d[p + 7]!;
    left -= 8;
    if (cilen % 3 !== 0) return NOT;
    if (silen && silen !== 16) return NOT;
    if (chlen < 16 || chlen > 32) return NOT;
    if (rlen !== 9 + cilen + silen + chlen) return NOT;
    msgLen = cilen + silen + chlen + plen;
  }
  if (msgLen > RECV_LIMIT) msgLen = RECV_LIMIT;
  if (left < msgLen) return SHORT;
  return version;
}

/** fetch_rdp_cookie_name(): value of the RDP cookie `name` ('' = any) as [start, end) in `out`. */
export function rdpCookie(d: Uint8Array, name: string, out: Span): number {
  let left = d.length;
  if (left <= 11) return SHORT;
  let p = 11;
  left -= 11;
  if (left <= 7) return SHORT;
  if (Buffer.from(d.subarray(p, p + 7)).toString('latin1').toLowerCase() !== 'cookie:') return NOT;
  p += 7; left -= 7;
  while (left > 0 && d[p] === 32) { p++; left--; }
  if (name.length) {
    if (left <= name.length) return SHORT;
    if (d[p + name.length] !== 61) return NOT;
    if (Buffer.from(d.subarray(p, p + name.length)).toString('latin1').toLowerCase() !== name.toLowerCase()) return NOT;
    p += name.length + 1;
    left -= name.length + 1;
  } else {
    while (left > 0 && d[p] !== 61) {
      if (d[p] === 13 || d[p] === 10) return NOT;
      p++; left--;
    }
    if (left < 1) return SHORT;
    p++; left--;
  }
  const start = p;
  while (left > 0 && d[p] !== 13) { p++; left--; }
  if (left < 2) return SHORT;
  if (d[p] !== 13 || d[p + 1] !== 10) return NOT;
  out.start = start;
  out.end = p;
  return 0;
}

/** tune.bufsize: payload beyond it can never be available. */
const BUFSIZE = 16384;

/** payload(offset,length): [start, end) in `out`, SHORT or NOT. length 0 = up to the end. */
export function payload(d: Uint8Array, offset: number, length: number, out: PayloadSpan): number {
  if (length > BUFSIZE || offset + length > BUFSIZE) return NOT;
  if (offset + length > d.length) return SHORT;
  out.start = offset;
  out.end = length ? offset + length : d.length;
  out.mayGrow = length === 0;
  return 0;
}

/**
 * payload_lv(len_offset,len_size[,buf_offset]): a length-prefixed block.
 * `bufOffset` undefined = right after the length; else odd = relative
 * (value >> 1 added), even = absolute (value >> 1), as HAProxy encodes it.
 */
export function payloadLv(d: Uint8Array, lenOffset: number, lenSize: number, bufOffset: number | undefined, out: PayloadSpan): number {
  if (lenOffset + lenSize > d.length) return SHORT;
  let size = 0;
  for (let i = 0; i < lenSize; i++) size = (size * 256 + d[lenOffset + i]!) >>> 0;
  let start = lenOffset + lenSize;
  if (bufOffset !== undefined) {
    if (bufOffset & 1) start += bufOffset >> 1;
    else start = bufOffset >> 1;
  }
  if (!size || size > BUFSIZE || start + size > BUFSIZE) return NOT;
  if (start + size > d.length) return SHORT;
  out.start = start;
  out.end = start + size;
  out.mayGrow = false;
  return 0;
}

/**
 * Convenience for the engine: the SNI of a complete TLS ClientHello at the
 * start of `d`, 'short' while more bytes are needed, undefined when there is
 * none (not TLS, no server_name, malformed).
 */
export function parseClientHelloSni(d: Uint8Array): string | 'short' | undefined {
  const sni: Span = { start: 0, end: 0 };
  const r = sslSni(d, sni);
  if (r === SHORT) return 'short';
  if (r !== 0) return undefined;
  return Buffer.from(d.subarray(sni.start, sni.end)).toString('latin1');
}

/**
 * Convenience for `balance rdp-cookie(name)`: the value of the RDP cookie
 * `name` held at the start of `d`, or undefined (not RDP, incomplete, other cookie).
 */
export function rdpCookieValue(d: Uint8Array, name: string): string | undefined {
  const value: Span = { start: 0, end: 0 };
  if (rdpCookie(d, name, value) !== 0) return undefined;
  return Buffer.from(d.subarray(value.start, value.end)).toString('latin1');
}

/** HTTP/2's connection preface (RFC 9113 §3.4). */
const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/** A token character (RFC 9110 §5.6.2): methods and header names. */
const TCHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * req.proto_http on raw bytes (a TCP-mode content rule, before any upgrade): 0 when `d` starts
 * with a whole HTTP/1.x request head (request line, header lines, empty line) or HTTP/2's
 * preface, SHORT while what is there is the start of one, NOT otherwise. HAProxy's
 * smp_prefetch_htx parses the buffer with its H1 parser for this; here the head is only
 * recognised (llhttp parses it for real once the connection is upgraded).
 */
export function httpRequestHead(d: Uint8Array): number {
  const text = Buffer.from(d.buffer, d.byteOffset, Math.min(d.length, INSPECT_LIMIT)).toString('latin1');
  if (text.startsWith('PRI ')) return text.length >= H2_PREFACE.length ? (text.startsWith(H2_PREFACE) ? 0 : NOT) : H2_PREFACE.startsWith(text) ? SHORT : NOT;
  const lines = text.split('\n');
  // The last piece has no LF yet: it may still grow into a valid line.
  for (let i = 0; i < lines.length; i++) {
    const complete = i < lines.length - 1;
    const line = complete && lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (i === 0) {
      if (!complete) return requestLineStart(line) ? SHORT : NOT;
      if (!/^[^ ]+ [^ \x00-\x1f\x7f]+ HTTP\/\d\.\d$/.test(line) || !TCHAR.test(line.slice(0, line.indexOf(' ')))) return NOT;
      continue;
    }
    if (!complete) return SHORT;
    if (line === '') return 0;
    const colon = line.indexOf(':');
    if (colon <= 0 || !TCHAR.test(line.slice(0, colon))) return NOT;
  }
  return SHORT;
}

/** A request line not ended yet: a method token, then maybe a target and the start of a version. */
function requestLineStart(line: string): boolean {
  const [method, target, version, extra] = line.split(' ');
  if (extra !== undefined || !(method === '' || TCHAR.test(method!))) return false;
  if (version === undefined) return true;
  return target !== '' && ('HTTP/1.1'.startsWith(version) || /^HTTP\/\d(\.\d?)?$/.test(version));
}

/** HAProxy's buffer less its rewrite reserve: more than that is not a request head it could take. */
const INSPECT_LIMIT = 16384 - 1024;
