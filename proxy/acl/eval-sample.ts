/**
 * Run-time samples (HAProxy's `struct sample`) and the cast matrix of
 * sample.c (`sample_casts`), used by the evaluator.
 *
 * Strings are *byte strings*: every char code is one byte (0..255), which is
 * what Node gives for header names/values and the request target (latin1).
 * Binary samples are Uint8Array (Buffers are fine). Integers are JS numbers:
 * HAProxy's 64-bit integers are exact up to 2^53 here, arithmetic saturates
 * at ±2^63 like HAProxy's does.
 */
import type { SampleType } from './types.ts';

/** A typed sample value. Samples are immutable once created (they may be shared). */
export type Sample =
  | { readonly type: 'bool'; readonly value: boolean }
  /**
   * 64-bit integer. `value` is exact up to 2^53; beyond, `big` (when set)
   * holds the exact value, used for printing and binary casts.
   */
  | { readonly type: 'int'; readonly value: number; readonly big?: bigint }
  /** IPv4 as an unsigned 32-bit number (a.b.c.d = a<<24 | b<<16 | c<<8 | d). */
  | { readonly type: 'ipv4'; readonly value: number }
  /** IPv6, 16 bytes in network order. */
  | { readonly type: 'ipv6'; readonly value: Uint8Array }
  /** Byte string (char codes 0..255). */
  | { readonly type: 'str'; readonly value: string }
  | { readonly type: 'bin'; readonly value: Uint8Array }
  /** HTTP method as received. */
  | { readonly type: 'meth'; readonly value: string };

/** Run-time sample types (no 'any' nor 'addr'). */
export type ConcreteType = Sample['type'];

export const TRUE: Sample = { type: 'bool', value: true };
export const FALSE: Sample = { type: 'bool', value: false };
export const EMPTY_STR: Sample = { type: 'str', value: '' };

export const mkStr = (value: string): Sample => ({ type: 'str', value });
export const mkInt = (value: number): Sample => ({ type: 'int', value });
/** Integer sample from an exact 64-bit value. */
export function mkInt64(b: bigint): Sample {
  const v = BigInt.asIntN(64, b);
  const n = Number(v);
  return Number.isSafeInteger(n) ? { type: 'int', value: n } : { type: 'int', value: n, big: v };
}
export const mkBool = (value: boolean): Sample => (value ? TRUE : FALSE);
export const mkBin = (value: Uint8Array): Sample => ({ type: 'bin', value });
export const mkIPv4 = (value: number): Sample => ({ type: 'ipv4', value });
export const mkIPv6 = (value: Uint8Array): Sample => ({ type: 'ipv6', value });

/** Largest / smallest 64-bit integers, as JS numbers (±2^63). */
export const INT64_MAX = 9223372036854775807;
export const INT64_MIN = -9223372036854775808;

/** Clamps to HAProxy's 64-bit integer range. */
export function clamp64(n: number): number {
  if (Number.isNaN(n)) return 0;
  return n > INT64_MAX ? INT64_MAX : n < INT64_MIN ? INT64_MIN : n;
}

// ---------------------------------------------------------------- bytes

/** Byte string → bytes. */
export function strToBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** Bytes → byte string. */
export function bytesToStr(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** Bytes of a str/bin sample (other types are cast to bin first). */
export function sampleBytes(s: Sample): Uint8Array | undefined {
  if (s.type === 'bin') return s.value;
  if (s.type === 'str' || s.type === 'meth') return strToBytes(s.value);
  const b = castSample(s, 'bin');
  return b?.type === 'bin' ? b.value : undefined;
}

const HEX = '0123456789ABCDEF';

/** Uppercase hexadecimal dump of bytes. */
export function toHex(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) out += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return out;
}

// ---------------------------------------------------------------- addresses

/** IPv4 number → dotted quad. */
export function ipv4ToString(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** inet_ntop(AF_INET6) as glibc writes it (longest zero run compressed, embedded IPv4 for ::ffff:x and ::x). */
export function ipv6ToString(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen; }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/**
 * buf2ip(): leading dotted-quad IPv4 (octets may have leading zeros), stops at
 * the first character that is neither a digit nor a dot. Returns the address
 * and the number of characters used, or undefined.
 */
export function buf2ip(s: string, start = 0, end = s.length): { addr: number; len: number } | undefined {
  let octets = 0;
  let sawDigit = false;
  let cur = 0;
  let addr = 0;
  let i = start;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      cur = cur * 10 + d;
      if (cur > 255) return undefined;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
    } else if (c === 46) {
      if (!sawDigit || octets === 4) return undefined;
      addr = addr * 256 + cur;
      cur = 0;
      sawDigit = false;
    } else break;
  }
  if (octets < 4 || !sawDigit) return undefined;
  return { addr: (addr * 256 + cur) >>> 0, len: i - start };
}

