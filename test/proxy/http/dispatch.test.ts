/**
 * `dispatch <address>:<port>` side by side with HAProxy 2.6.12: without `balance`, every request no
 * rule binds to a server goes to the dispatch address and the log names no server (<NOSRV>, %si:%sp
 * the address); a use-server rule still reaches a server of the backend; with `balance` the
 * dispatch address is ignored. The statistics show such a backend UP without servers and DOWN
 * with some (no algorithm, no weight), `show stat` its algo as none.
 */
import { after, test } from 'node:test';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';
import { oneByOne } from './lib/one-by-one.ts';
import os from 'node:os';
import path from 'node:path';
import { startRawServer } from '../../helpers/net.ts';
import { cli, readCsv, row } from '../stats/helpers.ts';

/** An origin answering every request with its name. */
async function origin(name: string): Promise<{ port: number; close(): Promise<void> }> {
  return startRawServer((s) => {
    s.on('error', () => {});
    let buffered = '';
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4);
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\n\r\n${name}`);
      }
    });
  });
}

/** One request on its own connection: "<status> <body>". */
function get(port: number, path: string, header = ''): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let received = '';
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? -1);
      if (length < 0 ? !received.endsWith('\n') : received.length < end + 4 + length) return;
      s.destroy();
      resolve(`${received.slice(9, 12)} ${length < 0 ? received.slice(end + 4) : received.slice(end + 4, end + 4 + length)}`);
    });
    s.on('error', () => resolve('reset'));
    s.on('close', () => resolve(`closed ${received}`));
    s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n${header}\r\n`);
  });
}

