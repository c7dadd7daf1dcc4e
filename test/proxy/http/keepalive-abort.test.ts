/**
 * A server that closes its connection without answering a request that is not the first of its
 * client connection: HAProxy 2.6 closes the client connection with no answer and no log line
 * (http_wait_for_response's abort_keep_alive), so that the client sends it again, and sends nothing
 * to a server again itself. A first request gets a 502. Side by side with haproxy; 127.0.0.1 only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { linesLogged, sideBySide } from './lib/side-by-side.ts';
import { oneBackend } from './lib/one-backend.ts';

/** Answers the first request of each connection, and closes the connection on the one after without a word. */
async function oneAnswerOrigin(): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    let answered = false;
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        requests.push(buf.slice(0, buf.indexOf(' HTTP/')));
        buf = buf.slice(end + 4);
        if (answered) return void s.end();
        answered = true;
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** `GET /1`, then once its answer is in, `GET /2` on the same connection: what came back, and how it ended. */
function twoInTurn(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'));
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith('ok') && !got.includes('/2')) {
        got += ' | /2 ';
        c.write('GET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
      }
    });
    c.on('end', () => resolve(`${got}| fin`));
    c.on('error', () => resolve(`${got}| reset`));
    setTimeout(() => { c.destroy(); resolve(`${got}| open`); }, 3000);
  });
}

const config = (originPort: number) => oneBackend(originPort, '', `${loggedHttpHead('    option dontlognull\n')}    log-format "%ST %tsc %r"\n`);

test('the second request of a client connection, left unanswered by its server: the client connection closes without an answer, nothing is resent, nothing logged', async (t) => {
  const origin = await oneAnswerOrigin();
  try {
    await sideBySide(t, config(origin.port), async (port, proxy) => {
      origin.requests.length = 0;
      const got = await twoInTurn(port);
      assert.match(got, /^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\n\r\nok \| \/2 \| (fin|reset)$/);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(origin.requests, ['GET /1', 'GET /2'], 'nothing sent again');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await linesLogged(proxy, 1), ['200 ---- GET /1 HTTP/1.1'], 'one log line, the first request\'s');
    });
  } finally {
    await origin.close();
  }
});

test('a first request left unanswered by its server gets a 502 (SH)', async (t) => {
  const origin = await oneAnswerOrigin();
  // Every connection's first request is answered: a backend whose server closes at once stands in for one that never answers.
  const silent = net.createServer((s) => s.on('data', () => s.end()).on('error', () => {}));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    await sideBySide(t, config((silent.address() as net.AddressInfo).port), async (port, proxy) => {
      const got = await twoInTurn(port);
      assert.match(got, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      assert.deepEqual(await linesLogged(proxy, 1), ['502 SH-- GET /1 HTTP/1.1']);
    });
  } finally {
    silent.close();
    await origin.close();
  }
});
