import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assembleBundle, inspectBundle, storeNameFor, CertStore } from '../../../proxy/certs/index.ts';
import type { PemSource } from '../../../proxy/certs/index.ts';
import { CertError } from '../../../proxy/errors.ts';
import { DAY_MS, makeCert, makeChain, openssl, tempDir } from './fixtures.ts';

const chain = await makeChain();
const { root, intermediate, leaf } = chain;
const src = (data: string | Uint8Array, label = 'site.pem'): PemSource => ({ label, data });

/** Asserts the bundle is refused with `code` and a message matching `message`, never a stack trace. */
function refused(sources: PemSource[], code: string, message: RegExp, passphrase?: string): void {
  assert.throws(() => assembleBundle(sources, { passphrase }), (e: unknown) => {
    assert.ok(e instanceof CertError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n\s+at /);
    return true;
  });
}

test('one file with leaf, key and chain in any order comes out leaf first, then each issuer', () => {
  for (const order of [[leaf.pem, intermediate.pem, root.pem, leaf.keyPem], [root.pem, leaf.keyPem, intermediate.pem, leaf.pem], [intermediate.pem, leaf.pem, leaf.keyPem]]) {
    const bundle = assembleBundle([src(order.join(''))]);
    assert.equal(bundle.leaf.fingerprint256, leaf.cert.fingerprint256);
    const expected = order.includes(root.pem) ? [intermediate, root] : [intermediate];
    assert.deepEqual(bundle.chain.map((c) => c.subject), expected.map((c) => c.cert.subject));
    assert.deepEqual(bundle.warnings, []);
  }
});

test('several files (certificate, chain, key) make one bundle; duplicates are dropped', () => {
  const bundle = assembleBundle([src(leaf.keyPem, 'key.pem'), src(intermediate.pem + root.pem, 'chain.pem'), src(leaf.pem + leaf.pem, 'cert.pem')]);
  assert.equal(bundle.chain.length, 2);
  assert.ok(bundle.leaf.checkPrivateKey(bundle.key));
});

test('a chain that stops at an intermediate is complete: the client has the root', () => {
  assert.equal(assembleBundle([src(leaf.pem + leaf.keyPem)]).chain.length, 0);
  assert.equal(assembleBundle([src(leaf.pem + intermediate.pem + leaf.keyPem)]).chain.length, 1);
});

test('a missing intermediate between the leaf and a given root is reported', () => {
  refused([src(leaf.pem + root.pem + leaf.keyPem)], 'LS_ERR_CERT_CHAIN_INCOMPLETE', /'CN=www\.example\.test' was issued by 'CN=Test Intermediate', which was not given, so 'CN=Test Root' cannot be linked; add the missing intermediate/);
});

test('a certificate of another chain is reported as not belonging', async () => {
  const stranger = await makeCert({ cn: 'Other Root', ca: true });
  refused([src(leaf.pem + intermediate.pem + root.pem + stranger.pem + leaf.keyPem)], 'LS_ERR_CERT_CHAIN_INCOMPLETE', /reaches the root 'CN=Test Root', but 'CN=Other Root' does not belong/);
});

test('a key that belongs to none of the certificates is a mismatch', async () => {
  const other = await makeCert({ cn: 'other.example.test', keyType: 'rsa2048' });
  refused([src(leaf.pem), src(other.keyPem, 'other.key')], 'LS_ERR_CERT_KEY_MISMATCH', /other\.key line 1, RSA 2048\) belongs to none of the certificates: 'CN=www\.example\.test' \(EC P-256\)/);
});

test('missing key, missing certificate and two keys each have their message', async () => {
  refused([src(leaf.pem + intermediate.pem)], 'LS_ERR_CERT_NO_KEY', /no private key was given for 'CN=www\.example\.test'/);
  refused([src(leaf.keyPem, 'site.key')], 'LS_ERR_CERT_NO_CERTIFICATE', /only a private key was given \(site\.key line 1\)/);
  refused([src(leaf.pem + leaf.keyPem + intermediate.keyPem)], 'LS_ERR_CERT_MULTIPLE_KEYS', /more than one private key/);
});

