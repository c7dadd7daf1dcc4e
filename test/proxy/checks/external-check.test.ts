/**
 * `option external-check` side by side with haproxy 2.6.12: the command's
 * arguments and environment, the verdicts of its exit status, a signal and a
 * timeout in `show stat`, the `option log-health-checks` lines, and the
 * configuration messages of `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { cli, readCsv } from '../stats/helpers.ts';
import { externalCheckRunner, externalCheckSpec } from '../../../proxy/checks/external.ts';
import type { BalancingProxy } from '../../../proxy/config/model.ts';
import type { ExternalCheckSpec } from '../../../proxy/checks/external.ts';

/**
 * A check script: writes its arguments and its whole environment (`export -p`, a shell builtin: the
 * PATH it gets is empty) to `<dir>/out.<server>`, then behaves as the server's name says.
 */
function writeScript(dir: string): string {
  const script = path.join(dir, 'check.sh');
  fs.writeFileSync(script, `#!/bin/sh
{ echo "argc=$#"; for a in "$@"; do echo "arg=$a"; done; export -p; } > "${dir}/out.$HAPROXY_SERVER_NAME"
case $HAPROXY_SERVER_NAME in
  up*) exit 0;;
  down3) exit 3;;
  killed) kill -9 $$;;
  slow) exec /bin/sleep 5;;
esac
exit 0
`, { mode: 0o755 });
  return script;
}

interface Seen {
  /** backend/server status check_status check_code, from `show stat`. */
  stat: string[];
  /** What each server's command was given, by server name. */
  recorded: Record<string, string>;
  /** Distinct health-check log lines, durations masked, sorted. */
  lines: string[];
}

