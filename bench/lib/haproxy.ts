/**
 * Real HAProxy as the reference: generate a minimal configuration, start
 * `haproxy -f cfg -db` pinned to the proxy core, stop it at the end (the
 * process registry in proc.ts kills it on errors and signals too).
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { PROXY_CORE, freePort, spawnPinned, waitForPort, type Spawned } from './proc.ts';

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

export interface HaproxyOptions {
  mode: 'http' | 'tcp';
  backendPort: number;
  port?: number;          // frontend port; default a free one
  core?: number;          // default PROXY_CORE
  maxconn?: number;       // default 4096 (HAProxy needs ~2 fds per connection under the fd limit)
  /** terminate TLS on the frontend: `bind … ssl crt FILE [alpn LIST]` */
  ssl?: { crt: string; alpn?: string };
  /** add a `stats socket` (its path is in Haproxy.statsSocket), e.g. to read `show info` counters */
  statsSocket?: boolean;
}

export interface Haproxy extends Spawned {
  port: number;
  config: string;
  statsSocket?: string;
}

export function haproxyConfig(o: HaproxyOptions & { port: number; statsSocketPath?: string }): string {
  const ssl = o.ssl ? ` ssl crt ${o.ssl.crt}${o.ssl.alpn ? ` alpn ${o.ssl.alpn}` : ''}` : '';
  return [
    'global',
    '    nbthread 1',
    `    maxconn ${o.maxconn ?? 4096}`,
    ...(o.statsSocketPath ? [`    stats socket ${o.statsSocketPath}`] : []),
    '',
    'defaults',
    `    mode ${o.mode}`,
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    ...(o.mode === 'http' ? ['    option http-keep-alive'] : []),
    '',
    'frontend fe',
    `    bind 127.0.0.1:${o.port}${ssl}`,
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
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-bench-haproxy-'));
  const statsSocket = o.statsSocket ? join(dir, 'stats.sock') : undefined;
  const config = haproxyConfig({ ...o, port, statsSocketPath: statsSocket });
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
  return { ...s, stop, port, config, statsSocket };
}

/** `show info` over a stats socket, as name -> value (e.g. CumSslConns, SslFrontendSessionReuse_pct). */
export async function haproxyShowInfo(socketPath: string, timeoutMs = 2000): Promise<Map<string, string>> {
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    const s = net.connect(socketPath, () => s.end('show info\n'));
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`no answer on ${socketPath}`)));
    s.setEncoding('utf8').on('data', (d: string) => { out += d; });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  const info = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) info.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return info;
}
