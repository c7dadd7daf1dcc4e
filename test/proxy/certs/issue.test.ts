import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertStore } from '../../../proxy/certs/index.ts';
import { CertError } from '../../../proxy/errors.ts';
import { openssl, tempDir } from './fixtures.ts';

const x509 = (file: string) => new crypto.X509Certificate(fs.readFileSync(file));

for (const key of ['ec256', 'rsa2048'] as const) {
  test(`a ${key} local CA issues a leaf for DNS names, a wildcard and IP addresses that Node and openssl verify`, async () => {
    const store = new CertStore({ dataDir: tempDir() });
    const ca = await store.initCa({ key, commonName: 'Home Lab CA' });
    assert.equal(ca.subject, 'O=Loadstar, CN=Home Lab CA');
    assert.equal(ca.key, key === 'ec256' ? 'EC P-256' : 'RSA 2048');
    assert.ok(ca.daysLeft >= 3648 && ca.daysLeft <= 3650, String(ca.daysLeft));

    const info = await store.issue({ name: 'lab', dns: ['nas.home.test', '*.apps.home.test', 'NAS.home.test.'], ip: ['192.168.1.10', 'fd00::10'], key });
    assert.deepEqual(info.sans, ['DNS:nas.home.test', 'DNS:*.apps.home.test', 'IP:192.168.1.10', 'IP:fd00::10']);
    assert.equal(info.subject, 'CN=nas.home.test');
    assert.equal(info.localCa, true);
    assert.equal(info.selfSigned, false);

    const caCert = x509(store.caCertPath);
    const leaf = x509(info.path);
    assert.ok(caCert.ca, 'the CA certificate says CA:TRUE');
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(caCert));
    assert.ok(leaf.verify(caCert.publicKey));
    assert.ok(!leaf.verify(leaf.publicKey), 'not signed by its own key');
    assert.equal(leaf.checkHost('nas.home.test'), 'nas.home.test');
    assert.equal(leaf.checkHost('grafana.apps.home.test'), '*.apps.home.test');
    assert.equal(leaf.checkHost('a.b.apps.home.test'), undefined, 'a wildcard covers one label');
    assert.equal(leaf.checkHost('other.test'), undefined);
    assert.equal(leaf.checkIP('192.168.1.10'), '192.168.1.10');
    assert.equal(leaf.checkIP('fd00:0:0::10'), 'fd00:0:0::10');
    assert.equal(leaf.checkIP('192.168.1.11'), undefined);
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extKeyUsage serverAuth only');

    const verified = openssl('verify', '-CAfile', store.caCertPath, '-purpose', 'sslserver', info.path);
    assert.equal(verified.status, 0, verified.stderr + verified.stdout);
    assert.match(verified.stdout, /: OK/);
  });
}

