/**
 * Value sweep: each option Loadstar registers for `server` / `default-server` (kw-server.ts
 * SERVER_OPTION_NAMES) and for `bind` (kw-bind.ts BIND_OPTION_NAMES), given no value, "", 0, -1,
 * 1, a huge number, numbers with a unit (10s, 10k, 10x), a word, and values that matter to that
 * keyword (ports, weights, addresses, files, TLS versions…); plus server, server-template and bind
 * addresses and template counts. Each variant is one line added to a small listen section, run
 * through `haproxy -c` and Loadstar's parser: prints where one accepts it and the other refuses it.
 * TLS options are tried on an `ssl` line too. A refusal Loadstar marks LS_ERR_CFG_UNSUPPORTED is a
 * decided limit, counted apart (listed with --unsupported). Not part of `npm test`: it runs
 * haproxy about 3000 times (a minute or two).
 *
 *   node --import tsx scripts/value-sweep.ts [--messages] [--unsupported] [keyword-regexp]
 *     --messages     also counts a line both refuse as a disagreement when no Loadstar alert
 *                    contains haproxy's first one (without its "parsing [file:line] :" head)
 *     --unsupported  also lists what haproxy accepts and Loadstar refuses as not supported
 */
import { BIND_OPTION_NAMES } from '../proxy/config/kw-bind.ts';
import { SERVER_OPTION_NAMES } from '../proxy/config/kw-server.ts';
import { compareVariants, printDiffs, type Variant } from './lib/sweep.ts';

const argv = process.argv.slice(2);
const messages = argv.includes('--messages');
const unsupported = argv.includes('--unsupported');
const filter = argv.find((a) => !a.startsWith('--'));
const only = filter ? new RegExp(filter) : undefined;

/** `undefined` is the value left out. */
const GENERIC: readonly (string | undefined)[] = [undefined, '""', '0', '-1', '1', '99999999999', '10s', '10k', '10x', 'abc'];

const ADDRESSES = ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:80', '[::1]:80', '::1', ':80', '*:80', 'ipv6@::1', 'ipv4@127.0.0.1', 'unix@/tmp/ls-sweep.sock', 'fd@3', 'localhost', '127.0.0.1:8000-7000', '300.1.1.1'];
const TIMES = ['1ms', '10us', '1d', '25d', '100'];
const FILES = ['certs/ca.pem', 'certs/client.pem', 'certs/server-side/crl.pem', 'certs/missing.pem'];
const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3', 'SSLv3', 'TLSv1.4'];

