/**
 * `server-state-file` / `load-server-state-from-file` side by side with haproxy 2.6.12: each proxy
 * runs, gets runtime changes (maint, drain, weight, a `disabled` server made ready, a port moved),
 * its `show servers state` is saved to the file(s) its configuration names, and it starts again with
 * them; what `show servers state` and `show stat` say after must match. Also the parse cases (messages
 * for misuse), checked against `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { freePort, startEngine } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli, readCsv, until } from '../stats/helpers.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from '../config/lib/parse-cases.ts';

interface Running {
  warnings(): string;
  stop(): Promise<void>;
}

async function start(kind: 'loadstar' | 'haproxy', text: string, port: number): Promise<Running> {
  if (kind === 'loadstar') {
    const e = await startEngine(text);
    return { warnings: () => e.alerts.join('\n'), stop: () => e.stop() };
  }
  const h = await startHaproxy(text, port);
  return { warnings: () => h.output(), stop: () => h.stop() };
}

function listen(): Promise<http.Server> {
  return new Promise((resolve) => {
    const s = http.createServer((_req, res) => res.end('ok'));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

test('servers take the state a show servers state dump saved when the proxy starts again, as in haproxy 2.6.12', { timeout: 60_000 }, async () => {
  const [a, b] = [await listen(), await listen()];
  const live = (a.address() as AddressInfo).port;
  const other = (b.address() as AddressInfo).port;
  const dead = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-state-file-'));
  const config = (kind: string, port: number) => `global
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
  server-state-base ${dir}
  server-state-file state-${kind}
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout check 5s
  load-server-state-from-file global
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server plain 127.0.0.1:${live}
  server maint 127.0.0.1:${live}
  server drain 127.0.0.1:${live} check inter 200ms
  server weight 127.0.0.1:${live} weight 10
  server chkmaint 127.0.0.1:${live} check inter 200ms
  server dis 127.0.0.1:${live} disabled
  server dead 127.0.0.1:${dead} check inter 100ms fall 1
  server moved 127.0.0.1:${live}
backend none
  load-server-state-from-file none
  server n1 127.0.0.1:${live}
backend loc
  load-server-state-from-file local
  server-state-file-name loc-${kind}
  server l1 127.0.0.1:${live} weight 5
`;
  const seen = new Map<string, { state: string[]; stat: string[]; warnings: string[] }>();
  try {
    for (const kind of haproxyPath ? ['loadstar', 'haproxy'] as const : ['loadstar'] as const) {
      const port = await freePort();
      let proxy = await start(kind, config(kind, port), port);
      let sock = path.join(dir, `${port}.sock`);
      const firstWarnings = proxy.warnings();
      try {
        for (const line of [
          'set server be/maint state maint', 'set server be/drain state drain', 'set weight be/weight 7', 'set server be/chkmaint state maint',
          'set server be/dis state ready', `set server be/moved addr 127.0.0.1 port ${other}`, 'set server none/n1 state maint', 'set weight loc/l1 3',
        ]) await cli(sock, line);
        await until('be/dead DOWN', async () => readCsv(await cli(sock, 'show stat')).some((r) => r['svname'] === 'dead' && r['status'] === 'DOWN'));
        fs.writeFileSync(path.join(dir, `state-${kind}`), await cli(sock, 'show servers state'));
        fs.writeFileSync(path.join(dir, `loc-${kind}`), await cli(sock, 'show servers state loc'));
      } finally {
        await proxy.stop();
      }
      const port2 = await freePort();
      proxy = await start(kind, config(kind, port2), port2);
      sock = path.join(dir, `${port2}.sock`);
      try {
        await new Promise((r) => setTimeout(r, 300));
        const state = (await cli(sock, 'show servers state')).split('\n').slice(2).filter((l) => l !== '').map((l) => {
          const f = l.split(' ');
          // name op admin uweight iweight port
          return [f[1], f[3], f[5], f[6], f[7], f[8], f[18] === String(other) ? 'other' : f[18] === String(live) ? 'live' : f[18] === String(dead) ? 'dead' : f[18]].join(' ');
        });
        const stat = readCsv(await cli(sock, 'show stat')).filter((r) => r['svname'] !== 'FRONTEND').map((r) => `${r['pxname']}/${r['svname']} ${r['status']} ${r['weight']}`);
        const warnings = proxy.warnings().split('\n').filter((l) => /server-state|server state/.test(l)).map((l) => l.replace(/^.*?(Server|config:)/, '$1').replace(/ \d+ active.*/, ''));
        seen.set(kind, { state, stat, warnings });
        assert.match(firstWarnings, new RegExp(`config: Can't open global server state file '${path.join(dir, `state-${kind}`)}': No such file or directory`));
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    a.close();
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const expected = {
    state: [
      'be plain 2 0 1 1 live',
      // Maintenance forced at run time comes back; a checked server in maintenance is stopped.
      'be maint 0 1 1 1 live',
      'be drain 2 8 1 1 live',
      // The weight set at run time, the configured one being unchanged.
      'be weight 2 0 7 10 live',
      'be chkmaint 0 1 1 1 live',
      // `disabled`, then ready at run time: ready again (the configuration's flag 4 stays).
      'be dis 2 4 1 1 live',
      'be dead 0 0 1 1 dead',
      // srv_port is applied: the port `set server … addr … port` gave.
      'be moved 2 0 1 1 other',
      // `load-server-state-from-file none`: its maintenance is not restored.
      'none n1 2 0 1 1 live',
      // A local file (server-state-file-name).
      'loc l1 2 0 3 5 live',
    ],
    stat: [
      'be/plain no check 1', 'be/maint MAINT 1', 'be/drain DRAIN 1', 'be/weight no check 7', 'be/chkmaint MAINT 1', 'be/dis no check 1',
      'be/dead DOWN 1', 'be/moved no check 1', 'be/BACKEND UP 10', 'none/n1 no check 1', 'none/BACKEND UP 1', 'loc/l1 no check 3', 'loc/BACKEND UP 3',
    ],
  };
  for (const [kind, s] of seen) {
    assert.deepEqual(s.state, expected.state, kind);
    assert.deepEqual(s.stat, expected.stat, kind);
    assert.ok(s.warnings.includes('Server be/dead is DOWN, changed from server-state after a reload.'), `${kind}: ${s.warnings.join('\n')}`);
  }
});

