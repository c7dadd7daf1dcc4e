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
import { checkOcspResponse } from './ocsp.ts';
import type { LoadedCertificate } from './pem.ts';
import type { CrtListOptions } from './crt-list.ts';
import { crtListLineCount } from './crt-list.ts';
import { readPemBlocks } from '../certs/pem.ts';
import { RuntimeCaFiles } from './runtime-cafiles.ts';
import type { TrustKind, TrustUsingBind } from './runtime-cafiles.ts';

/** A certificate as a transaction holds it: any part may be missing until the commit. */
export interface CertParts {
  /** Leaf first, then the chain, as PEM blocks. */
  certs: string[];
  key?: string;
  /** The OCSP response's certificate ID the certificate was loaded with: HAProxy's transaction keeps the response. */
  ocspKey?: Buffer;
}

/** What the runtime certificates need of a bind (BindTls satisfies it). */
export interface CertServingBind extends TrustUsingBind {
  /** The certificate files this bind serves, one per entry (a file twice when two crt-list lines name it). */
  certificateFiles(): string[];
  /** The certificate an entry of this file serves now. */
  servedCertificate(file: string): LoadedCertificate | undefined;
  /** Every certificate it serves, one per entry. */
  servedCertificates(): LoadedCertificate[];
  /** Builds the entries of `file` with `cert` and returns what installs them (nothing is served before). Throws when unusable. */
  prepareCertificate(file: string, cert: LoadedCertificate): () => void;
  /** The bind's crt-lists and `crt` directories with their entries. */
  crtLists(): Map<string, CrtListView>;
  /** Builds the entry of a line added to one of its crt-lists or directories; returns what installs it. Throws when unusable. */
  prepareAdded(listPath: string, added: AddedLine, dir: boolean): () => void;
  /** What takes an entry of a list out of service, or why it cannot go. */
  prepareRemoved(listPath: string, file: string, line: number): (() => void) | { refused: 'default' | 'last' };
  /** Where the bind is configured (`del ssl crt-list`'s refusal names it). */
  readonly bind: { loc: { file: string; line: number } };
}

/** A crt-list line, or a file of a `crt` directory (line 0, no options), as `show ssl crt-list` prints it. */
export interface CrtListEntryView {
  file: string;
  line: number;
  bracketed: boolean;
  options: CrtListOptions;
  filters: readonly string[];
}

export interface CrtListView {
  dir: boolean;
  /** Lines HAProxy counts beyond the file's for its bundle lines (their members numbered apart). */
  bundleLines?: number;
  entries: CrtListEntryView[];
}

/** A line added over the runtime API (`add ssl crt-list`). */
export type AddedLine = CrtListEntryView;

export class CommitError extends Error {}

export class RuntimeCerts {
  /** Committed over the runtime API, by file, while the file on disk stays as it was then. */
  private readonly committed = new Map<string, LoadedCertificate>();
  /** The one transaction (`set ssl cert` … `commit`/`abort`), as HAProxy has one at a time. */
  transaction: { path: string; parts: CertParts } | undefined;
  /** Certificates made over the runtime API (`new ssl cert`): empty until a commit fills them. */
  private readonly created = new Set<string>();
  /** Lines added to crt-lists and directories (`add ssl crt-list`), by the list's path; a crt-list's with its file's mtime then. */
  private readonly added = new Map<string, { mtime: number | undefined; lines: AddedLine[] }>();
  /** The last line number given to a line added to each list. */
  private readonly lineCounts = new Map<string, number>();
  /** Entries taken out of crt-lists and directories (`del ssl crt-list`), by the list's path; a crt-list's with its file's mtime then. */
  private readonly removed = new Map<string, { mtime: number | undefined; entries: Array<{ file: string; line: number }> }>();

  /** Counts the changes made to the served certificates (commit, add/del ssl crt-list): a reload under way sees whether one happened meanwhile. */
  generation = 0;

  /** The CA file tree (`ssl ca-file` and `ssl crl-file` commands): its commits count as changes too. */
  readonly caFiles: RuntimeCaFiles;

  /**
   * @param binds the running binds (the engine's listeners).
   * @param otherTrustFiles the CA and CRL files of the configuration that no bind names (server-tls.ts otherTrustFiles).
   * @param trustServers the servers using CA and CRL files as the tree counts them (server-tls.ts serverTrustUser).
   */
  constructor(private readonly binds: () => Iterable<CertServingBind>, otherTrustFiles?: () => Iterable<{ path: string; kind: TrustKind }>, trustServers?: () => Iterable<TrustUsingBind>) {
    this.caFiles = new RuntimeCaFiles(binds, otherTrustFiles, () => this.generation++, trustServers);
  }

  /** For a bind (re)loading its client trust: CA and CRL contents committed over the runtime API. */
  readonly committedTrust = (key: string): { ca: string[]; crl: string[] } | undefined => this.caFiles.committedTrust(key);

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

