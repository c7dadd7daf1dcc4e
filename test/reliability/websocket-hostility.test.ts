/**
 * Hostile HTTP/1.1 servers answering a WebSocket upgrade (proxy/http/websocket.ts and the
 * transaction's switch to a tunnel), behind Loadstar run as a child process and, with the same
 * configuration, behind haproxy 2.6.12: a 101 without Upgrade, with a wrong or no
 * Sec-WebSocket-Accept, with a Content-Length or a Transfer-Encoding, followed by a close, by a
 * second 101, by a 200; interim answers before the 101; a 200 with a body. Each is asked by an
 * HTTP/1.1 client and by an HTTP/2 client over an RFC 8441 extended CONNECT (the proxy then makes
 * the Sec-WebSocket-Key up and checks the accept itself). After each case Loadstar must still run
 * and answer a normal request. The outcomes were recorded from haproxy and are replayed against it
 * where it is installed; Loadstar's are the same except where a case's `haproxy` field says
 * otherwise and why. WS_PROBE=1 prints both proxies' outcomes instead.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort } from '../helpers/net.ts';
import { requireHaproxy, haproxyPath } from '../helpers/haproxy.ts';
import { throughRestartingHaproxy } from './lib/haproxy-cases.ts';
import { startLoadstar, type LoadstarProcess } from './lib/loadstar-process.ts';
import { prng, mutate } from './lib/mutate.ts';
import { writeReport, cell } from './lib/report.ts';

const COUNT = Number(process.env.FUZZ_COUNT ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 8441);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const accept = (key: string): string => crypto.createHash('sha1').update(key + GUID).digest('base64');

/** What the server writes once a request head came (`key` is its Sec-WebSocket-Key); true: it then echoes what comes, as `echo:…`. */
type Answer = (s: net.Socket, key: string) => boolean;

