/**
 * `server … track [<backend>/]<server>` compared with HAProxy 2.6.12: the
 * configuration errors `haproxy -c` gives, and at run time a chain a/s1 (checked)
 * ← a/s2 ← b/s3, plus b/s4 (disabled) tracking a/s1. What HAProxy showed is
 * recorded here; the same scenario then runs on haproxy where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, haproxyCheck, inAlertWords } from '../../helpers/haproxy.ts';
import { cli, until } from '../stats/helpers.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

/** Configuration → the alert haproxy -c printed (after "[ALERT] … : config : [t.cfg:N] : "), or '' when valid. */
const CONFIG_CASES: Array<[string, string]> = [
  ['backend a\n    server s1 127.0.0.1:1 check\n    server s2 127.0.0.1:2 track s1\n', ''],
  ['backend a\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2 track s1\n', "8: 'server a/s2' : unable to use a/s1 for tracking as it does not have any check nor agent enabled."],
  ['backend a\n    server s2 127.0.0.1:2 track nope\n', "7: 'server a/s2' : unable to find required server 'nope' for tracking."],
  ['backend a\n    server s2 127.0.0.1:2 track zz/s1\n', "7: 'server a/s2' : unable to find required proxy 'zz' for tracking."],
  ['backend a\n    server s1 127.0.0.1:1 track s2\n    server s2 127.0.0.1:2 track s1\n', "8: 'server a/s2' : unable to track a/s1 as it belongs to a tracking chain looping back to a/s2."],
  ['backend a\n    server s1 127.0.0.1:1 track s1\n', "7: 'server a/s1' : unable to track a/s1 as it belongs to a tracking chain looping back to a/s1."],
  ['backend a\n    server s1 127.0.0.1:1 check\n    server s2 127.0.0.1:2 check track s1\n', "8: 'server a/s2' : unable to enable checks and tracking at the same time!"],
  ['backend a\n    server s1 127.0.0.1:1 check\nbackend b\n    server s2 127.0.0.1:2 track a/s1\n    server s3 127.0.0.1:2 track s2\n', ''],
  ['backend a\n    option httpchk\n    http-check disable-on-404\n    server s1 127.0.0.1:1 check\nbackend b\n    server s2 127.0.0.1:2 track a/s1\n', "11: 'server b/s2' : unable to use a/s1 fortracking: disable-on-404 option inconsistency."],
  ['backend a\n    server s1 127.0.0.1:1 agent-check agent-port 1\nbackend b\n    server s2 127.0.0.1:2 track a/s1\n', ''],
  ['backend a\n    server s1 127.0.0.1:1 check\n    server s2 127.0.0.1:2 track\n', "8: 'server a/s2' : 'track' expects [<proxy>/]<server> as argument.."],
];

test('track: configuration errors are the ones haproxy -c gives', () => {
  for (const [text, expected] of CONFIG_CASES) {
    const r = parseConfig([{ name: 't.cfg', text: HEAD + text }]);
    const alerts = r.diagnostics.filter((d) => d.severity === 'alert').map((d) => `${d.line}: ${d.message}`);
    assert.deepEqual(alerts, expected ? [expected] : [], text);
  }
});

