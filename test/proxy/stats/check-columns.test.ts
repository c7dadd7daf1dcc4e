/**
 * `show stat`'s health check and agent columns, `show stat typed`'s tags for them and `show servers
 * state`'s check columns, next to real HAProxy 2.6's on the same servers: INI and "* " (a check in
 * progress) before the first result, the agent's columns, no check columns for a server in
 * maintenance, and chkfail counting only failures while the server had health left (not an agent's "down").
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { adminHttpHead, cli, readCsv, until } from './helpers.ts';

interface Ports { fe: number; origin: number; dead: number; hang: number; agentDown: number; agentUp: number }

function config(sock: string, p: Ports): string {
  return `${adminHttpHead(sock)}frontend fe
    bind 127.0.0.1:${p.fe}
    default_backend be
backend be
    # Without it a check or an agent has its interval (300 ms) in all: on a loaded machine the agents timed out.
    timeout check 5s
    server up 127.0.0.1:${p.origin} check inter 300ms
    server refused 127.0.0.1:${p.dead} check inter 150ms rise 2 fall 2
    server agentdown 127.0.0.1:${p.origin} check inter 300ms agent-check agent-port ${p.agentDown} agent-inter 300ms
    server agentup 127.0.0.1:${p.origin} agent-check agent-port ${p.agentUp} agent-inter 300ms
    server maint 127.0.0.1:${p.origin} check inter 300ms disabled
    server nocheck 127.0.0.1:${p.origin}
backend slow
    option httpchk GET /health
    timeout check 60s
    server hanging 127.0.0.1:${p.hang} check inter 300ms
`;
}

const COLUMNS = ['status', 'chkfail', 'chkdown', 'check_status', 'check_code', 'check_desc', 'last_chk', 'check_rise', 'check_fall', 'check_health',
  'agent_status', 'agent_code', 'agent_desc', 'last_agt', 'agent_rise', 'agent_fall', 'agent_health'];

/** The compared columns of every server row, durations only as present or not. */
function serverColumns(csv: string): string[] {
  return readCsv(csv).filter((r) => r['svname'] !== 'FRONTEND' && r['svname'] !== 'BACKEND').map((r) => [
    `${r['pxname']}/${r['svname']}`, ...COLUMNS.map((k) => `${k}=${r[k]}`),
    `check_duration:${r['check_duration'] === '' ? 'empty' : 'set'}`, `agent_duration:${r['agent_duration'] === '' ? 'empty' : 'set'}`,
  ].join(' '));
}

/**
 * A moment where every server has settled: the refused one DOWN, the agent's "down" taken, the hanging
 * one's first check under way, and no other check running (its "* " would be a matter of timing).
 */
function settled(columns: string[]): boolean {
  const line = (name: string): string => columns.find((l) => l.startsWith(`${name} `)) ?? '';
  return line('be/refused').includes('status=DOWN ') && line('be/agentdown').includes('agent_health=0')
    && line('be/agentup').includes('agent_status=L7OK ') && line('be/up').includes('check_status=L4OK ')
    && line('slow/hanging').includes('check_status=* INI ')
    && columns.filter((l) => l.includes('_status=* ')).length === 1 && !columns.some((l) => /_status=L[467]TOUT /.test(l));
}

/**
 * How long to wait for such a moment. Checks run every 150–300 ms and each takes longer on a loaded
 * machine, so a moment with none but the hanging one running gets rare: once in CI, 10 s had none.
 */
const SETTLE_MS = 30_000;

