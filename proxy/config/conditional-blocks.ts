/**
 * HAProxy's preprocessor-like conditional blocks (configuration.txt §2.4):
 * `.if COND` / `.elif COND` / `.else` / `.endif`, and the `.diag/.notice/.warning/.alert`
 * messages. Conditions: 0 / non-zero integers, defined(), feature(), streq(),
 * strneq(), version_atleast(), version_before(), `!`, `&&`, `||`, parentheses.
 */
import type { Environment } from './lexer.ts';

/** The HAProxy version whose configuration language Loadstar implements. */
export const EMULATED_HAPROXY_VERSION = '2.6.0';
/** Features `feature(X)` reports present (the names `haproxy -vv` lists with '+'). */
const FEATURES = new Set(['OPENSSL', 'ZLIB', 'LINUX_TPROXY', 'GETADDRINFO', 'THREAD', 'TFO', 'NS']);

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
}

export function evaluateConditionalBlock(blocks: ConditionalBlocks, words: string[], env: Environment, line = 0): BlockProblem | undefined {
  blocks.setLine(line);
  const [directive, ...rest] = words;
  const level = blocks.top();
  switch (directive) {
    case '.if': {
      const value = evaluate(rest.join(' '), env);
      if (typeof value === 'string') return { severity: 'alert', message: `failed to evaluate condition: ${value}` };
      blocks.push(value);
      return undefined;
    }
    case '.elif': {
      if (!level || level.elseSeen) return { severity: 'alert', message: `'.elif' appears after a '.else' or without a matching '.if'.` };
      if (level.taken) {
        level.active = false;
        return undefined;
      }
      const value = evaluate(rest.join(' '), env);
      if (typeof value === 'string') return { severity: 'alert', message: `failed to evaluate condition: ${value}` };
      level.active = value;
      level.taken = value;
      return undefined;
    }
    case '.else':
      if (!level || level.elseSeen) return { severity: 'alert', message: `'.else' appears after another '.else' or without a matching '.if'.` };
      level.elseSeen = true;
      level.active = !level.taken;
      level.taken = true;
      return undefined;
    case '.endif':
      if (!blocks.pop()) return { severity: 'alert', message: `'.endif' appears without a matching '.if'.` };
      return undefined;
    case '.diag':
    case '.notice':
      return undefined;
    case '.warning':
      return blocks.active ? { severity: 'warning', message: rest.join(' ') } : undefined;
    case '.alert':
      return blocks.active ? { severity: 'alert', message: rest.join(' ') } : undefined;
    default:
      return blocks.active ? { severity: 'alert', message: `unknown directive '${directive}'.` } : undefined;
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
      default: return `unknown predicate '${m[1]}'`;
    }
  };
  if (tokens.length === 0) return false;
  const result = orExpr();
  if (typeof result === 'boolean' && pos < tokens.length) return `unexpected '${tokens[pos]}'`;
  return result;
}

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
