/**
 * Pattern matching methods (`-m NAME`, manual 7.1) and pattern parsing per
 * method (pattern.c): integer ranges with the `eq/ge/gt/le/lt` operators,
 * dotted versions, IPv4/IPv6 networks, hex blocks, strings and regexes.
 */
import type { AclPattern, MatchMethod, PatternParser, SampleType } from './types.ts';
import { canCast } from './casts.ts';
import { parseNetPattern } from './ip.ts';
import { compilePcre } from './regex.ts';
import { parseHex } from './validators.ts';

/** Methods accepted by `-m`, in HAProxy's order. */
export const MATCH_METHODS: readonly MatchMethod[] = [
  'found', 'bool', 'int', 'ip', 'bin', 'len', 'str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg', 'regm',
];

/** Sample type each method works on (the sample is cast to it; pat_match_types). */
export const MATCH_INPUT_TYPE: Readonly<Record<MatchMethod, SampleType>> = {
  found: 'int', bool: 'int', int: 'int', ip: 'addr', bin: 'bin', len: 'str',
  str: 'str', beg: 'str', sub: 'str', dir: 'str', dom: 'str', end: 'str', reg: 'str', regm: 'str',
};

/** How patterns are parsed for each method. */
export function parserFor(method: MatchMethod): PatternParser {
  switch (method) {
    case 'found': case 'bool': return 'none';
    case 'int': case 'len': return 'int';
    case 'ip': return 'ip';
    case 'bin': return 'bin';
    case 'reg': case 'regm': return 'reg';
    default: return 'str';
  }
}

/** Default method implied by a sample type (manual 7.1 table); undefined means "-m is required". */
export function defaultMatchFor(type: SampleType): MatchMethod | undefined {
  switch (type) {
    case 'bool': return 'bool';
    case 'int': return 'int';
    case 'addr': case 'ipv4': case 'ipv6': return 'ip';
    case 'str': return 'str';
    default: return undefined;
  }
}

/** Can `method` be applied to a sample of `type`? ('found' always can.) */
export function methodCompatible(method: MatchMethod, type: SampleType): boolean {
  return method === 'found' || canCast(type, MATCH_INPUT_TYPE[method]);
}

export function isMatchMethod(name: string): name is MatchMethod {
  return (MATCH_METHODS as readonly string[]).includes(name);
}

/** Integer comparison operators of ACL patterns ('ne' is accepted by HAProxy but has no effect). */
export type IntOperator = 'eq' | 'ne' | 'ge' | 'gt' | 'le' | 'lt';

