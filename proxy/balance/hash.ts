/**
 * HAProxy's hash functions (src/hash.c) and the avalanche mixer (`full_hash`,
 * include/haproxy/intops.h), over byte strings: each char code is one byte
 * (`& 0xff`), the way Node delivers request lines and headers (latin1).
 * Every function hashes `s[start, end)` and returns an unsigned 32-bit value.
 */
import type { HashType } from '../config/model.ts';

export type HashFunction = (s: string, start: number, end: number) => number;

/** sdbm: h = c + (h << 6) + (h << 16) - h, i.e. h × 65599 + c. HAProxy's default. */
export function sdbm(s: string, start = 0, end = s.length): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 65599) + (s.charCodeAt(i) & 0xff)) >>> 0;
  return h;
}

/** djb2: h = h × 33 + c, from 5381. */
export function djb2(s: string, start = 0, end = s.length): number {
  let h = 5381;
  for (let i = start; i < end; i++) h = (Math.imul(h, 33) + (s.charCodeAt(i) & 0xff)) >>> 0;
  return h;
}

/** wt6 (Willy Tarreau's 6-rotation hash). */
export function wt6(s: string, start = 0, end = s.length): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = start; i < end; i++) {
    let t = s.charCodeAt(i) & 0xff;
    h0 = ~(h0 ^ t) >>> 0;
    h1 = ~(h1 + t) >>> 0;
    t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    t = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

/** CRC-32 (IEEE, reflected polynomial 0xedb88320), as hash_crc32(). */
export function crc32(s: string, start = 0, end = s.length): number {
  let h = 0xffffffff;
  for (let i = start; i < end; i++) {
    h = (h ^ (s.charCodeAt(i) & 0xff)) >>> 0;
    for (let bit = 0; bit < 8; bit++) h = ((h >>> 1) ^ (h & 1 ? 0xedb88320 : 0)) >>> 0;
  }
  return ~h >>> 0;
}

/** full_hash(): Bob Jenkins' 6-shift integer avalanche, times 3221225473. A bijection on 32 bits. */
export function fullHash(a: number): number {
  a >>>= 0;
  a = ((a + 0x7ed55d16) + (a << 12)) >>> 0;
  a = ((a ^ 0xc761c23c) ^ (a >>> 19)) >>> 0;
  a = ((a + 0x165667b1) + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = ((a + 0xfd7046c5) + (a << 3)) >>> 0;
  a = ((a ^ 0xb55a4f09) ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473 | 0) >>> 0;
}

const FUNCTIONS: Record<NonNullable<HashType['func']>, HashFunction> = { sdbm, djb2, wt6, crc32 };

/** The resolved `hash-type`: HAProxy's defaults filled in. */
export interface ResolvedHashType {
  consistent: boolean;
  fn: HashFunction;
  avalanche: boolean;
}

/**
 * `hash-type` with HAProxy's defaults: map-based sdbm without avalanche; a bare
 * `hash-type consistent` means sdbm with avalanche (cfgparse-listen.c); a named
 * function gets avalanche only when the modifier is written.
 */
export function resolveHashType(hashType: HashType | undefined): ResolvedHashType {
  if (!hashType) return { consistent: false, fn: sdbm, avalanche: false };
  const consistent = hashType.method === 'consistent';
  if (hashType.func === undefined) return { consistent, fn: sdbm, avalanche: hashType.avalanche || consistent };
  return { consistent, fn: FUNCTIONS[hashType.func], avalanche: hashType.avalanche };
}
