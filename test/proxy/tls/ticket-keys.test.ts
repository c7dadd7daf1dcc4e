/**
 * `tls-ticket-keys <file>` on a bind, next to haproxy 2.6.12: the file's problems refused with
 * haproxy's messages; a session ticket issued by either process resumes on the other when both use
 * the same file (TLS 1.2 and 1.3), not on a bind with other keys; a ticket stays good while its key
 * is one of the three in use, and `set ssl tls-key` rotating it out ends that.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { adminHttpHead, cli, writeSiteCertificate } from '../stats/helpers.ts';
import { assertHaproxyParses, assertLoadstarParses } from '../config/lib/parse-cases.ts';
import type { ParseCase } from '../config/lib/parse-cases.ts';

let dir: string;
const key = (bytes = 48): string => crypto.randomBytes(bytes).toString('base64');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ticket-keys-'));
  writeSiteCertificate(dir);
  fs.writeFileSync(path.join(dir, 'keys.txt'), `${key()}\n${key()}\n${key()}\n${key()}\n`);
  fs.writeFileSync(path.join(dir, 'other.txt'), `${key()}\n${key()}\n${key()}\n`);
  fs.writeFileSync(path.join(dir, 'keys256.txt'), `${key(80)}\n${key(80)}\n${key(80)}\r\n`);
  fs.writeFileSync(path.join(dir, 'two.txt'), `${key()}\n${key()}\n`);
  fs.writeFileSync(path.join(dir, 'bad.txt'), `${key()}\n!!notbase64\n${key()}\n`);
  fs.writeFileSync(path.join(dir, 'mixed.txt'), `${key()}\n${key(80)}\n${key()}\n`);
  fs.writeFileSync(path.join(dir, 'short.txt'), `${key(30)}\n${key()}\n${key()}\n`);
  fs.writeFileSync(path.join(dir, 'blank.txt'), `${key()}\n\n${key()}\n${key()}\n`);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const bindWith = (file: string): string => `frontend f\n    bind 127.0.0.1:18443 ssl crt ${dir}/site.pem tls-ticket-keys ${file}\n`;
const label = "'bind 127.0.0.1:18443' in section 'frontend' : ";

function cases(): ParseCase[] {
  return [
    { text: bindWith(`${dir}/keys.txt`), valid: true },
    { text: bindWith(`${dir}/keys256.txt`), valid: true },
    { text: bindWith(`${dir}/missing.txt`), valid: false, message: `${label}'${dir}/missing.txt' : unable to load ssl tickets keys file` },
    { text: bindWith(`${dir}/two.txt`), valid: false, message: `${label}'${dir}/two.txt' : please supply at least 3 keys in the tls-tickets-file` },
    { text: bindWith(`${dir}/bad.txt`), valid: false, message: `${label}'${dir}/bad.txt' : unable to decode base64 key on line 2` },
    { text: bindWith(`${dir}/mixed.txt`), valid: false, message: `${label}'${dir}/mixed.txt' : wrong sized key on line 2` },
    { text: bindWith(`${dir}/short.txt`), valid: false, message: `${label}'${dir}/short.txt' : wrong sized key on line 1` },
    { text: bindWith(`${dir}/blank.txt`), valid: false, message: `${label}'${dir}/blank.txt' : wrong sized key on line 2` },
    { text: `frontend f\n    bind 127.0.0.1:18443 ssl crt ${dir}/site.pem tls-ticket-keys\n`, valid: false, message: `${label}'tls-ticket-keys' : missing TLS ticket keys file path` },
  ];
}

test('tls-ticket-keys: the file is read while parsing, its problems refused with haproxy\'s messages', () => {
  assertLoadstarParses(cases());
});

test('tls-ticket-keys: haproxy 2.6 agrees with those outcomes', (t) => {
  assertHaproxyParses(t, cases());
});

function site(ports: { shared: number; same: number; other: number }, sock: string): string {
  return `${adminHttpHead(sock)}frontend f
    bind 127.0.0.1:${ports.shared} ssl crt ${dir}/site.pem tls-ticket-keys ${dir}/keys.txt
    bind 127.0.0.1:${ports.same} ssl crt ${dir}/site.pem tls-ticket-keys ${dir}/keys.txt
    bind 127.0.0.1:${ports.other} ssl crt ${dir}/site.pem tls-ticket-keys ${dir}/other.txt
    http-request return status 200
`;
}

/** One request; the session (ticket) it got and whether it resumed the one offered. */
function connect(port: number, version: tls.SecureVersion, session?: Buffer): Promise<{ resumed: boolean; session: Buffer | undefined }> {
  return new Promise((resolve) => {
    let got: Buffer | undefined;
    let resumed = false;
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'a.test', rejectUnauthorized: false, minVersion: version, maxVersion: version, ...(session ? { session } : {}) });
    socket.on('session', (s: Buffer) => (got = s));
    socket.on('secureConnect', () => {
      resumed = socket.isSessionReused();
      socket.write('GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve({ resumed, session: got }));
  });
}

async function resumes(from: number, to: number, version: tls.SecureVersion): Promise<boolean> {
  const first = await connect(from, version);
  assert.ok(first.session, 'a ticket was issued');
  return (await connect(to, version, first.session)).resumed;
}

test('tls-ticket-keys: tickets pass between binds sharing the file, and between haproxy and Loadstar; set ssl tls-key rotates the keys', { timeout: 60_000 }, async (t) => {
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ticket-sock-'));
  try {
    const ports = { shared: await freePort(), same: await freePort(), other: await freePort() };
    const sock = path.join(sockDir, 'l.sock');
    const e = await startEngine(site(ports, sock));
    try {
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        assert.equal(await resumes(ports.shared, ports.same, version), true, `${version}: same file`);
        assert.equal(await resumes(ports.shared, ports.other, version), false, `${version}: other keys`);
      }
      // A ticket encrypted with the current key (the second of three) lives through one rotation, not two.
      const ticket = (await connect(ports.shared, 'TLSv1.2')).session;
      assert.equal(await cli(sock, `set ssl tls-key #1 ${key()}`), 'TLS ticket key updated!\n\n');
      assert.equal((await connect(ports.same, 'TLSv1.2', ticket)).resumed, true, 'its key is the oldest now');
      assert.equal(await cli(sock, `set ssl tls-key ${dir}/keys.txt ${key()}`), 'TLS ticket key updated!\n\n');
      assert.equal((await connect(ports.same, 'TLSv1.2', ticket)).resumed, false, 'its key is gone');
      assert.equal(await cli(sock, `set ssl tls-key #0 ${key(80)}`), "'set ssl tls-key' received a key of wrong size.\n\n");
    } finally {
      await e.stop();
    }
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: not compared with it');
    const theirs = { shared: await freePort(), same: await freePort(), other: await freePort() };
    const h = await startHaproxy(site(theirs, path.join(sockDir, 'h.sock')), theirs.shared);
    const e2 = await startEngine(site(ports, sock));
    try {
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        assert.equal(await resumes(theirs.shared, ports.shared, version), true, `${version}: haproxy's ticket on Loadstar`);
        assert.equal(await resumes(ports.shared, theirs.shared, version), true, `${version}: Loadstar's ticket on haproxy`);
        assert.equal(await resumes(theirs.shared, ports.other, version), false, `${version}: haproxy's ticket on other keys`);
      }
    } finally {
      await e2.stop();
      await h.stop();
    }
  } finally {
    fs.rmSync(sockDir, { recursive: true, force: true });
  }
});