  /** Every certificate file the running binds serve and the ones `new ssl cert` made, in HAProxy's order (the store's tree: byte order). */
  paths(): string[] {
    const all = new Set<string>(this.created);
    for (const bind of this.binds()) for (const file of bind.certificateFiles()) all.add(file);
    return [...all].sort(byteOrder);
  }

  /** Whether the store knows the file (`new ssl cert` made it, or a bind serves it). */
  exists(path: string): boolean {
    return this.created.has(path) || this.served(path) !== undefined;
  }

  /** The certificate the store holds for a file: the one served, else the one committed to a new file; undefined when empty. */
  stored(path: string): LoadedCertificate | undefined {
    return this.served(path) ?? (this.created.has(path) ? this.committed.get(path) : undefined);
  }

  /** Whether `new ssl cert` made the file (rather than the configuration naming it). */
  isNew(path: string): boolean {
    return this.created.has(path);
  }

  /** `new ssl cert`: an empty certificate to fill with set/commit; false when the file is known already. */
  create(path: string): boolean {
    if (this.exists(path)) return false;
    this.created.add(path);
    return true;
  }

  /** `del ssl cert`: forgets a certificate no bind serves; 'missing' or 'in use' otherwise. */
  remove(path: string): 'deleted' | 'missing' | 'in use' {
    if (!this.exists(path)) return 'missing';
    if (this.instances(path) > 0 || !this.created.has(path)) return 'in use';
    this.created.delete(path);
    this.committed.delete(path);
    return 'deleted';
  }

  /** The lines added over the runtime API to a crt-list or directory; a crt-list's are forgotten once its file changed on disk. */
  addedTo(listPath: string): readonly AddedLine[] {
    const added = this.added.get(listPath);
    if (!added) return [];
    // A directory's lines stay (a bind skips one whose file the directory now holds).
    if (added.mtime !== undefined && added.mtime !== mtimeOf(listPath)) {
      this.added.delete(listPath);
      return [];
    }
    return added.lines;
  }

  /** The entries removed over the runtime API from a crt-list or directory; a crt-list's are forgotten once its file changed on disk. */
  removedFrom(listPath: string): ReadonlyArray<{ file: string; line: number }> {
    const removed = this.removed.get(listPath);
    if (!removed) return [];
    if (removed.mtime !== undefined && removed.mtime !== mtimeOf(listPath)) {
      this.removed.delete(listPath);
      return [];
    }
    return removed.entries;
  }

  /**
   * `del ssl crt-list`: the entry goes from every bind using the list (all checked first). Returns
   * the binds that refuse it because it is their default certificate (none: it is gone).
   */
  removeFromList(listPath: string, file: string, line: number): Array<{ file: string; line: number }> {
    const list = this.crtLists().get(listPath);
    if (!list) return [];
    const refusals: Array<{ file: string; line: number }> = [];
    const removes: Array<() => void> = [];
    for (const bind of this.binds()) {
      if (!bind.crtLists().has(listPath)) continue;
      const result = bind.prepareRemoved(listPath, file, line);
      if (typeof result === 'function') removes.push(result);
      else refusals.push({ file: bind.bind.loc.file, line: bind.bind.loc.line });
    }
    if (refusals.length > 0) return refusals;
    const added = this.added.get(listPath);
    const index = added?.lines.findIndex((l) => l.file === file && l.line === line) ?? -1;
    if (added && index >= 0) added.lines.splice(index, 1);
    else {
      const removed = this.removed.get(listPath) ?? { mtime: list.dir ? undefined : mtimeOf(listPath), entries: [] };
      removed.entries.push({ file, line });
      this.removed.set(listPath, removed);
    }
    const cert = this.stored(file);
    for (const remove of removes) remove();
    this.generation++;
    // As in HAProxy the certificate stays in the store, unused, until `del ssl cert`.
    if (cert && this.instances(file) === 0) {
      this.created.add(file);
      this.committed.set(file, cert);
    }
    return [];
  }

  /** The crt-lists and `crt` directories of the running binds, by path in HAProxy's order (strings' order). */
  crtLists(): Map<string, CrtListView> {
    const lists = new Map<string, CrtListView>();
    for (const bind of this.binds()) for (const [path, list] of bind.crtLists()) if (!lists.has(path)) lists.set(path, list);
    return new Map([...lists].sort(([a], [b]) => byteOrder(a, b)));
  }

