/**
 * Hostile HTTP/2 clients, spoken in raw frames (lib/h2-wire.ts) to Loadstar run as a child process
 * (its memory and a crash are its own) and, with the same configuration, to haproxy 2.6.12. Each
 * case tells what the client saw (status, RST_STREAM or GOAWAY code) and what reached the server;
 * after each one Loadstar must still run and answer a normal h2 client. The outcomes were recorded
 * from haproxy and are replayed against it where it is installed: Loadstar's are the same, except
 * where a case's `haproxy` field says otherwise and its comment says why (mostly Node's nghttp2,
 * which does the framing and refuses some input sooner or harder than HAProxy).
 * H2_PROBE=1 prints both proxies' outcomes instead, to record them again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { freePort } from '../helpers/net.ts';
import { startHaproxy, haproxyPath } from '../helpers/haproxy.ts';
import { certPath, h2Requests } from '../helpers/tls.ts';
import { requestEnd } from '../proxy/http/lib/scripted-server.ts';
import { recordedCaseTests } from './lib/recorded-cases.ts';
import type { RecordedCase } from './lib/recorded-cases.ts';
import { startLoadstar, type LoadstarProcess } from './lib/loadstar-process.ts';
import {
  H2Wire, frame, headers, request, block, literal, indexedLiteral, indexed, rstStream, windowUpdate, settings, ping, errorName,
  HEADERS, CONTINUATION, DATA, END_STREAM, END_HEADERS,
} from './lib/h2-wire.ts';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** /big's body: far more than any window or socket buffer holds. */
const BIG = 16 * MB;

/**
 * The server behind both proxies. It records each request it frames (latin1, body included) and
 * answers /slow… after 300 ms, /slower… after 1300 ms (longer than `timeout client`), /big… with
 * BIG bytes, a POST /early… as soon as its head is in (before its body), anything else at once.
 */
interface Origin {
  port: number;
  requests: string[];
  /** Connections that served /big and are still open. */
  bigOpen(): number;
  close(): Promise<void>;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

async function startOrigin(): Promise<Origin> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const big = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      big.delete(s);
    });
    s.on('error', () => {});
    let buf = '';
    let early = false;
    const later = (ms: number) => setTimeout(() => s.writable && s.write(OK), ms);
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!early && buf.startsWith('POST /early') && buf.includes('\r\n\r\n')) {
        early = true;
        requests.push(buf.slice(0, buf.indexOf('\r\n\r\n') + 4));
        s.write(OK);
      }
      if (early) return;
      for (let end = requestEnd(buf); end >= 0; end = requestEnd(buf)) {
        const text = buf.slice(0, end);
        buf = buf.slice(end);
        requests.push(text);
        const path = text.split(' ')[1] ?? '';
        if (path.startsWith('/big')) {
          big.add(s);
          bigAnswer(s);
        } else if (path.startsWith('/slower')) later(1300);
        else if (path.startsWith('/slow')) later(300);
        else s.write(OK);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    bigOpen: () => big.size,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

function bigAnswer(s: net.Socket): void {
  s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BIG}\r\n\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = BIG;
  const pump = () => {
    while (left > 0 && s.writable) {
      left -= chunk.length;
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
  };
  pump();
}

/** The same configuration for both proxies: h2 over TLS, short timeouts. */
function config(port: number, originPort: number): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 2s
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
  origin: Origin;
}

type Case = RecordedCase<Target>;

/** The requests the server got since `from`, one line each. */
function serverGot(t: Target, from: number): string {
  const got = t.origin.requests.slice(from);
  if (got.length === 0) return 'server got nothing';
  return got.map((r) => `server got ${JSON.stringify(r)}`).join('\n');
}

/** What the connection ended with: the first GOAWAY's code (or none), closed or not. */
function connectionEnd(w: H2Wire): string {
  const g = w.seen.goaway;
  return `${g ? `GOAWAY ${errorName(g.code)}` : 'no GOAWAY'}, ${w.seen.closed ? 'closed' : 'open'}`;
}