async function snapshot(sock: string): Promise<{ stat: string[]; typed: string[]; state: string[] }> {
  let stat: string[] = [];
  await until(`settled checks on ${sock}`, async () => settled(stat = serverColumns(await cli(sock, 'show stat'))), SETTLE_MS);
  // The same for the typed form, another moment: only the hanging check may be running.
  let typed: string[] = [];
  await until(`settled typed columns on ${sock}`, async () => {
    typed = (await cli(sock, 'show stat typed')).split('\n')
      .filter((l) => /^S\.\d+\.\d+\.\d+\.(check_|agent_|last_chk|last_agt|chkfail)/.test(l))
      // Durations differ by a millisecond between the two; their presence and tags are compared.
      .map((l) => l.replace(/^(S\.\d+\.\d+\.\d+\.(?:check|agent)_duration\.\d+:\w+:\w+:)\d+$/, '$1N'));
    // A check or agent that timed out is the loaded machine's moment (haproxy's agent-inter 300ms is also its timeout): wait for the next.
    return typed.filter((l) => l.includes(':* ')).length === 1 && !typed.some((l) => /_status\.\d+:\w+:\w+:L[467]TOUT$/.test(l));
  }, SETTLE_MS);
  // srv_check_status … srv_agent_state of each server; the hanging check stays in progress (CHK_ST_INPROGRESS).
  let state: string[] = [];
  await until(`settled servers state on ${sock}`, async () => {
    state = (await cli(sock, 'show servers state')).split('\n').slice(2).filter(Boolean).map((l) => {
      const f = l.split(' ');
      return [f[1], f[3], ...f.slice(10, 15)].join(' ');
    });
    return state.filter((l) => l.split(' ').slice(5).some((v) => Number(v) & 1)).length === 1;
  }, SETTLE_MS);
  return { stat, typed, state };
}

test('show stat check and agent columns, their typed tags and show servers state check columns as HAProxy 2.6 shows them, in progress and before the first result included', { timeout: 150_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-check-columns-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const origin = await startRawServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  // Accepts a health check and never answers it: the check runs until its 60 s timeout, longer than the test waits.
  const held: net.Socket[] = [];
  const hang = await startRawServer((s) => held.push(s));
  const agentDown = await startRawServer((s) => s.end('down\n'));
  const agentUp = await startRawServer((s) => s.end('up 75%\n'));
  t.after(async () => { await Promise.all([origin, hang, agentDown, agentUp].map((s) => s.close())); });
  const base = { origin: origin.port, dead: await freePort(), hang: hang.port, agentDown: agentDown.port, agentUp: agentUp.port };
  const hSock = path.join(dir, 'haproxy.sock');
  const lSock = path.join(dir, 'loadstar.sock');
  const hPorts = { ...base, fe: await freePort() };
  const lPorts = { ...base, fe: await freePort() };
  const haproxy = await startHaproxy(config(hSock, hPorts), hPorts.fe);
  const loadstar = await startEngine(config(lSock, lPorts));
  try {
    const [theirs, ours] = await Promise.all([snapshot(hSock), snapshot(lSock)]);
    assert.deepEqual(ours.stat, theirs.stat);
    assert.deepEqual(ours.typed, theirs.typed);
    assert.deepEqual(ours.state, theirs.state);
    // What the comparison covers, stated: the refused server's failures stop counting once it is DOWN
    // (one took it there), and the agent's "down" does not count.
    assert.match(ours.stat.find((l) => l.startsWith('be/refused '))!, /chkfail=1 /);
    assert.match(ours.stat.find((l) => l.startsWith('be/agentdown '))!, /chkfail=0 /);
    assert.match(ours.state.find((l) => l.startsWith('slow hanging '))!, / 7 0$/);
  } finally {
    await loadstar.stop();
    await haproxy.stop();
  }
});

/** One proxy of a side-by-side pair: its runtime API socket and its frontend's port. */
interface Side { sock: string; fe: number }

/**
 * HAProxy and Loadstar each on the configuration `configFor` writes for its own socket, port and
 * name ('haproxy', 'loadstar'); both stopped when the test ends.
 */
async function bothSides(t: TestContext, configFor: (side: Side, name: 'haproxy' | 'loadstar') => string): Promise<{ haproxy: Side; loadstar: Side }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-check-sides-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const haproxy = { sock: path.join(dir, 'haproxy.sock'), fe: await freePort() };
  const loadstar = { sock: path.join(dir, 'loadstar.sock'), fe: await freePort() };
  const theirs = await startHaproxy(configFor(haproxy, 'haproxy'), haproxy.fe);
  t.after(() => theirs.stop());
  const ours = await startEngine(configFor(loadstar, 'loadstar'));
  t.after(() => ours.stop());
  return { haproxy, loadstar };
}

