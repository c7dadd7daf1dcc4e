/**
 * The empty lines a client sends before a request (proxy/http/message-gap.ts): HAProxy 2.6.12's H1
 * parser skips CRLF and bare LF there and refuses a CR that no LF follows (400, PR--, after the
 * requests before it are served), where llhttp skipped any CR. Side by side with haproxy, for the
 * places client.ts looks: before the first request, after others in the same read (bodiless, with a
 * Content-Length body, chunked), and across reads. The differential fuzzer found the pipelined case.
 */
import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import { afterRequests, foldAfterStatusLine, scanGap } from '../../../proxy/http/message-gap.ts';
import { rawErrorPage, OK, OK_RELAYED } from './lib/answers.ts';
import { rawClient, type Step } from './lib/raw-client.ts';
import { loggedFrontend, logSummary } from './lib/logged-frontend.ts';
import { scriptedServer } from './lib/scripted-server.ts';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: ex\r\n\r\n`;
const postCl = 'POST /p HTTP/1.1\r\nHost: ex\r\nContent-Length: 5\r\n\r\nab\r\rc';
const postChunked = 'POST /p HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\r\ra\r\n0\r\nX-T: 1\r\n\r\n';

interface Case {
  name: string;
  client: Step[];
  answers: string;
  how: 'closed' | 'still open';
  server: string[];
  logs: string[];
}

const REFUSED = ['400 PR-- "<BADREQ>"'];
const CASES: Case[] = [
  { name: 'a CR before the first request line', client: [`\r${get('/a')}`], answers: rawErrorPage(400), how: 'closed', server: [], logs: REFUSED },
  { name: 'CR CR LF before the first request line', client: [`\r\r\n${get('/a')}`], answers: rawErrorPage(400), how: 'closed', server: [], logs: REFUSED },
  { name: 'a CR alone in a read, then a request line', client: ['\r', 100, get('/a')], answers: rawErrorPage(400), how: 'closed', server: [], logs: REFUSED },
  {
    name: 'a GET, then a CR before the next request in the same read',
    client: [`${get('/a')}\r${get('/b')}`], answers: OK_RELAYED + rawErrorPage(400), how: 'closed',
    server: ['GET /a HTTP/1.1'], logs: ['200 ---- "GET /a HTTP/1.1"', ...REFUSED],
  },
  {
    name: 'a POST whose Content-Length body holds CRs, then CRLF CR before the next request',
    client: [`${postCl}\r\n\r${get('/b')}`], answers: OK_RELAYED + rawErrorPage(400), how: 'closed',
    server: ['POST /p HTTP/1.1'], logs: ['200 ---- "POST /p HTTP/1.1"', ...REFUSED],
  },
  {
    name: 'a chunked POST whose chunk holds CRs, then a CR before the next request',
    client: [`${postChunked}\r${get('/b')}`], answers: OK_RELAYED + rawErrorPage(400), how: 'closed',
    server: ['POST /p HTTP/1.1'], logs: ['200 ---- "POST /p HTTP/1.1"', ...REFUSED],
  },
  {
    name: 'CRLF, LF and CRLF LF before and between requests are skipped',
    client: [`\r\n\n${get('/a')}\r\n\n\r\n${postCl}\n\r\n${postChunked}\r\n${get('/b')}`],
    answers: OK_RELAYED.repeat(4), how: 'still open',
    server: ['GET /a HTTP/1.1', 'POST /p HTTP/1.1', 'POST /p HTTP/1.1', 'GET /b HTTP/1.1'],
    logs: ['200 ---- "GET /a HTTP/1.1"', '200 ---- "POST /p HTTP/1.1"', '200 ---- "POST /p HTTP/1.1"', '200 ---- "GET /b HTTP/1.1"'],
  },
  {
    name: 'a CRLF split over two reads before the first request',
    client: ['\r', 100, `\n${get('/a')}`], answers: OK_RELAYED, how: 'still open', server: ['GET /a HTTP/1.1'], logs: ['200 ---- "GET /a HTTP/1.1"'],
  },
];


for (const c of CASES) {
  test(`empty lines before a request: ${c.name}, as haproxy 2.6.12`, async (t) => {
    const server = await scriptedServer([[[0, OK]]]);
    try {
      await sideBySide(t, loggedFrontend(server.port), async (port, proxy) => {
        const from = server.requests.length;
        assert.equal(await rawClient(port, c.client, 600), `client got (${c.how}):\n${c.answers}`);
        assert.deepEqual(server.requests.slice(from).map((r) => r.head.split('\r\n')[0]), c.server);
        for (let i = 0; i < 150 && logSummary(proxy.logs()).length < c.logs.length; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(logSummary(await linesLogged(proxy, 0)), c.logs);
      });
    } finally {
      await server.close();
    }
  });
}

/** A server answering every request with `parts` (latin1, written 100 ms apart), then closing. */
async function rawServer(parts: readonly string[]): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        socket.write(part, 'latin1');
      }
      socket.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
for (const [name, parts, status] of [
  ['a CR before the status line: 502', [`\r${RESPONSE}`], '502'],
  ['a CR alone in a read, then the status line: 502', ['\r', RESPONSE], '502'],
  ['CRLF and LF before the status line are skipped', [`\r\n\n${RESPONSE}`], '200'],
  ['a CRLF split over two reads before the status line is skipped', ['\r', `\n${RESPONSE}`], '200'],
] as const) {
  test(`empty lines before a response: ${name}, as haproxy 2.6.12`, async (t) => {
    const server = await rawServer(parts);
    try {
      await sideBySide(t, loggedFrontend(server.port), async (port) => {
        const answer = await rawClient(port, [get('/a')], 1000);
        assert.match(answer, new RegExp(`^client got \\((closed|still open)\\):\\nHTTP/1\\.1 ${status} `));
      });
    } finally {
      await server.close();
    }
  });
}

test('scanGap: CRLF and LF pass, a CR before anything but LF is bare, a CR ending the read waits', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  assert.equal(scanGap(b('\r\n\nGET'), 0), 'ok');
  assert.equal(scanGap(b('\r\n\n'), 0), 'empty');
  assert.equal(scanGap(b('GET'), 0), 'ok');
  assert.equal(scanGap(b('\rGET'), 0), 'bare-cr');
  assert.equal(scanGap(b('\n\r\r\n'), 0), 'bare-cr');
  assert.equal(scanGap(b('\n\r'), 0), 'open-cr');
  assert.equal(scanGap(b('\nGET'), 0, true), 'ok');
  assert.equal(scanGap(b('GET'), 0, true), 'bare-cr');
  assert.equal(scanGap(b('xx\rG'), 2), 'bare-cr');
});

test('foldAfterStatusLine: a space or tab opening the line after the status line, whatever the line end; -1 otherwise or when the read ends first', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  assert.equal(foldAfterStatusLine(b('HTTP/1.1 200 OK\r\n X-A: b\r\n\r\n')), 17);
  assert.equal(foldAfterStatusLine(b('HTTP/1.1 200 OK\n\tX-A: b\n\n')), 16);
  assert.equal(foldAfterStatusLine(b('HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n')), -1, 'a fold after a field is a fold (relayed as HAProxy relays it)');
  assert.equal(foldAfterStatusLine(b('HTTP/1.1 200 OK\r\n')), -1, 'the next line is in the next read');
  assert.equal(foldAfterStatusLine(b('HTTP/1.1 200 O')), -1);
});

test('afterRequests: where the requests at the start of a read end, bodies and trailers included; -1 when they are not all there', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const two = `\r\n${get('/a')}${postCl}`;
  assert.equal(afterRequests(b(`${two}\rGET`), 1), 2 + get('/a').length);
  assert.equal(afterRequests(b(`${two}\rGET`), 2), two.length);
  assert.equal(afterRequests(b(`${postChunked}\rGET`), 1), postChunked.length);
  assert.equal(afterRequests(b(two.slice(0, -1)), 2), -1);
  assert.equal(afterRequests(b(postChunked.slice(0, -2)), 1), -1);
});
