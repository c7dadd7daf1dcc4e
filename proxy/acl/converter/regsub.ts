/**
 * regsub(regex,replacement[,flags]) (sample.c; section 7.3.1) and the
 * replacement syntax it shares with map_regm (\N groups, \xHH, \c).
 */
import type { SampleArg } from '../types.ts';
import type { Sample } from '../eval-sample.ts';
import type { ConverterDefinition } from './define.ts';
import { converter, strArg, strOf } from './define.ts';
import { mkStr } from '../eval-sample.ts';
import { EvalCompileError } from '../eval-errors.ts';
import { strOf as argStr } from '../validators.ts';

/** Replacement parts: literal text or a group number (exp_replace()'s \N, \xHH, \c). */
export type Part = string | number;

export function parseReplacement(text: string): Part[] | undefined {
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

export function expand(parts: readonly Part[], m: RegExpExecArray): string {
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

/** The flags (i, g) are folded into the parsed regex argument. */
function regsubArgs(a: SampleArg[]): string | undefined {
  const flags = argStr(a[2]) ?? '';
  const bad = /[^ig]/.exec(flags);
  if (bad) return `invalid regex flag '${bad[0]}', only 'i' and 'g' are supported`;
  const re = a[0];
  if (re?.type === 'regex') a[0] = { ...re, ignoreCase: flags.includes('i'), global: flags.includes('g') };
  return undefined;
}

export const REGSUB_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['regsub', 'reg,str[,str]', 'str', 'str'], ({ args }) => regsubConverter(args), regsubArgs),
];
