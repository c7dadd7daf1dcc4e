/**
 * JSON (sample.c; section 7.3.1): json (escaping for a JSON string) and
 * json_query (a value at a JSONPath); the JWT converters are not supported yet.
 */
import type { SampleArg } from '../types.ts';
import type { Sample } from '../eval-sample.ts';
import type { ConverterDefinition } from './define.ts';
import { converter, strArg, strOf } from './define.ts';
import { mkStr, mkInt, mkBool } from '../eval-sample.ts';
import { strOf as argStr, toVar } from '../validators.ts';

const HEXL = '0123456789abcdef';

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

const jsonArgs = (a: SampleArg[]): string | undefined => (/^(|ascii|utf8|utf8s|utf8p|utf8ps)$/.test(argStr(a[0]) ?? '') ? undefined
  : "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'");

function outputType(a: SampleArg[]): string | undefined {
  const t = argStr(a[1]);
  return t && t !== 'int' ? 'output_type only supports "int" as argument' : undefined;
}

function jwtVerifyArgs(a: SampleArg[]): string | undefined {
  if (toVar(a, 0)) return undefined;
  const alg = argStr(a[0]) ?? '';
  if (/^PS(256|384|512)$/.test(alg)) return 'RSASSA-PSS JWS signing not managed yet';
  if (!/^((HS|RS|ES)(256|384|512)|none)$/.test(alg)) return `unknown JWT algorithm: ${alg}`;
  toVar(a, 1);
  return undefined;
}

export const JSON_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['json', 'str', 'str', 'str'], ({ args }) => jsonConverter(strArg(args, 0) ?? ''), jsonArgs),
  converter(['json_query', 'str[,str]', 'str', 'any'], ({ args }) => jsonQueryConverter(strArg(args, 0) ?? '', strArg(args, 1) === 'int'),
    (a) => (!argStr(a[0]) ? 'json_path must not be empty' : outputType(a))),
  converter(['jwt_header_query', '[str,str]', 'bin', 'any'], undefined, outputType),
  converter(['jwt_payload_query', '[str,str]', 'bin', 'any'], undefined, outputType),
  converter(['jwt_verify', 'str,str', 'bin', 'int'], undefined, jwtVerifyArgs),
];
