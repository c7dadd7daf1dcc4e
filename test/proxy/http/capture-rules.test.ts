/**
 * `declare capture`, `http-request capture <sample> len|id` and `http-response
 * capture <sample> id` side by side with HAProxy 2.6.12, alongside `capture
 * request|response header`: slots numbered in declaration order, values cut to
 * the slot's length, shown in %hr / %hs and read by capture.req.hdr /
 * capture.res.hdr. Recorded from haproxy, then replayed against it when it is
 * installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRawServer } from '../../helpers/net.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import net from 'node:net';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';

const config = (origin: number) => (port: number): string => `${loggedHttpHead()}    option httplog
frontend web
    bind 127.0.0.1:${port}
    declare capture request len 4
    capture request header host len 10
    http-request capture path len 5
    declare capture response len 20
    http-request capture req.hdr(x-a) id 0
    http-response capture res.hdr(x-s) id 0
    capture response header x-s len 3
    http-request set-var(txn.x) capture.req.hdr(2)
    http-response set-header x-cap "%[capture.req.hdr(0)] %[capture.req.hdr(1)] %[capture.req.hdr(2)] %[capture.res.hdr(0)] %[capture.res.hdr(1)] %[var(txn.x)]"
    default_backend app
backend app
    server s1 127.0.0.1:${origin}
`;

test('capture rules fill the declared slots in order, as in HAProxy', async (t) => {
  const origin = await startRawServer((s) => {
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-s: 1234567\r\n\r\nhello'));
  });
  try {
    await sideBySide(t, config(origin.port), async (port, proxy) => {
      const a = await rawGet(port, 'GET /abcdefgh HTTP/1.1\r\nhost: example.com:8080\r\nx-a: valueA\r\n\r\n');
      const b = await rawGet(port, 'GET /p HTTP/1.1\r\nhost: x\r\n\r\n');
      // Recorded from haproxy 2.6.12.
      assert.deepEqual([a, b], ['valu example.co /abcd 1234567 123 /abcd', ' x /p 1234567 123 /p']);
      const lines = (await linesLogged(proxy, 4)).slice(-2).map((l) => l.slice(l.indexOf(' {')));
      assert.deepEqual(lines, [' {valu|example.co|/abcd} {1234567|123} "GET /abcdefgh HTTP/1.1"', ' {|x|/p} {1234567|123} "GET /p HTTP/1.1"']);
    });
  } finally {
    await origin.close();
  }
});

/** One request on its own connection: the answer's x-cap header. */
function rawGet(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let received = '';
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (!received.endsWith('hello')) return;
      s.destroy();
      resolve(/\r\nx-cap: ([^\r]*)\r\n/.exec(received)?.[1] ?? received);
    });
    s.on('error', () => resolve(received));
  });
}

test('capture … len is refused where HAProxy 2.6 refuses it, with its messages', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
  const alerts = (text: string): string[] => parseConfig([{ name: 'x.cfg', text: head + text }]).diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
  assert.deepEqual(alerts('backend b\n    http-request capture req.hdr(host) len 10\n    server s 127.0.0.1:1\n'), [`error detected in backend 'b' while parsing 'http-request capture' rule : proxy 'b' has no frontend capability.`]);
  assert.deepEqual(alerts('frontend f\n    bind 127.0.0.1:1\n    http-response capture res.hdr(host) len 10\n'), [`error detected in frontend 'f' while parsing 'http-response capture' rule : expects 'id', found 'len'.`]);
});

test('a named defaults section\'s capture … len rules declare the first slots of each frontend that inherits them (http-rules/default_rules.vtc)', async (t) => {
  await sideBySide(t, (port) => `global
    log stdout format raw local0
defaults base-http
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    http-request capture hdr(Host) len 64
    http-request capture hdr(x-req-1) len 32
frontend fe1 from base-http
    bind 127.0.0.1:${port}
    declare capture request len 32
    http-request capture hdr(x-req-2) id 2
    http-request capture hdr(x-req-3) len 8
    http-request return status 200 hdr x-cap "%[capture.req.hdr(0)] %[capture.req.hdr(1)] %[capture.req.hdr(2)] %[capture.req.hdr(3)]" hdr x-hr "%hr"
`, async (port) => {
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: h.test\r\nx-req-1: one\r\nx-req-2: two\r\nx-req-3: threeeeeeeeee\r\nconnection: close\r\n\r\n'));
      let received = '';
      s.on('data', (d: Buffer) => (received += d.toString('latin1')));
      s.on('close', () => resolve(received));
      s.on('error', () => resolve(received));
    });
    // Recorded from haproxy 2.6.12.
    assert.match(answer, /\r\nx-cap: h\.test one two threeeee\r\n/);
    assert.match(answer, /\r\nx-hr: \{h\.test\|one\|two\|threeeee\}\r\n/);
  });
});

test('who may inherit a defaults section\'s rules and captures, with HAProxy 2.6\'s messages', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const head = (rules: string) => `defaults d\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n${rules}`;
  const alerts = (text: string): string[] => parseConfig([{ name: 'x.cfg', text }]).diagnostics.filter((d) => d.severity === 'alert').map((d) => `${d.line}: ${d.message}`);
  // Recorded from haproxy 2.6.12 -c.
  assert.deepEqual(alerts(head('    http-request capture hdr(host) len 10\n') + 'frontend f from d\n    bind 127.0.0.1:1\nbackend b from d\n    server s 127.0.0.1:1\n'), [
    '9: frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at x.cfg:1).',
    '9: backend or defaults sections cannot inherit from a defaults section defining capptures (defaults section at x.cfg:1).',
  ]);
  assert.deepEqual(alerts(head('    http-request set-header a b\n') + 'defaults d2 from d\n'), ['7: a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at x.cfg:1).']);
  assert.deepEqual(alerts(head('    http-request set-header a b\n') + 'listen l from d\n    bind 127.0.0.1:1\n'), ['7: a listen section cannot inherit from a defaults section defining TCP/HTTP rules.']);
  assert.deepEqual(alerts(head('    tcp-request connection accept\n') + 'backend b from d\n    server s 127.0.0.1:1\n'), [`7: a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at x.cfg:1).`]);
  assert.deepEqual(alerts(head('    tcp-response content accept\n') + 'frontend f from d\n    bind 127.0.0.1:1\n'), [`7: a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (defaults section at x.cfg:1).`]);
  // Two frontends may share it.
  assert.deepEqual(alerts(head('    http-request set-header a b\n') + 'frontend f from d\n    bind 127.0.0.1:1\nfrontend g from d\n    bind 127.0.0.1:2\n'), []);
});
