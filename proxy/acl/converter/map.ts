/**
 * Maps (map.c; section 7.3.1): map(file[,default]), map_<match>(…) and
 * map_<match>_<output>(…) look the input up in a map file read at compile
 * time through options.readFile.
 */
import type { ConverterCall, SampleType } from '../types.ts';
import type { Sample } from '../eval-sample.ts';
import type { PatternGroup } from '../eval-match.ts';
import type { ConvFn, ConverterCompileOptions, ConverterDefinition, ConverterRow } from './define.ts';
import { converter, strArg, strOf } from './define.ts';
import { mkStr, mkInt, mkIPv4, mkIPv6, castSample, buf2ip, buf2ip6, readInt64 } from '../eval-sample.ts';
import { compileFinder, parseFileLines, parseFilePatterns } from '../eval-match.ts';
import { EvalCompileError, unsupported } from '../eval-errors.ts';
import { parseReplacement, expand } from './regsub.ts';

/** Map file entries with their parsed output values. */
function compileMap(call: ConverterCall, options: ConverterCompileOptions): ConvFn {
  const name = call.def.name;
  const m = /^map(?:_(str|beg|sub|dir|dom|end|reg|regm|int|ip))?(?:_(int|ip))?$/.exec(name);
  if (!m) throw unsupported('converter', name);
  const match = (m[1] ?? 'str') as 'str' | 'beg' | 'sub' | 'dir' | 'dom' | 'end' | 'reg' | 'regm' | 'int' | 'ip';
  const out = m[2] ?? 'str';
  const file = strArg(call.args, 0) ?? '';
  if (!options.readFile) throw new EvalCompileError('file', `map file '${file}' cannot be loaded: no file reader given`);
  let content: string;
  try {
    content = options.readFile(file);
  } catch (e) {
    throw new EvalCompileError('file', `failed to open map file <${file}> : ${(e as Error).message}`);
  }
  const lines = parseFileLines(content, true);
  const parser = match === 'int' ? 'int' : match === 'ip' ? 'ip' : match === 'reg' || match === 'regm' ? 'reg' : 'str';
  const patterns = parseFilePatterns(file, lines, parser, { ignoreCase: false, noDns: false, capture: match === 'regm' });
  const values: Sample[] = lines.map((l) => {
    const v = parseMapValue(l.value, out);
    if (!v) throw new EvalCompileError('file', `${file}:${l.line}: unable to parse '${l.value}' as ${out === 'int' ? 'an integer' : 'an IPv4 or IPv6 address'}`);
    return v;
  });
  const groups: PatternGroup[] = [{ patterns, ignoreCase: false }];
  const finder = compileFinder(match === 'regm' ? 'reg' : match, groups, options.resolveHost);
  const defText = call.args[1];
  let def: Sample | undefined;
  if (defText?.type === 'int') def = mkInt(defText.value);
  else if (defText?.type === 'str') {
    def = out === 'str' ? mkStr(defText.value) : parseMapValue(defText.value, out);
    if (!def) throw new EvalCompileError('invalid', `${name}: invalid default value '${defText.value}'`);
  }
  const inputType = call.def.input;
  const regm = match === 'regm' ? lines.map((l) => parseReplacement(l.value)) : undefined;
  const regexes = match === 'regm' ? patterns.map((p) => (p.kind === 'regex' ? p.regex : /(?!)/)) : undefined;
  return (s) => {
    let x: Sample | undefined = s;
    if (inputType === 'addr' && s.type !== 'ipv4' && s.type !== 'ipv6') x = castSample(s, 'addr');
    if (!x) return def;
    const i = finder(x);
    if (i < 0) return def;
    if (regm) {
      const re = regexes![i]!;
      re.lastIndex = 0;
      const mm = re.exec(strOf(x));
      const parts = regm[i];
      return mm && parts ? mkStr(expand(parts, mm)) : undefined;
    }
    return values[i];
  };
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
