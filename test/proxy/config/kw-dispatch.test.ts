/**
 * `dispatch <address>:<port>`: accepted, refused and warned about as haproxy 2.6.12's parser
 * (cfgparse-listen.c) and check_config_validity do, checked against `haproxy -c` when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const backend = (line: string, more = '') => `${head}backend b\n${more}    ${line}\n`;

const CASES: ParseCase[] = [
  { text: backend('dispatch 127.0.0.1:80'), valid: true },
  { text: backend('dispatch [::1]:80'), valid: true },
  { text: `${head}listen l\n    bind 127.0.0.1:8\n    dispatch 127.0.0.1:80\n`, valid: true },
  { text: backend('dispatch 127.0.0.1:+80'), valid: false, message: "'dispatch' : port offset not permitted here in '127.0.0.1:+80'" },
  { text: backend('dispatch 127.0.0.1'), valid: false, message: "'dispatch' : missing port specification in '127.0.0.1'" },
  { text: backend('dispatch 127.0.0.1:80-90'), valid: false, message: "'dispatch' : port range not permitted here in '127.0.0.1:80-90'" },
  { text: backend('dispatch 127.0.0.1:0'), valid: false, message: "'dispatch' : invalid port '0'" },
  { text: backend('dispatch 127.0.0.1:80 x'), valid: false, message: "'dispatch' cannot handle unexpected argument 'x'." },
  { text: backend('dispatch'), valid: false, message: "'dispatch' : '' resolves to an empty address" },
  { text: `${head}    dispatch 127.0.0.1:80\n`, valid: false, message: "'dispatch' not allowed in 'defaults' section." },
  { text: `${head}frontend f\n    bind 127.0.0.1:8\n    dispatch 127.0.0.1:80\n`, valid: true, message: "'dispatch' ignored because frontend 'f' has no backend capability." },
  { text: backend('dispatch 127.0.0.1:80', '    balance roundrobin\n'), valid: true, message: "dispatch address of backend 'b' will be ignored in balance mode." },
  { text: `${head.replace('mode http\n', 'mode http\n    balance leastconn\n')}listen l\n    bind 127.0.0.1:8\n    dispatch 127.0.0.1:80\n`, valid: true, message: "dispatch address of proxy 'l' will be ignored in balance mode." },
  // `option transparent` takes the place of an algorithm too: refused with `balance`, own or inherited.
  { text: backend('option transparent'), valid: true },
  { text: backend('option transparent', '    balance roundrobin\n'), valid: false, message: "backend 'b' cannot use both transparent and balance mode." },
  { text: `${head.replace('mode http\n', 'mode http\n    balance leastconn\n')}listen l\n    bind 127.0.0.1:8\n    option transparent\n`, valid: false, message: "proxy 'l' cannot use both transparent and balance mode." },
  { text: `${head.replace('mode http\n', 'mode http\n    option transparent\n')}backend b\n    dispatch 127.0.0.1:80\n`, valid: true },
  { text: `${head}frontend f\n    bind 127.0.0.1:8\n    option transparent\n`, valid: true, message: "'transparent' ignored because frontend 'f' has no backend capability." },
  // The older spelling, `transparent`: the same flag; a frontend takes it without a word.
  { text: backend('transparent'), valid: true },
  { text: backend('transparent x'), valid: false, message: "'transparent' cannot handle unexpected argument 'x'." },
  { text: `${head.replace('mode http\n', 'mode http\n    transparent\n    balance roundrobin\n')}backend b\n    server s 127.0.0.1:80\n`, valid: false, message: "backend 'b' cannot use both transparent and balance mode." },
  { text: `${head}frontend f\n    bind 127.0.0.1:8\n    transparent\n`, valid: true },
];

test('dispatch lines: accepted, refused and warned about with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(CASES);
});

test('provisioning keeps dispatch only without balance, own or inherited', () => {
  const dispatchOf = (text: string) => {
    const r = parseConfig([{ name: 'd.cfg', text }]);
    assert.ok(r.ok);
    return r.config.proxies.find((p) => p.name === 'b')?.dispatch;
  };
  const kept = dispatchOf(backend('dispatch 127.0.0.1:80'));
  // A nameless server with the built-in server settings (nothing else can be written on the line).
  assert.ok(kept && 'options' in kept);
  assert.deepEqual({ name: kept.name, host: kept.host, port: kept.port, weight: kept.options.weight }, { name: '', host: '127.0.0.1', port: 80, weight: 1 });
  assert.equal(dispatchOf(backend('dispatch 127.0.0.1:80', '    balance roundrobin\n')), undefined);
  assert.equal(dispatchOf(`${head}    balance source\n${backend('dispatch 127.0.0.1:80').slice(head.length)}`), undefined);
  // `option transparent`: the client's destination, unless a dispatch line gives an address.
  assert.deepEqual(dispatchOf(backend('option transparent')) && { ...dispatchOf(backend('option transparent')), options: undefined, loc: undefined }, { name: '', host: '0.0.0.0', port: 0, toDestination: true, options: undefined, loc: undefined });
  assert.equal(dispatchOf(`${head.replace('mode http\n', 'mode http\n    option transparent\n')}backend b\n    dispatch 127.0.0.1:80\n`)?.port, 80);
});

test('HAProxy 2.6 accepts, refuses and warns about the same dispatch lines', (t) => {
  assertHaproxyParses(t, CASES);
});
