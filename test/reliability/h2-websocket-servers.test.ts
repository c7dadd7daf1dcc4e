/**
 * Hostile HTTP/2 servers answering WebSocket over HTTP/2 (RFC 8441 extended CONNECT, `server … proto
 * h2`): a raw-frame server (lib/h2-wire.ts) announces SETTINGS_ENABLE_CONNECT_PROTOCOL, then answers
 * each extended CONNECT as the case says (101, 400, 200 with END_STREAM, no :status, RST_STREAM,
 * GOAWAY, the connection closed mid-tunnel, a DATA flood, the setting taken back…). An h2 client
 * (node:http2) opens the tunnel through Loadstar, run as a child process, and through haproxy 2.6.12
 * with the same configuration. Each case tells what the client saw and what the server got back;
 * after each one Loadstar must still run and serve. H2_PROBE=1 prints both proxies' outcomes.
 */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort } from '../helpers/net.ts';
import { startHaproxy, haproxyPath } from '../helpers/haproxy.ts';
import { recordedCaseTests } from './lib/recorded-cases.ts';
import type { RecordedCase } from './lib/recorded-cases.ts';
import { startLoadstar, type LoadstarProcess } from './lib/loadstar-process.ts';
import { frame, settings, rstStream, u32, DATA, GOAWAY, END_STREAM, errorName } from './lib/h2-wire.ts';
import { startRawServer, echo, type RawServer, type ServerSide } from './lib/h2-raw-server.ts';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Plain HTTP/1.1 answers for /check (the health of the proxy between cases). */
async function startPlainServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function config(port: number, rawPort: number, plainPort: number): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
    timeout tunnel 2s
frontend fe
    bind 127.0.0.1:${port} proto h2
    use_backend plain if { path /check }
    default_backend ws
backend ws
    server s1 127.0.0.1:${rawPort} proto h2
backend plain
    server s1 127.0.0.1:${plainPort}