/** The stats page's CSV. */
function statsCsv(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/stats;csv', agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The runtime API sockets' directory, removed after the tests. */
const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-dispatch-'));
after(() => fs.rmSync(socketDir, { recursive: true, force: true }));
/** The runtime API socket of the run on `port`. */
const socketOf = (port: number): string => path.join(socketDir, `${port}.sock`);

/** HTTP defaults logging "%b/%s %si:%sp %ST" to stdout; `global` lines go first. */
const loggedHead = (global = ''): string => `global
    log stdout format raw local0
${global}defaults
    mode http
    log global
    log-format "%b/%s %si:%sp %ST"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

const config = (a: number, b: number) => (port: number): string => `${loggedHead(`    stats socket ${socketOf(port)} mode 600 level admin\n`)}frontend fe
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
    use_backend only if { path /only }
    use_backend balanced if { path /balanced }
    default_backend mixed
backend only
    dispatch 127.0.0.1:${a}
backend mixed
    dispatch 127.0.0.1:${a}
    use-server s if { req.hdr(x-srv) s }
    server s 127.0.0.1:${b}
backend balanced
    balance roundrobin
    dispatch 127.0.0.1:${a}
    server s 127.0.0.1:${b}
`;

test('dispatch: what no rule binds to a server goes to the dispatch address, logged <NOSRV> with its address; ignored with balance; stats status and weight, as in HAProxy', async (t) => {
  const a = await origin('a');
  const b = await origin('b');
  try {
    await sideBySide(t, config(a.port, b.port), async (port, proxy) => {
      const answers = [
        await get(port, '/only'),
        await get(port, '/mixed'),
        await get(port, '/mixed', 'x-srv: s\r\n'),
        await get(port, '/balanced'),
      ];
      assert.deepEqual(answers, ['200 a', '200 a', '200 b', '200 b']);
      const lines = (await linesLogged(proxy, 5)).slice(-4);
      assert.deepEqual(lines, [
        `only/<NOSRV> 127.0.0.1:${a.port} 200`,
        `mixed/<NOSRV> 127.0.0.1:${a.port} 200`,
        `mixed/s 127.0.0.1:${b.port} 200`,
        `balanced/s 127.0.0.1:${b.port} 200`,
      ]);
      const csv = (await statsCsv(port)).split('\n');
      const fields = csv[0]!.replace(/^# /, '').split(',');
      const column = (row: string[], name: string): string => row[fields.indexOf(name)]!;
      const backends = csv.map((l) => l.split(',')).filter((r) => r[1] === 'BACKEND' && ['only', 'mixed', 'balanced'].includes(r[0]!));
      // Recorded from haproxy 2.6.12 (its stats page leaves algo empty; `show stat` says none).
      assert.deepEqual(backends.map((r) => [r[0], column(r, 'status'), column(r, 'weight'), column(r, 'stot')]), [
        ['only', 'UP', '0', '1'],
        ['mixed', 'DOWN', '0', '2'],
        ['balanced', 'UP', '1', '1'],
      ]);
      // `show stat` names the algorithm: none for a dispatch backend.
      const rows = readCsv(await cli(socketOf(port), 'show stat'));
      assert.deepEqual(['only', 'mixed', 'balanced'].map((b) => row(rows, b, 'BACKEND').algo), ['none', 'none', 'roundrobin']);
      // Weights: none in effect where there is no algorithm (uweight: the server's own, the backend's sum of them).
      assert.deepEqual([row(rows, 'mixed', 's'), row(rows, 'mixed', 'BACKEND'), row(rows, 'balanced', 's'), row(rows, 'balanced', 'BACKEND')].map((r) => `${r.weight}/${r.uweight}`), ['0/1', '0/0', '1/1', '1/1']);
    });
  } finally {
    await a.close();
    await b.close();
  }
});

const tcpConfig = (a: number) => (port: number): string => `defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen relay
    bind 127.0.0.1:${port}
    dispatch 127.0.0.1:${a}
`;

test('dispatch in a TCP listen section relays every connection to the dispatch address, as in HAProxy', async (t) => {
  const a = await origin('a');
  try {
    await sideBySide(t, tcpConfig(a.port), async (port) => {
      assert.equal(await get(port, '/'), '200 a');
    });
  } finally {
    await a.close();
  }
});

const transparentConfig = (b: number) => (port: number): string => `${loggedHead()}frontend fe
    bind 127.0.0.1:${port}
    http-request set-dst-port req.hdr(x-port)
    default_backend t
backend t
    option transparent
    use-server s if { req.hdr(x-srv) s }
    server s 127.0.0.1:${b}
`;

test('option transparent: what no rule binds to a server goes to the client\'s destination (as set-dst-port left it), logged <NOSRV>, as in HAProxy; on one client connection each request goes to its own destination', async (t) => {
  const a = await origin('a');
  const b = await origin('b');
  let runs = 0;
  try {
    await sideBySide(t, transparentConfig(b.port), async (port, proxy) => {
      const loadstar = runs++ === 0;
      const answers = [
        await get(port, '/1', `x-port: ${a.port}\r\n`),
        await get(port, '/2', `x-port: ${b.port}\r\n`),
        await get(port, '/3', `x-port: ${a.port}\r\nx-srv: s\r\n`),
      ];
      assert.deepEqual(answers, ['200 a', '200 b', '200 b']);
      assert.deepEqual((await linesLogged(proxy, 4)).slice(-3), [
        `t/<NOSRV> 127.0.0.1:${a.port} 200`,
        `t/<NOSRV> 127.0.0.1:${b.port} 200`,
        `t/s 127.0.0.1:${b.port} 200`,
      ]);
      // One client connection whose requests set other destinations: Loadstar sends each where it
      // says (the kept-alive connection to a serves only a), as the documentation describes. haproxy
      // 2.6.12 reuses the connection to a for the second request (while logging b's port): with the
      // firewall redirection the option is made for, a client connection keeps one destination and
      // the two agree.
      const inTurn = await oneByOne(port, [`x-port: ${a.port}`, `x-port: ${b.port}`]);
      assert.deepEqual(inTurn, loadstar ? ['200 a', '200 b'] : ['200 a', '200 a']);
    });
  } finally {
    await a.close();
    await b.close();
  }
});
