/**
 * What a bind trusts to verify client certificates: the CAs of `ca-file` and `ca-verify-file` (a PEM
 * file, or a directory whose `.pem`, `.crt`, `.cer` and `.crl` files are read, hidden ones skipped,
 * as HAProxy's ssl_store_load_locations_file does) and the revocation lists of `crl-file`. `@system-ca`
 * stands for the trusted roots Node ships (HAProxy reads the system's store).
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { readPemBlocks } from '../certs/pem.ts';
import { CertError } from '../errors.ts';
import { resolveCertPath } from '../config/kw-bind.ts';
import type { ClientAuth } from '../config/model.ts';

export interface ClientTrust {
  /** PEM certificates for Node's `ca` option (Node also names them in the certificate request). */
  ca: string[];
  /** PEM revocation lists for Node's `crl` option (Node then checks every certificate of the chain, as HAProxy's CRL_CHECK_ALL). */
  crl: string[];
}

const DIRECTORY_SUFFIXES = ['.pem', '.crt', '.cer', '.crl'];

/** Contents committed over the runtime API (runtime-cafiles.ts), by a file's key in the CA file tree (trustFileKey). */
export type CommittedTrust = (key: string) => { ca: string[]; crl: string[] } | undefined;

/** A CA or CRL file's key in HAProxy's CA file tree: its path with `ca-base` applied; `@system-ca` as written. */
export function trustFileKey(file: string, caBase: string | undefined): string {
  return file === '@system-ca' ? file : resolveCertPath(file, caBase);
}

/**
 * Reads the trust of `auth` (verify optional or required); records each file's mtime in `mtimes`.
 * A file with contents committed over the runtime API is not read. Throws an Error naming the file.
 */
export function loadClientTrust(auth: ClientAuth, caBase: string | undefined, mtimes: Map<string, number>, committed?: CommittedTrust): ClientTrust {
  const trust: ClientTrust = { ca: [], crl: [] };
  const caCrls: string[] = [];
  for (const [option, file] of [['ca-file', auth.caFile], ['ca-verify-file', auth.caVerifyFile]] as const) {
    if (file === undefined) continue;
    const stored = committed?.(trustFileKey(file, caBase));
    if (stored) {
      trust.ca.push(...stored.ca);
      caCrls.push(...stored.crl);
      continue;
    }
    if (file === '@system-ca') {
      trust.ca.push(...tls.rootCertificates);
      continue;
    }
    const blocks = readLocation(option, resolveCertPath(file, caBase), mtimes);
    trust.ca.push(...blocks.certs);
    caCrls.push(...blocks.crls);
  }
  if (auth.crlFile !== undefined) {
    const stored = committed?.(trustFileKey(auth.crlFile, caBase));
    const blocks = stored ? { crls: stored.crl } : readLocation('crl-file', resolveCertPath(auth.crlFile, caBase), mtimes);
    // The CA files' own CRLs count once revocation is checked at all (one OpenSSL store in HAProxy).
    trust.crl.push(...blocks.crls, ...caCrls);
  }
  return trust;
}

function readLocation(option: string, target: string, mtimes: Map<string, number>): { certs: string[]; crls: string[] } {
  let files: string[];
  try {
    const stat = fs.statSync(target);
    mtimes.set(target, stat.mtimeMs);
    files = stat.isDirectory()
      ? fs.readdirSync(target).filter((n) => !n.startsWith('.') && DIRECTORY_SUFFIXES.some((s) => n.endsWith(s))).sort().map((n) => path.join(target, n))
      : [target];
  } catch (e) {
    throw new Error(`'${option}' : unable to load ${target} (${reason(e)}).`);
  }
  const certs: string[] = [];
  const crls: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      mtimes.set(file, fs.statSync(file).mtimeMs);
      text = fs.readFileSync(file, 'latin1');
    } catch (e) {
      throw new Error(`'${option}' : unable to load ${file} (${reason(e)}).`);
    }
    try {
      for (const block of readPemBlocks({ label: file, data: text })) {
        if (block.label === 'CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE') certs.push(block.text.trimEnd() + '\n');
        else if (block.label === 'X509 CRL') crls.push(block.text.trimEnd() + '\n');
      }
    } catch (e) {
      // A directory may hold other files; a file named directly must be PEM.
      if (!(e instanceof CertError) || files.length === 1) throw new Error(`'${option}' : unable to load ${file} (${(e as Error).message}).`);
    }
  }
  if (certs.length + crls.length === 0) throw new Error(`'${option}' : unable to load ${target} (no certificate or crl found).`);
  return { certs, crls };
}

function reason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
}
