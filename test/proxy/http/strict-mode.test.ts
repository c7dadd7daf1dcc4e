/**
 * `http-request|http-response|http-after-response strict-mode on|off`: accepted and refused as HAProxy
 * 2.6.12 does (its messages recorded here), and an exchange through all three runs as in haproxy.
 * Loadstar's rewrites never fail, so the mode changes nothing it does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../../proxy/config/index.ts';
import { rawExchange } from '../../helpers/net.ts';
import { sideBySide } from './lib/side-by-side.ts';

const HEAD = `defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:1\n`;

const SYNTAX: Array<[string, string]> = [
  ['http-request strict-mode on', ''],
  ['http-response strict-mode off if TRUE', ''],
  ['http-after-response strict-mode off', ''],
  ['http-request strict-mode', `error detected in frontend 'f' while parsing 'http-request strict-mode' rule : expects exactly 1 arguments.`],
  ['http-request strict-mode foo', `error detected in frontend 'f' while parsing 'http-request strict-mode' rule : Unexpected value 'foo'. Only 'on' and 'off' are supported.`],
  ['http-request strict-mode on x', `'http-request strict-mode' expects either 'if' or 'unless' followed by a condition but found 'x'.`],
];

test('strict-mode lines are accepted or refused with HAProxy 2.6\'s messages', () => {
  for (const [line, alert] of SYNTAX) {
    const result = parseConfig([{ name: 'x.cfg', text: `${HEAD}    ${line}\n` }]);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message), alert === '' ? [] : [alert], line);
  }
});

test('an exchange through strict-mode rules is answered as by HAProxy 2.6', async (t) => {
  const origin = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const config = (port: number): string => `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    http-request strict-mode off
    http-request set-header x-a 1
    http-response strict-mode on if TRUE
    http-after-response strict-mode off
    http-after-response set-header x-after %[status]
    default_backend b
backend b
    server s 127.0.0.1:${(origin.address() as AddressInfo).port}
`;
  try {
    await sideBySide(t, config, async (port) => {
      const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(reply, /\r\nx-after: 200\r\n/);
    });
  } finally {
    await new Promise((r) => origin.close(r));
  }
});
