/**
 * The PROXY protocol (HAProxy's doc/proxy-protocol.txt): reading the header a
 * client connection of an `accept-proxy` bind starts with, and writing the one
 * a `send-proxy`/`send-proxy-v2` server connection starts with. Pure: bytes in,
 * bytes out; proxy-header-reader.ts does the socket side.
 *
 * Reading follows HAProxy 2.6's conn_recv_proxy, quirks included, since a
 * configuration must behave the same: the header must be complete in the first
 * read (HAProxy peeks once and cannot wait for more), v1 IPv4 octets and ports
 * are read as it reads them (`1.2.3.400` is 1.2.4.144, port 99999 is 34463),
 * `PROXY UNKNOWN` must end at once with CRLF, and a v2 PROXY command of another
 * family than TCP over IPv4/IPv6 is refused (its TLV walk starts at the
 * signature).
 */

/** Why a header was refused, as HAProxy 2.6 names it in its connection error log (conn_err_code_str). */
export const PROXY_HEADER_ERRORS = {
  empty: 'Connection closed while waiting for PROXY protocol header',
  abort: 'Connection error while waiting for PROXY protocol header',
  timeout: 'Timeout while waiting for PROXY protocol header',
  truncated: 'Truncated PROXY protocol header received',
  notHeader: 'Received something which does not look like a PROXY protocol header',
  badHeader: 'Received an invalid PROXY protocol header',
  badProto: 'Received an unhandled protocol in the PROXY protocol header',
} as const;

export type ProxyHeaderError = keyof typeof PROXY_HEADER_ERRORS;

/** fc_err: HAProxy 2.6's CO_ER_PRX_* numbers. */
export const PROXY_HEADER_ERROR_CODES: Record<ProxyHeaderError, number> = {
  empty: 11, abort: 12, timeout: 13, truncated: 14, notHeader: 15, badHeader: 16, badProto: 17,
};

/** The client's addresses a header carries (absent for LOCAL, UNKNOWN and unsupported families: the connection's own stay). */
export interface ProxyAddresses {
  family: 'IPv4' | 'IPv6';
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

export interface ReceivedProxyHeader {
  /** Bytes the header took; what follows is the client's data. */
  length: number;
  addresses?: ProxyAddresses;
  /** PP2_TYPE_AUTHORITY (fc_pp_authority). */
  authority?: string;
  /** PP2_TYPE_UNIQUE_ID (fc_pp_unique_id). */
  uniqueId?: string;
}

export type ParsedProxyHeader =
  | ({ ok: true } & ReceivedProxyHeader)
  /** `addresses`: what the header had set before the error (HAProxy logs the refused connection from them). */
  | { ok: false; error: ProxyHeaderError; addresses?: ProxyAddresses };

export const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V2_HEADER_LEN = 16;
/** HAProxy's limits on received TLVs (PP2_AUTHORITY_MAX, UNIQUEID_LEN). */
const AUTHORITY_MAX = 255;
const UNIQUE_ID_MAX = 128;

export const PP2_TYPE = { alpn: 0x01, authority: 0x02, crc32c: 0x03, uniqueId: 0x05, ssl: 0x20 } as const;
export const PP2_SUBTYPE_SSL = { version: 0x21, cn: 0x22, cipher: 0x23, sigAlg: 0x24, keyAlg: 0x25 } as const;

/** Parses the first bytes a connection received; HAProxy reads them once, so a header not complete in them is truncated. */
export function parseProxyHeader(data: Uint8Array): ParsedProxyHeader {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) return { ok: false, error: 'empty' };
  if (buf.length < 6) return { ok: false, error: 'truncated' };
  if (buf.toString('latin1', 0, 6) === 'PROXY ') return parseV1(buf);
  return parseV2(buf);
}

