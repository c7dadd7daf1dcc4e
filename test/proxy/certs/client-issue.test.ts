/**
 * Client certificates from the local CA: a bind with `ca-file` the exported CA and `verify required`
 * lets in a client holding one (its CN read back with ssl_c_s_dn(CN)) and refuses a client without;
 * the PKCS#12 file a browser imports opens with its password in OpenSSL 3 (no legacy provider).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { CertStore } from '../../../proxy/certs/index.ts';
import { certCommand } from '../../../proxy/certs/cli.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { tempDir } from './fixtures.ts';

function get(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    let data = '';
    let error = '';
    socket.on('data', (d: Buffer) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve(data ? data.split('\r\n\r\n')[1]!.trim() : error || 'closed'));
  });
}

test('a client certificate issued by the local CA opens a bind with verify required; its PKCS#12 file opens in OpenSSL', async () => {
  const dir = tempDir('loadstar-client-issue-');
  const store = new CertStore({ dataDir: dir });
  await store.initCa({ commonName: 'Home Lab CA' });
  await store.issue({ name: 'site', dns: ['localhost'] });
  const caFile = path.join(dir, 'clients-ca.pem');
  fs.writeFileSync(caFile, store.exportCa('pem'));
  const issued = await store.issueClient({ commonName: 'alice', email: 'alice@home.arpa', password: 'open sesame' });

  const cert = new crypto.X509Certificate(issued.pem);
  assert.equal(cert.subject, 'CN=alice');
  assert.equal(cert.subjectAltName, 'email:alice@home.arpa');
  assert.equal(cert.keyUsage?.join(','), '1.3.6.1.5.5.7.3.2'); // extKeyUsage clientAuth
  assert.equal(cert.issuer, 'O=Loadstar\nCN=Home Lab CA');

  const port = await freePort();
  const proxy = await startEngine(`defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend mtls
    bind 127.0.0.1:${port} ssl crt ${store.pathOf('site')} ca-file ${caFile} verify required
    http-request return status 200 content-type text/plain lf-string "hello %[ssl_c_s_dn(CN)] verify=%[ssl_c_verify]"
`);
  try {
    assert.equal(await get(port, { cert: issued.pem, key: issued.pem }), 'hello alice verify=0');
    assert.equal(await get(port, {}), 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  } finally {
    await proxy.stop();
  }

  const p12 = path.join(dir, 'alice.p12');
  fs.writeFileSync(p12, issued.pkcs12);
  const read = spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:open sesame', '-nodes'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(read.status, 0, read.stderr);
  assert.match(read.stdout, /friendlyName: alice/);
  assert.equal((read.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, 'the certificate and the local CA');
  assert.match(read.stdout, /BEGIN PRIVATE KEY/);
});

test('issuing a client certificate needs the local CA and a common name', async () => {
  const store = new CertStore({ dataDir: tempDir('loadstar-client-issue-') });
  await assert.rejects(store.issueClient({ commonName: 'bob' }), { code: 'LS_ERR_CERT_CA_MISSING' });
  await store.initCa({});
  await assert.rejects(store.issueClient({ commonName: ' ' }), { code: 'LS_ERR_CERT_BAD_NAME' });
  await assert.rejects(store.issueClient({ commonName: 'bob', email: 'not mail' }), { code: 'LS_ERR_CERT_BAD_SAN' });
  await assert.rejects(store.issueClient({ commonName: 'bob', key: 'ec256' }), { code: 'LS_ERR_CERT_BAD_KEY_TYPE' });
});

test('loadstar cert client writes the PKCS#12 file (and the PEM) for the holder', async () => {
  const dir = tempDir('loadstar-client-cli-');
  const store = new CertStore({ dataDir: dir });
  await store.initCa({ commonName: 'Home Lab CA' });
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
  process.env['LOADSTAR_TEST_P12_PASSWORD'] = 'pw';
  try {
    const code = await certCommand(['client', 'bob-phone', '--data-dir', dir, '--out', path.join(dir, 'bob.p12'), '--pem', path.join(dir, 'bob.pem'), '--password-env', 'LOADSTAR_TEST_P12_PASSWORD'], io);
    assert.equal(code, 0);
  } finally {
    delete process.env['LOADSTAR_TEST_P12_PASSWORD'];
  }
  assert.match(out.join(''), /issued a client certificate for 'bob-phone'/);
  assert.equal(fs.statSync(path.join(dir, 'bob.p12')).mode & 0o777, 0o600);
  assert.equal(new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'bob.pem'))).subject, 'CN=bob-phone');
  const read = spawnSync('openssl', ['pkcs12', '-in', path.join(dir, 'bob.p12'), '-passin', 'pass:pw', '-nokeys'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(read.status, 0, read.stderr);
  await assert.rejects(certCommand(['client', 'bob', '--data-dir', dir], io), /--out FILE.p12 is required/);
});
