/**
 * `set server <b>/<s> health up|stopping|down`, `set server <b>/<s> agent up|down` and the stats
 * page's force actions (hrunn, hnolb, hdown, arunn, adown), side by side with haproxy 2.6: the
 * answers (errors included), each server's status and health after every command, the lines
 * "Server be/s is DOWN, changed from CLI. …" both print, the servers tracking one following it, and
 * the form's `st=` codes. The checks and the agent connect to a server that never answers (timeout
 * check 600s, longer than the test's guard), so no check result moves a state during the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli, readCsv } from './helpers.ts';

function config(sock: string, port: number, hang: number): string {
  return `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 600s
frontend page
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
    stats admin if TRUE
backend be
    option httpchk
    server h1 127.0.0.1:${hang} check inter 100ms
    server h2 127.0.0.1:${hang} check inter 100ms slowstart 60s
    server ag 127.0.0.1:${hang} check inter 100ms agent-check agent-port ${hang} agent-inter 100ms
    server t 127.0.0.1:${hang} track be/h1
    server nock 127.0.0.1:${hang}
    server bk 127.0.0.1:${hang} backup agent-check agent-port ${hang} agent-inter 100ms
backend be2
    server t2 127.0.0.1:${hang} track be/t
`;
}

const SERVERS = ['be/h1', 'be/h2', 'be/ag', 'be/t', 'be/nock', 'be/bk', 'be2/t2'];

/** Each server's `show stat` status and weight, and `show servers state`'s op state, admin state and check health. */
async function snapshot(sock: string): Promise<string> {
  const rows = readCsv(await cli(sock, 'show stat'));
  const state = (await cli(sock, 'show servers state')).split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' '));
  return SERVERS.map((name) => {
    const [b, s] = name.split('/');
    const r = rows.find((x) => x['pxname'] === b && x['svname'] === s)!;
    const st = state.find((x) => x[1] === b && x[3] === s)!;
    return `${name} ${r['status']} w=${r['weight']} op=${st[5]} admin=${st[6]} health=${st[12]}`;
  }).join(', ');
}

/** The state-change lines, the process's prefix ("[WARNING]  (pid) : ") removed. */
function changes(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, '')).filter((l) => / is (UP|DOWN|stopping)|maintenance/.test(l) && !/^Proxy /.test(l));
}

function post(port: number, body: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d: Buffer) => { raw += d.toString('latin1'); if (raw.includes('\r\n\r\n')) s.destroy(); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve(/location: \/stats;st=(\w+)/.exec(raw)?.[1] ?? JSON.stringify(raw.slice(0, 100))); });
    s.on('connect', () => s.write(`POST /stats HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n${body}`));
  });
}

const COMMANDS = [
  'set server be/h1 health down', 'set server be/h1 health down', 'set server be/h1 health stopping', 'set server be/h1 health up',
  'set server be/h1 health', 'set server be/h1 health bogus', 'set server be/t health down', 'set server be/t health bogus',
  'set server be/h1 agent down', 'set server be/h1 agent bogus', 'set server be/ag agent bogus', 'set server be/ag agent down',
  'set server be/ag health up', 'set server be/ag agent up', 'set server be/h2 health stopping', 'set server be/h2 health down',
  'set server be/h2 health up', 'set server be/h1 state maint', 'set server be/h1 health down', 'set server be/h1 state ready',
  'set server be/h1 health stopping', 'set server be/h1 health down', 'disable agent be/ag', 'set server be/ag agent down', 'enable agent be/ag',
  'set server be/bk health down', 'set server be/bk health stopping', 'set server be/bk agent up', 'set server be/bk agent down', 'set server be/bk health up',
  'set server be/nock agent down', 'set server be/nock health stopping', 'set server be/nock health down', 'set server be/nock state maint',
  'set server be/nock state ready', 'set server be/nock health up',
];

const FORMS = [
  'b=be&s=h1&action=hdown', 'b=be&s=h1&action=hdown', 'b=be&s=h1&action=hnolb', 'b=be&s=h1&action=hrunn', 'b=be&s=t&action=hdown',
  'b=be&s=t&s=h2&action=hdown', 'b=be&s=h1&action=adown', 'b=be&s=ag&action=adown', 'b=be&s=ag&action=arunn', 'b=be&s=h2&s=ag&action=hrunn',
  'b=be&s=bk&action=adown', 'b=be&s=bk&action=hrunn', 'b=be&s=bk&s=t&action=arunn',
  'b=be&s=nock&action=adown', 'b=be&s=nock&action=hdown', 'b=be&s=nock&s=h1&action=hrunn',
];

async function run(start: (text: string) => Promise<{ stop(): Promise<void>; lines(): string[] }>, hang: number, dir: string, tag: string): Promise<string[]> {
  const sock = path.join(dir, `${tag}.sock`);
  const port = await freePort();
  const proxy = await start(config(sock, port, hang));
  const out: string[] = [];
  try {
    out.push(await snapshot(sock));
    for (const line of COMMANDS) {
      out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      out.push(await snapshot(sock));
    }
    for (const body of FORMS) {
      out.push(`POST ${body} -> ${await post(port, body)}`);
      out.push(await snapshot(sock));
    }
    await new Promise((r) => setTimeout(r, 200));
    out.push(...changes(proxy.lines()));
  } finally {
    await proxy.stop();
  }
  return out;
}

// ~100 CLI snapshots per proxy, each read by a python csv reader: 39 s alone on a slow VM, over 60 s
// beside three other test files (CI, 2026-12-06). The timeout only guards against a hang.
test('set server health / agent and the form\'s force actions: answers, states, health, trackers and log lines as haproxy 2.6\'s', { timeout: 180_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  // Checks and agent connect and are never answered: no result during the test.
  const held: net.Socket[] = [];
  const hang = net.createServer((s) => { held.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const hangPort = (hang.address() as net.AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-force-'));
  try {
    const ours = await run(async (text) => {
      const e = await startEngine(text);
      return { stop: () => e.stop(), lines: () => e.alerts };
    }, hangPort, dir, 'ours');
    const theirs = await run(async (text) => {
      const port = Number(/bind 127\.0\.0\.1:(\d+)/.exec(text)![1]);
      const h = await startHaproxy(text, port);
      return { stop: () => h.stop(), lines: () => h.output().split('\n') };
    }, hangPort, dir, 'theirs');
    assert.deepEqual(ours, theirs);
  } finally {
    for (const s of held) s.destroy();
    hang.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