/** inet_pton(AF_INET6) over a byte string (with buf2ip6's length limit). */
export function buf2ip6(s: string): Uint8Array | undefined {
  if (s.length > 46) return undefined;
  return parseIPv6Strict(s);
}

/** inet_pton(AF_INET6): hex groups, one '::', optional trailing dotted IPv4 (strict). */
export function parseIPv6Strict(text: string): Uint8Array | undefined {
  const words: number[] = [];
  let dc = -1;
  let i = 0;
  const n = text.length;
  if (n === 0) return undefined;
  if (text.charCodeAt(0) === 58) {
    if (n < 2 || text.charCodeAt(1) !== 58) return undefined;
    dc = 0;
    i = 2;
  }
  while (i < n) {
    // read a group (or an IPv4 tail)
    let j = i;
    let v = 0;
    while (j < n && j - i < 5) {
      const c = text.charCodeAt(j);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < n && text.charCodeAt(j) === 46) {
      const v4 = buf2ip(text, i, n);
      if (!v4 || i + v4.len !== n || !strictDotted(text.slice(i))) return undefined;
      if (words.length > 6) return undefined;
      words.push(v4.addr >>> 16, v4.addr & 0xffff);
      i = n;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    words.push(v);
    if (words.length > 8) return undefined;
    i = j;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < n && text.charCodeAt(i) === 58) {
      if (dc >= 0) return undefined;
      dc = words.length;
      i++;
    } else if (i === n) return undefined;
  }
  let full: number[];
  if (dc >= 0) {
    if (words.length > 7) return undefined;
    full = [...words.slice(0, dc), ...new Array<number>(8 - words.length).fill(0), ...words.slice(dc)];
  } else {
    if (words.length !== 8) return undefined;
    full = words;
  }
  const out = new Uint8Array(16);
  for (let k = 0; k < 8; k++) { out[2 * k] = full[k]! >> 8; out[2 * k + 1] = full[k]! & 0xff; }
  return out;
}

/** inet_pton(AF_INET) rules for the IPv4 tail of an IPv6 address: no leading zeros. */
function strictDotted(s: string): boolean {
  return /^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$/.test(s);
}

/** An address as Node reports it ('10.0.0.1', '::1', '::ffff:10.0.0.1') → sample, or undefined. */
export function parseAddress(text: string): Sample | undefined {
  const v4 = buf2ip(text);
  if (v4 && v4.len === text.length) return mkIPv4(v4.addr);
  const v6 = parseIPv6Strict(text);
  return v6 ? mkIPv6(v6) : undefined;
}

/** v4tov6(): ::ffff:a.b.c.d */
export function v4ToV6(v: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff; b[11] = 0xff;
  b[12] = v >>> 24; b[13] = (v >>> 16) & 255; b[14] = (v >>> 8) & 255; b[15] = v & 255;
  return b;
}

/** v6tov4(): only for ::ffff:a.b.c.d (RFC 4291 mapped addresses). */
export function v6ToV4(b: Uint8Array): number | undefined {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
  if (b[10] !== 0xff || b[11] !== 0xff) return undefined;
  return ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
}

// ---------------------------------------------------------------- integers

/** read_int64(): optional sign, then leading digits (stops at the first non-digit), saturating. */
export function readInt64(s: string, start = 0, end = s.length): { value: number; end: number } {
  let i = start;
  let neg = false;
  if (i < end && s.charCodeAt(i) === 45) { neg = true; i++; } else if (i < end && s.charCodeAt(i) === 43) i++;
  let v = 0;
  while (i < end) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  if (neg) v = -v;
  return { value: clamp64(v), end: i };
}

/** strl2ic(): leading digits (optionally negative) of a string, 32-bit like HAProxy's. */
export function strl2ic(s: string): number {
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) { neg = true; i = 1; }
  let v = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = (v * 10 + d) | 0;
  }
  return neg ? -v | 0 : v;
}

/** 64-bit big-endian bytes of an integer. */
export function int64ToBytes(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, toBigInt64(n));
  return b;
}

/** Integer sample value → exact 64-bit BigInt (saturated at the bounds). */
export function toBigInt64(n: number): bigint {
  if (n >= INT64_MAX) return 9223372036854775807n;
  if (n <= INT64_MIN) return -9223372036854775808n;
  return BigInt(Math.trunc(n));
}

// ---------------------------------------------------------------- methods

