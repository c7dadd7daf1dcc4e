/**
 * Benchmark origins, started as pinned child processes on the load core:
 *  - 'nginx'   nginx (Debian's nginx-light, /usr/sbin/nginx, or $NGINX_BIN) as
 *              one process (no master, one worker) from a temporary prefix:
 *              small bodies by `return 200 "<body>"`, bigger ones as a static
 *              file with sendfile — issue #15's set-up and `npm run bench`'s
 *              origin;
 *  - 'node'    bench/lib/origin-server.ts (raw `net`, see there) — the default here;
 *  - 'node-http' the same file with plain node:http (slower, for comparison);
 *  - 'haproxy' a second HAProxy answering `http-request return ... file`,
 *              the cheapest origin available here (~13 µs/req vs ~20 µs/req
 *              for 'node' on this machine), used when the load core would
 *              otherwise cap the reference proxy.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAPROXY_BIN } from './haproxy.ts';
import { LOAD_CORE, freePort, spawnPinned, waitForPort, type Spawned } from './proc.ts';

export type OriginKind = 'nginx' | 'node' | 'node-http' | 'haproxy';

export const ORIGIN_KINDS: readonly OriginKind[] = ['nginx', 'node', 'node-http', 'haproxy'];

export const SMALL = 100;
export const LARGE = 64 * 1024;

export interface Origin extends Spawned {
  impl: string;
  /** body size -> port */
  ports: Map<number, number>;
  /** a port answering `/<size>` with that size's body, for each size (nginx only): one proxy process can then serve both sizes (the mixed run) */
  mixedPort?: number;
}

const script = fileURLToPath(new URL('./origin-server.ts', import.meta.url));

/** The body every origin answers with, and verifyProxy expects: `size` bytes of 'x', the last one '\n'. */
export function originBody(size: number): Buffer {
  const b = Buffer.alloc(size, 'x');
  if (size > 0) b[size - 1] = 0x0a;
  return b;
}

/** `chunked`: the raw origin sends its bodies as chunks of that many bytes (origin-server.ts). */
export interface OriginOptions { kind?: OriginKind; sizes?: number[]; core?: number; chunked?: number }

export async function startOrigin(opts: OriginOptions = {}): Promise<Origin> {
  const sizes = opts.sizes ?? [SMALL, LARGE];
  if (opts.kind === 'haproxy') return startHaproxyOrigin(sizes, opts.core ?? LOAD_CORE);
  if (opts.kind === 'nginx') return startNginxOrigin(sizes, opts.core ?? LOAD_CORE);
  const impl = opts.kind === 'node-http' ? 'http' : 'raw';
  const s = await spawnPinned(process.execPath, ['--import', 'tsx', script, '--impl', impl, '--sizes', sizes.join(','), ...(opts.chunked ? ['--chunked', String(opts.chunked)] : [])], {
    core: opts.core ?? LOAD_CORE,
    readyLine: /^ORIGIN (\S+) (.*)$/,
  });
  const ports = new Map<number, number>();
  for (const pair of s.ready![2].split(' ')) {
    const [size, port] = pair.split('=').map(Number);
    ports.set(size, port);
  }
  return { ...s, impl, ports };
}

