/**
 * `retry-on` and `http-request disable-l7-retry` side by side with HAProxy 2.6.12 (Debian): servers
 * that close without answering, answer garbage or half a head, stay silent past `timeout server`,
 * answer 503/504/404/500; `retry-on none` and a list without `conn-failure` on a refused connection;
 * a redispatch to another server; a POST replayed byte for byte, one whose body came late (not
 * replayed), and bodies just inside and just outside the buffer. What the client reads, what each
 * server received, the log line (status, termination state, %rc) and the statistics (wretr, wredis,
 * eresp, econ, server sessions; also for the default's connection retries) are compared with what haproxy did, recorded here; where haproxy is
 * installed the same exchanges run through it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startEngine, startRawServer, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { cli, readCsv, until } from '../stats/helpers.ts';

type Answer = (request: string, socket: net.Socket) => void;

/** A server that reads whole requests (Content-Length bodies), records them, and answers as told. */
async function recordingServer(answer: Answer, seen: string[]) {
  return startRawServer((socket) => {
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = /content-length: *(\d+)/i.exec(buffered.slice(0, end));
        const need = end + 4 + (length ? Number(length[1]) : 0);
        if (buffered.length < need) return;
        const request = buffered.slice(0, need);
        buffered = buffered.slice(need);
        seen.push(request);
        answer(request, socket);
      }
    });
  });
}

const status = (code: number): Answer => (_r, s) => void s.write(`HTTP/1.1 ${code} X\r\ncontent-length: 2\r\n\r\nok`);
const BEHAVIOURS: Record<string, Answer> = {
  close: (_r, s) => s.destroy(),
  junk: (_r, s) => void s.end('garbage here\r\n\r\n'),
  partial: (_r, s) => void s.end('HTTP/1.1 200 OK\r\ncontent-le'),
  silent: () => {},
  s503: status(503),
  s404: status(404),
  s504: status(504),
  s500: status(500),
  ok: status(200),
};

function config(port: number, sock: string, servers: Record<string, number>, refused: number): string {
  return `global
    log stdout format raw local0
    stats socket ${sock} mode 600 level admin
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    log-format "%b/%s %ST %tsc %rc"
frontend web
    bind 127.0.0.1:${port}
    http-request disable-l7-retry if { path_beg /dis }
    use_backend %[path,field(2,/)]
backend empty
    retry-on empty-response
    server s1 127.0.0.1:${servers.close}
backend junk
    retry-on junk-response
    server s1 127.0.0.1:${servers.junk}
backend partial
    retry-on junk-response
    server s1 127.0.0.1:${servers.partial}
backend tmo
    retry-on response-timeout
    timeout server 300ms
    server s1 127.0.0.1:${servers.silent}
backend r503
    retry-on 503
    server s1 127.0.0.1:${servers.s503}
backend dis
    retry-on 503
    server s1 127.0.0.1:${servers.s503}
backend r404
    retry-on 404 503
    server s1 127.0.0.1:${servers.s404}
backend r504
    retry-on all-retryable-errors
    server s1 127.0.0.1:${servers.s504}
backend r500
    retry-on conn-failure
    server s1 127.0.0.1:${servers.s500}
backend allclose
    retry-on all-retryable-errors
    server s1 127.0.0.1:${servers.close}
backend nocf
    retry-on 503
    server s1 127.0.0.1:${refused}
backend none
    retry-on none
    server s1 127.0.0.1:${refused}
backend redisp
    retry-on 503
    option redispatch
    server bad 127.0.0.1:${servers.s503}
    server good 127.0.0.1:${servers.ok}
backend post
    retry-on 503
    server s1 127.0.0.1:${servers.s503}
backend cfsame
    timeout connect 200ms
    server s1 127.0.0.1:${refused}
backend cfredisp
    option redispatch
    server bad 127.0.0.1:${refused}
    server good 127.0.0.1:${servers.ok}
`;
}

