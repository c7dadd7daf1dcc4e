/**
 * Certificates changed at run time, as HAProxy's certificate store (ssl_ckch.c) keeps them: the
 * runtime API's `set ssl cert` fills one transaction, `commit ssl cert` makes every bind that serves
 * the file (a `crt`, a file of a `crt` directory, a `crt-list` line) serve the new certificate for
 * new handshakes at once, connections already established keep theirs. The file on disk is not
 * written (HAProxy does not either).
 *
 * A committed certificate stays in use across a reload while its file on disk is unchanged (as a
 * server's runtime admin state does in Loadstar; HAProxy, which restarts, reads the disk again);
 * once the file changes on disk, the disk's certificate is the newer one and wins.
 */
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { certificateNames } from './pem.ts';
import type { LoadedCertificate } from './pem.ts';
import { readPemBlocks } from '../certs/pem.ts';

/** A certificate as a transaction holds it: any part may be missing until the commit. */
export interface CertParts {
  /** Leaf first, then the chain, as PEM blocks. */
  certs: string[];
  key?: string;
}

/** What the runtime certificates need of a bind (BindTls satisfies it). */
export interface CertServingBind {
  /** The certificate files this bind serves, one per entry (a file twice when two crt-list lines name it). */
  certificateFiles(): string[];
  /** The certificate an entry of this file serves now. */
  servedCertificate(file: string): LoadedCertificate | undefined;
  /** Builds the entries of `file` with `cert` and returns what installs them (nothing is served before). Throws when unusable. */
  prepareCertificate(file: string, cert: LoadedCertificate): () => void;
}

export class CommitError extends Error {}

export class RuntimeCerts {
  /** Committed over the runtime API, by file, while the file on disk stays as it was then. */
  private readonly committed = new Map<string, LoadedCertificate>();
  /** The one transaction (`set ssl cert` … `commit`/`abort`), as HAProxy has one at a time. */
  transaction: { path: string; parts: CertParts } | undefined;

  /** @param binds the running binds (the engine's listeners). */
  constructor(private readonly binds: () => Iterable<CertServingBind>) {}

  /**
   * The committed certificate of a file, for a bind (re)loading it; undefined when none was
   * committed or the file changed on disk since (the disk's one is then newer: the commit is forgotten).
   */
  committedFor(file: string): LoadedCertificate | undefined {
    const cert = this.committed.get(file);
    if (!cert) return undefined;
    if (unchanged(cert.mtimes)) return cert;
    this.committed.delete(file);
    return undefined;
  }

  /**
   * The certificate committed over the runtime API that is served for the file at this absolute
   * path (a bind may name it relative to the working directory); undefined when its own is served.
   */
  committedServing(absolutePath: string): LoadedCertificate | undefined {
    for (const file of this.committed.keys()) {
      if (path.resolve(file) !== absolutePath) continue;
      const cert = this.committedFor(file);
      if (cert && this.served(file) === cert) return cert;
    }
    return undefined;
  }

  /** Every certificate file the running binds serve, in HAProxy's order (the store's tree: byte order). */
  paths(): string[] {
    const all = new Set<string>();
    for (const bind of this.binds()) for (const file of bind.certificateFiles()) all.add(file);
    return [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** The certificate a file stands for now (the one its binds serve). */
  served(path: string): LoadedCertificate | undefined {
    for (const bind of this.binds()) {
      const cert = bind.servedCertificate(path);
      if (cert) return cert;
    }
    return undefined;
  }

  /** How many entries serve the file (HAProxy's ckch instances: one dot each in commit's answer). */
  instances(path: string): number {
    let n = 0;
    for (const bind of this.binds()) n += bind.certificateFiles().filter((f) => f === path).length;
    return n;
  }

  /**
   * Serves the transaction's certificate everywhere its file is served: every entry is built
   * first, then all are installed, so a failure changes nothing. Returns the number of entries.
   */
  commit(path: string, parts: CertParts): number {
    const old = this.served(path);
    if (!old) throw new CommitError(`certificate '${path}' is no longer served by the configuration.`);
    const leaf = new X509Certificate(parts.certs[0]!);
    const cert: LoadedCertificate = {
      file: path,
      certPem: parts.certs.join('\n') + '\n',
      keyPem: parts.key! + '\n',
      leaf,
      names: certificateNames(leaf),
      // The files the replaced certificate was read from, as they are now: a later change on disk wins.
      mtimes: snapshot(old.mtimes),
    };
    const installs: Array<() => void> = [];
    try {
      for (const bind of this.binds()) if (bind.certificateFiles().includes(path)) installs.push(bind.prepareCertificate(path, cert));
    } catch (e) {
      throw new CommitError((e as Error).message);
    }
    for (const install of installs) install();
    this.committed.set(path, cert);
    return installs.length === 0 ? 0 : this.instances(path);
  }
}

/** The parts of a certificate as the transaction starts from it (a duplicate of the one served). */
export function partsOf(cert: LoadedCertificate): CertParts {
  const blocks = readPemBlocks({ label: cert.file, data: cert.certPem });
  return { certs: blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE').map((b) => b.text.trimEnd()), key: cert.keyPem.trimEnd() };
}

/**
 * ssl_sock_load_pem_into_ckch on a payload: the private key (if any), the certificate and the
 * chain replace the transaction's; a payload without a certificate is refused (undefined).
 */
export function pemPayload(payload: string): CertParts | undefined {
  let blocks;
  try {
    blocks = readPemBlocks({ label: 'payload', data: payload });
  } catch {
    return undefined;
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE').map((b) => b.text.trimEnd());
  if (certs.length === 0) return undefined;
  try {
    new X509Certificate(certs[0]!);
  } catch {
    return undefined;
  }
  const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'))?.text.trimEnd();
  return key !== undefined && usableKey(key) ? { certs, key } : { certs };
}

/** ssl_sock_load_key_into_ckch on a payload (`set ssl cert <file>.key`): the key, or undefined. */
export function keyPayload(payload: string): string | undefined {
  let blocks;
  try {
    blocks = readPemBlocks({ label: 'payload', data: payload });
  } catch {
    return undefined;
  }
  const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'))?.text.trimEnd();
  return key !== undefined && usableKey(key) ? key : undefined;
}

/** X509_check_private_key: the key is the certificate's. */
export function keyMatches(parts: CertParts): boolean {
  try {
    return new X509Certificate(parts.certs[0]!).checkPrivateKey(createPrivateKey(parts.key!));
  } catch {
    return false;
  }
}

function usableKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function unchanged(mtimes: ReadonlyMap<string, number>): boolean {
  for (const [file, mtime] of mtimes) {
    try {
      if (fs.statSync(file).mtimeMs !== mtime) return false;
    } catch {
      if (mtime !== -1) return false;
    }
  }
  return true;
}

function snapshot(mtimes: ReadonlyMap<string, number>): Map<string, number> {
  const next = new Map<string, number>();
  for (const file of mtimes.keys()) {
    try {
      next.set(file, fs.statSync(file).mtimeMs);
    } catch {
      next.set(file, -1);
    }
  }
  return next;
}
