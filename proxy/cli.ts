/**
 * `loadstar` command line. Each subcommand parses its own flags with Node's
 * util.parseArgs and returns an exit code; nothing here prints a stack trace
 * for bad input.
 */
import { checkTlsFiles } from './tls/listener.ts';
import { resolveAtLoad } from './runtime/resolve-at-load.ts';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFiles, formatDiagnostics, parseConfig } from './config/index.ts';
import { startDemo } from './demo.ts';
import { certCommand } from './certs/cli.ts';
import { serveCommand } from './admin/serve.ts';
import { traceCommand } from './http/trace-cli.ts';
import type { Demo } from './demo.ts';
import { LoadstarError, CliUsageError } from './errors.ts';
import { Engine } from './engine.ts';
import { InProcessControl } from './control/in-process.ts';
import { reducedFeatureWarnings, unsupportedFeatures, unsupportedMessage } from './runtime/unsupported.ts';
import { startQuietReclaim } from './runtime/quiet-reclaim.ts';
import { holdProcessSignals } from './runtime/process-signals.ts';
import type { HeldSignals } from './runtime/process-signals.ts';
import type { Config } from './config/model.ts';
import { listensAtAll } from './config/listens.ts';
import { sectionsUsingCertFile } from './control/cert-users.ts';

const HELP = `Usage: loadstar <command> [options]

An HAProxy-compatible load balancer for home labs and developer desks.

Commands:
  run [-f FILE ...] [--port N]  Run the proxy in the foreground. Logs go to stdout.
                                Without -f: a built-in demo (two web servers and
                                an API behind http://127.0.0.1:8080, or --port).
                                SIGTERM/SIGINT: finish in-flight requests, exit 0.
                                SIGHUP: reload the files (an invalid file keeps
                                the running configuration).
  check -f FILE [-f FILE ...]   Check configuration files (HAProxy's haproxy.cfg
                                language). Exit 0 when valid (warnings printed),
                                1 when not. Never opens a network connection.
  serve [-f FILE] [--listen HOST:PORT] [--data-dir DIR] [--tls-crt FILE]
                                Run the proxy with its web UI (default
                                http://127.0.0.1:9000/). Without -f: the data
                                dir's haproxy.cfg (a demo on the first run).
                                'loadstar serve --set-password' sets the admin
                                password a non-loopback --listen needs.
  trace -f FILE --frontend NAME --url URL [--method M] [--header 'N: v' ...]
        [--src IP] [--tls [--sni NAME]] [--json]
                                Explain where a request would go, without
                                sending it: rules, ACL values, use_backend,
                                redirects, persistence, the server picked.
  cert <command>                Certificates: a local CA for the home lab
                                (cert ca init / ca export), certificates it
                                issues (cert issue), PEM imports (cert import),
                                cert list. 'loadstar cert --help' for details.
  help                          Show this help.

Options:
  -h, --help                    Show help for a command.
  -q, --quiet                   check: print nothing but errors.

Documentation: docs/configuration.md (every keyword and its status),
docs/certificates.md (certificates and installing the local CA), docs/ui.md
(the web UI, reaching it from another device).
`;

const CHECK_HELP = `Usage: loadstar check -f FILE [-f FILE ...] [-q]

Parses and validates the configuration like 'haproxy -c -f FILE'. Diagnostics
go to stderr in HAProxy's shape: [ALERT] parsing [file:line] : message.
A keyword HAProxy accepts but Loadstar does not run yet is an error here too:
'loadstar run' would refuse the configuration.
Server and log target host names are resolved, as HAProxy does when it loads
the configuration: a server whose name gives no address is an error unless its
'init-addr' allows none (then it starts disabled, a warning).
Exit status: 0 valid, 1 invalid, 2 usage error or, as 'haproxy -c', a valid
configuration that would start no listener (no enabled frontend binds, no stats socket).
`;

type Output = { out: (s: string) => void; err: (s: string) => void };
const stdio: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function main(argv: string[], io: Output = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        io.out(HELP);
        return 0;
      case 'check':
        return await check(rest, io);
      case 'run':
        return await run(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'cert':
        return await certCommand(rest, io, certUsersInDataDir);
      case 'trace':
        return traceCommand(rest, io);
      default:
        throw new CliUsageError(`unknown command '${command}'. Run 'loadstar --help' for the list of commands.`);
    }
  } catch (e) {
    if (e instanceof LoadstarError) {
      io.err(`loadstar: ${e.message}\n`);
      return e instanceof CliUsageError ? 2 : 1;
    }
    throw e;
  }
}

