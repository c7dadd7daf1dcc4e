/**
 * `commit ssl ca-file` / `commit ssl crl-file` and the servers (tls/runtime-cafiles.ts with
 * server-tls.ts serverTrustUser), side by side with haproxy 2.6.12: a server with a client
 * certificate (`crt`, HAProxy's server ckch instance) verifies its next connections against the
 * committed contents, one dot in the commit's answer; a server without one keeps the trust it
 * loaded, as haproxy 2.6.12 does. The answers byte for byte and what each request got.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import http from 'node:http';
import type net from 'node:net';
import { spawnSync } from 'node:child_process';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { adminHttpHead, cli, until } from '../stats/helpers.ts';

let dir: string;
let backend: https.Server;
let backendPort: number;

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'latin1').trimEnd();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-server-trust-'));
  for (const [name, cn] of [['ca1', 'CA One'], ['ca2', 'CA Two']]) {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', `/CN=${cn}`);
  }
  // The same CA under another name: the file of the server without a client certificate.
  fs.copyFileSync(path.join(dir, 'ca1.pem'), path.join(dir, 'ca1b.pem'));
  for (const [name, ca, serial] of [['srv', 'ca2', '0x10'], ['client', 'ca1', '0x11']] as const) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}.test`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '10', '-out', `${name}.crt`);
  }
  fs.writeFileSync(path.join(dir, 'client.pem'), `${read('client.crt')}\n${read('client.key')}\n`);
  // CA Two's CRLs: an empty one, then one revoking the server's certificate.
  fs.writeFileSync(path.join(dir, 'ca.cnf'), '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n');
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca2.key', '-cert', 'ca2.pem', '-gencrl', '-out', 'crl-empty.pem');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca2.key', '-cert', 'ca2.pem', '-revoke', 'srv.crt');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca2.key', '-cert', 'ca2.pem', '-gencrl', '-out', 'crl-revoked.pem');
  backend = https.createServer({ cert: read('srv.crt'), key: read('srv.key') }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', () => resolve()));
  backendPort = (backend.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise((resolve) => backend?.close(resolve));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function config(port: number, sock: string): string {
  const d = dir;
  return `${adminHttpHead(sock)}    # A refused handshake answers 503 at once (no retry after a second).
    retries 0
frontend f
    bind 127.0.0.1:${port}
    use_backend two if { path_beg /two }
    use_backend three if { path_beg /three }
    default_backend one
backend one
    server s1 127.0.0.1:${backendPort} ssl verify required ca-file ${d}/ca1.pem crt ${d}/client.pem
backend two
    server s2 127.0.0.1:${backendPort} ssl verify required ca-file ${d}/ca1b.pem
backend three
    server s3 127.0.0.1:${backendPort} ssl verify required ca-file ${d}/ca2.pem crl-file ${d}/crl-empty.pem crt ${d}/client.pem
`;
}

/** A request through the proxy: its status, or the error. */
function request(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(`${path} ${res.statusCode}`));
    });
    req.on('error', (e) => resolve(`${path} ${e.message}`));
  });
}

async function session(sock: string, port: number): Promise<string[]> {
  const d = dir;
  const set = (kind: string, file: string, pem: string): string => `set ssl ${kind} ${d}/${file} <<\n${read(pem)}\n`;
  const steps: Array<string | (() => Promise<string>)> = [
    () => request(port, '/one'), () => request(port, '/two'), () => request(port, '/three'),
    // Only the servers with a client certificate use their files (Used); the other's is Unused.
    'show ssl ca-file', `show ssl ca-file ${d}/ca1.pem`, `show ssl ca-file ${d}/ca1b.pem`, `show ssl crl-file ${d}/crl-empty.pem`,
    // CA Two trusted: the server with a certificate of its own takes it (one dot), the other does not.
    set('ca-file', 'ca1.pem', 'ca2.pem'), `commit ssl ca-file ${d}/ca1.pem`, () => request(port, '/one'), () => request(port, '/one'),
    set('ca-file', 'ca1b.pem', 'ca2.pem'), `commit ssl ca-file ${d}/ca1b.pem`, () => request(port, '/two'),
    // The server's certificate revoked: refused from the next connection.
    set('crl-file', 'crl-empty.pem', 'crl-revoked.pem'), `commit ssl crl-file ${d}/crl-empty.pem`, () => request(port, '/three'), () => request(port, '/one'),
    `show ssl ca-file ${d}/ca1.pem`, `del ssl ca-file ${d}/ca1.pem`, `del ssl crl-file ${d}/crl-empty.pem`, `del ssl ca-file ${d}/ca1b.pem`,
    // Trusting CA One again: refused again.
    set('ca-file', 'ca1.pem', 'ca1.pem'), `commit ssl ca-file ${d}/ca1.pem`, () => request(port, '/one'),
  ];
  const answers: string[] = [];
  for (const step of steps) answers.push(typeof step === 'string' ? `${step.split('\n')[0]}\n${await cli(sock, step)}` : await step());
  return answers;
}

