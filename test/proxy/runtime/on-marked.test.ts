/**
 * `on-marked-down shutdown-sessions` and `on-marked-up shutdown-backup-sessions` (configuration.txt
 * §5.2) side by side with HAProxy 2.6.12: the streams of a server set in maintenance through the
 * runtime API are ended — an HTTP request waiting for its response gets a 502 (logged DH), a
 * response under way is cut (DD), a TCP session is closed (D-) — and a backup server's sessions
 * end when an active server comes back (U-). Each case runs on Loadstar against the outcome
 * recorded from haproxy, then on haproxy itself when installed.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli } from '../stats/helpers.ts';

interface Ports {
  http: number;
  tcp: number;
  probe: number;
  sock: string;
}

interface Run {
  ports: Ports;
  logs(): string[];
}

/** Runs `check` on Loadstar, then on haproxy when it is installed, each with fresh ports and socket. */
async function sideBySide(t: TestContext, config: (ports: Ports) => string, check: (run: Run) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-marked-'));
  const ports = async (name: string): Promise<Ports> => ({ http: await freePort(), tcp: await freePort(), probe: await freePort(), sock: path.join(dir, name) });
  try {
    const ours = await ports('l.sock');
    const engine = await startEngine(config(ours));
    try {
      await check({ ports: ours, logs: () => engine.logs });
    } finally {
      await engine.stop();
    }
    if (!haproxyPath) return void t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
    const theirs = await ports('h.sock');
    const haproxy = await startHaproxy(config(theirs), theirs.probe);
    try {
      await check({ ports: theirs, logs: () => haproxy.output().split('\n').filter((l) => l !== '' && !l.startsWith('[') && !/^(Server|backend|proxy) /.test(l)) });
    } finally {
      await haproxy.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const head = (p: Ports): string => `global
    log stdout format raw local0
    stats socket ${p.sock} mode 600 level admin
defaults
    log global
    timeout client 10s
    timeout server 10s
    timeout connect 2s
    timeout check 5s
listen probe
    mode tcp
    bind 127.0.0.1:${p.probe}
    tcp-request connection reject
`;

/**
 * An origin: HTTP `GET /hold` gets no answer, `GET /stream` the head and 3 of 100 body bytes;
 * anything else is echoed (TCP sessions).
 */
function origin(): Promise<{ port: number; close(): Promise<void> }> {
  return startRawServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      if (text.startsWith('GET /stream')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc');
      else if (!text.startsWith('GET /hold')) socket.write(d);
    });
  });
}

/** A client connection: `data` is sent once connected; `seen` has what came back; `ended` how it ended. */
function client(port: number, data: string): { seen: () => string; firstData: Promise<void>; ended: Promise<'fin' | 'reset'>; close(): void } {
  const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
  let seen = '';
  let gotData!: () => void;
  const firstData = new Promise<void>((r) => (gotData = r));
  socket.on('data', (d: Buffer) => {
    seen += d.toString('latin1');
    gotData();
  });
  const ended = new Promise<'fin' | 'reset'>((resolve) => {
    socket.on('end', () => resolve('fin'));
    socket.on('error', () => resolve('reset'));
    socket.on('close', () => resolve('fin'));
  });
  return { seen: () => seen, firstData, ended, close: () => socket.destroy() };
}

