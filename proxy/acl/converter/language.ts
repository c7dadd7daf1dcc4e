/**
 * language(list[,default]) (sample.c; section 7.3.1): the best match of an
 * Accept-Language header among the configured languages.
 */
import type { Sample } from '../eval-sample.ts';
import type { ConverterDefinition } from './define.ts';
import { converter, strArg, strOf } from './define.ts';
import { mkStr } from '../eval-sample.ts';

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

export const LANGUAGE_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['language', 'str[,str]', 'str', 'str'], ({ args }) => languageConverter(strArg(args, 0) ?? '', strArg(args, 1))),
];
