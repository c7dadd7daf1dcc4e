/**
 * Stick-table persistence (`stick on`, `stick match`, `stick store-request`,
 * `stick store-response`), side by side with HAProxy 2.6: a returning client
 * goes to the server stored for its key across connections, a server set in
 * maintenance or killed then hands its clients to the balancer (and the new
 * server is stored), keys learnt from a response, the persistence cookie
 * winning over a stored server, `size` bounding the table, and `show table`'s
 * server_id / server_key. Each case runs on Loadstar against the outcome
 * recorded from haproxy 2.6.12, then on haproxy itself when installed.
 *
 * The proxies under test listen on their own ports: startHaproxy's readiness
 * probe goes to a separate `listen probe`, so it neither moves the round
 * robin nor stores a key.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { startEngine, startRawServer, freePort, request } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { cli } from '../stats/helpers.ts';

interface Ports {
  /** The proxy under test. */
  main: number;
  /** Readiness probes only. */
  probe: number;
  /** The runtime API (admin level). */
  sock: string;
}

const head = (ports: Ports): string => `global
    stats socket ${ports.sock} mode 600 level admin
defaults
    timeout client 5s
    timeout server 5s
    timeout connect 2s
listen probe
    mode tcp
    bind 127.0.0.1:${ports.probe}
    tcp-request connection reject
`;

/** Runs `check` on Loadstar, then on haproxy when it is installed, each with fresh ports and socket. */
async function sideBySide(t: TestContext, config: (ports: Ports) => string, check: (ports: Ports) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-stick-'));
  try {
    const ours: Ports = { main: await freePort(), probe: await freePort(), sock: path.join(dir, 'l.sock') };
    const engine = await startEngine(config(ours));
    try {
      await check(ours);
    } finally {
      await engine.stop();
    }
    if (!haproxyPath) return void t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
    const theirs: Ports = { main: await freePort(), probe: await freePort(), sock: path.join(dir, 'h.sock') };
    const haproxy = await startHaproxy(config(theirs), theirs.probe);
    try {
      await check(theirs);
    } finally {
      await haproxy.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** TCP servers that answer each connection's first bytes with their name. */
async function namedTcpServers(...names: string[]): Promise<Array<{ name: string; port: number; close(): Promise<void> }>> {
  return Promise.all(names.map(async (name) => ({ name, ...(await startRawServer((s) => s.once('data', () => s.end(name)))) })));
}

/** One TCP connection: what the server answers, or 'closed' when the proxy closes it without an answer. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const s = net.connect(port, '127.0.0.1', () => s.write('hello'));
    s.on('data', (d) => (answer += d.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve(answer || 'closed'));
  });
}

async function asks(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await ask(port));
  return out;
}

/** `show table <name>` with entry addresses and expiry countdowns masked (they differ by nature). */
async function showTable(sock: string, name: string): Promise<string> {
  return (await cli(sock, `show table ${name}`)).replace(/^0x[0-9a-f]+:/gm, 'ADDR:').replace(/ exp=\d+/g, ' exp=N');
}

test('stick on src in a TCP listen: a client returning on new connections stays on its server; in maintenance, the balancer picks another, which is stored and kept once the first is back', async (t) => {
  const servers = await namedTcpServers('t1', 't2');
  try {
    const config = (p: Ports): string => `${head(p)}
listen tcpl
    mode tcp
    bind 127.0.0.1:${p.main}
    balance roundrobin
    stick-table type ip size 200k expire 30m
    stick on src
    server t1 127.0.0.1:${servers[0]!.port}
    server t2 127.0.0.1:${servers[1]!.port}
`;
    await sideBySide(t, config, async (p) => {
      assert.equal(await showTable(p.sock, 'tcpl'), '# table: tcpl, type: ip, size:204800, used:0\n\n');
      assert.deepEqual(await asks(p.main, 3), ['t1', 't1', 't1']);
      assert.equal(await showTable(p.sock, 'tcpl'), '# table: tcpl, type: ip, size:204800, used:1\nADDR: key=127.0.0.1 use=0 exp=N server_id=1 server_key=t1\n\n');
      await cli(p.sock, 'set server tcpl/t1 state maint');
      assert.deepEqual(await asks(p.main, 2), ['t2', 't2']);
      assert.equal(await showTable(p.sock, 'tcpl'), '# table: tcpl, type: ip, size:204800, used:1\nADDR: key=127.0.0.1 use=0 exp=N server_id=2 server_key=t2\n\n');
      await cli(p.sock, 'set server tcpl/t1 state ready');
      assert.deepEqual(await asks(p.main, 2), ['t2', 't2']);
    });
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test('a stuck server that stops accepting connections: without option redispatch the client is refused and its entry stays; with it, the client goes to another server, which is stored', async (t) => {
  const config = (redispatch: boolean, first: number, other: number) => (p: Ports): string => `${head(p)}
listen tcpd
    mode tcp
    bind 127.0.0.1:${p.main}
    balance roundrobin
    retries 1
    ${redispatch ? 'option redispatch' : ''}
    stick-table type ip size 1k expire 30m
    stick on src
    server first 127.0.0.1:${first}
    server t1 127.0.0.1:${other}
`;
  for (const redispatch of [false, true]) {
    const [t1] = await namedTcpServers('t1');
    try {
      // One server that learns the client and then goes away, per run (Loadstar's, then haproxy's).
      let first: Awaited<ReturnType<typeof namedTcpServers>>[number] | undefined;
      const firstPort = async (): Promise<number> => ((first = (await namedTcpServers('first'))[0]!).port);
      const ports = [await firstPort()];
      await sideBySide(t, (p) => config(redispatch, ports[ports.length - 1]!, t1!.port)(p), async (p) => {
        try {
          assert.deepEqual(await asks(p.main, 2), ['first', 'first']);
          await first!.close();
          assert.equal(await ask(p.main), redispatch ? 't1' : 'closed');
          assert.equal(await showTable(p.sock, 'tcpd'), redispatch
            ? '# table: tcpd, type: ip, size:1024, used:1\nADDR: key=127.0.0.1 use=0 exp=N server_id=2 server_key=t1\n\n'
            : '# table: tcpd, type: ip, size:1024, used:1\nADDR: key=127.0.0.1 use=0 exp=N server_id=1 server_key=first\n\n');
        } finally {
          await first!.close();
          ports.push(await firstPort());
        }
      });
      await first!.close();
    } finally {
      await t1!.close();
    }
  }
});
