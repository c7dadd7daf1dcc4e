/**
 * Loadstar's real engine as a benchmark target, in the process that calls it:
 * one frontend on 127.0.0.1 forwarding to the origin with the settings the
 * HAProxy side of the benchmarks uses. Prints `LISTENING <port>` when ready and
 * exits cleanly on SIGTERM/SIGINT (so `--cpu-prof` can write its profile).
 */
import { parseConfig, formatDiagnostics } from '../../proxy/config/index.ts';
import { Engine } from '../../proxy/engine.ts';
import { startQuietReclaim } from '../../proxy/runtime/quiet-reclaim.ts';
import { freePort } from './proc.ts';

export interface ServeOptions {
  upstream: string;
  mode?: 'http' | 'tcp';
  port?: number;
  /** Extra words on the `bind` line, e.g. `ssl crt site.pem`. */
  bindOptions?: string;
  /** Statistics on (default) or off (bench/stats-cost.ts). */
  stats?: boolean;
  /** `compression algo <this>` in the frontend (bench/ab.ts --b-args "--compression gzip": what compressing costs). */
  compression?: string;
  /** Print a `RECLAIM <step> <ms> <heap MiB before> <after>` line on stdout for each quiet-time reclaim step (bench:idle). */
  logReclaim?: boolean;
}

export async function serveEngine(options: ServeOptions): Promise<number> {
  const port = options.port || (await freePort());
  const mode = options.mode ?? 'http';
  const text = `global
    maxconn 20000
defaults
    mode ${mode}
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend bench
    bind 127.0.0.1:${port}${options.bindOptions ? ` ${options.bindOptions}` : ''}
    maxconn 20000
${options.compression ? `    compression algo ${options.compression}\n` : ''}    default_backend origin
backend origin
${mode === 'http' ? '    http-reuse always\n' : ''}    server o1 ${options.upstream}
`;
  const result = parseConfig([{ name: 'bench.cfg', text }]);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
  const engine = new Engine(result.config, { sink: { traffic() {}, alert: (m) => console.error(m) }, ...(options.stats === false ? { stats: false } : {}) });
  await engine.start();
  // as loadstar run / serve and the desktop engine do
  startQuietReclaim(undefined, options.logReclaim ? {
    onStep: (step, before, after) => console.log(`RECLAIM ${step} ${Math.round(performance.now())} ${(before / 2 ** 20).toFixed(1)} ${(after / 2 ** 20).toFixed(1)}`),
  } : {});
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  console.log(`LISTENING ${port} loadstar engine (${mode})`);
  return port;
}
