/** Real servers and clients on 127.0.0.1 for integration tests (DESIGN.md §6). */
import http from 'node:http';
import net from 'node:net';
import { parseConfig, formatDiagnostics } from '../../proxy/config/index.ts';
import { Engine } from '../../proxy/engine.ts';
import type { LogSink } from '../../proxy/runtime/logger.ts';
import { freePort } from './ports.ts';

export { freePort };

/** The `defaults` section most engine tests share: HTTP mode, short timeouts. */
export const HTTP_DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
`;

/**
 * Defaults and a frontend on `bindPort` whose default backend is `app` (the caller writes
 * `backend app`): the shape of the health-check tests, with a short connect timeout.
 */
export function frontendToApp(bindPort: number): string {
  return `defaults
    mode http
    timeout connect 500ms
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${bindPort}
    default_backend app
`;
}

/** Polls `cond` every 10 ms; resolves with the time it took, throws after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

export interface TestServer {
  name: string;
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server that answers with its own name (body and `x-server` header). */
export async function startNamedServer(name: string, handler?: http.RequestListener): Promise<TestServer> {
  const state = { hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    if (handler) return handler(req, res);
    req.resume();
    req.on('end', () => {
      res.setHeader('x-server', name);
      res.setHeader('x-seen-url', req.url ?? '');
      res.setHeader('x-seen-xff', String(req.headers['x-forwarded-for'] ?? ''));
      res.end(name);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    port,
    get hits() { return state.hits; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A raw TCP server whose connection handler misbehaves as the test needs. */
export async function startRawServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

export interface RunningEngine {
  engine: Engine;
  port: number;
  logs: string[];
  alerts: string[];
  stop(): Promise<void>;
}

/** Parses `text` (must be valid), starts an engine, and collects its logs. */
export async function startEngine(text: string): Promise<RunningEngine> {
  const result = parseConfig([{ name: 'test.cfg', text }]);
  if (!result.ok) throw new Error(`test configuration is invalid:\n${formatDiagnostics(result.diagnostics)}`);
  const logs: string[] = [];
  const alerts: string[] = [];
  const sink: LogSink = { traffic: (l) => logs.push(l), alert: (a) => alerts.push(a) };
  const engine = new Engine(result.config, { sink });
  await engine.start();
  const port = engine.addresses()[0]?.port ?? 0;
  return { engine, port, logs, alerts, stop: () => engine.stop(200) };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http; `agent` lets several requests share a keep-alive connection. */
export function request(port: number, path = '/', options: http.RequestOptions & { body?: string } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')));
    req.end(options.body);
  });
}

/** Sends raw bytes and collects everything until the server closes (or `ms` passes). */
export function rawExchange(port: number, data: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
    socket.on('error', reject);
    socket.on('connect', () => { if (data.length > 0) socket.write(data); });
  });
}

/** An engine with one TCP-mode `listen` in front of `serverPort` (option tcplog: one log line per session). */
export async function startTcpListen(serverPort: number): Promise<RunningEngine> {
  return startEngine(`
defaults
    mode tcp
    option tcplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen db
    bind 127.0.0.1:${await freePort()}
    server s1 127.0.0.1:${serverPort}
`);
}
