/**
 * A CONNECT request forwarded to a server (HTTP mode): a 2xx answer opens a tunnel both ways, as
 * HAProxy 2.6's H1 mux does (the answer relayed as the server wrote it, no Connection header added,
 * a Content-Length: 0 kept and not read as the end of an HTTP message); any other answer is an
 * answer. Side by side with haproxy when installed. Only 127.0.0.1 is used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { oneBackend } from './lib/one-backend.ts';

/** An origin answering a CONNECT with `answer`, then echoing what comes after as `echo:<bytes>`. */
async function connectOrigin(answer: string): Promise<{ port: number; heads: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let head = '';
    let tunnel = false;
    s.on('data', (d: Buffer) => {
      if (tunnel) return void s.write(`echo:${d.toString('latin1')}`);
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      heads.push(head.slice(0, end + 4));
      tunnel = answer.startsWith('HTTP/1.1 2');
      s.write(answer);
      if (!tunnel) s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    heads,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** CONNECT, then (once the answer is in) `tunnelled`; everything the client got back until `waitMs` after. */
function connectThrough(port: number, tunnelled: string, waitMs = 400): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    let sent = false;
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!sent && got.includes('\r\n\r\n')) {
        sent = true;
        c.write(tunnelled);
        setTimeout(() => c.destroy(), waitMs);
      }
    });
    c.on('error', () => {});
    c.on('close', () => resolve(got));
    c.write('CONNECT backend.test:443 HTTP/1.1\r\nHost: backend.test:443\r\n\r\n');
    setTimeout(() => c.destroy(), 3000);
  });
}

const config = (originPort: number) => oneBackend(originPort);

for (const [name, answer, expected] of [
  ['a 200 without fields', 'HTTP/1.1 200 Connection established\r\n\r\n', 'HTTP/1.1 200 Connection established\r\n\r\necho:tunnel bytes'],
  ['a 200 with Content-Length: 0', 'HTTP/1.1 200 Connection established\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 200 Connection established\r\ncontent-length: 0\r\n\r\necho:tunnel bytes'],
] as const) {
  test(`CONNECT answered with ${name} opens a tunnel both ways, as in haproxy`, async (t) => {
    const origin = await connectOrigin(answer);
    try {
      await sideBySide(t, config(origin.port), async (port) => {
        origin.heads.length = 0;
        assert.equal(await connectThrough(port, 'tunnel bytes'), expected);
        assert.deepEqual(origin.heads, ['CONNECT backend.test:443 HTTP/1.1\r\nhost: backend.test\r\n\r\n']);
      });
    } finally {
      await origin.close();
    }
  });
}

test('CONNECT answered with a 403 is an answer: no tunnel', async (t) => {
  const origin = await connectOrigin('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno');
  try {
    await sideBySide(t, config(origin.port), async (port) => {
      const got = await connectThrough(port, 'tunnel bytes');
      assert.match(got, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.ok(!got.includes('echo:'), got);
    });
  } finally {
    await origin.close();
  }
});
