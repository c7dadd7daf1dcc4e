/**
 * E-mail alerts in the backend form (renderer/src/lib/email-alert.ts and the wizard's health step):
 * a configuration typed in the editor shows in the form; the form's fields are checked in words at
 * the field; what the form writes is a mailers section and email-alert lines that the engine reads
 * back the same way and real HAProxy accepts; engine problems map back to the form's fields.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haproxyCheck, requireHaproxy } from '../../helpers/haproxy.ts';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { alertDraft, alertWords, checkAlert, mailersEdit, parseSmtp, sharedWith, smtpText } from '../../../renderer/src/lib/email-alert.ts';
import { backendDraft, checkStep, editsOf, fieldOfProblem, newBackend, newSite, stepOfField } from '../../../renderer/src/lib/wizard.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
const TYPED = `${HEAD}
frontend www
    bind 127.0.0.1:8080
    default_backend web

mailers relay   # the house relay
    timeout mail 20s
    mailer mx1 127.0.0.1:25
    mailer mx2 [::1]:2525

backend web
    email-alert mailers relay
    email-alert from lb@home.arpa
    email-alert to me@home.arpa
    email-alert level notice
    server w1 127.0.0.1:8001 check

backend api
    email-alert mailers relay
    email-alert from lb@home.arpa
    email-alert to api-team@home.arpa
    server a1 127.0.0.1:9001 check
`;

const model = (text: string) => formModel(parseConfig([{ name: 'x.cfg', text }]).config);

function haproxyAccepts(t: TestContext, text: string): void {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-alert-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
    const check = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
    assert.equal(check.status, 0, `${text}\n${check.output}`);
    assert.doesNotMatch(check.output, /WARNING|ALERT/, check.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('alerts typed in the editor show in the backend form: the section\'s SMTP servers, from, to, level; another backend sharing them is named', () => {
  const m = model(TYPED);
  const b = backendDraft(m.backends[0]!, m);
  assert.deepEqual(b.alert, { on: true, mailers: 'relay', smtp: '127.0.0.1:25 [::1]:2525', from: 'lb@home.arpa', to: 'me@home.arpa', level: 'notice' });
  assert.deepEqual(sharedWith(m, 'relay', 'web'), ['api']);
  assert.equal(alertWords(b.alert), 'mail me@home.arpa from lb@home.arpa through 127.0.0.1:25, [::1]:2525 when a server goes down, comes back up, or is put in maintenance or drain');
  // Unchanged, the form writes the text back as it was (no mailers edit, the same lines).
  const { edits } = editsOf({ ...newSite('http'), backends: [b] }, { kind: 'backend', name: 'web' }, m);
  assert.deepEqual(edits.map((e) => e.op), ['set-backend']);
  const r = applyEdits(TYPED, edits);
  assert.ok(r.ok && r.text === TYPED, JSON.stringify(r));
});

test('a new backend\'s alert is off, with the file\'s mailers section ready; with none the form creates one named alerts', () => {
  assert.deepEqual(newBackend('shop', 'http', model(TYPED)).alert, { on: false, mailers: 'relay', smtp: '127.0.0.1:25 [::1]:2525', from: '', to: '', level: 'alert' });
  assert.deepEqual(newBackend('shop', 'http').alert, { on: false, mailers: 'alerts', smtp: '', from: '', to: '', level: 'alert' });
  assert.deepEqual(alertDraft(undefined, { frontends: [], backends: [], mailers: [] }).mailers, 'alerts');
});

test('each alert field is checked in words at its field, on the health step', () => {
  const b = newBackend('shop', 'http');
  b.alert.on = true;
  const at = 'backends.0.alert';
  assert.deepEqual(checkAlert(b.alert, at), {
    [`${at}.smtp`]: 'Enter the SMTP server that sends the mail, as host:port (e.g. 192.168.1.2:25).',
    [`${at}.from`]: 'Enter the sender address, e.g. loadstar@example.org.',
    [`${at}.to`]: 'Enter the address the alerts go to, e.g. ops@example.org.',
  });
  const bad = (smtp: string): string | undefined => checkAlert({ ...b.alert, smtp, from: 'a@b.c', to: 'd@e.f' }, at)[`${at}.smtp`];
  assert.equal(bad('mail.home.arpa'), 'mail.home.arpa has no port: write host:port, e.g. mail.home.arpa:25.');
  assert.equal(bad('127.0.0.1:0'), '0 in 127.0.0.1:0 is not a port: use a whole number from 1 to 65535 (25 or 587 for mail).');
  assert.equal(bad('127.0.0.1:99999'), '99999 in 127.0.0.1:99999 is not a port: use a whole number from 1 to 65535 (25 or 587 for mail).');
  assert.equal(bad('::1:25'), '::1:25 is not host:port (an IPv6 address goes in brackets: [::1]:25).');
  assert.equal(bad('10.0.0.300:25'), '10.0.0.300 is not an IP address: each number is at most 255.');
  assert.equal(bad('127.0.0.1:25, [::1]:25 smtp.home.arpa:587'), undefined);
  const addr = (from: string, to: string) => checkAlert({ ...b.alert, smtp: '127.0.0.1:25', from, to }, at);
  assert.deepEqual(addr('me at home', '<ops@home.arpa>'), {
    [`${at}.from`]: 'me at home is not an e-mail address: write it as name@example.org, without spaces or angle brackets.',
    [`${at}.to`]: '<ops@home.arpa> is not an e-mail address: write one address as name@example.org (HAProxy sends to one).',
  });
  assert.deepEqual(addr('a@b', 'x@y.example'), {});
  // The wizard's health step runs them; their errors belong to that step.
  const site = { ...newSite('http'), backends: [b] };
  assert.deepEqual(Object.keys(checkStep('health', site, null, { kind: 'new' })), [`${at}.smtp`, `${at}.from`, `${at}.to`]);
  assert.equal(stepOfField(`${at}.smtp`, { kind: 'new' }), 'health');
  assert.deepEqual(parseSmtp('[::1]:25'), { address: '::1', port: 25 });
  assert.equal(smtpText([{ name: 'a', address: '::1', port: 25 }, { name: 'b', address: 'mx', port: 587 }]), '[::1]:25 mx:587');
});

test('the form\'s alert for a new site writes a mailers section and email-alert lines that read back the same and real HAProxy accepts', (t) => {
  const d = newSite('http');
  d.port = '8080';
  d.defaultBackend = 'shop';
  d.backends = [newBackend('shop', 'http')];
  d.backends[0]!.servers = [{ name: 's1', address: '127.0.0.1', port: '8001', weight: '1', backup: false }];
  Object.assign(d.backends[0]!.alert, { on: true, smtp: '127.0.0.1:25 localhost:587', from: 'loadstar@home.arpa', to: 'me@home.arpa', level: 'notice' });
  const { edits, owners } = editsOf(d, { kind: 'new' }, model(HEAD));
  assert.deepEqual(edits.map((e) => e.op), ['set-mailers', 'set-frontend', 'set-backend']);
  const r = applyEdits(HEAD, edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.match(r.text, /\nmailers alerts\n {4}mailer smtp1 127\.0\.0\.1:25\n {4}mailer smtp2 localhost:587\n/);
  assert.match(r.text, /\n {4}email-alert mailers alerts\n {4}email-alert from loadstar@home\.arpa\n {4}email-alert to me@home\.arpa\n {4}email-alert level notice\n/);
  const back = model(r.text);
  assert.deepEqual(backendDraft(back.backends[0]!, back).alert, { on: true, mailers: 'alerts', smtp: '127.0.0.1:25 localhost:587', from: 'loadstar@home.arpa', to: 'me@home.arpa', level: 'notice' });
  haproxyAccepts(t, r.text);
  // A problem of the mailers edit or of the alert lines lands on the form's fields.
  assert.equal(fieldOfProblem({ edit: 0, field: 'mailers.mailers[1].port', message: 'x' }, owners), 'backends.0.alert.smtp');
  assert.equal(fieldOfProblem({ edit: 2, field: 'backend.emailAlert.to', message: 'x' }, owners), 'backends.0.alert.to');
  assert.equal(fieldOfProblem({ edit: 2, field: 'backend.emailAlert', message: 'x' }, owners), 'backends.0.alert.on');
});

test('changing the SMTP servers of an existing section keeps the names of the servers that stay; turning alerts off removes the lines, not the section', (t) => {
  const m = model(TYPED);
  const b = backendDraft(m.backends[0]!, m);
  b.alert.smtp = '[::1]:2525 192.168.1.2:25';
  assert.deepEqual(mailersEdit(b.alert, m), { op: 'set-mailers', mailers: { name: 'relay', mailers: [{ name: 'mx2', address: '::1', port: 2525 }, { name: 'smtp1', address: '192.168.1.2', port: 25 }] } });
  const changed = applyEdits(TYPED, editsOf({ ...newSite('http'), backends: [b] }, { kind: 'backend', name: 'web' }, m).edits);
  assert.ok(changed.ok);
  assert.match(changed.text, /\nmailers relay {3}# the house relay\n {4}timeout mail 20s\n {4}mailer mx2 \[::1\]:2525\n {4}mailer smtp1 192\.168\.1\.2:25\n/);
  haproxyAccepts(t, changed.text.replace('192.168.1.2', '127.0.0.2'));
  b.alert.on = false;
  const off = applyEdits(TYPED, editsOf({ ...newSite('http'), backends: [b] }, { kind: 'backend', name: 'web' }, m).edits);
  assert.ok(off.ok);
  assert.doesNotMatch(off.text.split('backend web')[1]!.split('backend api')[0]!, /email-alert/);
  assert.match(off.text, /\nmailers relay/);
});
