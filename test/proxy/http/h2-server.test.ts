/**
 * HTTP/2 to servers (`server … proto h2`, `alpn h2,http/1.1`) and cleartext HTTP/2 on binds
 * (`bind … proto h2`), compared with HAProxy 2.6.12 on the same configuration: what an HTTP/1.1
 * and an HTTP/2 client read, what the HTTP/2 origin (node:http2) received and over how many
 * connections, and the log line. The values were recorded from haproxy; where it is installed
 * each case runs through it too (sideBySide).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
import { sideBySide } from './lib/side-by-side.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { startRawServer, startNamedServer } from '../../helpers/net.ts';
import { certPath } from '../../helpers/tls.ts';
import { parseConfig } from '../../../proxy/config/index.ts';

/** An HTTP/2 origin: what it received, and how many connections it accepted. */
interface Origin {
  port: number;
  connections: number;
  requests: string[][];
  /** Protocol of each request (`2.0`, or `1.1` for a TLS origin that also speaks HTTP/1.1). */
  versions: string[];
  /** The protocol ALPN chose on each TLS connection (`-` when none was offered). */
  alpns: string[];
  reset(): void;
  close(): Promise<void>;
}

/** Answers by path; /slow waits 800 ms (so that requests sent one after another overlap, even on a loaded machine). */
function handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.on('error', () => {});
  let body = '';
  stream.setEncoding('latin1');
  stream.on('data', (d: string) => (body += d));
  stream.on('end', () => {
    const path = String(headers[':path']);
    if (path === '/grpc') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' }));
      stream.end(`r:${body}`);
    } else if (path === '/grpc-error') {
      // gRPC's trailers-only answer: one HEADERS frame with END_STREAM carrying grpc-status.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5' }, { endStream: true });
    } else if (path === '/rst') stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    else if (path === '/length') {
      stream.respond({ ':status': 200, 'content-length': '5' });
      stream.end('abcde');
    } else if (path === '/size') {
      stream.respond({ ':status': 200 });
      stream.end(`got ${body.length}`);
    } else if (path === '/big') {
      stream.respond({ ':status': 200 });
      stream.end(Buffer.alloc(3 * 1024 * 1024, 'z'));
    } else if (path === '/bye') {
      // Answers, then says GOAWAY (graceful: this stream was the last one it processes).
      const session = stream.session!;
      const id = stream.id!;
      stream.respond({ ':status': 200 });
      stream.end('bye', () => session.goaway(http2.constants.NGHTTP2_NO_ERROR, id));
    } else if (path === '/hang') {
      // Never answers.
    } else if (path.startsWith('/slow')) {
      setTimeout(() => {
        stream.respond({ ':status': 200 });
        stream.end(`slow ${path}`);
      }, 800);
    } else {
      stream.respond({ ':status': 200, 'x-body': body });
      stream.end(`ok ${path}`);
    }
  });
}

