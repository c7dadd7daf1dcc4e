/**
 * The forms' two newer settings as configuration text: client certificates on an HTTPS bind
 * (`verify optional|required ca-file FILE [crl-file FILE]`) and e-mail alerts (a `mailers`
 * section, a backend's `email-alert` lines). Each is read back by the form model, a form applied
 * as read changes nothing, bad fields are told at their field, and real HAProxy accepts what the
 * forms write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import type { BackendSpec, ConfigEdit, FrontendSpec } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const parseOptions = { fileExists: () => true, readFile: () => '' };
const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
const APP = '\nbackend app\n    server web1 127.0.0.1:8001 check\n';

function edit(text: string, edits: ConfigEdit[]): string {
  const r = applyEdits(text, edits, parseOptions);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.text;
}

function problems(text: string, edits: ConfigEdit[]): string[] {
  const r = applyEdits(text, edits, parseOptions);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
}

const model = (text: string) => formModel(parseConfig([{ name: 'x.cfg', text }], parseOptions).config);

const https = (bind: Partial<FrontendSpec['binds'][number]> = {}): FrontendSpec => ({
  name: 'www', mode: 'http', defaultBackend: 'app',
  binds: [{ address: '127.0.0.1', port: 8443, ssl: true, crt: '/data/certs/www.pem', ...bind }],
});

test('client certificates on an HTTPS bind: written as verify and ca-file, read back by the form, unchanged when applied as read', () => {
  const text = edit(HEAD + APP, [{ op: 'set-frontend', frontend: https({ verify: 'required', caFile: '/data/ca/ca.pem' }) }]);
  assert.match(text, /\n {4}bind 127\.0\.0\.1:8443 ssl crt \/data\/certs\/www\.pem verify required ca-file \/data\/ca\/ca\.pem\n/);
  const form = model(text).frontends[0]!;
  assert.deepEqual(form.binds[0], { address: '127.0.0.1', port: 8443, ssl: true, crt: '/data/certs/www.pem', verify: 'required', caFile: '/data/ca/ca.pem' });
  assert.equal(edit(text, [{ op: 'set-frontend', frontend: form }]), text);
  // Optional, then off: the words go, the other options stay.
  const optional = edit(text, [{ op: 'set-frontend', frontend: https({ verify: 'optional', caFile: '/data/ca/ca.pem', extra: ['alpn', 'h2,http/1.1'] }) }]);
  assert.match(optional, /bind 127\.0\.0\.1:8443 ssl crt \/data\/certs\/www\.pem verify optional ca-file \/data\/ca\/ca\.pem alpn h2,http\/1\.1\n/);
  assert.match(edit(optional, [{ op: 'set-frontend', frontend: https({ extra: ['alpn', 'h2,http/1.1'] }) }]), /bind 127\.0\.0\.1:8443 ssl crt \/data\/certs\/www\.pem alpn h2,http\/1\.1\n/);
});

test('a bind typed in the editor with its options in another order shows in the form and keeps its text when the form changes nothing', () => {
  const text = HEAD + '\nfrontend www\n    bind :8443 crl-file /etc/crl.pem ca-file /etc/clients.pem ssl verify optional crt /etc/site.pem   # mTLS\n    default_backend app\n' + APP;
  const form = model(text).frontends[0]!;
  assert.deepEqual(form.binds[0], { address: '', port: 8443, ssl: true, crt: '/etc/site.pem', verify: 'optional', caFile: '/etc/clients.pem', crlFile: '/etc/crl.pem' });
  assert.equal(form.unknownDirectives, 0);
  assert.equal(edit(text, [{ op: 'set-frontend', frontend: form }]), text);
});

test('client certificate fields the bind cannot use are told at their field', () => {
  assert.deepEqual(problems(HEAD + APP, [{ op: 'set-frontend', frontend: https({ verify: 'required' }) }]),
    ['frontend.binds[0].caFile: client certificates are checked against a CA: give the CA file (ca-file)']);
  assert.deepEqual(problems(HEAD + APP, [{ op: 'set-frontend', frontend: https({ ssl: false, crt: undefined, verify: 'optional', caFile: '/ca.pem' }) }]),
    ['frontend.binds[0].verify: client certificates are asked for in the TLS handshake: the bind needs ssl']);
  assert.match(problems(HEAD + APP, [{ op: 'set-frontend', frontend: https({ verify: 'always' as 'required', caFile: '/ca.pem' }) }])[0]!, /^frontend\.binds\[0\]\.verify: none, optional or required/);
  assert.match(problems(HEAD + APP, [{ op: 'set-frontend', frontend: https({ verify: 'required', caFile: '/my ca.pem' }) }])[0]!, /^frontend\.binds\[0\]\.caFile: the path of a PEM file/);
});

const alertBackend = (alert: BackendSpec['emailAlert']): BackendSpec => ({
  name: 'app', mode: 'http', balance: { algorithm: 'roundrobin' }, healthCheck: { type: 'tcp' },
  servers: [{ name: 'web1', address: '127.0.0.1', port: 8001 }], ...(alert ? { emailAlert: alert } : {}),
});

test('e-mail alerts: a mailers section before the proxies and the backend\'s email-alert lines, read back, unchanged when applied as read', () => {
  const text = edit(HEAD + APP, [
    { op: 'set-mailers', mailers: { name: 'alerts', mailers: [{ name: 'smtp1', address: '127.0.0.1', port: 25 }, { name: 'smtp2', address: 'localhost', port: 587 }] } },
    { op: 'set-backend', backend: alertBackend({ mailers: 'alerts', from: 'loadstar@example.org', to: 'ops@example.org', level: 'notice' }) },
  ]);
  assert.match(text, /^mailers alerts\n {4}mailer smtp1 127\.0\.0\.1:25\n {4}mailer smtp2 localhost:587\n\nbackend app\n/m);
  assert.match(text, /\n {4}email-alert mailers alerts\n {4}email-alert from loadstar@example\.org\n {4}email-alert to ops@example\.org\n {4}email-alert level notice\n/);
  const m = model(text);
  assert.deepEqual(m.mailers, [{ name: 'alerts', mailers: [{ name: 'smtp1', address: '127.0.0.1', port: 25 }, { name: 'smtp2', address: 'localhost', port: 587 }], unknownDirectives: 0, line: 7 }]);
  assert.deepEqual(m.backends[0]!.emailAlert, { mailers: 'alerts', from: 'loadstar@example.org', to: 'ops@example.org', level: 'notice' });
  assert.equal(m.backends[0]!.unknownDirectives, 0);
  assert.equal(edit(text, [{ op: 'set-mailers', mailers: m.mailers[0]! }, { op: 'set-backend', backend: m.backends[0]! }]), text);
});

test('email-alert lines typed in another order keep their places when one value changes; turning alerts off removes them', () => {
  const text = HEAD + '\nmailers mta\n    timeout mail 20s\n    mailer local 127.0.0.1:25 # the relay\n\nbackend app\n    email-alert to ops@example.org\n    email-alert mailers mta\n    server web1 127.0.0.1:8001 check\n    email-alert from lb@example.org\n';
  const m = model(text);
  assert.deepEqual(m.mailers[0]!.mailers, [{ name: 'local', address: '127.0.0.1', port: 25 }]);
  assert.equal(m.mailers[0]!.unknownDirectives, 1);
  const b = m.backends[0]!;
  assert.deepEqual(b.emailAlert, { mailers: 'mta', from: 'lb@example.org', to: 'ops@example.org' });
  assert.equal(edit(text, [{ op: 'set-backend', backend: b }]), text);
  const changed = edit(text, [{ op: 'set-backend', backend: { ...b, emailAlert: { ...b.emailAlert!, to: 'oncall@example.org', level: 'info' } } }]);
  assert.match(changed, /\n {4}email-alert to oncall@example\.org\n {4}email-alert mailers mta\n {4}server web1 127\.0\.0\.1:8001 check\n {4}email-alert from lb@example\.org\n {4}email-alert level info\n$/);
  const { emailAlert: _a, ...off } = b;
  assert.doesNotMatch(edit(text, [{ op: 'set-backend', backend: off }]), /email-alert/);
  // The SMTP server changes in place (its comment stays); timeout mail stays; a second one is added after it.
  const smtp = edit(text, [{ op: 'set-mailers', mailers: { name: 'mta', mailers: [{ name: 'local', address: '127.0.0.1', port: 2525 }, { name: 'backup', address: '::1', port: 25 }] } }]);
  assert.match(smtp, /\nmailers mta\n {4}timeout mail 20s\n {4}mailer local 127\.0\.0\.1:2525 # the relay\n {4}mailer backup ::1:25\n/);
  // Renaming the section renames what points at it.
  const renamed = edit(text, [{ op: 'set-mailers', mailers: { name: 'smtp', mailers: m.mailers[0]!.mailers }, previousName: 'mta' }]);
  assert.match(renamed, /\nmailers smtp\n/);
  assert.match(renamed, /\n {4}email-alert mailers smtp\n/);
});

test('an incomplete set of email-alert lines is not the form\'s (HAProxy ignores it, with a warning) and stays until the form writes a whole alert', () => {
  const text = HEAD + '\nmailers m\n    mailer a 127.0.0.1:25\n\nbackend app\n    email-alert to ops@example.org\n    server web1 127.0.0.1:8001 check\n';
  const b = model(text).backends[0]!;
  assert.equal(b.emailAlert, undefined);
  assert.equal(b.unknownDirectives, 1);
  assert.equal(edit(text, [{ op: 'set-backend', backend: b }]), text);
  const whole = edit(text, [{ op: 'set-backend', backend: { ...b, emailAlert: { mailers: 'm', from: 'a@example.org', to: 'b@example.org' } } }]);
  assert.deepEqual(whole.match(/email-alert .*/g), ['email-alert to b@example.org', 'email-alert mailers m', 'email-alert from a@example.org']);
});