test('a truncated file: BEGIN without END, broken base64, or a cut certificate', () => {
  const cut = leaf.pem.slice(0, leaf.pem.length / 2);
  refused([src(cut)], 'LS_ERR_CERT_PEM_TRUNCATED', /^site\.pem line 1: '-----BEGIN CERTIFICATE-----' has no matching END line; the file looks truncated$/);
  refused([src(cut + '\n' + leaf.keyPem)], 'LS_ERR_CERT_PEM_TRUNCATED', /site\.pem line 1: .*no matching END/);
  const lines = leaf.pem.split('\n');
  refused([src([...lines.slice(0, 2), lines[2]!.slice(0, 30) + '!!', ...lines.slice(3)].join('\n'))], 'LS_ERR_CERT_PEM_TRUNCATED', /site\.pem line 1: the CERTIFICATE block has broken base64/);
  // Valid base64 of only half the DER: the PEM frame is intact, the certificate is not.
  const half = leaf.cert.raw.subarray(0, 120).toString('base64');
  refused([src(`-----BEGIN CERTIFICATE-----\n${half}\n-----END CERTIFICATE-----\n${leaf.keyPem}`)], 'LS_ERR_CERT_PEM_TRUNCATED', /does not hold a readable certificate/);
});

test('DER instead of PEM is recognised and the conversion command given', () => {
  refused([src(leaf.cert.raw, 'site.crt')], 'LS_ERR_CERT_DER_INPUT', /site\.crt is a DER \(binary\) certificate, not PEM text; convert it: openssl x509 -inform der -in site\.crt -out site\.crt\.pem/);
  const derKey = leaf.key.export({ type: 'pkcs8', format: 'der' });
  refused([src(leaf.pem), src(derKey, 'site.key')], 'LS_ERR_CERT_DER_INPUT', /site\.key is a DER \(binary\) private key/);
  refused([src(crypto.randomBytes(64), 'blob.p12')], 'LS_ERR_CERT_DER_INPUT', /binary data/);
});

test('an encrypted key needs its passphrase; a wrong one is told apart', () => {
  const encrypted = leaf.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' }) as string;
  assert.match(encrypted, /BEGIN ENCRYPTED PRIVATE KEY/);
  refused([src(leaf.pem + encrypted)], 'LS_ERR_CERT_KEY_ENCRYPTED', /site\.pem line \d+: the private key is encrypted; give its passphrase \(CLI: --passphrase-env VAR\)/);
  refused([src(leaf.pem + encrypted)], 'LS_ERR_CERT_KEY_PASSPHRASE', /passphrase does not decrypt/, 'wrong');
  assert.ok(assembleBundle([src(leaf.pem + encrypted)], { passphrase: 'open sesame' }).leaf.checkPrivateKey(leaf.key));
});

test('a legacy encrypted RSA key (Proc-Type header) is recognised too', async () => {
  const rsa = await makeCert({ cn: 'legacy.example.test', keyType: 'rsa2048' });
  const legacy = rsa.key.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }) as string;
  assert.match(legacy, /Proc-Type: 4,ENCRYPTED/);
  refused([src(rsa.pem + legacy)], 'LS_ERR_CERT_KEY_ENCRYPTED', /encrypted/);
  assert.ok(assembleBundle([src(rsa.pem + legacy)], { passphrase: 'pw' }).key);
});