/** What of the data directory's haproxy.cfg (the one `loadstar serve` runs) loads `file`; nothing when there is none. */
function certUsersInDataDir(dataDir: string, file: string): string[] {
  const cfg = path.join(dataDir, 'haproxy.cfg');
  let text: string;
  try {
    text = fs.readFileSync(cfg, 'utf8');
  } catch {
    return [];
  }
  return sectionsUsingCertFile(parseConfig([{ name: cfg, text }]).config, file).map((u) => `${u.section} (${u.via})`);
}

function fileArgs(command: string, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
        port: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new CliUsageError(`${command}: ${(e as Error).message}`);
  }
}

async function check(argv: string[], io: Output): Promise<number> {
  const values = fileArgs('check', argv);
  if (values.help) {
    io.out(CHECK_HELP);
    return 0;
  }
  const files = values.file ?? [];
  if (files.length === 0) throw new CliUsageError(`check: at least one configuration file is needed: loadstar check -f haproxy.cfg`);
  const result = loadConfigFiles(files);
  const shown = values.quiet ? result.diagnostics.filter((d) => d.severity !== 'warning') : result.diagnostics;
  if (shown.length > 0) io.err(formatDiagnostics(shown) + '\n');
  if (!result.ok) {
    io.err(`[ALERT] Fatal errors found in configuration: ${files.join(', ')}\n`);
    return 1;
  }
  // Like `haproxy -c`, certificates and CA files are loaded too, not only named.
  const tlsProblem = checkTlsFiles(result.config);
  if (tlsProblem) {
    io.err(`[ALERT] ${tlsProblem.message}\n[ALERT] Fatal errors found in configuration: ${files.join(', ')}\n`);
    return 1;
  }
  // What parses but the engine does not run: `loadstar run` would refuse it, so check says so at its line.
  const unsupported = unsupportedFeatures(result.config);
  if (unsupported.length > 0) {
    for (const use of unsupported) io.err(`[ALERT] parsing [${use.file}:${use.line}] : ${unsupportedMessage(use)}\n`);
    io.err(`[ALERT] Fatal errors found in configuration: ${files.join(', ')}\n`);
    return 1;
  }
  // Like `haproxy -c`, server and log target names are resolved (init-addr honoured): one that gives no address is refused.
  const { problems: resolved } = await resolveAtLoad(result.config);
  const alerts = resolved.filter((p) => p.severity === 'alert');
  for (const p of resolved) if (p.severity === 'alert' || !values.quiet) io.err(`[${p.severity === 'alert' ? 'ALERT' : 'WARNING'}] ${p.message}\n`);
  if (alerts.length > 0) {
    io.err(`[ALERT] Fatal errors found in configuration: ${files.join(', ')}\n`);
    return 1;
  }
  if (!values.quiet) for (const warning of reducedFeatureWarnings(result.config)) io.err(`[WARNING] ${warning}\n`);
  // `haproxy -c` exits 2 for a configuration that would start nothing: no enabled proxy with a bind, no stats socket, no local peer
  // (not in master-worker mode, whose master always has something to run).
  if (!listensAtAll(result.config) && result.config.global.masterWorker === undefined) {
    if (!values.quiet) io.out('Configuration file has no error but will not start (no listener) => exit(2).\n');
    return 2;
  }
  if (!values.quiet) io.out('Configuration file is valid\n');
  return 0;
}

const RUN_HELP = `Usage: loadstar run -f FILE [-f FILE ...]
       loadstar run [--port N]      (built-in demo on 127.0.0.1:8080)

Runs the configuration in the foreground. Traffic logs (option httplog,
option tcplog, log-format) go to stdout, alerts to stderr.
Signals: SIGTERM/SIGINT stop accepting and finish in-flight requests (grace:
global 'hard-stop-after', default 10s), then exit 0. SIGHUP reloads the files;
an invalid configuration is reported and the running one stays.
`;