async function startOrigin(secure: boolean): Promise<Origin> {
  const pem = fs.readFileSync(certPath('sites/nas.home.arpa.pem'));
  const state = { connections: 0, requests: [] as string[][], versions: [] as string[], alpns: [] as string[] };
  const server = secure
    ? http2.createSecureServer({ cert: pem, key: pem, allowHTTP1: true }, (req, res) => {
      if (req.httpVersion === '2.0') return;
      state.versions.push(req.httpVersion);
      state.requests.push(req.rawHeaders);
      res.end(`h1 ${req.url}`);
    })
    : http2.createServer();
  server.on(secure ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    state.connections++;
    if (secure) state.alpns.push(String((socket as tls.TLSSocket).alpnProtocol || '-'));
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
    state.versions.push('2.0');
    state.requests.push(raw);
    handle(stream, headers);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() { return state.connections; },
    get requests() { return state.requests; },
    get versions() { return state.versions; },
    get alpns() { return state.alpns; },
    reset() {
      state.alpns = [];
      state.connections = 0;
      state.requests = [];
      state.versions = [];
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** An HTTP/1.1 exchange on a connection of its own, read whole (the server closes: `connection: close`). */
function h1(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${head}\r\nconnection: close\r\n\r\n${body}`));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(data.replace(/\r\ndate: [^\r]*/i, '')));
  });
}

interface H2Result { status: number; headers: Record<string, string>; body: string; trailers: Record<string, string> }

/** Requests sent at once on one HTTP/2 connection (prior knowledge, cleartext). */
async function h2(port: number, requests: Array<{ path: string; method?: string; body?: string; headers?: Record<string, string> }>): Promise<H2Result[]> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    return await Promise.all(requests.map((r) => new Promise<H2Result>((resolve) => {
      const stream = session.request({ ':method': r.method ?? 'GET', ':path': r.path, ...r.headers }, { endStream: r.body === undefined });
      const result: H2Result = { status: 0, headers: {}, body: '', trailers: {} };
      stream.setEncoding('latin1');
      stream.on('response', (h) => {
        result.status = Number(h[':status']);
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') && k !== 'date') result.headers[k] = String(v);
      });
      stream.on('trailers', (t) => {
        for (const [k, v] of Object.entries(t)) result.trailers[k] = String(v);
      });
      stream.on('data', (d: string) => (result.body += d));
      stream.on('error', () => {});
      stream.on('close', () => resolve(result));
      if (r.body !== undefined) stream.end(r.body);
    })));
  } finally {
    session.close();
  }
}

let origin: Origin;
let tlsOrigin: Origin;
before(async () => {
  origin = await startOrigin(false);
  tlsOrigin = await startOrigin(true);
});
after(async () => {
  await origin.close();
  await tlsOrigin.close();
});

function config(port: number, server: string, reuse = ''): string {
  return `${loggedHttpHead()}    log-format "%HV %ST %tsc %B %{+Q}r"
frontend f
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${port + 1} proto h2
    default_backend b
backend b
${reuse}    ${server}
`;
}

/** The exchanges' log lines once `count` are there (not the probe connection's: sideBySide's, opened and closed at once). */
async function logs(proxy: { logs(): string[] }, count: number): Promise<string[]> {
  const lines = () => proxy.logs().filter((l) => !l.startsWith('<BADREQ>'));
  for (let i = 0; i < 100 && lines().length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return lines();
}

test('proto h2: an HTTP/1.1 request reaches the origin as a stream (:scheme https, Host kept) and its answer comes back without reason phrase', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port, proxy) => {
    origin.reset();
    const answer = await h1(port, 'GET /a?x=1 HTTP/1.1\r\nhost: example.test\r\nfoo: bar');
    assert.equal(answer, 'HTTP/1.1 200 \r\nx-body: \r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n9\r\nok /a?x=1\r\n0\r\n\r\n');
    assert.deepEqual(origin.requests, [[':method', 'GET', ':scheme', 'https', ':path', '/a?x=1', 'host', 'example.test', 'foo', 'bar']]);
    const withLength = await h1(port, 'GET /length HTTP/1.1\r\nhost: example.test');
    assert.equal(withLength, 'HTTP/1.1 200 \r\ncontent-length: 5\r\nconnection: close\r\n\r\nabcde');
    const post = await h1(port, 'POST /post HTTP/1.1\r\nhost: example.test\r\ntransfer-encoding: chunked', '5\r\nhello\r\n0\r\n\r\n');
    assert.match(post, /^HTTP\/1.1 200 \r\nx-body: hello\r\n/);
    assert.deepEqual(origin.requests[2], [':method', 'POST', ':scheme', 'https', ':path', '/post', 'host', 'example.test']);
    assert.deepEqual(await logs(proxy, 3), ['HTTP/1.1 200 ---- 80 "GET /a?x=1 HTTP/1.1"', 'HTTP/1.1 200 ---- 85 "GET /length HTTP/1.1"', 'HTTP/1.1 200 ---- 84 "POST /post HTTP/1.1"']);
  });
});

test('gRPC-like exchange: request body and te: trailers reach the origin, its grpc-status trailers reach HTTP/1.1 (chunked) and HTTP/2 clients', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port, proxy) => {
    origin.reset();
    const grpcHeaders = { 'content-type': 'application/grpc', te: 'trailers' };
    const answer = await h1(port, 'POST /grpc HTTP/1.1\r\nhost: g.test\r\ncontent-type: application/grpc\r\nte: trailers\r\ncontent-length: 4', 'ping');
    assert.equal(answer, 'HTTP/1.1 200 \r\ncontent-type: application/grpc\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n6\r\nr:ping\r\n0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\n\r\n');
    const [viaH2] = await h2(port + 1, [{ path: '/grpc', method: 'POST', body: 'pong', headers: grpcHeaders }]);
    assert.deepEqual(viaH2, { status: 200, headers: { 'content-type': 'application/grpc' }, body: 'r:pong', trailers: { 'grpc-status': '0', 'grpc-message': 'fine' } });
    assert.deepEqual(origin.requests[0], [':method', 'POST', ':scheme', 'https', ':path', '/grpc', 'host', 'g.test', 'content-type', 'application/grpc', 'te', 'trailers', 'content-length', '4']);
    assert.deepEqual(origin.requests[1], [':method', 'POST', ':scheme', 'http', ':authority', `127.0.0.1:${port + 1}`, ':path', '/grpc', 'content-type', 'application/grpc', 'te', 'trailers']);
    assert.deepEqual(await logs(proxy, 2), ['HTTP/1.1 200 ---- 128 "POST /grpc HTTP/1.1"', `HTTP/2.0 200 ---- 128 "POST http://127.0.0.1:${port + 1}/grpc HTTP/2.0"`]);
  });
});

test("gRPC's trailers-only answer (HEADERS with END_STREAM): one HEADERS frame with END_STREAM to an HTTP/2 client, an empty chunked body to an HTTP/1.1 one", async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port) => {
    const answer = await h1(port, 'POST /grpc-error HTTP/1.1\r\nhost: g.test\r\ncontent-type: application/grpc\r\nte: trailers\r\ncontent-length: 1', 'x');
    assert.equal(answer, 'HTTP/1.1 200 \r\ncontent-type: application/grpc\r\ngrpc-status: 5\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n');
    const session = http2.connect(`http://127.0.0.1:${port + 1}`);
    session.on('error', () => {});
    try {
      const seen = await new Promise<{ status: number; grpcStatus: string; endStream: boolean; data: number }>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/grpc-error', 'content-type': 'application/grpc', te: 'trailers' });
        const result = { status: 0, grpcStatus: '', endStream: false, data: 0 };
        stream.on('response', (h, flags: number) => {
          Object.assign(result, { status: Number(h[':status']), grpcStatus: String(h['grpc-status']), endStream: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0 });
        });
        stream.on('data', () => result.data++);
        stream.on('error', () => {});
        stream.on('close', () => resolve(result));
        stream.end('x');
      });
      assert.deepEqual(seen, { status: 200, grpcStatus: '5', endStream: true, data: 0 });
    } finally {
      session.close();
    }
  });
});

