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
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { certPath, testCa } from '../../helpers/tls.ts';

interface Case {
  name: string;
  /** What the server answers (one request). */
  reply: string;
  /** Request headers besides :path (defaults: GET). */
  headers: Record<string, string>;
  body?: string;
  /** Trailers the client sends after the body. */
  trailers?: Record<string, string>;
  expected: string;
}

/** The end of the request in `buf` (head, then a chunked body with its trailer section, or a Content-Length body), or -1. */
function requestEnd(buf: string): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return -1;
  const head = buf.slice(0, end);
  if (/\r\ntransfer-encoding: *chunked\r?$/im.test(head)) {
    const last = /\r\n0\r\n(?:[^\r\n]+\r\n)*\r\n/.exec(buf.slice(end));
    return last ? end + last.index + last[0].length : -1;
  }
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  const total = end + 4 + (cl ? Number(cl[1]) : 0);
  return total <= buf.length ? total : -1;
}

async function run(c: Case, start: (text: string, port: number) => Promise<{ port: number; stop(): Promise<void> }>): Promise<string> {
  const log: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = requestEnd(buf); end >= 0; end = requestEnd(buf)) {
        log.push(`server got:\n${buf.slice(0, end)}`);
        buf = buf.slice(end);
        s.write(c.reply, 'latin1');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const proxy = await start(`defaults
    mode http
    timeout connect 1s
    timeout client 3s
    timeout server 2s
frontend web
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2
    default_backend app
backend app
    server s1 127.0.0.1:${(server.address() as net.AddressInfo).port}
`, port);
  try {
    const session = http2.connect(`https://127.0.0.1:${proxy.port}`, { ca: testCa, servername: 'site.home.arpa' });
    session.on('error', () => {});
    const events = await new Promise<string>((resolve) => {
      let got = '';
      const timer = setTimeout(() => resolve(`${got}(no end within 3 s)\n`), 3000);
      const req = session.request({ ':path': '/', ...c.headers }, { waitForTrailers: !!c.trailers, endStream: c.body === undefined && !c.trailers });
      req.on('response', (h) => {
        const shown = Object.entries(h).filter(([k]) => k !== 'date');
        got += `response ${JSON.stringify(Object.fromEntries(shown))}\n`;
      });
      req.on('trailers', (h) => { got += `trailers ${JSON.stringify(h)}\n`; });
      req.on('data', (d: Buffer) => { got += `data ${JSON.stringify(d.toString('latin1'))}\n`; });
      req.on('end', () => { got += 'end\n'; });
      req.on('error', (e) => { got += `error ${e.message}\n`; });
      req.on('close', () => {
        clearTimeout(timer);
        resolve(`${got}closed, reset code ${req.rstCode}\n`);
      });
      req.on('wantTrailers', () => req.sendTrailers(c.trailers!));
      if (c.body !== undefined) req.end(c.body);
      else if (c.trailers) req.end();
    });
    session.destroy();
    log.push(`client got:\n${events}`);
  } finally {
    await proxy.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
  // The Host header carries the listener's port, which changes from run to run.
  return log.join('\n').replace(/site\.home\.arpa:\d+/g, 'site.home.arpa:PORT');
}

/** A transcript as written below: each CRLF is shown as \\r\\n at the end of its line. */
const wire = (text: string): string => text.replace(/\r\n\n/g, '\r\n');

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

const CASES: Case[] = [
  {
    name: 'response trailers reach the h2 client as a HEADERS frame, without the fields HTTP/2 forbids',
    reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: one\r\nX-Other: two\r\nX-Other: three\r\nConnection: x\r\nHost: h\r\nTE: trailers\r\n\r\n',
    headers: {},
    expected: wire(`server got:
GET / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
\r\n

client got:
response {":status":200}
data "ok"
trailers {"x-trailer":"one","x-other":"two, three"}
end
closed, reset code 0
`),
  },
  {
    name: 'a chunked response without trailers, or with forbidden ones only, ends with an empty DATA frame',
    reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nConnection: x\r\nKeep-Alive: 5\r\n\r\n',
    headers: {},
    expected: wire(`server got:
GET / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
\r\n

client got:
response {":status":200}
data "ok"
end
closed, reset code 0
`),
  },
  {
    name: 'request trailers go after the last chunk (no Content-Length: the request goes chunked)',
    reply: OK,
    headers: { ':method': 'POST' },
    body: 'abc',
    trailers: { 'x-req-trailer': 'a', checksum: '1' },
    expected: wire(`server got:
POST / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
transfer-encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
x-req-trailer: a\r\n
checksum: 1\r\n
\r\n

client got:
response {":status":200,"content-length":"2"}
data "ok"
end
closed, reset code 0
`),
  },
  {
    name: 'request trailers with no body: a last chunk and the trailers',
    reply: OK,
    headers: { ':method': 'POST' },
    trailers: { 'x-req-trailer': 'a' },
    expected: wire(`server got:
POST / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
transfer-encoding: chunked\r\n
\r\n
0\r\n
x-req-trailer: a\r\n
\r\n

client got:
response {":status":200,"content-length":"2"}
data "ok"
end
closed, reset code 0
`),
  },
  {
    name: 'request trailers are dropped when the request has a Content-Length',
    reply: OK,
    headers: { ':method': 'POST', 'content-length': '3' },
    body: 'abc',
    trailers: { 'x-req-trailer': 'a' },
    expected: wire(`server got:
POST / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
content-length: 3\r\n
\r\n
abc
client got:
response {":status":200,"content-length":"2"}
data "ok"
end
closed, reset code 0
`),
  },
  {
    name: 'te: trailers goes on; a 204 answered chunked ends at the head',
    reply: 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n',
    headers: { te: 'trailers' },
    expected: wire(`server got:
GET / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
te: trailers\r\n
\r\n

client got:
response {":status":204}
end
closed, reset code 0
`),
  },
  {
    name: 'HEAD answered chunked',
    reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
    headers: { ':method': 'HEAD' },
    expected: wire(`server got:
HEAD / HTTP/1.1\r\n
host: site.home.arpa:PORT\r\n
\r\n

client got:
response {":status":200}
end
closed, reset code 0
`),
  },
];

/** For recording: LOADSTAR_RECORD=1 imports this file without running it. */
export { CASES, run };

for (const c of process.env.LOADSTAR_RECORD ? [] : CASES) {
  test(`as HAProxy 2.6: ${c.name}`, async () => {
    assert.equal(await run(c, async (text) => startEngine(text)), c.expected);
  });
}

test('the recorded h2 exchanges are still what HAProxy 2.6 does', { skip: !!process.env.LOADSTAR_RECORD }, async (t) => {
  if (!requireHaproxy(t)) return;
  for (const c of CASES) {
    const got = await run(c, async (text, port) => ({ port, ...(await startHaproxy(text, port)) }));
    assert.equal(got, c.expected, c.name);
  }
});
