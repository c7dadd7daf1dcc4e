/**
 * Text converters (sample.c; section 7.3.1): case, length, trimming, byte
 * ranges, fields and words, concatenation with variables, comparisons.
 */
import type { SampleArg } from '../types.ts';
import type { Sample } from '../eval-sample.ts';
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter, strArg, intArg, bytesOf, strOf, varString } from './define.ts';
import { mkStr, mkInt, mkBool, mkBin, castSample, intOf, sampleToString } from '../eval-sample.ts';
import { asciiLower, asciiUpper } from '../eval-http.ts';
import { strOf as argStr, intOf as argInt, toVar } from '../validators.ts';

const bytes: ConverterCompiler = ({ args }) => {
  const off = intArg(args, 0) ?? 0;
  const len = intArg(args, 1);
  return (s) => {
    if (s.type === 'bin') {
      if (s.value.length <= off) return mkBin(new Uint8Array(0));
      const rest = s.value.subarray(off);
      return mkBin(len !== undefined && len < rest.length ? rest.subarray(0, len) : rest);
    }
    const v = strOf(s);
    if (v.length <= off) return mkStr('');
    const rest = v.slice(off);
    return mkStr(len !== undefined && len < rest.length ? rest.slice(0, len) : rest);
  };
};

const trim: ConverterCompiler = ({ def: { name }, args }) => {
  const set = strArg(args, 0) ?? '';
  const left = name === 'ltrim';
  return (s) => {
    const v = strOf(s);
    let a = 0;
    let b = v.length;
    if (left) while (a < b && set.includes(v[a]!)) a++;
    else while (b > a && set.includes(v[b - 1]!)) b--;
    return mkStr(v.slice(a, b));
  };
};

const iif: ConverterCompiler = ({ args }) => {
  const t = mkStr(strArg(args, 0) ?? '');
  const f = mkStr(strArg(args, 1) ?? '');
  return (s) => (intOf(s) ? t : f);
};

const concat: ConverterCompiler = ({ args }) => {
  const pre = strArg(args, 0) ?? '';
  const v = args[1];
  const post = strArg(args, 2) ?? '';
  return (s, ctx) => {
    const mid = v?.type === 'var' ? varString(ctx, v.scope, v.name) ?? '' : '';
    return mkStr(strOf(s) + pre + mid + post);
  };
};

const addItem: ConverterCompiler = ({ args }) => {
  const delim = strArg(args, 0) ?? '';
  const v = args[1];
  const suffix = strArg(args, 2) ?? '';
  return (s, ctx) => {
    const input = strOf(s);
    const mid = v?.type === 'var' ? varString(ctx, v.scope, v.name) : undefined;
    const sep = input.length && ((mid !== undefined && mid.length) || suffix.length) ? delim : '';
    return mkStr(input + sep + (mid ?? '') + suffix);
  };
};

/** strcmp / secure_memcmp(var): compares the input with a variable. */
const compareWithVariable: ConverterCompiler = ({ def: { name }, args }) => {
  const v = args[0];
  const secure = name === 'secure_memcmp';
  return (s, ctx) => {
    if (v?.type !== 'var') return undefined;
    const other = ctx.vars?.get(v.scope, v.name);
    if (!other) return undefined;
    if (secure) {
      const a = bytesOf(s);
      const ob = castSample(other, 'bin');
      if (!ob || ob.type !== 'bin') return undefined;
      return mkBool(a.length === ob.value.length && Buffer.compare(Buffer.from(a), Buffer.from(ob.value)) === 0);
    }
    const b = sampleToString(other);
    if (b === undefined) return undefined;
    const a = strOf(s);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i);
      if (d !== 0) return mkInt(d);
    }
    return mkInt(a.length === b.length ? 0 : a.length < b.length ? -1 : 1);
  };
};

/** sample_conv_field(): field `index` (from 1, or from the end when negative), `count` fields long. */
function fieldConverter(index: number, delims: string, countArg: number): (s: Sample) => Sample | undefined {
  const isDelim = (c: string): boolean => delims.includes(c);
  return (s) => {
    const v = strOf(s);
    let count = countArg;
    let field: number;
    let start: number;
    let end: number;
    if (index < 0) {
      field = -1;
      end = start = v.length;
      for (; start > 0; start--) {
        if (!isDelim(v[start - 1]!)) continue;
        if (field === index) {
          if (count === 1) return mkStr(v.slice(start, end));
          if (count > 1) count--;
        } else {
          end = start - 1;
          field--;
        }
      }
    } else {
      field = 1;
      end = start = 0;
      for (; end < v.length; end++) {
        if (!isDelim(v[end]!)) continue;
        if (field === index) {
          if (count === 1) return mkStr(v.slice(start, end));
          if (count > 1) count--;
        } else {
          start = end + 1;
          field++;
        }
      }
    }
    if (field !== index) return undefined;
    return mkStr(v.slice(start, end));
  };
}

