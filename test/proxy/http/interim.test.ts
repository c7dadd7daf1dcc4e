/**
 * Interim (1xx) responses from servers: relayed to HTTP/1.1 clients, dropped for
 * HTTP/1.0 ones (RFC 9110 §15.2 — stricter than HAProxy 2.6, which relays them),
 * and the exchange goes on waiting for the final response. A `100 Continue` once
 * took the whole process down (issue #10).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startNamedServer, startRawServer, startEngine, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

async function engineTo(port: number) {
  return startEngine(`${HTTP_DEFAULTS}
frontend web
    bind 127.0.0.1:${await freePort()}
    default_backend app
backend app
    server s1 127.0.0.1:${port}
`);
}

/** An origin that echoes the request body (node:http answers `Expect: 100-continue` with a 100 by itself). */
function echoOrigin() {
  return startNamedServer('echo', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`got:${Buffer.concat(chunks).toString()}`));
  });
}

/** A raw client: writes, reads until `until` matches what arrived (bounded by time). */
class RawClient {
  readonly socket: net.Socket;
  received = '';
  closed = false;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
  }
  async waitFor(pattern: RegExp, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.received)) {
      if (Date.now() > deadline || this.closed) throw new Error(`expected ${pattern}, got ${JSON.stringify(this.received)} (closed: ${this.closed})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

test('a 100 Continue before the final response is relayed and the body sent with the head reaches the server', async () => {
  const origin = await echoOrigin();
  const e = await engineTo(origin.port);
  try {
    const client = new RawClient(e.port);
    client.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello');
    await client.waitFor(/got:hello$/);
    assert.match(client.received, /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    client.socket.destroy();
    // The engine is still there for the next client.
    assert.equal((await request(e.port)).body, 'got:');
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('a client that waits for 100 Continue before sending its body gets its answer', async () => {
  const origin = await echoOrigin();
  const e = await engineTo(origin.port);
  try {
    const client = new RawClient(e.port);
    client.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await client.waitFor(/^HTTP\/1.1 100 Continue\r\n\r\n$/);
    client.socket.write('later');
    await client.waitFor(/got:later$/);
    assert.match(client.received, /\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    // The connection stays usable for the next request.
    client.received = '';
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor(/got:$/);
    client.socket.destroy();
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('node:http clients using Expect: 100-continue get the final response', async () => {
  const origin = await echoOrigin();
  const e = await engineTo(origin.port);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: e.port, method: 'PUT', path: '/', agent: false, headers: { expect: '100-continue', 'content-length': 4 } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('continue', () => req.end('data'));
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('no answer')));
    });
    assert.equal(body, 'got:data');
  } finally {
    await e.stop();
    await origin.close();
  }
});

test('several interim responses (100, 103 Early Hints) are relayed in order before the final one', async () => {
  const server = await startRawServer((s) => {
    s.once('data', () => {
      s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\ndone'), 20);
    });
  });
  const e = await engineTo(server.port);
  try {
    const client = new RawClient(e.port);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor(/done$/);
    // Header names in lower case, as HAProxy 2.6 relays them (checked with haproxy 2.6.12).
    assert.match(client.received, /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 103 Early Hints\r\nlink: <\/style.css>; rel=preload\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    client.socket.destroy();
  } finally {
    await e.stop();
    await server.close();
  }
});

test('an HTTP/1.0 client gets no interim response, only the final one', async () => {
  const server = await startRawServer((s) => {
    s.once('data', () => s.write('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  });
  const e = await engineTo(server.port);
  try {
    const client = new RawClient(e.port);
    client.socket.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    await client.waitFor(/ok$/);
    assert.match(client.received, /^HTTP\/1.1 200 OK\r\n/);
    assert.doesNotMatch(client.received, /103/);
    client.socket.destroy();
  } finally {
    await e.stop();
    await server.close();
  }
});

test('a final response that began in the read of a 100 Continue: its body\'s next read is body, not the gap before a response', async () => {
  // The second read begins with a CR that no LF follows, and a line that starts with a space: before a
  // status line they are refused (message-gap.ts), in a body they are bytes like any other. (haproxy
  // 2.6.12 relays the first two body bytes here and then nothing, with any body: a stall of its own.)
  const body = 'ab\rcd\n ef';
  const server = await startRawServer((s) => {
    s.on('data', () => {
      s.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 2)}`);
      setTimeout(() => s.write(body.slice(2)), 30);
    });
  });
  const e = await engineTo(server.port);
  try {
    const client = new RawClient(e.port);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor(/ef$/);
    assert.match(client.received, /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    assert.ok(client.received.endsWith(`\r\n\r\n${body}`), JSON.stringify(client.received));
    // The server connection is still good for the next request.
    client.received = '';
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor(/ef$/);
    client.socket.destroy();
  } finally {
    await e.stop();
    await server.close();
  }
});
