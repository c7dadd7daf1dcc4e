/**
 * `clear counters` and `clear counters all` (HAProxy 2.6's cli_parse_clear_counters), side by side
 * with haproxy: the maxima go back to 0 at operator level, every counter at admin level only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, request } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row } from './helpers.ts';
import { StatCounters } from '../../../proxy/runtime/counters.ts';
import { Series } from '../../../proxy/runtime/series.ts';

function config(dir: string, port: number, origin: number): string {
  return `global
  stats socket ${path.join(dir, `${port}.admin.sock`)} mode 600 level admin
  stats socket ${path.join(dir, `${port}.oper.sock`)} mode 600 level operator
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${origin} maxconn 1
`;
}

const MAXIMA = ['smax', 'qmax', 'rate_max', 'req_rate_max', 'conn_rate_max', 'qtime_max', 'ctime_max', 'rtime_max', 'ttime_max'];
const TOTALS = ['stot', 'bin', 'bout', 'req_tot', 'hrsp_2xx', 'lbtot', 'conn_tot', 'qtime', 'rtime', 'ttime', 'lastsess', 'connect'];

/** The fields named of the three rows (empty columns left out), as `row.field=value`. */
function fields(csv: string, names: string[]): string[] {
  const rows = readCsv(csv);
  const out: string[] = [];
  for (const [px, sv] of [['fe', 'FRONTEND'], ['be', 's1'], ['be', 'BACKEND']] as const) {
    const r = row(rows, px, sv);
    for (const n of names) if (r[n] !== '' && r[n] !== undefined) out.push(`${sv}.${n}=${r[n]}`);
  }
  return out;
}

/** lastsess counts seconds since the last session: it ticks with the clock between two reads. */
function withoutClock(fields: string[]): string[] {
  return fields.filter((f) => !f.includes('.lastsess='));
}

function info(text: string, name: string): string {
  return text.split('\n').find((l) => l.startsWith(name + ':'))?.slice(name.length + 1).trim() ?? '';
}