const switching = (key: string, more = '') => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept(key)}\r\n${more}\r\n`;

interface Case {
  name: string;
  answer: Answer;
  /** The client sends a plain GET, no upgrade asked. */
  plain?: boolean;
  /**
   * What an HTTP/1.1 client saw and what an HTTP/2 client saw (see h1Outcome, h2Outcome). Like
   * haproxy, Loadstar checks Sec-WebSocket-Accept only against a key it made up (an h2 client's),
   * and takes what follows a 101's head (a body, a second answer) as the tunnel's bytes.
   */
  h1: string;
  h2: string;
  /** haproxy 2.6.12's outcomes where Loadstar's differ (the comment says why); null: haproxy's varies from run to run. */
  haproxy?: { h1?: string | null; h2?: string | null };
}

const CASES: Case[] = [
  {
    name: 'a well-formed 101',
    answer: (s, key) => (s.write(switching(key)), true),
    h1: '101 tunnel "echo:ping", open',
    h2: '200, "echo:ping", open',
  },
  {
    name: '101 without an Upgrade field',
    answer: (s, key) => (s.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`), true),
    h1: '101 tunnel "echo:ping", open',
    h2: '200, "echo:ping", open',
  },
  {
    name: '101 without a Connection field',
    answer: (s, key) => (s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`), true),
    h1: '502, open',
    h2: '502, END_STREAM, RST_STREAM 8',
  },
  {
    name: '101 with a wrong Sec-WebSocket-Accept',
    answer: (s) => (s.write(switching('not the key')), true),
    h1: '101 tunnel "echo:ping", open',
    h2: '502, END_STREAM, RST_STREAM 8',
  },
  {
    name: '101 without Sec-WebSocket-Accept',
    answer: (s) => (s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'), true),
    h1: '502, open',
    h2: '502, END_STREAM, RST_STREAM 8',
  },
  {
    name: '101 with Content-Length: 5 and 5 bytes',
    answer: (s, key) => (s.write(`${switching(key, 'Content-Length: 5\r\n')}hello`), true),
    h1: '101 tunnel "helloecho:ping", open',
    h2: '200, "helloecho:ping", open',
  },
  {
    name: '101 with Transfer-Encoding: chunked and a chunked body',
    answer: (s, key) => (s.write(`${switching(key, 'Transfer-Encoding: chunked\r\n')}5\r\nhello\r\n0\r\n\r\n`), true),
    h1: '101 tunnel "5\\r\\nhello\\r\\n0\\r\\n\\r\\necho:ping", open',
    h2: '200, "5\\r\\nhello\\r\\n0\\r\\n\\r\\necho:ping", open',
  },
  {
    name: '101 then close',
    answer: (s, key) => (s.end(switching(key)), false),
    h1: '101 tunnel "", closed',
    // The server closed the tunnel: the stream ends (END_STREAM), then is reset (CANCEL), as haproxy does.
    h2: '200, "", END_STREAM, RST_STREAM 8',
  },
  {
    name: 'two 101s',
    answer: (s, key) => (s.write(switching(key) + switching(key)), true),
    h1: '101 tunnel "HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgra", open',
    h2: '200, "HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgra", open',
  },
  {
    name: '101 then a 200 in the same write',
    answer: (s, key) => (s.write(`${switching(key)}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`), true),
    h1: '101 tunnel "HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nokecho:ping", open',
    h2: '200, "HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nokecho:ping", open',
  },
  {
    name: '100 Continue, then the 101',
    answer: (s, key) => (s.write(`HTTP/1.1 100 Continue\r\n\r\n${switching(key)}`), true),
    h1: '100 101 tunnel "echo:ping", open',
    h2: '200, "echo:ping", open',
    // haproxy 2.6.12 answers 502 when an interim answer comes before the 101. RFC 9110 §15.2 allows
    // it: Loadstar relays the interim answer (to the HTTP/1.1 client) and switches.
    haproxy: { h1: '502, open', h2: '502, END_STREAM, RST_STREAM 8' },
  },
  {
    name: '103 Early Hints, then the 101',
    answer: (s, key) => (s.write(`HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n${switching(key)}`), true),
    h1: '103 101 tunnel "echo:ping", open',
    h2: '200, "echo:ping", open',
    // haproxy 2.6.12 answers 502 when an interim answer comes before the 101. RFC 9110 §15.2 allows
    // it: Loadstar relays the interim answer (to the HTTP/1.1 client) and switches.
    haproxy: { h1: '502, open', h2: '502, END_STREAM, RST_STREAM 8' },
  },
  {
    name: '101 with Upgrade: h2c (not what was asked)',
    answer: (s, key) => (s.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`), true),
    h1: '101 tunnel "echo:ping", open',
    h2: '200, "echo:ping", open',
  },
  {
    name: 'a 200 with a body to the upgrade',
    answer: (s) => (s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'), false),
    h1: '200 "hello", open',
    h2: '200, "hello", END_STREAM, RST_STREAM 8',
  },
  {
    name: 'a chunked 200 to the upgrade',
    answer: (s) => (s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'), false),
    h1: '200 "chunked 5.hello.0..", open',
    h2: '200, "hello", END_STREAM, RST_STREAM 8',
  },
  {
    name: 'a 200 with a body to the upgrade, closed to end it',
    answer: (s) => (s.end('HTTP/1.1 200 OK\r\n\r\nhello'), false),
    h1: '200 "hello", closed',
    h2: '200, "hello", END_STREAM, RST_STREAM 8',
  },
  {
    name: 'a 101 to a request that asked no upgrade',
    plain: true,
    answer: (s, key) => (s.write(switching(key)), true),
    h1: '502, open',
    h2: '(h1 only)',
  },
];

// ---------------------------------------------------------------- the server

interface Origin {
  port: number;
  close(): Promise<void>;
}

/** Answers /c/N as case N says, anything else 200 "ok"; one request per connection is enough. */
async function startOrigin(): Promise<Origin> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    let echo = false;
    s.on('data', (d: Buffer) => {
      if (echo) return void s.write(`echo:${d.toString('latin1')}`);
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      buf = '';
      const path = head.split(' ')[1] ?? '';
      const key = /\r\nsec-websocket-key: *([^\r]*)/i.exec(head)?.[1] ?? '';
      if (path.startsWith('/m/')) {
        // The N-th seeded mutation of a well-formed 101, then the tunnel.
        s.write(mutate(switching(key), prng(SEED * 100_003 + Number(path.slice(3)))).text, 'latin1');
        echo = true;
        return;
      }
      const c = path.startsWith('/c/') ? CASES[Number(path.slice(3))] : undefined;
      if (!c) return void s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      echo = c.answer(s, key);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

function config(h1Port: number, h2Port: number, origin: number): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 1s
    timeout tunnel 2s
frontend h1
    bind 127.0.0.1:${h1Port}
    default_backend b
frontend h2
    bind 127.0.0.1:${h2Port} proto h2
    default_backend b
backend b
    server s 127.0.0.1:${origin}
`;
}

// ---------------------------------------------------------------- the clients

/**
 * An HTTP/1.1 client's view: the statuses of the heads it got (`+` between them), a body after a
 * final answer as `"…"` (error pages left out), after a 101 `tunnel "…"` (what came through it once
 * it wrote `ping`), then `closed` or `open` (after 400 ms without anything new).
 */
async function h1Outcome(port: number, path: string, plain = false, quietMs = 400): Promise<string> {
  const request = plain
    ? `GET ${path} HTTP/1.1\r\nHost: ws.example\r\n\r\n`
    : `GET ${path} HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const { raw, closed } = await new Promise<{ raw: string; closed: boolean }>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let raw = '';
    let pinged = false;
    let quiet: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(quiet);
      clearTimeout(limit);
      socket.destroy();
      resolve({ raw, closed });
    };
    const limit = setTimeout(() => done(false), 4000);
    const wait = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => done(false), quietMs);
    };
    socket.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      if (!pinged && /^HTTP\/1\.1 101[^]*?\r\n\r\n/.test(raw.replace(/^(HTTP\/1\.1 1(?!01)\d\d[^]*?\r\n\r\n)+/, ''))) {
        pinged = true;
        socket.write('ping');
      }
      wait();
    });
    socket.on('error', () => {});
    socket.on('close', () => done(true));
    wait();
  });
  return `${describeH1(raw)}${raw === '' ? '' : ', '}${closed ? 'closed' : 'open'}`;
}