test('HTTP/2 by prior knowledge on a plain HTTP/1.1 bind: the connection preface hands the connection to HTTP/2, as HAProxy 2.6 does', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port, proxy) => {
    origin.reset();
    const answers = await h2(port, [{ path: '/p1' }, { path: '/p2', method: 'POST', body: 'x' }]);
    assert.deepEqual(answers.map((a) => `${a.status} ${a.body}`), ['200 ok /p1', '200 ok /p2']);
    assert.deepEqual((await logs(proxy, 2)).sort(), [`HTTP/2.0 200 ---- 77 "GET http://127.0.0.1:${port}/p1 HTTP/2.0"`, `HTTP/2.0 200 ---- 78 "POST http://127.0.0.1:${port}/p2 HTTP/2.0"`]);
    assert.match(await h1(port, 'GET /still-h1 HTTP/1.1\r\nhost: x'), /^HTTP\/1.1 200 \r\n/);
  });
});

test('big bodies both ways through HTTP/2 flow control: a 3 MB request body, a 3 MB answer to a client that reads slowly', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port) => {
    origin.reset();
    const size = 3 * 1024 * 1024;
    const upload = await h1(port, `POST /size HTTP/1.1\r\nhost: x\r\ncontent-length: ${size}`, 'y'.repeat(size));
    assert.match(upload, /\r\n\r\n[0-9a-fA-F]+\r\ngot 3145728\r\n0\r\n\r\n$/);
    const download = await new Promise<number>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
      let bytes = 0;
      socket.on('data', (d: Buffer) => {
        bytes += d.length;
        // Reads paused now and then: the answer waits for the client (backpressure through the stream's window).
        socket.pause();
        setTimeout(() => socket.resume(), 2);
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(bytes));
    });
    assert.ok(download > size && download < size + 65536, `read ${download} bytes`);
  });
});

/** Waits until the origin has received `count` requests. */
async function received(count: number, from = origin): Promise<void> {
  for (let i = 0; i < 250 && from.requests.length < count; i++) await new Promise((r) => setTimeout(r, 20));
}

