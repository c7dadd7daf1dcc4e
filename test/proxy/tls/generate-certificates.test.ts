import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import forge from 'node-forge';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { checkTlsFiles } from '../../../proxy/tls/listener.ts';
import { haproxyCheck, haproxyPath, requireHaproxy } from '../../helpers/haproxy.ts';

/** A CA (with a subject of two names), the default certificate and one more loaded certificate, made with openssl. */
function material(): { dir: string; ca: string; caCert: crypto.X509Certificate; def: string; defCert: crypto.X509Certificate; loaded: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-gencert-'));
  const openssl = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  const selfSigned = (name: string, subject: string, extra: string[] = []): void => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', subject, ...extra);
    fs.writeFileSync(path.join(dir, `${name}.pem`), fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8') + fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'));
  };
  selfSigned('ca', '/O=Test Org/CN=Test CA');
  selfSigned('default', '/CN=default.example');
  selfSigned('loaded', '/CN=loaded.example', ['-addext', 'subjectAltName=DNS:loaded.example']);
  const read = (name: string) => new crypto.X509Certificate(fs.readFileSync(path.join(dir, `${name}.crt`)));
  return { dir, ca: path.join(dir, 'ca.pem'), caCert: read('ca'), def: path.join(dir, 'default.pem'), defCert: read('default'), loaded: path.join(dir, 'loaded.pem') };
}

const config = (m: ReturnType<typeof material>, extra = '', global = '') => (port: number) => `global
${global}
defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${m.def} crt ${m.loaded} generate-certificates ca-sign-file ${m.ca} ${extra}
  http-request return status 200
`;

interface Presented {
  leaf: crypto.X509Certificate;
  /** The certificate sent after the leaf, if any. */
  next: crypto.X509Certificate | undefined;
  at: number;
}

