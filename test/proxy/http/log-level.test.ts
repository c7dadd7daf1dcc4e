/**
 * http-request / http-response set-log-level side by side with HAProxy 2.6.12:
 * `silent` leaves an exchange out of the log, a later rule with another level
 * brings it back. Loadstar's log lines carry no syslog level, so the other
 * levels change nothing else. Recorded from haproxy, then replayed against it
 * when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { sideBySide, requests, logged } from './lib/side-by-side.ts';
import { echoServer } from './lib/echo-server.ts';

const config = (origin: number) => (port: number): string => `${loggedHttpHead()}    option httplog
frontend web
    bind 127.0.0.1:${port}
    http-request set-log-level silent if { path_beg /quiet }
    http-request set-log-level info if { path /quiet/loud }
    http-request set-var(txn.p) path
    http-request return status 200 if { path_beg /quiet }
    default_backend app
backend app
    http-response set-log-level silent if { var(txn.p) -m str /rsilent }
    server s1 127.0.0.1:${origin}
`;

test('set-log-level silent leaves the exchange out of the log, in request and response rules, as in HAProxy', async (t) => {
  const origin = await echoServer();
  try {
    await sideBySide(t, config(origin.port), async (port, proxy) => {
      for (const path of ['/quiet', '/quiet/loud', '/rsilent', '/ok']) await requests(port, path);
      await new Promise((r) => setTimeout(r, 200));
      const lines = await logged(proxy, 3); // the probe connection's line, then the two exchanges logged
      assert.deepEqual(lines.map((l) => l.slice(l.indexOf('"'))), ['"<BADREQ>"', '"GET /quiet/loud HTTP/1.1"', '"GET /ok HTTP/1.1"']);
    });
  } finally {
    await origin.close();
  }
});
