/**
 * Hostile HTTP/2 clients around WebSocket over HTTP/2 (RFC 8441 extended CONNECT), in raw frames
 * (lib/h2-wire.ts) to Loadstar run as a child process and, with the same configuration, to haproxy
 * 2.6.12, as h2-hostility.test.ts does for other requests. Behind both an HTTP/1.1 server switches
 * protocols (101) for every upgrade and echoes what the tunnel carries. Each case tells what the
 * client saw and what reached the server; after each one Loadstar must still run and answer a
 * normal h2 client. Outcomes were recorded from haproxy and are replayed against it; a case's
 * `haproxy` field gives HAProxy's where Loadstar's differs, its comment says why.
 * H2_PROBE=1 prints both proxies' outcomes instead, to record them again.
 */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/net.ts';
import { startHaproxy, haproxyPath } from '../helpers/haproxy.ts';
import { certPath, h2Requests } from '../helpers/tls.ts';
import { startWsOrigin, type Origin } from './lib/ws-origin.ts';
import { recordedCaseTests } from './lib/recorded-cases.ts';
import type { RecordedCase } from './lib/recorded-cases.ts';
import { startLoadstar, type LoadstarProcess } from './lib/loadstar-process.ts';
import { H2Wire, frame, headers, request, rstStream, windowUpdate, settings, errorName, DATA, HEADERS, GOAWAY, WINDOW_UPDATE, END_STREAM, END_HEADERS, u32 } from './lib/h2-wire.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The same configuration for both proxies: h2 over TLS; `bogus` adds h2-workaround-bogus-websocket-clients. */
function config(port: number, originPort: number, bogus = false): string {
  return `global
    nbthread 1
${bogus ? '    h2-workaround-bogus-websocket-clients\n' : ''}defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
    timeout tunnel 3s
    timeout http-request 2s
frontend web
    bind 127.0.0.1:${port} ssl crt ${certPath('site.pem')} alpn h2
    default_backend app
backend app
    server s1 127.0.0.1:${originPort}
`;
}

interface Target {
  port: number;
  /** The same proxy with h2-workaround-bogus-websocket-clients. */
  bogusPort: number;
  origin: Origin;
}

type Case = RecordedCase<Target>;

/** An extended CONNECT's fields (RFC 8441 §4), `websocket` unless told. */
const xconnect = (path: string, protocol = 'websocket', extra: ReadonlyArray<readonly [string, string]> = []): Array<readonly [string, string]> => [
  [':method', 'CONNECT'], [':protocol', protocol], [':scheme', 'https'], [':authority', 'site.home.arpa'], [':path', path], ['sec-websocket-version', '13'], ...extra,
];

/** The requests the server got since `from`, one line each. */
function serverGot(t: Target, from: number): string {
  const got = t.origin.requests.slice(from);
  if (got.length === 0) return 'server got nothing';
  return got.map((r) => `server got ${JSON.stringify(r)}`).join('\n');
}

function connectionEnd(w: H2Wire): string {
  const g = w.seen.goaway;
  return `${g ? `GOAWAY ${errorName(g.code)}` : 'no GOAWAY'}, ${w.seen.closed ? 'closed' : 'open'}`;
}

/** A fresh connection whose SETTINGS were exchanged, given to `f`, then closed. */
async function onConnection(port: number, f: (w: H2Wire) => Promise<string>, extra: ReadonlyArray<readonly [number, number]> = []): Promise<string> {
  const w = await H2Wire.open(port, extra);
  try {
    await w.until((s) => s.settingsAcks > 0, 2000);
    return await f(w);
  } finally {
    w.close();
  }
}

