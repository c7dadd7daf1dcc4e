/**
 * What a ClientHello accepts (proxy/tls/client-hello.ts), read from the bytes real Node/OpenSSL
 * clients send: their signature algorithms and cipher suites, as HAProxy's ClientHello callback
 * reads them to choose between an ECDSA and an RSA certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { clientSignatures } from '../../../proxy/tls/client-hello.ts';

/** The bytes a TLS client sends first (its ClientHello), caught by a plain TCP server. */
async function helloOf(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    return await new Promise<Buffer>((resolve) => {
      server.once('connection', (socket) => socket.once('data', (d: Buffer) => {
        resolve(d);
        socket.destroy();
      }));
      const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
      client.on('error', () => {});
    });
  } finally {
    server.close();
  }
}

test('a client offering both key types, RSA ones only or ECDSA ones only is read as such', async () => {
  const cases: Array<[tls.ConnectionOptions, { rsa: boolean; ecdsa: boolean }]> = [
    [{ servername: 'a.test' }, { rsa: true, ecdsa: true }],
    [{ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, { rsa: true, ecdsa: false }],
    [{ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }, { rsa: true, ecdsa: true }],
    // RSA-PSS is not RSA PKCS#1 for HAProxy's test of the low byte; PKCS#1 is.
    [{ sigalgs: 'rsa_pss_rsae_sha256' }, { rsa: false, ecdsa: false }],
    [{ sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' }, { rsa: true, ecdsa: false }],
    [{ sigalgs: 'ecdsa_secp256r1_sha256' }, { rsa: false, ecdsa: true }],
    // ECDSA signatures but only TLS 1.3 suites (their authentication is "any"): not ECDSA for HAProxy.
    [{ sigalgs: 'ecdsa_secp256r1_sha256', minVersion: 'TLSv1.3' }, { rsa: false, ecdsa: false }],
  ];
  for (const [options, expected] of cases) assert.deepEqual(clientSignatures(await helloOf(options)), expected, JSON.stringify(options));
});

test('a ClientHello split over two records is read whole; bytes that are no ClientHello take RSA, as a client without the extension', async () => {
  const hello = await helloOf({ sigalgs: 'ecdsa_secp256r1_sha256' });
  const body = hello.subarray(5);
  const cut = 40;
  const record = (part: Buffer): Buffer => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
  assert.deepEqual(clientSignatures(Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))])), { rsa: false, ecdsa: true });
  assert.deepEqual(clientSignatures(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { rsa: true, ecdsa: false });
  assert.deepEqual(clientSignatures(hello.subarray(0, 60)), { rsa: true, ecdsa: false });
});
