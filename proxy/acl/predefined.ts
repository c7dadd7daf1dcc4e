/**
 * HAProxy's predefined ACLs (manual 7.4, acl.c default_acl_list). They can be
 * used in conditions without being declared; a proxy may also declare an ACL
 * with the same name, which then takes precedence.
 */
import type { AclDeclaration } from './types.ts';
import { parseAclExpression } from './acl.ts';

/** Name → words of the definition (criterion, then values), as in HAProxy. */
export const PREDEFINED_ACLS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['TRUE', ['always_true']],
  ['FALSE', ['always_false']],
  ['LOCALHOST', ['src', '127.0.0.1/8', '::1']],
  ['HTTP', ['req.proto_http']],
  ['HTTP_1.0', ['req.ver', '1.0']],
  ['HTTP_1.1', ['req.ver', '1.1']],
  ['HTTP_2.0', ['req.ver', '2.0']],
  ['METH_CONNECT', ['method', 'CONNECT']],
  ['METH_DELETE', ['method', 'DELETE']],
  ['METH_GET', ['method', 'GET', 'HEAD']],
  ['METH_HEAD', ['method', 'HEAD']],
  ['METH_OPTIONS', ['method', 'OPTIONS']],
  ['METH_POST', ['method', 'POST']],
  ['METH_PUT', ['method', 'PUT']],
  ['METH_TRACE', ['method', 'TRACE']],
  ['HTTP_URL_ABS', ['url_reg', '^[^/:]*://']],
  ['HTTP_URL_SLASH', ['url_beg', '/']],
  ['HTTP_URL_STAR', ['url', '*']],
  ['HTTP_CONTENT', ['req.hdr_val(content-length)', 'gt', '0']],
  ['RDP_COOKIE', ['req.rdp_cookie_cnt', 'gt', '0']],
  ['REQ_CONTENT', ['req.len', 'gt', '0']],
  ['WAIT_END', ['wait_end']],
]);

/** Is `name` a predefined ACL (case-sensitive, like HAProxy)? */
export function isPredefinedAcl(name: string): boolean {
  return PREDEFINED_ACLS.has(name);
}

const cache = new Map<string, AclDeclaration>();

/** The parsed definition of a predefined ACL, or undefined for other names. */
export function predefinedAcl(name: string): AclDeclaration | undefined {
  const cached = cache.get(name);
  if (cached) return cached;
  const words = PREDEFINED_ACLS.get(name);
  if (!words) return undefined;
  const parsed = parseAclExpression(words, 0, name);
  if ('error' in parsed) throw new Error(`predefined ACL ${name}: ${parsed.error}`); // a bug in the table above
  cache.set(name, parsed);
  return parsed;
}
