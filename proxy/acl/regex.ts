/**
 * HAProxy regexes are PCRE2 (compiled without UTF). This module checks a
 * pattern the way PCRE2 10.42 does for the common mistakes (same messages and
 * error offsets as `haproxy -c`) and translates it to an equivalent JS RegExp:
 *
 *  - `.` does not match '\n' only (JS also excludes '\r', U+2028/9) → `[^\n]`
 *  - `$` also matches before a final '\n' → `(?=\n?$)`; `\Z` likewise, `\z` → `$`, `\A` → `^`
 *  - `\s` is [\t\n\v\f\r ] (JS adds \xA0 and Unicode spaces); `\h`, `\v`, `\R`, `\N`, `\e`, `\a`, `\Q…\E`
 *  - POSIX classes `[[:alpha:]]`, `(?P<n>…)`, `(?'n'…)`, `(?P=n)`, `\g{n}`, `(?#…)`, leading `(?i)`/`(?s)`
 *  - with `capture: false` (ACL matching, PCRE2_NO_AUTO_CAPTURE) plain groups do not capture
 *
 * Constructs with no JS equivalent (atomic groups, possessive quantifiers,
 * recursion, conditionals, \K, \G, \p, inline flags other than leading i/s …)
 * are reported as unsupported instead of being silently changed.
 */

export interface PcreOptions {
  readonly ignoreCase: boolean;
  /** False for ACL patterns (PCRE2_NO_AUTO_CAPTURE); true for regsub & co. */
  readonly capture: boolean;
}

export type PcreResult =
  | { readonly regex: RegExp; readonly jsSource: string }
  | { readonly error: string; readonly unsupported?: true };

class PcreError {
  constructor(readonly message: string, readonly offset: number, readonly unsupported = false) {}
}

const POSIX: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => POSIX.alpha!(c) || POSIX.digit!(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => (c >= 9 && c <= 13) || c === 32,
  blank: (c) => c === 9 || c === 32,
  punct: (c) => c > 32 && c < 127 && !POSIX.alnum!(c),
  xdigit: (c) => POSIX.digit!(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  word: (c) => POSIX.alnum!(c) || c === 95,
  cntrl: (c) => c < 32 || c === 127,
  print: (c) => c >= 32 && c < 127,
  graph: (c) => c > 32 && c < 127,
  ascii: (c) => c < 128,
};

const hex2 = (c: number): string => '\\x' + c.toString(16).padStart(2, '0');

/** Class body (without brackets) listing the bytes for which `pred` holds. */
function rangesOf(pred: (c: number) => boolean): string {
  let out = '';
  for (let c = 0; c < 256; c++) {
    if (!pred(c)) continue;
    let end = c;
    while (end + 1 < 256 && pred(end + 1)) end++;
    out += end === c ? hex2(c) : `${hex2(c)}-${hex2(end)}`;
    c = end;
  }
  return out;
}

const SPACE = [9, 10, 11, 12, 13, 32];
const HSPACE = [9, 32, 160];
const VSPACE = [10, 11, 12, 13, 133];
const classBody = (codes: number[]): string => codes.map(hex2).join('');
/** Class escapes: PCRE letter → [bytes, negated]. */
const CLASS_ESCAPES: Record<string, [codes: number[], negated: boolean]> = {
  s: [SPACE, false], S: [SPACE, true], h: [HSPACE, false], H: [HSPACE, true], v: [VSPACE, false], V: [VSPACE, true],
};
/** Single-character escapes: letter → byte. */
const CHAR_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, e: 27, a: 7 };
const UNSUPPORTED_ESCAPES = 'KGXCpP';
const BAD_ESCAPES = 'ijlmqyFLUu';

interface Frame {
  /** Offset of '(' in the source. */
  readonly start: number;
  readonly lookbehind: boolean;
  /** Fixed lengths of completed alternatives (-1 = variable). */
  readonly alts: number[];
  cur: number;
}

