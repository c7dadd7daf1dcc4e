/**
 * The runtime API's certificate commands as ACME clients use them (acme.sh's haproxy deploy hook):
 * `show ssl cert`, `set ssl cert <file> <<` + PEM payload, `commit ssl cert`, `abort ssl cert`, next
 * to real HAProxy 2.6's on the same configuration and files — the same answers, refusals included —
 * and TLS clients see the new certificate once committed, not before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { execFile, spawnSync } from 'node:child_process';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { certPath } from '../../helpers/tls.ts';
import { cli } from './helpers.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { pemPayload } from '../../../proxy/tls/runtime-certs.ts';

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** The test's files: the configured certificates, a renewed one (RSA, IP SAN, chain) and a key of another certificate. */
function files(dir: string): { site: string; api: string; list: string; renewed: string; renewedCert: string; otherKey: string } {
  const site = path.join(dir, 'site.pem');
  const api = path.join(dir, 'api.test.pem');
  fs.copyFileSync(certPath('site.pem'), site);
  fs.copyFileSync(certPath('api.test.pem'), api);
  const list = path.join(dir, 'list.txt');
  fs.writeFileSync(list, `${site} a.home.arpa\n${site} [alpn h2,http/1.1] b.home.arpa\n`);
  const key = path.join(dir, 'new.key');
  const crt = path.join(dir, 'new.crt');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '30', '-subj', '/CN=site.home.arpa/O=Renewed',
    '-addext', 'subjectAltName=DNS:site.home.arpa,DNS:*.home.arpa,IP:127.0.0.1']);
  const otherKey = path.join(dir, 'other.key');
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', otherKey]);
  const renewedCert = fs.readFileSync(crt, 'utf8').trim();
  // The leaf, a chain certificate, the key: what an ACME client sends.
  const renewed = [renewedCert, fs.readFileSync(certPath('ca.pem'), 'utf8').trim(), fs.readFileSync(key, 'utf8').trim()].join('\n');
  return { site, api, list, renewed, renewedCert, otherKey: fs.readFileSync(otherKey, 'utf8').trim() };
}

function config(sock: string, userSock: string, port: number, listPort: number, f: ReturnType<typeof files>): string {
  return `global
  stats socket ${sock} mode 600 level admin
  stats socket ${userSock} mode 600 level user
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${f.site} crt ${f.api}
  bind 127.0.0.1:${listPort} ssl crt-list ${f.list}
  http-request return status 200 content-type text/plain string ok
`;
}

/** The certificate a handshake naming `servername` gets: its subject's O, and the connection (left open). */
function handshake(port: number, servername: string): Promise<{ org: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      resolve({ org: String(socket.getPeerCertificate().subject?.O ?? ''), socket });
    });
    socket.on('error', reject);
  });
}

/** One HTTP/1.1 request on an established TLS connection; its status line. */
function statusOn(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0]!));
    socket.once('error', reject);
    socket.write('GET / HTTP/1.1\r\nhost: site.home.arpa\r\n\r\n');
  });
}

