/**
 * Real HAProxy as the reference: generate a minimal configuration, start
 * `haproxy -f cfg -db` pinned to the proxy core, stop it at the end (the
 * process registry in proc.ts kills it on errors and signals too).
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROXY_CORE, freePort, spawnPinned, waitForPort, type Spawned } from './proc.ts';

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

export interface HaproxyOptions {
  mode: 'http' | 'tcp';
  backendPort: number;
  port?: number;          // frontend port; default a free one
  core?: number;          // default PROXY_CORE
  maxconn?: number;       // default 4096 (HAProxy needs ~2 fds per connection under the fd limit)
}

export interface Haproxy extends Spawned {
  port: number;
  config: string;
}

export function haproxyConfig(o: HaproxyOptions & { port: number }): string {
  return [
    'global',
    '    nbthread 1',
    `    maxconn ${o.maxconn ?? 4096}`,
    '',
    'defaults',
    `    mode ${o.mode}`,
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    ...(o.mode === 'http' ? ['    option http-keep-alive'] : []),
    '',
    'frontend fe',
    `    bind 127.0.0.1:${o.port}`,
    '    default_backend be',
    '',
    'backend be',
    ...(o.mode === 'http' ? ['    http-reuse always'] : []),
    `    server origin 127.0.0.1:${o.backendPort}`,
    '',
  ].join('\n');
}

export async function startHaproxy(o: HaproxyOptions): Promise<Haproxy> {
  const port = o.port ?? await freePort();
  const config = haproxyConfig({ ...o, port });
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-bench-haproxy-'));
  const cfgPath = join(dir, 'haproxy.cfg');
  writeFileSync(cfgPath, config);
  const s = await spawnPinned(HAPROXY_BIN, ['-f', cfgPath, '-db'], { core: o.core ?? PROXY_CORE });
  const origStop = s.stop;
  const stop = async (graceMs?: number): Promise<void> => {
    try { await origStop(graceMs); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
  try {
    await Promise.race([
      waitForPort(port),
      new Promise((_, reject) => s.child.once('exit', (code) => reject(new Error(`exited with code ${code}`)))),
    ]);
  } catch (err) {
    await stop(500);
    throw new Error(`haproxy did not start: ${(err as Error).message}\n${s.stderr.join('')}`);
  }
  return { ...s, stop, port, config };
}