function describeH1(all: string): string {
  const parts: string[] = [];
  let raw = all;
  for (let guard = 0; guard < 10 && raw !== ''; guard++) {
    const end = raw.indexOf('\r\n\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
    if (end < 0 || !m) {
      parts.push(JSON.stringify(raw.slice(0, 60)));
      break;
    }
    const status = Number(m[1]);
    const head = raw.slice(0, end);
    raw = raw.slice(end + 4);
    parts.push(String(status));
    if (status === 101) {
      parts.push(`tunnel ${JSON.stringify(raw.slice(0, 60))}`);
      break;
    }
    if (status < 200) continue;
    const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: string;
    if (cl) {
      body = raw.slice(0, Number(cl[1]));
      raw = raw.slice(Number(cl[1]));
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = raw.indexOf('0\r\n\r\n');
      body = `chunked ${last < 0 ? 'cut' : raw.slice(0, last + 5).replace(/\r\n/g, '.')}`;
      raw = last < 0 ? '' : raw.slice(last + 5);
    } else {
      body = raw;
      raw = '';
    }
    if (status < 500) parts.push(JSON.stringify(body));
  }
  return parts.join(' ');
}

/** An HTTP/2 client's view of an extended CONNECT: the status, what came through the stream once it wrote `ping`, how the stream ended. */
async function h2Outcome(port: number, path: string, quietMs = 400): Promise<string> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    const settings = await new Promise<http2.Settings | undefined>((resolve) => {
      session.once('remoteSettings', resolve);
      session.once('close', () => resolve(undefined));
    });
    if (!settings?.enableConnectProtocol) return 'no extended CONNECT';
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': path, ':authority': 'ws.example', 'sec-websocket-version': '13' });
    return await new Promise<string>((resolve) => {
      let status = 'no answer';
      let got = '';
      let quiet: NodeJS.Timeout | undefined;
      const done = (end: string) => {
        clearTimeout(quiet);
        clearTimeout(limit);
        resolve(`${status}${Number(status) < 500 || got === '' ? `, ${JSON.stringify(got.slice(0, 60))}` : ''}, ${end}`);
      };
      const open = () => done(`${ended}open`);
      const limit = setTimeout(open, 4000);
      const wait = () => {
        clearTimeout(quiet);
        quiet = setTimeout(open, quietMs);
      };
      stream.on('response', (h) => {
        status = String(h[':status']);
        if (status === '200') stream.write('ping');
        wait();
      });
      stream.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        wait();
      });
      let ended = '';
      stream.on('end', () => (ended = 'END_STREAM, '));
      stream.on('error', () => {});
      stream.on('close', () => done(`${ended}${stream.rstCode ? `RST_STREAM ${stream.rstCode}` : 'closed'}`));
      wait();
    });
  } finally {
    session.destroy();
  }
}

// ---------------------------------------------------------------- the runs

interface Target {
  h1Port: number;
  h2Port: number;
  alive(): boolean;
}

async function runCase(t: Target, i: number): Promise<{ h1: string; h2: string }> {
  const h1 = await h1Outcome(t.h1Port, `/c/${i}`, CASES[i]!.plain);
  const h2 = CASES[i]!.plain ? '(h1 only)' : await h2Outcome(t.h2Port, `/c/${i}`);
  await sleep(20);
  return t.alive() ? { h1, h2 } : { h1: `${h1}; proxy exited`, h2 };
}

async function throughHaproxy(): Promise<Array<{ h1: string; h2: string }>> {
  const o = await startOrigin();
  const [h1Port, h2Port] = [await freePort(), await freePort()];
  try {
    return await throughRestartingHaproxy(config(h1Port, h2Port, o.port), h1Port, CASES.length, (i, alive) => runCase({ h1Port, h2Port, alive }, i));
  } finally {
    await o.close();
  }
}