test('alerts the defaults section gives: kept without lines of their own, and not turned off from the backend', () => {
  const text = 'mailers m\n    mailer a 127.0.0.1:25\n\n' + HEAD + '    email-alert mailers m\n    email-alert from a@example.org\n    email-alert to b@example.org\n' + APP;
  const b = model(text).backends[0]!;
  assert.deepEqual(b.emailAlert, { mailers: 'm', from: 'a@example.org', to: 'b@example.org' });
  assert.equal(edit(text, [{ op: 'set-backend', backend: b }]), text);
  const { emailAlert: _a, ...off } = b;
  assert.match(problems(text, [{ op: 'set-backend', backend: off }])[0]!, /^backend\.emailAlert: the e-mail alerts come from the defaults section \(line 9\)/);
});

test('e-mail alert and mailers fields that are wrong are told at their field', () => {
  assert.deepEqual(problems(HEAD + APP, [{ op: 'set-backend', backend: alertBackend({ mailers: 'm', from: 'not an address', to: 'ops@', level: 'loud' as 'info' }) }]), [
    'backend.emailAlert.from: an e-mail address such as loadstar@example.org (got "not an address")',
    'backend.emailAlert.to: an e-mail address such as ops@example.org (got "ops@")',
    'backend.emailAlert.level: one of emerg, alert, crit, err, warning, notice, info, debug',
  ]);
  assert.deepEqual(problems(HEAD + APP, [{ op: 'set-mailers', mailers: { name: 'm', mailers: [{ name: 'a', address: 'mail host', port: 25 }, { name: 'a', address: '127.0.0.1', port: 70000 }] } }]), [
    'mailers.mailers[0].address: an IP address or host name',
    "mailers.mailers[1].name: two SMTP servers are named 'a'",
    'mailers.mailers[1].port: a port between 1 and 65535 (got 70000)',
  ]);
  assert.deepEqual(problems(HEAD + APP, [{ op: 'set-mailers', mailers: { name: 'm', mailers: [] } }]), ['mailers.mailers: at least one SMTP server (address and port)']);
  // Removing a mailers section a backend still names: the text says so (HAProxy's message).
  const text = edit(HEAD + APP, [
    { op: 'set-mailers', mailers: { name: 'm', mailers: [{ name: 'a', address: '127.0.0.1', port: 25 }] } },
    { op: 'set-backend', backend: alertBackend({ mailers: 'm', from: 'a@example.org', to: 'b@example.org' }) },
  ]);
  const removed = edit(text, [{ op: 'remove-mailers', name: 'm' }]);
  assert.doesNotMatch(removed, /^mailers m$/m);
  const diags = parseConfig([{ name: 'x.cfg', text: removed }], parseOptions).diagnostics.map((d) => d.message);
  assert.ok(diags.includes("Proxy 'app': unable to find mailers 'm'."), diags.join('\n'));
});

