/**
 * Loadstar's real engine as a benchmark target: one frontend on 127.0.0.1
 * forwarding to the origin, in http or tcp mode, with the same settings the
 * HAProxy side of the benchmark uses. Prints `LISTENING <port>` when ready.
 * Runs the compiled engine (dist/), as `loadstar run` does.
 *
 *   node dist/bench/engine-server.js --upstream 127.0.0.1:PORT [--mode http|tcp] [--port N] [--log-reclaim] [--compression gzip]
 */
import { serveEngine } from './lib/serve-engine.ts';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

await serveEngine({ upstream: arg('upstream'), mode: arg('mode', 'http') as 'http' | 'tcp', port: Number(arg('port', '0')), logReclaim: process.argv.includes('--log-reclaim'),
  ...(process.argv.includes('--compression') ? { compression: arg('compression') } : {}) });
