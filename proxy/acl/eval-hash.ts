/**
 * Hash functions of HAProxy's hash.c / xxhash used by converters (sdbm,
 * djb2, wt6, crc32, crc32c, xxh32, xxh64) and by base32 / url32, all over
 * bytes and returning unsigned 32-bit numbers (xxh64: a signed 64-bit value
 * as HAProxy stores it).
 */

import * as balanceHash from '../balance/hash.ts';

/**
 * The hash functions balancing uses (proxy/balance/hash.ts, over latin1 byte
 * strings so picks allocate nothing) serve the converters too: one
 * implementation of each, here adapted to byte arrays.
 */
const asLatin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** Bob Jenkins' full avalanche (full_hash()), applied when a hash converter gets a non-zero argument. */
export const fullHash = balanceHash.fullHash;

export function sdbm(b: Uint8Array): number {
  return balanceHash.sdbm(asLatin1(b));
}

/** The sdbm step over a byte string (base32 / url32 hash the Host and path this way). */
export function sdbmStr(s: string, h = 0): number {
  for (let i = 0; i < s.length; i++) h = ((s.charCodeAt(i) & 255) + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

export function djb2(b: Uint8Array): number {
  return balanceHash.djb2(asLatin1(b));
}

export function wt6(b: Uint8Array): number {
  return balanceHash.wt6(asLatin1(b));
}

export function crc32(b: Uint8Array): number {
  return balanceHash.crc32(asLatin1(b));
}

let crc32cTable: Uint32Array | undefined;
export function crc32c(b: Uint8Array): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < b.length; i++) crc = crc32cTable[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const P32_1 = 2654435761;
const P32_2 = 2246822519;
const P32_3 = 3266489917;
const P32_4 = 668265263;
const P32_5 = 374761393;
const rotl32 = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
const read32 = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/** XXH32 with a seed. */
export function xxh32(b: Uint8Array, seed: number): number {
  const len = b.length;
  let i = 0;
  let h: number;
  seed >>>= 0;
  if (len >= 16) {
    let v1 = (seed + P32_1 + P32_2) >>> 0;
    let v2 = (seed + P32_2) >>> 0;
    let v3 = seed;
    let v4 = (seed - P32_1) >>> 0;
    const round = (acc: number, input: number): number => Math.imul(rotl32((acc + Math.imul(input, P32_2)) >>> 0, 13), P32_1) >>> 0;
    for (; i <= len - 16; i += 16) {
      v1 = round(v1, read32(b, i));
      v2 = round(v2, read32(b, i + 4));
      v3 = round(v3, read32(b, i + 8));
      v4 = round(v4, read32(b, i + 12));
    }
    h = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) >>> 0;
  } else {
    h = (seed + P32_5) >>> 0;
  }
  h = (h + len) >>> 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl32((h + Math.imul(read32(b, i), P32_3)) >>> 0, 17), P32_4) >>> 0;
  for (; i < len; i++) h = Math.imul(rotl32((h + Math.imul(b[i]!, P32_5)) >>> 0, 11), P32_1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, P32_2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, P32_3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const M64 = 0xffffffffffffffffn;
const P64_1 = 11400714785074694791n;
const P64_2 = 14029467366897019727n;
const P64_3 = 1609587929392839161n;
const P64_4 = 9650029242287828579n;
const P64_5 = 2870177450012600261n;
const rotl64 = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;
function read64(b: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]!);
  return v;
}
const round64 = (acc: bigint, input: bigint): bigint => (rotl64((acc + input * P64_2) & M64, 31n) * P64_1) & M64;
const merge64 = (acc: bigint, val: bigint): bigint => (((acc ^ round64(0n, val)) * P64_1) + P64_4) & M64;

/** XXH64 with a seed, as a signed 64-bit value (HAProxy stores it in a signed integer). */
export function xxh64(b: Uint8Array, seedIn: bigint): bigint {
  const seed = seedIn & M64;
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + P64_1 + P64_2) & M64;
    let v2 = (seed + P64_2) & M64;
    let v3 = seed;
    let v4 = (seed - P64_1) & M64;
    for (; i <= len - 32; i += 32) {
      v1 = round64(v1, read64(b, i));
      v2 = round64(v2, read64(b, i + 8));
      v3 = round64(v3, read64(b, i + 16));
      v4 = round64(v4, read64(b, i + 24));
    }
    h = (rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n)) & M64;
    h = merge64(h, v1); h = merge64(h, v2); h = merge64(h, v3); h = merge64(h, v4);
  } else {
    h = (seed + P64_5) & M64;
  }
  h = (h + BigInt(len)) & M64;
  for (; i + 8 <= len; i += 8) h = ((rotl64(h ^ round64(0n, read64(b, i)), 27n) * P64_1) + P64_4) & M64;
  if (i + 4 <= len) {
    h = ((rotl64(h ^ ((BigInt(read32(b, i)) * P64_1) & M64), 23n) * P64_2) + P64_3) & M64;
    i += 4;
  }
  for (; i < len; i++) h = (rotl64(h ^ ((BigInt(b[i]!) * P64_5) & M64), 11n) * P64_1) & M64;
  h ^= h >> 33n;
  h = (h * P64_2) & M64;
  h ^= h >> 29n;
  h = (h * P64_3) & M64;
  h ^= h >> 32n;
  return BigInt.asIntN(64, h);
}
