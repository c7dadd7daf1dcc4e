/**
 * A hostile client or a broken server against the HTTP/1 paths, recorded from HAProxy 2.6.12
 * (Debian) with the same configuration and bytes, and replayed through it where it is installed:
 * - an HTTP/1.0 request with Transfer-Encoding goes to the server without `connection: keep-alive`,
 *   and the client connection closes after the answer (RFC 9112 §6.1: faulty framing, close);
 * - a response whose Transfer-Encoding is anything but one `chunked` is a 502 (xchunked was framed
 *   as chunked by Loadstar but read until close by llhttp: the client hung on a re-chunked stream);
 * - a 101 nobody asked for is a 502, and its connection is not reused;
 * - an HTTP/1.0 response with Transfer-Encoding is relayed, then the client connection closes;
 * - a request that closes its connection (Connection: close, HTTP/1.0) is answered when bytes follow
 *   it (llhttp's 'Data after Connection: close' answered 400 instead, the server's answer dropped);
 * - the H1 mux's own 422 (a Transfer-Encoding list) has no Connection header, unlike its 400/408;
 * - an HTTP/1.0 GET, HEAD or DELETE with a body (Content-Length above 0, or chunked) gets the H1
 *   mux's raw 413 (an HTTP/1.0 server might read the body as a second request); without a body it goes on;
 * - bytes a server sends after its response in the same read (a body to HEAD or 204, a second
 *   response, or the start of one) never answer the next request: it goes to a fresh connection.
 * Each case records what the server got first, whether the last request the server saw came on a
 * connection of its own (not one that had served an earlier request), and the client's bytes.
 */
import { OK, OK_RELAYED, errorPage, rawErrorPage } from './lib/answers.ts';
import { rawClient, type Step } from './lib/raw-client.ts';
import { httpConfig, throughProxy, transcriptTests, wire, type Proxy } from './lib/transcript.ts';

interface Case {
  name: string;
  /** What the server answers to each request it reads, in order (the last one repeats). */
  replies: string[];
  /** The client's writes on one connection, and pauses (ms) between them. */
  client: Step[];
  /** The server answers this long after reading a request (ms). */
  delay?: number;
  expected: string;
}

async function run(c: Case, proxy: Proxy): Promise<string> {
  const { client, requests } = await throughProxy(proxy, {
    replies: c.delay ? c.replies.map((r) => [[c.delay!, r] as const]) : c.replies,
    config: (port, serverPort) => httpConfig(port, serverPort, {}, { timeouts: { client: '5s', server: '5s' } }),
    drive: (port) => rawClient(port, c.client, 400),
  });
  const fresh = requests.at(-1)?.before === 0;
  return `server got first:\n${requests[0]?.head ?? '(nothing)\n'}\nlast request on a fresh server connection: ${fresh ? 'yes' : 'no'}\n${client}`;
}

const EVIL = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL';
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: ex\r\n\r\n`;
const GET_A = wire(`server got first:
GET /a HTTP/1.1\r\n
host: ex\r\n
\r\n
`);
const BAD_GATEWAY_THEN_OK = errorPage(502) + OK_RELAYED;

const CASES: Case[] = [
  {
    name: 'an HTTP/1.0 request with Transfer-Encoding: chunked closes both connections after it',
    replies: [OK],
    client: ['POST /p HTTP/1.0\r\nHost: ex\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 200, get('/b')],
    expected: wire(`server got first:
POST /p HTTP/1.0\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n

