/**
 * The C library's number readers as HAProxy's CLI commands call them on a 64-bit Linux (glibc):
 * a command that takes a number reads it exactly as haproxy 2.6 does, huge, signed or glued to
 * garbage (`1e309`, `99999999999999999999`, `0x10`, `-0`), and refuses or accepts what it does.
 */

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** What strtol read: the value (saturated to a long), whether it saturated (errno ERANGE), and the text after the digits (`*end`). */
export interface StrtolResult {
  value: bigint;
  overflow: boolean;
  rest: string;
}

/**
 * strtol(word, &end, 10): blanks, a sign, decimal digits; undefined when no digit comes first
 * (end == word). A value beyond a long saturates at LONG_MAX / LONG_MIN with `overflow` set.
 */
export function strtol(word: string): StrtolResult | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(word);
  if (!m) return undefined;
  const exact = BigInt(m[1]!);
  const value = exact > LONG_MAX ? LONG_MAX : exact < LONG_MIN ? LONG_MIN : exact;
  return { value, overflow: value !== exact, rest: word.slice(m[0].length) };
}

/** atoi(word): (int) strtol(word, NULL, 10) — a saturated long cut to its low 32 bits; 0 without digits. */
export function atoi(word: string): number {
  const r = strtol(word);
  return r ? Number(BigInt.asIntN(32, r.value)) : 0;
}
