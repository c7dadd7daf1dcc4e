/**
 * Client certificates on `bind` (verify, ca-file, crl-file, ca-ignore-err, crt-ignore-err), the
 * ssl_c_* / ssl_f_* fetches and strict-sni, compared with HAProxy 2.6.12 (Debian) on the same
 * configuration and certificates made here with `openssl`: what the client sees (a response, a TLS
 * alert, or a closed connection), the values the fetches give, and the log lines of refused
 * handshakes. The outcomes below were recorded from HAProxy; where haproxy is installed, the last
 * test replays the cases through it, so a recording that no longer matches HAProxy is noticed.
 *
 * One difference is known and recorded: a certificate that fails verification makes HAProxy abort
 * the handshake with an alert naming the reason (certificate_revoked, unknown_ca); Node's OpenSSL
 * binding never aborts over a certificate, so Loadstar closes the connection once the handshake is
 * done, before reading anything. A missing certificate gets HAProxy's alert on both.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { CertFields } from '../../../proxy/tls/cert-fields.ts';

let dir: string;
let origin: http.Server;
let originPort: number;

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A client certificate signed by `ca` (its key in `${ca}.key`), with a chosen subject and serial. */
function clientCert(name: string, ca: string, subject: string, serial: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '10', '-out', `${name}.crt`, '-extfile', 'client.ext');
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-client-certs-'));
  const selfSigned = (name: string, subject: string, ...extra: string[]): void =>
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', subject, ...extra);
  selfSigned('ca', '/C=FR/O=Test/CN=Client CA');
  selfSigned('other', '/CN=Other CA');
  selfSigned('site', '/CN=a.test', '-addext', 'subjectAltName=DNS:a.test');
  fs.appendFileSync(path.join(dir, 'site.pem'), fs.readFileSync(path.join(dir, 'site.key')));
  selfSigned('plain', '/CN=b.test', '-addext', 'subjectAltName=DNS:b.test');
  fs.appendFileSync(path.join(dir, 'plain.pem'), fs.readFileSync(path.join(dir, 'plain.key')));
  // A crt-list line asks for a client certificate for its own name only.
  fs.writeFileSync(path.join(dir, 'list.txt'), `${dir}/site.pem [verify required ca-file ${dir}/ca.pem] a.test\n${dir}/plain.pem\n`);
  clientCert('good', 'ca', '/C=FR/O=Home/OU=Lab/OU=Garage/CN=alice', '0x1234ABCD');
  clientCert('revoked', 'ca', '/CN=mallory', '0x99');
  clientCert('stranger', 'other', '/CN=eve', '0x42');
  // RFC 2253 specials, a UTF-8 value, a serial whose DER needs a sign byte.
  openssl('req', '-utf8', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'odd.key', '-out', 'odd.csr', '-subj', '/C=FR/O=Smith, Inc./OU=#1 team /CN=José\\+Ann');
  openssl('x509', '-req', '-in', 'odd.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x00FF01', '-days', '10', '-out', 'odd.crt');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n');
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-revoke', 'revoked.crt');
  openssl('ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-gencrl', '-out', 'crl.pem');
  origin = http.createServer((req, res) => res.end(`app got dn=${req.headers['x-ssl-client-dn']} cn=${req.headers['x-ssl-client-cn']}\n`));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originPort = (origin.address() as AddressInfo).port;
});

