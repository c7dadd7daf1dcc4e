/**
 * Builds and signs X.509 v3 certificates. node-forge supplies the ASN.1/DER
 * encoder; Node's crypto supplies the public key encoding and the signature,
 * because forge can neither encode nor sign EC keys. RSA and ECDSA share this
 * one code path.
 */
import crypto from 'node:crypto';
import forge from 'node-forge';
import { spkiDer } from './keys.ts';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
} as const;

// Shared with proxy/tls/gencert.ts, which builds HAProxy's generated certificates.
// forge's ASN.1 works on "binary strings" (one char per byte).
export const bin = (b: Uint8Array): string => Buffer.from(b).toString('binary');
export const buf = (s: string): Buffer => Buffer.from(s, 'binary');

export const seq = (...items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
export const oid = (id: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(id).getBytes());
export const octets = (bytes: string): Asn1 => asn1.create(U, T.OCTETSTRING, false, bytes);
export const bitString = (bytes: string, unusedBits = 0): Asn1 => asn1.create(U, T.BITSTRING, false, String.fromCharCode(unusedBits) + bytes);
const TRUE = (): Asn1 => asn1.create(U, T.BOOLEAN, false, '\xff');
export const der = (node: Asn1): string => asn1.toDer(node).getBytes();
// Never let forge look for ASN.1 inside BIT STRINGs: re-encoding must give back the exact bytes.
// (@types/node-forge only knows the older boolean `strict` argument.)
export const parse = (bytes: Uint8Array): Asn1 => (asn1.fromDer as unknown as (b: string, o: object) => Asn1)(bin(bytes), { decodeBitStrings: false });

export interface NameParts {
  commonName: string;
  organization?: string;
}

function distinguishedName(name: NameParts): Asn1 {
  const rdn = (type: string, value: string) =>
    asn1.create(U, T.SET, true, [seq(oid(type), asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(value)))]);
  return seq(...(name.organization ? [rdn(OID.organizationName, name.organization)] : []), rdn(OID.commonName, name.commonName));
}

/** UTCTime until 2049, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
export function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** A positive 16-byte serial from the CSPRNG: the high bit is cleared so DER needs no sign byte. */
export function randomSerial(): Buffer {
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) || 0x01;
  return serial;
}

export function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  return seq(oid(id), ...(critical ? [TRUE()] : []), octets(der(value)));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: Uint8Array): Buffer {
  const bits = parse(spki).value[1] as Asn1;
  return crypto.createHash('sha1').update(buf((bits.value as string).slice(1))).digest();
}

/** The key usage bits in DER (named bits, trailing zero bits dropped). */
function keyUsage(bits: { digitalSignature?: boolean; keyEncipherment?: boolean; keyCertSign?: boolean; cRLSign?: boolean }): Asn1 {
  const byte = (bits.digitalSignature ? 0x80 : 0) | (bits.keyEncipherment ? 0x20 : 0) | (bits.keyCertSign ? 0x04 : 0) | (bits.cRLSign ? 0x02 : 0);
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return bitString(String.fromCharCode(byte), unused);
}

function subjectAltName(dns: string[], ips: Uint8Array[], emails: string[] = []): Asn1 {
  const CTX = asn1.Class.CONTEXT_SPECIFIC;
  return seq(
    ...emails.map((address) => asn1.create(CTX, 1, false, address)),
    ...dns.map((name) => asn1.create(CTX, 2, false, name)),
    ...ips.map((ip) => asn1.create(CTX, 7, false, bin(ip))),
  );
}

export interface CertificateSpec {
  subject: NameParts;
  /** The key the certificate certifies. */
  publicKey: crypto.KeyObject;
  /** Signs the certificate: the CA's key, or the subject's own for a self-signed one. */
  signingKey: crypto.KeyObject;
  /** The issuer: the CA certificate (DER) or none when self-signed. */
  issuerCertificate?: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** A CA (keyCertSign, cRLSign) or a TLS leaf. */
  ca: boolean;
  /** A leaf's extended key usage: a TLS server (default) or a client authenticating to one (`verify` on a bind). */
  usage?: 'server' | 'client';
  /** Client leaves: e-mail addresses (rfc822Name SANs). */
  emails?: string[];
  /** CA only: how many intermediate CAs may follow it; 0 (the local CA signs leaves only) unless given. */
  pathLength?: number;
  dns?: string[];
  ips?: Uint8Array[];
}

