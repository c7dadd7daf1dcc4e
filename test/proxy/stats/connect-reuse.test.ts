/**
 * `show stat` connect / reuse side by side with haproxy 2.6.12 (backend.c connect_server): each
 * attempt to reach a server counts once, over a new connection (connect, retries included) or a
 * kept-alive one (reuse), on the server and its backend; HTTP and TCP; and the exporter's
 * connection_attempts_total / connection_reuses_total.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, freePort, request, rawExchange } from '../../helpers/net.ts';
import { sideBySide, requests } from '../http/lib/side-by-side.ts';
import { cli, readCsv } from './helpers.ts';

test('connect and reuse count new and kept-alive server connections, as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('app');
  const closed = await freePort();
  const tcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-connect-'));
  const a = `127.0.0.1:${origin.port}`;
  const config = (port: number) => `global
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
  mode http
  timeout connect 200ms
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  http-request use-service prometheus-exporter if { path /metrics }
  use_backend dead if { path_beg /dead }
  default_backend app
backend app
  server s1 ${a}
backend dead
  retries 2
  server gone 127.0.0.1:${closed}
listen tcp
  mode tcp
  bind 127.0.0.1:${tcpPort}
  server t1 ${a}
`;
  try {
    await sideBySide(t, config, async (port) => {
      for (let i = 0; i < 3; i++) assert.equal((await request(port, '/')).status, 200);
      // Three requests on one client connection: the server connection is kept for the next two.
      assert.deepEqual((await requests(port, '/a', '/b', '/c')).slice(0, 3), ['200 app', '200 app', '200 app']);
      assert.equal((await request(port, '/dead')).status, 503);
      for (let i = 0; i < 2; i++) assert.match(await rawExchange(tcpPort, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1.1 200/);
      const rows = readCsv(await cli(path.join(dir, `${port}.sock`), 'show stat'));
      const seen = rows.filter((r) => r['svname'] !== 'FRONTEND').map((r) => `${r['pxname']}/${r['svname']} ${r['connect']}+${r['reuse']}`);
      assert.deepEqual(seen, [
        'app/s1 4+2', 'app/BACKEND 4+2',
        // The first attempt and two retries, each a new connection.
        'dead/gone 3+0', 'dead/BACKEND 3+0',
        'tcp/t1 2+0', 'tcp/BACKEND 2+0',
      ]);
      // The exporter's connection_attempts_total / connection_reuses_total say the same.
      const metrics = (await request(port, '/metrics')).body.split('\n').filter((l) => /^haproxy_(backend|server)_connection_(attempts|reuses)_total\{proxy="app"/.test(l));
      assert.deepEqual(metrics, [
        'haproxy_backend_connection_attempts_total{proxy="app"} 4', 'haproxy_backend_connection_reuses_total{proxy="app"} 2',
        'haproxy_server_connection_attempts_total{proxy="app",server="s1"} 4', 'haproxy_server_connection_reuses_total{proxy="app",server="s1"} 2',
      ]);
    });
  } finally {
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