after(async () => {
  await new Promise((r) => origin?.close(r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const FETCHES = 'used=%[ssl_c_used] verify=%[ssl_c_verify] err=%[ssl_c_err] caerr=%[ssl_c_ca_err] depth=%[ssl_c_ca_err_depth] sdn=%[ssl_c_s_dn] idn=%[ssl_c_i_dn]';

interface Ports { required: number; optional: number; ignoring: number; strict: number; app: number; perLine: number }

function config(p: Ports): string {
  const crt = `crt ${dir}/site.pem`;
  const trust = `ca-file ${dir}/ca.pem crl-file ${dir}/crl.pem`;
  return `${loggedHttpHead()}    option httplog
frontend required
    bind 127.0.0.1:${p.required} ssl ${crt} ${trust} verify required
    http-request return status 200 content-type text/plain lf-string "${FETCHES} cn=%[ssl_c_s_dn(CN)] ou2=%[ssl_c_s_dn(OU,2)] oulast=%[ssl_c_s_dn(OU,-1)] serial=%[ssl_c_serial,hex] sha1=%[ssl_c_sha1,hex] nb=%[ssl_c_notbefore] na=%[ssl_c_notafter] v=%[ssl_c_version] ka=%[ssl_c_key_alg] sa=%[ssl_c_sig_alg] rfc=%[ssl_c_i_dn(CN,1,rfc2253)] fsdn=%[ssl_f_s_dn] fv=%[ssl_f_version]\\n"
frontend optional
    bind 127.0.0.1:${p.optional} ssl ${crt} ${trust} verify optional
    http-request deny if !{ ssl_c_used }
    http-request return status 200 content-type text/plain lf-string "${FETCHES}\\n"
frontend ignoring
    bind 127.0.0.1:${p.ignoring} ssl ${crt} ${trust} verify optional ca-ignore-err all crt-ignore-err 21,23
    http-request return status 200 content-type text/plain lf-string "${FETCHES}\\n"
frontend strict
    bind 127.0.0.1:${p.strict} ssl ${crt} strict-sni
    http-request return status 200 content-type text/plain lf-string "sni=%[ssl_fc_sni]\\n"
frontend perline
    bind 127.0.0.1:${p.perLine} ssl crt-list ${dir}/list.txt
    http-request return status 200 content-type text/plain lf-string "sni=%[ssl_fc_sni] used=%[ssl_c_used] cn=%[ssl_c_s_dn(CN)]\\n"
frontend app
    bind 127.0.0.1:${p.app} ssl ${crt} ca-file ${dir}/ca.pem verify required
    http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]
    http-request set-header X-SSL-Client-CN %[ssl_c_s_dn(cn)]
    default_backend app
backend app
    server s1 127.0.0.1:${originPort}
`;
}

/**
 * One GET over TLS 1.3 with `cert` (none: no certificate): the status line and body, the client's
 * TLS error code (an alert from the server), or 'closed' when the connection ended without a word.
 */
function get(port: number, cert: string | undefined, servername?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}),
      ...(cert ? { cert: fs.readFileSync(path.join(dir, `${cert}.crt`)), key: fs.readFileSync(path.join(dir, `${cert}.key`)) } : {}),
    }, () => socket.write('GET / HTTP/1.1\r\nhost: a.test\r\nconnection: close\r\n\r\n'));
    let data = '';
    let error: string | undefined;
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => {
      if (data) return resolve(`${data.split('\r\n')[0]} ${data.split('\r\n\r\n')[1] ?? ''}`.trim());
      resolve(error?.startsWith('ERR_SSL_') ? error : 'closed');
    });
  });
}

function certFacts(name: string): { nb: string; na: string; sha1: string } {
  const x = new crypto.X509Certificate(fs.readFileSync(path.join(dir, `${name}.crt`)));
  const asn1 = (d: string): string => new Date(d).toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');
  return { nb: asn1(x.validFrom), na: asn1(x.validTo), sha1: x.fingerprint.replaceAll(':', '') };
}

type Outcomes = Record<string, string>;

async function runCases(p: Ports): Promise<Outcomes> {
  const out: Outcomes = {};
  for (const cert of ['good', 'revoked', 'stranger', undefined]) {
    out[`required ${cert ?? 'none'}`] = await get(p.required, cert);
    out[`optional ${cert ?? 'none'}`] = await get(p.optional, cert);
    out[`ignoring ${cert ?? 'none'}`] = await get(p.ignoring, cert);
  }
  out['app good'] = await get(p.app, 'good');
  for (const sni of ['a.test', 'c.test', undefined]) out[`strict ${sni ?? 'no sni'}`] = await get(p.strict, undefined, sni);
  out['crt-list a.test good'] = await get(p.perLine, 'good', 'a.test');
  out['crt-list a.test none'] = await get(p.perLine, undefined, 'a.test');
  out['crt-list b.test none'] = await get(p.perLine, undefined, 'b.test');
  return out;
}

