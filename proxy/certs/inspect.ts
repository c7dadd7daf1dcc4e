/** Turns an X.509 certificate into the facts a listing shows. */
import type { CertFacts } from './types.ts';
import crypto from 'node:crypto';
import net from 'node:net';
import { describeKey } from './keys.ts';

const DAY_MS = 86_400_000;

export function notAfterOf(cert: crypto.X509Certificate): Date {
  return new Date(cert.validTo);
}

export function notBeforeOf(cert: crypto.X509Certificate): Date {
  return new Date(cert.validFrom);
}

/** Whole days left; negative once expired. */
export function daysLeft(cert: crypto.X509Certificate, now = new Date()): number {
  return Math.floor((notAfterOf(cert).getTime() - now.getTime()) / DAY_MS);
}

/** `CN=a, O=b` from Node's one-attribute-per-line form. */
export function distinguishedName(text: string): string {
  return text.split('\n').filter(Boolean).join(', ');
}

/** `DNS:a.example`, `IP:127.0.0.1`, `IP:fd00::10` — Node writes `IP Address:FD00:0:0:0:0:0:0:10`. */
export function subjectAltNames(cert: crypto.X509Certificate): string[] {
  if (!cert.subjectAltName) return [];
  return cert.subjectAltName.split(', ').map((entry) => {
    if (!entry.startsWith('IP Address:')) return entry;
    const address = entry.slice('IP Address:'.length);
    return `IP:${address.includes(':') ? new net.SocketAddress({ address, family: 'ipv6' }).address : address}`;
  });
}

/** `issuer` signed `cert`: names chain and the signature verifies with the issuer's key. */
export function isIssuedBy(cert: crypto.X509Certificate, issuer: crypto.X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * Signed by its own key under its own name. Not checkIssued(): OpenSSL's
 * version also demands keyCertSign, which a self-signed *leaf* must not have
 * (Firefox refuses CA certificates as server certificates).
 */
export function isSelfSigned(cert: crypto.X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

export function certFacts(cert: crypto.X509Certificate, now = new Date()): CertFacts {
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    sans: subjectAltNames(cert),
    notBefore: notBeforeOf(cert).toISOString(),
    notAfter: notAfterOf(cert).toISOString(),
    daysLeft: daysLeft(cert, now),
    fingerprint256: cert.fingerprint256,
    serial: cert.serialNumber.toUpperCase(),
    key: describeKey(cert.publicKey),
    selfSigned: isSelfSigned(cert),
  };
}