`;
}

interface Target {
  port: number;
  server: RawServer;
}

/**
 * What an h2 client sees of one extended CONNECT through the proxy: the answer's status, the bytes
 * it got, how the stream ended. It writes `hello` once answered; `paused` keeps it from reading
 * (a slow client) until `resumeAfter` ms.
 */
async function extendedConnect(port: number, opts: { more?: string; waitMs?: number } = {}): Promise<{ line: string; bytes: number }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/ws', ':authority': 'site.home.arpa', 'sec-websocket-version': '13' });
    let status = 'no answer';
    let bytes = 0;
    let ended = false;
    let code = '';
    stream.on('response', (h) => {
      status = `status ${h[':status']}`;
      stream.write('hello');
      if (opts.more !== undefined) setTimeout(() => !stream.destroyed && stream.write(opts.more!), 150);
    });
    stream.on('data', (d: Buffer) => (bytes += d.length));
    stream.on('end', () => (ended = true));
    stream.on('error', () => {});
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.waitMs ?? 1000);
      stream.on('close', () => {
        clearTimeout(timer);
        code = stream.rstCode !== undefined && stream.rstCode !== 0 ? `, reset ${errorName(stream.rstCode)}` : '';
        resolve();
      });
    });
    return { line: `client saw ${status}, ${bytes} bytes${ended ? ', ended' : ''}${code}`, bytes };
  } finally {
    session.destroy();
  }
}

type Case = RecordedCase<Target>;

/** Sets the scenario, runs one extended CONNECT, and reports the client's view and the server's events. */
function scenarioCase(scenario: RawServer['scenario'], opts: { more?: string; waitMs?: number } = {}): (t: Target) => Promise<string> {
  return async (t) => {
    let conn: ServerSide | undefined;
    let from = 0;
    t.server.scenario = (c, s) => {
      conn = c;
      from = c.events.length;
      scenario(c, s);
    };
    const streams = t.server.streams;
    const { line } = await extendedConnect(t.port, opts);
    await sleep(100);
    // What came back on the connection that served this stream, since it began; not the GOAWAY
    // NO_ERROR of a connection closed once idle (Loadstar closes a tunnel's, HAProxy keeps it).
    const events = (conn?.events ?? []).slice(from).filter((e) => e !== 'server got GOAWAY NO_ERROR');
    return `${line}; server saw ${t.server.streams - streams} stream(s)${events.length ? `, ${events.join(', ')}` : ''}`;
  };
}

const ANSWERED_502 = 'client saw status 502, 107 bytes, ended, reset CANCEL; server saw 1 stream(s)';
/** The tunnel ended by the server: what it sent, then END_STREAM, then RST_STREAM CANCEL (the client had not ended its side). */
const TUNNEL_ENDED = 'client saw status 200, 5 bytes, ended, reset CANCEL; server saw 1 stream(s)';

const CASES: Case[] = [
  { name: 'a server that accepts (200) carries the tunnel', run: scenarioCase((c, s) => (c.respond(s, [[':status', '200']]), echo(c, s))), expected: 'client saw status 200, 5 bytes; server saw 1 stream(s)' },
  {
    // nghttp2 refuses a 101 on HTTP/2 (RFC 9113 §8.6: a malformed answer): 502. HAProxy takes it as
    // the switch (the client gets its 200 and the tunnel).
    name: 'a server that answers 101: 502 (HAProxy takes it as the switch)',
    run: scenarioCase((c, s) => c.respond(s, [[':status', '101']])),
    expected: `${ANSWERED_502}, server got RST_STREAM PROTOCOL_ERROR`,
    haproxy: 'client saw status 200, 0 bytes; server saw 1 stream(s)',
  },
  {
    name: 'a server that answers 400 with a body: the answer, then the stream is reset',
    run: scenarioCase((c, s) => (c.respond(s, [[':status', '400'], ['content-length', '3']]), c.data(s, Buffer.from('bad'), true))),
    expected: 'client saw status 400, 3 bytes, ended, reset CANCEL; server saw 1 stream(s)',
  },
  {
    // Loadstar resets the server's stream too (CANCEL: the tunnel is over); HAProxy does not.
    name: 'a server that answers 200 with END_STREAM: the tunnel ends at once',
    run: scenarioCase((c, s) => c.respond(s, [[':status', '200']], true)),
    expected: 'client saw status 200, 0 bytes, ended, reset CANCEL; server saw 1 stream(s), server got RST_STREAM CANCEL',
    haproxy: 'client saw status 200, 0 bytes, ended, reset CANCEL; server saw 1 stream(s)',
  },
  {
    name: 'a server whose answer has no :status: 502',
    run: scenarioCase((c, s) => c.respond(s, [['x-a', 'b']])),
    expected: `${ANSWERED_502}, server got RST_STREAM PROTOCOL_ERROR`,
  },
  // HAProxy resets the client's stream (REFUSED_STREAM: nothing was done, it may retry) when the
  // server's stream of an upgrade fails before any answer; Loadstar answers 502 as for any exchange.
  ...([['PROTOCOL_ERROR', 1], ['REFUSED_STREAM', 7]] as const).map(([what, code]): Case => ({
    name: `a server that resets the stream (${what}) before answering: 502 (HAProxy resets REFUSED_STREAM)`,
    run: scenarioCase((c, s) => c.send(rstStream(s, code))),
    expected: ANSWERED_502,
    haproxy: 'client saw no answer, 0 bytes, reset REFUSED_STREAM; server saw 1 stream(s)',
  })),
  {
    name: 'a server that sends GOAWAY and closes before answering: 502 (HAProxy resets REFUSED_STREAM)',
    run: scenarioCase((c) => (c.send(frame(GOAWAY, 0, 0, Buffer.concat([u32(0), u32(1)]))), c.socket.end())),
    expected: ANSWERED_502,
    haproxy: 'client saw no answer, 0 bytes, reset REFUSED_STREAM; server saw 1 stream(s)',
  },
  {
    name: 'a server that closes the connection mid-tunnel',
    run: scenarioCase((c, s) => {
      c.respond(s, [[':status', '200']]);
      c.onData = (id, p) => (id === s && c.room(s) >= p.length ? (c.data(s, p), c.socket.destroy()) : undefined);
    }),
    expected: TUNNEL_ENDED,
  },
  {
    name: 'a server that resets the stream mid-tunnel',
    run: scenarioCase((c, s) => {
      c.respond(s, [[':status', '200']]);
      c.onData = (id, p) => (id === s ? (c.data(s, p), c.send(rstStream(s, 8))) : undefined);
    }),
    expected: TUNNEL_ENDED,
  },
  {
    // Both reset the server's stream: Loadstar with CANCEL (the tunnel is over), HAProxy with STREAM_CLOSED.
    name: 'a server that ends its side mid-tunnel (END_STREAM)',
    run: scenarioCase((c, s) => {
      c.respond(s, [[':status', '200']]);
      c.onData = (id, p) => (id === s ? c.data(s, p, true) : undefined);
    }),
    expected: `${TUNNEL_ENDED}, server got RST_STREAM CANCEL`,
    haproxy: `${TUNNEL_ENDED}, server got RST_STREAM STREAM_CLOSED`,
  },
  {
    name: 'a server that sends GOAWAY NO_ERROR mid-tunnel: the tunnel goes on',
    run: scenarioCase((c, s) => {
      c.respond(s, [[':status', '200']]);
      echo(c, s);
      c.send(frame(GOAWAY, 0, 0, Buffer.concat([u32(s), u32(0)])));
    }, { more: 'again' }),
    expected: 'client saw status 200, 10 bytes; server saw 1 stream(s)',
  },
  {
    // nghttp2 resets the stream (FLOW_CONTROL_ERROR) and the tunnel ends, after part of the bytes (how
    // many depends on the reads); HAProxy relays all of them.
    name: 'a server that sends DATA beyond the window: the tunnel ends (HAProxy relays it)',
    run: async (t) => (await scenarioCase((c, s) => {
      c.respond(s, [[':status', '200']]);
      c.send(Buffer.concat(Array.from({ length: 8 }, () => frame(DATA, 0, s, Buffer.alloc(16384, 'f')))));
    })(t)).replace(/(\d+) bytes/, (_m, n: string) => (Number(n) < 131072 ? 'part of the 131072 bytes' : 'all 131072 bytes'))
      // HAProxy's RST_STREAM CANCEL to the server comes within the case's wait or not, by timing.
      .replace(', server got RST_STREAM CANCEL', ''),
    expected: 'client saw status 200, part of the 131072 bytes, ended, reset CANCEL; server saw 1 stream(s), server got RST_STREAM FLOW_CONTROL_ERROR',
    haproxy: 'client saw status 200, all 131072 bytes; server saw 1 stream(s)',
  },
  {
    // Node 20's nghttp2 aborted the process: the tunnel's end destroyed the session from a callback of
    // the read, which went on with a frame of a wrong size (proxy/http/h2-session.ts).
    name: 'a server that ends the tunnel and sends a 7-byte SETTINGS frame in the same packet: the process goes on',
    run: scenarioCase((c, s) => {
      c.respond(s, [[':status', '200']]);
      c.onData = (id) => {
        if (id !== s) return;
        const bad = settings([[0x8, 1]]);
        bad.writeUIntBE(7, 0, 3);
        c.send(Buffer.concat([frame(DATA, END_STREAM, s, Buffer.from('bye')), bad, frame(DATA, 0, s, Buffer.from('hi'))]));
      };
    }),
    expected: 'client saw status 200, 3 bytes, ended, reset CANCEL; server saw 1 stream(s), server got GOAWAY FRAME_SIZE_ERROR',
    // HAProxy also resets the server's stream (NO_ERROR) after its GOAWAY.
    haproxy: 'client saw status 200, 3 bytes, ended, reset CANCEL; server saw 1 stream(s), server got GOAWAY FRAME_SIZE_ERROR, server got RST_STREAM NO_ERROR',
  },
  {
    // RFC 8441 §3 forbids taking the setting back: nghttp2 ends the connection (GOAWAY PROTOCOL_ERROR),
    // the exchange fails. HAProxy ignores the second value and opens the tunnel.
    name: 'a server that takes SETTINGS_ENABLE_CONNECT_PROTOCOL back (1, then 0): 502 (HAProxy goes on)',
    run: scenarioCase((c, s) => {
      c.send(settings([[0x8, 0]]));
      c.respond(s, [[':status', '200']]);
      echo(c, s);
    }),
    expected: `${ANSWERED_502}, server got GOAWAY PROTOCOL_ERROR`,
    haproxy: 'client saw status 200, 5 bytes; server saw 1 stream(s)',
  },
];

/** The server sends 1 MB, then closes the connection, to a client that starts reading 500 ms later: all of it must come. */
/**
 * The server sends `TOTAL` bytes as its window allows and closes its connection (no END_STREAM); the
 * client, with an initial window of `clientWindow`, reads only after 500 ms.
 */
async function lateReaderCase(t: Target, TOTAL = MB, clientWindow?: number): Promise<string> {
  let sent = 0;
  t.server.scenario = (c, s) => {
    c.respond(s, [[':status', '200']]);
    const pump = (): void => {
      while (sent < TOTAL && !c.socket.destroyed) {
        const n = Math.min(16384, c.room(s), TOTAL - sent);
        if (n <= 0) return;
        c.data(s, Buffer.alloc(n, 'f'));
        sent += n;
      }
      if (sent === TOTAL) c.socket.end();
    };
    c.onWindow = pump;
    pump();
  };
  const session = http2.connect(`http://127.0.0.1:${t.port}`, clientWindow === undefined ? {} : { settings: { initialWindowSize: clientWindow } });
  session.on('error', () => {});
  try {
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/late-reader', ':authority': 'site.home.arpa' });
    stream.on('error', () => {});
    await new Promise((resolve) => stream.once('response', resolve));
    stream.pause();
    await sleep(500);
    let got = 0;
    stream.on('data', (d: Buffer) => (got += d.length));
    stream.resume();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      stream.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return `server sent ${sent} bytes and closed; the client got ${got}${stream.readableEnded ? ', ended' : ''}`;
  } finally {
    session.destroy();
  }
}

