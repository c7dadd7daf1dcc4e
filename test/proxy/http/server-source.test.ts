/**
 * `source <addr>[:<port>]` on a server line and in a backend (configuration.txt §4.2, §5.2) side
 * by side with HAProxy 2.6.12: connections to the server, in HTTP and TCP mode, and its health
 * checks come from that address and port (the server's `source` wins over the backend's), seen
 * by the origin. Only 127.0.0.1 and ::1 are used. Each case runs on Loadstar against the outcome
 * recorded from haproxy, then on haproxy itself when installed. `usesrc` and `interface` (they
 * need root) are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfig } from '../../../proxy/config/index.ts';
import { freePort } from '../../helpers/net.ts';
import { sideBySide, requests } from './lib/side-by-side.ts';

/** An origin on `host` answering each HTTP request (or the first bytes of a TCP session) with the peer's address:port, then closing. */
async function peerEcho(host = '127.0.0.1'): Promise<{ port: number; peers: string[]; close(): Promise<void> }> {
  const peers: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    // A health check may reset its connection before this callback runs: the address is gone then, and the next check tells.
    if (s.remoteAddress !== undefined) peers.push(peer);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', (d: Buffer) => {
      if (d.toString('latin1').startsWith('GET ')) s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${peer.length}\r\nconnection: close\r\n\r\n${peer}`);
      else s.end(peer);
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    peers,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const head = `defaults
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

test('HTTP: the backend\'s source binds its servers\' connections; a server\'s own source wins', async (t) => {
  const origin = await peerEcho();
  const [backendPort, serverPort] = [await freePort(), await freePort()];
  try {
    await sideBySide(t, (port) => `${head}frontend fe
    mode http
    bind 127.0.0.1:${port}
    use_backend own if { path /own }
    default_backend inherited
backend inherited
    mode http
    source 127.0.0.1:${backendPort}
    server s 127.0.0.1:${origin.port}
backend own
    mode http
    source 127.0.0.1:${backendPort}
    server s 127.0.0.1:${origin.port} source 127.0.0.1:${serverPort}
`, async (port) => {
      assert.deepEqual(await requests(port, '/'), [`200 127.0.0.1:${backendPort}`, 'open']);
      assert.deepEqual(await requests(port, '/own'), [`200 127.0.0.1:${serverPort}`, 'open']);
    });
  } finally {
    await origin.close();
  }
});

test('TCP mode and IPv6: source [::1]:port', async (t) => {
  const origin4 = await peerEcho();
  let origin6: Awaited<ReturnType<typeof peerEcho>> | undefined;
  try {
    origin6 = await peerEcho('::1');
  } catch {
    t.diagnostic('no ::1 on this machine: the IPv6 case is skipped');
  }
  const [p4, p6, v6Listen] = [await freePort(), await freePort(), await freePort()];
  const ask = (port: number): Promise<string> => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('hello'));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve(got));
  });
  try {
    await sideBySide(t, (port) => `${head}listen v4
    mode tcp
    bind 127.0.0.1:${port}
    server s 127.0.0.1:${origin4.port} source 127.0.0.1:${p4}
${origin6 ? `listen v6
    mode tcp
    bind 127.0.0.1:${v6Listen}
    server s [::1]:${origin6.port} source [::1]:${p6}
` : ''}`, async (port) => {
      assert.equal(await ask(port), `127.0.0.1:${p4}`);
      if (origin6) assert.equal(await ask(v6Listen), `::1:${p6}`);
    });
  } finally {
    await origin4.close();
    await origin6?.close();
  }
});

test('health checks come from the source too', async (t) => {
  const origin = await peerEcho();
  // One source port per side: the first side's closed check connections leave that port in TIME_WAIT
  // towards the same origin, where the second side's connect could fail.
  const sourcePorts = [await freePort(), await freePort()];
  let run = 0;
  try {
    await sideBySide(t, (port) => `${head}listen l
    mode tcp
    bind 127.0.0.1:${port}
    source 127.0.0.1:${sourcePorts[run]}
    # The check waits for the origin's answer: a bare connect check resets its connection at once, often
    # before the origin's accept callback runs, and then no check of a whole run is seen (haproxy's, mostly).
    option tcp-check
    tcp-check send ping\n
    tcp-check expect rstring ^127
    server s 127.0.0.1:${origin.port} check inter 500
`, async () => {
      // The first check runs within `inter` (Loadstar spreads it at random, HAProxy at once): wait for the origin to see it.
      for (let i = 0; i < 200 && origin.peers.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(origin.peers.at(-1), `127.0.0.1:${sourcePorts[run++]}`);
      origin.peers.length = 0;
    });
  } finally {
    await origin.close();
  }
});

test('source errors as haproxy -c gives them; usesrc, interface and port ranges are refused', () => {
  const parse = (line: string) => parseConfig([{ name: 'x.cfg', text: `defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend b\n  ${line}\n  server s0 127.0.0.1:8080\n` }])
    .diagnostics.map((d) => `${d.code} ${d.message}`);
  // Recorded from haproxy 2.6.12 -c.
  assert.deepEqual(parse('server s1 127.0.0.1:8080 source 127.0.0.1:99999'), [`LS_ERR_CFG_BAD_ARGUMENT 'server b/s1' : 'source 127.0.0.1:99999' : invalid port '99999'`]);
  assert.deepEqual(parse('source 127.0.0.1:1000-1002'), [`LS_ERR_CFG_BAD_ARGUMENT 'source 127.0.0.1:1000-1002' : port range not permitted here in '127.0.0.1:1000-1002'`]);
  assert.deepEqual(parse('server s1 127.0.0.1:8080 source'), [`LS_ERR_CFG_BAD_ARGUMENT 'server b/s1' : 'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument..`]);
  assert.deepEqual(parse('source'), [`LS_ERR_CFG_BAD_ARGUMENT 'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.`]);
  // Loadstar's refusals.
  assert.match(parse('server s1 127.0.0.1:8080 source 127.0.0.1 usesrc clientip')[0]!, /^LS_ERR_CFG_UNSUPPORTED 'server b\/s1' : 'usesrc' \(transparent proxying/);
  assert.match(parse('source 127.0.0.1 usesrc client')[0]!, /^LS_ERR_CFG_UNSUPPORTED 'usesrc' \(transparent proxying/);
  assert.match(parse('source 127.0.0.1 interface lo')[0]!, /^LS_ERR_CFG_UNSUPPORTED 'interface'/);
  assert.match(parse('server s1 127.0.0.1:8080 source 127.0.0.1:1000-1002')[0]!, /^LS_ERR_CFG_UNSUPPORTED 'server b\/s1' : 'source' : a source port range/);
});
