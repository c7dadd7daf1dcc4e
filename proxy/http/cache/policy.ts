/**
 * What HAProxy 2.6 caches and serves, read from the headers (src/http_ana.c's
 * http_check_request_for_cacheability / http_check_response_for_cacheability, src/cache.c's
 * sha1_hosturi, http_calc_maxage and should_send_notmodified_response).
 */
import { createHash } from 'node:crypto';
import { getHeader } from '../headers.ts';

/** HAProxy's txn flags about caching, as a request and then its response set them. */
export interface Cacheability {
  /** TX_CACHEABLE: may be stored. */
  cacheable: boolean;
  /** TX_CACHE_COOK: no `no-cache="set-cookie"` said otherwise. */
  cookies: boolean;
  /** TX_CACHE_IGNORE: neither served from nor stored in the cache. */
  ignore: boolean;
}

/** Every value of a header, its comma-separated parts one by one (HAProxy's http_find_header, not full). */
function* values(headers: string[], name: string): Generator<string> {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== name) continue;
    for (const part of headers[i + 1]!.split(',')) yield part.trim();
  }
}

const startsWithIgnoringCase = (value: string, prefix: string): boolean => value.slice(0, prefix.length).toLowerCase() === prefix;

/**
 * The request side (at cache-use). Safe methods start cacheable (http_wait_for_request); only GET
 * and HEAD over HTTP/1.1 or later may be served; Authorization, Cache-Control and Pragma decide the rest.
 */
export function requestCacheability(method: string, http11: boolean, headers: string[]): Cacheability {
  const safe = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE';
  const flags: Cacheability = { cacheable: safe, cookies: safe, ignore: !http11 || (method !== 'GET' && method !== 'HEAD') };
  if (flags.ignore && !flags.cacheable) return flags;
  const pragma = getHeader(headers, 'pragma');
  const noCachePragma = pragma !== undefined && pragma.trim().toLowerCase() === 'no-cache';
  if (getHeader(headers, 'authorization') !== undefined) {
    flags.cacheable = flags.cookies = false;
    flags.ignore = true;
  }
  let cacheControl = false;
  for (const value of values(headers, 'cache-control')) {
    cacheControl = true;
    if (['max-age', 'no-cache', 'max-stale', 'min-fresh'].some((d) => startsWithIgnoringCase(value, d))) flags.ignore = true;
    else if (startsWithIgnoringCase(value, 'no-store')) flags.cacheable = flags.cookies = false;
  }
  if (!cacheControl && noCachePragma) flags.ignore = true;
  return flags;
}

/** Status codes cacheable by default (RFC 7231 §6.1): others clear TX_CACHEABLE when the response comes. */
const CACHEABLE_STATUSES = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

/** The response side (at cache-store), on the request's flags. */
export function responseCacheability(request: Cacheability, status: number, headers: string[]): Cacheability {
  const flags = { ...request };
  if (!CACHEABLE_STATUSES.has(status)) flags.cacheable = flags.cookies = false;
  const pragma = getHeader(headers, 'pragma');
  if (pragma !== undefined && pragma.trim().toLowerCase() === 'no-cache') {
    flags.cacheable = flags.cookies = false;
    return flags;
  }
  let freshness = false;
  for (const raw of values(headers, 'cache-control')) {
    const value = raw.toLowerCase();
    if (value === 'public') flags.cacheable = flags.cookies = true;
    else if (value === 'private' || value === 'no-cache' || value === 'no-store' || value === 'max-age=0' || value === 's-maxage=0') flags.cacheable = flags.cookies = false;
    else if (value.startsWith('no-cache="set-cookie')) flags.cookies = false;
    else if (value.startsWith('s-maxage') || value.startsWith('max-age')) freshness = true;
  }
  if (!freshness) freshness = getHeader(headers, 'expires') !== undefined;
  // Neither an expiry nor a validator (RFC 7234 §3): not stored.
  if (!freshness && getHeader(headers, 'etag') === undefined && getHeader(headers, 'last-modified') === undefined) flags.ignore = true;
  return flags;
}

/**
 * The primary key (sha1_hosturi): the URI in absolute form, `https://` and the first Host before an
 * origin-form one; undefined without a Host (nothing is looked up or stored).
 */