const BODY = 'a=1&b=2\r\nbinary\x00\xff';
const post = (p: string, body: string) => `POST ${p} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
const get = (p: string) => `GET ${p} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`;

/** Each exchange: what is sent (a number: a pause in ms), and which server's requests to count. */
const CASES: Array<[name: string, parts: Array<string | number>, server: string]> = [
  ['empty', [get('/empty/x')], 'close'],
  ['junk', [get('/junk/x')], 'junk'],
  ['partial', [get('/partial/x')], 'partial'],
  ['timeout', [get('/tmo/x')], 'silent'],
  ['503', [get('/r503/x')], 's503'],
  ['disabled', [get('/dis/x')], 's503'],
  ['404', [get('/r404/x')], 's404'],
  ['504', [get('/r504/x')], 's504'],
  ['500 not listed', [get('/r500/x')], 's500'],
  ['all-retryable-errors, closed', [get('/allclose/x')], 'close'],
  ['refused, no conn-failure', [get('/nocf/x')], 'close'],
  ['refused, none', [get('/none/x')], 'close'],
  ['redispatch a', [get('/redisp/a')], 'ok'],
  ['redispatch b', [get('/redisp/b')], 'ok'],
  ['post body', [post('/post/p', BODY)], 's503'],
  ['post body late', [post('/post/late', 'hello').slice(0, -5), 300, 'hello'], 's503'],
  // With three short headers, 15206 body bytes (POST /post/big) fill the buffer's room to the byte (htx-size.ts).
  ['post 15206', [post('/post/big', 'x'.repeat(15206))], 's503'],
  ['post 15207', [post('/post/big', 'x'.repeat(15207))], 's503'],
  // The default, conn-failure: how connection retries count (wretr on the server retried, wredis on the one left).
  ['refused, default retry-on', [get('/cfsame/x')], 'close'],
  ['refused, redispatched', [get('/cfredisp/a')], 'ok'],
];

interface Outcome {
  /** Per case: the status line the client read, and how many requests the server received. */
  exchanges: Record<string, string>;
  /** The POST's copies, all identical to the first. */
  postReplayedExactly: boolean;
  logs: string[];
  stats: string[];
}

function send(port: number, parts: Array<string | number>): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out.split('\r\n')[0] ?? ''));
    socket.on('error', () => {});
    socket.on('connect', async () => {
      for (const p of parts) {
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else socket.write(p, 'latin1');
      }
    });
  });
}

async function observe(start: (port: number, text: string) => Promise<{ stop(): Promise<void>; logs(): string[] }>): Promise<Outcome> {
  const seen: Record<string, string[]> = {};
  const servers: Record<string, { port: number; close(): Promise<void> }> = {};
  for (const [name, answer] of Object.entries(BEHAVIOURS)) servers[name] = await recordingServer(answer, (seen[name] = []));
  const ports = Object.fromEntries(Object.entries(servers).map(([k, v]) => [k, v.port]));
  const refused = await freePort();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-retry-on-'));
  const sock = path.join(dir, 'admin.sock');
  const proxy = await start(port, config(port, sock, ports, refused));
  try {
    const exchanges: Record<string, string> = {};
    let postCopies: string[] = [];
    const logs = (): string[] => proxy.logs().filter((l) => l !== '' && !l.startsWith('web/<NOSRV>'));
    for (const [i, [name, parts, server]] of CASES.entries()) {
      const before = seen[server]!.length;
      const line = await send(port, parts);
      exchanges[name] = `${line} | server got ${seen[server]!.length - before}`;
      if (name === 'post body') postCopies = seen[server]!.slice(before);
      // Each exchange once the previous one is logged: a proxy may log an exchange just after the client
      // saw it end, and on a loaded machine the next one's line could come first.
      await until(`${name} logged`, () => logs().length > i);
    }
    const rows = readCsv(await cli(sock, 'show stat'));
    const stats = rows
      .filter((r) => r['svname'] !== 'FRONTEND' && r['pxname'] !== 'web')
      .map((r) => `${r['pxname']}/${r['svname']} wretr=${r['wretr']} wredis=${r['wredis']} eresp=${r['eresp']} econ=${r['econ']} stot=${r['stot']}`);
    return {
      exchanges,
      postReplayedExactly: postCopies.length === 4 && postCopies.every((c) => c === postCopies[0]) && postCopies[0]!.endsWith(`\r\n\r\n${BODY}`),
      logs: logs(),
      stats,
    };
  } finally {
    await proxy.stop();
    for (const s of Object.values(servers)) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Recorded from haproxy 2.6.12 (retries 3: four attempts; L7 retries never wait). */
const EXPECTED: Outcome = {
  exchanges: {
    'empty': 'HTTP/1.1 502 Bad Gateway | server got 4',
    'junk': 'HTTP/1.1 502 Bad Gateway | server got 4',
    'partial': 'HTTP/1.1 502 Bad Gateway | server got 1',
    'timeout': 'HTTP/1.1 504 Gateway Time-out | server got 4',
    '503': 'HTTP/1.1 503 X | server got 4',
    'disabled': 'HTTP/1.1 503 X | server got 1',
    '404': 'HTTP/1.1 404 X | server got 4',
    '504': 'HTTP/1.1 504 X | server got 4',
    '500 not listed': 'HTTP/1.1 500 X | server got 1',
    'all-retryable-errors, closed': 'HTTP/1.1 502 Bad Gateway | server got 4',
    'refused, no conn-failure': 'HTTP/1.1 503 Service Unavailable | server got 0',
    'refused, none': 'HTTP/1.1 503 Service Unavailable | server got 0',
    'redispatch a': 'HTTP/1.1 200 X | server got 1',
    'redispatch b': 'HTTP/1.1 200 X | server got 1',
    'post body': 'HTTP/1.1 503 X | server got 4',
    'post body late': 'HTTP/1.1 503 X | server got 1',
    'post 15206': 'HTTP/1.1 503 X | server got 4',
    'post 15207': 'HTTP/1.1 503 X | server got 1',
    'refused, default retry-on': 'HTTP/1.1 503 Service Unavailable | server got 0',
    'refused, redispatched': 'HTTP/1.1 200 X | server got 1',
  },
  postReplayedExactly: true,
  logs: [
    'empty/s1 502 SH-- 3',
    'junk/s1 502 PH-- 3',
    'partial/s1 502 SH-- 0',
    'tmo/s1 504 sH-- 3',
    'r503/s1 503 ---- 3',
    'dis/s1 503 ---- 0',
    'r404/s1 404 ---- 3',
    'r504/s1 504 ---- 3',
    'r500/s1 500 ---- 0',
    'allclose/s1 502 SH-- 3',
    'nocf/s1 503 SC-- 0',
    'none/s1 503 SC-- 0',
    'redisp/good 200 ---- +1',
    'redisp/good 200 ---- +1',
    'post/s1 503 ---- 3',
    'post/s1 503 ---- 0',
    'post/s1 503 ---- 3',
    'post/s1 503 ---- 0',
    'cfsame/s1 503 SC-- 3',
    'cfredisp/good 200 ---- +1',
  ],
  stats: [
    'empty/s1 wretr=6 wredis=0 eresp=1 econ=0 stot=4',
    'empty/BACKEND wretr=6 wredis=0 eresp=1 econ=0 stot=1',
    'junk/s1 wretr=6 wredis=0 eresp=4 econ=0 stot=4',
    'junk/BACKEND wretr=6 wredis=0 eresp=4 econ=0 stot=1',
    'partial/s1 wretr=0 wredis=0 eresp=1 econ=0 stot=1',
    'partial/BACKEND wretr=0 wredis=0 eresp=1 econ=0 stot=1',
    'tmo/s1 wretr=6 wredis=0 eresp=1 econ=0 stot=4',
    'tmo/BACKEND wretr=6 wredis=0 eresp=1 econ=0 stot=1',
    'r503/s1 wretr=6 wredis=0 eresp=0 econ=0 stot=4',
    'r503/BACKEND wretr=6 wredis=0 eresp=0 econ=0 stot=1',
    'dis/s1 wretr=0 wredis=0 eresp=0 econ=0 stot=1',
    'dis/BACKEND wretr=0 wredis=0 eresp=0 econ=0 stot=1',
    'r404/s1 wretr=6 wredis=0 eresp=0 econ=0 stot=4',
    'r404/BACKEND wretr=6 wredis=0 eresp=0 econ=0 stot=1',
    'r504/s1 wretr=6 wredis=0 eresp=0 econ=0 stot=4',
    'r504/BACKEND wretr=6 wredis=0 eresp=0 econ=0 stot=1',
    'r500/s1 wretr=0 wredis=0 eresp=0 econ=0 stot=1',
    'r500/BACKEND wretr=0 wredis=0 eresp=0 econ=0 stot=1',
    'allclose/s1 wretr=6 wredis=0 eresp=1 econ=0 stot=4',
    'allclose/BACKEND wretr=6 wredis=0 eresp=1 econ=0 stot=1',
    'nocf/s1 wretr=0 wredis=0 eresp=0 econ=1 stot=1',
    'nocf/BACKEND wretr=0 wredis=0 eresp=0 econ=1 stot=1',
    'none/s1 wretr=0 wredis=0 eresp=0 econ=1 stot=1',
    'none/BACKEND wretr=0 wredis=0 eresp=0 econ=1 stot=1',
    'redisp/bad wretr=2 wredis=2 eresp=0 econ=0 stot=2',
    'redisp/good wretr=0 wredis=0 eresp=0 econ=0 stot=2',
    'redisp/BACKEND wretr=2 wredis=2 eresp=0 econ=0 stot=2',
    'post/s1 wretr=12 wredis=0 eresp=0 econ=0 stot=10',
    'post/BACKEND wretr=12 wredis=0 eresp=0 econ=0 stot=4',
    'cfsame/s1 wretr=3 wredis=0 eresp=0 econ=1 stot=4',
    'cfsame/BACKEND wretr=3 wredis=0 eresp=0 econ=1 stot=1',
    'cfredisp/bad wretr=0 wredis=1 eresp=0 econ=0 stot=1',
    'cfredisp/good wretr=0 wredis=0 eresp=0 econ=0 stot=1',
    'cfredisp/BACKEND wretr=0 wredis=1 eresp=0 econ=0 stot=1',
  ],
};

test('retry-on: what the client reads, what the servers receive, the logs and the statistics are HAProxy 2.6\'s', { timeout: 60_000 }, async () => {
  const outcome = await observe(async (port, text) => {
    const e = await startEngine(text);
    return { stop: () => e.stop(), logs: () => e.logs };
  });
  assert.deepEqual(outcome, EXPECTED);
});

test('retry-on: the same exchanges through haproxy give the recorded outcome', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const outcome = await observe(async (port, text) => {
    const h = await startHaproxy(text, port);
    return { stop: () => h.stop(), logs: () => h.output().split('\n') };
  });
  assert.deepEqual(outcome, EXPECTED);
});
