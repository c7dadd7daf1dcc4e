/**
 * Creating certificates: the local CA, TLS server leaves signed by it or by
 * their own key, and client leaves signed by it. Files are the store's
 * business; this module only mints.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { CertError } from '../errors.ts';
import { generateKey } from './keys.ts';
import { checkDays, checkKeyType, checkSans, MAX_LEAF_DAYS } from './names.ts';
import { buildCertificate } from './x509.ts';
import type { CaInitRequest, ClientIssueRequest, IssueRequest } from './types.ts';

const DAY_MS = 86_400_000;
/** Phones and laptops with a slightly slow clock must not see a brand-new certificate as "not yet valid". */
const BACKDATE_MS = 3_600_000;
export const DEFAULT_CA_DAYS = 3650;
const MAX_CA_DAYS = 7300;

export interface Minted {
  certificate: Buffer;
  key: crypto.KeyObject;
}

export interface CaMaterial {
  certificate: crypto.X509Certificate;
  key: crypto.KeyObject;
}

/** Validity starts an hour ago; the lifetime counts from that start so it never exceeds `days`. */
function validity(days: number, now: Date, limit?: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
  let notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  // A leaf outliving its CA would fail on the CA's last day anyway; end it there.
  if (limit && notAfter > limit) notAfter = limit;
  return { notBefore, notAfter };
}

export function defaultCaName(): string {
  // A random tag keeps two installations on one host from producing look-alike issuers.
  return `Loadstar Local CA ${os.hostname().split('.')[0]} ${crypto.randomBytes(3).toString('hex')}`.slice(0, 64);
}

export async function mintCa(request: CaInitRequest, now = new Date()): Promise<Minted> {
  const keyType = checkKeyType(request.key, 'ec256');
  const days = checkDays(request.days, MAX_CA_DAYS, DEFAULT_CA_DAYS);
  const commonName = request.commonName ?? defaultCaName();
  if (typeof commonName !== 'string' || commonName.trim() === '' || commonName.length > 64 || /[\x00-\x1f\x7f]/.test(commonName)) {
    throw new CertError('LS_ERR_CERT_BAD_NAME', `CA name must be 1 to 64 printable characters, got ${shown(commonName)}`);
  }
  const key = await generateKey(keyType);
  const certificate = buildCertificate({
    subject: { commonName, organization: 'Loadstar' },
    publicKey: crypto.createPublicKey(key),
    signingKey: key,
    ...validity(days, now),
    ca: true,
  });
  return { certificate, key };
}

/** `ca` undefined and `request.selfSigned` false is the caller's mistake, reported as a missing CA. */
export async function mintLeaf(request: IssueRequest, ca: CaMaterial | undefined, now = new Date()): Promise<Minted> {
  const sans = checkSans(request.dns, request.ip);
  const days = checkDays(request.days, MAX_LEAF_DAYS, MAX_LEAF_DAYS);
  const keyType = checkKeyType(request.key, 'ec256');
  if (!request.selfSigned && !ca) {
    throw new CertError('LS_ERR_CERT_CA_MISSING', "no local CA yet: create one with 'loadstar cert ca init' (or issue a self-signed certificate)");
  }
  const key = await generateKey(keyType);
  // Browsers match only the SANs; the CN is for humans reading a certificate viewer.
  const commonName = [sans.dns[0], sans.ips[0]?.text, request.name].find((n): n is string => !!n && n.length <= 64)!;
  const signer = request.selfSigned ? undefined : ca;
  const certificate = buildCertificate({
    subject: { commonName },
    publicKey: crypto.createPublicKey(key),
    signingKey: signer?.key ?? key,
    issuerCertificate: signer?.certificate.raw,
    ...validity(days, now, signer ? new Date(signer.certificate.validTo) : undefined),
    ca: false,
    dns: sans.dns,
    ips: sans.ips.map((ip) => ip.bytes),
  });
  return { certificate, key };
}

/** Client certificates are re-issued more often than servers': a year unless asked. */
const DEFAULT_CLIENT_DAYS = 365;

/** A client certificate (extKeyUsage clientAuth) signed by the local CA, for `verify` on a bind. */
export async function mintClientLeaf(request: ClientIssueRequest, ca: CaMaterial, now = new Date()): Promise<Minted> {
  const commonName = typeof request.commonName === 'string' ? request.commonName.trim() : '';
  if (commonName === '' || commonName.length > 64 || /[\x00-\x1f\x7f]/.test(commonName)) {
    throw new CertError('LS_ERR_CERT_BAD_NAME', `a client certificate needs a common name of 1 to 64 printable characters, got ${shown(request.commonName)}`);
  }
  const email = request.email?.trim();
  if (email !== undefined && email !== '' && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new CertError('LS_ERR_CERT_BAD_SAN', `'${email}' is not an e-mail address`);
  }
  const days = checkDays(request.days, MAX_LEAF_DAYS, DEFAULT_CLIENT_DAYS);
  const key = await generateKey(checkKeyType(request.key, 'rsa2048'));
  const certificate = buildCertificate({
    subject: { commonName },
    publicKey: crypto.createPublicKey(key),
    signingKey: ca.key,
    issuerCertificate: ca.certificate.raw,
    ...validity(days, now, new Date(ca.certificate.validTo)),
    ca: false,
    usage: 'client',
    ...(email ? { emails: [email] } : {}),
  });
  return { certificate, key };
}

/** A refused name as a message shows it: quoted with its control characters escaped, cut after 64 characters. */
function shown(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text).replace(/^"|"$/g, "'");
}
