/**
 * Rule-arguments sweep: the ARGUMENTS of what rules are made of, through `haproxy -c` and Loadstar's
 * parser, printing where one accepts a line the other refuses (extra-words-sweep.ts did the word
 * counts of directive lines, placement-sweep.ts where fetches may be used; this one the rest):
 *  - every sample fetch Loadstar registers (proxy/acl/fetch/), in an ACL (`acl a F -m found`, which
 *    checks no placement): without its parentheses, with empty ones, its arguments valid, only the
 *    mandatory ones, one too many, each replaced with a wrong type / a negative, zero or huge number /
 *    an unknown proxy, and an unclosed parenthesis;
 *  - every converter (proxy/acl/converter/) the same way, after a fetch of its input type, and after
 *    a fetch of each other type (which HAProxy may not cast), plus unknown converters and stray commas;
 *  - every http-request / http-response / http-after-response / tcp-request / tcp-response action
 *    from a valid line per action (ACTIONS below; the script says which registered action has none),
 *    with each argument word dropped or replaced (abc, -1, 0, a huge number, an unknown fetch) and
 *    each parenthesised argument of the action's name emptied, unclosed or replaced;
 *  - ACL flags (-i, -m <method>, -f, -M, -u, -n, --), patterns, ACL names, and condition syntax
 *    (if/unless, ||, or, !, braces, unknown ACL names), and fetches used where their direction is not
 *    available.
 * Not part of `npm test`: it runs haproxy about 7100 times (three to four minutes).
 *
 * First run (2026-12-05): 574 variants differed; after the fixes of branch h-rules: 91, all left on
 * purpose — numbers HAProxy reads with atoi() and never checks (sc-inc-gpc*(…) / sc-set-gpt*(…)
 * indexes, capture id, test/scenarios/invalid/README.md's policy), conditions HAProxy takes though
 * they are empty or dangle (`if`, `if a ||`, `if !`), set-map/add-acl… without parentheses (HAProxy
 * reads a file name out of nothing), `acl … -u`, `src nosuch.invalid` (HAProxy resolves names while
 * checking; Loadstar's check opens no network connection), and the debug/mqtt_field_value arguments
 * Loadstar does not check (their converters are not evaluated yet).
 *
 *   node --import tsx scripts/rule-args-sweep.ts [--all] [--messages] [key-regexp]
 *     --all       prints every disagreeing line, not one per key, variant and verdict
 *     --messages  also counts a line both refuse when no Loadstar alert contains haproxy's first
 *                 message (without its "parsing [file:line] :" head)
 *     key-regexp  only the fetches, converters, actions or groups (acl, cond, phase) it matches
 */
import fs from 'node:fs';
import path from 'node:path';
import { fetchNames, findFetch } from '../proxy/acl/fetches.ts';
import { converterNames, findConverter } from '../proxy/acl/converters.ts';
import type { ArgSpec, ArgType } from '../proxy/acl/types.ts';
import { httpActionNames } from '../proxy/config/kw-rules.ts';
import { checkVariant, printDiffs, sweepDir } from './lib/sweep.ts';
import type { Diff, Variant } from './lib/sweep.ts';

const argv = process.argv.slice(2);
const all = argv.includes('--all');
const messages = argv.includes('--messages');
const filter = argv.find((a) => !a.startsWith('--'));
const only = filter ? new RegExp(filter) : undefined;

/** The file every line goes into (at @@LINE, in listen `p`); `haproxy -c` and Loadstar both accept it as it is. */
const BASE = `global
    maxconn 100
    expose-experimental-directives
userlist u
    group g
    user a insecure-password b groups g
cache c
    total-max-size 4
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen p
    bind 127.0.0.1:18080
    stick-table type ip size 1k store gpc0,gpc1,gpt0,http_req_rate(10s)
    declare capture request len 10
    declare capture response len 10
    filter cache c
    acl a path /a
@@LINE
    server s1 127.0.0.1:8081
backend b
    server s1 127.0.0.1:8081
`;
const FILES: Record<string, string> = { 'm.map': 'a b\n', 'a.lst': 'a\n' };

