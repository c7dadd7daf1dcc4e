/**
 * Loadstar's real engine as a benchmark target: one frontend on 127.0.0.1
 * forwarding to the origin, in http or tcp mode, with the same settings the
 * HAProxy side of the benchmark uses. Prints `LISTENING <port>` when ready.
 * Runs the compiled engine (dist/), as `loadstar run` does.
 *
 *   node dist/bench/engine-server.js --upstream 127.0.0.1:PORT [--mode http|tcp] [--port N]
 */
import { freePort } from './lib/proc.ts';
import { parseConfig, formatDiagnostics } from '../proxy/config/index.ts';
import { Engine } from '../proxy/engine.ts';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}


const mode = arg('mode', 'http');
const upstream = arg('upstream');
const port = Number(arg('port', '0')) || (await freePort());
const text = `global
    maxconn 20000
defaults
    mode ${mode}
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend bench
    bind 127.0.0.1:${port}
    maxconn 20000
    default_backend origin
backend origin
    server o1 ${upstream}
`;
const result = parseConfig([{ name: 'bench.cfg', text }]);
if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
const engine = new Engine(result.config, { sink: { traffic() {}, alert: (m) => console.error(m) } });
await engine.start();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
console.log(`LISTENING ${port} loadstar engine (${mode})`);