async function startHaproxyOrigin(sizes: number[], core: number): Promise<Origin> {
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-bench-origin-'));
  const ports = new Map<number, number>();
  const lines = ['global', '    nbthread 1', '    maxconn 4096',
    // the whole response must fit in one buffer for `http-request return`
    `    tune.bufsize ${Math.max(16384, Math.max(...sizes) + 32768)}`, '',
    'defaults', '    mode http', '    timeout connect 5s', '    timeout client 30s', '    timeout server 30s', ''];
  for (const size of sizes) {
    const port = await freePort();
    ports.set(size, port);
    const file = join(dir, `body-${size}.txt`);
    writeFileSync(file, originBody(size));
    lines.push(`frontend origin_${size}`, `    bind 127.0.0.1:${port}`,
      `    http-request return status 200 content-type text/plain file ${file}`, '');
  }
  const cfg = join(dir, 'origin.cfg');
  writeFileSync(cfg, lines.join('\n'));
  const s = await spawnPinned(HAPROXY_BIN, ['-f', cfg, '-db'], { core });
  const origStop = s.stop;
  const stop = async (graceMs?: number): Promise<void> => {
    try { await origStop(graceMs); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
  try {
    for (const port of ports.values()) await waitForPort(port);
  } catch (err) {
    await stop(500);
    throw err;
  }
  return { ...s, stop, ready: null, impl: 'haproxy', ports } as Origin;
}

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** Bodies up to this size are answered by `return 200 "<body>"`; bigger ones are a static file (sendfile). */
const NGINX_RETURN_MAX = 1024;

/** Is there an nginx to start? (the benchmarks fall back to the node origin, loudly, when not) */
export function nginxAvailable(): boolean {
  return existsSync(NGINX_BIN);
}

/**
 * nginx.conf for the origin: one process (no master, one worker, not a
 * daemon), everything under `dir` (pid, temp paths: nginx creates them at
 * start), no access log, keep-alive connections that never end during a run,
 * one server per body size on 127.0.0.1:`ports.get(size)`, and on
 * `mixedPort` one answering `/<size>` for each size.
 */
export function nginxOriginConfig(dir: string, ports: Map<number, number>, mixedPort?: number): string {
  const lines = [
    'daemon off;', 'master_process off;', 'worker_processes 1;', 'error_log stderr warn;', `pid ${join(dir, 'nginx.pid')};`,
    'events { worker_connections 8192; }',
    'http {',
    '    access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, 'tmp', t)};`),
    '    types { }',
    '    default_type text/plain;',
    '    keepalive_requests 100000000;',
    '    keepalive_timeout 600s;',
    '    sendfile on;',
  ];
  // a small body is a literal (nginx's quoted strings take \n; the body is 'x'… so nothing else needs escaping), a big one a file
  const answer = (size: number): string => size <= NGINX_RETURN_MAX
    ? `return 200 "${originBody(size).toString('latin1').replace(/\n/g, '\\n')}";`
    : `try_files /body-${size}.txt =404;`;
  for (const [size, port] of ports) {
    lines.push(`    server { listen 127.0.0.1:${port}; root ${dir}; location / { ${answer(size)} } }`);
  }
  if (mixedPort !== undefined) {
    lines.push(`    server { listen 127.0.0.1:${mixedPort}; root ${dir};`,
      ...[...ports.keys()].map((size) => `        location = /${size} { ${answer(size)} }`), '    }');
  }
  lines.push('}', '');
  return lines.join('\n');
}

async function startNginxOrigin(sizes: number[], core: number): Promise<Origin> {
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-bench-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  const ports = new Map<number, number>();
  for (const size of sizes) {
    ports.set(size, await freePort());
    if (size > NGINX_RETURN_MAX) writeFileSync(join(dir, `body-${size}.txt`), originBody(size));
  }
  const mixedPort = await freePort();
  const cfg = join(dir, 'nginx.conf');
  writeFileSync(cfg, nginxOriginConfig(dir, ports, mixedPort));
  // -e stderr: errors before the configuration is read go to stderr, not to /var/log/nginx
  const s = await spawnPinned(NGINX_BIN, ['-e', 'stderr', '-p', `${dir}/`, '-c', cfg], { core });
  const origStop = s.stop;
  const stop = async (graceMs?: number): Promise<void> => {
    try { await origStop(graceMs); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
  try {
    await Promise.race([
      Promise.all([...ports.values(), mixedPort].map((port) => waitForPort(port))),
      new Promise((_, reject) => s.child.once('exit', (code) => reject(new Error(`exited with code ${code}`)))),
    ]);
  } catch (err) {
    await stop(500);
    throw new Error(`nginx did not start: ${(err as Error).message}\n${s.stderr.join('')}`);
  }
  return { ...s, stop, ready: null, impl: 'nginx', ports, mixedPort } as Origin;
}
