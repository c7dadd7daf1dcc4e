/**
 * `shutdown sessions server <b>/<s>` (HAProxy 2.6's cli_parse_shutdown_sessions_server), side by
 * side with haproxy: the exchanges on that server end as killed streams — 502 logged KH while
 * waiting for the answer, the answer cut (KD) once under way — and the other servers' go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, until } from './helpers.ts';

function config(dir: string, port: number, a: number, b: number): string {
  return `global
  log stdout format raw local0
  stats socket ${path.join(dir, `${port}.admin.sock`)} mode 600 level admin
  stats socket ${path.join(dir, `${port}.oper.sock`)} mode 600 level operator
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  log global
  log-format "%ST %tsc %s %HP"
  use_backend other if { path_beg /other }
  default_backend be
backend be
  server a 127.0.0.1:${a}
backend other
  server b 127.0.0.1:${b}
listen tcp
  mode tcp
  bind 127.0.0.1:${port + 1}
  server t 127.0.0.1:${b}
`;
}

/** The status and how the answer ended: 'end' (complete) or 'cut'. */
function get(port: number, p: string): Promise<string> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(`${res.statusCode} end`));
      res.on('error', () => resolve(`${res.statusCode} cut`));
      res.on('aborted', () => resolve(`${res.statusCode} cut`));
    }).on('error', (e) => resolve(e.message));
  });
}

test('shutdown sessions server ends the exchanges on that server (502 KH, or cut KD once answering); others go on', { timeout: 60_000 }, async (t) => {
  // Holds every request: /stream after sending its head and a first chunk.
  const held: http.ServerResponse[] = [];
  const handler: http.RequestListener = (req, res) => {
    req.resume();
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-length': '10' });
      res.write('hello');
    }
    held.push(res);
  };
  const a = await startNamedServer('a', handler);
  const b = await startNamedServer('b', handler);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-shut-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(dir, port, a.port, b.port), async (port, proxy) => {
      const admin = path.join(dir, `${port}.admin.sock`);
      const oper = path.join(dir, `${port}.oper.sock`);
      const out: string[] = [];
      const say = async (sock: string, line: string): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      held.length = 0;
      const answers = [get(port, '/wait'), get(port, '/stream'), get(port, '/other')];
      await until('three requests held', () => held.length === 3);
      await new Promise((r) => setTimeout(r, 100));
      await say(oper, 'shutdown sessions server be/a');
      for (const line of ['shutdown sessions server', 'shutdown sessions server be', 'shutdown sessions server be/nope', 'shutdown sessions server nope/a']) await say(admin, line);
      await say(admin, 'shutdown sessions server be/a');
      const killed = await Promise.all(answers.slice(0, 2));
      out.push(`killed: ${killed.join(', ')}`);
      for (const res of held.splice(0)) if (!res.headersSent) res.end('ok');
      out.push(`other: ${await answers[2]}`);
      // The requests' lines (not the probe connection's, logged or not depending on the proxy).
      const lines = (): string[] => proxy.logs().filter((l) => !l.includes('<BADREQ>'));
      await until('three log lines', () => lines().length >= 3);
      out.push(...lines().sort());
      seen.push(out);
    });
    const expected = [
      'shutdown sessions server be/a -> "Permission denied\\n\\n"',
      'shutdown sessions server -> "Require \'backend/server\'.\\n\\n"',
      'shutdown sessions server be -> "Require \'backend/server\'.\\n\\n"',
      'shutdown sessions server be/nope -> "No such server.\\n\\n"',
      'shutdown sessions server nope/a -> "No such backend.\\n\\n"',
      'shutdown sessions server be/a -> "\\n"',
      'killed: 502 end, 200 cut',
      'other: 200 end',
      '200 ---- b /other',
      '200 KD-- a /stream',
      '502 KH-- a /wait',
    ];
    assert.deepEqual(seen[0], expected, 'Loadstar');
    // haproxy 2.6.12 cuts the answer under way the same way but logs it without termination flags
    // ('----', not the 'KD' its 'D' counterpart of on-marked-down logs as 'DD'): Loadstar keeps KD.
    if (seen[1]) assert.deepEqual(seen[1], [...expected.slice(0, 8), '200 ---- a /stream', '200 ---- b /other', '502 KH-- a /wait'], 'haproxy');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await a.close();
    await b.close();
  }
});

test('shutdown sessions server on a TCP-mode backend says Loadstar does not do it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-shut-'));
  const port = await freePort();
  const e = await startEngine(config(dir, port, 1, 2));
  try {
    assert.equal(await cli(path.join(dir, `${port}.admin.sock`), 'shutdown sessions server tcp/t'),
      "'shutdown sessions server' on a TCP-mode backend is not supported by Loadstar (HTTP mode is).\n\n");
  } finally {
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
