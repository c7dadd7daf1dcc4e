/**
 * `disable health` / `enable health` / `disable agent` / `enable agent` (HAProxy 2.6's
 * cli_parse_{dis,en}able_{health,agent}), side by side with haproxy: admin level, the answers,
 * the check stopped and started again, and the server's row as `show stat` shows it meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, startEngine, freePort } from '../../helpers/net.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, readCsv, row, until } from './helpers.ts';

function config(dir: string, port: number, origin: number, closed: number, agent: number): string {
  return `global
  stats socket ${path.join(dir, `${port}.admin.sock`)} mode 600 level admin
  stats socket ${path.join(dir, `${port}.oper.sock`)} mode 600 level operator
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
  # Long enough that no check times out under CI's load (at 1s, one did): the rows compare exactly.
  timeout check 10s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  option httpchk
  server up 127.0.0.1:${origin} check inter 100ms
  server down 127.0.0.1:${closed} check inter 100ms
  server nock 127.0.0.1:${origin}
  server ag 127.0.0.1:${origin} agent-check agent-port ${agent} agent-inter 100ms
`;
}

const FIELDS = ['status', 'weight', 'act', 'chkfail', 'chkdown', 'downtime', 'check_status', 'check_code', 'check_desc', 'check_rise', 'check_fall', 'check_health'];

/** The servers' rows as `server: field=value …` (counts shown as `>0`, so that timing does not matter). */
function servers(csv: string): string[] {
  const rows = readCsv(csv);
  return ['up', 'down', 'nock', 'ag'].map((sv) => {
    const r = row(rows, 'be', sv);
    const cells = FIELDS.map((f) => {
      // haproxy marks a check in progress with '* ' (its CHK_ST_INPROGRESS): a matter of timing.
      const v = f === 'check_status' ? r[f]!.replace(/^\* /, '') : r[f]!;
      return `${f}=${(f === 'chkfail' || f === 'chkdown' || f === 'downtime') && Number(v) > 0 ? '>0' : v}`;
    });
    return `${sv}: ${cells.join(' ')}`;
  });
}

/**
 * `show stat` at a moment no check or agent is under way: one under way shows code 0 (HAProxy resets
 * check->code as each rule runs), and the two sides would differ by when each was read.
 */
async function settledStat(sock: string): Promise<string> {
  let csv = '';
  await until(`no check under way on ${sock}`, async () => {
    csv = await cli(sock, 'show stat');
    return !readCsv(csv).some((r) => r['check_status']?.startsWith('* ') || r['agent_status']?.startsWith('* '));
  });
  return csv;
}

