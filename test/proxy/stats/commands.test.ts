/**
 * The runtime API's `help`, side by side with haproxy 2.6.12: every line Loadstar lists is
 * HAProxy's line, byte for byte, in HAProxy's order (cli.c sorts them by their text), and the
 * built-in ones close the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEngine } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli } from './helpers.ts';

const config = (sock: string, port: number): string => `global
    stats socket ${sock} mode 600 level admin
defaults
    mode tcp
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend fe
    bind 127.0.0.1:${port}
`;

/** Lines Loadstar must list (the commands this file's siblings test). */
const EXPECTED = [
  '  clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)',
  '  get var <name>                          : retrieve contents of a process-wide variable',
  "  set table <table> key <k> [data.* <v>]* : update or create a table entry's data",
  '  set severity-output [none|number|string]: set presence of severity level in feedback information',
  '  set timeout [cli] <delay>               : change a timeout setting',
  '  show env [var]                          : dump environment variables known to the process',
  "  show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)",
  '  show version                            : show version of the current process',
];

test("help lists HAProxy's lines in HAProxy's order", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-help-'));
  try {
    const port = await freePort();
    const e = await startEngine(config(path.join(dir, 'l.sock'), port));
    let ours: string[];
    try {
      ours = (await cli(path.join(dir, 'l.sock'), 'help')).split('\n');
    } finally {
      await e.stop();
    }
    assert.equal(ours[0], 'The following commands are valid at this level:');
    const listed = ours.slice(1, -5);
    assert.deepEqual(ours.slice(-5), [
      '  help [<command>]                        : list matching or all commands',
      '  prompt                                  : toggle interactive mode with prompt',
      '  quit                                    : disconnect',
      '', '',
    ]);
    for (const line of EXPECTED) assert.ok(listed.includes(line), `help lists: ${line}`);
    assert.deepEqual(listed, [...listed].sort(), 'sorted by their text');
    if (!haproxyPath) return void t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
    const hport = await freePort();
    const h = await startHaproxy(config(path.join(dir, 'h.sock'), hport), hport);
    let theirs: string[];
    try {
      theirs = (await cli(path.join(dir, 'h.sock'), 'help')).split('\n');
    } finally {
      await h.stop();
    }
    // What Loadstar lists is HAProxy's list with the commands it does not have left out.
    assert.deepEqual(listed, theirs.filter((l) => listed.includes(l)).slice(0, listed.length));
    assert.deepEqual(listed.filter((l) => !theirs.includes(l)), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
