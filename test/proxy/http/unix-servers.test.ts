/**
 * Servers on UNIX sockets: `server s1 /path`, `unix@/path` and `abns@name` (Linux's abstract
 * namespace), for HTTP and TCP backends and their health checks. What HAProxy 2.6.12 did
 * with the same configuration is recorded here: the origin answers through each, the log
 * prints %si as `unix` and %sp as 0, `show stat` an addr of `unix`, `show servers state` an
 * srv_addr of `-`, and a check of a socket nobody listens on fails as a socket error. A frontend
 * may listen on `abns@name` too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { cli, row, until } from '../stats/helpers.ts';
import { sideBySide, requests, linesLogged } from './lib/side-by-side.ts';

/**
 * `show stat` rows as records. Not stats/helpers.ts's readCsv: it runs python synchronously,
 * which would stall the engine's check timers in this process. No field here holds a comma.
 */
function csv(text: string): Array<Record<string, string>> {
  const [head, ...lines] = text.replace(/^# /, '').trim().split('\n');
  const names = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

interface Setup { dir: string; sock: string; admin: string; abns: string; port: number; tcpPort: number }

function config(s: Setup): string {
  return `global
    log stdout format raw local0
    stats socket ${s.admin} level admin
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${s.port}
    log-format "si=%si sp=%sp s=%b/%s st=%ST"
    use_backend named if { path /abns }
    use_backend prefixed if { path /unix }
    default_backend app
backend app
    server s1 ${s.sock} check inter 200
backend prefixed
    server s2 unix@${s.sock}
backend named
    server s3 abns@${s.abns} check inter 200
listen raw
    mode tcp
    bind 127.0.0.1:${s.tcpPort}
    log-format "si=%si sp=%sp s=%b/%s tcp"
    server s4 ${s.sock}
`;
}

/** An origin on the socket path and one on the abstract name: each answers with where it listens. */
async function startOrigins(s: Setup): Promise<{ closeFile(): Promise<void>; close(): Promise<void> }> {
  const listen = (where: string, label: string) => new Promise<http.Server>((resolve) => {
    const server = http.createServer((req, res) => { req.resume(); res.end(label); });
    server.listen(where, () => resolve(server));
  });
  const file = await listen(s.sock, 'file');
  const abstract = await listen(`\0${s.abns}`, 'abstract');
  const close = (server: http.Server) => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return { closeFile: () => close(file), close: async () => { if (file.listening) await close(file); await close(abstract); } };
}

function get(port: number, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: url, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    }).on('error', reject);
  });
}

function tcpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve(out.slice(out.lastIndexOf('\r\n') + 2)));
    socket.on('error', reject);
    socket.write('GET / HTTP/1.0\r\n\r\n');
  });
}

/** What HAProxy 2.6.12 showed (recorded with this very scenario). */
const RECORDED = {
  answers: ['200 file', '200 file', '200 abstract', 'file'],
  logs: ['si=unix sp=0 s=app/s1 st=200', 'si=unix sp=0 s=named/s3 st=200', 'si=unix sp=0 s=prefixed/s2 st=200', 'si=unix sp=0 s=raw/s4 tcp'],
  stat: { s1: 'UP L4OK unix', s2: 'no check  unix', s3: 'UP L4OK unix', s4: 'no check  unix' },
  /** srv_addr and srv_port of `show servers state`. */
  state: ['app s1 - 0', 'named s3 - 0', 'prefixed s2 - 0', 'raw s4 - 0'],
  down: 'DOWN SOCKERR General socket error (No such file or directory)',
};

