/**
 * HAProxy 2.6's Vary support (src/cache.c, `process-vary on`): only `accept-encoding` and `referer`
 * are understood; a response varying on anything else is not stored. A request's secondary key is
 * 8 bytes: a bitmap of the encodings it accepts, then a CRC-32 of its first Referer. Two keys match
 * when the stored response's encodings are all accepted and the referers are the same.
 */
import { getHeader } from '../headers.ts';

export const VARY_ACCEPT_ENCODING = 1;
export const VARY_REFERER = 2;
const ALL_VARY = VARY_ACCEPT_ENCODING | VARY_REFERER;
export const SECONDARY_KEY_LENGTH = 8;

const ENCODINGS: Record<string, number> = {
  gzip: 1 << 0, 'x-gzip': 1 << 0, deflate: 1 << 1, br: 1 << 2, compress: 1 << 3, 'x-compress': 1 << 3,
  aes128gcm: 1 << 4, exi: 1 << 5, 'pack200-gzip': 1 << 6, zstd: 1 << 7, identity: 1 << 8,
};
const ENCODING_IDENTITY = 1 << 8;
const ENCODING_STAR = 1 << 9;
const ENCODING_OTHER = 1 << 10;
/** More values than this in Accept-Encoding: HAProxy does not trust the request with a secondary key. */
const MAX_ACCEPT_ENCODING_VALUES = 16;

/** The Vary bits of a response, or undefined when it varies on a header HAProxy does not handle (http_check_vary_header). */
export function varySignature(headers: string[]): number | undefined {
  let signature = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'vary') continue;
    for (const raw of headers[i + 1]!.split(',')) {
      const value = raw.trim().toLowerCase();
      if (value === 'accept-encoding') signature |= VARY_ACCEPT_ENCODING;
      else if (value === 'referer') signature |= VARY_REFERER;
      else return undefined;
    }
  }
  return signature;
}

/** One encoding value with its optional weight (parse_encoding_value); undefined for an unknown or malformed one. */
function parseEncoding(text: string): { bit: number; rejected: boolean } | undefined {
  const m = /^([a-z0-9*-]+)[ \t]*(?:;[ \t]*(.*))?$/.exec(text);
  if (!m) return undefined;
  const bit = m[1] === '*' ? ENCODING_STAR : ENCODINGS[m[1]!];
  if (bit === undefined) return undefined;
  return { bit, rejected: m[2] === 'q=0' };
}

/** The bitmap of the encodings a request accepts (accept_encoding_normalizer); undefined: not usable. */
function acceptedEncodings(headers: string[]): number | undefined {
  let bitmap = ENCODING_IDENTITY;
  let refused = 0xffffffff;
  let count = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'accept-encoding') continue;
    for (const raw of headers[i + 1]!.split(',')) {
      if (count >= MAX_ACCEPT_ENCODING_VALUES) break;
      count++;
      const value = raw.trim().toLowerCase();
      if (value === '') continue;
      const parsed = parseEncoding(value);
      if (!parsed) bitmap |= ENCODING_OTHER;
      else if (parsed.rejected) refused &= ~parsed.bit;
      else bitmap |= parsed.bit;
    }
  }
  if (bitmap & ENCODING_STAR) bitmap = 0xffffffff;
  bitmap = (bitmap & refused) >>> 0;
  if (count === 0) bitmap = 0xffffffff;
  if (count === MAX_ACCEPT_ENCODING_VALUES) return undefined;
  return bitmap;
}

/** The bitmap of a response's Content-Encoding (set_secondary_key_encoding); undefined for an unknown one (not stored). */
export function responseEncodings(headers: string[]): number | undefined {
  let bitmap = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'content-encoding') continue;
    for (const raw of headers[i + 1]!.split(',')) {
      const parsed = parseEncoding(raw.trim().toLowerCase());
      if (!parsed) return undefined;
      bitmap |= parsed.bit;
    }
  }
  return (bitmap || ENCODING_IDENTITY) >>> 0;
}

/**
 * A request's secondary key for the given Vary bits (all of them before any response said which:
 * http_request_prebuild_full_secondary_key); undefined when it cannot have one.
 */
export function requestSecondaryKey(headers: string[], signature = ALL_VARY): Buffer | undefined {
  const key = Buffer.alloc(SECONDARY_KEY_LENGTH);
  if (signature & VARY_ACCEPT_ENCODING) {
    const bitmap = acceptedEncodings(headers);
    if (bitmap === undefined) return undefined;
    key.writeUInt32LE(bitmap, 0);
  }
  if (signature & VARY_REFERER) {
    const referer = getHeader(headers, 'referer');
    if (referer !== undefined) key.writeUInt32LE(crc32(Buffer.from(referer, 'latin1')), 4);
  }
  return key;
}

/** The part of a prebuilt key the response varies on (http_request_reduce_secondary_key). */
export function reduceSecondaryKey(key: Buffer, signature: number): Buffer {
  const reduced = Buffer.from(key);
  if (!(signature & VARY_ACCEPT_ENCODING)) reduced.fill(0, 0, 4);
  if (!(signature & VARY_REFERER)) reduced.fill(0, 4, 8);
  return reduced;
}

/** The stored key's encodings are all accepted by the request, and the rest is equal (secondary_key_cmp). */
export function secondaryKeysMatch(stored: Buffer, request: Buffer): boolean {
  const storedEncodings = stored.readUInt32LE(0);
  const requested = request.readUInt32LE(0);
  if (storedEncodings & ENCODING_OTHER) return false;
  if (((storedEncodings & requested) >>> 0) !== storedEncodings) return false;
  return stored.readUInt32LE(4) === request.readUInt32LE(4);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE), HAProxy's hash_crc32. */
function crc32(data: Buffer): number {
  const table = (crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
