/**
 * The fields of an X.509 certificate as HAProxy's ssl_c_* / ssl_f_* fetches give them (ssl_sample.c,
 * ssl_utils.c): names entry by entry with their raw value bytes, the serial's bytes, validity dates
 * as written ('YYMMDDhhmmssZ'), OpenSSL's short names of the algorithms. The DER is read the first
 * time a field is asked for, never for a connection whose certificate no expression reads.
 */
import crypto from 'node:crypto';
import type { ClientCertInfo, DistinguishedName } from '../acl/context.ts';

export interface Tlv {
  tag: number;
  /** Offsets of the whole element and of its content in the DER. */
  start: number;
  content: number;
  end: number;
}

/** OpenSSL short names (OBJ_nid2sn) of the name attributes and algorithms certificates use. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title', '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode', '2.5.4.41': 'name', '2.5.4.42': 'GN', '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier', '2.5.4.46': 'dnQualifier', '2.5.4.65': 'pseudonym', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL', '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
  '1.2.840.113549.1.1.1': 'rsaEncryption', '1.2.840.113549.1.1.10': 'RSASSA-PSS', '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.3.101.112': 'ED25519', '1.3.101.113': 'ED448', '1.2.840.10040.4.1': 'DSA',
  '1.2.840.113549.1.1.5': 'RSA-SHA1', '1.2.840.113549.1.1.11': 'RSA-SHA256', '1.2.840.113549.1.1.12': 'RSA-SHA384',
  '1.2.840.113549.1.1.13': 'RSA-SHA512', '1.2.840.113549.1.1.14': 'RSA-SHA224', '1.2.840.113549.1.1.4': 'RSA-MD5',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1', '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224', '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384', '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
};

/** The parsed fields; each getter reads the DER once. */
export class CertFields implements ClientCertInfo {
  private parsed: ParsedCert | null | undefined;

  constructor(private readonly raw: () => Uint8Array | undefined) {}

  private get cert(): ParsedCert | null {
    if (this.parsed === undefined) {
      const der = this.raw();
      try {
        this.parsed = der ? parseCertificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength)) : null;
      } catch {
        this.parsed = null; // not DER Node accepted: give no sample rather than fail the stream
      }
    }
    return this.parsed;
  }

  get der(): Uint8Array | undefined { return this.cert?.der; }
  get subject(): DistinguishedName | undefined { return this.cert?.subject; }
  get issuer(): DistinguishedName | undefined { return this.cert?.issuer; }
  get serial(): Uint8Array | undefined { return this.cert?.serial; }
  get sha1(): Uint8Array | undefined { const d = this.cert?.der; return d ? crypto.createHash('sha1').update(d).digest() : undefined; }
  get notBefore(): string | undefined { return this.cert?.notBefore; }
  get notAfter(): string | undefined { return this.cert?.notAfter; }
  get version(): number | undefined { return this.cert?.version; }
  get sigAlg(): string | undefined { return this.cert?.sigAlg; }
  get keyAlg(): string | undefined { return this.cert?.keyAlg; }
}

interface ParsedCert {
  der: Buffer;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  serial: Buffer;
  notBefore: string | undefined;
  notAfter: string | undefined;
  version: number;
  sigAlg: string;
  keyAlg: string;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } (RFC 5280 §4.1). */
export function parseCertificate(der: Buffer): ParsedCert {
  const outer = tlv(der, 0);
  const tbs = tlv(der, outer.content);
  const fields = children(der, tbs);
  let i = 0;
  let version = 1;
  if (fields[0]!.tag === 0xa0) {
    const v = tlv(der, fields[0]!.content);
    version = (der[v.end - 1] ?? 0) + 1; // v1 = 0, v2 = 1, v3 = 2
    i = 1;
  }
  const serialTlv = fields[i]!;
  const validity = children(der, fields[i + 3]!);
  const spki = children(der, fields[i + 5]!);
  return {
    der,
    serial: integerBytes(der, serialTlv),
    sigAlg: algorithmName(der, fields[i + 1]!),
    issuer: distinguishedName(der, fields[i + 2]!),
    notBefore: asn1Time(der, validity[0]!),
    notAfter: asn1Time(der, validity[1]!),
    subject: distinguishedName(der, fields[i + 4]!),
    keyAlg: algorithmName(der, spki[0]!),
    version,
  };
}

