/**
 * Chunked trailers, TE and the other HTTP/1 framing corners, recorded from HAProxy 2.6.12 (Debian)
 * with the same configuration and bytes, and replayed through it where it is installed:
 * - a chunked message's trailer fields are relayed after the last chunk, both ways, names in lower
 *   case (h1-case-adjust applies), values as received. Before, Loadstar dropped them, and worse:
 *   llhttp's binding had handed them over like early-flushed head fields, so they became header
 *   fields of the connection's NEXT message — the next request's (its URL prefixed with the
 *   previous one's, and seen by its http-request rules), or the next response on a kept-alive
 *   server connection, possibly another client's;
 * - TE goes on only as `trailers` (HAProxy's mux: the word `trailers`, case-sensitive, at the end
 *   of the value or before a comma), in requests and responses alike;
 * - a 204 and an interim (1xx) answer carry no Content-Length or Transfer-Encoding;
 * - an upgrade request with a body (chunked, or Content-Length above 0) is not an upgrade: its
 *   Upgrade header is removed and a 101 answering it is a 502;
 * - trailer sections over HAProxy's limits (field count, buffer) are refused;
 * - a local answer (a rule's, an error) to a request whose body is not all in yet closes the
 *   connection (Loadstar read the rest and kept it); a body complete in the same read counts as in.
 * Where Loadstar deliberately stays stricter (llhttp refuses obs-fold, NUL, Content-Length and
 * Transfer-Encoding in a trailer section, and ends a connection whose trailers say `connection:
 * close`), the case records both: `expected` is Loadstar's, `haproxy` HAProxy's.
 * Each case records every request the server framed (per server connection) and the client's bytes.
 */
import { OK, OK_RELAYED, errorPage, fields, rawErrorPage } from './lib/answers.ts';
import { rawClient, type Step } from './lib/raw-client.ts';
import { httpConfig, throughProxy, transcriptTests, type Proxy, type Sections } from './lib/transcript.ts';

interface Case extends Sections {
  name: string;
  /** What the server answers to each request it frames, in order (the last one repeats). */
  replies: string[];
  /** The client's writes on one connection, and pauses (ms) between them. */
  client: Step[];
  /** Loadstar's transcript. */
  expected: string;
  /** HAProxy's, where Loadstar deliberately differs (the reason is in the case's name). */
  haproxy?: string;
}

async function run(c: Case, proxy: Proxy): Promise<string> {
  const log: string[] = [];
  const { client } = await throughProxy(proxy, {
    replies: c.replies,
    config: (port, serverPort) => httpConfig(port, serverPort, c, { timeouts: { client: '3s', server: '2s' } }),
    onRequest: (r) => log.push(`server connection ${r.connection} got:\n${r.text}`),
    drive: (port) => rawClient(port, c.client, 500),
  });
  return `${log.join('\n')}\n${client}`;
}

/** A transcript: each request the server framed ([its server connection, the request]), then what the client got. */
const transcript = (server: Array<[number, string]>, how: 'closed' | 'still open', client: string): string =>
  `${server.map(([n, request]) => `server connection ${n} got:\n${request}`).join('\n')}\nclient got (${how}):\n${client}`;

const GET = 'GET / HTTP/1.1\r\nHost: ex\r\n\r\n';
const GET2 = 'GET /2 HTTP/1.1\r\nHost: ex\r\n\r\n';
/** GET and GET2 as the server gets them. */
const GOT_GET = 'GET / HTTP/1.1\r\nhost: ex\r\n\r\n';
const GOT_GET2 = 'GET /2 HTTP/1.1\r\nhost: ex\r\n\r\n';
/** A chunked answer ending with the trailer lines `trailers`. */
const chunked = (trailers: string, status = '200 OK'): string => `HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n${trailers}\r\n`;
/** The same as the client gets it, `head` lines after transfer-encoding. */
const relayedChunked = (trailers: string, head = ''): string => `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n${head}\r\n2\r\nok\r\n0\r\n${trailers}\r\n`;
/** A chunked POST ending with the trailer lines `trailers`. */
const post = (trailers: string, extra = ''): string => `POST / HTTP/1.1\r\nHost: ex\r\n${extra}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${trailers}\r\n`;
/** A chunked POST as the server gets it: `headers` after host. */
const gotPost = (trailers: string, headers = 'transfer-encoding: chunked\r\n'): string => `POST / HTTP/1.1\r\nhost: ex\r\n${headers}\r\n3\r\nabc\r\n0\r\n${trailers}\r\n`;
const UPGRADE_CHUNKED = 'connection: upgrade\r\ntransfer-encoding: chunked\r\n';
const WEBSOCKET_POST = 'POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: websocket\r\n';
const BIG = 'a'.repeat(954);