last request on a fresh server connection: yes
client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: close\r\n
\r\n
ok`),
  },
  {
    name: 'a request whose Transfer-Encoding is a list (identity, chunked) gets the H1 mux\'s raw 422, without a Connection header',
    replies: [OK],
    client: ['POST /p HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    expected: `server got first:\n(nothing)\n\nlast request on a fresh server connection: no\nclient got (closed):\n${rawErrorPage(422, false)}`,
  },
  ...([
    ['GET', 'Content-Length: 5\r\n\r\nhello'],
    ['HEAD', 'Content-Length: 5\r\n\r\nhello'],
    ['DELETE', 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ] as const).map(([method, body]): Case => ({
    name: `an HTTP/1.0 ${method} with a body gets the H1 mux's raw 413 and nothing reaches the server`,
    replies: [OK],
    client: [`${method} /p HTTP/1.0\r\nHost: ex\r\n${body}`],
    expected: `server got first:\n(nothing)\n\nlast request on a fresh server connection: no\nclient got (closed):\n${rawErrorPage(413, false)}`,
  })),
  {
    name: 'an HTTP/1.0 GET with Content-Length: 0 goes on',
    replies: [OK],
    client: ['GET /a HTTP/1.0\r\nHost: ex\r\nContent-Length: 0\r\n\r\n'],
    expected: wire(`server got first:
GET /a HTTP/1.0\r\n
host: ex\r\n
content-length: 0\r\n
connection: keep-alive\r\n
\r\n

last request on a fresh server connection: yes
client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: close\r\n
\r\n
ok`),
  },
  ...([
    ['HTTP/1.1 request with Connection: close', 'GET /a HTTP/1.1\r\nHost: ex\r\nConnection: close\r\n\r\n', 'GET /a HTTP/1.1\r\nhost: ex\r\n\r\n'],
    ['HTTP/1.0 request', 'GET /a HTTP/1.0\r\nHost: ex\r\n\r\n', 'GET /a HTTP/1.0\r\nhost: ex\r\nconnection: keep-alive\r\n\r\n'],
  ] as const).flatMap(([what, first, forwarded]) => [[what, 'pipelined in the same write', [first + get('/b')]], [what, 'sent while it is served', [first, 50, get('/b')]]].map(([, when, client]): Case => ({
    name: `an ${what} is answered, then the connection closes, when more bytes follow it (${when as string}): not a 400`,
    replies: [OK],
    client: client as Step[],
    delay: 150,
    expected: `server got first:\n${forwarded}\nlast request on a fresh server connection: yes\nclient got (closed):\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok`,
  }))),
  ...['xchunked', 'gzip, chunked', 'chunked\r\nTransfer-Encoding: chunked', 'identity'].map((te): Case => ({
    name: `a response with Transfer-Encoding: ${te.replace(/\r\n.*/, ' twice')} is a 502, and its connection is not reused`,
    replies: [`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, OK],
    client: [get('/a'), 300, get('/b')],
    expected: `${GET_A}\nlast request on a fresh server connection: yes\nclient got (still open):\n${BAD_GATEWAY_THEN_OK}`,
  })),
  {
    name: 'a 101 to a request that asked for no upgrade is a 502, and its connection is not reused',
    replies: [`HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n${EVIL}`, OK],
    client: [get('/a'), 300, get('/b')],
    expected: `${GET_A}\nlast request on a fresh server connection: yes\nclient got (still open):\n${BAD_GATEWAY_THEN_OK}`,
  },
  {
    name: 'an HTTP/1.0 response with Transfer-Encoding: chunked is relayed, then the client connection closes',
    replies: ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', OK],
    client: [get('/a'), 300, get('/b')],
    expected: `${GET_A}\n` + wire(`last request on a fresh server connection: yes
client got (closed):
HTTP/1.0 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
\r\n
`),
  },
  ...([
    ['a body to HEAD', `HEAD /a HTTP/1.1\r\nHost: ex\r\n\r\n`, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n'],
    ['a body to a 204', get('/a'), 'HTTP/1.1 204 No Content\r\n\r\n', 'HTTP/1.1 204 No Content\r\n\r\n'],
    ['a second response', get('/a'), OK, OK_RELAYED],
  ] as const).map(([what, first, reply, relayed]): Case => ({
    name: `a server sending ${what} (another response) in the same read never answers the next, pipelined request with it`,
    replies: [reply + EVIL, OK],
    client: [first + get('/b')],
    expected: `server got first:\n${first.replace('Host', 'host')}\nlast request on a fresh server connection: yes\nclient got (still open):\n${relayed}${OK_RELAYED}`,
  })),
  ...[['later', [get('/a'), 200, get('/b')]], ['pipelined', [get('/a') + get('/b')]]].map(([when, client]): Case => ({
    name: `the start of a head a server sends after its response in the same read never prefixes the answer to the next request (${when as string})`,
    replies: [`${OK}HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/\r\nX: `, OK],
    client: client as Step[],
    expected: `${GET_A}\nlast request on a fresh server connection: yes\nclient got (still open):\n${OK_RELAYED}${OK_RELAYED}`,
  })),
];

/** For recording: LOADSTAR_RECORD=1 prints HAProxy's transcripts in the notation above. */
export { CASES, run };

transcriptTests(CASES, run, { prefix: 'as HAProxy 2.6: ', replay: 'the recorded exchanges are still what HAProxy 2.6 does' });
