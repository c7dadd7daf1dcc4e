import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits } from '../../../proxy/config/edit.ts';
import type { ConfigEdit, FrontendSpec, BackendSpec } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { defaultConfigText } from '../../../proxy/admin/default-config.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };
const firstRun = defaultConfigText({ frontend: 18080, web1: 18081, web2: 18082, api1: 18083 });

function edit(text: string, edits: ConfigEdit[]): string {
  const r = applyEdits(text, edits, parseOptions);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.text;
}

function tcpService(name: string, port: number): ConfigEdit[] {
  const frontend: FrontendSpec = { name, mode: 'tcp', binds: [{ address: '127.0.0.1', port }], defaultBackend: `${name}-servers`, rules: [] };
  const backend: BackendSpec = { name: `${name}-servers`, mode: 'tcp', balance: { algorithm: 'roundrobin' }, healthCheck: { type: 'tcp' }, servers: [{ name: `${name}1`, address: '127.0.0.1', port: port + 1 }] };
  return [{ op: 'set-frontend', frontend }, { op: 'set-backend', backend }];
}

function warnings(text: string): string[] {
  const parsed = parseConfig([{ name: 'haproxy.cfg', text }], parseOptions);
  assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
  return parsed.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
}

/** Every line of `before` is still in `after`, in order: the edit only added lines (and changed `changed` of them). */
function onlyAdded(before: string, after: string): void {
  const rest = after.split('\n');
  let at = 0;
  for (const line of before.split('\n')) {
    const found = rest.indexOf(line, at);
    assert.ok(found >= 0, `line ${JSON.stringify(line)} is gone or moved:\n${after}`);
    at = found + 1;
  }
}

