/**
 * TLS protocol version bounds from HAProxy's words: `ssl-min-ver` / `ssl-max-ver`,
 * `force-tlsv1x` and the `no-tlsv1x` options (global `ssl-default-bind-options` / `ssl-default-server-options`
 * and the line's own). HAProxy 2.6 defaults to TLSv1.2 … TLSv1.3, as Node does.
 */
import type tls from 'node:tls';
import type { TlsVersion } from '../config/model.ts';

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