/** Recorded from HAProxy 2.6.12; `{nb}`, `{na}`, `{sha1}` stand for the good certificate's own values. */
const HAPROXY: Outcomes = {
  'required good': 'HTTP/1.1 200 OK used=1 verify=0 err=0 caerr=0 depth=0 sdn=/C=FR/O=Home/OU=Lab/OU=Garage/CN=alice idn=/C=FR/O=Test/CN=Client CA cn=alice ou2=Garage oulast=Garage serial=1234ABCD sha1={sha1} nb={nb} na={na} v=3 ka=id-ecPublicKey sa=ecdsa-with-SHA256 rfc=Client CA fsdn=/CN=a.test fv=3',
  'optional good': 'HTTP/1.1 200 OK used=1 verify=0 err=0 caerr=0 depth=0 sdn=/C=FR/O=Home/OU=Lab/OU=Garage/CN=alice idn=/C=FR/O=Test/CN=Client CA',
  'ignoring good': 'HTTP/1.1 200 OK used=1 verify=0 err=0 caerr=0 depth=0 sdn=/C=FR/O=Home/OU=Lab/OU=Garage/CN=alice idn=/C=FR/O=Test/CN=Client CA',
  'required revoked': 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'optional revoked': 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  // crt-ignore-err 23: a revoked certificate goes on, its error kept.
  'ignoring revoked': 'HTTP/1.1 200 OK used=1 verify=23 err=23 caerr=0 depth=0 sdn=/CN=mallory idn=/C=FR/O=Test/CN=Client CA',
  'required stranger': 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'optional stranger': 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  // An unknown issuer is first error 20 (not in the list), then 21: refused.
  'ignoring stranger': 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'required none': 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'optional none': 'HTTP/1.1 403 Forbidden <html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>',
  'ignoring none': 'HTTP/1.1 200 OK used=0 verify=0 err=0 caerr=0 depth=0 sdn= idn=',
  // HAProxy 2.6 writes %{+Q}[…] without quotes in a header value.
  'app good': 'HTTP/1.1 200 OK app got dn=/C=FR/O=Home/OU=Lab/OU=Garage/CN=alice cn=alice',
  'strict a.test': 'HTTP/1.1 200 OK sni=a.test',
  'strict c.test': 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME',
  'strict no sni': 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME',
  'crt-list a.test good': 'HTTP/1.1 200 OK sni=a.test used=1 cn=alice',
  'crt-list a.test none': 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'crt-list b.test none': 'HTTP/1.1 200 OK sni=b.test used=0 cn=',
};

/** The refused handshakes HAProxy logged, in order, without address and date. */
const HAPROXY_REFUSALS = [
  'required/1: SSL client certificate not trusted', 'optional/1: SSL client certificate not trusted',
  'required/1: SSL client certificate not trusted', 'optional/1: SSL client certificate not trusted', 'ignoring/1: SSL client certificate not trusted',
  'required/1: SSL handshake failure',
  'strict/1: SSL handshake failure', 'strict/1: SSL handshake failure',
  'perline/1: SSL handshake failure',
];

/** Loadstar: the same, except that a certificate failing verification ends in a closed connection (see the top). */
const LOADSTAR: Outcomes = {
  ...HAPROXY,
  'required revoked': 'closed', 'optional revoked': 'closed', 'required stranger': 'closed', 'optional stranger': 'closed', 'ignoring stranger': 'closed',
};

function expected(recorded: Outcomes): Outcomes {
  const facts = certFacts('good');
  return Object.fromEntries(Object.entries(recorded).map(([k, v]) => [k, v.replace('{nb}', facts.nb).replace('{na}', facts.na).replace('{sha1}', facts.sha1)]));
}

async function ports(): Promise<Ports> {
  return { required: await freePort(), optional: await freePort(), ignoring: await freePort(), strict: await freePort(), app: await freePort(), perLine: await freePort() };
}

/**
 * The embryonic-session lines of refused handshakes. HAProxy also logs startHaproxy's readiness probe
 * (a connection closed before its ClientHello: "Connection closed during SSL handshake"); Loadstar's
 * tests have no such probe: left out.
 */
function refusals(lines: readonly string[]): string[] {
  return lines.filter((l) => / SSL /.test(l) && !l.includes('"') && !l.includes('Connection closed during SSL handshake'))
    .map((l) => l.replace(/^\S+:\d+ \[[^\]]+\] /, ''));
}

test('client certificates: verify required / optional, ignored errors, ssl_c_* and ssl_f_* values, strict-sni and the refusal log lines, as HAProxy', async () => {
  const p = await ports();
  const proxy = await startEngine(config(p));
  try {
    assert.deepEqual(await runCases(p), expected(LOADSTAR));
    await waitFor('the refused handshakes to be logged', () => refusals(proxy.logs).length >= HAPROXY_REFUSALS.length);
    assert.deepEqual(refusals(proxy.logs), HAPROXY_REFUSALS);
  } finally {
    await proxy.stop();
  }
});

