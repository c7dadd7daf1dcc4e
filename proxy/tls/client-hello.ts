/**
 * What a ClientHello says about the certificates the client can take, as HAProxy's ClientHello
 * callback (ssl_sock_switchctx_cbk, ssl_sock.c) reads it to choose between an ECDSA, an RSA and
 * another certificate for the same name:
 *
 * - `rsa` / `ecdsa`: the signature_algorithms extension lists a scheme whose low byte is 1 (RSA
 *   PKCS#1) / 3 (ECDSA). RSA-PSS (0x0804…) and Ed25519 count as neither. Without the extension
 *   (before TLS 1.2) the client takes RSA.
 * - `ecdsa` also needs a cipher suite with ECDSA authentication among the client's (the TLS ≤ 1.2
 *   ECDHE-ECDSA-* suites: TLS 1.3 suites authenticate with "any", so a client offering only those
 *   does not count as ECDSA-capable for HAProxy either).
 *
 * Read only when a name's certificates are of different key types (sni.ts asks lazily).
 */

/** OpenSSL 3.0's suites with SSL_CIPHER_get_auth_nid() == NID_auth_ecdsa (`openssl ciphers -V 'aECDSA:@SECLEVEL=0'`, TLS 1.3 suites left out). */
const ECDSA_SUITES: ReadonlySet<number> = new Set([
  0xc006, 0xc009, 0xc00a, 0xc023, 0xc024, 0xc02b, 0xc02c, 0xc05c, 0xc05d, 0xc072, 0xc073,
  0xc0ac, 0xc0ad, 0xc0ae, 0xc0af, 0xcca9,
]);

const SIGNATURE_ALGORITHMS = 13;
const TLSEXT_SIGNATURE_RSA = 1;
const TLSEXT_SIGNATURE_ECDSA = 3;

export interface ClientSignatures {
  rsa: boolean;
  ecdsa: boolean;
}

/**
 * The key types a ClientHello accepts, from the bytes the listener read (TLS records, the
 * ClientHello possibly spread over several). A ClientHello it cannot read takes RSA, as a client
 * without the extension; OpenSSL then judges the handshake itself.
 */
export function clientSignatures(records: Uint8Array): ClientSignatures {
  const hello = handshakeMessage(records);
  if (!hello || hello[0] !== 1) return { rsa: true, ecdsa: false };
  let pos = 4 + 2 + 32; // handshake header, legacy_version, random
  const byte = (at: number): number => hello[at] ?? -1;
  const u16 = (at: number): number => (at + 1 < hello.length ? (hello[at]! << 8) | hello[at + 1]! : -1);
  const sessionIdLength = byte(pos);
  if (sessionIdLength < 0) return { rsa: true, ecdsa: false };
  pos += 1 + sessionIdLength;
  const suitesLength = u16(pos);
  if (suitesLength < 0 || suitesLength % 2 !== 0 || pos + 2 + suitesLength > hello.length) return { rsa: true, ecdsa: false };
  const suitesStart = pos + 2;
  pos = suitesStart + suitesLength;
  const compressionLength = byte(pos);
  if (compressionLength < 0) return { rsa: true, ecdsa: false };
  pos += 1 + compressionLength;
  const extensionsEnd = Math.min(hello.length, pos + 2 + Math.max(u16(pos), 0));
  pos += 2;
  let sigalgs: { start: number; length: number } | undefined;
  while (pos + 4 <= extensionsEnd) {
    const type = u16(pos);
    const length = u16(pos + 2);
    if (type === SIGNATURE_ALGORITHMS) {
      sigalgs = { start: pos + 4, length };
      break;
    }
    pos += 4 + length;
  }
  if (!sigalgs) return { rsa: true, ecdsa: false };
  let rsa = false;
  let ecdsa = false;
  const listLength = u16(sigalgs.start);
  // A malformed list aborts HAProxy's callback (the handshake fails); OpenSSL refuses it here too.
  if (listLength + 2 !== sigalgs.length || listLength % 2 !== 0) return { rsa: false, ecdsa: false };
  for (let at = sigalgs.start + 2; at + 1 < sigalgs.start + 2 + listLength && at + 1 < hello.length; at += 2) {
    const sign = hello[at + 1]!;
    if (sign === TLSEXT_SIGNATURE_RSA) rsa = true;
    else if (sign === TLSEXT_SIGNATURE_ECDSA) ecdsa = true;
    if (rsa && ecdsa) break;
  }
  if (ecdsa) {
    ecdsa = false;
    for (let at = suitesStart; at < suitesStart + suitesLength; at += 2) {
      if (ECDSA_SUITES.has((hello[at]! << 8) | hello[at + 1]!)) {
        ecdsa = true;
        break;
      }
    }
  }
  return { rsa, ecdsa };
}

/** The first handshake message carried by consecutive handshake records (it may span several). */
function handshakeMessage(records: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let have = 0;
  let need = -1;
  for (let pos = 0; pos + 5 <= records.length && records[pos] === 0x16;) {
    const length = (records[pos + 3]! << 8) | records[pos + 4]!;
    const fragment = records.subarray(pos + 5, Math.min(records.length, pos + 5 + length));
    parts.push(fragment);
    have += fragment.length;
    pos += 5 + length;
    if (need < 0 && have >= 4) {
      const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      need = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
    }
    if (need >= 0 && have >= need) break;
  }
  if (parts.length === 0) return undefined;
  const message = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return need >= 0 ? message.subarray(0, Math.min(need, message.length)) : message;
}
