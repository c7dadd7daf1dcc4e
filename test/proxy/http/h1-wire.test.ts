/**
 * What servers and clients see on the wire, byte for byte, recorded from HAProxy 2.6.12 (Debian)
 * on the same configuration and requests (H1 mux, HTX):
 * - header names go out in lower case both ways (also the ones a rule or option forwardfor adds);
 * - every header is passed on in place (Keep-Alive, TE, Proxy-Connection, Transfer-Encoding, and
 *   the headers `Connection:` nominates), except Connection's `close` / `keep-alive` tokens (and TE
 *   only as `trailers`: h1-trailers.test.ts);
 * - the request keeps the client's HTTP version, the response the server's, and the mux adds one
 *   Connection header last when the wanted mode differs from what the versions imply, in the
 *   default keep-alive mode, `option http-server-close` and `option httpclose`;
 * - a response delimited by the server's close ends the client connection, HTTP/1.1 clients too;
 *   a chunked one stays chunked, to HTTP/1.0 clients too.
 * Loadstar is checked against the recorded bytes; where haproxy is installed, one more test replays
 * the same exchanges through it, so a recording that no longer matches HAProxy is noticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OK, errorPage, rawErrorPage } from './lib/answers.ts';
import { rawClient } from './lib/raw-client.ts';
import type { Reply } from './lib/scripted-server.ts';
import { httpConfig, throughProxy, transcriptTests, wire, type Proxy, type Sections } from './lib/transcript.ts';

/** An h1-case-adjust-file for both proxies. */
const CASE_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-h1-wire-')), 'case-adjust');
fs.writeFileSync(CASE_FILE, 'x-foo X-Foo\n  connection   CONNECTION\n# a comment\n\n');
process.on('exit', () => fs.rmSync(path.dirname(CASE_FILE), { recursive: true, force: true }));

interface Case extends Sections {
  name: string;
  /** What the server answers to every request. */
  reply: Reply;
  /** Client connections one after the other, each sending its requests 100 ms apart. */
  connections: string[][];
  expected: string;
}

/** Each request head the server got, and what each client connection got, in the order they happened. */
async function run(c: Case, proxy: Proxy): Promise<string> {
  const log: string[] = [];
  await throughProxy(proxy, {
    replies: [c.reply],
    config: (port, serverPort) => httpConfig(port, serverPort, c, { timeouts: { client: '5s', server: '5s' } }),
    onRequest: (r) => log.push(`server got:\n${r.head}`),
    drive: async (port) => {
      for (const requests of c.connections) log.push(await rawClient(port, requests.flatMap((r) => [r, 100]), 400));
    },
  });
  return log.join('\n');
}

const get = (path: string, version: string, extra = ''): string => `GET ${path} HTTP/${version}\r\nHost: ex\r\n${extra}\r\n`;
const OK10 = 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok';
const KA = 'Connection: keep-alive\r\n';