test('a CSR, a public key or plain text is not a certificate', () => {
  const dir = tempDir();
  const keyFile = path.join(dir, 'k.pem');
  fs.writeFileSync(keyFile, leaf.keyPem);
  const csr = openssl('req', '-new', '-key', keyFile, '-subj', '/CN=www.example.test');
  assert.equal(csr.status, 0, csr.stderr);
  refused([src(csr.stdout + leaf.keyPem, 'site.csr')], 'LS_ERR_CERT_NOT_CERTIFICATE', /site\.csr line 1: this is a certificate signing request \(CSR\), not a certificate: send it to your CA/);
  const pub = crypto.createPublicKey(leaf.key).export({ type: 'spki', format: 'pem' }) as string;
  refused([src(leaf.pem + pub)], 'LS_ERR_CERT_NOT_CERTIFICATE', /this is a public key; the private key is needed/);
  refused([src('hello, this is my certificate\n', 'notes.txt')], 'LS_ERR_CERT_NOT_CERTIFICATE', /notes\.txt holds no PEM block/);
  refused([src('  \n', 'empty.pem')], 'LS_ERR_CERT_NOT_CERTIFICATE', /empty\.pem is empty/);
});

test('EC parameters next to the key are left out with a warning, as HAProxy ignores them', () => {
  const params = openssl('ecparam', '-name', 'prime256v1');
  const bundle = assembleBundle([src(params.stdout + leaf.keyPem + leaf.pem)]);
  assert.deepEqual(bundle.warnings.map((w) => w.code), ['LS_WARN_CERT_IGNORED_BLOCK']);
});

