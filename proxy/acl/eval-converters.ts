/**
 * Converter implementations (section 7.3.1 of the manual), compiled from a
 * parsed ConverterCall. The input sample has already been cast to the
 * converter's input type by the chain (see evaluate.ts); a converter returns
 * the new sample, or undefined when it fails (which stops the expression,
 * as in HAProxy).
 *
 * Converters that HAProxy has but Loadstar does not implement make
 * compileConverter() throw an EvalCompileError of kind 'unsupported' (see
 * UNSUPPORTED_CONVERTERS).
 */
import { createHash, createHmac } from 'node:crypto';
import type { ConverterCall, SampleArg, VarScope } from './types.ts';
import type { SampleContext, StickQuery } from './context.ts';
import type { Sample } from './eval-sample.ts';
import type { PatternGroup, HostResolver } from './eval-match.ts';
import {
  mkStr, mkInt, mkInt64, mkBool, mkBin, mkIPv4, mkIPv6, castSample, strToBytes, bytesToStr, toHex, intOf, clamp64,
  toBigInt64, INT64_MAX, INT64_MIN, sampleToString, buf2ip, buf2ip6, readInt64,
} from './eval-sample.ts';
import { asciiLower, asciiUpper, base64Decode } from './eval-http.ts';
import { sdbm, djb2, wt6, crc32, crc32c, xxh32, xxh64, fullHash } from './eval-hash.ts';
import { compileFinder, parseFileLines, parseFilePatterns } from './eval-match.ts';
import { EvalCompileError, unsupported } from './eval-errors.ts';

export type ConvFn = (s: Sample, ctx: SampleContext) => Sample | undefined;

export interface ConverterCompileOptions {
  /** Reads a map file (map* converters). */
  readonly readFile?: (path: string) => string;
  /** Resolves host names in map_ip keys. */
  readonly resolveHost?: HostResolver;
}

/** Converters HAProxy 2.6 has that are not evaluated yet (compiling them throws). */
export const UNSUPPORTED_CONVERTERS: readonly string[] = [
  'aes_gcm_dec', 'capture-req', 'capture-res', 'fix_is_valid', 'fix_tag_value', 'host_only', 'port_only',
  'jwt_header_query', 'jwt_payload_query', 'jwt_verify', 'mqtt_field_value', 'mqtt_is_valid',
  'protobuf', 'ungrpc', 'xxh3',
];

const strArg = (args: readonly SampleArg[], i: number): string | undefined => {
  const a = args[i];
  return a?.type === 'str' ? a.value : undefined;
};
const intArg = (args: readonly SampleArg[], i: number): number | undefined => {
  const a = args[i];
  return a?.type === 'int' ? a.value : undefined;
};

const bytesOf = (s: Sample): Uint8Array => (s.type === 'bin' ? s.value : s.type === 'str' ? strToBytes(s.value) : new Uint8Array(0));
const strOf = (s: Sample): string => (s.type === 'str' || s.type === 'meth' ? s.value : s.type === 'bin' ? bytesToStr(s.value) : '');

/** A variable or literal integer argument (add(), sub() …): its value at run time. */
function intOperand(arg: SampleArg | undefined): (ctx: SampleContext) => number | undefined {
  if (arg?.type === 'int') { const v = arg.value; return () => v; }
  if (arg?.type === 'var') {
    const { scope, name } = arg;
    return (ctx) => {
      const v = ctx.vars?.get(scope, name);
      const c = v && castSample(v, 'int');
      return c ? intOf(c) : undefined;
    };
  }
  return () => undefined;
}

/** A variable's value as a string (concat, strcmp…); undefined when unset or not castable. */
function varString(ctx: SampleContext, scope: VarScope, name: string): string | undefined {
  const v = ctx.vars?.get(scope, name);
  return v ? sampleToString(v) : undefined;
}

/** arith_add() with saturation. */
function add64(a: number, b: number): number {
  return clamp64(a + b);
}

