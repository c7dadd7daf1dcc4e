/**
 * Values of `server`, `default-server` and `server-template` options, as scripts/value-sweep.ts
 * found them to differ from haproxy 2.6.12: accepted and refused with its messages (server.c,
 * ssl_sock.c), checked against `haproxy -c` when installed. Numbers HAProxy reads with atoi()
 * without checking stay refused by Loadstar (test/scenarios/invalid/README.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (...lines: string[]) => `${head}backend b\n${lines.map((l) => `    ${l}\n`).join('')}`;
const server = (options: string) => backend(`server s 127.0.0.1:80 ${options}`);

const CASES: ParseCase[] = [
  // An empty word is no word: each option's "missing" message.
  { text: server('cookie ""'), valid: false, message: "'server b/s' : 'cookie' expects <value> as argument." },
  { text: server('addr ""'), valid: false, message: "'server b/s' : 'addr' expects <ipv4|ipv6> as argument." },
  { text: server('redir ""'), valid: false, message: "'server b/s' : 'redir' expects <prefix> as argument." },
  { text: server('agent-send ""'), valid: false, message: "'server b/s' : 'agent-send' expects a string as argument." },
  { text: server('ssl verify none alpn ""'), valid: false, message: "'server b/s' : 'alpn' : missing the comma-delimited ALPN protocol suite." },
  { text: server('check-sni ""'), valid: false, message: "'server b/s' : 'check-sni' : missing SNI." },
  { text: server('ciphers ""'), valid: false, message: "'server b/s' : 'ciphers' : missing cipher suite." },
  { text: server('verifyhost ""'), valid: false, message: "'server b/s' : 'verifyhost' : missing hostname to verify against." },
  { text: server('source ""'), valid: false, message: "'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument." },
  { text: server('max-reuse ""'), valid: false, message: "'server b/s' : 'max-reuse' expects <value> as argument." },
  { text: server('pool-max-conn'), valid: false, message: "'server b/s' : 'pool-max-conn' expects <value> as argument." },
  { text: server('tcp-ut ""'), valid: false, message: "'server b/s' : 'tcp-ut' : missing TCP User Timeout value." },
  { text: server('log-proto ""'), valid: false, message: "'server b/s' : 'log-proto' expects one of 'legacy' or 'octet-count' but got ''" },
  { text: backend('server s ""'), valid: false, message: "'server' expects <name> and <addr>[:<port>] as arguments." },
  { text: backend('server-template t 2 ""'), valid: false, message: "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments." },
  // Addresses: HAProxy resolves a server's, and says so when it cannot.
  { text: backend('server s 127.0.0.1:80-81'), valid: false, message: "'server b/s' : port range not permitted here in '127.0.0.1:80-81'" },
  { text: backend('server s ::1'), valid: false, message: "'server b/s' : could not resolve address ':'" },
  { text: backend('server s 300.1.1.1:80'), valid: false, message: "'server b/s' : could not resolve address '300.1.1.1'" },
  { text: backend('server s bad@x:80'), valid: false, message: "'server b/s' : could not resolve address 'bad@x'" },
  { text: backend('server s [::1]:80'), valid: true },
  { text: backend('server s 127.0.0.1:+1'), valid: true },
  // Options Loadstar ignores still refuse what HAProxy refuses.
  { text: server('log-proto octet-count'), valid: true },
  { text: server('log-proto bad'), valid: false, message: "'server b/s' : 'log-proto' expects one of 'legacy' or 'octet-count' but got 'bad'." },
  { text: server('pool-max-conn -1'), valid: true },
  { text: server('pool-max-conn -2'), valid: false, message: "'server b/s' : 'pool-max-conn' must be >= -1." },
  { text: server('pool-purge-delay 10s'), valid: true },
  { text: server('pool-purge-delay 10x'), valid: false, message: "'server b/s' : unexpected character 'x' in argument to <pool-purge-delay>." },
  { text: server('pool-purge-delay 25d'), valid: false, message: "'server b/s' : timer overflow in argument '25d' to 'pool-purge-delay' (maximum value is 2147483647 ms or ~24.8 days)." },
  { text: server('tcp-ut -1'), valid: false, message: "'server b/s' : 'tcp-ut' : expects a positive delay in milliseconds." },
  { text: server('tcp-ut 99999999999'), valid: false, message: "'server b/s' : timer overflow in argument '99999999999' to 'tcp-ut' (maximum value is 2147483647 ms or ~24.8 days)." },
  // init-addr: last, libc, none or an IP address; empty methods are skipped. resolve-opts too.
  { text: server('init-addr ,none'), valid: true },
  { text: server('init-addr libc,'), valid: true },
  { text: server('init-addr none,::1'), valid: true },
  { text: server('init-addr bad'), valid: false, message: "'server b/s' : 'init-addr' : unknown init-addr method 'bad', supported methods are 'libc', 'last', 'none'." },
  { text: server('init-addr 1'), valid: false, message: "'init-addr' : unknown init-addr method '1', supported methods are 'libc', 'last', 'none'." },
  { text: server('resolve-opts ""'), valid: true },
  { text: server('resolve-opts'), valid: true },
  { text: server('resolve-opts ,allow-dup-ip'), valid: false, message: "'resolve-opts' : unknown resolve-opts option '', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'." },
  // server.c's and ssl_sock.c's words for values they refuse.
  { text: server('verify optional'), valid: false, message: "'server b/s' : 'verify' : unknown verify method 'optional', only 'none' and 'required' are supported." },
  { text: server('observe layer5'), valid: false, message: "'server b/s' : 'observe' expects one of 'none', 'layer4', 'layer7' but got 'layer5'." },
  { text: server('observe'), valid: false, message: "'server b/s' : 'observe' expects <mode> as argument." },
  { text: server('on-error bad'), valid: false, message: "'server b/s' : 'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got 'bad'." },
  { text: server('resolve-prefer ipv5'), valid: false, message: "'server b/s' : 'resolve-prefer' expects either ipv4 or ipv6 as argument." },
  { text: server('sni bad'), valid: false, message: "'server b/s' : error detected while parsing sni expression : unknown fetch method 'bad'" },
  { text: server('ssl-max-ver ""'), valid: false, message: "'server b/s' : 'ssl-max-ver' : missing the ssl/tls version." },
  { text: server('ssl-min-ver'), valid: false, message: "'server b/s' : 'ssl-min-ver' : missing the ssl/tls version." },
  { text: server('proto ""'), valid: false, message: "'server b/s' : 'proto' : missing value." },
  { text: server('id -1'), valid: false, message: "'server b/s' : 'id' : custom id has to be > 0." },
  { text: server('id ""'), valid: false, message: "'server b/s' : 'id' : expects an integer argument." },
  { text: server('error-limit -1'), valid: false, message: "'server b/s' : error-limit has to be > 0." },
  { text: server('error-limit'), valid: false, message: "'server b/s' : 'error-limit' expects an integer argument." },
  { text: server('weight -1'), valid: false, message: "'server b/s' : weight of server s is not within 0 and 256 (-1)." },
  { text: server('ws'), valid: false, message: "'server b/s' : 'ws' has to be 'auto', 'h1' or 'h2'." },
  { text: server('agent-addr'), valid: false, message: "'server b/s' : 'agent-addr' expects an address as argument." },
  { text: server('resolve-net'), valid: false, message: "'server b/s' : 'resolve-net' expects a list of networks." },
  { text: server('resolve-net ,'), valid: false, message: "'server b/s' : 'resolve-net' invalid network ''." },
  { text: server('resolve-net 10.0.0.0/8,'), valid: true },
  { text: server('resolve-net 10.0.0.0/8,,'), valid: false, message: "'resolve-net' invalid network ''." },
  { text: server('resolvers nope'), valid: false, message: "backend 'b', server 's': unable to find required resolvers 'nope'" },
  { text: `${head}listen l\n    bind 127.0.0.1:18081\n    server s 127.0.0.1:80 resolvers nope\n`, valid: false, message: "proxy 'l', server 's': unable to find required resolvers 'nope'" },
  // A delay past INT_MAX ms, with a unit or without.
  { text: server('inter 99999999999'), valid: false, message: "'server b/s' : timer overflow in argument <99999999999> to <inter> of server s, maximum value is 2147483647 ms (~24.8 days)." },
  { text: server('fastinter 25d'), valid: false, message: "'server b/s' : timer overflow in argument <25d> to <fastinter> of server s, maximum value is 2147483647 ms (~24.8 days)." },
  { text: server('inter 24d'), valid: true },
  { text: server('slowstart 99999999999'), valid: false, message: "'server b/s' : overflow in argument <99999999999> to <slowstart> of server s, maximum value is 2147483647 ms (~24.8 days)." },
  // Options a default-server line refuses.
  { text: backend('default-server id 3', 'server s 127.0.0.1:80'), valid: false, message: "'id' option is not accepted in default-server sections" },
  { text: backend('default-server no-tlsv13', 'server s 127.0.0.1:80'), valid: false, message: "'no-tlsv13' option is not accepted in default-server sections" },
  { text: backend('default-server force-tlsv13', 'server s 127.0.0.1:80'), valid: true },
  // ca-file is read when the line is, ssl or not.
  { text: server('ca-file /nonexistent/ca.pem'), valid: false, message: "'server b/s' : Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory)." },
  { text: server('ssl verify none ca-file /nonexistent/ca.pem'), valid: false, message: "Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory)." },
  { text: server('ca-file ""'), valid: false, message: "'server b/s' : 'ca-file' : missing CAfile path." },
  { text: server('ssl ca-file @system-ca'), valid: true },
  // crt is loaded only for a server using TLS, once its line is read; a default-server's never.
  { text: server('crt /nonexistent/c.pem'), valid: true },
  { text: server('crt /nonexistent/c.pem ssl verify none'), valid: false, message: "'server b/s' : unable to stat SSL certificate from file '/nonexistent/c.pem' : No such file or directory." },
  { text: server('check-ssl verify none crt /nonexistent/c.pem'), valid: false, message: "unable to stat SSL certificate from file '/nonexistent/c.pem' : No such file or directory." },
  { text: server('ssl no-ssl verify none crt /nonexistent/c.pem'), valid: true },
  { text: backend('default-server ssl verify none crt /nonexistent/c.pem'), valid: true },
  { text: backend('default-server crt /nonexistent/c.pem', 'server s 127.0.0.1:80 ssl verify none'), valid: false, message: "'server b/s' : unable to stat SSL certificate from file '/nonexistent/c.pem' : No such file or directory." },
  // socks4 <addr>:<port> (srv_parse_socks4: str2sa_range, port mandatory, no range, no offset, stream only).
  ...['127.0.0.1:1080', '[::1]:1080', '::1:1080', 'ipv6@::1:1080', 'ipv4@127.0.0.1:1080', '*:1080', ':1080', 'localhost:1080', '/tmp/socks.sock', 'unix@/tmp/socks.sock', 'abns@socks']
    .map((a) => ({ text: server(`socks4 ${a}`), valid: true })),
  { text: server('socks4'), valid: false, message: "'server b/s' : 'socks4' expects <addr>:<port> as argument.." },
  { text: server('socks4 ""'), valid: false, message: "'server b/s' : 'socks4' expects <addr>:<port> as argument.." },
  { text: server('socks4 127.0.0.1'), valid: false, message: "'server b/s' : 'socks4 127.0.0.1' : missing port specification in '127.0.0.1'." },
  { text: server('socks4 [::1]'), valid: false, message: "'server b/s' : 'socks4 [::1]' : missing port specification in '[::1]'." },
  { text: server('socks4 127.0.0.1:0'), valid: false, message: "'server b/s' : 'socks4 127.0.0.1:0' : invalid port '0'." },
  { text: server('socks4 127.0.0.1:99999'), valid: false, message: "'server b/s' : 'socks4 127.0.0.1:99999' : invalid port '99999'." },
  { text: server('socks4 127.0.0.1:abc'), valid: false, message: "'socks4 127.0.0.1:abc' : invalid character 'a' in port number 'abc' in '127.0.0.1:abc'" },
  { text: server('socks4 127.0.0.1:1080-1090'), valid: false, message: "'server b/s' : 'socks4 127.0.0.1:1080-1090' : port range not permitted here in '127.0.0.1:1080-1090'." },
  { text: server('socks4 127.0.0.1:+1'), valid: false, message: "'server b/s' : 'socks4 127.0.0.1:+1' : port offset not permitted here in '127.0.0.1:+1'." },
  { text: server('socks4 udp@127.0.0.1:1080'), valid: false, message: "'socks4 udp@127.0.0.1:1080' : dgram-type address not acceptable in 'udp@127.0.0.1:1080'" },
  { text: server('socks4 fd@3'), valid: false, message: "'socks4 fd@3' : a file descriptor is not acceptable here in 'fd@3'" },
  { text: server('socks4 ipv4@::1:1080'), valid: false, message: "'socks4 ipv4@::1:1080' : invalid address: '::1' in 'ipv4@::1:1080'" },
  { text: server('socks4 127.0.0.1:1080 socks4'), valid: false, message: "'server b/s' : 'socks4' expects <addr>:<port> as argument.." },
  // check-via-socks4 takes no word, and needs no socks4 (checks then connect directly); both are default-server options.
  { text: server('check-via-socks4'), valid: true },
  { text: server('check check-via-socks4 socks4 127.0.0.1:1080'), valid: true },
  { text: server('check-via-socks4 x'), valid: false, message: "'server b/s' : unknown keyword 'x'." },
  { text: backend('default-server socks4 127.0.0.1:1080 check-via-socks4', 'server s 127.0.0.1:80 check'), valid: true },
  { text: backend('server-template s 2 127.0.0.1:80 socks4 127.0.0.1:1080 check-via-socks4'), valid: true },
  // tcp-check connect / http-check connect via-socks4.
  { text: backend('option tcp-check', 'tcp-check connect via-socks4', 'server s 127.0.0.1:80 socks4 127.0.0.1:1080 check'), valid: true },
  { text: backend('option httpchk', 'http-check connect via-socks4 default', 'server s 127.0.0.1:80 socks4 127.0.0.1:1080 check'), valid: true },
];

test('server option values: accepted and refused as by haproxy 2.6.12, with its messages', () => {
  assertLoadstarParses(CASES);
});

test('server option values: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, CASES);
});

// Not through haproxy: it makes atoi()'s 1215752191 servers and crashes (100000 take it minutes).
test('socks4 and check-via-socks4 reach the model: the proxy\'s address (a socket path, abns@ with its NUL), inherited from default-server', () => {
  const options = (text: string) => parseConfig([{ name: 'd.cfg', text }]).config.proxies.find((p) => p.name === 'b')!.servers[0]!.options;
  assert.deepEqual(options(server('socks4 127.0.0.1:1080')).socks4, { host: '127.0.0.1', port: 1080 });
  assert.deepEqual(options(server('socks4 [::1]:1080')).socks4, { host: '::1', port: 1080 });
  assert.deepEqual(options(server('socks4 *:1080')).socks4, { host: '0.0.0.0', port: 1080 });
  assert.deepEqual(options(server('socks4 unix@/tmp/s.sock')).socks4, { host: '', port: 0, path: '/tmp/s.sock' });
  assert.deepEqual(options(server('socks4 abns@s')).socks4, { host: '', port: 0, path: '\0s' });
  const inherited = options(backend('default-server socks4 127.0.0.1:1080 check-via-socks4', 'server s 127.0.0.1:80'));
  assert.deepEqual([inherited.socks4, inherited.checkViaSocks4], [{ host: '127.0.0.1', port: 1080 }, true]);
});

test('server-template: more than 65536 servers on one line are refused', () => {
  assertLoadstarParses([
    { text: backend('server-template t 99999999999 127.0.0.1:80'), valid: false, message: "server-template '99999999999' declares 99999999999 servers; at most 65536 are allowed." },
    { text: backend('server-template t 2-65537 127.0.0.1:80'), valid: true },
    { text: backend('server-template t 1-65537 127.0.0.1:80'), valid: false, message: 'at most 65536 are allowed' },
  ]);
});

// server.c: a default-server line sets the defaults of the servers that follow it, not of those before.
const ORDER_CASES: ParseCase[] = [
  { text: backend('server s1 127.0.0.1:80', 'default-server track nosuch'), valid: true },
  { text: backend('server s1 127.0.0.1:80', 'default-server track nosuch', 'server s2 127.0.0.1:81'), valid: false, message: "unable to find required server 'nosuch' for tracking" },
  { text: backend('server-template t 2 127.0.0.1:80', 'default-server resolvers nope'), valid: true },
];

test('default-server applies to the servers after it, over the defaults section\'s', () => {
  assertLoadstarParses(ORDER_CASES);
  const lines = ['server s1 127.0.0.1:80', 'default-server weight 5', 'server s2 127.0.0.1:81', 'server-template t 1 127.0.0.1:82', 'default-server maxconn 3', 'server s3 127.0.0.1:83 weight 2'];
  const r = parseConfig([{ name: 'd.cfg', text: `${head}    default-server weight 7 maxconn 9\nbackend b\n${lines.map((l) => `    ${l}\n`).join('')}` }]);
  const servers = r.config.proxies.find((p) => p.name === 'b')!.servers;
  const got = Object.fromEntries(servers.map((s) => [s.name, [s.options.weight, s.options.maxconn]]));
  assert.deepEqual(got, { s1: [7, 9], s2: [5, 9], t1: [5, 9], s3: [2, 3] });
});

test('default-server order: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, ORDER_CASES);
});
