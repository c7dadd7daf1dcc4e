/**
 * frontendsUsingCert (renderer/src/lib/certs.ts): the Certificates screen asks
 * it before a removal, with the model the engine builds from real text; and
 * certsToTakeBack, what a cancelled wizard removes of the certificates it stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { certInUse, certsToTakeBack, frontendsUsingCert, pemProblem, sanNames, storeNameError } from '../../../renderer/src/lib/certs.ts';

const text = `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend https_frontend
    bind 127.0.0.1:8443 ssl crt /data/certs/https_frontend.pem
    bind 127.0.0.1:8080
    default_backend web

frontend other
    bind 127.0.0.1:9443 ssl crt /data/certs/
    default_backend web

backend web
    server web1 127.0.0.1:8081
`;

test('a certificate named by a bind is used by that frontend; one in a crt directory or not named is used by none', () => {
  const model = formModel(parseConfig([{ name: 'haproxy.cfg', text }]).config);
  assert.deepEqual(frontendsUsingCert(model, '/data/certs/https_frontend.pem'), ['https_frontend']);
  assert.deepEqual(frontendsUsingCert(model, '/data/certs/unused.pem'), []);
  assert.deepEqual(frontendsUsingCert(null, '/data/certs/https_frontend.pem'), []);
});

test('a cancelled wizard takes back the certificates it stored that no site uses, and nothing else', () => {
  const model = formModel(parseConfig([{ name: 'haproxy.cfg', text }]).config);
  const stored = [
    { name: 'https_frontend', path: '/data/certs/https_frontend.pem' },
    { name: 'nas2', path: '/data/certs/nas2.pem' },
    { name: 'nas3', path: '/data/certs/nas3.pem' },
    { name: 'mine', path: '/data/certs/mine.pem' },
  ];
  // nas2 and nas3 were stored by the wizard (a renamed import leaves two); mine was stored before it.
  assert.deepEqual(certsToTakeBack(['/data/certs/nas2.pem', '/data/certs/nas3.pem'], stored, model), ['nas2', 'nas3']);
  // One a site uses stays, whoever stored it; one removed meanwhile is not asked for again.
  assert.deepEqual(certsToTakeBack(['/data/certs/https_frontend.pem', '/data/certs/gone.pem'], stored, model), []);
  assert.deepEqual(certsToTakeBack([], stored, model), []);
  // Without the running configuration nothing is known to be unused: nothing is removed.
  assert.deepEqual(certsToTakeBack(['/data/certs/nas2.pem'], stored, null), []);
});

test('text that is not PEM is told so (not asked to be pasted again), an empty field is asked for, and a copy without its BEGIN/END lines is recognised', () => {
  const ask = 'Paste the PEM text or choose the file.';
  assert.equal(pemProblem('', ask), ask);
  assert.equal(pemProblem('  \n', ask), ask);
  assert.match(pemProblem('hello this is not a pem', ask)!, /^This is not PEM text: PEM text begins with a line such as "-----BEGIN CERTIFICATE-----"/);
  assert.match(pemProblem('MIIBszCCAVmgAwIBAgIUabcdefgh0123456789\nQUJDREVGR0g=', ask)!, /lines are missing: copy the whole file/);
  assert.equal(pemProblem('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', ask), undefined);
  // A CA certificate field: a key alone is not it.
  assert.equal(pemProblem('-----BEGIN PRIVATE KEY-----\nabc', ask, '-----BEGIN CERTIFICATE-----'), 'There is no certificate in this text (no "-----BEGIN CERTIFICATE-----" line).');
  assert.equal(pemProblem('-----BEGIN CERTIFICATE-----\nabc', ask, '-----BEGIN CERTIFICATE-----'), undefined);
});

test('a certificate name left empty is asked for; a name the store refuses gets the rule', () => {
  assert.equal(storeNameError(''), 'Give the certificate a name, e.g. nas (it is stored as nas.pem).');
  assert.equal(storeNameError('  '), 'Give the certificate a name, e.g. nas (it is stored as nas.pem).');
  assert.match(storeNameError('my app!')!, /^Up to 64 letters, digits, \. _ -, starting with a letter or digit/);
  assert.match(storeNameError('-nas')!, /^Up to 64 letters/);
  assert.equal(storeNameError('nas.home_1'), undefined);
});

test("certInUse: the Certificates screen shows a certificate committed over the runtime API as the one in use, the file's expiry in the note", () => {
  const file = {
    name: 'site', path: '/data/certs/site.pem', subject: 'CN=site.home.arpa', issuer: 'CN=Old CA', sans: ['DNS:site.home.arpa'],
    notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-12-10T00:00:00.000Z', daysLeft: 5, fingerprint256: 'AA', serial: '01', key: 'EC P-256',
    selfSigned: false, localCa: true, chainLength: 0,
  };
  const day = (iso: string): string => iso.slice(0, 10);
  assert.deepEqual(certInUse(file, day), { facts: file, issuer: 'Local CA' });
  const served = { ...file, subject: 'CN=site.home.arpa, O=Renewed', issuer: "CN=Let's Encrypt R3", notAfter: '2027-03-05T00:00:00.000Z', daysLeft: 90, serial: '0A81' };
  const shown = certInUse({ ...file, served }, day);
  assert.equal(shown.facts.daysLeft, 90);
  assert.equal(shown.issuer, "CN=Let's Encrypt R3");
  assert.equal(shown.note, 'In use: a certificate committed over the runtime API (serial 0A81); the file holds another, until 2026-12-10.');
});

test('sanNames: subject alternative names as a person reads them', () => {
  assert.deepEqual(sanNames(['DNS:nas.home.arpa', 'IP:192.168.1.5', 'IP:::1', 'email:x@y']), ['nas.home.arpa', '192.168.1.5', '::1', 'email:x@y']);
  assert.deepEqual(sanNames([]), []);
});
