/**
 * Certificate import and inspection against hostile or careless uploads (the admin API's certImport
 * and certInspect, the CLI's `cert import`): thousands of certificates, a certificate with a huge
 * extension, an absurdly large key, binary garbage, DER, CR line ends, a chain in the wrong order.
 * Oversized input is refused before it is parsed, with what and where; every refusal has its code;
 * nothing is stored by a refused import; the key stored is 0600.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertStore } from '../../../proxy/certs/index.ts';
import type { PemSource } from '../../../proxy/certs/index.ts';
import { MAX_BUNDLE_CERTIFICATES, MAX_CERTIFICATE_BYTES } from '../../../proxy/certs/bundle.ts';
import { buildCertificate, toPem } from '../../../proxy/certs/x509.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { CertError } from '../../../proxy/errors.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { DAY_MS, makeChain, tempDir } from './fixtures.ts';

/** Signs every CA of the long chains (signing with one key is quick); the leaf has a key of its own. */
const key = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const leafKey = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const keyPem = leafKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** `n` CA certificates each issuing the next, then a leaf: one long valid chain (one key, signed quickly). */
function longChain(n: number): { leaf: Buffer; cas: Buffer[] } {
  const cas: Buffer[] = [];
  const dates = { notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 90 * DAY_MS) };
  for (let i = 0; i < n; i++) {
    cas.push(buildCertificate({ subject: { commonName: `CA ${i}` }, publicKey: crypto.createPublicKey(key), signingKey: key, issuerCertificate: cas.at(-1), ca: true, pathLength: n, ...dates }));
  }
  const leaf = buildCertificate({ subject: { commonName: 'www.example.test' }, publicKey: crypto.createPublicKey(leafKey), signingKey: key, issuerCertificate: cas.at(-1), ca: false, dns: ['www.example.test'], ...dates });
  return { leaf, cas };
}

function refusal(run: () => unknown): CertError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof CertError, `not a CertError: ${(e as Error)?.stack}`);
    return e;
  }
  assert.fail('accepted');
}

function storeIn(dir: string): CertStore {
  return new CertStore({ dataDir: dir });
}

test(`thousands of certificates (a valid chain, pasted in its worst order) are refused before any is parsed; ${MAX_BUNDLE_CERTIFICATES} are still fine`, () => {
  const dir = tempDir();
  const store = storeIn(dir);
  const { leaf, cas } = longChain(2000);
  const pem = toPem('CERTIFICATE', leaf) + cas.map((c) => toPem('CERTIFICATE', c)).join('') + keyPem;
  for (const run of [() => store.import({ name: 'many', sources: [{ label: 'bundle.pem', data: pem }] }), () => {
    const inspection = store.inspect({ sources: [{ label: 'bundle.pem', data: pem }] });
    throw new CertError(inspection.problem!.code as 'LS_ERR_CERT_TOO_LARGE', inspection.problem!.message);
  }]) {
    const e = refusal(run);
    assert.equal(e.code, 'LS_ERR_CERT_TOO_LARGE');
    assert.match(e.message, /^2001 certificates were given; a site certificate with its chain has at most a handful/);
  }
  assert.equal(fs.existsSync(path.join(dir, 'certs', 'many.pem')), false);

  // The largest accepted bundle, in reverse issuing order, is stored with its chain in issuing order.
  const fits = longChain(MAX_BUNDLE_CERTIFICATES - 1);
  const reversed = [...fits.cas].map((c) => toPem('CERTIFICATE', c)).join('') + keyPem + toPem('CERTIFICATE', fits.leaf);
  const stored = store.import({ name: 'fits', sources: [{ label: 'bundle.pem', data: reversed }] });
  assert.equal(stored.info.chainLength, MAX_BUNDLE_CERTIFICATES - 1);
  const site = store.readSite('fits');
  assert.equal(new crypto.X509Certificate(site.chain[0]!).subject, `CN=CA ${MAX_BUNDLE_CERTIFICATES - 2}`);
  assert.equal(fs.statSync(path.join(dir, 'certs', 'fits.pem')).mode & 0o777, 0o600);
});