test('an expired certificate is refused; not yet valid and expiring soon are warnings', async () => {
  const expired = await makeCert({ cn: 'old.example.test', notBefore: new Date(Date.now() - 100 * DAY_MS), notAfter: new Date(Date.now() - 2 * DAY_MS) });
  refused([src(expired.pem + expired.keyPem)], 'LS_ERR_CERT_EXPIRED', /certificate 'CN=old\.example\.test' expired on \d{4}-\d\d-\d\d \(\d+ days ago\)/);
  const expiredIntermediate = await makeCert({ cn: 'Old Intermediate', ca: true, issuer: root, notBefore: new Date(Date.now() - 100 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
  const underIt = await makeCert({ cn: 'x.example.test', issuer: expiredIntermediate });
  refused([src(underIt.pem + expiredIntermediate.pem + underIt.keyPem)], 'LS_ERR_CERT_EXPIRED', /chain certificate 'CN=Old Intermediate' expired/);

  const soon = await makeCert({ cn: 'soon.example.test', notAfter: new Date(Date.now() + 10 * DAY_MS + 3_600_000) });
  const warned = assembleBundle([src(soon.pem + soon.keyPem)]);
  assert.deepEqual(warned.warnings.map((w) => w.code), ['LS_WARN_CERT_EXPIRING_SOON']);
  assert.match(warned.warnings[0]!.message, /expires on \d{4}-\d\d-\d\d, in 10 days/);

  const future = await makeCert({ cn: 'future.example.test', notBefore: new Date(Date.now() + 2 * DAY_MS) });
  assert.deepEqual(assembleBundle([src(future.pem + future.keyPem)]).warnings.map((w) => w.code), ['LS_WARN_CERT_NOT_YET_VALID']);
});

test('a certificate without subjectAltName is imported with a warning that browsers will refuse it', () => {
  const dir = tempDir();
  const r = openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=nosan.example.test', '-days', '60',
    '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'));
  assert.equal(r.status, 0, r.stderr);
  const bundle = assembleBundle([src(fs.readFileSync(path.join(dir, 'c.pem')), 'c.pem'), src(fs.readFileSync(path.join(dir, 'k.pem')), 'k.pem')]);
  assert.deepEqual(bundle.warnings.map((w) => w.code), ['LS_WARN_CERT_NO_SAN']);
});

test('the store keeps an import as certificate, chain, key in that order, and lists what it imported', () => {
  const store = new CertStore({ dataDir: tempDir() });
  const stored = store.import({ name: 'www', sources: [src(root.pem + leaf.keyPem + intermediate.pem + leaf.pem)] });
  assert.deepEqual(stored.warnings, []);
  assert.equal(stored.info.chainLength, 2);
  assert.equal(stored.info.localCa, false);
  assert.deepEqual(stored.info.sans, ['DNS:www.example.test']);
  const text = fs.readFileSync(stored.info.path, 'utf8');
  assert.equal(text, leaf.pem + intermediate.pem + root.pem + leaf.keyPem);
  const site = store.readSite('www');
  assert.equal(site.certificate, leaf.pem);
  assert.deepEqual(site.chain, [intermediate.pem, root.pem]);
  assert.equal(site.key, leaf.keyPem);
});

test('a failed import leaves the stored certificate of that name untouched', () => {
  const store = new CertStore({ dataDir: tempDir() });
  store.import({ name: 'www', sources: [src(leaf.pem + leaf.keyPem)] });
  const before = fs.readFileSync(store.pathOf('www'));
  assert.throws(() => store.import({ name: 'www', sources: [src(leaf.pem + root.keyPem)] }), (e: CertError) => e.code === 'LS_ERR_CERT_KEY_MISMATCH');
  assert.deepEqual(fs.readFileSync(store.pathOf('www')), before);
});

test('inspecting an upload tells what the import would store and the name it suggests, storing nothing', async () => {
  const good = inspectBundle([src(intermediate.pem + leaf.keyPem + leaf.pem)]);
  assert.equal(good.problem, undefined);
  assert.equal(good.suggestedName, 'www.example.test');
  assert.equal(good.leaf?.fingerprint256, leaf.cert.fingerprint256);
  assert.equal(good.chainLength, 1);

  // Still pasting: the certificate names itself before its key is there; the refusal is the import's own.
  const noKey = inspectBundle([src(intermediate.pem + leaf.pem)]);
  assert.equal(noKey.suggestedName, 'www.example.test');
  assert.equal(noKey.leaf?.subject, 'CN=www.example.test');
  assert.equal(noKey.problem?.code, 'LS_ERR_CERT_NO_KEY');
  assert.match(noKey.problem!.message, /no private key was given for 'CN=www\.example\.test'/);

  const wildcard = await makeCert({ cn: 'Home', dns: ['*.home.example.test', 'home.example.test'] });
  assert.equal(inspectBundle([src(wildcard.pem + wildcard.keyPem)]).suggestedName, 'wildcard.home.example.test');

  const expired = await makeCert({ cn: 'old.example.test', notBefore: new Date(Date.now() - 100 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
  const old = inspectBundle([src(expired.pem + expired.keyPem)]);
  assert.equal(old.problem?.code, 'LS_ERR_CERT_EXPIRED');
  assert.equal(old.suggestedName, 'old.example.test');

  for (const garbage of ['nothing here', '-----BEGIN CERTIFICATE-----\nMIIB']) {
    const r = inspectBundle([src(garbage)]);
    assert.equal(r.leaf, undefined);
    assert.equal(r.suggestedName, undefined);
    assert.ok(r.problem, garbage);
  }
});

test('a certificate without subjectAltName suggests its common name', () => {
  const dir = tempDir();
  const r = openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/O=Home/CN=NAS Box', '-days', '60',
    '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'));
  assert.equal(r.status, 0, r.stderr);
  const inspected = inspectBundle([src(fs.readFileSync(path.join(dir, 'c.pem')), 'c.pem'), src(fs.readFileSync(path.join(dir, 'k.pem')), 'k.pem')]);
  assert.equal(inspected.suggestedName, 'nas_box');
  assert.deepEqual(inspected.warnings.map((w) => w.code), ['LS_WARN_CERT_NO_SAN']);
});

test('a host name becomes a store name the store accepts, or none', () => {
  assert.equal(storeNameFor('NAS.Home.Arpa'), 'nas.home.arpa');
  assert.equal(storeNameFor('*.home.arpa'), 'wildcard.home.arpa');
  assert.equal(storeNameFor('xn--bcher-kva.example'), 'xn--bcher-kva.example');
  assert.equal(storeNameFor('a..b'), 'a.b');
  assert.equal(storeNameFor('x'.repeat(80)), 'x'.repeat(64));
  assert.equal(storeNameFor('-_-'), undefined);
  assert.equal(storeNameFor(''), undefined);
  assert.equal(storeNameFor('con'), undefined);
});
