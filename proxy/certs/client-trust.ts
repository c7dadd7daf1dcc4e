/**
 * What client-certificate checking needs besides the local CA: CA certificates imported to check
 * clients against (a bind's `ca-file`), and the list of client certificates the local CA issued.
 * A CA file holds certificates only, never a key; the list names holders (common name, e-mail,
 * serial, expiry), never their keys: a client certificate's key goes to its holder and nowhere else.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertError } from '../errors.ts';
import { ensurePrivateDir, writeFileAtomic } from './atomic-write.ts';
import { certFacts } from './inspect.ts';
import { readPemBlocks } from './pem.ts';
import { toPem } from './x509.ts';
import type { ClientCertRecord, TrustInfo } from './types.ts';

/** Reads and checks a CA file's text: one or more certificates, no key. Returns the PEM to store and what it holds. */
export function readTrustPem(label: string, pem: string): { text: string; certificates: crypto.X509Certificate[] } {
  const blocks = readPemBlocks({ label, data: pem });
  if (blocks.some((b) => b.label.endsWith('PRIVATE KEY'))) {
    throw new CertError('LS_ERR_CERT_NOT_CERTIFICATE', `${label} holds a private key: a CA file for checking client certificates holds the CA's certificate only (never give its key away)`);
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) throw new CertError('LS_ERR_CERT_NOT_CERTIFICATE', `${label} holds no certificate ('-----BEGIN CERTIFICATE-----')`);
  const certificates = certs.map((b) => {
    try {
      return new crypto.X509Certificate(b.der);
    } catch (e) {
      throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${b.where}: the certificate cannot be read (${(e as Error).message})`, { cause: e });
    }
  });
  return { text: certificates.map((c) => toPem('CERTIFICATE', c.raw)).join(''), certificates };
}

/** What a stored CA file holds. */
export function trustInfo(name: string, file: string, certificates: readonly crypto.X509Certificate[], now = new Date()): TrustInfo {
  const facts = certificates.map((c) => certFacts(c, now));
  const soonest = facts.reduce((a, b) => (a.daysLeft <= b.daysLeft ? a : b));
  return { name, path: file, subjects: facts.map((f) => f.subject), notAfter: soonest.notAfter, daysLeft: soonest.daysLeft, ca: certificates.every((c) => c.ca) };
}

/** Writes a CA file (certificates are public: readable, in a private directory like the rest of the store). */
export function saveTrust(dir: string, file: string, text: string): void {
  ensurePrivateDir(dir);
  writeFileAtomic(file, text, 0o644);
}

/** The CA files of a directory, by name; an unreadable one is left out of the list. */
export function listTrust(dir: string): TrustInfo[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CertError('LS_ERR_CERT_STORE', `cannot read ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const out: TrustInfo[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.pem') || entry.startsWith('.')) continue;
    const file = path.join(dir, entry);
    try {
      out.push(trustInfo(entry.slice(0, -4), file, readTrustPem(file, fs.readFileSync(file, 'utf8')).certificates));
    } catch {
      // Not a CA file the forms can offer; `haproxy -c` names it if a bind uses it.
    }
  }
  return out;
}

/** The issued client certificates recorded in `file`, oldest first ([] when none was issued). */
export function readClientRecords(file: string): ClientCertRecord[] {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? (parsed as ClientCertRecord[]) : [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CertError('LS_ERR_CERT_STORE', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Adds a record (who holds a certificate, until when: personal data, so readable by the owner only). */
export function appendClientRecord(file: string, record: ClientCertRecord): void {
  writeFileAtomic(file, JSON.stringify([...readClientRecords(file), record], null, 2) + '\n', 0o600);
}
