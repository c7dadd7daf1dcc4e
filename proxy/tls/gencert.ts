/**
 * `bind … ssl generate-certificates ca-sign-file FILE`: a ClientHello naming a host no loaded
 * certificate matches gets a certificate made for that name, as HAProxy 2.6's
 * ssl_sock_do_create_cert() makes it (recorded from haproxy 2.6.12 on Debian):
 * - the default certificate's key (no key is generated: only the signature is new);
 * - subject: the CA's subject with `CN=<name>` appended (the CA's own CN stays first);
 *   issuer: the CA's subject; the name lowercased (HAProxy's ClientHello callback does);
 * - serial: the load time in ms modulo 2^32, plus one per certificate made;
 * - valid from a day before it is made until 365 days after (not the CA's dates);
 * - extensions, in order: basicConstraints CA:FALSE, nsComment "OpenSSL Generated Certificate"
 *   (quotes included), subjectKeyIdentifier, authorityKeyIdentifier (the CA's key id, and the
 *   CA's issuer and serial), keyUsage nonRepudiation+digitalSignature+keyEncipherment,
 *   subjectAltName DNS:<name>; none critical;
 * - signed SHA-256 by an RSA or EC CA (SHA-1 by a DSA one, the key's own scheme for Ed25519/Ed448);
 * - served with the CA certificate (and the chain of its file) after it.
 * Certificates are kept in an LRU of `tune.ssl.ssl-ctx-cache-size` names (0: none kept).
 * The ASN.1 is encoded with node-forge and signed with Node's crypto (proxy/certs/x509.ts).
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import forge from 'node-forge';
import { readPemBlocks } from '../certs/pem.ts';
import type { PemBlock } from '../certs/pem.ts';
import { CertError } from '../errors.ts';
import { spkiDer } from '../certs/keys.ts';
import { bin, bitString, buf, der, extension, keyIdentifier, octets, oid, parse, seq, subjectKeyIdentifierOf, time, toPem } from '../certs/x509.ts';
import type { CertKeyFiles } from '../config/model.ts';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

const DAY_S = 86_400;

/** The CA of `ca-sign-file`: its certificate, key and the rest of the file's chain. */
export interface SigningCa {
  file: string;
  certificate: crypto.X509Certificate;
  key: crypto.KeyObject;
  /** The CA certificate then its chain, as PEM: served after each generated certificate. */
  chainPem: string;
  mtimes: Map<string, number>;
}

/**
 * Reads `ca-sign-file` as HAProxy's ssl_sock_load_files_into_ckch() does: the certificate, the
 * key in the same file or else in `FILE.key`; throws an Error with HAProxy's reason.
 */
export function loadSigningCa(file: string, keyFiles: CertKeyFiles): SigningCa {
  const mtimes = new Map<string, number>();
  const blocks = readBlocks(file, mtimes);
  if (blocks === undefined) throw new Error(`cannot open the file '${file}'.`);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  let certificate: crypto.X509Certificate;
  try {
    certificate = new crypto.X509Certificate(certs[0]!.der);
  } catch {
    throw new Error(`unable to load certificate from file '${file}'.`);
  }
  let key = privateKey(blocks);
  // An encrypted key reads as none (HAProxy 2.6 never uses `ca-sign-pass`), and FILE.key is tried.
  const encrypted = key === undefined && blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY' || b.headers['Proc-Type']?.includes('ENCRYPTED'));
  const hint = encrypted ? ` (the key in '${file}' is encrypted: HAProxy 2.6 and Loadstar ignore 'ca-sign-pass', store the key unencrypted, mode 0600)` : '';
  if (key === undefined) {
    if (!keyFiles.companionKey) throw new Error(`No Private Key found in '${file}'.${hint}`);
    const companion = `${file}.key`;
    if (fs.existsSync(companion)) {
      const companionBlocks = readBlocks(companion, mtimes);
      key = companionBlocks && privateKey(companionBlocks);
      if (key === undefined) throw new Error(` '${companion}' is present but cannot be read or parsed'.`);
    }
    if (key === undefined) throw new Error(`No Private Key found in '${companion}'.${hint}`);
  }
  if (!certificate.checkPrivateKey(key)) throw new Error(`inconsistencies between private key and certificate loaded '${file}'.`);
  if (signatureAlgorithm(key) === undefined) throw new Error(`the CA key of '${file}' (${key.asymmetricKeyType}) cannot sign certificates here: use an RSA or EC key.`);
  const chainPem = certs.map((b) => b.text.trimEnd()).join('\n') + '\n';
  return { file, certificate, key, chainPem, mtimes };
}

