/**
 * The runtime API's `help`, side by side with haproxy 2.6.12: every line Loadstar lists is
 * HAProxy's line, byte for byte, in HAProxy's order (cli.c sorts them by their text), and the
 * built-in ones close the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEngine } from '../../helpers/net.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli } from './helpers.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';

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
  '  set rate-limit <setting> <value>        : change a rate limiting value',
  '  set severity-output [none|number|string]: set presence of severity level in feedback information',
  '  set timeout [cli] <delay>               : change a timeout setting',
  '  show env [var]                          : dump environment variables known to the process',
  '  show servers conn [<backend>]           : dump server connections status (all or for a single backend)',
  '  show startup-logs                       : report logs emitted during HAProxy startup',
  "  show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)",
  '  show version                            : show version of the current process',
  '  shutdown frontend <frontend>            : stop a specific frontend',
  '  shutdown session [id]                   : kill a specific session',
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

const frontendsConfig = (dir: string, port: number, port2: number): string => `global
    stats socket ${dir}/${port}.sock mode 600 level admin
    stats socket ${dir}/${port}.oper.sock mode 600 level operator
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend web
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${port2}
    http-request return status 200
frontend web2
    bind 127.0.0.1:${port2 + 1}
    http-request return status 200
frontend off
    disabled
    bind 127.0.0.1:${port2 + 2}
backend be
    server s1 127.0.0.1:${port2 + 3}
`;

/** 'open' when a connection to `port` is accepted, else 'refused'. */
function reachable(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve('open');
    });
    s.on('error', () => resolve('refused'));
  });
}