/** The certificates a server presents for `servername` (undefined: no SNI). */
function presented(port: number, servername: string | undefined): Promise<Presented> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () => {
      const peer = socket.getPeerCertificate(true);
      const issuer = peer.issuerCertificate && peer.issuerCertificate !== peer ? new crypto.X509Certificate(peer.issuerCertificate.raw) : undefined;
      resolve({ leaf: new crypto.X509Certificate(peer.raw), next: issuer, at: Date.now() });
      socket.end();
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** The TBSCertificate's DER with the serial and the validity taken out: what must be equal byte for byte. */
function tbsWithoutSerialAndDates(cert: crypto.X509Certificate): string {
  const root = forge.asn1.fromDer(cert.raw.toString('binary'));
  const tbs = (root.value as forge.asn1.Asn1[])[0]!;
  const fields = (tbs.value as forge.asn1.Asn1[]).filter((_, i) => i !== 1 && i !== 4);
  return Buffer.from(forge.asn1.toDer(forge.asn1.create(tbs.tagClass, tbs.type, true, fields)).getBytes(), 'binary').toString('hex');
}

const spki = (cert: crypto.X509Certificate): string => cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
const serialOf = (cert: crypto.X509Certificate): number => parseInt(cert.serialNumber, 16);

async function compare(t: TestContext, m: ReturnType<typeof material>, check: (port: number, loadedAt: number) => Promise<void>, extra = '', global = ''): Promise<void> {
  let loadedAt = 0;
  await sideBySide(t, (port) => {
    loadedAt = Date.now();
    return config(m, extra, global)(port);
  }, (port) => check(port, loadedAt));
}

test('a name no certificate matches gets one made by the CA over the default key, as haproxy 2.6 makes it; a second connection gets the same one', async (t) => {
  const m = material();
  const seen: Array<{ tbs: string; subject: string; issuer: string; san: string | undefined; notBeforeAgo: number; notAfterIn: number; serialFromLoad: number }> = [];
  try {
    await compare(t, m, async (port, loadedAt) => {
      const first = await presented(port, 'Foo.Example');
      const { leaf } = first;
      assert.equal(leaf.subject, 'O=Test Org\nCN=Test CA\nCN=foo.example');
      assert.equal(leaf.issuer, m.caCert.subject);
      assert.equal(leaf.subjectAltName, 'DNS:foo.example');
      assert.equal(spki(leaf), spki(m.defCert), 'the default certificate\'s key');
      assert.ok(leaf.checkIssued(m.caCert) && leaf.verify(m.caCert.publicKey), 'signed by the CA');
      assert.equal(first.next?.fingerprint256, m.caCert.fingerprint256, 'the CA follows the leaf');
      const second = await presented(port, 'foo.example');
      assert.equal(second.leaf.serialNumber, leaf.serialNumber, 'the kept certificate');
      assert.equal(second.leaf.fingerprint256, leaf.fingerprint256);
      seen.push({
        tbs: tbsWithoutSerialAndDates(leaf),
        subject: leaf.subject,
        issuer: leaf.issuer,
        san: leaf.subjectAltName,
        notBeforeAgo: Math.round((first.at - Date.parse(leaf.validFrom)) / 60_000),
        notAfterIn: Math.round((Date.parse(leaf.validTo) - first.at) / 60_000),
        // The serial counts from the load time in ms (modulo 2^32).
        serialFromLoad: Math.round((serialOf(leaf) - (loadedAt % 2 ** 32)) / 10_000),
      });
    });
    assert.equal(seen.length, haproxyPath ? 2 : 1);
    if (seen.length === 2) assert.deepEqual(seen[0], seen[1], 'Loadstar, then haproxy');
    assert.deepEqual({ notBeforeAgo: seen[0]!.notBeforeAgo, notAfterIn: seen[0]!.notAfterIn, serialFromLoad: seen[0]!.serialFromLoad }, { notBeforeAgo: 24 * 60, notAfterIn: 365 * 24 * 60, serialFromLoad: 0 });
  } finally {
    fs.rmSync(m.dir, { recursive: true, force: true });
  }
});

test('with generate-certificates, a name a loaded certificate matches gets it, and no SNI gets the default certificate', async (t) => {
  const m = material();
  try {
    await compare(t, m, async (port) => {
      assert.equal((await presented(port, 'loaded.example')).leaf.fingerprint256, new crypto.X509Certificate(fs.readFileSync(m.loaded)).fingerprint256);
      assert.equal((await presented(port, 'default.example')).leaf.fingerprint256, m.defCert.fingerprint256);
      assert.equal((await presented(port, undefined)).leaf.fingerprint256, m.defCert.fingerprint256);
    });
  } finally {
    fs.rmSync(m.dir, { recursive: true, force: true });
  }
});

test('an ECDSA CA signs with ecdsa-with-SHA256 over an ECDSA default key; with strict-sni a name no certificate matches still gets one, no SNI is refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-gencert-ec-'));
  const openssl = (...args: string[]): void => assert.equal(spawnSync('openssl', args, { cwd: dir }).status, 0);
  try {
    for (const [name, subject] of [['ca', '/CN=EC CA'], ['default', '/CN=default.example']] as const) {
      openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', subject);
      fs.writeFileSync(path.join(dir, `${name}.pem`), fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8') + fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'));
    }
    const caCert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
    const defCert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'default.crt')));
    const seen: string[] = [];
    await sideBySide(t, (port) => `defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\nfrontend fe\n  bind 127.0.0.1:${port} ssl crt ${dir}/default.pem generate-certificates ca-sign-file ${dir}/ca.pem strict-sni\n  http-request return status 200\n`, async (port) => {
      const { leaf } = await presented(port, 'ec.example');
      assert.equal(leaf.subject, 'CN=EC CA\nCN=ec.example');
      assert.equal(spki(leaf), spki(defCert));
      assert.ok(leaf.verify(caCert.publicKey));
      assert.equal(forge.asn1.derToOid(forge.util.createBuffer(((forge.asn1.fromDer(leaf.raw.toString('binary')).value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!.value as string)), '1.2.840.10045.4.3.2');
      assert.equal((await presented(port, 'default.example')).leaf.fingerprint256, defCert.fingerprint256);
      await assert.rejects(presented(port, undefined));
      seen.push(tbsWithoutSerialAndDates(leaf));
    });
    assert.equal(seen.length, haproxyPath ? 2 : 1);
    if (seen.length === 2) assert.equal(seen[0], seen[1], 'Loadstar, then haproxy');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tune.ssl.ssl-ctx-cache-size bounds the kept certificates: the least recently used name is made again, with the next serial', async (t) => {
  const m = material();
  try {
    await compare(t, m, async (port) => {
      const a = serialOf((await presented(port, 'a.example')).leaf);
      const b = serialOf((await presented(port, 'b.example')).leaf);
      assert.equal(serialOf((await presented(port, 'b.example')).leaf), b);
      const a2 = serialOf((await presented(port, 'a.example')).leaf);
      assert.deepEqual([b - a, a2 - a], [1, 2]);
    }, '', '  tune.ssl.ssl-ctx-cache-size 1');
    await compare(t, m, async (port) => {
      const a = serialOf((await presented(port, 'a.example')).leaf);
      assert.equal(serialOf((await presented(port, 'a.example')).leaf), a + 1, 'none kept');
    }, '', '  tune.ssl.ssl-ctx-cache-size 0');
  } finally {
    fs.rmSync(m.dir, { recursive: true, force: true });
  }
});