function parseV1(buf: Buffer): ParsedProxyHeader {
  if (buf.length < 9) return { ok: false, error: 'truncated' };
  const end = buf.length;
  const kind = buf.toString('latin1', 6, 11);
  if (kind === 'TCP4 ') {
    let pos = 11;
    const fields: number[] = [];
    for (let i = 0; i < 2; i++) {
      const addr = readIpv4(buf, pos, end);
      pos = addr.next;
      if (pos === end) return { ok: false, error: 'truncated' };
      if (buf[pos++] !== 0x20) return { ok: false, error: 'badHeader' };
      fields.push(addr.value);
    }
    const sport = readUint(buf, pos, end);
    pos = sport.next;
    if (pos === end) return { ok: false, error: 'truncated' };
    if (buf[pos++] !== 0x20) return { ok: false, error: 'badHeader' };
    const dport = readUint(buf, pos, end);
    pos = dport.next;
    if (pos > end - 2) return { ok: false, error: 'truncated' };
    if (buf[pos++] !== 0x0d || buf[pos++] !== 0x0a) return { ok: false, error: 'badHeader' };
    return {
      ok: true, length: pos,
      addresses: { family: 'IPv4', src: ipv4Text(fields[0]!), srcPort: sport.value & 0xffff, dst: ipv4Text(fields[1]!), dstPort: dport.value & 0xffff },
    };
  }
  if (kind === 'TCP6 ') {
    const cr = buf.indexOf(0x0d, 11);
    if (cr < 0 || cr > end - 2) return { ok: false, error: 'truncated' };
    if (buf[cr + 1] !== 0x0a) return { ok: false, error: 'badHeader' };
    // Split at single spaces as HAProxy does: the first three spaces end the source, destination and source port.
    const text = buf.toString('latin1', 11, cr);
    const parts = splitAtFirstSpaces(text, 3);
    if (parts.length < 4) return { ok: false, error: 'badHeader' };
    const [src, dst, sport, dport] = parts as [string, string, string, string];
    if (!/^[0-9]*$/.test(sport) || !/^[0-9]*$/.test(dport)) return { ok: false, error: 'badHeader' };
    const srcText = ipv6Text(src);
    const dstText = ipv6Text(dst);
    if (srcText === undefined || dstText === undefined) return { ok: false, error: 'badHeader' };
    return {
      ok: true, length: cr + 2,
      addresses: { family: 'IPv6', src: srcText, srcPort: uint32(sport) & 0xffff, dst: dstText, dstPort: uint32(dport) & 0xffff },
    };
  }
  if (buf.length >= 15 && buf.toString('latin1', 6, 15) === 'UNKNOWN\r\n') return { ok: true, length: 15 };
  return { ok: false, error: 'badProto' };
}

function parseV2(buf: Buffer): ParsedProxyHeader {
  if (buf.length < V2_HEADER_LEN) return { ok: false, error: 'truncated' };
  if (!buf.subarray(0, 12).equals(V2_SIGNATURE) || (buf[12]! & 0xf0) !== 0x20) return { ok: false, error: 'notHeader' };
  const bodyLength = buf.readUInt16BE(14);
  const total = V2_HEADER_LEN + bodyLength;
  if (buf.length < total) return { ok: false, error: 'truncated' };
  const command = buf[12]! & 0x0f;
  if (command === 0x00) return { ok: true, length: total }; // LOCAL: the connection's own addresses stay
  if (command !== 0x01) return { ok: false, error: 'badHeader' };
  let addresses: ProxyAddresses | undefined;
  let tlvOffset = 0;
  if (buf[13] === 0x11) {
    if (bodyLength < 12) return { ok: false, error: 'badHeader' };
    addresses = {
      family: 'IPv4', src: ipv4Text(buf.readUInt32BE(16)), dst: ipv4Text(buf.readUInt32BE(20)),
      srcPort: buf.readUInt16BE(24), dstPort: buf.readUInt16BE(26),
    };
    tlvOffset = V2_HEADER_LEN + 12;
  } else if (buf[13] === 0x21) {
    if (bodyLength < 36) return { ok: false, error: 'badHeader' };
    addresses = {
      family: 'IPv6', src: ipv6FromBytes(buf.subarray(16, 32)), dst: ipv6FromBytes(buf.subarray(32, 48)),
      srcPort: buf.readUInt16BE(48), dstPort: buf.readUInt16BE(50),
    };
    tlvOffset = V2_HEADER_LEN + 36;
  }
  const header: ReceivedProxyHeader = { length: total, addresses };
  while (tlvOffset < total) {
    if (tlvOffset + 3 > total) return { ok: false, error: 'badHeader', addresses };
    const type = buf[tlvOffset]!;
    const length = buf.readUInt16BE(tlvOffset + 1);
    const value = buf.subarray(tlvOffset + 3, tlvOffset + 3 + length);
    const at = tlvOffset;
    tlvOffset += 3 + length;
    if (tlvOffset > total) return { ok: false, error: 'badHeader', addresses };
    if (type === PP2_TYPE.crc32c) {
      if (length !== 4) return { ok: false, error: 'badHeader', addresses };
      const sent = value.readUInt32BE(0);
      const zeroed = Buffer.from(buf.subarray(0, total));
      zeroed.writeUInt32BE(0, at + 3);
      if (crc32c(zeroed) !== sent) return { ok: false, error: 'badHeader', addresses };
    } else if (type === PP2_TYPE.authority) {
      if (length > AUTHORITY_MAX) return { ok: false, error: 'badHeader', addresses };
      header.authority = value.toString('latin1');
    } else if (type === PP2_TYPE.uniqueId) {
      if (length > UNIQUE_ID_MAX) return { ok: false, error: 'badHeader', addresses };
      header.uniqueId = value.toString('latin1');
    }
  }
  return { ok: true, ...header };
}