test('show/set/commit/abort ssl cert answer as HAProxy 2.6 does, refusals and levels included', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sslcert-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const set = (file: string, pem: string): string => `set ssl cert ${file} <<\n${pem}\n`;
  const script: Array<[admin: boolean, line: string]> = [
    [true, 'show ssl cert'], [true, `show ssl cert ${f.site}`], [true, `show ssl cert ${f.api}`], [true, `show ssl cert ${dir}/nope.pem`], [true, `show ssl cert *${f.site}`],
    [true, `commit ssl cert ${f.site}`], [true, `abort ssl cert ${f.site}`], [true, 'commit ssl cert'], [true, 'set ssl cert'], [true, `set ssl cert ${f.site}`],
    [true, set(`${dir}/nope.pem`, f.renewed)], [true, set(f.site, 'not a certificate')],
    // A chain certificate that is not X.509, a key alone, a certificate where a key is expected.
    [true, set(f.site, `${f.renewedCert}\n-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowCgYIKoZI\n-----END CERTIFICATE-----\n${f.otherKey}`)],
    [true, set(f.site, f.otherKey)], [true, set(`${f.site}.key`, f.renewedCert)],
    // A certificate without its key: the transaction takes it, the commit refuses it.
    [true, set(f.site, f.renewedCert)], [true, 'show ssl cert'], [true, `show ssl cert *${f.site}`], [true, `commit ssl cert ${f.site}`],
    // The key of another certificate (`<file>.key` updates the key alone).
    [true, set(`${f.site}.key`, f.otherKey)], [true, `commit ssl cert ${f.site}`],
    [true, set(f.site, f.renewed)], [true, `show ssl cert *${f.site}`], [true, set(f.api, f.renewed)],
    [true, `commit ssl cert ${f.api}`], [true, `abort ssl cert ${f.api}`], [true, `abort ssl cert ${f.site}`], [true, 'show ssl cert'],
    [true, set(f.site, f.renewed)], [false, 'show ssl cert'], [false, `commit ssl cert ${f.site}`], [false, set(f.site, f.renewed)], [false, `abort ssl cert ${f.site}`],
    // Served by the first bind and by two lines of the second's crt-list: three dots.
    [true, `commit ssl cert ${f.site}`], [true, 'show ssl cert'], [true, `show ssl cert ${f.site}`], [true, `commit ssl cert ${f.site}`],
  ];
  const run = async (sock: string, userSock: string): Promise<string[]> => {
    const out: string[] = [];
    for (const [admin, line] of script) out.push(await cli(admin ? sock : userSock, line));
    return out;
  };
  const [port, listPort] = [await freePort(), await freePort()];
  const ls = await startEngine(config(path.join(dir, 'ls.sock'), path.join(dir, 'ls-user.sock'), port, listPort, f));
  let ours: string[];
  try {
    ours = await run(path.join(dir, 'ls.sock'), path.join(dir, 'ls-user.sock'));
  } finally {
    await ls.stop();
  }
  const hx = await startHaproxy(config(path.join(dir, 'hx.sock'), path.join(dir, 'hx-user.sock'), port, listPort, f), port);
  let theirs: string[];
  try {
    theirs = await run(path.join(dir, 'hx.sock'), path.join(dir, 'hx-user.sock'));
  } finally {
    await hx.stop();
  }
  // HAProxy 2.6 lets `set ssl cert <other file>` update the transaction of the first file with the
  // other file's payload (cli_parse_set_cert checks the name only for '.key'-like parts, a bug fixed
  // in later versions): Loadstar refuses it as the message it has for that case says.
  const otherFile = script.findIndex(([, line]) => line.startsWith(`set ssl cert ${f.api} `));
  assert.equal(theirs[otherFile], `Transaction updated for certificate ${f.site}!\n\n`);
  assert.equal(ours[otherFile], `The ongoing transaction is about '${f.site}' but you are trying to set '${f.api}'\nCan't update ${f.api}!\n\n`);
  for (let i = 0; i < script.length; i++) if (i !== otherFile) assert.equal(ours[i], theirs[i], `answer to ${JSON.stringify(script[i]![1].split('\n')[0])}`);
  assert.match(ours[script.length - 4]!, /^Committing .*site\.pem\.\.\.\nSuccess!\n\n$/);
  for (const answer of ours) assert.doesNotMatch(answer, /PRIVATE KEY/);
});