function readBlocks(file: string, mtimes: Map<string, number>): PemBlock[] | undefined {
  let text: string;
  try {
    mtimes.set(file, fs.statSync(file).mtimeMs);
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  try {
    return readPemBlocks({ label: file, data: text });
  } catch (e) {
    if (e instanceof CertError) return [];
    throw e;
  }
}

/** The first usable private key of a file (an encrypted one is not). */
function privateKey(blocks: readonly PemBlock[]): crypto.KeyObject | undefined {
  for (const block of blocks) {
    if (!block.label.endsWith('PRIVATE KEY') || block.label === 'ENCRYPTED PRIVATE KEY' || block.headers['Proc-Type']?.includes('ENCRYPTED')) continue;
    try {
      return crypto.createPrivateKey(block.text);
    } catch {
      // OpenSSL's PEM_read_bio_PrivateKey skips it the same.
    }
  }
  return undefined;
}

/** The signature scheme HAProxy picks for the CA key: SHA-256 for RSA and EC, SHA-1 for DSA, the key's own for EdDSA. */
function signatureAlgorithm(key: crypto.KeyObject): { digest: string | null; algorithm: Asn1 } | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa': return { digest: 'sha256', algorithm: seq(oid('1.2.840.113549.1.1.11'), asn1.create(U, T.NULL, false, '')) };
    case 'ec': return { digest: 'sha256', algorithm: seq(oid('1.2.840.10045.4.3.2')) };
    case 'dsa': return { digest: 'sha1', algorithm: seq(oid('1.2.840.10040.4.3')) };
    case 'ed25519': return { digest: null, algorithm: seq(oid('1.3.101.112')) };
    case 'ed448': return { digest: null, algorithm: seq(oid('1.3.101.113')) };
    default: return undefined;
  }
}

/** A positive INTEGER's content octets (minimal, with a zero byte when the high bit is set). */
function integerBytes(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return Buffer.from(hex, 'hex').toString('binary');
}

/** Field `index` of a certificate's TBSCertificate, counting as in v3 (version = 0) even for a v1 one. */
function tbsField(certificate: Uint8Array, index: number): Asn1 {
  const fields = (parse(certificate).value[0] as Asn1).value as Asn1[];
  const hasVersion = fields[0]!.tagClass === CTX && fields[0]!.type === 0;
  return fields[hasVersion ? index : index - 1]!;
}

/** What a generated certificate is made of, apart from the name, serial and dates. */
interface Template {
  ca: SigningCa;
  signature: { digest: string | null; algorithm: Asn1 };
  /** The CA's subject, DER: the issuer of every generated certificate and the start of its subject. */
  caSubject: Asn1;
  spki: Buffer;
  extensionsBeforeSan: Asn1[];
}

