/**
 * PKCS#12 (.p12) files: a client certificate with its private key and the CA that signed it, the
 * one format browsers, macOS/Windows keychains, Android and iOS all import. node-forge writes it
 * (3DES key encryption and a SHA-1 MAC, which every one of them reads, OpenSSL 3 included without
 * its legacy provider); forge only wraps RSA private keys, hence RSA client keys by default.
 */
import type crypto from 'node:crypto';
import forge from 'node-forge';
import { CertError } from '../errors.ts';

export function toPkcs12(certificate: Uint8Array, key: crypto.KeyObject, chain: readonly Uint8Array[], password: string, friendlyName: string): Buffer {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CertError('LS_ERR_CERT_BAD_KEY_TYPE', `a PKCS#12 file can only be made for an RSA key here (this one is ${key.asymmetricKeyType}); issue the client certificate with an rsa key type`);
  }
  const forgeKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }) as string);
  // forge re-encodes certificates from its own parse, which knows RSA keys only (the local CA is
  // usually ECDSA): the bags get the DER as it is, through forge's one encoding hook.
  const certs = [certificate, ...chain].map((der) => ({ [RAW]: parseDer(der) }));
  const pki = forge.pki as unknown as { certificateToAsn1: (c: object) => forge.asn1.Asn1 };
  const encode = pki.certificateToAsn1;
  pki.certificateToAsn1 = (c) => (c as { [RAW]?: forge.asn1.Asn1 })[RAW] ?? encode(c);
  try {
    const p12 = forge.pkcs12.toPkcs12Asn1(forgeKey, certs as unknown as forge.pki.Certificate[], password, {
      algorithm: '3des',
      friendlyName,
      generateLocalKeyId: true,
    });
    return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
  } finally {
    pki.certificateToAsn1 = encode;
  }
}

const RAW = Symbol('der');

/** forge's ASN.1 of a DER certificate, BIT STRINGs left opaque so that it re-encodes byte for byte. */
function parseDer(der: Uint8Array): forge.asn1.Asn1 {
  return (forge.asn1.fromDer as unknown as (b: string, o: object) => forge.asn1.Asn1)(Buffer.from(der).toString('binary'), { decodeBitStrings: false });
}
