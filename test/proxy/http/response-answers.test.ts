/**
 * http-response deny, return and redirect side by side with HAProxy 2.6.12:
 * the answer that replaces the server's (http-after-response rules run on it),
 * a keep-alive connection that goes on after it, and the log line (%ST, the
 * termination state, %Tr of -1). Each case runs on Loadstar against the
 * outcome recorded from haproxy, then on haproxy itself when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRawServer } from '../../helpers/net.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { sideBySide, requestsWithHeads as requests, logged } from './lib/side-by-side.ts';

const config = (origin: number) => (port: number): string => `${loggedHttpHead()}    option httplog
frontend web
    bind 127.0.0.1:${port}
    http-response deny if { var(txn.p) -m str /deny }
    http-response deny deny_status 429 if { var(txn.p) -m str /deny429 }
    http-response return status 201 content-type text/plain string "ret %[status]" hdr x-r 1 if { var(txn.p) -m str /ret }
    http-response redirect location /else code 302 if { var(txn.p) -m str /redir }
    http-response set-header x-after yes
    http-after-response set-header x-aft %[status]
    default_backend app
backend app
    http-request set-var(txn.p) path
    http-response allow if { var(txn.p) -m str /allowed }
    http-response set-header x-not-after-allow 1
    server s1 127.0.0.1:${origin}
`;

test('http-response deny, return and redirect answer instead of the server, as in HAProxy', async (t) => {
  // A server answering every request with "hello".
  const origin = await startRawServer((s) => {
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-s: 1\r\n\r\nhello'));
    s.on('error', () => {});
  });
  try {
    await sideBySide(t, config(origin.port), async (port, proxy) => {
      const seen = [
        await requests(port, '/deny'),
        await requests(port, '/deny429'),
        await requests(port, '/ret'),
        await requests(port, '/redir'),
        await requests(port, '/ok', '/deny'),
        await requests(port, '/allowed'),
      ];
      // Recorded from haproxy 2.6.12: a bare deny answers 502 with the error page; the connection stays open.
      const page502 = '502 content-length: 107|cache-control: no-cache|content-type: text/html|x-aft: 502 <html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n';
      assert.deepEqual(seen, [
        [page502, 'open'],
        ['429 content-length: 117|cache-control: no-cache|content-type: text/html|x-aft: 429 <html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n', 'open'],
        // return's string is not a log-format; the after-response rules run on every answer.
        ['201 x-r: 1|content-length: 13|content-type: text/plain|x-aft: 201 ret %[status]', 'open'],
        ['302 content-length: 0|location: /else|cache-control: no-cache|x-aft: 302 ', 'open'],
        ['200 content-length: 5|x-s: 1|x-not-after-allow: 1|x-after: yes|x-aft: 200 hello', page502, 'open'],
        // allow ends the backend's rules; the frontend's still run.
        ['200 content-length: 5|x-s: 1|x-after: yes|x-aft: 200 hello', 'open'],
      ]);
      const lines = await logged(proxy, 8); // the probe connection is logged too
      // %B is left out: HAProxy counts what it had received of the server's answer too (its body included).
      assert.deepEqual(lines.slice(-7).map((l) => { const [srv, timers, status, , term] = l.split(' '); return `${srv} ${timers} ${status} ${term}`; }), [
        'app/s1 T/T/T/-1/T 502 PH--',
        'app/s1 T/T/T/-1/T 429 PH--',
        'app/s1 T/T/T/-1/T 201 LH--',
        'app/s1 T/T/T/-1/T 302 LH--',
        'app/s1 T/T/T/T/T 200 ----',
        'app/s1 T/T/T/-1/T 502 PH--',
        'app/s1 T/T/T/T/T 200 ----',
      ]);
    });
  } finally {
    await origin.close();
  }
});

const tracked = (origin: number) => (port: number): string => `${loggedHttpHead()}
frontend web
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store http_req_cnt,http_err_cnt,http_fail_cnt,conn_cnt,conn_cur
    http-request return status 200 content-type text/plain lf-string "%[src_http_req_cnt] %[src_http_err_cnt] %[src_http_fail_cnt] %[src_conn_cnt] %[src_conn_cur]" if { path /peek }
    default_backend app
backend app
    http-response track-sc0 src table web
    server s1 127.0.0.1:${origin}
`;

test('http-response track-sc0 counts each answered request, a 4xx as an error and a 5xx (not 501) as a failure, as in HAProxy', async (t) => {
  // A server answering /nf with 404, /f with 503, /ni with 501, the rest with 200.
  const origin = await startRawServer((s) => {
    s.on('data', (d: Buffer) => {
      const p = d.toString().split(' ')[1];
      const status = p === '/nf' ? '404 Not Found' : p === '/f' ? '503 Service Unavailable' : p === '/ni' ? '501 Not Implemented' : '200 OK';
      s.write(`HTTP/1.1 ${status}\r\ncontent-length: 2\r\n\r\nok`);
    });
  });
  try {
    await sideBySide(t, tracked(origin.port), async (port) => {
      await requests(port, '/a');
      await requests(port, '/nf', '/f');
      await requests(port, '/f');
      await requests(port, '/ni');
      // Recorded from haproxy 2.6.12: five requests, one error, two failures, each tracked by its own stream (conn_cnt).
      assert.deepEqual(await requests(port, '/peek'), ['200 content-length: 9|content-type: text/plain 5 1 2 5 0', 'open']);
    });
  } finally {
    await origin.close();
  }
});
