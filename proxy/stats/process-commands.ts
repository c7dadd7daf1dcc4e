/**
 * The runtime API's commands about the process itself, answering as haproxy 2.6.12 does:
 * `get var` (vars.c vars_parse_cli_get_var).
 */
import { sampleToString } from '../acl/index.ts';
import type { Sample } from '../acl/index.ts';

/** smp_to_type: HAProxy's names of the sample types. */
const TYPE_NAMES: Record<Sample['type'], string> = { bool: 'bool', int: 'sint', ipv4: 'ipv4', ipv6: 'ipv6', str: 'str', bin: 'bin', meth: 'meth' };

/**
 * `get var <name>`: a proc.* variable that has a value, as `<name>: type=<type> value=<text>` with
 * what is not printable shown as '.' (the answer has no newline of its own: the empty line ends it).
 * Only the proc scope exists outside a stream, so any other name is not found.
 */
export function getVar(vars: ReadonlyMap<string, Sample | undefined> | undefined, name: string | undefined): string {
  if (name === undefined || name === '') return 'Missing process-wide variable identifier.\n';
  const value = name.startsWith('proc.') ? vars?.get(name.slice(5)) : undefined;
  if (value === undefined) return 'Variable not found.\n';
  const text = sampleToString(value);
  const shown = text === undefined ? '(undisplayable)' : `<${text.replace(/[^\x20-\x7e]/g, '.')}>`;
  return `${name}: type=${TYPE_NAMES[value.type]} value=${shown}`;
}
