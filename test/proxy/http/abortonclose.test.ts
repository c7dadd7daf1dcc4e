/**
 * `option abortonclose` side by side with haproxy 2.6.12: a client that closes its side (FIN)
 * while its request waits in the queue gives the request up with the option (logged CQ, status
 * -1, <NOSRV>; the server never sees it) and is served without it (HAProxy's HTTP-compliant
 * default: a half-closed client may still read its answer). Recorded from haproxy, then replayed
 * against it when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer } from '../../helpers/net.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { sideBySide, type Proxy } from './lib/side-by-side.ts';

/** Status, termination state, server and request of each `option httplog` line. */
function summary(lines: readonly string[]): string[] {
  return lines.filter((l) => l.includes('"GET /')).map((l) => {
    const f = l.split(' ');
    return `${f[3]} ${f[5]} ${f[9]} ${f.slice(-3).join(' ')}`;
  });
}

/** The summaries once `n` requests are logged (lines of other connections, such as the probe's, do not count). */
async function requestLines(proxy: Proxy, n: number): Promise<string[]> {
  for (let i = 0; i < 150 && summary(proxy.logs()).length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return summary(proxy.logs());
}

for (const option of ['', 'option abortonclose']) {
  test(`a queued request whose client closed its side: ${option || 'served without option abortonclose'}`, async (t) => {
    const seen: string[] = [];
    const origin = await startRawServer((s) => s.on('data', (d: Buffer) => {
      seen.push(d.toString('latin1').split(' ')[1]!);
      setTimeout(() => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'), 600);
    }));
    try {
      await sideBySide(t, (port) => `${loggedHttpHead()}    option httplog
    timeout queue 5s
listen l
    bind 127.0.0.1:${port}
    ${option}
    server s 127.0.0.1:${origin.port} maxconn 1
`, async (port, proxy) => {
        seen.length = 0;
        const answers: string[] = [];
        const first = net.connect(port, '127.0.0.1', () => first.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\n'));
        first.on('data', (d: Buffer) => answers.push(`a ${d.toString('latin1').slice(0, 12)}`));
        first.on('error', () => {});
        for (let i = 0; i < 100 && !seen.includes('/a'); i++) await new Promise((r) => setTimeout(r, 10));
        // The second request queues behind the first (maxconn 1), then its client half-closes.
        const second = net.connect(port, '127.0.0.1', () => second.write('GET /b HTTP/1.1\r\nhost: x\r\n\r\n'));
        second.on('data', (d: Buffer) => answers.push(`b ${d.toString('latin1').slice(0, 12)}`));
        second.on('error', () => {});
        await new Promise((r) => setTimeout(r, 150));
        second.end();
        await new Promise((r) => second.on('close', r));
        for (let i = 0; i < 200 && !answers.some((a) => a.startsWith('a ')); i++) await new Promise((r) => setTimeout(r, 10));
        first.destroy();
        const lines = await requestLines(proxy, 2);
        if (option) {
          assert.deepEqual(answers, ['a HTTP/1.1 200']);
          assert.deepEqual(seen, ['/a']);
          assert.deepEqual(lines.sort(), ['l/<NOSRV> -1 CQ-- "GET /b HTTP/1.1"', 'l/s 200 ---- "GET /a HTTP/1.1"']);
        } else {
          assert.deepEqual(answers.sort(), ['a HTTP/1.1 200', 'b HTTP/1.1 200']);
          assert.deepEqual(seen, ['/a', '/b']);
          assert.deepEqual(lines.sort(), ['l/s 200 ---- "GET /a HTTP/1.1"', 'l/s 200 ---- "GET /b HTTP/1.1"']);
        }
      });
    } finally {
      await origin.close();
    }
  });
}

test('option abortonclose: a queued request whose client reset its connection is given up too (CQ, the server never sees it)', async (t) => {
  const seen: string[] = [];
  const origin = await startRawServer((s) => s.on('data', (d: Buffer) => {
    seen.push(d.toString('latin1').split(' ')[1]!);
    setTimeout(() => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'), 600);
  }));
  try {
    await sideBySide(t, (port) => `${loggedHttpHead()}    option httplog
    timeout queue 5s
listen l
    bind 127.0.0.1:${port}
    option abortonclose
    server s 127.0.0.1:${origin.port} maxconn 1
`, async (port, proxy) => {
      seen.length = 0;
      const first = net.connect(port, '127.0.0.1', () => first.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\n'));
      let answered = false;
      first.on('data', () => (answered = true));
      first.on('error', () => {});
      for (let i = 0; i < 100 && !seen.includes('/a'); i++) await new Promise((r) => setTimeout(r, 10));
      const second = net.connect(port, '127.0.0.1', () => second.write('GET /b HTTP/1.1\r\nhost: x\r\n\r\n'));
      second.on('error', () => {});
      await new Promise((r) => setTimeout(r, 150));
      second.resetAndDestroy();
      for (let i = 0; i < 200 && !answered; i++) await new Promise((r) => setTimeout(r, 10));
      first.destroy();
      const lines = await requestLines(proxy, 2);
      assert.deepEqual(seen, ['/a']);
      assert.deepEqual(lines.sort(), ['l/<NOSRV> -1 CQ-- "GET /b HTTP/1.1"', 'l/s 200 ---- "GET /a HTTP/1.1"']);
    });
  } finally {
    await origin.close();
  }
});