/** A flood to a slow client: how much the server could send while the client did not read, then whether all of it came. */
async function floodCase(t: Target): Promise<string> {
  const TOTAL = 8 * MB;
  let sent = 0;
  t.server.scenario = (c, s) => {
    c.respond(s, [[':status', '200']]);
    const pump = (): void => {
      while (sent < TOTAL && !c.socket.destroyed) {
        const n = Math.min(16384, c.room(s), TOTAL - sent);
        if (n <= 0) return;
        c.data(s, Buffer.alloc(n, 'f'), sent + n === TOTAL);
        sent += n;
      }
    };
    c.onWindow = pump;
    pump();
  };
  const session = http2.connect(`http://127.0.0.1:${t.port}`);
  session.on('error', () => {});
  try {
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/flood', ':authority': 'site.home.arpa' });
    stream.on('error', () => {});
    await new Promise((resolve) => stream.once('response', resolve));
    // The client does not read for a while: the server may send what the windows and buffers on the way hold.
    stream.pause();
    await sleep(700);
    const whilePaused = sent;
    let got = 0;
    stream.on('data', (d: Buffer) => (got += d.length));
    stream.resume();
    for (let i = 0; i < 200 && got < TOTAL && !stream.destroyed; i++) await sleep(25);
    return `server sent ${whilePaused < 2 * MB ? 'under 2 MB' : `${(whilePaused / MB).toFixed(1)} MB`} while the client did not read; the client then got ${got === TOTAL ? 'all 8 MB' : `${got} bytes`}`;
  } finally {
    session.destroy();
  }
}

