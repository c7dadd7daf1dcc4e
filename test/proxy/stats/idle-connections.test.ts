/**
 * A server's srv_icur / idle_conn_cur / safe_conn_cur / used_conn_cur / need_conn_est side by side
 * with haproxy 2.6.12 (one thread: HAProxy keeps its idle lists per thread): the server connections
 * kept idle after one request ("idle") or more ("safe"), those in use, and the estimate of those needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startNamedServer, freePort, rawExchange } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row, until } from './helpers.ts';

test('idle and used server connections in show stat, as haproxy 2.6.12 (nbthread 1) keeps them', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('app');
  // Answers after 200 ms: two TCP sessions at once.
  const slow = await startNamedServer('slow', (req, res) => void setTimeout(() => res.end('slow'), 200));
  const tcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-idle-'));
  const config = (port: number) => `global
  nbthread 1
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend app
backend app
  server s1 127.0.0.1:${origin.port}
listen tcp
  mode tcp
  bind 127.0.0.1:${tcpPort}
  server t1 127.0.0.1:${slow.port}
  server c1 127.0.0.1:${slow.port} check inter 300ms weight 0
`;
  try {
    await sideBySide(t, config, async (port) => {
      const gauges = async () => {
        const s1 = row(readCsv(await cli(path.join(dir, `${port}.sock`), 'show stat')), 'app', 's1');
        return ['srv_icur', 'idle_conn_cur', 'safe_conn_cur', 'used_conn_cur', 'need_conn_est'].map((k) => `${k}=${s1[k]}`).join(' ');
      };
      // One request on a connection of its own: its server connection waits in the "idle" list.
      assert.match(await rawExchange(port, 'GET /one HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), /^HTTP\/1.1 200/);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await gauges(), 'srv_icur=1 idle_conn_cur=1 safe_conn_cur=0 used_conn_cur=0 need_conn_est=1');
      // Two on one kept-alive client connection: a first request may not take that idle connection
      // (http-reuse safe); with one connection needed at a time, one is kept, in the "safe" list.
      const client = net.connect(port, '127.0.0.1');
      let answers = '';
      client.on('data', (d: Buffer) => (answers += d.toString('latin1')));
      try {
        for (const p of ['/a', '/b']) {
          const before = answers.split('HTTP/1.1 200').length;
          client.write(`GET ${p} HTTP/1.1\r\nhost: x\r\n\r\n`);
          await until(`the answer to ${p}`, () => answers.split('HTTP/1.1 200').length > before && answers.endsWith('app'));
        }
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(await gauges(), 'srv_icur=1 idle_conn_cur=0 safe_conn_cur=1 used_conn_cur=0 need_conn_est=1');
      } finally {
        client.destroy();
      }
      // TCP: no idle connections; an estimate of 1 once the server had a connection, two at once or a check's.
      await Promise.all([0, 1].map(() => rawExchange(tcpPort, 'GET / HTTP/1.0\r\n\r\n')));
      const rows = readCsv(await cli(path.join(dir, `${port}.sock`), 'show stat'));
      const tcp = ['t1', 'c1'].map((sv) => { const r = row(rows, 'tcp', sv); return `${sv} ${r['srv_icur']} ${r['used_conn_cur']} ${r['need_conn_est']}`; });
      assert.deepEqual(tcp, ['t1 0 0 1', 'c1 0 0 1']);
      assert.equal(row(rows, 'tcp', 't1')['smax'], '2');
    });
  } finally {
    await origin.close();
    await slow.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
