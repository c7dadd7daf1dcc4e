/**
 * `persist rdp-cookie[(<name>)]` (HAProxy 2.6's tcp_persist_rdp_cookie): an RDP connection request
 * held back by inspection whose cookie (default `msts`) reads `<addr>.<port>.<reserved>` goes to
 * the server with that IPv4 address and port, if it is not stopped (or `option persist`). A
 * Remote Desktop broker in token redirection mode writes the address as the integer whose bytes,
 * in memory order, are the address's (HAProxy compares it with `sin_addr.s_addr` on a
 * little-endian machine) and the port byte-swapped (`ntohs`).
 */
import { rdpCookieValue } from '../acl/eval-payload.ts';
import type { BalancingProxy } from '../config/model.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { serverStopped } from '../runtime/backend.ts';

/** The server a held RDP request's cookie names, or undefined. */
export type RdpPersistence = (payload: Uint8Array) => RuntimeServer | undefined;

export function compileRdpPersistence(proxy: BalancingProxy, servers: () => readonly RuntimeServer[]): RdpPersistence | undefined {
  const setting = proxy.rdpCookiePersist;
  if (!setting) return undefined;
  const persist = proxy.options['persist']?.enabled ?? false;
  return (payload) => {
    const cookie = rdpCookieValue(payload, setting.name);
    const target = cookie === undefined ? undefined : decodeRdpCookie(cookie);
    if (!target) return undefined;
    return servers().find((s) => s.port === target.port && ipv4Word(s.host) === target.addr && (!serverStopped(s) || persist));
  };
}

/** `<addr>.<port>.<…>` as HAProxy reads it with strtoul: digits, each number followed by a dot. */
export function decodeRdpCookie(value: string): { addr: number; port: number } | undefined {
  const m = /^(\d+)\.(\d+)\./.exec(value);
  if (!m) return undefined;
  const addr = Number(BigInt(m[1]!) & 0xffffffffn);
  const raw = Number(BigInt(m[2]!) & 0xffffn);
  return { addr, port: ((raw & 0xff) << 8) | (raw >> 8) };
}

/** An IPv4 address as the little-endian integer of its four bytes (undefined for anything else). */
function ipv4Word(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
  return (Number(parts[0]) | (Number(parts[1]) << 8) | (Number(parts[2]) << 16) | (Number(parts[3]) << 24)) >>> 0;
}
