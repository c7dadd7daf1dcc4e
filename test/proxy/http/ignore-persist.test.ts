/**
 * `ignore-persist` side by side with haproxy 2.6.12: a request matching the condition does not
 * follow its persistence cookie (the balancer picks, the log's cookie flag says U), and its
 * response gets no persistence cookie; other requests persist as usual.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from './lib/side-by-side.ts';
import { startRawServer } from '../../helpers/net.ts';
import { until } from '../stats/helpers.ts';

function get(port: number, path: string, cookie?: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (d) => (got += d.toString('latin1')));
    c.on('close', () => {
      const [head = '', body = ''] = got.split('\r\n\r\n');
      const setCookie = head.split('\r\n').filter((l) => /^set-cookie:/i.test(l)).map((l) => l.replace(/^set-cookie:\s*/i, ''));
      resolve(`${head.split(' ')[1]} ${body} ${setCookie.join(',') || '-'}`);
    });
    c.on('error', () => resolve('error'));
    c.write(`GET ${path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n${cookie ? `cookie: ${cookie}\r\n` : ''}\r\n`);
  });
}

test('ignore-persist as haproxy 2.6.12: the cookie is not followed, logged U, and no cookie is set in the response', { timeout: 60_000 }, async (t) => {
  const origins = await Promise.all(['one', 'two'].map((name) => startRawServer((socket) => {
    socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`));
  })));
  const results: Array<{ answers: string[]; logs: string[] }> = [];
  try {
    await sideBySide(t, (port) => `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    log-format "%s %tsc %HP"
    default_backend b
backend b
    balance roundrobin
    cookie SRV insert indirect nocache
    acl static path_beg /static
    ignore-persist if static
    server s1 127.0.0.1:${origins[0]!.port} cookie a
    server s2 127.0.0.1:${origins[1]!.port} cookie b
`, async (port, proxy) => {
      const answers = [
        await get(port, '/app', 'SRV=b'),
        await get(port, '/static/x', 'SRV=b'),
        await get(port, '/static/y', 'SRV=b'),
        await get(port, '/static/z'),
        await get(port, '/app'),
      ];
      await until('five log lines', () => proxy.logs().filter((l) => l.startsWith('s')).length >= 5, 3000);
      results.push({ answers, logs: proxy.logs().filter((l) => l.startsWith('s')) });
    });
  } finally {
    await Promise.all(origins.map((o) => o.close()));
  }
  const [loadstar, haproxy] = results;
  assert.equal(loadstar!.answers[0], '200 two -', 'the cookie is followed');
  assert.ok(loadstar!.logs.some((l) => l.includes(' --U')), loadstar!.logs.join('\n'));
  assert.ok(loadstar!.answers.slice(1, 4).every((a) => a.endsWith(' -')), `no cookie set on ignored requests: ${loadstar!.answers.join(' | ')}`);
  if (haproxy) assert.deepEqual(loadstar, haproxy);
});