/** Compiles a PCRE pattern; errors use HAProxy's "regex '…' is invalid (error=…, erroffset=N)". */
export function compilePcre(source: string, options: PcreOptions): PcreResult {
  try {
    const { js, flags } = translate(source, options);
    try {
      return { regex: new RegExp(js, flags), jsSource: js };
    } catch (e) {
      return { error: `regex '${source}' is invalid (error=${(e as Error).message}, erroffset=0)` };
    }
  } catch (e) {
    if (!(e instanceof PcreError)) throw e;
    if (e.unsupported) return { error: `regex '${source}' uses ${e.message}, which Loadstar does not support`, unsupported: true };
    return { error: `regex '${source}' is invalid (error=${e.message}, erroffset=${e.offset})` };
  }
}

function translate(src: string, options: PcreOptions): { js: string; flags: string } {
  let i = 0;
  let out = '';
  let ignoreCase = options.ignoreCase;
  let dotAll = false;
  let groups = 0;
  const names = new Set<string>();
  const backrefs: { n: number; offset: number }[] = [];
  const namedRefs: { name: string; offset: number }[] = [];
  const stack: Frame[] = [{ start: 0, lookbehind: false, alts: [], cur: 0 }];
  let atom: { len: number } | undefined; // last repeatable item (its fixed length, -1 variable)
  let quantified = false;

  const frame = (): Frame => stack[stack.length - 1]!;
  const addAtom = (js: string, len: number): void => {
    out += js;
    const f = frame();
    f.cur = f.cur < 0 || len < 0 ? -1 : f.cur + len;
    atom = { len };
    quantified = false;
  };
  const addAssertion = (js: string): void => { out += js; atom = undefined; quantified = false; };
  const unsupported = (what: string, at: number): never => { throw new PcreError(what, at, true); };

  // leading inline flags (?i) (?s) (?is) …
  const lead = /^\(\?([is]+)\)/.exec(src);
  if (lead) {
    if (lead[1]!.includes('i')) ignoreCase = true;
    if (lead[1]!.includes('s')) dotAll = true;
    i = lead[0].length;
  }

  const quantify = (q: string, min: number, max: number, end: number): void => {
    if (!atom || quantified) throw new PcreError('quantifier does not follow a repeatable item', end);
    let suffix = '';
    if (src[i] === '?') { suffix = '?'; i++; } else if (src[i] === '+') unsupported('a possessive quantifier', i);
    out += q + suffix;
    const f = frame();
    if (f.cur >= 0 && atom.len >= 0) f.cur = min === max ? f.cur - atom.len + atom.len * min : -1;
    else f.cur = -1;
    quantified = true;
  };

  while (i < src.length) {
    const c = src[i]!;
    const at = i;
    if (c === '\\') {
      i++;
      if (i >= src.length) throw new PcreError('\\ at end of pattern', src.length);
      const e = src[i]!;
      i++;
      if (e >= '1' && e <= '9') {
        let j = i;
        while (j < src.length && /[0-9]/.test(src[j]!)) j++;
        const n = Number(src.slice(at + 1, j));
        if (n < 10 || e === '8' || e === '9' || n <= groups) {
          backrefs.push({ n, offset: at + 1 });
          i = j;
          addAtom(`\\${n}(?:)`, -1);
        } else {
          let k = at + 1;
          while (k < at + 4 && k < src.length && /[0-7]/.test(src[k]!)) k++;
          i = k;
          addAtom(hex2(parseInt(src.slice(at + 1, k), 8) & 0xff), 1);
        }
      } else if (e === '0') {
        let k = i;
        while (k < i + 2 && k < src.length && /[0-7]/.test(src[k]!)) k++;
        addAtom(hex2(parseInt('0' + src.slice(i, k), 8)), 1);
        i = k;
      } else if (e === 'x') {
        let code: number;
        if (src[i] === '{') {
          const close = src.indexOf('}', i);
          const digits = close < 0 ? '' : src.slice(i + 1, close);
          if (!/^[0-9a-fA-F]+$/.test(digits)) throw new PcreError('\\x{ is not followed by hexadecimal digits', i + 1);
          code = parseInt(digits, 16);
          if (code > 0xff) throw new PcreError('character code point value in \\x{} or \\o{} is too large', close);
          i = close + 1;
        } else {
          const m = /^[0-9a-fA-F]{0,2}/.exec(src.slice(i))![0];
          code = m ? parseInt(m, 16) : 0;
          i += m.length;
        }
        addAtom(hex2(code), 1);
      } else if (e === 'c') {
        if (i >= src.length) throw new PcreError('\\c at end of pattern', src.length);
        addAtom(hex2(src[i]!.toUpperCase().charCodeAt(0) ^ 0x40), 1);
        i++;
      } else if (e === 'Q') {
        let end = src.indexOf('\\E', i);
        if (end < 0) end = src.length;
        for (const ch of src.slice(i, end)) addAtom(literal(ch), 1);
        i = Math.min(src.length, end + 2);
      } else if (e === 'E') {
        // stray \E is ignored
      } else if (e === 'A') addAssertion('^');
      else if (e === 'z') addAssertion('$');
      else if (e === 'Z') addAssertion('(?=\\n?$)');
      else if (e === 'b' || e === 'B') addAssertion('\\' + e);
      else if (e in CLASS_ESCAPES) {
        const [codes, neg] = CLASS_ESCAPES[e]!;
        addAtom(`[${neg ? '^' : ''}${classBody(codes)}]`, 1);
      } else if (e === 'R') addAtom(`(?:\\r\\n|[${classBody(VSPACE)}])`, -1);
      else if (e === 'N') addAtom('[^\\n]', 1);
      else if ('dDwW'.includes(e)) addAtom('\\' + e, 1);
      else if (e in CHAR_ESCAPES) addAtom(hex2(CHAR_ESCAPES[e]!), 1);
      else if (e === 'k' || e === 'g') i = namedBackref(e, at);
      else if (UNSUPPORTED_ESCAPES.includes(e)) unsupported(`'\\${e}'`, at);
      else if (BAD_ESCAPES.includes(e)) {
        throw new PcreError(/[FLlUu]/.test(e) ? 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u' : 'unrecognized character follows \\', i);
      } else if (e === 'o') unsupported("'\\o{}'", at);
      else addAtom(literal(e), 1);
    } else if (c === '[') {
      if (/^\[([:.=])\^?[a-z]*\1\]/.test(src.slice(i))) throw new PcreError('POSIX named classes are supported only within a class', at);
      i = charClass(at);
    } else if (c === '(') {
      i = openGroup(at);
    } else if (c === ')') {
      if (stack.length === 1) throw new PcreError('unmatched closing parenthesis', at);
      const f = stack.pop()!;
      f.alts.push(f.cur);
      const fixed = f.alts.every((l) => l === f.alts[0]) ? f.alts[0]! : -1;
      if (f.lookbehind && f.alts.some((l) => l < 0)) throw new PcreError('lookbehind assertion is not fixed length', f.start);
      out += ')';
      i++;
      if (f.lookbehind) {
        atom = undefined;
      } else if (src.startsWith('(?=', f.start) || src.startsWith('(?!', f.start)) {
        atom = { len: 0 };
        quantified = false;
      } else {
        const parent = frame();
        parent.cur = parent.cur < 0 || fixed < 0 ? -1 : parent.cur + fixed;
        atom = { len: fixed };
        quantified = false;
      }
    } else if (c === '|') {
      const f = frame();
      f.alts.push(f.cur);
      f.cur = 0;
      out += '|';
      atom = undefined;
      i++;
    } else if (c === '*' || c === '+' || c === '?') {
      i++;
      quantify(c, c === '+' ? 1 : 0, c === '?' ? 1 : Infinity, at);
    } else if (c === '{') {
      const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(src.slice(i));
      if (!m) {
        addAtom('\\{', 1);
        i++;
        continue;
      }
      const checkNum = (digits: string, from: number): number => {
        let v = 0;
        for (let k = 0; k < digits.length; k++) {
          v = v * 10 + Number(digits[k]);
          if (v > 65535) throw new PcreError('number too big in {} quantifier', from + k + 1);
        }
        return v;
      };
      const min = checkNum(m[1]!, i + 1);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : checkNum(m[3]!, i + 2 + m[1]!.length);
      const end = i + m[0].length - 1;
      if (max < min) throw new PcreError('numbers out of order in {} quantifier', end);
      i = end + 1;
      quantify(m[0], min, max, end);
    } else if (c === '.') {
      addAtom(dotAll ? '[\\s\\S]' : '[^\\n]', 1);
      i++;
    } else if (c === '^') {
      addAssertion('^');
      i++;
    } else if (c === '$') {
      addAssertion('(?=\\n?$)');
      i++;
    } else {
      addAtom(literal(c), 1);
      i++;
    }
  }
  if (stack.length > 1) throw new PcreError('missing closing parenthesis', src.length);
  for (const ref of backrefs) {
    if (ref.n > groups) throw new PcreError('reference to non-existent subpattern', ref.offset);
  }
  for (const ref of namedRefs) {
    if (!names.has(ref.name)) throw new PcreError('reference to non-existent subpattern', ref.offset);
  }
  return { js: out, flags: (ignoreCase ? 'i' : '') + (dotAll ? 's' : '') };

  function literal(ch: string): string {
    return /[\\^$.*+?()[\]{}|/]/.test(ch) ? '\\' + ch : ch;
  }

  function namedBackref(e: string, at: number): number {
    const rest = src.slice(at + 2);
    const m = /^(?:<([A-Za-z_]\w*)>|\{([A-Za-z_]\w*)\}|'([A-Za-z_]\w*)')/.exec(rest)
      ?? (e === 'g' ? /^(?:\{(-?[0-9]+)\}|(-?[0-9]+))/.exec(rest) : null);
    if (!m) {
      throw new PcreError(e === 'k'
        ? '\\k is not followed by a braced, angle-bracketed, or quoted name'
        : '\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number', at + 2);
    }
    const name = m[1] ?? m[2] ?? m[3];
    if (name !== undefined && !/^-?[0-9]+$/.test(name)) {
      namedRefs.push({ name, offset: at + 2 + m[0].length });
      addAtom(`\\k<${name}>`, -1);
    } else {
      const num = Number(m[1] ?? m[2]);
      const n = num < 0 ? groups + 1 + num : num;
      if (n <= 0) throw new PcreError('a relative value of zero is not allowed', at + 2);
      backrefs.push({ n, offset: at + 2 });
      addAtom(`\\${n}(?:)`, -1);
    }
    return at + 2 + m[0].length;
  }

  function openGroup(at: number): number {
    let j = at + 1;
    let lookbehind = false;
    if (src[j] === '*') unsupported('a (*VERB) control', at);
    if (src[j] !== '?') {
      if (options.capture) { groups++; out += '('; } else out += '(?:';
    } else {
      j++;
      const rest = src.slice(j);
      let m: RegExpExecArray | null;
      if (rest.startsWith('#')) {
        const close = src.indexOf(')', j);
        if (close < 0) throw new PcreError('missing ) after (?# comment', src.length);
        return close + 1;
      } else if (/^[:=!]/.test(rest)) {
        out += '(?' + rest[0]!;
        j++;
      } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
        out += '(?' + rest.slice(0, 2);
        lookbehind = true;
        j += 2;
      } else if ((m = /^(?:P?<([^>]*)>|'([^']*)')/.exec(rest)) && !rest.startsWith('P<=')) {
        const name = m[1] ?? m[2] ?? '';
        const nameStart = j + (rest.startsWith('P') ? 2 : 1);
        if (name === '' || !/^\w+$/.test(name)) throw new PcreError('subpattern name expected', nameStart);
        if (/^[0-9]/.test(name)) throw new PcreError('subpattern name must start with a non-digit', nameStart);
        if (names.has(name)) throw new PcreError('two named subpatterns have the same name (PCRE2_DUPNAMES not set)', nameStart + name.length + 1);
        names.add(name);
        groups++;
        out += `(?<${name}>`;
        j += m[0].length;
      } else if ((m = /^P=(\w+)\)/.exec(rest))) {
        namedRefs.push({ name: m[1]!, offset: j + m[0].length - 1 });
        addAtom(`\\k<${m[1]}>`, -1);
        return j + m[0].length;
      } else if (rest.startsWith('>')) unsupported('an atomic group (?>…)', at);
      else if (rest.startsWith('|')) unsupported('a branch reset group (?|…)', at);
      else if (/^(?:R|[+-]?[0-9]|&|P>|\()/.test(rest)) unsupported('recursion or a conditional group', at);
      else if (/^[imnsxJU^-]/.test(rest)) unsupported('inline option settings (?…)', at);
      else throw new PcreError('unrecognized character after (? or (?-', j);
    }
    stack.push({ start: at, lookbehind, alts: [], cur: 0 });
    atom = undefined;
    return j;
  }

  function charClass(at: number): number {
    let j = at + 1;
    let body = '';
    let negate = false;
    if (src[j] === '^') { negate = true; j++; }
    let first = true;
    let prev: { code: number; end: number } | undefined; // last single char (for ranges)
    let pendingRange = false;
    const pushChar = (code: number, end: number): void => {
      if (pendingRange) {
        const lo = prev!.code;
        if (code < lo) throw new PcreError('range out of order in character class', end - 1);
        body += `-${hex2(code)}`;
        pendingRange = false;
        prev = undefined;
      } else {
        body += hex2(code);
        prev = { code, end };
      }
    };
    const pushSet = (set: string, end: number): void => {
      if (pendingRange) throw new PcreError('invalid range in character class', end);
      if (j < src.length - 1 && src[j] === '-' && src[j + 1] !== ']') throw new PcreError('invalid range in character class', j);
      body += set;
      prev = undefined;
    };
    while (true) {
      if (j >= src.length) throw new PcreError('missing terminating ] for character class', src.length);
      const c = src[j]!;
      if (c === ']' && !first) break;
      first = false;
      if (c === '[' && /^\[:\^?[a-z]*:\]/.test(src.slice(j))) {
        const m = /^\[:(\^?)([a-z]*):\]/.exec(src.slice(j))!;
        const pred = POSIX[m[2]!];
        if (!pred) throw new PcreError('unknown POSIX class name', j + 2);
        j += m[0].length;
        pushSet(rangesOf(m[1] ? (x) => !pred(x) : pred), j);
        continue;
      }
      if (c === '\\') {
        const e = src[j + 1];
        if (e === undefined) throw new PcreError('\\ at end of pattern', src.length);
        j += 2;
        if (e in CLASS_ESCAPES) {
          const [codes, neg] = CLASS_ESCAPES[e]!;
          pushSet(neg ? rangesOf((x) => !codes.includes(x)) : classBody(codes), j);
        } else if ('dDwW'.includes(e)) pushSet('\\' + e, j);
        else if (e === 'b') pushChar(8, j);
        else if (e === 'x') {
          const m = /^(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{0,2}))/.exec(src.slice(j))!;
          pushChar(parseInt(m[1] ?? (m[2] || '0'), 16) & 0xff, j + m[0].length);
          j += m[0].length;
        } else if (/[0-7]/.test(e)) {
          const m = /^[0-7]{0,2}/.exec(src.slice(j))![0];
          pushChar(parseInt(e + m, 8) & 0xff, j + m.length);
          j += m.length;
        } else if (e in CHAR_ESCAPES) pushChar(CHAR_ESCAPES[e]!, j);
        else if (e === 'E' || e === 'Q') { /* quoting inside classes: ignore the markers */ }
        else if (/[A-Za-z]/.test(e)) unsupported(`'\\${e}' inside a character class`, j - 2);
        else pushChar(e.charCodeAt(0), j);
        continue;
      }
      if (c === '-' && prev && src[j + 1] !== ']' && !pendingRange) {
        pendingRange = true;
        j++;
        continue;
      }
      j++;
      pushChar(c.charCodeAt(0), j);
    }
    if (pendingRange) body += '\\-';
    addAtom(`[${negate ? '^' : ''}${body}]`, 1);
    return j + 1;
  }
}