const cases: Variant[] = [];
const add = (key: string, kind: string, line: string): void => {
  if (!only || only.test(key)) cases.push({ key, kind, line, text: BASE.replace('@@LINE', `    ${line}`) });
};

// ---- fetch and converter arguments ---------------------------------------------------------

/** A valid argument of each type (in listen `p`, next to backend `b` and userlist `u`). */
const VALID: Record<ArgType, string> = {
  int: '1', str: 'x', ipv4: '127.0.0.1', msk4: '24', ipv6: '::1', msk6: '64', be: 'b', fe: 'p', tab: 'p', srv: 'b/s1',
  usr: 'u', reg: 'a', pbuf: '1',
};
/** Wrong values of each type. */
const WRONG: Record<ArgType, readonly string[]> = {
  int: ['abc', '-1', '0', '99999999999999999999', '1x', ''], str: [''], ipv4: ['abc', '1.2.3.4.5', ''], msk4: ['33', 'abc', ''],
  ipv6: ['abc', ''], msk6: ['129', 'abc', ''], be: ['nosuch', ''], fe: ['nosuch', ''], tab: ['nosuch', ''], srv: ['nosuch', 'b/nosuch', ''],
  usr: ['nosuch', ''], reg: ['(', ''], pbuf: ['a', '1.', ''],
};
/** Valid arguments where `x` is not (names of things, formats). */
const VALID_ARGS: Record<string, readonly string[]> = {
  var: ['txn.x', 'x'], 'set-var': ['txn.x'], 'unset-var': ['txn.x'], map: ['m.map'], digest: ['sha256'], hmac: ['sha256', 'eA=='],
  json: ['utf8'], language: ['en'], ltime: ['%Y', '1'], utime: ['%Y', '1'], http_date: ['1', 'ms'], json_query: ['$.a', 'int'],
  jwt_verify: ['HS256', 'x'], mqtt_field_value: ['connect', '1'], aes_gcm_dec: ['128', 'eA==', 'eA==', 'eA=='], add_item: [',', 'x', 'y'],
  debug: ['x', 'buf0'], sha2: ['256'], 'capture-req': ['0'], 'capture-res': ['0'], field: ['1', ',', '1'], word: ['1', ',', '1'],
  bytes: ['0', '1'], table_gpc: ['0', 'p'], table_gpc_rate: ['0', 'p'], table_gpt: ['0', 'p'],
  be2dec: [',', '1', '0'], be2hex: [',', '1', '0'], env: ['HOME'], 'req.payload': ['0', '1'], 'res.payload': ['0', '1'],
  'req.payload_lv': ['0', '1'], 'res.payload_lv': ['0', '1'], 'req.hdr': ['x', '1'], 'sc_get_gpc': ['0', '0'],
};
for (const m of ['map_str', 'map_beg', 'map_sub', 'map_dir', 'map_dom', 'map_end', 'map_reg', 'map_regm', 'map_int', 'map_ip', 'map_len']) {
  for (const o of ['', '_str', '_int', '_ip']) VALID_ARGS[m + o] = ['m.map', 'x'];
}

/** The variants of `name(args)`: `(text, kind)` pairs. */
function argVariants(name: string, spec: ArgSpec): [string, string][] {
  const valid = spec.types.map((t, i) => VALID_ARGS[name]?.[i] ?? VALID[t]);
  const call = (args: readonly string[]) => `${name}(${args.join(',')})`;
  const out: [string, string][] = [];
  if (spec.types.length === 0) {
    out.push([name, 'valid'], [`${name}()`, '()'], [`${name}(1)`, '+1']);
    return out;
  }
  out.push([call(valid), 'valid'], [`${name}()`, '()'], [`${name}(${valid.join(',')}`, 'unclosed'], [call([...valid, 'x']), '+1']);
  if (spec.min > 0) out.push([name, 'no-parens']);
  if (spec.min > 0 && spec.min < spec.types.length) out.push([call(valid.slice(0, spec.min)), 'min']);
  if (spec.min > 1) out.push([call(valid.slice(0, spec.min - 1)), '-1 arg']);
  spec.types.forEach((t, i) => {
    for (const w of WRONG[t]) out.push([call(valid.map((v, j) => (j === i ? w : v))), `${t}#${i + 1}=${w === '' ? "''" : w}`]);
  });
  return out;
}

