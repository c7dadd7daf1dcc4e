/**
 * Pattern matching (pattern.c): compiles a set of parsed patterns and a
 * matching method into a function telling which pattern (if any) a sample
 * matches. ACLs only need "does it match"; maps need the first matching
 * entry in HAProxy's lookup order (exact string tree, longest prefix for
 * `beg` and `ip`, list order for the others).
 *
 * Samples given to a finder have already been cast to the method's type
 * (MATCH_INPUT_TYPE): str for str/beg/end/sub/dir/dom/len/reg, int for
 * int/bool, ipv4/ipv6 for ip, bin for bin, meth for the method matcher.
 */
import type { AclPattern, MatchMethod, PatternParser } from './types.ts';
import type { Sample } from './eval-sample.ts';
import { intOf } from './eval-sample.ts';
import { asciiLower } from './eval-http.ts';
import { parsePattern } from './matchers.ts';
import { EvalCompileError } from './eval-errors.ts';

/** Patterns sharing the same -i flag (the inline ones, or one -f file). */
export interface PatternGroup {
  readonly patterns: readonly AclPattern[];
  readonly ignoreCase: boolean;
}

/** Index of the matching pattern (in the concatenation of the groups), or -1. */
export type Finder = (s: Sample) => number;

/** Resolves a host name pattern (IPv4 only, like HAProxy at startup). */
export type HostResolver = (name: string) => number | undefined;

interface Entry<T> { readonly p: T; readonly i: number; readonly icase: boolean }


function flatten(groups: readonly PatternGroup[]): Entry<AclPattern>[] {
  const out: Entry<AclPattern>[] = [];
  let i = 0;
  for (const g of groups) for (const p of g.patterns) out.push({ p, i: i++, icase: g.ignoreCase });
  return out;
}

/** Case-insensitive (ASCII) comparison of v[off, off+p.length) with an already lowercase p. */
function regionEqLower(v: string, off: number, p: string): boolean {
  for (let k = 0; k < p.length; k++) {
    let c = v.charCodeAt(off + k);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== p.charCodeAt(k)) return false;
  }
  return true;
}

const strOf = (s: Sample): string => (s.type === 'str' || s.type === 'meth' ? s.value : '');

/**
 * Case-insensitive matching uses the native toLowerCase() when the pattern is
 * pure ASCII: on byte strings (chars <= 0xFF) it is length-preserving and
 * never maps a non-ASCII char to an ASCII one, so comparing the lowered value
 * with an ASCII pattern is exactly HAProxy's strncasecmp() (C locale), and
 * much faster than a charCodeAt() loop. Non-ASCII patterns use the loop.
 */
const isAscii = (p: string): boolean => /^[\x00-\x7f]*$/.test(p);

/**
 * match_word() of pattern.c, for `dir` (delimiters '/' '?') and `dom` ('/'
 * '?' '.' ':'): the pattern, stripped of leading/trailing delimiters, must
 * appear between delimiters or string ends.
 */
function wordMatcher(pattern: string, icase: boolean, delims: string): (v: string) => boolean {
  const table = new Uint8Array(256);
  for (const d of delims) table[d.charCodeAt(0)] = 1;
  const isDelim = (c: number): boolean => table[c & 255] === 1 && c < 256;
  let a = 0;
  let b = pattern.length;
  while (a < b && isDelim(pattern.charCodeAt(a))) a++;
  while (b > a && isDelim(pattern.charCodeAt(b - 1))) b--;
  const ps = icase ? asciiLower(pattern.slice(a, b)) : pattern.slice(a, b);
  const pl = ps.length;
  // a pattern made of delimiters only compares the byte after the sample, which is
  // never a NUL in HAProxy's buffers: it never matches (checked against HAProxy 2.6)
  if (pl === 0) return () => false;
  return (v: string): boolean => {
    if (pl > v.length) return false;
    let mayMatch = true;
    const end = v.length - pl;
    for (let c = 0; c <= end; c++) {
      const ch = v.charCodeAt(c);
      if (isDelim(ch)) { mayMatch = true; continue; }
      if (!mayMatch) continue;
      if ((icase ? regionEqLower(v, c, ps) : v.startsWith(ps, c)) && (c === end || isDelim(v.charCodeAt(c + pl)))) return true;
      mayMatch = false;
    }
    return false;
  };
}

const NONE: Finder = () => -1;

/** IPv4 (addr, mask) match of pattern.c. */
function v4Match(v: number, addr: number, mask: number): boolean {
  return ((v ^ addr) & mask) === 0;
}

