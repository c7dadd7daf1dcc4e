/**
 * Client certificates in the HTTPS site form (renderer/src/lib/wizard.ts) and the Certificates
 * screen's client form (renderer/src/lib/certs.ts): a bind typed in the editor with `verify` and
 * `ca-file` shows in the form; the form writes `verify required|optional ca-file <path>` that the
 * engine reads back and real HAProxy accepts; turning it off removes the words; fields are
 * checked in words at the field, and engine problems map back to them.
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
import { checkStep, editsOf, fieldOfProblem, frontendDraft, newSite, stepOfField } from '../../../renderer/src/lib/wizard.ts';
import { checkClientForm } from '../../../renderer/src/lib/certs.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
const site = certPath('api.test.pem');
const ca = certPath('ca.pem');
const TYPED = `${HEAD}
frontend private
    bind 127.0.0.1:8443 ssl crt ${site} verify required ca-file ${ca} alpn h2,http/1.1
    default_backend web

backend web
    server w1 127.0.0.1:8001 check
`;

const model = (text: string) => formModel(parseConfig([{ name: 'x.cfg', text }]).config);

function haproxyAccepts(t: TestContext, text: string): void {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-mtls-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
    const check = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
    assert.equal(check.status, 0, `${text}\n${check.output}`);
    assert.doesNotMatch(check.output, /WARNING|ALERT/, check.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function write(text: string, d: ReturnType<typeof frontendDraft>): string {
  const r = applyEdits(text, editsOf({ ...d, backends: [] }, { kind: 'frontend', name: 'private' }).edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.text;
}

test('a bind typed with verify required and ca-file shows as required client certificates checked against that file; unchanged, the text stays', (t) => {
  const d = frontendDraft(model(TYPED).frontends[0]!);
  assert.equal(d.clientCerts, 'required');
  assert.equal(d.clientCaChoice, 'stored');
  assert.equal(d.clientCaPath, ca);
  assert.equal(write(TYPED, d), TYPED);
  haproxyAccepts(t, TYPED);
});

test('the form switches to optional, to another CA file, and off; each text reads back the same and HAProxy accepts it', (t) => {
  const d = frontendDraft(model(TYPED).frontends[0]!);
  d.clientCerts = 'optional';
  const optional = write(TYPED, d);
  assert.ok(optional.includes(`bind 127.0.0.1:8443 ssl crt ${site} verify optional ca-file ${ca} alpn h2,http/1.1\n`), optional);
  assert.equal(frontendDraft(model(optional).frontends[0]!).clientCerts, 'optional');
  haproxyAccepts(t, optional);
  d.clientCerts = 'off';
  const off = write(TYPED, d);
  assert.ok(off.includes(`bind 127.0.0.1:8443 ssl crt ${site} alpn h2,http/1.1\n`), off);
  assert.equal(frontendDraft(model(off).frontends[0]!).clientCerts, 'off');
  haproxyAccepts(t, off);
});

test('a new HTTPS site that requires client certificates from the local CA', (t) => {
  const d = newSite('https', model(HEAD));
  d.port = '8443';
  d.address = '127.0.0.1';
  d.redirect = false;
  d.certPath = site;
  d.clientCerts = 'required';
  d.clientCaChoice = 'local';
  d.clientCaPath = ca; // what Next resolves the local CA's choice to
  d.defaultBackend = 'web';
  const r = applyEdits(HEAD + '\nbackend web\n    server w1 127.0.0.1:8001\n', editsOf({ ...d, backends: [] }, { kind: 'new' }).edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.ok(r.text.includes(`    bind 127.0.0.1:8443 ssl crt ${site} verify required ca-file ${ca}\n`), r.text);
  haproxyAccepts(t, r.text);
});

test('client-certificate fields are checked on the TLS step, and engine problems land there', () => {
  const d = newSite('https');
  d.certNames = 'app.home.arpa';
  d.redirect = false;
  d.clientCerts = 'required';
  d.clientCaChoice = 'import';
  assert.deepEqual(checkStep('tls', d, null, { kind: 'new' }), {
    'tls.clientCaName': 'Give the CA a name to store it under, e.g. home-clients (the file becomes <name>.pem).',
    'tls.clientCaPem': 'Paste the CA certificate ("-----BEGIN CERTIFICATE-----", no private key) or choose its .pem or .crt file.',
  });
  d.clientCaName = '../up';
  assert.match(checkStep('tls', d, null, { kind: 'new' })['tls.clientCaName']!, /^Up to 64 letters/);
  d.clientCaChoice = 'stored';
  assert.deepEqual(checkStep('tls', d, null, { kind: 'new' }), { 'tls.clientCa': "Choose the CA that issued your visitors' certificates." });
  d.clientCerts = 'off';
  assert.deepEqual(checkStep('tls', d, null, { kind: 'new' }), {});
  assert.equal(stepOfField('tls.clientCa', { kind: 'new' }), 'tls');
  const owners = [{ kind: 'frontend' as const }];
  assert.equal(fieldOfProblem({ edit: 0, field: 'frontend.binds[0].caFile', message: 'x' }, owners), 'tls.clientCa');
  assert.equal(fieldOfProblem({ edit: 0, field: 'frontend.binds[0].verify', message: 'x' }, owners), 'tls.clientCa');
});

test('the Certificates screen\'s client form: a name, an optional e-mail, 1 to 825 days, the password typed twice', () => {
  const ok = { name: 'alice-phone', email: '', days: '365', password: 'pw', repeat: 'pw' };
  assert.deepEqual(checkClientForm(ok), {});
  assert.deepEqual(checkClientForm({ name: ' ', email: 'alice at home', days: '900', password: 'a', repeat: 'b' }), {
    name: "Give the person or device a name, e.g. alice-phone (it is the certificate's common name).",
    email: 'alice at home is not an e-mail address: write it as name@example.org, or leave it empty.',
    days: 'From 1 to 825 days.',
    repeat: 'The two passwords differ.',
  });
  assert.deepEqual(checkClientForm({ ...ok, name: 'x'.repeat(65) }), { name: 'At most 64 printable characters.' });
  assert.deepEqual(checkClientForm({ ...ok, email: 'alice@home.arpa', days: '1' }), {});
});