test('a certificate with a huge extension and an absurdly large key are refused by size, before parsing, saying what and where', () => {
  const store = storeIn(tempDir());
  const dates = { notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 90 * DAY_MS) };
  const dns = Array.from({ length: 3000 }, (_, i) => `host-${i}.${'x'.repeat(40)}.example.test`);
  const huge = buildCertificate({ subject: { commonName: 'huge' }, publicKey: crypto.createPublicKey(leafKey), signingKey: leafKey, ca: false, dns, ...dates });
  assert.ok(huge.length > MAX_CERTIFICATE_BYTES);
  const big = refusal(() => store.import({ name: 'huge', sources: [{ label: 'huge.pem', data: toPem('CERTIFICATE', huge) + keyPem }] }));
  assert.equal(big.code, 'LS_ERR_CERT_TOO_LARGE');
  assert.match(big.message, new RegExp(`^huge\\.pem line 1: the certificate is ${huge.length} bytes; real certificates are a few kB`));

  // An RSA 16384 key's block is some 9.4 kB of DER; its size alone refuses it, whatever it holds.
  const block = `-----BEGIN RSA PRIVATE KEY-----\n${crypto.randomBytes(9400).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END RSA PRIVATE KEY-----\n`;
  const { leaf } = longChain(0);
  const k = refusal(() => store.import({ name: 'bigkey', sources: [{ label: 'site.pem', data: toPem('CERTIFICATE', leaf) }, { label: 'key.pem', data: block }] }));
  assert.equal(k.code, 'LS_ERR_CERT_TOO_LARGE');
  assert.match(k.message, /^key\.pem line 1: the private key is 9400 bytes, larger than an RSA 8192-bit key; keys that large make every TLS handshake take seconds/);

  const keys = refusal(() => store.import({ name: 'keys', sources: [{ label: 'keys.pem', data: toPem('CERTIFICATE', leaf) + keyPem.repeat(100) }] }));
  assert.equal(keys.code, 'LS_ERR_CERT_TOO_LARGE');
  assert.match(keys.message, /^100 private keys were given/);
});