/** Does `b` start with the first `prefix` bits of `addr`? */
function v6Match(b: Uint8Array, addr: Uint8Array, prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((b[i]! & m) !== (addr[i]! & m)) return false;
  }
  return true;
}

/** Is the mask contiguous (then HAProxy indexes the pattern in its longest-prefix tree)? */
function contiguous(mask: number): boolean {
  const inv = ~mask >>> 0;
  return (inv & (inv + 1)) === 0;
}
function prefixLen(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) n++;
  return n;
}

/** IPv4 embedded in an IPv6 sample: ::ffff:a.b.c.d, ::a.b.c.d or 2002:AABB:CCDD::/16 (6to4), as pat_match_ip() accepts. */
function embeddedV4(b: Uint8Array): number | undefined {
  let zero8 = true;
  for (let i = 0; i < 8; i++) if (b[i] !== 0) { zero8 = false; break; }
  if (zero8) {
    const w = (b[8]! | b[9]! | b[10]! | b[11]!) === 0;
    const ffff = b[8] === 0 && b[9] === 0 && b[10] === 0xff && b[11] === 0xff;
    if (w || ffff) return ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
  }
  if (b[0] === 0x20 && b[1] === 0x02) return ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0;
  return undefined;
}

function mapped(v: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff; b[11] = 0xff;
  b[12] = v >>> 24; b[13] = (v >>> 16) & 255; b[14] = (v >>> 8) & 255; b[15] = v & 255;
  return b;
}

/**
 * Compiles the finder for `method` over `groups`. Like pattern_exec_match(),
 * the groups are tried in order and the first one with a match answers.
 */
export function compileFinder(method: MatchMethod | 'method', groups: readonly PatternGroup[], resolveHost?: HostResolver): Finder {
  if (method === 'found' || method === 'bool') return (s) => (intOf(s) !== 0 ? 0 : -1);
  const finders: Finder[] = [];
  let base = 0;
  for (const g of groups) {
    if (g.patterns.length) finders.push(groupFinder(method, g, base, resolveHost));
    base += g.patterns.length;
  }
  if (finders.length === 0) return NONE;
  if (finders.length === 1) return finders[0]!;
  return (s) => {
    for (const f of finders) {
      const r = f(s);
      if (r >= 0) return r;
    }
    return -1;
  };
}

