/**
 * The runtime API's commands about the process (stats/process-commands.ts), side by side with
 * haproxy 2.6.12: the same configuration, the same command lines, the same bytes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { freePort, request } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, until } from './helpers.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const varsConfig = (dir: string, port: number): string => `global
    stats socket ${dir}/${port}.sock mode 600 level admin
    stats socket ${dir}/${port}.user.sock mode 600 level user
    set-var proc.foo str(bar)
    set-var proc.n int(-42)
    set-var proc.b bool(1)
    set-var proc.ip4 str(1.2.3.4),ipmask(24)
    set-var proc.ip6 str(::1),ipmask(24,64)
    set-var proc.bin bin(6162)
    set-var proc.bin0 bin(41000a)
    set-var proc.bin1 bin(410a7f)
    set-var proc.meth str(GET),lower
    set-var proc.sp str("a b\\tc")
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend web
    bind 127.0.0.1:${port}
    http-request set-var(txn.t) var(proc.empty)
    http-request set-var(proc.last) path
    http-request return status 200
`;

test('get var answers as haproxy 2.6.12: the proc.* variables with a value, their type and printable text', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-get-var-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => varsConfig(dir, port), async (port) => {
      const admin = `${dir}/${port}.sock`;
      const out: string[] = [];
      const say = async (line: string, sock = admin): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      await say('get var proc.last');
      assert.equal((await request(port, '/a%01b')).status, 200);
      for (const name of ['', 'proc.foo', 'proc.n', 'proc.b', 'proc.ip4', 'proc.ip6', 'proc.bin', 'proc.bin0', 'proc.bin1', 'proc.meth', 'proc.sp',
        'proc.last', 'proc.empty', 'proc.nosuch', 'txn.t', 'foo', 'PROC.foo', 'proc.foo extra']) await say(`get var ${name}`.trim());
      await say('get var proc.foo', `${dir}/${port}.user.sock`);
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    'get var proc.last -> "Variable not found.\\n\\n"',
    'get var -> "Missing process-wide variable identifier.\\n\\n"',
    'get var proc.foo -> "proc.foo: type=str value=<bar>\\n"',
    'get var proc.n -> "proc.n: type=sint value=<-42>\\n"',
    'get var proc.b -> "proc.b: type=bool value=<1>\\n"',
    'get var proc.ip4 -> "proc.ip4: type=ipv4 value=<1.2.3.0>\\n"',
    'get var proc.ip6 -> "proc.ip6: type=ipv6 value=<::>\\n"',
    'get var proc.bin -> "proc.bin: type=bin value=<ab>\\n"',
    'get var proc.bin0 -> "proc.bin0: type=bin value=<A>\\n"',
    'get var proc.bin1 -> "proc.bin1: type=bin value=<A..>\\n"',
    'get var proc.meth -> "proc.meth: type=str value=<get>\\n"',
    'get var proc.sp -> "proc.sp: type=str value=<a b.c>\\n"',
    'get var proc.last -> "proc.last: type=str value=</a%01b>\\n"',
    'get var proc.empty -> "Variable not found.\\n\\n"',
    'get var proc.nosuch -> "Variable not found.\\n\\n"',
    'get var txn.t -> "Variable not found.\\n\\n"',
    'get var foo -> "Variable not found.\\n\\n"',
    'get var PROC.foo -> "Variable not found.\\n\\n"',
    'get var proc.foo extra -> "proc.foo: type=str value=<bar>\\n"',
    'get var proc.foo -> "Permission denied\\n\\n"',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});

const sessionConfig = (dir: string, port: number): string => `global
    stats socket ${dir}/${port}.sock mode 600 level admin
    stats socket ${dir}/${port}.oper.sock mode 600 level operator
    stats socket ${dir}/${port}.user.sock mode 600 level user
    stats socket ${dir}/${port}.sev.sock mode 600 level admin severity-output number
    stats timeout 60s
    set-var proc.foo str(bar)
defaults
    mode tcp
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend fe
    bind 127.0.0.1:${port}
`;

/** A session in prompt mode: sends `lines`, then waits up to `ms` for the proxy to close it; what it read, and whether it closed. */
function interactive(sock: string, lines: string[], ms: number): Promise<{ out: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(sock);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('error', () => {});
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ out, closed: false });
    }, ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ out, closed: true });
    });
    s.on('connect', () => s.write(['prompt', ...lines].map((l) => l + '\n').join('')));
  });
}

