/**
 * Lines cut into commands and words as haproxy 2.6.12's CLI cuts them: `\;` is no separator, a
 * backslash keeps the next character in its word, only spaces and tabs separate words, a NUL byte
 * ends a word, 64 words at most, `<<` a payload mark only at the end. The runtime API fuzzer's
 * backslash-escaped and control-byte words (test/reliability/runtime-api-fuzz.test.ts) were cut
 * otherwise: `get weight app/s1\; show version` ran two commands, `app/s1\0x` was one name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { splitCommands, splitWords } from '../../../proxy/stats/cli-words.ts';

test('commands split at unescaped semicolons, words at spaces and tabs with backslash escapes', () => {
  assert.deepEqual(splitCommands('a;b\\;c;;d\\\\;e'), ['a', 'b\\;c', '', 'd\\\\', 'e']);
  assert.deepEqual(splitWords('  get\tweight  a\\ b\\\\c\\;d '), { args: ['get', 'weight', 'a bc;d'.replace('bc', 'b\\c')], payload: false });
  assert.deepEqual(splitWords('x\0y z'), { args: ['x', 'y', 'z'], payload: false });
  assert.deepEqual(splitWords('x \0y z'), { args: ['x'], payload: false });
  assert.deepEqual(splitWords('add map m <<'), { args: ['add', 'map', 'm'], payload: true });
  assert.deepEqual(splitWords('add map m x<<'), { args: ['add', 'map', 'm', 'x<<'], payload: false });
  assert.deepEqual(splitWords('a << b'), { args: ['a', '<<', 'b'], payload: false });
  assert.equal(splitWords('w '.repeat(70)).args.length, 64);
  assert.deepEqual(splitWords('a\\'), { args: ['a'], payload: false });
  assert.deepEqual(splitWords('a\r\v b'), { args: ['a\r\v', 'b'], payload: false });
});

function config(sock: string, port: number): string {
  return `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:9
`;
}

/** One line, raw bytes, and what came back until the close. */
function send(sock: string, data: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.on('connect', () => s.end(data));
  });
}

const LINES = [
  'get weight app/s1\\; show version', 'get weight app/s1; show version', 'get weight app\\/s1', 'get\tweight\tapp/s1', 'get weight "app/s1"', "get weight 'app/s1'",
  'get weight app/s1\0x', 'get weight \0app/s1', 'get weight app/s1\\', 'get weight app/s1\\\\', 'get weight \\a\\p\\p/s1',
  `get weight app/s1 ${'x '.repeat(70)}`, `set server app/s1 ${'x '.repeat(100)}`, 'set server app/s1 nosuch', 'set server app/s1',
  'get weight app/s1 << x', 'get weight app/s1 \v',
];

test('backslashes, semicolons, NUL bytes, tabs and 64 words: the same commands and answers as HAProxy 2.6', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-words-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = async (sock: string): Promise<string[]> => {
    const out: string[] = [];
    for (const line of LINES) out.push(`${JSON.stringify(line)}\n${(await send(sock, Buffer.from(`${line}\n`, 'latin1'))).replace(/2\.6\.\d+-[\w.+~]+|2\.6-loadstar/g, 'VERSION')}`);
    return out;
  };
  const lSock = path.join(dir, 'loadstar.sock');
  const loadstar = await startEngine(config(lSock, await freePort()));
  let mine: string[];
  try {
    mine = await run(lSock);
  } finally {
    await loadstar.stop();
  }
  const hSock = path.join(dir, 'haproxy.sock');
  const hPort = await freePort();
  const haproxy = await startHaproxy(config(hSock, hPort), hPort);
  let theirs: string[];
  try {
    theirs = await run(hSock);
  } finally {
    await haproxy.stop();
  }
  assert.deepEqual(mine, theirs);
});