/** The 8 methods HAProxy identifies by number (case-sensitive). */
const KNOWN = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);
export const isKnownMethod = (m: string): boolean => KNOWN.has(m);

// ---------------------------------------------------------------- casts

/**
 * sample_casts[from][to]: converts `s` to type `to` ('any' keeps it,
 * 'addr' yields ipv4 or ipv6), or undefined when there is no cast or it
 * fails (like a NULL cast or a cast returning 0 in HAProxy).
 */
export function castSample(s: Sample, to: SampleType): Sample | undefined {
  if (to === 'any' || s.type === to) return s;
  switch (s.type) {
    case 'bool':
      if (to === 'int') return mkInt(s.value ? 1 : 0);
      if (to === 'str') return mkStr(s.value ? '1' : '0');
      if (to === 'bin') return mkBin(int64ToBytes(s.value ? 1 : 0));
      return undefined;
    case 'int':
      switch (to) {
        case 'bool': return s; // c_none: kept as an integer, tested for non-zero
        case 'addr': case 'ipv4': return mkIPv4(intToU32(s.value));
        case 'ipv6': return mkIPv6(v4ToV6(intToU32(s.value)));
        case 'str': return mkStr(s.big !== undefined ? s.big.toString() : intToString(s.value));
        case 'bin': {
          if (s.big === undefined) return mkBin(int64ToBytes(s.value));
          const b = new Uint8Array(8);
          new DataView(b.buffer).setBigInt64(0, s.big);
          return mkBin(b);
        }
        default: return undefined;
      }
    case 'ipv4':
      switch (to) {
        case 'int': return mkInt(s.value);
        case 'addr': return s;
        case 'ipv6': return mkIPv6(v4ToV6(s.value));
        case 'str': return mkStr(ipv4ToString(s.value));
        case 'bin': return mkBin(new Uint8Array([s.value >>> 24, (s.value >>> 16) & 255, (s.value >>> 8) & 255, s.value & 255]));
        default: return undefined;
      }
    case 'ipv6':
      switch (to) {
        case 'addr': return s;
        case 'ipv4': { const v = v6ToV4(s.value); return v === undefined ? undefined : mkIPv4(v); }
        case 'str': return mkStr(ipv6ToString(s.value));
        case 'bin': return mkBin(s.value);
        default: return undefined;
      }
    case 'str':
      switch (to) {
        case 'bool': case 'int':
          return s.value.length === 0 ? undefined : mkInt(readInt64(s.value).value);
        case 'addr': {
          const v4 = buf2ip(s.value);
          if (v4) return mkIPv4(v4.addr);
          const v6 = buf2ip6(s.value);
          return v6 ? mkIPv6(v6) : undefined;
        }
        case 'ipv4': { const v4 = buf2ip(s.value); return v4 ? mkIPv4(v4.addr) : undefined; }
        case 'ipv6': { const v6 = buf2ip6(s.value); return v6 ? mkIPv6(v6) : undefined; }
        case 'bin': return mkBin(strToBytes(s.value));
        case 'meth': return { type: 'meth', value: s.value };
        default: return undefined;
      }
    case 'bin':
      if (to === 'str') {
        const b = s.value;
        let n = 0;
        while (n < b.length && b[n] !== 0) n++;
        return mkStr(bytesToStr(n === b.length ? b : b.subarray(0, n)));
      }
      if (to === 'meth') return { type: 'meth', value: bytesToStr(s.value) };
      return undefined;
    case 'meth':
      if (to === 'str') return mkStr(s.value);
      if (to === 'bin') return mkBin(strToBytes(s.value));
      return undefined;
  }
}

/** Integer → decimal text (exact for safe integers, saturated bounds printed like HAProxy). */
export function intToString(n: number): string {
  if (n >= INT64_MAX) return '9223372036854775807';
  if (n <= INT64_MIN) return '-9223372036854775808';
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}

/** (unsigned int) cast of a 64-bit integer. */
function intToU32(n: number): number {
  return Number.isSafeInteger(n) ? n >>> 0 : Number(BigInt.asUintN(32, toBigInt64(n)));
}

/** Sample → byte string, as sample_fetch_as_type(..., SMP_T_STR) does (undefined if no cast). */
export function sampleToString(s: Sample): string | undefined {
  if (s.type === 'str') return s.value;
  const c = castSample(s, 'str');
  return c?.type === 'str' ? c.value : undefined;
}

/** Integer value of an int/bool sample (after castSample(s, 'int')). */
export function intOf(s: Sample): number {
  return s.type === 'int' ? s.value : s.type === 'bool' ? (s.value ? 1 : 0) : 0;
}