test('streams of one HTTP/2 client sent while its first is being served share that server connection (http-reuse safe)', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port) => {
    origin.reset();
    const session = http2.connect(`http://127.0.0.1:${port + 1}`);
    session.on('error', () => {});
    try {
      const get = (path: string) => new Promise<string>((resolve) => {
        const stream = session.request({ ':path': path });
        let body = '';
        stream.setEncoding('latin1');
        stream.on('data', (d: string) => (body += d));
        stream.on('error', () => {});
        stream.on('close', () => resolve(body));
      });
      const first = get('/slow1');
      await received(1);
      const more = await Promise.all(['/slow2', '/slow3', '/slow4'].map(get));
      assert.deepEqual([await first, ...more], ['slow /slow1', 'slow /slow2', 'slow /slow3', 'slow /slow4']);
      assert.equal(origin.connections, 1);
    } finally {
      session.close();
    }
  });
});

test('http-reuse: an idle HTTP/2 server connection is taken again by the next client with always (not with safe), and the clients after it share it at once', async (t) => {
  for (const [reuse, expected] of [['always', 1], ['safe', 4]] as const) {
    await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`, `    http-reuse ${reuse}\n`), async (port) => {
      origin.reset();
      const answers = [await h1(port, 'GET /slow1 HTTP/1.1\r\nhost: x')];
      const later: Array<Promise<string>> = [];
      for (const i of [2, 3, 4]) {
        later.push(h1(port, `GET /slow${i} HTTP/1.1\r\nhost: x`));
        await received(i);
      }
      answers.push(...(await Promise.all(later)));
      assert.deepEqual(answers.map((a) => a.split('\r\n')[0]), ['HTTP/1.1 200 ', 'HTTP/1.1 200 ', 'HTTP/1.1 200 ', 'HTTP/1.1 200 ']);
      assert.equal(origin.connections, expected, `http-reuse ${reuse}`);
    });
  }
});

test('http-reuse never: a client connection keeps its own HTTP/2 server connection for its next requests, another client opens another', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`, '    http-reuse never\n'), async (port) => {
    origin.reset();
    const keepAlive = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /k1 HTTP/1.1\r\nhost: x\r\n\r\n'));
      let data = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        data += d;
        if (data.endsWith('ok /k1\r\n0\r\n\r\n')) socket.write('GET /k2 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(data));
    });
    assert.match(keepAlive, /ok \/k2\r\n0\r\n\r\n$/);
    assert.equal(origin.connections, 1);
    await h1(port, 'GET /other HTTP/1.1\r\nhost: x');
    assert.equal(origin.connections, 2);
  });
});

test('GOAWAY after an answer: the next request goes over a new connection (http-reuse always)', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`, '    http-reuse always\n'), async (port, proxy) => {
    origin.reset();
    const first = await h1(port, 'GET /bye HTTP/1.1\r\nhost: x');
    await new Promise((r) => setTimeout(r, 200));
    const second = await h1(port, 'GET /after HTTP/1.1\r\nhost: x');
    assert.deepEqual([first.split('\r\n')[0], second.split('\r\n')[0], origin.connections], ['HTTP/1.1 200 ', 'HTTP/1.1 200 ', 2]);
    assert.deepEqual(await logs(proxy, 2), ['HTTP/1.1 200 ---- 68 "GET /bye HTTP/1.1"', 'HTTP/1.1 200 ---- 80 "GET /after HTTP/1.1"']);
  });
});

test('timeout server while a stream waits for its answer: 504, sH in the log', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`, '    timeout server 300ms\n'), async (port, proxy) => {
    origin.reset();
    const answer = await h1(port, 'GET /hang HTTP/1.1\r\nhost: x');
    assert.deepEqual({ head: answer.split('\r\n')[0], logs: await logs(proxy, 1) }, { head: 'HTTP/1.1 504 Gateway Time-out', logs: ['HTTP/1.1 504 sH-- 198 "GET /hang HTTP/1.1"'] });
  });
});

/**
 * (An HTTP/2 client's stream differs: haproxy 2.6.12 resets it, REFUSED_STREAM, and logs nothing;
 * Loadstar answers it the same 502 and logs it.)
 */
