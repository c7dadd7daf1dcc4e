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

/**
 * Bounds checked before anything is parsed: the chain walk compares every certificate with every
 * other (a few thousand pasted certificates blocked the engine for seconds), and a key block far
 * beyond RSA 8192 is an RSA 16384+ key whose every TLS handshake would cost seconds of CPU.
 */
/** A site certificate with its chain is 1 to 4 certificates; a few more are tolerated (cross-signed roots). */
export const MAX_BUNDLE_CERTIFICATES = 16;
/** DER bytes of one certificate: real ones are 1-3 kB, with a hundred long SANs some 30 kB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** DER bytes of one key block: an RSA 8192 key is about 4.8 kB (encrypted a little more), RSA 16384 about 9.4 kB. */
export const MAX_KEY_BYTES = 7 * 1024;
/** Largest RSA modulus accepted, bits. */
export const MAX_RSA_BITS = 8192;

export function assembleBundle(sources: PemSource[], options: BundleOptions = {}): PemBundle {
  const now = options.now ?? new Date();
  const warnings: CertWarning[] = [];
  const certs: Array<{ cert: crypto.X509Certificate; where: string }> = [];
  const keys: Array<{ key: crypto.KeyObject; where: string }> = [];
  if (sources.length === 0) throw new CertError('LS_ERR_CERT_NO_CERTIFICATE', 'no PEM input given');
  const blocks = sources.flatMap(readPemBlocks);
  checkSizes(blocks);
  for (const block of blocks) {
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

function checkSizes(blocks: PemBlock[]): void {
  const certificates = blocks.filter((b) => CERT_LABELS.has(b.label));
  if (certificates.length > MAX_BUNDLE_CERTIFICATES) {
    throw new CertError('LS_ERR_CERT_TOO_LARGE', `${certificates.length} certificates were given; a site certificate with its chain has at most a handful (${MAX_BUNDLE_CERTIFICATES} are accepted): give only the site's certificate, its intermediates and its key`);
  }
  const keys = blocks.filter((b) => KEY_LABELS.has(b.label)).length;
  if (keys > MAX_BUNDLE_CERTIFICATES) {
    throw new CertError('LS_ERR_CERT_TOO_LARGE', `${keys} private keys were given; a certificate has exactly one: give only the site certificate's key`);
  }
  for (const block of blocks) {
    if (CERT_LABELS.has(block.label) && block.der.length > MAX_CERTIFICATE_BYTES) {
      throw new CertError('LS_ERR_CERT_TOO_LARGE', `${block.where}: the certificate is ${block.der.length} bytes; real certificates are a few kB (at most ${MAX_CERTIFICATE_BYTES} bytes are accepted)`);
    }
    if (KEY_LABELS.has(block.label) && block.der.length > MAX_KEY_BYTES) {
      throw new CertError('LS_ERR_CERT_TOO_LARGE', `${block.where}: the private key is ${block.der.length} bytes, larger than an RSA ${MAX_RSA_BITS}-bit key; keys that large make every TLS handshake take seconds (use RSA 2048-4096 or EC P-256)`);
    }
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
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(encrypted ? { key: block.text, format: 'pem', passphrase } : { key: block.text, format: 'pem' });
  } catch (cause) {
    if (encrypted) throw new CertError('LS_ERR_CERT_KEY_PASSPHRASE', `${block.where}: the passphrase does not decrypt the private key`, { cause });
    throw new CertError('LS_ERR_CERT_PEM_TRUNCATED', `${block.where}: the ${block.label} block does not hold a readable private key (damaged or cut short)`, { cause });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits > MAX_RSA_BITS) {
    throw new CertError('LS_ERR_CERT_TOO_LARGE', `${block.where}: the private key is RSA ${bits}; above ${MAX_RSA_BITS} bits every TLS handshake takes seconds (use RSA 2048-4096 or EC P-256)`);
  }
  return key;
}

function spkiHex(key: crypto.KeyObject): string {
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex');
}
