import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import type { BackendSpec, ConfigEdit, EditResult } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };
const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\nfrontend www\n    bind 127.0.0.1:8080\n    default_backend app\n';

function edit(text: string, edits: ConfigEdit[]): string {
  const r = applyEdits(text, edits, parseOptions);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.text;
}

const backend = (extra: Partial<BackendSpec> = {}): BackendSpec => ({
  name: 'app', mode: 'http', balance: { algorithm: 'roundrobin' }, healthCheck: { type: 'none' },
  servers: [{ name: 'web1', address: '127.0.0.1', port: 8001 }, { name: 'web:2', address: '127.0.0.1', port: 8002 }],
  ...extra,
});

const app = (text: string) => formModel(parseConfig([{ name: 'x.cfg', text }], parseOptions).config).backends.find((b) => b.name === 'app')!;

test('sticky sessions by an inserted cookie: one cookie line, every server gets its name as cookie value (sanitized), read back by the form', () => {
  const text = edit(HEAD, [{ op: 'set-backend', backend: backend({ stickiness: { kind: 'cookie', cookie: 'SERVERID', mode: 'insert', indirect: true, nocache: true } }) }]);
  assert.match(text, /\n {4}cookie SERVERID insert indirect nocache\n/);
  assert.match(text, /server web1 127\.0\.0\.1:8001 cookie web1\n/);
  assert.match(text, /server web:2 127\.0\.0\.1:8002 cookie web_2\n/);
  const form = app(text);
  assert.deepEqual(form.stickiness, { kind: 'cookie', cookie: 'SERVERID', mode: 'insert', indirect: true, nocache: true });
  assert.equal(form.unknownDirectives, 0);
  // Applying the form as read changes nothing.
  assert.equal(edit(text, [{ op: 'set-backend', backend: form }]), text);
});