/** HAProxy's inetaddr_host_lim_ret: up to four dot-separated groups, each worth its last three digits, added at its byte. */
function readIpv4(buf: Buffer, start: number, end: number): { value: number; next: number } {
  let value = 0;
  let pos = start;
  for (let shift = 24; ; shift -= 8) {
    const groupStart = pos;
    while (pos < end && buf[pos]! >= 0x30 && buf[pos]! <= 0x39) pos++;
    let group = 0;
    for (let i = Math.max(groupStart, pos - 3); i < pos; i++) group = group * 10 + (buf[i]! - 0x30);
    value = (value + group * 2 ** shift) >>> 0;
    if (shift === 0 || pos === end || buf[pos] !== 0x2e) break;
    pos++;
  }
  return { value, next: pos };
}

/** HAProxy's read_uint: decimal digits into an unsigned 32-bit integer (wrapping). */
function readUint(buf: Buffer, start: number, end: number): { value: number; next: number } {
  let value = 0;
  let pos = start;
  while (pos < end && buf[pos]! >= 0x30 && buf[pos]! <= 0x39) value = (Math.imul(value, 10) + (buf[pos++]! - 0x30)) >>> 0;
  return { value, next: pos };
}

function uint32(digits: string): number {
  let value = 0;
  for (let i = 0; i < digits.length; i++) value = (Math.imul(value, 10) + (digits.charCodeAt(i) - 0x30)) >>> 0;
  return value;
}

function splitAtFirstSpaces(text: string, count: number): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    const space = text.indexOf(' ', from);
    if (space < 0) break;
    parts.push(text.slice(from, space));
    from = space + 1;
  }
  if (parts.length === count) parts.push(text.slice(from));
  return parts;
}

function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** An IPv6 address in inet_ntop's form, or undefined when inet_pton would refuse it. */
function ipv6Text(text: string): string | undefined {
  const bytes = ipv6Bytes(text);
  return bytes && ipv6FromBytes(bytes);
}

function ipv6Bytes(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tail4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = text.slice(lastColon + 1).split('.');
    if (v4.length !== 4 || v4.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) return undefined;
    tail4 = v4.map(Number);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right || [...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail4.length) out.set(tail4, 12);
  return out;
}