for (const name of fetchNames()) {
  const f = findFetch(name)!;
  for (const [text, kind] of argVariants(name, f.args)) add(`fetch ${name}`, kind, `acl x ${text} -m found`);
}

/** A fetch giving each sample type. */
const INPUTS: Record<string, string> = { int: 'int(1)', str: 'str(a)', bin: 'bin(61)', ipv4: 'src', ipv6: 'ipv6(::1)', bool: 'bool(1)', meth: 'method', addr: 'src', any: 'str(a)' };
for (const name of converterNames()) {
  const c = findConverter(name)!;
  const input = INPUTS[c.input] ?? 'str(a)';
  const key = `conv ${name}`;
  for (const [text, kind] of argVariants(name, c.args)) add(key, kind, `http-request set-var(txn.v) ${input},${text}`);
  const valid = argVariants(name, c.args)[0]![0];
  for (const [type, fetch] of Object.entries(INPUTS)) {
    if (type !== c.input && type !== 'addr' && type !== 'any') add(key, `after ${type}`, `http-request set-var(txn.v) ${fetch},${valid}`);
  }
  add(key, 'in acl', `acl x ${input},${valid} -m found`);
  add(key, 'in log-format', `http-request set-header X %[${input},${valid}]`);
}
for (const [line, kind] of [
  ['http-request set-var(txn.v) str(a),nosuch', 'unknown'], ['http-request set-var(txn.v) str(a),', 'trailing ,'],
  ['http-request set-var(txn.v) str(a),,lower', ',,'], ['http-request set-var(txn.v) str(a),lower(', 'unclosed ()'],
  ['http-request set-var(txn.v) str(a),lower()', '()'], ['http-request set-var(txn.v) str(a),lower)', 'stray )'],
  ['http-request set-var(txn.v) str(a)lower', 'no comma'], ['http-request set-var(txn.v) str(a) ,lower', 'space ,'],
  ['acl x path,nosuch /a', 'acl unknown'], ['acl x path, /a', 'acl trailing ,'], ['acl x path,lower( /a', 'acl unclosed'],
  ['http-request set-header X %[str(a),nosuch]', 'lf unknown'], ['http-request set-header X %[str(a),lower', 'lf unclosed ]'],
  ['http-request set-header X %[str(a),lower(]', 'lf unclosed ()'], ['http-request set-header X %[]', 'lf empty'],
  ['http-request set-header X %[nosuch]', 'lf unknown fetch'], ['http-request set-var(txn.v) nosuch', 'unknown fetch'],
] as const) add('converters', kind, line);

// ---- actions --------------------------------------------------------------------------------

