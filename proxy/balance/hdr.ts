/**
 * `balance hdr(NAME) [use_domain_only]` (backend.c, `get_server_hh`): hashes the
 * first value of the header (the text up to the first comma outside quotes,
 * without surrounding blanks). Absent or empty: round robin. `use_domain_only`
 * hashes only the label before the last dot (`haproxy.1wt.eu` → `1wt`), walking
 * the value backwards exactly as HAProxy does.
 */
import { NO_KEY, finisher, hashBalancer } from './hashed.ts';
import type { HashKeyFactory } from './hashed.ts';
import type { BalancerFactory } from './types.ts';

function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** Results of firstValue() / domainOnly(): a range of the value (module scratch, no allocation per pick). */
export const range = { start: 0, end: 0 };

/** Sets `range` to the first comma-separated element of a header value, trimmed (http_find_header, not full). */
export function firstValue(v: string): void {
  let start = 0;
  const len = v.length;
  while (start < len && isLws(v.charCodeAt(start))) start++;
  // http_find_hdr_value_end(): first comma outside a quoted string
  let end = start;
  let quoted = false;
  let qdpair = false;
  for (; end < len; end++) {
    const c = v.charCodeAt(end);
    if (qdpair) qdpair = false;
    else if (quoted) {
      if (c === 92) qdpair = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44) break;
  }
  while (end > start && isLws(v.charCodeAt(end - 1))) end--;
  range.start = start;
  range.end = end;
}

/** Sets `range` to the domain part used by use_domain_only, within [from, to). */
export function domainOnly(v: string, from: number, to: number): void {
  let len = to - from;
  let p = to;
  let end = p;
  let dohash = false;
  while (len) {
    if (dohash) {
      if (v.charCodeAt(p - 1) === 46) break;
    } else if (p < to && v.charCodeAt(p) === 46) {
      end = p;
      dohash = true;
    }
    p--;
    len--;
  }
  range.start = p;
  range.end = end;
}

const hdrKey: HashKeyFactory = (balance, hash) => {
  const name = balance.header ?? '';
  const domain = balance.useDomainOnly === true;
  const fn = hash.fn;
  const finish = finisher(hash);
  return (request, single) => {
    if (request.header === undefined) return NO_KEY; // not HTTP
    if (single) return 0;
    const v = request.header(name);
    if (v === undefined) return NO_KEY;
    firstValue(v);
    if (range.end <= range.start) return NO_KEY;
    if (domain) domainOnly(v, range.start, range.end);
    return finish(fn(v, range.start, range.end));
  };
};

export const hdr = ((servers, options) => hashBalancer(servers, options, hdrKey)) satisfies BalancerFactory;
