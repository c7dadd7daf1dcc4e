/**
 * The stats page's login (`stats auth USER:PASSWORD`) and reload interval (`stats refresh Ns`) in the
 * Routing step's Built-in pages and a frontend's edit form: written, read back, checked at the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyCheckText, requireHaproxy } from '../../helpers/haproxy.ts';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { checkStep, editsOf, fieldOfProblem, frontendDraft, frontendSpec, newSite, stepOfField, type SiteDraft } from '../../../renderer/src/lib/wizard.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
const NEW = { kind: 'new' } as const;

function site(): SiteDraft {
  return { ...newSite('http'), name: 'www', address: '127.0.0.1', port: '23180', defaultBackend: 'web', stats: true, statsUri: '/stats' };
}

test('a stats page with a login and a reload interval is written as stats auth and stats refresh lines, and HAProxy accepts them', (t) => {
  const d = { ...site(), statsUser: 'admin', statsPassword: 's3cret pass#1', statsRefresh: '10' };
  assert.deepEqual(checkStep('routing', d, null, NEW), {});
  const { edits } = editsOf({ ...d, backends: [] }, NEW);
  const r = applyEdits(`${HEAD}backend web\n    server w1 127.0.0.1:23181\n`, edits);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.text!, /\n {4}stats enable\n {4}stats uri \/stats\n {4}stats auth 'admin:s3cret pass#1'\n {4}stats refresh 10s\n/);
  const parsed = parseConfig([{ name: 'x', text: r.text! }]);
  assert.ok(parsed.ok, parsed.diagnostics.map((x) => x.message).join('\n'));
  const proxy = parsed.config.proxies.find((p) => p.name === 'www')!;
  assert.deepEqual(proxy.stats.auth, [{ user: 'admin', password: 's3cret pass#1' }]);
  assert.equal(proxy.stats.refresh, 10_000);
  const form = formModel(parsed.config).frontends[0]!;
  assert.deepEqual([form.statsAuth, form.statsRefresh, form.statsKept], [{ user: 'admin', password: 's3cret pass#1' }, 10, undefined]);
  const back = frontendDraft(form);
  assert.deepEqual([back.stats, back.statsUser, back.statsPassword, back.statsRefresh], [true, 'admin', 's3cret pass#1', '10']);
  if (requireHaproxy(t)) {
    const check = haproxyCheckText(r.text!);
    assert.equal(check.status, 0, `${r.text}\n${check.output}`);
  }
});

test('the edit form keeps hand-written stats auth and refresh lines byte for byte, changes them in place, and removes them when emptied', () => {
  const text = `${HEAD}frontend www\n    bind 127.0.0.1:23180\n    stats enable\n    stats uri /lb\n    stats auth ops:pa:ss   # team login\n    stats refresh 30\n    default_backend web\nbackend web\n    server w1 127.0.0.1:23181\n`;
  const d = frontendDraft(formModel(parseConfig([{ name: 'x', text }]).config).frontends[0]!);
  assert.deepEqual([d.statsKept, d.statsUser, d.statsPassword, d.statsRefresh], [undefined, 'ops', 'pa:ss', '30']);
  const same = applyEdits(text, editsOf({ ...d, backends: [] }, { kind: 'frontend', name: 'www' }).edits);
  assert.ok(same.ok);
  assert.equal(same.text, text, 'an unchanged form writes the text back unchanged');
  const changed = applyEdits(text, editsOf({ ...d, statsPassword: 'new', statsRefresh: '5', backends: [] }, { kind: 'frontend', name: 'www' }).edits);
  assert.ok(changed.ok);
  assert.match(changed.text!, /\n {4}stats uri \/lb\n {4}stats auth ops:new # team login\n {4}stats refresh 5s\n {4}default_backend web\n/);
  const emptied = applyEdits(text, editsOf({ ...d, statsUser: '', statsPassword: '', statsRefresh: '', backends: [] }, { kind: 'frontend', name: 'www' }).edits);
  assert.ok(emptied.ok);
  assert.doesNotMatch(emptied.text!, /stats (auth|refresh)/);
  assert.match(emptied.text!, /\n {4}stats enable\n {4}stats uri \/lb\n/);
});

test('lines the form cannot show (two logins, a realm, a refresh in minutes) keep the page as written', () => {
  for (const extra of ['stats auth a:1\n    stats auth b:2', 'stats auth a:1\n    stats realm Lab', 'stats refresh 1m']) {
    const text = `${HEAD}frontend www\n    bind 127.0.0.1:23180\n    stats enable\n    ${extra}\n    default_backend web\nbackend web\n    server w1 127.0.0.1:23181\n`;
    const form = formModel(parseConfig([{ name: 'x', text }]).config).frontends[0]!;
    assert.equal(form.statsUri, undefined, extra);
    assert.ok(form.statsKept, extra);
    const r = applyEdits(text, editsOf({ ...frontendDraft(form), backends: [] }, { kind: 'frontend', name: 'www' }).edits);
    assert.equal(r.ok && r.text, text, extra);
  }
});

test('the login wants both halves and no \':\' in the user name; the interval whole seconds; each said at its field on the Routing step', () => {
  const err = (patch: Partial<SiteDraft>): Record<string, string> => checkStep('routing', { ...site(), ...patch }, null, NEW);
  assert.match(err({ statsUser: 'ad:min', statsPassword: 'x' })['pages.statsUser'] ?? '', /cannot hold ':'/);
  assert.match(err({ statsUser: 'admin' })['pages.statsPassword'] ?? '', /Enter the password too, or empty the user name/);
  assert.match(err({ statsPassword: 'x' })['pages.statsUser'] ?? '', /Enter the user name too, or empty the password/);
  for (const bad of ['0', '1.5', '10m', '86401']) assert.match(err({ statsRefresh: bad })['pages.statsRefresh'] ?? '', /whole number of seconds from 1 to 86400/, bad);
  assert.deepEqual(err({ statsRefresh: ' 86400 ', statsUser: 'a', statsPassword: 'b' }), {});
  // Off, the page's login is not asked about (nor written).
  assert.deepEqual(err({ stats: false, statsUser: 'ad:min' }), {});
  assert.equal(frontendSpec({ ...site(), stats: false, statsUser: 'a', statsPassword: 'b' }).statsAuth, undefined);
  assert.equal(stepOfField('pages.statsPassword', NEW), 'routing');
  // The engine refuses the same, at the same fields.
  const r = applyEdits(HEAD, [{ op: 'set-frontend', frontend: { name: 'www', binds: [{ address: '', port: 23180 }], statsUri: '/s', statsAuth: { user: 'a:b', password: '' }, statsRefresh: 0 } }]);
  assert.ok(!r.ok);
  const owners = [{ kind: 'frontend' } as const];
  assert.deepEqual(r.problems.map((p) => fieldOfProblem(p, owners)), ['pages.statsUser', 'pages.statsPassword', 'pages.statsRefresh']);
});
