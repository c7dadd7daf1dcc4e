/**
 * `show info` (proxy/stats/info.ts) next to real HAProxy 2.6 on the same configuration: the same
 * fields at the same positions with the same tags and types in every form (plain, desc, typed,
 * json, float), and Loadstar's own values where it counts the thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import tls from 'node:tls';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, startNamedServer, freePort } from '../../helpers/net.ts';
import { cli, until } from './helpers.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { certPath } from '../../helpers/tls.ts';

function config(sock: string, port: number, origin: number, extraGlobal = ''): string {
  return `global
  stats socket ${sock} mode 600 level admin
${extraGlobal}defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${origin}
`;
}

/** `pos.name.1:tags:type` of each typed line: everything but the value. */
function typedShape(text: string): string[] {
  return text.trim().split('\n').map((l) => l.split(':').slice(0, 3).join(':'));
}

function get(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

function field(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  assert.ok(line !== undefined, `no ${name} line in:\n${text}`);
  return line.slice(name.length + 2);
}

test('show info: every HAProxy 2.6 field, at its position, with its tags and type, in each form', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = await startRawServer((socket) => socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-info-'));
  const hSock = path.join(dir, 'haproxy.sock');
  const lSock = path.join(dir, 'loadstar.sock');
  const [hPort, lPort] = [await freePort(), await freePort()];
  const global = '  node lab-1\n  description rack in the garage\n';
  const haproxy = await startHaproxy(config(hSock, hPort, origin.port, global), hPort, { defaultThreads: true });
  const loadstar = await startEngine(config(lSock, lPort, origin.port, global));
  try {
    const h = await cli(hSock, 'show info typed');
    const l = await cli(lSock, 'show info typed');
    // Values aside (pids, times, memory), line for line the same fields.
    assert.deepEqual(typedShape(l), typedShape(h));
    assert.match(l, /^51\.description\.1:COS:str:rack in the garage$/m);
    assert.match(l, /^50\.node\.1:COS:str:lab-1$/m);
    assert.deepEqual(typedShape(await cli(lSock, 'show info typed desc')), typedShape(await cli(hSock, 'show info typed desc')));
    // No maxconn line: both derive the same limit from the open-file limit (runtime/default-maxconn.ts).
    const descLine = (text: string) => text.split('\n').find((x) => x.startsWith('Maxconn: '));
    assert.equal(descLine(await cli(lSock, 'show info desc')), descLine(await cli(hSock, 'show info desc')));
    assert.match(descLine(await cli(lSock, 'show info desc')) ?? '', /^Maxconn: [1-9]\d*:"Hard limit on the number of per-process connections \(configured or imposed by Ulimit-n\)"$/);
    const shape = (json: string) => (JSON.parse(json) as Array<{ field: unknown; tags: unknown; value: { type: string } }>).map((f) => JSON.stringify([f.field, f.tags, f.value.type]));
    assert.deepEqual(shape(await cli(lSock, 'show info json')), shape(await cli(hSock, 'show info json')));
    const plainNames = (text: string) => text.trim().split('\n').map((x) => x.slice(0, x.indexOf(': ')));
    assert.deepEqual(plainNames(await cli(lSock, 'show info')), plainNames(await cli(hSock, 'show info')));
    // float: the two durations with six decimals, typed `flt`.
    const hf = await cli(hSock, 'show info float typed');
    const lf = await cli(lSock, 'show info float typed');
    assert.deepEqual(typedShape(lf), typedShape(hf));
    assert.match(lf, /^8\.Uptime_sec\.1:MDP:flt:\d+(\.\d{1,6})?$/m);
    assert.match(lf, /^26\.ConnRate\.1:MRP:flt:\d+$/m);
  } finally {
    await haproxy.stop();
    await loadstar.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
  }
});

test('show info: Maxsock and Ulimit-n as HAProxy 2.6 sets them, from the maxconn in force and ulimit-n', { timeout: 60_000 }, async (t) => {
  const origin = await startRawServer((socket) => socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-info-'));
  try {
    // Derived maxconn, a configured one, and `ulimit-n`; checks and a `port` reserve descriptors too.
    for (const [global, ulimit] of [['', undefined], ['  maxconn 1000\n', undefined], ['  maxconn 1000\n  ulimit-n 5000\n', '5000']] as const) {
      const shown: string[] = [];
      await sideBySide(t, (port) => config(path.join(dir, `${port}.sock`), port, origin.port, global).replace(/server s1 (\S+)/, 'server s1 $1 check inter 10s port ' + origin.port), async (port) => {
        const info = await cli(path.join(dir, `${port}.sock`), 'show info');
        const maxconn = Number(field(info, 'Maxconn'));
        const maxsock = Number(field(info, 'Maxsock'));
        // 2 per connection, 3 per thread, 10 reserved, the bind, the check, the `port`, the stats socket and its 10.
        assert.equal((maxsock - 2 * maxconn - 24) % 3, 0, `Maxsock ${maxsock} for Maxconn ${maxconn}`);
        assert.equal(field(info, 'Ulimit-n'), ulimit ?? String(maxsock));
        shown.push(`${maxconn} ${maxsock} ${field(info, 'Ulimit-n')}`);
      }, { defaultThreads: true });
      if (shown.length === 2) assert.equal(shown[0], shown[1], `Loadstar, then HAProxy, with ${JSON.stringify(global)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
  }
});

test('show info CumConns counts each health check as a session, as HAProxy 2.6 does', { timeout: 60_000 }, async (t) => {
  // Answers the HTTP checks; its hit count says how many checks ran.
  const checked = await startNamedServer('checked');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-info-'));
  let base = 0;
  try {
    await sideBySide(t, (port) => {
      base = checked.hits;
      return config(path.join(dir, `${port}.sock`), port, checked.port).replace(/server s1 (\S+)/, 'option httpchk\n  server s1 $1 check inter 150ms');
    }, async (port) => {
      await until('a few checks', () => checked.hits - base >= 4);
      const ranBefore = checked.hits - base;
      const cum = Number(field(await cli(path.join(dir, `${port}.sock`), 'show info'), 'CumConns'));
      const ranAfter = checked.hits - base;
      // The probe connection, this runtime API connection, and each check (one may be under way).
      assert.ok(cum - 2 >= ranBefore && cum - 2 <= ranAfter + 1, `CumConns ${cum} for ${ranBefore}..${ranAfter} checks`);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await checked.close();
  }
});

test('show info: values Loadstar counts (connections, requests, listeners, jobs, bytes out, idle time, open-file limit)', { timeout: 30_000 }, async () => {
  const origin = await startRawServer((socket) => socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-info-'));
  const sock = path.join(dir, 'loadstar.sock');
  const port = await freePort();
  const loadstar = await startEngine(config(sock, port, origin.port));
  try {
    const before = await cli(sock, 'show info');
    // The bind and the stats socket; this CLI connection is the one job besides them.
    assert.equal(field(before, 'Listeners'), '2');
    assert.equal(field(before, 'Jobs'), '3');
    assert.equal(field(before, 'Maxsock'), field(before, 'Ulimit-n'));
    assert.ok(Number(field(before, 'Ulimit-n')) > 0);
    assert.equal(field(before, 'node'), os.hostname());
    assert.ok(!before.includes('\ndescription: '), 'no description line without a global description');
    for (let i = 0; i < 3; i++) await get(port);
    // The registry's one-second tick gives the rates.
    await until('BytesOutRate', async () => Number(field(await cli(sock, 'show info'), 'BytesOutRate')) > 0, 5000);
    const after = await cli(sock, 'show info');
    // Three HTTP connections and requests, and each runtime API connection (HAProxy counts its CLI streams too).
    assert.ok(Number(field(after, 'CumConns')) >= Number(field(before, 'CumConns')) + 4);
    assert.ok(Number(field(after, 'CumReq')) >= Number(field(before, 'CumReq')) + 4);
    assert.ok(Number(field(after, 'TotalBytesOut')) > 0);
    const idle = Number(field(after, 'Idle_pct'));
    assert.ok(idle >= 0 && idle <= 100, `Idle_pct ${idle}`);
    assert.equal(field(after, 'Stopping'), '0');
    assert.equal(field(after, 'CurrSslConns'), '0');
  } finally {
    await loadstar.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    await origin.close();
  }
});

test('show info: TLS connections open and made, and the rate of new keys', { timeout: 30_000 }, async () => {
  const origin = await startRawServer((socket) => socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-info-'));
  const sock = path.join(dir, 'loadstar.sock');
  const port = await freePort();
  const loadstar = await startEngine(config(sock, port, origin.port).replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')}`));
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
    client.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    await new Promise((resolve) => client.once('data', resolve));
    await until('SslFrontendKeyRate', async () => field(await cli(sock, 'show info'), 'SslFrontendKeyRate') === '1', 5000);
    const info = await cli(sock, 'show info');
    assert.equal(field(info, 'CurrSslConns'), '1');
    assert.equal(field(info, 'CumSslConns'), '1');
    assert.equal(field(info, 'SslRate'), '1');
    // One full handshake, no resumption: nothing reused.
    assert.equal(field(info, 'SslFrontendSessionReuse_pct'), '0');
    client.destroy();
    await until('CurrSslConns 0', async () => field(await cli(sock, 'show info'), 'CurrSslConns') === '0', 5000);
  } finally {
    client.destroy();
    await loadstar.stop();
    await origin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
