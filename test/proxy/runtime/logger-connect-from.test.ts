/**
 * A proxy with log targets but no log format (proxy/runtime/logger.ts connectFrom): HAProxy 2.6
 * logs "Connect from <src>:<port> to <dst>:<port> (<frontend>/<mode>)" for each new stream — each
 * TCP session, each HTTP request — and nothing at their end. Side by side with haproxy 2.6.12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide, requests, linesLogged } from '../http/lib/side-by-side.ts';
import { startRawServer } from '../../helpers/net.ts';

const config = (mode: 'http' | 'tcp', origin: number, logFormat = '') => (port: number) => `global
    log stdout format raw local0
defaults
    log global
    mode ${mode}
${logFormat}    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

/** The lines with the client's port masked (it differs between the two runs). */
const masked = (lines: string[]) => lines.map((l) => l.replace(/^Connect from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ /, 'Connect from 127.0.0.1:P to 127.0.0.1:F '));

test('HTTP: a line per request (two on one kept-alive connection), none for a request refused by the parser', { timeout: 30_000 }, async (t) => {
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  try {
    await sideBySide(t, config('http', origin.port), async (port, proxy) => {
      assert.deepEqual(await requests(port, '/a', '/b'), ['200 ok', '200 ok', 'open']);
      await garbage(port);
      const lines = masked(await linesLogged(proxy, 2));
      assert.deepEqual(lines, ['Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)', 'Connect from 127.0.0.1:P to 127.0.0.1:F (fe/HTTP)']);
      // The same client port for both: one connection, two streams.
      const ports = (await linesLogged(proxy, 2)).map((l) => /:(\d+) to/.exec(l)?.[1]);
      assert.equal(ports[0], ports[1]);
    });
  } finally {
    await origin.close();
  }
});

test('TCP: a line per session, at its start', { timeout: 30_000 }, async (t) => {
  const origin = await startRawServer((socket) => socket.on('data', (d) => socket.end(d)));
  try {
    await sideBySide(t, config('tcp', origin.port), async (port, proxy) => {
      // The helper's probe connection made the first session (and line).
      const before = (await linesLogged(proxy, 1)).length;
      await echo(port);
      const lines = masked(await linesLogged(proxy, before + 1));
      assert.equal(lines.length, before + 1);
      assert.equal(lines.at(-1), 'Connect from 127.0.0.1:P to 127.0.0.1:F (fe/TCP)');
    });
  } finally {
    await origin.close();
  }
});

test('with a log format, the usual end-of-stream line and no Connect line', { timeout: 30_000 }, async (t) => {
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  try {
    await sideBySide(t, config('http', origin.port, '    option httplog\n'), async (port, proxy) => {
      await requests(port, '/a');
      // The helper's probe (a connection closed empty) has its line too: wait for the request's.
      let lines: string[] = [];
      for (let i = 0; i < 50 && !lines.some((l) => l.includes('"GET /a')); i++) lines = await linesLogged(proxy, lines.length + 1);
      assert.match(lines.at(-1)!, /"GET \/a HTTP\/1\.1"$/);
      assert.ok(!lines.some((l) => l.startsWith('Connect')), lines.join('\n'));
    });
  } finally {
    await origin.close();
  }
});

function garbage(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GARBAGE\r\n\r\n'));
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

function echo(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('ping'));
    s.on('data', () => s.end());
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}
