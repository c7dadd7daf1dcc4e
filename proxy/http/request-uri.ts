/**
 * A request's URI as HAProxy 2.6's start line holds it. An HTTP/2 request that came with :scheme and
 * :authority has it in absolute form (`https://site/path`): `url`, `url_beg`, `replace-uri` and the
 * log's %r see that form, the path rules only its path, and an HTTP/1 server gets the path.
 */
import type { RequestHead } from './transaction.ts';

/**
 * The URI: the target as received, an HTTP/2 request's origin before it (its `*` path left out, as
 * h2_prepare_htx_reqline leaves it out of the absolute form: `OPTIONS http://host`).
 */
export function uriOf(r: Pick<RequestHead, 'url' | 'origin'>): string {
  if (r.origin === undefined) return r.url;
  return r.url === '*' ? r.origin : r.origin + r.url;
}

/**
 * The authority of a URI without its userinfo (HAProxy's http_parse_authority), or undefined for one
 * that has none (origin form, `*`).
 */
export function uriAuthority(uri: string): string | undefined {
  const first = uri.charCodeAt(0);
  if (uri === '' || first === 0x2f || first === 0x2a) return undefined;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
  const start = scheme ? scheme[0].length : 0;
  const end = uri.slice(start).search(/[/?#]/);
  const authority = end < 0 ? uri.slice(start) : uri.slice(start, start + end);
  const at = authority.lastIndexOf('@');
  return at < 0 ? authority : authority.slice(at + 1);
}