test('what the forms write for client certificates and e-mail alerts is accepted by real HAProxy', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-forms-'));
  try {
    // A real certificate and CA file: haproxy -c loads them.
    const site = path.join(dir, 'site.pem');
    const ca = path.join(dir, 'ca.pem');
    fs.copyFileSync(new URL('../../scenarios/certs/api.test.pem', import.meta.url), site);
    fs.copyFileSync(new URL('../../scenarios/certs/ca.pem', import.meta.url), ca);
    const variants: ConfigEdit[][] = [
      [{ op: 'set-frontend', frontend: https({ crt: site, verify: 'required', caFile: ca }) }],
      [{ op: 'set-frontend', frontend: https({ crt: site, verify: 'optional', caFile: ca }) }],
      [
        { op: 'set-mailers', mailers: { name: 'alerts', mailers: [{ name: 'smtp1', address: '127.0.0.1', port: 25 }, { name: 'smtp2', address: '::1', port: 2525 }, { name: 'smtp3', address: 'localhost', port: 587 }] } },
        { op: 'set-backend', backend: alertBackend({ mailers: 'alerts', from: 'loadstar@example.org', to: 'first.last+lb@mail.example.org', level: 'notice', myhostname: 'lb.example.org' }) },
      ],
    ];
    variants.forEach((edits, i) => {
      const text = edit(HEAD + '\nfrontend www\n    bind 127.0.0.1:8080\n    default_backend app\n' + APP, edits);
      const parsed = parseConfig([{ name: 'x.cfg', text }], parseOptions);
      assert.ok(parsed.ok, text);
      const file = path.join(dir, `form-${i}.cfg`);
      fs.writeFileSync(file, text);
      const r = haproxyCheck(file, dir);
      assert.equal(r.status, 0, `${text}\n${r.output}`);
      assert.doesNotMatch(r.output, /WARNING|ALERT/, r.output);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
