/**
 * A live HAProxy to observe pick orders: one tiny Node HTTP server stands for
 * every backend server (HAProxy tells which server it picked in an `X-Server`
 * response header, `%s`), HAProxy runs in the foreground with one thread (its
 * `random` generator is per thread and deterministic from start-up), and the
 * runtime API (stats socket) marks servers down, changes weights, etc.
 *
 * Everything started here is stopped by `stop()`; callers use try/finally.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../helpers/ports.ts';
import { haproxyPath } from '../../helpers/haproxy.ts';

export interface LiveBackend {
  port: number;
  /** Requests received so far. */
  readonly arrivals: number;
  /** Answers the request sent with `?hold=ID` (held until then). */
  release(id: string): void;
  stop(): Promise<void>;
}

/**
 * An HTTP server answering 200 at once, or, for `?hold=ID`, when `release(ID)` is
 * called. Every server of the observed backend points to it: HAProxy names the
 * server it picked in the response.
 */
export async function startBackend(): Promise<LiveBackend> {
  const sockets = new Set<net.Socket>();
  const held = new Map<string, () => void>();
  let arrivals = 0;
  const server = http.createServer((req, res) => {
    arrivals++;
    const m = /[?&]hold=([^&]+)/.exec(req.url ?? '');
    const answer = (): void => { res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }); res.end('ok\n'); };
    if (m) held.set(m[1]!, answer); else answer();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get arrivals() { return arrivals; },
    release: (id) => {
      const answer = held.get(id);
      held.delete(id);
      answer?.();
    },
    stop: () => new Promise<void>((resolve) => {
      for (const answer of held.values()) answer();
      held.clear();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface LiveHaproxy {
  port: number;
  /** One runtime API command; returns its output. */
  cli(command: string): Promise<string>;
  /** GET `path` with `headers`; resolves to the X-Server header (or `<status>` when none). */
  get(path: string, headers?: Record<string, string>, localAddress?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy with `global`/`defaults` set up for observation and `body` (a
 * `listen`/`backend` section using `__PORT__` for its bind port) appended.
 */
export async function startHaproxy(body: string): Promise<LiveHaproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-lb-'));
  const sock = path.join(dir, 'admin.sock');
  const port = await freePort();
  const cfg = [
    'global',
    '  nbthread 1',
    `  stats socket ${sock} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    '  timeout queue 10s',
    body.replaceAll('__PORT__', String(port)),
    '',
  ].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, cfg);
  const child: ChildProcess = spawn(haproxyPath!, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}\n${cfg}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(sock);
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  const cli = (command: string): Promise<string> => new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let out = '';
    c.on('data', (d) => { out += d.toString(); });
    c.once('error', reject);
    c.once('close', () => resolve(out));
    c.end(`${command}\n`);
  });

  const get = (p: string, headers: Record<string, string> = {}, localAddress?: string): Promise<string> => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers, agent: false, localAddress }, (res) => {
      res.resume();
      res.on('end', () => {
        const h = res.headers['x-server'];
        resolve(typeof h === 'string' ? h : `<${res.statusCode}>`);
      });
    });
    req.once('error', reject);
    req.end();
  });

  return {
    port,
    cli,
    get,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
