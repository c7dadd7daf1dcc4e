/**
 * The runtime API's CA file and CRL file commands (`show|set|commit|abort|new|del ssl ca-file|crl-file`)
 * run in the same order against Loadstar and haproxy 2.6.12 with the same configuration and files
 * made here with `openssl`: every answer byte for byte, and what a client with a certificate gets
 * after each commit (a CA file replaced refuses it; a CRL committed revokes it) — without a reload.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { adminHttpHead, cli } from './helpers.ts';

let dir: string;

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'latin1').trimEnd();

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cafile-'));
  const selfSigned = (name: string, subject: string, ...extra: string[]): void =>
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', subject, ...extra);
  selfSigned('ca', '/C=FR/O=Test/CN=Client CA');
  selfSigned('other', '/CN=Other CA');
  selfSigned('alpha', '/CN=Alpha CA');
  selfSigned('site', '/CN=a.test', '-addext', 'subjectAltName=DNS:a.test');
  fs.appendFileSync(path.join(dir, 'site.pem'), fs.readFileSync(path.join(dir, 'site.key')));
  // Three CAs, the store's order not the file's: OpenSSL sorts all but the last one added.
  fs.writeFileSync(path.join(dir, 'bundle.pem'), `${read('ca.pem')}\n${read('other.pem')}\n${read('alpha.pem')}\n`);
  for (const [name, cn, serial] of [['good', 'alice', '0x1234'], ['bad', 'mallory', '0x99']] as const) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '10', '-out', `${name}.crt`);
  }
  fs.writeFileSync(path.join(dir, 'ca.cnf'), '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n');
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-gencrl', '-out', 'crl-empty.pem');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-revoke', 'bad.crt');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-gencrl', '-out', 'crl.pem');
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function site(port: number, plainPort: number, sock: string): string {
  // A second socket whose messages carry their severity: `sev:` steps go there.
  return `${adminHttpHead(sock).replace('level admin\n', `level admin\n    stats socket ${sock}.sev level admin severity-output number\n`)}frontend f
    bind 127.0.0.1:${port} ssl crt ${dir}/site.pem verify required ca-file ${dir}/bundle.pem crl-file ${dir}/crl-empty.pem
    bind 127.0.0.1:${plainPort} ssl crt ${dir}/site.pem ca-file ${dir}/ca.pem
    http-request return status 200 content-type text/plain string ok
backend b
    server s1 127.0.0.1:9 ssl ca-file ${dir}/other.pem verify required
`;
}

/** A request with a client certificate: "ok" when answered, "refused" when the handshake or the connection was ended. */
function request(port: number, who: 'good' | 'bad'): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'a.test', rejectUnauthorized: false, cert: read(`${who}.crt`), key: read(`${who}.key`) });
    let out = '';
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n'));
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(`${who}: ${out.startsWith('HTTP/1.1 200') ? 'ok' : 'refused'}`);
    });
  });
}

