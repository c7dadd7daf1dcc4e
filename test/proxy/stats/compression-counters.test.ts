/**
 * The compression columns of `show stat` (comp_in, comp_out, comp_byp, comp_rsp) and `show info`'s
 * CompressBpsIn / CompressBpsOut, side by side with real HAProxy: what went into the compressor,
 * what came out, what passed through `identity`, and how many responses were compressed. HAProxy
 * 2.6 compresses with libslz and Loadstar with zlib, so comp_out is compared by bounds only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli, readCsv, row } from './helpers.ts';

/** 10,000 compressible bytes. */
const BODY = 'All work and no play makes Jack a dull boy. '.repeat(228).slice(0, 10_000);

function config(sock: string, port: number, origin: number): string {
  return `global
  stats socket ${sock} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  compression algo gzip
  compression type text/plain
  use_backend plain if { path /plain }
  default_backend be
backend be
  server s 127.0.0.1:${origin}
backend plain
  compression algo identity
  compression type text/plain
  server s 127.0.0.1:${origin}
`;
}

function get(port: number, urlPath: string, acceptEncoding?: string): Promise<{ encoding: string | undefined; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }));
    });
    req.on('error', reject);
  });
}

interface Seen { fe: Record<string, string>; be: Record<string, string>; plain: Record<string, string>; info: Map<string, string> }

async function exercise(sock: string, port: number): Promise<Seen> {
  const answers = [await get(port, '/', 'gzip'), await get(port, '/', 'gzip'), await get(port, '/', undefined), await get(port, '/plain', 'gzip')];
  assert.deepEqual(answers.map((a) => a.encoding), ['gzip', 'gzip', undefined, undefined]);
  // The counters and the per-second rates (the last second held the two compressed bodies).
  const info = new Map((await cli(sock, 'show info')).split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as [string, string]));
  const rows = readCsv(await cli(sock, 'show stat'));
  return { fe: row(rows, 'fe', 'FRONTEND'), be: row(rows, 'be', 'BACKEND'), plain: row(rows, 'plain', 'BACKEND'), info };
}

test('show stat and show info count compression as HAProxy does: comp_in/out/rsp when compressed, comp_byp through identity', { timeout: 60_000 }, async (t) => {
  const origin = http.createServer((_req, res) => res.setHeader('content-type', 'text/plain').end(BODY));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as { port: number }).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-comp-'));
  const seen: Seen[] = [];
  try {
    const lSock = path.join(dir, 'l.sock');
    const lPort = await freePort();
    const engine = await startEngine(config(lSock, lPort, originPort));
    try {
      seen.push(await exercise(lSock, lPort));
    } finally {
      await engine.stop();
    }
    if (haproxyPath) {
      const hSock = path.join(dir, 'h.sock');
      const hPort = await freePort();
      const haproxy = await startHaproxy(config(hSock, hPort, originPort), hPort);
      try {
        seen.push(await exercise(hSock, hPort));
      } finally {
        await haproxy.stop();
      }
    } else t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
  } finally {
    origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const s of seen) {
    // Two bodies went through gzip on fe → be; the one without Accept-Encoding did not touch the compressor.
    assert.equal(s.fe['comp_in'], String(2 * BODY.length));
    assert.equal(s.be['comp_in'], String(2 * BODY.length));
    assert.equal(s.fe['comp_rsp'], '3', 'the two gzip responses and the identity one');
    assert.equal(s.be['comp_rsp'], '2');
    assert.equal(s.plain['comp_rsp'], '1');
    for (const r of [s.fe, s.be]) {
      const out = Number(r['comp_out']);
      assert.ok(out > 0 && out < 2 * BODY.length / 4, `comp_out ${out} of ${r['svname']}: compressed, and well below what went in`);
    }
    // identity: compression level 0, its bytes bypass the compressor.
    assert.equal(s.plain['comp_byp'], String(BODY.length));
    assert.equal(s.plain['comp_in'], '0');
    assert.equal(s.fe['comp_byp'], String(BODY.length));
    assert.equal(s.be['comp_byp'], '0');
    assert.equal(Number(s.info.get('CompressBpsIn')) <= 2 * BODY.length, true);
    assert.equal(s.info.get('CompressBpsRateLim'), '0');
  }
  // Same comp_in / comp_byp / comp_rsp on both sides.
  if (seen.length === 2) for (const k of ['comp_in', 'comp_byp', 'comp_rsp']) assert.equal(seen[0]!.fe[k], seen[1]!.fe[k], k);
});
