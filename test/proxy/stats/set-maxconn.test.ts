/**
 * `set maxconn server|frontend|global` (HAProxy 2.6's cli_parse_set_maxconn_*), side by side with
 * haproxy: admin level, the answers to bad values, `show stat` slim and `show info` Maxconn, and
 * the new limit in force at once (a queued request or a waiting connection goes on when it grows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row, until } from './helpers.ts';

function config(dir: string, port: number, origin: number): string {
  return `global
  maxconn 100
  stats socket ${path.join(dir, `${port}.admin.sock`)} mode 600 level admin
  stats socket ${path.join(dir, `${port}.oper.sock`)} mode 600 level operator
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  timeout queue 10s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${origin} maxconn 1
`;
}

function get(port: number): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)))
      .on('error', () => resolve(-1));
  });
}

function info(text: string, name: string): string {
  return text.split('\n').find((l) => l.startsWith(name + ':'))?.slice(name.length + 1).trim() ?? '';
}

test('set maxconn server, frontend and global: answers, levels, show stat / show info, and the limit in force at once', { timeout: 60_000 }, async (t) => {
  // Holds every request until release(): what is held is what got through the limits.
  const held: http.ServerResponse[] = [];
  const origin = await startNamedServer('origin', (req, res) => {
    req.resume();
    held.push(res);
  });
  const release = (): void => {
    for (const res of held.splice(0)) res.end('ok');
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maxconn-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(dir, port, origin.port), async (port) => {
      const admin = path.join(dir, `${port}.admin.sock`);
      const oper = path.join(dir, `${port}.oper.sock`);
      const out: string[] = [];
      const say = async (sock: string, line: string): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      const slim = async (sv: string): Promise<string> => row(readCsv(await cli(admin, 'show stat')), sv === 'FRONTEND' ? 'fe' : 'be', sv)['slim']!;
      held.length = 0;

      for (const line of ['set maxconn server be/s1 2', 'set maxconn frontend fe 2', 'set maxconn global 2']) await say(oper, line);
      for (const line of [
        'set maxconn server', 'set maxconn server be', 'set maxconn server be/nope 2', 'set maxconn server nope/s1 2', 'set maxconn server be/s1',
        'set maxconn server be/s1 abc', 'set maxconn server be/s1 5x',
        'set maxconn frontend', 'set maxconn frontend nope 5', 'set maxconn frontend be 5', 'set maxconn frontend fe', 'set maxconn frontend fe -1',
        'set maxconn global', 'set maxconn global 101',
      ]) await say(admin, line);

      // The server: one request served, one queued; a higher maxconn lets the queued one through.
      const answers = [get(port), get(port)];
      await until('one request held', () => held.length === 1);
      await pause(200);
      out.push(`held: ${held.length}`);
      await say(admin, 'set maxconn server be/s1 2');
      await until('both requests held', () => held.length === 2);
      out.push(`held: ${held.length}, s1 slim: ${await slim('s1')}`);

      // The frontend's limit as shown (what raising it does to a waiting connection: the Loadstar-only test below).
      await say(admin, 'set maxconn frontend fe 10');
      out.push(`FRONTEND slim: ${await slim('FRONTEND')}`);
      await say(admin, 'set maxconn server be/s1 0');
      answers.push(get(port));
      await until('the third request held', () => held.length === 3);
      out.push(`held: ${held.length}, s1 slim: ${await slim('s1')}`);

      // The process: at its limit a new connection waits; a higher limit lets it in.
      await say(admin, 'set maxconn global 3');
      out.push(`Maxconn: ${info(await cli(admin, 'show info'), 'Maxconn')}`);
      answers.push(get(port));
      await pause(300);
      out.push(`held: ${held.length}`);
      await say(admin, 'set maxconn global 0');
      await until('the fourth request held', () => held.length === 4);
      const shown = await cli(admin, 'show info');
      out.push(`held: ${held.length}, Maxconn: ${info(shown, 'Maxconn')}, Hard_maxconn: ${info(shown, 'Hard_maxconn')}`);
      release();
      out.push(`answers: ${(await Promise.all(answers)).join(' ')}`);

      // A negative server maxconn is shown as HAProxy's unsigned field shows it.
      await say(admin, 'set maxconn server be/s1 -3');
      out.push(`s1 slim: ${await slim('s1')}`);
      seen.push(out);
    });
    const expected = [
      'set maxconn server be/s1 2 -> "Permission denied\\n\\n"',
      'set maxconn frontend fe 2 -> "Permission denied\\n\\n"',
      'set maxconn global 2 -> "Permission denied\\n\\n"',
      'set maxconn server -> "Require \'backend/server\'.\\n\\n"',
      'set maxconn server be -> "Require \'backend/server\'.\\n\\n"',
      'set maxconn server be/nope 2 -> "No such server.\\n\\n"',
      'set maxconn server nope/s1 2 -> "No such backend.\\n\\n"',
      'set maxconn server be/s1 -> "Require <maxconn>.\\n\\n"',
      'set maxconn server be/s1 abc -> "maxconn string empty or preceded by garbage\\n"',
      'set maxconn server be/s1 5x -> "Trailing garbage in maxconn string\\n"',
      'set maxconn frontend -> "A frontend name is expected.\\n\\n"',
      'set maxconn frontend nope 5 -> "No such frontend.\\n\\n"',
      'set maxconn frontend be 5 -> "No such frontend.\\n\\n"',
      'set maxconn frontend fe -> "Integer value expected.\\n\\n"',
      'set maxconn frontend fe -1 -> "Value out of range.\\n\\n"',
      'set maxconn global -> "Expects an integer value.\\n\\n"',
      'set maxconn global 101 -> "Value out of range.\\n\\n"',
      'held: 1',
      'set maxconn server be/s1 2 -> "\\n"',
      'held: 2, s1 slim: 2',
      'set maxconn frontend fe 10 -> "\\n"',
      'FRONTEND slim: 10',
      'set maxconn server be/s1 0 -> "\\n"',
      'held: 3, s1 slim: ',
      'set maxconn global 3 -> "\\n"',
      'Maxconn: 3',
      'held: 3',
      'set maxconn global 0 -> "\\n"',
      'held: 4, Maxconn: 100, Hard_maxconn: 100',
      'answers: 200 200 200 200',
      'set maxconn server be/s1 -3 -> "\\n"',
      's1 slim: 4294967293',
    ];
    for (const [i, out] of seen.entries()) assert.deepEqual(out, expected, i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    release();
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
  }
});

test('set maxconn frontend: a connection waiting at the limit of its frontend goes on when the limit grows', async () => {
  // haproxy 2.6.12 does not take it (its CLI thread deadlocks in dequeue_proxy_listeners, HAProxy issue
  // #2726, fixed by a889413f5 after 2.6.12); Loadstar does what the command is meant to do.
  const held: http.ServerResponse[] = [];
  const origin = await startNamedServer('origin', (req, res) => {
    req.resume();
    held.push(res);
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-maxconn-'));
  const port = await freePort();
  const e = await startEngine(config(dir, port, origin.port).replace('maxconn 1\n', '\n'));
  const admin = path.join(dir, `${port}.admin.sock`);
  try {
    assert.equal(await cli(admin, 'set maxconn frontend fe 2'), '\n');
    const answers = [get(port), get(port), get(port)];
    await until('two requests held', () => held.length === 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(held.length, 2, 'the third connection waits');
    assert.equal(await cli(admin, 'set maxconn frontend fe 3'), '\n');
    await until('the third request held', () => held.length === 3);
    for (const res of held) res.end('ok');
    assert.deepEqual(await Promise.all(answers), [200, 200, 200]);
    // A reload starts from the configuration again.
    const parsed = parseConfig([{ name: 'test.cfg', text: config(dir, port, origin.port) + '# reloaded\n' }]);
    assert.ok(parsed.ok);
    await e.engine.reload(parsed.config);
    assert.equal(row(readCsv(await cli(admin, 'show stat')), 'fe', 'FRONTEND')['slim'], '100');
  } finally {
    for (const res of held) res.end();
    await e.stop();
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
