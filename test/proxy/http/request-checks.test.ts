/**
 * Request targets HAProxy 2.6.12 normalizes or refuses before anything else sees them
 * (proxy/http/request-checks.ts), side by side: a CONNECT target without a port (400), the
 * default port of a CONNECT's Host, and the scheme-based normalization of an absolute-form target
 * (`https://a:443/` is `https://a/`, its Host `a`), which rules, the log and the server all see.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startRawServer, rawExchange } from '../../helpers/net.ts';
import { sideBySide } from './lib/side-by-side.ts';
import { requestLimits, requestRefusal } from '../../../proxy/http/request-checks.ts';
import type { Config } from '../../../proxy/config/model.ts';

/** An origin answering each request with the head it received (names as they came), then closing. */
async function headEcho(): Promise<{ port: number; close(): Promise<void> }> {
  return startRawServer((s: net.Socket) => {
    s.on('error', () => {});
    s.once('data', (d: Buffer) => {
      const head = d.toString('latin1');
      s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${head.length}\r\nconnection: close\r\n\r\n${head}`);
    });
  });
}

/** What the client got: the status line and, for a 200, the head the server received (lines joined with '|'). */
function seen(answer: string): string {
  const status = answer.slice(0, answer.indexOf('\r\n'));
  if (!status.includes(' 200 ')) return status;
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return `${status} <- ${body.split('\r\n').filter((l) => l !== '').map((l) => l.toLowerCase().startsWith('x-forwarded') ? '' : l).filter((l) => l !== '').join('|')}`;
}

const CASES: Array<[request: string, expected: string]> = [
  // RFC 9112 §3.2.3: a CONNECT target is host:port.
  ['CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n', 'HTTP/1.1 400 Bad request'],
  ['CONNECT a: HTTP/1.1\r\nHost: a\r\n\r\n', 'HTTP/1.1 400 Bad request'],
  ['CONNECT a:https HTTP/1.1\r\n\r\n', 'HTTP/1.1 400 Bad request'],
  ['CONNECT [::1] HTTP/1.1\r\n\r\n', 'HTTP/1.1 400 Bad request'],
  // The Host of a CONNECT to a default port loses it; another port stays.
  ['CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n', 'HTTP/1.1 200 OK <- CONNECT a:443 HTTP/1.1|host: a'],
  ['CONNECT a:8443 HTTP/1.1\r\nHost: a:8443\r\n\r\n', 'HTTP/1.1 200 OK <- CONNECT a:8443 HTTP/1.1|host: a:8443'],
  // Scheme-based normalization: the scheme's default port goes from the target and from every Host.
  ['GET https://A:443 HTTP/1.1\r\nHost: A:443\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET https://A HTTP/1.1|host: A'],
  ['GET HTTP://a:80/p?q=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET HTTP://a/p?q=1 HTTP/1.1|host: a'],
  ['GET http://[::1]:80/ HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET http://[::1]/ HTTP/1.1|host: [::1]'],
  // An empty port (`a:`) goes as the default one does.
  ['GET http://a:/x HTTP/1.1\r\nHost: a:\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET http://a/x HTTP/1.1|host: a'],
  ['GET https://a:/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET https://a/ HTTP/1.1|host: a'],
  // A userinfo stays in the target; the Host is the host alone.
  ['GET http://u@a:80/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET http://u@a/ HTTP/1.1|host: a'],
  // Not the scheme's default port (or not written as it): as received.
  ['GET http://a:443/ HTTP/1.1\r\nHost: a:443\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET http://a:443/ HTTP/1.1|host: a:443'],
  ['GET http://a:080/ HTTP/1.1\r\nHost: a:080\r\nConnection: close\r\n\r\n', 'HTTP/1.1 200 OK <- GET http://a:080/ HTTP/1.1|host: a:080'],
];

test('CONNECT targets without a port are refused and absolute-form targets lose their default port, as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const origin = await headEcho();
  try {
    await sideBySide(t, (port) => `defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`, async (port) => {
      const got: string[] = [];
      // A CONNECT answered 200 is a tunnel: the answer is read as it comes, not at the close.
      for (const [request] of CASES) got.push(seen(await rawExchange(port, request, 400)));
      assert.deepEqual(got, CASES.map(([, expected]) => expected));
    });
  } finally {
    await origin.close();
  }
});

test('an HTTP/2 request\'s :authority loses its scheme\'s default port on its way to the server, as haproxy 2.6.12 normalizes it (proxy/http/h2.ts)', { timeout: 60_000 }, async (t) => {
  const origin = await headEcho();
  const http2 = await import('node:http2');
  try {
    await sideBySide(t, (port) => `defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
frontend fe
    bind 127.0.0.1:${port} proto h2
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`, async (port) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      const get = (authority: string, scheme: string): Promise<string> => new Promise((resolve) => {
        const req = session.request({ ':path': '/p', ':authority': authority, ':scheme': scheme });
        let body = '';
        req.setEncoding('latin1');
        req.on('data', (d: string) => (body += d));
        req.on('close', () => resolve(/^host: (.*)$/m.exec(body.replace(/\r/g, ''))?.[1] ?? `no host in ${JSON.stringify(body)}`));
        req.end();
      });
      const hosts = [await get('a:80', 'http'), await get('a:443', 'https'), await get('a:443', 'http'), await get('a:8080', 'http'), await get('[::1]:80', 'http')];
      session.close();
      assert.deepEqual(hosts, ['a', 'a', 'a:443', 'a:8080', '[::1]']);
    });
  } finally {
    await origin.close();
  }
});

test('an HTTP/1.0 GET, HEAD or DELETE with a body is refused with 413 unless h1-accept-payload-with-any-method; HTTP/1.1, POST and empty bodies go on', () => {
  const head = (method: string, minor: number, headers: string[]) => ({ method, url: '/', versionMajor: 1, versionMinor: minor, headers, keepAlive: false, upgrade: false });
  const strict = requestLimits({ tune: {} } as unknown as Config['global']);
  const lenient = requestLimits({ tune: {}, h1AcceptPayloadWithAnyMethod: true } as unknown as Config['global']);
  const cl = ['host', 'x', 'content-length', '3'];
  const te = ['host', 'x', 'transfer-encoding', 'chunked'];
  assert.deepEqual(['GET', 'HEAD', 'DELETE'].map((m) => requestRefusal(head(m, 0, [...cl]), strict)), [413, 413, 413]);
  assert.equal(requestRefusal(head('DELETE', 0, [...te]), strict), 413);
  assert.equal(requestRefusal(head('GET', 0, [...cl]), lenient), 0);
  assert.equal(requestRefusal(head('GET', 1, [...cl]), strict), 0);
  assert.equal(requestRefusal(head('POST', 0, [...cl]), strict), 0);
  assert.equal(requestRefusal(head('GET', 0, ['host', 'x', 'content-length', '0']), strict), 0);
});
