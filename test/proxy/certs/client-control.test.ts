/**
 * The control contract's client-certificate methods (what the Certificates screen and the HTTPS
 * form call): a client certificate answered as a .p12 that opens with its password and holds the
 * certificate, its key and the local CA; the CA's record of who holds one (no key); a CA file to
 * check clients against, refused when it holds a key; bad arguments answered at the argument.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { CONTROL_METHODS } from '../../../proxy/control/contract.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { tempDir } from './fixtures.ts';

function control(dataDir: string): InProcessControl {
  const parsed = parseConfig([{ name: 'empty.cfg', text: 'defaults\n    mode http\n' }]);
  return new InProcessControl(new Engine(parsed.config, { sink: { traffic() {}, alert() {} } }), { dataDir });
}

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const code = async (p: Promise<Result<unknown>>): Promise<string> => { const r = await p; return r.ok ? 'ok' : r.error.code; };

test('a client certificate is answered as a .p12 with its password; the CA records the holder and keeps no key', async () => {
  const dataDir = tempDir('loadstar-client-control-');
  const ctl = control(dataDir);
  assert.equal(await code(ctl.certIssueClient({ commonName: 'alice' })), 'LS_ERR_CERT_CA_MISSING');
  value(await ctl.certCaInit({ commonName: 'Home CA' }));
  assert.deepEqual(value(await ctl.certClients()), []);

  const p12 = value(await ctl.certIssueClient({ commonName: 'Alice Phone', email: 'alice@home.arpa', password: 'open sesame', days: 30 }));
  assert.equal(p12.fileName, 'Alice_Phone.p12');
  assert.equal(p12.commonName, 'Alice Phone');
  const file = path.join(dataDir, 'alice.p12');
  fs.writeFileSync(file, Buffer.from(p12.data, 'base64'));
  const read = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:open sesame', '-nodes'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(read.status, 0, read.stderr);
  assert.equal((read.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, 'the certificate and the local CA');
  assert.match(read.stdout, /BEGIN PRIVATE KEY/);
  const wrong = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:nope', '-nodes'], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(wrong.status, 0, 'the password protects it');
  const cert = new crypto.X509Certificate(read.stdout.slice(read.stdout.indexOf('-----BEGIN CERTIFICATE-----')));
  assert.equal(cert.subject, 'CN=Alice Phone');

  const records = value(await ctl.certClients());
  assert.equal(records.length, 1);
  assert.deepEqual({ ...records[0]!, issuedAt: 'x' }, { commonName: 'Alice Phone', email: 'alice@home.arpa', serialHex: cert.serialNumber, notAfter: cert.validTo, issuedAt: 'x' });
  // The record is personal data and holds no key; nothing else with a key was written.
  const recordFile = path.join(dataDir, 'ca', 'clients.json');
  assert.equal(fs.statSync(recordFile).mode & 0o777, 0o600);
  assert.doesNotMatch(fs.readFileSync(recordFile, 'utf8'), /PRIVATE KEY/);
  const written = fs.readdirSync(dataDir, { recursive: true }).map(String);
  assert.deepEqual(written.filter((f) => !f.startsWith('ca')).sort(), ['alice.p12'], 'no file besides the CA\'s and the test\'s own');

  value(await ctl.certIssueClient({ commonName: 'bob' }));
  assert.deepEqual(value(await ctl.certClients()).map((r) => r.commonName), ['Alice Phone', 'bob']);
});

test('bad client-certificate requests are answered at their argument', async () => {
  const ctl = control(tempDir('loadstar-client-control-'));
  value(await ctl.certCaInit({}));
  assert.equal(await code(ctl.certIssueClient({ commonName: '' })), 'LS_ERR_CERT_BAD_NAME');
  assert.equal(await code(ctl.certIssueClient({ commonName: 'x'.repeat(65) })), 'LS_ERR_CERT_BAD_NAME');
  assert.equal(await code(ctl.certIssueClient({ commonName: 'bob', email: 'not mail' })), 'LS_ERR_CERT_BAD_SAN');
  const days = await ctl.certIssueClient({ commonName: 'bob', days: 900 });
  assert.ok(!days.ok && days.error.code === 'LS_ERR_CTL_BAD_VALUE' && /^certIssueClient: days must be an integer from 1 to 825, got 900/.test(days.error.message), JSON.stringify(days));
  assert.equal(await code(ctl.certIssueClient({ commonName: 'bob', password: 7 as never })), 'LS_ERR_CTL_BAD_VALUE');
  assert.equal(await code(ctl.certIssueClient(null as never)), 'LS_ERR_CTL_BAD_VALUE');
});

test('a CA file to check clients against: stored readable without a key, listed; a key, garbage or a bad name is refused', async () => {
  const dataDir = tempDir('loadstar-trust-control-');
  const ctl = control(dataDir);
  const ca = fs.readFileSync(new URL('../../scenarios/certs/ca.pem', import.meta.url), 'utf8');
  assert.deepEqual(value(await ctl.certTrustList()), []);
  const info = value(await ctl.certTrustImport({ name: 'partners', pem: `some text before\n${ca}` }));
  assert.equal(info.path, path.join(dataDir, 'trust', 'partners.pem'));
  assert.equal(info.ca, true);
  assert.equal(info.subjects.length, 1);
  assert.equal(fs.statSync(info.path).mode & 0o777, 0o644);
  assert.equal(new crypto.X509Certificate(fs.readFileSync(info.path)).fingerprint256, new crypto.X509Certificate(ca).fingerprint256);
  assert.deepEqual(value(await ctl.certTrustList()), [info]);

  const site = fs.readFileSync(new URL('../../scenarios/certs/api.test.pem', import.meta.url), 'utf8');
  const withKey = await ctl.certTrustImport({ name: 'x', pem: site });
  assert.ok(!withKey.ok && withKey.error.code === 'LS_ERR_CERT_NOT_CERTIFICATE' && /holds a private key/.test(withKey.error.message), JSON.stringify(withKey));
  assert.equal(await code(ctl.certTrustImport({ name: 'x', pem: 'garbage' })), 'LS_ERR_CERT_NOT_CERTIFICATE');
  assert.equal(await code(ctl.certTrustImport({ name: '../up', pem: ca })), 'LS_ERR_CERT_BAD_NAME');
  assert.equal(await code(ctl.certTrustImport({ name: 'x', pem: 5 as never })), 'LS_ERR_CTL_BAD_VALUE');
  assert.deepEqual(value(await ctl.certTrustList()).map((t) => t.name), ['partners']);
});

test('issuing a client certificate and importing a CA file are changes (CSRF-checked over HTTP), with area:verb channels', () => {
  assert.deepEqual(CONTROL_METHODS.certIssueClient, { channel: 'cert:client', mutates: true });
  assert.deepEqual(CONTROL_METHODS.certTrustImport, { channel: 'trust:import', mutates: true });
  assert.deepEqual(CONTROL_METHODS.certClients, { channel: 'cert:clients', mutates: false });
  assert.deepEqual(CONTROL_METHODS.certTrustList, { channel: 'trust:list', mutates: false });
});
