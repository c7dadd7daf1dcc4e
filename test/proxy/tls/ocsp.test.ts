/**
 * OCSP stapling from `<crt>.ocsp` files (proxy/tls/ocsp.ts, pem.ts, bind-tls.ts), side by side with
 * haproxy 2.6.12: responses made offline with `openssl ocsp` (an index file, a responder
 * certificate, -respout). What a client asking for a staple (status_request) gets, with the issuer
 * in the chain or in `<crt>.issuer`; a response for another certificate is not stapled; no issuer
 * at all is a load error; `openssl s_client -status` reads the staple as it reads haproxy's.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execFile, spawnSync } from 'node:child_process';
import { requireHaproxy, startHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { checkTlsFiles } from '../../../proxy/tls/listener.ts';
import { loadCertificate } from '../../../proxy/tls/pem.ts';
import { cli } from '../stats/helpers.ts';
import { ocspStaple } from '../../../proxy/tls/ocsp.ts';
import { X509Certificate } from 'node:crypto';

let dir: string;

function openssl(args: string[]): string {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');

/** A certificate for `cn` signed by the CA, with its key: `name.crt`, `name.key`. */
function issue(name: string, cn: string, ext = `subjectAltName=DNS:${cn}`): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', '-extfile', `${name}.ext`]);
}

/** `openssl ocsp` as a responder, offline: the response for `name.crt` from the index file, valid a day. */
function respond(name: string, out: string): void {
  openssl(['ocsp', '-index', 'index.txt', '-rsigner', 'responder.crt', '-rkey', 'responder.key', '-CA', 'ca.crt', '-issuer', 'ca.crt', '-cert', `${name}.crt`, '-respout', out, '-ndays', '1']);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ocsp-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=OCSP Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  issue('responder', 'OCSP Responder', 'extendedKeyUsage=OCSPSigning');
  issue('chained', 'chained.test');
  issue('alone', 'alone.test');
  issue('revoked', 'revoked.test');
  issue('renewed', 'renewed.test');
  // index.txt: V (valid) or R (revoked), expiry, revocation date, serial, file, subject.
  const serial = (name: string): string => openssl(['x509', '-in', `${name}.crt`, '-noout', '-serial']).trim().split('=')[1]!;
  fs.writeFileSync(path.join(dir, 'index.txt'), [
    `V\t300101000000Z\t\t${serial('chained')}\tunknown\t/CN=chained.test`,
    `V\t300101000000Z\t\t${serial('alone')}\tunknown\t/CN=alone.test`,
    `R\t300101000000Z\t250101000000Z\t${serial('revoked')}\tunknown\t/CN=revoked.test`,
  ].join('\n') + '\n');
  // The issuer in the chain; the issuer in a `.issuer` file; a revoked certificate; a response for another certificate.
  fs.writeFileSync(path.join(dir, 'chained.pem'), read('chained.crt') + read('ca.crt') + read('chained.key'));
  respond('chained', 'chained.pem.ocsp');
  fs.writeFileSync(path.join(dir, 'alone.pem'), read('alone.crt') + read('alone.key'));
  fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(dir, 'alone.pem.issuer'));
  respond('alone', 'alone.pem.ocsp');
  fs.writeFileSync(path.join(dir, 'revoked.pem'), read('revoked.crt') + read('ca.crt') + read('revoked.key'));
  respond('revoked', 'revoked.pem.ocsp');
  fs.writeFileSync(path.join(dir, 'wrong.pem'), read('alone.crt') + read('ca.crt') + read('alone.key'));
  fs.copyFileSync(path.join(dir, 'chained.pem.ocsp'), path.join(dir, 'wrong.pem.ocsp'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a client gets for a name: 'staple = <file>' when it is a file's bytes, 'no staple', or the error. */
function stapled(port: number, servername: string, requestOCSP = true): Promise<string> {
  return new Promise((resolve) => {
    let staple: Buffer | undefined;
    // `requestOCSP` (a TLSSocket option tls.connect passes on) is missing from @types/node's ConnectionOptions.
    const options: tls.ConnectionOptions & { requestOCSP: boolean } = { host: '127.0.0.1', port, servername, rejectUnauthorized: false, requestOCSP };
    const socket = tls.connect(options, () => {
      socket.destroy();
      const file = staple && ['chained', 'alone', 'revoked'].find((n) => fs.readFileSync(path.join(dir, `${n}.pem.ocsp`)).equals(staple!));
      resolve(staple ? `staple = ${file ?? 'unknown bytes'}` : 'no staple');
    });
    socket.on('OCSPResponse', (response: Buffer) => (staple = response));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
  });
}

/** `openssl s_client -status` (run beside the in-process engine, not blocking it): the lines describing the staple. */
function sClientStatus(port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, '-status'], { encoding: 'utf8', timeout: 10_000 }, (_e, stdout) => {
      resolve(stdout.split('\n').map((l) => l.trim()).filter((l) => /^(OCSP response: no response sent|OCSP Response Status|Cert Status|Response Type)/.test(l)).join(' | '));
    });
    child.stdin?.end();
  });
}

