/**
 * `option http-restrict-req-hdr-names preserve|delete|reject`: which request header names reach the
 * server, and the 403 of `reject`, side by side with haproxy 2.6.12 (recorded here), in a frontend and
 * in a backend; and the option's syntax errors with HAProxy's messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../../proxy/config/index.ts';
import { rawExchange, freePort } from '../../helpers/net.ts';
import { sideBySide } from './lib/side-by-side.ts';

const REQUEST = 'GET / HTTP/1.1\r\nhost: x\r\nx_under: 1\r\nx.dot: 2\r\nx-plain: 3\r\nconnection: close\r\n\r\n';

const config = (origin: number, others: number[]) => (port: number): string => `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend preserve
    bind 127.0.0.1:${port}
    default_backend app
frontend delete
    bind 127.0.0.1:${others[0]}
    option http-restrict-req-hdr-names delete
    # Runs before the option: it still sees the header.
    http-request set-header x-seen-under %[req.hdr(x_under)]
    default_backend app
frontend reject
    bind 127.0.0.1:${others[1]}
    option http-restrict-req-hdr-names reject
    default_backend app
frontend via-backend
    bind 127.0.0.1:${others[2]}
    default_backend strict
backend app
    server s1 127.0.0.1:${origin}
backend strict
    option http-restrict-req-hdr-names reject
    server s1 127.0.0.1:${origin}
`;

test('header names outside [0-9A-Za-z-] are kept, removed or refused as in HAProxy 2.6', async (t) => {
  // The origin answers with the header names it received.
  const origin = http.createServer((req, res) => res.end(req.rawHeaders.filter((_, i) => i % 2 === 0).join(',')));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const others = await Promise.all([freePort(), freePort(), freePort()]);
  try {
    await sideBySide(t, config((origin.address() as AddressInfo).port, others), async (port) => {
      const seen: string[] = [];
      for (const p of [port, ...others]) {
        const reply = await rawExchange(p, REQUEST);
        const status = reply.slice(9, 12);
        seen.push(status === '200' ? reply.slice(reply.indexOf('\r\n\r\n') + 4) : status);
      }
      assert.deepEqual(seen, [
        'host,x_under,x.dot,x-plain',
        'host,x-plain,x-seen-under',
        '403',
        '403',
      ]);
    });
  } finally {
    await new Promise((r) => origin.close(r));
  }
});

test('option http-restrict-req-hdr-names is refused with HAProxy 2.6\'s messages', () => {
  const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:1\n';
  const cases: Array<[string, string]> = [
    ['option http-restrict-req-hdr-names', `missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.`],
    ['option http-restrict-req-hdr-names foo', `invalid parameter 'foo'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.`],
    ['option http-restrict-req-hdr-names delete x', `'option' cannot handle unexpected argument 'x'.`],
  ];
  for (const [line, alert] of cases) {
    const result = parseConfig([{ name: 'x.cfg', text: `${head}    ${line}\n` }]);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message), [alert], line);
  }
});
