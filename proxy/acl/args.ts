/**
 * Argument lists of fetches and converters: `name(arg1,arg2)` with HAProxy's
 * second-level quoting (manual section 2.2, arg.c make_arg_list()): inside the
 * parentheses, single and double quotes group text (the quotes are removed),
 * a backslash escapes '\', ' ', '"', '\'' and produces \r \n \t, and unquoted
 * ',' and ')' end an argument. Arguments are typed as they are read, with
 * HAProxy's error messages.
 */
import type { ArgSpec, ArgType, RefKind, SampleArg } from './types.ts';
import { parseIPv4, parseIPv6, parseMask4, parseMask6 } from './ip.ts';
import { compilePcre } from './regex.ts';

/** HAProxy's names of argument types, as used in messages. */
export const ARG_TYPE_NAMES: Readonly<Record<ArgType, string>> = {
  int: 'integer', str: 'string', ipv4: 'IPv4 address', msk4: 'IPv4 mask', ipv6: 'IPv6 address',
  msk6: 'IPv6 mask', be: 'backend', fe: 'frontend', tab: 'table', srv: 'server', usr: 'user list',
  reg: 'regex', pbuf: 'Protocol buffers field number',
};

const REF_KINDS: Partial<Record<ArgType, RefKind>> = {
  be: 'backend', fe: 'frontend', tab: 'table', srv: 'server', usr: 'userlist',
};

export type ArgListResult =
  /** `end`: index of the first character after the list (after ')'), or `pos` when there was none. */
  | { readonly args: SampleArg[]; readonly end: number }
  /** `errArg`: 0-based position of the faulty argument. */
  | { readonly error: string; readonly errArg: number };

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** read_int64(): optional sign then digits; the whole text must be consumed. Saturates like HAProxy. */
export function readInt64(text: string): number | undefined {
  const m = /^([+-]?)([0-9]*)$/.exec(text);
  if (!m) return undefined;
  let v = BigInt(m[2] || '0');
  if (m[1] === '-') v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < INT64_MIN) v = INT64_MIN;
  return Number(v);
}

/**
 * Parses the argument list starting at `text[pos]` (which must be '(' for
 * there to be one) according to `spec`. Missing mandatory arguments of the
 * resolvable kinds and strings are taken as empty, like HAProxy does.
 */
export function parseArgList(text: string, pos: number, spec: ArgSpec): ArgListResult {
  const types = spec.types;
  const empty = text[pos] !== '(';
  let i = empty ? pos : pos + 1;
  const args: SampleArg[] = [];
  let argNo = 0;
  const typeName = (n: number): string => (n < types.length ? ARG_TYPE_NAMES[types[n]!] : 'end of arguments');
  const fail = (error: string, at = argNo): ArgListResult => ({ error, errArg: at });

  if (types.length > 0 && !(empty && spec.min === 0)) {
    while (argNo < types.length) {
      let raw = '';
      let squote = false;
      let dquote = false;
      while (!empty && i < text.length) {
        const c = text[i]!;
        if (c === '"' && !squote) { dquote = !dquote; i++; continue; }
        if (c === '\'' && !dquote) { squote = !squote; i++; continue; }
        if (c === '\\' && !squote) {
          const n = text[i + 1];
          if (n === undefined) {
            return fail(`failed to parse '${text.slice(i)}' after '${raw}' as type '${typeName(argNo)}' at position ${argNo + 1}`);
          }
          if (n === '\\' || n === ' ' || n === '"' || n === '\'') { raw += n; i += 2; }
          else if (n === 'r') { raw += '\r'; i += 2; }
          else if (n === 'n') { raw += '\n'; i += 2; }
          else if (n === 't') { raw += '\t'; i += 2; }
          else { raw += c; i++; }
          continue;
        }
        if (!squote && !dquote && (c === ',' || c === ')')) break;
        raw += c;
        i++;
      }
      const type = types[argNo]!;
      const typed = typeArg(raw, type);
      if (typed === 'empty') {
        // an empty set of parenthesis means no argument at all
        if (argNo >= spec.min) break;
        return fail(`expected type '${typeName(argNo)}' at position ${argNo + 1}, but got nothing`);
      }
      if (typed === 'bad') return fail(`failed to parse '${raw}' as type '${typeName(argNo)}' at position ${argNo + 1}`);
      args.push(typed);
      argNo++;
      if (empty || i >= text.length || text[i] === ')' || argNo >= types.length) break;
      i++; // skip ','
    }
  }
  if (argNo < spec.min) {
    return fail(`missing arguments (got ${argNo}/${spec.min}), type '${typeName(argNo)}' expected`);
  }
  if (!empty) {
    if (text[i] === ')') i++;
    else {
      const rest = text.slice(i);
      return fail(rest ? `expected ')' before '${rest}'` : `expected ')'`, argNo > 1 ? argNo - 1 : argNo);
    }
  }
  return { args, end: i };
}

type Typed = SampleArg | 'empty' | 'bad';

/** Placeholder until compileRegexArgs() runs (HAProxy compiles regexes after all other checks). */
const NOT_COMPILED = /(?!)/;

function typeArg(raw: string, type: ArgType): Typed {
  const ref = REF_KINDS[type];
  if (ref) return { type: 'ref', kind: ref, name: raw };
  switch (type) {
    case 'str':
      return { type: 'str', value: raw };
    case 'int': {
      if (raw === '') return 'empty';
      const v = readInt64(raw);
      return v === undefined ? 'bad' : { type: 'int', value: v };
    }
    case 'ipv4': case 'msk4': {
      if (raw === '') return 'empty';
      const v = type === 'ipv4' ? parseIPv4(raw) : parseMask4(raw);
      return v === undefined ? 'bad' : { type: 'ipv4', value: v };
    }
    case 'ipv6': case 'msk6': {
      if (raw === '') return 'empty';
      const v = type === 'ipv6' ? parseIPv6(raw) : parseMask6(raw);
      return v === undefined ? 'bad' : { type: 'ipv6', value: v };
    }
    case 'pbuf': {
      if (raw === '') return 'empty';
      if (!/^[0-9]+(\.[0-9]+)*$/.test(raw)) return 'bad';
      return { type: 'pbuf', path: raw.split('.').map(Number) };
    }
    case 'reg':
      return { type: 'regex', source: raw, ignoreCase: false, global: false, regex: NOT_COMPILED };
    default:
      return 'bad';
  }
}

/**
 * Compiles the regex arguments (with their final flags); returns HAProxy's
 * "missing regex" / "error in regex" message for the first bad one, with
 * `where` describing the argument's owner (e.g. "conversion keyword 'regsub'
 * for sample fetch keyword 'path'").
 */
export function compileRegexArgs(args: SampleArg[], where: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.type !== 'regex') continue;
    const at = `in arg ${i + 1} of ${where}`;
    if (arg.source === '') return `missing regex ${at}`;
    const compiled = compilePcre(arg.source, { ignoreCase: arg.ignoreCase, capture: true });
    if ('error' in compiled) return `error in regex '${arg.source}' ${at} : ${compiled.error}`;
    args[i] = { ...arg, regex: compiled.regex };
  }
  return undefined;
}
