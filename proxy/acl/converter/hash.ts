/**
 * Hashes, digests and ciphers (sample.c, ssl_sample.c; section 7.3.1).
 */
import { createHash, createHmac } from 'node:crypto';
import type { SampleArg } from '../types.ts';
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter, intArg, strArg, bytesOf, varString } from './define.ts';
import { mkInt, mkInt64, mkBin, toBigInt64 } from '../eval-sample.ts';
import { base64Decode } from '../eval-http.ts';
import { sdbm, djb2, wt6, crc32, crc32c, xxh32, xxh64, fullHash } from '../eval-hash.ts';
import { strOf as argStr, intOf as argInt, isDigest, varOrBase64 } from '../validators.ts';

const HASHES = { sdbm, djb2, wt6, crc32, crc32c };

/** sdbm, djb2, wt6, crc32, crc32c([avalanche]). */
const simpleHash: ConverterCompiler = ({ def: { name }, args }) => {
  const fn = HASHES[name as keyof typeof HASHES];
  const avalanche = (intArg(args, 0) ?? 0) !== 0;
  return (s) => { const h = fn(bytesOf(s)); return mkInt(avalanche ? fullHash(h) : h); };
};

const sha2: ConverterCompiler = ({ args }) => {
  const bits = intArg(args, 0) || 256;
  const alg = `sha${bits}`;
  return (s) => mkBin(createHash(alg).update(bytesOf(s)).digest());
};

const digest: ConverterCompiler = ({ args }) => {
  const alg = strArg(args, 0) ?? '';
  return (s) => { try { return mkBin(createHash(alg).update(bytesOf(s)).digest()); } catch { return undefined; } };
};

const hmac: ConverterCompiler = ({ args }) => {
  const alg = strArg(args, 0) ?? '';
  const keyArg = args[1];
  const constKey = keyArg?.type === 'str' ? base64Decode(keyArg.value) : undefined;
  return (s, ctx) => {
    let key = constKey;
    if (keyArg?.type === 'var') {
      const k = varString(ctx, keyArg.scope, keyArg.name);
      key = k === undefined ? undefined : base64Decode(k);
    }
    if (!key) return undefined;
    try { return mkBin(createHmac(alg, key).update(bytesOf(s)).digest()); } catch { return undefined; }
  };
};

const digestArgs = (a: SampleArg[]): string | undefined =>
  (isDigest(argStr(a[0]) ?? '') ? undefined : 'algorithm must be a valid OpenSSL message digest name.');
const hmacArgs = (a: SampleArg[]): string | undefined =>
  (isDigest(argStr(a[0]) ?? '') ? varOrBase64(a, 1, 'key') : 'algorithm must be a valid OpenSSL message digest name.');
const sha2Args = (a: SampleArg[]): string | undefined =>
  (a[0]?.type === 'int' && ![224, 256, 384, 512].includes(a[0].value) ? `Unsupported number of bits: '${a[0].value}'` : undefined);
function aesGcmArgs(a: SampleArg[]): string | undefined {
  if (![128, 192, 256].includes(argInt(a[0]))) return 'key size must be 128, 192 or 256 (bits).';
  return varOrBase64(a, 1, 'nonce') ?? varOrBase64(a, 2, 'key') ?? varOrBase64(a, 3, 'aead_tag');
}

export const HASH_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['aes_gcm_dec', 'int,str,str,str', 'bin', 'bin'], undefined, aesGcmArgs),
  converter(['crc32', '[int]', 'bin', 'int'], simpleHash),
  converter(['crc32c', '[int]', 'bin', 'int'], simpleHash),
  converter(['djb2', '[int]', 'bin', 'int'], simpleHash),
  converter(['sdbm', '[int]', 'bin', 'int'], simpleHash),
  converter(['wt6', '[int]', 'bin', 'int'], simpleHash),
  converter(['xxh3', '[int]', 'bin', 'int']),
  converter(['xxh32', '[int]', 'bin', 'int'], ({ args }) => { const seed = intArg(args, 0) ?? 0; return (s) => mkInt(xxh32(bytesOf(s), seed)); }),
  converter(['xxh64', '[int]', 'bin', 'int'], ({ args }) => { const seed = toBigInt64(intArg(args, 0) ?? 0); return (s) => mkInt64(xxh64(bytesOf(s), seed)); }),
  converter(['digest', 'str', 'bin', 'bin'], digest, digestArgs),
  converter(['hmac', 'str,str', 'bin', 'bin'], hmac, hmacArgs),
  converter(['sha1', '', 'bin', 'bin'], () => (s) => mkBin(createHash('sha1').update(bytesOf(s)).digest())),
  converter(['sha2', '[int]', 'bin', 'bin'], sha2, sha2Args),
];