/** A header block on stream 1 and what came back on it, with what the server got. */
function oneStream(fields: ReadonlyArray<readonly [string, string]>, endStream = false, port?: (t: Target) => number): (t: Target) => Promise<string> {
  return (t) => onConnection(port ? port(t) : t.port, async (w) => {
    const from = t.origin.requests.length;
    await w.send(headers(1, fields, endStream));
    await w.until((s) => s.status.has(1) || s.reset.has(1) || s.goaway !== undefined);
    await sleep(50);
    return `client saw ${w.describe(1)}\n${serverGot(t, from)}`;
  });
}

/** Bytes of DATA the client got on `stream` by now. */
const got = (w: H2Wire, stream: number): number => w.seen.data.get(stream) ?? 0;

/** Opens a tunnel on `stream` and sends `hello`; resolves once the echo came (or not). */
async function openTunnel(w: H2Wire, stream: number, path = '/ws'): Promise<boolean> {
  await w.send(headers(stream, xconnect(path), false));
  await w.until((s) => s.status.has(stream) || s.reset.has(stream) || s.goaway !== undefined);
  if (w.seen.status.get(stream) !== 200) return false;
  await w.send(frame(DATA, 0, stream, Buffer.from('hello')));
  return w.until((s) => (s.data.get(stream) ?? 0) >= 5 || s.reset.has(stream) || s.goaway !== undefined);
}

/** Waits (bounded) until the server's tunnels are all closed; says whether they are. */
async function tunnelsReleased(t: Target): Promise<string> {
  for (let i = 0; i < 60 && t.origin.tunnelsOpen() > 0; i++) await sleep(50);
  return `server tunnel ${t.origin.tunnelsOpen() === 0 ? 'released' : 'still open'}`;
}

const REFUSED = 'client saw RST_STREAM PROTOCOL_ERROR\nserver got nothing';
const wsHead = (path: string, protocol = 'websocket') => `GET ${path} HTTP/1.1\r\nhost: site.home.arpa\r\nsec-websocket-version: 13\r\nupgrade: ${protocol}\r\nconnection: upgrade\r\n${protocol === 'websocket' ? 'Sec-Websocket-Key: <a key>\r\n' : ''}\r\n`;

