/**
 * OCSP stapling from `<crt>.ocsp` files (`ssl-load-extra-files` `ocsp`, in the default `all`), as
 * HAProxy 2.6 does it (ssl_sock.c: ssl_sock_load_ocsp, ssl_sock_load_ocsp_response,
 * ssl_sock_ocsp_stapling_cbk): the file is a DER OCSPResponse; its certificate ID must be the
 * certificate's, computed with SHA-1 over the issuer (a chain certificate that issued it, else
 * `<crt>.issuer`). A response that cannot be used is left out with HAProxy's warning; a usable one
 * is stapled to the handshakes of clients that ask (status_request) until five minutes before its
 * nextUpdate. As in HAProxy, the responder's signature is not checked (the client checks it).
 */
import crypto from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { children, integerBytes, oidText, tlv } from './cert-fields.ts';
import type { Tlv } from './cert-fields.ts';

/** OCSP_MAX_RESPONSE_TIME_SKEW: seconds of clock skew allowed, and taken off nextUpdate. */
const MAX_SKEW_S = 300;
const BASIC_RESPONSE = '1.3.6.1.5.5.7.48.1.1';
const SHA1 = '1.3.14.3.2.26';

export interface OcspStaple {
  /** The DER OCSPResponse, stapled as read. */
  response: Buffer;
  /** Epoch ms after which it is no longer stapled (nextUpdate less the skew). */
  expiresAt: number;
}

/** A response that ssl_sock_load_ocsp_response accepts: its certificate ID, and until when it is stapled. */
export interface CheckedResponse {
  /** The single response's CertID, as DER. */
  certId: Buffer;
  staple: OcspStaple;
  /** Where the CertID's fields are, for OCSP_id_cmp. */
  fields: { der: Buffer; certId: Tlv };
}

/**
 * ssl_sock_load_ocsp_response's checks before the certificate ID is compared: the response, or
 * HAProxy's reason for refusing it.
 */
export function checkOcspResponse(der: Buffer, now = Date.now()): CheckedResponse | string {
  let single: { certId: Tlv; status: number; thisUpdate: Tlv; nextUpdate: Tlv | undefined; der: Buffer } | undefined;
  try {
    const outer = children(der, tlv(der, 0));
    if (outer[0]?.tag !== 0x0a) return 'Unable to parse OCSP response';
    if (der[outer[0].end - 1] !== 0) return 'OCSP response status not successful';
    const bytes = outer[1];
    if (!bytes || bytes.tag !== 0xa0) return 'Failed to get basic response from OCSP Response';
    const [type, octets] = children(der, tlv(der, bytes.content));
    if (!type || !octets || oidText(der, type) !== BASIC_RESPONSE) return 'Failed to get basic response from OCSP Response';
    const basic = der.subarray(octets.content, octets.end);
    const tbs = children(basic, tlv(basic, tlv(basic, 0).content));
    // version [0]? responderID, producedAt, responses
    const responses = tbs.find((t, i) => t.tag === 0x30 && i > 0 && tbs[i - 1]!.tag === 0x18);
    if (!responses) return 'Unable to parse OCSP response';
    const list = children(basic, responses);
    if (list.length > 1) return `OCSP response ignored because contains multiple single responses (${list.length})`;
    if (list.length === 0) return 'Failed to get OCSP single response';
    const fields = children(basic, list[0]!);
    const nextUpdate = fields[3]?.tag === 0xa0 ? tlv(basic, fields[3].content) : undefined;
    single = { certId: fields[0]!, status: fields[1]!.tag & 0x1f, thisUpdate: fields[2]!, nextUpdate, der: basic };
  } catch {
    return 'Unable to parse OCSP response';
  }
  const { der: basic } = single;
  // certStatus: good [0], revoked [1], unknown [2].
  if (single.status !== 0 && single.status !== 1) return 'OCSP single response: certificate status is unknown';
  if (!single.nextUpdate) return 'OCSP single response: missing nextupdate';
  const thisUpdate = generalizedTime(basic, single.thisUpdate);
  const nextUpdate = generalizedTime(basic, single.nextUpdate);
  // OCSP_check_validity(thisupd, nextupd, skew, -1).
  if (Number.isNaN(thisUpdate) || Number.isNaN(nextUpdate) || thisUpdate > now + MAX_SKEW_S * 1000 || nextUpdate < now - MAX_SKEW_S * 1000 || nextUpdate < thisUpdate) {
    return 'OCSP single response: no longer valid.';
  }
  return {
    certId: Buffer.from(basic.subarray(single.certId.start, single.certId.end)),
    staple: { response: der, expiresAt: nextUpdate - MAX_SKEW_S * 1000 },
    fields: { der: basic, certId: single.certId },
  };
}

/**
 * ssl_sock_load_ocsp_response for a certificate: the staple, or HAProxy's reason for ignoring the
 * response (it warns "Loading: <reason>. Content will be ignored").
 */
export function ocspStaple(der: Buffer, leaf: X509Certificate, issuer: X509Certificate, now = Date.now()): OcspStaple | string {
  const checked = checkOcspResponse(der, now);
  if (typeof checked === 'string') return checked;
  if (!sameCertId(checked.fields.der, checked.fields.certId, leaf, issuer)) return 'OCSP single response: Certificate ID does not match certificate and issuer';
  return checked.staple;
}

