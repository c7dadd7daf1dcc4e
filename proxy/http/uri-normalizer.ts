/**
 * `http-request normalize-uri <normalizer>` (HAProxy 2.6's uri_normalizer.c and
 * http_action_normalize_uri): each normalizer rewrites one part of the request target. The path
 * normalizers work on the path without its query; query-sort-by-name on the query; the percent and
 * fragment ones on the path with its query. A target without a path (`*`, an authority) is left
 * alone. The `strict` forms refuse a malformed %-escape: the request is answered 400.
 */
import type { UriNormalizer } from '../config/model.ts';

/** What a normalizer made of a target: the new one, or 'invalid' (a strict normalizer refused it). */
export type Normalized = string | 'invalid';

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isUnreserved = (c: string): boolean => /^[A-Za-z0-9\-._~]$/.test(c);

function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** Drops the `.` segments (uri_normalizer_path_dot). */
function stripDot(path: string): string {
  const segments = path.split('/');
  const kept: string[] = [];
  segments.forEach((s, i) => {
    if (s !== '.') kept.push(s);
    else if (i === segments.length - 1) kept.push(''); // a trailing "/." leaves its slash
  });
  return kept.join('/');
}

/**
 * Removes each `<segment>/..` pair, from the end (uri_normalizer_path_dotdot); `..` with nothing
 * left to remove stay in front, or are dropped with `full`.
 */
function stripDotDot(path: string, full: boolean): string {
  let out = '';
  let offset = path.length - 1;
  let up = 0;
  const at = (i: number, s: string): boolean => i >= 0 && path.startsWith(s, i);
  // A `/..` ending the path, without its trailing slash.
  if (offset >= 2 && at(offset - 2, '/..')) {
    up++;
    offset -= 2;
  }
  while (offset >= 0) {
    if (offset >= 3 && at(offset - 3, '/../')) {
      up++;
      offset -= 3;
      continue;
    }
    if (up > 0) {
      offset--; // the slash
      if (offset >= 0) {
        up--;
        while (offset >= 0 && path[offset] !== '/') offset--;
      }
    } else {
      let segment = path[offset]!;
      offset--;
      while (offset >= 0 && path[offset] !== '/') segment = path[offset--]! + segment;
      out = segment + out;
    }
  }
  if (up > 0) {
    out = '/' + out;
    if (!full) out = '/..'.repeat(up) + out;
  }
  return out;
}

/** Sorts the parameters by name, keeping the order of equal names (uri_normalizer_query_sort). */
function sortQuery(query: string): string {
  const params = query.slice(1).split('&');
  const name = (p: string): string => { const eq = p.indexOf('='); return eq < 0 ? p : p.slice(0, eq); };
  const sorted = params.map((p, i) => ({ p, i })).sort((a, b) => {
    const x = name(a.p);
    const y = name(b.p);
    return x < y ? -1 : x > y ? 1 : a.i - b.i;
  });
  return '?' + sorted.map((e) => e.p).join('&');
}

/** Each %xx escape in upper case, or with `decode` the unreserved characters decoded; a malformed one is kept, or refused when strict. */
function percent(text: string, strict: boolean, decode: boolean): Normalized {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const h1 = text[i + 1];
    const h2 = text[i + 2];
    if (isHex(h1) && isHex(h2)) {
      const decoded = String.fromCharCode(parseInt(h1! + h2!, 16));
      out += decode ? (isUnreserved(decoded) ? decoded : `%${h1}${h2}`) : `%${h1!.toUpperCase()}${h2!.toUpperCase()}`;
      i += 2;
      continue;
    }
    if (strict) return 'invalid';
    out += c;
  }
  return out;
}

/** Where the path starts in a request target (http_parse_path): origin form, or after an absolute form's authority; -1 for none. */
function pathStart(url: string): number {
  if (url.charCodeAt(0) === 47 /* / */) return 0;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(url);
  return m ? m[0].length : -1;
}

/** The request target once `normalizer` ran over it (unchanged when it has no path). */
export function normalizeUri(url: string, normalizer: UriNormalizer): Normalized {
  const start = pathStart(url);
  if (start < 0) return url;
  const prefix = url.slice(0, start);
  const rest = url.slice(start);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q);
  switch (normalizer) {
    case 'path-merge-slashes': return prefix + mergeSlashes(path) + query;
    case 'path-strip-dot': return prefix + stripDot(path) + query;
    case 'path-strip-dotdot': return prefix + stripDotDot(path, false) + query;
    case 'path-strip-dotdot full': return prefix + stripDotDot(path, true) + query;
    case 'query-sort-by-name': return q < 0 ? url : prefix + path + sortQuery(query);
    case 'fragment-strip': { const h = rest.indexOf('#'); return h < 0 ? url : prefix + rest.slice(0, h); }
    case 'fragment-encode': return prefix + rest.replace(/#/g, '%23');
    default: {
      const result = percent(rest, normalizer.endsWith(' strict'), normalizer.startsWith('percent-decode'));
      return result === 'invalid' ? result : prefix + result;
    }
  }
}
