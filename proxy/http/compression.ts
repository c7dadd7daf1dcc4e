/**
 * HTTP response compression: which exchanges HAProxy 2.6's compression filter compresses and how
 * it rewrites the response head (src/flt_http_comp.c, replayed against haproxy 2.6.12 in
 * test/proxy/http/compression.test.ts). The body itself is encoded by compressor.ts.
 *
 * - At the request (after the http-request rules and the choice of backend), the algorithm is
 *   chosen from the client's Accept-Encoding (select_compression_request_header); with
 *   `compression offload`, Accept-Encoding is then removed from what the server gets.
 * - At the response head, before the http-response rules, the server's answer is checked
 *   (select_compression_response_header).
 * - After the rules, the head is rewritten (set_compression_response_header).
 */
import type { GlobalSettings, Proxy } from '../config/model.ts';
import type { ResponseHead } from './upstream.ts';
import { compressionLimits, compressionLoad, type CompressionLimits } from './compression-load.ts';

export interface CompressionAlgorithm {
  /** As configured: identity, gzip, deflate, raw-deflate. */
  readonly name: 'identity' | 'gzip' | 'deflate' | 'raw-deflate';
  /** The Accept-Encoding / Content-Encoding token (HAProxy's ua_name): raw-deflate answers to `deflate`. */
  readonly token: string;
}

const ALGORITHMS: Readonly<Record<CompressionAlgorithm['name'], CompressionAlgorithm>> = {
  identity: { name: 'identity', token: 'identity' },
  gzip: { name: 'gzip', token: 'gzip' },
  deflate: { name: 'deflate', token: 'deflate' },
  'raw-deflate': { name: 'raw-deflate', token: 'deflate' },
};

/** zlib's settings for every compressed response (global section). */
export interface ZlibTuning {
  /** `tune.comp.maxlevel`, 1..9; HAProxy's default is 1 (fast, not small). */
  readonly level: number;
  /** `tune.zlib.windowsize`, 8..15 (default 15). */
  readonly windowBits: number;
  /** `tune.zlib.memlevel`, 1..9 (default 8). */
  readonly memLevel: number;
}

/** One proxy's `compression` lines, compiled once per configuration load. */
export interface ProxyCompression {
  /** In HAProxy's search order: each `compression algo` word goes in front (comp_append_algo), so the last written comes first. */
  readonly algorithms: readonly CompressionAlgorithm[];
  /** `compression type`: Content-Type prefixes, lower case (any order: HAProxy tries them all). */
  readonly types: readonly string[];
  readonly offload: boolean;
  readonly zlib: ZlibTuning;
  /** The global `maxcomprate` / `maxcompcpuusage` (compression-load.ts). */
  readonly limits: CompressionLimits;
}

/** undefined for a proxy without compression lines: its exchanges compile and check nothing for it. */
export function compileCompression(config: Proxy, global: GlobalSettings | undefined): ProxyCompression | undefined {
  const c = config.compression;
  if (c.algorithms.length === 0 && c.types.length === 0 && !c.offload) return undefined;
  const tune = global?.tune ?? {};
  return {
    algorithms: c.algorithms.map((name) => ALGORITHMS[name as CompressionAlgorithm['name']]).filter((a) => a !== undefined).reverse(),
    types: c.types.map((t) => t.toLowerCase()),
    offload: c.offload,
    zlib: {
      level: Number(tune['tune.comp.maxlevel'] ?? 1),
      windowBits: Number(tune['tune.zlib.windowsize'] ?? 15),
      memLevel: Number(tune['tune.zlib.memlevel'] ?? 8),
    },
    limits: compressionLimits(tune),
  };
}

/** The backend's setting when it has one, else the frontend's (HAProxy reads `s->be->comp` first). */
function backendFirst<T>(fe: ProxyCompression | undefined, be: ProxyCompression | undefined, pick: (c: ProxyCompression) => readonly T[]): readonly T[] {
  const fromBackend = be ? pick(be) : [];
  return fromBackend.length > 0 ? fromBackend : fe ? pick(fe) : [];
}

/**
 * The algorithm for this exchange, chosen from the request headers (which `compression offload`
 * may edit: flat [name, value, …]), or undefined. Called only when the frontend or the backend
 * has compression lines.
 */
export function chooseAlgorithm(fe: ProxyCompression | undefined, be: ProxyCompression | undefined, headers: string[]): CompressionAlgorithm | undefined {
  // Old user agents announcing "Mozilla/4" get nothing, unless MSIE 6 with XP SP2 (SV1) or MSIE 7 and later.
  const agent = firstValue(headers, 'user-agent');
  if (agent !== undefined && oldMozilla(agent)) return undefined;
  const algorithms = backendFirst(fe, be, (c) => c.algorithms);
  let chosen: CompressionAlgorithm | undefined;
  let bestQ = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (!isName(headers[i]!, 'accept-encoding')) continue;
    for (const value of commaValues(headers[i + 1]!)) {
      const token = leadingToken(value);
      const q = qValue(value.slice(token.length));
      // A better q only: among equal ones the first listed wins; q=0 never does.
      if (q <= bestQ) continue;
      const match = algorithms.find((a) => value.startsWith('*') || token.toLowerCase() === a.token);
      if (match) {
        chosen = match;
        bestQ = q;
      }
    }
  }
  if (chosen) {
    if (be?.offload || fe?.offload) removeHeader(headers, 'accept-encoding');
    return chosen;
  }
  // identity needs no header: configured, it applies when nothing else did.
  return algorithms.find((a) => a.name === 'identity');
}

/** What the response check reads of the request. */
export interface CompressedRequest {
  readonly method: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
}

