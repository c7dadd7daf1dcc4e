/**
 * HTTP request fetches in a `mode tcp` proxy read the request head held by content inspection
 * (HAProxy 2.6's smp_prefetch_htx in RAW mode): `path`, `hdr(host)`… route and reject before any
 * HTTP stream exists, and content rules wait within the inspect-delay for a head not complete yet.
 * Side by side with real HAProxy (haproxy 2.6.12 answered as recorded below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rawRequest } from '../../../proxy/tcp/raw-request.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { rawClient } from '../http/lib/raw-client.ts';

const CRLF = (s: string): string => s.replace(/\n/g, '\r\n');
const bytes = (s: string): Buffer => Buffer.from(CRLF(s), 'latin1');

test('rawRequest: a complete head is parsed (method, target, version, fields in order), the body is not read', () => {
  const r = rawRequest(bytes('POST /a?b=1 HTTP/1.1\nHost: x\nX-A: 1\nX-A: 2\nContent-Length: 3\n\nabc'));
  assert.ok(r && r !== 'short');
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/a?b=1');
  assert.equal(r.version, '1.1');
  assert.deepEqual(r.rawHeaders, ['Host', 'x', 'X-A', '1', 'X-A', '2', 'Content-Length', '3']);
  assert.equal(r.raw, true);
  assert.equal(r.body, undefined);
});

test('rawRequest: short while the head may still complete, nothing for what is not HTTP or cannot grow', () => {
  assert.equal(rawRequest(new Uint8Array(0)), 'short');
  assert.equal(rawRequest(bytes('GET / HTT')), 'short');
  assert.equal(rawRequest(bytes('GET / HTTP/1.1\nHost: x\n')), 'short');
  assert.equal(rawRequest(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])), undefined);
  assert.equal(rawRequest(bytes('GET / HTTP/1.1\nBad Header: x\n\n')), undefined);
  // A head as long as HAProxy's buffer can hold, still unfinished: it can never complete.
  assert.equal(rawRequest(bytes(`GET / HTTP/1.1\nX: ${'a'.repeat(16000)}`)), undefined);
});

test('rawRequest: a head of more than 32 fields keeps them all, in order (llhttp hands them over in batches)', () => {
  const fields = Array.from({ length: 40 }, (_, i) => `X-${i}: ${i}`).join('\n');
  const r = rawRequest(bytes(`GET / HTTP/1.0\n${fields}\n\n`));
  assert.ok(r && r !== 'short');
  assert.equal(r.rawHeaders.length, 80);
  assert.deepEqual(r.rawHeaders.slice(62, 64), ['X-31', '31']);
  assert.deepEqual(r.rawHeaders.slice(78), ['X-39', '39']);
  assert.equal(r.version, '1.0');
});

/** Servers that answer any request with their name, then close. */
async function named(names: readonly string[]): Promise<{ ports: number[]; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const servers = await Promise.all(names.map((name) => new Promise<net.Server>((resolve) => {
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.once('data', () => s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`));
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

const HEAD = `defaults
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

const answer = (name: string): string => `client got (closed):\n${CRLF(`HTTP/1.1 200 OK\ncontent-length: ${name.length}\nconnection: close\n\n`)}${name}`;

test('a TCP frontend routes on path and hdr(host) of the held head, waiting for a head sent in pieces', async (t) => {
  const servers = await named(['api', 'host', 'web']);
  try {
    const [api, host, web] = servers.ports;
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 2s
    tcp-request content accept if HTTP
    use_backend api if { path_beg /api }
    use_backend host if { req.hdr(host) -i foo.local }
    default_backend web
backend api
    mode tcp
    server s 127.0.0.1:${api}
backend host
    mode tcp
    server s 127.0.0.1:${host}
backend web
    mode tcp
    server s 127.0.0.1:${web}
`;
    const seen: string[][] = [];
    await sideBySide(t, config, async (port) => {
      seen.push([
        await rawClient(port, ['GET /api/v1 HTT', 150, CRLF('P/1.1\nHost: x\n'), 150, '\r\n'], 1500),
        await rawClient(port, [CRLF('GET / HTTP/1.1\n'), 150, CRLF('host: FOO.local\n\n')], 1500),
        await rawClient(port, [CRLF('GET /apiary HTTP/1.1\nHost: bar\n\n')], 1500),
        await rawClient(port, [CRLF('GET /x HTTP/1.1\nHost: bar\n\n')], 1500),
      ]);
    });
    for (const s of seen) assert.deepEqual(s, [answer('api'), answer('host'), answer('api'), answer('web')]);
  } finally {
    await servers.close();
  }
});

test('a content rule on a header waits within the inspect-delay for the rest of the head (no accept rule needed)', async (t) => {
  const servers = await named(['web']);
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 2s
    tcp-request content reject if { req.hdr(x-block) -m found }
    tcp-request content reject if { method DELETE }
    default_backend web
backend web
    mode tcp
    server s 127.0.0.1:${servers.ports[0]}
`;
    const seen: string[][] = [];
    await sideBySide(t, config, async (port) => {
      seen.push([
        await rawClient(port, [CRLF('GET / HTTP/1.1\nHost: x\n'), 200, CRLF('X-Block: 1\n\n')], 1500),
        await rawClient(port, ['DEL', 200, CRLF('ETE / HTTP/1.1\nHost: x\n\n')], 1500),
        await rawClient(port, [CRLF('GET / HTTP/1.1\nHost: x\n'), 200, CRLF('X-Fine: 1\n\n')], 1500),
        // Not HTTP: the fetches find nothing at once, nothing to wait for.
        await rawClient(port, ['\x16\x03\x01 not http\r\n\r\n'], 1500),
      ]);
    });
    for (const s of seen) assert.deepEqual(s, ['client got (closed):\n', 'client got (closed):\n', answer('web'), answer('web')]);
  } finally {
    await servers.close();
  }
});

test('an implicit TCP→HTTP upgrade routes the first request on its path, as later ones', async (t) => {
  const servers = await named(['one', 'two']);
  try {
    const config = (port: number): string => `${HEAD}
frontend f
    mode tcp
    bind 127.0.0.1:${port}
    tcp-request inspect-delay 2s
    tcp-request content accept if HTTP
    use_backend b2 if { path /two }
    default_backend b1
backend b1
    mode http
    server s 127.0.0.1:${servers.ports[0]}
backend b2
    mode http
    server s 127.0.0.1:${servers.ports[1]}
`;
    const seen: string[] = [];
    await sideBySide(t, config, async (port) => {
      seen.push(await rawClient(port, [CRLF('GET /two HTTP/1.1\nHost: x\n\n')], 1500));
    });
    // HTTP mode: the connection stays open, the server's `connection: close` is its own hop's.
    for (const s of seen) assert.equal(s, `client got (still open):\n${CRLF('HTTP/1.1 200 OK\ncontent-length: 3\n\n')}two`);
  } finally {
    await servers.close();
  }
});
