/**
 * Loadstar's runtime API next to real HAProxy's on the same configuration:
 * the `show stat` header line is identical, and for every row the set of
 * non-empty columns matches (values differ: pids, times, ids). A backend
 * without servers (a stats listen's, a spare) is UP, as HAProxy reports it.
 * The algo column names each backend's algorithm as backend_lb_algo_str() does
 * (`balance hash …` is "hash").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { cli, readCsv, until } from './helpers.ts';

/** Columns whose emptiness depends on facts the two processes do not share (see the comment at each use). */
const UNSHARED = new Set([
  // HAProxy derives a frontend's maxconn from its file-descriptor limit and a backend's fullconn from
  // its frontends; Loadstar prints them only when configured.
  'slim',
]);

function config(sock: string, port: number, tcpPort: number, up: number, down: number): string {
  return `global
  stats socket ${sock} mode 600 level admin
  maxconn 1000
defaults
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  mode http
  bind 127.0.0.1:${port}
  default_backend be
backend be
  mode http
  server up 127.0.0.1:${up} check inter 200ms
  server down 127.0.0.1:${down} check inter 200ms
  server plain 127.0.0.1:${up} weight 5
  server spare 127.0.0.1:${up} backup
listen tl
  mode tcp
  bind 127.0.0.1:${tcpPort}
  server t1 127.0.0.1:${up}
backend spare_be
  mode http
  balance hash req.cook(sid),lower
`;
}

function pattern(r: Record<string, string>): string {
  return Object.entries(r).filter(([k]) => !UNSHARED.has(k)).map(([k, v]) => `${k}=${v === '' ? '_' : 'x'}`).join(' ');
}

test('show stat: same header as HAProxy 2.6 and the same empty/non-empty columns per row', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  // Answers and closes, so both health checkers read a complete response at once.
  const origin = await startRawServer((socket) => socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const down = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cmp-'));
  const hSock = path.join(dir, 'haproxy.sock');
  const lSock = path.join(dir, 'loadstar.sock');
  const [hPort, hTcp, lPort, lTcp] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const haproxy = await startHaproxy(config(hSock, hPort, hTcp, origin.port, down), hPort);
  const loadstar = await startEngine(config(lSock, lPort, lTcp, origin.port, down));
  try {
    // Both have run checks: 'down' is DOWN, 'up' has a result.
    const ready = async (where: string) => /,down,.*,DOWN,/.test(await cli(where, 'show stat')) && /,up,.*,L4OK,/.test(await cli(where, 'show stat'));
    await until('HAProxy checks', () => ready(hSock), 10_000);
    await until('Loadstar checks', () => ready(lSock), 10_000);
    const h = await cli(hSock, 'show stat');
    const l = await cli(lSock, 'show stat');
    assert.equal(l.split('\n')[0], h.split('\n')[0], 'header line');
    const hRows = readCsv(h);
    const lRows = readCsv(l);
    assert.deepEqual(lRows.map((r) => `${r['pxname']}/${r['svname']}`), hRows.map((r) => `${r['pxname']}/${r['svname']}`), 'row order');
    for (let i = 0; i < hRows.length; i++) {
      assert.equal(pattern(lRows[i]!), pattern(hRows[i]!), `columns of ${hRows[i]!['pxname']}/${hRows[i]!['svname']}`);
      for (const k of ['status', 'type', 'mode', 'act', 'bck', 'weight', 'check_status', 'check_code', 'check_desc', 'check_rise', 'check_fall', 'algo', 'sid']) {
        // "* " marks a check running at that moment (every 200 ms here): check-columns.test.ts compares it.
        const value = (r: Record<string, string>): string | undefined => (k === 'check_status' ? r[k]?.replace(/^\* /, '') : r[k]);
        assert.equal(value(lRows[i]!), value(hRows[i]!), `${k} of ${hRows[i]!['pxname']}/${hRows[i]!['svname']}`);
      }
    }
    // HAProxy's srv_check_result was seen to read 0 ("unknown") for a moment while a check runs
    // (every 200 ms here; a CI run caught it): compare against a snapshot in which every checked
    // server has a result, as Loadstar's always has.
    let hState = (await cli(hSock, 'show servers state')).split('\n');
    for (let tries = 0; tries < 50 && hState.slice(2).some((line) => /^\d+ be \d+ (up|down) /.test(line) && line.split(' ')[11] === '0'); tries++) {
      await new Promise((r) => setTimeout(r, 20));
      hState = (await cli(hSock, 'show servers state')).split('\n');
    }
    const lState = (await cli(lSock, 'show servers state')).split('\n');
    assert.equal(lState[0], hState[0]);
    assert.equal(lState[1], hState[1]);
    // Same columns; the op state, admin state, weights and check status/result/state agree.
    for (let i = 2; i < hState.length; i++) {
      const hf = hState[i]!.split(' ');
      const lf = lState[i]!.split(' ');
      assert.equal(lf.length, hf.length, `servers state line ${i}`);
      for (const c of [1, 2, 3, 5, 6, 7, 8, 10, 11]) assert.equal(lf[c], hf[c], `servers state line ${i} column ${c}: ${hState[i]}`);
      // srv_check_state without CHK_ST_INPROGRESS (0x1): whether a check runs at this moment is a matter
      // of timing (every 200 ms; a loaded CI run caught Loadstar's in progress, 7 against 6).
      const settled = (v: string | undefined): number => Number(v) & ~1;
      assert.equal(settled(lf[13]), settled(hf[13]), `servers state line ${i} column 13: ${hState[i]}`);
    }
    assert.equal(await cli(lSock, 'set server be/nope state drain'), await cli(hSock, 'set server be/nope state drain'));
    assert.equal(await cli(lSock, 'set server nope/up state drain'), await cli(hSock, 'set server nope/up state drain'));
    assert.equal(await cli(lSock, 'set server be/up weight 999'), await cli(hSock, 'set server be/up weight 999'));
    assert.equal(await cli(lSock, 'get weight be/plain'), await cli(hSock, 'get weight be/plain'));
  } finally {
    await loadstar.stop();
    await haproxy.stop();
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