test('a certificate\'s .ocsp response is stapled to clients that ask, its issuer in the chain or in .issuer, a revoked status too, as haproxy staples it; one for another certificate is not', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const config = (port: number): string => `global\n  stats socket ${dir}/${port}.sock level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:${port} ssl crt ${dir}/chained.pem crt ${dir}/alone.pem crt ${dir}/revoked.pem crt ${dir}/wrong.pem\n  http-request return status 200\n`;
  const run = async (port: number): Promise<string[]> => [
    `chained: ${await stapled(port, 'chained.test')}`,
    `chained, not asked: ${await stapled(port, 'chained.test', false)}`,
    `alone: ${await stapled(port, 'alone.test')}`,
    `revoked: ${await stapled(port, 'revoked.test')}`,
    `s_client chained: ${await sClientStatus(port, 'chained.test')}`,
    `s_client revoked: ${await sClientStatus(port, 'revoked.test')}`,
    // Every certificate ID filed, once, in HAProxy's tree order.
    await cli(`${dir}/${port}.sock`, 'show ssl ocsp-response'),
    // The response's certificate ID, stapled or left out; a transaction keeps it over a new key, not over a new certificate.
    await cli(`${dir}/${port}.sock`, `show ssl cert ${dir}/chained.pem`),
    await cli(`${dir}/${port}.sock`, `show ssl cert ${dir}/wrong.pem`),
    await cli(`${dir}/${port}.sock`, `set ssl cert ${dir}/chained.pem.key <<\n${read('chained.key').trim()}\n`),
    await cli(`${dir}/${port}.sock`, `show ssl cert *${dir}/chained.pem`),
    await cli(`${dir}/${port}.sock`, `set ssl cert ${dir}/chained.pem <<\n${(read('renewed.crt') + read('renewed.key')).trim()}\n`),
    await cli(`${dir}/${port}.sock`, `show ssl cert *${dir}/chained.pem`),
    await cli(`${dir}/${port}.sock`, `commit ssl cert ${dir}/chained.pem`),
    await cli(`${dir}/${port}.sock`, `show ssl cert ${dir}/chained.pem`),
    `chained after commit: ${await stapled(port, 'renewed.test')}`,
  ];
  const port = await freePort();
  const ls = await startEngine(config(port));
  let ours: string[];
  try {
    ours = await run(port);
  } finally {
    await ls.stop();
  }
  const alerts = ls.alerts;
  const hx = await startHaproxy(config(port), port);
  let theirs: string[];
  let output: string;
  try {
    theirs = await run(port);
  } finally {
    output = hx.output();
    await hx.stop();
  }
  assert.deepEqual(ours, theirs);
  assert.equal(ours[6]!.match(/^Certificate ID key : /gm)?.length, 3, 'chained, alone (wrong.pem is the same certificate), revoked');
  assert.match(ours[7]!, /\nOCSP Response Key: 30[0-9a-f]+\n/);
  assert.deepEqual(ours.slice(0, 6), [
    'chained: staple = chained', 'chained, not asked: no staple', 'alone: staple = alone', 'revoked: staple = revoked',
    's_client chained: OCSP Response Status: successful (0x0) | Response Type: Basic OCSP Response | Cert Status: good',
    's_client revoked: OCSP Response Status: successful (0x0) | Response Type: Basic OCSP Response | Cert Status: revoked',
  ]);
  // wrong.pem serves alone.test too (a certificate of the same name loaded after): what haproxy warns, Loadstar keeps.
  const warning = 'Loading: OCSP single response: Certificate ID does not match certificate and issuer. Content will be ignored.';
  assert.ok(output.includes(warning), output);
  assert.deepEqual(alerts.filter((a) => a.includes('OCSP')), [`certificate '${dir}/wrong.pem': ${warning}`]);
  assert.equal(loadCertificate(path.join(dir, 'wrong.pem')).ocspWarning, warning);
  assert.equal(loadCertificate(path.join(dir, 'wrong.pem')).ocsp, undefined);
});