function template(ca: SigningCa, defaultKeyPem: string): Template {
  const raw = ca.certificate.raw;
  const spki = spkiDer(crypto.createPublicKey(defaultKeyPem));
  const caKeyId = subjectKeyIdentifierOf(raw);
  // authorityKeyIdentifier "keyid,issuer:always": the CA's key id, and always the CA's issuer name and serial.
  const authority = seq(
    ...(caKeyId ? [asn1.create(CTX, 0, false, bin(caKeyId))] : []),
    asn1.create(CTX, 1, true, [asn1.create(CTX, 4, true, [tbsField(raw, 3)])]),
    asn1.create(CTX, 2, false, tbsField(raw, 1).value as string),
  );
  const byte = 0x80 | 0x40 | 0x20; // digitalSignature, nonRepudiation, keyEncipherment
  return {
    ca,
    signature: signatureAlgorithm(ca.key)!,
    caSubject: tbsField(raw, 5),
    spki,
    extensionsBeforeSan: [
      extension('2.5.29.19', false, seq()),
      extension('2.16.840.1.113730.1.13', false, asn1.create(U, T.IA5STRING, false, '"OpenSSL Generated Certificate"')),
      extension('2.5.29.14', false, octets(bin(keyIdentifier(spki)))),
      extension('2.5.29.35', false, authority),
      extension('2.5.29.15', false, bitString(String.fromCharCode(byte), 5)),
    ],
  };
}

/** The DER certificate for `name` (lowercase), with `serial`, made at `now`. */
function buildGenerated(t: Template, name: string, serial: bigint, now: Date): Buffer {
  const seconds = Math.floor(now.getTime() / 1000);
  const nameBytes = forge.util.encodeUtf8(name);
  const subject = seq(
    ...(t.caSubject.value as Asn1[]),
    asn1.create(U, T.SET, true, [seq(oid('2.5.4.3'), asn1.create(U, T.UTF8, false, nameBytes))]),
  );
  const tbs = seq(
    asn1.create(CTX, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]),
    asn1.create(U, T.INTEGER, false, integerBytes(serial)),
    t.signature.algorithm,
    t.caSubject,
    seq(time(new Date((seconds - DAY_S) * 1000)), time(new Date((seconds + 365 * DAY_S) * 1000))),
    subject,
    parse(t.spki),
    asn1.create(CTX, 3, true, [seq(
      ...t.extensionsBeforeSan,
      extension('2.5.29.17', false, seq(asn1.create(CTX, 2, false, nameBytes))),
    )]),
  );
  const tbsDer = buf(der(tbs));
  const signature = crypto.sign(t.signature.digest, tbsDer, t.ca.key);
  return buf(der(seq(tbs, t.signature.algorithm, bitString(bin(signature)))));
}

/** What a generated certificate is served as: the leaf then the CA chain, with the default key. */
export interface GeneratedCertificate {
  name: string;
  certPem: string;
  keyPem: string;
  leaf: crypto.X509Certificate;
}

/**
 * Makes and keeps the certificates of one bind. `serve` turns a certificate into what the bind
 * hands connections to (its TLS server); that is what the LRU keeps.
 */
export class CertGenerator<E> {
  private readonly template: Template;
  private readonly cache = new Map<string, E>();
  private serial: bigint;

  constructor(ca: SigningCa, private readonly defaultKeyPem: string, private readonly cacheSize: number,
    private readonly serve: (cert: GeneratedCertificate) => E, now = new Date()) {
    this.template = template(ca, defaultKeyPem);
    // ssl_sock_load_ca(): ssl_ctx_serial = now_ms, the clock in ms truncated to 32 bits.
    this.serial = BigInt(now.getTime() % 2 ** 32);
  }

  /** The entry for a name no certificate matches (case-insensitive), made now unless kept. */
  entry(servername: string): E {
    const name = servername.toLowerCase();
    const kept = this.cache.get(name);
    if (kept !== undefined) {
      // Most recently used last: the first key is the one to drop.
      this.cache.delete(name);
      this.cache.set(name, kept);
      return kept;
    }
    const der = buildGenerated(this.template, name, ++this.serial, new Date());
    const made = this.serve({ name, certPem: toPem('CERTIFICATE', der) + this.template.ca.chainPem, keyPem: this.defaultKeyPem, leaf: new crypto.X509Certificate(der) });
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(name, made);
    }
    return made;
  }

  /** How many certificates are kept. */
  get size(): number {
    return this.cache.size;
  }
}