/** Finder of one group; indexes start at `base`. */
function groupFinder(method: Exclude<MatchMethod, 'found' | 'bool'> | 'method', group: PatternGroup, base: number, resolveHost?: HostResolver): Finder {
  const entries = flatten([group]).map((e) => ({ ...e, i: e.i + base }));
  switch (method) {
    case 'int': case 'len': {
      const ranges = entries.map((e) => {
        const p = e.p as Extract<AclPattern, { kind: 'int' }>;
        return { min: p.min ?? -Infinity, max: p.max ?? Infinity, i: e.i };
      });
      const isLen = method === 'len';
      return (s) => {
        const v = isLen ? strOf(s).length : intOf(s);
        for (const r of ranges) if (r.min <= v && v <= r.max) return r.i;
        return -1;
      };
    }
    case 'str': {
      if (group.ignoreCase) { // HAProxy keeps -i string patterns in a list
        const list = entries.map((e) => {
          const p = asciiLower((e.p as { value: string }).value);
          return { p, i: e.i, ascii: isAscii(p) };
        });
        if (list.length === 1 && list[0]!.ascii) {
          const { p, i } = list[0]!;
          return (s) => {
            const v = strOf(s);
            return v.length === p.length && (v === p || v.toLowerCase() === p) ? i : -1;
          };
        }
        return (s) => {
          const v = strOf(s);
          let lv: string | undefined;
          for (const l of list) {
            if (v.length !== l.p.length) continue;
            if (l.ascii ? (lv ??= v.toLowerCase()) === l.p : regionEqLower(v, 0, l.p)) return l.i;
          }
          return -1;
        };
      }
      // case-sensitive ones in a tree: exact lookup, the first of duplicates wins
      const exact = new Map<string, number>();
      for (const e of entries) {
        const v = (e.p as { value: string }).value;
        if (!exact.has(v)) exact.set(v, e.i);
      }
      if (exact.size === 1) {
        const [[only, idx]] = [...exact] as [[string, number]];
        return (s) => (strOf(s) === only ? idx : -1);
      }
      return (s) => exact.get(strOf(s)) ?? -1;
    }
    case 'beg': {
      const list = entries.map((e) => {
        const v = (e.p as { value: string }).value;
        return { p: group.ignoreCase ? asciiLower(v) : v, i: e.i };
      });
      if (group.ignoreCase) { // list, in order
        const ascii = list.map((l) => isAscii(l.p));
        return (s) => {
          const v = strOf(s);
          let lv: string | undefined;
          for (let k = 0; k < list.length; k++) {
            const l = list[k]!;
            if (l.p.length > v.length) continue;
            if (ascii[k] ? (lv ??= v.toLowerCase()).startsWith(l.p) : regionEqLower(v, 0, l.p)) return l.i;
          }
          return -1;
        };
      }
      // HAProxy's prefix tree: the longest matching prefix wins
      return (s) => {
        const v = strOf(s);
        let best = -1;
        let bestLen = -1;
        for (const l of list) {
          if (l.p.length > bestLen && v.startsWith(l.p)) { best = l.i; bestLen = l.p.length; }
        }
        return best;
      };
    }
    case 'end': case 'sub': {
      const list = entries.map((e) => {
        const v = (e.p as { value: string }).value;
        const p = e.icase ? asciiLower(v) : v;
        return { p, i: e.i, icase: e.icase, ascii: isAscii(p) };
      });
      const end = method === 'end';
      return (s) => {
        const v = strOf(s);
        let lv: string | undefined;
        for (const l of list) {
          if (l.p.length > v.length) continue;
          if (l.icase && l.ascii) {
            lv ??= v.toLowerCase();
            if (end ? lv.endsWith(l.p) : lv.includes(l.p)) return l.i;
          } else if (end) {
            const off = v.length - l.p.length;
            if (l.icase ? regionEqLower(v, off, l.p) : v.endsWith(l.p)) return l.i;
          } else if (l.icase) {
            const last = v.length - l.p.length;
            for (let c = 0; c <= last; c++) if (regionEqLower(v, c, l.p)) return l.i;
          } else if (v.includes(l.p)) return l.i;
        }
        return -1;
      };
    }
    case 'dir': case 'dom': {
      const delims = method === 'dir' ? '/?' : '/?.:';
      const list = entries.map((e) => ({ m: wordMatcher((e.p as { value: string }).value, e.icase, delims), i: e.i }));
      return (s) => {
        const v = strOf(s);
        for (const l of list) if (l.m(v)) return l.i;
        return -1;
      };
    }
    case 'reg': case 'regm': {
      const list = entries.map((e) => ({ re: (e.p as { regex: RegExp }).regex, i: e.i }));
      return (s) => {
        const v = strOf(s);
        for (const l of list) {
          l.re.lastIndex = 0;
          if (l.re.test(v)) return l.i;
        }
        return -1;
      };
    }
    case 'bin': {
      const list = entries.map((e) => ({ b: (e.p as { bytes: Uint8Array }).bytes, i: e.i }));
      return (s) => {
        if (s.type !== 'bin') return -1;
        const v = s.value;
        outer: for (const l of list) {
          if (l.b.length !== v.length) continue;
          for (let k = 0; k < v.length; k++) if (v[k] !== l.b[k]) continue outer;
          return l.i;
        }
        return -1;
      };
    }
    case 'ip': {
      const tree4: { addr: number; mask: number; len: number; i: number }[] = [];
      const list4: { addr: number; mask: number; i: number }[] = [];
      const tree6: { addr: Uint8Array; prefix: number; i: number }[] = [];
      for (const e of entries) {
        const p = e.p;
        if (p.kind === 'host') {
          const addr = resolveHost?.(p.name);
          if (addr === undefined) throw new EvalCompileError('invalid', `cannot resolve host name '${p.name}' used as an IP pattern`);
          if (contiguous(p.mask)) tree4.push({ addr, mask: p.mask, len: prefixLen(p.mask), i: e.i });
          else list4.push({ addr, mask: p.mask, i: e.i });
        } else if (p.kind === 'ipv4') {
          if (contiguous(p.mask)) tree4.push({ addr: p.addr, mask: p.mask, len: prefixLen(p.mask), i: e.i });
          else list4.push({ addr: p.addr, mask: p.mask, i: e.i });
        } else if (p.kind === 'ipv6') tree6.push({ addr: p.addr, prefix: p.prefix, i: e.i });
      }
      // longest prefix first; equal prefixes keep their order
      tree4.sort((x, y) => y.len - x.len || x.i - y.i);
      tree6.sort((x, y) => y.prefix - x.prefix || x.i - y.i);
      const inTree4 = (v: number): number => {
        for (const t of tree4) if (v4Match(v, t.addr, t.mask)) return t.i;
        return -1;
      };
      const inTree6 = (b: Uint8Array): number => {
        for (const t of tree6) if (v6Match(b, t.addr, t.prefix)) return t.i;
        return -1;
      };
      const inList4 = (v: number): number => {
        for (const l of list4) if (v4Match(v, l.addr, l.mask)) return l.i;
        return -1;
      };
      return (s) => {
        if (s.type === 'ipv4') {
          let r = inTree4(s.value);
          if (r >= 0) return r;
          if (tree6.length) { r = inTree6(mapped(s.value)); if (r >= 0) return r; }
          return inList4(s.value);
        }
        if (s.type === 'ipv6') {
          let r = inTree6(s.value);
          if (r >= 0) return r;
          const v4 = embeddedV4(s.value);
          if (v4 === undefined) return -1;
          r = inTree4(v4);
          return r >= 0 ? r : inList4(v4);
        }
        return -1;
      };
    }
    case 'method': {
      const list = entries.map((e) => {
        const p = e.p as Extract<AclPattern, { kind: 'method' }>;
        return { m: p.known ? p.method : e.icase ? asciiLower(p.method) : p.method, known: p.known, icase: e.icase, i: e.i };
      });
      return (s) => {
        const v = strOf(s);
        const known = KNOWN.has(v);
        for (const l of list) {
          if (l.known) { if (known && v === l.m) return l.i; continue; }
          if (known || v.length !== l.m.length) continue;
          if (l.icase ? regionEqLower(v, 0, l.m) : v === l.m) return l.i;
        }
        return -1;
      };
    }
  }
}

