/**
 * Import validation: from any mix of PEM inputs (one file with everything in
 * any order, or several files) to a leaf, its chain in issuing order and the
 * matching private key — or one CertError saying exactly what is wrong.
 */
import crypto from 'node:crypto';
import { CertError } from '../errors.ts';
import { readPemBlocks } from './pem.ts';
import type { PemBlock } from './pem.ts';
import { daysLeft, distinguishedName, isIssuedBy, isSelfSigned, notAfterOf, notBeforeOf, subjectAltNames } from './inspect.ts';
import { describeKey } from './keys.ts';
import { storeNameFor } from './names.ts';
import { certFacts } from './inspect.ts';
import type { CertInspection, CertWarning, PemSource } from './types.ts';

export interface PemBundle {
  leaf: crypto.X509Certificate;
  /** Issuer of the leaf first, then its issuer, and so on. */
  chain: crypto.X509Certificate[];
  key: crypto.KeyObject;
  warnings: CertWarning[];
}

export interface BundleOptions {
  passphrase?: string;
  now?: Date;
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);
/** HAProxy accepts these in a `crt` file; they carry nothing a certificate needs today. */
const IGNORED_LABELS = new Set(['EC PARAMETERS', 'DH PARAMETERS']);
const WRONG_KIND: Record<string, string> = {
  'CERTIFICATE REQUEST': 'a certificate signing request (CSR), not a certificate: send it to your CA and import the certificate it returns',
  'NEW CERTIFICATE REQUEST': 'a certificate signing request (CSR), not a certificate: send it to your CA and import the certificate it returns',
  'PUBLIC KEY': 'a public key; the private key is needed',
  'RSA PUBLIC KEY': 'a public key; the private key is needed',
  'X509 CRL': 'a certificate revocation list, not a certificate',
  PKCS7: 'a PKCS#7 bundle; extract its certificates: openssl pkcs7 -print_certs -in FILE',
  'TRUSTED CERTIFICATE': "an OpenSSL 'TRUSTED CERTIFICATE'; convert it: openssl x509 -in FILE -out cert.pem",
};

const EXPIRY_WARNING_DAYS = 30;

export function assembleBundle(sources: PemSource[], options: BundleOptions = {}): PemBundle {
  const now = options.now ?? new Date();
  const warnings: CertWarning[] = [];
  const certs: Array<{ cert: crypto.X509Certificate; where: string }> = [];
  const keys: Array<{ key: crypto.KeyObject; where: string }> = [];
  if (sources.length === 0) throw new CertError('LS_ERR_CERT_NO_CERTIFICATE', 'no PEM input given');
  for (const block of sources.flatMap(readPemBlocks)) {
    if (CERT_LABELS.has(block.label)) certs.push({ cert: parseCertificate(block), where: block.where });
    else if (KEY_LABELS.has(block.label)) keys.push({ key: parseKey(block, options.passphrase), where: block.where });
    else if (IGNORED_LABELS.has(block.label)) warnings.push({ code: 'LS_WARN_CERT_IGNORED_BLOCK', message: `${block.where}: ${block.label} left out (not needed by the certificate)` });
    else throw new CertError('LS_ERR_CERT_NOT_CERTIFICATE', `${block.where}: this is ${WRONG_KIND[block.label] ?? `a '${block.label}' block, neither a certificate nor a private key`}`);
  }

  const uniqueCerts = [...new Map(certs.map((c) => [c.cert.fingerprint256, c])).values()];
  const uniqueKeys = [...new Map(keys.map((k) => [spkiHex(k.key), k])).values()];
  if (uniqueCerts.length === 0) {
    throw new CertError('LS_ERR_CERT_NO_CERTIFICATE', uniqueKeys.length > 0
      ? `only a private key was given (${uniqueKeys[0]!.where}); add the certificate that goes with it`
      : 'no certificate was given');
  }
  if (uniqueKeys.length === 0) {
    throw new CertError('LS_ERR_CERT_NO_KEY', `no private key was given for '${distinguishedName((uniqueCerts.find((c) => !c.cert.ca) ?? uniqueCerts[0]!).cert.subject)}'; add the key file (it starts with '-----BEGIN PRIVATE KEY-----')`);
  }
  if (uniqueKeys.length > 1) {
    throw new CertError('LS_ERR_CERT_MULTIPLE_KEYS', `more than one private key was given (${uniqueKeys.map((k) => k.where).join(', ')}); give only the key of the site certificate`);
  }
  const { key, where: keyWhere } = uniqueKeys[0]!;
  const leafEntry = uniqueCerts.find((c) => c.cert.checkPrivateKey(key));
  if (!leafEntry) {
    const listed = uniqueCerts.map((c) => `'${distinguishedName(c.cert.subject)}' (${describeKey(c.cert.publicKey)})`).join(', ');
    throw new CertError('LS_ERR_CERT_KEY_MISMATCH', `the private key (${keyWhere}, ${describeKey(key)}) belongs to none of the certificates: ${listed}`);
  }

  const chain = orderChain(leafEntry.cert, uniqueCerts.filter((c) => c !== leafEntry).map((c) => c.cert));
  for (const cert of [leafEntry.cert, ...chain]) checkValidity(cert, cert === leafEntry.cert, now, warnings);
  if (subjectAltNames(leafEntry.cert).length === 0) {
    warnings.push({ code: 'LS_WARN_CERT_NO_SAN', message: `'${distinguishedName(leafEntry.cert.subject)}' has no subjectAltName; browsers ignore the CN and will refuse it` });
  }
  return { leaf: leafEntry.cert, chain, key, warnings };
}

