/**
 * A pipelined request's timers count from when the request before it was answered, as haproxy
 * 2.6.12's H1 mux creates its stream only then: its %Tw is not the time it sat behind the other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startNamedServer, waitFor } from '../../helpers/net.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { sideBySide } from './lib/side-by-side.ts';

/** Each answer takes this long: a request behind another waits about as long. */
const SERVER_MS = 400;

test('a pipelined request\'s %Tw and %Ta start when the request before it is answered', async (t) => {
  const origin = await startNamedServer('origin', (req, res) => {
    req.resume();
    setTimeout(() => res.end('ok'), SERVER_MS);
  });
  try {
    await sideBySide(t, (port) => `${loggedHttpHead()}listen l
    bind 127.0.0.1:${port}
    log-format "%HP Tw=%Tw Ta=%Ta"
    server s1 127.0.0.1:${origin.port}
`, async (port, proxy) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n'));
      s.on('error', () => {});
      try {
        const lines = () => proxy.logs().filter((l) => /^\/\d Tw=/.test(l));
        await waitFor('three log lines', () => lines().length === 3, 10_000);
        for (const line of lines()) {
          const [, path, tw, ta] = /^(\/\d) Tw=(\d+) Ta=(\d+)$/.exec(line)!;
          // Waiting behind the one before it would show as ~SERVER_MS of Tw and ~2 × SERVER_MS of Ta.
          assert.ok(Number(tw) < SERVER_MS / 2, `${path}: ${line}`);
          assert.ok(Number(ta) < SERVER_MS * 1.5, `${path}: ${line}`);
        }
      } finally {
        s.destroy();
      }
    });
  } finally {
    await origin.close();
  }
});