const HEADS: Case[] = [
  {
    name: 'an extended CONNECT goes on as a GET with Upgrade',
    run: oneStream(xconnect('/ws-plain')),
    expected: `client saw status 200\nserver got ${JSON.stringify(wsHead('/ws-plain'))}`,
  },
  // RFC 8441 §4 allows :protocol on CONNECT only; nghttp2 refuses it elsewhere (a malformed request).
  // HAProxy takes the request, never sends it (it waits for a tunnel?) and answers 504 at timeout server.
  ...['GET', 'POST'].map((method): Case => ({
    name: `:protocol on a ${method}: reset (HAProxy: 504 at timeout server)`,
    run: oneStream([...request(`/${method}-proto`, [], method), [':protocol', 'websocket']]),
    expected: REFUSED,
    haproxy: 'client saw status 504, RST_STREAM CANCEL\nserver got nothing',
  })),
  { name: 'an extended CONNECT without :path', run: oneStream(xconnect('/').filter(([n]) => n !== ':path')), expected: REFUSED },
  { name: 'an extended CONNECT without :scheme', run: oneStream(xconnect('/no-scheme').filter(([n]) => n !== ':scheme')), expected: REFUSED },
  { name: 'an extended CONNECT without :authority', run: oneStream(xconnect('/no-authority').filter(([n]) => n !== ':authority')), expected: REFUSED },
  {
    // nghttp2 refuses an empty :protocol (not a token); HAProxy sends an empty Upgrade field.
    name: 'an extended CONNECT with an empty :protocol: reset (HAProxy sends "upgrade: ")',
    run: oneStream(xconnect('/empty-proto', '')),
    expected: REFUSED,
    haproxy: `client saw status 200\nserver got ${JSON.stringify(wsHead('/empty-proto', ''))}`,
  },
  {
    name: 'an extended CONNECT for another protocol goes on with its name',
    run: oneStream(xconnect('/other', 'custom_protocol')),
    expected: `client saw status 200\nserver got ${JSON.stringify(wsHead('/other', 'custom_protocol'))}`,
  },
  {
    name: 'an extended CONNECT with a space in :protocol goes on',
    run: oneStream(xconnect('/space-proto', 'web socket')),
    expected: `client saw status 200\nserver got ${JSON.stringify(wsHead('/space-proto', 'web socket'))}`,
  },
  {
    name: 'a :protocol before :method goes on',
    run: oneStream([[':protocol', 'websocket'], ...xconnect('/late-method').filter(([n]) => n !== ':protocol')]),
    expected: `client saw status 200\nserver got ${JSON.stringify(wsHead('/late-method'))}`,
  },
  { name: 'two :protocol fields', run: oneStream([...xconnect('/two-proto').slice(0, 5), [':protocol', 'websocket']]), expected: REFUSED },
  {
    // nghttp2 refuses a :protocol it did not allow (SETTINGS_ENABLE_CONNECT_PROTOCOL not sent), as
    // RFC 8441 §3 wants; HAProxy takes it anyway. Node offers no way to take it.
    name: ':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL (h2-workaround-bogus-websocket-clients): reset (HAProxy takes it)',
    run: oneStream(xconnect('/bogus'), false, (t) => t.bogusPort),
    expected: REFUSED,
    haproxy: `client saw status 200\nserver got ${JSON.stringify(wsHead('/bogus'))}`,
  },
  {
    name: 'an extended CONNECT with END_STREAM on its HEADERS goes on',
    run: oneStream(xconnect('/ws-ended'), true),
    expected: `client saw status 200\nserver got ${JSON.stringify(wsHead('/ws-ended'))}`,
  },
  {
    name: 'an extended CONNECT with a content-length goes on without it',
    run: oneStream(xconnect('/ws-cl', 'websocket', [['content-length', '5']])),
    expected: `client saw status 200\nserver got ${JSON.stringify(wsHead('/ws-cl'))}`,
  },
];