CASES.push({ name: 'a server that sends 1 MB then closes, to a client that reads late: all of it comes', run: lateReaderCase, expected: `server sent ${MB} bytes and closed; the client got ${MB}, ended` });
// The whole answer fits the proxy's window towards the server, so the server's close comes while the
// proxy still holds most of it, its stream towards the server paused by the client's small window.
CASES.push({ name: 'a server that sends 48 KiB and closes at once, to a client with a 1 KiB window that reads late: all of it comes', run: (t) => lateReaderCase(t, 48 * 1024, 1024), expected: `server sent ${48 * 1024} bytes and closed; the client got ${48 * 1024}, ended` });
CASES.push({ name: 'a DATA flood to a client that does not read is flow-controlled, then all of it comes', run: floodCase, expected: 'server sent under 2 MB while the client did not read; the client then got all 8 MB' });

async function throughHaproxy(): Promise<Map<string, string>> {
  const raw = await startRawServer();
  const plain = await startPlainServer();
  const port = await freePort();
  const h = await startHaproxy(config(port, raw.port, plain.port), port);
  const results = new Map<string, string>();
  try {
    for (const c of CASES) results.set(c.name, await c.run({ port, server: raw }).catch((e: Error) => `FAILED ${e.message}`));
  } finally {
    await h.stop();
    await raw.close();
    await plain.close();
  }
  return results;
}

let loadstar: LoadstarProcess | undefined;
let raw: RawServer | undefined;
let plain: { port: number; close(): Promise<void> } | undefined;
let target: Target | undefined;
let replay: Promise<Map<string, string> | Error> | undefined;

before(async () => {
  if (haproxyPath && !process.env.H2_PROBE) replay = throughHaproxy().catch((e: Error) => e);
  raw = await startRawServer();
  plain = await startPlainServer();
  const port = await freePort();
  loadstar = await startLoadstar(config(port, raw.port, plain.port), port);
  target = { port, server: raw };
});

after(async () => {
  await loadstar?.stop();
  await raw?.close();
  await plain?.close();
  await replay;
});

/** Loadstar still runs, serves an h2 client, and opens a tunnel to a server that behaves. */
async function stillServing(): Promise<void> {
  assert.ok(loadstar!.alive(), `loadstar exited:\n${loadstar!.output().slice(-3000)}`);
  const session = http2.connect(`http://127.0.0.1:${target!.port}`);
  session.on('error', () => {});
  try {
    const status = await new Promise<unknown>((resolve, reject) => {
      const s = session.request({ ':path': '/check' });
      s.on('response', (h) => resolve(h[':status']));
      s.on('error', reject);
      s.end();
    });
    assert.equal(status, 200);
  } finally {
    session.destroy();
  }
  raw!.scenario = (c, s) => (c.respond(s, [[':status', '200']]), echo(c, s));
  assert.equal((await extendedConnect(target!.port, { waitMs: 300 })).bytes, 5);
}

recordedCaseTests(CASES, { target: () => target!, stillServing, throughHaproxy, replay: () => replay, probe: Boolean(process.env.H2_PROBE) });