  /**
   * `add ssl crt-list`: the line is added to every bind using the list (each entry built first, then
   * all installed); returns the number of binds. Throws CommitError when an entry cannot be built.
   */
  addToList(listPath: string, line: Omit<AddedLine, 'line'>): number {
    const list = this.crtLists().get(listPath);
    if (!list) throw new CommitError(`crt-list '${listPath}' does not exist!`);
    const previous = this.added.get(listPath);
    // HAProxy's crtlist->linecount: a crt-list's lines (comments counted), a directory's 0, one more per line added.
    const lineNo = (this.lineCounts.get(listPath) ?? (list.dir ? 0 : Math.max(crtListLineCount(listPath) + (list.bundleLines ?? 0), ...list.entries.map((e) => e.line)))) + 1;
    const added: AddedLine = { ...line, line: lineNo };
    const installs: Array<() => void> = [];
    try {
      for (const bind of this.binds()) if (bind.crtLists().has(listPath)) installs.push(bind.prepareAdded(listPath, added, list.dir));
    } catch (e) {
      throw new CommitError((e as Error).message);
    }
    this.added.set(listPath, { mtime: list.dir ? undefined : mtimeOf(listPath), lines: [...(previous?.lines ?? []), added] });
    this.lineCounts.set(listPath, lineNo);
    this.generation++;
    for (const install of installs) install();
    return installs.length;
  }

  /**
   * `set ssl ocsp-response` (ssl_sock_update_ocsp_response): the response replaces the staple of
   * every served certificate whose `.ocsp` file filed it under the same certificate ID (HAProxy's
   * cert_ocsp_tree key). HAProxy's reason when it is refused.
   */
  updateOcspResponse(der: Buffer): string | undefined {
    const checked = checkOcspResponse(der);
    if (typeof checked === 'string') return checked;
    const certs = [...this.binds()].flatMap((b) => b.servedCertificates()).filter((c) => c.ocspCertId?.equals(checked.certId));
    if (certs.length === 0) return 'OCSP single response: Certificate ID does not match any certificate or issuer';
    for (const cert of certs) cert.ocsp = checked.staple;
    return undefined;
  }

  /**
   * HAProxy's cert_ocsp_tree: the certificate IDs of the served certificates that have an `.ocsp`
   * file (stapled or not), each once, in the tree's order (the keys zero-padded to 128 bytes).
   */
  ocspCertIds(): Buffer[] {
    const ids = new Map<string, Buffer>();
    for (const bind of this.binds()) for (const cert of bind.servedCertificates()) if (cert.ocspCertId) ids.set(cert.ocspCertId.toString('hex'), cert.ocspCertId);
    const padded = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc(Math.max(0, 128 - b.length))]);
    return [...ids.values()].sort((a, b) => Buffer.compare(padded(a), padded(b)));
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
    if (!old && !this.created.has(path)) throw new CommitError(`certificate '${path}' is no longer served by the configuration.`);
    const leaf = new X509Certificate(parts.certs[0]!);
    const cert: LoadedCertificate = {
      file: path,
      certPem: parts.certs.join('\n') + '\n',
      keyPem: parts.key! + '\n',
      leaf,
      names: certificateNames(leaf),
      // The files the replaced certificate was read from, as they are now: a later change on disk wins.
      mtimes: old ? snapshot(old.mtimes) : new Map(),
      // The response is kept, not stapled: its certificate ID is the replaced certificate's.
      ...(parts.ocspKey ? { ocspKey: parts.ocspKey } : {}),
    };
    const installs: Array<() => void> = [];
    try {
      for (const bind of this.binds()) if (bind.certificateFiles().includes(path)) installs.push(bind.prepareCertificate(path, cert));
    } catch (e) {
      throw new CommitError((e as Error).message);
    }
    for (const install of installs) install();
    this.committed.set(path, cert);
    this.generation++;
    return installs.length === 0 ? 0 : this.instances(path);
  }
}

/** The parts of a certificate as the transaction starts from it (a duplicate of the one served). */
export function partsOf(cert: LoadedCertificate): CertParts {
  const blocks = readPemBlocks({ label: cert.file, data: cert.certPem });
  return {
    certs: blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE').map((b) => b.text.trimEnd()), key: cert.keyPem.trimEnd(),
    ...(cert.ocspKey ? { ocspKey: cert.ocspKey } : {}),
  };
}

/**
 * ssl_sock_load_pem_into_ckch on a payload: the private key (if any), the certificate and the
 * chain replace the transaction's; a payload without a certificate, or with a chain certificate
 * that is not X.509, is refused.
 */
export function pemPayload(payload: string): CertParts | 'no certificate' | 'bad chain' {
  let blocks;
  try {
    blocks = readPemBlocks({ label: 'payload', data: payload });
  } catch {
    return 'no certificate';
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE').map((b) => b.text.trimEnd());
  if (certs.length === 0 || !parses(certs[0]!)) return 'no certificate';
  if (!certs.slice(1).every(parses)) return 'bad chain';
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

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
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

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A file's mtime, -1 when it cannot be read (a directory's too). */
function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
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
