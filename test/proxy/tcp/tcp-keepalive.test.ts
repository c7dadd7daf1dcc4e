/**
 * `option clitcpka` / `srvtcpka` / `tcpka` with `clitcpka-idle` / `srvtcpka-idle`: the proxy's
 * client and server sockets get TCP keep-alive, with that idle time before the first probe, as
 * haproxy 2.6.12 sets them (session.c, proto_tcp.c). Read from `ss -tno`'s keep-alive timer, in
 * TCP and HTTP mode, side by side with haproxy. (Probe count and interval: Node cannot set them.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { sideBySide } from '../http/lib/side-by-side.ts';

const hasSs = (() => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The keep-alive timer of the one established socket matching `filter` (seconds left), or 'none'. */
function keepAliveTimer(filter: string): string {
  const out = execFileSync('ss', ['-tnoH', 'state', 'established', filter], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '');
  assert.equal(out.length, 1, `one socket for ${filter}: ${out.join('\n')}`);
  const m = /timer:\(keepalive,([^,]+),/.exec(out[0]!);
  if (!m) return 'none';
  // ss writes what is left as e.g. 119min, 1min29sec, 29sec, 1.5sec, 900ms.
  let seconds = 0;
  for (const [, n, unit] of m[1]!.matchAll(/([\d.]+)(min|sec|ms)/g)) seconds += Number(n) * (unit === 'min' ? 60 : unit === 'sec' ? 1 : 0.001);
  return `${Math.ceil(seconds)}`;
}

/** Within a few seconds below `idle` (the timer counts down from it): the idle time that was set. */
function near(seen: string, idle: number): string {
  if (seen === 'none') return seen;
  const s = Number(seen);
  // Above a minute ss shows whole minutes only (119min for 7199 s left).
  return s <= idle && s > idle - (idle >= 60 ? 65 : 5) ? `~${idle}` : `${s} (not ~${idle})`;
}

const head = (mode: string, defaults: string): string => `defaults\n    mode ${mode}\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n${defaults}`;

async function withServer(mode: 'tcp' | 'http', run: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<net.Socket>();
  const server: net.Server = mode === 'tcp' ? net.createServer() : http.createServer({ keepAliveTimeout: 10_000 } as http.ServerOptions, (_, res) => res.end('ok'));
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await run((server.address() as net.AddressInfo).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
}

/** Opens a connection through the proxy (HTTP: one request answered, both connections kept), then reads both sides' timers. */
async function timers(mode: 'tcp' | 'http', port: number, serverPort: number): Promise<{ client: string; server: string }> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  try {
    await new Promise((r) => s.once('connect', r));
    if (mode === 'http') {
      s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      await new Promise((r) => s.once('data', r));
    }
    for (let i = 0; i < 50; i++) {
      const n = execFileSync('ss', ['-tnH', 'state', 'established', `( dport = :${serverPort} )`], { encoding: 'utf8' }).trim();
      if (n !== '') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Established in the kernel before the proxy's event loop saw it: Loadstar sets keep-alive on its 'connect' event.
    await new Promise((r) => setTimeout(r, 100));
    return { client: keepAliveTimer(`( sport = :${port} )`), server: keepAliveTimer(`( dport = :${serverPort} )`) };
  } finally {
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CASES: Array<{ what: string; mode: 'tcp' | 'http'; defaults: string; frontend?: string; backend?: string; client: number | 'none'; server: number | 'none' }> = [
  { what: 'tcp mode, option tcpka in defaults with both idle times', mode: 'tcp', defaults: '    option tcpka\n    clitcpka-idle 30\n    srvtcpka-idle 40s\n', client: 30, server: 40 },
  { what: 'http mode, option clitcpka alone (the system\'s idle time)', mode: 'http', defaults: '', frontend: '    option clitcpka\n', client: 7200, server: 'none' },
  { what: 'http mode, option srvtcpka in the backend, idle 1500ms (rounded up to 2 s)', mode: 'http', defaults: '    srvtcpka-idle 1500ms\n', backend: '    option srvtcpka\n', client: 'none', server: 2 },
  { what: 'tcp mode, tcpka in defaults, no option clitcpka in the frontend', mode: 'tcp', defaults: '    option tcpka\n    clitcpka-idle 30\n    srvtcpka-idle 50\n', frontend: '    no option clitcpka\n', client: 'none', server: 50 },
  { what: 'no option: no keep-alive', mode: 'tcp', defaults: '    clitcpka-idle 30\n    srvtcpka-idle 50\n', client: 'none', server: 'none' },
];

for (const c of CASES) {
  test(`TCP keep-alive, ${c.what}: as haproxy sets it`, { skip: !hasSs && 'ss is not installed' }, async (t) => {
    await withServer(c.mode, async (serverPort) => {
      const config = (port: number): string => `${head(c.mode, c.defaults)}frontend f\n    bind 127.0.0.1:${port}\n${c.frontend ?? ''}    default_backend b\nbackend b\n${c.backend ?? ''}    server s 127.0.0.1:${serverPort}\n`;
      await sideBySide(t, config, async (port) => {
        const seen = await timers(c.mode, port, serverPort);
        const want = (v: number | 'none') => (v === 'none' ? v : `~${v}`);
        assert.deepEqual({ client: near(seen.client, c.client === 'none' ? 0 : c.client), server: near(seen.server, c.server === 'none' ? 0 : c.server) }, { client: want(c.client), server: want(c.server) });
      });
    });
  });
}
