/**
 * Whether a response may be stored by a cache, as HAProxy 2.6.12 decides it for `option checkcache`
 * and `cookie … nocache` (http_ana.c: the status list of http_wait_for_response, then
 * http_check_response_for_cacheability, checked against haproxy 2.6.12 side by side):
 * - a safe method (GET, HEAD, OPTIONS, TRACE) and a status a cache may store by default
 *   (RFC 7231 §6.1) make it cacheable;
 * - the first Pragma header being `no-cache` makes it not;
 * - each Cache-Control value in order: `public` makes it cacheable (whatever the method and status),
 *   `private`, `no-cache`, `no-store`, `max-age=0`, `s-maxage=0` (exactly) make it not,
 *   `no-cache="set-cookie…` keeps its cookies out of caches only, `max-age…` / `s-maxage…` give it freshness;
 * - without freshness (nor Expires) and without a validator (ETag, Last-Modified), it is not cacheable.
 */
import { headerIs } from '../runtime/llhttp.ts';

/** Statuses a cache may store by default (RFC 7231 §6.1), as HAProxy lists them. */
const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

export interface Cacheability {
  /** HAProxy's TX_CACHEABLE. */
  cacheable: boolean;
  /** HAProxy's TX_CACHE_COOK: cacheable with its cookies. */
  withCookies: boolean;
}

export function responseCacheability(method: string, status: number, headers: readonly string[]): Cacheability {
  const no = { cacheable: false, withCookies: false };
  if (status < 200) return no;
  let cacheable = (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE') && CACHEABLE_STATUS.has(status);
  let withCookies = cacheable;
  let fresh = false;
  let validator = false;
  let expires = false;
  let pragmaSeen = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (!pragmaSeen && headerIs(name, 'pragma')) {
      pragmaSeen = true;
      if (headers[i + 1]!.trim().toLowerCase() === 'no-cache') return no;
    }
  }
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (headerIs(name, 'expires')) expires = true;
    else if (headerIs(name, 'etag') || headerIs(name, 'last-modified')) validator = true;
    if (!headerIs(name, 'cache-control')) continue;
    for (const part of headers[i + 1]!.split(',')) {
      const v = part.trim().toLowerCase();
      if (v === 'public') cacheable = withCookies = true;
      else if (v === 'private' || v === 'no-cache' || v === 'no-store' || v === 'max-age=0' || v === 's-maxage=0') cacheable = withCookies = false;
      else if (v.startsWith('no-cache="set-cookie')) withCookies = false;
      else if (v.startsWith('s-maxage') || v.startsWith('max-age')) fresh = true;
    }
  }
  if (!fresh && !expires && !validator) cacheable = false;
  return { cacheable, withCookies };
}

/** The response sets a cookie (Set-Cookie or Set-Cookie2: HAProxy's TX_SCK_PRESENT). */
export function setsCookie(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headerIs(headers[i]!, 'set-cookie') || headerIs(headers[i]!, 'set-cookie2')) return true;
  return false;
}

/** `option checkcache`: a response cacheable with its cookies that sets one is blocked. */
export function blocksCacheableCookie(method: string, status: number, headers: readonly string[]): boolean {
  if (!setsCookie(headers)) return false;
  const c = responseCacheability(method, status, headers);
  return c.cacheable && c.withCookies;
}
