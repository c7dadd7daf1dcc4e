/**
 * HTTP-mode servers written without an address (`0.0.0.0`) or without a port (`:0`, none, `+N`)
 * side by side with HAProxy 2.6.12: each request goes where its client's connection went, as
 * set-dst / set-dst-port left it (assign_server_address), the log's %si:%sp say where, and an idle
 * connection to one destination never serves a request for another (HAProxy hashes the
 * destination into such a server's reuse key).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';
import { oneByOne } from './lib/one-by-one.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { cli, readCsv, row } from '../stats/helpers.ts';

/** An origin answering "<name><n>", n numbering its connections from 1 since `reset` (the same n: a reused connection). */
async function origin(name: string): Promise<{ port: number; reset(): void; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    const n = ++connections;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buffered = '';
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4);
        const body = `${name}${n}`;
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    reset: () => void (connections = 0),
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

const config = (servers: string) => (port: number): string => `global
    log stdout format raw local0
defaults
    mode http
    log global
    log-format "%b/%s %si:%sp %ST"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    http-request set-dst hdr(x-host) if { req.hdr(x-host) -m found }
    http-request set-dst-port hdr(x-port) if { req.hdr(x-port) -m found }
    default_backend be
backend be
${servers}
`;

test('a server written 127.0.0.1:0 connects to the port set-dst-port gave, and keeps idle connections apart by destination, as in HAProxy', async (t) => {
  const a = await origin('a');
  const b = await origin('b');
  try {
    await sideBySide(t, config('    server clear 127.0.0.1:0'), async (port, proxy) => {
      a.reset();
      b.reset();
      const heads = [a, b, a, b, a].map((o) => `x-port: ${o.port}`);
      // Recorded from haproxy 2.6.12: the third request takes the idle connection to a, not the one to b
      // (the second); the second's connection was not kept (the pool keeps what it needed at once).
      assert.deepEqual(await oneByOne(port, heads), ['200 a1', '200 b1', '200 a1', '200 b2', '200 a1']);
      const lines = (await linesLogged(proxy, 6)).slice(-5);
      assert.deepEqual(lines, [a, b, a, b, a].map((o) => `be/clear 127.0.0.1:${o.port} 200`));
    });
  } finally {
    await a.close();
    await b.close();
  }
});

test('servers with a port offset, without a port, and written 0.0.0.0:<port> follow the destination too, as in HAProxy', async (t) => {
  const a = await origin('a');
  const b = await origin('b');
  try {
    const servers = `    balance roundrobin
    server off 127.0.0.1:+1
    server noport 127.0.0.1
    server any 0.0.0.0:${b.port}`;
    await sideBySide(t, config(servers), async (port, proxy) => {
      a.reset();
      b.reset();
      // off: the destination port plus one; noport: the destination port; any: the destination address, its own port.
      const heads = [`x-port: ${a.port - 1}`, `x-port: ${a.port}`, 'x-host: 127.0.0.1'];
      assert.deepEqual(await oneByOne(port, heads), ['200 a1', '200 a2', '200 b1']);
      const lines = (await linesLogged(proxy, 4)).slice(-3);
      assert.deepEqual(lines, [`be/off 127.0.0.1:${a.port} 200`, `be/noport 127.0.0.1:${a.port} 200`, `be/any 127.0.0.1:${b.port} 200`]);
    });
  } finally {
    await a.close();
    await b.close();
  }
});

test('HTTP/2 to a server that follows the destination is refused as not supported yet (its connections would be shared across destinations)', () => {
  const text = (server: string) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend be\n    server s ${server}\n`;
  const alerts = (server: string) => parseConfig([{ name: 'h2.cfg', text: text(server) }]).diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.code);
  assert.deepEqual(alerts('127.0.0.1:0 proto h2'), ['LS_ERR_CFG_UNSUPPORTED']);
  assert.deepEqual(alerts('0.0.0.0:80 proto h2'), ['LS_ERR_CFG_UNSUPPORTED']);
  assert.deepEqual(alerts('127.0.0.1:80 proto h2'), []);
  assert.deepEqual(alerts('127.0.0.1:0'), []);
});

const statsConfig = (dir: string) => (port: number): string => `global
    stats socket ${path.join(dir, `${port}.sock`)} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server minus 127.0.0.1:-1
    server none 127.0.0.1
    server any 0.0.0.0:+5
`;

test('show stat and show servers state print such servers\' addresses as written, as HAProxy does', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-dst-servers-'));
  try {
    await sideBySide(t, statsConfig(dir), async (port) => {
      const sock = path.join(dir, `${port}.sock`);
      const rows = readCsv(await cli(sock, 'show stat'));
      assert.deepEqual(['minus', 'none', 'any'].map((s) => row(rows, 'be', s).addr), ['127.0.0.1:-1', '127.0.0.1:0', '0.0.0.0:5']);
      // srv_addr and srv_port (HAProxy prints the port unsigned: -1 is 4294967295).
      const state = (await cli(sock, 'show servers state be')).split('\n').filter((l) => /^\d+ be /.test(l)).map((l) => l.split(' ')).map((f) => `${f[3]} ${f[4]} ${f[18]}`);
      assert.deepEqual(state, ['minus 127.0.0.1 4294967295', 'none 127.0.0.1 0', 'any 0.0.0.0 5']);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