const head = `defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
`;
const cases: ParseCase[] = [
  { text: `global\n  server-state-base /tmp\n  server-state-file state\n${head}backend be\n  load-server-state-from-file global\n  server s 127.0.0.1:1\n`, valid: true },
  { text: `global\n  server-state-file\n${head}`, valid: false, message: "'server-state-file' expect one argument: a file path." },
  { text: `global\n  server-state-base\n${head}`, valid: false, message: "'server-state-base' expects one argument: a directory path." },
  { text: `global\n  server-state-file a\n  server-state-file b\n${head}`, valid: false, message: "'server-state-file' already specified. Continuing." },
  { text: `${head}backend be\n  load-server-state-from-file bogus\n`, valid: false, message: "'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'bogus'" },
  { text: `${head}backend be\n  server-state-file-name a b\n`, valid: false, message: "'server-state-file-name' cannot handle unexpected argument 'b'." },
  { text: `${head}frontend fe\n  bind 127.0.0.1:1\n  load-server-state-from-file local\n  default_backend be\nbackend be\n`, valid: true, message: "'load-server-state-from-file' ignored because frontend 'fe' has no backend capability." },
  { text: `${head}backend be\n  load-server-state-from-file global\n  server s 127.0.0.1:1\n`, valid: true, message: "backend 'be' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!" },
  { text: `${head}  load-server-state-from-file local\n  server-state-file-name use-backend-name\nbackend be\n  server s 127.0.0.1:1\n`, valid: true },
];

test('server-state keywords: accepted and refused as haproxy 2.6.12 -c does, with its messages', () => {
  assertLoadstarParses(cases);
});

test('server-state keywords: the same cases through haproxy -c', (t) => {
  assertHaproxyParses(t, cases);
});