test('set severity-output, set timeout cli and show env answer as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-session-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => sessionConfig(dir, port), async (port) => {
      const admin = `${dir}/${port}.sock`;
      const out: string[] = [];
      const say = async (line: string, sock = admin): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      // Messages take the severity in front once asked, dumps do not; an error is 'err', an answer 'info'.
      await say('set severity-output number; show cli level; get var proc.foo; get var proc.nope; help get; set severity-output bogus; '
        + 'set severity-output string; get var proc.foo; clear table x; show table; set table x; user; get var proc.foo; set severity-output; '
        + 'set timeout cli; set timeout foo; set timeout cli 0; set timeout cli 1x; set timeout cli 500ms; set timeout cli 1sx; show env HOME');
      await say('set severity-output none; get var proc.nope');
      // A socket's severity-output is where its sessions start.
      await say('get var proc.nope; set severity-output none; get var proc.nope', `${dir}/${port}.sev.sock`);
      await say('set timeout cli', `${dir}/${port}.user.sock`);
      await say('show env HOME', `${dir}/${port}.user.sock`);
      await say('show env HOME', `${dir}/${port}.oper.sock`);
      // HAProxy sets four variables of its own in its environment (HAPROXY_STARTUP_VERSION, _LOCALPEER, _CFGFILES, _CLI).
      const env = (await cli(admin, 'show env PAT; show env; show env HOME extra')).split('\n').filter((l) => !/^HAPROXY_[A-Z_]+=/.test(l)).join('\n');
      out.push(`show env PAT; show env; show env HOME extra -> ${JSON.stringify(env)}`);
      // The session's own idle timeout: a second, where `stats timeout` says a minute.
      const idle = await interactive(admin, ['set timeout cli 1'], 8000);
      out.push(`after set timeout cli 1: ${JSON.stringify(idle)}`);
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const home = process.env.HOME ?? '';
  const environment = Object.entries(process.env).map(([k, v]) => `${k}=${v}\n`).join('');
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    'set severity-output number; show cli level; get var proc.foo; get var proc.nope; help get; set severity-output bogus; set severity-output string; '
      + 'get var proc.foo; clear table x; show table; set table x; user; get var proc.foo; set severity-output; set timeout cli; set timeout foo; '
      + 'set timeout cli 0; set timeout cli 1x; set timeout cli 500ms; set timeout cli 1sx; show env HOME -> '
      + JSON.stringify('\n[6]: admin\n\n[6]: proc.foo: type=str value=<bar>\n[3]: Variable not found.\n\n[6]: The following commands are valid at this level:\n'
      + '  get acl <acl> <value>                   : report the patterns matching a sample for an ACL\n'
      + '  get map <acl> <value>                   : report the keys and values matching a sample for a map\n'
      + '  get var <name>                          : retrieve contents of a process-wide variable\n'
      + "  get weight <bk>/<srv>                   : report a server's current weight\n"
      + '  help [<command>]                        : list matching or all commands\n'
      + '  prompt                                  : toggle interactive mode with prompt\n'
      + '  quit                                    : disconnect\n\n'
      + "[3]: one of 'none', 'number', 'string' is a required argument\n\n\n"
      + '[info]: proc.foo: type=str value=<bar>\n[err]: No such table\n\n\n'
      + '[err]: No such table\n\n\n'
      + '[err]: Permission denied\n\n'
      + "[err]: one of 'none', 'number', 'string' is a required argument\n\n"
      + "[err]: Expects an integer value.\n\n[err]: 'set timeout' only supports 'cli'.\n\n[err]: Invalid timeout value.\n\n[err]: Invalid timeout value.\n\n\n\n"
      + `[err]: Permission denied\n\n`),
    'set severity-output none; get var proc.nope -> "\\nVariable not found.\\n\\n"',
    'get var proc.nope; set severity-output none; get var proc.nope -> "[3]: Variable not found.\\n\\n\\nVariable not found.\\n\\n"',
    'set timeout cli -> "Expects an integer value.\\n\\n"',
    'show env HOME -> "Permission denied\\n\\n"',
    `show env HOME -> ${JSON.stringify(`HOME=${home}\n\n`)}`,
    `show env PAT; show env; show env HOME extra -> ${JSON.stringify(`Variable not found\n\n${environment}\nHOME=${home}\n\n`)}`,
    'after set timeout cli 1: {"out":"\\n> \\n> ","closed":true}',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});

