/**
 * The certificate store on disk:
 *   <data>/ca/ca.pem, ca.key      the local CA (directory 0700, key 0600)
 *   <data>/certs/<name>.pem       one site: certificate, chain, key — the
 *                                 combined PEM HAProxy's `crt` reads (0600)
 * Every write is atomic; reads report problems as CertErrors with the path.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertError } from '../errors.ts';
import { ensurePrivateDir, writeFileAtomic } from './atomic-write.ts';
import { assembleBundle, inspectBundle } from './bundle.ts';
import { resolveDataDir } from './data-dir.ts';
import type { DataDirOptions } from './data-dir.ts';
import { certFacts, isIssuedBy } from './inspect.ts';
import { mintCa, mintClientLeaf, mintLeaf } from './issue.ts';
import { toPkcs12 } from './pkcs12.ts';
import { appendClientRecord, listTrust, readClientRecords, readTrustPem, saveTrust, trustInfo } from './client-trust.ts';
import type { CaMaterial } from './issue.ts';
import { privateKeyPem } from './keys.ts';
import { checkCertName } from './names.ts';
import { readPemBlocks } from './pem.ts';
import { toPem } from './x509.ts';
import type {
  CaInfo, CaInitRequest, CertInfo, CertInspection, CertListing, CertWarning, ClientCertRecord, ClientIssueRequest, ImportRequest, IssueRequest, IssuedClientCert, TrustInfo,
} from './types.ts';

export interface StoredCert {
  info: CertInfo;
  warnings: CertWarning[];
}

/** The PEM pieces of one stored site, for a TLS listener. */
export interface SitePem {
  certificate: string;
  chain: string[];
  key: string;
}

export class CertStore {
  readonly dataDir: string;

  constructor(options: DataDirOptions = {}) {
    this.dataDir = resolveDataDir(options);
  }

  get caDir(): string { return path.join(this.dataDir, 'ca'); }
  get certsDir(): string { return path.join(this.dataDir, 'certs'); }
  get caCertPath(): string { return path.join(this.caDir, 'ca.pem'); }
  get caKeyPath(): string { return path.join(this.caDir, 'ca.key'); }
  /** CA files imported to check client certificates against. */
  get trustDir(): string { return path.join(this.dataDir, 'trust'); }
  /** The client certificates the local CA issued (holders, serials, expiry; no keys). */
  get clientsPath(): string { return path.join(this.caDir, 'clients.json'); }

  /**
   * Path of the combined PEM for `name` (checked: it becomes a file name). A bundle member's name
   * (`site.pem.rsa`) is its file's: HAProxy's `crt site.pem` loads `site.pem.rsa`, `site.pem.ecdsa`…
   * as certificates of their own, and lists them so (`show ssl cert`).
   */
  pathOf(name: string): string {
    const checked = checkCertName(name);
    return path.join(this.certsDir, BUNDLE_MEMBER.test(checked) ? checked : `${checked}.pem`);
  }

  /** The local CA, or null when none was created. */
  caStatus(): CaInfo | null {
    const ca = this.loadCa();
    if (!ca) return null;
    const facts = certFacts(ca.certificate);
    return { subject: facts.subject, notBefore: facts.notBefore, notAfter: facts.notAfter, daysLeft: facts.daysLeft, fingerprint256: facts.fingerprint256, key: facts.key, certPath: this.caCertPath };
  }

  async initCa(request: CaInitRequest = {}): Promise<CaInfo> {
    if (!request.force && fs.existsSync(this.caCertPath)) {
      throw new CertError('LS_ERR_CERT_CA_EXISTS', `a local CA already exists in ${this.caDir}; replacing it (--force) makes every certificate it issued untrusted`);
    }
    const minted = await mintCa(request);
    this.write(() => {
      ensurePrivateDir(this.caDir);
      // Key first: a crash between the two writes leaves a pair loadCa() reports as mismatched, never a usable-looking half.
      writeFileAtomic(this.caKeyPath, privateKeyPem(minted.key), 0o600);
      writeFileAtomic(this.caCertPath, toPem('CERTIFICATE', minted.certificate), 0o644);
    }, this.caDir);
    return this.caStatus()!;
  }

