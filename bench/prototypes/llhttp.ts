/**
 * Access to Node's own llhttp binding (the parser node:http uses), from ESM,
 * without the DEP0111 warning that process.binding('http_parser') prints.
 * `_http_common` is an internal module but stable in practice (used by
 * node:http itself; same API from Node 12 to 22).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const common = require('_http_common') as { HTTPParser: HTTPParserCtor; methods: string[] };

/** Response/request head callback, as llhttp's binding calls it (Node 20). */
export type OnHeadersComplete = (
  this: HTTPParserInstance,
  versionMajor: number, versionMinor: number,
  headers: string[] | undefined,   // flat [name, value, ...]; undefined if they were flushed through kOnHeaders (>32 fields)
  method: number | undefined,      // REQUEST only: index into `methods`
  url: string | undefined,         // REQUEST only (undefined if flushed)
  statusCode: number | undefined,  // RESPONSE only
  statusMessage: string | undefined, // RESPONSE only
  upgrade: boolean, shouldKeepAlive: boolean,
) => number | void;                // RESPONSE: return 1 to say "no body" (HEAD, 304 handled by llhttp)

export interface HTTPParserInstance {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number, connections?: object): void;
  /** Bytes parsed, or an Error (returned, not thrown) with code/reason/bytesParsed. */
  execute(data: Buffer): number | (Error & { code: string; reason: string; bytesParsed: number });
  finish(): void | Error;
  close(): void;
  free(): void;
  remove(): void;
  pause(): void;
  resume(): void;
  /** Read directly from a StreamBase handle (socket._handle); results arrive via kOnExecute. */
  consume(handle: object): void;
  unconsume(): void;
  [k: number]: unknown;
}

interface HTTPParserCtor {
  new (): HTTPParserInstance;
  REQUEST: number; RESPONSE: number;
  kOnMessageBegin: number; kOnHeaders: number; kOnHeadersComplete: number;
  kOnBody: number; kOnMessageComplete: number; kOnExecute: number; kOnTimeout: number;
  kLenientNone: number; kLenientAll: number;
}

export const HTTPParser = common.HTTPParser;
export const methods = common.methods;
export const kOnHeaders = HTTPParser.kOnHeaders | 0;
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete | 0;
export const kOnBody = HTTPParser.kOnBody | 0;
export const kOnMessageComplete = HTTPParser.kOnMessageComplete | 0;
export const kOnExecute = HTTPParser.kOnExecute | 0;

/** The engine's own header helpers: the prototypes measure the same code. */
export { isHopByHop } from '../../proxy/runtime/llhttp.ts';
import { headerIs } from '../../proxy/runtime/llhttp.ts';

export function isContentLength(name: string): boolean {
  return headerIs(name, 'content-length');
}
