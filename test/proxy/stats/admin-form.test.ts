/**
 * The stats page's admin form, hostile or odd (parameters in any order, repeated, badly
 * percent-encoded, too long, unknown backends, servers and actions, a body larger than the request
 * buffer): the `st=` code of the 303 and the servers' admin states after each POST are HAProxy
 * 2.6's. Found by the runtime API fuzzer (test/reliability/runtime-api-fuzz.test.ts): a body past
 * 256 kB was never answered (the transaction stopped reading it and waited), and the form was read
 * left to right, first value winning, where HAProxy reads it from the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli } from './helpers.ts';
import { applyAdminForm } from '../../../proxy/stats/admin-form.ts';

function config(sock: string, port: number): string {
  return `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
frontend page
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
    stats admin if TRUE
backend app
    server s1 127.0.0.1:9 check inter 60s
    server s2 127.0.0.1:9
`;
}

/** POSTs `body` (chunked or with a Content-Length) and returns the `st=` of the redirect, or what came instead. */
function post(port: number, body: Buffer, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => { raw += ' (no answer in 3 s)'; s.destroy(); }, 3000);
    s.on('data', (d: Buffer) => { raw += d.toString('latin1'); if (raw.includes('\r\n\r\n')) s.destroy(); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve(/^HTTP\/1\.1 303 [^]*location: \/stats;st=(\w+)/.exec(raw)?.[1] ?? JSON.stringify(raw.slice(0, 100))); });
    s.on('connect', () => {
      s.write(`POST /stats HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n${chunked ? 'transfer-encoding: chunked' : `content-length: ${body.length}`}\r\n\r\n`);
      s.write(chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body);
    });
  });
}

const FORMS: Array<string | [string, 'chunked']> = [
  'b=%233&s=s1&action=maint', 'b=%233&s=s1&action=ready', 'action=drain&s=s1&b=app', 'b=%233&s=s1&action=ready',
  's=s1&s=nosuch&b=app&action=drain', 's=nosuch&b=app&action=ready', 'b=nosuch&s=s1&action=ready', 'b=app&s=s1&action=bogus',
  '', 'action=&s=s1', 'action=ready', 's=s1', '%zz&b=app&s=s2&action=maint', 'b=app&s=s2&action=ready&%zz', 'b=app&s=s2%00junk&action=ready',
  '&b=app&s=s1&action=maint', 'b=app&s=s1&action=maint&', `b=app&s=${'x'.repeat(3000)}&action=maint`, `b=app&s=s1&action=ready&x=${'y'.repeat(2046)}`,
  `b=app&s=s1&action=maint&x=${'y'.repeat(2045)}`, 'b=app&s=s2&action=disable', 'b=app&s=s2&action=disable', 'b=app&s=s2&action=enable', 'b=app&s=s2&action=enable',
  // (Loadstar's admin state is one of ready, drain, maint: no server here is both in maintenance and draining, as HAProxy's flags allow.)
  'b=app&s=s1&action=ready', 'b=app&s=s1&s=s2&action=stop', 'b=app&s=s1&s=s2&action=stop', 'b=app&s=s2&action=start', 'b=app;s=s1;action=maint', 'b=%23999&s=s1&action=maint', 'b=#3&s=s1&action=maint',
  'b=app&b=nosuch&s=s1&action=ready', 'b=nosuch&b=app&s=s1&action=ready', 'b=app&s=s1&action=dhlth', 'b=app&s=s1&action=ehlth', 'b=app&s=s2&action=dhlth',
  'b=app&s=s1&s=s1&action=maint', 'b=page&s=s1&action=ready', 'b+=app&s=s1&action=ready', 'b=app&s=s1&action=ready&action=maint', 'b=app&s=s%31&action=ready',
  'b=app&s=s1+&action=maint', 'b=app&s=s1&action=ready%', 'b=app&=&&&s=s2&action=maint', 's=s2&action=ready&b=app&s=s1', 'b=app&s=s2&action=shutdown',
  ['b=app&s=s1&action=ready', 'chunked'], ['b=app&s=s2&action=ready', 'chunked'],
  // Bodies the request buffer cannot hold: answered at once (EXCD), 9 bytes sooner when chunked.
  `b=app&action=maint&${'s=zz&'.repeat(3100)}`.slice(0, 15156), `b=app&action=maint&${'s=zz&'.repeat(3100)}`.slice(0, 15157),
  [`b=app&action=maint&${'s=zz&'.repeat(3100)}`.slice(0, 15142), 'chunked'], [`b=app&action=maint&${'s=zz&'.repeat(3100)}`.slice(0, 15143), 'chunked'],
  `s=s1&${'s=s2&'.repeat(200_000)}b=app&action=maint`, [`${'%'.repeat(300_000)}`, 'chunked'],
];

test('hostile admin forms on the stats page get HAProxy 2.6\'s status and leave the servers as it does', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-admin-form-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = async (sock: string, port: number): Promise<string[]> => {
    const out: string[] = [];
    for (const form of FORMS) {
      const [text, chunked] = typeof form === 'string' ? [form, false] : [form[0], true];
      const status = await post(port, Buffer.from(text, 'latin1'), chunked);
      // srv_admin_state of s1 and s2 (the columns after them are times and check states).
      const state = (await cli(sock, 'show servers state app')).split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' ')[6]).join(',');
      out.push(`${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…(${text.length})` : text)}${chunked ? ' chunked' : ''} → ${status} ${state}`);
    }
    return out;
  };
  const lSock = path.join(dir, 'loadstar.sock');
  const lPort = await freePort();
  const loadstar = await startEngine(config(lSock, lPort));
  let mine: string[];
  try {
    mine = await run(lSock, lPort);
  } finally {
    await loadstar.stop();
  }
  const hSock = path.join(dir, 'haproxy.sock');
  const hPort = await freePort();
  const haproxy = await startHaproxy(config(hSock, hPort), hPort);
  let theirs: string[];
  try {
    theirs = await run(hSock, hPort);
  } finally {
    await haproxy.stop();
  }
  assert.deepEqual(mine, theirs);
});

test('the form is read from its last parameter: servers named before the backend and action are taken once both are known', () => {
  const applied: string[] = [];
  const target = {
    backend: (w: string) => (w === 'app' ? w : undefined),
    apply: (b: string, s: string, a: string) => (applied.push(`${b}/${s}:${a}`), s === 'nosuch' ? undefined : ('altered' as const)),
  };
  assert.equal(applyAdminForm('s=a&b=app&s=b&action=drain&s=c', target), 'DONE');
  // The last `s` (c) was met first and kept for later; a and b come once b= and action= are read.
  assert.deepEqual(applied, ['app/c:drain', 'app/b:drain', 'app/a:drain']);
  applied.length = 0;
  assert.equal(applyAdminForm('s=a&s=nosuch&b=app&action=maint', target), 'PART');
  assert.equal(applyAdminForm('b=app&s=a&action=maint&x=%4', target), 'NONE');
  assert.equal(applyAdminForm('b=app&s=a&action=nope', target), 'ERRP');
});