/** sample_conv_word(): word `index` (runs of delimiters separate words), `count` words long. */
function wordConverter(index: number, delims: string, countArg: number): (s: Sample) => Sample | undefined {
  const isDelim = (c: string): boolean => delims.includes(c);
  return (s) => {
    const v = strOf(s);
    let count = countArg;
    let word = 0;
    let inword = false;
    let start: number;
    let end: number;
    if (index < 0) {
      end = start = v.length;
      for (; start > 0; start--) {
        const sep = isDelim(v[start - 1]!);
        if (!inword) {
          if (!sep) {
            if (word !== index) { word--; end = start; }
            inword = true;
          }
        } else if (sep) {
          if (word === index) {
            if (count === 1) return mkStr(v.slice(start, end));
            if (count > 1) count--;
          }
          inword = false;
        }
      }
    } else {
      end = start = 0;
      for (; end < v.length; end++) {
        const sep = isDelim(v[end]!);
        if (!inword) {
          if (!sep) {
            if (word !== index) { word++; start = end; }
            inword = true;
          }
        } else if (sep) {
          if (word === index) {
            if (count === 1) return mkStr(v.slice(start, end));
            if (count > 1) count--;
          }
          inword = false;
        }
      }
    }
    if (word !== index) return mkStr('');
    return mkStr(v.slice(start, end));
  };
}

const field: ConverterCompiler = ({ args }) => fieldConverter(intArg(args, 0) ?? 0, strArg(args, 1) ?? '', intArg(args, 2) ?? 1);
const word: ConverterCompiler = ({ args }) => wordConverter(intArg(args, 0) ?? 0, strArg(args, 1) ?? '', intArg(args, 2) ?? 1);

// ---------------------------------------------------------------- argument checks

function variableArg(a: SampleArg[]): string | undefined {
  const text = argStr(a[0]) ?? '';
  if (!text) return 'missing variable name';
  return toVar(a, 0) ? undefined : `failed to register variable name '${text}'`;
}

function fieldArgs(a: SampleArg[]): string | undefined {
  return argInt(a[0]) === 0 ? 'Unexpected value 0 for index' : !argStr(a[1]) ? 'Empty separators list' : undefined;
}

function addItemArgs(a: SampleArg[]): string | undefined {
  const v = argStr(a[1]) ?? '';
  if (v && !toVar(a, 1)) return `failed to register variable name '${v}'`;
  if (!v && !argStr(a[2])) return 'one of the optional arguments has to be nonempty';
  return undefined;
}

function concatArgs(a: SampleArg[]): string | undefined {
  const v = argStr(a[1]) ?? '';
  return v && !toVar(a, 1) ? `failed to register variable name '${v}'` : undefined;
}

export const STRING_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['add_item', 'str,str[,str]', 'str', 'str'], addItem, addItemArgs),
  converter(['concat', 'str[,str,str]', 'str', 'str'], concat, concatArgs),
  converter(['bytes', 'int[,int]', 'bin', 'bin'], bytes),
  converter(['capture-req', 'int', 'str', 'str']),
  converter(['capture-res', 'int', 'str', 'str']),
  converter(['cut_crlf', '', 'str', 'str'], () => (s) => { const v = strOf(s); const m = /[\r\n]/.exec(v); return m ? mkStr(v.slice(0, m.index)) : s; }),
  converter(['debug', '[str,str]', 'any', 'any'], () => (s) => s),
  converter(['field', 'int,str[,int]', 'str', 'str'], field, fieldArgs),
  converter(['word', 'int,str[,int]', 'str', 'str'], word, fieldArgs),
  converter(['iif', 'str,str', 'bool', 'str'], iif),
  converter(['length', '', 'str', 'int'], () => (s) => mkInt(strOf(s).length)),
  converter(['lower', '', 'str', 'str'], () => (s) => mkStr(asciiLower(strOf(s)))),
  converter(['upper', '', 'str', 'str'], () => (s) => mkStr(asciiUpper(strOf(s)))),
  converter(['ltrim', 'str', 'str', 'str'], trim),
  converter(['rtrim', 'str', 'str', 'str'], trim),
  converter(['secure_memcmp', 'str', 'bin', 'bool'], compareWithVariable, variableArg),
  converter(['strcmp', 'str', 'str', 'int'], compareWithVariable, variableArg),
];
