/**
 * Cross-check of the evaluator against real HAProxy 2.6.
 *
 * Every case below was run through HAProxy 2.6.12 on 127.0.0.1 (one
 * frontend per case, `http-request return` rules answering "1"/"0" for
 * conditions and `lf-string "%[expr]"` for samples, raw requests sent on
 * a socket so that header order, case and repeats are exact), and its answer
 * is recorded in `expect`. The test always checks the evaluator against
 * `expect`; when an `haproxy` binary is installed it also re-runs the cases
 * through HAProxy and checks that HAProxy still agrees (LOADSTAR_NO_HAPROXY=1
 * skips that part). RECORD=1 prints HAProxy's answers instead of asserting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, condOf, formatOf, sampleOf } from './eval-helpers.ts';
import { parseCondition, compileConditionResult, ACL_PASS } from '../../../proxy/acl/index.ts';
import type { TestRequest } from './eval-helpers.ts';

interface Case {
  readonly name: string;
  /** Condition words after 'if' (a condition case), e.g. '{ hdr(host) -i a.b }'. */
  readonly cond?: string;
  /** Sample expression (rendered with lf-string "%[expr]"). */
  readonly sample?: string;
  readonly req: TestRequest;
  readonly expect: string;
  /** `http-request set-var(NAME) EXPR` rules run first. */
  readonly vars?: readonly (readonly [string, string])[];
  /** Listen on ::1 (IPv6 client) or on ::: with v4v6 (IPv4-mapped client). */
  readonly bind?: 'v6' | 'v4v6';
}

const H = (...pairs: [string, string][]): [string, string][] => pairs;

/** Files available to cases as ${dir}/NAME. */
const FILES: Record<string, string> = {
  'hosts.lst': '# comment\napi.example.com\n  www.example.com\n\n',
  'hosts.map': 'api.example.com be_api\nwww.example.com   be_www  \n#x y\n',
  'prefix.map': '/api be_api\n/api/v2 be_v2\n/ be_root\n',
  'nets.map': '10.0.0.0/8 ten\n127.0.0.0/8 loop\n127.0.0.1 exact\n',
  'nets.lst': '10.0.0.0/8\n127.0.0.0/8\n',
  'codes.map': 'a 1\nb 2\n',
};