  /** The CA certificate to install in trust stores: PEM text, or DER bytes (Windows, Android, iOS like `.crt`/`.cer` in DER). */
  exportCa(format: 'pem'): string;
  exportCa(format: 'der'): Buffer;
  exportCa(format: 'pem' | 'der'): string | Buffer {
    const ca = this.loadCa();
    if (!ca) throw new CertError('LS_ERR_CERT_CA_MISSING', "no local CA yet: create one with 'loadstar cert ca init'");
    return format === 'der' ? ca.certificate.raw : toPem('CERTIFICATE', ca.certificate.raw);
  }

  /** Issues a leaf for DNS names / IPs from the local CA (or self-signed) and stores it under `name`. */
  async issue(request: IssueRequest): Promise<CertInfo> {
    const file = this.pathOf(request.name);
    const ca = request.selfSigned ? undefined : this.loadCa();
    const minted = await mintLeaf(request, ca);
    this.saveSite(file, toPem('CERTIFICATE', minted.certificate), [], privateKeyPem(minted.key));
    return this.describe(request.name);
  }

  /**
   * Issues a client certificate from the local CA for its holder, as PEM and as PKCS#12. Its key is
   * not stored (a bind trusts every certificate the CA signs: `ca-file` the CA, `verify required`);
   * the CA's list of issued client certificates records the holder, serial and expiry.
   */
  async issueClient(request: ClientIssueRequest): Promise<IssuedClientCert> {
    const ca = this.loadCa();
    if (!ca) throw new CertError('LS_ERR_CERT_CA_MISSING', "no local CA yet: create one with 'loadstar cert ca init'");
    const minted = await mintClientLeaf(request, ca);
    const cert = new crypto.X509Certificate(minted.certificate);
    const commonName = request.commonName.trim();
    const issued = {
      commonName,
      serialHex: cert.serialNumber,
      notAfter: cert.validTo,
      pem: toPem('CERTIFICATE', minted.certificate) + privateKeyPem(minted.key),
      pkcs12: toPkcs12(minted.certificate, minted.key, [ca.certificate.raw], request.password ?? '', commonName),
    };
    const email = request.email?.trim();
    this.write(() => appendClientRecord(this.clientsPath, {
      commonName, ...(email ? { email } : {}), serialHex: issued.serialHex, notAfter: issued.notAfter, issuedAt: new Date().toISOString(),
    }), this.clientsPath);
    return issued;
  }

  /** The client certificates the local CA issued, oldest first. */
  clientRecords(): ClientCertRecord[] {
    return readClientRecords(this.clientsPath);
  }

  /** Stores a CA certificate (PEM, no key) to check client certificates against, as `<data>/trust/<name>.pem`. */
  importTrust(name: string, pem: string): TrustInfo {
    const file = path.join(this.trustDir, `${checkCertName(name)}.pem`);
    const { text, certificates } = readTrustPem('the CA certificate', pem);
    this.write(() => saveTrust(this.trustDir, file, text), file);
    return trustInfo(name, file, certificates);
  }

  /** The stored CA files for client certificates. */
  listTrust(): TrustInfo[] {
    return listTrust(this.trustDir);
  }

  /** Validates PEM input (any order, one or several pieces) and stores it as `name`. */
  import(request: ImportRequest): StoredCert {
    const file = this.pathOf(request.name);
    const bundle = assembleBundle(request.sources, { passphrase: request.passphrase });
    const pem = (c: crypto.X509Certificate) => toPem('CERTIFICATE', c.raw);
    this.saveSite(file, pem(bundle.leaf), bundle.chain.map(pem), privateKeyPem(bundle.key));
    return { info: this.describe(request.name), warnings: bundle.warnings };
  }

  /** What import() would store from these sources, and why it would refuse them; stores nothing. */
  inspect(request: Omit<ImportRequest, 'name'>): CertInspection {
    return inspectBundle(request.sources, { passphrase: request.passphrase });
  }

