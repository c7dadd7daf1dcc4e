/**
 * The TLS side of one `bind … ssl` line: its certificates (`crt` files and
 * directories, `crt-list`), SNI selection, ALPN, protocol versions and
 * ciphers, with the global `ssl-default-bind-*` defaults. Each certificate
 * gets a TLS server of its own (a crt-list line's options included) that
 * the listener hands a connection to once its ClientHello named the
 * certificate (listener.ts). Certificates are re-read
 * when their files change on disk; new handshakes use the new ones,
 * established connections keep theirs.
 */
import fs from 'node:fs';
import tls from 'node:tls';
import type net from 'node:net';
import { constants as cryptoConstants } from 'node:crypto';
import type { Bind, Config } from '../config/model.ts';
import { resolveCertPath } from '../config/kw-bind.ts';
import { bundleMembers, certificateFiles, loadCertificate, changedOnDisk } from './pem.ts';
import type { LoadedCertificate } from './pem.ts';
import { parseCrtList, CrtListError } from './crt-list.ts';
import type { CrtListOptions } from './crt-list.ts';
import { SniTable, keySignature } from './sni.ts';
import type { ClientSignatures } from './client-hello.ts';
import { versionRange } from './versions.ts';
import { renewTicketsOnResumption } from './tickets.ts';
import { TicketKeyRefs } from './ticket-keys.ts';
import type { TicketKeyRef } from './ticket-keys.ts';
import type { VersionRange } from './versions.ts';
import { TlsLoadError } from '../errors.ts';
import { handshakeBegins, rawSocketOf } from './handshake-time.ts';
import type { ClientAuth } from '../config/model.ts';
import { loadClientTrust, trustFileKey } from './client-trust.ts';
import type { CommittedTrust } from './client-trust.ts';
import { judgeClient, refusalOfRejected } from './client-verify.ts';
import { rememberClientVerdict } from './facts.ts';
import { handshakeFailureOf, refusalFailure } from './handshake-failures.ts';
import type { HandshakeFailure } from './handshake-failures.ts';
import { CertGenerator, loadSigningCa } from './gencert.ts';
import { SSL_CTX_CACHE_SIZE, DEFAULT_SSL_CTX_CACHE_SIZE } from '../config/kw-global.ts';

/** One certificate as served, with the TLS server that runs its handshakes. */
export interface TlsEntry {
  cert: LoadedCertificate;
  /**
   * Runs handshakes with this certificate only, its versions, ciphers and ALPN (the crt-list
   * line's `alpn`, else the bind's). Fed with `emit('connection', socket)`.
   */
  server: tls.Server;
  alpn: readonly string[] | undefined;
}

/** An entry's client-certificate request: the options that judge the client, and its trust for Node. */
interface EntryClientAuth {
  auth: ClientAuth;
  /** OpenSSL refuses a handshake without a certificate (Node's `rejectUnauthorized`). */
  rejectMissing: boolean;
  ca: string[];
  crl: string[];
}

/** ALPN protocols the HTTP engine can serve; a TCP-mode bind passes any protocol through. */
export const HTTP_ALPN: ReadonlySet<string> = new Set(['h2', 'http/1.1', 'http/1.0']);

/** One certificate of the bind as configured (a `crt` file, a file of a directory, a crt-list line) and its entry. */
interface Slot {
  file: string;
  /** The crt-list line's SNI filters; none: the certificate's names. */
  filters: readonly string[];
  /** An entry with this slot's options over a certificate. */
  make(cert: LoadedCertificate): TlsEntry;
  entry: TlsEntry;
  /** The crt-list line or `crt` directory it comes from (none: a `crt` file). */
  list?: NonNullable<SlotList>;
  /** The crt-list line's options, to build the slot again. */
  options: CrtListOptions;
  /** Its client-certificate settings (the line's over the bind's): which CA and CRL files it names. */
  auth: ClientAuth | undefined;
}

