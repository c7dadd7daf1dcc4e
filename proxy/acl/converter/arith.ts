/**
 * Arithmetic and logic on 64-bit integers (sample.c; section 7.3.1): add,
 * sub, mul, div, mod, and, or, xor take a literal or a variable operand;
 * results saturate as HAProxy's arith_* functions do.
 */
import type { SampleArg } from '../types.ts';
import type { Sample } from '../eval-sample.ts';
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter, intOperand } from './define.ts';
import { mkInt, mkInt64, mkBool, intOf, clamp64, toBigInt64, INT64_MAX, INT64_MIN } from '../eval-sample.ts';
import { readInt64 } from '../args.ts';
import { strOf as argStr, toVar } from '../validators.ts';

/** arith_add() with saturation. */
function add64(a: number, b: number): number {
  return clamp64(a + b);
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  add: add64,
  sub: (a, b) => add64(a, -b),
  mul: (a, b) => {
    const p = toBigInt64(a) * toBigInt64(b);
    return p > 9223372036854775807n ? INT64_MAX : p < -9223372036854775808n ? INT64_MIN : Number(p);
  },
  div: (a, b) => (b === 0 ? INT64_MAX : a <= INT64_MIN && b === -1 ? INT64_MAX : clamp64(Number(toBigInt64(a) / toBigInt64(b)))),
  mod: (a, b) => (b === 0 ? 0 : a <= INT64_MIN && b === -1 ? 0 : Number(toBigInt64(a) % toBigInt64(b))),
};

const BITWISE: Record<string, (a: bigint, b: bigint) => bigint> = {
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
};

/** Exact 64-bit value of an int sample. */
const bigOf = (s: Sample): bigint => (s.type === 'int' && s.big !== undefined ? s.big : toBigInt64(intOf(s)));

const arithmetic: ConverterCompiler = ({ def: { name }, args }) => {
  const operand = intOperand(args[0]);
  const bitwise = BITWISE[name];
  if (bitwise) {
    return (s, ctx) => {
      const b = operand(ctx);
      return b === undefined ? undefined : mkInt64(bitwise(bigOf(s), toBigInt64(b)));
    };
  }
  const op = ARITH[name]!;
  return (s, ctx) => {
    const b = operand(ctx);
    return b === undefined ? undefined : mkInt(op(intOf(s), b));
  };
};

/** The operand: a variable name, else an integer (normalised in place). */
function operand(a: SampleArg[]): string | undefined {
  if (toVar(a, 0)) return undefined;
  const v = readInt64(argStr(a[0]) ?? '');
  if (v === undefined) return 'expects an integer or a variable name';
  a[0] = { type: 'int', value: v };
  return undefined;
}

export const ARITH_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['add', 'str', 'int', 'int'], arithmetic, operand),
  converter(['sub', 'str', 'int', 'int'], arithmetic, operand),
  converter(['mul', 'str', 'int', 'int'], arithmetic, operand),
  converter(['div', 'str', 'int', 'int'], arithmetic, operand),
  converter(['mod', 'str', 'int', 'int'], arithmetic, operand),
  converter(['and', 'str', 'int', 'int'], arithmetic, operand),
  converter(['or', 'str', 'int', 'int'], arithmetic, operand),
  converter(['xor', 'str', 'int', 'int'], arithmetic, operand),
  converter(['cpl', '', 'int', 'int'], () => (s) => mkInt64(~bigOf(s))),
  converter(['neg', '', 'int', 'int'], () => (s) => { const v = intOf(s); return mkInt(v <= INT64_MIN ? INT64_MAX : -v); }),
  converter(['bool', '', 'int', 'bool'], () => (s) => mkBool(intOf(s) !== 0)),
  converter(['not', '', 'int', 'bool'], () => (s) => mkBool(intOf(s) === 0)),
  converter(['odd', '', 'int', 'bool'], () => (s) => mkBool(intOf(s) % 2 !== 0)),
  converter(['even', '', 'int', 'bool'], () => (s) => mkBool(intOf(s) % 2 === 0)),
];
