/**
 * When the first health checks and agents run, as HAProxy 2.6's start_checks spreads them: in
 * configuration order, the n-th of N after n × the smallest interval ÷ N, so the first server is
 * checked at once and the others follow one by one; `max-spread-checks` bounds the spread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, freePort, waitFor } from '../../helpers/net.ts';

/**
 * Origins that note when each first saw a connection (a check). They greet, and the check waits
 * for the greeting: a bare connect check resets before Node's accept callback would see it.
 */
async function origins(n: number): Promise<{ ports: number[]; firstSeen: Array<number | undefined>; close(): Promise<void> }> {
  const firstSeen: Array<number | undefined> = new Array(n).fill(undefined);
  const servers = await Promise.all(Array.from({ length: n }, (_, i) => startRawServer((s: net.Socket) => {
    firstSeen[i] ??= Date.now();
    s.end('hello\n');
  })));
  return { ports: servers.map((s) => s.port), firstSeen, close: async () => { await Promise.all(servers.map((s) => s.close())); } };
}

function config(global: string, port: number, ports: number[], inter: string): string {
  return `global
${global}defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen app
    bind 127.0.0.1:${port}
    option tcp-check
    tcp-check expect string hello
${ports.map((p, i) => `    server s${i + 1} 127.0.0.1:${p} check inter ${inter}\n`).join('')}`;
}

/** Which origin each proxy checked first, second…: start the proxy, wait until all are checked. */
async function checkOrder(start: (ports: number[]) => Promise<{ stop(): Promise<void> }>, inter: string, within: number): Promise<number[]> {
  const o = await origins(4);
  const proxy = await start(o.ports);
  try {
    await waitFor(`every server checked (inter ${inter})`, () => o.firstSeen.every((t) => t !== undefined), within);
    return o.firstSeen.map((t, i) => [t!, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i + 1);
  } finally {
    await proxy.stop();
    await o.close();
  }
}

test('the first checks go out in configuration order, spread over the interval, as haproxy 2.6.12 sends them', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  // inter 2s, 4 servers: HAProxy starts them at 0, 500, 1000 and 1500 ms.
  const theirs = await checkOrder(async (ports) => { const port = await freePort(); return startHaproxy(config('', port, ports, '2s'), port); }, '2s', 10_000);
  const ours = await checkOrder((ports) => freePort().then((port) => startEngine(config('', port, ports, '2s'))), '2s', 10_000);
  assert.deepEqual(theirs, [1, 2, 3, 4]);
  assert.deepEqual(ours, theirs);
});

test('max-spread-checks bounds the spread of the first checks: with inter 60s all four are checked within seconds, as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  // Without the bound the fourth would wait 45 s (3 × 60 s ÷ 4); with it, 750 ms.
  const global = '    max-spread-checks 1s\n';
  const theirs = await checkOrder(async (ports) => { const port = await freePort(); return startHaproxy(config(global, port, ports, '60s'), port); }, '60s', 10_000);
  const ours = await checkOrder((ports) => freePort().then((port) => startEngine(config(global, port, ports, '60s'))), '60s', 10_000);
  assert.deepEqual(ours, theirs);
});