/** One stream on a fresh connection: its header block (and DATA frames), then what came back. */
async function oneStream(t: Target, fields: ReadonlyArray<readonly [string, string]> | Buffer, body?: Buffer[]): Promise<string> {
  const from = t.origin.requests.length;
  const w = await H2Wire.open(t.port);
  try {
    await w.send(headers(1, fields, body === undefined));
    for (const [i, d] of (body ?? []).entries()) await w.send(frame(DATA, i === body!.length - 1 ? END_STREAM : 0, 1, d));
    await w.until((s) => s.ended.has(1) || s.reset.has(1) || s.goaway !== undefined);
    await sleep(50);
    return `client saw ${w.describe(1)}\n${serverGot(t, from)}`;
  } finally {
    w.close();
  }
}

/** A fresh connection whose SETTINGS were exchanged, given to `f`, then closed. */
async function onConnection(t: Target, f: (w: H2Wire) => Promise<string>, extra: ReadonlyArray<readonly [number, number]> = []): Promise<string> {
  const w = await H2Wire.open(t.port, extra);
  try {
    await w.until((s) => s.settingsAcks > 0, 2000);
    return await f(w);
  } finally {
    w.close();
  }
}

/** Sends `frames` in writes of about 64 KB, stopping when the connection is gone. */
async function flood(w: H2Wire, frames: Buffer[]): Promise<void> {
  for (let i = 0; i < frames.length;) {
    const batch: Buffer[] = [];
    let size = 0;
    while (i < frames.length && size < 65536) {
      batch.push(frames[i]!);
      size += frames[i]!.length;
      i++;
    }
    if (w.seen.closed || !(await w.send(Buffer.concat(batch)))) return;
  }
}

/** A header block split into a HEADERS frame and CONTINUATION frames of at most 16,000 bytes. */
function splitBlock(stream: number, b: Buffer): Buffer {
  const frames = [frame(HEADERS, END_STREAM | (b.length <= 16000 ? END_HEADERS : 0), stream, b.subarray(0, 16000))];
  for (let at = 16000; at < b.length; at += 16000) frames.push(frame(CONTINUATION, at + 16000 >= b.length ? END_HEADERS : 0, stream, b.subarray(at, at + 16000)));
  return Buffer.concat(frames);
}

/** A header block sent whole, then how stream 1 and the connection ended and what the server got. */
function blockCase(b: Buffer): (t: Target) => Promise<string> {
  return (t) => onConnection(t, async (w) => {
    const from = t.origin.requests.length;
    await w.send(splitBlock(1, b));
    await w.until((s) => s.ended.has(1) || s.reset.has(1) || s.goaway !== undefined);
    return `${w.describe(1)}; ${serverGot(t, from)}`;
  });
}

const ended = (status: number, server: string) => `client saw status ${status}\nserver got ${JSON.stringify(server)}`;
const REFUSED = 'client saw RST_STREAM PROTOCOL_ERROR\nserver got nothing';

