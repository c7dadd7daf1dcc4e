import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CertStore, resolveDataDir } from '../../../proxy/certs/index.ts';
import { CertError } from '../../../proxy/errors.ts';
import { openssl, tempDir } from './fixtures.ts';

const mode = (file: string) => fs.statSync(file).mode & 0o777;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('the data directory: option, then LOADSTAR_DATA_DIR, then XDG_DATA_HOME/loadstar, then ~/.local/share/loadstar', () => {
  const env = { LOADSTAR_DATA_DIR: '/srv/ls', XDG_DATA_HOME: '/home/u/.data' };
  assert.equal(resolveDataDir({ dataDir: '/opt/x', env }), '/opt/x');
  assert.equal(resolveDataDir({ env }), '/srv/ls');
  assert.equal(resolveDataDir({ env: { XDG_DATA_HOME: '/home/u/.data' } }), '/home/u/.data/loadstar');
  assert.equal(resolveDataDir({ env: { XDG_DATA_HOME: 'relative' } }), path.join(os.homedir(), '.local/share/loadstar'), 'a relative XDG_DATA_HOME is ignored');
  assert.equal(resolveDataDir({ env: {} }), path.join(os.homedir(), '.local/share/loadstar'));
});

test('keys and combined PEMs are 0600, the CA and certs directories 0700, even under a permissive umask', async () => {
  const old = process.umask(0o000);
  try {
    const store = new CertStore({ dataDir: tempDir() });
    await store.initCa();
    const info = await store.issue({ name: 'site', dns: ['site.home.test'] });
    assert.equal(mode(store.caKeyPath), 0o600);
    assert.equal(mode(store.caCertPath), 0o644, 'the CA certificate is public');
    assert.equal(mode(store.caDir), 0o700);
    assert.equal(mode(store.certsDir), 0o700);
    assert.equal(mode(info.path), 0o600);
    assert.match(fs.readFileSync(store.caKeyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.deepEqual(fs.readdirSync(store.certsDir), ['site.pem'], 'no temporary file left behind');
  } finally {
    process.umask(old);
  }
});

test('a write that fails half-way (file size limit) leaves the previous certificate intact and no temporary file', async () => {
  const dataDir = tempDir();
  const store = new CertStore({ dataDir });
  const first = await store.issue({ name: 'site', dns: ['site.home.test'], selfSigned: true });
  const before = fs.readFileSync(first.path);
  // RLIMIT_FSIZE of 512 bytes: every write past it fails with EFBIG, as on a full disk; the new file (RSA 2048) is ~2.9 kB.
  const script = `
    import { CertStore } from ${JSON.stringify(path.join(root, 'proxy/certs/index.ts'))};
    try {
      await new CertStore({ dataDir: ${JSON.stringify(dataDir)} }).issue({ name: 'site', dns: ['other.home.test'], selfSigned: true, key: 'rsa2048' });
      console.log('written');
    } catch (e) { console.log(e.code + ' ' + e.message); }`;
  const r = spawnSync('sh', ['-c', `ulimit -f 1 && exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.match(r.stdout, /^LS_ERR_CERT_STORE cannot write .*site\.pem: EFBIG/, r.stdout + r.stderr);
  assert.deepEqual(fs.readFileSync(first.path), before, 'the old file is byte-for-byte the same');
  assert.deepEqual(fs.readdirSync(store.certsDir), ['site.pem']);
  assert.deepEqual(store.describe('site').sans, ['DNS:site.home.test']);
});

test('the listing shows subject, SANs, issuer, dates, days left, key and the SHA-256 fingerprint openssl prints', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  assert.deepEqual(store.list(), { certs: [], unreadable: [] });
  const ca = await store.initCa({ commonName: 'List CA' });
  await store.issue({ name: 'b-site', dns: ['b.home.test'], ip: ['10.0.0.2'], days: 90, key: 'rsa2048' });
  await store.issue({ name: 'a-site', dns: ['a.home.test'], selfSigned: true });
  fs.writeFileSync(path.join(store.certsDir, 'broken.pem'), 'not a pem\n');
  const listing = store.list();
  assert.deepEqual(listing.certs.map((c) => c.name), ['a-site', 'b-site']);
  const b = listing.certs[1]!;
  assert.equal(b.subject, 'CN=b.home.test');
  assert.equal(b.issuer, ca.subject);
  assert.deepEqual(b.sans, ['DNS:b.home.test', 'IP:10.0.0.2']);
  assert.equal(b.key, 'RSA 2048');
  assert.equal(b.localCa, true);
  assert.equal(b.daysLeft, 89, '90 days from an hour ago');
  assert.ok(Date.parse(b.notAfter) - Date.parse(b.notBefore) === 90 * 86_400_000);
  const fp = openssl('x509', '-in', b.path, '-noout', '-fingerprint', '-sha256').stdout.trim();
  assert.equal(`sha256 Fingerprint=${b.fingerprint256}`, fp);
  const serial = openssl('x509', '-in', b.path, '-noout', '-serial').stdout.trim();
  assert.equal(`serial=${b.serial}`, serial);
  assert.equal(listing.certs[0]!.localCa, false);
  assert.equal(listing.certs[0]!.selfSigned, true);
  assert.deepEqual(listing.unreadable.map((u) => u.name), ['broken']);
  assert.match(listing.unreadable[0]!.error, /holds no PEM block/);
});

test('a multi-certificate bundle\'s members (site.pem.rsa, site.pem.ecdsa) are stored, listed and removed as certificates of their own, at their own paths', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  const rsa = await store.issue({ name: 'site.pem.rsa', dns: ['site.home.test'], selfSigned: true, key: 'rsa2048' });
  const ec = await store.issue({ name: 'site.pem.ecdsa', dns: ['site.home.test'], selfSigned: true });
  assert.equal(rsa.path, path.join(store.certsDir, 'site.pem.rsa'));
  assert.equal(ec.path, path.join(store.certsDir, 'site.pem.ecdsa'));
  // A member whose key is in its companion file, where HAProxy looks for it.
  const site = store.readSite('site.pem.ecdsa');
  fs.writeFileSync(ec.path, site.certificate);
  fs.writeFileSync(`${ec.path}.key`, site.key, { mode: 0o600 });
  assert.deepEqual(store.list().certs.map((c) => [c.name, c.key]), [['site.pem.ecdsa', 'EC P-256'], ['site.pem.rsa', 'RSA 2048']]);
  store.remove('site.pem.rsa');
  assert.deepEqual(fs.readdirSync(store.certsDir).sort(), ['site.pem.ecdsa', 'site.pem.ecdsa.key']);
});

test('remove deletes a stored certificate; unknown names are reported', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  await store.issue({ name: 'gone', dns: ['gone.home.test'], selfSigned: true });
  store.remove('gone');
  assert.equal(fs.existsSync(store.pathOf('gone')), false);
  assert.throws(() => store.remove('gone'), (e: CertError) => e.code === 'LS_ERR_CERT_NOT_FOUND' && /no certificate named 'gone'/.test(e.message));
  assert.throws(() => store.describe('nothing'), (e: CertError) => e.code === 'LS_ERR_CERT_NOT_FOUND');
  assert.throws(() => store.remove('../ca/ca'), (e: CertError) => e.code === 'LS_ERR_CERT_BAD_NAME');
});

test('a CA whose key does not match its certificate is reported as damaged', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  await store.initCa();
  const otherKey = fs.readFileSync(store.caKeyPath);
  await store.initCa({ force: true });
  fs.writeFileSync(store.caKeyPath, otherKey);
  assert.throws(() => store.caStatus(), (e: CertError) => e.code === 'LS_ERR_CERT_STORE' && /damaged \(ca\.key does not belong to ca\.pem\).*ca init --force/.test(e.message));
});
