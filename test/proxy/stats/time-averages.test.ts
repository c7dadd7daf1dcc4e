/**
 * `show stat` qtime/ctime/rtime/ttime averages side by side with haproxy 2.6.12: under 512
 * samples a plain sum divided by the counter and rounded up (HAProxy's swrate_add_dynamic and
 * swrate_avg), the counter being req_tot in HTTP mode and lbtot in TCP mode — so a TCP server
 * reached through a stick match divides every session's time by its one pick, and one reached
 * only through use-server divides by 512 (TIME_STATS_SAMPLES).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, freePort, request, rawExchange } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row, until } from './helpers.ts';

const DELAY = 200;

test('time averages: a sum over req_tot (HTTP) or lbtot (TCP), rounded up, as haproxy 2.6.12 shows them', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('app', (req, res) => {
    req.resume();
    setTimeout(() => res.end('ok'), DELAY);
  });
  const [stuckPort, ruledPort] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-times-'));
  const a = `127.0.0.1:${origin.port}`;
  const config = (port: number) => `global
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend web
backend web
  server w1 ${a}
listen stuck
  mode tcp
  bind 127.0.0.1:${stuckPort}
  stick-table type ip size 10
  stick on src
  server p1 ${a}
  server p2 ${a}
listen ruled
  mode tcp
  bind 127.0.0.1:${ruledPort}
  use-server u1 if TRUE
  server u1 ${a}
`;
  try {
    await sideBySide(t, config, async (port) => {
      for (let i = 0; i < 3; i++) assert.equal((await request(port, '/')).status, 200);
      for (const p of [stuckPort, ruledPort]) {
        for (let i = 0; i < 3; i++) assert.match(await rawExchange(p, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1.1 200/);
      }
      // A session's times join the averages when it ends, which can come just after its client has the answer.
      let rows: Array<Record<string, string>> = [];
      await until('every session ended', async () => {
        rows = readCsv(await cli(path.join(dir, `${port}.sock`), 'show stat'));
        return rows.filter((r) => ['web', 'stuck', 'ruled'].includes(r['pxname']!) && r['svname'] !== 'FRONTEND').every((r) => r['scur'] === '0');
      });
      const within = (name: string, value: string | undefined, low: number, high: number) => {
        const n = Number(value);
        assert.ok(n >= low && n <= high, `${name} ${value} not in ${low}..${high}`);
      };
      for (const sv of ['w1', 'BACKEND']) {
        const r = row(rows, 'web', sv);
        assert.equal(r['req_tot'], '3');
        // Each exchange waited DELAY ms for its answer: the average is that (a sliding sum over 3 would be 2/3 of it).
        within(`web/${sv} rtime`, r['rtime'], DELAY, DELAY + 60);
        within(`web/${sv} ttime`, r['ttime'], DELAY, DELAY + 60);
      }
      for (const sv of ['p1', 'BACKEND']) {
        const r = row(rows, 'stuck', sv);
        assert.equal(`${r['lbtot']} of ${r['stot']}`, '1 of 3');
        within(`stuck/${sv} ttime`, r['ttime'], 3 * DELAY, 3 * (DELAY + 60));
      }
      for (const sv of ['u1', 'BACKEND']) {
        const r = row(rows, 'ruled', sv);
        assert.equal(`${r['lbtot']} of ${r['stot']}`, '0 of 3');
        // Three sessions of 200-260 ms over 512, rounded up.
        assert.equal(r['ttime'], '2', `ruled/${sv} ttime`);
      }
    });
  } finally {
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
