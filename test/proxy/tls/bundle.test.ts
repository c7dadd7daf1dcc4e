/**
 * Multi-certificate bundles (`ssl-load-extra-files` `bundle`, in the default `all`): a `crt` naming
 * no file, with `.rsa`/`.ecdsa` siblings, loads each as a certificate of its own (proxy/tls/pem.ts,
 * bind-tls.ts), side by side with haproxy 2.6.12: which certificate clients accepting RSA only,
 * ECDSA, or both get (proxy/tls/client-hello.ts, sni.ts), what the runtime API lists and shows, a
 * member renewed with `set ssl cert <file>.rsa` + commit, a crt-list line naming a bundle (its
 * members numbered as HAProxy numbers them), the refusal without `bundle`, and the certificate
 * store's listing (the Certificates screen) showing the members apart, as `show ssl cert` does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { requireHaproxy, startHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli } from '../stats/helpers.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { checkTlsFiles } from '../../../proxy/tls/listener.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';

let dir: string;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A self-signed certificate for a.test and b.test: `key` 'rsa' or 'ec'; its key in the file or in `<file>.key`. */
function certificate(file: string, key: 'rsa' | 'ec', org: string, separateKey: boolean): void {
  const keyArgs = key === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  openssl(['req', '-x509', ...keyArgs, '-nodes', '-keyout', 'tmp.key', '-out', 'tmp.crt', '-days', '30', '-subj', `/CN=a.test/O=${org}`, '-addext', 'subjectAltName=DNS:a.test,DNS:b.test']);
  const crt = fs.readFileSync(path.join(dir, 'tmp.crt'), 'utf8');
  const k = fs.readFileSync(path.join(dir, 'tmp.key'), 'utf8');
  if (separateKey) {
    fs.writeFileSync(file, crt);
    fs.writeFileSync(`${file}.key`, k, { mode: 0o600 });
  } else fs.writeFileSync(file, crt + k, { mode: 0o600 });
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-bundle-'));
  // The ECDSA member's key is its companion `site.pem.ecdsa.key`, as HAProxy looks for it.
  certificate(path.join(dir, 'site.pem.rsa'), 'rsa', 'Rsa1', false);
  certificate(path.join(dir, 'site.pem.ecdsa'), 'ec', 'Ecdsa1', true);
  certificate(path.join(dir, 'renewed.rsa'), 'rsa', 'Rsa2', false);
  certificate(path.join(dir, 'plain.pem'), 'rsa', 'Plain', false);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The certificate a client gets (its O), or the handshake's error code. */
function served(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const org = String(socket.getPeerCertificate().subject?.O ?? '');
      socket.destroy();
      resolve(org);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

const CLIENTS: Array<[string, tls.ConnectionOptions]> = [
  ['TLS 1.3, default', { servername: 'a.test' }],
  ['TLS 1.2, RSA ciphers only', { servername: 'a.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }],
  ['TLS 1.2, ECDSA ciphers only', { servername: 'a.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }],
  ['TLS 1.3, RSA signatures only', { servername: 'a.test', sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' }],
  ['TLS 1.3, ECDSA signatures only', { servername: 'b.test', sigalgs: 'ecdsa_secp256r1_sha256' }],
  ['no SNI, default', {}],
  ['no SNI, RSA ciphers only', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }],
];

async function clients(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const [name, options] of CLIENTS) out.push(`${name}: ${await served(port, options)}`);
  return out;
}

/** The lines of `show ssl cert <file>` that do not depend on the day the certificate was made. */
function stable(show: string): string {
  return show.split('\n').filter((l) => !/^(Serial|notBefore|notAfter|SHA1 FingerPrint):/.test(l)).join('\n');
}

function config(sock: string, port: number, listPort: number, list: string): string {
  return `global
  stats socket ${sock} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${dir}/site.pem
  bind 127.0.0.1:${listPort} ssl crt-list ${list}
  http-request return status 200 content-type text/plain string ok
`;
}

test('a bundle loads its .rsa and .ecdsa members as two certificates: clients get the one they accept, the runtime API lists and renews each, as haproxy does', { timeout: 90_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const list = path.join(dir, 'list.txt');
  fs.writeFileSync(list, `# a bundle, then a plain certificate\n${dir}/site.pem [ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256] a.test b.test\n${dir}/plain.pem plain.test\n# the end\n`);
  const renewed = fs.readFileSync(path.join(dir, 'renewed.rsa'), 'utf8').trim();
  const run = async (sock: string, port: number, listPort: number): Promise<string[]> => {
    const out: string[] = [];
    out.push(...await clients(port));
    out.push(...(await clients(listPort)).map((l) => `list ${l}`));
    out.push(await cli(sock, 'show ssl cert'));
    out.push(await cli(sock, `show ssl cert ${dir}/site.pem`));
    out.push(stable(await cli(sock, `show ssl cert ${dir}/site.pem.rsa`)));
    out.push(stable(await cli(sock, `show ssl cert ${dir}/site.pem.ecdsa`)));
    out.push(await cli(sock, `show ssl crt-list -n ${list}`));
    out.push(await cli(sock, `set ssl cert ${dir}/site.pem.rsa <<\n${renewed}\n`));
    out.push(await cli(sock, `commit ssl cert ${dir}/site.pem.rsa`));
    out.push(...await clients(port));
    out.push(...(await clients(listPort)).map((l) => `list ${l}`));
    // A member's line taken out of the crt-list: the other member serves every client.
    out.push(await cli(sock, `del ssl crt-list ${list} ${dir}/site.pem.rsa:5`));
    out.push(await cli(sock, `show ssl crt-list -n ${list}`));
    out.push(...(await clients(listPort)).map((l) => `list after del ${l}`));
    // A line added at run time is numbered after the lines HAProxy counted, bundle members included.
    out.push(await cli(sock, `add ssl crt-list ${list} ${dir}/plain.pem other.test`));
    out.push(await cli(sock, `show ssl crt-list -n ${list}`));
    return out;
  };
  const [port, listPort] = [await freePort(), await freePort()];
  const ls = await startEngine(config(path.join(dir, 'ls.sock'), port, listPort, list));
  let ours: string[];
  try {
    ours = await run(path.join(dir, 'ls.sock'), port, listPort);
  } finally {
    await ls.stop();
  }
  const hx = await startHaproxy(config(path.join(dir, 'hx.sock'), port, listPort, list), port);
  let theirs: string[];
  try {
    theirs = await run(path.join(dir, 'hx.sock'), port, listPort);
  } finally {
    await hx.stop();
  }
  assert.deepEqual(ours, theirs);
  // What both did, so that a change on both sides is seen too.
  assert.deepEqual(ours.slice(0, CLIENTS.length), [
    'TLS 1.3, default: Ecdsa1', 'TLS 1.2, RSA ciphers only: Rsa1', 'TLS 1.2, ECDSA ciphers only: Ecdsa1', 'TLS 1.3, RSA signatures only: Rsa1',
    'TLS 1.3, ECDSA signatures only: Ecdsa1', 'no SNI, default: Ecdsa1', 'no SNI, RSA ciphers only: error ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  ]);
  assert.equal(ours[CLIENTS.length * 2], `# filename\n${dir}/plain.pem\n${dir}/site.pem.ecdsa\n${dir}/site.pem.rsa\n\n`);
  assert.ok(ours.some((l) => /^Entry '.*site\.pem\.rsa' deleted in crtlist/.test(l)), ours.join('\n'));
  assert.ok(ours.includes('list after del TLS 1.2, RSA ciphers only: error ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'));
  assert.match(ours.at(-1)!, /plain\.pem:8\n/);
});

test('without `bundle` in ssl-load-extra-files a missing crt file is refused, as haproxy -c refuses it; with it, a bundle without members too', (t) => {
  if (!requireHaproxy(t)) return;
  const cases = [
    ['ssl-load-extra-files key', `${dir}/site.pem`],
    ['ssl-load-extra-files bundle', `${dir}/nothing.pem`],
    ['ssl-load-extra-files bundle', `${dir}/site.pem`],
    ['ssl-load-extra-files all', `${dir}/site.pem`],
  ];
  const seen: string[] = [];
  for (const [global, crt] of cases) {
    const text = `global\n  ${global}\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:8443 ssl crt ${crt}\n  http-request return status 200\n`;
    const file = path.join(dir, 'check.cfg');
    fs.writeFileSync(file, text);
    const theirs = haproxyCheck(file, dir);
    const result = parseConfig([{ name: file, text }]);
    const ours = result.ok ? checkTlsFiles(result.config)?.message : result.diagnostics.map((d) => d.message).join('\n');
    // HAProxy's reason: what follows "in section 'frontend' : " in its first alert.
    const reason = /in section 'frontend' : (.*)$/m.exec(theirs.output)?.[1];
    seen.push(`${global} ${crt}: ${theirs.status === 0 ? 'accepted' : reason}`);
    if (theirs.status === 0) assert.equal(ours, undefined, `${global} ${crt}: haproxy accepts it`);
    else assert.ok(ours?.includes(reason!.replace(/\.$/, '')), `${global} ${crt}: ${ours}`);
  }
  assert.deepEqual(seen, [
    `ssl-load-extra-files key ${dir}/site.pem: unable to stat SSL certificate from file '${dir}/site.pem' : No such file or directory.`,
    `ssl-load-extra-files bundle ${dir}/nothing.pem: unable to stat SSL certificate from file '${dir}/nothing.pem' : No such file or directory.`,
    // Without 'key' the companion `site.pem.ecdsa.key` is not read.
    `ssl-load-extra-files bundle ${dir}/site.pem: No Private Key found in '${dir}/site.pem.ecdsa'.`,
    `ssl-load-extra-files all ${dir}/site.pem: accepted`,
  ]);
});

test("the Certificates screen's listing shows a bundle's members as certificates of their own, as show ssl cert lists them, with a member committed over the runtime API as the one in use", { timeout: 30_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-bundle-store-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const certs = path.join(dataDir, 'certs');
  fs.mkdirSync(certs);
  for (const file of ['site.pem.rsa', 'site.pem.ecdsa', 'site.pem.ecdsa.key']) fs.copyFileSync(path.join(dir, file), path.join(certs, file));
  const sock = path.join(dataDir, 'ls.sock');
  const port = await freePort();
  const ls = await startEngine(`global\n  stats socket ${sock} mode 600 level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:${port} ssl crt ${certs}/site.pem\n  http-request return status 200\n`);
  t.after(() => ls.stop());
  const control = new InProcessControl(ls.engine, { dataDir });
  const listed = async () => {
    const r = await control.certList();
    assert.ok(r.ok);
    return r.value;
  };
  const before = await listed();
  assert.deepEqual(before.unreadable, []);
  assert.deepEqual(before.certs.map((c) => [c.name, c.path, c.key, c.subject, c.served]), [
    ['site.pem.ecdsa', path.join(certs, 'site.pem.ecdsa'), 'EC P-256', 'CN=a.test, O=Ecdsa1', undefined],
    ['site.pem.rsa', path.join(certs, 'site.pem.rsa'), 'RSA 2048', 'CN=a.test, O=Rsa1', undefined],
  ]);
  assert.equal(await cli(sock, 'show ssl cert'), `# filename\n${certs}/site.pem.ecdsa\n${certs}/site.pem.rsa\n\n`);
  await cli(sock, `set ssl cert ${certs}/site.pem.rsa <<\n${fs.readFileSync(path.join(dir, 'renewed.rsa'), 'utf8').trim()}\n`);
  assert.equal(await cli(sock, `commit ssl cert ${certs}/site.pem.rsa`), `Committing ${certs}/site.pem.rsa.\nSuccess!\n\n`);
  const after = await listed();
  assert.deepEqual(after.certs.map((c) => [c.name, c.subject, c.served?.subject]), [
    ['site.pem.ecdsa', 'CN=a.test, O=Ecdsa1', undefined],
    ['site.pem.rsa', 'CN=a.test, O=Rsa1', 'CN=a.test, O=Rsa2'],
  ]);
});