test('a .ocsp response without an issuer (no chain, no .issuer) or with a .issuer that did not issue the certificate is refused at load, as haproxy -c refuses it', (t) => {
  if (!requireHaproxy(t)) return;
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad, { recursive: true });
  fs.copyFileSync(path.join(dir, 'alone.pem'), path.join(bad, 'noissuer.pem'));
  fs.copyFileSync(path.join(dir, 'alone.pem.ocsp'), path.join(bad, 'noissuer.pem.ocsp'));
  fs.copyFileSync(path.join(dir, 'alone.pem'), path.join(bad, 'notissuer.pem'));
  fs.copyFileSync(path.join(dir, 'alone.pem.ocsp'), path.join(bad, 'notissuer.pem.ocsp'));
  fs.copyFileSync(path.join(dir, 'responder.crt'), path.join(bad, 'notissuer.pem.issuer'));
  // The chain holds the issuer, and a `.issuer` that is not one is there too.
  fs.copyFileSync(path.join(dir, 'chained.pem'), path.join(bad, 'chained.pem'));
  fs.copyFileSync(path.join(dir, 'chained.pem.ocsp'), path.join(bad, 'chained.pem.ocsp'));
  fs.copyFileSync(path.join(dir, 'responder.crt'), path.join(bad, 'chained.pem.issuer'));
  const seen: string[] = [];
  for (const [global, crt] of [['', 'noissuer.pem'], ['', 'notissuer.pem'], ['', 'chained.pem'], ['  ssl-load-extra-files key bundle\n', 'noissuer.pem']] as const) {
    const text = `global\n${global}defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:8443 ssl crt ${bad}/${crt}\n  http-request return status 200\n`;
    const file = path.join(bad, 'check.cfg');
    fs.writeFileSync(file, text);
    const theirs = haproxyCheck(file, bad);
    const reason = theirs.status === 0 ? 'accepted' : /in section 'frontend' : (.*)$/m.exec(theirs.output)?.[1] ?? theirs.output;
    seen.push(`${crt}${global ? ' (without ocsp)' : ''}: ${reason}`);
    const result = parseConfig([{ name: file, text }]);
    assert.ok(result.ok);
    const ours = checkTlsFiles(result.config)?.message;
    if (reason === 'accepted') assert.equal(ours, undefined);
    else assert.ok(ours?.endsWith(reason), `${crt}: ${ours}`);
  }
  assert.deepEqual(seen, [
    `noissuer.pem:  '${bad}/noissuer.pem.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID (maybe the issuer could not be found)'.`,
    `notissuer.pem:  '${bad}/notissuer.pem.issuer' is not an issuer'.`,
    `chained.pem:  '${bad}/chained.pem.issuer' is not an issuer'.`,
    'noissuer.pem (without ocsp): accepted',
  ]);
});

test('a response is stapled until five minutes before its nextUpdate; past nextUpdate (five minutes of skew allowed) it is no longer valid', () => {
  const cert = loadCertificate(path.join(dir, 'chained.pem'));
  const issuer = new X509Certificate(read('ca.crt'));
  const der = fs.readFileSync(path.join(dir, 'chained.pem.ocsp'));
  const staple = cert.ocsp!;
  assert.ok(staple.response.equals(der));
  const nextUpdate = staple.expiresAt + 300_000;
  // openssl ocsp -ndays 1: nextUpdate a day after thisUpdate (now, give or take the test's run).
  assert.ok(Math.abs(nextUpdate - Date.now() - 86_400_000) < 600_000);
  assert.equal(typeof ocspStaple(der, cert.leaf, issuer, nextUpdate + 299_000), 'object');
  assert.equal(ocspStaple(der, cert.leaf, issuer, nextUpdate + 301_000), 'OCSP single response: no longer valid.');
  assert.equal(ocspStaple(der.subarray(0, 20), cert.leaf, issuer), 'Unable to parse OCSP response');
  // A response for the same serial under another issuer does not match.
  assert.equal(ocspStaple(der, cert.leaf, new X509Certificate(read('responder.crt'))), 'OCSP single response: Certificate ID does not match certificate and issuer');
});