test('set rate-limit answers as haproxy 2.6.12 and show info reports the new limits', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-rate-limit-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => sessionConfig(dir, port).replace('    stats timeout 60s\n', '    stats timeout 60s\n    maxconnrate 100\n'), async (port) => {
      const admin = `${dir}/${port}.sock`;
      const out: string[] = [];
      const say = async (line: string, sock = admin): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      const limits = async (): Promise<string> => (await cli(admin, 'show info')).split('\n').filter((l) => /^(Conn|Sess|Ssl)RateLimit:/.test(l)).join(' ');
      await say('set rate-limit sessions global 1', `${dir}/${port}.oper.sock`);
      out.push(await limits());
      for (const line of ['set rate-limit', 'set rate-limit connections local 3', 'set rate-limit connections global', 'set rate-limit connections global -1',
        'set rate-limit connections global x', 'set rate-limit sessions global 7x', 'set rate-limit ssl-sessions global 9', 'set rate-limit http-compression global 0',
        'set rate-limit toString global 1', 'set severity-output string; set rate-limit connections global -1']) await say(line);
      out.push(await limits());
      await say('set rate-limit connections global 0');
      out.push(await limits());
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const usage = "'set rate-limit' only supports :\n"
    + "   - 'connections global' to set the per-process maximum connection rate\n"
    + "   - 'sessions global' to set the per-process maximum session rate\n"
    + "   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n"
    + "   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n\n";
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    'set rate-limit sessions global 1 -> "Permission denied\\n\\n"',
    'ConnRateLimit: 100 SessRateLimit: 0 SslRateLimit: 0',
    `set rate-limit -> ${JSON.stringify(usage)}`,
    `set rate-limit connections local 3 -> ${JSON.stringify(usage)}`,
    'set rate-limit connections global -> "Expects an integer value.\\n\\n"',
    'set rate-limit connections global -1 -> "Value out of range.\\n\\n"',
    'set rate-limit connections global x -> "\\n"',
    'set rate-limit sessions global 7x -> "\\n"',
    'set rate-limit ssl-sessions global 9 -> "\\n"',
    'set rate-limit http-compression global 0 -> "\\n"',
    `set rate-limit toString global 1 -> ${JSON.stringify(usage)}`,
    'set severity-output string; set rate-limit connections global -1 -> "\\n[err]: Value out of range.\\n\\n"',
    'ConnRateLimit: 0 SessRateLimit: 7 SslRateLimit: 9',
    'set rate-limit connections global 0 -> "\\n"',
    'ConnRateLimit: 0 SessRateLimit: 7 SslRateLimit: 9',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});

test('show startup-logs answers as haproxy 2.6.12 when start-up reported nothing', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-startup-logs-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => sessionConfig(dir, port), async (port) => {
      const out: string[] = [];
      for (const [sock, line] of [['', 'show startup-logs'], ['.oper', 'show startup-logs'], ['.user', 'show startup-logs'], ['', 'set severity-output number; show startup-logs']]) {
        out.push(`${sock} ${line} -> ${JSON.stringify(await cli(`${dir}/${port}${sock}.sock`, line!))}`);
      }
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    ' show startup-logs -> "\\n\\n"',
    '.oper show startup-logs -> "\\n\\n"',
    '.user show startup-logs -> "Permission denied\\n\\n"',
    ' set severity-output number; show startup-logs -> "\\n[6]: \\n\\n"',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});

test('show startup-logs on `loadstar run` repeats the warnings start-up printed', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-startup-run-'));
  const file = path.join(dir, 'site.cfg');
  const port = await freePort();
  // `timeout server` missing: a warning at load.
  fs.writeFileSync(file, `global\n    stats socket ${dir}/run.sock mode 600 level admin\ndefaults\n    mode http\n    timeout client 5s\n    timeout connect 1s\nfrontend fe\n    bind 127.0.0.1:${port}\n    default_backend be\nbackend be\n    server s1 127.0.0.1:1\n`);
  const cliModule = new URL('../../../proxy/cli.ts', import.meta.url).href;
  const child = spawn(process.execPath, ['--import', TS_IMPORT, '--input-type=module', '-e', `import { main } from '${cliModule}'; process.exitCode = await main(['run', '-f', '${file}']);`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  try {
    await until('the engine listening', () => stderr.includes('listening on'), 20_000);
    const warnings = stderr.split('\n').filter((l) => l.startsWith('[WARNING]')).map((l) => `${l}\n`).join('');
    assert.match(warnings, /missing timeouts for backend 'be'/);
    assert.equal(await cli(`${dir}/run.sock`, 'show startup-logs'), `${warnings}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
