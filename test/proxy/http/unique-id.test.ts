/**
 * `unique-id-format` / `unique-id-header` as HAProxy 2.6 runs them: the common
 * `%{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid` loads, the server receives the id in the
 * header (after the client's headers, lower-cased; no header without a format), `%ID` and the `unique-id` fetch log
 * the same id, a keep-alive connection's second request gets its own, and a request that
 * never became a stream (400 <BADREQ>) logs '-'; a TCP frontend's log line has its id too.
 * Before, Loadstar refused both keywords.
 * Recorded from haproxy 2.6.12 and replayed against it when it is installed: the id is
 * rebuilt from the fields of the same log line (%cp %fp %Ts %rt %pid), the rest compared as is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startEngine, freePort, rawExchange } from '../../helpers/net.ts';
import { haproxyPath, loggedHttpHead, startHaproxy } from '../../helpers/haproxy.ts';

const site = (port: number, plain: number, bare: number, app: number): string => `${loggedHttpHead('    timeout http-request 500ms\n')}frontend web
    bind 127.0.0.1:${port}
    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    unique-id-header X-Unique-ID
    log-format "%ID|%[unique-id]|%cp|%fp|%Ts|%rt|%pid|%ST|%{+Q}r"
    default_backend app
frontend plain
    bind 127.0.0.1:${plain}
    unique-id-format %[req.hdr(x-tag)]-%{+Q}ci
    unique-id-header x-id
    log-format "%ID|%[unique-id]|%{+Q}r"
    http-request set-header x-tag late
    default_backend app
frontend bare
    bind 127.0.0.1:${bare}
    unique-id-header x-id
    default_backend app
backend app
    server s1 127.0.0.1:${app}
`;

/** What the server received in the id headers, one entry per request, in order. */
async function startOrigin(): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const names = req.rawHeaders.filter((_v, i) => i % 2 === 0).join(',');
    seen.push(`${names} ${String(req.headers['x-unique-id'] ?? req.headers['x-id'] ?? '')}`);
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

/**
 * The lines of web with the id checked against the fields it is made of (and replaced by ID), those of
 * plain as they are; then what the server saw, the id replaced by ID when it is the line's.
 */
async function run(port: number, plain: number, bare: number, origin: { seen: string[] }, logged: () => string[]): Promise<string[]> {
  const before = origin.seen.length;
  await rawExchange(port, 'GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await rawExchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await rawExchange(port, 'GET /bad HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n');
  await rawExchange(plain, 'GET /p HTTP/1.1\r\nHost: x\r\nX-Tag: early\r\nConnection: close\r\n\r\n');
  await rawExchange(bare, 'GET /bare HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const deadline = Date.now() + 3000;
  while (logged().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const ids: string[] = [];
  const lines = logged().map((line) => {
    const [id, fetched, cp, fp, ts, rt, pid, ...rest] = line.split('|');
    if (rest.length === 0) return line; // the plain frontend's
    if (id !== '-') {
      const expected = `7F000001:${hex(Number(cp), 4)}_7F000001:${hex(Number(fp), 4)}_${hex(Number(ts), 8)}_${hex(Number(rt), 4)}:${hex(Number(pid), 4)}`;
      assert.equal(id, expected, `the id is made of the line's own fields: ${line}`);
      ids.push(id!);
    }
    return [id === '-' ? '-' : 'ID', fetched === id ? 'same' : fetched, ...rest].join('|');
  });
  const seen = origin.seen.slice(before).map((s) => (ids.some((id) => s.endsWith(` ${id}`)) ? `${s.slice(0, s.lastIndexOf(' '))} ID` : s));
  return [...lines, ...seen, `distinct ids: ${new Set(ids).size}`];
}

const EXPECTED = [
  'ID|same|200|"GET /one HTTP/1.1"',
  'ID|same|200|"GET /a HTTP/1.1"',
  'ID|same|200|"GET /b HTTP/1.1"',
  '-|same|400|"<BADREQ>"',
  // made when the header is added (after the rules), quoted by +Q (HAProxy's LOG_OPT_HTTP only encodes a %[sample])
  'late-"127.0.0.1"|late-"127.0.0.1"|"GET /p HTTP/1.1"',
  'host,x-unique-id ID',
  'host,x-unique-id ID',
  'host,x-unique-id ID',
  'host,x-tag,x-id late-"127.0.0.1"',
  // unique-id-header without unique-id-format: no header
  'host ',
  'distinct ids: 3',
];

test('unique-id-format and unique-id-header: the server gets the id %ID and unique-id log, as in HAProxy 2.6', async (t) => {
  const origin = await startOrigin();
  try {
    const port = await freePort();
    const plain = await freePort();
    const bare = await freePort();
    const e = await startEngine(site(port, plain, bare, origin.port));
    try {
      // The bare frontend has no log format: it logs "Connect from …" lines, as HAProxy does (not compared here).
      assert.deepEqual(await run(port, plain, bare, origin, () => e.logs.filter((l) => l.includes('|'))), EXPECTED);
    } finally {
      await e.stop();
    }
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded lines only');
    const hport = await freePort();
    const hplain = await freePort();
    const hbare = await freePort();
    const h = await startHaproxy(site(hport, hplain, hbare, origin.port), hport);
    try {
      await new Promise((r) => setTimeout(r, 100)); // the start-up probe's null connection logs first: not one of these
      const skip = h.output().split('\n').length - 1;
      const got = await run(hport, hplain, hbare, origin, () => h.output().split('\n').slice(skip).filter((l) => l.includes('|')));
      if (process.env.RECORD) console.log(JSON.stringify(got, null, 1));
      assert.deepEqual(got, EXPECTED);
    } finally {
      await h.stop();
    }
  } finally {
    await origin.close();
  }
});

test('a TCP frontend\'s unique-id-format: %ID and unique-id log the id, as in HAProxy 2.6 (Loadstar logged -)', async (t) => {
  // A reset from the proxy when the session ends is not what this test looks at.
  const echo = net.createServer((s) => s.on('error', () => {}).pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const config = (port: number): string => `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend t
    bind 127.0.0.1:${port}
    unique-id-format %{+X}o\\ %ci_%rt:%Ts
    log-format "%ID|%[unique-id]|%rt|%Ts"
    default_backend app
backend app
    server s1 127.0.0.1:${(echo.address() as net.AddressInfo).port}
`;
  /** The session's line, its id checked against the fields it is made of. */
  const session = async (port: number, logged: () => string[]): Promise<string> => {
    const before = logged().length;
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('hi'));
      s.on('data', () => {});
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    const deadline = Date.now() + 3000;
    while (logged().length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [id, fetched, rt, ts] = (logged()[before] ?? '').split('|');
    return `${id === `7F000001_${hex(Number(rt), 4)}:${hex(Number(ts), 8)}` ? 'ID' : id}|${fetched === id ? 'same' : fetched}`;
  };
  try {
    const port = await freePort();
    const e = await startEngine(config(port));
    try {
      assert.equal(await session(port, () => e.logs), 'ID|same');
    } finally {
      await e.stop();
    }
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded line only');
    const hport = await freePort();
    const h = await startHaproxy(config(hport), hport);
    try {
      await new Promise((r) => setTimeout(r, 100)); // the start-up probe's session logs first
      assert.equal(await session(hport, () => h.output().split('\n').filter((l) => l.includes('|'))), 'ID|same');
    } finally {
      await h.stop();
    }
  } finally {
    await new Promise<void>((r) => echo.close(() => r()));
  }
});