export function primaryKey(url: string, origin: string | undefined, headers: string[]): string | undefined {
  if (url === '') return undefined;
  let text: string;
  if (origin !== undefined) text = origin + url;
  else if (url.startsWith('/') || url === '*') {
    const host = getHeader(headers, 'host');
    if (host === undefined) return undefined;
    text = `https://${host}${url}`;
  } else text = url;
  return createHash('sha1').update(text, 'latin1').digest('hex');
}

/** A `directive=value` of a Cache-Control value, its number (`"n"` too); NaN when malformed, undefined when absent. */
function directiveNumber(value: string, directive: string): number | undefined {
  if (!startsWithIgnoringCase(value, directive) || value[directive.length] !== '=') return undefined;
  const m = /^"?(\d+)/.exec(value.slice(directive.length + 1));
  return m ? Number(m[1]) : NaN;
}

/**
 * How long the object stays fresh (http_calc_maxage): s-maxage, else max-age, else Expires - now,
 * each capped by the cache's max-age, which is also the default. `explicit` is the server's own value
 * (an Age above it means the response is already stale); undefined when a directive is malformed.
 */
export function freshness(headers: string[], cacheMaxAge: number, now: number): { effective: number; explicit: number } | undefined {
  let sMaxAge = -1;
  let maxAge = -1;
  for (const value of values(headers, 'cache-control')) {
    const s = directiveNumber(value, 's-maxage');
    if (s !== undefined) {
      if (Number.isNaN(s)) return undefined;
      sMaxAge = s;
    }
    const m = directiveNumber(value, 'max-age');
    if (m !== undefined) {
      if (Number.isNaN(m)) return undefined;
      maxAge = m;
    }
  }
  let expires = -1;
  if (maxAge === -1 && sMaxAge === -1) {
    const header = getHeader(headers, 'expires');
    if (header !== undefined) {
      const date = parseHttpDate(header);
      // An invalid date is a date in the past (RFC 7234 §5.3).
      expires = date === undefined || date < now ? 0 : date - now;
    }
  }
  for (const explicit of [sMaxAge, maxAge]) if (explicit > 0) return { effective: Math.min(explicit, cacheMaxAge), explicit };
  if (expires >= 0) return { effective: Math.min(expires, cacheMaxAge), explicit: expires };
  return { effective: cacheMaxAge, explicit: 0 };
}

/** Seconds since the epoch of an HTTP date (IMF-fixdate, RFC 850 or asctime), undefined if it is none. */
export function parseHttpDate(text: string): number | undefined {
  const t = text.trim();
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(day|sday|nesday|rsday|urday)?, \d{2}[ -][A-Z][a-z]{2}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/.test(t)
    && !/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(t)) return undefined;
  const ms = Date.parse(/GMT$/.test(t) ? t : `${t} GMT`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** Last-Modified, else Date, else now (get_last_modified_time). */
export function lastModified(headers: string[], now: number): number {
  for (const name of ['last-modified', 'date']) {
    const value = getHeader(headers, name);
    const date = value === undefined ? undefined : parseHttpDate(value);
    if (date) return date;
  }
  return now;
}

/** An entity tag compared weakly (http_compare_etags: W/ prefixes ignored, the quoted strings equal). */
function etagsMatch(a: string, b: string): boolean {
  const opaque = (tag: string): string | undefined => {
    const t = tag.trim().replace(/^W\//, '');
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t : undefined;
  };
  const x = opaque(a);
  return x !== undefined && x === opaque(b);
}

/**
 * A conditional request the stored object satisfies, answered 304 (should_send_notmodified_response):
 * If-None-Match (`*` or a matching tag) first; only without it, If-Modified-Since not before the object's date.
 */
export function notModified(headers: string[], etag: string | undefined, objectDate: number): boolean {
  let sawIfNoneMatch = false;
  for (const value of values(headers, 'if-none-match')) {
    sawIfNoneMatch = true;
    if (value === '*') return true;
    if (etag === undefined) break;
    if (etagsMatch(etag, value)) return true;
  }
  if (sawIfNoneMatch) return false;
  const since = getHeader(headers, 'if-modified-since');
  const date = since === undefined ? undefined : parseHttpDate(since);
  return date !== undefined && objectDate <= date;
}