test('after commit ssl cert new handshakes get the new certificate on every bind serving the file, established connections keep theirs', { timeout: 30_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sslcert-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const sock = path.join(dir, 'ls.sock');
  const [port, listPort] = [await freePort(), await freePort()];
  const ls = await startEngine(config(sock, path.join(dir, 'ls-user.sock'), port, listPort, f));
  t.after(() => ls.stop());
  const before = await handshake(port, 'site.home.arpa');
  t.after(() => before.socket.destroy());
  assert.equal(before.org, '');
  assert.equal(await cli(sock, `set ssl cert ${f.site} <<\n${f.renewed}\n`), `Transaction created for certificate ${f.site}!\n\n`);
  // Set but not committed: still the old one.
  const pending = await handshake(port, 'site.home.arpa');
  pending.socket.destroy();
  assert.equal(pending.org, '');
  assert.equal(await cli(sock, `commit ssl cert ${f.site}`), `Committing ${f.site}...\nSuccess!\n\n`);
  for (const [p, name] of [[port, 'site.home.arpa'], [listPort, 'a.home.arpa'], [listPort, 'b.home.arpa']] as const) {
    const after = await handshake(p, name);
    after.socket.destroy();
    assert.equal(after.org, 'Renewed', `${name} on port ${p}`);
  }
  // The other certificate of the bind is untouched.
  const api = await handshake(port, 'api.test');
  api.socket.destroy();
  assert.notEqual(api.org, 'Renewed');
  // The connection made before the commit goes on with its certificate.
  assert.equal(await statusOn(before.socket), 'HTTP/1.1 200 OK');
  assert.equal(String(before.socket.getPeerCertificate().subject?.O ?? ''), '');
  // The file on disk is as it was.
  assert.equal(fs.readFileSync(f.site, 'utf8'), fs.readFileSync(certPath('site.pem'), 'utf8'));
  // A reload keeps serving the committed certificate while its file is unchanged.
  await ls.engine.reload(ls.engine.currentConfig());
  const reloaded = await handshake(port, 'site.home.arpa');
  reloaded.socket.destroy();
  assert.equal(reloaded.org, 'Renewed');
});

/** Sends `text` at once and returns every byte received until the server closes. */
function exchange(sock: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sock);
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.on('connect', () => socket.end(text));
  });
}

test('a command ending with << takes the lines up to an empty one as its payload, interactive ("+ " prompts) or not, after other commands of its line, as HAProxy 2.6 reads it', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-payload-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const exchanges = [
    `show ssl cert; set ssl cert ${f.site} <<\n${f.renewed}\n\n`,
    `prompt\nset ssl cert ${f.site} <<\n${f.renewedCert}\n\nshow ssl cert\r\nabort ssl cert ${f.site}\nquit\n`,
    // A payload the client never ends with its empty line: the command is not run.
    `set ssl cert ${f.site} <<\n${f.renewed}\n`,
    'show ssl cert\n',
  ];
  const run = async (sock: string): Promise<string[]> => {
    const out: string[] = [];
    for (const text of exchanges) out.push(await exchange(sock, text));
    return out;
  };
  const [port, listPort] = [await freePort(), await freePort()];
  const ls = await startEngine(config(path.join(dir, 'ls.sock'), path.join(dir, 'ls-user.sock'), port, listPort, f));
  let ours: string[];
  try {
    ours = await run(path.join(dir, 'ls.sock'));
  } finally {
    await ls.stop();
  }
  const hx = await startHaproxy(config(path.join(dir, 'hx.sock'), path.join(dir, 'hx-user.sock'), port, listPort, f), port);
  let theirs: string[];
  try {
    theirs = await run(path.join(dir, 'hx.sock'));
  } finally {
    await hx.stop();
  }
  assert.deepEqual(ours, theirs);
  assert.match(ours[1]!, /^\n> (\+ )+Transaction /);
});

