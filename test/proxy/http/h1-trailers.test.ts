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
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

interface Case {
  name: string;
  global?: string;
  frontend?: string;
  backend?: string;
  /** What the server answers to each request it frames, in order (the last one repeats). */
  replies: string[];
  /** The client's writes on one connection, and pauses (ms) between them. */
  client: Array<string | number>;
  /** Loadstar's transcript. */
  expected: string;
  /** HAProxy's, where Loadstar deliberately differs (the reason is in the case's name). */
  haproxy?: string;
}

/** The end of the first request in `buf` (head, then a chunked body with its trailer section, or a Content-Length body), or -1. */
function requestEnd(buf: string): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return -1;
  const head = buf.slice(0, end);
  if (/\r\ntransfer-encoding:[ \t]*chunked[ \t]*\r?$/im.test(head)) {
    let at = end + 4;
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return -1;
      const size = parseInt(buf.slice(at, eol), 16);
      if (Number.isNaN(size)) return -1;
      at = eol + 2;
      if (size === 0) {
        for (;;) {
          const e = buf.indexOf('\r\n', at);
          if (e < 0) return -1;
          if (e === at) return at + 2;
          at = e + 2;
        }
      }
      if (buf.length < at + size + 2) return -1;
      at += size + 2;
    }
  }
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  const total = end + 4 + (cl ? Number(cl[1]) : 0);
  return total <= buf.length ? total : -1;
}

async function run(c: Case, start: (text: string, port: number) => Promise<{ stop(): Promise<void> }>): Promise<string> {
  const sockets = new Set<net.Socket>();
  const log: string[] = [];
  let answered = 0;
  let connections = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    const id = ++connections;
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = requestEnd(buf); end >= 0; end = requestEnd(buf)) {
        log.push(`server connection ${id} got:\n${buf.slice(0, end)}`);
        buf = buf.slice(end);
        s.write(c.replies[Math.min(answered++, c.replies.length - 1)]!, 'latin1');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const proxy = await start(`${c.global ? `global\n${c.global}` : ''}defaults
    mode http
    timeout connect 1s
    timeout client 3s
    timeout server 2s
frontend web
    bind 127.0.0.1:${port}
${c.frontend ?? ''}    default_backend app
backend app
${c.backend ?? ''}    server s1 127.0.0.1:${(server.address() as net.AddressInfo).port}
`, port);
  let client = '';
  try {
    client = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      let quiet: NodeJS.Timeout | undefined;
      const done = (how: string): void => {
        clearTimeout(quiet);
        socket.destroy();
        resolve(`client got (${how}):\n${got}`);
      };
      const rearm = (): void => {
        clearTimeout(quiet);
        quiet = setTimeout(() => done('still open'), 500);
      };
      socket.on('data', (d: Buffer) => { got += d.toString('latin1'); rearm(); });
      socket.on('close', () => done('closed'));
      socket.on('error', () => {});
      socket.on('connect', async () => {
        for (const w of c.client) {
          if (typeof w === 'number') await new Promise((r) => setTimeout(r, w));
          else socket.write(w, 'latin1');
        }
        rearm();
      });
    });
  } finally {
    await proxy.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
  return `${log.join('\n')}\n${client}`;
}

/** A transcript as written below: each CRLF is shown as \\r\\n at the end of its line. */
const wire = (text: string): string => text.replace(/\r\n\n/g, '\r\n');

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
const GET2 = 'GET /2 HTTP/1.1\r\nHost: ex\r\n\r\n';
/** A chunked answer ending with the trailer lines `trailers`. */
const chunked = (trailers: string, status = '200 OK'): string => `HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n${trailers}\r\n`;
/** A chunked POST ending with the trailer lines `trailers`. */
const post = (trailers: string, extra = ''): string => `POST / HTTP/1.1\r\nHost: ex\r\n${extra}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${trailers}\r\n`;

