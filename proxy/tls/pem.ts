/**
 * Loading what a `crt` names, the way HAProxy does: a PEM file holding the
 * certificate, its chain and the private key (any order), the key possibly in
 * a companion `FILE.key` (`NAME.key` for `NAME.crt` with `ssl-load-extra-del-ext`); a directory loads each file in it in alphabetical
 * order except hidden ones and `.key`, `.issuer`, `.ocsp`, `.sctl` companions; a missing file with
 * `.dsa`/`.ecdsa`/`.rsa` siblings is a multi-certificate bundle, each sibling loaded on its own.
 * The PEM blocks are cut by the certificate store's reader (proxy/certs/pem.ts);
 * the X.509 and key parsing is Node's crypto.
 */
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readPemBlocks } from '../certs/pem.ts';
import type { PemBlock } from '../certs/pem.ts';
import { CertError } from '../errors.ts';
import type { CertKeyFiles } from '../config/model.ts';
import { certIdOf, ocspCertId, ocspStaple } from './ocsp.ts';
import type { OcspStaple } from './ocsp.ts';

export interface LoadedCertificate {
  file: string;
  /** Leaf first, then the chain, as PEM: what Node's `cert` option takes. */
  certPem: string;
  keyPem: string;
  leaf: X509Certificate;
  /** Names the certificate answers for: DNS SANs and CN, lowercased (wildcards kept as `*.x`). */
  names: string[];
  /** Modification time of the files read, to notice a replaced certificate. */
  mtimes: Map<string, number>;
  /** The OCSP response stapled for it (`FILE.ocsp`), when one was read and matches it. */
  ocsp?: OcspStaple;
  /** Why `FILE.ocsp` is not stapled (HAProxy's warning), when it was read but cannot be used. */
  ocspWarning?: string;
  /** The certificate ID of the `FILE.ocsp` read, stapled or not (`show ssl cert`'s "OCSP Response Key"). */
  ocspKey?: Buffer;
  /** Its own certificate ID, when it has an `FILE.ocsp`: `set ssl ocsp-response` replaces the staple of the certificates it names. */
  ocspCertId?: Buffer;
}

const COMPANION_SUFFIXES = ['.key', '.issuer', '.ocsp', '.sctl'];

/**
 * HAProxy's SSL_SOCK_KEYTYPE_NAMES, in its order: the extensions of a multi-certificate bundle's
 * members. The first member found is loaded first (a bind's default certificate when it comes first).
 */
export const BUNDLE_KEY_TYPES = ['dsa', 'ecdsa', 'rsa'] as const;

/**
 * The members of the multi-certificate bundle a missing `crt` file stands for (ssl_sock_load_cert):
 * `FILE.dsa`, `FILE.ecdsa`, `FILE.rsa`, those that exist, each a certificate of its own (HAProxy ≥ 2.3
 * keeps them apart, named with their extension). None: it is no bundle.
 */
export function bundleMembers(target: string, exists: (file: string) => boolean = fs.existsSync): string[] {
  return BUNDLE_KEY_TYPES.map((type) => `${target}.${type}`).filter((file) => exists(file));
}

/**
 * Files a `crt` argument stands for: itself, the certificate files of a directory, or (with
 * `bundles`, `ssl-load-extra-files`'s `bundle`) the members of a bundle when it names no file.
 */
export function certificateFiles(target: string, bundles = true): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (e) {
    const members = bundles ? bundleMembers(target) : [];
    if (members.length > 0) return members;
    throw new Error(`unable to stat SSL certificate from file '${target}' : ${errnoText(e)}.`);
  }
  if (!stat.isDirectory()) return [target];
  return fs.readdirSync(target)
    .filter((name) => !name.startsWith('.') && !COMPANION_SUFFIXES.some((s) => name.endsWith(s)))
    .sort()
    .map((name) => path.join(target, name))
    .filter((file) => fs.statSync(file).isFile());
}

/** HAProxy's defaults: `ssl-load-extra-files all`, no `ssl-load-extra-del-ext`. */
const DEFAULT_KEY_FILES: CertKeyFiles = { companionKey: true, deleteCrtExtension: false, bundle: true, ocsp: true, issuer: true };

/** Reads one certificate file; throws an Error whose message is HAProxy-shaped and names the file. */
export function loadCertificate(file: string, keyFiles: CertKeyFiles = DEFAULT_KEY_FILES): LoadedCertificate {
  const mtimes = new Map<string, number>();
  const blocks = pemBlocks(file, readText(file, mtimes, 'unable to stat SSL certificate from file'), 'unable to load SSL certificate from PEM file');
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE').map((b) => b.text.trimEnd());
  let keyBlock = privateKeyOf(blocks);
  if (certs.length === 0) throw new Error(`unable to load SSL certificate from PEM file '${file}'.`);
  if (keyBlock === undefined) {
    if (!keyFiles.companionKey) throw new Error(`No Private Key found in '${file}' (and 'ssl-load-extra-files' leaves out 'key').`);
    const companion = `${keyFiles.deleteCrtExtension ? file.replace(/\.crt$/, '') : file}.key`;
    if (fs.existsSync(companion)) {
      keyBlock = privateKeyOf(pemBlocks(companion, readText(companion, mtimes, 'unable to load SSL private key from file'), 'unable to load SSL private key from file'));
    }
    if (keyBlock === undefined) throw new Error(`No Private Key found in '${file}' nor in '${companion}'.`);
  }
  if (/ENCRYPTED/.test(keyBlock)) throw new Error(`unable to load SSL private key from PEM file '${file}' (the key is encrypted; HAProxy and Loadstar need it unencrypted).`);
  let leaf: X509Certificate;
  let key: KeyObject;
  try {
    leaf = new X509Certificate(certs[0]!);
  } catch {
    throw new Error(`unable to load SSL certificate from PEM file '${file}' (the certificate is not valid X.509).`);
  }
  try {
    key = createPrivateKey(keyBlock);
  } catch {
    throw new Error(`unable to load SSL private key from PEM file '${file}'.`);
  }
  if (!leaf.checkPrivateKey(key)) throw new Error(`inconsistencies between private key and certificate loaded from PEM file '${file}'.`);
  const loaded: LoadedCertificate = { file, certPem: certs.join('\n') + '\n', keyPem: keyBlock + '\n', leaf, names: certificateNames(leaf), mtimes };
  if (keyFiles.ocsp) loadOcsp(loaded, keyFiles.deleteCrtExtension ? file.replace(/\.crt$/, '') : file, certs.slice(1), keyFiles.issuer);
  return loaded;
}