test('a TCP service added to the first-run configuration goes under its own defaults: no warning from Loadstar or from haproxy -c', (t) => {
  // Before: 'option forwardfor' ignored twice (in the frontend and the backend).
  const text = edit(firstRun, tcpService('db', 15432));
  assert.match(text, /^defaults tcp\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\ndefaults\n/m);
  assert.match(text, /^frontend db from tcp$/m);
  assert.match(text, /^backend db-servers from tcp$/m);
  assert.deepEqual(warnings(text), []);
  onlyAdded(firstRun, text);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-tcp-defaults-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
    const r = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
    assert.equal(r.status, 0, r.output);
    const warned = r.output.split('\n').filter((l) => l.includes('[WARNING]'));
    assert.deepEqual(warned, [], `${text}\n${r.output}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second TCP service reuses the TCP defaults, and an HTTP service added after them still inherits the HTTP defaults', () => {
  let text = edit(firstRun, tcpService('db', 15432));
  text = edit(text, tcpService('mqtt', 11883));
  assert.equal(text.match(/^defaults tcp/gm)?.length, 1);
  assert.match(text, /^frontend mqtt from tcp$/m);
  text = edit(text, [
    { op: 'set-frontend', frontend: { name: 'site', mode: 'http', binds: [{ address: '127.0.0.1', port: 18090 }], defaultBackend: 'demo-web', rules: [] } },
  ]);
  assert.match(text, /^frontend site$/m);
  const config = parseConfig([{ name: 'haproxy.cfg', text }], parseOptions).config;
  const site = config.proxies.find((p) => p.name === 'site')!;
  assert.equal(site.mode, 'http');
  assert.equal(site.options.forwardfor?.enabled, true);
  assert.deepEqual(warnings(text), []);
});

test('renaming a service under the TCP defaults keeps its `from`', () => {
  let text = edit(firstRun, tcpService('db', 15432));
  text = edit(text, [{ op: 'set-frontend', previousName: 'db', frontend: { name: 'postgres', mode: 'tcp', binds: [{ address: '127.0.0.1', port: 15432 }], defaultBackend: 'db-servers', rules: [] } }]);
  assert.match(text, /^frontend postgres from tcp$/m);
  assert.deepEqual(warnings(text), []);
});

test('defaults without HTTP-only options, or a section that names its defaults, are left as they are', () => {
  const plain = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
  const text = edit(plain, tcpService('db', 15432));
  assert.doesNotMatch(text, /defaults tcp|from/);
  const named = `defaults mine\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n${firstRun}\nfrontend db from mine\n    bind 127.0.0.1:15432\n    default_backend demo-web\n`;
  const edited = edit(named, [{ op: 'set-frontend', frontend: { name: 'db', mode: 'tcp', binds: [{ address: '127.0.0.1', port: 15433 }], defaultBackend: 'demo-web', rules: [] } }]);
  assert.match(edited, /^frontend db from mine$/m);
  assert.doesNotMatch(edited, /defaults tcp/);
});

test('the TCP defaults take a free name when `tcp` is taken by something else', () => {
  const text = `defaults tcp\n    mode http\n    option forwardfor\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n${firstRun}`;
  const edited = edit(text, tcpService('db', 15432));
  assert.match(edited, /^defaults tcp-2$/m);
  assert.match(edited, /^frontend db from tcp-2$/m);
  assert.deepEqual(warnings(edited), []);
});

test('a TCP service saved without changes, or an existing one, keeps its place under the defaults it had', () => {
  const text = `${firstRun}\nfrontend db\n    mode tcp\n    bind 127.0.0.1:15432\n    default_backend demo-web\n`;
  const same = edit(text, [{ op: 'set-frontend', frontend: { name: 'db', mode: 'tcp', binds: [{ address: '127.0.0.1', port: 15432 }], defaultBackend: 'demo-web', rules: [] } }]);
  assert.equal(same, text);
  // An HTTP frontend switched to TCP by its form moves under the TCP defaults.
  const http = `${firstRun}\nfrontend site\n    bind 127.0.0.1:18090\n    default_backend demo-web\n`;
  const switched = edit(http, [{ op: 'set-frontend', frontend: { name: 'site', mode: 'tcp', binds: [{ address: '127.0.0.1', port: 18090 }], defaultBackend: 'demo-web', rules: [] } }]);
  assert.match(switched, /^frontend site from tcp\n    mode tcp$/m);
});

test('defaults with TCP rules are not copied: HAProxy refuses one section with rules inherited by both a frontend and a backend', () => {
  const text = 'defaults web\n    mode http\n    option forwardfor\n    tcp-request content accept\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
  const edited = edit(text, tcpService('db', 15432));
  assert.doesNotMatch(edited, /defaults tcp|from tcp/);
});

test("defaults that log with `option httplog` give the TCP services `option tcplog`", () => {
  const text = 'global\n    log stdout format raw local0\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
  const edited = edit(text, tcpService('db', 15432));
  assert.match(edited, /^defaults tcp\n    mode tcp\n    log global\n    option tcplog\n/m);
  assert.match(edited, /^frontend db from tcp$/m);
  assert.deepEqual(warnings(edited), []);
});

test('removing the last service under the TCP defaults removes the defaults section Loadstar added: the file is as it was, and haproxy -c accepts it', (t) => {
  const added = edit(firstRun, tcpService('db', 15432));
  // The frontend goes, the backend still names the TCP defaults: they stay.
  const half = edit(added, [{ op: 'remove-frontend', name: 'db' }]);
  assert.match(half, /^defaults tcp$/m);
  assert.match(half, /^backend db-servers from tcp$/m);
  const gone = edit(half, [{ op: 'remove-backend', name: 'db-servers' }]);
  assert.equal(gone, firstRun);
  // Both in one batch, the other way round.
  assert.equal(edit(added, [{ op: 'remove-backend', name: 'db-servers' }, { op: 'remove-frontend', name: 'db' }].reverse() as ConfigEdit[]), firstRun);
  // Two services: removing one keeps the section for the other.
  const two = edit(added, tcpService('mqtt', 11883));
  const one = edit(two, [{ op: 'remove-frontend', name: 'db' }, { op: 'remove-backend', name: 'db-servers' }]);
  assert.match(one, /^defaults tcp$/m);
  assert.match(one, /^frontend mqtt from tcp$/m);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-tcp-defaults-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), gone);
    const r = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
    assert.equal(r.status, 0, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TCP defaults stay when something still uses them, or when the user wrote them', () => {
  const added = edit(firstRun, tcpService('db', 15432));
  // A section the user put between the TCP defaults and the HTTP ones inherits the TCP defaults without naming them.
  const between = added.replace(/\ndefaults\n/, '\nbackend raw\n    server r1 127.0.0.1:15999\n\ndefaults\n');
  const kept = edit(between, [{ op: 'remove-frontend', name: 'db' }, { op: 'remove-backend', name: 'db-servers' }]);
  assert.match(kept, /^defaults tcp$/m);
  assert.match(kept, /^backend raw$/m);
  // A defaults section that names them in `from`.
  const chained = `${added}\ndefaults more from tcp\n    timeout client 1m\n\nbackend other\n    server o1 127.0.0.1:15998\n`;
  assert.match(edit(chained, [{ op: 'remove-frontend', name: 'db' }, { op: 'remove-backend', name: 'db-servers' }]), /^defaults tcp$/m);
  // The same section without Loadstar's note above it is the user's: it stays.
  const own = added.replace(/^# TCP services .*\n/m, '');
  assert.match(edit(own, [{ op: 'remove-frontend', name: 'db' }, { op: 'remove-backend', name: 'db-servers' }]), /^defaults tcp$/m);
});