/** Where a slot comes from: a crt-list's line (its number, options as written) or a `crt` directory (line 0). */
type SlotList = { path: string; dir: boolean; line: number; bracketed: boolean; options: CrtListOptions } | undefined;

/** HAProxy's key of a crt-list or directory: its path without trailing slashes. */
export function stripSlashes(p: string): string {
  const stripped = p.replace(/\/+$/, '');
  return stripped === '' ? p : stripped;
}

export class BindTls {
  private entries: TlsEntry[] = [];
  private slots: Slot[] = [];
  private table!: SniTable<TlsEntry>;
  /** `generate-certificates`: makes (and keeps) an entry for a name no certificate matches. */
  private generator: CertGenerator<TlsEntry> | undefined;
  /** The lines HAProxy counts in the crt-list beyond its file's, one more per bundle member but the first and per duplicated entry. */
  private bundleLines = 0;
  /** Files and directories read, with their mtimes, to notice changes. */
  private watched = new Map<string, number>();
  readonly alpn: readonly string[] | undefined;
  readonly versions: VersionRange;
  /** The bind's (else the global) TLS 1.3 suites and TLS ≤ 1.2 ciphers; a crt-list line may replace either. */
  private readonly suites: string | undefined;
  private readonly tls12Ciphers: string | undefined;
  private readonly ciphers: string;

  /** `tls-ticket-keys`: the keys its session tickets are encrypted with (else each TLS server's own). */
  readonly ticketKeys: TicketKeyRef | undefined;

  /** Where established TLS connections go (the engine points it at its listener). */
  secured: (socket: tls.TLSSocket) => void = (socket) => socket.destroy();
  /**
   * Told of each connection whose handshake failed or that this bind refused during it (client
   * certificate, `strict-sni`), with HAProxy's reason, for the frontend's log and counters; the
   * socket is closed right after.
   */
  refused: (socket: net.Socket, failure: HandshakeFailure) => void = () => {};
  /** The frontend logs failed handshakes: their addresses must be read before Node forgets them (the engine sets it). */
  logsFailures = true;
  /** Told of each completed handshake (ssl_sess / ssl_reused_sess); the engine sets it only when it keeps statistics. */
  succeeded: ((socket: tls.TLSSocket) => void) | undefined;

  /** @param handshakeTimeout ms a client has to complete the handshake (0: Node's 120 s). */
  /** @param proxyName the frontend's name, for HAProxy's messages about `ca-sign-file`. */
  /** @param committed certificates committed over the runtime API, served instead of their files. */
  constructor(
    readonly bind: Bind, private readonly config: Config, readonly mode: 'http' | 'tcp', private readonly handshakeTimeout = 0, private readonly proxyName = '',
    private readonly committed?: {
      committedFor(file: string): LoadedCertificate | undefined;
      /** Lines added over the runtime API to a crt-list or directory (by its path without trailing slashes). */
      addedTo?(listPath: string): ReadonlyArray<{ file: string; line: number; bracketed: boolean; options: CrtListOptions; filters: readonly string[] }>;
      /** Entries of a crt-list or directory removed over the runtime API (`del ssl crt-list`): a directory's by file, a crt-list's by line. */
      removedFrom?(listPath: string): ReadonlyArray<{ file: string; line: number }>;
      /** CA and CRL file contents committed over the runtime API (`commit ssl ca-file`), by the file's key. */
      committedTrust?: CommittedTrust;
    },
    tickets?: TicketKeyRefs,
  ) {
    if (bind.tlsTicketKeys !== undefined) {
      const ref = (tickets ?? new TicketKeyRefs()).ref(bind.tlsTicketKeys);
      if (typeof ref === 'string') throw new TlsLoadError(bind.loc, `'${bind.tlsTicketKeys}' : ${ref}`);
      this.ticketKeys = ref;
    }
    const defaults = config.global.sslDefaultBind;
    this.versions = this.checkedRange(versionRange(defaults.options, bind.sslMinVer, bind.sslMaxVer));
    this.suites = bind.ciphersuites ?? defaults.ciphersuites;
    this.tls12Ciphers = bind.ciphers ?? defaults.ciphers;
    this.ciphers = joinCiphers(this.suites, this.tls12Ciphers);
    this.alpn = bind.alpn ? this.servable(bind.alpn) : undefined;
    this.load();
  }