/**
 * The server's answer can be compressed (checked on its head as received, before the http-response
 * rules): HTTP/1.1 or later on both sides, not HEAD, status 200 to 203, a body of known length
 * (Content-Length above 0, or chunked), no Content-Encoding, no `Cache-Control: no-transform`, one
 * valid ETag at most, a Content-Type that is not multipart and that `compression type` lists when set
 * (backend's list first; none then means no Content-Type is acceptable).
 */
export function responseCompressible(fe: ProxyCompression | undefined, be: ProxyCompression | undefined, request: CompressedRequest, head: ResponseHead): boolean {
  if (head.versionMajor !== 1 || head.versionMinor < 1) return false;
  if (request.versionMajor === 1 && request.versionMinor < 1) return false;
  if (request.method === 'HEAD') return false;
  if (head.status < 200 || head.status > 203) return false;
  const h = head.headers;
  let known = false;
  let etags = 0;
  let contentType: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!.toLowerCase();
    const value = h[i + 1]!.trim();
    if (name === 'content-length') {
      // An empty body (HTX_SL_F_BODYLESS) is not compressed.
      if (Number(value) === 0) return false;
      known = true;
    } else if (name === 'transfer-encoding') known = true; // the transaction refuses any TE but `chunked`
    else if (name === 'content-encoding') return false;
    else if (name === 'cache-control') {
      if (commaValues(value).some((v) => v.toLowerCase() === 'no-transform')) return false;
    } else if (name === 'etag') {
      if (++etags > 1 || !validEtag(value)) return false;
    } else if (name === 'content-type') contentType ??= value;
  }
  // Delimited by the server's close: not compressed.
  if (!known) return false;
  const types = backendFirst(fe, be, (c) => c.types);
  if (contentType === undefined ? types.length !== 0 : !typeListed(contentType.toLowerCase(), types)) return false;
  // Last, as HAProxy checks them: the process's compression rate and idle share (maxcomprate, maxcompcpuusage).
  return compressionLoad.allows((be ?? fe)!.limits);
}

function typeListed(lower: string, types: readonly string[]): boolean {
  if (lower.startsWith('multipart')) return false;
  return types.length === 0 || types.some((t) => lower.startsWith(t));
}

/**
 * The head of a response about to be compressed, as HAProxy 2.6.12 rewrites it (after the
 * http-response rules): chunked framing instead of Content-Length, a strong ETag made weak, then
 * `Vary: Accept-Encoding` and the Content-Encoding (none for identity) added last.
 */
export function rewriteCompressedHead(headers: string[], algorithm: CompressionAlgorithm): void {
  let chunked = false;
  for (let i = 0; i < headers.length; i += 2) if (isName(headers[i]!, 'transfer-encoding')) chunked = true;
  if (!chunked) headers.push('transfer-encoding', 'chunked');
  removeHeader(headers, 'content-length');
  for (let i = 0; i < headers.length; i += 2) {
    if (!isName(headers[i]!, 'etag')) continue;
    const value = headers[i + 1]!.trim();
    if (value.startsWith('"')) headers[i + 1] = `W/${value}`;
    break;
  }
  headers.push('vary', 'Accept-Encoding');
  if (algorithm.name !== 'identity') headers.push('content-encoding', algorithm.token);
}

/** http_get_etag_type: `"…"` (strong) or `W/"…"` (weak). */
function validEtag(value: string): boolean {
  return value.length >= 2 && value.endsWith('"') && (value.startsWith('"') || value.startsWith('W/"'));
}

/** The first UA check of HAProxy: "Mozilla/4" unless MSIE ≥ 7, or MSIE 6 with "SV1" at offset 51. */
function oldMozilla(agent: string): boolean {
  if (!agent.startsWith('Mozilla/4')) return false;
  if (agent.length < 31 || agent.slice(25, 30) !== 'MSIE ') return true;
  const major = agent.charCodeAt(30);
  if (major < 0x36) return true; // below '6'
  return major === 0x36 && (agent.length < 54 || agent.slice(51, 54) !== 'SV1');
}

/** An HTTP token's characters (RFC 9110 tchar). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*/;

function leadingToken(value: string): string {
  return TOKEN.exec(value)![0];
}

/**
 * The q of an Accept-Encoding element, in thousandths (1000 when none): the first `q=` parameter
 * after the token, lower case `q` only, read as http_parse_qvalue does (`q=.5` reads 1000).
 */
function qValue(params: string): number {
  let rest = params;
  for (;;) {
    rest = rest.replace(LWS, '');
    // Anything but a parameter after the token (or the end): no q.
    if (!rest.startsWith(';')) return 1000;
    rest = rest.slice(1).replace(LWS, '');
    if (rest.startsWith('q=')) return parseQ(rest.slice(2));
    const next = rest.indexOf(';');
    if (next < 0) return 1000;
    rest = rest.slice(next);
  }
}

const LWS = /^[ \t\r\n]+/;

function parseQ(text: string): number {
  const digit = (i: number): number => (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39 ? text.charCodeAt(i) - 0x30 : -1);
  if (digit(0) < 0) return 1000;
  let q = digit(0) * 1000;
  if (text[1] === '.') {
    for (let i = 2, scale = 100; i < 5 && digit(i) >= 0; i++, scale /= 10) q += digit(i) * scale;
  }
  return Math.min(q, 1000);
}

/** A header's comma-separated elements, trimmed, commas inside quoted strings kept (http_find_header). */
function commaValues(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (c === ',' && !quoted) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

function isName(name: string, lower: string): boolean {
  return name.length === lower.length && name.toLowerCase() === lower;
}

function firstValue(headers: readonly string[], lower: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (isName(headers[i]!, lower)) return headers[i + 1]!.trim();
  return undefined;
}

function removeHeader(headers: string[], lower: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (isName(headers[r]!, lower)) continue;
    headers[w++] = headers[r]!;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}