test('a client verified with TLS 1.2 gets the same refusals: handshake_failure alert without a certificate', async () => {
  const p = await ports();
  const proxy = await startEngine(config(p));
  try {
    const tls12 = (port: number, cert?: string): Promise<string> => new Promise((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2',
        ...(cert ? { cert: fs.readFileSync(path.join(dir, `${cert}.crt`)), key: fs.readFileSync(path.join(dir, `${cert}.key`)) } : {}),
      }, () => resolve(`connected ${socket.getProtocol()}`));
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    // Recorded from HAProxy 2.6.12.
    assert.equal(await tls12(p.required), 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
    assert.equal(await tls12(p.required, 'good'), 'connected TLSv1.2');
  } finally {
    await proxy.stop();
  }
});

test('haproxy 2.6 gives the recorded outcomes and log lines for the same client-certificate cases', async (t) => {
  if (!requireHaproxy(t)) return;
  const p = await ports();
  const haproxy = await startHaproxy(config(p), p.app);
  try {
    assert.deepEqual(await runCases(p), expected(HAPROXY));
    await waitFor('haproxy to log the refused handshakes', () => refusals(haproxy.output().split('\n')).length >= HAPROXY_REFUSALS.length);
    assert.deepEqual(refusals(haproxy.output().split('\n')), HAPROXY_REFUSALS);
  } finally {
    await haproxy.stop();
  }
});

test('names with RFC 2253 specials and UTF-8 read as HAProxy gives them (raw bytes, or escaped in rfc2253)', () => {
  const x = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'odd.crt')));
  const fields = new CertFields(() => x.raw);
  // Recorded from HAProxy 2.6.12: %[ssl_c_s_dn], %[ssl_c_s_dn(,0,rfc2253)], %[ssl_c_s_dn(CN)], %[ssl_c_serial,hex], %[ssl_c_s_dn(o,-1)].
  const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
  assert.equal(fields.subject?.oneline, utf8('/C=FR/O=Smith, Inc./OU=#1 team /CN=José+Ann'));
  assert.equal(fields.subject?.rfc2253, 'CN=Jos\\C3\\A9\\+Ann,OU=\\#1 team\\ ,O=Smith\\, Inc.,C=FR');
  assert.deepEqual(fields.subject?.entries.find((e) => e.name === 'CN')?.value, utf8('José+Ann'));
  assert.equal(Buffer.from(fields.serial!).toString('hex').toUpperCase(), 'FF01');
});

// ---------------------------------------------------------------- configuration errors

function parseErrors(bindOptions: string): string[] {
  const text = `frontend f\n    mode http\n    bind 127.0.0.1:8443 ssl crt ${dir}/site.pem ${bindOptions}\n    http-request return status 200\n`;
  const result = parseConfig([{ name: 'x.cfg', text }]);
  return result.diagnostics.filter((d) => d.severity !== 'warning').map((d) => `${d.line}: ${d.message}`);
}

test('bad client-certificate options are refused naming the line, with HAProxy\'s words', () => {
  assert.deepEqual(parseErrors('ca-file nope.pem verify required'), [
    `3: 'bind 127.0.0.1:8443' in section 'frontend' : Couldn't open the ca-file 'nope.pem' (No such file or directory). 'ca-file' : unable to load nope.pem.`,
  ]);
  assert.deepEqual(parseErrors(`ca-file ${dir}/ca.pem crl-file missing-crl.pem`), [
    `3: 'bind 127.0.0.1:8443' in section 'frontend' : Couldn't open the ca-file 'missing-crl.pem' (No such file or directory). 'crl-file' : unable to load missing-crl.pem.`,
  ]);
  assert.deepEqual(parseErrors('verify required'), [
    `3: Proxy 'f': verify is enabled but no CA file specified for bind '127.0.0.1:8443' at [x.cfg:3].`,
  ]);
  assert.deepEqual(parseErrors(`ca-file ${dir}/ca.pem verify bogus`), [
    `3: 'bind 127.0.0.1:8443' in section 'frontend' : 'verify' : unknown verify method 'bogus', only 'none', 'optional', and 'required' are supported`,
  ]);
  assert.deepEqual(parseErrors('ca-ignore-err 10,foo'), [
    `3: 'bind 127.0.0.1:8443' in section 'frontend' : 'ca-ignore-err' : ID '0' out of range (1..94) in error IDs list '10,foo'`,
  ]);
  // Accepted as HAProxy accepts them: verify defaults to none (the CA file is then unused).
  assert.deepEqual(parseErrors(`ca-file ${dir}/ca.pem`), []);
  assert.deepEqual(parseErrors(`ca-file ${dir} verify optional crt-ignore-err all strict-sni force-tlsv13`), []);
});