test('disable / enable health and agent: answers, levels, the check stopped and started again, show stat meanwhile', { timeout: 60_000 }, async (t) => {
  const origin = await startNamedServer('origin');
  // An agent that says the server is down, and counts how often it is asked.
  let asked = 0;
  const agent = net.createServer((s) => {
    asked++;
    s.on('error', () => {});
    s.end('down\n');
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const agentPort = (agent.address() as net.AddressInfo).port;
  const closed = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-checks-'));
  const seen: string[][] = [];
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await sideBySide(t, (port) => config(dir, port, origin.port, closed, agentPort), async (port) => {
      const admin = path.join(dir, `${port}.admin.sock`);
      const oper = path.join(dir, `${port}.oper.sock`);
      const out: string[] = [];
      const say = async (sock: string, line: string): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      await until('the checks settled', async () => {
        const r = readCsv(await cli(admin, 'show stat'));
        return row(r, 'be', 'down')['status'] === 'DOWN' && row(r, 'be', 'ag')['status'] === 'DOWN (agent)';
      });
      await pause(1100);
      out.push(...servers(await settledStat(admin)));

      await say(oper, 'disable health be/up');
      await say(oper, 'enable agent be/ag');
      for (const line of [
        'disable health', 'disable health be', 'disable health be/nope', 'disable health nope/up', 'enable agent be/nope',
        'disable health be/up', 'disable health be/down', 'disable health be/nock', 'enable health be/nock',
        'disable agent be/nock', 'enable agent be/nock', 'disable agent be/ag', 'disable health be/up',
      ]) await say(admin, line);
      await pause(150);
      const hits = origin.hits;
      const answers = asked;
      await pause(500);
      out.push(`checks while disabled: ${origin.hits - hits}, agent asked: ${asked - answers}`);
      const disabled = await cli(admin, 'show stat');
      out.push(...servers(disabled));
      out.push(`up lastchg kept: ${Number(row(readCsv(disabled), 'be', 'up')['lastchg']) >= 1}`);

      for (const line of ['enable health be/up', 'enable health be/down', 'enable agent be/ag']) await say(admin, line);
      out.push(...servers(await settledStat(admin)));
      await until('checks again', () => origin.hits > hits + 2 && asked > answers + 2);
      out.push(`checked again: true`);
      seen.push(out);
    });
    assert.ok(seen.length >= 1);
    if (seen.length === 2) assert.deepEqual(seen[0], seen[1], 'Loadstar, then haproxy');
    const UP = 'up: status=UP weight=1 act=1 chkfail=0 chkdown=0 downtime=0 check_status=L7OK check_code=200 check_desc=Layer7 check passed check_rise=2 check_fall=3 check_health=4';
    const DOWN = 'down: status=DOWN weight=1 act=1 chkfail=>0 chkdown=>0 downtime=>0 check_status=L4CON check_code= check_desc=Layer4 connection problem check_rise=2 check_fall=3 check_health=0';
    const NOCK = 'nock: status=no check weight=1 act=1 chkfail= chkdown= downtime= check_status= check_code= check_desc= check_rise= check_fall= check_health=';
    const AG = 'ag: status=DOWN (agent) weight=1 act=1 chkfail= chkdown= downtime= check_status= check_code= check_desc= check_rise= check_fall= check_health=';
    // Turned off, a check shows as none: "no check" (or DOWN), no counters, no result.
    const OFF = (sv: string, status: string): string => `${sv}: status=${status} weight=1 act=1 chkfail= chkdown= downtime= check_status= check_code= check_desc= check_rise= check_fall= check_health=`;
    assert.deepEqual(seen[0], [
      UP, DOWN, NOCK, AG,
      'disable health be/up -> "Permission denied\\n\\n"',
      'enable agent be/ag -> "Permission denied\\n\\n"',
      'disable health -> "Require \'backend/server\'.\\n\\n"',
      'disable health be -> "Require \'backend/server\'.\\n\\n"',
      'disable health be/nope -> "No such server.\\n\\n"',
      'disable health nope/up -> "No such backend.\\n\\n"',
      'enable agent be/nope -> "No such server.\\n\\n"',
      'disable health be/up -> "\\n"',
      'disable health be/down -> "\\n"',
      'disable health be/nock -> "\\n"',
      'enable health be/nock -> "Health check was not configured on this server, cannot enable.\\n\\n"',
      'disable agent be/nock -> "\\n"',
      'enable agent be/nock -> "Agent was not configured on this server, cannot enable.\\n\\n"',
      'disable agent be/ag -> "\\n"',
      'disable health be/up -> "\\n"',
      'checks while disabled: 0, agent asked: 0',
      OFF('up', 'no check'), OFF('down', 'DOWN'), NOCK, OFF('ag', 'DOWN'),
      'up lastchg kept: true',
      'enable health be/up -> "\\n"',
      'enable health be/down -> "\\n"',
      'enable agent be/ag -> "\\n"',
      UP, DOWN, NOCK, AG,
      'checked again: true',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
    agent.close();
  }
});

test('a check turned off stays off across a reload, as the servers\' runtime admin state does; enable health turns it on again', async () => {
  const origin = await startNamedServer('origin');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-checks-'));
  const port = await freePort();
  const text = config(dir, port, origin.port, await freePort(), await freePort());
  const admin = path.join(dir, `${port}.admin.sock`);
  const e = await startEngine(text);
  const status = async (): Promise<string> => row(readCsv(await cli(admin, 'show stat')), 'be', 'up')['status']!;
  try {
    // 20 s: the first check's result comes late on a loaded machine (CI, 2026-12-06: over 5 s).
    await until('up checked', async () => (await status()) === 'UP', 20_000);
    assert.equal(await cli(admin, 'disable health be/up'), '\n');
    const parsed = parseConfig([{ name: 'test.cfg', text: text + '# reloaded\n' }]);
    assert.ok(parsed.ok);
    await e.engine.reload(parsed.config);
    assert.equal(await status(), 'no check');
    const hits = origin.hits;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(origin.hits, hits, 'no check runs');
    assert.equal(await cli(admin, 'enable health be/up'), '\n');
    assert.equal(await status(), 'UP');
    await until('checked again', () => origin.hits > hits);
  } finally {
    await e.stop();
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
