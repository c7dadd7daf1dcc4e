/**
 * `http-reuse` and private server connections, recorded from HAProxy 2.6.12 (Debian, `nbthread 1`):
 * which server connection served each request of each client connection, and when server
 * connections closed. Origins number their connections (s1#1, s1#2 …) and name the one a request
 * arrived on in an `x-conn` header. Steps run one after the other: `A` = client connection A sends
 * `GET /`, `A/ntlm` a request answered 401 + `WWW-Authenticate: NTLM`, `Ax` = A closes.
 * - never: a server connection belongs to the client connection that opened it (one per server),
 *   and closes with it;
 * - safe (the default): the first request of a client connection gets a new connection, later
 *   ones take an idle one (fresh first, then one that served several); idle connections beyond the
 *   need seen lately are closed after their exchange;
 * - aggressive: a first request takes a connection that served more than one request;
 *   always: any idle connection;
 * - a 401 with `WWW-Authenticate: NTLM…`/`Nego…` (or 407 with `Proxy-Authenticate`) makes the
 *   connection the client connection's alone (its next requests go to that server), closed with it.
 * Loadstar is checked against the recorded lines; where haproxy is installed the same scenarios
 * replay through it, so a recording that no longer matches HAProxy is noticed. Not compared: which
 * of several idle connections of one list a request takes (HAProxy the oldest, Loadstar the newest,
 * the likeliest still open; docs/architecture.md "Server connection reuse").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http2 from 'node:http2';
import { startEngine, freePort } from '../../helpers/net.ts';
import type { RunningEngine } from '../../helpers/net.ts';
import type { Engine } from '../../../proxy/engine.ts';
import type { HttpBackend } from '../../../proxy/http/frontend.ts';
import type { ServerPool } from '../../../proxy/http/upstream.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { certPath, testCa } from '../../helpers/tls.ts';

const AUTH: Record<string, string> = {
  '/ntlm': '401 Unauthorized\r\nwww-authenticate: NTLM',
  '/nego': '401 Unauthorized\r\nWWW-Authenticate: Negotiate YII=',
  '/basic-then-ntlm': '401 Unauthorized\r\nwww-authenticate: Basic realm=x\r\nwww-authenticate: ntlm',
  '/comma': '401 Unauthorized\r\nwww-authenticate: Basic realm=x, NTLM',
  '/ntlm-200': '200 OK\r\nwww-authenticate: NTLM',
  '/proxy-407': '407 Proxy Authentication Required\r\nproxy-authenticate: NTLM',
  '/www-407': '407 Proxy Authentication Required\r\nwww-authenticate: NTLM',
  '/basic': '401 Unauthorized\r\nwww-authenticate: Basic realm=x',
};

interface Origin { port: number; close(): Promise<void> }

/** An origin that numbers its connections and names the one each request came on. */
async function origin(name: string, events: string[]): Promise<Origin> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    const id = `${name}#${++n}`;
    sockets.add(s);
    let buffered = '';
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      events.push(`closed ${id}`);
    });
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const path = buffered.slice(0, end).split(' ')[1]!;
        buffered = buffered.slice(end + 4);
        s.write(`HTTP/1.1 ${AUTH[path] ?? '200 OK'}\r\nx-conn: ${id}\r\ncontent-length: 0\r\n\r\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

interface Client {
  /** The answer's status and the server connection it came from (its x-conn). */
  get(path: string): Promise<string>;
  close(): void;
}

/** An HTTP/1.1 client connection sending one request at a time. */
class H1Client implements Client {
  private readonly socket: net.Socket;
  private buffered = '';
  private wake: (() => void) | undefined;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.socket.on('data', (d: Buffer) => {
      this.buffered += d.toString('latin1');
      this.wake?.();
    });
    this.socket.on('close', () => this.wake?.());
  }
  async get(path: string): Promise<string> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nhost: app\r\n\r\n`);
    const deadline = Date.now() + 3000;
    for (;;) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 4);
        return `${head.split(' ')[1]} ${/\r\nx-conn: (\S+)/i.exec(head)?.[1] ?? '-'}`;
      }
      if (this.socket.destroyed || Date.now() > deadline) return 'no answer';
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 100); });
    }
  }
  close(): void {
    this.socket.destroy();
  }
}

