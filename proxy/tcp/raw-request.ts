/**
 * HTTP request fetches on a TCP connection's held bytes. HAProxy 2.6 lets a `mode tcp` proxy's
 * rules read `path`, `hdr(host)`, `method`… before any HTTP stream exists: smp_prefetch_htx's
 * "RAW mode" parses the request buffer's head with its H1 parser into a temporary HTX message
 * (start line and headers, no body). A head not complete yet makes the fetch "may change", so
 * content rules wait for it within `tcp-request inspect-delay`; an invalid one gives nothing.
 *
 * Here llhttp parses the head (Node's parser frames HTTP, DESIGN.md §4), once per held buffer.
 */
import type { HttpRequestInfo } from '../acl/index.ts';
import { newParser, REQUEST, METHODS, LENIENT_VERSION, rtspOnlyMethod, kOnHeaders, kOnHeadersComplete } from '../runtime/llhttp.ts';
import type { HeadersCompleteCallback } from '../runtime/llhttp.ts';
import { INSPECT_BUFFER_LIMIT } from './inspection.ts';

/** The head parsed from held bytes; 'short' while it is the start of one that may still complete. */
export type RawRequest = HttpRequestInfo | 'short' | undefined;

/** Held buffers are re-read by every rule of a pass and every pass until more bytes come. */
const parsed = new WeakMap<Uint8Array, RawRequest>();

export function rawRequest(held: Uint8Array): RawRequest {
  // Nothing held (a connection rule, a log line, or no byte yet): the common case, no parser.
  if (held.length === 0) return 'short';
  let result = parsed.get(held);
  if (result === undefined && !parsed.has(held)) {
    result = parseHead(held);
    parsed.set(held, result);
  }
  return result;
}

function parseHead(held: Uint8Array): RawRequest {
  const parser = newParser(REQUEST, INSPECT_BUFFER_LIMIT, LENIENT_VERSION);
  let head: HttpRequestInfo | undefined;
  // Past 32 fields llhttp's binding hands them over in batches before the head completes.
  let early: string[] = [];
  parser[kOnHeaders] = (batch: string[]) => { early = early.concat(batch); };
  const onHead: HeadersCompleteCallback = (major, minor, headers, method, url) => {
    // As the HTTP side: an RTSP request (an RTSP-only method) is not one HAProxy's H1 parser takes.
    if (method === undefined || rtspOnlyMethod(method)) return -1;
    head = {
      method: METHODS[method ?? -1] ?? '',
      url: url ?? '',
      version: `${major}.${minor}`,
      rawHeaders: early.length === 0 ? headers ?? [] : early.concat(headers ?? []),
      raw: true,
    };
    // Only the head is read (HAProxy's temporary HTX has no body): stop before any body bytes.
    parser.pause();
  };
  parser[kOnHeadersComplete] = onHead;
  try {
    const r = parser.execute(Buffer.from(held.buffer, held.byteOffset, held.length));
    if (head) return head;
    if (r instanceof Error) return undefined;
    // Incomplete: it may still complete, unless the buffer is already as full as HAProxy's can be.
    return held.length >= INSPECT_BUFFER_LIMIT ? undefined : 'short';
  } finally {
    parser.close();
  }
}
