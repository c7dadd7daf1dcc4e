/**
 * A `bind … ssl` listener's TLS options (proxy/tls/bind-tls.ts), side by side with haproxy 2.6.12:
 * a client's renegotiation request is refused (SSL_OP_NO_RENEGOTIATION, CVE-2009-3555), on a bind
 * with one certificate and on one choosing among several by SNI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { sideBySide } from '../http/lib/side-by-side.ts';


let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-bind-tls-'));
  for (const [name, cn] of [['site', 'a.test'], ['other', 'b.test']] as const) {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
      '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, `${name}.pem`), fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8') + fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'), { mode: 0o600 });
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A TLS 1.2 client asks to renegotiate once its handshake is done: what the renegotiation ends with, then whether a request is still answered. */
function renegotiate(port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const outcome: string[] = [];
    const socket = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] }, () => {
      const asked = socket.renegotiate({ rejectUnauthorized: false }, (e) => {
        outcome.push(e ? `renegotiation: ${(e as NodeJS.ErrnoException).code}` : 'renegotiation: done');
        if (!socket.destroyed) socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      });
      if (!asked) outcome.push('renegotiation: not sent');
    });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    // A refused renegotiation ends the connection: the alert comes as the socket's error.
    socket.on('error', (e: NodeJS.ErrnoException) => outcome.push(`error: ${e.code}`));
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve([...outcome, answer === '' ? 'no answer' : answer.slice(0, answer.indexOf('\r\n'))].join(', '));
    });
  });
}

test('a client asking to renegotiate is refused with the no_renegotiation alert, one certificate or several, as haproxy refuses it', { timeout: 60_000 }, async (t) => {
  const seen: string[][] = [];
  await sideBySide(t, (port) => `defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
frontend fe
    bind 127.0.0.1:${port} ssl crt ${path.join(dir, 'site.pem')} crt ${path.join(dir, 'other.pem')}
    http-request return status 200 content-type text/plain string ok
`, async (port) => {
    seen.push([await renegotiate(port, 'a.test'), await renegotiate(port, 'b.test')]);
  });
  const refused = 'error: ERR_SSL_NO_RENEGOTIATION, no answer';
  assert.deepEqual(seen[0], [refused, refused]);
  if (seen[1]) assert.deepEqual(seen[1], seen[0], 'haproxy refuses the same');
});
