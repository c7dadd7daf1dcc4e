/**
 * `loadstar` command line. Each subcommand parses its own flags with Node's
 * util.parseArgs and returns an exit code; nothing here prints a stack trace
 * for bad input.
 */
import { parseArgs } from 'node:util';
import { loadConfigFiles, formatDiagnostics } from './config/index.ts';
import { LoadstarError, CliUsageError } from './errors.ts';

const HELP = `Usage: loadstar <command> [options]

An HAProxy-compatible load balancer for home labs and developer desks.

Commands:
  check -f FILE [-f FILE ...]   Check configuration files (HAProxy's haproxy.cfg
                                language). Exit 0 when valid (warnings printed),
                                1 when not. Never opens a network connection.
  help                          Show this help.

Options:
  -h, --help                    Show help for a command.
  -q, --quiet                   check: print nothing but errors.

Documentation: docs/configuration.md (every keyword and its status).
`;

const CHECK_HELP = `Usage: loadstar check -f FILE [-f FILE ...] [-q]

Parses and validates the configuration like 'haproxy -c -f FILE'. Diagnostics
go to stderr in HAProxy's shape: [ALERT] parsing [file:line] : message.
Exit status: 0 valid, 1 invalid, 2 usage error.
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
        return check(rest, io);
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

function check(argv: string[], io: Output): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new CliUsageError(`check: ${(e as Error).message}`);
  }
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
  if (!values.quiet) io.out('Configuration file is valid\n');
  return 0;
}
