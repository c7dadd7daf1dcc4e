/**
 * `balance uri [whole] [len N] [depth N] [path-only]` (backend.c, `get_server_uh`):
 * hashes the request target as sent, up to the `?` unless `whole`, at most `len`
 * characters, stopping before the slash that opens level `depth + 1`. `path-only`
 * first drops the scheme and authority of an absolute URI (`http_parse_path`:
 * the path keeps its query; `*`, an authority alone or no path give "").
 * No request line (TCP mode): round robin.
 */
import { NO_KEY, finisher, hashBalancer } from './hashed.ts';
import type { HashKeyFactory } from './hashed.ts';
import type { BalancerFactory } from './types.ts';

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isSchemeChar(c: number): boolean {
  return isAlpha(c) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

/** Start of the path in `uri` per http_parse_path(), or -1 when there is none (hash ""). */
export function pathStart(uri: string): number {
  const len = uri.length;
  if (len === 0) return -1;
  const c0 = uri.charCodeAt(0);
  if (c0 === 47) return 0; // '/': abs-path
  if (c0 === 42) return -1; // '*'
  // absolute URI: scheme "://" then authority up to the first '/'
  if (!isAlpha(c0)) return -1;
  let i = 1;
  while (i < len && isSchemeChar(uri.charCodeAt(i))) i++;
  if (i >= len || uri.charCodeAt(i) !== 58) return -1;
  i++;
  if (i >= len || uri.charCodeAt(i) !== 47) return -1;
  i++;
  if (i >= len || uri.charCodeAt(i) !== 47) return -1;
  i++;
  while (i < len && uri.charCodeAt(i) !== 47) i++;
  return i < len ? i : -1;
}

const uriKey: HashKeyFactory = (balance, hash) => {
  const opts = balance.uri ?? { whole: false, pathOnly: false };
  const whole = opts.whole;
  const pathOnly = opts.pathOnly;
  const maxLen = opts.len ?? 0;
  const stopSlash = opts.depth ? opts.depth + 1 : 0;
  const fn = hash.fn;
  const finish = finisher(hash);
  return (request, single) => {
    const uri = request.uri;
    if (uri === undefined) return NO_KEY;
    if (single) return 0;
    let start = 0;
    let stop = uri.length;
    if (pathOnly) {
      const p = pathStart(uri);
      if (p < 0) start = stop = 0;
      else start = p;
    }
    let n = stop - start;
    if (maxLen && maxLen < n) n = maxLen;
    let end = start;
    let slashes = 0;
    while (n-- > 0) {
      const c = uri.charCodeAt(end);
      if (c === 47) {
        slashes++;
        if (slashes === stopSlash) break;
      } else if (c === 63 && !whole) {
        break;
      }
      end++;
    }
    return finish(fn(uri, start, end));
  };
};

export const uri = ((servers, options) => hashBalancer(servers, options, uriKey)) satisfies BalancerFactory;