test('leaf and CA carry the extensions browsers require, with the right criticality', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  await store.initCa({ key: 'rsa2048' });
  const rsa = await store.issue({ name: 'rsa', dns: ['rsa.home.test'], key: 'rsa2048' });
  const ec = await store.issue({ name: 'ec', dns: ['ec.home.test'] });
  const text = (file: string) => openssl('x509', '-in', file, '-noout', '-text').stdout;

  const caText = text(store.caCertPath);
  assert.match(caText, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/);
  assert.match(caText, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
  assert.match(caText, /X509v3 Subject Key Identifier: \n\s+[0-9A-F:]{59}\n/);
  assert.match(caText, /Signature Algorithm: sha256WithRSAEncryption/);

  const rsaText = text(rsa.path);
  assert.match(rsaText, /Version: 3 \(0x2\)/);
  assert.match(rsaText, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
  assert.match(rsaText, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
  assert.match(rsaText, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
  assert.match(rsaText, /X509v3 Subject Alternative Name: \n\s+DNS:rsa\.home\.test\n/);
  assert.match(rsaText, /X509v3 Subject Key Identifier: /);
  const caSki = /X509v3 Subject Key Identifier: \n\s+([0-9A-F:]+)/.exec(caText)![1];
  assert.match(rsaText, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${caSki}\\n`), 'AKI names the CA key');
  assert.match(text(ec.path), /X509v3 Key Usage: critical\n\s+Digital Signature\n/, 'no keyEncipherment for an ECDSA key');
  assert.match(text(ec.path), /Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256/);

  // 16-byte positive serials, different each time.
  const serials = [rsa, ec].map((c) => c.serial);
  assert.notEqual(serials[0], serials[1]);
  for (const s of serials) {
    assert.equal(s.length, 32, s);
    assert.ok(parseInt(s[0]!, 16) < 8, 'high bit clear: positive');
  }
});

test('the lifetime is at most 825 days, counted from notBefore; 825 is the default', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  await store.initCa();
  const byDefault = await store.issue({ name: 'default', dns: ['a.home.test'] });
  const lifetime = (i: { notBefore: string; notAfter: string }) => (Date.parse(i.notAfter) - Date.parse(i.notBefore)) / 86_400_000;
  assert.equal(lifetime(byDefault), 825);
  assert.ok(Date.parse(byDefault.notBefore) < Date.now(), 'backdated a little for slow clocks');
  assert.equal(lifetime(await store.issue({ name: 'short', dns: ['a.home.test'], days: 30 })), 30);
  for (const days of [826, 0, 1.5, -1]) {
    await assert.rejects(store.issue({ name: 'long', dns: ['a.home.test'], days }), (e: CertError) => e.code === 'LS_ERR_CERT_BAD_DAYS' && /1 to 825/.test(e.message));
  }
  assert.equal(fs.existsSync(path.join(store.certsDir, 'long.pem')), false);
});

test('a self-signed certificate needs no CA and verifies against itself', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  const info = await store.issue({ name: 'solo', dns: ['solo.home.test'], ip: ['127.0.0.1'], selfSigned: true });
  assert.equal(info.selfSigned, true);
  assert.equal(info.localCa, false);
  assert.equal(info.issuer, info.subject);
  const cert = x509(info.path);
  assert.equal(cert.ca, false, 'CA:FALSE: Firefox refuses a CA certificate as a server certificate');
  assert.ok(cert.verify(cert.publicKey));
  const verified = openssl('verify', '-CAfile', info.path, info.path);
  assert.equal(verified.status, 0, verified.stderr + verified.stdout);
  assert.equal(store.caStatus(), null, 'no CA was created on the way');
  await assert.rejects(store.issue({ name: 'x', dns: ['a.home.test'] }), (e: CertError) => e.code === 'LS_ERR_CERT_CA_MISSING' && /loadstar cert ca init/.test(e.message));
});

test('issuing refuses bad names, SANs and key types with their own codes', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  await store.initCa();
  const cases: Array<[Parameters<CertStore['issue']>[0], string, RegExp]> = [
    [{ name: '../etc/passwd', dns: ['a.home.test'] }, 'LS_ERR_CERT_BAD_NAME', /not allowed/],
    [{ name: 'site.pem', dns: ['a.home.test'] }, 'LS_ERR_CERT_BAD_NAME', /without the extension/],
    [{ name: 'NUL', dns: ['a.home.test'] }, 'LS_ERR_CERT_BAD_NAME', /not allowed/],
    [{ name: 'site' }, 'LS_ERR_CERT_BAD_SAN', /at least one DNS name or IP address/],
    [{ name: 'site', dns: ['*.test'] }, 'LS_ERR_CERT_BAD_SAN', /top-level domain/],
    [{ name: 'site', dns: ['a.*.home.test'] }, 'LS_ERR_CERT_BAD_SAN', /leftmost label/],
    [{ name: 'site', dns: ['under_score.test'] }, 'LS_ERR_CERT_BAD_SAN', /characters other than/],
    [{ name: 'site', dns: ['10.0.0.1'] }, 'LS_ERR_CERT_BAD_SAN', /give it with --ip/],
    [{ name: 'site', ip: ['300.1.1.1'] }, 'LS_ERR_CERT_BAD_SAN', /not an IPv4/],
    [{ name: 'site', dns: ['a.home.test'], key: 'rsa1024' as never }, 'LS_ERR_CERT_BAD_KEY_TYPE', /rsa2048, rsa3072, rsa4096, ec256/],
  ];
  for (const [request, code, message] of cases) {
    await assert.rejects(store.issue(request), (e: CertError) => {
      assert.equal(e.code, code, `${JSON.stringify(request)}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.deepEqual(fs.existsSync(store.certsDir) ? fs.readdirSync(store.certsDir) : [], []);
});

test('an internationalised name is stored as punycode', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  const info = await store.issue({ name: 'idn', dns: ['bücher.home.test'], selfSigned: true });
  assert.deepEqual(info.sans, ['DNS:xn--bcher-kva.home.test']);
});

test('an RSA 4096 CA works (the one slow key in the suite)', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  const ca = await store.initCa({ key: 'rsa4096' });
  assert.equal(ca.key, 'RSA 4096');
  const info = await store.issue({ name: 'big', dns: ['big.home.test'], key: 'rsa3072' });
  assert.equal(info.key, 'RSA 3072');
  assert.equal(openssl('verify', '-CAfile', store.caCertPath, info.path).status, 0);
});

test('creating a second CA needs force, and force replaces it', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  const first = await store.initCa();
  await assert.rejects(store.initCa(), (e: CertError) => e.code === 'LS_ERR_CERT_CA_EXISTS');
  assert.equal(store.caStatus()!.fingerprint256, first.fingerprint256);
  const issued = await store.issue({ name: 'old', dns: ['old.home.test'] });
  assert.equal(issued.localCa, true);
  const second = await store.initCa({ force: true });
  assert.notEqual(second.fingerprint256, first.fingerprint256);
  assert.equal(store.describe('old').localCa, false, 'the old leaf is no longer from the local CA');
});

test('the CA exports as PEM and as DER of the same certificate', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  assert.throws(() => store.exportCa('pem'), (e: CertError) => e.code === 'LS_ERR_CERT_CA_MISSING');
  const ca = await store.initCa();
  const pem = store.exportCa('pem');
  const der = store.exportCa('der');
  assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  assert.equal(new crypto.X509Certificate(der).fingerprint256, ca.fingerprint256);
  assert.equal(new crypto.X509Certificate(pem).fingerprint256, ca.fingerprint256);
  assert.equal(der[0], 0x30, 'DER starts with an ASN.1 SEQUENCE');
});