test('track: haproxy -c answers as recorded', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-track-'));
  try {
    for (const [text, expected] of CONFIG_CASES) {
      fs.writeFileSync(path.join(dir, 't.cfg'), HEAD + text);
      const { output } = haproxyCheck('t.cfg', dir);
      const alert = /\[t\.cfg:(\d+)\] : (.*)/.exec(output);
      assert.equal(alert ? `${alert[1]}: ${alert[2]}` : '', expected, text);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

interface Setup { dir: string; admin: string; port: number; origin: number }

function config(s: Setup): string {
  return `global
    log stdout format raw local0
    stats socket ${s.admin} level admin
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${s.port}
    default_backend a
backend a
    server s1 127.0.0.1:${s.origin} check inter 200 rise 2 fall 2
    server s2 127.0.0.1:${s.origin} track s1
backend b
    server s3 127.0.0.1:${s.origin} track a/s2
    server s4 127.0.0.1:${s.origin} track a/s1 disabled
`;
}

/**
 * `show stat` status of a/s1, a/s2, b/s3, b/s4, their check_status and `tracked`. HAProxy marks a
 * check running at that moment with `* ` before its status (a loaded run caught `* L4CON`); Loadstar
 * does not mark them, and when the dump falls is not what is compared.
 */
async function statuses(admin: string): Promise<string[]> {
  const lines = (await cli(admin, 'show stat')).split('\n');
  const names = lines[0]!.replace(/^# /, '').split(',');
  const at = (n: string) => names.indexOf(n);
  return lines.slice(1).map((l) => l.split(',')).filter((f) => /^s\d$/.test(f[1]!)).map((f) => `${f[0]}/${f[1]} ${f[at('status')]} ${f[at('check_status')]!.replace(/^\* /, '')}${f[at('tracked')] ? ` tracks ${f[at('tracked')]}` : ''}`);
}

/** `show servers state`: backend/server, srv_op_state, check status/result/health/state. */
async function serversState(admin: string): Promise<string[]> {
  return (await cli(admin, 'show servers state')).split('\n').filter((l) => /^\d+ /.test(l)).map((l) => {
    const f = l.split(' ');
    return `${f[1]}/${f[3]} op=${f[5]} check=${f[10]},${f[11]},${f[12]},${f[13]}`;
  });
}

const RECORDED = {
  up: ['a/s1 UP L4OK', 'a/s2 UP  tracks a/s1', 'b/s3 UP  tracks a/s2', 'b/s4 MAINT  tracks a/s1'],
  upState: ['a/s1 op=2 check=6,3,3,6', 'a/s2 op=2 check=1,0,2,0', 'b/s3 op=2 check=1,0,2,0'],
  /** The first `show stat` that shows a/s1 DOWN shows its trackers DOWN as well. */
  down: ['a/s1 DOWN L4CON', 'a/s2 DOWN  tracks a/s1', 'b/s3 DOWN  tracks a/s2', 'b/s4 MAINT  tracks a/s1'],
  downState: ['a/s1 op=0 check=8,2,0,6', 'a/s2 op=0 check=1,0,2,0', 'b/s3 op=0 check=1,0,2,0'],
  downLog: [
    'Server a/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    'Server a/s2 is DOWN via a/s1. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    "backend 'a' has no server available!",
    'Server b/s3 is DOWN via a/s2. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    "backend 'b' has no server available!",
  ],
  maintLog: [
    'Server a/s1 was DOWN and now enters maintenance.',
    'Server a/s2 was DOWN and now enters maintenance via a/s1.',
    'Server b/s3 was DOWN and now enters maintenance via a/s2.',
  ],
  /** b/s4 tracks a/s1 too (linked after a/s2, so told first); its own `disabled` keeps it in maintenance. */
  readyLog: [
    'Server a/s1 is UP/READY (leaving forced maintenance).',
    'Server b/s4 remains in forced maintenance.',
    'Server a/s2 is UP/READY (leaving maintenance).',
  ],
  maintUpLog: [
    'Server a/s1 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    'Server a/s2 is going DOWN for maintenance via a/s1. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    "backend 'a' has no server available!",
    'Server b/s3 is going DOWN for maintenance via a/s2. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    "backend 'b' has no server available!",
  ],
  maint: ['a/s1 MAINT ', 'a/s2 MAINT (via a/s1)  tracks a/s1', 'b/s3 MAINT (via a/s2)  tracks a/s2', 'b/s4 MAINT (via a/s1)  tracks a/s1'],
};

async function scenario(s: Setup, alerts: () => string[]) {
  const listen = async () => {
    const server = http.createServer((req, res) => { req.resume(); res.end('ok'); });
    await new Promise<void>((r) => server.listen(s.origin, '127.0.0.1', () => r()));
    return server;
  };
  let origin = await listen();
  try {
    await until('a/s1 UP', async () => (await statuses(s.admin))[0] === 'a/s1 UP L4OK');
    const up = await statuses(s.admin);
    const upState = (await serversState(s.admin)).slice(0, 3);
    const lines = async (command: string, n: number) => {
      const from = alerts().length;
      await cli(s.admin, command);
      await until(`${n} lines after ${command}`, () => alerts().length >= from + n);
      return alerts().slice(from, from + n);
    };
    const logged = alerts().length;
    await new Promise<void>((r) => { origin.closeAllConnections(); origin.close(() => r()); });
    let down: string[] = [];
    await until('a/s1 DOWN', async () => (down = await statuses(s.admin))[0]!.startsWith('a/s1 DOWN '));
    const downState = (await serversState(s.admin)).slice(0, 3);
    await until('the trackers\' lines', () => alerts().length >= logged + 5);
    const downLog = alerts().slice(logged, logged + 5).map((l) => l.replace(/check duration: \d+ms/, 'check duration: Nms'));
    const maintLog = await lines('set server a/s1 state maint', 3);
    const maint = await statuses(s.admin);
    const readyLog = await lines('set server a/s1 state ready', 3);
    // The origin back: once a/s1 is UP again, a maintenance entered while UP.
    // (Last: HAProxy leaves a tracker that went "going DOWN for maintenance" at check health 0 in show servers state.)
    origin = await listen();
    await until('a/s1 and its trackers UP again', async () => (await statuses(s.admin)).slice(0, 3).every((l) => / UP /.test(l) && !l.includes('/2')));
    const maintUpLog = await lines('set server a/s1 state maint', 5);
    return { up, upState, down, downState, downLog, maint, maintLog, readyLog, maintUpLog };
  } finally {
    origin.closeAllConnections();
    origin.close();
  }
}

async function setup(): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-track-'));
  return { dir, admin: path.join(dir, 'admin.sock'), port: await freePort(), origin: await freePort() };
}

test('track: trackers go DOWN with the tracked server, show its status, and inherit its maintenance, as in HAProxy', async () => {
  const s = await setup();
  const e = await startEngine(config(s));
  try {
    assert.deepEqual(await scenario(s, () => e.alerts), RECORDED);
  } finally {
    await e.stop();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('track: haproxy itself behaves as recorded', async (t) => {
  if (!requireHaproxy(t)) return;
  const s = await setup();
  const h = await startHaproxy(config(s), s.port);
  try {
    // With `log stdout`, each state change line is also written without its "[WARNING] (pid) :" prefix.
    const alerts = () => h.output().split('\n').filter((l) => /^(Server|backend) /.test(l)).map(inAlertWords);
    assert.deepEqual(await scenario(s, alerts), RECORDED);
  } finally {
    await h.stop();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});