test("the certificate store's listing tells the certificate committed over the runtime API as the one in use, the file's facts beside it", { timeout: 30_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sslcert-store-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dataDir, 'certs'));
  const f = files(path.join(dataDir, 'certs'));
  fs.rmSync(path.join(dataDir, 'certs', 'new.crt'));
  fs.rmSync(path.join(dataDir, 'certs', 'list.txt'));
  const sock = path.join(dataDir, 'ls.sock');
  const [port, listPort] = [await freePort(), await freePort()];
  fs.writeFileSync(f.list, `${f.site} a.home.arpa\n`);
  const ls = await startEngine(config(sock, path.join(dataDir, 'ls-user.sock'), port, listPort, f));
  t.after(() => ls.stop());
  const control = new InProcessControl(ls.engine, { dataDir });
  const listed = async () => {
    const r = await control.certList();
    assert.ok(r.ok);
    return r.value.certs.find((c) => c.name === 'site')!;
  };
  const before = await listed();
  assert.equal(before.served, undefined);
  await cli(sock, `set ssl cert ${f.site} <<\n${f.renewed}\n`);
  assert.equal((await listed()).served, undefined, 'a transaction not committed is not in use');
  assert.equal(await cli(sock, `commit ssl cert ${f.site}`), `Committing ${f.site}..\nSuccess!\n\n`);
  const after = await listed();
  assert.equal(after.fingerprint256, before.fingerprint256, 'the file is unchanged');
  assert.equal(after.served?.subject, 'CN=site.home.arpa, O=Renewed');
  assert.deepEqual(after.served?.sans, ['DNS:site.home.arpa', 'DNS:*.home.arpa', 'IP:127.0.0.1']);
  assert.ok(after.served!.daysLeft <= 30 && after.served!.daysLeft >= 29);
  // Once the file changes on disk, the disk's certificate is served again: nothing else is in use.
  fs.copyFileSync(certPath('site.pem'), f.site);
  fs.utimesSync(f.site, new Date(), new Date(Date.now() + 5000));
  ls.engine.refreshCertificates();
  assert.equal((await listed()).served, undefined);
  const served = await handshake(port, 'site.home.arpa');
  served.socket.destroy();
  assert.equal(served.org, '');
});

