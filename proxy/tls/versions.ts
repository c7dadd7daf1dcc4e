/**
 * TLS protocol version bounds from HAProxy's words: `ssl-min-ver` / `ssl-max-ver`,
 * `force-tlsv1x` and the `no-tlsv1x` options (global `ssl-default-bind-options` / `ssl-default-server-options`
 * and the line's own). HAProxy 2.6 defaults to TLSv1.2 … TLSv1.3, as Node does.
 */
import type tls from 'node:tls';
import type { ServerOptions, TlsVersion } from '../config/model.ts';

export interface VersionRange {
  min: tls.SecureVersion;
  max: tls.SecureVersion;
}

const ORDER: TlsVersion[] = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const NODE: Record<TlsVersion, tls.SecureVersion | undefined> = {
  SSLv3: undefined, 'TLSv1.0': 'TLSv1', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3',
};
const NO_OPTION: Record<string, TlsVersion> = {
  'no-sslv3': 'SSLv3', 'no-tlsv10': 'TLSv1.0', 'no-tlsv11': 'TLSv1.1', 'no-tlsv12': 'TLSv1.2', 'no-tlsv13': 'TLSv1.3',
};

const FORCE_OPTION: Record<string, TlsVersion> = {
  'force-sslv3': 'SSLv3', 'force-tlsv10': 'TLSv1.0', 'force-tlsv11': 'TLSv1.1', 'force-tlsv12': 'TLSv1.2', 'force-tlsv13': 'TLSv1.3',
};

/**
 * `defaults` are option words (e.g. ['ssl-min-ver', 'TLSv1.2', 'no-tls-tickets']); the line's
 * own min/max win over them. Returns an error message when nothing usable is left.
 */
export function versionRange(defaults: readonly string[], min?: TlsVersion, max?: TlsVersion): VersionRange | string {
  let lo: TlsVersion = 'TLSv1.2';
  let hi: TlsVersion = 'TLSv1.3';
  const disabled = new Set<TlsVersion>();
  for (let i = 0; i < defaults.length; i++) {
    const word = defaults[i]!;
    if (word === 'ssl-min-ver') lo = defaults[++i] as TlsVersion;
    else if (word === 'ssl-max-ver') hi = defaults[++i] as TlsVersion;
    else if (NO_OPTION[word]) disabled.add(NO_OPTION[word]);
    // `force-tlsv12` is `ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2` (HAProxy's parse_tls_method_options).
    else if (FORCE_OPTION[word]) lo = hi = FORCE_OPTION[word];
  }
  if (min) lo = min;
  if (max) hi = max;
  const allowed = ORDER.filter((v) => ORDER.indexOf(v) >= ORDER.indexOf(lo) && ORDER.indexOf(v) <= ORDER.indexOf(hi) && !disabled.has(v));
  const usable = allowed.filter((v) => NODE[v] !== undefined);
  if (usable.length === 0) {
    return allowed.includes('SSLv3') ? `SSLv3 is not supported (it is broken and Node's OpenSSL has no SSLv3); use ssl-min-ver TLSv1.2.` : `no TLS protocol version left between '${lo}' and '${hi}'.`;
  }
  return { min: NODE[usable[0]!]!, max: NODE[usable[usable.length - 1]!]! };
}

/** A server's protocol versions as HAProxy works them out, with what it warns about. */
export interface ServerVersions {
  range?: VersionRange;
  /** `all SSL/TLS versions are disabled` (an alert), when nothing is left. */
  error?: string;
  /** HAProxy's warnings: no-* flags ignored next to min/max, a hole in the range. */
  warnings: string[];
}

/** What a server line (over `default-server`) says about versions. */
export type ServerVersionOptions = Pick<ServerOptions, 'sslMinVer' | 'sslMaxVer' | 'noSslv3' | 'noTlsv10' | 'noTlsv11' | 'noTlsv12' | 'noTlsv13'>;

const SERVER_FLAG: Record<TlsVersion, keyof ServerVersionOptions> = {
  SSLv3: 'noSslv3', 'TLSv1.0': 'noTlsv10', 'TLSv1.1': 'noTlsv11', 'TLSv1.2': 'noTlsv12', 'TLSv1.3': 'noTlsv13',
};

/**
 * HAProxy 2.6's ssl_sock_prepare_srv_ssl_ctx(): the global `ssl-default-server-options`
 * fill what the server leaves unset (flags add up, min/max only when unset); no-* flags are
 * ignored when a min or max exists; the range runs from the first to the last version left
 * (a hole inside it is only warned about: OpenSSL gets a min and a max). SSLv3 is not
 * available (Debian's OpenSSL, as Node's, has none); TLS 1.0/1.1 are configurable but
 * OpenSSL 3's security level refuses them at handshake, in both.
 */
export function serverVersions(defaults: readonly string[], server: ServerVersionOptions, who: { proxy: string; server: string }): ServerVersions {
  let min = server.sslMinVer;
  let max = server.sslMaxVer;
  const disabled = new Set<TlsVersion>(ORDER.filter((v) => server[SERVER_FLAG[v]] === true));
  let globalMin: TlsVersion | undefined;
  let globalMax: TlsVersion | undefined;
  for (let i = 0; i < defaults.length; i++) {
    const word = defaults[i]!;
    if (word === 'ssl-min-ver') globalMin = defaults[++i] as TlsVersion;
    else if (word === 'ssl-max-ver') globalMax = defaults[++i] as TlsVersion;
    else if (NO_OPTION[word]) disabled.add(NO_OPTION[word]);
    else if (FORCE_OPTION[word]) globalMin = globalMax = FORCE_OPTION[word];
  }
  min ??= globalMin;
  max ??= globalMax;
  const warnings: string[] = [];
  if (disabled.size > 0 && (min || max)) {
    warnings.push(`no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.`);
    disabled.clear();
  }
  const off = (v: TlsVersion): boolean =>
    disabled.has(v) || NODE[v] === undefined || (min !== undefined && ORDER.indexOf(v) < ORDER.indexOf(min)) || (max !== undefined && ORDER.indexOf(v) > ORDER.indexOf(max));
  let first: TlsVersion | undefined;
  let last: TlsVersion | undefined;
  let hole: TlsVersion | undefined;
  for (const v of ORDER) {
    if (off(v)) {
      if (first) hole = v;
      continue;
    }
    if (first && hole) {
      warnings.push(`backend '${who.proxy}': SSL/TLS versions range not contiguous for server '${who.server}'. Hole find for ${hole}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.`);
      hole = undefined;
    }
    first ??= v;
    last = v;
  }
  if (!first || !last) return { error: `backend '${who.proxy}': all SSL/TLS versions are disabled for server '${who.server}'.`, warnings };
  return { range: { min: NODE[first]!, max: NODE[last]! }, warnings };
}
