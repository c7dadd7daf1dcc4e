/**
 * What a fetch family file exports: one FetchDefinition per fetch HAProxy 2.6
 * registers — its signature row (what `haproxy -dKsmp` prints), the argument
 * check HAProxy runs after parsing (when it has one) and, when Loadstar
 * evaluates it, the compiler that turns a parsed call into closures.
 * A row without a compiler is a fetch that is "not supported yet".
 *
 * A compiled fetch has two entry points, as HAProxy's fetch functions do:
 * `one` for sample expressions (one value: e.g. hdr() without occurrence
 * gives the last value, url_param() the first one) and `each` for ACLs
 * (SMP_OPT_ITERATE: every value of hdr(), cook(), url_param(),
 * req.ssl_alpn… is passed in turn, until the visitor stops).
 */
import type { RefKind, SampleArg } from '../types.ts';
import type { SampleContext } from '../context.ts';
import type { Sample } from '../eval-sample.ts';
import type { Visit } from '../eval-http.ts';
import type { ArgValidator } from '../validators.ts';

/**
 * Signature row: [name, args, output type, sources joined with '|'].
 * Args: comma-separated types, optional ones in brackets ('str[,int]'); see arg-spec.ts and fetches.ts.
 */
export type FetchRow = readonly [name: string, args: string, output: string, sources: string];

/**
 * State a compiled fetch reports besides its value, owned by whoever compiled it
 * (one object per compiled expression, reset before each evaluation).
 */
export interface FetchState {
  /**
   * Set by a fetch whose answer may change once more data arrives (HAProxy's
   * SMP_F_MAY_CHANGE: L6 buffer inspection), so that an ACL can report
   * "missing data" while the inspection delay runs.
   */
  mayChange: boolean;
}

export interface CompiledFetch {
  /** Single-value semantics (sample expressions). */
  readonly one: (ctx: SampleContext) => Sample | undefined;
  /** ACL semantics: every value in turn; returns the first non-zero visitor result, or 0. */
  readonly each: (ctx: SampleContext, visit: Visit) => number;
}

export type One = (ctx: SampleContext) => Sample | undefined;

/** One call of a fetch being compiled: its name (families share compilers), arguments and context. */
export interface FetchSite {
  readonly name: string;
  readonly args: readonly SampleArg[];
  /** Where this compiled fetch reports "may change" (see FetchState). */
  readonly state: FetchState;
  /** The proxy the expression belongs to: the given one, else the stream's backend, else its frontend. */
  currentProxy(ctx: SampleContext): string;
  /** A `be`/`fe`/`tab` argument's proxy name, the current proxy when omitted. */
  proxyArg(i: number, kind: RefKind): (ctx: SampleContext) => string;
}

/** Compiles a call; undefined when these arguments are not supported yet. */
export type FetchCompiler = (site: FetchSite) => CompiledFetch | undefined;

export interface FetchDefinition {
  readonly row: FetchRow;
  /** Absent: HAProxy has the fetch, Loadstar does not evaluate it yet. */
  readonly compile?: FetchCompiler;
  /** HAProxy's check of the parsed arguments (it may normalise them in place). */
  readonly validate?: ArgValidator;
}

/** A fetch's signature row, its compiler (none: not supported yet) and its argument check. */
export function fetch(row: FetchRow, compile?: FetchCompiler, validate?: ArgValidator): FetchDefinition {
  return { row, ...(compile ? { compile } : {}), ...(validate ? { validate } : {}) };
}

/** A fetch with one value at most. */
export function single(one: One): CompiledFetch {
  return { one, each: (ctx, visit) => { const s = one(ctx); return s === undefined ? 0 : visit(s, ctx); } };
}

/** The i-th argument when it is a string. */
export const str = (args: readonly SampleArg[], i: number): string | undefined => {
  const a = args[i];
  return a?.type === 'str' ? a.value : undefined;
};

/** The i-th argument when it is an integer. */
export const int = (args: readonly SampleArg[], i: number): number | undefined => {
  const a = args[i];
  return a?.type === 'int' ? a.value : undefined;
};

/** The i-th argument's name when it is a reference of that kind. */
export const ref = (args: readonly SampleArg[], i: number, kind: RefKind): string | undefined => {
  const a = args[i];
  return a?.type === 'ref' && a.kind === kind ? a.name : undefined;
};

/** [start, end) of a value found in a string or buffer; owned by the compiled fetch that reuses it. */
export interface Span {
  start: number;
  end: number;
}