/** inet_ntop for IPv6: the longest run (≥ 2) of zero groups as '::', IPv4-mapped addresses with a dotted tail. */
export function ipv6FromBytes(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  const dotted = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${dotted}`;
  if (groups.slice(0, 6).every((g) => g === 0) && (groups[6] !== 0 || groups[7]! > 1)) return `::${dotted}`;
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum of PP2_TYPE_CRC32C. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 255]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The endpoints a sent header describes (undefined: not both IPv4/IPv6, so v1 says UNKNOWN and v2 LOCAL). */
export interface HeaderEndpoints {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

/** What `send-proxy-v2` adds after the addresses (HAProxy's make_proxy_line_v2 order). */
export interface V2Extras {
  crc32c?: boolean;
  /** The client connection's ALPN (always sent when there is one). */
  alpn?: string;
  authority?: string;
  uniqueId?: string;
  /** `send-proxy-v2-ssl`: the SSL TLV, with what the client connection negotiated (undefined: not TLS). */
  ssl?: { client?: { version?: string; cn?: string; cipher?: string; sigAlg?: string; keyAlg?: string; certInSession?: boolean; certInConnection?: boolean; verify?: number } };
}

/** `send-proxy`: `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n`, an IPv4 side written as IPv4-mapped IPv6 when the other is IPv6. */
export function proxyLineV1(endpoints: HeaderEndpoints | undefined): Buffer {
  const src = endpoints && addressFamily(endpoints.src);
  const dst = endpoints && addressFamily(endpoints.dst);
  if (!endpoints || !src || !dst) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  if (src === 'IPv4' && dst === 'IPv4') {
    return Buffer.from(`PROXY TCP4 ${endpoints.src} ${endpoints.dst} ${endpoints.srcPort} ${endpoints.dstPort}\r\n`, 'latin1');
  }
  const six = (a: string, f: 'IPv4' | 'IPv6'): string => (f === 'IPv4' ? `::ffff:${a}` : ipv6FromBytes(ipv6Bytes(a)!));
  return Buffer.from(`PROXY TCP6 ${six(endpoints.src, src)} ${six(endpoints.dst, dst)} ${endpoints.srcPort} ${endpoints.dstPort}\r\n`, 'latin1');
}

/** `send-proxy-v2`: the binary header, LOCAL/UNSPEC without endpoints (health checks). */
export function proxyHeaderV2(endpoints: HeaderEndpoints | undefined, extras: V2Extras = {}): Buffer {
  const src = endpoints && addressFamily(endpoints.src);
  const dst = endpoints && addressFamily(endpoints.dst);
  const parts: Buffer[] = [V2_SIGNATURE, Buffer.alloc(4)];
  const head = parts[1]!;
  if (!endpoints || !src || !dst) {
    head[0] = 0x20;
    head[1] = 0x00;
  } else if (src === 'IPv4' && dst === 'IPv4') {
    head[0] = 0x21;
    head[1] = 0x11;
    const a = Buffer.alloc(12);
    a.set(ipv4Bytes(endpoints.src), 0);
    a.set(ipv4Bytes(endpoints.dst), 4);
    a.writeUInt16BE(endpoints.srcPort, 8);
    a.writeUInt16BE(endpoints.dstPort, 10);
    parts.push(a);
  } else {
    head[0] = 0x21;
    head[1] = 0x21;
    const six = (a: string, f: 'IPv4' | 'IPv6'): Buffer => (f === 'IPv4' ? ipv6Bytes(`::ffff:${a}`)! : ipv6Bytes(a)!);
    const a = Buffer.alloc(36);
    a.set(six(endpoints.src, src), 0);
    a.set(six(endpoints.dst, dst), 16);
    a.writeUInt16BE(endpoints.srcPort, 32);
    a.writeUInt16BE(endpoints.dstPort, 34);
    parts.push(a);
  }
  let crcAt = -1;
  if (extras.crc32c) {
    crcAt = parts.reduce((n, p) => n + p.length, 0) + 3;
    parts.push(tlv(PP2_TYPE.crc32c, Buffer.alloc(4)));
  }
  if (extras.alpn !== undefined) parts.push(tlv(PP2_TYPE.alpn, Buffer.from(extras.alpn, 'latin1')));
  if (extras.authority !== undefined) parts.push(tlv(PP2_TYPE.authority, Buffer.from(extras.authority, 'latin1')));
  if (extras.uniqueId !== undefined) parts.push(tlv(PP2_TYPE.uniqueId, Buffer.from(extras.uniqueId, 'latin1')));
  if (extras.ssl) parts.push(sslTlv(extras.ssl.client));
  const out = Buffer.concat(parts);
  out.writeUInt16BE(out.length - V2_HEADER_LEN, 14);
  if (crcAt >= 0) out.writeUInt32BE(crc32c(out), crcAt);
  return out;
}

/** PP2_TYPE_SSL: client flags (1 SSL, 2 cert in connection, 4 cert in session), verify result, then its sub-TLVs. */
function sslTlv(client: NonNullable<V2Extras['ssl']>['client']): Buffer {
  const fixed = Buffer.alloc(5);
  const subs: Buffer[] = [];
  if (client) {
    fixed[0] = 0x01 | (client.certInSession ? 0x04 : 0) | (client.certInSession && client.certInConnection ? 0x02 : 0);
    if (client.certInSession) fixed.writeUInt32BE((client.verify ?? 0) >>> 0, 1);
    if (client.version !== undefined) subs.push(tlv(PP2_SUBTYPE_SSL.version, Buffer.from(client.version, 'latin1')));
    if (client.cn) subs.push(tlv(PP2_SUBTYPE_SSL.cn, Buffer.from(client.cn, 'utf8')));
    if (client.keyAlg) subs.push(tlv(PP2_SUBTYPE_SSL.keyAlg, Buffer.from(client.keyAlg, 'latin1')));
    if (client.sigAlg) subs.push(tlv(PP2_SUBTYPE_SSL.sigAlg, Buffer.from(client.sigAlg, 'latin1')));
    if (client.cipher) subs.push(tlv(PP2_SUBTYPE_SSL.cipher, Buffer.from(client.cipher, 'latin1')));
  }
  return tlv(PP2_TYPE.ssl, Buffer.concat([fixed, ...subs]));
}

function tlv(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(3 + value.length);
  out[0] = type;
  out.writeUInt16BE(value.length, 1);
  value.copy(out, 3);
  return out;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The family of an address as a socket reports it; undefined for anything else (a UNIX socket's path, none). */
function addressFamily(address: string | undefined): 'IPv4' | 'IPv6' | undefined {
  if (!address) return undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return 'IPv4';
  return ipv6Bytes(address) ? 'IPv6' : undefined;
}
