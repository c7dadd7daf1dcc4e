/**
 * Maps (map.c; section 7.3.1): map(file[,default]), map_<match>(…) and
 * map_<match>_<output>(…) look the input up in a map file (its pattern
 * reference, read at compile time through options.readFile).
 */
import type { AclPattern, ConverterCall, SampleType } from '../types.ts';
import type { Sample } from '../eval-sample.ts';
import type { ConvFn, ConverterCompileOptions, ConverterDefinition, ConverterRow } from './define.ts';
import { converter, strArg, strOf } from './define.ts';
import { mkStr, mkInt, mkBool, mkIPv4, mkIPv6, castSample, buf2ip, buf2ip6, readInt64 } from '../eval-sample.ts';
import { compileFinder, parseFileLines, parseFilePatterns } from '../eval-match.ts';
import { parsePattern } from '../matchers.ts';
import { patternRefFor } from '../pattern-ref.ts';
import type { PatternEntry } from '../pattern-ref.ts';
import { EvalCompileError, unsupported } from '../eval-errors.ts';
import { parseReplacement, expand } from './regsub.ts';

/**
 * Looks the input up in the map's pattern reference (pattern-ref.ts): the file as read at load,
 * changed since by set-map / del-map and the runtime API. Exact (`str`) maps read the reference's
 * key table; the others rebuild their index when an entry is added or removed.
 */
/** A map converter's matching method and output type, from its name; undefined for other names. */
function mapKind(name: string): { match: 'str' | 'beg' | 'sub' | 'dir' | 'dom' | 'end' | 'reg' | 'regm' | 'int' | 'ip'; out: 'str' | 'int' | 'ip' } | undefined {
  const m = /^map(?:_(str|beg|sub|dir|dom|end|reg|regm|int|ip))?(?:_(int|ip))?$/.exec(name);
  return m ? { match: (m[1] ?? 'str') as 'str', out: (m[2] ?? 'str') as 'str' } : undefined;
}

/**
 * What HAProxy says of a map file's content while starting (pattern.c pat_ref_push: each line's
 * value parsed as the output type, then its key by the matching method): "unable to parse 'b' at
 * line 4 of file 'x.map'", "'a' is not a number at line 4 of file 'x.map'"; undefined when every
 * line is fine or `name` is no map converter.
 */
export function mapFileProblem(name: string, file: string, content: string): string | undefined {
  const kind = mapKind(name);
  if (!kind) return undefined;
  const parser = kind.match === 'int' ? 'int' : kind.match === 'ip' ? 'ip' : kind.match === 'reg' || kind.match === 'regm' ? 'reg' : 'str';
  for (const l of parseFileLines(content, true)) {
    if (!parseMapValue(l.value, kind.out)) return `unable to parse '${l.value}' at line ${l.line} of file '${file}'`;
    const p = parsePattern(parser, l.key, { ignoreCase: false, noDns: true, capture: kind.match === 'regm' });
    if (p !== null && 'error' in p) return `${p.error} at line ${l.line} of file '${file}'`;
  }
  return undefined;
}