const KNOWN: ReadonlySet<string> = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);

// ---------------------------------------------------------------- files

/** One pattern line of a file: pat_ref_read_from_file() (`map` = false) or the key/value split of pat_ref_read_from_file_smp(). */
export interface FileLine { readonly line: number; readonly key: string; readonly value: string }

/**
 * Reads pattern / map file content the way HAProxy does: lines starting with
 * '#' (first column only) are comments, leading spaces and tabs are
 * skipped, empty lines ignored, CR/LF end a line. For plain pattern files the
 * rest of the line (trailing spaces included) is the pattern; for maps the
 * key ends at the first space or tab and the value is the rest, trimmed.
 */
export function parseFileLines(content: string, map: boolean): FileLine[] {
  const out: FileLine[] = [];
  const lines = content.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let l = lines[n]!;
    if (n === lines.length - 1 && l === '') break;
    if (l.startsWith('#')) continue;
    const cr = l.indexOf('\r');
    if (cr >= 0) l = l.slice(0, cr);
    let i = 0;
    while (i < l.length && (l[i] === ' ' || l[i] === '\t')) i++;
    if (i === l.length) continue;
    if (!map) { out.push({ line: n + 1, key: l.slice(i), value: '' }); continue; }
    let k = i;
    while (k < l.length && l[k] !== ' ' && l[k] !== '\t') k++;
    let v = k;
    while (v < l.length && (l[v] === ' ' || l[v] === '\t')) v++;
    let e = l.length;
    while (e > v && (l[e - 1] === ' ' || l[e - 1] === '\t')) e--;
    out.push({ line: n + 1, key: l.slice(i, k), value: l.slice(v, e) });
  }
  return out;
}

/**
 * HAProxy's message for the first line of an ACL's pattern file that `parser` refuses ("'a' is not a
 * number at line 3 of file 'x.lst'"; pattern.c pat_ref_read_from_file), undefined when all parse.
 */
export function filePatternsProblem(file: string, content: string, map: boolean, parser: PatternParser, options: { ignoreCase: boolean; noDns: boolean; capture?: boolean }): string | undefined {
  for (const l of parseFileLines(content, map)) {
    const p = parsePattern(parser, l.key, options);
    if (p !== null && 'error' in p) return `${p.error} at line ${l.line} of file '${file}'`;
  }
  return undefined;
}

/** Parses the patterns of a file's lines (keys) with `parser`; errors name the file and line. */
export function parseFilePatterns(
  file: string, lines: readonly FileLine[], parser: PatternParser,
  options: { ignoreCase: boolean; noDns: boolean; capture?: boolean },
): AclPattern[] {
  const out: AclPattern[] = [];
  for (const l of lines) {
    const p = parsePattern(parser, l.key, options);
    if (p === null) continue;
    if ('error' in p) throw new EvalCompileError('file', `${file}:${l.line}: ${p.error}`);
    out.push(p);
  }
  return out;
}