/** A valid line of each action (the rule's keyword included), per rule set. */
const ACTIONS: readonly string[] = [
  'http-request redirect location /a code 301', 'http-request redirect prefix /a drop-query', 'http-request redirect scheme https code 302',
  'http-request set-header X a', 'http-request add-header X a', 'http-request del-header X', 'http-request del-header X -m beg',
  'http-request replace-header X a b', 'http-request replace-value X a b', 'http-request set-path /a', 'http-request set-pathq /a',
  'http-request set-query a', 'http-request set-uri /a', 'http-request set-method GET', 'http-request replace-path /a /b',
  'http-request replace-pathq /a /b', 'http-request replace-uri /a /b', 'http-request reject', 'http-request set-timeout server 5s',
  'http-request set-timeout tunnel int(5)', 'http-request silent-drop', 'http-request wait-for-body time 1s at-least 10',
  'http-request disable-l7-retry', 'http-request deny deny_status 403', 'http-request deny status 403 content-type text/plain string x',
  'http-request tarpit deny_status 500', 'http-request allow', 'http-request return status 200 content-type text/plain string x',
  'http-request return status 200 content-type text/plain lf-string %[path] hdr X a', 'http-request auth realm r',
  'http-request use-service prometheus-exporter', 'http-request cache-use c', 'http-request early-hint Link </a>',
  'http-request normalize-uri path-merge-slashes', 'http-request normalize-uri path-strip-dotdot full', 'http-request set-var(txn.a) str(b)',
  'http-request set-var(txn.a,ifexists) str(b)', 'http-request set-var-fmt(txn.a) b', 'http-request unset-var(txn.a)',
  'http-request track-sc0 src table p', 'http-request track-sc2 src', 'http-request sc-inc-gpc0(0)', 'http-request sc-inc-gpc1(1)',
  'http-request sc-inc-gpc(0,0)', 'http-request sc-set-gpt0(0) 1', 'http-request sc-set-gpt0(0) int(1)', 'http-request sc-set-gpt(0,0) 1',
  'http-request set-map(m.map) a b', 'http-request del-map(m.map) a', 'http-request add-acl(a.lst) a', 'http-request del-acl(a.lst) a',
  'http-request set-log-level info', 'http-request set-src src', 'http-request set-src-port int(1)', 'http-request set-dst dst',
  'http-request set-dst-port int(1)', 'http-request set-priority-class int(1)', 'http-request set-priority-offset int(1)',
  'http-request strict-mode on', 'http-request wait-for-handshake', 'http-request capture req.hdr(x) len 10',
  'http-request capture req.hdr(x) id 0',
  'http-response set-status 200 reason ok', 'http-response capture res.hdr(x) id 0', 'http-response set-header X a',
  'http-response add-header X a', 'http-response del-header X', 'http-response replace-header X a b', 'http-response replace-value X a b',
  'http-response deny deny_status 403', 'http-response redirect location /a code 302', 'http-response return status 200',
  'http-response allow', 'http-response track-sc0 src', 'http-response sc-inc-gpc0(0)', 'http-response sc-set-gpt0(0) 1',
  'http-response set-var(txn.a) str(b)', 'http-response unset-var(txn.a)', 'http-response set-log-level info', 'http-response silent-drop',
  'http-response wait-for-body time 1s', 'http-response set-map(m.map) a b', 'http-response strict-mode on', 'http-response cache-store c',
  'http-after-response set-header X a', 'http-after-response add-header X a', 'http-after-response del-header X',
  'http-after-response replace-header X a b', 'http-after-response replace-value X a b', 'http-after-response set-status 200',
  'http-after-response allow', 'http-after-response set-var(txn.a) str(b)', 'http-after-response unset-var(txn.a)',
  'http-after-response strict-mode on', 'http-after-response set-map(m.map) a b', 'http-after-response sc-inc-gpc0(0)',
  'tcp-request inspect-delay 5s', 'tcp-request connection accept', 'tcp-request connection reject', 'tcp-request connection silent-drop',
  'tcp-request connection track-sc0 src', 'tcp-request connection sc-inc-gpc0(0)', 'tcp-request connection set-var(sess.a) int(1)',
  'tcp-request connection set-src src', 'tcp-request connection set-dst-port int(1)', 'tcp-request connection expect-proxy layer4',
  'tcp-request connection sc-set-gpt0(0) 1', 'tcp-request session accept', 'tcp-request session reject', 'tcp-request session track-sc1 src',
  'tcp-request session set-var(sess.a) int(1)', 'tcp-request session set-var-fmt(sess.a) b', 'tcp-request session sc-set-gpt0(0) 1',
  'tcp-request content accept', 'tcp-request content reject', 'tcp-request content capture req.payload(0,1) len 10',
  'tcp-request content track-sc1 src table p', 'tcp-request content set-var(txn.a) str(b)', 'tcp-request content set-var-fmt(txn.a) b',
  'tcp-request content unset-var(txn.a)', 'tcp-request content switch-mode http', 'tcp-request content switch-mode http proto h1',
  'tcp-request content set-log-level info', 'tcp-request content set-priority-class int(1)', 'tcp-request content sc-inc-gpc(0,1)',
  'tcp-request content set-src src', 'tcp-request content silent-drop', 'tcp-request content use-service prometheus-exporter',
  'tcp-response inspect-delay 5s', 'tcp-response content accept', 'tcp-response content reject', 'tcp-response content close',
  'tcp-response content set-var(txn.a) int(1)', 'tcp-response content unset-var(txn.a)', 'tcp-response content set-log-level info',
];