const MALFORMED: Case[] = [
  { name: 'missing :path', run: (t) => oneStream(t, [[':method', 'GET'], [':scheme', 'https'], [':authority', 'site.home.arpa']]), expected: REFUSED },
  { name: 'missing :method', run: (t) => oneStream(t, [[':scheme', 'https'], [':authority', 'site.home.arpa'], [':path', '/m']]), expected: REFUSED },
  { name: 'missing :scheme', run: (t) => oneStream(t, [[':method', 'GET'], [':authority', 'site.home.arpa'], [':path', '/s']]), expected: REFUSED },
  { name: 'an upper-case field name', run: (t) => oneStream(t, request('/upper', [['X-Upper', 'a']])), expected: REFUSED },
  ...['connection: close', 'keep-alive: 5', 'transfer-encoding: chunked', 'upgrade: websocket', 'proxy-connection: close', 'te: gzip', 'te: trailers, gzip'].map((h): Case => ({
    name: `a connection-specific field (${h})`,
    run: (t) => oneStream(t, request('/conn', [h.split(': ') as [string, string]])),
    expected: REFUSED,
  })),
  { name: 'te: trailers goes on', run: (t) => oneStream(t, request('/te', [['te', 'trailers']])), expected: ended(200, 'GET /te HTTP/1.1\r\nhost: site.home.arpa\r\nte: trailers\r\n\r\n') },
  { name: 'a content-length larger than the DATA', run: (t) => oneStream(t, request('/cl-long', [['content-length', '10']], 'POST'), [Buffer.from('abc')]), expected: REFUSED },
  { name: 'a content-length smaller than the DATA', run: (t) => oneStream(t, request('/cl-short', [['content-length', '2']], 'POST'), [Buffer.from('abcde')]), expected: REFUSED },
  { name: 'a pseudo-header after a regular field', run: (t) => oneStream(t, [[':method', 'GET'], [':scheme', 'https'], ['x-a', 'b'], [':path', '/late'], [':authority', 'site.home.arpa']]), expected: REFUSED },
  { name: 'CONNECT without :authority', run: (t) => oneStream(t, [[':method', 'CONNECT']]), expected: REFUSED },
  { name: 'an absolute :path', run: (t) => oneStream(t, request('https://site.home.arpa/abs')), expected: REFUSED },
  ...[['a space', ' '], ['CR', '\r'], ['LF', '\n'], ['NUL', '\0']].map(([what, ch]): Case => ({ name: `${what} in :path`, run: (t) => oneStream(t, request(`/p${ch}x`)), expected: REFUSED })),
  { name: 'a space in a field value goes on', run: (t) => oneStream(t, request('/v', [['x-v', 'a b']])), expected: ended(200, 'GET /v HTTP/1.1\r\nhost: site.home.arpa\r\nx-v: a b\r\n\r\n') },
  // Node's nghttp2 drops a field whose value holds CR, LF or NUL (node_http2.cc OnInvalidHeader),
  // and nothing of it reaches JavaScript: the request goes on without it. HAProxy resets the
  // stream. Either way the server never sees the byte (no header injection).
  ...[['CR', '\r'], ['LF', '\n'], ['NUL', '\0']].map(([what, ch]): Case => ({
    name: `${what} in a field value: the field is dropped (HAProxy resets the stream)`,
    run: (t) => oneStream(t, request('/v', [['x-v', `a${ch}b`]])),
    expected: ended(200, 'GET /v HTTP/1.1\r\nhost: site.home.arpa\r\n\r\n'),
    haproxy: REFUSED,
  })),
  { name: 'a # in :path (a path ACL bypass, CVE-2023-45539)', run: (t) => oneStream(t, request('/a#b')), expected: REFUSED },
  { name: 'a field name of 256 bytes', run: (t) => oneStream(t, request('/ln', [['x'.repeat(256), 'v']])), expected: REFUSED },
  { name: 'a field name of 255 bytes goes on', run: async (t) => (await oneStream(t, request('/ln', [['x'.repeat(255), 'v']]))).split('\n')[0]!, expected: 'client saw status 200' },
  { name: ':authority that differs from host: :authority wins', run: (t) => oneStream(t, request('/auth', [['host', 'other.example']])), expected: ended(200, 'GET /auth HTTP/1.1\r\nhost: site.home.arpa\r\n\r\n') },
  { name: 'no :authority: host goes on', run: (t) => oneStream(t, [[':method', 'GET'], [':scheme', 'https'], [':path', '/na'], ['host', 'a.example']]), expected: ended(200, 'GET /na HTTP/1.1\r\nhost: a.example\r\n\r\n') },
  {
    // nghttp2 refuses a second host field; HAProxy forwards the first one.
    name: 'two different host fields: reset (HAProxy forwards the first)',
    run: (t) => oneStream(t, [[':method', 'GET'], [':scheme', 'https'], [':path', '/2h'], ['host', 'a.example'], ['host', 'b.example']]),
    expected: REFUSED,
    haproxy: ended(200, 'GET /2h HTTP/1.1\r\nhost: a.example\r\n\r\n'),
  },
  { name: 'cookie crumbs are joined', run: (t) => oneStream(t, request('/ck', [['cookie', 'a=1'], ['cookie', 'b=2']])), expected: ended(200, 'GET /ck HTTP/1.1\r\nhost: site.home.arpa\r\ncookie: a=1; b=2\r\n\r\n') },
];

