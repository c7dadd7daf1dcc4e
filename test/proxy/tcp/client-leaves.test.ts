/**
 * A TCP-mode client that leaves while its server is being connected (tcp/connect-watch.ts), side
 * by side with haproxy 2.6.12: a reset ends the session at once, logged CD, with no further
 * attempt; a FIN does the same under `option abortonclose`, logged CC, and without it the
 * attempts go on. What the client sent meanwhile counts in %U, connected or not.
 *
 * "Connecting" is a TLS handshake the server never answers (`ssl verify none` to a silent
 * listener: HAProxy counts the handshake in the connection, %Tc -1), or the turn-around pause
 * after a refused connection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { sideBySide } from '../http/lib/side-by-side.ts';
import type { Proxy } from '../http/lib/side-by-side.ts';
import { freePort } from '../../helpers/net.ts';
import { certPath } from '../../helpers/tls.ts';

/** Accepts TCP connections and never answers a ClientHello. */
let silent: net.Server;
let silentPort = 0;
let attempts = 0;
/** Nothing listens there: connections are refused. */
let refusedPort = 0;
/** A TLS server that echoes each chunk as `echo:<chunk>`. */
let echo: tls.Server;
let echoPort = 0;
const sockets = new Set<net.Socket>();

function track(s: net.Socket): void {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', () => {});
}

before(async () => {
  silent = net.createServer((s) => {
    attempts++;
    track(s);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as net.AddressInfo).port;
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  echo = tls.createServer({ cert: pem, key: pem }, (s) => {
    track(s);
    s.on('data', (d: Buffer) => s.write(`echo:${d}`));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
  refusedPort = await freePort();
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  await new Promise((r) => echo.close(r));
});

function config(port: number, serverLine: string, option = ''): string {
  return `defaults
    mode tcp
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
listen db
    bind 127.0.0.1:${port}
    retries 3
    ${option}
    log stdout format raw local0
    log-format "%ts %rc %b/%s %U %Tc"
    ${serverLine}
`;
}

/** Sends `hello`, and 200 ms later leaves: `end` (a FIN) or `reset`. Resolves once the proxy closed the connection. */
function leave(port: number, how: 'end' | 'reset'): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.on('error', () => {});
    s.write('hello');
    setTimeout(() => (how === 'end' ? s.end() : s.resetAndDestroy()), 200);
    s.on('close', () => resolve());
    s.setTimeout(10_000, () => s.destroy());
  });
}

/** The next log line after `before` lines, and how long after `since` it came. */
async function nextLine(proxy: Proxy, before: number, since: number): Promise<{ line: string; after: number }> {
  for (let i = 0; i < 250 && proxy.logs().length <= before; i++) await new Promise((r) => setTimeout(r, 20));
  return { line: proxy.logs()[before] ?? '(no log line)', after: Date.now() - since };
}