const CASES: Case[] = [
  {
    name: 'response trailers reach the client after the last chunk, and never the next response on the server connection',
    replies: [chunked('X-Trailer: one\r\nX-Other:  two  \r\n')],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n', 100, GET2],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
x-trailer: one\r\n
x-other: two\r\n
\r\n
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
x-trailer: one\r\n
x-other: two\r\n
\r\n
`),
  },
  {
    name: 'response trailers to an HTTP/1.0 client (the answer stays chunked)',
    replies: [chunked('X-Trailer: one\r\n')],
    client: ['GET / HTTP/1.0\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.0\r\n
host: ex\r\n
connection: keep-alive\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
connection: close\r\n
\r\n
2\r\n
ok\r\n
0\r\n
x-trailer: one\r\n
\r\n
`),
  },
  {
    name: 'request trailers reach the server, and never the next request (its rules, its URL)',
    frontend: '    http-request deny if { req.hdr(x-req-trailer) -m found }\n',
    replies: [OK],
    client: [post('X-Req-Trailer: a\r\nChecksum: 123\r\n'), 100, GET2],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-req-trailer: a\r\n
checksum: 123\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'trailers with h1-case-adjust both ways',
    global: '    h1-case-adjust x-foo X-Foo\n',
    frontend: '    option h1-case-adjust-bogus-client\n',
    backend: '    option h1-case-adjust-bogus-server\n',
    replies: [chunked('x-foo: r\r\n')],
    client: [post('x-foo: q\r\n')],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
X-Foo: q\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
X-Foo: r\r\n
\r\n
`),
  },
  {
    name: 'request trailers with http-server-close: the next request on a new server connection is clean',
    backend: '    option http-server-close\n',
    replies: [OK],
    client: [post('X-A: 1\r\n'), 100, GET2],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
connection: close\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-a: 1\r\n
\r\n

server connection 2 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
connection: close\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'trailers that arrive after the server answered still reach it',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n', 300, 'X-T: 1\r\n\r\n', 100, GET2],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-t: 1\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'TE goes to the server as trailers or not at all',
    replies: [OK],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\nTE: trailers, chunked\r\n\r\n', 100, 'GET / HTTP/1.1\r\nHost: ex\r\nTE: gzip\r\n\r\n', 100,
      'GET / HTTP/1.1\r\nHost: ex\r\nTE: xtrailers\r\nTE: trailersx\r\nTE: trailers;q=1\r\nTE: gzip,trailers\r\nTE: trailers ,gzip\r\nTE: TRAILERS\r\nTE:\r\n\r\n', 100,
      'GET / HTTP/1.0\r\nHost: ex\r\nConnection: keep-alive, TE\r\nTE: trailers\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
te: trailers\r\n
\r\n

server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
te: trailers\r\n
te: trailers\r\n
\r\n

server connection 1 got:
GET / HTTP/1.0\r\n
host: ex\r\n
connection: TE\r\n
te: trailers\r\n
connection: keep-alive\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: keep-alive\r\n
\r\n
ok`),
  },
  {
    name: 'TE in a response is filtered the same way',
    replies: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTE: gzip\r\nTE: trailers, x\r\n\r\nok'],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
te: trailers\r\n
\r\n
ok`),
  },
  {
    name: 'a 204 goes without Transfer-Encoding or Content-Length, a 304 keeps them',
    replies: ['HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n'],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n', 100, GET2, 100, 'GET /3 HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
GET /3 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 204 No Content\r\n
\r\n
HTTP/1.1 204 No Content\r\n
\r\n
HTTP/1.1 304 Not Modified\r\n
transfer-encoding: chunked\r\n
\r\n
`),
  },
  {
    name: 'HEAD answered chunked: the head alone',
    replies: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'],
    client: ['HEAD / HTTP/1.1\r\nHost: ex\r\n\r\n', 100, 'HEAD / HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
HEAD / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
HEAD / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
`),
  },
  {
    name: 'interim answers (no framing headers, TE filtered) then a chunked answer with trailers',
    replies: ['HTTP/1.1 100 Continue\r\nX-I: 1\r\nContent-Length: 0\r\nTE: gzip\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\nTransfer-Encoding: chunked\r\n\r\n' + chunked('X-T: 1\r\n')],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 100 Continue\r\n
x-i: 1\r\n
\r\n
HTTP/1.1 103 Early Hints\r\n
link: </a>\r\n
\r\n
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
x-t: 1\r\n
\r\n
`),
  },
  {
    name: 'an upgrade request with a chunked body is no upgrade: Upgrade removed, the 101 is a 502',
    replies: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n', OK],
    client: [post('X-T: 1\r\n', 'Connection: upgrade\r\nUpgrade: foo\r\n'), 200, GET2],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
connection: upgrade\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-t: 1\r\n
\r\n

server connection 2 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 502 Bad Gateway\r\n
content-length: 107\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
\r\n
<html><body><h1>502 Bad Gateway</h1>
The server returned an invalid or incomplete response.
</body></html>
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'an upgrade request with a Content-Length body, and a WebSocket GET with a chunked body: 502',
    replies: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n'],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 3\r\n\r\nabc', 200,
      'GET / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
connection: upgrade\r\n
content-length: 3\r\n
\r\n
abc
server connection 2 got:
GET / HTTP/1.1\r\n
host: ex\r\n
connection: upgrade\r\n
sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n
sec-websocket-version: 13\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
\r\n

client got (still open):
HTTP/1.1 502 Bad Gateway\r\n
content-length: 107\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
\r\n
<html><body><h1>502 Bad Gateway</h1>
The server returned an invalid or incomplete response.
</body></html>
HTTP/1.1 502 Bad Gateway\r\n
content-length: 107\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
\r\n
<html><body><h1>502 Bad Gateway</h1>
The server returned an invalid or incomplete response.
</body></html>
`),
  },
  {
    name: 'an upgrade request with the chunked body after the head: no upgrade, answered as usual',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: foo\r\nTransfer-Encoding: chunked\r\n\r\n', 200, '3\r\nabc\r\n0\r\n\r\n', 200, GET2],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
connection: upgrade\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'an upgrade request with Content-Length: 0 is an upgrade',
    replies: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nFROM-SERVER'],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 0\r\n\r\n', 200, 'FROM-CLIENT'],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
connection: upgrade\r\n
upgrade: foo\r\n
content-length: 0\r\n
\r\n

client got (still open):
HTTP/1.1 101 Switching Protocols\r\n
connection: Upgrade\r\n
upgrade: foo\r\n
\r\n
FROM-SERVER`),
  },
  {
    name: 'stricter: obs-fold in request trailers is a 400 (HAProxy relays it unfolded)',
    replies: [OK],
    client: [post('X-A: 1\r\n  folded\r\n')],
    expected: wire(`
client got (closed):
HTTP/1.1 400 Bad request\r\n
Content-length: 90\r\n
Cache-Control: no-cache\r\n
Connection: close\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
    haproxy: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-a: 1    folded\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'stricter: a NUL in request trailers is a 400 (HAProxy relays it)',
    replies: [OK],
    client: [post('X-A: 1\x00x\r\n')],
    expected: wire(`
client got (closed):
HTTP/1.1 400 Bad request\r\n
Content-length: 90\r\n
Cache-Control: no-cache\r\n
Connection: close\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
    haproxy: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-a: 1\x00x\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'stricter: Transfer-Encoding and Content-Length in request trailers are a 400 (HAProxy relays TE, drops CL)',
    replies: [OK],
    client: [post('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n')],
    expected: wire(`
client got (closed):
HTTP/1.1 400 Bad request\r\n
Content-length: 90\r\n
Cache-Control: no-cache\r\n
Connection: close\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
    haproxy: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
transfer-encoding: chunked\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'stricter: obs-fold in response trailers ends the client connection without the last chunk (HAProxy relays it unfolded)',
    replies: [chunked('X-A: 1\r\n  folded\r\nX-B: 2\r\n')],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (closed):
`),
    haproxy: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
x-a: 1    folded\r\n
x-b: 2\r\n
\r\n
`),
  },
  {
    name: 'differs: connection: close in request trailers is relayed, then the connection closes after the answer (HAProxy keeps it)',
    replies: [OK],
    client: [post('Connection: close\r\n'), 100, GET2],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
connection: close\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
connection: close\r\n
\r\n
ok`),
    haproxy: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
connection: close\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'differs: connection: close in response trailers is relayed, and that server connection is not reused (HAProxy reuses it)',
    replies: [chunked('Connection: close\r\n')],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n', 100, GET2],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 2 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
connection: close\r\n
\r\n
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
connection: close\r\n
\r\n
`),
    haproxy: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
connection: close\r\n
\r\n
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
connection: close\r\n
\r\n
`),
  },
  {
    name: 'invalid request trailer line: 400',
    replies: [OK],
    client: [post('X-A: 1\r\nbogus line\r\n'), 100, GET2],
    expected: wire(`
client got (closed):
HTTP/1.1 400 Bad request\r\n
Content-length: 90\r\n
Cache-Control: no-cache\r\n
Connection: close\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
  },
  {
    name: 'limit: 100 request trailer fields are relayed, 101 are a 400 (tune.http.maxhdr)',
    replies: [OK],
    client: [post(Array.from({ length: 100 }, (_, i) => 'X-T' + i + ': v\r\n').join('')), 100, post(Array.from({ length: 101 }, (_, i) => 'X-T' + i + ': v\r\n').join(''))],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-t0: v\r\n
x-t1: v\r\n
x-t2: v\r\n
x-t3: v\r\n
x-t4: v\r\n
x-t5: v\r\n
x-t6: v\r\n
x-t7: v\r\n
x-t8: v\r\n
x-t9: v\r\n
x-t10: v\r\n
x-t11: v\r\n
x-t12: v\r\n
x-t13: v\r\n
x-t14: v\r\n
x-t15: v\r\n
x-t16: v\r\n
x-t17: v\r\n
x-t18: v\r\n
x-t19: v\r\n
x-t20: v\r\n
x-t21: v\r\n
x-t22: v\r\n
x-t23: v\r\n
x-t24: v\r\n
x-t25: v\r\n
x-t26: v\r\n
x-t27: v\r\n
x-t28: v\r\n
x-t29: v\r\n
x-t30: v\r\n
x-t31: v\r\n
x-t32: v\r\n
x-t33: v\r\n
x-t34: v\r\n
x-t35: v\r\n
x-t36: v\r\n
x-t37: v\r\n
x-t38: v\r\n
x-t39: v\r\n
x-t40: v\r\n
x-t41: v\r\n
x-t42: v\r\n
x-t43: v\r\n
x-t44: v\r\n
x-t45: v\r\n
x-t46: v\r\n
x-t47: v\r\n
x-t48: v\r\n
x-t49: v\r\n
x-t50: v\r\n
x-t51: v\r\n
x-t52: v\r\n
x-t53: v\r\n
x-t54: v\r\n
x-t55: v\r\n
x-t56: v\r\n
x-t57: v\r\n
x-t58: v\r\n
x-t59: v\r\n
x-t60: v\r\n
x-t61: v\r\n
x-t62: v\r\n
x-t63: v\r\n
x-t64: v\r\n
x-t65: v\r\n
x-t66: v\r\n
x-t67: v\r\n
x-t68: v\r\n
x-t69: v\r\n
x-t70: v\r\n
x-t71: v\r\n
x-t72: v\r\n
x-t73: v\r\n
x-t74: v\r\n
x-t75: v\r\n
x-t76: v\r\n
x-t77: v\r\n
x-t78: v\r\n
x-t79: v\r\n
x-t80: v\r\n
x-t81: v\r\n
x-t82: v\r\n
x-t83: v\r\n
x-t84: v\r\n
x-t85: v\r\n
x-t86: v\r\n
x-t87: v\r\n
x-t88: v\r\n
x-t89: v\r\n
x-t90: v\r\n
x-t91: v\r\n
x-t92: v\r\n
x-t93: v\r\n
x-t94: v\r\n
x-t95: v\r\n
x-t96: v\r\n
x-t97: v\r\n
x-t98: v\r\n
x-t99: v\r\n
\r\n

client got (closed):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 400 Bad request\r\n
Content-length: 90\r\n
Cache-Control: no-cache\r\n
Connection: close\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
  },
  {
    name: 'limit: request trailers up to the buffer (tune.bufsize 2048 less maxrewrite, HTX blocks counted) are relayed',
    global: '    tune.bufsize 2048\n',
    replies: [OK],
    client: [post('X-Big: ' + 'a'.repeat(954) + '\r\n')],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-big: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'limit: request trailers one byte over the buffer are a 400',
    global: '    tune.bufsize 2048\n',
    replies: [OK],
    client: [post('X-Big: ' + 'a'.repeat(955) + '\r\n')],
    expected: wire(`
client got (closed):
HTTP/1.1 400 Bad request\r\n
content-length: 90\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
connection: close\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
  },
  {
    name: 'limit: a response with 101 trailer fields ends the client connection without the last chunk (HAProxy: 502, nothing had gone out)',
    replies: [chunked(Array.from({ length: 101 }, (_, i) => 'X-T' + i + ': v\r\n').join(''))],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n'],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (closed):
`),
    haproxy: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 502 Bad Gateway\r\n
content-length: 107\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
\r\n
<html><body><h1>502 Bad Gateway</h1>
The server returned an invalid or incomplete response.
</body></html>
`),
  },
  {
    name: 'unfinished: a local answer to a request whose body is not all in closes the connection (Content-Length body)',
    frontend: '    http-request deny if { path /deny }\n',
    replies: [OK],
    client: ['POST /deny HTTP/1.1\r\nHost: ex\r\nContent-Length: 10\r\n\r\nabc', 300, 'defghij', 100, GET2],
    expected: wire(`
client got (closed):
HTTP/1.1 403 Forbidden\r\n
content-length: 93\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
connection: close\r\n
\r\n
<html><body><h1>403 Forbidden</h1>
Request forbidden by administrative rules.
</body></html>
`),
  },
  {
    name: 'unfinished: the same with a chunked body whose trailers come later',
    frontend: '    http-request deny if { path /deny }\n',
    replies: [OK],
    client: ['POST /deny HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 300, '0\r\nX-T: 1\r\n\r\n', 100, GET2],
    expected: wire(`
client got (closed):
HTTP/1.1 403 Forbidden\r\n
content-length: 93\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
connection: close\r\n
\r\n
<html><body><h1>403 Forbidden</h1>
Request forbidden by administrative rules.
</body></html>
`),
  },
  {
    name: 'unfinished: a body complete in the same read as the head counts as in (keep-alive)',
    frontend: '    http-request deny if { path /deny }\n',
    replies: [OK],
    client: ['POST /deny HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n', 100, GET2],
    expected: wire(`server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 403 Forbidden\r\n
content-length: 93\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
\r\n
<html><body><h1>403 Forbidden</h1>
Request forbidden by administrative rules.
</body></html>
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'unfinished: a trailer section that never ends gets the 504 of timeout server, connection closed',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n', 2600],
    expected: wire(`
client got (closed):
HTTP/1.1 504 Gateway Time-out\r\n
content-length: 92\r\n
cache-control: no-cache\r\n
content-type: text/html\r\n
connection: close\r\n
\r\n
<html><body><h1>504 Gateway Time-out</h1>
The server didn't respond in time.
</body></html>
`),
  },
  {
    name: 'batches: 33 response trailer fields (llhttp hands them over in two batches), then a response head of 33 fields',
    replies: [chunked(Array.from({ length: 33 }, (_, i) => 'X-T' + i + ': v\r\n').join('')), 'HTTP/1.1 200 OK\r\n' + Array.from({ length: 32 }, (_, i) => 'X-H' + i + ': w\r\n').join('') + 'Content-Length: 2\r\n\r\nok'],
    client: ['GET / HTTP/1.1\r\nHost: ex\r\n\r\n', 100, GET2],
    expected: wire(`server connection 1 got:
GET / HTTP/1.1\r\n
host: ex\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
transfer-encoding: chunked\r\n
\r\n
2\r\n
ok\r\n
0\r\n
x-t0: v\r\n
x-t1: v\r\n
x-t2: v\r\n
x-t3: v\r\n
x-t4: v\r\n
x-t5: v\r\n
x-t6: v\r\n
x-t7: v\r\n
x-t8: v\r\n
x-t9: v\r\n
x-t10: v\r\n
x-t11: v\r\n
x-t12: v\r\n
x-t13: v\r\n
x-t14: v\r\n
x-t15: v\r\n
x-t16: v\r\n
x-t17: v\r\n
x-t18: v\r\n
x-t19: v\r\n
x-t20: v\r\n
x-t21: v\r\n
x-t22: v\r\n
x-t23: v\r\n
x-t24: v\r\n
x-t25: v\r\n
x-t26: v\r\n
x-t27: v\r\n
x-t28: v\r\n
x-t29: v\r\n
x-t30: v\r\n
x-t31: v\r\n
x-t32: v\r\n
\r\n
HTTP/1.1 200 OK\r\n
x-h0: w\r\n
x-h1: w\r\n
x-h2: w\r\n
x-h3: w\r\n
x-h4: w\r\n
x-h5: w\r\n
x-h6: w\r\n
x-h7: w\r\n
x-h8: w\r\n
x-h9: w\r\n
x-h10: w\r\n
x-h11: w\r\n
x-h12: w\r\n
x-h13: w\r\n
x-h14: w\r\n
x-h15: w\r\n
x-h16: w\r\n
x-h17: w\r\n
x-h18: w\r\n
x-h19: w\r\n
x-h20: w\r\n
x-h21: w\r\n
x-h22: w\r\n
x-h23: w\r\n
x-h24: w\r\n
x-h25: w\r\n
x-h26: w\r\n
x-h27: w\r\n
x-h28: w\r\n
x-h29: w\r\n
x-h30: w\r\n
x-h31: w\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'batches: 33 request trailer fields, then a request head of 33 fields',
    replies: [OK],
    client: [post(Array.from({ length: 33 }, (_, i) => 'X-T' + i + ': v\r\n').join('')), 100, 'GET /2 HTTP/1.1\r\nHost: ex\r\n' + Array.from({ length: 32 }, (_, i) => 'X-H' + i + ': w\r\n').join('') + '\r\n'],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-t0: v\r\n
x-t1: v\r\n
x-t2: v\r\n
x-t3: v\r\n
x-t4: v\r\n
x-t5: v\r\n
x-t6: v\r\n
x-t7: v\r\n
x-t8: v\r\n
x-t9: v\r\n
x-t10: v\r\n
x-t11: v\r\n
x-t12: v\r\n
x-t13: v\r\n
x-t14: v\r\n
x-t15: v\r\n
x-t16: v\r\n
x-t17: v\r\n
x-t18: v\r\n
x-t19: v\r\n
x-t20: v\r\n
x-t21: v\r\n
x-t22: v\r\n
x-t23: v\r\n
x-t24: v\r\n
x-t25: v\r\n
x-t26: v\r\n
x-t27: v\r\n
x-t28: v\r\n
x-t29: v\r\n
x-t30: v\r\n
x-t31: v\r\n
x-t32: v\r\n
\r\n

server connection 1 got:
GET /2 HTTP/1.1\r\n
host: ex\r\n
x-h0: w\r\n
x-h1: w\r\n
x-h2: w\r\n
x-h3: w\r\n
x-h4: w\r\n
x-h5: w\r\n
x-h6: w\r\n
x-h7: w\r\n
x-h8: w\r\n
x-h9: w\r\n
x-h10: w\r\n
x-h11: w\r\n
x-h12: w\r\n
x-h13: w\r\n
x-h14: w\r\n
x-h15: w\r\n
x-h16: w\r\n
x-h17: w\r\n
x-h18: w\r\n
x-h19: w\r\n
x-h20: w\r\n
x-h21: w\r\n
x-h22: w\r\n
x-h23: w\r\n
x-h24: w\r\n
x-h25: w\r\n
x-h26: w\r\n
x-h27: w\r\n
x-h28: w\r\n
x-h29: w\r\n
x-h30: w\r\n
x-h31: w\r\n
\r\n

client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
okHTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'wskey: a WebSocket upgrade without Sec-WebSocket-Key but with a body is no upgrade: forwarded without Upgrade, no 400',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc'],
    expected: wire(`server connection 1 got:
POST / HTTP/1.1\r\n
host: ex\r\n
connection: upgrade\r\n
content-length: 3\r\n
\r\n
abc
client got (still open):
HTTP/1.1 200 OK\r\n
content-length: 2\r\n
\r\n
ok`),
  },
  {
    name: 'wskey: the same with Content-Length: 0 is an upgrade, refused with 400 for the missing key',
    replies: [OK],
    client: ['POST / HTTP/1.1\r\nHost: ex\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n'],
    expected: wire(`
client got (closed):
HTTP/1.1 400 Bad request\r\n
Content-length: 90\r\n
Cache-Control: no-cache\r\n
Connection: close\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>400 Bad request</h1>
Your browser sent an invalid request.
</body></html>
`),
  },
];

/** For recording: LOADSTAR_RECORD=1 prints HAProxy's transcripts in the notation above. */
export { CASES, run };

for (const c of process.env.LOADSTAR_RECORD ? [] : CASES) {
  test(`as HAProxy 2.6: ${c.name}`, async () => {
    assert.equal(await run(c, async (text) => startEngine(text)), c.expected);
  });
}

test('the recorded exchanges are still what HAProxy 2.6 does', { skip: !!process.env.LOADSTAR_RECORD }, async (t) => {
  if (!requireHaproxy(t)) return;
  for (const c of CASES) {
    const got = await run(c, async (text, port) => startHaproxy(text, port));
    assert.equal(got, c.haproxy ?? c.expected, c.name);
  }
});
