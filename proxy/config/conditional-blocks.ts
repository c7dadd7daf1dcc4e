/**
 * HAProxy's preprocessor-like conditional blocks (configuration.txt §2.4):
 * `.if COND` / `.elif COND` / `.else` / `.endif`, and the `.diag/.notice/.warning/.alert`
 * messages. Conditions: 0 / non-zero integers, defined(), feature(), streq(),
 * strneq(), version_atleast(), version_before(), openssl_version_atleast(),
 * openssl_version_before(), ssllib_name_startswith(), `!`, `&&`, `||`, parentheses.
 */
import type { Environment } from './lexer.ts';

/** The HAProxy version whose configuration language Loadstar implements. */
export const EMULATED_HAPROXY_VERSION = '2.6.0';
/** Features `feature(X)` reports present (the names `haproxy -vv` lists with '+'). */
const FEATURES = new Set(['OPENSSL', 'ZLIB', 'LINUX_TPROXY', 'GETADDRINFO', 'THREAD', 'TFO', 'NS']);
/** HAProxy's MAXNESTEDCONDS: a deeper `.if` aborts the file (and keeps each line's check cheap). */
export const MAX_NESTED_CONDITIONS = 128;

interface Level {
  /** A branch of this level was already taken. */
  taken: boolean;
  /** Lines are used in the current branch. */
  active: boolean;
  elseSeen: boolean;
  line: number;
}

export class ConditionalBlocks {
  private readonly levels: Level[] = [];
  private currentLine = 0;

  get active(): boolean {
    return this.levels.every((l) => l.active);
  }

  /** Every enclosing level (all but the innermost) is in a taken branch. */
  get parentActive(): boolean {
    return this.levels.slice(0, -1).every((l) => l.active);
  }

  get depth(): number {
    return this.levels.length;
  }

  get unclosedAt(): number | undefined {
    return this.levels.at(-1)?.line;
  }

  setLine(line: number): void {
    this.currentLine = line;
  }

  push(value: boolean): void {
    const parentActive = this.active;
    this.levels.push({ taken: value && parentActive, active: value, elseSeen: false, line: this.currentLine });
  }

  top(): Level | undefined {
    return this.levels.at(-1);
  }

  pop(): boolean {
    return this.levels.pop() !== undefined;
  }
}

export interface BlockProblem {
  severity: 'alert' | 'warning';
  message: string;
  /** The rest of the file is not read (HAProxy's ERR_ABORT). */
  abort?: true;
}

export function evaluateConditionalBlock(blocks: ConditionalBlocks, words: string[], env: Environment, line = 0): BlockProblem | undefined {
  blocks.setLine(line);
  const [directive, ...rest] = words;
  const level = blocks.top();
  const alert = (message: string): BlockProblem => ({ severity: 'alert', message });
  switch (directive) {
    case '.if': {
      if (blocks.depth >= MAX_NESTED_CONDITIONS) return { ...alert(`too many nested '.if', max is ${MAX_NESTED_CONDITIONS}.`), abort: true };
      // Inside a branch that is not taken HAProxy does not evaluate the condition at all.
      if (!blocks.active) {
        blocks.push(false);
        return undefined;
      }
      const value = evaluate(rest.join(' '), env);
      // A level is opened even for a bad condition, so that its `.endif` does not report a second error.
      blocks.push(value === true);
      return typeof value === 'string' ? alert(`${value} in '.if'`) : undefined;
    }
    case '.elif': {
      if (!level) return alert(`lone '.elif' with no matching '.if'.`);
      if (level.elseSeen) return alert(`'.elif' after '.else' is not permitted.`);
      if (level.taken || !blocks.parentActive) {
        level.active = false;
        return undefined;
      }
      const value = evaluate(rest.join(' '), env);
      level.active = value === true;
      level.taken = value === true;
      return typeof value === 'string' ? alert(`${value} in '.elif'`) : undefined;
    }
    case '.else':
    case '.endif':
      if (rest.length > 0) return alert(`Unexpected argument '${rest[0]}' for '${directive}'.`);
      if (!level) return alert(`lone '${directive}' with no matching '.if'.`);
      if (directive === '.endif') {
        blocks.pop();
        return undefined;
      }
      if (level.elseSeen) return alert(`'.else' after '.else' is not permitted.`);
      level.elseSeen = true;
      level.active = !level.taken;
      level.taken = true;
      return undefined;
    case '.diag':
    case '.notice':
    case '.warning':
    case '.alert':
      if (!blocks.active) return undefined;
      if (rest.length > 1) return alert(`Unexpected argument '${rest[1]}' for '${directive}'. Use quotes if the message should contain spaces.`);
      if (directive === '.warning') return { severity: 'warning', message: `'${rest[0] ?? ''}'.` };
      return directive === '.alert' ? alert(`'${rest[0] ?? ''}'.`) : undefined;
    default:
      return blocks.active ? alert(`unknown directive '${directive}'.`) : undefined;
  }
}

