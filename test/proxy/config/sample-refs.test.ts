/**
 * The backends, frontends, servers, tables and userlists the arguments of fetches and converters
 * name (named ACLs, the anonymous ones of rule conditions, the sample expressions and log-format
 * strings of rule actions, stick rules, dynamic use_backend): refused with HAProxy's message when
 * they do not exist (sample.c smp_resolve_args), the same through `haproxy -c` where it is installed.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const config = (lines: string, kind = 'listen'): string => `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
${kind} p
${kind === 'backend' ? '' : '    bind 127.0.0.1:18080\n'}${kind === 'frontend' ? '' : '    stick-table type ip size 1k store gpc0\n'}${lines.split('\n').map((l) => `    ${l}`).join('\n')}
${kind === 'frontend' ? '    default_backend b\n' : '    server s1 127.0.0.1:8081\n'}backend b
    server s1 127.0.0.1:8081
frontend f
    bind 127.0.0.1:18081
    default_backend b
userlist u
    group g
    user a insecure-password b groups g
`;
const where = (what: string, kw: string, n = 1) => `referenced in arg ${n} of ${what === '' ? '' : `conversion keyword '${what}' for `}ACL keyword '${kw}' in proxy 'p'.`;

const CASES: ParseCase[] = [
  { text: config('acl x nbsrv(b) 1\nacl y be_conn(p) 1\nacl z fe_conn(f) 1\nacl w fe_conn 1\nacl v srv_is_up(b/s1)\nacl t srv_is_up(s1)'), valid: true },
  { text: config('acl x table_cnt(p) 1\nacl y sc0_get_gpc0(p) 1\nacl z str(a),table_gpc0(p) 1\nacl w http_auth(u)'), valid: true },
  { text: config('http-request deny if { nbsrv(b) 1 } { srv_is_up(b/s1) }'), valid: true },
  { text: config('acl x nbsrv(nosuch) 1'), valid: false, message: `unable to find backend 'nosuch' ${where('', 'nbsrv')}` },
  { text: config('acl x nbsrv(f) 1'), valid: false, message: `unable to find backend 'f' ${where('', 'nbsrv')}` },
  { text: config('acl x fe_conn(b) 1'), valid: false, message: `unable to find frontend 'b' ${where('', 'fe_conn')}` },
  { text: config('acl x fe_conn 1', 'backend'), valid: false, message: `proxy 'p', ${where('', 'fe_conn').slice(0, -1)}, has not frontend capability.` },
  { text: config('acl x be_conn 1', 'frontend'), valid: false, message: `proxy 'p', ${where('', 'be_conn').slice(0, -1)}, has not backend capability.` },
  { text: config('acl x srv_is_up(nosuch)'), valid: false, message: `unable to find server 'nosuch' in proxy 'p', ${where('', 'srv_is_up')}` },
  { text: config('acl x srv_is_up(b/nosuch)'), valid: false, message: `unable to find server 'nosuch' in proxy 'b', ${where('', 'srv_is_up')}` },
  { text: config('acl x srv_is_up(f/s1)'), valid: false, message: `unable to find proxy 'f' ${where('', 'srv_is_up')}` },
  { text: config('acl x srv_is_up()'), valid: false, message: "missing server name in arg 1 of ACL keyword 'srv_is_up' in proxy 'p'." },
  { text: config('acl x table_cnt(b) 1'), valid: false, message: `unable to find table 'b' ${where('', 'table_cnt')}` },
  { text: config('acl x sc0_get_gpc0(nosuch) 1'), valid: false, message: `unable to find table 'nosuch' ${where('', 'sc0_get_gpc0')}` },
  { text: config('acl x table_cnt 1', 'frontend'), valid: false, message: `unable to find table 'p' ${where('', 'table_cnt')}` },
  { text: config('acl x str(a),table_gpc0(nosuch) 1'), valid: false, message: `unable to find table 'nosuch' ${where('table_gpc0', 'str')}` },
  { text: config('acl x http_auth(nosuch)'), valid: false, message: `unable to find userlist 'nosuch' ${where('', 'http_auth')}` },
  // The anonymous ACLs of rule conditions are resolved the same way.
  { text: config('http-request deny if { nbsrv(nosuch) 1 }'), valid: false, message: `unable to find backend 'nosuch' ${where('', 'nbsrv')}` },
  { text: config('use_backend b if { srv_is_up(b/nosuch) }'), valid: false, message: `unable to find server 'nosuch' in proxy 'b', ${where('', 'srv_is_up')}` },
  { text: config('tcp-request content reject if !{ sc0_get_gpc0(nosuch) 1 }'), valid: false, message: `unable to find table 'nosuch' ${where('', 'sc0_get_gpc0')}` },
  // http_auth_group: groups as patterns, each declared in the userlist (acl.c acl_find_targets).
  { text: config('acl x http_auth_group(u) g\nhttp-request auth if !{ http_auth_group(u) g }'), valid: true },
  { text: config('acl x http_auth_group(u) nosuch'), valid: false, message: "proxy p: acl x http_auth_group(): invalid group 'nosuch'." },
  { text: config('acl x http_auth_group(u)'), valid: false, message: 'proxy p: acl x http_auth_group(): no groups specified.' },
  { text: config('acl x http_auth_group(u) -m found'), valid: false, message: 'proxy p: acl x http_auth_group(): no groups specified.' },
  { text: config('http-request deny if { http_auth_group(u) h }'), valid: false, message: "proxy p: acl  http_auth_group(): invalid group 'h'." },
  // The expressions of rule actions, stick rules and use_backend: HAProxy names where the expression is.
  { text: config('http-request set-var(txn.x) nbsrv(b)\nhttp-request set-header X %[str(a),table_gpc0(p)]\nstick on src,table_gpc0(p)'), valid: true },
  { text: config('http-request set-var(txn.x) nbsrv(nosuch)'), valid: false, message: "unable to find backend 'nosuch' referenced in arg 1 of sample fetch keyword 'nbsrv' in http-request expression in proxy 'p'." },
  { text: config('http-request set-header X %[str(a),table_gpc0(nosuch)]'), valid: false, message: "unable to find table 'nosuch' referenced in arg 1 of conversion keyword 'table_gpc0' for sample fetch keyword 'str' in http-request expression in proxy 'p'." },
  // (http-request track-sc and capture set no context of their own: HAProxy names the previous line's, here none: "ACL keyword".)
  { text: config('http-request track-sc0 str(a),table_gpc(0,nosuch)'), valid: false, message: "unable to find table 'nosuch' referenced in arg 2 of conversion keyword 'table_gpc' for " },
  { text: config('http-request capture nbsrv(f) len 10'), valid: false, message: "unable to find backend 'f' referenced in arg 1 of " },
  { text: config('http-response set-var(txn.x) srv_is_up(b/nosuch)'), valid: false, message: "unable to find server 'nosuch' in proxy 'b', referenced in arg 1 of sample fetch keyword 'srv_is_up' in http-response response in proxy 'p'." },
  { text: config('http-after-response set-header X %[be_conn(nosuch)]'), valid: false, message: "unable to find backend 'nosuch' referenced in arg 1 of sample fetch keyword 'be_conn' in http-response response in proxy 'p'." },
  { text: config('tcp-request content set-var(txn.x) fe_conn(b)'), valid: false, message: "unable to find frontend 'b' referenced in arg 1 of sample fetch keyword 'fe_conn' in tcp-request content expression in proxy 'p'." },
  { text: config('tcp-request content track-sc1 str(a),table_gpc0(nosuch)'), valid: false, message: "unable to find table 'nosuch' referenced in arg 1 of conversion keyword 'table_gpc0' for sample fetch keyword 'str' in tracking rule in proxy 'p'." },
  { text: config('tcp-response content set-var(txn.x) nbsrv(nosuch)'), valid: false, message: "referenced in arg 1 of sample fetch keyword 'nbsrv' in tcp-response content expression in proxy 'p'." },
  { text: config('stick on str(a),table_gpc0(nosuch)'), valid: false, message: "unable to find table 'nosuch' referenced in arg 1 of conversion keyword 'table_gpc0' for sample fetch keyword 'str' in stick rule in proxy 'p'." },
  { text: config('use_backend %[nbsrv(nosuch)]'), valid: false, message: "unable to find backend 'nosuch' referenced in arg 1 of sample fetch keyword 'nbsrv' in use_backend expression in proxy 'p'." },
  { text: config('http-request redirect location /%[nbsrv(nosuch)]'), valid: false, message: "unable to find backend 'nosuch' referenced in arg 1 of sample fetch keyword 'nbsrv' in redirect format string in proxy 'p'." },
];

test('Loadstar resolves the proxies, servers, tables and userlists that ACL arguments name', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c resolves them the same way', (t) => {
  assertHaproxyParses(t, CASES);
});
