/**
 * `loadstar trace -f FILE --frontend NAME --url URL …`: the request tracer on
 * the command line, against a configuration as it would start (no running
 * engine: every server in its initial state, balancers fresh).
 */
import { parseArgs } from 'node:util';
import { loadConfigFiles, formatDiagnostics } from '../config/index.ts';
import { CliUsageError } from '../errors.ts';
import { traceRequest, staticTarget } from './trace.ts';
import type { TraceResult } from './trace.ts';

export const TRACE_HELP = `Usage: loadstar trace -f FILE --frontend NAME --url URL [--method M]
                     [--header 'Name: value' ...] [--src IP] [--tls [--sni NAME]] [--json]

Explains where a request would go, without sending it: every http-request rule
in order with its condition, each ACL with the value it fetched, the use_backend
that matched (or the default backend), a redirect or deny that would answer
instead, cookie persistence, and the server the balancing algorithm would pick
for a fresh start of the configuration (the web UI traces against the running
engine's live state). Exit status: 0 traced, 1 invalid configuration or unknown
frontend, 2 usage error.
`;

type Output = { out: (s: string) => void; err: (s: string) => void };

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', multiple: true },
        frontend: { type: 'string' },
        url: { type: 'string' },
        method: { type: 'string', short: 'X' },
        header: { type: 'string', short: 'H', multiple: true },
        src: { type: 'string' },
        tls: { type: 'boolean' },
        sni: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new CliUsageError(`trace: ${(e as Error).message}`);
  }
}

export function formatTrace(t: TraceResult): string {
  const lines = t.steps.map((s, i) => `${String(i + 1).padStart(2)}. ${s}`);
  if (t.answer) lines.push(`=> answered by Loadstar: ${t.answer.status}${t.answer.location ? ` ${t.answer.location}` : ''} (${t.answer.by})`);
  else if (t.backend) lines.push(`=> backend ${t.backend}${t.server ? `, server ${t.server.name}` : ''}`);
  return lines.join('\n') + '\n';
}

export function traceCommand(argv: string[], io: Output): number {
  const v = parse(argv);
  if (v.help) {
    io.out(TRACE_HELP);
    return 0;
  }
  const files = v.file ?? [];
  if (files.length === 0) throw new CliUsageError('trace: a configuration file is needed: loadstar trace -f haproxy.cfg --frontend NAME --url /');
  if (!v.frontend) throw new CliUsageError('trace: --frontend NAME is needed (the frontend the request arrives at)');
  if (!v.url) throw new CliUsageError("trace: --url is needed, e.g. --url '/api/users?id=1'");
  if (v.sni !== undefined && !v.tls) throw new CliUsageError('trace: --sni needs --tls');
  const loaded = loadConfigFiles(files);
  if (!loaded.ok) {
    io.err(formatDiagnostics(loaded.diagnostics.filter((d) => d.severity !== 'warning')) + '\n');
    io.err(`[ALERT] Fatal errors found in configuration: ${files.join(', ')}\n`);
    return 1;
  }
  const traced = traceRequest(staticTarget(loaded.config), {
    frontend: v.frontend,
    url: v.url,
    ...(v.method ? { method: v.method } : {}),
    headers: v.header ?? [],
    ...(v.src ? { source: v.src } : {}),
    tls: v.tls === true,
    ...(v.sni ? { sni: v.sni } : {}),
  });
  if (!traced.ok) {
    if (traced.error.code === 'LS_ERR_CTL_BAD_VALUE') throw new CliUsageError(`trace: ${traced.error.message}`);
    io.err(`loadstar: ${traced.error.message}\n`);
    return 1;
  }
  io.out(v.json ? JSON.stringify(traced.value, null, 2) + '\n' : formatTrace(traced.value));
  return 0;
}
