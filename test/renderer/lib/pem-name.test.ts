/**
 * suggestedCertName (renderer/src/lib/pem-name.ts): the Certificates screen's
 * import form names a certificate after the host it is for (Let's Encrypt's
 * files are all fullchain.pem), read from real certificates made with node-forge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { certificateHostName, suggestedCertName } from '../../../renderer/src/lib/pem-name.ts';

const keys = forge.pki.rsa.generateKeyPair(1024);

function certificate(subject: Array<{ name: string; value: string }>, dns?: string[]): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '0a';
  cert.validity.notBefore = new Date('2026-01-01');
  cert.validity.notAfter = new Date('2026-04-01');
  cert.setSubject(subject);
  cert.setIssuer([{ name: 'commonName', value: 'Test CA' }]);
  const extensions: object[] = [{ name: 'basicConstraints', cA: false }];
  if (dns) extensions.push({ name: 'subjectAltName', altNames: [{ type: 7, ip: '192.168.1.5' }, ...dns.map((value) => ({ type: 2, value }))] });
  cert.setExtensions(extensions);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const key = forge.pki.privateKeyToPem(keys.privateKey);

test('the first DNS name of the subjectAltName names the certificate, before the common name', () => {
  const pem = certificate([{ name: 'organizationName', value: 'Home' }, { name: 'commonName', value: 'Home lab' }], ['nas.home.arpa', 'www.home.arpa']);
  assert.equal(certificateHostName(pem), 'nas.home.arpa');
  assert.equal(suggestedCertName(`${key}\n${pem}`), 'nas.home.arpa', 'the key may come first');
});

test('without a subjectAltName the common name is used; a wildcard and spaces become a valid store name', () => {
  assert.equal(suggestedCertName(certificate([{ name: 'commonName', value: 'router.home.arpa' }])), 'router.home.arpa');
  assert.equal(suggestedCertName(certificate([{ name: 'commonName', value: 'x' }], ['*.home.arpa'])), 'wildcard.home.arpa');
  assert.equal(suggestedCertName(certificate([{ name: 'commonName', value: 'My NAS' }])), 'My_NAS');
});

test('the leaf (first certificate) of a chain names it; text without a readable certificate suggests nothing', () => {
  const leaf = certificate([{ name: 'commonName', value: 'leaf' }], ['app.home.arpa']);
  const ca = certificate([{ name: 'commonName', value: 'Test CA' }]);
  assert.equal(suggestedCertName(leaf + ca + key), 'app.home.arpa');
  assert.equal(suggestedCertName(key), undefined);
  assert.equal(suggestedCertName('-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n'), undefined);
  assert.equal(suggestedCertName('-----BEGIN CERTIFICATE-----\nMIIBCgKCAQEA\n-----END CERTIFICATE-----\n'), undefined);
  assert.equal(suggestedCertName(''), undefined);
});