  list(): CertListing {
    const listing: CertListing = { certs: [], unreadable: [] };
    let entries: string[];
    try {
      entries = fs.readdirSync(this.certsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return listing;
      throw storeError(`cannot read ${this.certsDir}`, e);
    }
    for (const entry of entries.sort()) {
      // Dot files are the atomic writer's temporaries.
      const member = BUNDLE_MEMBER.test(entry);
      if ((!entry.endsWith('.pem') && !member) || entry.startsWith('.')) continue;
      const name = member ? entry : entry.slice(0, -4);
      try {
        listing.certs.push(this.describe(name));
      } catch (e) {
        listing.unreadable.push({ name, path: path.join(this.certsDir, entry), error: (e as Error).message });
      }
    }
    return listing;
  }

  /** Facts about one stored site. */
  describe(name: string): CertInfo {
    const file = this.pathOf(name);
    const site = this.readSite(name);
    let leaf: crypto.X509Certificate;
    try {
      leaf = new crypto.X509Certificate(site.certificate);
    } catch (e) {
      throw new CertError('LS_ERR_CERT_STORE', `${file}: the first certificate is damaged (${(e as Error).message})`, { cause: e });
    }
    const ca = this.loadCa();
    return { name, path: file, ...certFacts(leaf), localCa: ca ? isIssuedBy(leaf, ca.certificate) : false, chainLength: site.chain.length };
  }

  /** The certificate, chain and key PEM texts of a stored site. */
  readSite(name: string): SitePem {
    const file = this.pathOf(name);
    const blocks = readPemBlocks({ label: file, data: this.read(file, name) });
    const certs = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.text);
    // A bundle member's key may be in its companion `<member>.key`, where HAProxy looks for it.
    const companion = `${file}.key`;
    const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'))
      ?? (BUNDLE_MEMBER.test(file) && fs.existsSync(companion) ? readPemBlocks({ label: companion, data: this.read(companion, name) }).find((b) => b.label.endsWith('PRIVATE KEY')) : undefined);
    if (certs.length === 0) throw new CertError('LS_ERR_CERT_NO_CERTIFICATE', `${file} holds no certificate`);
    if (!key) throw new CertError('LS_ERR_CERT_NO_KEY', `${file} holds no private key`);
    return { certificate: certs[0]!, chain: certs.slice(1), key: key.text };
  }

  remove(name: string): void {
    const file = this.pathOf(name);
    try {
      fs.unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(name, file);
      throw storeError(`cannot remove ${file}`, e);
    }
  }

  /** The CA's certificate and key, checked to belong together; undefined when no CA exists. */
  loadCa(): CaMaterial | undefined {
    if (!fs.existsSync(this.caCertPath)) return undefined;
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw storeError(`cannot read ${file}`, e);
      }
    };
    try {
      const certificate = new crypto.X509Certificate(read(this.caCertPath));
      const key = crypto.createPrivateKey(read(this.caKeyPath));
      if (!certificate.checkPrivateKey(key)) throw new Error('ca.key does not belong to ca.pem');
      return { certificate, key };
    } catch (e) {
      if (e instanceof CertError) throw e;
      throw new CertError('LS_ERR_CERT_STORE', `the local CA in ${this.caDir} is damaged (${(e as Error).message}); create a new one with 'loadstar cert ca init --force'`, { cause: e });
    }
  }

  /** Certificate, then chain, then key: the order HAProxy's `crt` expects. */
  private saveSite(file: string, certificate: string, chain: string[], key: string): void {
    this.write(() => {
      ensurePrivateDir(this.certsDir);
      writeFileAtomic(file, certificate + chain.join('') + key, 0o600);
    }, file);
  }

  private write(action: () => void, where: string): void {
    try {
      action();
    } catch (e) {
      throw storeError(`cannot write ${where}`, e);
    }
  }

  private read(file: string, name: string): string {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(name, file);
      throw storeError(`cannot read ${file}`, e);
    }
  }
}

/** A multi-certificate bundle's member: `<name>.pem.dsa`, `.pem.ecdsa` or `.pem.rsa` (proxy/tls/pem.ts). */
const BUNDLE_MEMBER = /\.pem\.(?:dsa|ecdsa|rsa)$/;

function notFound(name: string, file: string): CertError {
  return new CertError('LS_ERR_CERT_NOT_FOUND', `no certificate named '${name}' (${file} does not exist)`);
}

function storeError(what: string, cause: unknown): CertError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CertError('LS_ERR_CERT_STORE', `${what}: ${reason}`, { cause });
}
