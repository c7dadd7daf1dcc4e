/**
 * Key generation and description with Node's crypto (OpenSSL): far faster
 * than node-forge's JavaScript RSA, and the only way to get ECDSA keys.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyType } from './types.ts';

const generateKeyPair = promisify(crypto.generateKeyPair);

/** Generates the private key off the main thread (RSA 4096 takes seconds). */
export async function generateKey(type: KeyType): Promise<crypto.KeyObject> {
  const pair = type === 'ec256'
    ? await generateKeyPair('ec', { namedCurve: 'prime256v1' })
    : await generateKeyPair('rsa', { modulusLength: Number(type.slice(3)), publicExponent: 0x10001 });
  return pair.privateKey;
}

/** `RSA 2048`, `EC P-256`, `Ed25519` … as shown in listings. */
export function describeKey(key: crypto.KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return `RSA ${details.modulusLength}`;
    case 'ec': {
      const curve = details.namedCurve;
      const nist: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
      return `EC ${curve ? nist[curve] ?? curve : '?'}`;
    }
    case 'ed25519': return 'Ed25519';
    case 'ed448': return 'Ed448';
    default: return String(key.asymmetricKeyType);
  }
}

/** PKCS#8 PEM (`BEGIN PRIVATE KEY`), which HAProxy and every TLS library read. */
export function privateKeyPem(key: crypto.KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** The public half as SubjectPublicKeyInfo DER, the form both certificates and comparisons use. */
export function spkiDer(key: crypto.KeyObject): Buffer {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}
