/**
 * Checks of what a user names: store names (they become file names) and the
 * DNS names and IP addresses a certificate is issued for.
 */
import { domainToASCII } from 'node:url';
import { parseIPv4, parseIPv6 } from '../acl/ip.ts';
import { CertError } from '../errors.ts';
import { KEY_TYPES } from './types.ts';
import type { KeyType } from './types.ts';

/** Windows refuses these as file names whatever the extension; the store should move between machines. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** A store name: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 64 characters. */
export function checkCertName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new CertError('LS_ERR_CERT_BAD_NAME', 'a certificate name is required (letters, digits, ".", "_", "-")');
  if (name.toLowerCase().endsWith('.pem')) {
    throw new CertError('LS_ERR_CERT_BAD_NAME', `certificate name '${name}' ends with '.pem': give the name without the extension ('${name.slice(0, -4)}')`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name.includes('..') || RESERVED.test(name.split('.')[0]!)) {
    throw new CertError('LS_ERR_CERT_BAD_NAME', `certificate name '${name}' is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes a file name)`);
  }
  return name;
}

/**
 * A store name for a certificate from its host name: Let's Encrypt's files
 * are all `fullchain.pem`, so the file's name says nothing, `nas.home.arpa`
 * does. `*.` becomes `wildcard.`; characters a store name cannot hold become
 * `_`. Undefined when nothing usable is left (checkCertName would refuse it).
 */
export function storeNameFor(host: string): string | undefined {
  const name = host.trim().toLowerCase().replace(/^\*\./, 'wildcard.').replace(/[^a-z0-9._-]/g, '_').replace(/\.{2,}/g, '.').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  try {
    return checkCertName(name);
  } catch {
    return undefined;
  }
}

/**
 * Normalises a DNS name for a subjectAltName: lower case, no trailing dot,
 * internationalised names converted to punycode. A wildcard is allowed only
 * as the whole leftmost label and needs two labels after it, because browsers
 * refuse `*.com`-like wildcards.
 */
export function checkDnsName(input: string): string {
  const bad = (why: string): never => { throw new CertError('LS_ERR_CERT_BAD_SAN', `DNS name '${input}' ${why}`); };
  let name = input.trim().replace(/\.$/, '');
  if (name === '') bad('is empty');
  const wildcard = name.startsWith('*.');
  const rest = wildcard ? name.slice(2) : name;
  if (rest.includes('*')) bad("has a '*' that is not the whole leftmost label ('*.example.org' is the only wildcard form browsers accept)");
  const ascii = /^[\x21-\x7e]*$/.test(rest) ? rest.toLowerCase() : domainToASCII(rest);
  if (ascii === '') bad('is not a valid internationalised domain name');
  if (parseIPv4(ascii) !== undefined || ascii.includes(':')) bad('is an IP address: give it with --ip (an IP SAN), not as a DNS name');
  name = (wildcard ? '*.' : '') + ascii;
  if (name.length > 253) bad('is longer than 253 characters');
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') bad('has an empty label (two dots in a row)');
    if (label.length > 63) bad(`has a label longer than 63 characters ('${label.slice(0, 20)}…')`);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label)) bad(`has a label '${label}' with characters other than letters, digits and inner '-'`);
  }
  if (wildcard && labels.length < 2) bad("is a wildcard over a top-level domain; browsers refuse it (use '*.home.example', not '*.example')");
  return name;
}

/** An IPv4 or IPv6 address, returned with the bytes the SAN carries. */
export function checkIpAddress(input: string): { text: string; bytes: Uint8Array } {
  const text = input.trim().replace(/^\[(.*)\]$/, '$1');
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { text, bytes: Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff) };
  const v6 = text.includes(':') ? parseIPv6(text) : undefined;
  if (v6) return { text: text.toLowerCase(), bytes: v6 };
  throw new CertError('LS_ERR_CERT_BAD_SAN', `IP address '${input}' is not an IPv4 (192.168.1.10) or IPv6 (fd00::10) address`);
}

export interface SanList {
  dns: string[];
  ips: Array<{ text: string; bytes: Uint8Array }>;
}

/** Most DNS names and IP addresses one certificate is issued for. */
export const MAX_SANS = 100;

/** Checks and de-duplicates the SANs of an issue request; at least one is needed. */
export function checkSans(dns: unknown, ip: unknown): SanList {
  const list = (value: unknown, what: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new CertError('LS_ERR_CERT_BAD_SAN', `${what} must be a list of strings`);
    return value as string[];
  };
  const given = list(dns, 'dns').length + list(ip, 'ip').length;
  if (given > MAX_SANS) {
    throw new CertError('LS_ERR_CERT_BAD_SAN', `${given} DNS names and IP addresses were given; a certificate holds at most ${MAX_SANS} (Let's Encrypt's limit too): split the sites over several certificates`);
  }
  const dnsNames = [...new Set(list(dns, 'dns').map(checkDnsName))];
  const seen = new Set<string>();
  const ips = list(ip, 'ip').map(checkIpAddress).filter((a) => {
    const key = Buffer.from(a.bytes).toString('hex');
    return seen.has(key) ? false : (seen.add(key), true);
  });
  if (dnsNames.length === 0 && ips.length === 0) {
    throw new CertError('LS_ERR_CERT_BAD_SAN', 'a certificate needs at least one DNS name or IP address (--dns NAME, --ip ADDRESS): browsers match only these, never the CN');
  }
  return { dns: dnsNames, ips };
}

/** Apple's platforms refuse TLS server certificates valid for longer than 825 days. */
export const MAX_LEAF_DAYS = 825;

export function checkDays(days: unknown, max: number, fallback: number): number {
  if (days === undefined) return fallback;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > max) {
    const why = max === MAX_LEAF_DAYS ? ` (Apple devices refuse server certificates valid for more than ${MAX_LEAF_DAYS} days)` : '';
    throw new CertError('LS_ERR_CERT_BAD_DAYS', `lifetime must be a whole number of days from 1 to ${max}${why}, got '${String(days)}'`);
  }
  return days;
}

export function checkKeyType(key: unknown, fallback: KeyType): KeyType {
  if (key === undefined) return fallback;
  if (typeof key !== 'string' || !(KEY_TYPES as readonly string[]).includes(key)) {
    throw new CertError('LS_ERR_CERT_BAD_KEY_TYPE', `key type '${String(key)}' is not one of ${KEY_TYPES.join(', ')}`);
  }
  return key as KeyType;
}
