/**
 * HTTP compression (`compression algo/type/offload`) compared with HAProxy 2.6.12 (Debian) on the
 * same configuration: which responses are compressed and with what, the response head as the
 * client reads it (Content-Encoding, Vary, ETag, framing), and the body once decoded, which must
 * equal the server's (compressed bytes are not compared: HAProxy's libslz and Node's zlib differ).
 * Each exchange's summary was recorded from haproxy and is checked against it again when it is
 * installed (LOADSTAR_RECORD=1 prints haproxy's summaries instead, to record them again).
 * Before, Loadstar forwarded every response uncompressed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { startEngine, startRawServer, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';
import { certPath, testCa } from '../../helpers/tls.ts';
import http2 from 'node:http2';

/** The origin's default body: 1000 compressible bytes. */
const BODY = 'Hello compression world! '.repeat(40);

/**
 * A server whose answer the request's query decides: `status`, `ct` (Content-Type, `none` for
 * none), `h` (extra header lines, repeatable), `v` (its HTTP version), `len` (a body of that many
 * `x`), `frame` (cl, chunked, close), `trailer` (a trailer after a chunked body).
 */
interface Origin {
  port: number;
  /** Each request's target and Accept-Encoding lines. */
  seen: string[];
  /** Sends the rest of the `frame=stream` answer in progress. */
  release?: () => void;
  /** Bytes of `frame=random` answers not taken by the proxy yet (the origin's socket queue). */
  queued(): number;
  close(): Promise<void>;
}

/** What `frame=stream` sends first, and after `release`. */
const PART_ONE = 'part one, '.repeat(50);
const PART_TWO = 'part two, '.repeat(50);
/** `frame=random`: incompressible bytes, more than the kernel's socket buffers hold on the way. */
const RANDOM = Buffer.concat(Array.from({ length: 48 }, () => crypto.randomBytes(1 << 20)));

async function startOrigin(): Promise<Origin> {
  const seen: string[] = [];
  let randomSent = 0;
  const server = await startRawServer((s) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        const [method = '', target = ''] = head.split(' ');
        seen.push([target, ...head.split('\r\n').filter((l) => /^accept-encoding:/i.test(l))].join(' | '));
        const q = new URL(`http://origin${target}`).searchParams;
        const frame = q.get('frame');
        // A body delimited by the close: the connection ends with it.
        if (frame === 'close') s.end(answer(method, q));
        else if (frame === 'stream') {
          s.write(`HTTP/1.1 200 X\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${PART_ONE.length.toString(16)}\r\n${PART_ONE}\r\n`);
          origin.release = () => s.write(`${PART_TWO.length.toString(16)}\r\n${PART_TWO}\r\n0\r\n\r\n`);
        } else if (frame === 'random') {
          s.write(`HTTP/1.1 200 X\r\nContent-Type: text/plain\r\nContent-Length: ${RANDOM.length}\r\n\r\n`);
          // Piece after piece, each once the kernel took the one before: what is left tells what the proxy took.
          const next = (): void => {
            if (s.destroyed || randomSent >= RANDOM.length) return;
            const piece = RANDOM.subarray(randomSent, randomSent + (1 << 20));
            s.write(piece, () => {
              randomSent += piece.length;
              next();
            });
          };
          next();
        } else s.write(answer(method, q));
      }
    });
  });
  const origin: Origin = { port: server.port, seen, queued: () => RANDOM.length - randomSent, close: server.close };
  return origin;
}

function answer(method: string, q: URLSearchParams): string {
  const status = q.get('status') ?? '200';
  const lines = [`HTTP/${q.get('v') ?? '1.1'} ${status} X`];
  if (q.get('ct') !== 'none') lines.push(`Content-Type: ${q.get('ct') ?? 'text/html'}`);
  lines.push(...q.getAll('h'));
  const body = q.has('len') ? 'x'.repeat(Number(q.get('len'))) : BODY;
  const noBody = method === 'HEAD' || status === '204' || status === '304';
  const frame = q.get('frame') ?? 'cl';
  if (frame === 'chunked') return `${lines.join('\r\n')}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n${q.has('trailer') ? 'X-Trailer: yes\r\n' : ''}\r\n`;
  if (frame === 'close') return `${lines.join('\r\n')}\r\n\r\n${body}`;
  return `${lines.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n${noBody ? '' : body}`;
}

