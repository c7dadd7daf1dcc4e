/**
 * `show errors` next to haproxy 2.6.12's: the same bad requests and the same bad responses from a
 * fake server go through both, and every answer of the runtime API is compared once the dates and
 * the client's port are set aside, and the three lines of haproxy's H1 mux state taken out of its
 * (Loadstar does not print them: see stats/show-errors.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { adminHttpHead, cli } from './helpers.ts';
import { dumpTextLine } from '../../../proxy/stats/show-errors.ts';

/** What the fake server answers, by the request's path. */
const ANSWERS: Record<string, string> = {
  '/ok': 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
  '/bad-header': 'HTTP/1.1 200 OK\r\nBad Header: x\r\ncontent-length: 2\r\n\r\nok',
  '/bad-chunk': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n',
  '/bad-status': 'HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n',
  '/gzip': 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nxx',
  '/gzip-chunked': 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  '/ws': 'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n',
};

function answer(socket: net.Socket): void {
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return;
    const path = text.split(' ')[1] ?? '';
    text = text.slice(end + 4);
    // '/quiet': no answer (the request's body is still coming).
    if (path !== '/quiet') socket.write(ANSWERS[path] ?? ANSWERS['/ok']!, 'latin1');
  });
  socket.on('error', () => {});
}

function config(sock: string, fe: number, li: number, server: number): string {
  return `${adminHttpHead(sock)}frontend fe
    bind 127.0.0.1:${fe}
    default_backend be
backend be
    server s1 127.0.0.1:${server}
listen li
    bind 127.0.0.1:${li}
    server spare 127.0.0.1:${server} disabled
    server s2 127.0.0.1:${server}
`;
}

/** Dates and the client's port set aside; haproxy's H1 mux lines left out. */
function normalized(text: string): string {
  return text
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, '[DATE]')
    .replace(/src 127\.0\.0\.1:\d+/g, 'src 127.0.0.1:PORT')
    .split('\n').filter((l) => !/^ {2}H1 /.test(l)).join('\n');
}

/** `n` header fields, h0: v … */
function fields(n: number): string {
  return Array.from({ length: n }, (_, i) => `h${i}: v\r\n`).join('');
}

/** Each case: bytes a client sends to the frontend or the listen, then the runtime API command whose answer is compared. */
const CASES: ReadonlyArray<{ name: string; to: 'fe' | 'li'; send: string | readonly string[]; show: string }> = [
  { name: 'a space in a header name', to: 'fe', send: 'GET / HTTP/1.1\r\nBad Header: x\r\nhost: a\r\n\r\n', show: 'show errors fe request' },
  { name: 'a bad chunk size after the head, in the same read', to: 'li', send: 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', show: 'show errors li request' },
  { name: 'a request line longer than a dump line', to: 'fe', send: `GET /${'a'.repeat(90)} HTTP/1.1\r\nhost: a\r\nx y: \\\t\x01\r\n\r\n`, show: 'show errors fe' },
  // The stream exists once the head is in: its backend is named.
  { name: 'a bad chunk size in a later read', to: 'fe', send: ['POST /quiet HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n', 'zz\r\n'], show: 'show errors fe request' },
  { name: 'a bad request after a good one in the same read', to: 'fe', send: 'GET /ok HTTP/1.1\r\nhost: a\r\n\r\nGET / HTTP/1.1\r\nBad Header: x\r\n\r\n', show: 'show errors fe request' },
  // Refused by Loadstar's request checks after llhttp took the head: the position HAProxy's parser gives.
  { name: 'an HTTP/0.9 request line', to: 'fe', send: 'GET /\r\n\r\n', show: 'show errors fe request' },
  { name: 'an HTTP/0.9 request line alone (no empty line after it yet)', to: 'fe', send: 'GET /x\r\n', show: 'show errors fe request' },
  { name: 'an HTTP/0.9 request line after an empty line, ending with a bare LF', to: 'li', send: '\r\nGET /y\n', show: 'show errors li request' },
  { name: 'a fragment in the target', to: 'fe', send: 'GET /a#b HTTP/1.1\r\nhost: a\r\n\r\n', show: 'show errors fe request' },
  { name: 'a second Host field that differs', to: 'fe', send: 'GET / HTTP/1.1\r\nhost: a\r\nHost:  b\r\n\r\n', show: 'show errors fe request' },
  { name: 'one field more than tune.http.maxhdr − 1', to: 'fe', send: `GET / HTTP/1.1\r\n${fields(101)}\r\n`, show: 'show errors fe request' },
  { name: 'many fields more', to: 'fe', send: `GET / HTTP/1.1\r\n${fields(120)}\r\n`, show: 'show errors fe request' },
  // More than HAProxy's input buffer takes (tune.bufsize − 64): what it kept, the error at its end.
  { name: 'a head larger than the buffer', to: 'fe', send: `GET / HTTP/1.1\r\nhost: a\r\nx: ${'y'.repeat(20000)}\r\n\r\n`, show: 'show errors fe request' },
  { name: 'an HTTP/0.9 line after a good request in the same read', to: 'li', send: 'GET /ok HTTP/1.1\r\nhost: a\r\n\r\nGET /x\r\n\r\n', show: 'show errors li request' },
  { name: 'a space in a response header name', to: 'fe', send: 'GET /bad-header HTTP/1.1\r\nhost: a\r\n\r\n', show: 'show errors be response' },
  { name: 'a bad chunk size in a response', to: 'li', send: 'GET /bad-chunk HTTP/1.1\r\nhost: a\r\n\r\n', show: 'show errors li response' },
  { name: 'a bad response status', to: 'fe', send: 'GET /bad-status HTTP/1.1\r\nhost: a\r\n\r\n', show: 'show errors be' },
  // Refused by the transaction after llhttp took the head: captured at the head's end, as HAProxy's H1 mux does.
  { name: 'a response transfer coding other than chunked', to: 'fe', send: 'GET /gzip HTTP/1.1\r\nhost: a\r\n\r\n', show: 'show errors be response' },
  { name: 'a response coding before chunked', to: 'li', send: 'GET /gzip-chunked HTTP/1.1\r\nhost: a\r\n\r\n', show: 'show errors li response' },
  { name: 'a WebSocket 101 without its accept key', to: 'fe', send: `GET /ws HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: ${'dGhlIHNhbXBsZSBub25jZQ=='}\r\nsec-websocket-version: 13\r\n\r\n`, show: 'show errors be response' },
];

/**
 * After the cases: every capture, and the filters by name, by id, by the other side's proxy, by
 * direction; then `clear counters all`, which leaves the captures alone.
 */
const LISTINGS = ['show errors', 'show errors fe', 'show errors be', 'show errors 3', 'show errors 99', 'show errors li response',
  'show errors fe response', 'show errors request', 'show errors nope', 'show errors be request', 'clear counters all', 'show errors li'];

/** Each part written 150 ms after the previous one (separate reads); the connection is closed 300 ms after the last (when the proxy has not closed it). */
function sendParts(port: number, parts: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.on('connect', async () => {
      for (const p of parts) {
        socket.write(Buffer.from(p, 'latin1'));
        await new Promise((r) => setTimeout(r, 150));
      }
      setTimeout(() => socket.destroy(), 300);
    });
  });
}