/** Evaluates a condition; returns an error message string when it cannot be parsed. */
export function evaluate(text: string, env: Environment): boolean | string {
  const tokens = text.match(/\s*(\(|\)|!|&&|\|\||[A-Za-z_][A-Za-z0-9_]*\([^)]*\)|[^\s()!&|]+)/g)?.map((t) => t.trim()) ?? [];
  if (tokens.join('') !== text.replace(/\s+/g, '')) return `unexpected characters in '${text}'`;
  let pos = 0;
  const orExpr = (): boolean | string => {
    let left = andExpr();
    while (typeof left === 'boolean' && tokens[pos] === '||') {
      pos++;
      const right = andExpr();
      if (typeof right === 'string') return right;
      left = left || right;
    }
    return left;
  };
  const andExpr = (): boolean | string => {
    let left = unary();
    while (typeof left === 'boolean' && tokens[pos] === '&&') {
      pos++;
      const right = unary();
      if (typeof right === 'string') return right;
      left = left && right;
    }
    return left;
  };
  const unary = (): boolean | string => {
    const t = tokens[pos++];
    if (t === undefined) return 'unexpected end of condition';
    if (t === '!') {
      const v = unary();
      return typeof v === 'string' ? v : !v;
    }
    if (t === '(') {
      const v = orExpr();
      if (tokens[pos++] !== ')') return `missing ')'`;
      return v;
    }
    if (/^-?\d+$/.test(t)) return Number(t) !== 0;
    const m = /^([a-z_]+)\((.*)\)$/.exec(t);
    if (!m) return `unknown term '${t}'`;
    const args = m[2]!.split(',');
    switch (m[1]) {
      case 'defined': return env[args[0]!] !== undefined;
      case 'feature': return FEATURES.has(args[0]!);
      case 'streq': return args[0] === args[1];
      case 'strneq': return args[0] !== args[1];
      case 'version_atleast': return compareVersions(EMULATED_HAPROXY_VERSION, args[0]!) >= 0;
      case 'version_before': return compareVersions(EMULATED_HAPROXY_VERSION, args[0]!) < 0;
      // TLS in Loadstar is Node's OpenSSL, so its version is the one these compare against.
      case 'openssl_version_atleast': return compareVersions(LINKED_OPENSSL_VERSION, args[0]!) >= 0;
      case 'openssl_version_before': return compareVersions(LINKED_OPENSSL_VERSION, args[0]!) < 0;
      case 'ssllib_name_startswith': return 'OpenSSL'.startsWith(args[0]!);
      default: return `unparsable conditional expression '${t}'`;
    }
  };
  if (tokens.length === 0) return false;
  const result = orExpr();
  if (typeof result === 'boolean' && pos < tokens.length) return `unexpected '${tokens[pos]}'`;
  return result;
}

/** Node's OpenSSL version without its build suffix: '3.0.15+quic' → '3.0.15'. */
const LINKED_OPENSSL_VERSION = process.versions.openssl.replace(/\+.*$/, '');

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