test('clear counters resets the maxima (operator level); clear counters all every counter, at admin level only', { timeout: 60_000 }, async (t) => {
  // A slow server with maxconn 1: three requests at once make a queue, queue times and a session maximum.
  const origin = await startNamedServer('slow', (req, res) => {
    req.resume();
    setTimeout(() => res.end('slow'), 60);
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-clear-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(dir, port, origin.port), async (port) => {
      const admin = path.join(dir, `${port}.admin.sock`);
      const oper = path.join(dir, `${port}.oper.sock`);
      const out: string[] = [];
      await Promise.all([request(port), request(port), request(port)]);
      // Past the second of the requests: the current rates are 0 again, the maxima stay.
      await new Promise((r) => setTimeout(r, 1500));
      const before = await cli(admin, 'show stat');
      for (const f of fields(before, MAXIMA)) if (!f.endsWith('=0') && !f.includes('ctime_max')) out.push(`before ${f.replace(/=.*/, '>0')}`);
      assert.notEqual(info(await cli(admin, 'show info'), 'MaxSessRate'), '0');

      assert.equal(await cli(oper, 'clear counters all'), 'Permission denied\n\n');
      assert.deepEqual(withoutClock(fields(await cli(admin, 'show stat'), TOTALS)), withoutClock(fields(before, TOTALS)), 'a refused clear changes nothing');
      assert.equal(await cli(oper, 'clear counters'), '\n');
      const cleared = await cli(admin, 'show stat');
      out.push(...fields(cleared, MAXIMA));
      // The totals and averages are untouched.
      assert.deepEqual(withoutClock(fields(cleared, TOTALS)), withoutClock(fields(before, TOTALS)));
      const shown = await cli(admin, 'show info');
      out.push(`MaxConnRate=${info(shown, 'MaxConnRate')}`, `MaxSessRate=${info(shown, 'MaxSessRate')}`, `CumReq>0=${Number(info(shown, 'CumReq')) > 0}`);

      assert.equal(await cli(admin, 'clear counters all'), '\n');
      out.push(...fields(await cli(admin, 'show stat'), [...TOTALS, ...MAXIMA, 'status', 'scur']));
      // Process-wide totals (CumConns, CumReq) are not proxy counters: they stay.
      out.push(`CumReq>0=${Number(info(await cli(admin, 'show info'), 'CumReq')) > 0}`);

      // Counting goes on from 0.
      await request(port);
      await new Promise((r) => setTimeout(r, 100));
      out.push(...fields(await cli(admin, 'show stat'), ['stot', 'req_tot', 'hrsp_2xx', 'lbtot']).map((f) => `after ${f}`));
      seen.push(out);
    });
    const expected = [
      'before FRONTEND.smax>0', 'before FRONTEND.rate_max>0', 'before FRONTEND.req_rate_max>0', 'before FRONTEND.conn_rate_max>0',
      'before s1.smax>0', 'before s1.rate_max>0', 'before s1.qtime_max>0', 'before s1.rtime_max>0', 'before s1.ttime_max>0',
      // The requests waited in the backend's queue (the server's maxconn was reached as they came).
      'before BACKEND.smax>0', 'before BACKEND.qmax>0', 'before BACKEND.rate_max>0', 'before BACKEND.qtime_max>0', 'before BACKEND.rtime_max>0', 'before BACKEND.ttime_max>0',
      'FRONTEND.smax=0', 'FRONTEND.rate_max=0', 'FRONTEND.req_rate_max=0', 'FRONTEND.conn_rate_max=0',
      's1.smax=0', 's1.qmax=0', 's1.rate_max=0', 's1.qtime_max=0', 's1.ctime_max=0', 's1.rtime_max=0', 's1.ttime_max=0',
      'BACKEND.smax=0', 'BACKEND.qmax=0', 'BACKEND.rate_max=0', 'BACKEND.qtime_max=0', 'BACKEND.ctime_max=0', 'BACKEND.rtime_max=0', 'BACKEND.ttime_max=0',
      'MaxConnRate=0', 'MaxSessRate=0', 'CumReq>0=true',
      'FRONTEND.stot=0', 'FRONTEND.bin=0', 'FRONTEND.bout=0', 'FRONTEND.req_tot=0', 'FRONTEND.hrsp_2xx=0', 'FRONTEND.conn_tot=0',
      'FRONTEND.smax=0', 'FRONTEND.rate_max=0', 'FRONTEND.req_rate_max=0', 'FRONTEND.conn_rate_max=0', 'FRONTEND.status=OPEN', 'FRONTEND.scur=0',
      's1.stot=0', 's1.bin=0', 's1.bout=0', 's1.req_tot=0', 's1.hrsp_2xx=0', 's1.lbtot=0', 's1.qtime=0', 's1.rtime=0', 's1.ttime=0', 's1.lastsess=-1', 's1.connect=0',
      's1.smax=0', 's1.qmax=0', 's1.rate_max=0', 's1.qtime_max=0', 's1.ctime_max=0', 's1.rtime_max=0', 's1.ttime_max=0', 's1.status=no check', 's1.scur=0',
      'BACKEND.stot=0', 'BACKEND.bin=0', 'BACKEND.bout=0', 'BACKEND.req_tot=0', 'BACKEND.hrsp_2xx=0', 'BACKEND.lbtot=0', 'BACKEND.qtime=0', 'BACKEND.rtime=0', 'BACKEND.ttime=0',
      'BACKEND.lastsess=-1', 'BACKEND.connect=0',
      'BACKEND.smax=0', 'BACKEND.qmax=0', 'BACKEND.rate_max=0', 'BACKEND.qtime_max=0', 'BACKEND.ctime_max=0', 'BACKEND.rtime_max=0', 'BACKEND.ttime_max=0', 'BACKEND.status=UP', 'BACKEND.scur=0',
      'CumReq>0=true',
      'after FRONTEND.stot=1', 'after FRONTEND.req_tot=1', 'after FRONTEND.hrsp_2xx=1', 'after s1.stot=1', 'after s1.req_tot=1', 'after s1.hrsp_2xx=1', 'after s1.lbtot=1',
      'after BACKEND.stot=1', 'after BACKEND.req_tot=1', 'after BACKEND.hrsp_2xx=1', 'after BACKEND.lbtot=1',
    ];
    for (const [i, out] of seen.entries()) assert.deepEqual(out, expected, i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
  }
});

test('clear counters all: the time series count what came after the clear in the next second, nothing negative', () => {
  const c = new StatCounters();
  const t0 = 1_000_000_000_000;
  c.series = new Series(t0);
  c.reqTot = 10;
  c.series.sample(c, 0, 0, t0 + 1000);
  c.reqTot = 12;
  c.clearAll();
  c.reqTot = 3;
  c.series.sample(c, 0, 0, t0 + 2000);
  assert.equal(c.series.lastSeconds(1)[0]!.values.requests, 5, '2 before the clear and 3 after');
  c.smax = 4;
  c.clearMaxima();
  assert.equal(c.smax, 0);
  assert.equal(c.reqTot, 3);
});
