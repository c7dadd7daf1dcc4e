/**
 * The size HAProxy counts for a message: `%U`, `%B` and the bin / bout
 * counters are its channels' totals, and those count HTX — the internal form a
 * message takes once its H1 (or H2) mux has parsed it — not the bytes on the wire.
 * Measured against haproxy 2.6.12 (test/proxy/http/log-bytes.test.ts) a message is:
 *
 * - a start line: 20 bytes (`struct htx_sl`) + its three parts (method, target,
 *   version or version, status, reason);
 * - each header: its name and value, nothing between (the H1 mux has removed the
 *   `close` / `keep-alive` tokens of Connection, and the header when nothing is left);
 * - 1 byte for the end of the headers;
 * - the body's data (chunk framing gone);
 * - for a chunked body, 1 byte for the end of the trailers, and each trailer's name and value.
 *
 * So a GET with three short headers counts 85 where the wire carries 82, and a
 * 100-byte answer with five headers 225 where the wire carries 226.
 */
import { isConnectionOption } from './headers.ts';

/** `struct htx_sl` without its variable part: flags, method or status, the three lengths. */
const START_LINE = 20;
const END_OF_HEADERS = 1;
/** The end-of-trailers block a chunked message ends with. */
export const END_OF_TRAILERS = 1;

/** Header fields as HTX holds them: flat [name, value, …]; Connection without close / keep-alive. */
export function htxFieldsSize(fields: readonly string[]): number {
  let n = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      const kept = connectionValueKept(value);
      if (kept.length > 0) n += name.length + kept.length;
      continue;
    }
    n += name.length + value.length;
  }
  return n;
}

/** A message's start line, headers and end of headers: `first`, `second`, `third` are the start line's parts. */
export function htxHeadSize(first: string, second: string, third: string, fields: readonly string[]): number {
  return START_LINE + first.length + second.length + third.length + htxFieldsSize(fields) + END_OF_HEADERS;
}

/** What the H1 mux leaves of a Connection value: its tokens but close and keep-alive, joined as it joins them. */
export function connectionValueKept(value: string): string {
  // Nearly every message carries one token: no split, no regex (this runs for each message's head).
  if (value.indexOf(',') < 0) {
    const token = value.trim();
    return isConnectionOption(token) ? '' : token;
  }
  const tokens = value.split(',').map((t) => t.trim()).filter((t) => t !== '' && !isConnectionOption(t));
  return tokens.join(', ');
}

/**
 * The HTX size of a response Loadstar writes itself (deny, return, redirect, errors, the stats page): its
 * own bytes, read back, before a Connection header is added for the client (the H1 mux adds that one on
 * the way out, outside HTX).
 */
export function htxSizeOfAnswer(answer: Buffer): number {
  const end = answer.indexOf('\r\n\r\n');
  if (end < 0) return answer.length;
  const lines = answer.toString('latin1', 0, end).split('\r\n');
  const [version = '', status = '', ...reason] = lines[0]!.split(' ');
  const fields: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  // HAProxy's http_reply_to_htx gives every reply a content-length; its H1 mux drops it from a 204 on
  // the way out (Loadstar never writes it), but %B counted it: `http-request return status 204` logs 57.
  if (status === '204' && !fields.some((f, i) => i % 2 === 0 && f.toLowerCase() === 'content-length')) fields.push('content-length', '0');
  return htxHeadSize(version, status, reason.join(' '), fields) + answer.length - (end + 4);
}

/** HAProxy 2.6's `struct htx`, at the start of every HTX buffer. */
const HTX_HEADER = 48;
/** Each block's descriptor in the HTX block table. */
const HTX_BLOCK = 8;
/**
 * The room a chunked request's end of trailers takes (its byte and its block): a chunked body is
 * done only once that block fits too (the stats form's EXCD comes 9 bytes sooner than with a
 * Content-Length, measured on haproxy 2.6.12).
 */
export const END_OF_TRAILERS_BLOCK = END_OF_TRAILERS + HTX_BLOCK;

/**
 * The room a whole request takes in its HTX buffer (what `tune.bufsize` − `tune.maxrewrite` must
 * hold for retry-on to replay it): its HTX size (`htxSize`: head, end marks, trailers and body, as
 * counted above), a block per start line, header, end of headers, body, end of trailers and
 * trailer, and the buffer's header. Measured against haproxy 2.6.12: with three short headers a
 * POST of 15213 body bytes is replayed, 15214 not (16384 − 1024 = 15360).
 */
export function requestHtxUsage(htxSize: number, headers: readonly string[], bodyBytes: number, chunked: boolean, trailers: readonly string[] | undefined): number {
  let blocks = 2 + (bodyBytes > 0 ? 1 : 0) + (chunked ? 1 + (trailers?.length ?? 0) / 2 : 0);
  for (let i = 0; i + 1 < headers.length; i += 2) {
    // A Connection header the H1 mux emptied is not stored.
    if (headers[i]!.length === 10 && htxFieldsSize([headers[i]!, headers[i + 1]!]) === 0) continue;
    blocks++;
  }
  return HTX_HEADER + htxSize + HTX_BLOCK * blocks;
}

/**
 * How many body bytes the request buffer holds behind its head (`headHtxSize` as the mux parsed it,
 * end of trailers left out: that block comes last): what a rule waiting for the body
 * (`option http-buffer-request`, `wait-for-body`) sees at most, HAProxy's channel_htx_full with
 * the `tune.maxrewrite` reserve. Measured against haproxy 2.6.12: behind a 58-byte head with two
 * headers, 15214 of a 40009-byte body (16384 − 1024 − 48 − 58 − 5 blocks of 8).
 */
export function requestBodyRoom(headRoom: number, headHtxSize: number, headers: readonly string[]): number {
  return Math.max(0, headRoom - requestHtxUsage(headHtxSize, headers, 1, false, undefined));
}