/** Compiles one converter. */
export function compileConverter(call: ConverterCall, options: ConverterCompileOptions = {}): ConvFn {
  const name = call.def.name;
  const args = call.args;
  if (UNSUPPORTED_CONVERTERS.includes(name)) throw unsupported('converter', name);
  if (name.startsWith('map')) return compileMap(call, options);
  switch (name) {
    case 'lower': return (s) => mkStr(asciiLower(strOf(s)));
    case 'upper': return (s) => mkStr(asciiUpper(strOf(s)));
    case 'length': return (s) => mkInt(strOf(s).length);
    case 'base64': return (s) => mkStr(Buffer.from(bytesOf(s)).toString('base64'));
    case 'ub64enc': return (s) => mkStr(Buffer.from(bytesOf(s)).toString('base64url'));
    case 'b64dec': return (s) => { const b = base64Decode(strOf(s)); return b ? mkBin(b) : undefined; };
    case 'ub64dec': return (s) => { const b = base64UrlDecode(strOf(s)); return b ? mkBin(b) : undefined; };
    case 'hex': return (s) => mkStr(toHex(bytesOf(s)));
    case 'hex2i':
      return (s) => {
        const v = strOf(s);
        let n = 0n;
        for (let i = 0; i < v.length; i++) {
          const d = parseInt(v[i]!, 16);
          if (Number.isNaN(d)) return undefined;
          n = BigInt.asIntN(64, (n << 4n) + BigInt(d));
        }
        return mkInt64(n);
      };
    case 'htonl':
      return (s) => { const v = intOf(s) >>> 0; return mkBin(Uint8Array.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])); };
    case 'bytes': {
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
    }
    case 'field': return fieldConverter(intArg(args, 0) ?? 0, strArg(args, 1) ?? '', intArg(args, 2) ?? 1);
    case 'word': return wordConverter(intArg(args, 0) ?? 0, strArg(args, 1) ?? '', intArg(args, 2) ?? 1);
    case 'regsub': return regsubConverter(args);
    case 'json': return jsonConverter(strArg(args, 0) ?? '');
    case 'json_query': return jsonQueryConverter(strArg(args, 0) ?? '', strArg(args, 1) === 'int');
    case 'cut_crlf': return (s) => { const v = strOf(s); const m = /[\r\n]/.exec(v); return m ? mkStr(v.slice(0, m.index)) : s; };
    case 'ltrim': case 'rtrim': {
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
    }
    case 'url_dec': {
      const inForm = (intArg(args, 0) ?? 0) !== 0;
      return (s) => { const v = urlDecode(strOf(s), inForm); return v === undefined ? undefined : mkStr(v); };
    }
    case 'url_enc':
      return (s) => {
        const v = strOf(s);
        let out = '';
        for (let i = 0; i < v.length; i++) {
          const c = v.charCodeAt(i);
          out += QUERY_SAFE[c] ? v[i] : '%' + HEXU[c >> 4] + HEXU[c & 15];
        }
        return mkStr(out);
      };
    case 'iif': {
      const t = mkStr(strArg(args, 0) ?? '');
      const f = mkStr(strArg(args, 1) ?? '');
      return (s) => (intOf(s) ? t : f);
    }
    case 'debug': return (s) => s;

    // ------------------------------------------------------------ hashes & crypto
    case 'sdbm': case 'djb2': case 'wt6': case 'crc32': case 'crc32c': {
      const fn = { sdbm, djb2, wt6, crc32, crc32c }[name];
      const avalanche = (intArg(args, 0) ?? 0) !== 0;
      return (s) => { const h = fn(bytesOf(s)); return mkInt(avalanche ? fullHash(h) : h); };
    }
    case 'xxh32': { const seed = intArg(args, 0) ?? 0; return (s) => mkInt(xxh32(bytesOf(s), seed)); }
    case 'xxh64': { const seed = toBigInt64(intArg(args, 0) ?? 0); return (s) => mkInt64(xxh64(bytesOf(s), seed)); }
    case 'sha1': return (s) => mkBin(createHash('sha1').update(bytesOf(s)).digest());
    case 'sha2': {
      const bits = intArg(args, 0) || 256;
      const alg = `sha${bits}`;
      return (s) => mkBin(createHash(alg).update(bytesOf(s)).digest());
    }
    case 'digest': {
      const alg = strArg(args, 0) ?? '';
      return (s) => { try { return mkBin(createHash(alg).update(bytesOf(s)).digest()); } catch { return undefined; } };
    }
    case 'hmac': {
      const alg = strArg(args, 0) ?? '';
      const keyArg = args[1];
      const constKey = keyArg?.type === 'str' ? base64Decode(keyArg.value) : undefined;
      return (s, ctx) => {
        let key = constKey;
        if (keyArg?.type === 'var') {
          const k = varString(ctx, keyArg.scope, keyArg.name);
          key = k === undefined ? undefined : base64Decode(k);
        }
        if (!key) return undefined;
        try { return mkBin(createHmac(alg, key).update(bytesOf(s)).digest()); } catch { return undefined; }
      };
    }

    // ------------------------------------------------------------ arithmetic
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': case 'and': case 'or': case 'xor': {
      const operand = intOperand(args[0]);
      const bitwise = BITWISE[name];
      if (bitwise) {
        return (s, ctx) => {
          const b = operand(ctx);
          return b === undefined ? undefined : mkInt64(bitwise(bigOf(s), toBigInt64(b)));
        };
      }
      const op = ARITH[name]!;
      return (s, ctx) => {
        const b = operand(ctx);
        return b === undefined ? undefined : mkInt(op(intOf(s), b));
      };
    }
    case 'neg': return (s) => { const v = intOf(s); return mkInt(v <= INT64_MIN ? INT64_MAX : -v); };
    case 'cpl': return (s) => mkInt64(~bigOf(s));
    case 'bool': return (s) => mkBool(intOf(s) !== 0);
    case 'not': return (s) => mkBool(intOf(s) === 0);
    case 'odd': return (s) => mkBool(intOf(s) % 2 !== 0);
    case 'even': return (s) => mkBool(intOf(s) % 2 === 0);

    // ------------------------------------------------------------ strings & variables
    case 'concat': {
      const pre = strArg(args, 0) ?? '';
      const v = args[1];
      const post = strArg(args, 2) ?? '';
      return (s, ctx) => {
        const mid = v?.type === 'var' ? varString(ctx, v.scope, v.name) ?? '' : '';
        return mkStr(strOf(s) + pre + mid + post);
      };
    }
    case 'add_item': {
      const delim = strArg(args, 0) ?? '';
      const v = args[1];
      const suffix = strArg(args, 2) ?? '';
      return (s, ctx) => {
        const input = strOf(s);
        const mid = v?.type === 'var' ? varString(ctx, v.scope, v.name) : undefined;
        const sep = input.length && ((mid !== undefined && mid.length) || suffix.length) ? delim : '';
        return mkStr(input + sep + (mid ?? '') + suffix);
      };
    }
    case 'strcmp': case 'secure_memcmp': {
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
    }
    case 'set-var': {
      const v = args[0];
      const conds = args.slice(1).map((a) => (a.type === 'str' ? a.value : ''));
      return (s, ctx) => {
        if (v?.type === 'var' && ctx.vars) setVarIf(ctx, v.scope, v.name, s, conds);
        return s;
      };
    }
    case 'unset-var': {
      const v = args[0];
      return (s, ctx) => { if (v?.type === 'var') ctx.vars?.unset(v.scope, v.name); return s; };
    }

    // ------------------------------------------------------------ dates
    case 'ltime': case 'utime': {
      const fmt = strArg(args, 0) ?? '';
      const offset = intArg(args, 1) ?? 0;
      const utc = name === 'utime';
      return (s) => mkStr(strftime(fmt, new Date(((intOf(s) % 2 ** 55) + offset) * 1000), utc));
    }
    case 'http_date': {
      const offset = intArg(args, 0) ?? 0;
      const unit = strArg(args, 1);
      return (s) => {
        let v = intOf(s) + offset;
        let frac = 0;
        if (unit === 'ms') { frac = v % 1000; v = Math.trunc(v / 1000); } else if (unit === 'us') { frac = v % 1000000; v = Math.trunc(v / 1000000); }
        const d = new Date((v % 2 ** 55) * 1000);
        const base = `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate(), 2)} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCFullYear(), 4)} `
          + `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
        return mkStr(unit === 'ms' || unit === 'us' ? `${base}.${frac} GMT` : `${base} GMT`);
      };
    }

    // ------------------------------------------------------------ addresses & binary
    case 'ipmask': {
      const m4 = args[0]?.type === 'ipv4' ? args[0].value : 0xffffffff;
      const m6 = args[1]?.type === 'ipv6' ? args[1].value : undefined;
      return (s) => {
        let x = s;
        if (x.type === 'ipv6') { const c = castSample(x, 'ipv4'); if (c) x = c; }
        if (x.type === 'ipv4') return mkIPv4((x.value & m4) >>> 0);
        if (x.type === 'ipv6') {
          if (!m6) return undefined;
          const out = new Uint8Array(16);
          for (let i = 0; i < 16; i++) out[i] = x.value[i]! & m6[i]!;
          return mkIPv6(out);
        }
        return undefined;
      };
    }
    case 'be2dec': {
      const sep = strArg(args, 0) ?? '';
      const size = intArg(args, 1) ?? 1;
      const trunc = (intArg(args, 2) ?? 0) !== 0;
      return (s) => {
        const b = bytesOf(s);
        const last = trunc ? b.length - size + 1 : b.length;
        let out = '';
        let p = 0;
        while (p < last) {
          if (p) out += sep;
          let n = 0n;
          for (let i = 0; i < size && p < b.length; i++) n = (n << 8n) + BigInt(b[p++]!);
          out += n.toString();
        }
        return mkStr(out);
      };
    }
    case 'be2hex': {
      const sep = strArg(args, 0) ?? '';
      const size = intArg(args, 1) ?? 0;
      const trunc = (intArg(args, 2) ?? 0) !== 0;
      return (s) => {
        const b = bytesOf(s);
        const chunk = sep === '' && !trunc ? b.length : size;
        if (chunk <= 0) return mkStr(toHex(b));
        const last = trunc ? b.length - chunk + 1 : b.length;
        let out = '';
        let p = 0;
        while (p < last) {
          if (p) out += sep;
          const end = Math.min(p + chunk, b.length);
          out += toHex(b.subarray(p, end));
          p = end;
        }
        return mkStr(out);
      };
    }
    case 'language': return languageConverter(strArg(args, 0) ?? '', strArg(args, 1));

    // ------------------------------------------------------------ proxies & tables
    case 'nbsrv':
      return (s, ctx) => { const v = ctx.hooks?.backend?.(strOf(s), 'nbsrv'); return v === undefined ? undefined : mkInt(v); };
    case 'srv_queue':
      return (s, ctx) => {
        const full = strOf(s);
        const slash = full.indexOf('/');
        if (slash < 0) return undefined;
        const v = ctx.hooks?.server?.(full.slice(0, slash), full.slice(slash + 1), 'srv_queue');
        return v === undefined ? undefined : mkInt(v);
      };
    case 'in_table': {
      const table = args[0]?.type === 'ref' ? args[0].name : '';
      return (s, ctx) => {
        const v = ctx.hooks?.stickCounter?.(ctx, { fn: 'in_table', by: 'key', table, key: s });
        return mkBool(v !== undefined && v !== 0);
      };
    }
  }
  if (name.startsWith('table_')) {
    const fn = name.slice(6);
    const indexed = fn === 'gpc' || fn === 'gpc_rate' || fn === 'gpt';
    const index = indexed ? intArg(args, 0) : undefined;
    const tabArg = args[indexed ? 1 : 0];
    const table = tabArg?.type === 'ref' ? tabArg.name : '';
    return (s, ctx) => {
      const q: StickQuery = { fn, by: 'key', table, key: s, ...(index !== undefined ? { index } : {}) };
      const v = ctx.hooks?.stickCounter?.(ctx, q);
      return v === undefined ? undefined : mkInt(v);
    };
  }
  throw unsupported('converter', name);
}

// ---------------------------------------------------------------- arithmetic

const ARITH: Record<string, (a: number, b: number) => number> = {
  add: add64,
  sub: (a, b) => add64(a, -b),
  mul: (a, b) => {
    const p = toBigInt64(a) * toBigInt64(b);
    return p > 9223372036854775807n ? INT64_MAX : p < -9223372036854775808n ? INT64_MIN : Number(p);
  },
  div: (a, b) => (b === 0 ? INT64_MAX : a <= INT64_MIN && b === -1 ? INT64_MAX : clamp64(Number(toBigInt64(a) / toBigInt64(b)))),
  mod: (a, b) => (b === 0 ? 0 : a <= INT64_MIN && b === -1 ? 0 : Number(toBigInt64(a) % toBigInt64(b))),
};

const BITWISE: Record<string, (a: bigint, b: bigint) => bigint> = {
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
};

/** Exact 64-bit value of an int sample. */
const bigOf = (s: Sample): bigint => (s.type === 'int' && s.big !== undefined ? s.big : toBigInt64(intOf(s)));

// ---------------------------------------------------------------- variables

function setVarIf(ctx: SampleContext, scope: VarScope, name: string, s: Sample, conds: readonly string[]): void {
  const vars = ctx.vars!;
  const old = vars.get(scope, name);
  for (const c of conds) {
    switch (c) {
      case 'ifexists': case 'ifset': if (!old) return; break;
      case 'ifnotexists': case 'ifnotset': if (old) return; break;
      case 'ifempty':
        if ((s.type !== 'str' && s.type !== 'bin') || s.value.length) return;
        break;
      case 'ifnotempty':
        if ((s.type === 'str' || s.type === 'bin') && !s.value.length) return;
        break;
      case 'ifgt': if (old?.type === 'int' && s.type === 'int' && !(old.value > s.value)) return; break;
      case 'iflt': if (old?.type === 'int' && s.type === 'int' && !(old.value < s.value)) return; break;
    }
  }
  vars.set(scope, name, s);
}

// ---------------------------------------------------------------- field / word

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

// ---------------------------------------------------------------- regsub

/** Replacement parts: literal text or a group number (exp_replace()'s \N, \xHH, \c). */
type Part = string | number;

function parseReplacement(text: string): Part[] | undefined {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') { lit += c; continue; }
    const n = text[++i];
    if (n === undefined) return undefined;
    if (n >= '0' && n <= '9') {
      if (lit) { parts.push(lit); lit = ''; }
      parts.push(Number(n));
    } else if (n === 'x') {
      const h = text.slice(i + 1, i + 3);
      if (h.length < 2) return undefined;
      const hex = (ch: string): number => { let v = ch.toUpperCase().charCodeAt(0) - 48; if (v > 9) v -= 7; return v & 15; };
      lit += String.fromCharCode(((hex(h[0]!) << 4) + hex(h[1]!)) & 255);
      i += 2;
    } else lit += n;
  }
  if (lit) parts.push(lit);
  return parts;
}

function expand(parts: readonly Part[], m: RegExpExecArray): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : m[p] ?? '';
  return out;
}

function regsubConverter(args: readonly SampleArg[]): (s: Sample) => Sample | undefined {
  const re = args[0];
  if (re?.type !== 'regex') throw new EvalCompileError('invalid', 'regsub: missing regex');
  const parts = parseReplacement(strArg(args, 1) ?? '');
  const global = re.global;
  const g = new RegExp(re.regex.source, re.regex.flags.replace(/[gy]/g, '') + 'g');
  return (s) => {
    if (!parts) return undefined;
    const v = strOf(s);
    const end = v.length;
    let out = '';
    let start = 0;
    let notbol = false;
    for (;;) {
      let m: RegExpExecArray | null = null;
      if (global || !notbol) {
        g.lastIndex = start;
        m = g.exec(v);
      }
      if (!m) { out += v.slice(start); break; }
      out += v.slice(start, m.index);
      out += expand(parts, m);
      if (start >= end) break;
      let eo = m.index + m[0].length;
      if (eo === start) { // empty match at the current position: copy one character and move on
        if (start < end) out += v[start];
        eo++;
      }
      start = eo;
      notbol = true;
      if (start > end) break;
    }
    return mkStr(out);
  };
}

// ---------------------------------------------------------------- json

const HEXL = '0123456789abcdef';
const HEXU = '0123456789ABCDEF';

/** sample_conv_json(): escapes for a JSON string; `mode` '', 'ascii', 'utf8', 'utf8s', 'utf8p', 'utf8ps'. */
function jsonConverter(mode: string): (s: Sample) => Sample | undefined {
  const ascii = mode === '' || mode === 'ascii';
  const skipInvalid = mode === 'utf8s' || mode === 'utf8ps';
  const permissive = mode === 'utf8p' || mode === 'utf8ps';
  const esc = (c: number): string => {
    switch (c) {
      case 34: return '\\"';
      case 92: return '\\\\';
      case 47: return '\\/';
      case 8: return '\\b';
      case 12: return '\\f';
      case 13: return '\\r';
      case 10: return '\\n';
      case 9: return '\\t';
    }
    if (c > 0xff || c < 0x20 || c >= 0x7f) return '\\u' + HEXL[(c >> 12) & 15] + HEXL[(c >> 8) & 15] + HEXL[(c >> 4) & 15] + HEXL[c & 15];
    return String.fromCharCode(c);
  };
  return (s) => {
    const v = strOf(s);
    let out = '';
    if (ascii) {
      for (let i = 0; i < v.length; i++) out += esc(v.charCodeAt(i) & 255);
      return mkStr(out);
    }
    let i = 0;
    while (i < v.length) {
      const r = utf8Next(v, i);
      i += r.len;
      if (r.code !== 'ok') {
        const hard = r.code === 'badseq' || r.code === 'invrange';
        if (!permissive || hard) {
          if (skipInvalid) continue;
          return undefined;
        }
      }
      if (r.cp > 0xffff) {
        if (skipInvalid) continue;
        return undefined;
      }
      out += esc(r.cp);
    }
    return mkStr(out);
  };
}

/** utf8_next(): decodes one UTF-8 sequence from a byte string. */
function utf8Next(s: string, i: number): { cp: number; len: number; code: 'ok' | 'badseq' | 'invrange' | 'noncanon' | 'surrogate' } {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return { cp: b0, len: 1, code: 'ok' };
  let need: number;
  let cp: number;
  let min: number;
  if (b0 >= 0xc0 && b0 < 0xe0) { need = 1; cp = b0 & 0x1f; min = 0x80; }
  else if (b0 >= 0xe0 && b0 < 0xf0) { need = 2; cp = b0 & 0x0f; min = 0x800; }
  else if (b0 >= 0xf0 && b0 < 0xf8) { need = 3; cp = b0 & 0x07; min = 0x10000; }
  else return { cp: b0, len: 1, code: 'badseq' };
  for (let k = 1; k <= need; k++) {
    const b = s.charCodeAt(i + k);
    if (Number.isNaN(b) || (b & 0xc0) !== 0x80) return { cp: b0, len: k, code: 'badseq' };
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min) return { cp, len: need + 1, code: 'noncanon' };
  if (cp > 0x10ffff) return { cp, len: need + 1, code: 'invrange' };
  if (cp >= 0xd800 && cp <= 0xdfff) return { cp, len: need + 1, code: 'surrogate' };
  return { cp, len: need + 1, code: 'ok' };
}

/**
 * json_query(path[,'int']): finds the value at a JSONPath ($, .key, [n]) in
 * the input (like mjson_find) and returns numbers (as "%g" text, or int),
 * booleans and strings; null, objects and arrays give nothing.
 */
function jsonQueryConverter(path: string, asInt: boolean): (s: Sample) => Sample | undefined {
  const steps = parseJsonPath(path);
  return (s) => {
    if (!steps) return undefined;
    const text = strOf(s);
    const tok = jsonFind(text, steps);
    if (!tok) return undefined;
    const raw = text.slice(tok.start, tok.end);
    switch (tok.type) {
      case 'number': {
        if (asInt) {
          const v = strtoll0(raw);
          return Math.abs(v) > 2 ** 53 - 1 ? undefined : mkInt(v);
        }
        const d = Number.parseFloat(raw);
        return Number.isNaN(d) ? undefined : mkStr(formatG(d));
      }
      case 'true': return mkBool(true);
      case 'false': return mkBool(false);
      case 'string': { const v = jsonUnescape(raw); return v === undefined ? undefined : mkStr(v); }
      default: return undefined;
    }
  };
}

type PathStep = string | number;
function parseJsonPath(path: string): PathStep[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      steps.push(path.slice(i + 1, j));
      i = j;
    } else if (path[i] === '[') {
      const j = path.indexOf(']', i);
      if (j < 0) return undefined;
      const n = Number(path.slice(i + 1, j));
      if (!Number.isInteger(n) || n < 0) return undefined;
      steps.push(n);
      i = j + 1;
    } else return undefined;
  }
  return steps;
}

interface JsonTok { type: 'number' | 'string' | 'true' | 'false' | 'null' | 'object' | 'array'; start: number; end: number }

/** Finds the token at `steps` in `s` (a byte string holding JSON); undefined if absent or invalid. */
function jsonFind(s: string, steps: readonly PathStep[]): JsonTok | undefined {
  let pos = 0;
  const ws = (): void => { while (pos < s.length && ' \t\r\n'.includes(s[pos]!)) pos++; };
  const fail = (): never => { throw new Error('json'); };
  const value = (depth: number): JsonTok => {
    ws();
    const start = pos;
    const c = s[pos];
    if (c === '{') {
      pos++;
      ws();
      const want = depth < steps.length ? steps[depth] : undefined;
      let found: JsonTok | undefined;
      if (s[pos] === '}') { pos++; return found ?? { type: 'object', start, end: pos }; }
      for (;;) {
        ws();
        if (s[pos] !== '"') fail();
        const kStart = pos;
        skipString();
        const key = jsonUnescape(s.slice(kStart, pos));
        ws();
        if (s[pos] !== ':') fail();
        pos++;
        const v = typeof want === 'string' && key === want && !found ? value(depth + 1) : value(steps.length + 1);
        if (typeof want === 'string' && key === want && !found) found = v;
        ws();
        if (s[pos] === ',') { pos++; continue; }
        if (s[pos] === '}') { pos++; break; }
        fail();
      }
      if (depth < steps.length) return found ?? { type: 'null', start: -1, end: -1 };
      return { type: 'object', start, end: pos };
    }
    if (c === '[') {
      pos++;
      ws();
      const want = depth < steps.length ? steps[depth] : undefined;
      let found: JsonTok | undefined;
      let idx = 0;
      if (s[pos] === ']') { pos++; } else {
        for (;;) {
          const hit = typeof want === 'number' && idx === want;
          const v = value(hit ? depth + 1 : steps.length + 1);
          if (hit) found = v;
          idx++;
          ws();
          if (s[pos] === ',') { pos++; continue; }
          if (s[pos] === ']') { pos++; break; }
          fail();
        }
      }
      if (depth < steps.length) return found ?? { type: 'null', start: -1, end: -1 };
      return { type: 'array', start, end: pos };
    }
    let tok: JsonTok;
    if (c === '"') { skipString(); tok = { type: 'string', start, end: pos }; }
    else if (s.startsWith('true', pos)) { pos += 4; tok = { type: 'true', start, end: pos }; }
    else if (s.startsWith('false', pos)) { pos += 5; tok = { type: 'false', start, end: pos }; }
    else if (s.startsWith('null', pos)) { pos += 4; tok = { type: 'null', start, end: pos }; }
    else {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(s.slice(pos, pos + 400));
      if (!m || !m[0]) fail();
      pos += m![0].length;
      tok = { type: 'number', start, end: pos };
    }
    if (depth < steps.length) return { type: 'null', start: -1, end: -1 };
    return tok;
  };
  const skipString = (): void => {
    pos++;
    while (pos < s.length && s[pos] !== '"') pos += s[pos] === '\\' ? 2 : 1;
    if (pos >= s.length) fail();
    pos++;
  };
  try {
    const t = value(0);
    return t.start < 0 ? undefined : t;
  } catch {
    return undefined;
  }
}

/** JSON string token (with quotes) → byte string (UTF-8 for \u escapes). */
function jsonUnescape(tok: string): string | undefined {
  let out = '';
  for (let i = 1; i < tok.length - 1; i++) {
    const c = tok[i]!;
    if (c !== '\\') { out += c; continue; }
    const n = tok[++i];
    switch (n) {
      case '"': case '\\': case '/': out += n; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        const cp = parseInt(tok.slice(i + 1, i + 5), 16);
        if (Number.isNaN(cp)) return undefined;
        out += Buffer.from(String.fromCharCode(cp), 'utf8').toString('latin1');
        i += 4;
        break;
      }
      default: return undefined;
    }
  }
  return out;
}

/** strtoll(text, NULL, 0): sign, 0x hex / 0 octal / decimal prefix digits. */
function strtoll0(t: string): number {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(t);
  if (!m || !m[2]) return 0;
  const body = m[2];
  const v = body.startsWith('0x') || body.startsWith('0X') ? parseInt(body.slice(2), 16) : body.length > 1 && body[0] === '0' ? parseInt(body, 8) : Number(body);
  return m[1] === '-' ? -v : v;
}

/** C's printf("%g"). */
export function formatG(d: number): string {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(d)));
  let e = Number(d.toExponential(5).split('e')[1]);
  if (Number.isNaN(e)) e = exp;
  if (e < -4 || e >= 6) {
    let [mant, ex] = d.toExponential(5).split('e') as [string, string];
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const en = Number(ex);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  let f = d.toFixed(Math.max(0, 5 - e));
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '');
  return f;
}

// ---------------------------------------------------------------- url

/** url_decode(): %XX and, in form mode (or after a '?'), '+' → ' '; a bad %-sequence fails. */
function urlDecode(v: string, inFormStart: boolean): string | undefined {
  let inForm = inFormStart;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\0') break;
    if (c === '+') out += inForm ? ' ' : '+';
    else if (c === '%') {
      const h = v.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out += String.fromCharCode(parseInt(h, 16));
      i += 2;
    } else {
      if (c === '?') inForm = true;
      out += c;
    }
  }
  return out;
}

/** Characters url_enc(query) leaves alone (HAProxy's query_encode_map: unreserved characters). */
const QUERY_SAFE: boolean[] = (() => {
  const t = new Array<boolean>(256).fill(false);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') t[c.charCodeAt(0)] = true;
  return t;
})();

function base64UrlDecode(s: string): Uint8Array | undefined {
  const rem = s.length % 4;
  if (rem === 1) return undefined;
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

// ---------------------------------------------------------------- language

/** sample_conv_q_preferred(): best language of Accept-Language among `list` (';'-separated), else `def`. */
function languageConverter(list: string, def: string | undefined): (s: Sample) => Sample | undefined {
  const langs = list.split(';');
  const rangeMatch = (range: string, tag: string): boolean => {
    let i = 0;
    for (; i < range.length; i++) {
      if (range[i] === '-' && i === tag.length) return true;
      if (i >= tag.length || range[i] !== tag[i]) return false;
    }
    return i === tag.length;
  };
  const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);
  return (s) => {
    const al = strOf(s);
    let best = '';
    let bestQ = 0;
    let p = 0;
    const n = al.length;
    outer: while (true) {
      while (p < n && isSpace(al[p])) p++;
      if (p >= n) break;
      const t0 = p;
      while (p < n && al[p] !== ';' && al[p] !== ',' && !isSpace(al[p])) p++;
      let matched: string | undefined;
      if (p !== t0) {
        const token = al.slice(t0, p);
        matched = langs.find((w) => rangeMatch(token, w));
      }
      if (matched !== undefined) {
        let q = 1000;
        while (p < n && isSpace(al[p])) p++;
        if (p < n && al[p] !== ',') {
          if (al[p] !== ';') matched = undefined;
          else {
            p++;
            while (p < n && isSpace(al[p])) p++;
            if (p < n && al[p] === 'q') {
              p++;
              while (p < n && isSpace(al[p])) p++;
              if (p < n && al[p] === '=') {
                p++;
                while (p < n && isSpace(al[p])) p++;
                if (p < n) { const r = parseQ(al, p); q = r.q; p = r.end; }
              }
            }
          }
        }
        if (matched !== undefined && q > bestQ) {
          best = matched;
          if (q >= 1000) break outer;
          bestQ = q;
        }
      }
      while (p < n && al[p] !== ',') p++;
      if (p >= n) break;
      p++;
    }
    if (best === '' && def !== undefined) best = def;
    return best === '' ? undefined : mkStr(best);
  };
}

function parseQ(s: string, p: number): { q: number; end: number } {
  const dig = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let q = 1000;
  if (!dig(s[p])) return { q, end: p };
  q = (s.charCodeAt(p++) - 48) * 1000;
  if (s[p++] !== '.') return { q: Math.min(q, 1000), end: p };
  for (const mul of [100, 10, 1]) {
    if (!dig(s[p])) return { q: Math.min(q, 1000), end: p };
    q += (s.charCodeAt(p++) - 48) * mul;
  }
  return { q: Math.min(q, 1000), end: p };
}

// ---------------------------------------------------------------- dates

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const pad = (n: number, w: number, c = '0'): string => String(n).padStart(w, c);

/** strftime() in the C locale, for ltime/utime. Unknown conversions are copied as is. */
export function strftime(fmt: string, d: Date, utc: boolean): string {
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = utc ? d.getUTCMonth() : d.getMonth();
  const day = utc ? d.getUTCDate() : d.getDate();
  const H = utc ? d.getUTCHours() : d.getHours();
  const M = utc ? d.getUTCMinutes() : d.getMinutes();
  const S = utc ? d.getUTCSeconds() : d.getSeconds();
  const wd = utc ? d.getUTCDay() : d.getDay();
  const jan1 = utc ? Date.UTC(Y, 0, 1) : new Date(Y, 0, 1).getTime();
  const dayStart = utc ? Date.UTC(Y, mo, day) : new Date(Y, mo, day).getTime();
  const yday = Math.round((dayStart - jan1) / 86400000);
  const offMin = utc ? 0 : -d.getTimezoneOffset();
  const tz = `${offMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offMin) / 60), 2)}${pad(Math.abs(offMin) % 60, 2)}`;
  const conv = (c: string): string | undefined => {
    switch (c) {
      case 'a': return DAYS[wd];
      case 'A': return DAYS_LONG[wd];
      case 'b': case 'h': return MONTHS[mo];
      case 'B': return MONTHS_LONG[mo];
      case 'c': return `${DAYS[wd]} ${MONTHS[mo]} ${pad(day, 2, ' ')} ${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)} ${Y}`;
      case 'C': return pad(Math.floor(Y / 100), 2);
      case 'd': return pad(day, 2);
      case 'D': return `${pad(mo + 1, 2)}/${pad(day, 2)}/${pad(Y % 100, 2)}`;
      case 'e': return pad(day, 2, ' ');
      case 'F': return `${Y}-${pad(mo + 1, 2)}-${pad(day, 2)}`;
      case 'H': return pad(H, 2);
      case 'I': return pad(H % 12 || 12, 2);
      case 'j': return pad(yday + 1, 3);
      case 'k': return pad(H, 2, ' ');
      case 'l': return pad(H % 12 || 12, 2, ' ');
      case 'm': return pad(mo + 1, 2);
      case 'M': return pad(M, 2);
      case 'n': return '\n';
      case 'p': return H < 12 ? 'AM' : 'PM';
      case 'r': return `${pad(H % 12 || 12, 2)}:${pad(M, 2)}:${pad(S, 2)} ${H < 12 ? 'AM' : 'PM'}`;
      case 'R': return `${pad(H, 2)}:${pad(M, 2)}`;
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'S': return pad(S, 2);
      case 't': return '\t';
      case 'T': return `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`;
      case 'u': return String(wd || 7);
      case 'w': return String(wd);
      case 'x': return `${pad(mo + 1, 2)}/${pad(day, 2)}/${pad(Y % 100, 2)}`;
      case 'X': return `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`;
      case 'y': return pad(Y % 100, 2);
      case 'Y': return String(Y);
      case 'z': return tz;
      case 'Z': return utc ? 'GMT' : (Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '');
      case '%': return '%';
      default: return undefined;
    }
  };
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%' || i + 1 >= fmt.length) { out += c; continue; }
    const r = conv(fmt[++i]!);
    out += r ?? '%' + fmt[i];
  }
  return out;
}

// ---------------------------------------------------------------- maps

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

