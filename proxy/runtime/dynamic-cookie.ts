/**
 * Dynamic persistence cookies (`cookie … dynamic` with `dynamic-cookie-key`):
 * a server without its own `cookie` value gets one derived from the backend's
 * secret key, its IP address and its port, as HAProxy 2.6's srv_set_dyncookie
 * computes it — so that several load balancers (HAProxy or Loadstar) sharing
 * the key give a server the same cookie: XXH64 with seed 0 over the key's
 * bytes, the address (4 or 16 bytes, network order) and the port (4 bytes,
 * big-endian), printed as 16 lowercase hex digits.
 */
import xxhash from 'xxhash-wasm';
import { parseIPv4, parseIPv4Aton, parseIPv6 } from '../acl/ip.ts';

// The WASM hasher is instantiated once, when this module loads (a millisecond), so that
// the configuration load and the runtime API's commands can hash synchronously.
const { h64Raw } = await xxhash();

/**
 * The address bytes HAProxy hashes: IPv4 (also inet_aton's short forms, which
 * HAProxy's resolver accepts) or IPv6; undefined for a host name, which
 * HAProxy resolves at startup and Loadstar does not.
 */
export function serverAddressBytes(host: string): Uint8Array | undefined {
  const v4 = parseIPv4(host) ?? parseIPv4Aton(host);
  if (v4 !== undefined) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
  return parseIPv6(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
}

/** The cookie value HAProxy gives a server at `host`:`port` under `key`; undefined when the host is not an IP address. */
export function dynamicCookie(key: string, host: string, port: number): string | undefined {
  const address = serverAddressBytes(host);
  if (!address) return undefined;
  const keyBytes = Buffer.from(key, 'utf8');
  const input = Buffer.alloc(keyBytes.length + address.length + 4);
  keyBytes.copy(input, 0);
  input.set(address, keyBytes.length);
  // HAProxy copies htonl(svc_port): 4 bytes, most significant first, whatever the machine.
  input.writeUInt32BE(port >>> 0, keyBytes.length + address.length);
  return h64Raw(input, 0n).toString(16).padStart(16, '0');
}