/** Lets sideBySide's probe connection end its attempts first (it leaves at once too). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 2200));
}

test('a client that resets during a connection attempt ends the session at once: CD, no retry, %U counted (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silentPort} ssl verify none`), async (port, proxy) => {
    await settle();
    const before = proxy.logs().length;
    const tried = attempts;
    const started = Date.now();
    void leave(port, 'reset');
    const { line, after } = await nextLine(proxy, before, started);
    assert.equal(line, 'CD 0 db/s 5 -1');
    assert.ok(after < 450, `logged ${after} ms after the client came, before the attempt's timeout`);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(attempts - tried, 1, 'no retry');
    assert.equal(proxy.logs().length, before + 1);
  });
});

test('a client that resets during the pause after a refused connection ends the session there: CD 1, no further attempt (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${refusedPort}`), async (port, proxy) => {
    await settle();
    const before = proxy.logs().length;
    const started = Date.now();
    void leave(port, 'reset');
    const { line, after } = await nextLine(proxy, before, started);
    assert.equal(line, 'CD 1 db/s 5 -1');
    assert.ok(after < 450, `logged ${after} ms after the client came, in the first pause`);
  });
});

test('option abortonclose: a client FIN during a connection attempt ends the session at once, CC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silentPort} ssl verify none`, 'option abortonclose'), async (port, proxy) => {
    await settle();
    const before = proxy.logs().length;
    const tried = attempts;
    const started = Date.now();
    await leave(port, 'end');
    const { line, after } = await nextLine(proxy, before, started);
    assert.equal(line, 'CC 0 db/s 5 -1');
    assert.ok(after < 450, `logged ${after} ms after the client came`);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(attempts - tried, 1, 'no retry');
  });
});

test('option abortonclose: a client FIN during the pause after a refused connection ends the session there, CC 1 (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${refusedPort}`, 'option abortonclose'), async (port, proxy) => {
    await settle();
    const before = proxy.logs().length;
    const started = Date.now();
    await leave(port, 'end');
    const { line, after } = await nextLine(proxy, before, started);
    assert.equal(line, 'CC 1 db/s 5 -1');
    assert.ok(after < 450, `logged ${after} ms after the client came`);
  });
});

test('without option abortonclose a client FIN while connecting waits: every retry is made, sC, and %U counts what the client sent (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silentPort} ssl verify none`), async (port, proxy) => {
    await settle();
    const before = proxy.logs().length;
    const tried = attempts;
    const started = Date.now();
    await leave(port, 'end');
    const { line, after } = await nextLine(proxy, before, started);
    assert.equal(line, 'sC 3 db/s 5 -1');
    assert.ok(after >= 1900, `four timeouts of 500 ms: ${after} ms`);
    assert.equal(attempts - tried, 4);
  });
});

test('option abortonclose: what the client sends while its server is connected reaches the server first, in order (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${echoPort} ssl verify none`, 'option abortonclose'), async (port) => {
    const got = await new Promise<string>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      let text = '';
      s.on('error', () => {});
      // Written at once, before the handshake with the server is over.
      s.write('hello');
      s.on('data', (d: Buffer) => {
        text += d;
        if (text === 'echo:hello') s.write('again');
        if (text.endsWith('echo:again')) s.destroy();
      });
      s.on('close', () => resolve(text));
      s.setTimeout(5000, () => s.destroy());
    });
    assert.equal(got, 'echo:helloecho:again');
  });
});

test('timeout client does not end a session while its server is being connected: every retry is made, then sC (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, `server s 127.0.0.1:${silentPort} ssl verify none`).replace('timeout client 5s', 'timeout client 300ms'), async (port, proxy) => {
    await settle();
    const before = proxy.logs().length;
    const tried = attempts;
    const started = Date.now();
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.write('hello');
    try {
      const { line, after } = await nextLine(proxy, before, started);
      assert.equal(line, 'sC 3 db/s 5 -1');
      assert.ok(after >= 1900, `four timeouts of 500 ms: ${after} ms`);
      assert.equal(attempts - tried, 4);
    } finally {
      s.destroy();
    }
  });
});

/** A server taking one session at a time (maxconn 1), kept busy by a first session that keeps sending. */
function queueConfig(port: number, option: string, clientTimeout = '5s'): string {
  // timeout connect leaves room for the holder's TLS handshake on a loaded machine: when it timed out,
  // the slot went to the queued session, which then ended by timeout client (cD) instead of sQ.
  return `defaults
    mode tcp
    timeout connect 3s
    timeout client ${clientTimeout}
    timeout server 5s
    timeout queue 1500ms
listen db
    bind 127.0.0.1:${port}
    ${option}
    log stdout format raw local0
    log-format "%ts %b/%s %U"
    server s 127.0.0.1:${echoPort} ssl verify none maxconn 1
`;
}

/**
 * The first session, holding the server's one slot until destroyed (its traffic keeps `timeout client`
 * away: every 40 ms against 300 ms, since a loaded test process fires its timers late and a holder that
 * times out frees the slot; haproxy then logged it, cD, before the queued session).
 */
function holder(port: number): net.Socket {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('error', () => {});
  s.resume();
  const keep = setInterval(() => s.write('k'), 40);
  s.on('close', () => clearInterval(keep));
  return s;
}

/** The holder has the slot once the echo server answers through it: the next session is then queued behind it. */
async function holding(s: net.Socket): Promise<void> {
  await Promise.race([new Promise((r) => s.once('data', r)), new Promise((r) => setTimeout(r, 3000))]);
}

for (const [how, option, expected] of [['reset', '', 'CD'], ['end', 'option abortonclose', 'CQ']] as const) {
  test(`a queued client that ${how === 'reset' ? 'resets' : 'sends its FIN under option abortonclose'} leaves the queue at once, logged ${expected} without a server (haproxy 2.6.12)`, { timeout: 60_000 }, async (t) => {
    await sideBySide(t, (port) => queueConfig(port, option), async (port, proxy) => {
      await new Promise((r) => setTimeout(r, 500));
      const first = holder(port);
      try {
        await holding(first);
        const before = proxy.logs().length;
        const started = Date.now();
        void leave(port, how);
        const { line, after } = await nextLine(proxy, before, started);
        assert.equal(line, `${expected} db/<NOSRV> 5`);
        assert.ok(after < 700, `logged ${after} ms after the client came, before timeout queue`);
      } finally {
        first.destroy();
      }
    });
  });
}

test('timeout client does not end a queued session: timeout queue does (sQ), and %U counts what the client sent (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => queueConfig(port, '', '300ms'), async (port, proxy) => {
    await new Promise((r) => setTimeout(r, 500));
    const first = holder(port);
    await holding(first);
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    try {
      // The queue's time runs from the accept, so it is measured from the connect: a 200 ms pause
      // that took 360 under a loaded run's CPU once left 1,137 ms after it.
      const connected = await new Promise<number>((r) => s.once('connect', () => r(Date.now())));
      await new Promise((r) => setTimeout(r, 200));
      const before = proxy.logs().length;
      s.write('hello');
      const { line, after } = await nextLine(proxy, before, connected);
      assert.equal(line, 'sQ db/<NOSRV> 5');
      assert.ok(after >= 1400, `timeout queue 1500ms: ${after} ms after the connect`);
    } finally {
      first.destroy();
      s.destroy();
    }
  });
});