test('garbage, DER, damaged PEM, a foreign key and an encrypted key each get their own refusal; CRLF and lone-CR files import', async () => {
  const store = storeIn(tempDir());
  const { root, intermediate, leaf } = await makeChain();
  const good = leaf.pem + intermediate.pem + leaf.keyPem;
  const encrypted = leaf.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }) as string;
  const cases: Array<[string, PemSource[], string, RegExp]> = [
    ['binary garbage', [{ label: 'x.bin', data: crypto.randomBytes(4096) }], 'LS_ERR_CERT_DER_INPUT', /^x\.bin is binary data/],
    ['DER certificate', [{ label: 'site.der', data: leaf.cert.raw }], 'LS_ERR_CERT_DER_INPUT', /^site\.der is a DER \(binary\) certificate, not PEM text; convert it: openssl x509 -inform der/],
    ['NUL bytes in text', [{ label: 'site.pem', data: good.replace('\n', '\n\0') }], 'LS_ERR_CERT_DER_INPUT', /^site\.pem is binary data/],
    ['empty', [{ label: 'site.pem', data: '' }], 'LS_ERR_CERT_NOT_CERTIFICATE', /^site\.pem is empty/],
    ['plain text', [{ label: 'notes.txt', data: 'hello\n'.repeat(1000) }], 'LS_ERR_CERT_NOT_CERTIFICATE', /holds no PEM block/],
    ['BEGIN lines without END, by the thousand', [{ label: 'cut.pem', data: '-----BEGIN CERTIFICATE-----\nAAAA\n'.repeat(20_000) }], 'LS_ERR_CERT_PEM_TRUNCATED', /^cut\.pem line 1: '-----BEGIN CERTIFICATE-----' has no matching END line/],
    ['broken base64', [{ label: 'site.pem', data: '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n' }], 'LS_ERR_CERT_PEM_TRUNCATED', /broken base64/],
    ['valid base64, not a certificate', [{ label: 'site.pem', data: `-----BEGIN CERTIFICATE-----\n${crypto.randomBytes(300).toString('base64')}\n-----END CERTIFICATE-----\n${leaf.keyPem}` }], 'LS_ERR_CERT_PEM_TRUNCATED', /does not hold a readable certificate/],
    ['a key of another certificate', [{ label: 'site.pem', data: leaf.pem }, { label: 'key.pem', data: root.keyPem }], 'LS_ERR_CERT_KEY_MISMATCH', /^the private key \(key\.pem line 1, EC P-256\) belongs to none of the certificates: 'CN=www\.example\.test'/],
    ['an encrypted key without passphrase', [{ label: 'site.pem', data: leaf.pem }, { label: 'key.pem', data: encrypted }], 'LS_ERR_CERT_KEY_ENCRYPTED', /^key\.pem line 1: the private key is encrypted/],
    ['a chain certificate of another chain', [{ label: 'site.pem', data: leaf.pem + intermediate.pem + longChain(1).cas[0]!.toString('base64').replace(/^/, '-----BEGIN CERTIFICATE-----\n').replace(/$/, '\n-----END CERTIFICATE-----\n') + leaf.keyPem }], 'LS_ERR_CERT_CHAIN_INCOMPLETE', /^the chain/],
  ];
  for (const [what, sources, code, message] of cases) {
    const e = refusal(() => store.import({ name: 'site', sources }));
    assert.equal(e.code, code, `${what}: ${e.message}`);
    assert.match(e.message, message, what);
  }
  const wrong = refusal(() => store.import({ name: 'site', sources: [{ label: 'site.pem', data: leaf.pem }, { label: 'key.pem', data: encrypted }], passphrase: 'wrong' }));
  assert.equal(wrong.code, 'LS_ERR_CERT_KEY_PASSPHRASE');
  assert.equal(store.list().certs.length, 0, 'nothing stored by a refusal');

  for (const [name, text] of [['crlf', good.replace(/\n/g, '\r\n')], ['cr', good.replace(/\n/g, '\r')], ['reversed', leaf.keyPem + intermediate.pem + root.pem + leaf.pem]] as const) {
    const stored = store.import({ name, sources: [{ label: `${name}.pem`, data: text }] });
    assert.equal(stored.info.subject, 'CN=www.example.test', name);
    assert.equal(fs.statSync(stored.info.path).mode & 0o777, 0o600, name);
  }
  assert.equal(store.readSite('reversed').chain.length, 2);
  const withPassphrase = store.import({ name: 'encrypted', sources: [{ label: 'site.pem', data: leaf.pem }, { label: 'key.pem', data: encrypted }], passphrase: 'right' });
  assert.doesNotMatch(fs.readFileSync(withPassphrase.info.path, 'utf8'), /ENCRYPTED/, 'stored decrypted, as HAProxy reads it');
});

test('through the control contract the same uploads are refusals with their codes, never internal errors', async () => {
  const dir = tempDir();
  const engine = new Engine(parseConfig([{ name: 'empty.cfg', text: '' }]).config);
  const logged: string[] = [];
  const control = new InProcessControl(engine, { dataDir: dir, log: (m) => logged.push(m) });
  const { leaf, cas } = longChain(300);
  const pem = toPem('CERTIFICATE', leaf) + cas.map((c) => toPem('CERTIFICATE', c)).join('') + keyPem;
  const odd: unknown[] = [{ name: 'x', pems: [pem] }, { name: 'x', pems: [crypto.randomBytes(2000).toString('latin1')] }, { name: '../../x', pems: [pem] },
    { name: 'x', pems: ['-----BEGIN CERTIFICATE-----\r\n'] }, { name: 'x', pems: [pem], passphrase: 5 }, { name: 'con', pems: [pem] }];
  for (const request of odd) {
    for (const answer of [await control.certImport(request as never), await control.certInspect(request as never)]) {
      if (answer.ok) {
        assert.ok('problem' in answer.value, JSON.stringify(answer).slice(0, 200));
        continue;
      }
      assert.match(answer.error.code, /^LS_ERR_CERT_/, JSON.stringify(answer).slice(0, 300));
    }
  }
  const inspected = await control.certInspect({ pems: [pem] });
  assert.ok(inspected.ok && inspected.value.problem?.code === 'LS_ERR_CERT_TOO_LARGE');
  assert.deepEqual(logged, []);
  assert.equal(fs.existsSync(path.join(dir, 'certs')), false, 'nothing written');
});
