import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { CONTROL_METHODS } from '../../../proxy/control/contract.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { makeChain, tempDir } from './fixtures.ts';

function control(dataDir: string): InProcessControl {
  // The certificate methods never touch the engine; it is built (not started) because the contract is one object.
  const parsed = parseConfig([{ name: 'empty.cfg', text: 'defaults\n    mode http\n' }]);
  return new InProcessControl(new Engine(parsed.config, { sink: { traffic() {}, alert() {} } }), { dataDir });
}

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

test('the control contract creates the CA, exports it, issues, imports uploaded PEM text, lists and removes', async () => {
  const dataDir = tempDir();
  const ctl = control(dataDir);
  assert.equal(value(await ctl.certCaStatus()), null);
  const ca = value(await ctl.certCaInit({ key: 'ec256', commonName: 'UI CA' }));
  assert.equal(ca.subject, 'O=Loadstar, CN=UI CA');
  assert.deepEqual(await ctl.certCaInit({}), { ok: false, error: { code: 'LS_ERR_CERT_CA_EXISTS', message: `a local CA already exists in ${dataDir}/ca; replacing it (--force) makes every certificate it issued untrusted` } });

  const pem = value(await ctl.certCaExport('pem'));
  assert.equal(pem.fileName, 'loadstar-ca.pem');
  const der = value(await ctl.certCaExport('der'));
  assert.equal(der.fileName, 'loadstar-ca.crt');
  assert.equal(new crypto.X509Certificate(Buffer.from(der.data, 'base64')).fingerprint256, ca.fingerprint256);
  assert.equal(new crypto.X509Certificate(pem.data).fingerprint256, ca.fingerprint256);

  const issued = value(await ctl.certIssue({ name: 'nas', dns: ['nas.home.test'], ip: ['192.168.1.5'], days: 365 }));
  assert.equal(issued.localCa, true);
  assert.deepEqual(issued.sans, ['DNS:nas.home.test', 'IP:192.168.1.5']);

  const { intermediate, leaf } = await makeChain();
  const inspected = value(await ctl.certInspect({ pems: [leaf.keyPem, intermediate.pem + leaf.pem] }));
  assert.deepEqual([inspected.suggestedName, inspected.leaf?.subject, inspected.chainLength, inspected.problem], ['www.example.test', 'CN=www.example.test', 1, undefined]);
  assert.equal(value(await ctl.certList()).certs.length, 1, 'inspecting stores nothing');
  const imported = await ctl.certImport({ name: 'www', pems: [leaf.keyPem, intermediate.pem + leaf.pem] });
  assert.equal(imported.ok, true);
  assert.deepEqual(imported.ok && imported.warnings, []);
  assert.equal(fs.readFileSync(value(imported).path, 'utf8'), leaf.pem + intermediate.pem + leaf.keyPem);

  const listing = value(await ctl.certList());
  assert.deepEqual(listing.certs.map((c) => [c.name, c.localCa, c.chainLength]), [['nas', true, 0], ['www', false, 1]]);

  assert.deepEqual(value(await ctl.certRemove('nas')), { name: 'nas' });
  assert.deepEqual(value(await ctl.certList()).certs.map((c) => c.name), ['www']);
});

