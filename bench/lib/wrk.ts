/** Run wrk (pinned) and parse its report. */
import { LOAD_CORE, runBounded } from './proc.ts';

export interface WrkOptions {
  url: string;
  threads?: number;      // -t, default 1
  connections?: number;  // -c, default 50
  durationS?: number;    // -d, default 10
  core?: number;         // taskset core, default LOAD_CORE; -1 = no pinning
  timeoutS?: number;     // wrk's own --timeout (per request), default 5
  headers?: string[];    // -H for each, e.g. 'Connection: close' (wrk then reconnects after every response)
}

export interface WrkResult {
  reqPerSec: number;
  mbPerSec: number;      // MiB/s as wrk reports it (wrk's "MB" is 2^20 bytes)
  p50: number;           // ms
  p99: number;           // ms
  errors: number;        // socket errors (connect/read/write/timeout) + non-2xx/3xx responses
  requests: number;      // total completed requests
  seconds: number;       // measured duration
  raw: string;
}

const timeUnits: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const sizeUnits: Record<string, number> = { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024, TB: 1024 * 1024 };

function ms(value: string, unit: string): number {
  const f = timeUnits[unit];
  if (f === undefined) throw new Error(`unknown wrk time unit ${unit}`);
  return Number(value) * f;
}

/** Parse wrk 4.x output (with --latency). Throws if the essential lines are missing. */
export function parseWrk(out: string): WrkResult {
  const rps = out.match(/^Requests\/sec:\s+([\d.]+)/m);
  const tps = out.match(/^Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB|TB)/m);
  const total = out.match(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m);
  if (!rps || !tps || !total) throw new Error(`could not parse wrk output:\n${out}`);
  const pct = (p: string): number => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m|h)`, 'm'));
    return m ? ms(m[1], m[2]) : NaN;
  };
  let errors = 0;
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  if (sock) errors += Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]);
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  if (non2xx) errors += Number(non2xx[1]);
  return {
    reqPerSec: Number(rps[1]),
    mbPerSec: Number(tps[1]) * sizeUnits[tps[2]],
    p50: pct('50'),
    p99: pct('99'),
    errors,
    requests: Number(total[1]),
    seconds: ms(total[2], total[3]) / 1000,
    raw: out,
  };
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const d = o.durationS ?? 10;
  const args = ['-t', String(o.threads ?? 1), '-c', String(o.connections ?? 50), '-d', `${d}s`,
    '--timeout', `${o.timeoutS ?? 5}s`, ...(o.headers ?? []).flatMap((h) => ['-H', h]), '--latency', o.url];
  const core = o.core === undefined ? LOAD_CORE : o.core < 0 ? undefined : o.core;
  const r = await runBounded('wrk', args, { core, timeoutMs: (d + 15) * 1000 });
  if (r.code !== 0) throw new Error(`wrk exited with ${r.code}: ${r.stderr}${r.stdout}`);
  return parseWrk(r.stdout);
}