test('new ssl cert, add ssl crt-list, show ssl crt-list and del ssl cert answer as HAProxy 2.6 does, and a new domain is served without a reload', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-crtlist-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const certDir = path.join(dir, 'sites');
  fs.mkdirSync(certDir);
  fs.copyFileSync(f.site, path.join(certDir, 'a.pem'));
  fs.copyFileSync(f.api, path.join(certDir, 'b.pem'));
  fs.writeFileSync(f.list, `${f.site} a.home.arpa\n# a comment\n${f.site} [alpn h2,http/1.1 ssl-min-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256 verify none] b.home.arpa !c.home.arpa\n${f.api} [ssl-min-ver TLSv1.3]\n`);
  const c = path.join(certDir, 'c.pem');
  const conf = (sock: string, userSock: string, ports: number[]): string => `global
  stats socket ${sock} mode 600 level admin
  stats socket ${userSock} mode 600 level user
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${ports[0]} ssl crt ${f.site} crt ${certDir}/
  bind 127.0.0.1:${ports[1]} ssl crt-list ${f.list}
  bind 127.0.0.1:${ports[2]} ssl crt-list ${f.list}
  http-request return status 200 content-type text/plain string ok
`;
  const script: Array<[admin: boolean, line: string]> = [
    [true, 'show ssl crt-list'], [true, `show ssl crt-list ${f.list}`], [true, `show ssl crt-list -n ${f.list}`], [true, `show ssl crt-list -n ${certDir}/`],
    [true, `show ssl crt-list ${dir}/nope`], [true, 'show ssl crt-list -n'], [false, 'show ssl crt-list'],
    [true, `new ssl cert ${c}`], [true, `new ssl cert ${c}`], [true, `new ssl cert ${f.site}`], [true, 'new ssl cert'], [false, `new ssl cert ${c}`],
    [true, 'show ssl cert'], [true, `show ssl cert ${c}`],
    [true, `add ssl crt-list ${certDir} ${c}`], [true, `add ssl crt-list ${dir}/nope ${c}`], [true, `add ssl crt-list ${f.list} ${dir}/nope.pem`], [true, `add ssl crt-list ${f.list}`],
    [true, `set ssl cert ${c} <<\n${f.renewed}\n`], [true, `show ssl cert ${c}`], [true, `show ssl cert *${c}`], [true, `commit ssl cert ${c}`], [true, `show ssl cert ${c}`],
    [true, `add ssl crt-list ${certDir} ${dir}/other/c.pem`], [true, `add ssl crt-list ${certDir}/ ${c}`], [true, `add ssl crt-list ${certDir} ${c}`],
    [true, `add ssl crt-list ${f.list} <<\n${c} [alpn h2] x.home.arpa\n`], [true, `add ssl crt-list ${f.list} <<\n${c}\n${c}\n`],
    [true, `show ssl crt-list -n ${f.list}`], [true, `show ssl crt-list ${certDir}`], [true, `show ssl cert ${c}`],
    [true, `del ssl crt-list ${f.list} ${c}`], [true, `del ssl crt-list ${f.list} ${f.site}`], [true, `del ssl crt-list ${f.list} ${f.site}:2`],
    [true, `del ssl crt-list ${f.list} ${f.site}:x`], [true, `del ssl crt-list ${f.list} ${f.site}:1`], [true, `del ssl crt-list ${f.list} ${f.site}:3`],
    [true, `del ssl crt-list ${certDir}/ ${certDir}/b.pem`], [true, `del ssl crt-list ${dir}/nope ${c}`], [true, `del ssl crt-list ${f.list} ${dir}/nope.pem`],
    [true, `del ssl crt-list ${certDir} ${f.api}`], [true, `del ssl crt-list ${f.list}`], [false, `del ssl crt-list ${f.list} ${f.api}`],
    [true, `show ssl crt-list -n ${f.list}`], [true, `show ssl crt-list -n ${certDir}`],
    [true, `del ssl cert ${c}`], [true, `del ssl cert ${dir}/nope`], [true, 'del ssl cert'], [true, `new ssl cert ${dir}/d.pem`], [true, `del ssl cert ${dir}/d.pem`], [true, 'show ssl cert'],
  ];
  /** Where the added line is in service and not deleted yet: `then` runs there. */
  const added = script.findIndex(([, line]) => line === `del ssl crt-list ${f.list} ${c}`);
  const run = async (sock: string, userSock: string, then?: () => Promise<void>): Promise<string[]> => {
    const out: string[] = [];
    for (const [i, [admin, line]] of script.entries()) {
      if (i === added) await then?.();
      out.push(await cli(admin ? sock : userSock, line));
    }
    return out;
  };
  const ports = [await freePort(), await freePort(), await freePort()];
  const ls = await startEngine(conf(path.join(dir, 'ls.sock'), path.join(dir, 'ls-user.sock'), ports));
  let ours: string[];
  try {
    ours = await run(path.join(dir, 'ls.sock'), path.join(dir, 'ls-user.sock'), async () => {
      // The added line serves its name on both binds of the crt-list.
      for (const port of [ports[1]!, ports[2]!]) {
        const served = await handshake(port, 'x.home.arpa');
        served.socket.destroy();
        assert.equal(served.org, 'Renewed');
      }
      const other = await handshake(ports[1]!, 'a.home.arpa');
      other.socket.destroy();
      assert.equal(other.org, '');
    });
    // Deleted again: the name falls back to the bind's default certificate.
    const gone = await handshake(ports[1]!, 'x.home.arpa');
    gone.socket.destroy();
    assert.equal(gone.org, '');
  } finally {
    await ls.stop();
  }
  const hx = await startHaproxy(conf(path.join(dir, 'hx.sock'), path.join(dir, 'hx-user.sock'), ports), ports[0]!);
  let theirs: string[];
  try {
    theirs = await run(path.join(dir, 'hx.sock'), path.join(dir, 'hx-user.sock'));
  } finally {
    await hx.stop();
  }
  // The refusal names the bind lines by configuration file: Loadstar's is test.cfg, HAProxy's a temporary file.
  const cfgMasked = (text: string): string => text.replace(/\t- .*:(\d+)\n/g, '\t- CFG:$1\n');
  for (let i = 0; i < script.length; i++) assert.equal(cfgMasked(ours[i]!), cfgMasked(theirs[i]!), `answer to ${JSON.stringify(script[i]![1].split('\n')[0])}`);
  const answer = (line: string): string => ours[script.map(([, l]) => l).lastIndexOf(line)]!;
  assert.match(answer(`del ssl crt-list ${f.list} ${f.site}:1`), /used as default certificate by the following frontends:\n\t- test\.cfg:11\n\t- test\.cfg:12\n\n\n$/);
  assert.equal(answer(`add ssl crt-list ${f.list} <<\n${c} [alpn h2] x.home.arpa\n`), `Inserting certificate '${c}' in crt-list '${f.list}'..\nSuccess!\n\n`);
  // The added line takes the number after the file's last (a comment counts), and HAProxy's NUL after the ALPN list.
  assert.ok(ours[script.map(([, l]) => l).indexOf(`show ssl crt-list -n ${f.list}`, 20)]!.endsWith(`${c}:5 [alpn h2\0] x.home.arpa\n\n`));
  assert.equal(answer(`del ssl cert ${dir}/d.pem`), `Certificate '${dir}/d.pem' deleted!\n\n`);
});