let loadstar: LoadstarProcess | undefined;
let origin: Origin | undefined;
let target: Target | undefined;
let replay: Promise<Array<{ h1: string; h2: string }> | Error> | undefined;

before(async () => {
  if (haproxyPath && !process.env.WS_PROBE) replay = throughHaproxy().catch((e: Error) => e);
  origin = await startOrigin();
  const [h1Port, h2Port] = [await freePort(), await freePort()];
  loadstar = await startLoadstar(config(h1Port, h2Port, origin.port), h1Port);
  target = { h1Port, h2Port, alive: () => loadstar!.alive() };
});

after(async () => {
  await loadstar?.stop();
  await origin?.close();
  await replay;
});

/** Loadstar still runs and answers a normal request. */
async function stillServing(): Promise<void> {
  assert.ok(loadstar!.alive(), `loadstar exited:\n${loadstar!.output().slice(-3000)}`);
  const answer = await new Promise<string>((resolve) => {
    const socket = net.connect(target!.h1Port, '127.0.0.1', () => socket.write('GET /ok HTTP/1.1\r\nHost: ws.example\r\nConnection: close\r\n\r\n'));
    let raw = '';
    socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(raw));
  });
  assert.match(answer, /^HTTP\/1\.1 200 [^]*\r\n\r\nok$/);
}

if (process.env.WS_PROBE) {
  test('probe: both proxies, every case', { timeout: 600_000 }, async () => {
    const theirs = haproxyPath ? await throughHaproxy() : [];
    for (const [i, c] of CASES.entries()) {
      const mine = await runCase(target!, i);
      const h = theirs[i] ?? { h1: '(no haproxy)', h2: '(no haproxy)' };
      process.stdout.write(`\n## ${c.name}\nloadstar h1: ${JSON.stringify(mine.h1)}\n${mine.h1 === h.h1 ? '' : `haproxy  h1: ${JSON.stringify(h.h1)}\n`}loadstar h2: ${JSON.stringify(mine.h2)}\n${mine.h2 === h.h2 ? '' : `haproxy  h2: ${JSON.stringify(h.h2)}\n`}`);
    }
  });
} else {
  for (const [i, c] of CASES.entries()) {
    test(c.name, async () => {
      assert.deepEqual(await runCase(target!, i), { h1: c.h1, h2: c.h2 });
      await stillServing();
    });
  }

  test(`${COUNT} seeded mutations of a 101 (seed ${SEED}) never take Loadstar down, to HTTP/1.1 and HTTP/2 clients`, { timeout: 120_000 }, async () => {
    const matrix = new Map<string, number>();
    const failures: string[] = [];
    for (let n = 0; n < COUNT; n++) {
      const h1 = await h1Outcome(target!.h1Port, `/m/${n}`, false, 150);
      const h2 = await h2Outcome(target!.h2Port, `/m/${n}`, 150);
      for (const o of [`h1 ${h1.replace(/"[^"]*"/g, '"…"')}`, `h2 ${h2.replace(/"[^"]*"/g, '"…"')}`]) matrix.set(o, (matrix.get(o) ?? 0) + 1);
      try {
        await stillServing();
      } catch (e) {
        failures.push(`#${n} (${mutate(switching('KEY'), prng(SEED * 100_003 + n)).ops.join('; ')}): ${(e as Error).message}`);
        if (!loadstar!.alive()) {
          await loadstar!.stop();
          const [h1Port, h2Port] = [await freePort(), await freePort()];
          loadstar = await startLoadstar(config(h1Port, h2Port, origin!.port), h1Port);
          target = { h1Port, h2Port, alive: () => loadstar!.alive() };
        }
      }
    }
    writeReport('websocket-fuzz.md', `# Mutated 101 answers behind Loadstar

Generated by test/reliability/websocket-hostility.test.ts: ${COUNT} mutations (seed ${SEED}, lib/mutate.ts) of a
well-formed WebSocket 101, each to an HTTP/1.1 client and an HTTP/2 one (RFC 8441), ${new Date().toISOString()}.
Failures (Loadstar gone or not serving afterwards): ${failures.length}.

| client: outcome (tunnel bytes left out) | answers |
|---|---|
${[...matrix].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${cell(k)} | ${v} |`).join('\n')}
`);
    assert.deepEqual(failures, []);
  });

  test('the recorded outcomes are still what haproxy 2.6 does', { timeout: 120_000 }, async (t) => {
    if (!requireHaproxy(t)) return;
    const results = await replay!;
    if (results instanceof Error) throw results;
    for (const [i, c] of CASES.entries()) {
      for (const side of ['h1', 'h2'] as const) {
        const h = c.haproxy?.[side];
        if (h === null) continue;
        assert.equal(results[i]![side], h ?? c[side], `${c.name} (${side})`);
      }
    }
  });
}