test('the application\'s own cookie (prefix), options the form does not show are kept, a server value given by hand stays and is not reused', () => {
  const text = HEAD + '\nbackend app\n    balance roundrobin\n    cookie JSESSIONID prefix nocache domain .home.arpa   # the app\'s session\n    server a 127.0.0.1:8001 cookie a\n    server b 127.0.0.1:8002\n';
  const form = app(text);
  assert.deepEqual(form.stickiness, { kind: 'cookie', cookie: 'JSESSIONID', mode: 'prefix', nocache: true, extra: ['domain', '.home.arpa'] });
  const servers = [...form.servers, { name: 'c', address: '127.0.0.1', port: 8003, extra: ['cookie', 'b'] }];
  const out = edit(text, [{ op: 'set-backend', backend: { ...form, servers } }]);
  assert.match(out, /cookie JSESSIONID prefix nocache domain \.home\.arpa {3}# the app's session\n/, 'an unchanged cookie line keeps its text');
  assert.match(out, /server b 127\.0\.0\.1:8002 cookie b2\n/);
  assert.match(out, /server c 127\.0\.0\.1:8003 cookie b\n/);
  // A server added on its own (set-server) gets a value too.
  const added = edit(out, [{ op: 'set-server', backend: 'app', server: { name: 'd', address: '127.0.0.1', port: 8004 } }]);
  assert.match(added, /server d 127\.0\.0\.1:8004 cookie d\n/);
  // Changing the mode rewrites the line with the kept options.
  const rewritten = edit(out, [{ op: 'set-backend', backend: { ...app(out), stickiness: { ...form.stickiness!, mode: 'rewrite' } } }]);
  assert.match(rewritten, /\n {4}cookie JSESSIONID rewrite nocache domain \.home\.arpa # the app's session\n/);
});

test('turning stickiness off removes the cookie line and the generated server values, not a value chosen by hand', () => {
  const on = edit(HEAD, [{ op: 'set-backend', backend: backend({ stickiness: { kind: 'cookie', cookie: 'SERVERID', mode: 'insert' } }) }]);
  const form = app(on);
  const servers = form.servers.map((s) => (s.name === 'web1' ? { ...s, extra: ['maxconn', '10', 'cookie', 'blue'] } : s));
  const { stickiness: _s, ...off } = { ...form, servers };
  const text = edit(on, [{ op: 'set-backend', backend: off }]);
  assert.doesNotMatch(text, /^\s*cookie /m);
  assert.match(text, /server web1 127\.0\.0\.1:8001 maxconn 10 cookie blue\n/);
  assert.match(text, /server web:2 127\.0\.0\.1:8002\n/);
  assert.equal(app(text).stickiness, undefined);
});

test('stickiness problems are told at their field', () => {
  const problems = (b: BackendSpec): string[] => {
    const r: EditResult = applyEdits(HEAD, [{ op: 'set-backend', backend: b }], parseOptions);
    return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
  };
  assert.match(problems(backend({ stickiness: { kind: 'cookie', cookie: 'my cookie', mode: 'insert' } }))[0]!, /^backend\.stickiness\.cookie: a cookie name of letters/);
  assert.match(problems(backend({ stickiness: { kind: 'cookie', cookie: 'a;b', mode: 'insert' } }))[0]!, /^backend\.stickiness\.cookie:/);
  assert.match(problems(backend({ stickiness: { kind: 'cookie', cookie: 'S', mode: 'sticky' as 'insert' } }))[0]!, /^backend\.stickiness\.mode:/);
  assert.match(problems(backend({ mode: 'tcp', stickiness: { kind: 'cookie', cookie: 'S', mode: 'insert' } }))[0]!, /^backend\.stickiness: sticky sessions by cookie need an HTTP backend.*balance source/);
  // A cookie the defaults give cannot be turned off from the backend's form.
  const inherited = HEAD.replace('    mode http\n', '    mode http\n    cookie SRV insert\n') + '\nbackend app\n    server web1 127.0.0.1:8001 cookie web1\n';
  assert.equal(app(inherited).stickiness?.cookie, 'SRV');
  const r = applyEdits(inherited, [{ op: 'set-backend', backend: backend() }], parseOptions);
  assert.ok(!r.ok && /comes from the defaults section \(line 3\)/.test(r.problems[0]!.message), JSON.stringify(r));
  // Kept as it is: no line of its own.
  assert.doesNotMatch(edit(inherited, [{ op: 'set-backend', backend: app(inherited) }]).split('backend app')[1]!, /cookie SRV/);
});

test('a passive cookie line (no mode) and one in a TCP backend are not the form\'s and stay as written', () => {
  const text = HEAD + '\nbackend app\n    cookie SRV\n    server a 127.0.0.1:8001 cookie a\n\nbackend raw\n    mode tcp\n    cookie SRV insert\n    server r 127.0.0.1:9001\n';
  const m = formModel(parseConfig([{ name: 'x.cfg', text }], parseOptions).config);
  assert.equal(m.backends[0]!.stickiness, undefined);
  assert.equal(m.backends[0]!.unknownDirectives, 1);
  assert.equal(edit(text, m.backends.map((b) => ({ op: 'set-backend' as const, backend: b }))), text);
});

test('sticky sessions chosen in the form replace a passive cookie line, which HAProxy would otherwise let win (its last cookie line counts)', () => {
  const text = HEAD + '\nbackend app\n    cookie JSESSIONID\n    server a 127.0.0.1:8001 cookie a\n    server b 127.0.0.1:8002 cookie b\n';
  const form = app(text);
  const sticky = edit(text, [{ op: 'set-backend', backend: { ...form, stickiness: { kind: 'cookie', cookie: 'SRV', mode: 'insert' } } }]);
  assert.deepEqual(sticky.match(/^ +cookie .*$/gm), ['    cookie SRV insert']);
  assert.deepEqual(app(sticky).stickiness, { kind: 'cookie', cookie: 'SRV', mode: 'insert' });
  assert.match(sticky, /server a 127\.0\.0\.1:8001 cookie a\n/, 'the values the servers had are kept');
});

test('every written stickiness is accepted by real HAProxy', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sticky-'));
  try {
    const variants: BackendSpec['stickiness'][] = [
      { kind: 'cookie', cookie: 'SERVERID', mode: 'insert', indirect: true, nocache: true, httponly: true, secure: true },
      { kind: 'cookie', cookie: 'JSESSIONID', mode: 'prefix' },
      { kind: 'cookie', cookie: 'PHPSESSID', mode: 'rewrite' },
      { kind: 'cookie', cookie: "odd!#$%&'*+.^_`|~-", mode: 'insert', extra: ['domain', '.home.arpa', 'maxidle', '30m'] },
    ];
    variants.forEach((stickiness, i) => {
      const text = edit(HEAD, [{ op: 'set-backend', backend: backend({ stickiness }) }]);
      assert.ok(parseConfig([{ name: 'x.cfg', text }], parseOptions).ok, text);
      const file = path.join(dir, `sticky-${i}.cfg`);
      fs.writeFileSync(file, text);
      const r = haproxyCheck(file, dir);
      assert.equal(r.status, 0, `${text}\n${r.output}`);
      assert.doesNotMatch(r.output, /WARNING/, r.output);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a backup server gets no generated cookie value (its clients go back to the regular servers)', () => {
  const text = edit(HEAD, [{ op: 'set-backend', backend: backend({
    stickiness: { kind: 'cookie', cookie: 'SERVERID', mode: 'insert' },
    servers: [{ name: 'web1', address: '127.0.0.1', port: 8001 }, { name: 'spare', address: '127.0.0.1', port: 8009, backup: true }],
  }) }]);
  assert.match(text, /server web1 127\.0\.0\.1:8001 cookie web1\n/);
  assert.match(text, /server spare 127\.0\.0\.1:8009 backup\n/);
});

test('turning stickiness off while renaming a server removes the value generated from its old name too', () => {
  const on = edit(HEAD, [{ op: 'set-backend', backend: backend({ stickiness: { kind: 'cookie', cookie: 'SERVERID', mode: 'insert' } }) }]);
  const form = app(on);
  const servers = form.servers.map((s) => (s.name === 'web1' ? { ...s, name: 'w1', previousName: 'web1' } : s));
  const { stickiness: _s, ...off } = { ...form, servers };
  const text = edit(on, [{ op: 'set-backend', backend: off }]);
  assert.doesNotMatch(text, /cookie/);
  assert.match(text, /\n {4}server w1 127\.0\.0\.1:8001\n {4}server web:2 127\.0\.0\.1:8002\n/, 'the renamed server stays first');
});