  /** The certificate entry, with its protocol versions, ciphers and ALPN, for a handshake naming `servername`. */
  /** @param client what the ClientHello accepts (ECDSA, RSA), read only when the name's certificates differ in key type. */
  select(servername: string | undefined, client?: () => ClientSignatures): TlsEntry {
    return this.table.select(servername, client);
  }

  /** As select(), but undefined when `strict-sni` refuses the name: none, or one no certificate matches. */
  selectStrict(servername: string | undefined, client?: () => ClientSignatures): TlsEntry | undefined {
    if (this.generator && servername) return this.table.match(servername, client) ?? this.generated(servername);
    if (!this.bind.strictSni) return this.table.select(servername, client);
    return servername ? this.table.match(servername, client) : undefined;
  }

  /** The entry every handshake uses when the bind has one certificate (no SNI choice to make), else undefined. */
  onlyEntry(): TlsEntry | undefined {
    // With strict-sni even one certificate is a choice: a ClientHello naming another host is refused.
    return this.entries.length === 1 && !this.bind.strictSni && !this.generator ? this.entries[0] : undefined;
  }

  /**
   * HAProxy's ClientHello callback: a name no certificate matches gets one made for it, before
   * `strict-sni` is considered. Should making it fail, the name is treated as unmatched.
   */
  private generated(servername: string): TlsEntry | undefined {
    try {
      return this.generator!.entry(servername);
    } catch {
      return this.bind.strictSni ? undefined : this.table.fallback;
    }
  }

  /** How many generated certificates the bind keeps (tests, `generate-certificates`). */
  get generatedCount(): number {
    return this.generator?.size ?? 0;
  }

  /** Re-reads the certificates if a file changed; keeps the current ones when the new files are unusable. */
  /** @param force re-read even when no file changed (runtime API changes made while a reload built this bind). */
  refresh(alert: (message: string) => void, force = false): boolean {
    if (!force && !changedOnDisk(this.watched)) return false;
    const previous = { entries: this.entries, slots: this.slots, table: this.table, watched: this.watched };
    try {
      this.load();
    } catch (e) {
      Object.assign(this, previous);
      // Remember the broken state so the alert is not repeated every poll; a later fix is picked up.
      this.watched = snapshot(this.watched);
      alert(`certificates of bind at [${this.bind.loc.file}:${this.bind.loc.line}] changed on disk but cannot be used, keeping the previous ones: ${(e as Error).message}`);
      return false;
    }
    return true;
  }