/** A request whose head takes HAProxy's HTX `room` + `over` bytes (15,360 is the room with the default tune.bufsize and tune.maxrewrite). */
const headOver = (over: number) => block(request('/sz', [['x-huge', 'h'.repeat(15199 + over)]]));

const LIMITS: Case[] = [
  { name: 'a head that just fits the buffer goes on', run: async (t) => (await blockCase(headOver(0))(t)).split(';')[0]!, expected: 'status 200' },
  { name: 'a head one byte over the buffer: the stream is reset', run: blockCase(headOver(1)), expected: 'RST_STREAM PROTOCOL_ERROR; server got nothing' },
  {
    // HAProxy's GOAWAY INTERNAL_ERROR comes from a header block that does not fit its receive buffer,
    // a size Node does not tell (it gives the decoded fields): Loadstar refuses it as the decoded
    // block too large to decode, HAProxy's COMPRESSION_ERROR. A connection error either way.
    name: 'a 60 KB field: GOAWAY COMPRESSION_ERROR (HAProxy: INTERNAL_ERROR)',
    run: blockCase(block(request('/huge', [['x-huge', 'h'.repeat(60000)]]))),
    expected: 'GOAWAY COMPRESSION_ERROR; server got nothing',
    haproxy: 'GOAWAY INTERNAL_ERROR; server got nothing',
  },
  { name: '201 fields (2 × tune.http.maxhdr − 1) go on', run: async (t) => (await oneStream(t, request('/many', Array.from({ length: 197 }, (_, i) => [`x-f${i}`, 'v'] as const)))).split('\n')[0]!, expected: 'client saw status 200' },
  { name: '202 fields: GOAWAY COMPRESSION_ERROR', run: (t) => oneStream(t, request('/many', Array.from({ length: 198 }, (_, i) => [`x-f${i}`, 'v'] as const))), expected: 'client saw GOAWAY COMPRESSION_ERROR\nserver got nothing' },
  {
    // Node 20's nghttp2 aborted the process when a session was destroyed from the refusal's callback and
    // the same read went on with a frame of a wrong size (proxy/http/h2-session.ts). The connection ends
    // on the later frame's error: the refusal's GOAWAY waits for the end of the read.
    name: '202 fields then a 7-byte SETTINGS frame in one packet: the connection ends, the process goes on (HAProxy: COMPRESSION_ERROR)',
    run: (t) => onConnection(t, async (w) => {
      const from = t.origin.requests.length;
      const bad = settings([[0x3, 100]]);
      bad.writeUIntBE(7, 0, 3);
      await w.send(Buffer.concat([headers(1, request('/many', Array.from({ length: 198 }, (_, i) => [`x-f${i}`, 'v'] as const))), bad, frame(DATA, 0, 1, Buffer.from('zz'))]));
      await w.until((s) => s.closed, 2000);
      return `${connectionEnd(w)}; ${serverGot(t, from)}`;
    }),
    expected: 'GOAWAY FRAME_SIZE_ERROR, closed; server got nothing',
    haproxy: 'GOAWAY COMPRESSION_ERROR, closed; server got nothing',
  },
  {
    name: 'HPACK bomb: a 4000-byte field in the dynamic table referenced 2000 times',
    run: blockCase(Buffer.concat([block(request('/bomb')), indexedLiteral('x-bomb', 'b'.repeat(4000)), ...Array.from({ length: 2000 }, () => indexed(62))])),
    expected: 'GOAWAY COMPRESSION_ERROR; server got nothing',
  },
  {
    name: 'HPACK bomb within the field count: a 100-byte field referenced 190 times',
    run: blockCase(Buffer.concat([block(request('/bomb')), indexedLiteral('x-bomb', 'b'.repeat(100)), ...Array.from({ length: 190 }, () => indexed(62))])),
    expected: 'GOAWAY COMPRESSION_ERROR; server got nothing',
  },
  {
    name: 'CONTINUATION flood: 4000 frames of 1 KB fields, never END_HEADERS',
    run: (t) => onConnection(t, async (w) => {
      const from = t.origin.requests.length;
      const frames = [frame(HEADERS, END_STREAM, 1, block(request('/cont')))];
      for (let i = 0; i < 4000; i++) frames.push(frame(CONTINUATION, 0, 1, literal(`x-c${i}`, 'a'.repeat(1000))));
      await flood(w, frames);
      await w.until((s) => s.closed, 2000);
      // Loadstar's GOAWAY may not make it: nghttp2 may stop at its session memory limit and close.
      return `closed ${w.seen.closed}; ${serverGot(t, from)}`;
    }),
    expected: 'closed true; server got nothing',
  },
  {
    // nghttp2 takes at most 8 CONTINUATION frames (its CVE-2024-27316 fix); HAProxy merges empty
    // ones into its buffer until `timeout http-request`, then closes the connection.
    name: 'CONTINUATION flood: 20000 empty frames: GOAWAY INTERNAL_ERROR at once (HAProxy: NO_ERROR at timeout http-request)',
    run: (t) => onConnection(t, async (w) => {
      const frames = [frame(HEADERS, END_STREAM, 1, block(request('/cont0')))];
      for (let i = 0; i < 20000; i++) frames.push(frame(CONTINUATION, 0, 1));
      await flood(w, frames);
      await w.until((s) => s.closed, 4000);
      const end = connectionEnd(w);
      // The engine closes a connection it stops reading while frames are still coming: on a loaded machine
      // the reset that follows can reach the client before its GOAWAY is read, and the GOAWAY is lost.
      return end === 'no GOAWAY, closed' ? 'GOAWAY INTERNAL_ERROR (or lost to the reset), closed' : end.replace('GOAWAY INTERNAL_ERROR', 'GOAWAY INTERNAL_ERROR (or lost to the reset)');
    }),
    expected: 'GOAWAY INTERNAL_ERROR (or lost to the reset), closed',
    haproxy: 'GOAWAY NO_ERROR, closed',
  },
];