/** The termination state of each log line (HTTP: 4 letters, TCP: 2), once `n` lines are there. */
async function terminations(run: Run, n: number): Promise<string[]> {
  for (let i = 0; i < 100 && run.logs().length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return run.logs().map((line) => {
    const http = / (?:-1|\d{3}) \d+ \S+ \S+ (\S{4}) /.exec(line);
    const tcp = / (\S{2}) \d+\/\d+\/\d+\/\d+\/\d+ \d+\/\d+$/.exec(line);
    return `${line.includes('"GET') ? /"GET (\S+)/.exec(line)![1] : 'tcp'} ${http?.[1] ?? tcp?.[1] ?? line}`;
  }).sort();
}

/** Waits until the proxy has the session going (the origin got its bytes): a little slack for its relay. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

test('on-marked-down shutdown-sessions: set in maintenance, the server\'s HTTP exchanges and TCP sessions end (DH with a 502, DD, D-)', async (t) => {
  const o = await origin();
  try {
    await sideBySide(t, (p) => `${head(p)}
frontend fe
    mode http
    option httplog
    bind 127.0.0.1:${p.http}
    default_backend be
backend be
    mode http
    server s 127.0.0.1:${o.port} on-marked-down shutdown-sessions
listen tcp
    mode tcp
    option tcplog
    bind 127.0.0.1:${p.tcp}
    server t 127.0.0.1:${o.port} on-marked-down shutdown-sessions
`, async (run) => {
      const hold = client(run.ports.http, 'GET /hold HTTP/1.1\r\nhost: x\r\n\r\n');
      const stream = client(run.ports.http, 'GET /stream HTTP/1.1\r\nhost: x\r\n\r\n');
      const tcp = client(run.ports.tcp, 'hello');
      await Promise.all([stream.firstData, tcp.firstData]);
      await settle();
      await cli(run.ports.sock, 'set server be/s state maint');
      await cli(run.ports.sock, 'set server tcp/t state maint');
      assert.equal(await stream.ended, 'fin');
      assert.equal(stream.seen(), 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc');
      assert.equal(await tcp.ended, 'fin');
      assert.equal(tcp.seen(), 'hello');
      await hold.firstData;
      // The 502 answers the request; the client connection stays open (keep-alive).
      assert.match(hold.seen(), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      hold.close();
      assert.deepEqual(await terminations(run, 3), ['/hold DH--', '/stream DD--', 'tcp D-']);
    });
  } finally {
    await o.close();
  }
});

test('on-marked-up shutdown-backup-sessions: an active server back from maintenance ends the backup servers\' sessions (U-)', async (t) => {
  const o = await origin();
  try {
    await sideBySide(t, (p) => `${head(p)}
listen tcp
    mode tcp
    option tcplog
    bind 127.0.0.1:${p.tcp}
    server a 127.0.0.1:${o.port} disabled on-marked-up shutdown-backup-sessions
    server b 127.0.0.1:${o.port} backup
`, async (run) => {
      const tcp = client(run.ports.tcp, 'hello');
      await tcp.firstData;
      await settle();
      await cli(run.ports.sock, 'set server tcp/a state ready');
      assert.equal(await tcp.ended, 'fin');
      const lines = await terminations(run, 1);
      assert.deepEqual(lines, ['tcp U-']);
      assert.match(run.logs()[0]!, / tcp tcp\/b /);
    });
  } finally {
    await o.close();
  }
});

test('on-marked-down shutdown-sessions: a server DOWN by its failing check ends its sessions (D-)', async (t) => {
  const o = await origin();
  // The check goes to a listener of the test's own, open when each proxy starts and closed once its session runs.
  const checkPort = await freePort();
  let checked: net.Server | undefined;
  const openCheck = (): Promise<void> => new Promise((r) => {
    checked = net.createServer((s) => s.destroy());
    checked.listen(checkPort, '127.0.0.1', r);
  });
  const closeCheck = (): Promise<void> => new Promise((r) => (checked ? checked.close(() => r()) : r()));
  await openCheck();
  try {
    await sideBySide(t, (p) => `${head(p)}
listen tcp
    mode tcp
    option tcplog
    bind 127.0.0.1:${p.tcp}
    server t 127.0.0.1:${o.port} check port ${checkPort} inter 100 rise 1 fall 1 on-marked-down shutdown-sessions
`, async (run) => {
      const tcp = client(run.ports.tcp, 'hello');
      await within(tcp.firstData, 'the session to start');
      await settle();
      await closeCheck();
      try {
        assert.equal(await within(tcp.ended, 'the session to end'), 'fin');
        assert.deepEqual(await terminations(run, 1), ['tcp D-']);
      } finally {
        await openCheck();
      }
    });
  } finally {
    await closeCheck();
    await o.close();
  }
});

/** `promise`, or an error naming `what` after 5 s (a broken case must not hang the file). */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000)))]).finally(() => clearTimeout(timer));
}