  private load(): void {
    const slots: Slot[] = [];
    const watched = new Map<string, number>();
    const add = (file: string, options: CrtListOptions, filters: readonly string[], list: SlotList): void => {
      slots.push(this.slot(file, options, filters, list, watched));
    };
    // A line added over the runtime API whose certificate can no longer be read (its file gone) is
    // left out: the configuration's own files decide whether the bind loads.
    const addRuntime = (...args: Parameters<typeof add>): void => {
      try {
        add(...args);
      } catch (e) {
        if (!(e instanceof TlsLoadError)) throw e;
      }
    };
    const base = this.config.global.crtBase;
    const runtime = this.committed;
    let bundleLines = 0;
    for (const crt of this.bind.crt) {
      const target = resolveCertPath(crt, base);
      const files = this.guard(() => certificateFiles(target, this.config.global.certKeyFiles.bundle));
      const dir = isDirectory(target);
      if (dir) watched.set(target, fs.statSync(target).mtimeMs);
      const listPath = dir ? stripSlashes(target) : undefined;
      const removed = listPath ? runtime?.removedFrom?.(listPath) ?? [] : [];
      for (const file of files) {
        if (removed.some((r) => r.file === file)) continue;
        add(file, {}, [], listPath ? { path: listPath, dir: true, line: 0, bracketed: false, options: {} } : undefined);
      }
      // Certificates added to the directory over the runtime API (`add ssl crt-list <dir> <file>`), unless the directory now holds them.
      if (listPath) for (const a of runtime?.addedTo?.(listPath) ?? []) if (!files.includes(a.file)) addRuntime(a.file, {}, [], { path: listPath, dir: true, line: a.line, bracketed: false, options: {} });
    }
    if (this.bind.crtList) {
      const listFile = resolveCertPath(this.bind.crtList, base);
      const lines = this.guard(() => parseCrtList(listFile, this.config.global.caBase));
      watched.set(listFile, fs.statSync(listFile).mtimeMs);
      const listPath = stripSlashes(listFile);
      const removed = runtime?.removedFrom?.(listPath) ?? [];
      // HAProxy numbers a bundle's members as lines of their own, which moves the lines after it.
      let shift = 0;
      for (const line of lines) {
        const crt = resolveCertPath(line.crt, base);
        const members = this.config.global.certKeyFiles.bundle && !fs.existsSync(crt) ? bundleMembers(crt) : [];
        for (const [i, file] of (members.length > 0 ? members : [crt]).entries()) {
          const lineNo = crtListMemberLine(line.line + shift, i);
          if (removed.some((r) => r.line === lineNo)) continue;
          try {
            add(file, line.options, line.filters, { path: listPath, dir: false, line: lineNo, bracketed: line.bracketed, options: line.options });
          } catch (e) {
            throw e instanceof TlsLoadError ? new TlsLoadError(this.bind.loc, `crt-list '${listFile}' line ${line.line}: ${e.detail}`) : e;
          }
        }
        shift += members.length > 0 ? 2 * members.length - 1 : 0;
      }
      bundleLines = shift;
      for (const a of runtime?.addedTo?.(listPath) ?? []) addRuntime(a.file, a.options, a.filters, { path: listPath, dir: false, line: a.line, bracketed: a.bracketed, options: a.options });
    }
    if (slots.length === 0) throw new TlsLoadError(this.bind.loc, `no SSL certificate found for bind (the 'crt' directory is empty?).`);
    const generator = this.bind.generateCertificates ? this.certGenerator(slots[0]!.entry.cert, watched) : undefined;
    this.install(slots);
    this.bundleLines = bundleLines;
    this.generator = generator;
    this.watched = watched;
  }

  /** One certificate of the bind with its options: its entry, and how to build it again over another certificate. */
  private slot(file: string, options: CrtListOptions, filters: readonly string[], list: SlotList, watched: Map<string, number>): Slot {
    const cert = this.loadOne(file);
    for (const [f, m] of cert.mtimes) watched.set(f, m);
    const versions = options.sslMinVer || options.sslMaxVer
      ? this.checkedRange(versionRange(this.config.global.sslDefaultBind.options, options.sslMinVer ?? this.bind.sslMinVer, options.sslMaxVer ?? this.bind.sslMaxVer))
      : this.versions;
    const ciphers = options.ciphers || options.ciphersuites ? joinCiphers(options.ciphersuites ?? this.suites, options.ciphers ?? this.tls12Ciphers) : this.ciphers;
    const alpn = options.alpn ? this.servable(options.alpn) : this.alpn;
    const auth = options.clientAuth ? { ...this.bind.clientAuth, ...options.clientAuth } : this.bind.clientAuth;
    const client = this.clientAuth(auth, watched);
    const make = (served: LoadedCertificate): TlsEntry => ({ cert: served, server: this.server(served, versions, ciphers, alpn, client), alpn });
    return { file, filters, make, entry: make(cert), options, auth, ...(list ? { list } : {}) };
  }

