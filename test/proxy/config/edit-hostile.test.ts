/**
 * Form fields that reach haproxy.cfg through the wizard and the edit forms (edit.ts), given hostile
 * values: line breaks, quotes, comment marks, NUL, Unicode line separators. Each is either refused
 * with the field it came from, or written so that it stays inside its own word: the edit never
 * adds a line, a directive or a section the form did not mean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits } from '../../../proxy/config/edit.ts';
import type { ConfigEdit } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

const BASE = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend app\n    server s1 127.0.0.1:9\n';
const INJECTIONS = ['x\n    bind 127.0.0.1:1', 'x\r\nlisten evil', 'x\rlisten evil', 'x\u2028listen evil', 'x\0bind', "x' bind", 'x" bind', 'x # comment', 'x\\\nbind', 'x$HOME', 'x) y'];

const fe = (over: object): ConfigEdit => ({ op: 'set-frontend', frontend: { name: 'web', binds: [{ address: '127.0.0.1', port: 8080 }], defaultBackend: 'app', ...over } } as ConfigEdit);
const be = (over: object): ConfigEdit => ({ op: 'set-backend', backend: { name: 'b2', servers: [{ name: 's', address: '127.0.0.1', port: 9 }], ...over } } as ConfigEdit);

/** Every free-text field of every edit, with `v` in it. */
const FIELDS: Array<[string, (v: string) => ConfigEdit]> = [
  ['frontend.name', (v) => fe({ name: v })],
  ['bind.address', (v) => fe({ binds: [{ address: v, port: 1 }] })],
  ['bind.raw', (v) => fe({ binds: [{ raw: v }] })],
  ['bind.crt', (v) => fe({ binds: [{ address: '', port: 1, ssl: true, crt: v }] })],
  ['bind.extra', (v) => fe({ binds: [{ address: '', port: 1, extra: [v] }] })],
  ['bind.caFile', (v) => fe({ binds: [{ address: '', port: 1, ssl: true, crt: 'a.pem', verify: 'required', caFile: v }] })],
  ['bind.crlFile', (v) => fe({ binds: [{ address: '', port: 1, ssl: true, crt: 'a.pem', verify: 'required', caFile: 'ca.pem', crlFile: v }] })],
  ['rule.raw', (v) => fe({ rules: [{ backend: 'app', raw: 'if ' + v }] })],
  ['rule.values', (v) => fe({ rules: [{ backend: 'app', match: { kind: 'host-is', values: [v] } }] })],
  ['rule.path', (v) => fe({ rules: [{ backend: 'app', match: { kind: 'path-begins', values: ['/' + v] } }] })],
  ['rule.header', (v) => fe({ rules: [{ backend: 'app', match: { kind: 'header-contains', header: v, values: ['a'] } }] })],
  ['rule.aclName', (v) => fe({ rules: [{ backend: 'app', aclName: v, match: { kind: 'host-is', values: ['a'] } }] })],
  ['rule.backend', (v) => fe({ rules: [{ backend: v, match: { kind: 'host-is', values: ['a'] } }] })],
  ['frontend.defaultBackend', (v) => fe({ defaultBackend: v })],
  ['backend.name', (v) => be({ name: v })],
  ['balance hdr', (v) => be({ balance: { algorithm: 'hdr', argument: v } })],
  ['balance rdp-cookie', (v) => be({ balance: { algorithm: 'rdp-cookie', argument: v } })],
  ['balance url_param', (v) => be({ balance: { algorithm: 'url_param', argument: v } })],
  ['balance random', (v) => be({ balance: { algorithm: 'random', argument: v } })],
  ['balance roundrobin argument', (v) => be({ balance: { algorithm: 'roundrobin', argument: v } })],
  ['balance algorithm', (v) => be({ balance: { algorithm: v } })],
  ['server.name', (v) => be({ servers: [{ name: v, address: '127.0.0.1', port: 1 }] })],
  ['server.address', (v) => be({ servers: [{ name: 's', address: v, port: 1 }] })],
  ['server.extra', (v) => be({ servers: [{ name: 's', address: 'a', port: 1, extra: [v] }] })],
  ['healthCheck.path', (v) => be({ healthCheck: { type: 'http', path: '/' + v } })],
  ['healthCheck.method', (v) => be({ healthCheck: { type: 'http', method: v } })],
  ['stickiness.cookie', (v) => be({ stickiness: { kind: 'cookie', cookie: v, mode: 'insert' } })],
  ['stickiness.extra', (v) => be({ stickiness: { kind: 'cookie', cookie: 'c', mode: 'insert', extra: [v] } })],
  ['emailAlert.myhostname', (v) => be({ emailAlert: { mailers: 'm', from: 'a@b.example', to: 'a@b.example', myhostname: v } })],
  ['emailAlert.from', (v) => be({ emailAlert: { mailers: 'm', from: v, to: 'a@b.example' } })],
  ['mailers.name', (v) => ({ op: 'set-mailers', mailers: { name: v, mailers: [{ name: 'm', address: 'a', port: 25 }] } } as ConfigEdit)],
  ['mailer.address', (v) => ({ op: 'set-mailers', mailers: { name: 'mm', mailers: [{ name: 'm', address: v, port: 25 }] } } as ConfigEdit)],
  ['set-server.backend', (v) => ({ op: 'set-server', backend: v, server: { name: 's', address: 'a', port: 1 } } as ConfigEdit)],
  ['set-frontend.previousName', (v) => ({ ...fe({}), previousName: v } as ConfigEdit)],
  ['remove-backend.name', (v) => ({ op: 'remove-backend', name: v } as ConfigEdit)],
];

