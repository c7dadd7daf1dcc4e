/**
 * `tcp-request connection|session|content set-src|set-src-port|set-dst|set-dst-port` on a
 * connection (HAProxy's tcp_action_req_set_src … in tcp_act.c): the connection's own addresses
 * change, for everything that reads them afterwards.
 *
 * As for a received PROXY header (proxy-header-reader.ts), the new values are own properties of
 * the socket: every reader in Loadstar (`src`, logs, stick tables, `balance source`,
 * X-Forwarded-For, `send-proxy`, a `0.0.0.0` server's destination) asks the socket. A connection
 * rule runs on the TCP connection before a TLS handshake; the TLS socket made over it takes the
 * rewritten addresses too (inheritRewrittenAddresses). Sockets no rule rewrote pay nothing.
 *
 * A new address keeps the port (the family may change: an IPv6 source on an IPv4 connection);
 * a port given to a connection of neither family would make it 0.0.0.0 in HAProxy, which cannot
 * happen on a TCP socket.
 */
import type net from 'node:net';
import { ipv4ToString, ipv6ToString } from '../acl/index.ts';
import type { Sample } from '../acl/index.ts';

export type AddressRewrite = 'set-src' | 'set-src-port' | 'set-dst' | 'set-dst-port';

interface Rewritten {
  remoteAddress?: string;
  remoteFamily?: string;
  remotePort?: number;
  localAddress?: string;
  localFamily?: string;
  localPort?: number;
}

/** What rules rewrote on each raw TCP socket, for the TLS socket made over it. */
const rewritten = new WeakMap<net.Socket, Rewritten>();
let anyRewritten = false;

/**
 * Rewrites one of `socket`'s addresses with `value` (an address already cast to ipv4/ipv6 for
 * set-src/set-dst, an int for the ports); a value of another type changes nothing. True when it changed.
 */
export function rewriteSocketAddress(socket: net.Socket, kind: AddressRewrite, value: Sample): boolean {
  const fields: Rewritten = {};
  if (value.type === 'ipv4' || value.type === 'ipv6') {
    if (kind !== 'set-src' && kind !== 'set-dst') return false;
    const address = value.type === 'ipv4' ? ipv4ToString(value.value) : ipv6ToString(value.value);
    const family = value.type === 'ipv4' ? 'IPv4' : 'IPv6';
    if (kind === 'set-src') Object.assign(fields, { remoteAddress: address, remoteFamily: family });
    else Object.assign(fields, { localAddress: address, localFamily: family });
  } else if (value.type === 'int') {
    if (kind !== 'set-src-port' && kind !== 'set-dst-port') return false;
    const port = Number(value.value) & 0xffff;
    if (kind === 'set-src-port') fields.remotePort = port;
    else fields.localPort = port;
  } else return false;
  define(socket, fields);
  anyRewritten = true;
  rewritten.set(socket, { ...rewritten.get(socket), ...fields });
  return true;
}

/** A TLS socket over a TCP connection whose addresses a connection rule rewrote takes them too. */
export function inheritRewrittenAddresses(secured: net.Socket): void {
  if (!anyRewritten) return;
  const raw = (secured as unknown as { _parent?: net.Socket })._parent;
  const fields = raw && rewritten.get(raw);
  if (fields) define(secured, fields);
}

function define(socket: net.Socket, fields: Rewritten): void {
  for (const [name, value] of Object.entries(fields)) Object.defineProperty(socket, name, { value, configurable: true, enumerable: false });
}
