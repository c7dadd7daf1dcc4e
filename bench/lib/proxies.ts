/**
 * Proxies under test: Loadstar's engine, the Node prototypes in
 * bench/prototypes/ (spawned as pinned child processes; node-http-proxy.ts is
 * the npm `http-proxy` reference) and real HAProxy, behind one interface; plus a
 * correctness check that a proxy really forwards the origin's body over a
 * keep-alive connection.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startHaproxy } from './haproxy.ts';
import { originBody } from './origin.ts';
import { PROXY_CORE, spawnPinned } from './proc.ts';
import { withAllocatorEnv } from '../../proxy/runtime/allocator-env.ts';

export interface RunningProxy {
  name: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
  /** Why the process is gone, if it exited on its own ('' while it runs). */
  died(): string;
}

export interface StartOptions {
  backendPort: number;
  core?: number;
  /** extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir] */
  nodeFlags?: string[];
}

export interface ProxyDef {
  id: string;
  label: string;
  mode: 'http' | 'tcp';
  start(o: StartOptions): Promise<RunningProxy>;
}

function diedReason(child: ChildProcess, stderr: string[]): string {
  if (child.exitCode === null && child.signalCode === null) return '';
  const tail = stderr.join('').trim().split('\n').slice(-3).join(' / ');
  return `exited (code ${child.exitCode}, signal ${child.signalCode})${tail ? `: ${tail}` : ''}`;
}

const protoDir = fileURLToPath(new URL('../prototypes/', import.meta.url));

function nodePrototype(id: string, label: string, mode: 'http' | 'tcp', file: string, extra: string[] = []): ProxyDef {
  return {
    id, label, mode,
    async start(o) {
      const s = await spawnPinned(process.execPath,
        [...(o.nodeFlags ?? []), '--import', 'tsx', protoDir + file, '--port', '0', '--upstream', `127.0.0.1:${o.backendPort}`, ...extra],
        { core: o.core ?? PROXY_CORE, readyLine: /^LISTENING (\d+)/ });
      return { name: label, pid: s.pid, port: Number(s.ready![1]), stop: () => s.stop(), died: () => diedReason(s.child, s.stderr) };
    },
  };
}

function haproxy(id: string, label: string, mode: 'http' | 'tcp'): ProxyDef {
  return {
    id, label, mode,
    async start(o) {
      const h = await startHaproxy({ mode, backendPort: o.backendPort, core: o.core });
      return { name: label, pid: h.pid, port: h.port, stop: () => h.stop(), died: () => diedReason(h.child, h.stderr) };
    },
  };
}

const distDir = fileURLToPath(new URL('../../dist/bench/', import.meta.url));

/** Loadstar's real engine, compiled (`npm run build`), as `loadstar run` executes it. */
function loadstar(id: string, label: string, mode: 'http' | 'tcp'): ProxyDef {
  return {
    id, label, mode,
    async start(o) {
      const s = await spawnPinned(process.execPath,
        [...(o.nodeFlags ?? []), distDir + 'engine-server.js', '--mode', mode, '--upstream', `127.0.0.1:${o.backendPort}`],
        // The malloc settings `loadstar` itself starts with (its shebang; proxy/runtime/allocator-env.ts).
        { core: o.core ?? PROXY_CORE, readyLine: /^LISTENING (\d+)/, env: withAllocatorEnv(process.env) });
      return { name: label, pid: s.pid, port: Number(s.ready![1]), stop: () => s.stop(), died: () => diedReason(s.child, s.stderr) };
    },
  };
}

export const PROXIES: Record<string, ProxyDef> = {
  'loadstar-http': loadstar('loadstar-http', 'Loadstar engine (http)', 'http'),
  'loadstar-tcp': loadstar('loadstar-tcp', 'Loadstar engine (tcp)', 'tcp'),
  'haproxy-http': haproxy('haproxy-http', 'HAProxy 2.6 (http)', 'http'),
  A: nodePrototype('A', 'A node:http + http.Agent', 'http', 'a-http-agent.ts'),
  B: nodePrototype('B', 'B node:http + raw pool/llhttp', 'http', 'b-http-rawpool.ts'),
  'B-consume': nodePrototype('B-consume', 'B + upstream parser.consume()', 'http', 'b-http-rawpool.ts', ['--consume']),
  C: nodePrototype('C', 'C raw net + llhttp both sides', 'http', 'c-raw-llhttp.ts'),
  'C-consume': nodePrototype('C-consume', 'C + parser.consume(_handle)', 'http', 'c-raw-llhttp.ts', ['--consume']),
  'C-consume-timeouts': nodePrototype('C-consume-timeouts', 'C + consume + idle timeouts', 'http', 'c-raw-llhttp.ts', ['--consume', '--timeouts']),
  E: nodePrototype('E', 'E raw net + wasm llhttp both sides', 'http', 'e-wasm-llhttp.ts'),
  'E-in-place': nodePrototype('E-in-place', 'E + reads land in wasm memory', 'http', 'e-wasm-llhttp.ts', ['--in-place']),
  'node-http-proxy': nodePrototype('node-http-proxy', 'node http-proxy (npm)', 'http', 'node-http-proxy.ts'),
  'haproxy-tcp': haproxy('haproxy-tcp', 'HAProxy 2.6 (tcp)', 'tcp'),
  'D-pipe': nodePrototype('D-pipe', 'D tcp, socket.pipe()', 'tcp', 'd-tcp.ts', ['--mode', 'pipe']),
  'D-manual': nodePrototype('D-manual', 'D tcp, write/pause/resume', 'tcp', 'd-tcp.ts', ['--mode', 'manual']),
};

/**
 * GET `url` three times over one keep-alive connection; each body must be
 * `size` bytes of the origin's pattern ('x'… ending in '\n'). Throws otherwise.
 */
export async function verifyProxy(url: string, size: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  try {
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<Buffer>((resolve, reject) => {
        const req = http.get(url, { agent, timeout: 5000 }, (res) => {
          sockets.add(res.socket);
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`status ${res.statusCode}`))));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
      if (!body.equals(originBody(size))) throw new Error(`${url}: body of ${body.length} bytes is not the origin's ${size}-byte body`);
    }
    if (sockets.size !== 1) throw new Error(`${url}: keep-alive not honoured (${sockets.size} connections for 3 requests)`);
  } finally {
    agent.destroy();
  }
}