/** The structure an edit leaves: line count and each section's kind, name and directive keywords. */
function shape(text: string): { lines: number; sections: string[] } {
  const parsed = parseConfig([{ name: 'haproxy.cfg', text }], { fileExists: () => true, readFile: () => '' });
  return {
    lines: text.split(/\r\n|\r|\n|\u2028|\u2029/).length,
    sections: parsed.config.sections.map((s) => `${s.kind} ${s.name}: ${s.directives.map((d) => d.keyword).join(',')}`),
  };
}

test('a hostile value in any form field is refused with that field, or stays inside its word: never an extra line, directive or section', () => {
  let refused = 0;
  let written = 0;
  for (const [field, edit] of FIELDS) {
    const harmless = applyEdits(BASE, [edit('x')]);
    for (const value of INJECTIONS) {
      const result = applyEdits(BASE, [edit(value)]);
      if (!result.ok) {
        refused++;
        assert.ok(result.problems.length > 0 && result.problems.every((p) => p.field !== '' && p.message !== ''), `${field} ${JSON.stringify(value)}: ${JSON.stringify(result.problems)}`);
        continue;
      }
      written++;
      assert.ok(harmless.ok, `${field}: the harmless value was refused: ${JSON.stringify(!harmless.ok && harmless.problems)}`);
      const got = shape(result.text);
      const meant = shape(harmless.ok ? harmless.text : '');
      // A raw condition is HAProxy text as the user wrote it: an unmatched quote makes its line a diagnostic, never a new line.
      if (field === 'rule.raw') assert.deepEqual([got.lines, got.sections.length], [meant.lines, meant.sections.length], `${field} ${JSON.stringify(value)}:\n${result.text}`);
      else assert.deepEqual(got, meant, `${field} ${JSON.stringify(value)} changed the structure:\n${result.text}`);
      assert.doesNotMatch(result.text, /[\0\u2028\u2029]/, `${field} ${JSON.stringify(value)} wrote a raw control character`);
    }
  }
  assert.ok(refused > 200 && written > 0, `${refused} refused, ${written} written`);
});

test('a routing rule kept as raw text must be one line: a line break in it is refused on its own field', () => {
  const result = applyEdits(BASE, [fe({ rules: [{ backend: 'app', raw: 'if TRUE\n    bind 127.0.0.1:1' }] })]);
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.problems.map((p) => p.field), ['frontend.rules[0].raw']);
  const fine = applyEdits(BASE, [fe({ rules: [{ backend: 'app', raw: 'if { path_beg /api } METH_POST' }] })]);
  assert.ok(fine.ok && fine.text.includes('    use_backend app if { path_beg /api } METH_POST\n'), fine.ok ? fine.text : JSON.stringify(fine.problems));
});

test('balance hdr() and rdp-cookie() take a header or cookie name: a parenthesis or a space is refused, not written inside the word', () => {
  for (const [algorithm, argument] of [['hdr', 'Host) x'], ['rdp-cookie', 'a b'], ['rdp-cookie', 'x)y']] as const) {
    const result = applyEdits(BASE, [be({ balance: { algorithm, argument } })]);
    assert.equal(result.ok, false, `${algorithm}(${argument})`);
    assert.deepEqual(!result.ok && result.problems.map((p) => p.field), ['backend.balance.argument']);
  }
  const fine = applyEdits(BASE, [be({ balance: { algorithm: 'rdp-cookie', argument: 'mstshash' } })]);
  assert.ok(fine.ok && fine.text.includes('balance rdp-cookie(mstshash)'));
});

test('forms on a backend of 60,000 servers: removing one, and a duplicate name at the very end, still answer right', () => {
  // Both were quadratic before (a scan of every server per server line: 59 s for this remove-server,
  // and an indexOf per name for the duplicate check); now one pass each, about a second here.
  // Speed is not asserted (bench/ measures speed); this keeps the large case's answers right.
  const n = 60_000;
  const text = `${BASE}backend big\n${Array.from({ length: n }, (_, i) => `    server s${i} 127.0.0.1:${1 + (i % 60_000)} check inter 5s`).join('\n')}\n`;
  const removed = applyEdits(text, [{ op: 'remove-server', backend: 'big', name: 's1' }]);
  assert.ok(removed.ok, JSON.stringify(!removed.ok && removed.problems));
  assert.equal(removed.text.split('\n').length, text.split('\n').length - 1);
  assert.ok(!removed.text.includes('server s1 127.0.0.1:2 ') && removed.text.includes('    server s2 127.0.0.1:3 check inter 5s\n'));

  const servers = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, address: '127.0.0.1', port: 1 + (i % 60_000) }));
  servers.push({ name: 's7', address: '127.0.0.1', port: 1 });
  const dup = applyEdits(text, [be({ name: 'big', servers })]);
  assert.equal(dup.ok, false);
  assert.deepEqual(!dup.ok && dup.problems.map((p) => [p.field, p.message]), [[`backend.servers[${n}].name`, "two servers are named 's7'"]]);
});