const FRAMES: Case[] = [
  {
    // A stream reset in the read that opened it never reaches the server (its transaction is aborted
    // before its server connection is up): one request of the 2000 in our runs, and nghttp2 (Node 20)
    // may also end the connection past 1000 resets. HAProxy 2.6 keeps the connection and several
    // hundred reach the server (400 to 600 in our runs: it varies, so it is not replayed).
    name: 'rapid reset: 2000 HEADERS + RST_STREAM pairs (CVE-2023-44487): few reach the server',
    run: (t) => onConnection(t, async (w) => {
      const from = t.origin.requests.length;
      const frames: Buffer[] = [];
      for (let i = 0; i < 2000; i++) frames.push(headers(2 * i + 1, request(`/slow-rr${i}`)), rstStream(2 * i + 1, 8));
      await flood(w, frames);
      await w.until((s) => s.closed, 1000);
      const n = t.origin.requests.length - from;
      return `server got ${n < 200 ? 'fewer than 200' : n} requests`;
    }),
    expected: 'server got fewer than 200 requests',
    haproxy: null,
  },
  {
    // nghttp2 makes a stream beyond SETTINGS_MAX_CONCURRENT_STREAMS a connection error (RFC 9113
    // allows only a stream error): every stream of the connection ends. HAProxy refuses the one
    // stream (REFUSED_STREAM) and answers the others. Node offers no way to get HAProxy's answer.
    name: '101 concurrent streams: the connection ends (HAProxy refuses the 101st)',
    run: (t) => onConnection(t, async (w) => {
      const frames: Buffer[] = [];
      for (let i = 0; i < 101; i++) frames.push(headers(2 * i + 1, request(`/slow-mc${i}`)));
      await w.send(Buffer.concat(frames));
      await w.until((s) => s.ended.size + s.reset.size >= 101 || s.closed, 3000);
      const answered = [...w.seen.status.values()].filter((s) => s === 200).length;
      // The GOAWAY leaves before the socket closes (h2-session.ts); a reset may still overtake it on a loaded machine.
      const stream201 = w.describe(201).replace(/^(closed|GOAWAY PROTOCOL_ERROR)$/, 'GOAWAY PROTOCOL_ERROR (or lost to the reset)');
      return `${answered} answered 200; stream 201: ${stream201}; connection ${w.seen.closed ? 'closed' : 'open'}`;
    }),
    expected: '0 answered 200; stream 201: GOAWAY PROTOCOL_ERROR (or lost to the reset); connection closed',
    haproxy: '100 answered 200; stream 201: RST_STREAM REFUSED_STREAM; connection open',
  },
  {
    name: 'an even stream id',
    run: (t) => onConnection(t, async (w) => {
      await w.send(headers(2, request('/even')));
      await w.until((s) => s.goaway !== undefined || s.reset.has(2));
      return `${w.describe(2)}`;
    }),
    expected: 'GOAWAY PROTOCOL_ERROR',
  },
  // nghttp2 ignores HEADERS on a stream id at or below the last one (it cannot tell a stream it
  // reset from one it closed): the connection goes on and ends at its idle timeout. HAProxy ends
  // it at once (GOAWAY STREAM_CLOSED).
  ...[['reused', 1, 1], ['lower than the last one', 5, 3]].map(([what, first, second]): Case => ({
    name: `a stream id ${what}: ignored, the connection ends at timeout client (HAProxy: GOAWAY STREAM_CLOSED at once)`,
    run: (t) => onConnection(t, async (w) => {
      await w.send(headers(first as number, request('/id1')));
      await w.until((s) => s.ended.has(first as number));
      await w.send(headers(second as number, request('/id2')));
      await w.until((s) => s.goaway !== undefined, 3000);
      return `${w.describe(first as number)}; ${w.seen.goaway ? `GOAWAY ${errorName(w.seen.goaway.code)}` : 'no GOAWAY'}`;
    }),
    expected: 'status 200; GOAWAY NO_ERROR',
    haproxy: 'status 200; GOAWAY STREAM_CLOSED',
  })),
  {
    // nghttp2 ends a connection that queues more than 1000 answers it cannot send (its defence
    // against CVE-2019-9512/9515); HAProxy answers every SETTINGS and PING.
    name: 'SETTINGS flood: 10000 frames: the connection ends (HAProxy acknowledges them all)',
    run: (t) => onConnection(t, async (w) => {
      await flood(w, Array.from({ length: 10000 }, () => settings([[0x3, 100]])));
      await w.until((s) => s.closed || s.settingsAcks > 10000, 3000);
      return `${w.seen.settingsAcks > 10000 ? 'all' : 'not all'} acknowledged; ${w.seen.closed ? 'closed' : 'open'}`;
    }),
    expected: 'not all acknowledged; closed',
    haproxy: 'all acknowledged; open',
  },
  {
    name: 'PING flood: 10000 frames: the connection ends (HAProxy answers them all)',
    run: (t) => onConnection(t, async (w) => {
      await flood(w, Array.from({ length: 10000 }, (_, i) => ping(i)));
      await w.until((s) => s.closed || s.pingAcks >= 10000, 3000);
      return `${w.seen.pingAcks >= 10000 ? 'all' : 'not all'} answered; ${w.seen.closed ? 'closed' : 'open'}`;
    }),
    expected: 'not all answered; closed',
    haproxy: 'all answered; open',
  },
  {
    name: 'WINDOW_UPDATE flood: 10000 increments of 1, then a request',
    run: (t) => onConnection(t, async (w) => {
      await flood(w, Array.from({ length: 10000 }, () => windowUpdate(0, 1)));
      await w.send(headers(1, request('/after-wu')));
      await w.until((s) => s.closed || s.ended.has(1), 2000);
      return `${w.describe(1)}; ${connectionEnd(w)}`;
    }),
    expected: 'status 200; no GOAWAY, open',
  },
  {
    name: 'the connection window past 2^31-1',
    run: (t) => onConnection(t, async (w) => {
      await w.send(windowUpdate(0, 0x7fffffff));
      await w.until((s) => s.goaway !== undefined, 2000);
      return connectionEnd(w).split(',')[0]!;
    }),
    expected: 'GOAWAY FLOW_CONTROL_ERROR',
  },
  {
    name: 'a stream window past 2^31-1',
    run: (t) => onConnection(t, async (w) => {
      await w.send(headers(1, request('/slow-wo')));
      await w.send(windowUpdate(1, 0x7fffffff));
      await w.until((s) => s.goaway !== undefined || s.reset.has(1) || s.ended.has(1), 2000);
      return `${w.describe(1)}; ${connectionEnd(w)}`;
    }),
    expected: 'RST_STREAM FLOW_CONTROL_ERROR; no GOAWAY, open',
  },
];