async function run(argv: string[], io: Output): Promise<number> {
  const values = fileArgs('run', argv);
  if (values.help) {
    io.out(RUN_HELP);
    return 0;
  }
  // Held before the engine listens: a SIGHUP sent as soon as the port answers must reload, not kill (process-signals.ts).
  const signals = holdProcessSignals();
  try {
    return await runHeld(values.file ?? [], values.port, io, signals);
  } finally {
    signals.release();
  }
}

async function runHeld(files: string[], portArg: string | undefined, io: Output, signals: HeldSignals): Promise<number> {
  let demo: Demo | undefined;
  let first;
  if (files.length === 0) {
    const port = Number(portArg ?? 8080);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliUsageError(`run: --port expects a port number, got '${portArg}'`);
    demo = await startDemo(port);
    first = parseConfig([{ name: '<built-in demo>', text: demo.config }]);
    io.err(`[NOTICE] no -f given: running the built-in demo; open http://127.0.0.1:${port}/ (Ctrl-C to stop)\n`);
  } else first = loadConfigFiles(files);
  // What start-up reports is kept for `show startup-logs` too (HAProxy's startup_logs ring).
  let startupLogs = first.diagnostics.length > 0 ? formatDiagnostics(first.diagnostics) + '\n' : '';
  if (startupLogs !== '') io.err(startupLogs);
  if (!first.ok) {
    io.err(`[ALERT] Fatal errors found in configuration: ${files.join(', ')}\n`);
    return 1;
  }
  for (const w of reducedFeatureWarnings(first.config)) startupLogs += `[WARNING] ${w}\n`;
  const engine = new Engine(first.config, { configName: files.length > 0 ? files.join(', ') : '<built-in demo>', startupLogs });
  try {
    await engine.start();
  } catch (e) {
    // A failure without a Loadstar error (a socket of a kind no check foresaw): said in one line, not a stack trace.
    if (e instanceof LoadstarError) throw e;
    io.err(`[ALERT] the configuration could not be started: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  // Memory back to the system when the engine goes quiet after a burst (one per engine process).
  const reclaim = startQuietReclaim();
  // Changes to the running engine go through the control contract (DESIGN.md §2), the reload too.
  const control = new InProcessControl(engine);
  for (const w of reducedFeatureWarnings(first.config)) io.err(`[WARNING] ${w}\n`);
  for (const a of engine.addresses()) io.err(`[NOTICE] ${a.frontend} listening on ${a.where}\n`);
  const grace = Number(first.config.global.tune['hard-stop-after'] ?? 10_000);
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      reclaim?.stop();
      io.err(`[NOTICE] ${signal} received: stopping (finishing in-flight requests, at most ${grace} ms)\n`);
      control.stop(grace).then(async (stopped) => {
        await demo?.close();
        resolve(stopped.ok ? 0 : 1);
      }, () => resolve(1));
    };
    const reload = (): void => {
      if (files.length === 0) return void io.err('[NOTICE] SIGHUP ignored: the built-in demo has no file to reload\n');
      const load = () => {
        const next = loadConfigFiles(files);
        if (next.diagnostics.length > 0) io.err(formatDiagnostics(next.diagnostics) + '\n');
        return next;
      };
      void control.reload(load, files.join(', ')).then((result) => {
        if (result.ok) io.err('[NOTICE] configuration reloaded\n');
        else if (result.error.code === 'LS_ERR_CFG_INVALID') io.err('[ALERT] reload refused: the configuration has errors; the running configuration is kept\n');
        else io.err(`[ALERT] reload failed, the running configuration is kept: ${result.error.message}\n`);
      });
    };
    signals.attach({ reload, stop });
    // A `program` that failed under master-worker stopped the engine (exit-on-failure): so ends the
    // process, with the program's status, as HAProxy's master exits once its workers are gone.
    engine.events.on('events', (event) => {
      if (event.type !== 'lifecycle' || event.lifecycle.state !== 'failed' || event.lifecycle.lastError?.code !== 'LS_ERR_ENG_PROGRAM' || stopping) return;
      stopping = true;
      reclaim?.stop();
      void demo?.close();
      const status = engine.failedProgramStatus ?? 1;
      io.err(`[WARNING] All workers exited. Exiting... (${status})\n`);
      resolve(status);
    });
  });
}
