/**
 * Complete, valid requests pipelined before one that is refused (a bad Content-Length, a bad chunk
 * size, bytes that are not HTTP, a Transfer-Encoding list, too many trailer fields, …), side by side
 * with haproxy 2.6.12:
 * its H1 mux serves the requests it parsed before the bad one, in order and keep-alive, then
 * answers the refusal (400, or its 422 without a Connection header) and closes; the bad request
 * and anything after it never reach the server; the refusal is logged last (`<BADREQ>`, PR--).
 * The same when the bad request comes in a later read than the valid ones. Loadstar answered
 * only the refusal and aborted the valid requests (logged cR). A NUL in a field and CL+TE, which
 * Loadstar refuses and haproxy forwards (docs/reliability.md), are checked on Loadstar alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort } from '../../helpers/net.ts';
import { rawErrorPage, fields, OK, OK_RELAYED } from './lib/answers.ts';
import { rawClient, type Step } from './lib/raw-client.ts';
import { loggedFrontend, logSummary } from './lib/logged-frontend.ts';
import { scriptedServer } from './lib/scripted-server.ts';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: ex\r\n\r\n`;
/** Would reach the server if anything after the refused request were parsed. */
const AFTER = get('/after');

interface Case {
  name: string;
  client: Step[];
  /** What the client gets, the connection closed after it. */
  answers: string;
  /** The request lines the server got. */
  server: string[];
  /** Status, termination state and request of each log line, in order. */
  logs: string[];
}

const CASES: Case[] = [
  {
    name: 'two GETs, then a request with an invalid Content-Length, in one read',
    client: [get('/a') + get('/b') + 'POST /c HTTP/1.1\r\nHost: ex\r\nContent-Length: 1x\r\n\r\n' + AFTER],
    answers: OK_RELAYED + OK_RELAYED + rawErrorPage(400),
    server: ['GET /a HTTP/1.1', 'GET /b HTTP/1.1'],
    logs: ['200 ---- "GET /a HTTP/1.1"', '200 ---- "GET /b HTTP/1.1"', '400 PR-- "<BADREQ>"'],
  },
  {
    name: 'two GETs, then a chunked POST whose chunk size is not hex (the POST itself never reaches the server)',
    client: [get('/a') + get('/b') + 'POST /c HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' + AFTER],
    answers: OK_RELAYED + OK_RELAYED + rawErrorPage(400),
    server: ['GET /a HTTP/1.1', 'GET /b HTTP/1.1'],
    logs: ['200 ---- "GET /a HTTP/1.1"', '200 ---- "GET /b HTTP/1.1"', '400 PR-- "<BADREQ>"'],
  },
  {
    name: 'a POST with its body, then bytes that are not HTTP',
    client: ['POST /a HTTP/1.1\r\nHost: ex\r\nContent-Length: 5\r\n\r\nhello\x01\x02garbage\r\n\r\n' + AFTER],
    answers: OK_RELAYED + rawErrorPage(400),
    server: ['POST /a HTTP/1.1'],
    logs: ['200 ---- "POST /a HTTP/1.1"', '400 PR-- "<BADREQ>"'],
  },
  {
    name: 'two GETs, then a Transfer-Encoding list (the H1 mux\'s 422, no Connection header)',
    client: [get('/a') + get('/b') + 'POST /c HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n' + AFTER],
    answers: OK_RELAYED + OK_RELAYED + rawErrorPage(422, false),
    server: ['GET /a HTTP/1.1', 'GET /b HTTP/1.1'],
    logs: ['200 ---- "GET /a HTTP/1.1"', '200 ---- "GET /b HTTP/1.1"', '422 PR-- "<BADREQ>"'],
  },
  {
    name: 'a GET, then a chunked POST with more trailer fields than a head may have (the POST never reaches the server)',
    client: [get('/a') + 'POST /c HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n' + fields('x', 101, 'v') + '\r\n' + AFTER],
    answers: OK_RELAYED + rawErrorPage(400),
    server: ['GET /a HTTP/1.1'],
    logs: ['200 ---- "GET /a HTTP/1.1"', '400 PR-- "<BADREQ>"'],
  },
  {
    name: 'two GETs, then in a later read (the first still being answered) a head over the buffer',
    client: [get('/a') + get('/b'), 50, `GET /c HTTP/1.1\r\nHost: ex\r\nX: ${'a'.repeat(20000)}\r\n\r\n${AFTER}`],
    answers: OK_RELAYED + OK_RELAYED + rawErrorPage(400),
    server: ['GET /a HTTP/1.1', 'GET /b HTTP/1.1'],
    logs: ['200 ---- "GET /a HTTP/1.1"', '200 ---- "GET /b HTTP/1.1"', '400 PR-- "<BADREQ>"'],
  },
];