test('a certificate committed while a reload opens its binds is served by the reloaded binds too', { timeout: 30_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sslcert-race-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const [port, listPort] = [await freePort(), await freePort()];
  const ls = await startEngine(config(path.join(dir, 'ls.sock'), path.join(dir, 'ls-user.sock'), port, listPort, f));
  t.after(() => ls.stop());
  // The reload has built its binds' certificates when reload() returns its promise; the commit comes after.
  const reloading = ls.engine.reload(ls.engine.currentConfig());
  const parts = pemPayload(f.renewed);
  assert.ok(typeof parts !== 'string');
  assert.equal(ls.engine.sslCerts().commit(f.site, parts), 3);
  await reloading;
  const served = await handshake(port, 'site.home.arpa');
  served.socket.destroy();
  assert.equal(served.org, 'Renewed');
});

test('a line added to a crt-list over the runtime API whose file is gone later does not stop a reload', { timeout: 30_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-crtlist-gone-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const certDir = path.join(dir, 'sites');
  fs.mkdirSync(certDir);
  const a = path.join(certDir, 'a.pem');
  fs.writeFileSync(a, f.renewed);
  const sock = path.join(dir, 'ls.sock');
  const [port, listPort] = [await freePort(), await freePort()];
  const ls = await startEngine(`global
  stats socket ${sock} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${certDir}/
  bind 127.0.0.1:${listPort} ssl crt-list ${f.list}
  http-request return status 200 content-type text/plain string ok
`);
  t.after(() => ls.stop());
  // The directory's certificate, served from its file, added to the crt-list under another name.
  assert.equal(await cli(sock, `add ssl crt-list ${f.list} <<\n${a} extra.home.arpa\n`), `Inserting certificate '${a}' in crt-list '${f.list}'.\nSuccess!\n\n`);
  const added = await handshake(listPort, 'extra.home.arpa');
  added.socket.destroy();
  assert.equal(added.org, 'Renewed');
  await ls.engine.reload(ls.engine.currentConfig());
  const kept = await handshake(listPort, 'extra.home.arpa');
  kept.socket.destroy();
  assert.equal(kept.org, 'Renewed', 'kept across a reload');
  // The file goes (the directory gets another): the reload goes on without the added line.
  fs.copyFileSync(f.api, path.join(certDir, 'b.pem'));
  fs.rmSync(a);
  await ls.engine.reload(ls.engine.currentConfig());
  const gone = await handshake(listPort, 'extra.home.arpa');
  gone.socket.destroy();
  assert.equal(gone.org, '');
});