test('a stream the origin resets before answering: 502 to an HTTP/1.1 client, SH in the log', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port, proxy) => {
    origin.reset();
    const answer = await h1(port, 'GET /rst HTTP/1.1\r\nhost: x');
    assert.deepEqual({ h1: answer.split('\r\n')[0], logs: await logs(proxy, 1) }, { h1: 'HTTP/1.1 502 Bad Gateway', logs: ['HTTP/1.1 502 SH-- 209 "GET /rst HTTP/1.1"'] });
  });
});

test('proto h2 to a server that speaks HTTP/1.1 only: a connection failure (retried), 503 SC, nothing crashes', async (t) => {
  const h1Only = await startNamedServer('h1-only');
  try {
    await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${h1Only.port} proto h2`), async (port, proxy) => {
      const answer = await h1(port, 'GET /x HTTP/1.1\r\nhost: x');
      assert.deepEqual({ head: answer.split('\r\n')[0], logs: await logs(proxy, 1) }, { head: 'HTTP/1.1 503 Service Unavailable', logs: ['HTTP/1.1 503 SC-- 217 "GET /x HTTP/1.1"'] });
    });
  } finally {
    await h1Only.close();
  }
});

test('alpn h2,http/1.1 over TLS: h2 when the origin picks it; alpn http/1.1 keeps HTTP/1.1', async (t) => {
  const tlsServer = (alpn: string) => `server s1 127.0.0.1:${tlsOrigin.port} ssl verify none alpn ${alpn}`;
  await sideBySide(t, (port) => config(port, tlsServer('h2,http/1.1')), async (port, proxy) => {
    tlsOrigin.reset();
    const answers = await h2(port + 1, [{ path: '/one' }, { path: '/two' }]);
    assert.deepEqual(answers.map((a) => `${a.status} ${a.body}`), ['200 ok /one', '200 ok /two']);
    assert.match(await h1(port, 'GET /three HTTP/1.1\r\nhost: x'), /^HTTP\/1.1 200 \r\n/);
    assert.deepEqual(tlsOrigin.versions, ['2.0', '2.0', '2.0']);
    assert.deepEqual((await logs(proxy, 3)).filter((l) => l.includes('/three')), ['HTTP/1.1 200 ---- 80 "GET /three HTTP/1.1"']);
  });
  await sideBySide(t, (port) => config(port, tlsServer('http/1.1')), async (port) => {
    tlsOrigin.reset();
    assert.match(await h1(port, 'GET /four HTTP/1.1\r\nhost: x'), /^HTTP\/1.1 200 OK\r\n[^]*h1 \/four$/);
    assert.deepEqual(tlsOrigin.versions, ['1.1']);
  });
});

test('check-alpn http/1.1: TLS health checks offer it (and send the HTTP/1.0 request of httpchk) to a server whose traffic goes over h2', async (t) => {
  const server = `server s1 127.0.0.1:${tlsOrigin.port} ssl verify none alpn h2,http/1.1 check-alpn http/1.1 check inter 200`;
  await sideBySide(t, (port) => config(port, server, '    option httpchk GET /health\n'), async () => {
    tlsOrigin.reset();
    await received(2, tlsOrigin);
    assert.deepEqual([tlsOrigin.alpns.slice(0, 2), tlsOrigin.versions.slice(0, 2)], [['http/1.1', 'http/1.1'], ['1.0', '1.0']]);
  });
});

test('ws h1 on a proto h2 server: a WebSocket request goes over an HTTP/1.1 connection of its own and becomes a tunnel', async (t) => {
  // A server speaking HTTP/1.1: it accepts the upgrade, then echoes in upper case.
  const heads: string[] = [];
  const ws = await startRawServer((socket) => {
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      if (heads.length > 0 && head === '') return void socket.write(d.toUpperCase());
      head += d;
      if (!head.includes('\r\n\r\n')) return;
      heads.push(head.split('\r\n')[0]!);
      head = '';
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
    });
  });
  try {
    await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${ws.port} proto h2 ws h1`), async (port) => {
      heads.length = 0;
      const seen = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /chat HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n'));
        let data = '';
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => {
          data += d;
          if (data.endsWith('\r\n\r\n')) socket.write('ping');
          if (data.endsWith('PING')) socket.destroy();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(data));
      });
      assert.deepEqual([seen.split('\r\n')[0], seen.endsWith('\r\n\r\nPING'), heads], ['HTTP/1.1 101 Switching Protocols', true, ['GET /chat HTTP/1.1']]);
    });
  } finally {
    await ws.close();
  }
});

