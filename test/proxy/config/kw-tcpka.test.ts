/**
 * TCP keep-alive keywords (`option clitcpka|srvtcpka|tcpka`, `clitcpka-|srvtcpka-` `idle|cnt|intvl`):
 * accepted, refused and warned about with haproxy 2.6.12's messages (proxy.c, cfgparse-listen.c),
 * checked against `haproxy -c` when installed. What they do: test/proxy/tcp/tcp-keepalive.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (line: string) => `${head}backend b\n    ${line}\n    server s 127.0.0.1:80\n`;
const frontend = (line: string) => `${head}frontend f\n    bind 127.0.0.1:8\n    ${line}\n    http-request return status 200\n`;

const CASES: ParseCase[] = [
  { text: frontend('option clitcpka'), valid: true },
  { text: backend('option srvtcpka'), valid: true },
  { text: backend('option tcpka'), valid: true },
  { text: `${head}    option tcpka\n    no option clitcpka\n`, valid: true },
  { text: frontend('clitcpka-idle 30'), valid: true },
  { text: frontend('clitcpka-idle 1500ms'), valid: true },
  { text: backend('srvtcpka-idle 2m'), valid: true },
  { text: frontend('clitcpka-idle'), valid: false, message: "'clitcpka-idle' expects an integer value" },
  { text: frontend('clitcpka-idle 3x'), valid: false, message: "unexpected character 'x' in argument to <clitcpka-idle>." },
  { text: backend('srvtcpka-intvl 10x'), valid: false, message: "unexpected character 'x' in argument to <srvtcpka-intvl>." },
  { text: backend('srvtcpka-cnt 5x'), valid: false, message: "'srvtcpka-cnt' : unexpected character 'x' in integer value '5x'" },
  { text: backend('srvtcpka-cnt'), valid: false, message: "'srvtcpka-cnt' expects an integer value" },
  { text: backend('srvtcpka-cnt 0x10'), valid: true },
  { text: backend('srvtcpka-intvl 10'), valid: true },
  { text: frontend('clitcpka-cnt 4'), valid: true },
  { text: backend('clitcpka-idle 30'), valid: true, message: "clitcpka-idle will be ignored because backend 'b' has no frontend capability" },
  { text: frontend('srvtcpka-cnt 4'), valid: true, message: "srvtcpka-cnt will be ignored because frontend 'f' has no backend capability" },
  { text: backend('clitcpka-idle 3x'), valid: false, message: "unexpected character 'x' in argument to <clitcpka-idle>." },
  { text: backend('option clitcpka'), valid: true, message: "'clitcpka' ignored because backend 'b' has no frontend capability." },
  { text: backend('option tcpka x'), valid: false, message: "'option tcpka' cannot handle unexpected argument 'x'." },
  { text: frontend('no option clitcpka x'), valid: false, message: "'option clitcpka' cannot handle unexpected argument 'x'." },
];

test('TCP keep-alive keywords: accepted, refused and warned about with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on the TCP keep-alive keywords', (t) => {
  assertHaproxyParses(t, CASES);
});

test('the probe count and interval are accepted with a warning that Node cannot set them', () => {
  const r = parseConfig([{ name: 'k.cfg', text: backend('srvtcpka-cnt 3') }]);
  assert.deepEqual(r.diagnostics.map((d) => d.message), ["'srvtcpka-cnt' has no effect in Loadstar and is ignored (Node.js cannot set TCP_KEEPCNT: the system's count applies)."]);
});

test('option tcpka sets both sides where the section has them; the idle times are inherited from defaults', () => {
  const r = parseConfig([{ name: 'k.cfg', text: `${head}    option tcpka\n    clitcpka-idle 30\n    srvtcpka-idle 1500ms\nfrontend f\n    bind 127.0.0.1:8\n    no option clitcpka\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n` }]);
  assert.ok(r.ok);
  const f = r.config.proxies.find((p) => p.name === 'f')!;
  const b = r.config.proxies.find((p) => p.name === 'b')!;
  assert.deepEqual([f.options['clitcpka']?.enabled, b.options['srvtcpka']?.enabled, b.clitcpkaIdle, b.srvtcpkaIdle], [false, true, 30, 2]);
});