const SLOW: Case[] = [
  {
    // HAProxy ends the stream at `timeout client` with an empty DATA frame (END_STREAM); Node cannot
    // end a stream whose data waits for the window, so Loadstar resets it (CANCEL). The server's
    // connection is released then, and the connection closes at its idle timeout, in both.
    name: 'zero window: the client never opens its window for a 16 MB answer: the stream ends at timeout client',
    run: (t) => onConnection(t, async (w) => {
      await w.send(headers(1, request('/big')));
      await w.until((s) => s.closed, 8000);
      for (let i = 0; i < 40 && t.origin.bigOpen() > 0; i++) await sleep(50);
      const end = w.seen.reset.has(1) ? `RST_STREAM ${errorName(w.seen.reset.get(1)!)}` : `${w.seen.ended.has(1) ? 'END_STREAM' : 'no end'} after ${w.seen.data.get(1) ?? 0} bytes`;
      return `status ${w.seen.status.get(1)}; then ${end}; then ${connectionEnd(w)}; server connection ${t.origin.bigOpen() === 0 ? 'released' : 'still open'}`;
    }, [[0x4, 0]]),
    expected: 'status 200; then RST_STREAM CANCEL; then GOAWAY NO_ERROR, closed; server connection released',
    haproxy: 'status 200; then END_STREAM after 0 bytes; then GOAWAY NO_ERROR, closed; server connection released',
  },
  {
    name: 'an answer before the request body ends: the stream is reset once the client has sent nothing for timeout client',
    run: (t) => onConnection(t, async (w) => {
      const from = t.origin.requests.length;
      await w.send(headers(1, request('/early', [['content-length', '10']], 'POST'), false));
      await w.send(frame(DATA, 0, 1, Buffer.from('a')));
      await w.until((s) => s.closed || s.reset.has(1), 3000);
      return `${w.describe(1)}; answer ended ${w.seen.ended.has(1)}; ${serverGot(t, from)}`;
    }),
    expected: 'status 200, RST_STREAM CANCEL; answer ended true; server got "POST /early HTTP/1.1\\r\\nhost: site.home.arpa\\r\\ncontent-length: 10\\r\\n\\r\\n"',
  },
  {
    name: 'a request body that stops: 504 at timeout server, then the stream is reset; other clients are served meanwhile',
    run: (t) => onConnection(t, async (w) => {
      await w.send(headers(1, request('/slowbody', [['content-length', '10']], 'POST'), false));
      await w.send(frame(DATA, 0, 1, Buffer.from('a')));
      const other = await h2Requests(t.port, 'site.home.arpa', [{ path: '/meanwhile' }]);
      await w.until((s) => s.closed || s.reset.has(1) || s.ended.has(1), 5000);
      await w.until((s) => s.closed || s.reset.has(1), 500);
      return `another client got ${other.answers[0]!.status} meanwhile; ${w.describe(1)}; ${connectionEnd(w)}`;
    }),
    expected: 'another client got 200 meanwhile; status 504, RST_STREAM CANCEL; no GOAWAY, open',
  },
  {
    name: 'a connection whose stream outlasted timeout client still closes once idle',
    run: (t) => onConnection(t, async (w) => {
      await w.send(headers(1, request('/slower')));
      await w.until((s) => s.ended.has(1), 3000);
      await w.until((s) => s.closed, 3000);
      return `${w.describe(1)}; then ${connectionEnd(w)}`;
    }),
    expected: 'status 200; then GOAWAY NO_ERROR, closed',
  },
];