test('option external-check runs the command with HAProxy\'s arguments and environment; exit 0 is UP, a non-zero exit, a signal and a timeout are DOWN, as in haproxy 2.6.12', async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-extcheck-'));
  try {
    const script = writeScript(dir);
    const bind = await freePort();
    const admin = path.join(dir, 'admin.sock');
    const config = `global
    log stdout format raw local0
    stats socket ${admin} level admin
    external-check
    insecure-fork-wanted
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen web
    bind 127.0.0.1:${bind}
    option external-check
    option log-health-checks
    external-check command ${script}
    external-check path /usr/bin:/bin
    server up1 127.0.0.1:1 check inter 1500 maxconn 7 ssl verify none
    server up2 [::1]:2 check inter 1500 rise 1 fall 1 proto h2
    server down3 127.0.0.1:3 check inter 1500 rise 1 fall 1
    server killed 127.0.0.1:4 check inter 1500 rise 1 fall 1
    server slow 127.0.0.1:5 check inter 700 rise 1 fall 1
    server upsock ${dir}/app.sock check inter 1500
    server upnoport 127.0.0.1 check port 9 inter 1500
backend other
    option external-check
    external-check command ${script}
    server upother 127.0.0.1:6 check inter 1500 id 42
`;
    const names = ['up1', 'up2', 'down3', 'killed', 'slow', 'upsock', 'upnoport', 'upother'];
    const seen = {} as Record<'haproxy' | 'loadstar', Seen>;
    for (const impl of ['haproxy', 'loadstar'] as const) {
      for (const n of names) fs.rmSync(path.join(dir, `out.${n}`), { force: true });
      let stop: () => Promise<void>;
      let lines: () => string[];
      if (impl === 'haproxy') {
        const h = await startHaproxy(config, bind);
        stop = h.stop;
        lines = () => h.output().split('\n');
      } else {
        const e = await startEngine(config);
        stop = e.stop;
        lines = () => [...e.alerts, ...e.logs];
      }
      let stat: string[] = [];
      try {
        // Until every server has a verdict and the slow one has timed out. (Its commands have inter to finish:
        // 1.5 s, so that a shell started on a loaded machine is not cut short by the time limit.)
        const statLines = async () => readCsv(await cli(admin, 'show stat')).filter((r) => names.includes(r['svname']!))
          .map((r) => `${r['pxname']}/${r['svname']} ${r['status']} ${r['check_status']!.replace(/^\* /, '')} ${r['check_code']}`);
        const deadline = Date.now() + 10_000;
        for (;;) {
          stat = await statLines();
          if (stat.length === names.length && stat.every((l) => / PROC(OK|ERR|TOUT) /.test(l)) && stat.includes('web/slow DOWN PROCTOUT 0')) break;
          if (Date.now() > deadline) throw new Error(`${impl}: no verdict for every server:\n${stat.join('\n')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await waitFor(`${impl}: every command recorded`, () => names.every((n) => fs.existsSync(path.join(dir, `out.${n}`))), 5000);
      } finally {
        await stop();
      }
      seen[impl] = {
        stat,
        recorded: Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(dir, `out.${n}`), 'utf8')])),
        lines: [...new Set(lines()
          .map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, '').replace(/check duration: \d+ms/, 'check duration: Nms')
            .replace(/\d+ active and \d+ backup servers/, 'N active and N backup servers').trim())
          .filter((l) => /^Health check for server/.test(l)))].sort(),
      };
    }
    if (process.env.SHOW_CHECK_LINES) console.log(JSON.stringify(seen, null, 1));
    // What haproxy 2.6.12 gives, recorded: the proxy's first bind, the server's own address and port
    // (a UNIX socket's path and NOT_USED; 0 without a port), NOT_USED for a backend without bind.
    const h = seen.haproxy;
    assert.match(h.recorded['up1']!, new RegExp(`^argc=4\narg=127.0.0.1\narg=${bind}\narg=127.0.0.1\narg=1\n`));
    assert.match(h.recorded['up1']!, /HAPROXY_SERVER_MAXCONN='7'\n/);
    assert.match(h.recorded['up1']!, /HAPROXY_SERVER_SSL='1'\n/);
    assert.match(h.recorded['up1']!, /HAPROXY_PROXY_ID='2'\n/);
    assert.match(h.recorded['up1']!, /PATH='\/usr\/bin:\/bin'\n/);
    assert.match(h.recorded['up2']!, /arg=::1\narg=2\n[^]*HAPROXY_SERVER_PROTO='h2'\n/);
    assert.match(h.recorded['upsock']!, new RegExp(`arg=${dir}/app.sock\narg=NOT_USED\n[^]*HAPROXY_SERVER_PORT=''\n`));
    assert.match(h.recorded['upnoport']!, /arg=127.0.0.1\narg=0\n/);
    assert.match(h.recorded['upother']!, /^argc=4\narg=NOT_USED\narg=NOT_USED\n[^]*HAPROXY_PROXY_ADDR=''\n[^]*HAPROXY_SERVER_ID='42'\n[^]*PATH=''\n/);
    assert.deepEqual(h.stat.filter((l) => /down3|killed|slow/.test(l)), ['web/down3 DOWN PROCERR 3', 'web/killed DOWN PROCERR 4294967295', 'web/slow DOWN PROCTOUT 0']);
    assert.ok(h.lines.includes('Health check for server web/killed failed, reason: External check error, code: -1, check duration: Nms, status: 0/1 DOWN.'), h.lines.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const CHECK_HEAD = `global
    external-check
    insecure-fork-wanted
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
`;

/** Configurations and the message haproxy 2.6.12's `haproxy -c` gives (each checked live below). */
const MISUSES: Array<[string, string, string]> = [
  ['the option without global external-check', `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend b\n    option external-check\n    external-check command /bin/true\n    server s 127.0.0.1:1 check\n`,
    `Proxy 'b' : 'option external-check' unable to find required 'global.external-check'.`],
  ['the option without a command', `${CHECK_HEAD}backend b\n    option external-check\n    server s 127.0.0.1:1 check\n`,
    `Proxy 'b' : 'option external-check' unable to find required 'external-check command'.`],
  ['a command without a leading / and no path', `${CHECK_HEAD}backend b\n    option external-check\n    external-check command true\n    server s 127.0.0.1:1 check\n`,
    `Proxy 'b': 'external-check command' does not have a leading '/' and 'external-check path' is not set.`],
  ['an argument after global external-check', `global\n    external-check now\n${CHECK_HEAD.slice(7)}backend b\n    server s 127.0.0.1:1\n`,
    `'external-check' cannot handle unexpected argument 'now'.`],
  ['an argument after the option', `${CHECK_HEAD}backend b\n    option external-check yes\n    external-check command /bin/true\n    server s 127.0.0.1:1 check\n`,
    `'option external-check' cannot handle unexpected argument 'yes'.`],
  ['no option external-check', `${CHECK_HEAD}backend b\n    no option external-check\n    server s 127.0.0.1:1\n`,
    `negation/default is not supported for option 'external-check'.`],
  ['external-check alone', `${CHECK_HEAD}backend b\n    external-check\n    server s 127.0.0.1:1\n`,
    `missing argument after 'external-check'.`],
  ['an unknown second word', `${CHECK_HEAD}backend b\n    external-check script /bin/true\n    server s 127.0.0.1:1\n`,
    `'external-check' only supports 'command' and 'path'. but got 'script'.`],
  ['a command without its argument', `${CHECK_HEAD}backend b\n    external-check command\n    server s 127.0.0.1:1\n`,
    `missing argument after 'command'.`],
  ['two words after command', `${CHECK_HEAD}backend b\n    external-check command /bin/check --fast\n    server s 127.0.0.1:1\n`,
    `'external-check' cannot handle unexpected argument '--fast'.`],
];

test('external-check misuse gets haproxy 2.6.12\'s messages, and an invalid configuration is refused', (t) => {
  const live = requireHaproxy(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-extcheck-cfg-'));
  try {
    for (const [what, text, message] of MISUSES) {
      const result = parseConfig([{ name: 'test.cfg', text }]);
      assert.equal(result.ok, false, what);
      assert.ok(formatDiagnostics(result.diagnostics).includes(message), `${what}:\n${formatDiagnostics(result.diagnostics)}`);
      if (live) {
        fs.writeFileSync(path.join(dir, 'c.cfg'), text);
        const h = haproxyCheck('c.cfg', dir);
        assert.notEqual(h.status, 0, what);
        assert.ok(h.output.includes(message), `${what}: haproxy said\n${h.output}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('external-check warnings as haproxy 2.6.12\'s: no insecure-fork-wanted, a command or path without the option (a frontend\'s too)', (t) => {
  const live = requireHaproxy(t);
  const text = `global
    external-check
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
backend b
    option external-check
    external-check command /bin/true
    server s 127.0.0.1:1 check
backend c
    option external-check
    option httpchk
    external-check command /bin/true
    external-check path /bin
    server s 127.0.0.1:1 check
frontend f
    bind 127.0.0.1:1
    external-check command /bin/true
    default_backend b
`;
  const warnings = [
    `Proxy 'b' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.`,
    `'external-check command' will be ignored for backend 'c' (requires 'option external-check').`,
    `'external-check path' will be ignored for backend 'c' (requires 'option external-check').`,
    `'external-check command' will be ignored for frontend 'f' (requires 'option external-check').`,
  ];
  const result = parseConfig([{ name: 'test.cfg', text }]);
  assert.equal(result.ok, true, formatDiagnostics(result.diagnostics));
  const out = formatDiagnostics(result.diagnostics);
  for (const w of warnings) assert.ok(out.includes(w), `${w}\n${out}`);
  assert.equal(result.diagnostics.filter((d) => d.message.includes('external-check')).length, warnings.length, out);
  if (!live) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-extcheck-cfg-'));
  try {
    fs.writeFileSync(path.join(dir, 'c.cfg'), text);
    const h = haproxyCheck('c.cfg', dir);
    assert.equal(h.status, 0, h.output);
    for (const w of warnings) assert.ok(h.output.includes(w), `${w}\n${h.output}`);
    assert.equal(h.output.split('\n').filter((l) => l.includes('external-check')).length, warnings.length, h.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a command that ignores SIGTERM past its time is killed before the next check starts: never two processes for one server', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-extcheck-run-'));
  try {
    const script = path.join(dir, 'stubborn.sh');
    fs.writeFileSync(script, `#!/bin/sh\ntrap '' TERM\necho start >> "${dir}/log"\n/bin/sleep 3\necho end >> "${dir}/log"\n`, { mode: 0o755 });
    const spec: ExternalCheckSpec = {
      command: script, path: '', proxyName: 'b', proxyId: 1, serverName: 's', serverId: 1, maxconn: 0, ssl: false, proto: 'tcp', timeout: 200,
    };
    const alerts: string[] = [];
    const runner = externalCheckRunner(spec, (m) => alerts.push(m));
    const server = { host: '127.0.0.1', port: 1, current: 0 };
    const first = await runner.run(server);
    assert.equal(first.code, 'PROCTOUT');
    assert.equal(first.status, 0);
    const second = await runner.run(server);
    assert.equal(second.code, 'PROCTOUT');
    runner.stop();
    // The first process was killed (SIGKILL) before the second started: one 'start' at a time, no 'end'.
    assert.equal(fs.readFileSync(path.join(dir, 'log'), 'utf8'), 'start\nstart\n');
    // A command that cannot be started: PROCERR with the code HAProxy's failed execvp() child exits with.
    const missing = externalCheckRunner({ ...spec, command: path.join(dir, 'missing') }, (m) => alerts.push(m));
    const result = await missing.run(server);
    assert.deepEqual([result.code, result.status], ['PROCERR', 255]);
    assert.deepEqual(alerts, ['Failed to exec process for external health check: No such file or directory. Aborting.']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the command has inter to finish, or timeout connect when shorter and timeout check is set, as process_chk_proc allows', () => {
  // Recorded from haproxy 2.6.12: timeout connect 300ms, timeout check 5s, inter 2s → PROCTOUT after 302 ms.
  const spec = (defaults: string) => {
    const result = parseConfig([{ name: 'test.cfg', text: `${CHECK_HEAD.replace('    timeout connect 1s\n', '')}${defaults}backend b
    option external-check
    external-check command /bin/true
    server s 127.0.0.1:1 check inter 2s
` }]);
    assert.equal(result.ok, true, formatDiagnostics(result.diagnostics));
    const proxy = result.config!.proxies.find((p) => p.name === 'b') as BalancingProxy;
    return externalCheckSpec(proxy, proxy.servers[0]!, { id: 1, maxconn: 0 }, 1).timeout;
  };
  assert.equal(spec('    timeout connect 300ms\n    timeout check 5s\n'), 300);
  assert.equal(spec('    timeout connect 300ms\n'), 2000);
  assert.equal(spec('    timeout connect 3s\n    timeout check 5s\n'), 2000);
});