test('set ssl ocsp-response replaces the staple of the certificate the response names, refusals as haproxy 2.6 answers them', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  // A later response for chained.test (other bytes: the responder's ECDSA signature is randomised),
  // one for a certificate served without an .ocsp file, one of unknown status.
  respond('chained', 'chained-2.ocsp');
  const newer = fs.readFileSync(path.join(dir, 'chained-2.ocsp'));
  assert.ok(!newer.equals(fs.readFileSync(path.join(dir, 'chained.pem.ocsp'))));
  issue('unstapled', 'unstapled.test');
  fs.writeFileSync(path.join(dir, 'unstapled.pem'), read('unstapled.crt') + read('ca.crt') + read('unstapled.key'));
  const serial = openssl(['x509', '-in', 'unstapled.crt', '-noout', '-serial']).trim().split('=')[1]!;
  fs.appendFileSync(path.join(dir, 'index.txt'), `V\t300101000000Z\t\t${serial}\tunknown\t/CN=unstapled.test\n`);
  respond('unstapled', 'unstapled.ocsp');
  respond('renewed', 'unknown.ocsp');
  const b64 = (file: string): string => fs.readFileSync(path.join(dir, file)).toString('base64');
  const config = (port: number): string => `global\n  stats socket ${dir}/r${port}.sock level admin\n  stats socket ${dir}/u${port}.sock level user\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:${port} ssl crt ${dir}/chained.pem crt ${dir}/unstapled.pem\n  http-request return status 200\n`;
  const run = async (port: number): Promise<string[]> => {
    const admin = `${dir}/r${port}.sock`;
    const out: string[] = [];
    const staple = async (name: string): Promise<string> => {
      const got = await stapled(port, name);
      return got === 'staple = unknown bytes' && (await stapledBytes(port, name))?.equals(newer) ? 'staple = chained-2' : got;
    };
    out.push(`before: ${await staple('chained.test')}`);
    for (const line of ['set ssl ocsp-response', 'set ssl ocsp-response abc', 'set ssl ocsp-response !!!!', `set ssl ocsp-response ${b64('unstapled.ocsp')}`,
      `set ssl ocsp-response ${b64('unknown.ocsp')}`, `set ssl ocsp-response ${b64('chained.pem')}`]) out.push(await cli(admin, line));
    out.push(`unstapled: ${await staple('unstapled.test')}`);
    // As a payload, cut in lines as base64 tools write it.
    out.push(await cli(admin, `set ssl ocsp-response <<\n${b64('chained-2.ocsp').replace(/(.{64})/g, '$1\n').trim()}\n`));
    out.push(`after: ${await staple('chained.test')}`);
    out.push(await cli(admin, 'show ssl ocsp-response'));
    out.push(await cli(admin, 'show ssl ocsp-response 3031'));
    // The user level may run it too in 2.6.
    out.push(await cli(`${dir}/u${port}.sock`, `set ssl ocsp-response ${b64('chained.pem.ocsp')}`));
    out.push(`after the user's: ${await staple('chained.test')}`);
    return out;
  };
  const port = await freePort();
  const ls = await startEngine(config(port));
  let ours: string[];
  try {
    ours = await run(port);
  } finally {
    await ls.stop();
  }
  const hx = await startHaproxy(config(port), port);
  let theirs: string[];
  try {
    theirs = await run(port);
  } finally {
    await hx.stop();
  }
  assert.deepEqual(ours, theirs);
  assert.equal(ours[0], 'before: staple = chained');
  assert.equal(ours[8], 'OCSP Response updated!\n\n');
  assert.equal(ours[9], 'after: staple = chained-2');
  assert.match(ours[10]!, /^# Certificate IDs\nCertificate ID key : 30[0-9a-f]+\n Certificate ID:\n   Issuer Name Hash: [0-9A-F]{40}\n   Issuer Key Hash: [0-9A-F]{40}\n   Serial Number: [0-9A-F]+\n\n$/);
});

/** The staple's bytes a client gets, if any. */
function stapledBytes(port: number, servername: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let staple: Buffer | undefined;
    const options: tls.ConnectionOptions & { requestOCSP: boolean } = { host: '127.0.0.1', port, servername, rejectUnauthorized: false, requestOCSP: true };
    const socket = tls.connect(options, () => {
      socket.destroy();
      resolve(staple);
    });
    socket.on('OCSPResponse', (response: Buffer) => (staple = response));
    socket.on('error', () => resolve(undefined));
  });
}
