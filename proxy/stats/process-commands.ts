/**
 * The runtime API's commands about the process itself and the CLI session, answering as
 * haproxy 2.6.12 does: `get var` (vars.c vars_parse_cli_get_var), `set timeout cli`,
 * `set severity-output`, `show env` and `show version` (cli.c), `show startup-logs` (errors.c).
 */
import { sampleToString } from '../acl/index.ts';
import type { Sample } from '../acl/index.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer, SeverityOutput } from './cli-answer.ts';
import { VERSION } from './info.ts';
import { atoi } from './cli-numbers.ts';

/** smp_to_type: HAProxy's names of the sample types. */
const TYPE_NAMES: Record<Sample['type'], string> = { bool: 'bool', int: 'sint', ipv4: 'ipv4', ipv6: 'ipv6', str: 'str', bin: 'bin', meth: 'meth' };

/**
 * `get var <name>`: a proc.* variable that has a value, as `<name>: type=<type> value=<text>` with
 * what is not printable shown as '.' (the answer has no newline of its own: the empty line ends it).
 * Only the proc scope exists outside a stream, so any other name is not found.
 */
export function getVar(vars: ReadonlyMap<string, Sample | undefined> | undefined, name: string | undefined): CliAnswer {
  if (name === undefined || name === '') return cliErr('Missing process-wide variable identifier.\n');
  const value = name.startsWith('proc.') ? vars?.get(name.slice(5)) : undefined;
  if (value === undefined) return cliErr('Variable not found.\n');
  const text = sampleToString(value);
  const shown = text === undefined ? '(undisplayable)' : `<${text.replace(/[^\x20-\x7e]/g, '.')}>`;
  return cliMsg(`${name}: type=${TYPE_NAMES[value.type]} value=${shown}`);
}

/** `set severity-output none|number|string` (cli_parse_set_severity_output): for the rest of the session. */
export function setSeverityOutput(session: { severityOutput: SeverityOutput }, value: string | undefined): CliAnswer {
  if (value !== 'none' && value !== 'number' && value !== 'string') return cliErr("one of 'none', 'number', 'string' is a required argument\n");
  session.severityOutput = value;
  return '';
}

/** Largest delay a Node timer takes (ms); HAProxy's own limit is 2^31-1 s. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * `set timeout cli <delay>` (cli_parse_set_timeout): the session's idle timeout from now on, read
 * as parse_time_err reads it in seconds (no unit: seconds; a fraction rounds up; at least 1 s).
 */
export function setCliTimeout(session: { timeoutMs?: number }, what: string | undefined, delay: string | undefined): CliAnswer {
  if (what !== 'cli') return cliErr("'set timeout' only supports 'cli'.\n");
  if (delay === undefined || delay === '') return cliErr('Expects an integer value.\n');
  const seconds = parseSeconds(delay);
  if (seconds === undefined || seconds < 1) return cliErr('Invalid timeout value.\n');
  session.timeoutMs = Math.min(seconds * 1000, MAX_TIMER_MS);
  return '';
}

/** Input units of parse_time_err, as [multiplier, divisor] to seconds. */
const UNITS: Record<string, [number, number]> = { us: [1, 1_000_000], ms: [1, 1000], s: [1, 1], m: [60, 1], h: [3600, 1], d: [86400, 1] };

/**
 * parse_time_err(text, TIME_UNIT_S): digits then an optional unit (what follows a unit only draws
 * a warning from HAProxy); undefined for what it refuses: no digit first, an unknown unit, a value
 * of 2^31 s or more, or a non-zero one that rounds to 0.
 */
function parseSeconds(text: string): number | undefined {
  const m = /^(\d+)(?:(us|ms|s|m|h|d)[^]*)?$/.exec(text);
  if (!m) return undefined;
  const value = BigInt(m[1]!);
  const [mult, div] = m[2] === undefined ? [1, 1] : UNITS[m[2]]!;
  const result = (value * BigInt(mult) + BigInt(div - 1)) / BigInt(div);
  if (result >= 0x80000000n) return undefined;
  return Number(result);
}

/**
 * `show env [<name>]` (cli_parse_show_env, cli_io_handler_show_env): the process's environment as
 * `NAME=value` lines, or the first variable named `<name>`.
 */
export function showEnv(env: NodeJS.ProcessEnv, name: string | undefined): CliAnswer {
  const entries = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined);
  if (name !== undefined && name !== '') {
    const found = entries.find(([k]) => k === name);
    return found ? `${found[0]}=${found[1]}\n` : cliErr('Variable not found\n');
  }
  return entries.map(([k, v]) => `${k}=${v}\n`).join('');
}

/**
 * `show startup-logs`: the warnings and alerts start-up reported (a dump), or, when there were none,
 * an empty message. Loadstar's lines are its own (`[WARNING] parsing [<file>:<line>] : …`), not
 * HAProxy's `[WARNING]  (<pid>) : config : …`.
 */
export function showStartupLogs(logs: string): CliAnswer {
  return logs === '' ? cliMsg('\n') : logs;
}

/** `show version`: the version `show info` reports. */
export function showVersion(): CliAnswer {
  return cliMsg(`${VERSION}\n`);
}

const RATE_LIMIT_USAGE = "'set rate-limit' only supports :\n"
  + "   - 'connections global' to set the per-process maximum connection rate\n"
  + "   - 'sessions global' to set the per-process maximum session rate\n"
  + "   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n"
  + "   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n";

const RATE_LIMITS = { connections: 'connections', sessions: 'sessions', 'ssl-sessions': 'sslSessions' } as const;

/**
 * `set rate-limit connections|sessions|ssl-sessions|http-compression global <n>` (cli_parse_set_ratelimit):
 * maxconnrate, maxsessrate, maxsslrate or maxcomprate (kB/s) from now on (0: no limit), until a reload.
 */
export function setRateLimit(set: ((which: 'connections' | 'sessions' | 'sslSessions' | 'compression', limit: number) => void) | undefined, args: readonly string[]): CliAnswer {
  const [what, scope, value] = [args[2] ?? '', args[3] ?? '', args[4] ?? ''];
  const compression = what === 'http-compression';
  if (scope !== 'global' || !(Object.hasOwn(RATE_LIMITS, what) || compression)) return cliErr(RATE_LIMIT_USAGE);
  if (value === '') return cliErr('Expects an integer value.\n');
  const limit = atoi(value);
  if (limit < 0) return cliErr('Value out of range.\n');
  set?.(compression ? 'compression' : RATE_LIMITS[what as keyof typeof RATE_LIMITS], limit);
  return '';
}
