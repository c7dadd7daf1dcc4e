/**
 * Node's own llhttp binding — the parser node:http itself uses — so Loadstar
 * never frames HTTP by hand (DESIGN.md §4) and still skips node:http's
 * per-request objects on the hot path (docs/architecture.md has the numbers).
 * `_http_common` is internal to Node but has kept this API since Node 12.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser: HTTPParserConstructor };

export interface ParserError extends Error {
  code: string;
  reason: string;
  bytesParsed: number;
}

export interface HTTPParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  /** Bytes parsed, or an Error returned (not thrown) with code, reason and bytesParsed. */
  execute(data: Buffer): number | ParserError;
  finish(): void | ParserError;
  close(): void;
  pause(): void;
  resume(): void;
  /** Reads of `handle` go to the parser natively (libuv → llhttp, no JS Buffer per read); kOnExecute reports each. */
  consume(handle: object): void;
  unconsume(): void;
  /** A copy of the read being parsed; valid only inside the kOnExecute callback. */
  getCurrentBuffer(): Buffer;
  [callback: number]: unknown;
}

interface HTTPParserConstructor {
  new (): HTTPParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientVersion?: number;
  kLenientOptionalCRBeforeLF?: number;
  kLenientChunkedLength?: number;
  kLenientSpacesAfterChunkSize?: number;
  kLenientHeaders?: number;
}

/**
 * A callback that pauses llhttp makes Node's binding return an Error from execute(), and V8 captures
 * a stack trace for it: ~4 µs per paused message (perf, 64 KiB responses relayed raw), for an object
 * only `code` and `bytesParsed` are read from. The pausing callback calls pauseWithoutStack() just
 * before it returns; the caller of execute() calls restoreStackTraces() as soon as execute() returns
 * (no JS runs in between: llhttp stops right after the callback).
 */
let savedStackTraceLimit: number | undefined;
/** V8 captures no stack at all while Error.stackTraceLimit is not a number (at 0 it still walks the top frame). */
const errorLimit: { stackTraceLimit?: number } = Error;

export function pauseWithoutStack(): void {
  if (savedStackTraceLimit !== undefined) return;
  savedStackTraceLimit = errorLimit.stackTraceLimit;
  errorLimit.stackTraceLimit = undefined;
}

export function restoreStackTraces(): void {
  if (savedStackTraceLimit === undefined) return;
  errorLimit.stackTraceLimit = savedStackTraceLimit;
  savedStackTraceLimit = undefined;
}

export const HTTPParserClass = common.HTTPParser;
/**
 * llhttp's method numbers (its `llhttp_method` enum): kOnHeadersComplete gives one. Not
 * `_http_common.methods`, which lists the HTTP methods only, one after the other: past SOURCE its
 * index is not llhttp's number (QUERY is 46 in llhttp, 34 there), so a QUERY request read through
 * it became a GET. test/proxy/runtime/llhttp.test.ts checks this table against Node's own.
 */
export const METHODS: readonly string[] = [
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE',
  'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR',
  'LINK', 'UNLINK', 'SOURCE', 'PRI', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN',
  'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH', 'QUERY',
];
/**
 * llhttp's numbers of the methods only RTSP has (DESCRIBE … FLUSH): it takes them only before an
 * `RTSP/x.y` version, a request HAProxy's H1 parser refuses (400: not `HTTP/`).
 */
export function rtspOnlyMethod(method: number): boolean {
  return method >= 35 && method <= 45;
}
/**
 * llhttp's flag to take any HTTP/<digit>.<digit> (HAProxy's H1 parser does; llhttp alone refuses
 * 1.2, 3.1 …). Only the version's digits: framing stays strict. 0 where Node lacks it.
 */
export const LENIENT_VERSION = HTTPParserClass.kLenientVersion ?? 0;

/**
 * What a server's response may get away with, as HAProxy 2.6's H1 parser relays it (each compared
 * with haproxy 2.6.12): any HTTP/<digit>.<digit>; line ends without their CR (sloppy embedded and
 * IoT servers); a Content-Length beside `Transfer-Encoding: chunked` (the encoding frames the body;
 * the transaction drops the length); spaces after a chunk size; control bytes and obs-fold in
 * header values. Names and the framing of the body stay strict. Requests get none of this (their
 * framing is what request smuggling exploits: docs/reliability.md); a response's head is written again field by field
 * and its chunks framed again, so what reaches the client is well formed.
 */
export const LENIENT_RESPONSE = LENIENT_VERSION
  | (HTTPParserClass.kLenientOptionalCRBeforeLF ?? 0)
  | (HTTPParserClass.kLenientChunkedLength ?? 0)
  | (HTTPParserClass.kLenientSpacesAfterChunkSize ?? 0)
  | (HTTPParserClass.kLenientHeaders ?? 0);
export const REQUEST = HTTPParserClass.REQUEST;
export const RESPONSE = HTTPParserClass.RESPONSE;
export const kOnMessageBegin = HTTPParserClass.kOnMessageBegin | 0;
export const kOnHeaders = HTTPParserClass.kOnHeaders | 0;
export const kOnHeadersComplete = HTTPParserClass.kOnHeadersComplete | 0;
export const kOnBody = HTTPParserClass.kOnBody | 0;
export const kOnMessageComplete = HTTPParserClass.kOnMessageComplete | 0;
/** (bytesParsed | ParserError): after each read a consumed handle fed to the parser. */
export const kOnExecute = HTTPParserClass.kOnExecute | 0;

/**
 * (versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive).
 * `headers`/`url` are undefined when llhttp already flushed them through kOnHeaders (more than 32 fields).
 * A RESPONSE callback returns 1 to say the response has no body (answer to HEAD).
 */
export type HeadersCompleteCallback = (
  versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number | undefined,
  url: string | undefined, statusCode: number | undefined, statusMessage: string | undefined,
  upgrade: boolean, shouldKeepAlive: boolean,
) => number | void;

/** Maximum size of a request or response head, as HAProxy's default tune.bufsize allows. */
export const MAX_HEADER_SIZE = 16 * 1024;

/**
 * @param maxHeaderSize bytes of target, header names and values llhttp buffers before HPE_HEADER_OVERFLOW
 *   (client connections pass `tune.bufsize`; request-checks.ts then checks the head exactly as HAProxy does).
 * @param lenient llhttp's lenient flags (LENIENT_VERSION), 0 for none.
 */
export function newParser(type: number, maxHeaderSize = MAX_HEADER_SIZE, lenient = 0): HTTPParser {
  const parser = new HTTPParserClass();
  parser.initialize(type, {}, maxHeaderSize, lenient);
  return parser;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded as received. Cheap length test first. */
export function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2: return name.toLowerCase() === 'te';
    case 7: { const l = name.toLowerCase(); return l === 'trailer' || l === 'upgrade'; }
    case 10: { const l = name.toLowerCase(); return l === 'connection' || l === 'keep-alive'; }
    case 16: return name.toLowerCase() === 'proxy-connection';
    case 17: return name.toLowerCase() === 'transfer-encoding';
    default: return false;
  }
}

export function headerIs(name: string, lower: string): boolean {
  return name.length === lower.length && name.toLowerCase() === lower;
}