function compileMap(call: ConverterCall, options: ConverterCompileOptions): ConvFn {
  const name = call.def.name;
  const kind = mapKind(name);
  if (!kind) throw unsupported('converter', name);
  const { match, out } = kind;
  const file = strArg(call.args, 0) ?? '';
  if (!options.readFile) throw new EvalCompileError('file', `map file '${file}' cannot be loaded: no file reader given`);
  const ref = patternRefFor(file, true, options.readFile, { kind: 'map' });
  const parser = match === 'int' ? 'int' : match === 'ip' ? 'ip' : match === 'reg' || match === 'regm' ? 'reg' : 'str';
  const parseOptions = { ignoreCase: false, noDns: false, capture: match === 'regm' };
  // What the file holds must parse (keys and values), as must what is added later.
  for (const e of ref.entries) {
    const p = parsePattern(parser, e.key, parseOptions);
    if (p !== null && 'error' in p) throw new EvalCompileError('file', `${file}:${e.line}: ${p.error}`);
    if (!valueOf(e, out)) throw new EvalCompileError('file', `${file}:${e.line}: unable to parse '${e.value ?? ''}' as ${out === 'int' ? 'an integer' : 'an IPv4 or IPv6 address'}`);
  }
  // At run time a host name is no address (HAProxy resolves names only while starting).
  const runtimeOptions = { ...parseOptions, noDns: true };
  const inputType = call.def.input;
  const index = (list: readonly PatternEntry[]): { finder: (s: Sample) => number; patterns: readonly AclPattern[] } => {
    const patterns = parseFilePatterns(file, list.map((e) => ({ line: e.line, key: e.key, value: e.value ?? '' })), parser, parseOptions);
    return { finder: compileFinder(match === 'regm' ? 'reg' : match, [{ patterns, ignoreCase: false }], options.resolveHost), patterns };
  };
  ref.addUser({
    method: match,
    ignoreCase: false,
    check(key, value) {
      if (key !== undefined) {
        const p = parsePattern(parser, key, runtimeOptions);
        if (p !== null && 'error' in p) return p.error;
      }
      return value !== undefined && !parseMapValue(value, out) ? `unable to parse '${value}'` : undefined;
    },
    lookup(text) {
      const x = castSample(mkStr(text), inputType);
      if (!x) return undefined;
      const list = ref.live();
      const i = index(list).finder(x);
      if (i < 0) return undefined;
      const entry = list[i]!;
      const v = valueOf(entry, out);
      return { entry, valueType: v && SAMPLE_TYPE_NAMES[v.type], tree: match === 'str' || match === 'beg' || match === 'ip' };
    },
  });
  const defText = call.args[1];
  let def: Sample | undefined;
  if (defText?.type === 'int') def = mkInt(defText.value);
  else if (defText?.type === 'str') {
    def = out === 'str' ? mkStr(defText.value) : parseMapValue(defText.value, out);
    if (!def) throw new EvalCompileError('invalid', `${name}: invalid default value '${defText.value}'`);
  }
  if (match === 'str') {
    // HAProxy's exact tree: the first entry of the key answers.
    return (s) => {
      let x: Sample | undefined = s;
      if (inputType === 'addr' && s.type !== 'ipv4' && s.type !== 'ipv6') x = castSample(s, 'addr');
      if (!x) return def;
      const e = ref.current(strOf(x));
      return e ? valueOf(e, out) : def;
    };
  }
  let version = -1;
  let entries: PatternEntry[] = [];
  let finder: (s: Sample) => number = () => -1;
  /** map_regm: each entry's replacement, parsed from the value it had (set-map may change it since). */
  let regm: Array<{ value: string; parts: ReturnType<typeof parseReplacement> }> | undefined;
  let regexes: RegExp[] | undefined;
  const rebuild = (): void => {
    version = ref.version;
    const next = ref.live();
    const built = index(next);
    finder = built.finder;
    const patterns = built.patterns;
    entries = next;
    if (match === 'regm') {
      regm = entries.map((e) => ({ value: e.value ?? '', parts: parseReplacement(e.value ?? '') }));
      regexes = patterns.map((p) => (p.kind === 'regex' ? p.regex : /(?!)/));
    }
  };
  rebuild();
  return (s) => {
    let x: Sample | undefined = s;
    if (inputType === 'addr' && s.type !== 'ipv4' && s.type !== 'ipv6') x = castSample(s, 'addr');
    if (!x) return def;
    if (ref.version !== version) {
      try {
        rebuild();
      } catch {
        // every entry was checked when added: kept as it was if one could still not be indexed
      }
    }
    const i = finder(x);
    if (i < 0) return def;
    if (regm) {
      const re = regexes![i]!;
      re.lastIndex = 0;
      const mm = re.exec(strOf(x));
      let r = regm[i]!;
      if (r.value !== (entries[i]!.value ?? '')) r = regm[i] = { value: entries[i]!.value ?? '', parts: parseReplacement(entries[i]!.value ?? '') };
      const parts = r.parts;
      return mm && parts ? mkStr(expand(parts, mm)) : undefined;
    }
    return valueOf(entries[i]!, out);
  };
}

/** HAProxy's names of the sample types (smp_to_type), as `get map` prints a value's. */
const SAMPLE_TYPE_NAMES: Partial<Record<Sample['type'], string>> = { str: 'str', int: 'sint', ipv4: 'ipv4', ipv6: 'ipv6', bool: 'bool' };

/** The entry's value as a sample of the output type, parsed once per value. */
function valueOf(e: PatternEntry, out: 'str' | 'int' | 'ip'): Sample | undefined {
  // An entry without a value (add-acl on a map's file) answers boolean true (sample_conv_map).
  if (e.value === undefined) return mkBool(true);
  const parsed = e.parsed ??= {};
  const known = parsed[out];
  if (known) return known;
  const v = parseMapValue(e.value ?? '', out);
  parsed[out] = v;
  return v;
}

/** map_parse_str / map_parse_int / map_parse_ip. */
function parseMapValue(text: string, out: string): Sample | undefined {
  if (out === 'str') return mkStr(text);
  if (out === 'int') {
    const r = readInt64(text);
    return r.end === text.length ? mkInt(r.value) : undefined;
  }
  const v4 = buf2ip(text);
  if (v4) return mkIPv4(v4.addr);
  const v6 = buf2ip6(text);
  return v6 ? mkIPv6(v6) : undefined;
}



// map(file[,default]), map_<match>(…), map_<match>_<out>(…)
const MAP_INPUT: Record<string, SampleType> = { str: 'str', beg: 'str', sub: 'str', dir: 'str', dom: 'str', end: 'str', reg: 'str', int: 'int', ip: 'addr' };
const rows: ConverterRow[] = [['map', 'str[,str]', 'str', 'str'], ['map_regm', 'str[,str]', 'str', 'str']];
for (const [match, input] of Object.entries(MAP_INPUT)) {
  rows.push([`map_${match}`, 'str[,str]', input, 'str']);
  rows.push([`map_${match}_int`, 'str[,int]', input, 'int']);
  rows.push([`map_${match}_ip`, 'str[,str]', input, 'addr']);
}

export const MAP_CONVERTERS: readonly ConverterDefinition[] = rows.map((row) => converter(row, compileMap));
