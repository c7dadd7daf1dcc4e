/**
 * Which timeout ends an exchange when one side stalls, side by side with HAProxy 2.6.12 (Debian).
 * HAProxy arms a side's timeout while it reads from that side with room left, or writes to it:
 * a client that stops reading a big response ends at `timeout client` (cD) whatever `timeout
 * server` is; a server that stops sending mid-body, to a client that reads, ends at `timeout
 * server` (sD) even when `timeout client` is shorter; a server that stops reading what the
 * client sends ends at `timeout server` (sH in HTTP, sD in TCP). Timeouts of 1 s and 4 s: only which one
 * applied is asserted (the log's %Tt below or above 2.5 s), never a precise time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { until } from '../stats/helpers.ts';
import { inLanes } from '../../helpers/lanes.ts';

/** Enough to fill every socket buffer between the server and a client that reads nothing. */
const BIG = Buffer.alloc(32 * 1024 * 1024, 'x');

type Server = 'big-response' | 'stall-mid-body' | 'not-reading';
type Client = 'not-reading' | 'reading' | 'uploading';
interface Case {
  name: string; mode: 'http' | 'tcp'; client: string; server: string; serverKind: Server; clientKind: Client;
  /** haproxy 2.6.12 logs this one's phase as H or D from run to run (sH, sD): only who timed out is compared. */
  phaseVaries?: true;
}

const CASES: Case[] = [
  { name: 'http, client stops reading, timeout client 1s', mode: 'http', client: '1s', server: '4s', serverKind: 'big-response', clientKind: 'not-reading' },
  { name: 'http, client stops reading, timeout server 1s', mode: 'http', client: '4s', server: '1s', serverKind: 'big-response', clientKind: 'not-reading' },
  { name: 'http, server stalls mid-body, timeout client 1s', mode: 'http', client: '1s', server: '4s', serverKind: 'stall-mid-body', clientKind: 'reading' },
  { name: 'http, server stops reading an upload, timeout server 1s', mode: 'http', client: '4s', server: '1s', serverKind: 'not-reading', clientKind: 'uploading', phaseVaries: true },
  { name: 'tcp, client stops reading, timeout client 1s', mode: 'tcp', client: '1s', server: '4s', serverKind: 'big-response', clientKind: 'not-reading' },
  { name: 'tcp, client stops reading, timeout server 1s', mode: 'tcp', client: '4s', server: '1s', serverKind: 'big-response', clientKind: 'not-reading' },
  { name: 'tcp, server stops reading, timeout client 1s', mode: 'tcp', client: '1s', server: '4s', serverKind: 'not-reading', clientKind: 'uploading' },
];

/** Recorded from haproxy 2.6.12: the termination state and which timeout (1 s or 4 s) ended it. */
const EXPECTED: Record<string, string> = {
  'http, client stops reading, timeout client 1s': 'cD after the 1s timeout',
  'http, client stops reading, timeout server 1s': 'cD after the 4s timeout',
  'http, server stalls mid-body, timeout client 1s': 'sD after the 4s timeout',
  'http, server stops reading an upload, timeout server 1s': 's- after the 1s timeout',
  'tcp, client stops reading, timeout client 1s': 'cD after the 1s timeout',
  'tcp, client stops reading, timeout server 1s': 'cD after the 4s timeout',
  'tcp, server stops reading, timeout client 1s': 'sD after the 4s timeout',
};

async function startServer(kind: Server, mode: 'http' | 'tcp') {
  return startRawServer((socket) => {
    if (kind === 'not-reading') return void socket.pause();
    const answer = (): void => {
      if (kind === 'stall-mid-body') return void socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n${'x'.repeat(1000)}`);
      if (mode === 'http') socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${BIG.length}\r\n\r\n`);
      socket.write(BIG);
    };
    if (mode === 'tcp') answer();
    else socket.once('data', answer);
  });
}

function config(c: Case, port: number, serverPort: number): string {
  return `global
    log stdout format raw local0
defaults
    mode ${c.mode}
    log global
    timeout connect 2s
    timeout client ${c.client}
    timeout server ${c.server}
    log-format "%ts %Tt"
listen l
    bind 127.0.0.1:${port}
    server s1 127.0.0.1:${serverPort}
`;
}

/** Runs every case; returns, per case, the termination state and which timeout applied. */
async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void>; logs(): string[] }>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // The cases are independent and mostly wait for their timeouts: three at once.
  await inLanes(CASES, 3, async (c) => {
    const server = await startServer(c.serverKind, c.mode);
    const port = await freePort();
    const proxy = await start(port, config(c, port, server.port));
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    try {
      client.on('connect', () => {
        if (c.mode === 'http') client.write(c.clientKind === 'uploading' ? `POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${BIG.length}\r\n\r\n` : 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
        if (c.clientKind === 'uploading') client.write(BIG);
      });
      if (c.clientKind === 'not-reading') client.pause();
      else client.on('data', () => {});
      // Not haproxy's line for the connection startHaproxy probed it with (closed at once): every case lasts 1 s or more.
      const lines = (): string[] => proxy.logs().filter((l) => /^\S\S \d+$/.test(l) && Number(l.split(' ')[1]) >= 500);
      await until(`the log line of '${c.name}'`, () => lines().length > 0, 15_000);
      const [state, tt] = lines()[0]!.split(' ');
      out[c.name] = `${c.phaseVaries ? `${state![0]}-` : state} after the ${Number(tt) < 2500 ? '1s' : '4s'} timeout`;
    } finally {
      client.destroy();
      await proxy.stop();
      await server.close();
    }
  });
  return out;
}

test('a stalled side: which timeout ends the exchange, and its termination state, are HAProxy 2.6\'s (HTTP/1 and TCP)', { timeout: 90_000 }, async () => {
  const outcome = await observe(async (port, text) => {
    const e = await startEngine(text);
    return { stop: () => e.stop(), logs: () => e.logs };
  });
  assert.deepEqual(outcome, EXPECTED);
});

test('a stalled side: the same cases through haproxy give the recorded outcome', { timeout: 90_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const outcome = await observe(async (port, text) => {
    const h = await startHaproxy(text, port);
    return { stop: () => h.stop(), logs: () => h.output().split('\n') };
  });
  assert.deepEqual(outcome, EXPECTED);
});