async function run(sock: string, fe: number, li: number): Promise<string[]> {
  const out: string[] = [];
  for (const c of CASES) {
    await sendParts(c.to === 'fe' ? fe : li, typeof c.send === 'string' ? [c.send] : c.send);
    out.push(`${c.name}:\n${normalized(await cli(sock, c.show))}`);
  }
  for (const l of LISTINGS) out.push(`${l}:\n${normalized(await cli(sock, l))}`);
  return out;
}

test('show errors answers as haproxy 2.6.12 does after the same bad requests and responses', { timeout: 120_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const server = await startRawServer(answer);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-errors-'));
  try {
    const [hFe, hLi, lFe, lLi] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const haproxy = await startHaproxy(config(path.join(dir, 'h.sock'), hFe, hLi, server.port), hFe);
    let expected: string[];
    try {
      expected = await run(path.join(dir, 'h.sock'), hFe, hLi);
    } finally {
      await haproxy.stop();
    }
    const loadstar = await startEngine(config(path.join(dir, 'l.sock'), lFe, lLi, server.port));
    try {
      const got = await run(path.join(dir, 'l.sock'), lFe, lLi);
      for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i]);
    } finally {
      await loadstar.stop();
    }
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a frontend and a backend of the same name: each lists its own side under its own id, as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const server = await startRawServer(answer);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-errors-'));
  const cfg = (sock: string, port: number): string => `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend www
    bind 127.0.0.1:${port}
    default_backend www
backend www
    server s1 127.0.0.1:${server.port}
`;
  const listings = async (sock: string, port: number): Promise<string[]> => {
    await sendParts(port, ['GET / HTTP/1.1\r\nBad Header: x\r\n\r\n']);
    await sendParts(port, ['GET /bad-header HTTP/1.1\r\nhost: a\r\n\r\n']);
    return [normalized(await cli(sock, 'show errors')), normalized(await cli(sock, 'show errors www response'))];
  };
  try {
    const [hPort, lPort] = [await freePort(), await freePort()];
    const haproxy = await startHaproxy(cfg(path.join(dir, 'h.sock'), hPort), hPort);
    let expected: string[];
    try {
      expected = await listings(path.join(dir, 'h.sock'), hPort);
    } finally {
      await haproxy.stop();
    }
    const loadstar = await startEngine(cfg(path.join(dir, 'l.sock'), lPort));
    try {
      assert.deepEqual(await listings(path.join(dir, 'l.sock'), lPort), expected);
    } finally {
      await loadstar.stop();
    }
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("dump lines stop at 80 characters as tools.c dump_text_line does: an escape that does not fit starts a '+' line", () => {
  const lines: string[] = [];
  const buf = Buffer.from(`${'a'.repeat(69)}\x01${'b'.repeat(68)}\\\\\n`, 'latin1');
  const line = { start: 0 };
  for (let ptr = 0; ptr < buf.length;) ptr = dumpTextLine(buf, 16384, line, ptr, (s) => lines.push(s));
  assert.deepEqual(lines, [
    `  00000  ${'a'.repeat(69)}\n`,
    `  00069+ \\x01${'b'.repeat(66)}\n`,
    `  00136+ bb\\\\\\\\\\n\n`,
  ]);
  assert.ok(lines.every((l) => l.length <= 80));
});
