/**
 * `shutdown session <id>` (HAProxy 2.6's cli_parse_shutdown_session), side by side with haproxy:
 * the connection `show sess` lists under that id ends as a killed stream — an HTTP exchange waiting
 * for its answer gets a 502 logged KH, a TCP session is closed on both sides — with HAProxy's
 * answers to a missing, zero or unknown id and to a non-admin level. (A second shutdown of the same id
 * is not compared: HAProxy's ids are stream addresses, which a new stream, the CLI's own, may take again.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startNamedServer, startRawServer, freePort } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';
import { cli, until } from './helpers.ts';

function config(dir: string, port: number, tcpPort: number, web: number, raw: number): string {
  return `global
  log stdout format raw local0
  stats socket ${path.join(dir, `${port}.admin.sock`)} mode 600 level admin
  stats socket ${path.join(dir, `${port}.oper.sock`)} mode 600 level operator
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  log-format "http %ST %tsc %HP"
  default_backend be
backend be
  server a 127.0.0.1:${web}
listen tcp
  mode tcp
  bind 127.0.0.1:${tcpPort}
  log-format "tcp %tsc"
  server t 127.0.0.1:${raw}
`;
}

/** A client connection that sent `data`; `result()`: what it received, and whether it closed within 2 s of asking. */
function connect(port: number, data: string): { local: Promise<number>; result(): Promise<string> } {
  const s = net.connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  const local = new Promise<number>((resolve) => s.on('connect', () => {
    resolve(s.localPort!);
    s.write(data);
  }));
  s.on('data', (d: Buffer) => (received += d.toString('latin1')));
  s.on('error', () => {});
  s.on('close', () => (closed = true));
  const result = async (): Promise<string> => {
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    s.destroy();
    return `${closed ? 'closed' : 'open'}: ${JSON.stringify(received.split('\r\n')[0])}`;
  };
  return { local, result };
}

test('shutdown session kills the connection show sess numbers so (HTTP: 502 KH; TCP: closed), as haproxy 2.6.12 does', { timeout: 60_000 }, async (t) => {
  const held: http.ServerResponse[] = [];
  const web = await startNamedServer('web', (req, res) => void held.push(res));
  const rawHeld: net.Socket[] = [];
  let rawClosed = 0;
  const raw = await startRawServer((s) => {
    rawHeld.push(s);
    s.resume();
    s.on('close', () => rawClosed++);
  });
  const tcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-shut-sess-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(dir, port, tcpPort, web.port, raw.port), async (port, proxy) => {
      const admin = path.join(dir, `${port}.admin.sock`);
      const out: string[] = [];
      const say = async (sock: string, line: string): Promise<void> => void out.push(`${line} -> ${JSON.stringify(await cli(sock, line))}`);
      const idOf = async (local: number): Promise<string> => {
        const line = (await cli(admin, 'show sess')).split('\n').find((l) => l.includes(` src=127.0.0.1:${local} `));
        return line?.slice(0, line.indexOf(':')) ?? 'none';
      };
      held.length = 0;
      rawHeld.length = 0;
      rawClosed = 0;
      const h = connect(port, 'GET /wait HTTP/1.1\r\nhost: x\r\n\r\n');
      const tcp = connect(tcpPort, 'hello');
      await until('the request held', () => held.length === 1);
      await until('the TCP session connected', () => rawHeld.length === 1);
      const [hId, tId] = [await idOf(await h.local), await idOf(await tcp.local)];
      for (const line of ['shutdown session', 'shutdown session 0', 'shutdown session x', 'shutdown session 0xfffffffffffff']) await say(admin, line);
      out.push(`${hId === 'none' ? 'no' : 'an'} id for the HTTP connection, ${tId === 'none' ? 'no' : 'an'} id for the TCP one`);
      out.push(`shutdown session <http> at operator level -> ${JSON.stringify(await cli(path.join(dir, `${port}.oper.sock`), `shutdown session ${hId}`))}`);
      out.push(`shutdown session <http> -> ${JSON.stringify(await cli(admin, `shutdown session ${hId}`))}`, `http client: ${await h.result()}`);
      out.push(`shutdown session <tcp> -> ${JSON.stringify(await cli(admin, `shutdown session ${tId}`))}`, `tcp client: ${await tcp.result()}`);
      await until('the TCP server side closed', () => rawClosed === 1);
      for (const res of held.splice(0)) res.destroy();
      const lines = (): string[] => proxy.logs().filter((l) => /^(http|tcp) /.test(l) && !l.includes('<BADREQ>'));
      await until('two log lines', () => lines().length >= 2);
      out.push(...lines().sort());
      seen.push(out);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await web.close();
    await raw.close();
  }
  // Recorded from haproxy 2.6.12.
  assert.deepEqual(seen[0], [
    'shutdown session -> "Session pointer expected (use \'show sess\').\\n\\n"',
    'shutdown session 0 -> "Session pointer expected (use \'show sess\').\\n\\n"',
    'shutdown session x -> "Session pointer expected (use \'show sess\').\\n\\n"',
    'shutdown session 0xfffffffffffff -> "No such session (use \'show sess\').\\n\\n"',
    'an id for the HTTP connection, an id for the TCP one',
    'shutdown session <http> at operator level -> "Permission denied\\n\\n"',
    'shutdown session <http> -> "\\n"',
    'http client: open: "HTTP/1.1 502 Bad Gateway"',
    'shutdown session <tcp> -> "\\n"',
    'tcp client: closed: ""',
    'http 502 KH-- /wait',
    'tcp ----',
  ]);
  if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
});

