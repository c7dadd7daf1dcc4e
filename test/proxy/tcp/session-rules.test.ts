/**
 * `tcp-request session` rules of a TCP-mode frontend side by side with HAProxy
 * 2.6.12: they track the connection and set sess.* variables that content
 * rules and the log read, and a refused connection is closed before any byte,
 * unlogged. Recorded from haproxy, then replayed against it when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer } from '../../helpers/net.ts';
import { sideBySide, linesLogged } from '../http/lib/side-by-side.ts';

const config = (origin: number) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    log-format "%ci %b %[var(sess.tag)] %ts"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen tcp_in
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store conn_cnt,sess_cnt
    tcp-request session track-sc0 src
    tcp-request session set-var(sess.tag) str(tagged)
    tcp-request session reject if { sc_sess_cnt(0) gt 2 }
    server s1 127.0.0.1:${origin}
`;

/** One connection: the server's greeting, or nothing when the proxy closed it first ('reset' if it reset it). */
function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === 'hi') s.end();
    });
    s.on('error', () => resolve(`${got}reset`));
    s.on('close', () => resolve(got));
  });
}

test('tcp-request session rules in a TCP frontend track the connection, set sess.* variables and refuse over a count, as in HAProxy', async (t) => {
  const origin = await startRawServer((s) => {
    s.write('hi');
    s.on('end', () => s.end());
  });
  try {
    await sideBySide(t, config(origin.port), async (port, proxy) => {
      // The probe connection counted as the first session of 127.0.0.1.
      const seen = [await connect(port), await connect(port), await connect(port)];
      // Recorded from haproxy 2.6.12: the refused connection is closed (a FIN: the client had sent nothing).
      assert.deepEqual(seen, ['hi', 'hi', '']);
      await new Promise((r) => setTimeout(r, 200));
      const lines = (await linesLogged(proxy, 3)).filter((l) => l.includes(' tagged '));
      assert.equal(lines.length, 3); // the probe's line and the two served connections; the refused one is not logged
    });
  } finally {
    await origin.close();
  }
});