  /**
   * The CA and CRL files this bind's entries name (runtime-cafiles.ts), by their key in the CA file
   * tree, each with how many entries verify clients against it (HAProxy links only those).
   */
  trustFiles(): Array<{ path: string; kind: 'ca' | 'crl'; instances: number }> {
    const files = new Map<string, { path: string; kind: 'ca' | 'crl'; instances: number }>();
    for (const s of this.slots) {
      for (const f of this.trustOf(s.auth)) {
        const known = files.get(f.path) ?? files.set(f.path, { path: f.path, kind: f.kind, instances: 0 }).get(f.path)!;
        if (verifies(s.auth)) known.instances++;
      }
    }
    return [...files.values()];
  }

  /**
   * `commit ssl ca-file` / `crl-file`: builds again the entries that verify clients against `path`
   * (their trust read anew, the committed contents included) and returns what puts them in service
   * with their number; nothing changes before. Handshakes under way finish with the old trust.
   */
  prepareTrust(path: string): { install: () => void; count: number } {
    let count = 0;
    const replaced = this.guard(() => this.slots.map((s) => {
      if (!verifies(s.auth) || !this.trustOf(s.auth).some((f) => f.path === path)) return s;
      count++;
      return this.slot(s.file, s.options, s.filters, s.list, this.watched);
    }));
    return { install: () => this.install(replaced), count };
  }

  private trustOf(auth: ClientAuth | undefined): Array<{ path: string; kind: 'ca' | 'crl' }> {
    if (!auth) return [];
    const caBase = this.config.global.caBase;
    const out: Array<{ path: string; kind: 'ca' | 'crl' }> = [];
    for (const file of [auth.caFile, auth.caVerifyFile]) if (file !== undefined) out.push({ path: trustFileKey(file, caBase), kind: 'ca' });
    if (auth.crlFile !== undefined) out.push({ path: trustFileKey(auth.crlFile, caBase), kind: 'crl' });
    return out;
  }

  /**
   * `del ssl crt-list`: what takes the entry of `file` at `line` (0: a directory's) of a list out of
   * service, or a refusal when it is this bind's default certificate (HAProxy's is_default) or its last.
   */
  prepareRemoved(listPath: string, file: string, line: number): (() => void) | { refused: 'default' | 'last' } {
    const index = this.slots.findIndex((s) => s.list?.path === listPath && s.file === file && s.list.line === line);
    if (index < 0) return () => {};
    if (index === 0 && !this.bind.strictSni) return { refused: 'default' };
    if (this.slots.length === 1) return { refused: 'last' };
    const kept = this.slots.filter((_s, i) => i !== index);
    return () => this.install(kept);
  }

  /** The crt-lists and `crt` directories of this bind, with their entries in order (`show ssl crt-list`). */
  crtLists(): Map<string, { dir: boolean; bundleLines?: number; entries: Array<{ file: string; line: number; bracketed: boolean; options: CrtListOptions; filters: readonly string[] }> }> {
    const lists = new Map<string, { dir: boolean; bundleLines?: number; entries: Array<{ file: string; line: number; bracketed: boolean; options: CrtListOptions; filters: readonly string[] }> }>();
    for (const s of this.slots) {
      if (!s.list) continue;
      let list = lists.get(s.list.path);
      if (!list) lists.set(s.list.path, (list = { dir: s.list.dir, entries: [], ...(!s.list.dir && this.bundleLines > 0 ? { bundleLines: this.bundleLines } : {}) }));
      list.entries.push({ file: s.file, line: s.list.line, bracketed: s.list.bracketed, options: s.list.options, filters: s.filters });
    }
    return lists;
  }

  /**
   * `add ssl crt-list`: builds the entry of a certificate added to one of this bind's crt-lists or
   * directories and returns what puts it in service (nothing changes before). Throws when unusable.
   */
  prepareAdded(listPath: string, added: { file: string; line: number; bracketed: boolean; options: CrtListOptions; filters: readonly string[] }, dir: boolean): () => void {
    const slot = this.guard(() => this.slot(added.file, added.options, added.filters, { path: listPath, dir, line: added.line, bracketed: added.bracketed, options: added.options }, this.watched));
    return () => this.install([...this.slots, slot]);
  }