const SERVER_SPECIFIC: Record<string, readonly string[]> = {
  port: ['65535', '65536'], 'agent-port': ['65535', '65536'], weight: ['256', '257', '+5'],
  addr: ADDRESSES, 'agent-addr': ADDRESSES, source: [...ADDRESSES, '127.0.0.1:1024-2048'],
  inter: TIMES, fastinter: TIMES, downinter: TIMES, slowstart: TIMES, 'agent-inter': TIMES, 'pool-purge-delay': TIMES, 'tcp-ut': TIMES,
  rise: ['2', '+2'], fall: ['2'], maxconn: ['+5', '5'], id: ['2', '100'], 'error-limit': ['5'],
  'init-addr': ['last,libc,none', 'none', '127.0.0.1', 'libc,', ',none', 'bad', '::1'],
  'ssl-min-ver': TLS_VERSIONS, 'ssl-max-ver': TLS_VERSIONS,
  verify: ['none', 'required', 'optional'],
  'ca-file': [...FILES, '@system-ca'], 'crl-file': FILES, crt: FILES,
  resolvers: ['dns', 'nodns'], track: ['s1', 'sweep/s1', 'nosuch/s1', 'sweep/nosuch', 's2'],
  sni: ['req.hdr(host)', 'str(x)', 'bad(', 'ssl_fc_sni'], 'check-sni': ['x.example'], verifyhost: ['x.example'],
  proto: ['h1', 'h2', 'fcgi', 'none', 'h3'], 'check-proto': ['h1', 'h2', 'h3'],
  alpn: ['h2,http/1.1', 'http/1.1', ','], 'check-alpn': ['http/1.1', 'h2'],
  'resolve-net': ['10.0.0.0/8', '10.0.0.0/33', '1.2.3.4', ',', '1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8'],
  'resolve-opts': ['allow-dup-ip', 'prevent-dup-ip,ignore-weight', 'bad'], 'resolve-prefer': ['ipv4', 'ipv6', 'ipv5'],
  observe: ['layer4', 'layer7', 'none', 'layer5'], 'on-error': ['fastinter', 'fail-check', 'sudden-death', 'mark-down', 'bad'],
  'on-marked-down': ['shutdown-sessions'], 'on-marked-up': ['shutdown-backup-sessions'],
  ws: ['auto', 'h1', 'h2', 'h3'], redir: ['http://x.example', '/x'], cookie: ['c1'],
  'proxy-v2-options': ['ssl,cert-cn', 'crc32c', 'unique-id,authority', 'bad', 'ssl,'],
  'log-proto': ['legacy', 'octet-count', 'bad'], 'pool-max-conn': ['-2'], 'max-reuse': ['-2'], namespace: ['x'],
  ciphers: ['HIGH'], ciphersuites: ['TLS_AES_128_GCM_SHA256'], curves: ['X25519', 'bad'], sigalgs: ['RSA+SHA256', 'bad'],
  'agent-send': ['hello'], 'client-sigalgs': ['RSA+SHA256'], socks4: ['127.0.0.1:1080'], 'health-check-port': ['80'],
};
const BIND_SPECIFIC: Record<string, readonly string[]> = {
  maxconn: ['+5', '5'], backlog: ['5'], id: ['2', '100'], name: ['x'],
  alpn: ['h2,http/1.1', ','], proto: ['h1', 'h2', 'fcgi', 'none', 'h3'],
  process: ['1', 'all', 'odd', 'even', '1-2', '2', '64', '65'], thread: ['1', 'all', '1-2', '2', '1/1', '64', '65', 'odd'],
  nice: ['-1024', '1024', '-1025', '1025'], mss: ['1460', '-1460'], 'tcp-ut': TIMES, interface: ['lo'],
  'severity-output': ['none', 'number', 'string', 'bad'],
  'ssl-min-ver': TLS_VERSIONS, 'ssl-max-ver': TLS_VERSIONS,
  verify: ['none', 'optional', 'required', 'bad'],
  'ca-file': [...FILES, '@system-ca'], 'ca-verify-file': FILES, 'crl-file': FILES, crt: [...FILES, 'certs/site.pem', 'certs/sites'],
  'crt-list': ['certs/list.txt', 'certs/missing.txt'], 'ca-sign-file': FILES, 'ca-sign-pass': ['x'],
  'ca-ignore-err': ['all', '1', '94', '95', '1,2', '1,abc'], 'crt-ignore-err': ['all', '1', '94', '95'],
  curves: ['X25519', 'bad'], ecdhe: ['prime256v1', 'bad'], ciphers: ['HIGH'], ciphersuites: ['TLS_AES_128_GCM_SHA256'],
  level: ['user', 'operator', 'admin', 'bad'], mode: ['0600', '600', '8'], uid: ['0'], gid: ['0'], user: ['root', 'nosuchuser'], group: ['root', 'nosuchgroup'],
  'expose-fd': ['listeners', 'bad'], namespace: ['x'], npn: ['http/1.1'], sigalgs: ['RSA+SHA256'], 'client-sigalgs': ['RSA+SHA256'],
  'accept-netscaler-cip': ['1234'], 'ssl-ignore-err': ['all'],
};

/** Options that only make sense with TLS: tried on a line with `ssl` too. */
const TLS_SERVER = /^(verify|ca-file|crl-file|crt|sni|check-sni|verifyhost|no-verifyhost|ssl-m..-ver|no-(sslv3|tlsv1.)|force-.*|ciphers|ciphersuites|curves|sigalgs|client-sigalgs|alpn|check-alpn|ssl-reuse|no-ssl-reuse|no-tls-tickets|tls-tickets|allow-0rtt|send-proxy-v2-ssl.*|check-ssl)$/;
const TLS_BIND = /^(crt|crt-list|alpn|ssl-m..-ver|ciphers|ciphersuites|no-(sslv3|tlsv1.|tls-tickets|ca-names)|force-.*|strict-sni|verify|ca-file|ca-verify-file|crl-file|ca-ignore-err|crt-ignore-err|generate-certificates|ca-sign-file|ca-sign-pass|curves|ecdhe|allow-0rtt|prefer-client-ciphers|npn|sigalgs|client-sigalgs|ssl-reuse|no-alpn)$/;

// s1 after the line: a default-server line applies to the servers that follow it (server.c).
const BASE = `global
    maxconn 100
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
resolvers dns
    nameserver ns1 127.0.0.1:53
listen sweep
    bind 127.0.0.1:18080
@@LINE
    server s1 127.0.0.1:8081
`;
const LINE_NO = BASE.split('\n').indexOf('@@LINE') + 1;

const variants: Variant[] = [];
function add(key: string, kind: string, line: string): void {
  if (only && !only.test(key)) return;
  variants.push({ file: 'sweep', lineNo: LINE_NO, key, kind, line, text: BASE.replace('@@LINE', `    ${line}`) });
}
const word = (v: string | undefined) => (v === undefined ? '' : ` ${v}`);
const shown = (v: string | undefined) => (v === undefined ? '(none)' : v);

