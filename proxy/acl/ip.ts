/**
 * IPv4/IPv6 address and netmask parsing with the exact acceptance rules
 * HAProxy gets from glibc: inet_pton() for strict forms, inet_aton() (via
 * gethostbyname) for the abbreviated IPv4 forms allowed when DNS resolution is
 * permitted ("127.1", "10.12/8", "0x7f.1", "2130706433"), and strtol() rules
 * for bit-count masks.
 */

/** IPv4 as an unsigned 32-bit number (a.b.c.d → a<<24|b<<16|c<<8|d). */
export type IPv4 = number;

/** inet_pton(AF_INET): exactly four decimal octets, no leading zeros. */
export function parseIPv4(text: string): IPv4 | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

/**
 * inet_aton(): 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the
 * last part fills the remaining bytes.
 */
export function parseIPv4Aton(text: string): IPv4 | undefined {
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const nums: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) n = part.length > 2 ? parseInt(part.slice(2), 16) : 0;
    else if (/^0[0-7]*$/.test(part)) n = parseInt(part, 8);
    else if (/^[1-9][0-9]*$/.test(part)) n = Number(part);
    else return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return undefined;
  const lastBits = 8 * (4 - nums.length);
  if (last >= 2 ** lastBits) return undefined;
  let value = 0;
  for (const n of nums) value = value * 256 + n;
  return (value * 2 ** lastBits + last) >>> 0;
}

/** inet_pton(AF_INET6), 16 bytes. Accepts a trailing dotted IPv4 part. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const doubleColon = text.indexOf('::');
  if (doubleColon >= 0 && text.indexOf('::', doubleColon + 1) >= 0) return undefined;
  const words: number[] = [];
  const parseSide = (side: string, allowV4: boolean): number[] | undefined => {
    if (side === '') return [];
    const out: number[] = [];
    const groups = side.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  if (doubleColon >= 0) {
    const head = parseSide(text.slice(0, doubleColon), false);
    const tail = parseSide(text.slice(doubleColon + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseSide(text, true);
    if (!all || all.length !== 8) return undefined;
    words.push(...all);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => { bytes[2 * i] = w >> 8; bytes[2 * i + 1] = w & 0xff; });
  return bytes;
}

/** strtol()-style integer: optional sign then digits, nothing else. */
function strtolStrict(text: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(text) ? Number(text) : undefined;
}

/** IPv4 mask with `len` leading one bits. */
export function maskFromLength4(len: number): number {
  if (len <= 0) return 0;
  if (len >= 32) return 0xffffffff;
  return (0xffffffff << (32 - len)) >>> 0;
}

/** str2mask(): dotted mask or bit count 0..32. */
export function parseMask4(text: string): number | undefined {
  if (text.includes('.')) return parseIPv4(text);
  const len = strtolStrict(text);
  if (len === undefined || len < 0 || len > 32) return undefined;
  return maskFromLength4(len);
}

/** IPv6 mask with `len` leading one bits. */
export function maskFromLength6(len: number): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    bytes[i] = (0xff << (8 - bits)) & 0xff;
  }
  return bytes;
}

/** str2mask6(): IPv6-form mask or bit count 0..128. */
export function parseMask6(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIPv6(text);
  const len = strtolStrict(text);
  if (len === undefined || len < 0 || len > 128) return undefined;
  return maskFromLength6(len);
}

/** Result of parsing an ACL IP pattern. */
export type NetPattern =
  | { kind: 'ipv4'; addr: number; mask: number }
  | { kind: 'ipv6'; addr: Uint8Array; prefix: number }
  | { kind: 'host'; name: string; mask: number };

/**
 * pat_parse_ip(): `addr[/mask]` as IPv4 (mask dotted or bits; when `resolve`
 * the address may be an abbreviated form or a host name to resolve), else
 * IPv6 with a bit-count prefix. Undefined when invalid.
 */
export function parseNetPattern(text: string, resolve: boolean): NetPattern | undefined {
  const slash = text.lastIndexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  // IPv4 first (str2net)
  const mask4 = maskText === undefined ? 0xffffffff : parseMask4(maskText);
  if (mask4 !== undefined) {
    const strict = parseIPv4(addrText);
    if (strict !== undefined) return { kind: 'ipv4', addr: strict, mask: mask4 };
    if (resolve) {
      const aton = parseIPv4Aton(addrText);
      if (aton !== undefined) return { kind: 'ipv4', addr: aton, mask: mask4 };
      // gethostbyname() never sends all-digit-and-dot names to DNS
      if (/^[A-Za-z0-9_.-]+$/.test(addrText) && /[A-Za-z_-]/.test(addrText)) {
        return { kind: 'host', name: addrText, mask: mask4 };
      }
    }
  }
  // then IPv6 (str62net): bit count only, strtoul rules
  let prefix = 128;
  if (maskText !== undefined) {
    if (!/^\+?[0-9]+$/.test(maskText)) return undefined;
    prefix = Number(maskText);
    if (prefix > 128) return undefined;
  }
  const v6 = parseIPv6(addrText);
  return v6 ? { kind: 'ipv6', addr: v6, prefix } : undefined;
}

/** Dotted form of an IPv4 number. */
export function formatIPv4(addr: number): string {
  return [addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff].join('.');
}
