/**
 * Values of `bind` options, as scripts/value-sweep.ts found them to differ from haproxy 2.6.12:
 * options Loadstar ignores (nice, mss, tcp-ut, severity-output…) still refuse what HAProxy refuses,
 * with its messages (cfgparse-tcp.c, listener.c, cli.c); checked against `haproxy -c` when installed.
 */
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const SITE = fileURLToPath(new URL('../../scenarios/certs/site.pem', import.meta.url));
const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const bind = (words: string) => `${head}frontend f\n    bind ${words}\n    http-request return status 200\n`;
const at = (options: string) => bind(`127.0.0.1:18081 ${options}`);

const CASES: ParseCase[] = [
  { text: at('nice 1024'), valid: true },
  { text: at('nice -1025'), valid: false, message: "'nice' : invalid value -1025, allowed range is -1024..1024" },
  { text: at('nice 99999999999'), valid: false, message: "'nice' : invalid value 1215752191, allowed range is -1024..1024" },
  { text: at('nice ""'), valid: false, message: "'nice' : missing value" },
  { text: at('nice abc'), valid: true },
  { text: at('mss 1460'), valid: true },
  { text: at('mss -1460'), valid: true },
  { text: at('mss 0'), valid: false, message: "'mss' : expects an MSS with and absolute value between 1 and 65535" },
  { text: at('mss abc'), valid: false, message: "'mss' : expects an MSS with and absolute value between 1 and 65535" },
  { text: at('mss ""'), valid: false, message: "'mss' : missing MSS value" },
  { text: at('tcp-ut 10s'), valid: true },
  { text: at('tcp-ut 0'), valid: true },
  { text: at('tcp-ut -1'), valid: false, message: "'tcp-ut' : expects a positive delay in milliseconds" },
  { text: at('tcp-ut 10x'), valid: false, message: "'tcp-ut' : expects a positive delay in milliseconds" },
  { text: at('tcp-ut 25d'), valid: false, message: "timer overflow in argument '25d' to 'tcp-ut' (maximum value is 2147483647 ms or ~24.8 days)" },
  { text: at('tcp-ut 99999999999'), valid: false, message: "timer overflow in argument '99999999999' to 'tcp-ut' (maximum value is 2147483647 ms or ~24.8 days)" },
  { text: at('tcp-ut 10us'), valid: true },
  { text: at('tcp-ut ""'), valid: false, message: "'tcp-ut' : missing TCP User Timeout value" },
  { text: at('severity-output string'), valid: true },
  { text: at('severity-output bad'), valid: false, message: "'severity-output' only supports 'none', 'number', and 'string' (got 'bad')" },
  { text: at('severity-output ""'), valid: false, message: "'severity-output' : missing severity format" },
  { text: at('backlog ""'), valid: false, message: "'backlog' : missing value" },
  { text: at('interface ""'), valid: false, message: "'interface' : missing interface name" },
  // curves and ecdhe: ignored by Loadstar, but OpenSSL must know them on an ssl bind.
  { text: at(`ssl crt ${SITE} curves X25519:P-256`), valid: true },
  { text: at(`ssl crt ${SITE} curves bad`), valid: false, message: "Proxy 'f': unable to set SSL curves list to 'bad' for bind '127.0.0.1:18081' at [" },
  { text: at(`ssl crt ${SITE} ecdhe prime256v1`), valid: true },
  { text: at(`ssl crt ${SITE} ecdhe bad`), valid: false, message: "Proxy 'f': unable to set elliptic named curve to 'bad' for bind '127.0.0.1:18081' at [" },
  { text: at('curves bad'), valid: true },
  // listener.c's and cfgparse-ssl.c's words.
  { text: at('id 0'), valid: false, message: "'id' : custom id has to be > 0" },
  { text: at('id ""'), valid: false, message: "'id' : expects an integer argument" },
  { text: at('maxconn -1'), valid: false, message: "'maxconn' : invalid value -1, must be >= 0" },
  { text: at('maxconn 0'), valid: true },
  { text: at('proto ""'), valid: false, message: "'proto' : missing value" },
  // `proto none`: the TCP mux, not usable on an HTTP frontend; a TCP one takes it.
  { text: at('proto none'), valid: false, message: "frontend 'f' : MUX protocol 'none' is not usable for 'bind 127.0.0.1:18081' at [" },
  { text: `${head}frontend t\n    mode tcp\n    bind 127.0.0.1:18083 proto none\n    default_backend b\nbackend b\n    mode tcp\n    server s 127.0.0.1:80\n`, valid: true },
  { text: at('ssl-min-ver TLSv1.4'), valid: false, message: "'TLSv1.4' : unknown ssl/tls version" },
  { text: at('ca-file /nonexistent/ca.pem'), valid: false, message: "Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory)" },
  { text: at('crl-file /nonexistent/crl.pem'), valid: false, message: "'crl-file' : unable to load /nonexistent/crl.pem" },
  // Not a bind option in 2.6 (a server one).
  { text: at('ssl-reuse'), valid: false, message: "unknown keyword 'ssl-reuse'" },
  // Addresses, in str2sa_range()'s words.
  { text: bind('18082'), valid: false, message: "'bind' : missing port specification in '18082'" },
  { text: bind('127.0.0.1:-1'), valid: false, message: "'bind' : port offset not permitted here in '127.0.0.1:-1'" },
  { text: bind('127.0.0.1:+1'), valid: false, message: "'bind' : port offset not permitted here in '127.0.0.1:+1'" },
  { text: bind('127.0.0.1:0-5'), valid: false, message: "'bind' : invalid port '0'" },
  { text: bind('127.0.0.1:8000-7000'), valid: false, message: "'bind' : invalid port range '8000-7000'" },
  { text: bind('127.0.0.1:18082-18084'), valid: true },
  // One comma after the last address ends the list; an empty address elsewhere does not.
  { text: bind('127.0.0.1:18082,'), valid: true },
  { text: bind(',127.0.0.1:18082'), valid: false },
];

test('bind option values: accepted and refused as by haproxy 2.6.12, with its messages', () => {
  assertLoadstarParses(CASES);
});

test('bind option values: haproxy -c agrees', (t) => {
  assertHaproxyParses(t, CASES);
});