test('generate-certificates and ca-sign-file errors are reported as haproxy -c reports them', (t) => {
  const withHaproxy = requireHaproxy(t);
  const m = material();
  try {
    const encKey = path.join(m.dir, 'enc.key');
    spawnSync('openssl', ['genrsa', '-aes256', '-passout', 'pass:secret', '-out', encKey, '2048']);
    spawnSync('openssl', ['req', '-x509', '-key', encKey, '-passin', 'pass:secret', '-out', path.join(m.dir, 'enc.crt'), '-days', '30', '-subj', '/CN=Enc CA']);
    fs.writeFileSync(path.join(m.dir, 'enc.pem'), fs.readFileSync(path.join(m.dir, 'enc.crt'), 'utf8') + fs.readFileSync(encKey, 'utf8'));
    fs.writeFileSync(path.join(m.dir, 'notes.txt'), 'not a certificate\n');
    const cases: Array<{ bind: string; global?: string; message: string | undefined }> = [
      { bind: `ssl crt ${m.def} generate-certificates`, message: `Proxy 'fe': cannot enable certificate generation, no CA certificate File configured at [haproxy.cfg:9].` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file`, message: `'bind 127.0.0.1:18444' in section 'frontend' : 'ca-sign-file' : missing CAfile path` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.ca} ca-sign-pass`, message: `'bind 127.0.0.1:18444' in section 'frontend' : 'ca-sign-pass' : missing CAkey password` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.dir}/nope.pem`, message: `Proxy 'fe': Failed to read CA certificate file '${m.dir}/nope.pem' at [haproxy.cfg:9]. Chain loading failed: cannot open the file '${m.dir}/nope.pem'.` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.dir}/ca.crt`, message: `Proxy 'fe': Failed to read CA certificate file '${m.dir}/ca.crt' at [haproxy.cfg:9]. Chain loading failed: No Private Key found in '${m.dir}/ca.crt.key'.` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.dir}/notes.txt`, message: `Proxy 'fe': Failed to read CA certificate file '${m.dir}/notes.txt' at [haproxy.cfg:9]. Chain loading failed: unable to load certificate from file '${m.dir}/notes.txt'.` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file nope.pem`, global: `ca-base ${m.dir}`, message: `Proxy 'fe': Failed to read CA certificate file '${m.dir}/nope.pem' at [haproxy.cfg:9]. Chain loading failed: cannot open the file '${m.dir}/nope.pem'.` },
      // HAProxy 2.6 parses ca-sign-pass and never uses it: an encrypted CA key is not found.
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.dir}/enc.pem ca-sign-pass secret`, message: `Proxy 'fe': Failed to read CA certificate file '${m.dir}/enc.pem' at [haproxy.cfg:9]. Chain loading failed: No Private Key found in '${m.dir}/enc.pem.key'.` },
      // Without generate-certificates the file is never read; without ssl neither.
      { bind: `ssl crt ${m.def} ca-sign-file ${m.dir}/nope.pem ca-sign-pass x`, message: undefined },
      { bind: `generate-certificates`, message: undefined },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.ca}`, global: 'tune.ssl.ssl-ctx-cache-size -1', message: `'tune.ssl.ssl-ctx-cache-size' expects a positive numeric value.` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.ca}`, global: 'tune.ssl.ssl-ctx-cache-size', message: `'tune.ssl.ssl-ctx-cache-size' expects an integer argument.` },
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.ca}`, global: 'tune.ssl.ssl-ctx-cache-size 1 2', message: `'tune.ssl.ssl-ctx-cache-size' cannot handle unexpected argument '2'.` },
      // atoi(): a word is 0, no certificate kept.
      { bind: `ssl crt ${m.def} generate-certificates ca-sign-file ${m.ca}`, global: 'tune.ssl.ssl-ctx-cache-size abc', message: undefined },
    ];
    for (const c of cases) {
      const text = `global\n  ${c.global ?? ''}\ndefaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\nfrontend fe\n  bind 127.0.0.1:18444 ${c.bind}\n  http-request return status 200\n`;
      const parsed = parseConfig([{ name: 'haproxy.cfg', text }]);
      const ours = parsed.ok ? checkTlsFiles(parsed.config)?.detail : parsed.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message).join('\n');
      if (c.message === undefined) assert.equal(ours, undefined, c.bind);
      else assert.ok(ours?.includes(c.message), `${c.bind}\n  ours: ${ours}\n  want: ${c.message}`);
      if (!withHaproxy) continue;
      fs.writeFileSync(path.join(m.dir, 'haproxy.cfg'), text);
      const theirs = haproxyCheck('haproxy.cfg', m.dir);
      if (c.message === undefined) assert.equal(theirs.status, 0, theirs.output);
      else assert.ok(theirs.status !== 0 && theirs.output.includes(c.message), `${c.bind}\n  haproxy: ${theirs.output}`);
    }
  } finally {
    fs.rmSync(m.dir, { recursive: true, force: true });
  }
});
