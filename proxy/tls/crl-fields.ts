/**
 * A certificate revocation list (RFC 5280 §5.1) as HAProxy's `show ssl crl-file <file>` prints it
 * (ssl_ckch.c show_crl_detail, after `openssl crl -text`): version, signature algorithm, issuer,
 * the update dates and each revoked serial with its date.
 */
import { children, distinguishedName, integerBytes, oidText, tlv } from './cert-fields.ts';
import type { Tlv } from './cert-fields.ts';

/** OBJ_nid2ln of the signature algorithms CRLs are signed with. */
const SIGNATURE_LONG_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption', '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption', '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption', '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1', '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224', '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384', '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519', '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsaWithSHA1', '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** show_crl_detail's lines for one CRL in DER; what cannot be read ends the text there, as HAProxy's does. */
export function crlDetail(der: Buffer): string {
  let out = '';
  try {
    const outer = tlv(der, 0);
    const [tbs, signature] = children(der, outer);
    const fields = children(der, tbs!);
    let i = 0;
    let version = 1;
    if (fields[0]!.tag === 0x02) {
      version = Number(BigInt(`0x${der.subarray(fields[0]!.content, fields[0]!.end).toString('hex') || '0'}`)) + 1;
      i = 1;
    }
    out += `Version ${version}\n`;
    const algorithm = oidText(der, tlv(der, signature!.content));
    out += `Signature Algorithm: ${SIGNATURE_LONG_NAMES[algorithm] ?? algorithm}\n`;
    out += `Issuer: ${distinguishedName(der, fields[i + 1]!).oneline}\n`;
    out += 'Last Update: ';
    out += `${timeText(der, fields[i + 2]!)}\n`;
    out += 'Next Update: ';
    const next = fields[i + 3];
    if (!next || (next.tag !== 0x17 && next.tag !== 0x18)) return out;
    out += `${timeText(der, next)}\n`;
    const revokedList = fields[i + 4];
    const revoked = revokedList && revokedList.tag === 0x30 ? children(der, revokedList) : [];
    out += revoked.length > 0 ? 'Revoked Certificates:\n' : 'No Revoked Certificates.\n';
    for (const entry of revoked) {
      const [serial, date] = children(der, entry);
      const bytes = integerBytes(der, serial!);
      out += `    Serial Number: ${bytes.length > 0 ? bytes.toString('hex').toUpperCase() : '00'}\n        Revocation Date: ${timeText(der, date!)}\n`;
    }
  } catch {
    // A CRL Node's OpenSSL accepted but this reader cannot follow: what was read stays.
  }
  return out;
}

/** ASN1_TIME_print: "Jan  2 03:04:05 2026 GMT" (UTCTime years before 50 are 20xx). */
export function timeText(der: Buffer, t: Tlv): string {
  const text = der.toString('latin1', t.content, t.end);
  const m = t.tag === 0x17
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z?)/.exec(text)
    : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?(Z?)/.exec(text);
  if (!m) throw new Error('bad time');
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const fraction = t.tag === 0x18 ? /\.(\d+)/.exec(text)?.[0] ?? '' : '';
  const day = String(Number(m[3])).padStart(2, ' ');
  return `${MONTHS[Number(m[2]) - 1]} ${day} ${m[4]}:${m[5]}:${m[6] ?? '00'}${fraction} ${year}${m[7] ? ' GMT' : ''}`;
}