/** The session: commands (a payload after `<<`) and requests, each answer in order. */
async function session(sock: string, port: number): Promise<string[]> {
  const d = dir;
  const set = (kind: string, file: string, ...pems: string[]): string => `set ssl ${kind} ${d}/${file} <<\n${pems.map(read).join('\n')}\n`;
  const steps: Array<string | (() => Promise<string>)> = [
    () => request(port, 'good'), () => request(port, 'bad'),
    'show ssl ca-file', 'show ssl crl-file', `show ssl ca-file ${d}/bundle.pem`, `show ssl crl-file ${d}/crl-empty.pem`,
    `show ssl ca-file ${d}/bundle.pem:2`, `show ssl ca-file ${d}/bundle.pem:x`, `show ssl ca-file ${d}/bundle.pem:0`, `show ssl ca-file ${d}/nope.pem`,
    `show ssl ca-file ${d}/crl-empty.pem`, `show ssl crl-file ${d}/ca.pem`, `show ssl crl-file ${d}/crl-empty.pem:2`, `show ssl ca-file ${d}/ca.pem:5`,
    // A file no entry verifies against (verify none; a server without a certificate of its own) is Unused.
    `show ssl ca-file ${d}/other.pem`, `show ssl ca-file ${d}/ca.pem`,
    set('ca-file', 'ca.pem', 'other.pem'), 'show ssl ca-file', `show ssl ca-file *${d}/ca.pem`,
    set('ca-file', 'bundle.pem', 'other.pem'), set('ca-file', 'ca.pem', 'alpha.pem', 'other.pem'),
    `commit ssl ca-file ${d}/bundle.pem`, `commit ssl ca-file ${d}/ca.pem`, 'show ssl ca-file', `commit ssl ca-file ${d}/ca.pem`, `abort ssl ca-file ${d}/ca.pem`,
    set('ca-file', 'nope.pem', 'alpha.pem'), `set ssl ca-file ${d}/ca.pem <<\ngarbage\n`, `set ssl ca-file ${d}/ca.pem`,
    // The bind's CA file without the client's CA: refused; with it again: accepted. One dot: one entry rebuilt.
    set('ca-file', 'bundle.pem', 'other.pem'), `commit ssl ca-file ${d}/bundle.pem`, () => request(port, 'good'),
    set('ca-file', 'bundle.pem', 'ca.pem'), `commit ssl ca-file ${d}/bundle.pem`, () => request(port, 'good'),
    // The CRL republished with mallory revoked.
    set('crl-file', 'crl-empty.pem', 'crl.pem'), 'show ssl crl-file', `show ssl crl-file *${d}/crl-empty.pem`, `commit ssl crl-file ${d}/crl-empty.pem`,
    `show ssl crl-file ${d}/crl-empty.pem`, () => request(port, 'good'), () => request(port, 'bad'),
    `new ssl ca-file ${d}/new.pem`, `new ssl ca-file ${d}/new.pem`, 'show ssl ca-file', `show ssl ca-file ${d}/new.pem`, `del ssl ca-file ${d}/new.pem`,
    `del ssl ca-file ${d}/bundle.pem`, `del ssl ca-file ${d}/nope`, `new ssl crl-file ${d}/newcrl.pem`, 'show ssl crl-file', `show ssl crl-file ${d}/newcrl.pem`,
    set('crl-file', 'newcrl.pem', 'ca.pem'), `del ssl crl-file ${d}/ca.pem`, `del ssl crl-file ${d}/newcrl.pem`, `del ssl crl-file ${d}/crl-empty.pem`,
    `abort ssl crl-file ${d}/x`, `abort ssl crl-file ${d}/newcrl.pem`, 'abort ssl crl-file', set('ca-file', 'ca.pem', 'alpha.pem'), `del ssl ca-file ${d}/ca.pem`,
    `abort ssl ca-file ${d}/ca.pem`, `set ssl crl-file ${d}/crl-empty.pem <<\ngarbage\n`,
    // A PEM block that is no CRL inside.
    `set ssl crl-file ${d}/crl-empty.pem <<\n-----BEGIN X509 CRL-----\nMIIBbmFuYW5h\n-----END X509 CRL-----\n`,
    `new ssl ca-file ${d}/n2.pem`, set('ca-file', 'n2.pem', 'alpha.pem'), 'show ssl ca-file', `commit ssl ca-file ${d}/n2.pem`, `show ssl ca-file ${d}/n2.pem`,
    'commit ssl crl-file', 'new ssl crl-file', 'new ssl ca-file', 'del ssl ca-file', 'del ssl crl-file', 'abort ssl ca-file', 'commit ssl ca-file', 'set ssl crl-file x',
    // An unused CA file of the configuration can go; a CRL file can be given CAs (HAProxy does not check the kind).
    `del ssl ca-file ${d}/ca.pem`, 'show ssl ca-file', set('ca-file', 'crl-empty.pem', 'alpha.pem'), `commit ssl ca-file ${d}/crl-empty.pem`, 'show ssl crl-file', 'show ssl ca-file',
    // Messages (notices, errors) carry their severity; what show and commit print does not.
    `sev:${set('ca-file', 'n2.pem', 'alpha.pem')}`, `sev:show ssl ca-file ${d}/n2.pem:9`, `sev:show ssl ca-file ${d}/nope.pem`, `sev:commit ssl ca-file ${d}/n2.pem`,
    `sev:commit ssl ca-file ${d}/n2.pem`, `sev:new ssl crl-file ${d}/sev.pem`, `sev:abort ssl crl-file ${d}/sev.pem`, `sev:del ssl crl-file ${d}/sev.pem`,
  ];
  const answers: string[] = [];
  for (const step of steps) {
    if (typeof step !== 'string') answers.push(await step());
    else if (step.startsWith('sev:')) answers.push(`${step.split('\n')[0]}\n${await cli(`${sock}.sev`, step.slice(4))}`);
    else answers.push(`${step.split('\n')[0]}\n${await cli(sock, step)}`);
  }
  return answers;
}

test('ssl ca-file and crl-file commands answer as haproxy 2.6 does, and a commit changes who may connect without a reload', { timeout: 90_000 }, async (t) => {
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cafile-sock-'));
  try {
    const port = await freePort();
    const e = await startEngine(site(port, await freePort(), path.join(sockDir, 'l.sock')));
    let loadstar: string[];
    try {
      loadstar = await session(path.join(sockDir, 'l.sock'), port);
    } finally {
      await e.stop();
    }
    const outcomes = loadstar.filter((a) => /^(good|bad): /.test(a));
    assert.deepEqual(outcomes, ['good: ok', 'bad: ok', 'good: refused', 'good: ok', 'good: ok', 'bad: refused']);
    assert.ok(loadstar.includes(`commit ssl crl-file ${dir}/crl-empty.pem\nCommitting ${dir}/crl-empty.pem.\nSuccess!\n\n`), 'one bind entry rebuilt');
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: checked without comparing');
    const hport = await freePort();
    const h = await startHaproxy(site(hport, await freePort(), path.join(sockDir, 'h.sock')), hport);
    let haproxy: string[];
    try {
      haproxy = await session(path.join(sockDir, 'h.sock'), hport);
    } finally {
      await h.stop();
    }
    // Each answer on its own, so a difference names its command.
    assert.equal(loadstar.length, haproxy.length);
    for (const [i, answer] of haproxy.entries()) assert.equal(loadstar[i], answer);
    t.diagnostic(`${haproxy.length} answers compared`);
  } finally {
    fs.rmSync(sockDir, { recursive: true, force: true });
  }
});
