/**
 * Plain, serialisable data shapes of the certificate store. The control
 * contract re-exports them for the UI, so nothing here may import runtime code.
 */
import type { CertWarningCode } from '../errors.ts';

/** Key algorithms Loadstar generates: RSA of 2048/3072/4096 bits, or ECDSA on P-256. */
export type KeyType = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'ec256';

export const KEY_TYPES: readonly KeyType[] = ['rsa2048', 'rsa3072', 'rsa4096', 'ec256'];

/** What a certificate says about itself (proxy/certs/inspect.ts certFacts). */
export interface CertFacts {
  /** `CN=www.example, O=Example` */
  subject: string;
  issuer: string;
  /** `DNS:www.example`, `IP:127.0.0.1` … in certificate order. */
  sans: string[];
  /** ISO 8601 */
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter, negative once expired. */
  daysLeft: number;
  /** SHA-256 over the DER certificate, `AA:BB:…` as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint256: string;
  serial: string;
  /** `RSA 2048`, `EC P-256` */
  key: string;
  selfSigned: boolean;
}

/** What a stored (or about to be stored) certificate is, for `cert list` and the UI. */
export interface CertInfo extends CertFacts {
  /** Store name: `<data>/certs/<name>.pem`. */
  name: string;
  /** Absolute path of the combined PEM (certificate, chain, key), usable as HAProxy's `crt`. */
  path: string;
  /** Issued by this installation's local CA (signature checked against the CA's key). */
  localCa: boolean;
  /** Certificates stored after the leaf (intermediates, maybe the root). */
  chainLength: number;
  /** What the running engine serves for this file instead of it (a runtime API commit); set by the control contract's certList. */
  served?: CertFacts;
}

/** What an upload would become, before it is imported (CertStore.inspect): read, checked, nothing stored. */
export interface CertInspection {
  /** A store name taken from the certificate: its first DNS name, else its common name (`*.` becomes `wildcard.`); absent when no certificate could be read or its names make no store name. */
  suggestedName?: string;
  /** The certificate the key belongs to, else the first readable one; absent when none could be read. */
  leaf?: CertFacts;
  /** Certificates that would be stored after the leaf; 0 until the import would succeed. */
  chainLength: number;
  /** Why the import would be refused, as its error would say it; absent when it would succeed. */
  problem?: { code: string; message: string };
  /** What the import would warn about (expiring soon, no subjectAltName …). */
  warnings: CertWarning[];
}

export interface CaInfo {
  subject: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  fingerprint256: string;
  key: string;
  /** `<data>/ca/ca.pem` */
  certPath: string;
}

export interface CertWarning {
  code: CertWarningCode;
  message: string;
}

export interface CaInitRequest {
  /** Default ec256. */
  key?: KeyType;
  /** Default `Loadstar Local CA (<host name>)`. */
  commonName?: string;
  /** Replace an existing CA (certificates it issued stop being trusted). */
  force?: boolean;
  /** CA lifetime in days, default 3650. */
  days?: number;
}

export interface IssueRequest {
  name: string;
  /** DNS names; `*.example.org` wildcards allowed (one leftmost label). */
  dns?: string[];
  /** IPv4 or IPv6 addresses. */
  ip?: string[];
  /** Lifetime in days, 1..825 (Apple's limit for TLS server certificates); default 825. */
  days?: number;
  /** Default ec256. */
  key?: KeyType;
  /** Sign with the certificate's own key instead of the local CA. */
  selfSigned?: boolean;
}

/** A client certificate for a person or device, for binds with `verify optional|required` and `ca-file` the local CA. */
export interface ClientIssueRequest {
  /** The subject's CN: who holds the certificate ('alice', 'alice-phone'); what ssl_c_s_dn(CN) gives. */
  commonName: string;
  /** Optional e-mail address, as an rfc822Name SAN (some browsers show it when picking a certificate). */
  email?: string;
  /** Lifetime in days, 1..825; default 365. */
  days?: number;
  /** Default rsa2048: every browser and OS imports an RSA key from a PKCS#12 file. */
  key?: KeyType;
  /** Protects the PKCS#12 file (browsers and phones ask for it on import); default '' (none). */
  password?: string;
}

/** A minted client certificate, never stored: handed to its holder, the local CA keeps no copy. */
export interface IssuedClientCert {
  commonName: string;
  serialHex: string;
  notAfter: string;
  /** Certificate then private key (curl --cert, most CLI tools). */
  pem: string;
  /** PKCS#12 (.p12) with the certificate, its key and the local CA, for browsers and phones. */
  pkcs12: Buffer;
}

/** A client certificate the local CA issued, as recorded (its key is not: only the holder has it). */
export interface ClientCertRecord {
  commonName: string;
  email?: string;
  /** Hex, as `openssl x509 -serial` prints it. */
  serialHex: string;
  /** As the certificate says it (`Dec  4 01:00:00 2027 GMT`). */
  notAfter: string;
  /** ISO 8601 */
  issuedAt: string;
}

/** A stored CA file clients' certificates are checked against (a bind's `ca-file`): certificates, no key. */
export interface TrustInfo {
  /** Store name: `<data>/trust/<name>.pem`. */
  name: string;
  path: string;
  /** The subject of each certificate in the file, in order. */
  subjects: string[];
  /** The soonest expiry among them (ISO 8601), and its days left. */
  notAfter: string;
  daysLeft: number;
  /** Every certificate in it is a CA certificate (basicConstraints CA:TRUE). */
  ca: boolean;
}

/** One piece of PEM input: a file's bytes, or text the UI uploaded. */
export interface PemSource {
  /** Shown in error messages: a file path or `upload #1`. */
  label: string;
  data: string | Uint8Array;
}

export interface ImportRequest {
  name: string;
  sources: PemSource[];
  /** Decrypts an encrypted private key; the stored key is not encrypted (HAProxy reads it unattended). */
  passphrase?: string;
}

export interface CertListing {
  certs: CertInfo[];
  /** Files in the certificate directory that are not a readable certificate + key. */
  unreadable: Array<{ name: string; path: string; error: string }>;
}