/** An HTTP/2 client connection (TLS, ALPN h2) sending one stream at a time. */
class H2Client implements Client {
  private readonly session: http2.ClientHttp2Session;
  constructor(port: number) {
    this.session = http2.connect(`https://127.0.0.1:${port}`, { ca: testCa, servername: 'site.home.arpa' });
    this.session.on('error', (e) => (this.error = e.message));
  }
  private error = '';
  get(path: string): Promise<string> {
    return new Promise((resolve) => {
      if (this.session.destroyed) return resolve(`no answer (${this.error})`);
      const stream = this.session.request({ ':path': path });
      stream.on('response', (h) => resolve(`${h[':status']} ${h['x-conn'] ?? '-'}`));
      stream.on('error', () => resolve('no answer'));
      stream.resume();
    });
  }
  close(): void {
    this.session.destroy();
  }
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 40));

/** Runs the steps (`A`, `A/path`, `Ax`) through a proxy on `port`; one line per step, with the server connections that closed meanwhile. */
async function play(port: number, steps: string[], events: string[], h2: boolean): Promise<string[]> {
  const clients = new Map<string, Client>();
  const lines: string[] = [];
  for (const step of steps) {
    const name = step[0]!;
    let line: string;
    if (step.slice(1) === 'x') {
      clients.get(name)?.close();
      clients.delete(name);
      line = `${step} closes`;
    } else {
      let c = clients.get(name);
      if (!c) clients.set(name, (c = h2 ? new H2Client(port) : new H1Client(port)));
      line = `${step} -> ${await c.get(step.slice(1) || '/')}`;
    }
    await settle();
    // A proxy closes a client's private server connection shortly after the client: on a loaded
    // machine haproxy took more than the settling time, and the close showed under the next step.
    if (step.slice(1) === 'x') for (let i = 0; i < 5 && events.length === 0; i++) await settle();
    const closed = events.splice(0).sort();
    lines.push(closed.length ? `${line} (${closed.join(', ')})` : line);
  }
  for (const c of clients.values()) c.close();
  return lines;
}

interface Scenario { reuse: string | undefined; servers: 1 | 2; steps: string[]; h2?: boolean; backendLine?: string; frontendLine?: string; defaultsLine?: string }

function config(port: number, s: Scenario, origins: Origin[]): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
${s.defaultsLine ? `    ${s.defaultsLine}\n` : ''}frontend fe
    bind 127.0.0.1:${port}${s.h2 ? ` ssl crt ${certPath('site.pem')} alpn h2` : ''}