const CASES: Case[] = [...MALFORMED, ...LIMITS, ...FRAMES, ...SLOW];

/** Runs every case through haproxy with its own server; outcomes by case name. */
async function throughHaproxy(): Promise<Map<string, string>> {
  const o = await startOrigin();
  const port = await freePort();
  const h = await startHaproxy(config(port, o.port), port);
  const results = new Map<string, string>();
  try {
    for (const c of CASES) results.set(c.name, await c.run({ port, origin: o }));
  } finally {
    await h.stop();
    await o.close();
  }
  return results;
}

let loadstar: LoadstarProcess | undefined;
let origin: Origin | undefined;
let target: Target | undefined;
/** haproxy's run starts with the suite and goes on beside Loadstar's cases (a separate process and server). */
let replay: Promise<Map<string, string> | Error> | undefined;

before(async () => {
  if (haproxyPath && !process.env.H2_PROBE) replay = throughHaproxy().catch((e: Error) => e);
  origin = await startOrigin();
  const port = await freePort();
  loadstar = await startLoadstar(config(port, origin.port), port);
  target = { port, origin };
});

after(async () => {
  await loadstar?.stop();
  await origin?.close();
  await replay;
});

/** Loadstar still runs and answers a well-behaved h2 client. */
async function stillServing(): Promise<void> {
  assert.ok(loadstar!.alive(), `loadstar exited:\n${loadstar!.output().slice(-3000)}`);
  const { answers } = await h2Requests(target!.port, 'site.home.arpa', [{ path: '/check' }]);
  assert.equal(answers[0]!.status, 200);
}