const CASES: readonly Case[] = [
  // --- the seed ACL, header matching, comma splitting
  { name: 'seed: hdr(Host) -i matches other case', cond: '{ hdr(Host) -i api.example.com }', req: { headers: H(['Host', 'API.Example.COM']) }, expect: '1' },
  { name: 'seed: hdr(Host) -i rejects a longer name', cond: '{ hdr(Host) -i api.example.com }', req: { headers: H(['Host', 'api.example.com.evil']) }, expect: '0' },
  { name: 'seed: hdr(Host) does not strip the port', cond: '{ hdr(Host) -i api.example.com }', req: { headers: H(['Host', 'api.example.com:8080']) }, expect: '0' },
  { name: 'hdr without -i is case-sensitive', cond: '{ hdr(host) api.example.com }', req: { headers: H(['Host', 'API.example.com']) }, expect: '0' },
  { name: 'hdr: any comma-separated element matches', cond: '{ hdr(x-a) b }', req: { headers: H(['X-A', 'a, b ,c']) }, expect: '1' },
  { name: 'hdr: any repeated header matches', cond: '{ hdr(x-a) b }', req: { headers: H(['X-A', 'a'], ['x-a', 'b']) }, expect: '1' },
  { name: 'fhdr: whole lines, not split', cond: '{ req.fhdr(x-a) b }', req: { headers: H(['X-A', 'a, b']) }, expect: '0' },
  { name: 'fhdr: whole line matches', cond: '{ req.fhdr(x-a) -m str a,\\ b }', req: { headers: H(['X-A', 'a, b']) }, expect: '1' },
  { name: 'hdr with occurrence 2 over split values', sample: 'req.hdr(x-a,2)', req: { headers: H(['X-A', 'a, b'], ['X-A', 'c']) }, expect: 'b' },
  { name: 'hdr with occurrence -1 is the last element', sample: 'req.hdr(x-a,-1)', req: { headers: H(['X-A', 'a, b'], ['X-A', 'c, d']) }, expect: 'd' },
  { name: 'hdr with occurrence -3', sample: 'req.hdr(x-a,-3)', req: { headers: H(['X-A', 'a, b'], ['X-A', 'c, d']) }, expect: 'b' },
  { name: 'hdr sample without occurrence is the last value', sample: 'req.hdr(x-forwarded-for)', req: { headers: H(['X-Forwarded-For', '1.1.1.1, 2.2.2.2']) }, expect: '2.2.2.2' },
  { name: 'fhdr sample without occurrence is the last line', sample: 'req.fhdr(x-a)', req: { headers: H(['X-A', 'a, b'], ['X-A', 'c, d']) }, expect: 'c, d' },
  { name: 'quoted commas do not split', sample: 'req.hdr(x-a,1)', req: { headers: H(['X-A', '"a,b", c']) }, expect: '"a,b"' },
  { name: 'hdr_cnt counts elements, empty ones too', sample: 'req.hdr_cnt(x-a)', req: { headers: H(['X-A', 'a,,b'], ['X-A', 'c']) }, expect: '4' },
  { name: 'fhdr_cnt counts lines', sample: 'req.fhdr_cnt(x-a)', req: { headers: H(['X-A', 'a,,b'], ['X-A', 'c']) }, expect: '2' },
  { name: 'hdr_cnt without name counts every element', sample: 'req.hdr_cnt', req: { headers: H(['Host', 'h'], ['X-A', 'a, b']) }, expect: '3' },
  { name: 'hdr_cnt gt operator', cond: '{ req.hdr_cnt(x-a) gt 1 }', req: { headers: H(['X-A', 'a'], ['X-A', 'b']) }, expect: '1' },
  { name: 'hdr_cnt eq 0 for a missing header', cond: '{ req.hdr_cnt(x-zz) eq 0 }', req: { headers: H(['Host', 'h']) }, expect: '1' },
  { name: 'hdr without a name never matches', cond: '{ hdr -m found }', req: { headers: H(['Host', 'h']) }, expect: '0' },
  { name: 'hdr -m found', cond: '{ hdr(x-a) -m found }', req: { headers: H(['x-a', '']) }, expect: '1' },
  { name: 'hdr_val ge', cond: '{ hdr_val(x-n) ge 10 }', req: { headers: H(['X-N', '12abc']) }, expect: '1' },
  { name: 'hdr_val of the last value in samples', sample: 'hdr_val(x-n)', req: { headers: H(['X-N', '5, 7']) }, expect: '7' },
  { name: 'hdr_ip with a port', sample: 'hdr_ip(x-ip)', req: { headers: H(['X-Ip', '10.1.2.3:8080']) }, expect: '10.1.2.3' },
  { name: 'hdr_ip IPv6', sample: 'hdr_ip(x-ip)', req: { headers: H(['X-Ip', '2001:db8::1']) }, expect: '2001:db8::1' },
  { name: 'hdr_ip ACL skips non-addresses', cond: '{ hdr_ip(x-ip) 10.0.0.0/8 }', req: { headers: H(['X-Ip', 'junk, 10.9.9.9']) }, expect: '1' },
  { name: 'req.hdr_names are lowercase', sample: 'req.hdr_names', req: { headers: H(['Host', 'h'], ['X-Foo', '1']) }, expect: 'host,x-foo' },
  { name: 'req.hdr_names with a delimiter', sample: 'req.hdr_names(;)', req: { headers: H(['Host', 'h'], ['X-Foo', '1']) }, expect: 'host;x-foo' },
  { name: 'hdr_end -i', cond: '{ hdr_end(host) -i .EXAMPLE.com }', req: { headers: H(['Host', 'www.example.COM']) }, expect: '1' },
  { name: 'hdr_end without -i', cond: '{ hdr_end(host) .EXAMPLE.com }', req: { headers: H(['Host', 'www.example.COM']) }, expect: '0' },
  { name: '-m end -i', cond: '{ req.hdr(host) -m end -i .Example.Com }', req: { headers: H(['Host', 'a.EXAMPLE.com']) }, expect: '1' },
  { name: 'hdr_beg', cond: '{ hdr_beg(host) www. }', req: { headers: H(['Host', 'www.example.com']) }, expect: '1' },
  { name: 'hdr_sub -i', cond: '{ hdr_sub(user-agent) -i curl }', req: { headers: H(['User-Agent', 'x CURL/8']) }, expect: '1' },
  { name: 'hdr_len', cond: '{ hdr_len(host) 3 }', req: { headers: H(['Host', 'abc']) }, expect: '1' },
  { name: 'hdr_reg -i', cond: '{ hdr_reg(host) -i ^API\\.[a-z]+\\.com$ }', req: { headers: H(['Host', 'api.Example.com']) }, expect: '1' },

  // --- dom / dir
  { name: 'dom: the pattern between dots', cond: '{ hdr_dom(host) example.com }', req: { headers: H(['Host', 'www.example.com']) }, expect: '1' },
  { name: 'dom: also matches a prefix followed by a dot', cond: '{ hdr_dom(host) example.com }', req: { headers: H(['Host', 'example.com.evil']) }, expect: '1' },
  { name: 'dom: not in the middle of a label', cond: '{ hdr_dom(host) example.com }', req: { headers: H(['Host', 'myexample.com']) }, expect: '0' },
  { name: 'dom: port is a delimiter', cond: '{ hdr_dom(host) example.com }', req: { headers: H(['Host', 'example.com:8080']) }, expect: '1' },
  { name: 'dom: leading dot of the pattern is ignored', cond: '{ hdr_dom(host) .example.com }', req: { headers: H(['Host', 'example.com']) }, expect: '1' },
  { name: 'dom -i', cond: '{ hdr_dom(host) -i EXAMPLE }', req: { headers: H(['Host', 'www.example.org']) }, expect: '1' },
  { name: 'dir: a path segment', cond: '{ path_dir api }', req: { url: '/v1/api/x' }, expect: '1' },
  { name: 'dir: not a partial segment', cond: '{ path_dir api }', req: { url: '/apiv1/x' }, expect: '0' },
  { name: 'dir: several segments, slashes of the pattern ignored', cond: '{ path_dir /api/v1/ }', req: { url: '/x/api/v1' }, expect: '1' },
  { name: 'dir: ? is a delimiter (url)', cond: '{ url_dir img }', req: { url: '/a/img?x=1' }, expect: '1' },
  { name: 'dir: dots are not delimiters', cond: '{ path_dir img }', req: { url: '/a/img.png' }, expect: '0' },

  { name: 'dir: a pattern made of delimiters only', cond: '{ path_dir / }', req: { url: '/a' }, expect: '0' },
  { name: 'dir: a pattern made of delimiters only, trailing slash', cond: '{ path_dir / }', req: { url: '/a/' }, expect: '0' },
  { name: 'dir: a pattern made of delimiters only, root', cond: '{ path_dir / }', req: { url: '/' }, expect: '0' },
  { name: 'dom: empty-after-trim pattern', cond: '{ hdr_dom(host) . }', req: { headers: H(['Host', 'a.b']) }, expect: '0' },

  // --- path, query, url, url_param, base
  { name: 'path_beg', cond: '{ path_beg /static/ }', req: { url: '/static/app.js?v=1' }, expect: '1' },
  { name: 'path_beg does not see the query', cond: '{ path_end .js }', req: { url: '/static/app.js?v=1' }, expect: '1' },
  { name: 'path of an absolute URI', sample: 'path', req: { url: 'http://example.com/a/b?c=d', headers: H(['Host', 'example.com']) }, expect: '/a/b' },
  { name: 'pathq', sample: 'pathq', req: { url: '/a/b?c=d' }, expect: '/a/b?c=d' },
  { name: 'query', sample: 'query', req: { url: '/a?x=1&y=2' }, expect: 'x=1&y=2' },
  { name: 'query absent', cond: '{ query -m found }', req: { url: '/a' }, expect: '0' },
  { name: 'url as received', sample: 'url', req: { url: '/a%20b?x=%41' }, expect: '/a%20b?x=%41' },
  { name: 'url_param', sample: 'url_param(id)', req: { url: '/a?x=1&id=42&z' }, expect: '42' },
  { name: 'url_param sample is the first value', sample: 'url_param(id)', req: { url: '/a?id=1&id=2' }, expect: '1' },
  { name: 'url_param ACL sees every value', cond: '{ url_param(id) 2 }', req: { url: '/a?id=1&id=2' }, expect: '1' },
  { name: 'url_param: ; is a separator', sample: 'url_param(b)', req: { url: '/a?a=1;b=2' }, expect: '2' },
  { name: 'url_param: name must be whole', sample: 'url_param(d)', req: { url: '/a?id=1&d=2' }, expect: '2' },
  { name: 'url_param: empty value', cond: '{ url_param(e) -m found }', req: { url: '/a?e=&f=1' }, expect: '1' },
  { name: 'url_param: no query', cond: '{ url_param(e) -m found }', req: { url: '/a' }, expect: '0' },
  { name: 'url_param with a custom delimiter', sample: 'url_param(k,;)', req: { url: '/a;k=v' }, expect: 'v' },
  { name: 'urlp_val', cond: '{ urlp_val(n) gt 5 }', req: { url: '/?n=7' }, expect: '1' },
  { name: 'base', sample: 'base', req: { url: '/p/q?x=1', headers: H(['Host', 'Example.com']) }, expect: 'Example.com/p/q' },
  { name: 'baseq', sample: 'baseq', req: { url: '/p/q?x=1', headers: H(['Host', 'h']) }, expect: 'h/p/q?x=1' },
  { name: 'base32', sample: 'base32', req: { url: '/p/q?x=1', headers: H(['Host', 'example.com']) }, expect: '1380152643' },
  { name: 'url32', sample: 'url32', req: { url: '/p/q?x=1', headers: H(['Host', 'example.com']) }, expect: '646630610' },
  { name: 'url_ip / url_port', sample: 'url_port', req: { url: 'http://10.0.0.1:81/x', headers: H(['Host', '10.0.0.1:81']) }, expect: '81' },

  { name: 'url_param without a name: first value', sample: 'url_param', req: { url: '/a?x=1&y=2' }, expect: '1' },
  { name: 'url_param without a name looks past a valueless parameter', sample: 'url_param', req: { url: '/a?x&y=2' }, expect: '2' },
  { name: 'path of OPTIONS *', cond: '{ path -m found }', req: { method: 'OPTIONS', url: '*' }, expect: '0' },
  { name: 'path of a CONNECT authority', cond: '{ path -m found }', req: { method: 'CONNECT', url: 'example.com:443', headers: H(['Host', 'example.com:443']) }, expect: '0' },
  { name: 'query with an empty query string', cond: '{ query -m found }', req: { url: '/a?' }, expect: '1' },
  { name: 'url_ip', sample: 'url_ip', req: { url: 'http://10.0.0.1:81/x', headers: H(['Host', '10.0.0.1:81']) }, expect: '10.0.0.1' },
  { name: 'url_port default', sample: 'url_port', req: { url: 'https://10.0.0.1/x', headers: H(['Host', '10.0.0.1']) }, expect: '443' },
  { name: 'url_ip with a host name', cond: '{ url_ip -m found }', req: { url: 'http://example.com/x', headers: H(['Host', 'example.com']) }, expect: '0' },
  { name: 'ACL stops at a failing converter', cond: '{ url_param(a),b64dec -m found }', req: { url: '/?a=!!!!&a=YQ==' }, expect: '0' },
  { name: 'ACL keeps going after a non-matching value', cond: '{ url_param(a),b64dec -m str a }', req: { url: '/?a=Yg==&a=YQ==' }, expect: '1' },

  // --- method, version
  { name: 'method', cond: '{ method POST }', req: { method: 'POST' }, expect: '1' },
  { name: 'METH_GET also matches HEAD', cond: 'METH_GET', req: { method: 'HEAD' }, expect: '1' },
  { name: 'unknown method, case-sensitive', cond: '{ method purge }', req: { method: 'PURGE' }, expect: '0' },
  { name: 'unknown method with -i', cond: '{ method -i purge }', req: { method: 'PURGE' }, expect: '1' },
  { name: 'a known method pattern does not match a lowercase method, even with -i', cond: '{ method -i GET }', req: { method: 'get' }, expect: '0' },
  { name: 'a lowercase method as a string', sample: 'method', req: { method: 'get' }, expect: 'get' },
  { name: 'HTTP_1.1', cond: 'HTTP_1.1', req: { version: '1.1' }, expect: '1' },
  { name: 'HTTP_1.0', cond: 'HTTP_1.1', req: { version: '1.0' }, expect: '0' },
  { name: 'req.ver', sample: 'req.ver', req: { version: '1.0' }, expect: '1.0' },

  // --- cookies
  { name: 'cook', sample: 'cook(sid)', req: { headers: H(['Cookie', 'a=1; sid=xyz; b=2']) }, expect: 'xyz' },
  { name: 'cook over several Cookie headers: last one in samples', sample: 'cook(sid)', req: { headers: H(['Cookie', 'sid=1'], ['Cookie', 'x=0; sid=2']) }, expect: '2' },
  { name: 'cook ACL sees every occurrence', cond: '{ cook(sid) 1 }', req: { headers: H(['Cookie', 'sid=1'], ['Cookie', 'x=0; sid=2']) }, expect: '1' },
  { name: 'cook() without a name is the first cookie', sample: 'cook()', req: { headers: H(['Cookie', 'a=1; b=2']) }, expect: '1' },
  { name: 'cook_cnt', sample: 'cook_cnt(sid)', req: { headers: H(['Cookie', 'sid=1; sid=2'], ['Cookie', 'sid=3']) }, expect: '3' },
  { name: 'cook with spaces around =', sample: 'cook(a)', req: { headers: H(['Cookie', ' a = 1 ; b=2']) }, expect: '1' },
  { name: 'cook with a quoted value', sample: 'cook(a)', req: { headers: H(['Cookie', 'a="x;y"; b=2']) }, expect: '"x;y"' },
  { name: 'cook: names are case-sensitive', cond: '{ cook(SID) -m found }', req: { headers: H(['Cookie', 'sid=1']) }, expect: '0' },
  { name: 'cook -m found with an empty last value', cond: '{ cook(a) -m found }', req: { headers: H(['Cookie', 'b=1; a=']) }, expect: '1' },
  { name: 'cook_val', cond: '{ cook_val(n) lt 10 }', req: { headers: H(['Cookie', 'n=3']) }, expect: '1' },

  { name: 'cook: a lone empty cookie is not found', cond: '{ cook(a) -m found }', req: { headers: H(['Cookie', 'a=']) }, expect: '0' },
  { name: 'cook: $ attributes are skipped', sample: 'cook()', req: { headers: H(['Cookie', '$Version=1; a=2']) }, expect: '2' },
  { name: 'cook: cookies without = are skipped', sample: 'cook()', req: { headers: H(['Cookie', 'flag; a=2']) }, expect: '2' },
  { name: 'cook: comma-separated Cookie values', sample: 'cook_cnt(a)', req: { headers: H(['Cookie', 'a=1, a=2; a=3']) }, expect: '3' },
  { name: 'http_auth_user', sample: 'http_auth_user', req: { headers: H(['Authorization', 'Basic dXNlcjpwYXNz']) }, expect: 'user' },
  { name: 'http_auth_pass', sample: 'http_auth_pass', req: { headers: H(['Authorization', 'Basic dXNlcjpwOjE=']) }, expect: 'p:1' },
  { name: 'http_auth_type accepts a prefix of the scheme', sample: 'http_auth_type', req: { headers: H(['Authorization', 'bas dXNlcjpwYXNz']) }, expect: 'Basic' },
  { name: 'http_auth_bearer', sample: 'http_auth_bearer', req: { headers: H(['Authorization', 'Bearer  tok.en']) }, expect: 'tok.en' },
  { name: 'http_auth_bearer from another header', sample: 'http_auth_bearer(x-token)', req: { headers: H(['X-Token', 'bearer abc']) }, expect: 'abc' },

  // --- addresses
  { name: 'src CIDR', cond: '{ src 127.0.0.0/8 }', req: {}, expect: '1' },
  { name: 'src other network', cond: '{ src 10.0.0.0/8 192.168.0.0/16 }', req: {}, expect: '0' },
  { name: 'src dotted mask', cond: '{ src 127.0.0.0/255.0.0.0 }', req: {}, expect: '1' },
  { name: 'LOCALHOST', cond: 'LOCALHOST', req: {}, expect: '1' },
  { name: 'src IPv6', cond: '{ src ::1 }', req: {}, expect: '1', bind: 'v6' },
  { name: 'src IPv6 prefix', cond: '{ src ::/64 }', req: {}, expect: '1', bind: 'v6' },
  { name: 'src IPv6 vs an IPv4 pattern', cond: '{ src 127.0.0.1 }', req: {}, expect: '0', bind: 'v6' },
  { name: 'IPv4-mapped src matches IPv4 patterns', cond: '{ src 127.0.0.1 }', req: {}, expect: '1', bind: 'v4v6' },
  { name: 'IPv4-mapped src matches IPv6 patterns', cond: '{ src ::ffff:127.0.0.0/104 }', req: {}, expect: '1', bind: 'v4v6' },
  { name: 'IPv4 src matches a mapped IPv6 pattern', cond: '{ src ::ffff:127.0.0.1 }', req: {}, expect: '1' },
  { name: 'IPv4-mapped src is printed as IPv6', sample: 'src', req: {}, expect: '::ffff:127.0.0.1', bind: 'v4v6' },
  { name: 'src,ipmask(24)', sample: 'src,ipmask(24)', req: {}, expect: '127.0.0.0' },
  { name: 'IPv4-mapped src,ipmask(16) is IPv4', sample: 'src,ipmask(16)', req: {}, expect: '127.0.0.0', bind: 'v4v6' },
  { name: 'IPv6 ipmask with a v6 mask', sample: 'src,ipmask(24,64)', req: {}, expect: '::', bind: 'v6' },
  { name: 'dst_port', cond: '{ dst_port ${port} }', req: {}, expect: '1' },
  { name: 'dst_port range', cond: '{ dst_port 1:1023 }', req: {}, expect: '0' },
  { name: 'not ssl_fc on plain HTTP', cond: '!{ ssl_fc }', req: {}, expect: '1' },

  { name: 'str sample matched as an address (leading IPv4 is enough)', cond: '{ req.hdr(x-ip) -m ip 10.0.0.0/8 }', req: { headers: H(['X-Ip', '10.1.1.1junk']) }, expect: '1' },
  { name: 'str sample matched as an IPv6 address', cond: '{ req.hdr(x-ip) -m ip 2001:db8::/32 }', req: { headers: H(['X-Ip', '2001:db8::5']) }, expect: '1' },
  { name: 'IPv6 6to4 address matches IPv4 patterns', cond: '{ req.hdr(x-ip) -m ip 192.0.2.0/24 }', req: { headers: H(['X-Ip', '2002:c000:0204::1']) }, expect: '1' },
  { name: 'non-contiguous IPv4 mask', cond: '{ src 127.0.0.1/255.0.255.255 }', req: {}, expect: '1' },

  // --- pattern files, conditions
  { name: '-f file, -i', cond: '{ hdr(host) -i -f ${dir}/hosts.lst }', req: { headers: H(['Host', 'WWW.example.com']) }, expect: '1' },
  { name: '-f file, no match', cond: '{ hdr(host) -f ${dir}/hosts.lst }', req: { headers: H(['Host', 'other.example.com']) }, expect: '0' },
  { name: '-f file of networks', cond: '{ src -f ${dir}/nets.lst }', req: {}, expect: '1' },
  { name: '-f file plus inline values', cond: '{ hdr(host) -f ${dir}/hosts.lst other.example.com }', req: { headers: H(['Host', 'other.example.com']) }, expect: '1' },
  { name: 'AND binds tighter than OR', cond: '{ method GET } { path /x } || { path /y }', req: { method: 'POST', url: '/y' }, expect: '1' },
  { name: 'AND fails', cond: '{ method GET } { path /x }', req: { method: 'GET', url: '/y' }, expect: '0' },
  { name: 'negated term', cond: '{ method GET } !{ path /x }', req: { method: 'GET', url: '/y' }, expect: '1' },
  { name: 'TRUE / FALSE', cond: 'TRUE !FALSE', req: {}, expect: '1' },
  { name: 'several patterns are ORed', cond: '{ path /a /b /c }', req: { url: '/b' }, expect: '1' },
  { name: 'int with a sample converter', cond: '{ req.hdr(x-n),mul(2) gt 10 }', req: { headers: H(['X-N', '6']) }, expect: '1' },
  { name: 'converter applied to every value', cond: '{ req.hdr(x-a),lower -m str b }', req: { headers: H(['X-A', 'A, B']) }, expect: '1' },
  { name: 'bool of an int', cond: '{ req.hdr_cnt(x-a) -m bool }', req: { headers: H(['X-A', 'a']) }, expect: '1' },
  { name: 'str matched as int', cond: '{ req.hdr(x-n) -m int 12 }', req: { headers: H(['X-N', '12abc']) }, expect: '1' },
  { name: 'var()', cond: '{ var(txn.x) -m str abc }', req: {}, expect: '1', vars: [['txn.x', 'str(abc)']] },

  { name: '-m bin', cond: '{ req.hdr(x-a) -m bin 414243 }', req: { headers: H(['X-A', 'ABC']) }, expect: '1' },
  { name: '-m len', cond: '{ req.hdr(x-a) -m len 2:3 }', req: { headers: H(['X-A', 'ABC']) }, expect: '1' },
  { name: '-m beg -i', cond: '{ req.hdr(x-a) -m beg -i ab }', req: { headers: H(['X-A', 'ABC']) }, expect: '1' },
  { name: '-m sub', cond: '{ req.hdr(x-a) -m sub BC }', req: { headers: H(['X-A', 'ABC']) }, expect: '1' },
  { name: '-m reg on an ACL keyword', cond: '{ path -m reg ^/[a-z]+$ }', req: { url: '/abc' }, expect: '1' },
  { name: 'negative int range', cond: '{ hdr_val(x-n) lt 0 }', req: { headers: H(['X-N', '-5']) }, expect: '1' },
  { name: 'int range a:b', cond: '{ req.hdr_cnt(x-a) 2:3 }', req: { headers: H(['X-A', 'a, b, c, d']) }, expect: '0' },
  { name: 'int operator le', cond: '{ req.hdr_cnt(x-a) le 4 }', req: { headers: H(['X-A', 'a, b, c, d']) }, expect: '1' },
  { name: 'occurrence past the end', cond: '{ req.hdr(x-a,5) -m found }', req: { headers: H(['X-A', 'a, b']) }, expect: '0' },
  { name: '-m found with a failing converter', cond: '{ req.hdr(x-a),b64dec -m found }', req: { headers: H(['X-A', '***']) }, expect: '0' },

  // --- converters
  { name: 'lower', sample: 'req.hdr(host),lower', req: { headers: H(['Host', 'API.Example.COM']) }, expect: 'api.example.com' },
  { name: 'upper', sample: 'str(abc),upper', req: {}, expect: 'ABC' },
  { name: 'base64', sample: 'str(hello),base64', req: {}, expect: 'aGVsbG8=' },
  { name: 'b64dec', sample: 'str(aGVsbG8=),b64dec', req: {}, expect: 'hello' },
  { name: 'b64dec invalid', sample: 'str(aGVsbG8),b64dec', req: {}, expect: '' },
  { name: 'b64dec: misplaced padding fails', cond: '{ str(aG=sbG8=),b64dec -m found }', req: {}, expect: '0' },
  { name: 'b64dec: X=== is accepted (empty)', cond: '{ str(a===),b64dec -m found }', req: {}, expect: '1' },
  { name: 'hex', sample: 'str(AZ),hex', req: {}, expect: '415A' },
  { name: 'hex of an int is its 8 bytes', sample: 'int(258),hex', req: {}, expect: '0000000000000102' },
  { name: 'field', sample: 'str(a.b.c),field(2,.)', req: {}, expect: 'b' },
  { name: 'field negative', sample: 'str(a.b.c),field(-1,.)', req: {}, expect: 'c' },
  { name: 'field with count', sample: 'str(a.b.c.d),field(2,.,2)', req: {}, expect: 'b.c' },
  { name: 'field out of range', sample: 'str(a.b),field(5,.)', req: {}, expect: '' },
  { name: 'word skips empty words', sample: 'str(a..b),word(2,.)', req: {}, expect: 'b' },
  { name: 'word negative', sample: 'str(/x/y/),word(-1,/)', req: {}, expect: 'y' },
  { name: 'bytes', sample: 'str(hello),bytes(1,3)', req: {}, expect: 'ell' },
  { name: 'length', sample: 'str(hello),length', req: {}, expect: '5' },
  { name: 'regsub first', sample: 'str(a-b-c),regsub(-,_)', req: {}, expect: 'a_b-c' },
  { name: 'regsub global', sample: 'str(a-b-c),regsub(-,_,g)', req: {}, expect: 'a_b_c' },
  { name: 'regsub with groups', sample: 'str(ab12cd),regsub([0-9]+,<\\0>)', req: {}, expect: 'ab<12>cd' },
  { name: 'regsub empty matches', sample: 'str(abc),regsub(x*,-,g)', req: {}, expect: '-a-b-c-' },
  { name: 'regsub -i', sample: 'str(ABC),regsub(b,x,gi)', req: {}, expect: 'AxC' },
  { name: 'json escaping', sample: 'req.fhdr(x-j),json', req: { headers: H(['X-J', 'a"b\\c/d\te']) }, expect: 'a\\"b\\\\c\\/d\\te' },
  { name: 'json utf8 mode', sample: 'req.fhdr(x-j),json(utf8)', req: { headers: H(['X-J', 'caf\u00c3\u00a9']) }, expect: 'caf\\u00e9' },
  { name: 'json_query string', sample: 'req.fhdr(x-j),json_query($.a.b[2])', req: { headers: H(['X-J', '{"a":{"b":[1,2.5,"x\\ty"]}}']) }, expect: 'x\ty' },
  { name: 'json_query number', sample: 'req.fhdr(x-j),json_query($.a.b[1])', req: { headers: H(['X-J', '{"a":{"b":[1,2.5,"x"]}}']) }, expect: '2.5' },
  { name: 'json_query int', sample: 'req.fhdr(x-j),json_query($.n,int),add(1)', req: { headers: H(['X-J', '{"n": 41}']) }, expect: '42' },
  { name: 'json_query bool', sample: 'req.fhdr(x-j),json_query($.t)', req: { headers: H(['X-J', '{"t": true}']) }, expect: '1' },
  { name: 'json_query object gives nothing', sample: 'req.fhdr(x-j),json_query($.o)', req: { headers: H(['X-J', '{"o": {}}']) }, expect: '' },
  { name: 'sdbm', sample: 'str(abc),sdbm', req: {}, expect: '807794786' },
  { name: 'sdbm with avalanche', sample: 'str(abc),sdbm(1)', req: {}, expect: '659243622' },
  { name: 'djb2', sample: 'str(abc),djb2', req: {}, expect: '193485963' },
  { name: 'crc32', sample: 'str(abc),crc32', req: {}, expect: '891568578' },
  { name: 'crc32c', sample: 'str(abc),crc32c', req: {}, expect: '910901175' },
  { name: 'wt6', sample: 'str(abc),wt6', req: {}, expect: '2483038440' },
  { name: 'xxh32', sample: 'str(abc),xxh32', req: {}, expect: '852579327' },
  { name: 'xxh32 with seed', sample: 'str(abc),xxh32(1)', req: {}, expect: '2856167679' },
  { name: 'xxh64', sample: 'str(abc),xxh64', req: {}, expect: '4952883123889572249' },
  { name: 'sha1', sample: 'str(abc),sha1,hex', req: {}, expect: 'A9993E364706816ABA3E25717850C26C9CD0D89D' },
  { name: 'sha2', sample: 'str(abc),sha2,hex', req: {}, expect: 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD' },
  { name: 'sha2(224)', sample: 'str(abc),sha2(224),hex', req: {}, expect: '23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7' },
  { name: 'digest(md5)', sample: 'str(abc),digest(md5),hex', req: {}, expect: '900150983CD24FB0D6963F7D28E17F72' },
  { name: 'hmac(sha256)', sample: 'str(abc),hmac(sha256,a2V5),hex', req: {}, expect: '9C196E32DC0175F86F4B1CB89289D6619DE6BEE699E4C378E68309ED97A1A6AB' },
  { name: 'arithmetic', sample: 'int(7),mul(3),sub(1),div(4)', req: {}, expect: '5' },
  { name: 'mod keeps the sign of the dividend', sample: 'int(-7),mod(3)', req: {}, expect: '-1' },
  { name: 'div by zero', sample: 'int(7),div(0)', req: {}, expect: '9223372036854775807' },
  { name: 'add a variable', sample: 'int(1),add(txn.n)', req: {}, expect: '42', vars: [['txn.n', 'int(41)']] },
  { name: 'neg, and, or, xor', sample: 'int(12),and(10),or(1),xor(3),neg', req: {}, expect: '-10' },
  { name: 'not / bool / odd / even', sample: 'int(3),odd', req: {}, expect: '1' },
  { name: 'concat', sample: 'str(a),concat(<,txn.v,>)', req: {}, expect: 'a<V>', vars: [['txn.v', 'str(V)']] },
  { name: 'concat with an unset variable', sample: 'str(a),concat(<,txn.none,>)', req: {}, expect: 'a<>' },
  { name: 'strcmp', sample: 'str(abc),strcmp(txn.v)', req: {}, expect: '-1', vars: [['txn.v', 'str(abd)']] },
  { name: 'url_dec', sample: 'str(a%20b+c),url_dec', req: {}, expect: 'a b+c' },
  { name: 'url_dec in form mode', sample: 'str(a%20b+c),url_dec(1)', req: {}, expect: 'a b c' },
  { name: 'url_dec: + after ? is a space', sample: 'url,url_dec', req: { url: '/a+b?c+d' }, expect: '/a+b?c d' },
  { name: 'utime', sample: 'int(1700000000),utime(%Y-%m-%dT%H:%M:%S)', req: {}, expect: '2023-11-14T22:13:20' },
  { name: 'http_date', sample: 'int(1700000000),http_date', req: {}, expect: 'Tue, 14 Nov 2023 22:13:20 GMT' },
  { name: 'ltrim / rtrim', sample: 'str(--a--),ltrim(-),rtrim(-)', req: {}, expect: 'a' },
  { name: 'iif', sample: 'int(0),bool,iif(yes,no)', req: {}, expect: 'no' },
  { name: 'json in ascii mode escapes high bytes', sample: 'req.fhdr(x-j),json', req: { headers: H(['X-J', 'caf\u00c3\u00a9']) }, expect: 'caf\\u00c3\\u00a9' },
  { name: 'ipmask on IPv6 without a v6 mask fails', sample: 'src,ipmask(24)', req: {}, expect: '', bind: 'v6' },
  { name: 'concat of an int', sample: 'int(5),concat(x)', req: {}, expect: '5x' },
  { name: 'strcmp equal', sample: 'str(abc),strcmp(txn.v)', req: {}, expect: '0', vars: [['txn.v', 'str(abc)']] },
  { name: 'regsub ^ only at the start, even global', sample: 'str(aaa),regsub(^a,x,g)', req: {}, expect: 'xaa' },
  { name: 'url_dec with a bad escape fails', sample: 'str(a%zz),url_dec', req: {}, expect: '' },
  { name: 'req.hdrs (CR LF %-encoded by lf-string)', sample: 'req.hdrs', req: { headers: H(['Host', 'h'], ['X-A', 'b']) }, expect: 'host: h%0D%0Ax-a: b%0D%0A%0D%0A' },
  { name: 'bytes past the end', sample: 'str(abc),bytes(5)', req: {}, expect: '' },
  { name: 'be2dec', sample: 'str(ABCD),be2dec(-,2)', req: {}, expect: '16706-17220' },
  { name: 'be2hex', sample: 'str(ABCD),be2hex(:,1)', req: {}, expect: '41:42:43:44' },
  { name: 'ub64enc', sample: 'str(hi?),ub64enc', req: {}, expect: 'aGk_' },
  { name: 'add_item', sample: 'str(a),add_item(;,txn.v,x)', req: {}, expect: 'a;vx', vars: [['txn.v', 'str(v)']] },
  { name: 'language', sample: 'req.fhdr(accept-language),language(fr;en;de)', req: { headers: H(['Accept-Language', 'de;q=0.7, en-US;q=0.8, fr;q=0.9']) }, expect: 'fr' },
  { name: 'language default', sample: 'req.fhdr(accept-language),language(es,en)', req: { headers: H(['Accept-Language', 'de']) }, expect: 'en' },
  { name: 'hex2i', sample: 'str(ff),hex2i', req: {}, expect: '255' },
  { name: 'cut_crlf', sample: 'req.fhdr(x-a),url_dec,cut_crlf', req: { headers: H(['X-A', 'ab%0Dcd']) }, expect: 'ab' },

  { name: 'map', sample: 'req.hdr(host),lower,map(${dir}/hosts.map,none)', req: { headers: H(['Host', 'WWW.example.com']) }, expect: 'be_www' },
  { name: 'map default', sample: 'req.hdr(host),map(${dir}/hosts.map,none)', req: { headers: H(['Host', 'x']) }, expect: 'none' },
  { name: 'map_beg: longest prefix', sample: 'path,map_beg(${dir}/prefix.map)', req: { url: '/api/v2/users' }, expect: 'be_v2' },
  { name: 'map_ip: longest prefix', sample: 'src,map_ip(${dir}/nets.map)', req: {}, expect: 'exact' },
  { name: 'map_dom', sample: 'req.hdr(host),map_dom(${dir}/hosts.map)', req: { headers: H(['Host', 'x.api.example.com']) }, expect: 'be_api' },
  { name: 'map_str_int', sample: 'str(b),map_str_int(${dir}/codes.map,-1),add(1)', req: {}, expect: '3' },
  { name: 'map_str_int default', sample: 'str(nope),map_str_int(${dir}/codes.map,-1)', req: {}, expect: '-1' },

  // --- log-format variables in an lf-string (LOG_OPT_HTTP: control characters %-encoded)
  { name: 'lf: control characters are %-encoded', sample: 'req.fhdr(x-a),url_dec', req: { headers: H(['X-A', 'a%0Ab%7F']) }, expect: 'a%0Ab%7F' },
];

// ---------------------------------------------------------------- our side

function substitute(text: string, dir: string, port: number): string {
  return text.replaceAll('${dir}', dir).replaceAll('${port}', String(port));
}

function evaluate(c: Case, dir: string, port: number): string {
  const readFile = (p: string): string => readFileSync(p, 'latin1');
  const conn = c.bind === 'v6'
    ? { src: '::1', dst: '::1', dstPort: port }
    : c.bind === 'v4v6' ? { src: '::ffff:127.0.0.1', dst: '::ffff:127.0.0.1', dstPort: port } : { dstPort: port };
  const ctx = context(c.req, { conn });
  for (const [name, expr] of c.vars ?? []) {
    const v = sampleOf(expr)(ctx);
    const dot = name.indexOf('.');
    if (v) ctx.vars!.set(name.slice(0, dot) as 'txn', name.slice(dot + 1), v);
  }
  if (c.cond !== undefined) return condOf(`if ${substitute(c.cond, dir, port)}`, [], { readFile })(ctx) ? '1' : '0';
  return formatOf(`%[${substitute(c.sample!, dir, port)}]`, { headerValue: true, readFile })(ctx);
}

// ---------------------------------------------------------------- HAProxy side

const haproxyAvailable = !process.env.LOADSTAR_NO_HAPROXY && spawnSync('haproxy', ['-v']).status === 0;

function frontend(c: Case, i: number, port: number, dir: string): string {
  const bind = c.bind === 'v6' ? `[::1]:${port}` : c.bind === 'v4v6' ? `:::${port} v4v6` : `127.0.0.1:${port}`;
  const lines = [`frontend f${i}`, `    bind ${bind}`];
  for (const [name, expr] of c.vars ?? []) lines.push(`    http-request set-var(${name}) ${expr}`);
  if (c.cond !== undefined) {
    // the answer is in the status code (HEAD responses have no body)
    lines.push(`    http-request return status 210 if ${substitute(c.cond, dir, port)}`);
    lines.push('    http-request return status 211');
  } else {
    // inside double quotes, HAProxy's line parser expands '$' and interprets '\\': escape them
    const expr = substitute(c.sample!, dir, port).replace(/[\\$"]/g, (m) => `\\${m}`);
    lines.push(`    http-request return status 200 content-type text/plain lf-string "%[${expr}]"`);
  }
  return lines.join('\n');
}

/** Sends the request on a raw socket and returns the response body ('1' / '0' for status 210 / 211). */
function send(c: Case, port: number): Promise<string> {
  const r = c.req;
  const head = `${r.method ?? 'GET'} ${r.url ?? '/'} HTTP/${r.version ?? '1.1'}\r\n`
    + (r.headers ?? []).map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n';
  const host = c.bind === 'v6' ? '::1' : '127.0.0.1';
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host, () => sock.write(Buffer.from(head, 'latin1')));
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout on ${c.name}`)); }, 5000);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = text.slice(9, 12);
      if (status === '210' || status === '211') {
        clearTimeout(timer);
        sock.destroy();
        resolve(status === '210' ? '1' : '0');
        return;
      }
      const len = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, end))?.[1] ?? '0');
      if (buf.length >= end + 4 + len) {
        clearTimeout(timer);
        sock.destroy();
        resolve(text.slice(end + 4, end + 4 + len));
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('haproxy did not start');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Below Linux's ephemeral port range (32768+), to avoid colliding with client sockets. */
const pickBase = (): number => 20000 + Math.floor(Math.random() * 10000);

/**
 * Runs `body` against an haproxy serving `configFor(base)`, which binds `count` ports from a
 * random `base`. Other test files draw ports from the same range at the same time, so one of
 * ours can be taken between the check and haproxy's bind: haproxy then exits with "cannot
 * bind", sometimes after it had already accepted a connection on a port it bound first (the
 * client sees ECONNRESET, as CI once did). Such an attempt is retried on other ports; any other
 * failure is the test's.
 */
async function withHaproxy(
  count: number,
  firstPort: (base: number) => number,
  configFor: (base: number) => string,
  body: (base: number, stdout: () => string) => Promise<void>,
): Promise<void> {
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const base = pickBase();
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await canBind(p);
    if (!free) continue;
    const cfgFile = join(dir, `haproxy-${base}.cfg`);
    writeFileSync(cfgFile, configFor(base));
    const check = spawnSync('haproxy', ['-c', '-f', cfgFile], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const proc = spawn('haproxy', ['-db', '-f', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString('latin1'); });
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    /** Whether haproxy stopped because a port was taken (given it a moment to exit). */
    const portTaken = async (): Promise<boolean> => {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      return proc.exitCode !== null && /Address already in use|cannot bind/i.test(stderr);
    };
    try {
      try {
        await waitListening(firstPort(base));
      } catch {
        lastError = stderr;
        if (await portTaken()) continue;
        throw new Error(`haproxy did not start: ${stderr}`);
      }
      try {
        await body(base, () => stdout);
      } catch (e) {
        if (await portTaken()) { lastError = stderr; continue; }
        throw e;
      }
      return;
    } finally {
      proc.kill('SIGTERM');
    }
  }
  assert.fail(`could not find free ports for haproxy: ${lastError}`);
}

// ---------------------------------------------------------------- tests

const dir = mkdtempSync(join(tmpdir(), 'loadstar-acl-'));
for (const [name, content] of Object.entries(FILES)) writeFileSync(join(dir, name), content);
const basePort = pickBase();

test('evaluator answers match the recorded HAProxy answers', () => {
  const failures: string[] = [];
  CASES.forEach((c, i) => {
    let got: string;
    try {
      got = evaluate(c, dir, basePort + i);
    } catch (e) {
      got = `<error ${(e as Error).message}>`;
    }
    if (got !== c.expect) failures.push(`${c.name}: expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(got)}`);
  });
  assert.deepEqual(failures, []);
});

test('real HAProxy still gives the recorded answers', { skip: !haproxyAvailable && 'haproxy not installed' }, async () => {
  const firstV4 = CASES.findIndex((c) => !c.bind);
  const configFor = (base: number): string => ['global', '    maxconn 500', 'defaults', '    mode http', '    timeout client 5s',
    '    timeout server 5s', '    timeout connect 5s', ...CASES.map((c, i) => frontend(c, i, base + i, dir))].join('\n') + '\n';
  await withHaproxy(CASES.length, (base) => base + firstV4, configFor, async (base) => {
    const failures: string[] = [];
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[i]!;
      const got = await send(c, base + i);
      if (process.env.RECORD) console.log(`${JSON.stringify(c.name)} => ${JSON.stringify(got)}`);
      else if (got !== c.expect) failures.push(`${c.name}: recorded ${JSON.stringify(c.expect)}, HAProxy says ${JSON.stringify(got)}`);
    }
    assert.deepEqual(failures, []);
  });
});

// ---------------------------------------------------------------- log-format variables

/** A log-format of the variables that do not depend on timing (the timers are checked in evaluate.test.ts). */
const LOG_FORMAT = '%ci|%fi|%fp|%f|%ft|%b|%s|%HM|%HU|%HP|%HPO|%HQ|%HV|%{+Q}r|%ST|%{+X}ci|%{+X}fp|%{+Q}HU|%r|%{+Q,+E}HP'
  + '|%CC|%{+Q}CC|%rc|%sq/%bq|%{-M}CC|[%hr]|%ID|%sslv|%{+Q}b %[src] %{+Q}[str(x)] %[str()]   |%Th';

/** Raw request lines and what HAProxy logged for them (%cp replaced by CP). */
const LOG_CASES: readonly { readonly line: string; readonly expect: string }[] = [
  {
    line: 'GET /a"b?x=1 HTTP/1.1',
    expect: '127.0.0.1|127.0.0.1|PORT|lf|lf|lf|<NOSRV>|GET|/a#22b?x=1|/a#22b|/a#22b|?x=1|HTTP/1.1|"GET /a#22b?x=1 HTTP/1.1"|200|7F000001|PORTX|"/a#22b?x=1"|GET /a#22b?x=1 HTTP/1.1|"/a#22b"|-|""|0|0/0||[]|-|-|"lf" 127.0.0.1 "x" - |0',
  },
  {
    line: 'GET http://h/p/q?z HTTP/1.0',
    expect: '127.0.0.1|127.0.0.1|PORT|lf|lf|lf|<NOSRV>|GET|http://h/p/q?z|http://h/p/q|/p/q|?z|HTTP/1.0|"GET http://h/p/q?z HTTP/1.0"|200|7F000001|PORTX|"http://h/p/q?z"|GET http://h/p/q?z HTTP/1.0|"http://h/p/q"|-|""|0|0/0||[]|-|-|"lf" 127.0.0.1 "x" - |0',
  },
];

test('log-format variables render like HAProxy logs them', async (t) => {
  const render = formatOf(LOG_FORMAT);
  const expectedAt = (port: number): string[] => LOG_CASES.map((c) =>
    c.expect.replace('PORTX', port.toString(16).toUpperCase().padStart(4, '0')).replace('PORT', String(port)));
  const ourPort = pickBase();
  LOG_CASES.forEach((c, i) => {
    const [method, url, proto] = c.line.split(' ') as [string, string, string];
    const ctx = context({ method, url, version: proto.slice(5) }, { conn: { frontend: 'lf', dstPort: ourPort } });
    assert.equal(render(ctx, { status: 200 }), expectedAt(ourPort)[i], c.line);
  });
  if (!haproxyAvailable) return t.skip('haproxy not installed');
  const configFor = (port: number): string => ['global', '    log stdout format raw local0', 'defaults', '    mode http', '    timeout client 5s',
    '    timeout server 5s', '    timeout connect 5s', 'frontend lf', `    bind 127.0.0.1:${port}`, '    log global', '    option dontlognull',
    `    log-format "${LOG_FORMAT.replace(/[\\$"]/g, (m) => `\\${m}`)}"`,
    '    http-request return status 200 content-type text/plain string ok', ''].join('\n');
  await withHaproxy(1, (port) => port, configFor, async (port, stdout) => {
    for (const c of LOG_CASES) {
      const [method, url, proto] = c.line.split(' ') as [string, string, string];
      await send({ name: c.line, req: { method, url, version: proto.slice(5), headers: [['Host', 'h']] }, expect: '' }, port);
    }
    for (let i = 0; i < 50 && stdout().split('\n').length <= LOG_CASES.length; i++) await new Promise((r) => setTimeout(r, 20));
    const lines = stdout().split('\n').filter((l) => l.startsWith('127.0.0.1|'));
    if (process.env.RECORD) console.log(lines.join('\n'));
    assert.equal(lines.length, LOG_CASES.length, stdout());
    // HAProxy logs when each stream ends, which may not be in request order under load
    assert.deepEqual([...lines].sort(), [...expectedAt(port)].sort());
  });
});

