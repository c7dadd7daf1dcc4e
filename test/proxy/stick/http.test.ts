/**
 * An HTTP exchange meets the stick counters of its connection (proxy/stick/http.ts): over HTTP/2 too,
 * where each stream is an exchange and the connection is the TLS socket under them. What
 * `tcp-request connection track-sc0 src` tracks counts every h2 request and denial, as in
 * HAProxy 2.6 (recorded from haproxy 2.6.12, then compared with it when installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { certPath, h2Requests } from '../../helpers/tls.ts';

const config = (port: number): string => `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2,http/1.1
    tcp-request connection track-sc0 src
    stick-table type ip size 10 expire 1m store http_req_cnt,http_err_cnt
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain lf-string "%[sc_http_req_cnt(0)] %[sc_http_err_cnt(0)]"
`;

test("HTTP/2 requests count in the stick counters their connection tracks (requests, denials) and read them back", async (t) => {
  const seen: string[][] = [];
  await sideBySide(t, config, async (port) => {
    const first = await h2Requests(port, 'site.home.arpa', [{ path: '/deny' }]);
    const second = await h2Requests(port, 'site.home.arpa', [{ path: '/a' }]);
    const third = await h2Requests(port, 'site.home.arpa', [{ path: '/b' }]);
    seen.push([first.alpn ?? '', ...[first, second, third].map((s) => `${s.answers[0]!.status} ${s.answers[0]!.status === 200 ? s.answers[0]!.body : ''}`)]);
  });
  // Each connection tracks the same entry (the source address): the requests before it and its own count.
  for (const s of seen) assert.deepEqual(s, ['h2', '403 ', '200 2 1', '200 3 1']);
});