test('a CA or CRL file commit changes what a server with a client certificate trusts from its next connection, not one without, as haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-server-trust-sock-'));
  try {
    const port = await freePort();
    const e = await startEngine(config(port, path.join(sockDir, 'l.sock')));
    let loadstar: string[];
    let reloaded: string[];
    try {
      loadstar = await session(path.join(sockDir, 'l.sock'), port);
      // Loadstar's own rule (runtime-cafiles.ts): committed contents outlive a reload while the files are
      // unchanged on disk (ca1b.pem's were deleted with it); the servers' contexts built again read them.
      await e.engine.reload(e.engine.currentConfig());
      reloaded = [await request(port, '/one'), await request(port, '/two'), await request(port, '/three')];
    } finally {
      await e.stop();
    }
    assert.deepEqual(reloaded, ['/one 503', '/two 503', '/three 503']);
    // Recorded from haproxy 2.6.12.
    assert.deepEqual(loadstar.filter((a) => a.startsWith('/')), ['/one 503', '/two 503', '/three 200', '/one 200', '/one 200', '/two 503', '/three 503', '/one 200', '/one 503']);
    assert.ok(loadstar.includes(`commit ssl ca-file ${dir}/ca1.pem\nCommitting ${dir}/ca1.pem.\nSuccess!\n\n`), 'one server instance rebuilt');
    assert.ok(loadstar.includes(`commit ssl ca-file ${dir}/ca1b.pem\nCommitting ${dir}/ca1b.pem\nSuccess!\n\n`), 'no instance for a server without crt');
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: checked against the recorded outcomes only');
    const hport = await freePort();
    const h = await startHaproxy(config(hport, path.join(sockDir, 'h.sock')), hport);
    let haproxy: string[];
    try {
      haproxy = await session(path.join(sockDir, 'h.sock'), hport);
    } finally {
      await h.stop();
    }
    assert.equal(loadstar.length, haproxy.length);
    for (const [i, answer] of haproxy.entries()) assert.equal(loadstar[i], answer);
    t.diagnostic(`${haproxy.length} answers compared`);
  } finally {
    fs.rmSync(sockDir, { recursive: true, force: true });
  }
});

/** The check's connection gets min(timeout connect, inter), 500 ms, and its handshake `timeout check`: room under a loaded test run. */
function checkedConfig(port: number, sock: string): string {
  return `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
    timeout check 5s
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    server s1 127.0.0.1:${backendPort} ssl verify required ca-file ${dir}/ca1.pem crt ${dir}/client.pem check inter 500ms fall 1 rise 1
`;
}

/** The server's status and last check result as `show stat` gives them. */
async function checkState(sock: string): Promise<string> {
  const row = (await cli(sock, 'show stat')).split('\n').find((l) => l.startsWith('b,s1,'))?.split(',') ?? [];
  return `${row[17]} ${row[36]}`;
}

/** Waits for the check to report `wanted` (bounded), then says what it reports. */
async function settled(sock: string, wanted: string): Promise<string> {
  await until(`s1 ${wanted}`, async () => (await checkState(sock)) === wanted, 10_000).catch(() => {});
  return checkState(sock);
}

async function checkSession(sock: string): Promise<string[]> {
  const answers = [await settled(sock, 'DOWN L6RSP')];
  answers.push(await cli(sock, `set ssl ca-file ${dir}/ca1.pem <<\n${read('ca2.pem')}\n`), await cli(sock, `commit ssl ca-file ${dir}/ca1.pem`));
  answers.push(await settled(sock, 'UP L6OK'));
  return answers;
}

test('the health checks of a server with a client certificate verify against a committed CA file too, as haproxy 2.6.12\'s use the server\'s context', { timeout: 60_000 }, async (t) => {
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-server-trust-sock-'));
  try {
    const port = await freePort();
    const e = await startEngine(checkedConfig(port, path.join(sockDir, 'l.sock')));
    let loadstar: string[];
    let afterReload: string | undefined;
    try {
      loadstar = await checkSession(path.join(sockDir, 'l.sock'));
      // Loadstar's own rule: the checks built by a reload read the committed contents too.
      await e.engine.reload(e.engine.currentConfig());
      afterReload = (await e.engine.healthChecks()?.find('b', 's1')?.runOnce())?.code;
    } finally {
      await e.stop();
    }
    assert.equal(afterReload, 'L6OK');
    assert.deepEqual(loadstar, ['DOWN L6RSP', `transaction created for CA ${dir}/ca1.pem!\n\n`, `Committing ${dir}/ca1.pem.\nSuccess!\n\n`, 'UP L6OK']);
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: checked against the recorded answers only');
    const hport = await freePort();
    const h = await startHaproxy(checkedConfig(hport, path.join(sockDir, 'h.sock')), hport);
    try {
      assert.deepEqual(await checkSession(path.join(sockDir, 'h.sock')), loadstar);
    } finally {
      await h.stop();
    }
  } finally {
    fs.rmSync(sockDir, { recursive: true, force: true });
  }
});
