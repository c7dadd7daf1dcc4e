/**
 * A store name for a certificate being imported, read from the certificate
 * itself: its first DNS name (subjectAltName), else its subject's common name.
 * Let's Encrypt's files are all called fullchain.pem / privkey.pem, so the
 * file's name says nothing; `nas.home.arpa` does. Only the first CERTIFICATE
 * block is read (the leaf comes first in a chain), with a small DER walk:
 * the engine validates the import itself, this only suggests a name.
 */

/** One DER element: its tag, where its content starts and ends. */
interface Element {
  tag: number;
  start: number;
  end: number;
}

function element(der: Uint8Array, at: number, limit: number): Element | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end;) {
    const e = element(der, at, parent.end);
    if (!e) break;
    out.push(e);
    at = e.end;
  }
  return out;
}

const OID_CN = [0x55, 0x04, 0x03];
const OID_SAN = [0x55, 0x1d, 0x11];

function isOid(der: Uint8Array, e: Element | undefined, oid: number[]): boolean {
  return e !== undefined && e.tag === 0x06 && e.end - e.start === oid.length && oid.every((b, i) => der[e.start + i] === b);
}

function text(der: Uint8Array, e: Element): string {
  return new TextDecoder().decode(der.subarray(e.start, e.end));
}

/** The first DNS name, else the common name, of the first certificate in `pem`; undefined when there is none or it cannot be read. */
export function certificateHostName(pem: string): string | undefined {
  const block = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!block) return undefined;
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(block[1]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  const cert = element(der, 0, der.length);
  const tbs = cert && children(der, cert)[0];
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const fields = children(der, tbs);
  // version [0] is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo, [1], [2], extensions [3].
  const base = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[base + 4];
  const extensions = fields.find((f) => f.tag === 0xa3);
  let dns: string | undefined;
  for (const ext of extensions ? children(der, children(der, extensions)[0] ?? extensions) : []) {
    const [oid, ...rest] = children(der, ext);
    if (!isOid(der, oid, OID_SAN)) continue;
    const octets = rest[rest.length - 1];
    const names = octets && octets.tag === 0x04 ? element(der, octets.start, octets.end) : undefined;
    const first = names ? children(der, names).find((n) => n.tag === 0x82) : undefined;
    if (first) dns = text(der, first);
  }
  if (dns) return dns;
  for (const set of subject?.tag === 0x30 ? children(der, subject) : []) {
    for (const attribute of children(der, set)) {
      const [oid, value] = children(der, attribute);
      if (isOid(der, oid, OID_CN) && value) return text(der, value);
    }
  }
  return undefined;
}

/** A store name (letters, digits, _ . : -) for the certificate in `pem`: `*.home.arpa` becomes `wildcard.home.arpa`. */
export function suggestedCertName(pem: string): string | undefined {
  const host = certificateHostName(pem)?.trim();
  if (!host) return undefined;
  const name = host.replace(/^\*\./, 'wildcard.').replace(/[^A-Za-z0-9_.:-]/g, '_');
  return /[A-Za-z0-9]/.test(name) ? name : undefined;
}
