/**
 * The wizard's drafts (renderer/src/lib/wizard.ts) turn into the contract's
 * edits: the seed's three sites as a user fills the steps become texts the
 * engine's edit code accepts, that mean what the seed means and that real
 * HAProxy accepts (haproxy -c); engine
 * problems map back to the step and field that caused them.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haproxyCheck, requireHaproxy } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import {
  algorithmsFor, backendDraft, backendSpec, badAddress, hostValuesWithPort, badIpv4, checkStep, chooseSticky, createsBackends, stickyWords, editsOf, fieldOfProblem, frontendDraft, listenReasonIsAddress, newBackend, newSite, redirectNote, stepOfField, stepsFor, syncBackends, type SiteDraft,
} from '../../../renderer/src/lib/wizard.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';

function servers(d: SiteDraft, backend: string, list: Array<[string, string, string]>): void {
  const b = d.backends.find((x) => x.name === backend)!;
  b.servers = list.map(([name, address, port]) => ({ name, address, port, weight: '1', backup: false }));
}

/** Real HAProxy accepts `text` (`haproxy -c`), when it is installed. */
function assertHaproxyAccepts(t: TestContext, text: string): void {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-wizard-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
    const check = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
    assert.equal(check.status, 0, `${text}\n${check.output}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The text the wizard's edits write from a small base; it parses, and real HAProxy accepts it. */
function build(t: TestContext, d: SiteDraft): string {
  const { edits } = editsOf(d, { kind: 'new' });
  const r = applyEdits(HEAD, edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const parsed = parseConfig([{ name: 'w.cfg', text: r.text }]);
  assert.ok(parsed.ok, parsed.diagnostics.map((x) => x.message).join('\n'));
  assertHaproxyAccepts(t, r.text);
  return r.text;
}

test('the seed round-robin site filled in as a user does becomes a frontend and a checked round-robin backend', (t) => {
  const d = newSite('http');
  d.port = '80';
  syncBackends(d, null);
  d.backends[0]!.name = 'web_backend';
  servers(d, 'web_backend', [['webserver1', '192.168.1.10', '80'], ['webserver2', '192.168.1.11', '80']]);
  const text = build(t, d);
  assert.match(text, /frontend http_frontend\n {4}mode http\n {4}bind \*:80\n {4}default_backend web_backend/);
  assert.match(text, /balance roundrobin/);
  assert.match(text, /server webserver1 192\.168\.1\.10:80 check/);
});

test('the seed TLS site gets ssl crt, a plain listener and the 301 redirect', (t) => {
  const d = newSite('https');
  d.certPath = certPath('site.pem');
  d.httpPort = '80';
  d.defaultBackend = 'http_backend';
  syncBackends(d, null);
  servers(d, 'http_backend', [['webserver1', '192.168.1.10', '80']]);
  const text = build(t, d);
  assert.ok(text.includes(`bind *:443 ssl crt ${d.certPath}\n`));
  assert.match(text, /bind \*:80\n/);
  assert.match(text, /http-request redirect scheme https code 301 unless \{ ssl_fc \}/);
});

test('the seed ACL site routes by host and path to backends the routing step named', (t) => {
  const d = newSite('http');
  d.rules = [
    { kind: 'host-is', header: '', values: 'api.example.com', backend: 'api_backend' },
    { kind: 'path-begins', header: '', values: '/static/', backend: 'static_backend' },
  ];
  syncBackends(d, null);
  assert.deepEqual(d.backends.map((b) => b.name), ['api_backend', 'static_backend', 'web_backend']);
  servers(d, 'api_backend', [['api1', '192.168.1.20', '8000'], ['api2', '192.168.1.21', '8000']]);
  servers(d, 'static_backend', [['static1', '192.168.1.30', '9000']]);
  servers(d, 'web_backend', [['web1', '192.168.1.10', '80']]);
  const model = formModel(parseConfig([{ name: 'w.cfg', text: build(t, d) }]).config);
  assert.deepEqual(model.frontends[0]!.rules.map((r) => [r.backend, r.match]), [
    ['api_backend', { kind: 'host-is', values: ['api.example.com'] }],
    ['static_backend', { kind: 'path-begins', values: ['/static/'] }],
  ]);
  assert.equal(model.frontends[0]!.defaultBackend, 'web_backend');
});

test('an edited frontend and backend keep what the forms do not show', () => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080 alpn h2,http/1.1\n    bind :8443,:9443\n    use_backend api if { path_beg /api } METH_POST\n    default_backend web\nbackend web\n    server w1 127.0.0.1:8001 check maxconn 50\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const f = frontendDraft(model.frontends[0]!);
  assert.equal(f.rules[0]!.kind, 'raw');
  assert.deepEqual(f.mainBind?.extra, ['alpn', 'h2,http/1.1']);
  assert.equal(f.keptBinds.length, 1);
  const b = backendDraft(model.backends[0]!);
  assert.equal(b.servers[0]!.extra, undefined);
  assert.equal(b.servers[0]!.maxconn, '50');
  const { edits } = editsOf({ ...f, backends: [] }, { kind: 'frontend', name: 'www' });
  const r = applyEdits(text, edits);
  assert.ok(r.ok);
  assert.equal(r.text, text, 'an unchanged form writes the text back unchanged');
});

test('a backend balancing by hash keeps its expression through the form; the balance step wants one', (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    balance hash req.cook(sid),lower # per user\n    server a1 127.0.0.1:8001 check\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const b = backendDraft(model.backends[0]!);
  assert.equal(b.algorithm, 'hash');
  assert.equal(b.argument, 'req.cook(sid),lower');
  const r = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.text, text, 'an unchanged form writes the text back unchanged');
  b.servers.push({ name: 'a2', address: '127.0.0.1', port: '8002', weight: '1', backup: false });
  const added = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(added.ok, JSON.stringify(added));
  assert.match(added.text!, /balance hash req\.cook\(sid\),lower # per user\n/);
  assertHaproxyAccepts(t, added.text!);
  const site = { ...newSite('http'), backends: [{ ...b, argument: ' ' }] };
  assert.match(checkStep('balance', site, null, { kind: 'new' })['backends.0.argument'] ?? '', /expression/);
  assert.equal(checkStep('balance', { ...site, backends: [b] }, null, { kind: 'new' })['backends.0.argument'], undefined);
});

test('steps refuse wrong fields in words, and engine problems land on their step and field', () => {
  const d = newSite('http');
  d.port = '70000';
  d.rules = [{ kind: 'path-begins', header: '', values: 'static', backend: 'x y' }];
  const listen = checkStep('listen', d, null, { kind: 'new' });
  assert.match(listen['listen.port']!, /not a port/);
  const routing = checkStep('routing', d, null, { kind: 'new' });
  assert.match(routing['rules.0.values']!, /starts with '\/'/);
  assert.match(routing['rules.0.backend']!, /no spaces/);
  const owners = editsOf({ ...newSite('http'), backends: [newBackend('b', 'http')] }, { kind: 'new' }).owners;
  assert.equal(fieldOfProblem({ edit: 0, field: 'frontend.binds[0].port', message: '' }, owners), 'listen.port');
  assert.equal(fieldOfProblem({ edit: 0, field: 'frontend.binds[1].port', message: '' }, owners), 'tls.httpPort');
  assert.equal(fieldOfProblem({ edit: 0, field: 'frontend.rules[2].match.values', message: '' }, owners), 'rules.2.values');
  assert.equal(fieldOfProblem({ edit: 1, field: 'backend.servers[1].address', message: '' }, owners), 'backends.0.servers.1.address');
  assert.equal(fieldOfProblem({ edit: 1, field: 'backend.healthCheck.interMs', message: '' }, owners), 'backends.0.health.inter');
  assert.equal(stepOfField('backends.0.health.inter', { kind: 'new' }), 'health');
  assert.equal(stepOfField('backends.0.argument', { kind: 'new' }), 'balance');
  assert.equal(stepOfField('backends.0.servers.1.address', { kind: 'new' }), 'servers');
  // A new site's name is asked on What; an edited frontend's on Listen (its form has no What step).
  assert.equal(stepOfField('name', { kind: 'new' }), 'what');
  assert.equal(stepOfField('name', { kind: 'frontend', name: 'www' }), 'listen');
});

test("an edited frontend renamed to another frontend's name is refused at Listen, its own name is fine", () => {
  const model = formModel(parseConfig([{ name: 'h.cfg', text: 'defaults\n    mode http\n\nfrontend www\n    bind :8080\n    default_backend app\n\nfrontend api\n    bind :8081\n    default_backend app\n\nbackend app\n    server a 127.0.0.1:1\n' }]).config);
  const mode = { kind: 'frontend', name: 'www' } as const;
  const d = frontendDraft(model.frontends.find((f) => f.name === 'www')!);
  assert.equal(checkStep('listen', d, model, mode).name, undefined);
  assert.match(checkStep('listen', { ...d, name: 'api' }, model, mode).name ?? '', /A frontend named 'api' exists already/);
  assert.match(checkStep('what', { ...d, name: 'api', originalName: undefined }, model, { kind: 'new' }).name ?? '', /exists already/);
});

test("an imported certificate's name follows the store's rule before the engine is asked", () => {
  const d = newSite('http');
  d.tls = 'import';
  d.importPem = '-----BEGIN CERTIFICATE-----\n';
  for (const [name, refused] of [['nas.home.arpa', false], ['wildcard.home_lab-1', false], ['a:b', true], ['.hidden', true], ['x'.repeat(65), true]] as const) {
    d.importName = name;
    assert.equal(checkStep('tls', d, null, { kind: 'new' })['tls.importName'] !== undefined, refused, name);
  }
});

test('an impossible IPv4 address is refused at its own field (listen and server), not reported as a busy port', () => {
  const d = newSite('http');
  d.address = '999.1.1.1';
  d.port = '8080';
  const listen = checkStep('listen', d, null, { kind: 'new' });
  assert.match(listen['listen.address']!, /999\.1\.1\.1 is not an IP address/);
  assert.equal(listen['listen.port'], undefined);
  for (const ok of ['', '127.0.0.1', '0.0.0.0', '255.255.255.255', 'nas.home.arpa', '::1']) assert.equal(badIpv4(ok), undefined, ok);
  for (const bad of ['256.1.1.1', '10.0.0', '1.2.3.4.5', '1..2.3']) assert.match(badIpv4(bad)!, /not an IP address/, bad);
  const b = newBackend('web', 'http');
  b.servers[0]!.address = '192.168.1.300';
  b.servers[0]!.port = '80';
  const servers = checkStep('servers', { ...newSite('http'), backends: [b] }, null, { kind: 'new' });
  assert.match(servers['backends.0.servers.0.address']!, /192\.168\.1\.300 is not an IP address/);
  // The engine's listen check: an address this machine lacks or a name that does not resolve is the address's fault.
  assert.equal(listenReasonIsAddress('this machine has no address 192.0.2.1'), true);
  assert.equal(listenReasonIsAddress('getaddrinfo ENOTFOUND nas.invalid'), true);
  assert.equal(listenReasonIsAddress('another program already listens on 127.0.0.1:8080'), false);
  assert.equal(listenReasonIsAddress(undefined), false);
});

test('editing a running frontend into the seed ACL site creates the backends its new rules name (servers, balancing, health steps)', (t) => {
  const text = `${HEAD}frontend http_frontend\n    mode http\n    bind 127.0.0.1:8080\n    default_backend http_backend\n\nbackend http_backend\n    mode http\n    server webserver1 127.0.0.1:8001 check\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const mode = { kind: 'frontend', name: 'http_frontend' } as const;
  const d = frontendDraft(model.frontends[0]!);
  assert.deepEqual(stepsFor(mode, d.kind, d.backends.length > 0), ['listen', 'tls', 'routing', 'review'], 'nothing new to create: no server steps');
  d.rules = [
    { kind: 'host-is', header: '', values: 'api.example.com', backend: 'api_backend' },
    { kind: 'path-begins', header: '', values: '/static/', backend: 'static_backend' },
  ];
  d.defaultBackend = 'http_backend';
  syncBackends(d, model);
  assert.deepEqual(d.backends.map((b) => b.name), ['api_backend', 'static_backend'], 'only the backends that do not exist');
  assert.deepEqual(stepsFor(mode, d.kind, true), ['listen', 'tls', 'routing', 'servers', 'balance', 'health', 'review']);
  servers(d, 'api_backend', [['api1', '127.0.0.1', '8002'], ['api2', '127.0.0.1', '8003']]);
  servers(d, 'static_backend', [['static1', '127.0.0.1', '8004']]);
  const { edits, owners } = editsOf(d, mode);
  assert.deepEqual(edits.map((e) => e.op), ['set-frontend', 'set-backend', 'set-backend']);
  assert.equal(fieldOfProblem({ edit: 2, field: 'backend.servers[0].port', message: '' }, owners), 'backends.1.servers.0.port');
  const r = applyEdits(text, edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const parsed = parseConfig([{ name: 'w.cfg', text: r.text }]);
  assert.ok(parsed.ok, parsed.diagnostics.map((x) => x.message).join('\n'));
  assert.match(r.text, /backend api_backend\n(?: {4}.*\n)* {4}server api1 127\.0\.0\.1:8002 check/);
  assert.match(r.text, /backend http_backend\n {4}mode http\n {4}server webserver1 127\.0\.0\.1:8001 check\n/, 'the existing backend is untouched');
  assertHaproxyAccepts(t, r.text);
});

test('a server added in the form to a backend with cookie persistence gets a cookie value too; the servers from the text stay as written', (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    cookie SERVERID insert indirect nocache\n`
    + `    server a1 127.0.0.1:8001 check cookie a1\n    server a2 127.0.0.1:8002 check cookie a2\n    server spare 127.0.0.1:8009 check backup\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const b = backendDraft(model.backends[0]!);
  b.servers.push({ name: 'a3', address: '127.0.0.1', port: '8003', weight: '1', backup: false }, { name: 'a1x', address: '127.0.0.1', port: '8004', weight: '1', backup: false });
  b.servers[4]!.name = 'a4';
  const spec = backendSpec(b);
  assert.deepEqual(spec.servers.map((s) => s.extra ?? []), [['cookie', 'a1'], ['cookie', 'a2'], [], ['cookie', 'a3'], ['cookie', 'a4']],
    'new servers get their names as cookie values; the backup server written without one keeps none');
  const r = applyEdits(text, [{ op: 'set-backend', backend: spec, previousName: 'app' }]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text!, /server a3 127\.0\.0\.1:8003 .*cookie a3/);
  assertHaproxyAccepts(t, r.text!);
  // A cookie value another server uses already is not given twice; a backend without cookie values adds none.
  const clash = backendDraft(model.backends[0]!);
  clash.servers.push({ name: 'a1', address: '127.0.0.1', port: '8005', weight: '1', backup: false });
  assert.deepEqual(backendSpec(clash).servers.at(-1)!.extra, ['cookie', 'a12']);
  const plain = newBackend('web', 'http');
  plain.servers = [{ name: 'w1', address: '127.0.0.1', port: '8001', weight: '1', backup: false }];
  assert.equal(backendSpec(plain).servers[0]!.extra, undefined);
});

test('sticky sessions in the draft: read from the form (mode and unshown options kept), chosen, checked at the cookie field, and said in words', (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    cookie PHPSESSID rewrite domain .home.arpa\n`
    + '    server a1 127.0.0.1:8001 cookie a1\n    server a2 127.0.0.1:8002\n';
  const b = backendDraft(formModel(parseConfig([{ name: 'x', text }]).config).backends[0]!);
  assert.equal(b.sticky, 'app-cookie');
  assert.equal(b.stickyCookie, 'PHPSESSID');
  assert.deepEqual(backendSpec(b).stickiness, { kind: 'cookie', cookie: 'PHPSESSID', mode: 'rewrite', extra: ['domain', '.home.arpa'] });
  const r = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text, /cookie PHPSESSID rewrite domain \.home\.arpa\n/);
  assert.match(r.text, /server a2 127\.0\.0\.1:8002 cookie a2\n/);
  assertHaproxyAccepts(t, r.text);
  assert.equal(stickyWords(b), "by the application's cookie PHPSESSID");

  // Loadstar's own cookie: its usual name and options; the application's name is not carried over.
  chooseSticky(b, 'cookie');
  assert.equal(b.stickyCookie, 'SERVERID');
  assert.deepEqual(backendSpec(b).stickiness, { kind: 'cookie', cookie: 'SERVERID', mode: 'insert', extra: ['domain', '.home.arpa'] });
  const fresh = newBackend('web', 'http');
  chooseSticky(fresh, 'cookie');
  assert.deepEqual(backendSpec(fresh).stickiness, { kind: 'cookie', cookie: 'SERVERID', mode: 'insert', indirect: true, nocache: true, httponly: true });
  assert.equal(stickyWords(fresh), 'by a cookie Loadstar adds, SERVERID (hidden from the servers, kept out of shared caches, HttpOnly)');
  fresh.stickyCookie = 'my cookie';
  const site = { ...newSite('http'), backends: [fresh] };
  assert.match(checkStep('balance', site, null, { kind: 'new' })['backends.0.stickyCookie']!, /no spaces/);
  assert.equal(stepOfField('backends.0.stickyCookie', { kind: 'new' }), 'balance');

  // The visitor's IP address is the source algorithm; another algorithm leaves it; off means no stickiness.
  chooseSticky(fresh, 'ip');
  assert.equal(fresh.algorithm, 'source');
  assert.equal(backendSpec(fresh).stickiness, undefined);
  chooseSticky(fresh, 'off');
  assert.equal(fresh.algorithm, 'roundrobin');
  // A TCP backend has no cookie stickiness, whatever the draft says.
  const tcp = newBackend('db', 'tcp');
  tcp.sticky = 'cookie';
  tcp.stickyCookie = 'X';
  assert.equal(backendSpec(tcp).stickiness, undefined);
});

test('a sticky cookie from the defaults section cannot be turned off from the backend form: the engine says where, at the balancing step', () => {
  const text = `${HEAD.replace('    mode http\n', '    mode http\n    cookie SRV insert\n')}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    server a1 127.0.0.1:8001 cookie a1\n`;
  const b = backendDraft(formModel(parseConfig([{ name: 'x', text }]).config).backends[0]!);
  assert.equal(b.sticky, 'cookie');
  chooseSticky(b, 'off');
  const r = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(!r.ok);
  const field = fieldOfProblem(r.problems[0]!, [{ kind: 'backend', index: 0 }]);
  assert.equal(field, 'backends.0.stickyCookie');
  assert.equal(stepOfField(field, { kind: 'new' }), 'balance');
  assert.match(r.problems[0]!.message, /comes from the defaults section \(line 3\): remove it there, in the editor/);
});

test('a new site is offered names the running configuration does not use yet: http_frontend2 and web_backend2 next to the first site, and the name step passes as offered', () => {
  const text = `${HEAD}\nfrontend http_frontend\n    bind 127.0.0.1:8080\n    default_backend web_backend\n\nfrontend https_frontend\n    bind 127.0.0.1:8443\n    default_backend web_backend\n\nfrontend https_frontend2\n    bind 127.0.0.1:8444\n    default_backend web_backend\n\nbackend web_backend\n    server s1 127.0.0.1:9000\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const d = newSite('http', model);
  assert.equal(d.name, 'http_frontend2');
  assert.equal(d.defaultBackend, 'web_backend2');
  assert.deepEqual(checkStep('what', d, model, { kind: 'new' }), {}, 'the offered name is not refused as existing');
  assert.equal(newSite('https', model).name, 'https_frontend3');
  assert.equal(newSite('tcp', model).name, 'tcp_service', 'a free name stays as it is');
  assert.equal(newSite('http').name, 'http_frontend', 'without a configuration, the plain names');
});

test('the HTTPS site\'s redirect is explained when HTTPS is not on port 443: it leads to 443 (or the plain port), not to the site', () => {
  const d = newSite('https');
  assert.equal(d.port, '443');
  assert.equal(redirectNote(d), '', 'on 443 the redirect reaches the site');
  d.port = '8443';
  assert.match(redirectNote(d), /leads to port 443 .*not to port 8443.*https:\/\/…:8443\//);
  d.redirect = false;
  assert.equal(redirectNote(d), '', 'no redirect, nothing to say');
  d.redirect = true;
  d.tls = 'none';
  assert.equal(redirectNote(d), '', 'no TLS, no redirect written');
});

test('a new site routed only to backends that exist has no Servers, Balancing or Health step (they showed nothing)', () => {
  const text = `${HEAD}frontend http_frontend\n    mode http\n    bind 127.0.0.1:8080\n    default_backend http_backend\n\nbackend http_backend\n    mode http\n    server webserver1 127.0.0.1:8001 check\n`;
  const model = formModel(parseConfig([{ name: 'x', text }]).config);
  const mode = { kind: 'new' } as const;
  const d = newSite('http', model);
  assert.equal(createsBackends(d, model), true, 'the proposed web_backend does not exist');
  assert.deepEqual(stepsFor(mode, d.kind, createsBackends(d, model)), ['what', 'listen', 'tls', 'routing', 'servers', 'balance', 'health', 'review']);
  d.defaultBackend = 'http_backend';
  assert.equal(createsBackends(d, model), false);
  assert.deepEqual(stepsFor(mode, d.kind, createsBackends(d, model)), ['what', 'listen', 'tls', 'routing', 'review']);
  assert.deepEqual(stepsFor(mode, 'tcp', false), ['what', 'listen', 'routing', 'review']);
  d.rules = [{ kind: 'path-begins', header: '', values: '/api/', backend: 'api_backend' }];
  assert.equal(createsBackends(d, model), true, 'a rule names a backend to create');
  d.rules = [];
  d.defaultBackend = '';
  assert.equal(createsBackends(d, model), true, 'nothing named yet');
  syncBackends(d, model);
  const { edits } = editsOf({ ...d, defaultBackend: 'http_backend', backends: [] }, mode, model);
  assert.deepEqual(edits.map((e) => e.op), ['set-frontend']);
});

test("a frontend whose own stats lines (stats realm …) turn the stats page on: the draft shows it kept, and saving the form writes no second `stats enable`", (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    stats enable\n    stats realm Lab\n    default_backend web\nbackend web\n    server w1 127.0.0.1:8001\n`;
  const f = frontendDraft(formModel(parseConfig([{ name: 'x', text }]).config).frontends[0]!);
  assert.deepEqual(f.statsKept, { uri: '/haproxy?stats', keyword: 'stats realm', line: 9 });
  assert.equal(f.stats, false, 'the checkbox the form owns is not set: the kept lines are shown on and locked');
  const { edits } = editsOf({ ...f, backends: [] }, { kind: 'frontend', name: 'www' });
  const r = applyEdits(text, edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.equal(r.text, text);
  assertHaproxyAccepts(t, r.text);
});

test('a URL, an address with its port and a broken host name are refused at the address field, saying what to type instead', () => {
  const b = newBackend('web', 'http');
  const site = { ...newSite('http'), backends: [b] };
  const serverError = (address: string, port = '80'): string | undefined => {
    b.servers[0]!.address = address;
    b.servers[0]!.port = port;
    return checkStep('servers', site, null, { kind: 'new' })['backends.0.servers.0.address'];
  };
  assert.equal(serverError('http://192.168.1.20'), 'http://192.168.1.20 is a web address: enter the host only (192.168.1.20), without http://.');
  assert.match(serverError('https://nas.home:8443/')!, /host only \(nas\.home\), without https:\/\/, and its port \(8443\) in the Port field/);
  assert.equal(serverError('192.168.1.21:8000', ''), 'Put the port in the Port field: address 192.168.1.21, port 8000.');
  assert.match(serverError('[fd00::1]:8080')!, /address fd00::1, port 8080/);
  assert.match(serverError('nas..home')!, /nas\.\.home is not a host name/);
  assert.match(serverError('-nas.home')!, /is not a host name/);
  // What HAProxy takes (or the engine judges) passes.
  for (const ok of ['192.168.1.20', 'nas.home.arpa', 'nas_box', 'localhost', '::1', 'fd00::1', 'unix@/run/app.sock', 'ipv4@10.0.0.1', '${APP_HOST}']) {
    assert.equal(badAddress(ok), undefined, ok);
  }
  const d = newSite('http');
  d.address = 'http://0.0.0.0';
  d.port = '8080';
  assert.match(checkStep('listen', d, null, { kind: 'new' })['listen.address']!, /is a web address: .*; leave it empty for every address\.$/);
});

test("a TCP backend is not offered HAProxy's HTTP-only balancing (path, parameter, header), unless it has one already", () => {
  const ids = (b: { mode: 'http' | 'tcp'; algorithm: string }) => algorithmsFor(b as Parameters<typeof algorithmsFor>[0]).map((a): string => a.id);
  assert.ok(ids({ mode: 'http', algorithm: 'roundrobin' }).includes('uri'));
  const tcp = ids({ mode: 'tcp', algorithm: 'roundrobin' });
  for (const httpOnly of ['uri', 'url_param', 'hdr']) assert.ok(!tcp.includes(httpOnly), httpOnly);
  for (const both of ['roundrobin', 'leastconn', 'source', 'rdp-cookie', 'hash']) assert.ok(tcp.includes(both), both);
  // A file's `balance uri` in a TCP backend stays shown as chosen (the form warns about it).
  assert.ok(ids({ mode: 'tcp', algorithm: 'uri' }).includes('uri'));
});

test('a Host-is rule on a site off its scheme\'s port is told the host:port values browsers send there', () => {
  const rule = { kind: 'host-is' as const, values: 'api.example.com, API.home.arpa 10.0.0.5:9502 fd00::1' };
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '9502', tls: 'none' }, rule), ['api.example.com:9502', 'API.home.arpa:9502']);
  // Already there (any case): nothing more to add.
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '9502', tls: 'none' }, { kind: 'host-is', values: 'a.example a.example:9502 b.example B.EXAMPLE:9502' }), []);
  // The scheme's own port: browsers leave it out.
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '80', tls: 'none' }, rule), []);
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '443', tls: 'local-ca' }, rule), []);
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '80', tls: 'local-ca' }, { kind: 'host-is', values: 'a.example' }), ['a.example:80']);
  // Other rules, TCP services and an unknown port are not about it.
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '9502', tls: 'none' }, { kind: 'path-begins', values: '/x' }), []);
  assert.deepEqual(hostValuesWithPort({ kind: 'tcp', port: '9502', tls: 'none' }, rule), []);
  assert.deepEqual(hostValuesWithPort({ kind: 'http', port: '', tls: 'none' }, rule), []);
});

test('turning health checks on or off in a backend form reaches the servers already there, keeping their other options', (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n`
    + '    server a1 127.0.0.1:8001 maxconn 50\n    server a2 127.0.0.1:8002\n';
  const b = backendDraft(formModel(parseConfig([{ name: 'x', text }]).config).backends[0]!);
  b.health = { ...b.health, type: 'http', path: '/health', inter: '1' };
  const on = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(on.ok, JSON.stringify(on));
  assert.match(on.text!, /option httpchk GET \/health\n/);
  assert.match(on.text!, /server a1 127\.0\.0\.1:8001 check inter 1s maxconn 50\n/);
  assert.match(on.text!, /server a2 127\.0\.0\.1:8002 check inter 1s\n/);
  assertHaproxyAccepts(t, on.text!);

  const back = backendDraft(formModel(parseConfig([{ name: 'x', text: on.text! }]).config).backends[0]!);
  back.health = { ...back.health, type: 'none' };
  const off = applyEdits(on.text!, [{ op: 'set-backend', backend: backendSpec(back), previousName: 'app' }]);
  assert.ok(off.ok, JSON.stringify(off));
  assert.doesNotMatch(off.text!, /option httpchk|check/);
  assert.match(off.text!, /server a1 127\.0\.0\.1:8001 maxconn 50\n {4}server a2 127\.0\.0\.1:8002\n/);

  // Checks staying on keep a server written without `check` as it is.
  const mixed = `${HEAD}backend app\n    server a1 127.0.0.1:8001 check\n    server a2 127.0.0.1:8002\n`;
  const m = backendDraft(formModel(parseConfig([{ name: 'x', text: mixed }]).config).backends[0]!);
  m.health = { ...m.health, type: 'http', path: '/health' };
  assert.deepEqual(backendSpec(m).servers.map((s) => s.check), [true, false]);
});

test('renaming a server in a backend form keeps its line where it is, before the backup server', (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    balance first\n`
    + '    server a1 127.0.0.1:8001 check maxconn 10\n    server a2 127.0.0.1:8002 check maxconn 10\n    server spare 127.0.0.1:8009 check backup\n';
  const b = backendDraft(formModel(parseConfig([{ name: 'x', text }]).config).backends[0]!);
  b.servers[0]!.name = 'a2';
  b.servers[1]!.name = 'a3';
  const r = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text!, /balance first\n {4}server a2 127\.0\.0\.1:8001 check maxconn 10\n {4}server a3 127\.0\.0\.1:8002 check maxconn 10\n {4}server spare 127\.0\.0\.1:8009 check backup\n$/);
  assertHaproxyAccepts(t, r.text!);
  // An unchanged form still writes nothing.
  const same = backendDraft(formModel(parseConfig([{ name: 'x', text }]).config).backends[0]!);
  const unchanged = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(same), previousName: 'app' }]);
  assert.ok(unchanged.ok);
  assert.equal(unchanged.text, text);
});

test('the routing step refuses a network past /32 and a Host given as a web address, at the field and in words', () => {
  const d = newSite('http');
  const routing = (kind: 'source-in' | 'host-is', values: string): string | undefined => {
    d.rules = [{ kind, header: '', values, backend: 'api' }];
    d.defaultBackend = 'web';
    return checkStep('routing', d, null, { kind: 'new' })['rules.0.values'];
  };
  assert.match(routing('source-in', '10.0.0.0/33') ?? '', /10\.0\.0\.0\/33: the number after '\/' is the network's size, from 0 to 32/);
  assert.match(routing('source-in', 'fd00::/129') ?? '', /from 0 to 128 for IPv6/);
  assert.match(routing('source-in', '300.1.1.1') ?? '', /not an IP address or network/);
  assert.equal(routing('source-in', '10.0.0.0/8, 192.168.1.7 fd00::/64 ::1'), undefined);
  assert.equal(routing('host-is', 'http://api.example.com/'), 'http://api.example.com/ would never match: browsers send the host name alone, api.example.com (without http:// or a path).');
  assert.match(routing('host-is', 'api.example.com/v1') ?? '', /api\.example\.com \(without a path\)/);
  assert.equal(routing('host-is', 'api.example.com API.home.arpa:8080 [fd00::1]:8080'), undefined);
});

test('the health step takes a status range as HAProxy does, and seconds written with their unit', (t) => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    server a1 127.0.0.1:8001\n`;
  const b = backendDraft(formModel(parseConfig([{ name: 'x', text }]).config).backends[0]!);
  b.health = { ...b.health, type: 'http', path: '/health', expectStatus: '200-399', inter: '2s' };
  const site = { ...newSite('http'), backends: [b] };
  assert.deepEqual(checkStep('health', site, null, { kind: 'new' }), {});
  const r = applyEdits(text, [{ op: 'set-backend', backend: backendSpec(b), previousName: 'app' }]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text, /http-check expect status 200-399\n/);
  assert.match(r.text, /server a1 127\.0\.0\.1:8001 check\n/, '2s is the usual 2 seconds');
  assertHaproxyAccepts(t, r.text);
  // Read back, the range stays in the field.
  assert.equal(backendDraft(formModel(parseConfig([{ name: 'x', text: r.text }]).config).backends[0]!).health.expectStatus, '200-399');
  const refused = (h: Partial<typeof b.health>) => checkStep('health', { ...site, backends: [{ ...b, health: { ...b.health, ...h } }] }, null, { kind: 'new' });
  assert.match(refused({ expectStatus: '399-200' })['backends.0.health.expectStatus'] ?? '', /^399-200: A status from 100 to 599/);
  assert.match(refused({ expectStatus: '2xx' })['backends.0.health.expectStatus'] ?? '', /a range \(200-399\)/);
  assert.equal(refused({ inter: '500ms' })['backends.0.health.inter'], undefined);
  assert.equal(refused({ inter: 'often' })['backends.0.health.inter'], 'A number of seconds from 0.1 to 3600, e.g. 2.');
});
