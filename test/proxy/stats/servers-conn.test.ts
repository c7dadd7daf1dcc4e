/**
 * `show servers conn [<backend>]` side by side with haproxy 2.6.12 (nbthread 1: HAProxy keeps its
 * idle lists per thread): each server's connections in use, at most, needed, and idle ("unsafe"
 * after one request, "safe" after more), after the same exchanges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startNamedServer, freePort, rawExchange } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, until } from './helpers.ts';

test('show servers conn reports the idle and used server connections as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('app');
  const tcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-servers-conn-'));
  const config = (port: number) => `global
  nbthread 1
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level user
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
  server s2 127.0.0.1:${origin.port} disabled
backend empty
listen tcp
  mode tcp
  bind 127.0.0.1:${tcpPort}
  server t1 127.0.0.1:${origin.port}
`;
  const seen: string[][] = [];
  try {
    await sideBySide(t, config, async (port) => {
      const sock = path.join(dir, `${port}.sock`);
      const out: string[] = [];
      out.push(await cli(sock, 'show servers conn app'));
      // One request on a connection of its own: its server connection waits in the "unsafe" list.
      assert.match(await rawExchange(port, 'GET /one HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), /^HTTP\/1.1 200/);
      await until('the server connection idle', async () => / 0 1 1 1 0 -1 1 1\n/.test(await cli(sock, 'show servers conn app')));
      out.push(await cli(sock, 'show servers conn app'));
      // Two on one kept-alive client connection: the second takes the first's server connection, kept "safe" after.
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
        out.push(await cli(sock, 'show servers conn'));
      } finally {
        client.destroy();
      }
      out.push(await cli(sock, 'show servers conn nope'), await cli(sock, 'show servers conn fe'), await cli(sock, 'show servers conn tcp'));
      seen.push(out);
    });
  } finally {
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const head = '# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[1]\n';
  const ours = seen[0]!.map((s) => s.replaceAll(/127\.0\.0\.1 \d+ /g, 'ADDR '));
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(ours, [
    `${head}app/s1 3/1 ADDR - 5000 0 0 0 0 0 -1 0 0\napp/s2 3/2 ADDR - 5000 0 0 0 0 0 -1 0 0\n\n`,
    `${head}app/s1 3/1 ADDR - 5000 0 1 1 1 0 -1 1 1\napp/s2 3/2 ADDR - 5000 0 0 0 0 0 -1 0 0\n\n`,
    `${head}app/s1 3/1 ADDR - 5000 0 1 1 0 1 -1 1 1\napp/s2 3/2 ADDR - 5000 0 0 0 0 0 -1 0 0\ntcp/t1 5/1 ADDR - 5000 0 0 0 0 0 -1 0 0\n\n`,
    "Can't find backend.\n\n",
    "Can't find backend.\n\n",
    `${head}tcp/t1 5/1 ADDR - 5000 0 0 0 0 0 -1 0 0\n\n`,
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});
