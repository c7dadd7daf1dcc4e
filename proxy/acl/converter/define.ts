/**
 * What a converter family file exports: one ConverterDefinition per
 * converter HAProxy 2.6 registers (`haproxy -dKcnv`) — its signature row,
 * the argument check HAProxy runs after parsing (when it has one) and, when
 * Loadstar evaluates it, the compiler. A row without a compiler is a
 * converter that is "not supported yet".
 *
 * The input sample has already been cast to the converter's input type by
 * the chain (see evaluate.ts); a converter returns the new sample, or
 * undefined when it fails (which stops the expression, as in HAProxy).
 */
import type { ConverterCall, SampleArg, SampleType, VarScope } from '../types.ts';
import type { SampleContext } from '../context.ts';
import type { Sample } from '../eval-sample.ts';
import type { HostResolver } from '../eval-match.ts';
import type { ArgValidator } from '../validators.ts';
import { castSample, intOf, sampleToString, strToBytes, bytesToStr } from '../eval-sample.ts';

/** Signature row: [name, args (same notation as fetch rows), input type, output type]. */
export type ConverterRow = readonly [name: string, args: string, input: SampleType, output: SampleType];

export type ConvFn = (s: Sample, ctx: SampleContext) => Sample | undefined;

export interface ConverterCompileOptions {
  /** Reads a map file (map* converters). */
  readonly readFile?: (path: string) => string;
  /** Resolves host names in map_ip keys. */
  readonly resolveHost?: HostResolver;
}

/** Compiles a call (its definition, name and arguments are in `call`). */
export type ConverterCompiler = (call: ConverterCall, options: ConverterCompileOptions) => ConvFn;

export interface ConverterDefinition {
  readonly row: ConverterRow;
  /** HAProxy's check of the parsed arguments (it may normalise them in place). */
  readonly validate?: ArgValidator;
  /** Absent: HAProxy has the converter, Loadstar does not evaluate it yet. */
  readonly compile?: ConverterCompiler;
}

/** A converter's row, its compiler (none: not supported yet) and its argument check. */
export function converter(row: ConverterRow, compile?: ConverterCompiler, validate?: ArgValidator): ConverterDefinition {
  return { row, ...(compile ? { compile } : {}), ...(validate ? { validate } : {}) };
}

/** The i-th argument when it is a string. */
export const strArg = (args: readonly SampleArg[], i: number): string | undefined => {
  const a = args[i];
  return a?.type === 'str' ? a.value : undefined;
};

/** The i-th argument when it is an integer. */
export const intArg = (args: readonly SampleArg[], i: number): number | undefined => {
  const a = args[i];
  return a?.type === 'int' ? a.value : undefined;
};

/** The bytes of a str/bin sample (other types: none). */
export const bytesOf = (s: Sample): Uint8Array => (s.type === 'bin' ? s.value : s.type === 'str' ? strToBytes(s.value) : new Uint8Array(0));

/** The text of a str/meth/bin sample (other types: ''). */
export const strOf = (s: Sample): string => (s.type === 'str' || s.type === 'meth' ? s.value : s.type === 'bin' ? bytesToStr(s.value) : '');

/** A variable's value as a string (concat, strcmp…); undefined when unset or not castable. */
export function varString(ctx: SampleContext, scope: VarScope, name: string): string | undefined {
  const v = ctx.vars?.get(scope, name);
  return v ? sampleToString(v) : undefined;
}

/** A variable or literal integer argument (add(), sub() …): its value at run time. */
export function intOperand(arg: SampleArg | undefined): (ctx: SampleContext) => number | undefined {
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