for (const [name, takesValue] of Object.entries(SERVER_OPTION_NAMES)) {
  const values = takesValue ? [...GENERIC, ...(SERVER_SPECIFIC[name] ?? [])] : [undefined];
  const heads = TLS_SERVER.test(name) ? ['server s2 127.0.0.1:8082', 'server s2 127.0.0.1:8082 ssl verify none', 'default-server'] : ['server s2 127.0.0.1:8082', 'default-server'];
  for (const head of heads) {
    for (const v of values) add(`server ${name}`, `${head.startsWith('default') ? 'default-server ' : head.includes('ssl') ? 'ssl ' : ''}${shown(v)}`, `${head} ${name}${word(v)}`);
  }
}
for (const [name, takesValue] of Object.entries(BIND_OPTION_NAMES)) {
  const values = takesValue ? [...GENERIC, ...(BIND_SPECIFIC[name] ?? [])] : [undefined];
  const heads = TLS_BIND.test(name) ? ['bind 127.0.0.1:18081', 'bind 127.0.0.1:18081 ssl crt certs/site.pem'] : ['bind 127.0.0.1:18081'];
  for (const head of heads) {
    for (const v of values) add(`bind ${name}`, `${head.includes('ssl') ? 'ssl ' : ''}${shown(v)}`, `${head} ${name}${word(v)}`);
  }
}
const SERVER_ADDRESSES = ['""', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65535', '127.0.0.1:65536', '127.0.0.1:+1', '127.0.0.1:-1', '127.0.0.1:99999999999',
  '[::1]:80', '[::1]', '::1', '::1:80', ':80', '*:80', 'ipv6@::1:80', 'ipv4@127.0.0.1:80', 'ipv6@127.0.0.1:80', 'unix@/tmp/ls-sweep.sock', '/tmp/ls-sweep.sock',
  'abns@x', 'fd@3', 'sockpair@3', 'udp@127.0.0.1:80', 'tcp@127.0.0.1:80', '127.0.0.1:8000-7000', '127.0.0.1:80-81', 'localhost:80', 'abc', '127.0.0.1:abc',
  '127.0.0.1:80abc', '0.0.0.0:0', '300.1.1.1:80', '[::1:80', 'unix@', 'ipv4@', '127.0.0.1:', '10', 'bad@x:80'];
for (const a of SERVER_ADDRESSES) {
  add('server <addr>', a, `server s2 ${a}`);
  add('server-template <addr>', a, `server-template t 2 ${a}`);
}
// Not 99999999999: HAProxy makes atoi()'s 1215752191 servers (a crash); 100000 take it 8 minutes.
for (const n of ['""', '0', '-1', '1', '100', '10s', 'abc', '1-3', '3-1', '0-2', '1-0', '2-2', '1-', '-3', '1-3-5', '+2']) add('server-template <count>', n, `server-template t ${n} 127.0.0.1:80`);
const BIND_ADDRESSES = ['""', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65535', '127.0.0.1:65536', '127.0.0.1:-1', '127.0.0.1:+1', '127.0.0.1:99999999999',
  '[::1]:18082', '[::1]', '::1:18082', ':18082', '*:18082', 'ipv6@::1:18082', 'ipv4@127.0.0.1:18082', 'ipv6@127.0.0.1:18082', 'unix@/tmp/ls-sweep.sock',
  '/tmp/ls-sweep.sock', 'abns@x', 'fd@3', 'sockpair@3', 'udp@127.0.0.1:18082', 'quic4@127.0.0.1:18082', '127.0.0.1:18082-18084', '127.0.0.1:8000-7000',
  '127.0.0.1:18082-18082', '127.0.0.1:0-5', 'localhost:18082', 'abc', '127.0.0.1:abc', '127.0.0.1:18082abc', '300.1.1.1:18082', '127.0.0.1:18082,127.0.0.1:18083',
  '127.0.0.1:18082,', ',127.0.0.1:18082', 'unix@', 'ipv4@', '127.0.0.1:', '18082', 'bad@x:18082', '0.0.0.0:18082', ':::18082'];
for (const a of BIND_ADDRESSES) add('bind <addr>', a, `bind ${a}`);

const started = Date.now();
const all = compareVariants(variants, { messages });
const isUnsupported = (d: (typeof all)[number]) => d.ha && !d.ls && d.lsAlerts.every((a) => a.code === 'LS_ERR_CFG_UNSUPPORTED');
const decided = all.filter(isUnsupported);
const diffs = all.filter((d) => !isUnsupported(d));
const shownDiffs = unsupported ? all : diffs;
// One entry per keyword, value and direction (server and default-server lines together).
const groups = printDiffs(shownDiffs, (d) => `${d.v.key}|${d.v.kind.replace(/^default-server /, '')}|${d.ha}|${d.ls}`);
const refusedBoth = diffs.filter((d) => d.ha === d.ls).length;
console.log(`${variants.length} variants, ${diffs.length - refusedBoth} disagree on valid/invalid${messages ? `, ${refusedBoth} both refuse with other words` : ''}, ${decided.length} refused by Loadstar as not supported (${groups} groups shown), ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = diffs.length > 0 ? 1 : 0;