/** The server `sv`'s check columns in `show stat`. */
async function svColumns(sock: string, fields: readonly string[]): Promise<string> {
  const r = readCsv(await cli(sock, 'show stat')).find((row) => row['svname'] === 'sv')!;
  return fields.map((f) => `${f}=${r[f]}`).join(' ');
}

test('a check under way after a result shows the last status with "* ", code 0 and no last_chk, in show stat and the Prometheus exporter: HAProxy 2.6 resets check->code as each tcp-check rule runs', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  // Answers each proxy's first health check with 200, then holds every later one unanswered.
  const answered = new Set<string>();
  const held: net.Socket[] = [];
  const origin = await startRawServer((s) => {
    s.once('data', (d: Buffer) => {
      const who = /x-who: (\w+)/i.exec(String(d))?.[1] ?? '';
      if (answered.has(who)) return void held.push(s);
      answered.add(who);
      s.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
  });
  t.after(() => origin.close());
  const { haproxy, loadstar } = await bothSides(t, ({ sock, fe }, name) => `${adminHttpHead(sock)}frontend fe
    bind 127.0.0.1:${fe}
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend be
backend be
    option httpchk
    http-check send hdr x-who ${name}
    timeout check 60s
    server sv 127.0.0.1:${origin.port} check inter 200ms
`);
  const columns = (sock: string): Promise<string> => svColumns(sock, ['status', 'check_status', 'check_code', 'last_chk']);
  // A server starts UP; the first check's 200 keeps it so, and the second check hangs.
  for (const side of [haproxy, loadstar]) await until(`the second check under way on ${side.sock}`, async () => (await columns(side.sock)).includes('* L7OK'), 10_000);
  assert.equal(await columns(loadstar.sock), await columns(haproxy.sock));
  assert.equal(await columns(loadstar.sock), 'status=UP check_status=* L7OK check_code=0 last_chk=');
  // The exporter reads the same check->code.
  const exported = async (fe: number): Promise<string | undefined> =>
    (await (await fetch(`http://127.0.0.1:${fe}/metrics`)).text()).split('\n').find((l) => l.startsWith('haproxy_server_check_code{'));
  assert.equal(await exported(loadstar.fe), await exported(haproxy.fe));
  assert.equal(await exported(loadstar.fe), 'haproxy_server_check_code{proxy="be",server="sv"} 0');
});

test('an external check under way keeps the last code (not last_chk): its process does not reset check->code as tcp-check rules do', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-extcheck-code-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // One script per proxy: its first run exits 3, every later one runs until killed (at inter). HAProxy
  // runs it with an empty PATH: the commands are named in full.
  const script = (name: string): string => {
    const file = path.join(dir, `${name}.sh`);
    fs.writeFileSync(file, `#!/bin/sh\nif [ -e ${dir}/${name}.ran ]; then exec /bin/sleep 30; fi\n/usr/bin/touch ${dir}/${name}.ran\nexit 3\n`, { mode: 0o755 });
    return file;
  };
  const { haproxy, loadstar } = await bothSides(t, ({ sock, fe }, name) => `${adminHttpHead(sock).replace('global\n', 'global\n    external-check\n    insecure-fork-wanted\n')}frontend fe
    bind 127.0.0.1:${fe}
    default_backend be
backend be
    option external-check
    external-check command ${script(name)}
    timeout check 60s
    server sv 127.0.0.1:1 check inter 1s
`);
  // The process may run for `inter` before it is killed: each side is read while its second one runs.
  const underWay = async (sock: string): Promise<string> => {
    let seen = '';
    await until(`the second check under way on ${sock}`, async () => (seen = await svColumns(sock, ['check_status', 'check_code', 'last_chk'])).startsWith('check_status=* ') && !seen.includes('INI'), 10_000);
    return seen;
  };
  const [theirs, ours] = await Promise.all([underWay(haproxy.sock), underWay(loadstar.sock)]);
  assert.equal(ours, theirs);
  assert.equal(ours, 'check_status=* PROCERR check_code=3 last_chk=');
});