const TUNNELS: Case[] = [
  {
    name: 'a tunnel carries bytes both ways, then ends when the client ends its side',
    run: (t) => onConnection(t.port, async (w) => {
      const echoed = await openTunnel(w, 1);
      await w.send(frame(DATA, END_STREAM, 1, Buffer.from('bye')));
      await w.until((s) => s.ended.has(1) || s.reset.has(1), 3000);
      return `echoed ${echoed}; then ${w.describe(1)}, ended ${w.seen.ended.has(1)}, ${got(w, 1)} bytes; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'echoed true; then status 200, ended true, 8 bytes; no GOAWAY, open; server tunnel released',
  },
  {
    // RFC 9113 §5.1: STREAM_CLOSED, as a stream error (HAProxy) or a connection error (nghttp2, when its
    // stream is closed by then), or ignored (nghttp2 forgets a stream it closed a moment ago): by timing.
    name: 'DATA after END_STREAM in a tunnel: ignored or refused with STREAM_CLOSED',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.send(frame(DATA, END_STREAM, 1, Buffer.from('end')));
      await w.send(frame(DATA, 0, 1, Buffer.from('after')));
      await w.until((s) => s.reset.has(1) || s.goaway !== undefined, 1000);
      const code = w.seen.reset.get(1) ?? w.seen.goaway?.code;
      const answer = code === undefined || code === 5 ? 'ignored or refused with STREAM_CLOSED' : `refused with ${errorName(code)}`;
      return `status ${w.seen.status.get(1)}; ${answer}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200; ignored or refused with STREAM_CLOSED; server tunnel released',
  },
  {
    name: 'RST_STREAM from the client mid-tunnel: the server connection is closed',
    run: (t) => onConnection(t.port, async (w) => {
      const echoed = await openTunnel(w, 1);
      await w.send(rstStream(1, 8));
      await sleep(100);
      return `echoed ${echoed}; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'echoed true; no GOAWAY, open; server tunnel released',
  },
  {
    name: 'a trailer HEADERS frame on a tunnel stream',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.send(headers(1, [['x-trailer', 't']], true));
      await w.until((s) => s.ended.has(1) || s.reset.has(1) || s.goaway !== undefined, 3000);
      return `${w.describe(1)}, ended ${w.seen.ended.has(1)}; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200, ended true; no GOAWAY, open; server tunnel released',
  },
  {
    // nghttp2 makes a zero increment a connection error (RFC 9113 §6.9 asks for a stream error, as HAProxy does).
    name: 'a WINDOW_UPDATE of 0 on a tunnel stream: GOAWAY (HAProxy resets the stream)',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.send(windowUpdate(1, 0));
      await w.until((s) => s.reset.has(1) || s.goaway !== undefined, 2000);
      return `${w.describe(1)}; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200; GOAWAY PROTOCOL_ERROR, open; server tunnel released',
    haproxy: 'status 200, RST_STREAM PROTOCOL_ERROR; no GOAWAY, open; server tunnel released',
  },
  {
    name: 'a tunnel stream window past 2^31-1',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.send(windowUpdate(1, 0x7fffffff));
      await w.until((s) => s.reset.has(1) || s.goaway !== undefined, 2000);
      return `${w.describe(1)}; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200, RST_STREAM FLOW_CONTROL_ERROR; no GOAWAY, open; server tunnel released',
  },
  {
    name: 'a WINDOW_UPDATE flood on a tunnel stream, then it still echoes',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.send(Buffer.concat(Array.from({ length: 5000 }, () => windowUpdate(1, 1))));
      await w.send(frame(DATA, 0, 1, Buffer.from('again')));
      await w.until((s) => got(w, 1) >= 10 || s.reset.has(1) || s.closed, 2000);
      return `${w.describe(1)}, ${got(w, 1)} bytes; ${connectionEnd(w)}`;
    }),
    expected: 'status 200, 10 bytes; no GOAWAY, open',
  },
  {
    // Node opens the window as the stream takes the bytes (Loadstar holds up to 64 KiB, then pauses):
    // the bytes beyond the first window are within the one it gave. HAProxy refuses DATA before the
    // switch: 500, then RST_STREAM CANCEL or STREAM_CLOSED (it varies from run to run).
    name: 'DATA beyond the stream window before the server switched: held for the tunnel (HAProxy: 500)',
    run: (t) => onConnection(t.port, async (w) => {
      const from = t.origin.requests.length;
      await w.send(headers(1, xconnect('/late-flood'), false));
      const chunk = Buffer.alloc(16384, 'e');
      await w.send(Buffer.concat(Array.from({ length: 6 }, () => frame(DATA, 0, 1, chunk))));
      await w.until((s) => s.reset.has(1) || s.goaway !== undefined, 2000);
      return `${w.describe(1)}; ${connectionEnd(w)}; ${serverGot(t, from).split('\n').length} request(s)`;
    }),
    expected: 'status 200; no GOAWAY, open; 1 request(s)',
    haproxy: null,
  },
  {
    // Loadstar holds what comes before the switch (up to 64 KiB, then flow control holds the client
    // back) and hands it all to the tunnel; HAProxy 2.6 answers 500 and resets such a stream
    // (CANCEL or STREAM_CLOSED: it varies).
    name: 'more than 64 KiB of early data within the windows before the server switched: all of it is echoed',
    run: (t) => onConnection(t.port, async (w) => {
      const total = 200 * 1024;
      // The echo comes back whole: the client's own windows are wide open.
      await w.send(windowUpdate(0, 16 * 1024 * 1024));
      await w.send(headers(1, xconnect('/late-early'), false));
      // Sends as the windows allow (both start at 65,535; WINDOW_UPDATE frames widen them).
      let sent = 0;
      const credit = (stream: number) => 65535 + w.frames.filter((f) => f.type === WINDOW_UPDATE && f.stream === stream).reduce((n, f) => n + (f.payload.readUInt32BE(0) & 0x7fffffff), 0);
      for (let rounds = 0; sent < total && rounds < 200 && !w.seen.reset.has(1) && !w.seen.closed; rounds++) {
        const room = Math.min(credit(0), credit(1)) - sent;
        if (room <= 0) {
          await sleep(20);
          continue;
        }
        const n = Math.min(room, 16384, total - sent);
        await w.send(frame(DATA, 0, 1, Buffer.alloc(n, 'e')));
        sent += n;
      }
      await w.until((s) => got(w, 1) >= total || s.reset.has(1) || s.closed, 4000);
      return `${w.describe(1)}; sent ${sent}, echoed ${got(w, 1)}; ${connectionEnd(w)}`;
    }, [[0x4, 16 * 1024 * 1024]]),
    expected: 'status 200; sent 204800, echoed 204800; no GOAWAY, open',
    haproxy: null,
  },
  {
    name: '50 tunnels at once on one connection all echo',
    run: (t) => onConnection(t.port, async (w) => {
      const ids = Array.from({ length: 50 }, (_, i) => 2 * i + 1);
      await w.send(Buffer.concat(ids.map((id) => headers(id, xconnect(`/ws-many${id}`), false))));
      await w.until((s) => ids.every((id) => s.status.has(id) || s.reset.has(id)) || s.closed, 4000);
      await w.send(Buffer.concat(ids.map((id) => frame(DATA, 0, id, Buffer.from('hello')))));
      await w.until((s) => ids.every((id) => (s.data.get(id) ?? 0) >= 5) || s.closed, 4000);
      const ok = ids.filter((id) => w.seen.status.get(id) === 200 && got(w, id) === 5).length;
      return `${ok} tunnels echoed; ${connectionEnd(w)}`;
    }),
    expected: '50 tunnels echoed; no GOAWAY, open',
  },
  {
    // Node answers a client's GOAWAY NO_ERROR with its own (session.close()); HAProxy sends none. The tunnels go on in both.
    name: 'a GOAWAY NO_ERROR from the client while tunnels are open: they go on',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await openTunnel(w, 3);
      await w.send(frame(GOAWAY, 0, 0, Buffer.concat([u32(0), u32(0)])));
      await sleep(100);
      await w.send(frame(DATA, 0, 1, Buffer.from('again')));
      await w.send(frame(DATA, 0, 3, Buffer.from('again')));
      await w.until((s) => (got(w, 1) >= 10 && got(w, 3) >= 10) || s.closed, 2000);
      return `${w.describe(1)}, ${got(w, 1)} bytes; ${w.describe(3)}, ${got(w, 3)} bytes; ${connectionEnd(w)}`;
    }),
    expected: 'status 200, 10 bytes; status 200, 10 bytes; GOAWAY NO_ERROR, open',
    haproxy: 'status 200, 10 bytes; status 200, 10 bytes; no GOAWAY, open',
  },
  {
    // Node ends the session on a GOAWAY with an error code (its onGoawayData destroys it); HAProxy
    // lets the streams below the GOAWAY's last stream go on. The server's tunnel is released.
    name: 'a GOAWAY PROTOCOL_ERROR from the client while a tunnel is open: the connection ends (HAProxy: the tunnel goes on)',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.send(frame(GOAWAY, 0, 0, Buffer.concat([u32(0), u32(1)])));
      await sleep(100);
      await w.send(frame(DATA, 0, 1, Buffer.from('again')));
      await w.until((s) => got(w, 1) >= 10 || s.closed, 1500);
      return `${w.describe(1)}, ${got(w, 1)} bytes; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200, 5 bytes; GOAWAY NO_ERROR, closed; server tunnel released',
    haproxy: 'status 200, 10 bytes; no GOAWAY, open; server tunnel released',
  },
  {
    // Node answers a GOAWAY with an error code by destroying the session from the frame's callback: with
    // a frame of a wrong size after it in the same read, Node 20's nghttp2 aborted the process
    // (proxy/http/h2-session.ts). HAProxy resets the stream (NO_ERROR), then ends the connection on the bad frame.
    name: 'a GOAWAY PROTOCOL_ERROR and a 7-byte SETTINGS frame in one packet while a tunnel is open: the process goes on',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      const bad = settings([[0x3, 100]]);
      bad.writeUIntBE(7, 0, 3);
      await w.send(Buffer.concat([frame(GOAWAY, 0, 0, Buffer.concat([u32(0), u32(1)])), bad, frame(DATA, 0, 1, Buffer.from('again'))]));
      await w.until((s) => s.closed, 2000);
      return `${w.describe(1)}; ${connectionEnd(w)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200; GOAWAY FRAME_SIZE_ERROR, closed; server tunnel released',
    haproxy: 'status 200, RST_STREAM NO_ERROR; GOAWAY FRAME_SIZE_ERROR, closed; server tunnel released',
  },
  {
    // The stream ends (END_STREAM), then is reset (CANCEL), as HAProxy's h2 mux ends it. Before, it was
    // destroyed: Node reset it with NO_ERROR, without END_STREAM.
    name: 'a tunnel idle past timeout tunnel is closed: END_STREAM, then RST_STREAM CANCEL',
    run: (t) => onConnection(t.port, async (w) => {
      await openTunnel(w, 1);
      await w.until((s) => s.reset.has(1) || s.closed, 5000);
      return `${w.describe(1)}, ended ${w.seen.ended.has(1)}; ${await tunnelsReleased(t)}`;
    }),
    expected: 'status 200, RST_STREAM CANCEL, ended true; server tunnel released',
  },
];

const CASES: Case[] = [...HEADS, ...TUNNELS];

async function throughHaproxy(): Promise<Map<string, string>> {
  const o = await startWsOrigin();
  const port = await freePort();
  const bogusPort = await freePort();
  const h = await startHaproxy(config(port, o.port), port);
  const hb = await startHaproxy(config(bogusPort, o.port, true), bogusPort);
  const results = new Map<string, string>();
  try {
    for (const c of CASES) results.set(c.name, await c.run({ port, bogusPort, origin: o }).catch((e: Error) => `FAILED ${e.message}`));
  } finally {
    await h.stop();
    await hb.stop();
    await o.close();
  }
  return results;
}

let loadstar: LoadstarProcess | undefined;
let bogus: LoadstarProcess | undefined;
let origin: Origin | undefined;
let target: Target | undefined;
let replay: Promise<Map<string, string> | Error> | undefined;

before(async () => {
  if (haproxyPath && !process.env.H2_PROBE) replay = throughHaproxy().catch((e: Error) => e);
  origin = await startWsOrigin();
  const port = await freePort();
  const bogusPort = await freePort();
  loadstar = await startLoadstar(config(port, origin.port), port);
  bogus = await startLoadstar(config(bogusPort, origin.port, true), bogusPort);
  target = { port, bogusPort, origin };
});

after(async () => {
  await loadstar?.stop();
  await bogus?.stop();
  await origin?.close();
  await replay;
});

/** Both Loadstar processes still run and answer a well-behaved h2 client. */
async function stillServing(): Promise<void> {
  for (const [p, port] of [[loadstar!, target!.port], [bogus!, target!.bogusPort]] as const) {
    assert.ok(p.alive(), `loadstar exited:\n${p.output().slice(-3000)}`);
    const { answers } = await h2Requests(port, 'site.home.arpa', [{ path: '/check' }]);
    assert.equal(answers[0]!.status, 200);
  }
}

recordedCaseTests(CASES, { target: () => target!, stillServing, throughHaproxy, replay: () => replay, probe: Boolean(process.env.H2_PROBE) });