async function scenario(s: Setup, logs: () => string[]) {
  const origins = await startOrigins(s);
  try {
    const stat = async () => csv(await cli(s.admin, 'show stat'));
    await until('both checked servers UP', async () => { const r = await stat(); return row(r, 'app', 's1')['status'] === 'UP' && row(r, 'named', 's3')['status'] === 'UP'; });
    const answers = [await get(s.port, '/'), await get(s.port, '/unix'), await get(s.port, '/abns'), await tcpGet(s.tcpPort)];
    await until('four log lines', () => logs().length >= 4);
    const rows = await stat();
    const statOf = (px: string, sv: string) => { const r = row(rows, px, sv); return `${r['status']} ${r['check_status']} ${r['addr']}`; };
    const state = (await cli(s.admin, 'show servers state')).split('\n').filter((l) => /^\d+ /.test(l)).map((l) => { const f = l.split(' '); return `${f[1]} ${f[3]} ${f[4]} ${f[18]}`; }).sort();
    await origins.closeFile();
    await until('s1 DOWN', async () => row(await stat(), 'app', 's1')['status'] === 'DOWN');
    const down = row(await stat(), 'app', 's1');
    return {
      answers, logs: logs().slice(0, 4).sort(),
      stat: { s1: statOf('app', 's1'), s2: statOf('prefixed', 's2'), s3: statOf('named', 's3'), s4: statOf('raw', 's4') },
      state, down: `${down['status']} ${down['check_status']} ${down['last_chk']}`,
    };
  } finally {
    await origins.close();
  }
}

async function setup(): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-unix-'));
  return { dir, sock: path.join(dir, 'app.sock'), admin: path.join(dir, 'admin.sock'), abns: `loadstar-test-${path.basename(dir)}`, port: await freePort(), tcpPort: await freePort() };
}

/** abns@ is Linux's abstract namespace. */
const LINUX_ONLY = { skip: process.platform !== 'linux' && 'abstract UNIX sockets exist on Linux only' };

test('UNIX-socket servers (path, unix@, abns@) carry HTTP, TCP and checks; logs and stats as HAProxy shows them', LINUX_ONLY, async () => {
  const s = await setup();
  const e = await startEngine(config(s));
  try {
    assert.deepEqual(await scenario(s, () => e.logs), RECORDED);
  } finally {
    await e.stop();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('UNIX-socket servers: haproxy itself behaves as recorded', LINUX_ONLY, async (t) => {
  if (!requireHaproxy(t)) return;
  const s = await setup();
  const h = await startHaproxy(config(s), s.port);
  try {
    // startHaproxy's probe of the port is logged too (a <NOSRV> 400): not part of the scenario.
    const logs = () => h.output().split('\n').filter((l) => l.startsWith('si=') && !l.includes('<NOSRV>'));
    assert.deepEqual(await scenario(s, logs), RECORDED);
  } finally {
    await h.stop();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('socket addresses: too long a path is refused as HAProxy refuses it', () => {
  const errors = (line: string) => {
    const r = parseConfig([{ name: 't.cfg', text: `backend b\n    ${line}\n` }]);
    return r.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
  };
  assert.deepEqual(errors(`server s1 /${'a'.repeat(96)}`), []);
  assert.deepEqual(errors(`server s1 /${'a'.repeat(97)}`), [`'server b/s1' : socket path '/${'a'.repeat(97)}' too long (max 97)`]);
  assert.deepEqual(errors(`server s1 abns@${'a'.repeat(107)}`), []);
  assert.deepEqual(errors('server s1 abns@'), []); // HAProxy takes an empty abstract name too
});

test('a frontend bound on abns@name (seamless-reload/abns_socket.vtc without its PROXY header), as in haproxy 2.6.12', async (t) => {
  let round = 0;
  await sideBySide(t, (port) => {
    const name = `loadstar-test-${process.pid}-${round++}`;
    return `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen testme
    bind 127.0.0.1:${port}
    server test_abns_server abns@${name}
frontend test_abns
    bind abns@${name}
    log-format "%ft %ST %r"
    http-request return status 200 content-type text/plain lf-string "%[fe_name]"
`;
  }, async (port, proxy) => {
    assert.deepEqual(await requests(port, '/abns'), ['200 test_abns', 'open']);
    // Recorded from haproxy 2.6.12 (which logs %ci as "unix" there, Loadstar as "-").
    const lines = await linesLogged(proxy, 1);
    assert.ok(lines.some((l) => l.startsWith('test_abns 200 GET /abns HTTP/1.1')), lines.join('\n'));
  });
});

test('abns@ names on binds: too long a name is refused as by haproxy -c', () => {
  const alerts = parseConfig([{ name: 'x.cfg', text: `frontend f\n    mode http\n    bind abns@${'n'.repeat(108)}\n` }]).diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
  assert.equal(alerts.length, 1);
  assert.match(alerts[0]!, /too long/);
});