  /** Serves these entries from now on: the SNI table is built again over them. */
  private install(slots: Slot[]): void {
    this.slots = slots;
    this.entries = slots.map((s) => s.entry);
    const candidates = slots.map((s) => ({ value: s.entry, filters: s.filters.length > 0 ? s.filters : s.entry.cert.names, sig: keySignature(s.entry.cert.leaf.publicKey.asymmetricKeyType) }));
    this.table = new SniTable(candidates, this.entries[0]!);
  }

  /** What loading the certificates warned about, as HAProxy warns: an `.ocsp` response left out. */
  loadWarnings(): string[] {
    const warnings = new Set<string>();
    for (const s of this.slots) if (s.entry.cert.ocspWarning) warnings.add(`certificate '${s.file}': ${s.entry.cert.ocspWarning}`);
    return [...warnings];
  }

  /** The certificate files this bind serves, one per entry (runtime-certs.ts). */
  certificateFiles(): string[] {
    return this.slots.map((s) => s.file);
  }

  /** Every certificate this bind serves, one per entry. */
  servedCertificates(): LoadedCertificate[] {
    return this.slots.map((s) => s.entry.cert);
  }

  /** The certificate served for a file, if this bind serves it. */
  servedCertificate(file: string): LoadedCertificate | undefined {
    return this.slots.find((s) => s.file === file)?.entry.cert;
  }

  /**
   * `commit ssl cert`: builds the TLS servers of the entries of `file` over `cert` (with each
   * entry's own versions, ciphers, ALPN and client-certificate request) and returns what puts them
   * in service; nothing changes before. Handshakes under way finish with the old certificate.
   */
  prepareCertificate(file: string, cert: LoadedCertificate): () => void {
    const replaced = this.guard(() => this.slots.map((s) => (s.file === file ? { ...s, entry: s.make(cert) } : s)));
    return () => this.install(replaced);
  }

  /**
   * ssl_sock_load_ca(): the CA of `ca-sign-file`, over the default (first) certificate's key. A
   * generated certificate is served with the bind's own versions, ciphers, ALPN and client
   * certificate request (HAProxy switches only the certificate of the connection).
   */
  private certGenerator(defaultCert: LoadedCertificate, watched: Map<string, number>): CertGenerator<TlsEntry> {
    const file = this.bind.caSignFile!;
    const { loc } = this.bind;
    let ca;
    try {
      ca = loadSigningCa(file, this.config.global.certKeyFiles);
    } catch (e) {
      throw new TlsLoadError(loc, `Proxy '${this.proxyName}': Failed to read CA certificate file '${file}' at [${loc.file}:${loc.line}]. Chain loading failed: ${(e as Error).message}`);
    }
    for (const [f, m] of ca.mtimes) watched.set(f, m);
    const auth = this.clientAuth(this.bind.clientAuth, watched);
    const tune = this.config.global.tune[SSL_CTX_CACHE_SIZE];
    const cacheSize = tune === undefined ? DEFAULT_SSL_CTX_CACHE_SIZE : Number(tune);
    return new CertGenerator<TlsEntry>(ca, defaultCert.keyPem, cacheSize, (made) => {
      const cert: LoadedCertificate = { file, certPem: made.certPem, keyPem: made.keyPem, leaf: made.leaf, names: [made.name], mtimes: new Map() };
      return { cert, server: this.server(cert, this.versions, this.ciphers, this.alpn, auth), alpn: this.alpn };
    });
  }

  private loadOne(file: string): LoadedCertificate {
    // A certificate committed over the runtime API is served while its file is unchanged on disk.
    return this.committed?.committedFor(file) ?? this.guard(() => loadCertificate(file, this.config.global.certKeyFiles));
  }