test('bad arguments from the UI are answers with codes, never throws', async () => {
  const ctl = control(tempDir());
  const code = async (p: Promise<Result<unknown>>) => { const r = await p; return r.ok ? 'ok' : r.error.code; };
  assert.equal(await code(ctl.certIssue({ name: 'x', dns: ['a.home.test'] })), 'LS_ERR_CERT_CA_MISSING');
  assert.equal(await code(ctl.certIssue({ name: '', dns: ['a.home.test'], selfSigned: true })), 'LS_ERR_CERT_BAD_NAME');
  assert.equal(await code(ctl.certIssue({ name: 42 as never, dns: ['a.home.test'], selfSigned: true })), 'LS_ERR_CERT_BAD_NAME');
  assert.equal(await code(ctl.certIssue({ name: 'x', dns: 'a.home.test' as never, selfSigned: true })), 'LS_ERR_CERT_BAD_SAN');
  assert.equal(await code(ctl.certIssue({ name: 'x', dns: [], ip: [], selfSigned: true })), 'LS_ERR_CERT_BAD_SAN');
  assert.equal(await code(ctl.certIssue({ name: 'x', dns: ['a.home.test'], days: '30' as never, selfSigned: true })), 'LS_ERR_CERT_BAD_DAYS');
  assert.equal(await code(ctl.certIssue({ name: 'x', dns: ['a.home.test'], days: 826, selfSigned: true })), 'LS_ERR_CERT_BAD_DAYS');
  assert.equal(await code(ctl.certCaInit({ key: 'dsa' as never })), 'LS_ERR_CERT_BAD_KEY_TYPE');
  assert.equal(await code(ctl.certCaInit({ commonName: 'x'.repeat(65) })), 'LS_ERR_CERT_BAD_NAME');
  assert.equal(await code(ctl.certImport({ name: 'x', pems: [] })), 'LS_ERR_CERT_NO_CERTIFICATE');
  assert.equal(await code(ctl.certImport({ name: 'x', pems: 'text' as never })), 'LS_ERR_CERT_NO_CERTIFICATE');
  assert.equal(await code(ctl.certImport({ name: 'x', pems: ['-----BEGIN CERTIFICATE-----\nMIIB'] })), 'LS_ERR_CERT_PEM_TRUNCATED');
  assert.equal(await code(ctl.certInspect({ pems: [] })), 'LS_ERR_CERT_NO_CERTIFICATE');
  assert.equal(await code(ctl.certInspect(null as never)), 'LS_ERR_CTL_BAD_VALUE');
  assert.equal(await code(ctl.certInspect({ pems: ['x'], passphrase: 7 as never })), 'LS_ERR_CERT_KEY_PASSPHRASE');
  const unreadable = value(await ctl.certInspect({ pems: ['garbage'] }));
  assert.equal(unreadable.problem?.code, 'LS_ERR_CERT_NOT_CERTIFICATE');
  assert.equal(await code(ctl.certRemove('nothing')), 'LS_ERR_CERT_NOT_FOUND');
  assert.equal(await code(ctl.certCaExport('der')), 'LS_ERR_CERT_CA_MISSING');
  // The text is named as the user gave it (it said 'upload #1', for text pasted into the form).
  const upload = await ctl.certImport({ name: 'x', pems: ['garbage'] });
  assert.deepEqual(upload, { ok: false, error: { code: 'LS_ERR_CERT_NOT_CERTIFICATE', message: "PEM text holds no PEM block ('-----BEGIN CERTIFICATE-----' or '-----BEGIN PRIVATE KEY-----'); it is not a certificate or key" } });
  const two = await ctl.certImport({ name: 'x', pems: ['garbage', 'more garbage'] });
  assert.match(two.ok ? '' : two.error.message, /^PEM text 1 holds no PEM block/);
});

test('every certificate method has an area:verb channel', () => {
  const cert = Object.entries(CONTROL_METHODS).filter(([method]) => method.startsWith('cert')).map(([method, m]) => [method, m.channel]);
  assert.deepEqual(cert, [
    ['certCaStatus', 'ca:status'], ['certCaInit', 'ca:init'], ['certCaExport', 'ca:export'],
    ['certIssue', 'cert:issue'], ['certImport', 'cert:import'], ['certInspect', 'cert:inspect'], ['certList', 'cert:list'], ['certRemove', 'cert:remove'],
    ['certIssueClient', 'cert:client'], ['certClients', 'cert:clients'], ['certTrustImport', 'trust:import'], ['certTrustList', 'trust:list'],
  ]);
});