/** Frontends by name, each with its `compression` lines; all send to the origin. */
const FRONTENDS: Record<string, string> = {
  main: 'compression algo gzip',
  ident: 'compression algo identity',
  multi: 'compression algo gzip deflate',
  multi2: 'compression algo deflate gzip',
  raw: 'compression algo raw-deflate\n    compression offload',
  types: 'compression algo gzip\n    compression type text/plain application/json\n    http-request return status 200 content-type text/plain string "hello hello hello" if { path /local }',
  // The backend's type list wins over the frontend's.
  febe: 'compression algo deflate\n    compression type text/html\n    default_backend typed',
  // Lines add up; the last algorithm written comes first for `*`.
  lines: 'compression algo identity gzip\n    compression algo deflate',
};

function config(ports: Record<string, number>, origin: number): string {
  let text = `${loggedHttpHead()}    log-format "%ft B=%B ST=%ST %ts C=%[res.comp] A=%[res.comp_algo]"\n`;
  for (const [name, lines] of Object.entries(FRONTENDS)) {
    const backend = lines.includes('default_backend') ? '' : '    default_backend app\n';
    text += `frontend ${name}\n    bind 127.0.0.1:${ports[name]}\n    ${lines}\n${backend}`;
  }
  // A defaults section's algorithms come before a proxy's own (its `offload` is not passed on: HAProxy warns).
  text += `backend app\n    server s1 127.0.0.1:${origin}\nbackend typed\n    compression type text/plain\n    server s1 127.0.0.1:${origin}\n`;
  text += `defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n    compression algo gzip\n    compression offload\n`;
  text += `frontend secure\n    bind 127.0.0.1:${ports['secure']} ssl crt ${certPath('site.pem')} alpn h2\n    compression algo gzip\n    default_backend app\n`;
  text += `listen inherit\n    bind 127.0.0.1:${ports['inherit']}\n    compression algo deflate\n    server s1 127.0.0.1:${origin}\n`;
  return text;
}

interface Case {
  frontend: string;
  /** Request line and headers (CRLF-separated, without the final blank line); Connection: close is added. */
  request: string;
  expected: string;
}

const get = (target: string, ...headers: string[]): string => [`GET ${target} HTTP/1.1`, 'Host: x', ...headers].join('\r\n');
const gz = (target: string, ...headers: string[]): string => get(target, 'Accept-Encoding: gzip', ...headers);
/** The head HAProxy writes for a 1000-byte text/html answer it compressed with `algo`. */
const compressed = (algo: string, extra = ''): string => `HTTP/1.1 200 X | content-type: text/html | ${extra}transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: ${algo} | connection: close`;
const PLAIN = 'HTTP/1.1 200 X | content-type: text/html | content-length: 1000 | connection: close';

