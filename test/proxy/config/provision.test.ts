import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';

function proxies(text: string) {
  const r = parseConfig([{ name: 'p.cfg', text }]);
  assert.ok(r.ok, formatDiagnostics(r.diagnostics));
  return new Map(r.config.proxies.map((p) => [`${p.kind}:${p.name}`, p]));
}

const TIMEOUTS = '    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

test('provisioning gives every frontend, backend and listen its effective mode, retries and balance', () => {
  const p = proxies(`defaults\n${TIMEOUTS}frontend fe\n    bind 127.0.0.1:1\n    default_backend be\nbackend be\n    server s 127.0.0.1:2\nlisten both\n    bind 127.0.0.1:3\n    server s 127.0.0.1:4\n`);
  for (const key of ['frontend:fe', 'backend:be', 'listen:both']) {
    assert.equal(p.get(key)!.mode, 'tcp', key);
    assert.equal(p.get(key)!.retries, 3, key);
  }
  assert.equal(p.get('backend:be')!.balance?.algorithm, 'roundrobin');
  assert.equal(p.get('listen:both')!.balance?.algorithm, 'roundrobin');
  assert.equal(p.get('frontend:fe')!.balance, undefined, 'a frontend does not balance');
  assert.equal(p.get('defaults:')!.mode, undefined, 'a defaults section keeps only what it sets');
});

test('inherited and own settings win over the built-in defaults', () => {
  const p = proxies(`defaults web\n    mode http\n    retries 5\n    balance leastconn\n${TIMEOUTS}backend inherits from web\n    server s 127.0.0.1:2\nbackend own from web\n    mode tcp\n    retries 0\n    balance source\n    server s 127.0.0.1:2\n`);
  const inherits = p.get('backend:inherits')!;
  assert.deepEqual([inherits.mode, inherits.retries, inherits.balance?.algorithm], ['http', 5, 'leastconn']);
  const own = p.get('backend:own')!;
  assert.deepEqual([own.mode, own.retries, own.balance?.algorithm], ['tcp', 0, 'source']);
});