test('a state file also keeps checks and agents disabled, the check status, and a host-name server\'s last address; an invalid srv_fqdn refuses its line, as in haproxy 2.6.12', { timeout: 60_000 }, async () => {
  const live = await listen();
  const livePort = (live.address() as AddressInfo).port;
  const dead = await freePort();
  // An agent that would say "down" if it were asked.
  const agent = net.createServer((s) => s.end('down\n'));
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const agentPort = (agent.address() as AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-state-file-'));
  const config = (port: number) => `global
  stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
  server-state-file ${path.join(dir, 'state')}
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  load-server-state-from-file global
resolvers quiet
  nameserver ns 127.0.0.1:${dead}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server hdis 127.0.0.1:${livePort} check inter 100ms
  server hdown 127.0.0.1:${dead} check inter 100ms
  server adis 127.0.0.1:${livePort} agent-check agent-port ${agentPort} agent-inter 100ms
  server named nonexistent.invalid:${livePort} init-addr last,none
  server badfqdn 127.0.0.1:${livePort}
  server paused 127.0.0.1:${livePort} check inter 100ms
  server rnamed nonexistent.invalid:${livePort} resolvers quiet init-addr last,none
`;
  // be_id be_name srv_id srv_name srv_addr op admin uweight iweight since check_status check_result health check_state agent_state bk_forced srv_forced fqdn port srvrecord ssl check_port check_addr agent_addr agent_port
  fs.writeFileSync(path.join(dir, 'state'), `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
2 be 1 hdis 127.0.0.1 2 0 1 1 30 8 2 2 2 0 0 0 - ${livePort} - 0 0 - - 0
2 be 2 hdown 127.0.0.1 0 0 1 1 30 8 2 0 2 0 0 0 - ${dead} - 0 0 - - 0
2 be 3 adis 127.0.0.1 2 0 1 1 30 1 0 0 0 18 0 0 - ${livePort} - 0 0 - - ${agentPort}
2 be 4 named 127.0.0.1 2 0 1 1 30 1 0 0 0 0 0 0 nonexistent.invalid ${livePort} - 0 0 - - 0
2 be 5 badfqdn 127.0.0.1 2 1 1 1 30 1 0 0 0 0 0 0 bad!name ${livePort} - 0 0 - - 0
2 be 6 paused 127.0.0.1 0 1 1 1 30 8 2 0 14 0 0 0 - ${livePort} - 0 0 - - 0
2 be 7 rnamed 127.0.0.1 2 0 1 1 30 1 0 0 0 0 0 0 nonexistent.invalid ${livePort} - 0 0 - - 0
`);
  const seen = new Map<string, { state: string[]; stat: string[]; warnings: string[] }>();
  try {
    for (const kind of haproxyPath ? ['loadstar', 'haproxy'] as const : ['loadstar'] as const) {
      const port = await freePort();
      const proxy = await start(kind, config(port), port);
      const sock = path.join(dir, `${port}.sock`);
      try {
        // Long enough for checks and agents that run to have said something.
        await new Promise((r) => setTimeout(r, 600));
        const state = (await cli(sock, 'show servers state')).split('\n').slice(2).filter((l) => l !== '').map((l) => {
          const f = l.split(' ');
          // name addr op admin check_status check_result health check_state agent_state fqdn
          return [f[3], f[4], f[5], f[6], f[10], f[11], f[12], f[13], f[14], f[17]].join(' ');
        });
        const stat = readCsv(await cli(sock, 'show stat')).filter((r) => r['pxname'] === 'be' && r['svname'] !== 'BACKEND')
          .map((r) => `${r['svname']} ${r['status']} ${r['check_status'] || '-'} ${r['addr']?.replace(`:${livePort}`, ':live').replace(`:${dead}`, ':dead') || '-'}`);
        const warnings = proxy.warnings().split('\n').filter((l) => /server-state|could not resolve/.test(l)).map((l) => l.replace(/^.*?: config : /, ''));
        seen.set(kind, { state, stat, warnings });
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    live.close();
    agent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Recorded from haproxy 2.6.12 (and compared with it again when it is installed).
  const expected = {
    state: [
      // Checks disabled (check_state 2: configured, not enabled) keep the saved status and result (8 L4CON, 2 failed).
      'hdis 127.0.0.1 2 0 8 2 4 2 0 -',
      'hdown 127.0.0.1 0 0 8 2 0 2 0 -',
      // The agent disabled (0x12); a running server without a check of its own gets health rise + fall - 1.
      'adis 127.0.0.1 2 0 1 0 4 0 18 -',
      // init-addr last: the saved address, not maintenance for want of one.
      'named 127.0.0.1 2 0 1 0 4 0 0 nonexistent.invalid',
      // The invalid srv_fqdn refused the whole line: its maintenance was not applied.
      'badfqdn 127.0.0.1 2 0 1 0 2 0 0 -',
      // In maintenance the check is paused (14): the saved status shows.
      'paused 127.0.0.1 0 1 8 2 0 14 0 -',
      // The same with runtime DNS (its nameserver answers nothing yet).
      'rnamed 127.0.0.1 2 0 1 0 4 0 0 nonexistent.invalid',
    ],
    stat: [
      'hdis no check - 127.0.0.1:live', 'hdown DOWN - 127.0.0.1:dead', 'adis no check - 127.0.0.1:live',
      'named no check - 127.0.0.1:live', 'badfqdn no check - 127.0.0.1:live', 'paused MAINT - 127.0.0.1:live',
      'rnamed no check - 127.0.0.1:live',
    ],
    warnings: [
      'Server be/hdown is DOWN, changed from server-state after a reload. 6 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      "server-state partially applied for server 'be/adis', agent checks are not enabled on this server",
      "server-state application failed for server 'be/badfqdn', invalid srv_fqdn value 'bad!name'",
      'Server be/paused is DOWN, changed from server-state after a reload. 5 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ],
  };
  for (const [kind, s] of seen) assert.deepEqual(s, expected, kind);
});