/** Returns the DER certificate. */
export function buildCertificate(spec: CertificateSpec): Buffer {
  const spki = spkiDer(spec.publicKey);
  const ski = keyIdentifier(spki);
  let issuerName: Asn1;
  let authorityKeyId: Buffer;
  if (spec.issuerCertificate) {
    const tbs = parse(spec.issuerCertificate).value[0] as Asn1;
    // Copy the issuer's subject byte for byte: name chaining compares encodings.
    issuerName = (tbs.value as Asn1[])[5]!;
    authorityKeyId = subjectKeyIdentifierOf(spec.issuerCertificate) ?? keyIdentifier(spkiDer(spec.signingKey));
  } else {
    issuerName = distinguishedName(spec.subject);
    authorityKeyId = ski;
  }
  const rsa = spec.publicKey.asymmetricKeyType === 'rsa';
  const extensions = spec.ca
    ? [
      extension(OID.basicConstraints, true, seq(TRUE(), asn1.create(U, T.INTEGER, false, asn1.integerToDer(spec.pathLength ?? 0).getBytes()))),
      extension(OID.keyUsage, true, keyUsage({ keyCertSign: true, cRLSign: true })),
      extension(OID.subjectKeyIdentifier, false, octets(bin(ski))),
    ]
    : [
      extension(OID.basicConstraints, true, seq()),
      // keyEncipherment only means something for RSA key exchange; ECDSA keys only sign.
      extension(OID.keyUsage, true, keyUsage({ digitalSignature: true, keyEncipherment: rsa })),
      extension(OID.extKeyUsage, false, seq(oid(spec.usage === 'client' ? OID.clientAuth : OID.serverAuth))),
      // A client certificate may name nobody but its subject: no SAN extension rather than an empty one.
      ...((spec.dns?.length ?? 0) + (spec.ips?.length ?? 0) + (spec.emails?.length ?? 0) > 0
        ? [extension(OID.subjectAltName, false, subjectAltName(spec.dns ?? [], spec.ips ?? [], spec.emails ?? []))]
        : []),
      extension(OID.subjectKeyIdentifier, false, octets(bin(ski))),
      extension(OID.authorityKeyIdentifier, false, seq(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(authorityKeyId)))),
    ];
  const signatureAlgorithm = spec.signingKey.asymmetricKeyType === 'ec'
    ? seq(oid(OID.ecdsaWithSHA256))
    : seq(oid(OID.sha256WithRSAEncryption), asn1.create(U, T.NULL, false, ''));
  const tbs = seq(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]),
    asn1.create(U, T.INTEGER, false, bin(randomSerial())),
    signatureAlgorithm,
    issuerName,
    seq(time(spec.notBefore), time(spec.notAfter)),
    distinguishedName(spec.subject),
    parse(spki),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(...extensions)]),
  );
  const tbsDer = buf(der(tbs));
  // PKCS#1 v1.5 for RSA, DER-encoded (r, s) for ECDSA: what X.509 expects for these OIDs.
  const signature = crypto.sign('sha256', tbsDer, spec.signingKey);
  return buf(der(seq(tbs, signatureAlgorithm, bitString(bin(signature)))));
}

/** The subjectKeyIdentifier extension of a DER certificate, if it has one. */
export function subjectKeyIdentifierOf(certificate: Uint8Array): Buffer | undefined {
  const tbs = (parse(certificate).value[0] as Asn1).value as Asn1[];
  const wrapper = tbs.find((n) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  if (!wrapper) return undefined;
  for (const ext of ((wrapper.value as Asn1[])[0]!.value as Asn1[])) {
    const parts = ext.value as Asn1[];
    if (asn1.derToOid(forge.util.createBuffer(parts[0]!.value as string)) !== OID.subjectKeyIdentifier) continue;
    const inner = parse(buf(parts[parts.length - 1]!.value as string));
    return buf(inner.value as string);
  }
  return undefined;
}

export function toPem(label: 'CERTIFICATE', derBytes: Uint8Array): string {
  const body = Buffer.from(derBytes).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
