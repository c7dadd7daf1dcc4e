import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEngine, startNamedServer, freePort, request, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { cli, readCsv, row } from './helpers.ts';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';

async function setup() {
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-'));
  const sock = path.join(dir, 'admin.sock');
  const userPort = await freePort();
  const port = await freePort();
  const e = await startEngine(`global
  stats socket ${sock} mode 600 level admin
  stats socket ipv4@127.0.0.1:${userPort} level user
${HTTP_DEFAULTS}frontend web
  bind 127.0.0.1:${port}
  default_backend app
backend app
  balance roundrobin
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
`);
  const split = async (n: number) => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const body = (await request(port)).body;
      counts[body] = (counts[body] ?? 0) + 1;
    }
    return counts;
  };
  return {
    e, sock, userPort, split, dir,
    close: async () => { await e.stop(); await a.close(); await b.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

test('the UNIX socket is created with the configured mode and removed when the engine stops', async () => {
  const s = await setup();
  assert.equal(fs.statSync(s.sock).mode & 0o777, 0o600);
  assert.ok(fs.statSync(s.sock).isSocket());
  await s.close();
  assert.equal(fs.existsSync(s.sock), false);
});

test('whatever is at the UNIX socket path is replaced, as HAProxy replaces it; a path that cannot be bound is a clear bind error, not a crash', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-'));
  const port = await freePort();
  const config = (sock: string) => `global\n  stats socket ${sock} level admin\n${HTTP_DEFAULTS}frontend web\n  bind 127.0.0.1:${port}\n  default_backend app\nbackend app\n  server a 127.0.0.1:1\n`;
  try {
    // A leftover regular file there (listen() failed with EADDRINUSE and a stack trace).
    const sock = path.join(dir, 'admin.sock');
    fs.writeFileSync(sock, 'leftover');
    const e = await startEngine(config(sock));
    try {
      assert.ok(fs.statSync(sock).isSocket());
      assert.match(await cli(sock, 'show info'), /^Name: /m);
      assert.deepEqual(fs.readdirSync(dir), ['admin.sock'], 'no temporary name is left');
    } finally {
      await e.stop();
    }
    const missing = path.join(dir, 'no-such-dir', 'admin.sock');
    await assert.rejects(startEngine(config(missing)), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LS_ERR_ENG_BIND');
      assert.match(err.message, /^Binding \[test\.cfg:2\] for 'stats socket': cannot bind UNIX socket .*no-such-dir\/admin\.sock: no such directory/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('set server state drain through the UNIX socket: no new requests reach the server; ready brings it back', async () => {
  const s = await setup();
  try {
    assert.deepEqual(await s.split(4), { a: 2, b: 2 });
    assert.equal(await cli(s.sock, 'set server app/a state drain'), '\n');
    assert.deepEqual(await s.split(6), { b: 6 });
    assert.equal(row(readCsv(await cli(s.sock, 'show stat')), 'app', 'a')['status'], 'DRAIN');
    assert.equal(await cli(s.sock, 'set server app/a state ready'), '\n');
    assert.deepEqual(await s.split(4), { a: 2, b: 2 });
    assert.equal(await cli(s.sock, 'disable server app/b'), '\n');
    assert.deepEqual(await s.split(3), { a: 3 });
    assert.equal(row(readCsv(await cli(s.sock, 'show stat')), 'app', 'b')['status'], 'MAINT');
    assert.equal(await cli(s.sock, 'enable server app/b'), '\n');
  } finally {
    await s.close();
  }
});

test('set server weight and set weight change the split of new requests; get weight reports it', async () => {
  const s = await setup();
  try {
    assert.equal(await cli(s.sock, 'set server app/a weight 3'), '\n');
    assert.deepEqual(await s.split(8), { a: 6, b: 2 });
    assert.equal(await cli(s.sock, 'get weight app/a'), '3 (initial 1)\n\n');
    assert.equal(await cli(s.sock, 'set weight app/a 0'), '\n');
    assert.deepEqual(await s.split(4), { b: 4 });
    assert.equal(row(readCsv(await cli(s.sock, 'show stat')), 'app', 'a')['weight'], '0');
  } finally {
    await s.close();
  }
});

test('errors and permissions answer with HAProxy\'s texts', async () => {
  const s = await setup();
  try {
    assert.equal(await cli(s.sock, 'set server nope/a state drain'), 'No such backend.\n\n');
    assert.equal(await cli(s.sock, 'set server app/zz state drain'), 'No such server.\n\n');
    assert.equal(await cli(s.sock, 'set server app/a state bogus'), "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n");
    assert.equal(await cli(s.sock, 'set server app/a weight 300'), 'Absolute weight can only be between 0 and 256 inclusive.\n\n');
    assert.equal(await cli(s.sock, 'set server app/a weight'), 'Require <weight> or <weight%>.\n\n');
    assert.equal(await cli(s.sock, 'get weight app'), "Require 'backend/server'.\n\n");
    assert.equal(await cli(s.sock, 'show servers state nope'), "Can't find backend.\n\n");
    // The TCP socket is `level user`: reading works, changing does not.
    assert.equal(await cli(s.userPort, 'set server app/a state drain'), 'Permission denied\n\n');
    assert.equal(await cli(s.userPort, 'show cli level'), 'user\n\n');
    assert.match(await cli(s.userPort, 'show stat'), /^# pxname,svname,/);
    assert.equal(await cli(s.sock, 'operator; show cli level'), '\noperator\n\n');
  } finally {
    await s.close();
  }
});

test('show info, show backend, show servers state and several commands on one line', async () => {
  const s = await setup();
  try {
    const out = await cli(s.sock, 'show backend;show servers state app');
    const [backends, state] = out.split('\n\n');
    assert.equal(backends, '# name\napp');
    const lines = state!.split('\n');
    assert.equal(lines[0], '1');
    assert.match(lines[1]!, /^# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight/);
    // srv_check_health 2: a server without check keeps the health HAProxy 2.6.12 starts it with (rise).
    assert.match(lines[2]!, /^\d+ app 1 a 127\.0\.0\.1 2 0 1 1 \d+ 1 0 2 0 0 0 0 - \d+ - 0 0 - - 0$/);
    const info = await cli(s.sock, 'show info');
    assert.match(info, /^Name: Loadstar\n/m);
    assert.match(info, /^Uptime_sec: \d+$/m);
    assert.match(info, /^CumReq: \d+$/m);
    const help = await cli(s.sock, 'help');
    assert.match(help, /^ {2}show stat \[desc\|json\|no-maint\|typed\|up\]\*: report counters for each proxy and server$/m);
    assert.match(help, /^ {2}set server <bk>\/<srv> \[opts\] {12}: change a server's state, weight, address or ssl$/m);
    assert.match(await cli(s.sock, 'show stat typed'), /^F\.\d+\.0\.0\.pxname\.1:KNS:str:web$/m);
  } finally {
    await s.close();
  }
});

test('an interactive client that does not read its answers is not read further: the queued output stays bounded, and every command is answered once it reads', async () => {
  const s = await setup();
  const client = net.connect(s.userPort, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    const commands = 10_000;
    client.write('prompt\n' + 'show stat\n'.repeat(commands));
    // The engine's side of this connection: what it has queued for the client and not sent yet.
    const api = (s.e.engine as unknown as { runtimeApi: { clients: Set<net.Socket> } }).runtimeApi;
    const queued = () => Math.max(0, ...[...api.clients].map((c) => c.writableLength));
    // Wait until the engine stops producing (paused, or, before, done with every command).
    let last = -1;
    let same = 0;
    while (same < 5) {
      await new Promise((r) => setTimeout(r, 100));
      const now = queued();
      same = now === last ? same + 1 : 0;
      last = now;
    }
    assert.ok(last < 1024 * 1024, `${last} bytes queued for a client that reads nothing`);
    // Reading now, the client gets every answer, each ending with the prompt (and `prompt`'s own, "\n> ", first).
    let prompts = 0;
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      client.setEncoding('utf8');
      client.on('data', (d: string) => {
        const text = tail + d;
        prompts += text.split('\n> ').length - 1;
        tail = text.slice(-2);
        if (prompts >= commands + 1) resolve();
      });
      client.once('error', reject);
    });
    assert.equal(prompts, commands + 1);
  } finally {
    client.destroy();
    await s.close();
  }
});

/** The same backend with the given `stats socket` lines, parsed and provisioned. */
function socketsConfig(lines: string[]) {
  const text = `global\n${lines.map((l) => `  stats socket ${l}\n`).join('')}${HTTP_DEFAULTS}backend app\n  server a 127.0.0.1:1\n`;
  const result = parseConfig([{ name: 'sockets.cfg', text }]);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
  return result.config;
}

test('a reload whose new stats socket cannot bind keeps the running sockets open; the same reload applies once the address is free', async () => {
  const [oldPort, blockedPort] = [await freePort(), await freePort()];
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(blockedPort, '127.0.0.1', r));
  const e = await startEngine(`global\n  stats socket ipv4@127.0.0.1:${oldPort} level admin\n${HTTP_DEFAULTS}backend app\n  server a 127.0.0.1:1\n`);
  try {
    const moved = socketsConfig([`ipv4@127.0.0.1:${blockedPort} level admin`]);
    await assert.rejects(e.engine.reload(moved));
    assert.equal(await cli(oldPort, 'show cli level'), 'admin\n\n');

    await new Promise<void>((r) => blocker.close(() => r()));
    await e.engine.reload(moved);
    assert.equal(await cli(blockedPort, 'show cli level'), 'admin\n\n');
    await assert.rejects(cli(oldPort, 'show cli level'));
  } finally {
    blocker.close();
    await e.stop();
  }
});

test('a reload that changes the level of a stats socket at the same address keeps it listening, at the new level', async () => {
  const port = await freePort();
  const e = await startEngine(`global\n  stats socket ipv4@127.0.0.1:${port} level admin\n${HTTP_DEFAULTS}backend app\n  server a 127.0.0.1:1\n`);
  try {
    await e.engine.reload(socketsConfig([`ipv4@127.0.0.1:${port} level user`]));
    assert.equal(await cli(port, 'show cli level'), 'user\n\n');
  } finally {
    await e.stop();
  }
});

test('a reload that changes the mode of a UNIX stats socket keeps the socket file, with the new mode', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-'));
  const sock = path.join(dir, 'admin.sock');
  const e = await startEngine(`global\n  stats socket ${sock} mode 600 level admin\n${HTTP_DEFAULTS}backend app\n  server a 127.0.0.1:1\n`);
  try {
    await e.engine.reload(socketsConfig([`${sock} mode 640 level admin`]));
    assert.equal(fs.statSync(sock).mode & 0o777, 0o640);
    assert.equal(await cli(sock, 'show cli level'), 'admin\n\n');
  } finally {
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a stats socket without level answers at operator level (HAProxy\'s default): operator commands run, admin ones are denied', async () => {
  const port = await freePort();
  const e = await startEngine(`global\n  stats socket ipv4@127.0.0.1:${port}\n${HTTP_DEFAULTS}backend app\n  server a 127.0.0.1:1\n`);
  try {
    assert.equal(await cli(port, 'show cli level'), 'operator\n\n');
    assert.doesNotMatch(await cli(port, 'show sess'), /Permission denied/);
    assert.equal(await cli(port, 'set weight app/a 50'), 'Permission denied\n\n');
  } finally {
    await e.stop();
  }
});

test('a UNIX stats socket takes the owner its uid and gid (or user and group) name, also when a reload changes them', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('changing a file\'s owner needs root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-'));
  const sock = path.join(dir, 'admin.sock');
  const e = await startEngine(`global\n  stats socket ${sock} mode 660 level admin uid 65534 gid 65533\n${HTTP_DEFAULTS}backend app\n  server a 127.0.0.1:1\n`);
  try {
    assert.deepEqual([fs.statSync(sock).uid, fs.statSync(sock).gid], [65534, 65533]);
    await e.engine.reload(socketsConfig([`${sock} mode 660 level admin user root group root`]));
    assert.deepEqual([fs.statSync(sock).uid, fs.statSync(sock).gid], [0, 0]);
    assert.equal(await cli(sock, 'show cli level'), 'admin\n\n');
  } finally {
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a command that throws answers its message, the next command of the line still runs, and the operator gets an alert with the stack', async () => {
  const s = await setup();
  try {
    // A fault planted where `show info` reads the statistics (a bug in a command looks the same).
    const stats = s.e.engine.stats as { sync(): void };
    const sync = stats.sync;
    stats.sync = () => { throw new TypeError('planted fault'); };
    try {
      assert.equal(await cli(s.sock, 'show info; show backend'), 'planted fault\n\n# name\napp\n\n');
    } finally {
      stats.sync = sync;
    }
    const alert = s.e.alerts.find((a) => a.startsWith("runtime API: 'show info' failed: TypeError: planted fault\n"));
    assert.ok(alert, s.e.alerts.join('\n'));
    assert.match(alert, /\n\s+at /);
    assert.match(await cli(s.sock, 'show info'), /^Name: /);
  } finally {
    await s.close();
  }
});