${s.frontendLine ? `    ${s.frontendLine}\n` : ''}    default_backend be
backend be
${s.reuse ? `    http-reuse ${s.reuse}\n` : ''}${s.backendLine ? `    ${s.backendLine}\n` : ''}${origins.slice(0, s.servers).map((o, i) => `    server s${i + 1} 127.0.0.1:${o.port}\n`).join('')}`;
}

async function run(proxy: 'loadstar' | 'haproxy', s: Scenario): Promise<string[]> {
  const events: string[] = [];
  const origins = [await origin('s1', events), await origin('s2', events)];
  const port = await freePort();
  const text = config(port, s, origins);
  // An engine that does not start must not leave the origins open (the test process would wait on them).
  const p = await (proxy === 'haproxy' ? startHaproxy(text, port) : startEngine(text)).catch(async (err: unknown) => {
    for (const o of origins) await o.close();
    throw err;
  });
  try {
    const lines = await play(proxy === 'haproxy' ? port : (p as { port: number }).port, s.steps, events, s.h2 ?? false);
    if (proxy === 'loadstar') {
      // Bookkeeping: with every client gone, no server connection is counted as serving a request.
      await settle();
      const used = serverPools((p as RunningEngine).engine).reduce((n, pool) => n + pool.used, 0);
      if (used !== 0) lines.push(`${used} server connections still counted in use`);
    }
    return lines;
  } finally {
    await p.stop();
    for (const o of origins) await o.close();
  }
}

/** The server pools of the engine's backends (internals: the `used` count is checked). */
function serverPools(engine: Engine): ServerPool[] {
  const tables = (engine as unknown as { tables: { httpBackends: Map<string, HttpBackend> } }).tables;
  return [...tables.httpBackends.values()].flatMap((b) => b.runtime.servers.map((s) => b.pool(s)));
}

const MIXED = 'A A B B A C Ax C D Bx Cx Dx E'.split(' ');

/** Scenario → the lines HAProxy 2.6.12 gave. */
const RECORDED: Array<[string, Scenario, string[]]> = [
  ['never: each client connection keeps its own server connection, closed with it', { reuse: 'never', servers: 1, steps: MIXED }, [
    'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#2', 'B -> 200 s1#2', 'A -> 200 s1#1', 'C -> 200 s1#3', 'Ax closes (closed s1#1)',
    'C -> 200 s1#3', 'D -> 200 s1#4', 'Bx closes (closed s1#2)', 'Cx closes (closed s1#3)', 'Dx closes (closed s1#4)', 'E -> 200 s1#5',
  ]],
  ['safe: a first request gets a new connection, later ones share idle ones; extra idle ones close', { reuse: 'safe', servers: 1, steps: MIXED }, [
    'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#2 (closed s1#2)', 'B -> 200 s1#1', 'A -> 200 s1#1', 'C -> 200 s1#3 (closed s1#3)', 'Ax closes',
    'C -> 200 s1#1', 'D -> 200 s1#4 (closed s1#4)', 'Bx closes', 'Cx closes', 'Dx closes', 'E -> 200 s1#5 (closed s1#5)',
  ]],
  ['aggressive: a first request takes a connection that served several', { reuse: 'aggressive', servers: 1, steps: MIXED }, [
    'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#1', 'B -> 200 s1#1', 'A -> 200 s1#1', 'C -> 200 s1#1', 'Ax closes',
    'C -> 200 s1#1', 'D -> 200 s1#1', 'Bx closes', 'Cx closes', 'Dx closes', 'E -> 200 s1#1',
  ]],
  ['aggressive: a connection that served one request is not for first requests', { reuse: 'aggressive', servers: 1, steps: ['A', 'B', 'B', 'C'] }, [
    'A -> 200 s1#1', 'B -> 200 s1#2 (closed s1#2)', 'B -> 200 s1#1', 'C -> 200 s1#1',
  ]],
  ['always: any idle connection', { reuse: 'always', servers: 1, steps: ['A', 'B', 'B', 'C'] }, [
    'A -> 200 s1#1', 'B -> 200 s1#1', 'B -> 200 s1#1', 'C -> 200 s1#1',
  ]],
  ['no http-reuse is safe', { reuse: undefined, servers: 1, steps: ['A', 'A', 'B', 'B', 'Ax', 'C'] }, [
    'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#2 (closed s1#2)', 'B -> 200 s1#1', 'Ax closes', 'C -> 200 s1#3 (closed s1#3)',
  ]],
  ['never with two servers: one connection per server for each client connection', { reuse: 'never', servers: 2, steps: ['A', 'A', 'A', 'A', 'B', 'B', 'Ax'] }, [
    'A -> 200 s1#1', 'A -> 200 s2#1', 'A -> 200 s1#1', 'A -> 200 s2#1', 'B -> 200 s1#2', 'B -> 200 s2#2', 'Ax closes (closed s1#1, closed s2#1)',
  ]],
  ['safe with two servers: idle connections per server', { reuse: 'safe', servers: 2, steps: ['A', 'B', 'A', 'B', 'C', 'A', 'B', 'C'] }, [
    'A -> 200 s1#1', 'B -> 200 s2#1', 'A -> 200 s1#1', 'B -> 200 s2#1', 'C -> 200 s1#2 (closed s1#2)', 'A -> 200 s2#1', 'B -> 200 s1#1', 'C -> 200 s2#1',
  ]],
  ['never, NTLM: the client connection stays on the server that authenticated it', { reuse: 'never', servers: 2, steps: ['A/ntlm', 'A', 'A', 'B', 'B', 'A'] }, [
    'A/ntlm -> 401 s1#1', 'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s2#1', 'B -> 200 s1#2', 'A -> 200 s1#1',
  ]],
  ['never with option prefer-last-server: a client connection stays on the server it owns a connection to', { reuse: 'never', servers: 2, backendLine: 'option prefer-last-server', steps: ['A', 'A', 'A', 'B', 'B'] }, [
    'A -> 200 s1#1', 'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s2#1', 'B -> 200 s2#1',
  ]],
  // A hashing algorithm (HAProxy's BE_LB_KIND_HI) is never sent to the last server; a header the requests lack falls back to round robin.
  ['never with option prefer-last-server and balance hdr(): no effect, the hash (here round robin) chooses', { reuse: 'never', servers: 2, backendLine: 'option prefer-last-server\n    balance hdr(x-absent)', steps: ['A', 'A', 'A', 'B', 'B'] }, [
    'A -> 200 s1#1', 'A -> 200 s2#1', 'A -> 200 s1#1', 'B -> 200 s2#2', 'B -> 200 s1#2',
  ]],
  ['never, NTLM, balance hdr(): the client connection is not kept on the server that authenticated it', { reuse: 'never', servers: 2, backendLine: 'balance hdr(x-absent)', steps: ['A/ntlm', 'A', 'A', 'B', 'B', 'A'] }, [
    'A/ntlm -> 401 s1#1', 'A -> 200 s2#1', 'A -> 200 s1#1', 'B -> 200 s2#2', 'B -> 200 s1#2', 'A -> 200 s2#1',
  ]],
  ['safe with option prefer-last-server: no effect (a client connection owns no connection)', { reuse: 'safe', servers: 2, backendLine: 'option prefer-last-server', steps: ['A', 'A', 'A', 'B', 'B'] }, [
    'A -> 200 s1#1', 'A -> 200 s2#1', 'A -> 200 s1#1', 'B -> 200 s2#2 (closed s2#2)', 'B -> 200 s1#1',
  ]],
  ['NTLM: the connection is private, its client stays on that server, it closes with its client', { reuse: 'safe', servers: 2, steps: ['A/ntlm', 'A', 'A', 'B', 'B', 'A', 'Ax', 'C', 'C'] }, [
    'A/ntlm -> 401 s1#1', 'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s2#1', 'B -> 200 s1#2', 'A -> 200 s1#1', 'Ax closes (closed s1#1)', 'C -> 200 s2#2 (closed s2#2)', 'C -> 200 s1#2',
  ]],
];

// max-session-srv-conns: how many idle connections of its own a client connection keeps.
RECORDED.push(['never, max-session-srv-conns 1: a client connection keeps one idle connection', { reuse: 'never', servers: 2, frontendLine: 'max-session-srv-conns 1', steps: ['A', 'A', 'A', 'A', 'B', 'Ax'] }, [
  'A -> 200 s1#1', 'A -> 200 s2#1 (closed s2#1)', 'A -> 200 s1#1', 'A -> 200 s2#2 (closed s2#2)', 'B -> 200 s1#2', 'Ax closes (closed s1#1)',
]]);
RECORDED.push(['never, max-session-srv-conns 0: a client connection keeps none', { reuse: 'never', servers: 1, frontendLine: 'max-session-srv-conns 0', steps: ['A', 'A', 'Ax'] }, [
  'A -> 200 s1#1 (closed s1#1)', 'A -> 200 s1#2 (closed s1#2)', 'Ax closes',
]]);
RECORDED.push(['never, max-session-srv-conns 1 from the defaults section', { reuse: 'never', servers: 2, defaultsLine: 'max-session-srv-conns 1', steps: ['A', 'A', 'A', 'A', 'Ax'] }, [
  'A -> 200 s1#1', 'A -> 200 s2#1 (closed s2#1)', 'A -> 200 s1#1', 'A -> 200 s2#2 (closed s2#2)', 'Ax closes (closed s1#1)',
]]);

// An HTTP/2 client connection is one session, its streams its requests, each of them taken as a
// request after the first: with safe, a new h2 connection's first stream takes an idle connection.
const H2_STEPS = ['A', 'A', 'A', 'B', 'B', 'Ax', 'C', 'C/ntlm', 'C', 'D', 'Cx'];
RECORDED.push(['HTTP/2 clients, no http-reuse (safe)', { reuse: undefined, servers: 1, h2: true, steps: H2_STEPS }, [
  'A -> 200 s1#1', 'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#1', 'B -> 200 s1#1', 'Ax closes', 'C -> 200 s1#1', 'C/ntlm -> 401 s1#1', 'C -> 200 s1#1', 'D -> 200 s1#2', 'Cx closes (closed s1#1)',
]]);
RECORDED.push(['HTTP/2 clients, never', { reuse: 'never', servers: 1, h2: true, steps: H2_STEPS }, [
  'A -> 200 s1#1', 'A -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#2', 'B -> 200 s1#2', 'Ax closes (closed s1#1)', 'C -> 200 s1#3', 'C/ntlm -> 401 s1#3', 'C -> 200 s1#3', 'D -> 200 s1#4', 'Cx closes (closed s1#3)',
]]);
RECORDED.push(['HTTP/2 clients, aggressive: a new h2 connection takes a connection that served one request', { reuse: 'aggressive', servers: 1, h2: true, steps: ['A', 'Ax', 'B'] }, [
  'A -> 200 s1#1', 'Ax closes', 'B -> 200 s1#1',
]]);

/** With `http-reuse always` (any idle connection otherwise): which answers make the connection private. */
const AUTH_CASES: Array<[string, boolean]> = [
  ['/ntlm', true], ['/nego', true], ['/basic-then-ntlm', true], ['/comma', true], ['/proxy-407', true],
  ['/ntlm-200', false], ['/www-407', false], ['/basic', false],
];
for (const [path, isPrivate] of AUTH_CASES) {
  const status = AUTH[path]!.slice(0, 3);
  RECORDED.push([`always, ${path} (${AUTH[path]!.replace(/\r\n/g, ' | ')}): ${isPrivate ? 'private' : 'shared'}`, { reuse: 'always', servers: 1, steps: [`A${path}`, 'B', 'A', 'B', 'Ax', 'B'] }, isPrivate
    ? [`A${path} -> ${status} s1#1`, 'B -> 200 s1#2', 'A -> 200 s1#1', 'B -> 200 s1#2', 'Ax closes (closed s1#1)', 'B -> 200 s1#2']
    : [`A${path} -> ${status} s1#1`, 'B -> 200 s1#1', 'A -> 200 s1#1', 'B -> 200 s1#1', 'Ax closes', 'B -> 200 s1#1']]);
}

for (const [name, scenario, expected] of RECORDED) {
  test(`http-reuse, ${name}`, async () => {
    assert.deepEqual(await run('loadstar', scenario), expected);
  });
}

test('the recordings still match HAProxy', async (t) => {
  if (!requireHaproxy(t)) return;
  for (const [name, scenario, expected] of RECORDED) {
    assert.deepEqual(await run('haproxy', scenario), expected, name);
  }
});

test('a server connection that became a tunnel (101) is no longer counted in use by its pool', async () => {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const e = await startEngine(config(await freePort(), { reuse: undefined, servers: 1, steps: [] }, [{ port: (server.address() as net.AddressInfo).port, close: async () => {} }]));
  try {
    const client = net.connect(e.port, '127.0.0.1');
    client.on('error', () => {});
    client.write('GET /ws HTTP/1.1\r\nhost: app\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n');
    const head = await new Promise<string>((r) => client.once('data', (d: Buffer) => r(d.toString('latin1'))));
    assert.match(head, /^HTTP\/1\.1 101 /);
    client.destroy();
    await settle();
    assert.deepEqual(serverPools(e.engine).map((p) => p.used), [0]);
  } finally {
    await e.stop();
    server.close();
  }
});