const SUBSTITUTES = ['abc', '-1', '0', '99999999999999999999', 'nosuch('];
for (const base of ACTIONS) {
  const words = base.split(' ');
  const head = words[0]!.startsWith('tcp-') ? 3 : 2; // the words naming the action
  const key = words.slice(0, head).map((w) => w.replace(/\(.*$/, '')).join(' ');
  add(key, 'valid', base);
  add(key, 'if', `${base} if a`);
  add(key, 'unless !', `${base} unless !a`);
  for (let i = head; i < words.length; i++) {
    add(key, `-word${i - head + 1}`, [...words.slice(0, i), ...words.slice(i + 1)].join(' '));
    for (const s of SUBSTITUTES) add(key, `word${i - head + 1}=${s}`, words.map((w, j) => (j === i ? s : w)).join(' '));
  }
  // The parenthesised argument of the action's name.
  const named = /^([^(]+)\((.*)\)$/.exec(words[head - 1]!);
  if (named) {
    const [, action, inner] = named;
    const withName = (n: string) => [...words.slice(0, head - 1), n, ...words.slice(head)].join(' ');
    add(key, '()', withName(`${action}()`));
    add(key, 'no ()', withName(action!));
    add(key, 'unclosed', withName(`${action}(${inner}`));
    const parts = inner!.split(',');
    parts.forEach((_, i) => {
      for (const s of ['abc', '-1', '3', '99999999999999999999', '']) add(key, `name#${i + 1}=${s === '' ? "''" : s}`, withName(`${action}(${parts.map((p, j) => (j === i ? s : p)).join(',')})`));
    });
    add(key, 'name+1', withName(`${action}(${inner},1)`));
  }
}
const covered = new Set(ACTIONS.map((l) => l.split(' ').slice(0, l.startsWith('tcp-') ? 3 : 2).join(' ').replace(/\(.*$/, '')));
for (const set of ['http-request', 'http-response', 'http-after-response'] as const) {
  for (const a of httpActionNames(set)) if (!covered.has(`${set} ${a}`)) console.log(`(no line for '${set} ${a}' in ACTIONS)`);
}

// ---- ACL flags, patterns, names, conditions, phases ------------------------------------------

const ACL_LINES = [
  'acl x path -i /a', 'acl x path -m beg /a', 'acl x path -m nosuch /a', 'acl x path -m', 'acl x path -m found /a', 'acl x path -f a.lst',
  'acl x path -f nosuch.lst', 'acl x path -f', 'acl x path -M -f m.map', 'acl x path -M /a', 'acl x path -u 1 /a', 'acl x path -u abc /a',
  'acl x path -u', 'acl x path -u -1 /a', 'acl x path -- -i', 'acl x path -n /a', 'acl x path -x /a', 'acl x path -i -i /a',
  'acl x path -m beg -m end /a', 'acl x path -m int 1', 'acl x path -m ip 1.2.3.4', 'acl x path -m bool', 'acl x path -m bin 6161',
  'acl x path -m bin 616', 'acl x path -m bin zz', 'acl x path -m len abc', 'acl x path -m len 1:2', 'acl x path -m reg (',
  'acl x path -m reg a', 'acl x path -m sub', 'acl x src -m str x', 'acl x src -m beg x', 'acl x src -m reg x', 'acl x src -i 1.2.3.4',
  'acl x src 1.2.3.4/33', 'acl x src 1.2.3.4/255.0.255.0', 'acl x src 1.2.3', 'acl x src ::1/129', 'acl x src localhost',
  'acl x src nosuch.invalid', 'acl x path_len 1:2', 'acl x path_len abc', 'acl x path_len -1', 'acl x path_len 99999999999999999999',
  'acl x path_len 1:', 'acl x path_len :2', 'acl x path_len 2:1', 'acl x path_len gt 1', 'acl x path_len ge abc', 'acl x path_len 1.5',
  'acl x dst_port 80:', 'acl x dst_port :80', 'acl x method GET', 'acl x method get', 'acl x method G@T', 'acl x req.ver 1.1',
  'acl x req_ver 1.1', 'acl x req.ssl_ver 3.1', 'acl x req.ssl_ver 3.x', 'acl x http_auth(u)', 'acl x http_auth(nosuch)',
  'acl x http_auth_group(u) g', 'acl x http_auth_group(u) nosuch', 'acl x', 'acl', 'acl x nosuch', 'acl x path(', 'acl x path()',
  'acl x path(x)', 'acl 1x path /a', 'acl x.b path /a', 'acl x-b path /a', 'acl x:b path /a', 'acl x! path /a', 'acl x_b path /a',
  'acl TRUE path /a', 'acl x path,lower /a', 'acl x path,lower -m beg /a', 'acl x int(1) 1', 'acl x int(1) abc', 'acl x str(x) -m len 1',
  'acl x bool(1) -m bool', 'acl x bool(1) 1', 'acl x always_true', 'acl x always_true x', 'acl x hdr_beg(host) a', 'acl x hdr_beg(host,1) a',
  'acl x hdr_beg(host,abc) a', 'acl x hdr(host,-1) a', 'acl x cook(a) b', 'acl x url_param(a) b', 'acl x urlp_val(a) 1',
  'acl x urlp_val(a) abc', 'acl x var(txn.a) 1', 'acl x var(nope.a) 1', 'acl x var(a) 1', 'acl x var() 1', 'acl x -i path /a',
  'acl x path -i', 'acl x path \\x', 'acl x path a\\ b', 'acl x hdr_cnt 1', 'acl x hdr_cnt(host) 1', 'acl x status 200',
  'acl x status abc', 'acl x src_port 1-2', 'acl x ssl_fc_sni_end a', 'acl x payload(0,1) 61', 'acl x payload(0,1) zz',
  'acl x payload(0) 61', 'acl x payload_lv(0,1) 61', 'acl x nbsrv(b) 1', 'acl x nbsrv(nosuch) 1', 'acl x srv_is_up(b/s1)',
  'acl x srv_is_up(s1)', 'acl x srv_is_up(nosuch)', 'acl x sc0_get_gpc0(p) 1', 'acl x sc0_get_gpc0(nosuch) 1', 'acl x table_cnt(p) 1',
  'acl x table_cnt(b) 1', 'acl x be_conn(b) 1', 'acl x be_conn(p) 1', 'acl x fe_conn(b) 1',
];
for (const l of ACL_LINES) add('acl', l.replace(/^acl x ?/, ''), l);

const CONDITIONS = [
  'if a', 'unless a', 'if !a', 'if ! a', 'if !!a', 'if ! ! a', 'if a || a', 'if a or a', 'if a OR a', 'if a a', 'if a ||', 'if || a',
  'if a || || a', 'if { path /a }', 'if {path /a}', 'if { path /a}', 'if { path /a', 'if path /a }', 'if { }', 'if {}', 'if nosuch',
  'if a !', 'if TRUE', 'if FALSE', 'if HTTP', 'if METH_GET', 'if WAIT_END', 'if LOCALHOST', 'if HTTP_1.1', 'if RDP_COOKIE', 'if REQ_CONTENT',
  'if { path -m nosuch /a }', 'if { nosuch }', 'if { path -f nosuch.lst }', 'if', 'unless', 'if a unless a', 'if a if a', 'if !{ path /a }',
  'if ! { path /a }', 'if { path /a } { path /b }', 'if { path /a } || { path /b }', 'if { { path /a } }', 'if { path /a } }',
  'if a }', 'if { a }', 'if a || !a', 'if a and a', 'if !', 'if || ', 'if a ! a', 'If a', 'IF a', 'if -a', 'if a-b', 'if x.y',
  'if { path_len 1:2 }', 'if { path_len abc }', 'if { src 1.2.3.4/33 }', 'if { method GET }', 'if { path }',
];
for (const c of CONDITIONS) {
  add('cond', `http-request ${c}`, `http-request deny ${c}`);
  add('cond', `use_backend ${c}`, `use_backend b ${c}`);
  add('cond', `tcp-request content ${c}`, `tcp-request content reject ${c}`);
}

const PHASES = [
  'http-request deny if { res.hdr(x) -m found }', 'http-request set-header X %[res.hdr(a)]', 'http-request set-var(txn.a) res.hdr(a)',
  'http-request set-var(txn.a) status', 'http-request set-header X %[status]', 'http-response set-header X %[req.hdr(a)]',
  'http-response set-var(txn.a) req.hdr(a)', 'http-response deny if { req.hdr(x) -m found }', 'http-response set-var(txn.a) path',
  'http-after-response set-header X %[req.hdr(a)]', 'http-after-response set-var(txn.a) path', 'http-request track-sc0 res.hdr(a)',
  'tcp-request connection reject if { req.hdr(x) -m found }', 'tcp-request connection set-var(sess.a) path',
  'tcp-request connection set-var(sess.a) req.len', 'tcp-request session set-var(sess.a) req.len', 'tcp-request content set-var(txn.a) res.hdr(x)',
  'tcp-request content set-var(txn.a) res.len', 'tcp-response content set-var(txn.a) req.len', 'tcp-response content reject if { req.len gt 0 }',
  'tcp-request connection track-sc0 req.hdr(x)', 'tcp-request connection capture src len 10', 'tcp-request content capture res.hdr(x) len 10',
  'http-request capture res.hdr(x) len 10', 'http-response capture req.hdr(x) id 0', 'use_backend b if { res.hdr(x) -m found }',
  'use_backend %[res.hdr(x)]', 'use_backend %[req.hdr(x)]', 'stick on res.hdr(x)', 'stick store-response req.hdr(x)',
  'stick store-request res.hdr(x)', 'http-request redirect location %[res.hdr(x)]', 'http-request return status 200 lf-string %[res.hdr(x)] content-type text/plain',
];
for (const l of PHASES) add('phase', l, l);

// ---- run ------------------------------------------------------------------------------------

const dir = sweepDir('loadstar-rule-args-');
for (const [f, t] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, f), t);
const base = checkVariant({ key: 'base', kind: '', line: '', text: BASE.replace('@@LINE\n', '') }, dir, dir, false);
if (!base.ha || !base.ls) {
  console.log(`the base file does not load in both (haproxy ${base.ha}, loadstar ${base.ls}): ${base.haMsg || base.lsMsg}`);
  process.exit(2);
}
const started = Date.now();
const diffs: Diff[] = [];
let accepted = 0;
for (const c of cases) {
  const d = checkVariant(c, dir, dir, messages);
  if (d.ha) accepted++;
  if (d.differs) diffs.push(d);
}
fs.rmSync(dir, { recursive: true, force: true });
const groups = printDiffs(diffs, (d) => (all ? `${d.v.key}|${d.v.line}` : `${d.v.key}|${d.v.kind}|${d.ha}|${d.ls}`));
const keys = new Set(cases.map((c) => c.key)).size;
console.log(`${cases.length} variants (${keys} keys, haproxy accepts ${accepted}), ${diffs.length} differ (${groups} groups), ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = diffs.length > 0 ? 1 : 0;
