/**
 * A ring's servers next to haproxy 2.6.12's: two local TCP listeners, one for a server with the
 * default framing (a newline after each message) and one with `log-proto octet-count` ("<len> <msg>"),
 * receive what both send for the same requests, compared once times and pids are masked. Then the
 * forwarder connects again after its server closed, and goes on where it stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort } from '../../helpers/net.ts';
import { until } from '../stats/helpers.ts';

interface Listener {
  port: number;
  received(): string;
  /** Connections accepted so far. */
  connections(): number;
  /** The next connection accepted is closed once it has sent `bytes` bytes. */
  closeAfter(bytes: number): void;
  /** Called when a connection the listener accepted closes. */
  onClose(callback: () => void): void;
  close(): Promise<void>;
}

async function listen(): Promise<Listener> {
  let data = '';
  let accepted = 0;
  let closeAt: number | undefined;
  let closing: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    let got = 0;
    const limit = closeAt;
    closeAt = undefined;
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      got += d.length;
      if (limit !== undefined && got >= limit) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closing?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => data,
    connections: () => accepted,
    closeAfter: (bytes) => void (closeAt = bytes),
    onClose: (callback) => void (closing = callback),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function config(port: number, legacy: number, octet: number): string {
  return `ring fwd
    format rfc5424
    maxlen 120
    timeout connect 2s
    timeout server 5s
    server lines 127.0.0.1:${legacy}
    server counted 127.0.0.1:${octet} log-proto octet-count
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
    option dontlognull
frontend fe
    bind 127.0.0.1:${port}
    log ring@fwd local0
    log-format "%ST %{+Q}r"
    http-request return status 200
`;
}

const get = (url: string): Promise<string> => fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
/** Waits up to 15 s (a loaded machine), never asserting how long it took. */
const waitFor = (what: string, ok: () => boolean): Promise<void> => until(what, ok, 15_000);

function masked(text: string): string {
  return text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/g, 'ISO').replace(/ haproxy \d+ - /g, ' haproxy PID - ');
}

const PATHS = ['/a', '/b', `/${'c'.repeat(150)}`];

async function run(start: (port: number, legacy: number, octet: number) => Promise<() => Promise<void>>): Promise<[string, string]> {
  const [a, b] = [await listen(), await listen()];
  const port = await freePort();
  const stop = await start(port, a.port, b.port);
  try {
    for (const p of PATHS) await get(`http://127.0.0.1:${port}${p}`);
    await waitFor('three messages at each listener', () => a.received().split('\n').length > PATHS.length && (b.received().match(/ <134>1 /g) ?? []).length === PATHS.length);
    return [masked(a.received()), masked(b.received())];
  } finally {
    await stop();
    await a.close();
    await b.close();
  }
}

test("a ring's servers get its messages as haproxy 2.6.12 sends them (newline, octet counting)", { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const expected = await run(async (port, legacy, octet) => {
    const h = await startHaproxy(config(port, legacy, octet), port);
    return () => h.stop();
  });
  const actual = await run(async (port, legacy, octet) => {
    const l = await startEngine(config(port, legacy, octet));
    return () => l.stop();
  });
  assert.equal(actual[0], expected[0]);
  assert.equal(actual[1], expected[1]);
  // The octet count includes the PID's digits (masked in the text, not in the count), and so does
  // what maxlen (120) leaves of the long path.
  assert.match(actual[1], /^(\d+) <134>1 ISO - haproxy PID - - 200 "GET \/a HTTP\/1.1"\1 <134>1 /);
  assert.match(actual[1], /"120 <134>1 ISO - haproxy PID - - 200 "GET \/c{40,}$/);
});

test('a forwarder whose server closed connects again and goes on with the next message', { timeout: 30_000 }, async () => {
  const [a, b] = [await listen(), await listen()];
  const port = await freePort();
  const engine = await startEngine(config(port, a.port, b.port));
  try {
    a.closeAfter(1);
    await get(`http://127.0.0.1:${port}/first`);
    await waitFor('the first message', () => a.received().includes('/first'));
    await waitFor('the first connection closed and a second one', () => a.connections() === 2);
    await get(`http://127.0.0.1:${port}/second`);
    await waitFor('the second message', () => a.received().includes('/second'));
    assert.deepEqual(a.received().split('\n').filter(Boolean).map((l) => l.replace(/^.* - - /, '')), ['200 "GET /first HTTP/1.1"', '200 "GET /second HTTP/1.1"']);
    assert.equal(b.connections(), 1);
  } finally {
    await engine.stop();
    await a.close();
    await b.close();
  }
});

test("stopping the engine closes the rings' server connections", { timeout: 30_000 }, async () => {
  const [a, b] = [await listen(), await listen()];
  const port = await freePort();
  const engine = await startEngine(config(port, a.port, b.port));
  let closed = false;
  try {
    await waitFor('both servers connected', () => a.connections() === 1 && b.connections() === 1);
    a.onClose(() => void (closed = true));
    await engine.stop();
    await waitFor("the forwarder's connection closed", () => closed);
  } finally {
    await a.close();
    await b.close();
  }
});