/**
 * `<base>.ocsp` (ssl_sock_load_files_into_ckch, then ssl_sock_load_ocsp): read when present; its
 * issuer is a chain certificate that issued the leaf, else `<base>.issuer`. No issuer is an error;
 * a response that does not fit is ignored with HAProxy's warning.
 */
function loadOcsp(cert: LoadedCertificate, base: string, chain: readonly string[], issuerFile: boolean): void {
  const ocspFile = `${base}.ocsp`;
  if (!fs.existsSync(ocspFile)) return;
  let der: Buffer;
  try {
    cert.mtimes.set(ocspFile, fs.statSync(ocspFile).mtimeMs);
    der = fs.readFileSync(ocspFile);
  } catch {
    throw new Error(`Error opening OCSP response file`);
  }
  // HAProxy reads (and checks) `.issuer` whenever it is there, then prefers the chain's issuer.
  let fileIssuer: X509Certificate | undefined;
  const issuerPath = `${base}.issuer`;
  if (issuerFile && fs.existsSync(issuerPath)) {
    const unreadable = new Error(`'${issuerPath}' cannot be read or parsed'.`);
    try {
      const pem = readPemBlocks({ label: issuerPath, data: readText(issuerPath, cert.mtimes, 'unable to load issuer file') }).find((b) => b.label === 'CERTIFICATE');
      fileIssuer = pem ? new X509Certificate(pem.text) : undefined;
    } catch {
      throw unreadable;
    }
    if (!fileIssuer) throw unreadable;
    if (!cert.leaf.checkIssued(fileIssuer)) throw new Error(`'${issuerPath}' is not an issuer'.`);
  }
  const issuer = chain.map((pem) => new X509Certificate(pem)).find((c) => cert.leaf.checkIssued(c)) ?? fileIssuer;
  if (!issuer) throw new Error(`'${cert.file}.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID (maybe the issuer could not be found)'.`);
  cert.ocspKey = ocspCertId(der);
  cert.ocspCertId = certIdOf(cert.leaf, issuer);
  const staple = ocspStaple(der, cert.leaf, issuer);
  if (typeof staple === 'string') cert.ocspWarning = `Loading: ${staple}. Content will be ignored.`;
  else cert.ocsp = staple;
}

/** DNS subject alternative names and the subject CN, as HAProxy indexes them for SNI. */
export function certificateNames(cert: X509Certificate): string[] {
  const names = new Set<string>();
  for (const entry of splitAltNames(cert.subjectAltName ?? '')) {
    if (entry.startsWith('DNS:')) names.add(entry.slice(4).toLowerCase());
  }
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) names.add(line.slice(3).toLowerCase());
  return [...names];
}

/** Node joins SANs with ", " and quotes entries that contain one; names never do. */
function splitAltNames(list: string): string[] {
  return list === '' ? [] : list.split(', ');
}

/** Reads a CA bundle (`ca-file`) as PEM text; throws an Error naming the file. */
export function loadCaFile(file: string): string {
  let certs: string[] = [];
  try {
    certs = readPemBlocks({ label: file, data: readText(file, new Map(), 'unable to load CA file') }).filter((b) => b.label === 'CERTIFICATE').map((b) => b.text.trimEnd());
  } catch (e) {
    if (!(e instanceof CertError)) throw e;
  }
  if (certs.length === 0) throw new Error(`unable to load CA file '${file}': no PEM certificate in it.`);
  return certs.join('\n') + '\n';
}

/** The PEM blocks of a file, or an Error in HAProxy's words with the reader's precise reason. */
function pemBlocks(file: string, text: string, what: string): PemBlock[] {
  try {
    return readPemBlocks({ label: file, data: text });
  } catch (e) {
    if (!(e instanceof CertError)) throw e;
    const hint = e.code === 'LS_ERR_CERT_DER_INPUT' ? ' (no PEM certificate in it: is it DER?)' : '';
    throw new Error(`${what} '${file}'${hint}: ${e.message}.`);
  }
}

function privateKeyOf(blocks: readonly PemBlock[]): string | undefined {
  return blocks.find((b) => b.label.endsWith('PRIVATE KEY'))?.text.trimEnd();
}

function readText(file: string, mtimes: Map<string, number>, what: string): string {
  try {
    mtimes.set(file, fs.statSync(file).mtimeMs);
    return fs.readFileSync(file, 'latin1');
  } catch (e) {
    throw new Error(`${what} '${file}' : ${errnoText(e)}.`);
  }
}

/** strerror() of a failed file operation, as HAProxy's messages end. */
function errnoText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
}

/** True when one of the files read for these certificates changed (or vanished) since. */
export function changedOnDisk(mtimes: ReadonlyMap<string, number>): boolean {
  for (const [file, mtime] of mtimes) {
    try {
      if (fs.statSync(file).mtimeMs !== mtime) return true;
    } catch {
      return true;
    }
  }
  return false;
}