test('show sess: the backend and server each stream goes to; an HTTP connection between requests is not listed, as in haproxy 2.6.12', { timeout: 60_000 }, async (t) => {
  const held: http.ServerResponse[] = [];
  const web = await startNamedServer('web', (req, res) => (req.url === '/now' ? res.end('ok') : void held.push(res)));
  const rawHeld: net.Socket[] = [];
  const raw = await startRawServer((s) => {
    rawHeld.push(s);
    s.resume();
  });
  const tcpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-show-sess-'));
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(dir, port, tcpPort, web.port, raw.port), async (port) => {
      held.length = 0;
      rawHeld.length = 0;
      const waiting = connect(port, 'GET /wait HTTP/1.1\r\nhost: x\r\n\r\n');
      const idle = connect(port, 'GET /now HTTP/1.1\r\nhost: x\r\n\r\n');
      const tcp = connect(tcpPort, 'hello');
      await until('the request held', () => held.length === 1);
      await until('the TCP session connected', () => rawHeld.length === 1);
      // The answered one waits for its next request.
      await new Promise((r) => setTimeout(r, 300));
      const sessions = await cli(path.join(dir, `${port}.admin.sock`), 'show sess');
      const fields = async (local: Promise<number>): Promise<string> => {
        const src = ` src=127.0.0.1:${await local} `;
        const line = sessions.split('\n').find((l) => l.includes(src));
        return line ? / (fe=\S+ be=\S+ srv=\S+)/.exec(line)![1]! : 'not listed';
      };
      seen.push([`waiting: ${await fields(waiting.local)}`, `idle: ${await fields(idle.local)}`, `tcp: ${await fields(tcp.local)}`]);
      for (const res of held.splice(0)) res.destroy();
      for (const s of rawHeld.splice(0)) s.destroy();
      await Promise.all([waiting.result(), idle.result(), tcp.result()]);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await web.close();
    await raw.close();
  }
  // Recorded from haproxy 2.6.12.
  const expected = ['waiting: fe=fe be=be srv=a', 'idle: not listed', 'tcp: fe=tcp be=tcp srv=t'];
  assert.deepEqual(seen[0], expected);
  if (seen.length === 2) assert.deepEqual(seen[1], expected);
});
