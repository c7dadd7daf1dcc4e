/**
 * Plain TCP half-close, side by side with haproxy 2.6.12 (tcp/frontend.ts pipe, halfClosed): once a
 * side sent its FIN, passed on to the other, HAProxy reads no more from it — its read timeout is
 * gone — and the other side's read timeout becomes its *-fin one when set (`timeout server-fin`
 * for the server, `timeout client-fin` for the client: neither stands in for the other), else
 * stays `timeout server` / `timeout client` (or `timeout tunnel`), still counted from that side's
 * last activity. The log's %ts and %Tt tell which timer ended the session, and when.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from '../http/lib/side-by-side.ts';
import type { Proxy } from '../http/lib/side-by-side.ts';

const sockets = new Set<net.Socket>();
/** Reads and never writes nor closes. */
let silent: net.Server;
/** Sends its FIN at once, then reads and never closes. */
let finishing: net.Server;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function serve(onConnection: (s: net.Socket) => void): net.Server {
  return net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.resume();
    onConnection(s);
  });
}

let silentPort = 0;
let finishingPort = 0;
before(async () => {
  silent = serve(() => {});
  finishing = serve((s) => s.end());
  silentPort = await listen(silent);
  finishingPort = await listen(finishing);
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  await new Promise((r) => finishing.close(r));
});

function config(port: number, serverPort: number, timeouts: string): string {
  return `defaults
    mode tcp
    timeout connect 1s
    timeout client 2s
    timeout server 600ms
${timeouts.split(';').filter((t) => t !== '').map((t) => `    ${t}\n`).join('')}listen db
    bind 127.0.0.1:${port}
    log stdout format raw local0
    log-format "%ts %Tt"
    server s 127.0.0.1:${serverPort}
`;
}

/**
 * A session that sends `hello`, and its FIN 100 ms later when `fin` (else it stays silent and
 * open); its log line: termination state and %Tt.
 */
async function session(port: number, proxy: Proxy, fin: boolean): Promise<{ ts: string; tt: number }> {
  // sideBySide's probe connection logs its own line, later than its FIN: wait for it first.
  for (let i = 0; i < 200 && proxy.logs().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const before = proxy.logs().length;
  const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  s.on('error', () => {});
  s.resume();
  s.write('hello');
  if (fin) setTimeout(() => s.end(), 100);
  try {
    for (let i = 0; i < 250 && proxy.logs().length <= before; i++) await new Promise((r) => setTimeout(r, 20));
  } finally {
    s.destroy();
  }
  const [ts, tt] = (proxy.logs()[before] ?? '(none) -1').split(' ');
  return { ts: ts!, tt: Number(tt) };
}

function within(tt: number, from: number, to: number): void {
  assert.ok(tt >= from && tt <= to, `%Tt ${tt} ms, expected ${from}–${to}`);
}

test('the client sends its FIN to a silent server: the server side times out at timeout server (sD), the client side has no timer left (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, silentPort, ''), async (port, proxy) => {
    const { ts, tt } = await session(port, proxy, true);
    assert.equal(ts, 'sD');
    // From the server side's last activity (the hello at 0), not from the FIN.
    within(tt, 550, 850);
  });
});

test('timeout client-fin does not bound the server side after the client\'s FIN: still timeout server, sD (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, silentPort, 'timeout client-fin 300ms'), async (port, proxy) => {
    const { ts, tt } = await session(port, proxy, true);
    assert.equal(ts, 'sD');
    within(tt, 550, 850);
  });
});

test('timeout server-fin bounds the server side from the client\'s FIN on: sD (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, silentPort, 'timeout server-fin 300ms'), async (port, proxy) => {
    const { ts, tt } = await session(port, proxy, true);
    assert.equal(ts, 'sD');
    within(tt, 350, 650);
  });
});

test('the server sends its FIN to a silent client: the client side times out at timeout client (cD), the server side has no timer left (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, finishingPort, 'timeout server-fin 300ms'), async (port, proxy) => {
    const { ts, tt } = await session(port, proxy, false);
    assert.equal(ts, 'cD');
    within(tt, 1950, 2350);
  });
});

test('timeout client-fin bounds the client side from the server\'s FIN on: cD (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, finishingPort, 'timeout client-fin 300ms'), async (port, proxy) => {
    const { ts, tt } = await session(port, proxy, false);
    assert.equal(ts, 'cD');
    within(tt, 250, 600);
  });
});

test('timeout tunnel: after the client\'s FIN the server side times out at timeout tunnel, client-fin notwithstanding (haproxy 2.6.12)', { timeout: 60_000 }, async (t) => {
  await sideBySide(t, (port) => config(port, silentPort, 'timeout tunnel 1200ms;timeout client-fin 300ms'), async (port, proxy) => {
    const { ts, tt } = await session(port, proxy, true);
    assert.equal(ts, 'sD');
    within(tt, 1150, 1500);
  });
});