recordedCaseTests(CASES, { target: () => target!, stillServing, throughHaproxy, replay: () => replay, probe: Boolean(process.env.H2_PROBE) });

if (!process.env.H2_PROBE) {
  test('a stream opened while a reload drains its connection is refused; the stream in flight finishes (Loadstar only)', async () => {
    const w = await H2Wire.open(target!.port);
    try {
      await w.until((s) => s.settingsAcks > 0, 2000);
      await w.send(headers(1, request('/slower-drain')));
      await sleep(200);
      // Same configuration: the connection is retired (it ends once its streams are done).
      assert.match(await loadstar!.reload(fs.readFileSync(loadstar!.file, 'utf8')), /configuration reloaded/);
      await w.send(headers(3, request('/during-drain')));
      await w.until((s) => s.reset.has(3) && (s.ended.has(1) || s.reset.has(1)), 3000);
      // Before, the refusal's 'error' event had no listener: the process died.
      assert.equal(`${w.describe(1)}; ${w.describe(3)}`, 'status 200; RST_STREAM REFUSED_STREAM');
    } finally {
      w.close();
    }
    await stillServing();
  });

  test('memory stays bounded: 20 connections at once sending HPACK bombs, CONTINUATION floods and rapid resets', async () => {
    const first = await loadstar!.sample();
    const attackers = Array.from({ length: 20 }, (_, i) => CASES.find((c) => c.name.startsWith(['HPACK bomb: a 4000', 'CONTINUATION flood: 4000', 'rapid reset'][i % 3]!))!.run(target!));
    const outcomes = await Promise.allSettled(attackers);
    // A refused or reset attacker is only an error of the engine's if the engine is gone: say which.
    await stillServing();
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw new Error(`an attacker failed while the engine was up: ${String(failed.reason)}\n${loadstar!.output().slice(-2000)}`);
    const last = await loadstar!.sample();
    // The attack is about 100 MB of decoded headers and 20 × 2000 streams; a leak or an
    // amplification shows as hundreds of MB. Measured: RSS +42 MB for one round (TLS and nghttp2
    // buffers), levelling off near +90 MB over five rounds while the JS heap stays near 30 MB.
    // Under a loaded machine (the whole suite in parallel) one round measured up to +120 MB.
    assert.ok(last.rss - first.rss < 192 * MB, `RSS grew by ${Math.round((last.rss - first.rss) / MB)} MB`);
  });
}
