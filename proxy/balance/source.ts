/**
 * `balance source`: the client address (backend.c, `get_server_sh`). HAProxy does
 * not run the `hash-type` function on it: the address is folded into 32 bits by
 * XOR of its big-endian 32-bit words (IPv4: the address itself; IPv6: four words),
 * then the avalanche modifier applies if configured. No address (unix socket):
 * round robin.
 */
import { NO_KEY, finisher, hashBalancer } from './hashed.ts';
import type { HashKeyFactory } from './hashed.ts';
import type { BalancerFactory } from './types.ts';

/** An IPv4 dotted quad as an unsigned 32-bit number, or -1. */
function ipv4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    let n = 0;
    let digits = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255) return -1;
    value = value * 256 + n;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const groups = new Uint16Array(8);

/** XOR of the four 32-bit words of an IPv6 address, or -1 when it does not parse. */
function ipv6Fold(s: string, start: number, end: number): number {
  const zone = s.indexOf('%', start);
  if (zone >= 0 && zone < end) end = zone;
  if (start < end && s.charCodeAt(start) === 91 && s.charCodeAt(end - 1) === 93) { start++; end--; } // [addr]
  groups.fill(0);
  let n = 0;
  let gap = -1;
  let i = start;
  if (i + 1 < end && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (n >= 8) return -1;
    // an embedded IPv4 tail takes two groups
    let j = i;
    while (j < end && s.charCodeAt(j) !== 58 && s.charCodeAt(j) !== 46) j++;
    if (j < end && s.charCodeAt(j) === 46) {
      const v4 = ipv4(s, i, end);
      if (v4 < 0 || n > 6) return -1;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    let v = 0;
    let digits = 0;
    while (i < end) {
      const d = hexDigit(s.charCodeAt(i));
      if (d < 0) break;
      v = v * 16 + d;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 4) return -1;
    groups[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return -1;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return -1;
      gap = n;
      i++;
    } else if (i === end) {
      return -1;
    }
  }
  if (gap >= 0) {
    if (n >= 8) return -1;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) {
      groups[7 - k] = groups[n - 1 - k]!;
      groups[n - 1 - k] = 0;
    }
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  } else if (n !== 8) {
    return -1;
  }
  let h = 0;
  for (let w = 0; w < 4; w++) h = (h ^ ((groups[2 * w]! << 16) | groups[2 * w + 1]!)) >>> 0;
  return h >>> 0;
}

/** The 32-bit fold of an IP address as `get_server_sh` computes it, or -1. */
export function foldAddress(ip: string): number {
  if (ip.indexOf(':') >= 0) return ipv6Fold(ip, 0, ip.length);
  return ipv4(ip, 0, ip.length);
}

const sourceKey: HashKeyFactory = (_balance, hash) => {
  const finish = finisher(hash);
  return (request, single) => {
    const src = request.source;
    if (src === undefined) return NO_KEY;
    const folded = foldAddress(src);
    if (folded < 0) return NO_KEY;
    if (single) return 0;
    return finish(folded);
  };
};

export const source = ((servers, options) => hashBalancer(servers, options, sourceKey)) satisfies BalancerFactory;