// ---------------------------------------------------------------- TCP content inspection (TLS ClientHello)

/** Captures the ClientHello record Node's TLS client sends. */
function clientHello(servername: string | undefined, alpn: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          s.destroy();
          srv.close();
          resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
        }
      });
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', async () => {
      const tls = await import('node:tls');
      const port = (srv.address() as net.AddressInfo).port;
      const c = tls.connect({ port, host: '127.0.0.1', ...(servername ? { servername } : {}), ALPNProtocols: alpn, rejectUnauthorized: false });
      c.on('error', () => undefined);
    });
  });
}

/** `tcp-request content` rules: [condition, accept?] in order, then a final reject. */
const TCP_RULES: readonly { readonly name: string; readonly rules: readonly string[] }[] = [
  { name: 'sni', rules: ['reject if !{ req.ssl_hello_type 1 }', 'accept if { req.ssl_sni -i API.example.com }'] },
  { name: 'alpn', rules: ['accept if { req.ssl_alpn http/1.1 }'] },
  { name: 'ver', rules: ['accept if { req.ssl_ver ge 3.3 } { req.ssl_ec_ext }'] },
];

test('TCP content inspection of TLS ClientHellos agrees with HAProxy', async (t) => {
  const hellos = {
    api: await clientHello('api.example.com', ['h2', 'http/1.1']),
    other: await clientHello('other.example.com', ['h2']),
    none: await clientHello(undefined, []),
  };
  // our side: the first rule whose condition passes decides; MISS waits (never happens with complete hellos)
  const decide = (rules: readonly string[], bytes: Uint8Array): string => {
    for (const r of rules) {
      const [action, , ...cond] = r.split(' ');
      const c = parseCondition(['if', ...cond], 0);
      if ('error' in c) assert.fail(c.error);
      if (compileConditionResult(c.condition, new Map())(context(undefined, { conn: { payload: bytes } })) === ACL_PASS) return action === 'accept' ? 'ok' : 'rejected';
    }
    return 'rejected';
  };
  const expected: Record<string, Record<string, string>> = {
    sni: { api: 'ok', other: 'rejected', none: 'rejected' },
    alpn: { api: 'ok', other: 'rejected', none: 'rejected' },
    ver: { api: 'ok', other: 'ok', none: 'ok' },
  };
  for (const f of TCP_RULES) for (const [h, bytes] of Object.entries(hellos)) assert.equal(decide(f.rules, bytes), expected[f.name]![h], `${f.name}/${h}`);
  if (!haproxyAvailable) return t.skip('haproxy not installed');

  const backend = net.createServer((s) => s.end('ok'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const bport = (backend.address() as net.AddressInfo).port;
  const configFor = (base: number): string => ['defaults', '    mode tcp', '    timeout client 5s', '    timeout server 5s', '    timeout connect 5s',
    ...TCP_RULES.flatMap((f, i) => [`frontend t_${f.name}`, `    bind 127.0.0.1:${base + i}`, '    tcp-request inspect-delay 2s',
      ...f.rules.map((r) => `    tcp-request content ${r}`), '    tcp-request content reject', '    default_backend b']),
    'backend b', `    server s 127.0.0.1:${bport}`, ''].join('\n');
  const exchange = (port: number, bytes: Buffer, split: boolean): Promise<string> => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      if (!split) { s.write(bytes); return; }
      // in two parts: HAProxy must wait for the rest (missing data) before deciding
      s.write(bytes.subarray(0, 20));
      setTimeout(() => s.write(bytes.subarray(20)), 100);
    });
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString(); });
    s.on('close', () => resolve(got === 'ok' ? 'ok' : 'rejected'));
    s.on('error', () => resolve('rejected'));
  });
  try {
    await withHaproxy(TCP_RULES.length, (base) => base, configFor, async (base) => {
      for (let i = 0; i < TCP_RULES.length; i++) {
        const f = TCP_RULES[i]!;
        for (const [h, bytes] of Object.entries(hellos)) {
          assert.equal(await exchange(base + i, bytes, false), expected[f.name]![h], `HAProxy ${f.name}/${h}`);
          assert.equal(await exchange(base + i, bytes, true), expected[f.name]![h], `HAProxy ${f.name}/${h} (split)`);
        }
      }
    });
  } finally {
    backend.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
