/**
 * Cuts one configuration line into words with HAProxy's rules
 * (configuration.txt §2.2 "Quoting and escaping", §2.3 "Environment variables"):
 * - words are separated by spaces or tabs; an unquoted, unescaped `#` starts a comment;
 * - outside quotes a backslash escapes ` `, `#`, `\`, `'`, `"`, `$`, and encodes `\n`,
 *   `\r`, `\t`, `\xNN`; before any other character it is kept as typed (so `^/a\d` works);
 * - "double quotes" protect spaces, `'` and `#`, keep backslash escapes and expand
 *   `$VAR`, `${VAR}`, `${VAR-default}` and `${VAR[*]}` (one word per space-separated value);
 * - 'single quotes' protect everything; nothing inside is interpreted.
 */

export interface Word {
  /** The word after quote removal, escapes and environment expansion. */
  value: string;
  /** The word exactly as typed, so a serializer can write it back unchanged; '' for the
   *  second and later words cut from one typed word by `${VAR[*]}`. */
  raw: string;
  /** 1-based column of the word's first character. */
  column: number;
}

export interface LexProblem {
  column: number;
  message: string;
  /** A warning (unset environment variable) does not make the line invalid. */
  severity: 'alert' | 'warning';
}

export interface LexedLine {
  words: Word[];
  /** The comment text after `#`, without the `#`, if the line has one. */
  comment?: string;
  problems: LexProblem[];
}

export type Environment = Readonly<Record<string, string | undefined>>;

const SIMPLE_ESCAPES: Record<string, string> = {
  ' ': ' ', '\t': '\t', '#': '#', '\\': '\\', "'": "'", '"': '"', '$': '$',
  n: '\n', r: '\r', t: '\t',
};

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isVarStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isVarChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

const SPECIAL = /["'\\#$]/;
const NO_PROBLEMS: LexProblem[] = [];

export function lexLine(line: string, env: Environment = process.env): LexedLine {
  // Most lines have no quote, escape, comment or variable: split them without
  // building words character by character (large configurations parse much faster).
  if (!SPECIAL.test(line)) return { words: splitPlain(line), problems: NO_PROBLEMS };
  const words: Word[] = [];
  const problems: LexProblem[] = [];
  let comment: string | undefined;
  let i = 0;
  const n = line.length;

  while (i < n) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) break;
    if (line[i] === '#') {
      comment = line.slice(i + 1);
      break;
    }
    const start = i;
    // A word is built from pieces; `${VAR[*]}` may split it into several words.
    const pieces: string[] = [''];
    let quote: '"' | "'" | undefined;
    let quoteStart = 0;
    while (i < n) {
      const c = line[i]!;
      if (quote === "'") {
        if (c === "'") quote = undefined;
        else pieces[pieces.length - 1] += c;
        i++;
        continue;
      }
      if (!quote && isSpace(c)) break;
      if (!quote && c === '#') break;
      if (c === '\\') {
        const escaped = decodeEscape(line, i, problems);
        pieces[pieces.length - 1] += escaped.text;
        i = escaped.next;
        continue;
      }
      if (c === '"') {
        if (quote) quote = undefined;
        else {
          quote = '"';
          quoteStart = i;
        }
        i++;
        continue;
      }
      if (!quote && c === "'") {
        quote = "'";
        quoteStart = i;
        i++;
        continue;
      }
      if (quote === '"' && c === '$' && (isVarStart(line[i + 1]) || line[i + 1] === '{')) {
        const expanded = expandVariable(line, i, env, problems);
        if (expanded.split) {
          const parts = expanded.text.split(/[ \t]+/).filter((p) => p !== '');
          if (parts.length > 0) {
            pieces[pieces.length - 1] += parts[0];
            for (const part of parts.slice(1)) pieces.push(part);
          }
        } else {
          pieces[pieces.length - 1] += expanded.text;
        }
        i = expanded.next;
        continue;
      }
      pieces[pieces.length - 1] += c;
      i++;
    }
    if (quote) {
      problems.push({
        column: quoteStart + 1,
        severity: 'alert',
        message: `unmatched quote at position ${quoteStart + 1}`,
      });
    }
    const raw = line.slice(start, i);
    pieces.forEach((piece, k) => words.push({ value: piece, raw: k === 0 ? raw : '', column: start + 1 }));
    if (i < n && line[i] === '#' && !quote) {
      comment = line.slice(i + 1);
      break;
    }
  }
  return { words, comment, problems };
}

function splitPlain(line: string): Word[] {
  const words: Word[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    while (i < n && (c === 32 || c === 9)) c = line.charCodeAt(++i);
    if (i >= n) break;
    const start = i;
    while (i < n && c !== 32 && c !== 9) c = line.charCodeAt(++i);
    const value = line.slice(start, i);
    words.push({ value, raw: value, column: start + 1 });
  }
  return words;
}

function decodeEscape(line: string, i: number, problems: LexProblem[]): { text: string; next: number } {
  const next = line[i + 1];
  if (next === undefined) return { text: '\\', next: i + 1 };
  if (next === 'x') {
    const hex = line.slice(i + 2, i + 4);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) return { text: String.fromCharCode(parseInt(hex, 16)), next: i + 4 };
    problems.push({
      column: i + 1,
      severity: 'alert',
      message: `truncated or invalid hexadecimal sequence at position ${i + 1}`,
    });
    return { text: '', next: i + 2 };
  }
  const simple = SIMPLE_ESCAPES[next];
  if (simple !== undefined) return { text: simple, next: i + 2 };
  // HAProxy keeps the backslash before any other character (regexes rely on it).
  return { text: '\\' + next, next: i + 2 };
}

function expandVariable(
  line: string,
  i: number,
  env: Environment,
  problems: LexProblem[],
): { text: string; next: number; split: boolean } {
  let j = i + 1;
  let name = '';
  let fallback: string | undefined;
  let split = false;
  if (line[j] === '{') {
    j++;
    const close = line.indexOf('}', j);
    if (close < 0) {
      problems.push({ column: i + 1, severity: 'alert', message: `missing closing '}' after '\${' at position ${i + 1}` });
      return { text: '', next: line.length, split: false };
    }
    let body = line.slice(j, close);
    j = close + 1;
    if (body.endsWith('[*]')) {
      split = true;
      body = body.slice(0, -3);
    }
    const dash = body.indexOf('-');
    if (dash >= 0) {
      fallback = body.slice(dash + 1);
      body = body.slice(0, dash);
    }
    name = body;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problems.push({ column: i + 1, severity: 'alert', message: `invalid environment variable name '${name}' at position ${i + 1}` });
      return { text: '', next: j, split: false };
    }
  } else {
    while (isVarChar(line[j])) name += line[j++];
  }
  const value = env[name];
  if (value !== undefined) return { text: value, next: j, split };
  if (fallback !== undefined) return { text: fallback, next: j, split };
  problems.push({
    column: i + 1,
    severity: 'warning',
    message: `environment variable '${name}' is not set; it expands to an empty string`,
  });
  return { text: '', next: j, split };
}

/** Quotes a value so that lexLine gives it back unchanged (used by the serializer). */
export function quoteWord(value: string): string {
  if (value === '') return '""';
  if (!/[\s#'"\\$]/.test(value) && !/[\x00-\x1f]/.test(value)) return value;
  if (!/['\x00-\x1f]/.test(value) && !value.includes("'")) return `'${value}'`;
  let out = '"';
  for (const c of value) {
    if (c === '"' || c === '\\' || c === '$') out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c < ' ') out += '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    else out += c;
  }
  return out + '"';
}