export function tlv(der: Buffer, at: number): Tlv {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let content = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error('unsupported DER length');
    length = der.readUIntBE(content, bytes);
    content += bytes;
  }
  const end = content + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, start: at, content, end };
}

export function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.content; at < parent.end;) {
    const child = tlv(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** An INTEGER's magnitude as OpenSSL keeps it (ASN1_INTEGER data): DER's leading sign byte dropped. */
export function integerBytes(der: Buffer, t: Tlv): Buffer {
  let from = t.content;
  if (t.end - from > 1 && der[from] === 0 && (der[from + 1]! & 0x80) !== 0) from++;
  return der.subarray(from, t.end);
}

export function oidText(der: Buffer, t: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = t.content; i < t.end; i++) {
    value = value * 128 + (der[i]! & 0x7f);
    if ((der[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function algorithmName(der: Buffer, algorithm: Tlv): string {
  const oid = oidText(der, tlv(der, algorithm.content));
  return SHORT_NAMES[oid] ?? oid;
}

/** ssl_sock_get_time(): UTCTime as written, GeneralizedTime without its century ('20'); later dates give nothing. */
function asn1Time(der: Buffer, t: Tlv): string | undefined {
  const text = der.toString('latin1', t.content, t.end);
  if (t.tag === 0x18) return text.length >= 12 && text.startsWith('20') ? text.slice(2) : undefined;
  if (t.tag === 0x17) return text.length >= 10 && text.charCodeAt(0) < 0x35 ? text : undefined;
  return undefined;
}

interface NameEntry { name: string; value: string; oid: string; tag: number; valueDer: Buffer; rdn: number }

export function distinguishedName(der: Buffer, name: Tlv): DistinguishedName {
  const entries: NameEntry[] = [];
  children(der, name).forEach((rdn, index) => {
    for (const ava of children(der, rdn)) {
      const [type, value] = children(der, ava);
      const oid = oidText(der, type!);
      entries.push({
        oid, name: SHORT_NAMES[oid] ?? oid, tag: value!.tag, rdn: index,
        value: der.toString('latin1', value!.content, value!.end), valueDer: der.subarray(value!.start, value!.end),
      });
    }
  });
  return {
    entries: entries.map((e) => ({ name: e.name, value: e.value })),
    oneline: entries.map((e) => `/${e.name}=${e.value}`).join(''),
    rfc2253: rfc2253(entries),
  };
}

/**
 * X509_NAME_print_ex(…, XN_FLAG_RFC2253): RDNs last first, joined by ',' ('+' inside one RDN),
 * values converted to UTF-8, then RFC 2253's specials, control characters and every byte above
 * 0x7f escaped; an attribute without a short name is dumped as its dotted OID and '#' + the value's DER.
 */
function rfc2253(entries: readonly NameEntry[]): string {
  let out = '';
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (out !== '') out += entries[i + 1]?.rdn === e.rdn ? '+' : ',';
    if (!SHORT_NAMES[e.oid]) {
      out += `${e.oid}=#${e.valueDer.toString('hex').toUpperCase()}`;
      continue;
    }
    out += `${e.name}=${escape2253(utf8Bytes(e))}`;
  }
  return out;
}

function utf8Bytes(e: NameEntry): Buffer {
  const raw = Buffer.from(e.value, 'latin1');
  switch (e.tag) {
    case 0x0c: return raw; // UTF8String
    case 0x1e: return raw.length % 2 === 0 ? Buffer.from(Buffer.from(raw).swap16().toString('utf16le'), 'utf8') : raw; // BMPString (UCS-2 big endian)
    case 0x1c: { // UniversalString (UCS-4 big endian)
      let text = '';
      for (let i = 0; i + 3 < raw.length; i += 4) text += String.fromCodePoint(raw.readUInt32BE(i));
      return Buffer.from(text, 'utf8');
    }
    default: return Buffer.from(e.value, 'utf8'); // one byte per character (Printable, IA5, T61 …): each byte read as Latin-1
  }
}

function escape2253(bytes: Buffer): string {
  let out = '';
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    if (b < 0x20 || b === 0x7f || b > 0x7f) out += `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (',+"\\<>;'.includes(c) || (i === 0 && (c === '#' || c === ' ')) || (i === bytes.length - 1 && c === ' ')) out += `\\${c}`;
    else out += c;
  });
  return out;
}
