/**
 * Error pages side by side with HAProxy 2.6: `http-errors` sections, `errorfiles` (whole or by
 * status), `errorfile`, `errorloc` / `errorloc302` / `errorloc303`, their precedence (a later line
 * wins, the defaults section's lines come first, a backend's page before its frontend's), the
 * `errorfiles` of deny / return rules, and how an errorfile is sent (header names in lower case,
 * its Connection header replaced, an HTTP/1.0 or length-less message closing the connection, an
 * empty file closing without a word), and `http-error` (a payload and hdr lines, an errorfile, an
 * http-errors section's page, default-errorfiles). Every answer is compared byte for byte, with
 * whether the connection stayed open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-errorpages-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const FILES = {
  // HTTP/1.0, no length, Connection: close: the reg-test's shape (reg-tests/http-errorfiles).
  e403: file('403.http', 'HTTP/1.0 403 Forbidden\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nx-err-type: site\r\n\r\n<html><body><h1>403 Forbidden</h1>\n</body></html>\n'),
  // Lone LFs and no Content-Length: the body ends with the connection.
  e404: file('404.http', 'HTTP/1.1 404 Not Here\nX-Err-Type: site\n\nnothing here\n'),
  // HTTP/1.0 with a length: kept alive, and said so.
  e500: file('500.http', 'HTTP/1.0 500 Oops\r\nContent-Length: 4\r\nX-Err-Type: site\r\n\r\noops'),
  // HTTP/1.1 with a length and Connection: close.
  e503: file('503.http', 'HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\nX-Err-Type: other\r\n\r\nbusy\n'),
  e503fe: file('503fe.http', 'HTTP/1.1 503 Frontend\r\nContent-Length: 2\r\n\r\nfe'),
  body: file('body.txt', 'hello file'),
};

function config(port: number, port2: number): string {
  return `global
    nbthread 1
http-errors site
    errorfile 403 ${FILES.e403}
    errorfile 404 ${FILES.e404}
    errorfile 500 ${FILES.e500}
http-errors other
    errorfile 503 ${FILES.e503}
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    errorfiles site 404
    errorloc303 500 /oops
frontend fe
    bind 127.0.0.1:${port}
    errorfile 503 ${FILES.e503fe}
    errorfiles other
    errorloc 403 /denied
    errorfiles site 403 500
    errorfile 429 /dev/null
    errorloc302 401 http://example.com/login
    http-request deny if { path /403 }
    http-request deny deny_status 401 if { path /401 }
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
    http-request deny deny_status 503 if { path /503 }
    http-request deny deny_status 429 if { path /429 }
    http-request deny deny_status 403 errorfiles site if { path /r403 }
    http-request deny deny_status 503 errorfiles site if { path /r503 }
    http-request return status 404 errorfiles site if { path /r404 }
    default_backend be
backend be
    errorloc302 503 http://example.com/down
    server s1 127.0.0.1:1 disabled
frontend fe2
    bind 127.0.0.1:${port2}
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
    http-request deny if { path /403 }
    http-request deny deny_status 400 if { path /400 }
`;
}

const PATHS = ['/403', '/401', '/404', '/500', '/503', '/429', '/r403', '/r503', '/r404', '/nosrv'];
const PATHS2 = ['/404', '/500', '/403', '/400'];

/** One request on its own connection: what came back, and whether the proxy closed within 400 ms. */
function exchange(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ex.com\r\n\r\n`));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); resolve(`${Buffer.concat(chunks).toString('latin1')}[open]`); }, 400);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => { clearTimeout(timer); resolve(`${Buffer.concat(chunks).toString('latin1')}[closed]`); });
    socket.on('error', reject);
  });
}

async function answers(port: number, port2: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of PATHS) out[`fe ${p}`] = await exchange(port, p);
  for (const p of PATHS2) out[`fe2 ${p}`] = await exchange(port2, p);
  return out;
}

/** Recorded from HAProxy 2.6.12 on config(). */
const EXPECTED: Record<string, string> = {
  // errorfiles site 403 500 comes after errorloc 403: the file wins; HTTP/1.0 without a length closes, without a header.
  'fe /403': 'HTTP/1.0 403 Forbidden\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nx-err-type: site\r\n\r\n<html><body><h1>403 Forbidden</h1>\n</body></html>\n[closed]',
  'fe /401': 'HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://example.com/login\r\n\r\n[open]',
  // From the defaults section's errorfiles site 404: no length, so connection: close.
  'fe /404': 'HTTP/1.1 404 Not Here\r\nx-err-type: site\r\nconnection: close\r\n\r\nnothing here\n[closed]',
  // The frontend's errorfiles overrides the defaults section's errorloc303 500; HTTP/1.0 with a length stays open.
  'fe /500': 'HTTP/1.0 500 Oops\r\ncontent-length: 4\r\nx-err-type: site\r\nconnection: keep-alive\r\n\r\noops[open]',
  // errorfiles other comes after errorfile 503: its page; its Connection: close moves last.
  'fe /503': 'HTTP/1.1 503 Busy\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nx-err-type: other\r\nconnection: close\r\n\r\nbusy\n[closed]',
  // errorfile 429 /dev/null: nothing, the connection closes.
  'fe /429': '[closed]',
  'fe /r403': 'HTTP/1.0 403 Forbidden\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nx-err-type: site\r\n\r\n<html><body><h1>403 Forbidden</h1>\n</body></html>\n[closed]',
  // The section has no 503: an empty answer (HAProxy warns at load).
  'fe /r503': 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n[open]',
  'fe /r404': 'HTTP/1.1 404 Not Here\r\nx-err-type: site\r\nconnection: close\r\n\r\nnothing here\n[closed]',
  // No server: the backend's page comes before the frontend's.
  'fe /nosrv': 'HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://example.com/down\r\n\r\n[open]',
  // fe2 has the defaults section's lines only.
  'fe2 /404': 'HTTP/1.1 404 Not Here\r\nx-err-type: site\r\nconnection: close\r\n\r\nnothing here\n[closed]',
  'fe2 /500': 'HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /oops\r\n\r\n[open]',
  'fe2 /403': 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n' +
    '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n[open]',
  // HAProxy's own 400 page says connection: close, and the connection closes (Loadstar kept it open).
  'fe2 /400': 'HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n' +
    '<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n[closed]',
};

test('http-errors sections, errorfiles, errorfile and errorloc* answer as HAProxy 2.6 does, a later line winning for its status', async () => {
  const [port, port2] = [await freePort(), await freePort()];
  const e = await startEngine(config(port, port2));
  try {
    const got = await answers(port, port2);
    for (const [key, answer] of Object.entries(EXPECTED)) assert.equal(got[key], answer, key);
  } finally {
    await e.stop();
  }
});

function httpErrorConfig(port: number, port2: number): string {
  return `global
    nbthread 1
http-errors site
    errorfile 404 ${FILES.e500}
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    http-error status 429 content-type text/plain string "slow down"
frontend fe
    bind 127.0.0.1:${port}
    http-error status 400
    http-error status 407
    http-error status 408 content-type text/plain string late
    http-error status 503 content-type text/plain string "down" hdr x-a b hdr X-B "c d"
    http-error status 403 content-type text/html file ${FILES.body}
    http-error status 404 errorfiles site
    http-error status 500 errorfile ${FILES.e503}
    errorfile 502 ${FILES.e503fe}
    http-error status 502 default-errorfiles
    http-error status 429 default-errorfiles
    http-request deny deny_status 400 if { path /400 }
    http-request deny deny_status 407 if { path /407 }
    http-request deny deny_status 408 if { path /408 }
    http-request deny deny_status 503 if { path /503 }
    http-request deny deny_status 403 if { path /403 }
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
    http-request deny deny_status 502 if { path /502 }
    http-request deny deny_status 429 if { path /429 }
frontend fe2
    bind 127.0.0.1:${port2}
    http-request deny deny_status 429 if { path /429 }
`;
}

const HTTP_ERROR_PATHS = ['/400', '/407', '/408', '/503', '/403', '/404', '/500', '/502', '/429'];

async function httpErrorAnswers(port: number, port2: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of HTTP_ERROR_PATHS) out[`fe ${p}`] = await exchange(port, p);
  out['fe2 /429'] = await exchange(port2, '/429');
  return out;
}

/** Recorded from HAProxy 2.6.12 on httpErrorConfig(). */
const HTTP_ERROR_EXPECTED: Record<string, string> = {
  // No payload: an empty answer; the reason is HTTP's (Bad Request), not the built-in page's (Bad request).
  'fe /400': 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n[open]',
  'fe /407': 'HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n[open]',
  'fe /408': 'HTTP/1.1 408 Request Time-out\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\nlate[open]',
  // The hdr lines, then content-length and content-type, as a return rule's answer.
  'fe /503': 'HTTP/1.1 503 Service Unavailable\r\nx-a: b\r\nx-b: c d\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\ndown[open]',
  'fe /403': 'HTTP/1.1 403 Forbidden\r\ncontent-length: 10\r\ncontent-type: text/html\r\n\r\nhello file[open]',
  'fe /404': 'HTTP/1.0 500 Oops\r\ncontent-length: 4\r\nx-err-type: site\r\nconnection: keep-alive\r\n\r\noops[open]',
  'fe /500': 'HTTP/1.1 503 Busy\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nx-err-type: other\r\nconnection: close\r\n\r\nbusy\n[closed]',
  // default-errorfiles after an errorfile, and over the defaults section's http-error: HAProxy's own page.
  'fe /502': 'HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n' +
    '<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n[open]',
  'fe /429': 'HTTP/1.1 429 Too Many Requests\r\ncontent-length: 117\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n' +
    '<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n[open]',
  'fe2 /429': 'HTTP/1.1 429 Too Many Requests\r\ncontent-length: 9\r\ncontent-type: text/plain\r\n\r\nslow down[open]',
};

test('http-error replaces an answer with a payload and hdr lines, an errorfile or a section\'s page, and default-errorfiles brings HAProxy\'s own back', async () => {
  const [port, port2] = [await freePort(), await freePort()];
  const e = await startEngine(httpErrorConfig(port, port2));
  try {
    const got = await httpErrorAnswers(port, port2);
    for (const [key, answer] of Object.entries(HTTP_ERROR_EXPECTED)) assert.equal(got[key], answer, key);
  } finally {
    await e.stop();
  }
});

test('the recorded http-error answers are what HAProxy 2.6 answers today', async (t) => {
  if (!requireHaproxy(t)) return;
  const [port, port2] = [await freePort(), await freePort()];
  const proxy = await startHaproxy(httpErrorConfig(port, port2), port);
  try {
    const got = await httpErrorAnswers(port, port2);
    for (const [key, answer] of Object.entries(HTTP_ERROR_EXPECTED)) assert.equal(got[key], answer, key);
  } finally {
    await proxy.stop();
  }
});

test('the recorded error pages are what HAProxy 2.6 answers today', async (t) => {
  if (!requireHaproxy(t)) return;
  const [port, port2] = [await freePort(), await freePort()];
  const proxy = await startHaproxy(config(port, port2), port);
  try {
    const got = await answers(port, port2);
    for (const [key, answer] of Object.entries(EXPECTED)) assert.equal(got[key], answer, key);
  } finally {
    await proxy.stop();
  }
});