/** get_std_op(): exact lowercase operator names. */
export function parseOperator(word: string): IntOperator | undefined {
  return /^(eq|ne|ge|gt|le|lt)$/.test(word) ? (word as IntOperator) : undefined;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** strl2llrc(): optional '-' then digits only, within 64 bits. */
function strl2ll(text: string): bigint | undefined {
  if (!/^-?[0-9]+$/.test(text)) return undefined;
  const v = BigInt(text);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}

/** strl2llrc_dotted(): `major[.minor]`, both < 65536, as major<<16|minor. */
function strl2llDotted(text: string): bigint | undefined {
  const dot = text.indexOf('.');
  const major = strl2ll(dot < 0 ? text : text.slice(0, dot));
  const minor = dot < 0 ? 0n : strl2ll(text.slice(dot + 1));
  if (major === undefined || minor === undefined || major >= 65536n || minor >= 65536n) return undefined;
  return (major << 16n) | (minor & 0xffffn);
}

/**
 * Rewrites a value preceded by an operator the way parse_acl_expr() does
 * ("gt 5" → "6:", "le 3.1" → ":3.1"). Values containing ':' or '-' and the
 * 'eq'/'ne' operators leave the value unchanged.
 */
export function applyOperator(op: IntOperator, value: string, dotted: boolean): string | { error: string } {
  if (op === 'eq' || value.includes(':') || value.includes('-')) return value;
  const dot = value.indexOf('.');
  let minor = 0n;
  if (dotted && dot >= 0) {
    const m = strl2ll(value.slice(dot + 1));
    if (m === undefined) return { error: `'${value}' is neither a number nor a supported operator` };
    if (m >= 65536n) return { error: `'${value}' contains too large a minor value` };
    minor = m;
  }
  let v = strl2ll(dot >= 0 ? value.slice(0, dot) : value);
  if (v === undefined) return { error: `'${value}' is neither a number nor a supported operator` };
  if (dotted) {
    if (v >= 65536n) return { error: `'${value}' contains too large a major value` };
    v = (v << 16n) | (minor & 0xffffn);
  }
  if (op === 'ne') return value;
  if (op === 'gt') v++;
  if (op === 'lt') v--;
  const text = dotted ? `${v >> 16n}.${v & 0xffffn}` : `${v}`;
  return op === 'gt' || op === 'ge' ? `${text}:` : `:${text}`;
}

/** pat_parse_int() / pat_parse_dotted_ver(): `n`, `min:max`, `min:`, `:max` (or '-' as separator). */
export function parseIntRange(text: string, dotted: boolean): AclPattern | { error: string } {
  const conv = dotted ? strl2llDotted : strl2ll;
  const notRange = { error: dotted ? `'${text}' is not a valid dotted number range` : `'${text}' is not a valid number range` };
  if (text === '') return notRange;
  const sep = text.search(/[:-]/);
  if (sep < 0) {
    const v = conv(text);
    if (v === undefined) return { error: dotted ? `'${text}' is not a dotted number` : `'${text}' is not a number` };
    return { kind: 'int', min: Number(v), max: Number(v) };
  }
  if (sep === 0 && text.length > 1) {
    const max = conv(text.slice(1));
    return max === undefined ? notRange : { kind: 'int', max: Number(max) };
  }
  if (sep === text.length - 1) {
    const min = conv(text.slice(0, sep));
    return min === undefined ? notRange : { kind: 'int', min: Number(min) };
  }
  const min = conv(text.slice(0, sep));
  const max = conv(text.slice(sep + 1));
  if (min === undefined || max === undefined || min > max) return notRange;
  return { kind: 'int', min: Number(min), max: Number(max) };
}

/** The 8 methods HAProxy knows by number (find_http_meth, case-sensitive). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);

export interface PatternParseOptions {
  /** `-i`: compile regexes case-insensitively. */
  readonly ignoreCase: boolean;
  /** `-n`: do not accept host names / abbreviated IPv4 (no DNS). */
  readonly noDns: boolean;
  /** Method is 'regm' (regexes capture). */
  readonly capture?: boolean;
}

/**
 * Parses one pattern (an ACL word or a line of a `-f` file) for `parser`.
 * Returns null for the 'none' parser (found/bool ignore their patterns).
 */
export function parsePattern(parser: PatternParser, text: string, options: PatternParseOptions): AclPattern | null | { error: string } {
  switch (parser) {
    case 'none':
      return null;
    case 'int':
      return parseIntRange(text, false);
    case 'dotted':
      return parseIntRange(text, true);
    case 'ip': {
      const net = parseNetPattern(text, !options.noDns);
      return net ?? { error: `'${text}' is not a valid IPv4 or IPv6 address` };
    }
    case 'bin': {
      const bytes = parseHex(text);
      return typeof bytes === 'string' ? { error: bytes } : { kind: 'bin', bytes };
    }
    case 'reg': {
      const compiled = compilePcre(text, { ignoreCase: options.ignoreCase, capture: options.capture ?? false });
      return 'error' in compiled ? { error: compiled.error } : { kind: 'regex', source: text, regex: compiled.regex };
    }
    case 'meth':
      return { kind: 'method', method: text, known: KNOWN_METHODS.has(text) };
    case 'str':
      return { kind: 'str', value: text };
  }
}