  /**
   * The certificate request of an entry: undefined with `verify none` (HAProxy's default, even with a
   * `ca-file`), else who judges the client and the CAs and CRLs Node verifies it against.
   */
  private clientAuth(auth: ClientAuth | undefined, watched: Map<string, number>): EntryClientAuth | undefined {
    if (!auth) return undefined;
    if (verifies(auth) && !auth.caFile && !auth.caVerifyFile) {
      throw new TlsLoadError(this.bind.loc, `verify is enabled but no CA file specified for bind.`);
    }
    // HAProxy loads the CA and CRL files while parsing, whatever `verify` says: an unusable one is an error either way.
    const trust = this.guard(() => loadClientTrust(auth, this.config.global.caBase, watched, this.committed?.committedTrust));
    if (!verifies(auth)) return undefined;
    const judged: ClientAuth = { ...auth, caIgnoreErr: this.bind.clientAuth?.caIgnoreErr, crtIgnoreErr: this.bind.clientAuth?.crtIgnoreErr };
    // Node then also closes a client whose certificate fails, before this bind can judge it: only
    // without errors to ignore, where every failure refuses the client anyway.
    const rejectMissing = auth.verify === 'required' && !judged.caIgnoreErr && !judged.crtIgnoreErr;
    return { auth: judged, rejectMissing, ...trust };
  }

  private server(cert: LoadedCertificate, versions: VersionRange, ciphers: string, alpn: readonly string[] | undefined, client?: EntryClientAuth): tls.Server {
    const server = this.guard(() => tls.createServer({
      key: cert.keyPem,
      cert: cert.certPem,
      minVersion: versions.min,
      maxVersion: versions.max,
      ciphers,
      // HAProxy's context options: the server's cipher order (Node's default too), except that a
      // client preferring ChaCha20 gets it (SSL_OP_PRIORITIZE_CHACHA), in TLS 1.2 and 1.3 alike; and
      // no renegotiation (SSL_OP_NO_RENEGOTIATION, CVE-2009-3555): a TLS 1.2 client asking for one
      // gets the no_renegotiation alert. Node's own limit let each connection renegotiate three
      // times (a full handshake's CPU each) before ending it with an error.
      secureOptions: cryptoConstants.SSL_OP_PRIORITIZE_CHACHA | cryptoConstants.SSL_OP_NO_RENEGOTIATION,
      // HAProxy's session ID context (SHCTX_APPNAME, "haproxy"): a session resumes only where the context is the
      // same. Node's default is a hash of the process's command line, so a ticket from a process
      // sharing the `tls-ticket-keys` file — HAProxy or Loadstar started otherwise — would never resume.
      sessionIdContext: 'haproxy',
      ...(alpn && alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {}),
      ...(this.handshakeTimeout > 0 ? { handshakeTimeout: this.handshakeTimeout } : {}),
      // `rejectUnauthorized` lets OpenSSL abort a handshake without a certificate, with the alert
      // HAProxy's sends (certificate_required, handshake_failure before TLS 1.3). A certificate
      // that fails verification never aborts it in Node (its verify callback accepts all): the
      // client is judged once the handshake is done and a refused one closed before anything is read.
      ...(client ? { requestCert: true, rejectUnauthorized: client.rejectMissing, ca: client.ca, ...(client.crl.length > 0 ? { crl: client.crl } : {}) } : {}),
    }, client ? (socket) => this.judged(socket, client.auth) : (socket) => this.established(socket)));
    // A failed handshake is closed and logged with HAProxy's reason (a wrong name, an old protocol,
    // plain HTTP, a port scan): the one refused over the client's certificate says so.
    server.on('tlsClientError', (error, socket) => {
      const code = (error as NodeJS.ErrnoException).code;
      const refusal = client ? refusalOfRejected(code, socket.authorizationError as unknown as string | null) : undefined;
      this.refused(rawSocketOf(socket), refusal ? refusalFailure(refusal) : handshakeFailureOf(error as NodeJS.ErrnoException));
      socket.destroy();
    });
    // Its handshake begins (the logs' %Th counts it, as HAProxy's).
    server.on('connection', handshakeBegins);
    // Node may close a failed client before this bind hears of it: its addresses are read (and kept by
    // the socket) now, for the log line — only when the frontend writes one.
    server.on('connection', (raw: net.Socket) => { if (this.logsFailures) keepAddresses(raw); });
    renewTicketsOnResumption(server, this.ticketKeys);
    // ssl_sock_ocsp_stapling_cbk: the certificate's OCSP response (as `set ssl ocsp-response` may
    // have replaced it), to a client that asks, while fresh. Only certificates with an `.ocsp` file listen.
    if (cert.ocspCertId) {
      server.on('OCSPRequest', (_cert, _issuer, done) => {
        const staple = cert.ocsp;
        done(null, staple && Date.now() < staple.expiresAt ? staple.response : null);
      });
    }
    return server;
  }

