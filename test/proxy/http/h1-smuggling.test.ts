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
 * - bytes a server sends after its response in the same read (a body to HEAD or 204, a second
 *   response, or the start of one) never answer the next request: it goes to a fresh connection.
 * Each case records what the server got first, whether the last request the server saw came on a
 * connection of its own (not one that had served an earlier request), and the client's bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

interface Case {
  name: string;
  /** What the server answers to each request it reads, in order (the last one repeats). */
  replies: string[];
  /** The client's writes on one connection, and pauses (ms) between them. */
  client: Array<string | number>;
  /** The server answers this long after reading a request (ms). */
  delay?: number;
  expected: string;
}

/** The end of the first request in `buf` (head, and a chunked or Content-Length body), or -1. */
function requestEnd(buf: string): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return -1;
  const head = buf.slice(0, end);
  if (/\r\ntransfer-encoding: *chunked\r?$/im.test(head)) {
    const last = buf.indexOf('\r\n0\r\n\r\n', end);
    return last < 0 ? -1 : last + 7;
  }
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  const total = end + 4 + (cl ? Number(cl[1]) : 0);
  return total <= buf.length ? total : -1;
}

async function run(c: Case, start: (text: string, port: number) => Promise<{ stop(): Promise<void> }>): Promise<string> {
  const sockets = new Set<net.Socket>();
  let answered = 0;
  let firstHead: string | undefined;
  let lastFresh = false;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    let served = 0;
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = requestEnd(buf); end >= 0; end = requestEnd(buf)) {
        firstHead ??= buf.slice(0, buf.indexOf('\r\n\r\n') + 4);
        buf = buf.slice(end);
        lastFresh = served++ === 0;
        const reply = c.replies[Math.min(answered++, c.replies.length - 1)]!;
        if (c.delay) setTimeout(() => s.write(reply, 'latin1'), c.delay);
        else s.write(reply, 'latin1');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const proxy = await start(`defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${(server.address() as net.AddressInfo).port}
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
        quiet = setTimeout(() => done('still open'), 400);
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
  return `server got first:\n${firstHead ?? '(nothing)\n'}\nlast request on a fresh server connection: ${lastFresh ? 'yes' : 'no'}\n${client}`;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
const EVIL = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL';
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: ex\r\n\r\n`;
/** A transcript as written below: each CRLF is shown as \\r\\n at the end of its line. */
const wire = (text: string): string => text.replace(/\r\n\n/g, '\r\n');
const GET_A = wire(`server got first:
GET /a HTTP/1.1\r\n
host: ex\r\n
\r\n
`);
const BAD_GATEWAY_THEN_OK = wire(`HTTP/1.1 502 Bad Gateway\r\n
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
ok`);

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
    expected: wire(`server got first:
(nothing)

last request on a fresh server connection: no
client got (closed):
HTTP/1.1 422 Unprocessable Content\r\n
Content-length: 116\r\n
Cache-Control: no-cache\r\n
Content-Type: text/html\r\n
\r\n
<html><body><h1>422 Unprocessable Content</h1>
The server cannot process the contained instructions.
</body></html>
`),
  },
  ...([
    ['HTTP/1.1 request with Connection: close', 'GET /a HTTP/1.1\r\nHost: ex\r\nConnection: close\r\n\r\n', 'GET /a HTTP/1.1\r\nhost: ex\r\n\r\n'],
    ['HTTP/1.0 request', 'GET /a HTTP/1.0\r\nHost: ex\r\n\r\n', 'GET /a HTTP/1.0\r\nhost: ex\r\nconnection: keep-alive\r\n\r\n'],
  ] as const).flatMap(([what, first, forwarded]) => [[what, 'pipelined in the same write', [first + get('/b')]], [what, 'sent while it is served', [first, 50, get('/b')]]].map(([, when, client]): Case => ({
    name: `an ${what} is answered, then the connection closes, when more bytes follow it (${when as string}): not a 400`,
    replies: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    client: client as Array<string | number>,
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
    ['a second response', get('/a'), OK, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'],
  ] as const).map(([what, first, reply, relayed]): Case => ({
    name: `a server sending ${what} (another response) in the same read never answers the next, pipelined request with it`,
    replies: [reply + EVIL, OK],
    client: [first + get('/b')],
    expected: `server got first:\n${first.replace('Host', 'host')}\nlast request on a fresh server connection: yes\nclient got (still open):\n${relayed}HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok`,
  })),
  ...[['later', [get('/a'), 200, get('/b')]], ['pipelined', [get('/a') + get('/b')]]].map(([when, client]): Case => ({
    name: `the start of a head a server sends after its response in the same read never prefixes the answer to the next request (${when as string})`,
    replies: [`${OK}HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/\r\nX: `, OK],
    client: client as Array<string | number>,
    expected: `${GET_A}\nlast request on a fresh server connection: yes\nclient got (still open):\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok`,
  })),
];

for (const c of CASES) {
  test(`as HAProxy 2.6: ${c.name}`, async () => {
    const got = await run(c, async (text) => startEngine(text));
    assert.equal(got, c.expected);
  });
}

test('the recorded exchanges are still what HAProxy 2.6 does', async (t) => {
  if (!requireHaproxy(t)) return;
  for (const c of CASES) {
    const got = await run(c, (text, port) => startHaproxy(text, port));
    assert.equal(got, c.expected, c.name);
  }
});