test('shutdown frontend closes its listeners for good, with haproxy 2.6.12\'s answers', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-shutdown-fe-'));
  const seen: string[][] = [];
  // Free ports for the second bind and web2 (freePort's are given once each).
  const port2 = await freePort();
  const port3 = await freePort();
  try {
    await sideBySide(t, (port) => frontendsConfig(dir, port, port2).replace(`${port2 + 1}`, `${port3}`), async (port) => {
      const admin = `${dir}/${port}.sock`;
      const out: string[] = [];
      const say = async (line: string, sock = admin): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      await say('shutdown frontend web', `${dir}/${port}.oper.sock`);
      out.push(`before: ${await reachable(port)} ${await reachable(port2)} ${await reachable(port3)}`);
      for (const line of ['shutdown frontend', 'shutdown frontend nope', 'shutdown frontend be', 'shutdown frontend off', 'set severity-output number; shutdown frontend web']) await say(line);
      out.push(`after: ${await reachable(port)} ${await reachable(port2)} ${await reachable(port3)}`);
      out.push((await cli(admin, 'show stat')).split('\n').filter((l) => l.includes('FRONTEND')).map((l) => l.split(',').slice(0, 2).concat(l.split(',')[17]!).join(',')).join(' '));
      await say('set severity-output number; shutdown frontend web; shutdown frontend nope');
      await say('disable frontend web; enable frontend web');
      await say('set severity-output string; disable frontend web; enable frontend web; disable frontend web2; disable frontend web2; enable frontend web2; '
        + 'enable frontend web2; disable frontend nope; set maxconn frontend nope 1; set maxconn frontend web2; set maxconn frontend web2 -1');
      out.push(`at last: ${await reachable(port)} ${await reachable(port2)}`);
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    'shutdown frontend web -> "Permission denied\\n\\n"',
    'before: open open open',
    'shutdown frontend -> "A frontend name is expected.\\n\\n"',
    'shutdown frontend nope -> "No such frontend.\\n\\n"',
    'shutdown frontend be -> "No such frontend.\\n\\n"',
    'shutdown frontend off -> "Frontend was already shut down.\\n\\n"',
    'set severity-output number; shutdown frontend web -> "\\n\\n"',
    'after: refused refused open',
    'web,FRONTEND,STOP web2,FRONTEND,OPEN',
    'set severity-output number; shutdown frontend web; shutdown frontend nope -> "\\n[5]: Frontend was already shut down.\\n\\n[3]: No such frontend.\\n\\n"',
    'disable frontend web; enable frontend web -> "Frontend was previously shut down, cannot disable.\\n\\nFrontend was previously shut down, cannot enable.\\n\\n"',
    'set severity-output string; disable frontend web; enable frontend web; disable frontend web2; disable frontend web2; enable frontend web2; '
      + 'enable frontend web2; disable frontend nope; set maxconn frontend nope 1; set maxconn frontend web2; set maxconn frontend web2 -1 -> '
      + JSON.stringify('\n[notice]: Frontend was previously shut down, cannot disable.\n\n[err]: Frontend was previously shut down, cannot enable.\n\n\n'
      + '[notice]: All sockets are already disabled.\n\n\n[notice]: All sockets are already enabled.\n\n[err]: No such frontend.\n\n[err]: No such frontend.\n\n'
      + '[err]: Integer value expected.\n\n[err]: Value out of range.\n\n'),
    'at last: refused refused',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});

test('a frontend shutdown frontend stopped listens again after a reload (HAProxy\'s new process binds it), and the alert says it stopped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-shutdown-reload-'));
  const port2 = await freePort();
  const port3 = await freePort();
  const port = await freePort();
  const text = frontendsConfig(dir, port, port2).replace(`${port2 + 1}`, `${port3}`);
  const e = await startEngine(text);
  try {
    assert.equal(await reachable(port), 'open');
    assert.equal(await cli(`${dir}/${port}.sock`, 'shutdown frontend web'), '\n');
    assert.equal(await reachable(port), 'refused');
    assert.deepEqual(e.alerts.filter((a) => a.startsWith('Proxy ')), ['Proxy web stopped (cumulated conns: FE: 1, BE: 0).']);
    const parsed = parseConfig([{ name: 'test.cfg', text: text + '# reloaded\n' }]);
    assert.ok(parsed.ok);
    await e.engine.reload(parsed.config);
    assert.equal(await reachable(port), 'open');
    assert.equal(await reachable(port2), 'open');
    assert.equal(await cli(`${dir}/${port}.sock`, 'disable frontend web'), '\n');
  } finally {
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a disabled backend is found but not changed: "Proxy is disabled.", its configured weight for get weight, as haproxy 2.6.12 answers', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-disabled-'));
  const text = (sock: string, port: number): string => `${config(sock, port)}    default_backend live
backend live
    server s1 127.0.0.1:9
backend off
    disabled
    server s1 127.0.0.1:9 weight 7
`;
  const commands = ['set server off/s1 state drain', 'get weight off/s1', 'disable server off/s1', 'set weight off/s1 5', 'set maxconn server off/s1 3',
    'enable health off/s1', 'set server off/s1 addr 127.0.0.2', 'get weight off/nope', 'set server nope/s1 state ready'];
  const answers = async (sock: string): Promise<string[]> => {
    const out: string[] = [];
    for (const c of commands) out.push(`${c} -> ${await cli(sock, c)}`);
    return out;
  };
  try {
    const engine = await startEngine(text(path.join(dir, 'l.sock'), await freePort()));
    let loadstar: string[];
    try {
      loadstar = await answers(path.join(dir, 'l.sock'));
    } finally {
      await engine.stop();
    }
    assert.deepEqual(loadstar, [
      'set server off/s1 state drain -> Proxy is disabled.\n\n', 'get weight off/s1 -> 7 (initial 7)\n\n', 'disable server off/s1 -> Proxy is disabled.\n\n',
      'set weight off/s1 5 -> Proxy is disabled.\n\n', 'set maxconn server off/s1 3 -> Proxy is disabled.\n\n', 'enable health off/s1 -> Proxy is disabled.\n\n',
      'set server off/s1 addr 127.0.0.2 -> Proxy is disabled.\n\n', 'get weight off/nope -> No such server.\n\n', 'set server nope/s1 state ready -> No such backend.\n\n',
    ]);
    if (!haproxyPath) return void t.diagnostic('haproxy is not installed: compared with the recorded answers only');
    const hport = await freePort();
    const h = await startHaproxy(text(path.join(dir, 'h.sock'), hport), hport);
    try {
      assert.deepEqual(await answers(path.join(dir, 'h.sock')), loadstar);
    } finally {
      await h.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
