/**
 * Trailers between HTTP/2 clients and HTTP/1.1 servers, recorded from HAProxy 2.6.12 (Debian) with
 * the same configuration and exchanges, and replayed through it where it is installed:
 * - a chunked response's trailer fields reach the h2 client as a trailing HEADERS frame, without the
 *   fields HTTP/2 forbids (Connection, Host, TE …); none left (or none sent): the stream ends with
 *   an empty DATA frame. Before, Loadstar dropped them;
 * - an h2 request's trailers reach the server after the last chunk when the request goes chunked
 *   (no Content-Length), and are dropped when it has a Content-Length (HAProxy's H1 mux writes
 *   trailers only into a chunked message);
 * - `te: trailers` from an h2 client goes on as is; HEAD and 204 answered chunked end at the head.
 * Each case records what the server got and the h2 client's events.
 */
import { certPath } from '../../helpers/tls.ts';
import { OK } from './lib/answers.ts';
import { h2Exchange, type H2Request } from './lib/h2-client.ts';
import { httpConfig, throughProxy, transcriptTests, type Proxy } from './lib/transcript.ts';

interface Case extends H2Request {
  name: string;
  /** What the server answers (one request). */
  reply: string;
  expected: string;
}

async function run(c: Case, proxy: Proxy): Promise<string> {
  const log: string[] = [];
  const { client } = await throughProxy(proxy, {
    replies: [c.reply],
    config: (port, serverPort) => httpConfig(port, serverPort, {}, { timeouts: { client: '3s', server: '2s' }, bind: `ssl crt ${certPath('site.pem')} alpn h2` }),
    onRequest: (r) => log.push(`server got:\n${r.text}`),
    drive: (port) => h2Exchange(port, c),
  });
  log.push(`client got:\n${client}`);
  // The Host header carries the listener's port, which changes from run to run.
  return log.join('\n').replace(/site\.home\.arpa:\d+/g, 'site.home.arpa:PORT');
}

/** An exchange whose stream ended normally: the request the server got, then the h2 client's events before the end. */
const ended = (server: string, events: string): string => `server got:\n${server}\nclient got:\n${events}end\nclosed, reset code 0\n`;
const HOST = 'host: site.home.arpa:PORT\r\n';
const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
const OK_EVENTS = 'response {":status":200,"content-length":"2"}\ndata "ok"\n';

const CASES: Case[] = [
  {
    name: 'response trailers reach the h2 client as a HEADERS frame, without the fields HTTP/2 forbids',
    reply: `${CHUNKED}2\r\nok\r\n0\r\nX-Trailer: one\r\nX-Other: two\r\nX-Other: three\r\nConnection: x\r\nHost: h\r\nTE: trailers\r\n\r\n`,
    headers: {},
    expected: ended(`GET / HTTP/1.1\r\n${HOST}\r\n`, 'response {":status":200}\ndata "ok"\ntrailers {"x-trailer":"one","x-other":"two, three"}\n'),
  },
  {
    name: 'a chunked response without trailers, or with forbidden ones only, ends with an empty DATA frame',
    reply: `${CHUNKED}2\r\nok\r\n0\r\nConnection: x\r\nKeep-Alive: 5\r\n\r\n`,
    headers: {},
    expected: ended(`GET / HTTP/1.1\r\n${HOST}\r\n`, 'response {":status":200}\ndata "ok"\n'),
  },
  {
    name: 'request trailers go after the last chunk (no Content-Length: the request goes chunked)',
    reply: OK,
    headers: { ':method': 'POST' },
    body: 'abc',
    trailers: { 'x-req-trailer': 'a', checksum: '1' },
    expected: ended(`POST / HTTP/1.1\r\n${HOST}transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-req-trailer: a\r\nchecksum: 1\r\n\r\n`, OK_EVENTS),
  },
  {
    name: 'request trailers with no body: a last chunk and the trailers',
    reply: OK,
    headers: { ':method': 'POST' },
    trailers: { 'x-req-trailer': 'a' },
    expected: ended(`POST / HTTP/1.1\r\n${HOST}transfer-encoding: chunked\r\n\r\n0\r\nx-req-trailer: a\r\n\r\n`, OK_EVENTS),
  },
  {
    name: 'request trailers are dropped when the request has a Content-Length',
    reply: OK,
    headers: { ':method': 'POST', 'content-length': '3' },
    body: 'abc',
    trailers: { 'x-req-trailer': 'a' },
    expected: ended(`POST / HTTP/1.1\r\n${HOST}content-length: 3\r\n\r\nabc`, OK_EVENTS),
  },
  {
    name: 'te: trailers goes on; a 204 answered chunked ends at the head',
    reply: 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n',
    headers: { te: 'trailers' },
    expected: ended(`GET / HTTP/1.1\r\n${HOST}te: trailers\r\n\r\n`, 'response {":status":204}\n'),
  },
  {
    name: 'HEAD answered chunked',
    reply: CHUNKED,
    headers: { ':method': 'HEAD' },
    expected: ended(`HEAD / HTTP/1.1\r\n${HOST}\r\n`, 'response {":status":200}\n'),
  },
];

/** For recording: LOADSTAR_RECORD=1 prints HAProxy's transcripts in the notation of lib/transcript.ts. */
export { CASES, run };

transcriptTests(CASES, run, { prefix: 'as HAProxy 2.6: ', replay: 'the recorded h2 exchanges are still what HAProxy 2.6 does' });
