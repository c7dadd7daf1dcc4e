/**
 * Words HAProxy 2.6 does not read, or reads without checking there is one, checked against
 * `haproxy -c` (scripts/extra-words-sweep.ts finds them): a keyword whose parser calls
 * alertif_too_many_args*() refuses a word after its own ones, with that function's message
 * (proxy/config/arg-limits.ts); elsewhere a word it does not read is ignored, silently. (A number
 * HAProxy reads with atol() without checking it, `maxconn many` or a server's `weight` with no
 * word after it, stays refused: test/scenarios/invalid/README.md.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const DEFAULTS = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const global = (line: string) => `global\n    ${line}\n${DEFAULTS}frontend f\n    bind 127.0.0.1:18081\n    default_backend b\nbackend b\n    server s 127.0.0.1:8081\n`;
const listen = (line: string) => `${DEFAULTS}listen l\n    bind 127.0.0.1:18081\n    ${line}\n    server s 127.0.0.1:8081\n`;
const backend = (line: string) => `${DEFAULTS}frontend f\n    bind 127.0.0.1:18081\n    default_backend b\nbackend b\n    ${line}\n`;
const resolvers = (line: string) => `resolvers dns\n    ${line}\n${DEFAULTS}frontend f\n    bind 127.0.0.1:18081\n    default_backend b\nbackend b\n    server s 127.0.0.1:8081\n`;
const userlist = (line: string) => `userlist u\n    ${line}\n${DEFAULTS}frontend f\n    bind 127.0.0.1:18081\n    http-request auth if !{ http_auth(u) }\n    default_backend b\nbackend b\n    server s 127.0.0.1:8081\n`;
const unexpected = (keyword: string, word = 'x') => `'${keyword}' cannot handle unexpected argument '${word}'.`;

const TOO_MANY: ParseCase[] = [
  // Global keywords (cfgparse-global.c, cfgparse-ssl.c, mux_h2.c, thread.c …).
  ...['daemon', 'busy-polling', 'h1-accept-payload-with-any-method'].map((k) => ({ text: global(`${k} x`), valid: false, message: unexpected(k) })),
  ...['maxconn 100', 'nbthread 1', 'pidfile /tmp/ls.pid', 'tune.bufsize 16384', 'tune.maxrewrite 1024', 'tune.http.maxhdr 101', 'tune.h2.max-concurrent-streams 100',
    'ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256', 'ssl-default-server-ciphersuites TLS_AES_128_GCM_SHA256', 'tune.ssl.cachesize 100',
    'tune.ssl.default-dh-param 2048', 'tune.ssl.lifetime 300', 'ulimit-n 4096', 'master-worker no-exit-on-failure']
    .map((line) => ({ text: global(`${line} x`), valid: false, message: unexpected(line.split(' ')[0]!) })),
  // `node` counts its words before it checks the name.
  { text: global('node a!b x'), valid: false, message: unexpected('node') },
  // Proxy keywords (cfgparse-listen.c, tcpcheck.c).
  ...['mode http', 'maxconn 10', 'retries 2', 'fullconn 10', 'backlog 10', 'id 5', 'default_backend b'].map((line) => ({ text: listen(`${line} x`), valid: false, message: unexpected(line.split(' ')[0]!) })),
  ...['disabled', 'enabled'].map((k) => ({ text: listen(`${k} x`), valid: false, message: unexpected(k) })),
  ...['http-server-close', 'httpclose', 'http-keep-alive', 'abortonclose', 'dontlognull', 'prefer-last-server', 'tcplog', 'tcpka', 'allbackups', 'log-health-checks']
    .map((o) => ({ text: listen(`option ${o} x`), valid: false, message: unexpected(`option ${o}`) })),
  { text: listen('no option http-server-close x'), valid: false, message: unexpected('option http-server-close') },
  { text: listen('option httpchk GET / HTTP/1.1 x'), valid: false, message: unexpected('option httpchk') },
  { text: listen('http-reuse safe x'), valid: false, message: unexpected('http-reuse safe') },
  { text: listen('capture request header Host len 10 x'), valid: false, message: unexpected('capture request') },
  { text: listen('capture response header Server len 10 x'), valid: false, message: unexpected('capture response') },
  // HAProxy counts cookie's words as header's (one more than it reads).
  { text: listen('capture cookie c len 10 x'), valid: true },
  { text: listen('capture cookie c len 10 x y'), valid: false, message: unexpected('capture cookie', 'y') },
  // Still read where HAProxy reads them: a word fewer is what it was.
  { text: listen('option httpchk GET / HTTP/1.1'), valid: true },
  { text: listen('http-reuse safe'), valid: true },
];

const MISSING: ParseCase[] = [
  { text: global('pidfile'), valid: false, message: "'pidfile' expects a file name as an argument." },
  { text: global('ssl-default-bind-ciphers'), valid: false, message: "global statement 'ssl-default-bind-ciphers' expects a cipher suite as an argument." },
  { text: global('ssl-default-server-ciphersuites'), valid: false, message: "global statement 'ssl-default-server-ciphersuites' expects a cipher suite as an argument." },
  { text: global('tune.ssl.cachesize'), valid: false, message: "'tune.ssl.cachesize' expects an integer argument." },
  { text: global('tune.ssl.default-dh-param'), valid: false, message: "'tune.ssl.default-dh-param' expects an integer argument." },
  { text: global('tune.ssl.default-dh-param 512'), valid: false, message: "'tune.ssl.default-dh-param' expects a value >= 1024." },
  { text: global('tune.ssl.lifetime'), valid: false, message: "'tune.ssl.lifetime' expects ssl sessions <lifetime> in seconds as argument." },
  { text: global('master-worker x'), valid: false, message: "'master-worker' only supports 'no-exit-on-failure' option." },
  { text: global('unsetenv'), valid: false, message: "'unsetenv' expects at least one variable name." },
  { text: global('ca-base'), valid: false, message: "global statement 'ca-base' expects a directory path as an argument." },
  { text: global('crt-base'), valid: false, message: "global statement 'crt-base' expects a directory path as an argument." },
  { text: global('tune.http.cookielen'), valid: false, message: "'tune.http.cookielen' expects an integer argument." },
  { text: global('tune.idletimer'), valid: false, message: "'tune.idletimer' expects a timer value between 0 and 65535 ms." },
  { text: global('tune.sched.low-latency'), valid: false, message: "'tune.sched.low-latency' expects either 'on' or 'off' but got ''." },
  { text: global('tune.sched.low-latency yes'), valid: false, message: "'tune.sched.low-latency' expects either 'on' or 'off' but got 'yes'." },
  { text: global('tune.sched.low-latency on'), valid: true },
  // setenv reads two words; a third is not refused.
  { text: global('setenv LS_A b c'), valid: true },
  { text: global('setenv LS_A'), valid: false, message: "'setenv' expects a name and a value." },
];

const IGNORED: ParseCase[] = [
  // stats: one word read, the rest ignored; a missing one refused with HAProxy's words.
  ...['uri /st x', 'realm R x', 'auth a:b x', 'refresh 5s x', 'scope . x', 'auth nocolon'].map((w) => ({ text: listen(`stats ${w}`), valid: true })),
  { text: listen('stats uri'), valid: false, message: "'uri' needs an URI prefix." },
  { text: listen('stats realm'), valid: false, message: "'realm' needs an realm name." },
  { text: listen('stats auth'), valid: false, message: "'auth' needs a user:password account." },
  { text: listen('stats scope'), valid: false, message: "'scope' needs a proxy name." },
  // errorfile / errorloc: two words read.
  { text: listen('errorfile 503 errors/503.http x').replace('errors/', `${process.cwd()}/test/scenarios/errors/`), valid: true },
  { text: listen('errorloc 503 /e x'), valid: true },
  { text: listen('errorfile 503'), valid: false, message: 'errorfile : expects <status_code> and <file> as arguments.' },
  { text: listen('errorloc303 503'), valid: false, message: 'errorloc303 : expects <status_code> and <url> as arguments.' },
  // option redispatch: one word read, the interval, the rest ignored.
  { text: backend('option redispatch 2 x\n    server s 127.0.0.1:8081'), valid: true },
  // resolvers: nameserver and hold read two words.
  { text: resolvers('nameserver ns1 127.0.0.1:53 x'), valid: true },
  { text: resolvers('hold valid 10s x'), valid: true },
  { text: resolvers('nameserver ns1'), valid: false, message: "'nameserver' expects <name> and <addr>[:<port>] as arguments." },
  { text: resolvers('hold valid'), valid: false, message: "'hold' expects an <event> and a <time> as arguments." },
  { text: resolvers('hold often 10s'), valid: false, message: "'hold' unknown <event>: 'often', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'." },
  // userlist: options read in pairs, a missing value is an empty word.
  { text: userlist('user alice insecure-password'), valid: true },
  { text: userlist('user alice insecure-password x groups'), valid: true },
  { text: userlist('user alice insecure-password x junk'), valid: false, message: "'user' only supports 'password', 'insecure-password' and 'groups' options." },
  { text: userlist('group g users alice junk'), valid: false, message: "'group' only supports 'users' option." },
  // init-addr's methods are read up to the end of its word: none at all is the default.
  { text: backend('server s 127.0.0.1:8081 init-addr'), valid: true },
  // stick-table store with nothing to store.
  { text: backend('stick-table type ip size 1k store\n    server s 127.0.0.1:8081'), valid: true },
  // log: 'global' alone; after the minimum level, nothing.
  { text: listen('log global x'), valid: false, message: "log : unknown log facility 'x'" },
  { text: listen('log 127.0.0.1:514 local0 info notice x'), valid: false, message: "log : cannot handle unexpected argument 'x'" },
  { text: listen('log 127.0.0.1:514 local0 info x'), valid: false, message: "log : unknown optional minimum log level 'x'" },
];

const RULES: ParseCase[] = [
  // An action's words, then only a condition (http_rules.c / tcp_rules.c).
  { text: listen('http-request set-var(txn.a) str(b) x'), valid: false, message: "'http-request set-var(txn.a)' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('http-request set-var(txn.a) str(b) x if TRUE'), valid: false, message: "'http-request set-var(txn.a)' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('http-response unset-var(txn.a) x'), valid: false, message: "'http-response unset-var(txn.a)' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('tcp-request content set-var(txn.a) str(b) x'), valid: false, message: "'tcp-request content set-var(txn.a)' only accepts 'if' or 'unless', in proxy 'l' (got 'x')" },
  { text: listen('http-request capture path len 10 x'), valid: false, message: "'http-request capture' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('stick-table type ip size 1k\n    http-request track-sc0 src x'), valid: false, message: "'http-request track-sc0' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('stick-table type ip size 1k\n    http-request track-sc0 src table l x'), valid: false, message: "'http-request track-sc0' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('stick-table type ip size 1k\n    http-request track-sc0 src table'), valid: false, message: 'missing table name.' },
  { text: listen('stick-table type ip size 1k\n    tcp-request connection track-sc0 src table l x'), valid: false, message: "'tcp-request connection track-sc0' only accepts 'if' or 'unless', in proxy 'l' (got 'x')" },
  { text: listen('stick-table type ip size 1k\n    tcp-request content track-sc1 src x'), valid: false, message: "'tcp-request content track-sc1' only accepts 'if' or 'unless', in proxy 'l' (got 'x')" },
  // declare capture reads three words.
  { text: listen('declare capture request len 10 x'), valid: true },
  { text: listen('declare capture request'), valid: false, message: "'declare capture' requires a capture length ('len')" },
  { text: listen('declare capture len 10'), valid: false, message: "'declare capture' requires a direction ('request' or 'response')" },
  { text: listen('declare capture request len'), valid: false, message: "'declare capture': 'len' requires a numeric value that represents the capture length" },
  // Actions that leave the words after theirs to the rule's parser: its message.
  ...['set-header X-A b x', 'add-header X-A b x', 'del-header X-A x', 'del-header X-A -m str x', 'replace-header X-A a b x', 'replace-value X-A a b x',
    'allow x', 'reject x', 'silent-drop x', 'deny x', 'deny deny_status 403 x', 'tarpit x', 'return status 200 x', 'auth x', 'auth realm R x']
    .map((a) => ({ text: listen(`http-request ${a}`), valid: false, message: `'http-request ${a.split(' ')[0]}' expects either 'if' or 'unless' followed by a condition but found 'x'.` })),
  { text: listen('http-response set-header X-A b x'), valid: false, message: "'http-response set-header' expects either 'if' or 'unless' followed by a condition but found 'x'." },
  { text: listen('http-request del-header'), valid: false, message: 'expects at least 1 argument.' },
  { text: listen('http-request del-header X-A -m'), valid: false, message: '-m flag expects exactly 1 argument.' },
  { text: listen('http-request auth realm'), valid: false, message: 'missing realm value.' },
  // Those that count their words themselves.
  ...['set-path', 'set-method', 'set-uri', 'set-query'].map((a) => ({ text: listen(`http-request ${a} a x`), valid: false, message: `'http-request ${a}' rule : expects exactly 1 argument <format>.` })),
  ...['replace-path', 'replace-uri'].map((a) => ({ text: listen(`http-request ${a} a b x`), valid: false, message: `'http-request ${a}' rule : expects exactly 2 arguments <match-regex> and <replace-format>.` })),
  // set-var-fmt without a format sets an empty string.
  { text: listen('http-request set-var-fmt(txn.a)'), valid: true },
  // Checks (tcpcheck.c).
  { text: listen('option tcp-check\n    tcp-check send PING x'), valid: false, message: "'tcp-check send' : expects 'comment' but got 'x' as argument." },
  { text: listen('option tcp-check\n    tcp-check send PING comment c'), valid: true },
  { text: listen('option tcp-check\n    tcp-check send PING comment'), valid: false, message: "'tcp-check send' : 'comment' expects a string as argument." },
  { text: listen('option tcp-check\n    tcp-check comment'), valid: false, message: "'tcp-check comment' : expects a string as argument." },
  { text: listen('option httpchk\n    http-check comment'), valid: false, message: "'http-check comment' : expects a string as argument." },
  { text: listen('option httpchk\n    http-check comment a b'), valid: true },
  { text: listen('option httpchk\n    http-check set-var-fmt(check.a)'), valid: true },
  { text: listen('option httpchk\n    http-check disable-on-404 x'), valid: false, message: unexpected('http-check') },
];

/** Lines both refuse, where Loadstar said it in other words than HAProxy's. */
const WORDING: ParseCase[] = [
  { text: listen('timeout client 5s x'), valid: false, message: "'timeout client' : unexpected extra argument 'x' after value '5s'." },
  { text: listen('mode'), valid: false, message: "unknown proxy mode ''." },
  { text: listen('retries'), valid: false, message: "'retries' expects an integer argument (dispatch counts for one)." },
  { text: listen('use_backend b x'), valid: false, message: "unexpected keyword 'x' after switching rule, only 'if' and 'unless' are allowed." },
  { text: listen('use_backend if x'), valid: false, message: "unexpected keyword 'x' after switching rule, only 'if' and 'unless' are allowed." },
  { text: listen('hash-type consistent x'), valid: false, message: "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions." },
  { text: listen('option forwardfor x'), valid: false, message: "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'." },
  { text: listen('option httplog x'), valid: false, message: "keyword 'httplog' only supports option 'clf'." },
  { text: listen('log 127.0.0.1:514'), valid: false, message: 'log : expects <address> and <facility> or global as arguments' },
  { text: global('log 127.0.0.1:514'), valid: false, message: 'log : expects <address> and <facility>  as arguments' },
  { text: listen('tcp-request content accept x'), valid: false, message: "'tcp-request content accept' only accepts 'if' or 'unless', in proxy 'l' (got 'x')" },
  { text: listen('log'), valid: false, message: 'log : expects <address> and <facility> or global as arguments' },
  { text: listen('log-format %ci x'), valid: false, message: "log-format expects only one argument, don't forget to escape spaces!" },
  { text: listen('option'), valid: false, message: "'option' expects an option name." },
  { text: global('ssl-default-bind-options no-tls-tickets x'), valid: false, message: "unknown option 'x' on global statement 'ssl-default-bind-options'." },
  { text: listen('option httpchk\n    http-check send meth GET x'), valid: false, message: "'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got 'x' as argument." },
  { text: listen('option tcp-check\n    tcp-check connect x'), valid: false, message: "'tcp-check connect' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got 'x' as argument." },
  { text: listen('default-server inter 2s x'), valid: false, message: "unknown keyword 'x'. Hint: no address was expected for this server." },
  // A bind or server option without its word: each parser's own words.
  ...[['alpn', 'missing the comma-delimited ALPN protocol suite'], ['ssl-min-ver', 'missing the ssl/tls version'], ['name', 'missing name'], ['ciphers', 'missing cipher suite'], ['verify', 'missing verify method']]
    .map(([o, m]) => ({ text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:18081 ${o}\n    default_backend b\nbackend b\n    server s 127.0.0.1:8081\n`, valid: false, message: `'${o}' : ${m}` })),
  ...[['rise', "'rise' expects an integer argument."], ['inter', "'inter' expects a delay as argument."], ['port', "'port' expects a port number as argument."], ['cookie', "'cookie' expects <value> as argument."],
    ['ssl alpn', "'alpn' : missing the comma-delimited ALPN protocol suite."], ['ssl verify', "'verify' : missing verify method."], ['ssl sni', "'sni' : missing sni expression."]]
    .map(([o, m]) => ({ text: backend(`server s 127.0.0.1:8081 ${o}`), valid: false, message: `'server b/s' : ${m}` })),
  { text: listen('tcp-request connection expect-proxy layer4 x'), valid: false, message: "'tcp-request connection expect-proxy' only accepts 'if' or 'unless', in proxy 'l' (got 'x')" },
];

const ALL = [...TOO_MANY, ...MISSING, ...IGNORED, ...RULES, ...WORDING];

test('words after the last one a keyword reads are refused where HAProxy counts them, with its message', () => {
  assertLoadstarParses(TOO_MANY);
});

test('missing words get HAProxy\'s messages', () => {
  assertLoadstarParses(MISSING);
});

test('words HAProxy does not read (or reads as empty) are not refused', () => {
  assertLoadstarParses(IGNORED);
});

test('rule actions: an action\'s words, then only a condition', () => {
  assertLoadstarParses(RULES);
});

test('both refuse, in HAProxy\'s words', () => {
  assertLoadstarParses(WORDING);
});

test('haproxy -c agrees on every case', (t) => {
  assertHaproxyParses(t, ALL);
});

test('what the words mean: no init-addr methods, an empty password, a stats user without one', () => {
  const parse = (text: string) => parseConfig([{ name: 'w.cfg', text }]).config;
  const server = (o: string) => parse(backend(`server s 127.0.0.1:8081 ${o}`)).proxies.find((p) => p.name === 'b')!.servers[0]!.options;
  assert.equal(server('init-addr').initAddr, undefined);
  const user = parse(userlist('user alice insecure-password')).userlists[0]!.users[0]!;
  assert.deepEqual([user.password, user.insecure], ['', true]);
  const stats = parse(listen('stats auth nocolon')).proxies.find((p) => p.name === 'l')!;
  assert.ok('stats' in stats);
  assert.deepEqual(stats.stats.auth, [{ user: 'nocolon', password: '' }]);
});
