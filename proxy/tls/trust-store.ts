/**
 * The contents of a CA or CRL file as HAProxy's CA file tree holds them (an OpenSSL X509_STORE per
 * file, ssl_ckch.c): its certificates and revocation lists, each once, in the store's order. The
 * runtime API's `show ssl ca-file` / `show ssl crl-file` count and number them in that order.
 *
 * OpenSSL sorts the store's objects by type, then by the canonical encoding of the subject (a CRL:
 * the issuer) — shorter encodings first — every time it looks one up, and it looks up before each
 * addition (to skip a duplicate): after loading a file, all but the last object added are in that
 * order and the last one follows them.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import tls from 'node:tls';
import { readPemBlocks } from '../certs/pem.ts';
import { children, tlv } from './cert-fields.ts';
import type { Tlv } from './cert-fields.ts';

export interface TrustObject {
  kind: 'cert' | 'crl';
  /** The PEM block, for Node's `ca` / `crl` options. */
  pem: string;
  der: Buffer;
}

/** Where OpenSSL's default certificates are (X509_get_default_cert_dir on Debian): HAProxy's `@system-ca`. */
export const SYSTEM_CA_DIR = '/usr/lib/ssl/certs';

/**
 * X509_STORE_add_cert / X509_STORE_add_crl, one after the other: duplicates are left out and the
 * store's order results. Objects that cannot be read as DER are kept in their place, unsorted.
 */
export function storeOrder(added: readonly TrustObject[]): TrustObject[] {
  const store: Array<{ object: TrustObject; key: Buffer }> = [];
  const seen = new Set<string>();
  for (const object of added) {
    const digest = `${object.kind}:${crypto.createHash('sha1').update(object.der).digest('hex')}`;
    if (seen.has(digest)) continue;
    seen.add(digest);
    store.sort((a, b) => compareObjects(a, b));
    store.push({ object, key: sortKey(object) });
  }
  return store.map((s) => s.object);
}

/**
 * PEM_X509_INFO_read_bio on a runtime API payload: its certificates and revocation lists in order;
 * undefined when it holds no PEM block at all or a damaged one (HAProxy's "Invalid payload").
 */
export function objectsOfPayload(payload: string): TrustObject[] | undefined {
  let blocks;
  try {
    blocks = readPemBlocks({ label: 'payload', data: payload });
  } catch {
    return undefined;
  }
  const objects: TrustObject[] = [];
  for (const block of blocks) {
    const kind = block.label === 'CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE' ? 'cert' : block.label === 'X509 CRL' ? 'crl' : undefined;
    if (kind === undefined) continue;
    if (kind === 'cert' ? !parsesAsCertificate(block.der) : !parsesAsCrl(block.text)) return undefined;
    objects.push({ kind, pem: block.text.trimEnd() + '\n', der: block.der });
  }
  return storeOrder(objects);
}

/**
 * What HAProxy 2.6's ssl_store_load_locations_file puts in the store of a file it reads at start:
 * a file's certificates and CRLs; of a directory (and `@system-ca`, OpenSSL's certificate directory),
 * the first certificate of each `.pem`, `.crt`, `.cer` or `.crl` file, hidden ones skipped, in
 * name order. Empty when it cannot be read.
 */
export function objectsOfLocation(location: string): TrustObject[] {
  const target = location === '@system-ca' ? SYSTEM_CA_DIR : location;
  try {
    if (!fs.statSync(target).isDirectory()) return objectsOfPayload(fs.readFileSync(target, 'latin1')) ?? [];
    const firsts: TrustObject[] = [];
    for (const name of fs.readdirSync(target).sort()) {
      if (name.startsWith('.') || !['.pem', '.crt', '.cer', '.crl'].includes(path.extname(name))) continue;
      let text: string;
      try {
        text = fs.readFileSync(path.join(target, name), 'latin1');
      } catch {
        continue;
      }
      const first = (objectsOfPayload(text) ?? []).find((o) => o.kind === 'cert');
      if (first) firsts.push(first);
    }
    return storeOrder(firsts);
  } catch {
    return [];
  }
}

/** OpenSSL reads it as a CRL (Node has no CRL parser of its own: a context is given it). */
function parsesAsCrl(pem: string): boolean {
  try {
    tls.createSecureContext({ crl: pem });
    return true;
  } catch {
    return false;
  }
}

function parsesAsCertificate(der: Buffer): boolean {
  try {
    new crypto.X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

/** x509_object_cmp: certificates before CRLs, then X509_NAME_cmp (canonical encodings: length, then bytes). */
function compareObjects(a: { object: TrustObject; key: Buffer }, b: { object: TrustObject; key: Buffer }): number {
  if (a.object.kind !== b.object.kind) return a.object.kind === 'cert' ? -1 : 1;
  return a.key.length - b.key.length || Buffer.compare(a.key, b.key);
}

function sortKey(object: TrustObject): Buffer {
  try {
    const der = object.der;
    const outer = tlv(der, 0);
    const fields = children(der, tlv(der, outer.content));
    // Certificate: [0] version?, serial, signature, issuer, validity, subject. CRL: version?, signature, issuer.
    let name: Tlv;
    if (object.kind === 'cert') name = fields[fields[0]!.tag === 0xa0 ? 5 : 4]!;
    else name = fields[fields[0]!.tag === 0x02 ? 2 : 1]!;
    return canonicalName(der, name);
  } catch {
    return Buffer.alloc(0);
  }
}

/** The string types OpenSSL canonicalises (ASN1_MASK_CANON); others are compared as they are. */
const CANON_TAGS = new Set([0x0c, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e]);

/**
 * x509_name_canon: each RDN's entries with their values as lower-case UTF-8, spaces trimmed and
 * runs of white space made one, each RDN a DER SET, without the Name's own SEQUENCE header.
 */
export function canonicalName(der: Buffer, name: Tlv): Buffer {
  const sets: Buffer[] = [];
  for (const rdn of children(der, name)) {
    const entries: Buffer[] = [];
    for (const ava of children(der, rdn)) {
      const [type, value] = children(der, ava);
      const oid = der.subarray(type!.start, type!.end);
      const canon = CANON_TAGS.has(value!.tag) ? encode(0x0c, canonicalString(der, value!)) : der.subarray(value!.start, value!.end);
      entries.push(encode(0x30, Buffer.concat([oid, canon])));
    }
    sets.push(encode(0x31, Buffer.concat(entries.sort(Buffer.compare))));
  }
  return Buffer.concat(sets);
}

function canonicalString(der: Buffer, value: Tlv): Buffer {
  const raw = der.subarray(value.content, value.end);
  let text: string;
  if (value.tag === 0x1e) text = Buffer.from(raw).swap16().toString('utf16le'); // BMPString: UTF-16BE
  else if (value.tag === 0x1c) text = String.fromCodePoint(...Array.from({ length: raw.length / 4 }, (_, i) => raw.readUInt32BE(i * 4)));
  else if (value.tag === 0x0c) text = raw.toString('utf8');
  else text = raw.toString('latin1');
  // ossl_isspace: space, \t, \n, \v, \f, \r; only ASCII letters are lowered.
  const collapsed = text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '').replace(/[ \t\n\v\f\r]+/g, ' ');
  return Buffer.from(collapsed.replace(/[A-Z]/g, (c) => c.toLowerCase()), 'utf8');
}

function encode(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([head, content]);
}
