/**
 * Max connections per server (`server … maxconn N`) in the Servers step and the backend's edit form,
 * and the Balancing step's word on "First available" without any limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyCheckText, requireHaproxy } from '../../helpers/haproxy.ts';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { backendDraft, backendSpec, checkStep, editsOf, firstWithoutLimit, newBackend, newSite } from '../../../renderer/src/lib/wizard.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';

test('a new site balancing First available writes each server’s Max connections on its line, and HAProxy accepts it', (t) => {
  const d = { ...newSite('http'), port: '23080', defaultBackend: 'app' };
  const b = newBackend('app', 'http');
  b.algorithm = 'first';
  b.servers = [
    { name: 's1', address: '127.0.0.1', port: '23081', weight: '1', backup: false, maxconn: '20' },
    { name: 's2', address: '127.0.0.1', port: '23082', weight: '1', backup: false, maxconn: ' 30 ' },
    { name: 's3', address: '127.0.0.1', port: '23083', weight: '1', backup: true, maxconn: '' },
  ];
  d.backends = [b];
  assert.deepEqual(checkStep('servers', d, null, { kind: 'new' }), {});
  const r = applyEdits(HEAD, editsOf(d, { kind: 'new' }).edits);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text!, /\n {4}balance first\n/);
  assert.match(r.text!, /\n {4}server s1 127\.0\.0\.1:23081 maxconn 20 check\n/);
  assert.match(r.text!, /\n {4}server s2 127\.0\.0\.1:23082 maxconn 30 check\n/);
  assert.match(r.text!, /\n {4}server s3 127\.0\.0\.1:23083 backup check\n/);
  const parsed = parseConfig([{ name: 'x', text: r.text! }]);
  assert.ok(parsed.ok);
  assert.deepEqual(formModel(parsed.config).backends[0]!.servers.map((s) => s.maxconn), [20, 30, undefined]);
  if (requireHaproxy(t)) {
    const check = haproxyCheckText(r.text!);
    assert.equal(check.status, 0, `${r.text}\n${check.output}`);
  }
});

test('the edit form reads Max connections back, changes it in its place on the line (the other options as written), and clears it', () => {
  const text = `${HEAD}backend app\n    balance first\n    server a1 127.0.0.1:23001 check maxconn 50 cookie a1 # main\n    server a2 127.0.0.1:23002 maxconn 0\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const b = backendDraft(model.backends[0]!);
  assert.equal(b.servers[0]!.maxconn, '50');
  assert.deepEqual(b.servers[0]!.extra, ['cookie', 'a1']);
  // 0 (no limit in HAProxy) is not a value the field takes: it stays as written.
  assert.equal(b.servers[1]!.maxconn, '');
  assert.deepEqual(b.servers[1]!.extra, ['maxconn', '0']);
  const same = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(same.ok);
  assert.equal(same.text, text, 'an unchanged form writes the text back unchanged');

  b.servers[0]!.maxconn = '75';
  const changed = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(changed.ok, JSON.stringify(changed));
  assert.match(changed.text!, /\n {4}server a1 127\.0\.0\.1:23001 check maxconn 75 cookie a1 # main\n/);
  assert.match(changed.text!, /\n {4}server a2 127\.0\.0\.1:23002 maxconn 0\n/);

  b.servers[0]!.maxconn = '';
  const cleared = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(cleared.ok);
  assert.match(cleared.text!, /\n {4}server a1 127\.0\.0\.1:23001 check cookie a1 # main\n/);
});

test('Max connections out of range is refused at its field, in the wizard and by the engine', () => {
  const d = { ...newSite('http'), backends: [newBackend('app', 'http')] };
  const s = d.backends[0]!.servers[0]!;
  Object.assign(s, { address: '127.0.0.1', port: '23081' });
  for (const bad of ['0', '100001', '2.5', 'many', '-3']) {
    s.maxconn = bad;
    assert.match(checkStep('servers', d, null, { kind: 'new' })['backends.0.servers.0.maxconn'] ?? '', /whole number from 1 to 100000; leave it empty for no limit/, bad);
  }
  s.maxconn = '100000';
  assert.equal(checkStep('servers', d, null, { kind: 'new' })['backends.0.servers.0.maxconn'], undefined);
  const r = applyEdits(HEAD, [{ op: 'set-backend', backend: { name: 'app', servers: [{ name: 'a', address: '127.0.0.1', port: 80, maxconn: 0 }] } }]);
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => p.field), ['backend.servers[0].maxconn']);
});

test('First available without a limit on any regular server is said in words; one limit, or another algorithm, takes it away', () => {
  const b = newBackend('app', 'http');
  b.servers = [
    { name: 's1', address: '127.0.0.1', port: '80', weight: '1', backup: false },
    { name: 's2', address: '127.0.0.1', port: '81', weight: '1', backup: true, maxconn: '10' },
  ];
  assert.equal(firstWithoutLimit(b), '', 'round robin needs no limit');
  b.algorithm = 'first';
  assert.match(firstWithoutLimit(b), /^Set Max connections on the servers .*without a limit the first server gets every request/);
  b.servers[0]!.maxconn = '10';
  assert.equal(firstWithoutLimit(b), '');
});
