/**
 * Log lines to UNIX datagram sockets (`log /dev/log local0`; proxy/runtime/unix-syslog.ts), side by
 * side with haproxy 2.6.12: the same datagrams (haproxy ends each with a newline, logger does not),
 * with the facility, tag, level filter and `len` each target asks for. socat relays each datagram
 * of a UNIX socket to a UDP socket the test reads, so that each stays one message.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sideBySide, requests } from '../http/lib/side-by-side.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-unix-syslog-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** A UNIX datagram socket at `file` whose datagrams arrive, one each, in `got`. */
async function unixSyslog(file: string): Promise<{ got: string[]; close(): void }> {
  const udp = dgram.createSocket('udp4');
  const got: string[] = [];
  udp.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const relay = spawn('socat', ['-u', `UNIX-RECV:${file}`, `UDP-SENDTO:127.0.0.1:${udp.address().port}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
  return { got, close: () => { relay.kill(); udp.close(); } };
}

/** Times, pids, client ports and dates masked; the datagram's final newline (haproxy's) dropped. */
const masked = (line: string): string => line
  .replace(/\n$/, '')
  .replace(/^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /, '$1BSDTIME ')
  .replace(/\[\d+\]: /, '[PID]: ')
  .replace(/127\.0\.0\.1:\d+ \[[^\]]+\]/, '127.0.0.1:P [DATE]')
  .replace(/ -?\d+\/-?\d+\/-?\d+\/-?\d+\/-?\d+ (\d{3}) /, ' TIMERS $1 ');

async function settle(got: string[], n: number): Promise<void> {
  for (let i = 0; i < 100 && got.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  // Anything more (a line a level filter should have held back) would come now.
  await new Promise((r) => setTimeout(r, 300));
}

function requireTools(t: TestContext): boolean {
  if (has('socat') && has('logger')) return true;
  if (process.env.CI) throw new Error('socat and logger are needed (.ci/run installs socat; logger is util-linux)');
  t.skip('socat or logger not installed');
  return false;
}

test('lines to a UNIX datagram socket: facility, tag, level filter and len as haproxy 2.6.12 sends them', { timeout: 30_000 }, async (t) => {
  if (!requireTools(t)) return;
  const seen: string[][] = [];
  const runs = ['loadstar', 'haproxy'];
  let configured = 0;
  let checked = 0;
  const sockets: Array<{ got: string[]; close(): void }> = [];
  try {
    for (const run of runs) sockets.push(await unixSyslog(path.join(dir, `${run}.sock`)));
    await sideBySide(t, (port) => {
      const sock = path.join(dir, `${runs[configured++]}.sock`);
      return `global
    log ${sock} local0
    log ${sock} len 90 local1
    log unix@${sock} local2 notice
    log ${sock} format local local3
defaults
    log global
    mode http
    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-tag web
    http-request return status 200 content-type text/plain string ok
`;
    }, async (port) => {
      const got = sockets[checked++]!.got;
      await requests(port, '/a');
      await settle(got, 3);
      // The cut line ends where its bytes run out, which the digits of the pid and the client port move: compared
      // up to the date (whole in 90 bytes with any pid), its length below.
      seen.push(got.map(masked).map((l) => (l.startsWith('<142>') ? l.slice(0, l.indexOf('[DATE]') + '[DATE]'.length) : l)).sort());
    });
    const loadstar = seen[0]!;
    const line = 'web[PID]: 127.0.0.1:P [DATE] fe fe/<NOSRV> TIMERS 200 73 - - LR-- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"';
    assert.deepEqual(loadstar, [
      `<134>BSDTIME ${line}`,
      // len 90: cut (its length is checked below).
      loadstar[1]!,
      // local2 notice holds an info line back.
      `<158>BSDTIME ${line}`,
    ]);
    assert.equal(loadstar[1], '<142>BSDTIME web[PID]: 127.0.0.1:P [DATE]');
    const cut = sockets[0]!.got.find((l) => l.startsWith('<142>'))!;
    assert.ok(!cut.includes('GET'), cut);
    // len 90: header and message in 90 bytes; haproxy then adds its newline.
    assert.equal(Buffer.byteLength(cut, 'latin1'), 90, cut);
    const haproxyCut = sockets[1]!.got.find((l) => l.startsWith('<142>'));
    if (haproxyCut !== undefined) assert.equal(Buffer.byteLength(haproxyCut, 'latin1'), 91, JSON.stringify(haproxyCut));
    if (seen[1]) assert.deepEqual(seen[1], loadstar, 'haproxy sent the same datagrams');
  } finally {
    for (const s of sockets) s.close();
  }
});

test('a UNIX socket target in a format other than rfc3164 or local is named at load; its lines go to stdout only', () => {
  const r = parseConfig([{ name: 'u.cfg', text: 'global\n    log /dev/log format rfc5424 local0\n    log /dev/log local1\ndefaults\n    timeout client 1s\nfrontend f\n    bind 127.0.0.1:1\n' }]);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line} ${d.message}`), [
    "2 log target '/dev/log' asks for format 'rfc5424': Loadstar writes to UNIX sockets in the rfc3164 (local) format only, so its lines go to stdout only.",
  ]);
});
