/**
 * Rings: the buffer's accounting (HAProxy's varint sizes, the oldest messages dropped to make room,
 * `maxlen`), then log lines to `log ring@<name>` and the runtime API's `show events` next to haproxy
 * 2.6.12's: the same configuration, the same requests, every answer compared once times, pids and
 * client ports are masked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ring, varintBytes } from '../../../proxy/runtime/ring.ts';
import { LOG_INFO, Syslog } from '../../../proxy/runtime/syslog.ts';
import { findProxy, parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { cli } from '../stats/helpers.ts';

test('varint sizes are HAProxy\'s (intops.h)', () => {
  assert.deepEqual([0, 239, 240, 2287, 2288, 264431, 264432].map(varintBytes), [1, 1, 2, 2, 3, 3, 4]);
});

test('a ring keeps the newest messages that fit in its size, each cut to maxlen', () => {
  // 64 bytes: 1 counter byte, then 1 + 10 + 1 per 10-byte message: 5 fit (61 bytes), each next one drops the oldest.
  const ring = new Ring('r', 'r', 'raw', 64, 64);
  for (let i = 10; i < 30; i++) assert.equal(ring.write(Buffer.from(`message${i}`)), true);
  assert.equal(ring.dump(), 'message25\nmessage26\nmessage27\nmessage28\nmessage29\n');
  assert.equal(ring.dump(true), '');
  // One that could never fit (varint + 63 + 2 > 64) is refused and leaves the others.
  assert.equal(ring.write(Buffer.alloc(63, 'x')), false);
  assert.equal(ring.dump().split('\n').length, 6);
  const cut = new Ring('c', 'c', 'raw', 1000, 5);
  cut.write(Buffer.from('0123456789'));
  assert.equal(cut.dump(), '01234\n');
});

function config(sock: string, port: number, port2: number): string {
  return `global
    stats socket ${sock} level admin
    stats socket ${sock}.user level user
    log ring@events local0 info
ring events
    description "latest events"
    format rfc3164
    size 32768
    maxlen 90
ring access
    format timed
ring raw
ring sd
    format rfc5424
ring more
    format short
    maxlen 30
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
    log global
    option dontlognull
frontend fe
    bind 127.0.0.1:${port}
    log ring@access local1
    log ring@raw len 80 local2
    log-format "%ST %{+Q}r"
    http-request return status 200
listen quiet
    bind 127.0.0.1:${port2}
    log-format "%ST %{+Q}r %b"
    log ring@raw local0
    log ring@sd local3
    log ring@more local4 notice
    log ring@more local5
    log-format-sd "[exampleSDID@1234 path=\\"%HP\\"]"
    http-request return status 204
`;
}

const COMMANDS = ['show events', 'show events events', 'show events access', 'show events raw', 'show events sd', 'show events more', 'show events buf0', 'show events stdout',
  'show events nope', 'show events raw -x', 'show events raw -n'];

function masked(text: string): string {
  return text
    .replace(/\w{3} [ \d]\d \d\d:\d\d:\d\d/g, 'DATE')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/g, 'ISO')
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, '[DATE]')
    .replace(/\[\d+\]/g, '[PID]')
    .replace(/ haproxy \d+ - /g, ' haproxy PID - ')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    // A line cut at the ring's maxlen: where the cut falls moves with the pid's digits (pids wrap at
    // 32768; the test's process can be older than the wrap, haproxy newer).
    .replace(/\/b{8,}\n/g, '/b…\n');
}

async function run(sock: string, port: number, port2: number): Promise<string[]> {
  const get = (url: string): Promise<string> => fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  for (const p of ['/a', `/${'b'.repeat(120)}`]) await get(`http://127.0.0.1:${port}${p}`);
  await get(`http://127.0.0.1:${port2}/c`);
  const out: string[] = [];
  for (const c of COMMANDS) out.push(`${c}:\n${masked(await cli(sock, c))}`);
  // A user-level session lists the sinks but may not dump one.
  for (const c of ['show events', 'show events raw']) out.push(`user: ${c}:\n${masked(await cli(`${sock}.user`, c))}`);
  return out;
}

test('log ring@ lines and show events answer as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-ring-'));
  try {
    const [hPort, hPort2] = [await freePort(), await freePort()];
    const haproxy = await startHaproxy(config(path.join(dir, 'h.sock'), hPort, hPort2), hPort);
    let expected: string[];
    try {
      expected = await run(path.join(dir, 'h.sock'), hPort, hPort2);
    } finally {
      await haproxy.stop();
    }
    const [lPort, lPort2] = [await freePort(), await freePort()];
    const loadstar = await startEngine(config(path.join(dir, 'l.sock'), lPort, lPort2));
    try {
      const actual = await run(path.join(dir, 'l.sock'), lPort, lPort2);
      if (process.env.RING_SHOW) console.log(actual.join("\n"));
      for (let i = 0; i < expected.length; i++) assert.equal(actual[i], expected[i]);
      // -w on a non-interactive session: the dump, ended (haproxy's, racing the client's close, may also wait for the CLI timeout).
      const sock = path.join(dir, 'l.sock');
      assert.equal(await cli(sock, 'show events raw -w'), await cli(sock, 'show events raw'));
      assert.equal(await cli(sock, 'show events raw -nw'), '\n');
    } finally {
      await loadstar.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a line a ring can never hold is dropped, and "N events dropped" goes in before the next one (sink_announce_dropped)', async () => {
  const text = `ring r\n    format short\nfrontend fe\n    bind 127.0.0.1:8080\n    log ring@r len 65535 local0\n`;
  const parsed = parseConfig([{ name: 'r.cfg', text }]);
  const syslog = await Syslog.prepare(parsed.config);
  const proxy = findProxy(parsed.config, 'fe')!;
  syslog.send(proxy, LOG_INFO, 'first');
  // Header and message cut to maxlen (16384, the size): 1 + 16384 + 2 bytes more than the ring's 16384.
  syslog.send(proxy, LOG_INFO, 'x'.repeat(20000));
  syslog.send(proxy, LOG_INFO, 'y'.repeat(20000));
  // The notice of the first drop went in before the second line, which was dropped in turn.
  const ring = syslog.rings.get('r')!;
  assert.equal(ring.dropped, 1);
  syslog.send(proxy, LOG_INFO, 'next');
  assert.equal(ring.dump(), '<6>first\n<5>1 event dropped\n<5>1 event dropped\n<6>next\n');
  assert.equal(ring.dropped, 0);
  syslog.close();
});
