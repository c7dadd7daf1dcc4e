/**
 * `balance hash <expr>` through the backend form: shown as what it is (algorithm hash, the
 * expression as its argument), kept as written when the form does not change it, written when
 * chosen, and the result accepted by `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import type { ConfigEdit } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };

const text = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend f
    bind 127.0.0.1:8080
    default_backend app

backend app
    balance   hash  req.cook(sid),lower   # one user, one server
    hash-type consistent
    server a 127.0.0.1:8001 check
`;

function edit(source: string, edits: ConfigEdit[]): string {
  const r = applyEdits(source, edits, parseOptions);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.text;
}

function app(source: string) {
  return formModel(parseConfig([{ name: 'x.cfg', text: source }], parseOptions).config).backends.find((b) => b.name === 'app')!;
}

test('the form shows balance hash with its expression and keeps the line as written through an edit', (t) => {
  const before = app(text);
  assert.deepEqual(before.balance, { algorithm: 'hash', argument: 'req.cook(sid),lower' });
  const edited = edit(text, [{ op: 'set-backend', backend: { ...before, servers: [...before.servers, { name: 'b', address: '127.0.0.1', port: 8002, check: true }] } }]);
  assert.equal(edited, text.replace('    server a 127.0.0.1:8001 check\n', '    server a 127.0.0.1:8001 check\n    server b 127.0.0.1:8002 check\n'));
  assert.deepEqual(app(edited).balance, before.balance);
  haproxyAccepts(t, edited);
});

test('choosing hash in the form writes the expression; another algorithm replaces it', (t) => {
  const plain = text.replace('    balance   hash  req.cook(sid),lower   # one user, one server\n', '    balance roundrobin\n');
  const chosen = edit(plain, [{ op: 'set-backend', backend: { ...app(plain), balance: { algorithm: 'hash', argument: 'req.hdr(x-user),lower' } } }]);
  assert.match(chosen, /\n    balance hash req\.hdr\(x-user\),lower\n/);
  haproxyAccepts(t, chosen);
  const back = edit(text, [{ op: 'set-backend', backend: { ...app(text), balance: { algorithm: 'leastconn' } } }]);
  assert.match(back, /\n    balance leastconn # one user, one server\n/);
});

test('a hash the backend inherits from its defaults section stays inherited', () => {
  const inherited = text.replace('    balance   hash  req.cook(sid),lower   # one user, one server\n', '').replace('    timeout server 5s\n', '    timeout server 5s\n    balance hash src\n');
  const before = app(inherited);
  assert.deepEqual(before.balance, { algorithm: 'hash', argument: 'src' });
  assert.equal(edit(inherited, [{ op: 'set-backend', backend: before }]), inherited);
});

test('the form refuses hash without an expression, per field', () => {
  for (const argument of [undefined, '', 'a\nb']) {
    const r = applyEdits(text, [{ op: 'set-backend', backend: { ...app(text), balance: { algorithm: 'hash', ...(argument !== undefined ? { argument } : {}) } } }], parseOptions);
    assert.ok(!r.ok, JSON.stringify(argument));
    assert.equal(r.problems[0]!.field, 'backend.balance.argument');
  }
});

function haproxyAccepts(t: Parameters<typeof requireHaproxy>[0], config: string): void {
  assert.ok(parseConfig([{ name: 'x.cfg', text: config }], parseOptions).ok);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-edit-hash-'));
  try {
    fs.writeFileSync(path.join(dir, 'h.cfg'), config);
    const r = haproxyCheck(path.join(dir, 'h.cfg'), dir);
    assert.equal(r.status, 0, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