const CASES: Case[] = [
  // What is compressed and what not.
  { frontend: 'main', request: gz('/a'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: get('/a'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'main', request: gz('/a').replace('HTTP/1.1', 'HTTP/1.0'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?v=1.0'), expected: 'HTTP/1.0 200 X | content-type: text/html | content-length: 1000\n  1000 bytes as sent' },
  { frontend: 'main', request: gz('/a').replace('GET', 'HEAD'), expected: `${PLAIN}\n  0 bytes` },
  { frontend: 'main', request: gz('/a?status=201'), expected: `${compressed('gzip').replace('200', '201')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?status=203'), expected: `${compressed('gzip').replace('200', '203')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?status=206'), expected: `${PLAIN.replace('200', '206')}\n  1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?status=404'), expected: `${PLAIN.replace('200', '404')}\n  1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?len=0'), expected: 'HTTP/1.1 200 X | content-type: text/html | content-length: 0 | connection: close\n  0 bytes' },
  { frontend: 'main', request: gz('/a?frame=close'), expected: 'HTTP/1.1 200 X | content-type: text/html | connection: close\n  1000 bytes as sent' },
  { frontend: 'main', request: gz('/a?frame=chunked&trailer=1'), expected: 'HTTP/1.1 200 X | content-type: text/html | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip | connection: close\n  chunked, gzip: 1000 bytes as sent, trailers: x-trailer: yes' },
  { frontend: 'main', request: gz('/a?frame=chunked&len=0'), expected: 'HTTP/1.1 200 X | content-type: text/html | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip | connection: close\n  chunked, gzip: 0 bytes' },
  { frontend: 'main', request: gz('/a?h=Content-Encoding:%20br'), expected: 'HTTP/1.1 200 X | content-type: text/html | content-encoding: br | content-length: 1000 | connection: close\n  1000 bytes as sent' },
  { frontend: 'main', request: gz('/a?h=Cache-Control:%20public&h=Cache-Control:%20No-Transform'), expected: 'HTTP/1.1 200 X | content-type: text/html | cache-control: public | cache-control: No-Transform | content-length: 1000 | connection: close\n  1000 bytes as sent' },
  { frontend: 'main', request: gz('/a?h=Cache-Control:%20no-transformx'), expected: `${compressed('gzip', 'cache-control: no-transformx | ')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?ct=multipart/mixed'), expected: 'HTTP/1.1 200 X | content-type: multipart/mixed | content-length: 1000 | connection: close\n  1000 bytes as sent' },
  { frontend: 'main', request: gz('/a?ct=none'), expected: 'HTTP/1.1 200 X | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip | connection: close\n  chunked, gzip: 1000 bytes as sent' },
  // A Vary of the server's stays; HAProxy adds its own after it.
  { frontend: 'main', request: gz('/a?h=Vary:%20Cookie'), expected: `${compressed('gzip', 'vary: Cookie | ')}\n  chunked, gzip: 1000 bytes as sent` },
  // ETags: a strong one turns weak; an invalid one, or two, stop compression.
  { frontend: 'main', request: gz('/a?h=ETag:%20%22abc%22'), expected: `${compressed('gzip', 'etag: W/"abc" | ')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?h=ETag:%20W/%22abc%22'), expected: `${compressed('gzip', 'etag: W/"abc" | ')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: gz('/a?h=ETag:%20abc'), expected: 'HTTP/1.1 200 X | content-type: text/html | etag: abc | content-length: 1000 | connection: close\n  1000 bytes as sent' },
  { frontend: 'main', request: gz('/a?h=ETag:%20%22a%22&h=ETag:%20%22b%22'), expected: 'HTTP/1.1 200 X | content-type: text/html | etag: "a" | etag: "b" | content-length: 1000 | connection: close\n  1000 bytes as sent' },
  // Old browsers.
  { frontend: 'main', request: gz('/a', 'User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: gz('/a', 'User-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows NT 5.1)'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'main', request: gz('/a', 'User-Agent: Mozilla/4.0'), expected: `${PLAIN}\n  1000 bytes as sent` },
  // Accept-Encoding and its q-values.
  { frontend: 'main', request: get('/a', 'Accept-Encoding: gzip;q=0'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'main', request: get('/a', 'Accept-Encoding: GZIP'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: get('/a', 'Accept-Encoding: br, gzip;q=0.5'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'main', request: get('/a', 'Accept-Encoding: x-gzip'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'multi', request: get('/a', 'Accept-Encoding: gzip, deflate'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'multi', request: get('/a', 'Accept-Encoding: deflate, gzip'), expected: `${compressed('deflate')}\n  chunked, deflate (zlib): 1000 bytes as sent` },
  { frontend: 'multi', request: get('/a', 'Accept-Encoding: *'), expected: `${compressed('deflate')}\n  chunked, deflate (zlib): 1000 bytes as sent` },
  { frontend: 'multi2', request: get('/a', 'Accept-Encoding: *'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'multi', request: get('/a', 'Accept-Encoding: deflate;q=0.5, gzip;q=0.6'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
  { frontend: 'multi', request: get('/a', 'Accept-Encoding: deflate;q=0.5', 'Accept-Encoding: gzip;q=0.5'), expected: `${compressed('deflate')}\n  chunked, deflate (zlib): 1000 bytes as sent` },
  { frontend: 'multi', request: get('/a', 'Accept-Encoding: gzip ; level=1 ; q=0.1, deflate;Q=0.2'), expected: `${compressed('deflate')}\n  chunked, deflate (zlib): 1000 bytes as sent` },
  { frontend: 'raw', request: get('/a?offload', 'Accept-Encoding: deflate'), expected: `${compressed('deflate')}\n  chunked, deflate (raw): 1000 bytes as sent` },
  { frontend: 'raw', request: gz('/a?no-offload'), expected: `${PLAIN}\n  1000 bytes as sent` },
  // identity: no Content-Encoding, but the rest of the rewrite; chosen without Accept-Encoding.
  { frontend: 'ident', request: get('/a?h=ETag:%20%22x%22'), expected: 'HTTP/1.1 200 X | content-type: text/html | etag: W/"x" | transfer-encoding: chunked | vary: Accept-Encoding | connection: close\n  chunked: 1000 bytes as sent' },
  // compression type.
  { frontend: 'types', request: gz('/a'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'types', request: gz('/a?ct=TEXT/Plain;charset=utf-8'), expected: 'HTTP/1.1 200 X | content-type: TEXT/Plain;charset=utf-8 | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip | connection: close\n  chunked, gzip: 1000 bytes as sent' },
  { frontend: 'types', request: gz('/a?ct=application/jsonx'), expected: 'HTTP/1.1 200 X | content-type: application/jsonx | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip | connection: close\n  chunked, gzip: 1000 bytes as sent' },
  { frontend: 'types', request: gz('/a?ct=none'), expected: 'HTTP/1.1 200 X | content-length: 1000 | connection: close\n  1000 bytes as sent' },
  // HAProxy's own answers are not compressed.
  { frontend: 'types', request: gz('/local'), expected: 'HTTP/1.1 200 OK | content-length: 17 | content-type: text/plain | connection: close\n  17 bytes' },
  { frontend: 'febe', request: get('/a', 'Accept-Encoding: deflate'), expected: `${PLAIN}\n  1000 bytes as sent` },
  { frontend: 'febe', request: get('/a?ct=text/plain', 'Accept-Encoding: deflate'), expected: 'HTTP/1.1 200 X | content-type: text/plain | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: deflate | connection: close\n  chunked, deflate (zlib): 1000 bytes as sent' },
  { frontend: 'lines', request: get('/a', 'Accept-Encoding: *'), expected: `${compressed('deflate')}\n  chunked, deflate (zlib): 1000 bytes as sent` },
  { frontend: 'lines', request: get('/a'), expected: 'HTTP/1.1 200 X | content-type: text/html | transfer-encoding: chunked | vary: Accept-Encoding | connection: close\n  chunked: 1000 bytes as sent' },
  { frontend: 'inherit', request: get('/a', 'Accept-Encoding: *'), expected: `${compressed('deflate')}\n  chunked, deflate (zlib): 1000 bytes as sent` },
  { frontend: 'inherit', request: gz('/a?inherit'), expected: `${compressed('gzip')}\n  chunked, gzip: 1000 bytes as sent` },
];

/** One request on its own connection; everything until the proxy closes. */
function exchange(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`${request}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(new Error('no end within 5 s')), 5000);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** A chunked body's payload and trailer lines. */
function dechunk(body: Buffer): { payload: Buffer; trailers: string } {
  const parts: Buffer[] = [];
  for (let at = 0; ;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.toString('latin1', at, eol), 16);
    if (eol < 0 || Number.isNaN(size)) throw new Error(`bad chunk at ${at}`);
    if (size === 0) return { payload: Buffer.concat(parts), trailers: body.toString('latin1', eol + 2).split('\r\n').filter(Boolean).join(' | ') };
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** What the client read: the head (one line, ` | ` between fields, Date-free) and the body decoded. */
export function summary(raw: Buffer, sent: string): string {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.toString('latin1', 0, end);
  let body = raw.subarray(end + 4);
  const notes: string[] = [];
  let trailers = '';
  if (/\r\ntransfer-encoding: chunked/i.test(head)) {
    ({ payload: body, trailers } = dechunk(body));
    notes.push('chunked');
  }
  const encoding = /\r\ncontent-encoding: (\S+)/i.exec(head)?.[1];
  if (encoding === 'gzip') {
    body = zlib.gunzipSync(body);
    notes.push('gzip');
  } else if (encoding === 'deflate') {
    // raw-deflate answers `deflate` too: the zlib wrapper tells them apart.
    const zlibWrapped = body.length > 1 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
    body = zlibWrapped ? zlib.inflateSync(body) : zlib.inflateRawSync(body);
    notes.push(`deflate (${zlibWrapped ? 'zlib' : 'raw'})`);
  }
  const content = `${body.length} bytes${body.length > 0 && body.toString('latin1') === sent ? ' as sent' : ''}${trailers ? `, trailers: ${trailers}` : ''}`;
  return `${head.split('\r\n').join(' | ')}\n  ${notes.length > 0 ? `${notes.join(', ')}: ` : ''}${content}`;
}

function sentBody(request: string): string {
  const len = /[?&]len=(\d+)/.exec(request);
  return len ? 'x'.repeat(Number(len[1])) : BODY;
}

interface Started {
  stop(): Promise<void>;
  /** Its log lines so far. */
  logs(): string[];
}
type Start = (text: string, ports: Record<string, number>) => Promise<Started>;

/** The proxy on the configuration above in front of a fresh origin, for `fn`; all stopped after. */
async function withProxy<T>(start: Start, fn: (ports: Record<string, number>, origin: Origin, proxy: Started) => Promise<T>): Promise<T> {
  const origin = await startOrigin();
  const ports: Record<string, number> = {};
  for (const name of [...Object.keys(FRONTENDS), 'secure', 'inherit']) ports[name] = await freePort();
  const proxy = await start(config(ports, origin.port), ports);
  try {
    return await fn(ports, origin, proxy);
  } finally {
    await proxy.stop();
    await origin.close();
  }
}

/** Every case through one proxy; what the client read for each, and the Accept-Encoding lines the origin saw. */
function runAll(start: Start): Promise<{ got: string[]; seen: string[] }> {
  return withProxy(start, async (ports, origin) => {
    const got: string[] = [];
    for (const c of CASES) got.push(summary(await exchange(ports[c.frontend]!, c.request), sentBody(c.request)));
    return { got, seen: origin.seen };
  });
}

const startLoadstar: Start = async (text) => {
  const engine = await startEngine(text);
  return { stop: engine.stop, logs: () => engine.logs };
};
const startReal: Start = async (text, ports) => {
  const proxy = await startHaproxy(text, ports['inherit']!);
  return { stop: proxy.stop, logs: () => proxy.output().split('\n').filter((l) => /^\w+ B=/.test(l)) };
};

function check({ got, seen }: { got: string[]; seen: string[] }): void {
  CASES.forEach((c, i) => assert.equal(got[i], c.expected, `${c.frontend}: ${c.request.replace(/\r\n/g, ' | ')}`));
  // `compression offload` removes Accept-Encoding once an algorithm was chosen, only then; not inherited from defaults.
  assert.deepEqual(seen.filter((s) => /offload|inherit/.test(s)), ['/a?offload', '/a?no-offload | accept-encoding: gzip', '/a?inherit | accept-encoding: gzip']);
}

if (process.env.LOADSTAR_RECORD) {
  test('compression through haproxy (recording)', async (t) => {
    if (!requireHaproxy(t)) return;
    const { got } = await runAll(startReal);
    CASES.forEach((c, i) => process.stdout.write(`// ${c.frontend} ${c.request.replace(/\r\n/g, ' | ')}\n${JSON.stringify(got[i])}\n`));
  });
}

test('which responses Loadstar compresses, and how, is what HAProxy 2.6.12 did', async () => {
  check(await runAll(startLoadstar));
});

test('the same exchanges through haproxy give the recorded answers', async (t) => {
  if (!requireHaproxy(t)) return;
  check(await runAll(startReal));
});

/** Reads `socket` until `done(everything so far)` says so. */
function readUntil(socket: net.Socket, done: (got: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no complete answer within 10 s: ${JSON.stringify(got.toString('latin1').slice(0, 200))}`)), 10_000);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (!done(got)) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(got);
    };
    const fail = (e: Error): void => {
      socket.off('data', onData);
      reject(e);
    };
    socket.on('data', onData);
    socket.once('end', () => fail(new Error('closed before the answer was complete')));
  });
}

const chunkedEnd = (got: Buffer): boolean => got.toString('latin1').endsWith('\r\n0\r\n\r\n') || got.toString('latin1').endsWith('\r\nx-trailer: yes\r\n\r\n');

/** Two compressed answers one after the other on one connection, an uncompressed one, then the log lines. */
async function keptAlive(start: Start): Promise<{ answers: string[]; logs: string[] }> {
  return withProxy(start, async (ports, _origin, proxy) => {
    const socket = net.connect(ports['main']!, '127.0.0.1');
    socket.on('error', () => {});
    try {
      const answers: string[] = [];
      socket.write(`${gz('/a')}\r\n\r\n`);
      answers.push(summary(await readUntil(socket, chunkedEnd), BODY));
      socket.write(`${gz('/a?frame=chunked&trailer=1')}\r\n\r\n`);
      answers.push(summary(await readUntil(socket, chunkedEnd), BODY));
      socket.write(`${get('/a')}\r\n\r\n`);
      answers.push(summary(await readUntil(socket, (got) => got.length >= got.indexOf('\r\n\r\n') + 4 + 1000), BODY));
      socket.end();
      await waitFor('three log lines', () => proxy.logs().length >= 3);
      return { answers, logs: proxy.logs() };
    } finally {
      socket.destroy();
    }
  });
}

const KEPT_ALIVE = {
  answers: [
    'HTTP/1.1 200 X | content-type: text/html | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip\n  chunked, gzip: 1000 bytes as sent',
    'HTTP/1.1 200 X | content-type: text/html | transfer-encoding: chunked | vary: Accept-Encoding | content-encoding: gzip\n  chunked, gzip: 1000 bytes as sent, trailers: x-trailer: yes',
    'HTTP/1.1 200 X | content-type: text/html | content-length: 1000\n  1000 bytes as sent',
  ],
  // %B counts the server's answer as it came (uncompressed), as HAProxy does.
  // res.comp and res.comp_algo tell whether (and how) it was compressed.
  logs: ['main B=1072 ST=200 -- C=1 A=gzip', 'main B=1091 ST=200 -- C=1 A=gzip', 'main B=1072 ST=200 -- C=0 A=-'],
};

test('compressed answers follow each other on a kept-alive connection; %B counts the bytes before compression', async () => {
  assert.deepEqual(await keptAlive(startLoadstar), KEPT_ALIVE);
});

test('haproxy: compressed answers on a kept-alive connection, and %B', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await keptAlive(startReal), KEPT_ALIVE);
});

/**
 * The server sends part of a body and waits: that part reaches the client, decodable, before the
 * rest is sent (each read is flushed through zlib, as HAProxy flushes each payload it compresses).
 * Then a client leaving in the middle of a compressed body ends the exchange (%ts CD).
 */
async function streamed(start: Start): Promise<{ first: string; whole: string; aborted: string }> {
  return withProxy(start, async (ports, origin, proxy) => {
    const socket = net.connect(ports['main']!, '127.0.0.1');
    socket.on('error', () => {});
    const decoded = (got: Buffer): string => {
      const raw = got.subarray(got.indexOf('\r\n\r\n') + 4);
      const chunks: Buffer[] = [];
      for (let at = 0; ;) {
        const eol = raw.indexOf('\r\n', at);
        const size = eol < 0 ? NaN : parseInt(raw.toString('latin1', at, eol), 16);
        if (!(size > 0) || eol + 2 + size + 2 > raw.length) break;
        chunks.push(raw.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      // What the chunks so far decode to (the stream is not finished yet: no error for its end).
      return zlib.gunzipSync(Buffer.concat(chunks), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
    };
    try {
      socket.write(`${gz('/a?frame=stream')}\r\n\r\n`);
      // HAProxy's libslz keeps the last bits of a flush back: most of the part decodes, not all of it.
      const early = await readUntil(socket, (got) => got.includes('\r\n\r\n') && decoded(got).length > 0);
      const first = PART_ONE.startsWith(decoded(early)) ? 'part one decoded (in part at least) before the rest was sent' : decoded(early);
      origin.release!();
      const all = await readUntil(socket, (got) => chunkedEnd(Buffer.concat([early, got])));
      const whole = decoded(Buffer.concat([early, all]));
      // Now one the client leaves in the middle of.
      const leaving = net.connect(ports['main']!, '127.0.0.1');
      leaving.on('error', () => {});
      leaving.write(`${gz('/a?frame=stream')}\r\n\r\n`);
      await readUntil(leaving, (got) => got.includes('\r\n\r\n') && decoded(got).length > 0);
      leaving.resetAndDestroy();
      // The proxy learns it when it next writes to it: the server sends the rest.
      await new Promise((resolve) => setTimeout(resolve, 100));
      origin.release!();
      // Before `timeout client` or `timeout server` (5 s) would end it.
      await waitFor('the log line of the exchange the client left', () => proxy.logs().length >= 2, 3000);
      return { first, whole: whole === PART_ONE + PART_TWO ? 'all decoded' : whole, aborted: proxy.logs()[1]!.replace(/B=\d+/, 'B=…') };
    } finally {
      socket.destroy();
    }
  });
}

const STREAMED = { first: 'part one decoded (in part at least) before the rest was sent', whole: 'all decoded', aborted: 'main B=… ST=200 CD C=1 A=gzip' };

test('a compressed body streams: what the server sent so far reaches the client decodable; a client leaving ends it', async () => {
  assert.deepEqual(await streamed(startLoadstar), STREAMED);
});

test('haproxy: a compressed body streams, and a client leaving ends it', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await streamed(startReal), STREAMED);
});

/**
 * A client that does not read: the proxy stops reading from the server instead of queueing its
 * answer (48 MiB of incompressible bytes, more than the sockets' kernel buffers hold on the way);
 * once it reads, the whole answer arrives and decodes to what the server sent.
 */
async function slowReader(start: Start): Promise<{ held: boolean; body: string }> {
  return withProxy(start, async (ports, origin) => {
    const socket = net.connect(ports['main']!, '127.0.0.1');
    socket.on('error', () => {});
    try {
      socket.pause();
      socket.write(`${gz('/a?frame=random')}\r\nConnection: close\r\n\r\n`);
      await waitFor('the origin to answer', () => origin.queued() > 0);
      // Wait until the queue has not moved for half a second (the proxy stopped reading), then see what is left.
      for (let last = -1, still = 0; still < 5;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = origin.queued();
        still = now === last ? still + 1 : 0;
        last = now;
      }
      const held = origin.queued() > 0;
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.resume();
      await new Promise((resolve) => socket.once('end', resolve));
      const raw = Buffer.concat(chunks);
      const { payload } = dechunk(raw.subarray(raw.indexOf('\r\n\r\n') + 4));
      const body = zlib.gunzipSync(payload);
      return { held, body: body.equals(RANDOM) ? 'as sent' : `${body.length} bytes, different` };
    } finally {
      socket.destroy();
    }
  });
}

test('a client that does not read holds the server back (backpressure through zlib); then the whole body arrives', async () => {
  assert.deepEqual(await slowReader(startLoadstar), { held: true, body: 'as sent' });
});

test('haproxy: a client that does not read holds the server back', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await slowReader(startReal), { held: true, body: 'as sent' });
});

/** One HTTP/2 request (TLS, ALPN h2): the response headers (no date) and the body decoded. */
async function h2Compressed(start: Start): Promise<{ headers: Record<string, unknown>; body: string }> {
  return withProxy(start, async (ports) => {
    const session = http2.connect(`https://127.0.0.1:${ports['secure']}`, { ca: testCa, servername: 'site.home.arpa' });
    session.on('error', () => {});
    try {
      return await new Promise((resolve, reject) => {
        const req = session.request({ ':path': '/a?h=ETag:%20%22abc%22', 'accept-encoding': 'gzip, deflate' });
        let headers: Record<string, unknown> = {};
        const chunks: Buffer[] = [];
        req.on('response', (h) => (headers = Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date'))));
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ headers, body: headers['content-encoding'] === 'gzip' && zlib.gunzipSync(body).toString() === BODY ? 'gzip, as sent' : body.toString('latin1').slice(0, 40) });
        });
        req.on('error', reject);
        req.end();
      });
    } finally {
      session.destroy();
    }
  });
}

const H2_COMPRESSED = {
  headers: { ':status': 200, 'content-type': 'text/html', etag: 'W/"abc"', vary: 'Accept-Encoding', 'content-encoding': 'gzip' },
  body: 'gzip, as sent',
};

test('HTTP/2 clients get compressed answers too (DATA frames of the gzip stream)', async () => {
  assert.deepEqual(await h2Compressed(startLoadstar), H2_COMPRESSED);
});

test('haproxy: HTTP/2 clients get compressed answers', async (t) => {
  if (!requireHaproxy(t)) return;
  assert.deepEqual(await h2Compressed(startReal), H2_COMPRESSED);
});
