/**
 * `set server <b>/<s> addr <ip> [port <port>]` on the runtime API, side by side with haproxy
 * 2.6.12: the report it prints, new requests going to the new address and port (idle kept-alive
 * connections to the old one are not reused), `show servers state` showing them, and its
 * refusals. The reports are recorded from haproxy; each case then runs on it when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startNamedServer, freePort, request } from '../../helpers/net.ts';
import { cli } from './helpers.ts';

const config = (sock: string, port: number, origin: number): string => `global
    stats socket ${sock} mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server s 127.0.0.1:${origin}
`;

test('set server addr: the report, traffic to the new address and port, show servers state, refusals (as haproxy 2.6.12)', async (t) => {
  const [a, b] = [await startNamedServer('a', (_req, res) => res.end('a')), await startNamedServer('b', (_req, res) => res.end('b'))];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-setaddr-'));
  try {
    // `keptAlive`: the requests after the move ride the client connection of the one before. haproxy 2.6.12
    // was seen to send the first of them over the session's own idle connection to the old address (a CI run
    // on a fast machine), so on haproxy they go on new client connections and only Loadstar's stricter
    // behaviour is checked on the kept-alive one.
    const run = async (name: string, start: (text: string, port: number) => Promise<{ stop(): Promise<void> }>, keptAlive: boolean) => {
      const sock = path.join(dir, `${name}.sock`);
      const port = await freePort();
      const proxy = await start(config(sock, port, a.port), port);
      try {
        // One client connection kept alive: its server connection to a stays idle between requests, and
        // must not carry the requests after the move (HAProxy closes it: srv_cleanup_connections).
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        assert.equal((await request(port, '/', { agent })).body, 'a');
        assert.equal(await cli(sock, `set server be/s addr 127.0.0.1 port ${b.port}`), `no need to change the addr, port changed from '${a.port}' to '${b.port}' by 'stats socket command'\n\n`);
        for (let i = 0; i < 3; i++) assert.equal((await request(port, '/', keptAlive ? { agent } : {})).body, 'b', `${name}: request ${i} after the move`);
        agent.destroy();
        const state = (await cli(sock, 'show servers state be')).split('\n')[2]!.split(' ');
        // srv_addr and srv_port columns.
        assert.deepEqual([state[4], state[18]], ['127.0.0.1', String(b.port)]);
        assert.equal(await cli(sock, 'set server be/s addr 127.0.0.1'), `no need to change the addr by 'stats socket command'\n\n`);
        assert.equal(await cli(sock, 'set server be/s addr ::1'), `IP changed from '127.0.0.1' to '::1' by 'stats socket command'\n\n`);
        assert.equal(await cli(sock, 'set server be/s addr 127.0.0.1 port x'), `IP changed from '::1' to '127.0.0.1', problem converting port 'x' to an int by 'stats socket command'\n\n`);
        assert.equal(await cli(sock, 'set server be/s addr nowhere'), `Invalid addr 'nowhere' by 'stats socket command'\n\n`);
        assert.equal(await cli(sock, 'set server be/s addr'), 'set server <b>/<s> addr requires an address and optionally a port.\n\n');
        assert.equal(await cli(sock, 'set server be/x addr 127.0.0.1'), 'No such server.\n\n');
      } finally {
        await proxy.stop();
      }
    };
    await run('loadstar', (text) => startEngine(text), true);
    if (haproxyPath) await run('haproxy', startHaproxy, false);
    else t.diagnostic('haproxy is not installed: compared with the recorded reports only');
  } finally {
    await a.close();
    await b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