  private judged(socket: tls.TLSSocket, auth: ClientAuth): void {
    const verdict = judgeClient(socket, auth);
    if (verdict.refusal) {
      this.refused(socket, refusalFailure(verdict.refusal));
      return void socket.destroy();
    }
    rememberClientVerdict(socket, verdict);
    this.established(socket);
  }

  private established(socket: tls.TLSSocket): void {
    // The listener closed half-open connections during the handshake only (listener.ts).
    socket.allowHalfOpen = true;
    this.succeeded?.(socket);
    this.secured(socket);
  }

  private checkedRange(range: VersionRange | string): VersionRange {
    if (typeof range === 'string') throw new TlsLoadError(this.bind.loc, range);
    return range;
  }

  /** Never advertise what the HTTP engine cannot speak (reducedFeatureWarnings tells the user). */
  private servable(protocols: readonly string[]): string[] {
    return this.mode === 'tcp' ? [...protocols] : protocols.filter((p) => HTTP_ALPN.has(p));
  }

  /** Runs a loader, turning its error into one that names the bind line. */
  private guard<T>(load: () => T): T {
    try {
      return load();
    } catch (e) {
      if (e instanceof TlsLoadError) throw e;
      const message = e instanceof CrtListError ? e.message : (e as Error).message;
      throw new TlsLoadError(this.bind.loc, message);
    }
  }
}

/**
 * Without `ciphers`, HAProxy 2.6 (Debian) leaves OpenSSL's default list, `DEFAULT`: with the server's
 * order, TLS 1.2 clients get ECDHE-*-AES256-GCM-SHA384 (Node's own default list puts AES-128 first).
 * Without `ciphersuites`, both keep OpenSSL's TLS 1.3 suites (AES-256-GCM first).
 */
const OPENSSL_DEFAULT_CIPHERS = 'DEFAULT';

/** HAProxy keeps TLS 1.3 suites (`ciphersuites`) apart from older ciphers; Node takes one list, suites first. */
function joinCiphers(suites: string | undefined, ciphers: string | undefined): string {
  const parts = [suites, ciphers || OPENSSL_DEFAULT_CIPHERS].filter((p): p is string => p !== undefined && p !== '');
  return parts.join(':');
}

/**
 * The line number crtlist_parse_file gives the `index`th member of a bundle named on line `line`
 * (counted with the members of the bundles before): the first keeps it, each other one takes the
 * counter after two more increments (one per member found, one per duplicated entry).
 */
function crtListMemberLine(line: number, index: number): number {
  return index === 0 ? line : line + 2 * index + 1;
}

function isDirectory(target: string): boolean {
  try {
    return fs.statSync(target).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a connection's addresses while it is open: Node forgets them once the socket is closed. */
function keepAddresses(raw: net.Socket): void {
  void raw.remoteAddress;
  void raw.localAddress;
}

function snapshot(watched: ReadonlyMap<string, number>): Map<string, number> {
  const next = new Map<string, number>();
  for (const file of watched.keys()) {
    try {
      next.set(file, fs.statSync(file).mtimeMs);
    } catch {
      next.set(file, -1);
    }
  }
  return next;
}

/** Whether an entry asks clients for a certificate and verifies it (`verify optional` or `required`). */
function verifies(auth: ClientAuth | undefined): boolean {
  return auth?.verify === 'optional' || auth?.verify === 'required';
}