/**
 * What importing `sources` would give, without storing anything: the
 * certificate, the store name it suggests, and the import's own error when it
 * would be refused — so a form can show both while the user is still pasting
 * (a certificate without its key yet still names itself). A certificate that
 * cannot be read is the problem, never a throw.
 */
export function inspectBundle(sources: PemSource[], options: BundleOptions = {}): CertInspection {
  try {
    const bundle = assembleBundle(sources, options);
    return { ...described(bundle.leaf, options.now), chainLength: bundle.chain.length, warnings: bundle.warnings };
  } catch (e) {
    if (!(e instanceof CertError)) throw e;
    return { ...described(likelyLeaf(sources), options.now), chainLength: 0, problem: { code: e.code, message: e.message }, warnings: [] };
  }
}

function described(cert: crypto.X509Certificate | undefined, now: Date | undefined): Pick<CertInspection, 'leaf' | 'suggestedName'> {
  if (!cert) return {};
  const dns = subjectAltNames(cert).find((san) => san.startsWith('DNS:'))?.slice(4);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  const suggestedName = storeNameFor(dns ?? cn ?? '');
  return { leaf: certFacts(cert, now), ...(suggestedName ? { suggestedName } : {}) };
}

/** The site certificate among what could be read without a key: the first that is not a CA, else the first. */
function likelyLeaf(sources: PemSource[]): crypto.X509Certificate | undefined {
  const certs: crypto.X509Certificate[] = [];
  for (const source of sources) {
    let blocks: PemBlock[];
    try {
      blocks = readPemBlocks(source);
    } catch {
      continue;
    }
    for (const block of blocks) {
      if (!CERT_LABELS.has(block.label)) continue;
      try {
        certs.push(new crypto.X509Certificate(block.der));
      } catch {
        // damaged: the problem says so; look further
      }
    }
  }
  return certs.find((c) => !c.ca) ?? certs[0];
}

/**
 * Follows issuers from the leaf through the given certificates, whatever
 * order they came in. A chain may stop at a root or at an intermediate whose
 * issuer the client already has; a given certificate the walk never reaches
 * means a link between them is missing.
 */
function orderChain(leaf: crypto.X509Certificate, others: crypto.X509Certificate[]): crypto.X509Certificate[] {
  const chain: crypto.X509Certificate[] = [];
  const left = [...others];
  let current = leaf;
  while (left.length > 0 && !isSelfSigned(current)) {
    const index = left.findIndex((candidate) => isIssuedBy(current, candidate));
    if (index < 0) break;
    current = left.splice(index, 1)[0]!;
    chain.push(current);
  }
  if (left.length > 0) {
    const stray = left.map((c) => `'${distinguishedName(c.subject)}'`).join(', ');
    throw new CertError('LS_ERR_CERT_CHAIN_INCOMPLETE',
      isSelfSigned(current)
        ? `the chain reaches the root '${distinguishedName(current.subject)}', but ${stray} ${left.length > 1 ? 'do' : 'does'} not belong to it`
        : `the chain is incomplete: '${distinguishedName(current.subject)}' was issued by '${distinguishedName(current.issuer)}', which was not given, so ${stray} cannot be linked; add the missing intermediate certificate`);
  }
  return chain;
}

function checkValidity(cert: crypto.X509Certificate, isLeaf: boolean, now: Date, warnings: CertWarning[]): void {
  const name = `${isLeaf ? 'certificate' : 'chain certificate'} '${distinguishedName(cert.subject)}'`;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const left = daysLeft(cert, now);
  if (notAfterOf(cert) <= now) {
    throw new CertError('LS_ERR_CERT_EXPIRED', `${name} expired on ${day(notAfterOf(cert))} (${-left} days ago); renew it and import the new one`);
  }
  if (notBeforeOf(cert) > now) {
    warnings.push({ code: 'LS_WARN_CERT_NOT_YET_VALID', message: `${name} is not valid before ${notBeforeOf(cert).toISOString()}; clients refuse it until then` });
  }
  if (left < EXPIRY_WARNING_DAYS) {
    warnings.push({ code: 'LS_WARN_CERT_EXPIRING_SOON', message: `${name} expires on ${day(notAfterOf(cert))}, in ${left} day${left === 1 ? '' : 's'}` });
  }
}

function parseCertificate(block: PemBlock): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(block.der);
  } catch (cause) {
    throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${block.where}: the CERTIFICATE block does not hold a readable certificate (damaged or cut short)`, { cause });
  }
}

function parseKey(block: PemBlock, passphrase: string | undefined): crypto.KeyObject {
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(block.headers['Proc-Type'] ?? '');
  if (encrypted && passphrase === undefined) {
    throw new CertError('LS_ERR_CERT_KEY_ENCRYPTED', `${block.where}: the private key is encrypted; give its passphrase (CLI: --passphrase-env VAR)`);
  }
  try {
    return crypto.createPrivateKey(encrypted ? { key: block.text, format: 'pem', passphrase } : { key: block.text, format: 'pem' });
  } catch (cause) {
    if (encrypted) throw new CertError('LS_ERR_CERT_KEY_PASSPHRASE', `${block.where}: the passphrase does not decrypt the private key`, { cause });
    throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${block.where}: the ${block.label} block does not hold a readable private key (damaged or cut short)`, { cause });
  }
}

function spkiHex(key: crypto.KeyObject): string {
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex');
}
