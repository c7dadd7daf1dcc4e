/**
 * A server killed in the middle of the load, with `retries 3` and `option
 * redispatch`: only the requests it was working on may fail; everything sent
 * afterwards reaches the other servers (the connection to the dead one is
 * refused, retried, then redispatched). The same scenario runs through HAProxy
 * 2.6 for the record. Loadstar's retry policy in HAProxy's `retry-on` terms is
 * in docs/reliability.md: `conn-failure` (HAProxy's default), plus one new
 * connection for an idempotent request whose reused keep-alive connection was
 * closed before any response byte (HAProxy does the same for reused idle
 * connections); a request a server received and then dropped is not replayed
 * (this configuration has no `retry-on`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { startEngine, freePort } from '../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../helpers/haproxy.ts';
import { startLoad, failures, summary } from './lib/load.ts';
import type { LoadResult } from './lib/load.ts';
import { writeReport } from './lib/report.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SlowServer {
  name: string;
  port: number;
  inFlight: number;
  hits: number;
  /** Connections open to it right now (each carries at most one request at a time). */
  connections: number;
  kill(): void;
  close(): Promise<void>;
}

/** Answers after 20 ms, so that requests are in flight when it is killed. */
async function slowServer(name: string): Promise<SlowServer> {
  const sockets = new Set<net.Socket>();
  const state = { inFlight: 0, hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    state.inFlight++;
    req.resume();
    const timer = setTimeout(() => { state.inFlight--; res.setHeader('x-server', name); res.end(name); }, 20);
    res.on('close', () => { if (!res.writableFinished) { clearTimeout(timer); state.inFlight--; } });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  let killed = false;
  return {
    name, port,
    get inFlight() { return state.inFlight; },
    get hits() { return state.hits; },
    get connections() { return sockets.size; },
    kill: () => {
      killed = true;
      server.close();
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); if (killed) r(); else server.close(() => r()); }),
  };
}

function config(port: number, servers: SlowServer[]): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 500ms
    timeout client 10s
    timeout server 5s
    retries 3
    option redispatch
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance roundrobin
${servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port}`).join('\n')}
`;
}

/** Runs the load, kills s2 after 300 ms, goes on for 1 s; returns the load and s2's work at the kill. */
async function killDuringLoad(port: number, servers: SlowServer[], proxyView?: () => number): Promise<{ r: LoadResult; inFlightAtKill: number; hitsAfterKill: number }> {
  let n = 0;
  const load = startLoad({ port: () => port, keepAlive: 4, close: 4, method: () => (n++ % 2 === 0 ? 'GET' : 'POST') });
  await sleep(300);
  const victim = servers[1]!;
  // What may be lost: requests the proxy had sent and not seen answered (some still in the server's socket
  // buffer), and at most one per connection open to it (a request sent on a kept-alive connection before the
  // proxy has read its close).
  const inFlightAtKill = Math.max(victim.inFlight, proxyView?.() ?? 0) + victim.connections;
  const hitsAtKill = victim.hits;
  victim.kill();
  await sleep(1000);
  const r = await load.stop();
  return { r, inFlightAtKill, hitsAfterKill: victim.hits - hitsAtKill };
}

test('a server killed mid-load with retries 3 and option redispatch fails only the requests it was working on', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  if (haproxyPath) {
    const servers = await Promise.all(['s1', 's2', 's3'].map(slowServer));
    const port = await freePort();
    let h: Awaited<ReturnType<typeof startHaproxy>> | undefined;
    try {
      h = await startHaproxy(config(port, servers), port);
      const { r, inFlightAtKill } = await killDuringLoad(port, servers);
      lines.push(`- HAProxy 2.6: ${summary(r)}; ${inFlightAtKill} request(s) in flight on s2 or on a connection to it when killed; ${failures(r)} failed`);
    } finally {
      await h?.stop();
      await Promise.all(servers.map((s) => s.close()));
    }
  }
  const servers = await Promise.all(['s1', 's2', 's3'].map(slowServer));
  let e: Awaited<ReturnType<typeof startEngine>> | undefined;
  try {
    e = await startEngine(config(await freePort(), servers));
    const engine = e.engine;
    const { r, inFlightAtKill, hitsAfterKill } = await killDuringLoad(e.port, servers, () => engine.backend('app')!.servers[1]!.served);
    lines.push(`- Loadstar: ${summary(r)}; ${inFlightAtKill} request(s) in flight on s2 or on a connection to it when killed; ${failures(r)} failed`);
    writeReport('server-killed.md', `# A server killed mid-load (retries 3, option redispatch)\n\n4 keep-alive + 4 Connection: close clients, GET and POST alternating, server s2 killed after 300 ms, load for 1 s more.\n\n${lines.join('\n')}\n`);
    assert.equal(hitsAfterKill, 0);
    assert.ok(failures(r) <= inFlightAtKill, `${failures(r)} failures for ${inFlightAtKill} requests in flight on the killed server or its connections: ${summary(r)}`);
    for (const [status] of r.badStatus) assert.equal(status, 502, 'a request dropped by the server is a 502, never a 503 (the retries found the other servers)');
    assert.ok((r.servers.get('s1') ?? 0) > 0 && (r.servers.get('s3') ?? 0) > 0);
  } finally {
    await e?.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
});