/**
 * i2d_OCSP_CERTID(OCSP_cert_to_id(NULL, leaf, issuer)): the key HAProxy files a certificate's OCSP
 * response under (cert_ocsp_tree), which `set ssl ocsp-response` looks a new response up by.
 */
export function certIdOf(leaf: X509Certificate, issuer: X509Certificate): Buffer {
  const { subject, keyBits } = issuerParts(issuer);
  const leafDer = leaf.raw;
  const leafTbs = children(leafDer, tlv(leafDer, tlv(leafDer, 0).content));
  const serial = leafTbs[leafTbs[0]!.tag === 0xa0 ? 1 : 0]!;
  const sha1 = (b: Buffer): Buffer => crypto.createHash('sha1').update(b).digest();
  const algorithm = Buffer.from('300906052b0e03021a0500', 'hex');
  return der(0x30, Buffer.concat([algorithm, der(0x04, sha1(subject)), der(0x04, sha1(keyBits)), leafDer.subarray(serial.start, serial.end)]));
}

/** The issuer's subject name (DER) and public key bits, as OCSP certificate IDs hash them. */
function issuerParts(issuer: X509Certificate): { subject: Buffer; keyBits: Buffer } {
  const issuerDer = issuer.raw;
  const tbs = children(issuerDer, tlv(issuerDer, tlv(issuerDer, 0).content));
  const i = tbs[0]!.tag === 0xa0 ? 1 : 0;
  const subject = tbs[i + 4]!;
  const bitString = children(issuerDer, tbs[i + 5]!)[1]!;
  // The key's bits, without the BIT STRING's unused-bits byte.
  return { subject: issuerDer.subarray(subject.start, subject.end), keyBits: issuerDer.subarray(bitString.content + 1, bitString.end) };
}

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/**
 * ckch_store_build_certid: the DER of the first single response's certificate ID, as `show ssl
 * cert` prints it ("OCSP Response Key"), for any response that parses (a response left out too).
 */
export function ocspCertId(der: Buffer): Buffer | undefined {
  try {
    const outer = children(der, tlv(der, 0));
    const octets = children(der, tlv(der, outer[1]!.content))[1]!;
    const basic = der.subarray(octets.content, octets.end);
    const tbs = children(basic, tlv(basic, tlv(basic, 0).content));
    const responses = tbs.find((t, i) => t.tag === 0x30 && i > 0 && tbs[i - 1]!.tag === 0x18);
    const certId = children(basic, children(basic, responses!)[0]!)[0]!;
    return Buffer.from(basic.subarray(certId.start, certId.end));
  } catch {
    return undefined;
  }
}

/** OCSP_id_cmp against OCSP_cert_to_id(NULL, leaf, issuer): SHA-1 (its OID), the issuer's name and key hashes, the serial. */
function sameCertId(der: Buffer, certId: Tlv, leaf: X509Certificate, issuer: X509Certificate): boolean {
  const [algorithm, nameHash, keyHash, serial] = children(der, certId);
  if (!algorithm || !nameHash || !keyHash || !serial) return false;
  if (oidText(der, tlv(der, algorithm.content)) !== SHA1) return false;
  const { subject, keyBits } = issuerParts(issuer);
  const sha1 = (b: Buffer): Buffer => crypto.createHash('sha1').update(b).digest();
  const leafDer = leaf.raw;
  const leafTbs = children(leafDer, tlv(leafDer, tlv(leafDer, 0).content));
  const leafSerial = leafTbs[leafTbs[0]!.tag === 0xa0 ? 1 : 0]!;
  return sha1(subject).equals(der.subarray(nameHash.content, nameHash.end))
    && sha1(keyBits).equals(der.subarray(keyHash.content, keyHash.end))
    && integerBytes(leafDer, leafSerial).equals(integerBytes(der, serial));
}

/**
 * ocsp_certid_print (ssl_sock.c, after OpenSSL's): a certificate ID's issuer hashes and serial,
 * upper-case hex, as `show ssl ocsp-response` lists them.
 */
export function certIdText(certId: Buffer, indent: number): string[] {
  const [, nameHash, keyHash, serial] = children(certId, tlv(certId, 0));
  const hex = (t: Tlv | undefined, integer = false): string => {
    if (!t) return '';
    const bytes = integer ? integerBytes(certId, t) : certId.subarray(t.content, t.end);
    return bytes.length === 0 ? '00' : bytes.toString('hex').toUpperCase();
  };
  const pad = ' '.repeat(indent);
  const inner = ' '.repeat(indent + 2);
  return [`${pad}Certificate ID:`, `${inner}Issuer Name Hash: ${hex(nameHash)}`, `${inner}Issuer Key Hash: ${hex(keyHash)}`, `${inner}Serial Number: ${hex(serial, true)}`];
}

/** A GeneralizedTime (YYYYMMDDHHMMSS[.f]Z) as epoch ms; NaN when it is not one. */
function generalizedTime(der: Buffer, t: Tlv): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(der.toString('latin1', t.content, t.end));
  if (t.tag !== 0x18 || !m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}