const CASES: Case[] = [
  {
    name: 'response trailers reach the client after the last chunk, and never the next response on the server connection',
    replies: [chunked('X-Trailer: one\r\nX-Other:  two  \r\n')],
    client: [GET, 100, GET2],
    expected: transcript([[1, GOT_GET], [1, GOT_GET2]], 'still open', relayedChunked('x-trailer: one\r\nx-other: two\r\n').repeat(2)),
  },
  {
    name: 'response trailers to an HTTP/1.0 client (the answer stays chunked)',
    replies: [chunked('X-Trailer: one\r\n')],
    client: ['GET / HTTP/1.0\r\nHost: ex\r\n\r\n'],
    expected: transcript([[1, 'GET / HTTP/1.0\r\nhost: ex\r\nconnection: keep-alive\r\n\r\n']], 'closed', relayedChunked('x-trailer: one\r\n', 'connection: close\r\n')),
  },
  {
    name: 'request trailers reach the server, and never the next request (its rules, its URL)',
    frontend: '    http-request deny if { req.hdr(x-req-trailer) -m found }\n',
    replies: [OK],
    client: [post('X-Req-Trailer: a\r\nChecksum: 123\r\n'), 100, GET2],
    expected: transcript([[1, gotPost('x-req-trailer: a\r\nchecksum: 123\r\n')], [1, GOT_GET2]], 'still open', OK_RELAYED.repeat(2)),
  },
  {
    name: 'trailers with h1-case-adjust both ways',
    global: '    h1-case-adjust x-foo X-Foo\n',
    frontend: '    option h1-case-adjust-bogus-client\n',
    backend: '    option h1-case-adjust-bogus-server\n',
    replies: [chunked('x-foo: r\r\n')],
    client: [post('x-foo: q\r\n')],
    expected: transcript([[1, gotPost('X-Foo: q\r\n')]], 'still open', relayedChunked('X-Foo: r\r\n')),
  },
  {
    name: 'request trailers with http-server-close: the next request on a new server connection is clean',
    backend: '    option http-server-close\n',
    replies: [OK],
    client: [post('X-A: 1\r\n'), 100, GET2],
    expected: transcript([[1, gotPost('x-a: 1\r\n', 'transfer-encoding: chunked\r\nconnection: close\r\n')], [2, 'GET /2 HTTP/1.1\r\nhost: ex\r\nconnection: close\r\n\r\n']], 'still open', OK_RELAYED.repeat(2)),
  },
  {
    name: 'trailers that arrive after the server answered still reach it',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n', 300, 'X-T: 1\r\n\r\n', 100, GET2],
    expected: transcript([[1, gotPost('x-t: 1\r\n')], [1, GOT_GET2]], 'still open', OK_RELAYED.repeat(2)),
  },
  {
    name: 'TE goes to the server as trailers or not at all',
    replies: [OK],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\nTE: trailers, chunked\r\n\r\n', 100, 'GET / HTTP/1.1\r\nHost: ex\r\nTE: gzip\r\n\r\n', 100,
      'GET / HTTP/1.1\r\nHost: ex\r\nTE: xtrailers\r\nTE: trailersx\r\nTE: trailers;q=1\r\nTE: gzip,trailers\r\nTE: trailers ,gzip\r\nTE: TRAILERS\r\nTE:\r\n\r\n', 100,
      'GET / HTTP/1.0\r\nHost: ex\r\nConnection: keep-alive, TE\r\nTE: trailers\r\n\r\n'],
    expected: transcript([
      [1, 'GET / HTTP/1.1\r\nhost: ex\r\nte: trailers\r\n\r\n'],
      [1, GOT_GET],
      [1, 'GET / HTTP/1.1\r\nhost: ex\r\nte: trailers\r\nte: trailers\r\n\r\n'],
      [1, 'GET / HTTP/1.0\r\nhost: ex\r\nconnection: TE\r\nte: trailers\r\nconnection: keep-alive\r\n\r\n'],
    ], 'still open', OK_RELAYED.repeat(3) + 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok'),
  },
  {
    name: 'TE in a response is filtered the same way',
    replies: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTE: gzip\r\nTE: trailers, x\r\n\r\nok'],
    client: [GET],
    expected: transcript([[1, GOT_GET]], 'still open', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nte: trailers\r\n\r\nok'),
  },
  {
    name: 'a 204 goes without Transfer-Encoding or Content-Length, a 304 keeps them',
    replies: ['HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n'],
    client: [GET, 100, GET2, 100, 'GET /3 HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: transcript([[1, GOT_GET], [1, GOT_GET2], [1, 'GET /3 HTTP/1.1\r\nhost: ex\r\n\r\n']], 'still open',
      'HTTP/1.1 204 No Content\r\n\r\n'.repeat(2) + 'HTTP/1.1 304 Not Modified\r\ntransfer-encoding: chunked\r\n\r\n'),
  },
  {
    name: 'HEAD answered chunked: the head alone',
    replies: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'],
    client: ['HEAD / HTTP/1.1\r\nHost: ex\r\n\r\n', 100, 'HEAD / HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: transcript([[1, 'HEAD / HTTP/1.1\r\nhost: ex\r\n\r\n'], [1, 'HEAD / HTTP/1.1\r\nhost: ex\r\n\r\n']], 'still open', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'.repeat(2)),
  },
  {
    name: 'interim answers (no framing headers, TE filtered) then a chunked answer with trailers',
    replies: ['HTTP/1.1 100 Continue\r\nX-I: 1\r\nContent-Length: 0\r\nTE: gzip\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\nTransfer-Encoding: chunked\r\n\r\n' + chunked('X-T: 1\r\n')],
    client: [GET],
    expected: transcript([[1, GOT_GET]], 'still open', 'HTTP/1.1 100 Continue\r\nx-i: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n' + relayedChunked('x-t: 1\r\n')),
  },
  {
    name: 'an upgrade request with a chunked body is no upgrade: Upgrade removed, the 101 is a 502',
    replies: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n', OK],
    client: [post('X-T: 1\r\n', 'Connection: upgrade\r\nUpgrade: foo\r\n'), 200, GET2],
    expected: transcript([[1, gotPost('x-t: 1\r\n', UPGRADE_CHUNKED)], [2, GOT_GET2]], 'still open', errorPage(502) + OK_RELAYED),
  },
  {
    name: 'an upgrade request with a Content-Length body, and a WebSocket GET with a chunked body: 502',
    replies: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n'],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 3\r\n\r\nabc', 200,
      'GET / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    expected: transcript([
      [1, 'POST / HTTP/1.1\r\nhost: ex\r\nconnection: upgrade\r\ncontent-length: 3\r\n\r\nabc'],
      [2, 'GET / HTTP/1.1\r\nhost: ex\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    ], 'still open', errorPage(502).repeat(2)),
  },
  {
    name: 'an upgrade request with the chunked body after the head: no upgrade, answered as usual',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: foo\r\nTransfer-Encoding: chunked\r\n\r\n', 200, '3\r\nabc\r\n0\r\n\r\n', 200, GET2],
    expected: transcript([[1, gotPost('', UPGRADE_CHUNKED)], [1, GOT_GET2]], 'still open', OK_RELAYED.repeat(2)),
  },
  {
    name: 'an upgrade request with Content-Length: 0 is an upgrade',
    replies: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nFROM-SERVER'],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 0\r\n\r\n', 200, 'FROM-CLIENT'],
    expected: transcript([[1, 'POST / HTTP/1.1\r\nhost: ex\r\nconnection: upgrade\r\nupgrade: foo\r\ncontent-length: 0\r\n\r\n']], 'still open',
      'HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: foo\r\n\r\nFROM-SERVER'),
  },
  // Loadstar's llhttp refuses these request trailers; HAProxy relays them (as `relayed`).
  ...([
    ['obs-fold in request trailers is a 400 (HAProxy relays it unfolded)', 'X-A: 1\r\n  folded\r\n', 'x-a: 1    folded\r\n'],
    ['a NUL in request trailers is a 400 (HAProxy relays it)', 'X-A: 1\x00x\r\n', 'x-a: 1\x00x\r\n'],
    ['Transfer-Encoding and Content-Length in request trailers are a 400 (HAProxy relays TE, drops CL)', 'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', 'transfer-encoding: chunked\r\n'],
  ] as const).map(([what, sent, relayed]): Case => ({
    name: `stricter: ${what}`,
    replies: [OK],
    client: [post(sent)],
    expected: transcript([], 'closed', rawErrorPage(400)),
    haproxy: transcript([[1, gotPost(relayed)]], 'still open', OK_RELAYED),
  })),
  {
    name: 'differs: obs-fold in response trailers is relayed unfolded, without the fold\'s CR LF (HAProxy writes them as spaces)',
    replies: [chunked('X-A: 1\r\n  folded\r\nX-B: 2\r\n')],
    client: [GET],
    expected: transcript([[1, GOT_GET]], 'still open', relayedChunked('x-a: 1  folded\r\nx-b: 2\r\n')),
    haproxy: transcript([[1, GOT_GET]], 'still open', relayedChunked('x-a: 1    folded\r\nx-b: 2\r\n')),
  },
  {
    name: 'differs: connection: close in request trailers is relayed, then the connection closes after the answer (HAProxy keeps it)',
    replies: [OK],
    client: [post('Connection: close\r\n'), 100, GET2],
    expected: transcript([[1, gotPost('connection: close\r\n')]], 'closed', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'),
    haproxy: transcript([[1, gotPost('connection: close\r\n')], [1, GOT_GET2]], 'still open', OK_RELAYED.repeat(2)),
  },
  {
    name: 'differs: connection: close in response trailers is relayed, and that server connection is not reused (HAProxy reuses it)',
    replies: [chunked('Connection: close\r\n')],
    client: [GET, 100, GET2],
    expected: transcript([[1, GOT_GET], [2, GOT_GET2]], 'still open', relayedChunked('connection: close\r\n').repeat(2)),
    haproxy: transcript([[1, GOT_GET], [1, GOT_GET2]], 'still open', relayedChunked('connection: close\r\n').repeat(2)),
  },
  {
    name: 'invalid request trailer line: 400',
    replies: [OK],
    client: [post('X-A: 1\r\nbogus line\r\n'), 100, GET2],
    expected: transcript([], 'closed', rawErrorPage(400)),
  },
  {
    name: 'limit: 100 request trailer fields are relayed, 101 are a 400 (tune.http.maxhdr)',
    replies: [OK],
    client: [post(fields('X-T', 100, 'v')), 100, post(fields('X-T', 101, 'v'))],
    expected: transcript([[1, gotPost(fields('x-t', 100, 'v'))]], 'closed', OK_RELAYED + rawErrorPage(400)),
  },
  {
    name: 'limit: request trailers up to the buffer (tune.bufsize 2048 less maxrewrite, HTX blocks counted) are relayed',
    global: '    tune.bufsize 2048\n',
    replies: [OK],
    client: [post(`X-Big: ${BIG}\r\n`)],
    expected: transcript([[1, gotPost(`x-big: ${BIG}\r\n`)]], 'still open', OK_RELAYED),
  },
  {
    name: 'limit: request trailers one byte over the buffer are a 400',
    global: '    tune.bufsize 2048\n',
    replies: [OK],
    client: [post(`X-Big: ${BIG}a\r\n`)],
    expected: transcript([], 'closed', errorPage(400, 'connection: close\r\n')),
  },
  {
    name: 'limit: a response with 101 trailer fields in the read of its head is a 502 (nothing had gone out)',
    replies: [chunked(fields('X-T', 101, 'v'))],
    client: [GET],
    expected: transcript([[1, GOT_GET]], 'still open', errorPage(502)),
  },
  // A deny to a request whose body is still arriving.
  ...([
    ['a local answer to a request whose body is not all in closes the connection (Content-Length body)', ['POST /deny HTTP/1.1\r\nHost: ex\r\nContent-Length: 10\r\n\r\nabc', 300, 'defghij', 100, GET2]],
    ['the same with a chunked body whose trailers come later', ['POST /deny HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 300, '0\r\nX-T: 1\r\n\r\n', 100, GET2]],
  ] as const).map(([what, client]): Case => ({
    name: `unfinished: ${what}`,
    frontend: '    http-request deny if { path /deny }\n',
    replies: [OK],
    client: [...client],
    expected: transcript([], 'closed', errorPage(403, 'connection: close\r\n')),
  })),
  {
    name: 'unfinished: a body complete in the same read as the head counts as in (keep-alive)',
    frontend: '    http-request deny if { path /deny }\n',
    replies: [OK],
    client: ['POST /deny HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n', 100, GET2],
    expected: transcript([[1, GOT_GET2]], 'still open', errorPage(403) + OK_RELAYED),
  },
  {
    name: 'unfinished: a trailer section that never ends gets the 504 of timeout server, connection closed',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n', 2600],
    expected: transcript([], 'closed', errorPage(504, 'connection: close\r\n')),
  },
  {
    name: 'batches: 33 response trailer fields (llhttp hands them over in two batches), then a response head of 33 fields',
    replies: [chunked(fields('X-T', 33, 'v')), `HTTP/1.1 200 OK\r\n${fields('X-H', 32, 'w')}Content-Length: 2\r\n\r\nok`],
    client: [GET, 100, GET2],
    expected: transcript([[1, GOT_GET], [1, GOT_GET2]], 'still open', `${relayedChunked(fields('x-t', 33, 'v'))}HTTP/1.1 200 OK\r\n${fields('x-h', 32, 'w')}content-length: 2\r\n\r\nok`),
  },
  {
    name: 'batches: 33 request trailer fields, then a request head of 33 fields',
    replies: [OK],
    client: [post(fields('X-T', 33, 'v')), 100, `GET /2 HTTP/1.1\r\nHost: ex\r\n${fields('X-H', 32, 'w')}\r\n`],
    expected: transcript([[1, gotPost(fields('x-t', 33, 'v'))], [1, `GET /2 HTTP/1.1\r\nhost: ex\r\n${fields('x-h', 32, 'w')}\r\n`]], 'still open', OK_RELAYED.repeat(2)),
  },
  {
    name: 'wskey: a WebSocket upgrade without Sec-WebSocket-Key but with a body is no upgrade: forwarded without Upgrade, no 400',
    replies: [OK],
    client: [`${WEBSOCKET_POST}Content-Length: 3\r\n\r\nabc`],
    expected: transcript([[1, 'POST / HTTP/1.1\r\nhost: ex\r\nconnection: upgrade\r\ncontent-length: 3\r\n\r\nabc']], 'still open', OK_RELAYED),
  },
  {
    name: 'wskey: the same with Content-Length: 0 is an upgrade, refused with 400 for the missing key',
    replies: [OK],
    client: [`${WEBSOCKET_POST}Content-Length: 0\r\n\r\n`],
    expected: transcript([], 'closed', rawErrorPage(400)),
  },
];

/** For recording: LOADSTAR_RECORD=1 prints HAProxy's transcripts in the notation of lib/transcript.ts. */
export { CASES, run };

transcriptTests(CASES, run, { prefix: 'as HAProxy 2.6: ', replay: 'the recorded exchanges are still what HAProxy 2.6 does' });
