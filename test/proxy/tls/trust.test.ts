/**
 * Issue #5, "must show": a certificate issued by Loadstar's local CA, served by
 * a Loadstar HTTPS frontend, is trusted for real by clients that know only that
 * CA — Node's TLS client, `openssl s_client` and Debian's Chromium — with host
 * names verified, and refused when the name or the trust is wrong.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { CertStore } from '../../../proxy/certs/index.ts';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import type { RunningEngine, TestServer } from '../../helpers/net.ts';
import { closeChromium, launchChromium, nssHome, requireChromium } from '../../helpers/chromium.ts';

const CA_CN = 'Loadstar Trust Test CA';
const PAGE_TEXT = 'Hello from the origin behind Loadstar';
const screenshotPath = path.resolve('test-output/screenshots/https-chromium.png');

let dataDir: string;
let caPem: string;
let caFile: string;
let origin: TestServer;
let proxy: RunningEngine;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-trust-'));
  const store = new CertStore({ dataDir });
  await store.initCa({ key: 'ec256', commonName: CA_CN });
  await store.issue({ name: 'app', dns: ['localhost', 'app.home.arpa'], ip: ['127.0.0.1'] });
  caPem = store.exportCa('pem');
  caFile = path.join(dataDir, 'exported-ca.pem');
  fs.writeFileSync(caFile, caPem);

  origin = await startNamedServer('app', (req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>Loadstar trust test</title><h1>${PAGE_TEXT}</h1><p>served for ${req.headers.host ?? ''}</p>`);
    });
  });
  const port = await freePort();
  proxy = await startEngine(`defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend https
    bind 127.0.0.1:${port} ssl crt ${store.pathOf('app')}
    default_backend app
backend app
    server app 127.0.0.1:${origin.port}
`);
});

after(async () => {
  await proxy?.stop();
  await origin?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

// --- 1. Node's TLS client ---------------------------------------------------

/** GET / with https.get, trusting only the exported CA; `servername` is the SNI and the name checked (an IP checks the IP SAN). */
function httpsGet(servername: string | undefined): Promise<{ status: number; body: string; issuer: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const req = https.get({
      host: '127.0.0.1', port: proxy.port, path: '/', agent: false, ca: caPem,
      ...(servername ? { servername, headers: { host: servername } } : {}),
    }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const issuer = String(socket.getPeerCertificate().issuer?.CN ?? '');
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), issuer, authorized: socket.authorized }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('https test request timed out')));
  });
}

test('Node trusting only the local CA verifies app.home.arpa, localhost and 127.0.0.1 and gets the page', { timeout: 30_000 }, async () => {
  for (const name of ['app.home.arpa', 'localhost', undefined]) {
    const answer = await httpsGet(name);
    assert.equal(answer.status, 200, `status for ${name ?? '127.0.0.1'}`);
    assert.ok(answer.authorized, `chain verified for ${name ?? '127.0.0.1'}`);
    assert.equal(answer.issuer, CA_CN);
    assert.match(answer.body, new RegExp(PAGE_TEXT));
  }
});

test('Node refuses a name the certificate does not carry (ERR_TLS_CERT_ALTNAME_INVALID)', { timeout: 30_000 }, async () => {
  await assert.rejects(httpsGet('other.home.arpa'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  const viaTls = new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: proxy.port, servername: 'nas.home.arpa', ca: caPem }, () => {
      socket.destroy();
      reject(new Error('tls.connect accepted a name outside the certificate'));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? resolve() : reject(e)));
  });
  await viaTls;
});

test('Node without the local CA refuses the chain', { timeout: 30_000 }, async () => {
  await assert.rejects(new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: proxy.port, servername: 'app.home.arpa' }, () => { socket.destroy(); resolve(undefined); });
    socket.on('error', reject);
  }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
});

// --- 2. openssl s_client ----------------------------------------------------

/** Runs a command without blocking the event loop (the engine under test shares it); `stdin` is written then closed. */
function run(command: string, args: string[], stdin: string, timeoutMs = 20_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
    child.stdin.end(stdin);
  });
}

function sClient(verifyHostname: string, extra: string[] = []) {
  return run('openssl', [
    's_client', '-connect', `127.0.0.1:${proxy.port}`, '-servername', 'app.home.arpa',
    '-verify_return_error', '-verify_hostname', verifyHostname, '-CAfile', caFile, ...extra,
  ], 'GET / HTTP/1.1\r\nHost: app.home.arpa\r\nConnection: close\r\n\r\n');
}

test('openssl s_client with only the exported CA verifies the chain and the host name, then gets the page', { timeout: 30_000 }, async () => {
  const full = await sClient('app.home.arpa', ['-ign_eof']);
  assert.equal(full.status, 0, full.stderr);
  assert.match(full.stdout, /Verify return code: 0 \(ok\)/);
  assert.match(full.stdout, /Verification: OK/);
  assert.match(full.stdout, /Verified peername: app\.home\.arpa/);
  assert.match(full.stdout, new RegExp(`^issuer=.*CN = ${CA_CN}$`, 'm'));
  assert.match(full.stdout, /HTTP\/1\.1 200 /);
  assert.match(full.stdout, new RegExp(PAGE_TEXT));

  const brief = await sClient('app.home.arpa', ['-brief', '-ign_eof']);
  assert.equal(brief.status, 0, brief.stderr);
  assert.match(brief.stderr, /Verification: OK/);
  assert.match(brief.stdout, new RegExp(PAGE_TEXT));
});

test('openssl s_client fails when the verified host name is not in the certificate', { timeout: 30_000 }, async () => {
  const wrong = await sClient('wrong.home.arpa', ['-brief']);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /hostname mismatch/i);
  assert.doesNotMatch(wrong.stdout, new RegExp(PAGE_TEXT));
});

// --- 3. Chromium with the CA in its NSS database ------------------------------

const hostRules = 'MAP app.home.arpa 127.0.0.1';

test('Chromium with the local CA in its NSS database loads https://app.home.arpa over verified TLS', { timeout: 90_000 }, async (t) => {
  if (!requireChromium(t)) return;
  const home = nssHome(caPem);
  const browser = await launchChromium(home, hostRules);
  try {
    // Playwright's default ignoreHTTPSErrors: false — a certificate error fails goto().
    const page = await browser.newPage();
    const response = await page.goto(`https://app.home.arpa:${proxy.port}/`, { timeout: 20_000 });
    assert.ok(response, 'a navigation response');
    assert.equal(response.status(), 200);
    const security = await response.securityDetails();
    assert.ok(security, 'the page came over TLS');
    assert.equal(security.issuer, CA_CN);
    assert.equal(security.subjectName, 'localhost', 'the leaf, whose CN is its first DNS name');
    assert.match(security.protocol ?? '', /^TLS 1\.[23]$/);
    assert.equal(await page.textContent('h1'), PAGE_TEXT);
    assert.match(await page.textContent('body') ?? '', /served for app\.home\.arpa:\d+/);
    fs.mkdirSync(path.dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, timeout: 15_000 });
  } finally {
    await closeChromium(browser);
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('Chromium without the local CA refuses the page with net::ERR_CERT_AUTHORITY_INVALID', { timeout: 90_000 }, async (t) => {
  if (!requireChromium(t)) return;
  const home = nssHome();
  const browser = await launchChromium(home, hostRules);
  try {
    const page = await browser.newPage();
    await assert.rejects(page.goto(`https://app.home.arpa:${proxy.port}/`, { timeout: 20_000 }), /net::ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await closeChromium(browser);
    fs.rmSync(home, { recursive: true, force: true });
  }
});
