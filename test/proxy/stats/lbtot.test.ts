/**
 * `lbtot` (HAProxy's cum_lbconn) side by side with haproxy 2.6.12: it counts the balancing
 * algorithm's picks only (backend.c assign_server), and not a pick of the server a redispatch is
 * leaving. A server chosen by use-server, a persistence cookie or a stick-table match, a `dispatch` backend, a retry on the same server and a request served from the backend's
 * queue count nothing; HTTP and TCP alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, freePort, request, rawExchange } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv } from './helpers.ts';

test('lbtot counts what the balancing algorithm picked, as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('app', (req, res) => {
    req.resume();
    setTimeout(() => res.end('ok'), req.url === '/slow' ? 300 : 0);
  });
  const closed = await freePort();
  const tcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-lbtot-'));
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
  use_backend %[req.hdr(x-be)]
backend rr
  server r1 ${a}
  server r2 ${a}
backend us
  use-server u2 if { path_beg /u }
  server u1 ${a}
  server u2 ${a}
backend ck
  cookie SRV
  server c1 ${a} cookie c1
  server c2 ${a} cookie c2
backend st
  stick-table type ip size 10
  stick on src
  server t1 ${a}
  server t2 ${a}
backend rd
  option redispatch
  retries 2
  server bad 127.0.0.1:${closed}
  server good ${a}
backend rs
  option redispatch
  retries 1
  server bad 127.0.0.1:${closed}
backend rt
  retries 2
  server bad 127.0.0.1:${closed}
backend dp
  dispatch ${a}
backend h
  balance uri
  timeout queue 5s
  server h1 ${a} maxconn 1
backend q
  timeout queue 5s
  server q1 ${a} maxconn 1
listen tcp
  mode tcp
  bind 127.0.0.1:${tcpPort}
  tcp-request inspect-delay 1s
  tcp-request content accept if { req.len gt 0 }
  use-server p2 if { req.payload(0,0) -m sub /u }
  server p1 ${a}
  server p2 ${a}
`;
  try {
    await sideBySide(t, config, async (port) => {
      const to = (be: string, p = '/', headers: Record<string, string> = {}) => request(port, p, { headers: { 'x-be': be, ...headers } });
      for (let i = 0; i < 4; i++) await to('rr');
      for (let i = 0; i < 3; i++) await to('us', '/u');
      await to('us', '/b');
      for (let i = 0; i < 3; i++) await to('ck', '/', { cookie: 'SRV=c2' });
      await to('ck');
      for (let i = 0; i < 3; i++) await to('st');
      for (let i = 0; i < 2; i++) assert.equal((await to('rd')).status, 200);
      assert.equal((await to('rs')).status, 503);
      assert.equal((await to('rt')).status, 503);
      for (let i = 0; i < 2; i++) await to('dp');
      await Promise.all([to('q', '/slow'), to('q', '/slow')]);
      await Promise.all([to('h', '/slow'), to('h', '/slow')]);
      for (const p of ['/u', '/u', '/b']) await rawExchange(tcpPort, `GET ${p} HTTP/1.0\r\n\r\n`);
      const rows = readCsv(await cli(path.join(dir, `${port}.sock`), 'show stat'));
      const seen = Object.fromEntries(rows.filter((r) => r['pxname'] !== 'fe' && r['svname'] !== 'FRONTEND').map((r) => [`${r['pxname']}/${r['svname']}`, `${r['lbtot']} of ${r['stot']}`]));
      assert.deepEqual(seen, {
        'rr/r1': '2 of 2', 'rr/r2': '2 of 2', 'rr/BACKEND': '4 of 4',
        // use-server: only the request the rule did not match was balanced.
        'us/u1': '1 of 1', 'us/u2': '0 of 3', 'us/BACKEND': '1 of 4',
        // the cookie's server is not picked; the request without a cookie is.
        'ck/c1': '1 of 1', 'ck/c2': '0 of 3', 'ck/BACKEND': '1 of 4',
        // the first request stores the server the algorithm picked, the next two match it.
        'st/t1': '1 of 3', 'st/t2': '0 of 0', 'st/BACKEND': '1 of 3',
        // both requests are picked on 'bad' first (round robin), then again on 'good' after the redispatch.
        'rd/bad': '2 of 2', 'rd/good': '2 of 2', 'rd/BACKEND': '4 of 2',
        // a redispatch back to the server it left is no pick, and counts as a retry: a session more on the
        // server (one per connection), none on the backend (one per request).
        'rs/bad': '1 of 2', 'rs/BACKEND': '1 of 1',
        // retries on the same server are not picks.
        'rt/bad': '1 of 3', 'rt/BACKEND': '1 of 1',
        'dp/BACKEND': '0 of 2',
        // the second request waited in the backend's queue: a slot handed on, not a pick.
        'q/q1': '1 of 2', 'q/BACKEND': '1 of 2',
        // a hash binds the request to its (full) server: picked, then queued on that server.
        'h/h1': '2 of 2', 'h/BACKEND': '2 of 2',
        'tcp/p1': '1 of 1', 'tcp/p2': '0 of 2', 'tcp/BACKEND': '1 of 3',
      });
      const retried = rows.filter((r) => r['pxname'] === 'rs').map((r) => `${r['svname']} wretr=${r['wretr']} wredis=${r['wredis']}`);
      assert.deepEqual(retried, ['bad wretr=1 wredis=0', 'BACKEND wretr=1 wredis=0']);
    });
  } finally {
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