/** A shell pipeline, run without blocking the engine in this process. */
function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script], { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

test("acme.sh's haproxy deploy hook (DEPLOY_HAPROXY_HOT_UPDATE=yes) renews a served certificate and adds a new one to a crt directory through socat", { timeout: 30_000 }, async (t) => {
  const socat = spawnSync('sh', ['-c', 'command -v socat']);
  if (socat.status !== 0) return void t.skip('socat not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-acme-hook-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = files(dir);
  const certDir = path.join(dir, 'certs');
  fs.mkdirSync(certDir);
  fs.copyFileSync(f.site, path.join(certDir, 'site.pem'));
  const sock = path.join(dir, 'ls.sock');
  const port = await freePort();
  const ls = await startEngine(`global
  stats socket ${sock} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${certDir}
  http-request return status 200 content-type text/plain string ok
`);
  t.after(() => ls.stop());
  // The hook's commands (deploy/haproxy.sh), with its greps deciding each step.
  const hook = (pem: string): Promise<string> => sh(`
    set -e
    pem='${pem}'
    if echo 'show ssl cert' | socat '${sock}' - | grep -q "^$pem$"; then echo update; else
      echo 'show ssl crt-list' | socat '${sock}' - | grep -q '^${certDir}$'
      echo "new ssl cert $pem" | socat '${sock}' - | grep -q 'New empty'
      echo new
    fi
    printf 'set ssl cert %s <<\\n%s\\n\\n' "$pem" "$(cat "$pem")" | socat '${sock}' - | grep -q 'Transaction created'
    echo "commit ssl cert $pem" | socat '${sock}' - | grep -q '^Success!$'
    if ! echo "show ssl crt-list ${certDir}" | socat '${sock}' - | grep -q "^$pem$"; then
      echo "add ssl crt-list ${certDir} $pem" | socat '${sock}' - | grep -q 'Success!'
    fi
    echo done`);
  // Renewal: the hook writes the file, then updates the running process.
  const site = path.join(certDir, 'site.pem');
  fs.writeFileSync(site, f.renewed + '\n');
  assert.equal(await hook(site), 'update\ndone\n');
  const renewed = await handshake(port, 'site.home.arpa');
  renewed.socket.destroy();
  assert.equal(renewed.org, 'Renewed');
  // A new domain: a file the running process does not know yet.
  const api = path.join(certDir, 'zz-api.pem');
  fs.copyFileSync(f.api, api);
  // (Loadstar's poll of the directory may have picked the file up first: the hook then takes its update path.)
  assert.match(await hook(api), /^(new|update)\ndone\n$/);
  const added = await handshake(port, 'api.test');
  const cn = String(added.socket.getPeerCertificate().subject?.CN ?? '');
  added.socket.destroy();
  assert.equal(cn, 'api.test');
  // The poll picks the new file up between `new ssl cert` and `add ssl crt-list`: the add is done, not refused.
  const late = path.join(certDir, 'zz-late.pem');
  fs.writeFileSync(late, f.renewed + '\n');
  assert.equal(await cli(sock, `new ssl cert ${late}`), `New empty certificate store '${late}'!\n\n`);
  await cli(sock, `set ssl cert ${late} <<\n${f.renewed}\n`);
  assert.equal(await cli(sock, `commit ssl cert ${late}`), `Committing ${late}\nSuccess!\n\n`);
  fs.utimesSync(certDir, new Date(), new Date(Date.now() + 5000));
  ls.engine.refreshCertificates();
  assert.equal(await cli(sock, `add ssl crt-list ${certDir} ${late}`), `Inserting certificate '${late}' in crt-list '${certDir}'\nSuccess!\n\n`);
  assert.equal(await cli(sock, `add ssl crt-list ${certDir} ${path.join(certDir, 'site.pem')}`), "Can't edit the crt-list: file already exists in this directory!\n\n");
});