test('proto, alpn and ws on server lines, proto on bind lines: what HAProxy 2.6 accepts, and what Loadstar refuses', () => {
  const check = (lines: string, mode = 'http') => {
    const r = parseConfig([{ name: 't.cfg', text: `defaults\n  mode ${mode}\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nfrontend f\n  ${lines.split('\n')[0]}\n  default_backend b\nbackend b\n  ${lines.split('\n')[1] ?? 'server s0 127.0.0.1:1'}\n` }]);
    return r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => `${d.code} ${d.message}`);
  };
  assert.deepEqual(check('bind 127.0.0.1:8001 proto h2\nserver s1 127.0.0.1:1 proto h2 ws h1 alpn h2,http/1.1'), []);
  assert.deepEqual(check('bind 127.0.0.1:8001 proto h1\nserver s1 127.0.0.1:1 proto h1 ws auto check-proto h1'), []);
  assert.deepEqual(check('bind 127.0.0.1:8001\nserver s1 127.0.0.1:1 proto foo'), ["LS_ERR_CFG_BAD_ARGUMENT 'server b/s1' : 'proto' :  unknown MUX protocol 'foo'."]);
  assert.deepEqual(check('bind 127.0.0.1:8001\nserver s1 127.0.0.1:1 ws h3'), ["LS_ERR_CFG_BAD_ARGUMENT 'server b/s1' : 'ws' has to be 'auto', 'h1' or 'h2'."]);
  assert.deepEqual(check('bind 127.0.0.1:8001 proto foo'), ["LS_ERR_CFG_BAD_ARGUMENT 'bind 127.0.0.1:8001' in section 'frontend' : 'proto' :  unknown MUX protocol 'foo'"]);
  assert.deepEqual(check('bind 127.0.0.1:8001 proto h2\nserver s1 127.0.0.1:1 proto h2', 'tcp'), [
    "LS_ERR_CFG_CONFLICT frontend 'f' : MUX protocol 'h2' is not usable for 'bind 127.0.0.1:8001' at [t.cfg:7].",
    "LS_ERR_CFG_CONFLICT backend 'b' : MUX protocol 'h2' is not usable for server 's1' at [t.cfg:10].",
  ]);
  // HTTP/2 health checks (test/proxy/checks/h2-checks.test.ts), and `proto none` on a TCP bind.
  assert.deepEqual(check('bind 127.0.0.1:8001\nserver s1 127.0.0.1:1 check-alpn h2,http/1.1'), []);
  assert.deepEqual(check('bind 127.0.0.1:8001\nserver s1 127.0.0.1:1 check-proto h2'), []);
  assert.deepEqual(check('bind 127.0.0.1:8001 proto none\nserver s1 127.0.0.1:1', 'tcp'), []);
  // WebSocket over HTTP/2 (RFC 8441): test/proxy/http/h2-extended-connect.test.ts.
  assert.deepEqual(check('bind 127.0.0.1:8001\nserver s1 127.0.0.1:1 ws h2'), []);
});

test('an absolute URI without a path reaches an HTTP/2 server with :path * for OPTIONS and / otherwise; an HTTP/2 client\'s OPTIONS * keeps its *', async (t) => {
  await sideBySide(t, (port) => config(port, `server s1 127.0.0.1:${origin.port} proto h2`), async (port) => {
    origin.reset();
    await h1(port, 'OPTIONS http://example.test HTTP/1.1\r\nhost: example.test');
    await h1(port, 'GET http://example.test HTTP/1.1\r\nhost: example.test');
    await h2(port + 1, [{ method: 'OPTIONS', path: '*', headers: { ':authority': 'example.test' } }]);
    const pseudo = (r: string[]) => Object.fromEntries(r.flatMap((v, i) => (i % 2 === 0 && v.startsWith(':') ? [[v, r[i + 1]]] : [])));
    assert.deepEqual(origin.requests.map(pseudo), [
      { ':method': 'OPTIONS', ':scheme': 'http', ':authority': 'example.test', ':path': '*' },
      { ':method': 'GET', ':scheme': 'http', ':authority': 'example.test', ':path': '/' },
      { ':method': 'OPTIONS', ':scheme': 'http', ':authority': 'example.test', ':path': '*' },
    ]);
  });
});
