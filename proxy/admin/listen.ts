/**
 * The admin server's address: `--listen HOST:PORT` parsed and classified.
 * Only a loopback address may be used without an admin password.
 */
import net from 'node:net';
import os from 'node:os';
import { AdminError } from '../errors.ts';

export const DEFAULT_LISTEN = '127.0.0.1:9000';

export interface ListenAddress {
  /** As given, without brackets: `127.0.0.1`, `::1`, `0.0.0.0`, `nas.home.lan`. */
  host: string;
  port: number;
  loopback: boolean;
  /** 0.0.0.0 or :: (every interface). */
  wildcard: boolean;
}

/** `HOST:PORT`, `[IPv6]:PORT`; port 0 asks the system for a free one (tests). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new AdminError('LS_ERR_ADMIN_LISTEN', `--listen expects HOST:PORT (e.g. 127.0.0.1:9000 or [::1]:9000), got '${text}'.`);
  }
  const host = (m[1] ?? m[2])!;
  if (m[1] !== undefined && net.isIPv6(host) === false) throw new AdminError('LS_ERR_ADMIN_LISTEN', `--listen: '${host}' is not an IPv6 address.`);
  return { host, port, loopback: isLoopbackHost(host), wildcard: host === '0.0.0.0' || host === '::' };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Host names (lowercased, without port) the admin answers to, against DNS
 * rebinding: loopback names always; the listen host; for a wildcard listen the
 * machine's interface addresses and host name; names a TLS certificate covers.
 */
export function allowedHostNames(listen: ListenAddress, certificateNames: readonly string[] = []): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1', listen.host.toLowerCase()]);
  if (listen.wildcard) {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase().replace(/%.*$/, ''));
    const hostname = os.hostname().toLowerCase();
    names.add(hostname);
    if (!hostname.includes('.')) names.add(`${hostname}.local`);
  }
  for (const n of certificateNames) names.add(n.toLowerCase());
  names.delete('0.0.0.0');
  names.delete('::');
  return names;
}