const CASES: Case[] = [
  {
    name: 'header names in lower case both ways, also the ones rules and forwardfor add, and in a return hdr',
    frontend: `    option forwardfor
    http-request set-header X-Added-Req v
    http-response set-header X-Added-Resp v
    http-request return status 200 hdr X-Ret-Hdr v string hi content-type text/plain if { path /ret }
`,
    reply: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Server-Thing: y\r\nSet-Cookie: a=b\r\n\r\nok',
    connections: [[get('/', '1.1', 'User-Agent: UA\r\nX-Foo-Bar: 1\r\nCookie: a=b\r\n'), get('/ret', '1.1')]],
    expected: wire(`server got:
GET / HTTP/1.1\r\n
host: ex\r\n
user-agent: UA\r\n
x-foo-bar: 1\r\n
cookie: a=b\r\n
x-added-req: v\r\n
x-forwarded-for: 127.0.0.1\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
x-server-thing: y\r\n
set-cookie: a=b\r\n
x-added-resp: v\r\n
\r\n
okHTTP/1.1 200 OK\r\n
x-ret-hdr: v\r\n
content-length: 2\r\n
content-type: text/plain\r\n
\r\n
hi`),
  },
  {
    name: 'HTTP/1.0 requests in keep-alive mode: 1.0 to the server with connection: keep-alive',
    reply: OK,
    connections: [[get('/a', '1.0')], [get('/b', '1.0', KA), get('/c', '1.0', KA)]],
    expected: wire(`server got:
GET /a HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: close\r\n
\r\n
ok
server got:
GET /b HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

server got:
GET /c HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
ok`),
  },
  {
    name: 'HTTP/1.0 server answers: relayed as HTTP/1.0, keep-alive said to the client that asked for it',
    reply: OK10,
    connections: [[get('/a', '1.0')], [get('/b', '1.0', KA), get('/c', '1.0', KA)], [get('/d', '1.1'), get('/e', '1.1', 'Connection: close\r\n')]],
    expected: wire(`server got:
GET /a HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (closed):
HTTP/1.0 200 OK\r\n
content-length: 2\r\n
\r\n
ok
server got:
GET /b HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

server got:
GET /c HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (still open):
HTTP/1.0 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
okHTTP/1.0 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
ok
server got:
GET /d HTTP/1.1\r\n
host: ex\r\n
\r\n

server got:
GET /e HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (closed):
HTTP/1.0 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
okHTTP/1.0 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'option http-server-close: no connection header to a 1.0 server, close to a 1.1 one',
    frontend: '    option http-server-close\n',
    reply: OK,
    connections: [[get('/b', '1.0', KA), get('/c', '1.0', KA)], [get('/d', '1.1')]],
    expected: wire(`server got:
GET /b HTTP/1.0\r\n
host: ex\r\n
\r\n

server got:
GET /c HTTP/1.0\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
ok
server got:
GET /d HTTP/1.1\r\n
host: ex\r\n
connection: close\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'option httpclose',
    frontend: '    option httpclose\n',
    reply: OK,
    connections: [[get('/a', '1.0', KA)], [get('/d', '1.1')]],
    expected: wire(`server got:
GET /a HTTP/1.0\r\n
host: ex\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: close\r\n
\r\n
ok
server got:
GET /d HTTP/1.1\r\n
host: ex\r\n
connection: close\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: close\r\n
\r\n
ok`),
  },
  {
    name: 'Connection: the close and keep-alive tokens go, nominated headers and Keep-Alive, TE, Proxy-Connection pass',
    reply: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-A ,  keep-alive , Y\r\nConnection: Close,X-B\r\nKeep-Alive: timeout=3\r\n\r\nok',
    connections: [
      [get('/d', '1.1', 'Connection: close, X-Foo\r\nX-Foo: secret\r\nKeep-Alive: timeout=5\r\n')],
      [get('/e', '1.1', 'Connection: keep-alive, x-secret\r\nX-Secret: s\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\n')],
      [get('/f', '1.1', 'Connection: X-A ,  close , Y\r\nConnection: X-B\r\nconnection:  keep-alive,Upgrade\r\nConnection: KEEP-ALIVE\r\n')],
    ],
    expected: wire(`server got:
GET /d HTTP/1.1\r\n
host: ex\r\n
connection: X-Foo\r\n
x-foo: secret\r\n
keep-alive: timeout=5\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: X-A ,Y\r\n
connection: X-B\r\n
keep-alive: timeout=3\r\n
connection: close\r\n
\r\n
ok
server got:
GET /e HTTP/1.1\r\n
host: ex\r\n
connection: x-secret\r\n
x-secret: s\r\n
te: trailers\r\n
proxy-connection: keep-alive\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: X-A ,Y\r\n
connection: X-B\r\n
keep-alive: timeout=3\r\n
\r\n
ok
server got:
GET /f HTTP/1.1\r\n
host: ex\r\n
connection: X-A ,Y\r\n
connection: X-B\r\n
connection: Upgrade\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: X-A ,Y\r\n
connection: X-B\r\n
keep-alive: timeout=3\r\n
connection: close\r\n
\r\n
ok`),
  },
  {
    name: 'a response delimited by close ends the client connection (1.0 and 1.1 clients), no chunking',
    reply: [[0, 'HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n'], [100, 'part1'], [100, 'part2'], [50, null]],
    connections: [[get('/a', '1.1')], [get('/b', '1.0', KA)]],
    expected: wire(`server got:
GET /a HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
x-a: 1\r\n
connection: close\r\n
\r\n
part1part2
server got:
GET /b HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
x-a: 1\r\n
connection: close\r\n
\r\n
part1part2`),
  },
  {
    name: 'a chunked response stays chunked, to HTTP/1.0 clients too; a chunked request keeps its transfer-encoding in place',
    reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-After: 1\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    connections: [[get('/a', '1.0')], [get('/b', '1.0', KA)], ['POST /p HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\nX-Z: 1\r\n\r\n2\r\nhi\r\n0\r\n\r\n']],
    expected: wire(`server got:
GET /a HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
x-after: 1\r\n
connection: close\r\n
\r\n
2\r\n
ok\r\n
0\r\n
\r\n

server got:
GET /b HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
x-after: 1\r\n
connection: keep-alive\r\n
\r\n
2\r\n
ok\r\n
0\r\n
\r\n

server got:
POST /p HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
x-z: 1\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
x-after: 1\r\n
\r\n
2\r\n
ok\r\n
0\r\n
\r\n
`),
  },
  {
    name: 'the chunks of one read go out as one chunk, its size in upper-case hexadecimal, as the H1 mux writes what its buffer holds',
    reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\nA\r\n0123456789\r\n0\r\n\r\n',
    connections: [[get('/a', '1.1')]],
    expected: wire(`server got:
GET /a HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
F\r\n
abcde0123456789\r\n
0\r\n
\r\n
`),
  },
  {
    name: 'local answers to HEAD are heads alone; the H1 mux\'s own 408 and 400 keep HAProxy\'s raw message (names in mixed case)',
    frontend: `    timeout http-request 300ms
    http-request return status 200 hdr X-Ret-Hdr v string hi content-type text/plain if { path /ret }
    http-request deny if { path /deny }
`,
    reply: OK,
    connections: [
      ['HEAD /ret HTTP/1.1\r\nHost: ex\r\n\r\n', 'HEAD /deny HTTP/1.1\r\nHost: ex\r\n\r\n', 'GET / HTTP/1.1\r\nHost: ex\r\n'],
      ['GET / HTTP/1.1\r\nHost: ex\r\nContent-Length: abc\r\n\r\n'],
    ],
    expected: wire(`client got (closed):
HTTP/1.1 200 OK\r\n
x-ret-hdr: v\r\n
content-length: 2\r\n
content-type: text/plain\r\n
\r\n
HTTP/1.1 403 Forbidden\r\n
content-length: 93\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
\r\n
`) + `${rawErrorPage(408)}\nclient got (closed):\n${rawErrorPage(400)}`,
  },
  {
    name: 'a response whose transfer-encoding does not end with chunked is refused with 502',
    reply: [[0, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc'], [100, null]],
    connections: [[get('/', '1.1')]],
    expected: wire(`server got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
`) + errorPage(502),
  },
  {
    name: 'h1-case-adjust (lines and file) with option h1-case-adjust-bogus-client/server: every header the mux writes, local answers too',
    global: `    h1-case-adjust content-length Content-Length
    h1-case-adjust x-forwarded-for X-Forwarded-For
    h1-case-adjust host HOST
    h1-case-adjust-file ${CASE_FILE}
`,
    frontend: `    option h1-case-adjust-bogus-client
    option forwardfor
    http-request deny if { path /deny }
`,
    backend: '    option h1-case-adjust-bogus-server\n',
    reply: 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-foo: y\r\nConnection: keep-alive, x-foo\r\n\r\nok',
    connections: [[get('/', '1.1', 'x-foo: 1\r\n'), 'GET /deny HTTP/1.0\r\nhost: ex\r\nConnection: keep-alive\r\n\r\n']],
    expected: wire(`server got:
GET / HTTP/1.1\r\n
HOST: ex\r\n
X-Foo: 1\r\n
X-Forwarded-For: 127.0.0.1\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
Content-Length: 2\r\n
X-Foo: y\r\n
CONNECTION: x-foo\r\n
\r\n
okHTTP/1.1 403 Forbidden\r\n
Content-Length: 93\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
CONNECTION: keep-alive\r\n
\r\n
<html><body><h1>403 Forbidden</h1>
Request forbidden by administrative rules.
</body></html>
`),
  },
];

/** For recording: LOADSTAR_RECORD=1 prints HAProxy's transcripts in the notation above. */
export { CASES, run };

transcriptTests(CASES, run, { prefix: 'as HAProxy 2.6 on the wire: ', replay: 'the recorded exchanges are still what HAProxy 2.6 does' });

test('h1-case-adjust refusals in HAProxy 2.6\'s words', () => {
  const cases: Array<[string, RegExp]> = [
    ['h1-case-adjust content-length', /'h1-case-adjust' expects <from> and <to> as argument\./],
    ['h1-case-adjust content-length Content-Type', /<from> and <to> must not differ execpt the case/],
    ['h1-case-adjust content-length Content-Length\n  h1-case-adjust content-length CONTENT-LENGTH', /duplicate entry 'content-length'/],
    [`h1-case-adjust-file ${CASE_FILE}.missing`, /h1-headers-case-adjust-file '.*missing': failed to open file\./],
  ];
  for (const [line, message] of cases) {
    const r = parseConfig([{ name: 'test.cfg', text: `global\n  ${line}\n` }]);
    assert.equal(r.ok, false, line);
    assert.match(formatDiagnostics(r.diagnostics), message);
  }
  const ok = parseConfig([{ name: 'test.cfg', text: `global\n  h1-case-adjust Content-Length Content-Length\n  h1-case-adjust-file ${CASE_FILE}\n` }]);
  assert.equal(ok.ok, true, formatDiagnostics(ok.diagnostics));
});
