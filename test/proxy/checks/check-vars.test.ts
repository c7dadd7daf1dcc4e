/**
 * tcp-check set-var / set-var-fmt / unset-var side by side with HAProxy 2.6: a
 * server greets with a word, the check stores it (res.payload) and sends it
 * back; the lines the server receives must be the same under both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startRawServer, startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

/** Greets with `+OK <word>\r\n`, records each line received, answers YES to `WORD abc`. */
async function greeter(word: string) {
  const lines: string[] = [];
  const server = await startRawServer((socket: net.Socket) => {
    socket.write(`+OK ${word}\r\n`);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i + 1);
        buf = buf.slice(i + 1);
        lines.push(line);
        socket.end(line === 'WORD abc\r\n' ? 'YES\r\n' : 'NO\r\n');
      }
    });
  });
  return { lines, port: server.port, close: server.close };
}

/**
 * A DOWN alert without what differs by timing: the check's duration, and the sessions active on the
 * server — haproxy's count can include the session of startHaproxy's readiness probe, relayed to
 * the server while its connect attempt is under way (seen once under CI load).
 */
function comparableDown(line: string): string {
  return line.replace(/check duration: \d+ms/, '').replace(/\d+ sessions active/, 'N sessions active');
}

test('tcp-check set-var from the response, set-var-fmt and unset-var run in order within one check run, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const good = await greeter('abc');
  const bad = await greeter('xyz');
  const bind = await freePort();
  const config = `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 2s
backend words
    option tcp-check
    tcp-check set-var(check.gone) str(never)
    tcp-check unset-var(check.gone)
    tcp-check connect
    tcp-check expect string +OK
    tcp-check set-var(check.word) res.payload(4,3)
    tcp-check set-var-fmt(check.line) "WORD %[var(check.word)]%[var(check.gone)]"
    tcp-check send-lf "%[var(check.line)]\\r\\n"
    tcp-check expect string YES
    server good 127.0.0.1:${good.port} check inter 150 rise 1 fall 1
    server bad 127.0.0.1:${bad.port} check inter 150 rise 1 fall 1
frontend fe
    bind 127.0.0.1:${bind}
    default_backend words
`;
  const seen: Record<string, { good: string[]; bad: string[]; down: string[] }> = {};
  try {
    for (const impl of ['haproxy', 'loadstar'] as const) {
      good.lines.length = 0;
      bad.lines.length = 0;
      let stop: () => Promise<void>;
      let alerts: () => string[];
      if (impl === 'haproxy') {
        const h = await startHaproxy(config, bind);
        stop = h.stop;
        alerts = () => h.output().split('\n').map((l) => l.replace(/^\[WARNING\]\s+\(\d+\) : /, ''));
      } else {
        const e = await startEngine(config);
        stop = e.stop;
        alerts = () => e.alerts;
      }
      try {
        await waitFor(`${impl}: 3 checks on each server`, () => good.lines.length >= 3 && bad.lines.length >= 3, 15_000);
      } finally {
        await stop();
      }
      seen[impl] = {
        good: good.lines.slice(0, 3),
        bad: bad.lines.slice(0, 3),
        down: alerts().filter((l) => /^Server words\/\S+ is DOWN/.test(l)).map(comparableDown),
      };
    }
    assert.deepEqual(seen.haproxy!.good, ['WORD abc\r\n', 'WORD abc\r\n', 'WORD abc\r\n']);
    assert.equal(seen.haproxy!.down.length, 1, seen.haproxy!.down.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await good.close();
    await bad.close();
  }
});

test('tcp-check connect port var(check.port) connects where a set-var before it says, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  const target = await greeter('abc');
  const closed = await freePort();
  const bind = await freePort();
  const config = `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 2s
backend ports
    option tcp-check
    tcp-check set-var(check.port) int(${target.port})
    tcp-check connect port var(check.port)
    tcp-check expect string +OK
    tcp-check send "WORD abc\\r\\n"
    tcp-check expect string YES
    tcp-check connect port var(check.nothing)
    server s 127.0.0.1:${closed} check inter 150 rise 1 fall 1
frontend fe
    bind 127.0.0.1:${bind}
    default_backend ports
`;
  const seen: Record<string, { lines: string[]; down: string[] }> = {};
  try {
    for (const impl of ['haproxy', 'loadstar'] as const) {
      target.lines.length = 0;
      let stop: () => Promise<void>;
      let alerts: () => string[];
      if (impl === 'haproxy') {
        const h = await startHaproxy(config, bind);
        stop = h.stop;
        alerts = () => h.output().split('\n').map((l) => l.replace(/^\[WARNING\]\s+\(\d+\) : /, ''));
      } else {
        const e = await startEngine(config);
        stop = e.stop;
        alerts = () => e.alerts;
      }
      try {
        await waitFor(`${impl}: 3 checks`, () => target.lines.length >= 3, 15_000);
        // A few more check periods for the second connect's verdict (a variable that finds nothing: the server's port, closed).
        await new Promise((r) => setTimeout(r, 400));
      } finally {
        await stop();
      }
      seen[impl] = {
        lines: target.lines.slice(0, 3),
        down: alerts().filter((l) => /^Server ports\/\S+ is DOWN/.test(l)).map(comparableDown),
      };
    }
    assert.deepEqual(seen.haproxy!.lines, ['WORD abc\r\n', 'WORD abc\r\n', 'WORD abc\r\n']);
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await target.close();
  }
});
