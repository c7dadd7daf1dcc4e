import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { CertStore } from '../../../proxy/certs/index.ts';
import { haproxyCheck, requireHaproxy } from '../../helpers/haproxy.ts';
import { makeChain, tempDir } from './fixtures.ts';

/** A TLS server on 127.0.0.1 whose certificate and key both come from one combined PEM, as HAProxy's `crt` reads it. */
async function serve(combinedPem: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = tls.createServer({ cert: combinedPem, key: combinedPem }, (socket) => socket.end('hello over tls\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

function connect(port: number, options: tls.ConnectionOptions): Promise<{ ok: true; body: string } | { ok: false; code: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    let body = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => { body += d; });
    socket.on('end', () => resolve({ ok: true, body }));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: String(e.code) }));
  });
}

for (const key of ['ec256', 'rsa2048'] as const) {
  test(`a ${key} certificate from the local CA serves TLS to a client that trusts only that CA and checks the name`, async () => {
    const store = new CertStore({ dataDir: tempDir() });
    await store.initCa({ key });
    const info = await store.issue({ name: 'site', dns: ['site.home.test', '*.apps.home.test'], ip: ['127.0.0.1'], key });
    const server = await serve(fs.readFileSync(info.path, 'utf8'));
    const ca = store.exportCa('pem');
    try {
      assert.deepEqual(await connect(server.port, { ca, servername: 'site.home.test' }), { ok: true, body: 'hello over tls\n' });
      assert.deepEqual(await connect(server.port, { ca, servername: 'grafana.apps.home.test' }), { ok: true, body: 'hello over tls\n' });
      assert.deepEqual(await connect(server.port, { ca }), { ok: true, body: 'hello over tls\n' }, 'by IP address SAN');
      assert.deepEqual(await connect(server.port, { ca, servername: 'other.home.test' }), { ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      assert.deepEqual(await connect(server.port, { servername: 'site.home.test' }), { ok: false, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'the system roots do not know the local CA');
    } finally {
      await server.close();
    }
  });
}

test('an imported leaf with its intermediate serves the whole chain to a client that trusts only the root', async () => {
  const { root, intermediate, leaf } = await makeChain();
  const store = new CertStore({ dataDir: tempDir() });
  const stored = store.import({ name: 'www', sources: [{ label: 'upload', data: leaf.keyPem + intermediate.pem + leaf.pem }] });
  const server = await serve(fs.readFileSync(stored.info.path, 'utf8'));
  try {
    assert.deepEqual(await connect(server.port, { ca: root.pem, servername: 'www.example.test' }), { ok: true, body: 'hello over tls\n' });
  } finally {
    await server.close();
  }
});

test('a self-signed certificate serves TLS to a client that trusts that certificate', async () => {
  const store = new CertStore({ dataDir: tempDir() });
  const info = await store.issue({ name: 'solo', dns: ['solo.home.test'], selfSigned: true });
  const pem = fs.readFileSync(info.path, 'utf8');
  const server = await serve(pem);
  try {
    assert.deepEqual(await connect(server.port, { ca: store.readSite('solo').certificate, servername: 'solo.home.test' }), { ok: true, body: 'hello over tls\n' });
  } finally {
    await server.close();
  }
});

// `haproxy -c` loads the certificates but binds nothing, so the port is never opened.
test("real HAProxy accepts the stored combined PEM as a bind line's crt", async (t) => {
  if (!requireHaproxy(t)) return;
  const store = new CertStore({ dataDir: tempDir() });
  await store.initCa();
  const ec = await store.issue({ name: 'ec', dns: ['ec.home.test'] });
  const rsa = await store.issue({ name: 'rsa', dns: ['rsa.home.test'], key: 'rsa2048' });
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind 127.0.0.1:8443 ssl crt ${ec.path} crt ${rsa.path}
    default_backend app
backend app
    server s1 127.0.0.1:1
`);
  const r = haproxyCheck('haproxy.cfg', dir);
  assert.equal(r.status, 0, r.output);
});
