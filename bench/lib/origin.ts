/**
 * Benchmark origins, started as pinned child processes on the load core:
 *  - 'node'    bench/lib/origin-server.ts (raw `net`, see there) — the default;
 *  - 'node-http' the same file with plain node:http (slower, for comparison);
 *  - 'haproxy' a second HAProxy answering `http-request return ... file`,
 *              the cheapest origin available here (~13 µs/req vs ~20 µs/req
 *              for 'node' on this machine), used when the load core would
 *              otherwise cap the reference proxy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAPROXY_BIN } from './haproxy.ts';
import { LOAD_CORE, freePort, spawnPinned, waitForPort, type Spawned } from './proc.ts';

export type OriginKind = 'node' | 'node-http' | 'haproxy';

export const SMALL = 100;
export const LARGE = 64 * 1024;

export interface Origin extends Spawned {
  impl: string;
  /** body size -> port */
  ports: Map<number, number>;
}

const script = fileURLToPath(new URL('./origin-server.ts', import.meta.url));

export interface OriginOptions { kind?: OriginKind; sizes?: number[]; core?: number }

export async function startOrigin(opts: OriginOptions = {}): Promise<Origin> {
  const sizes = opts.sizes ?? [SMALL, LARGE];
  if (opts.kind === 'haproxy') return startHaproxyOrigin(sizes, opts.core ?? LOAD_CORE);
  const impl = opts.kind === 'node-http' ? 'http' : 'raw';
  const s = await spawnPinned(process.execPath, ['--import', 'tsx', script, '--impl', impl, '--sizes', sizes.join(',')], {
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
    const b = Buffer.alloc(size, 'x');
    if (size > 0) b[size - 1] = 0x0a;
    writeFileSync(file, b);
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