/** The server answers each request 150 ms after reading it: the refusal waits for the answers before it. */
const SLOW_OK = [[[150, OK]] as const];


for (const c of CASES) {
  test(`pipelined before a refused request: ${c.name}: served in order, then the refusal, as haproxy 2.6.12`, async (t) => {
    const server = await scriptedServer(SLOW_OK);
    try {
      await sideBySide(t, loggedFrontend(server.port), async (port, proxy) => {
        const from = server.requests.length;
        assert.equal(await rawClient(port, c.client, 1000), `client got (closed):\n${c.answers}`);
        assert.deepEqual(server.requests.slice(from).map((r) => r.head.split('\r\n')[0]), c.server);
        const n = c.logs.length;
        for (let i = 0; i < 150 && logSummary(proxy.logs()).length < n; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(logSummary(await linesLogged(proxy, 0)), c.logs);
      });
    } finally {
      await server.close();
    }
  });
}

// Refused by Loadstar alone (haproxy forwards them): the same order, and nothing from the refused request on reaches the server.
for (const [name, bad] of [
  ['a NUL in a field', 'GET /c HTTP/1.1\r\nHost: ex\r\nX: a\0b\r\n\r\n'],
  ['Content-Length with Transfer-Encoding', 'POST /c HTTP/1.1\r\nHost: ex\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
] as const) {
  test(`pipelined before a request with ${name}: served, then 400, nothing after reaches the server`, async () => {
    const server = await scriptedServer(SLOW_OK);
    try {
      const port = await freePort();
      const e = await startEngine(loggedFrontend(server.port)(port));
      try {
        assert.equal(await rawClient(port, [get('/a') + get('/b') + bad + AFTER], 1000), `client got (closed):\n${OK_RELAYED}${OK_RELAYED}${rawErrorPage(400)}`);
        assert.deepEqual(server.requests.map((r) => r.head.split('\r\n')[0]), ['GET /a HTTP/1.1', 'GET /b HTTP/1.1']);
      } finally {
        await e.stop();
      }
    } finally {
      await server.close();
    }
  });
}

test('pipelined before a refused request: the client going away while the answers are pending ends it as for any pipelined queue', async () => {
  const server = await scriptedServer(SLOW_OK);
  try {
    const port = await freePort();
    const e = await startEngine(loggedFrontend(server.port)(port));
    try {
      // The client closes before the first answer: nothing after the refused request is sent, the engine serves on.
      const client = await rawClient(port, [get('/a') + get('/b') + 'POST /c HTTP/1.1\r\nHost: ex\r\nContent-Length: 1x\r\n\r\n' + AFTER], 50);
      assert.equal(client, 'client got (still open):\n');
      await new Promise((r) => setTimeout(r, 400));
      assert.ok(!server.requests.some((r) => r.head.startsWith('POST') || r.head.startsWith('GET /after')));
      assert.equal(await rawClient(port, [get('/next')], 1000).then((s) => s.includes('200 OK')), true);
    } finally {
      await e.stop();
    }
  } finally {
    await server.close();
  }
});
