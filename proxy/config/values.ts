/**
 * Argument value parsers shared by every keyword: durations, integers, sizes and
 * addresses, with HAProxy's accepted forms and HAProxy's wording for errors.
 * Each returns `{ value }` or `{ error }`; none throws.
 */
import { isIP } from 'node:net';
import type { ListenAddress } from './model.ts';

export type Parsed<T> = { value: T; error?: undefined; warning?: string } | { value?: undefined; error: string; warning?: undefined };

/** The units of a duration, in ms. */
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration (configuration.txt §2.5): digits then an optional us/ms/s/m/h/d unit; result in ms.
 * As HAProxy 2.6's parse_time_err(): the value is rounded up to the caller's unit (`defaultUnitMs`,
 * which a bare number is in), at least 2^31 of that unit is an overflow, and anything after a
 * valid unit (`10sx`) is only warned about (`warning`), the value kept.
 */
export function parseTime(word: string, what: string, defaultUnitMs = 1): Parsed<number> {
  const m = /^(\d+)(.*)$/.exec(word);
  if (!m) {
    const bad = word[0] ?? '';
    return { error: word === '' ? `'${what}' expects a time value` : `unexpected character '${bad}' in '${what}'` };
  }
  const suffix = m[2]!;
  const unit = suffix === '' ? '' : /^(us|ms|s|m|h|d)/.exec(suffix)?.[1];
  if (unit === undefined) return { error: `unexpected character '${suffix[0]}' in '${what}'` };
  const ms = Number(m[1]) * (unit === '' ? defaultUnitMs : TIME_UNITS[unit]!);
  const units = Math.max(0, Math.ceil(ms / defaultUnitMs - 1e-9));
  if (units >= 2 ** 31) {
    return { error: defaultUnitMs === 1000 ? `timer overflow in argument <${word}> to ${what}, maximum value is 2147483647 s (~68 years).` : `timer overflow in argument '${word}' to '${what}' (maximum value is 2147483647 ms or ~24.8 days)` };
  }
  const rest = suffix.slice(unit.length);
  const warning = rest === '' ? undefined : `unexpected character '${rest[0]}' after the timer value '${word}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.`;
  return { value: units * defaultUnitMs, ...(warning ? { warning } : {}) };
}

/**
 * C's strtol(word, &end, 0), as HAProxy reads many numbers: after spaces and a sign, 0x hexadecimal,
 * 0 octal or decimal digits; `rest` is what it left unread (all of `word` when it read no digit).
 */
export function strtol0(word: string): { value: number; rest: string } {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)?([^]*)$/.exec(word)!;
  const digits = m[2];
  if (digits === undefined) return { value: 0, rest: word };
  const magnitude = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  return { value: m[1] === '-' ? -magnitude : magnitude, rest: m[3]! };
}

/** C's atoi()/atol(), as HAProxy reads many numbers: the leading (signed) digits after spaces, 0 without any. */
export function atoi(word: string): number {
  return Number(/^\s*[+-]?\d+/.exec(word)?.[0] ?? 0);
}

/** C's `int` from atoi()/atol() (a 32-bit wrap: 2147483648 reads as negative), as HAProxy stores many tune values. */
export function atoiInt(word: string): number {
  return atoi(word) | 0;
}

/** The character parse_time_err() stops at in a duration it cannot read (after the digits). */
export function timeStopChar(word: string): string {
  return /^\d*([^])/.exec(word)?.[1] ?? '';
}

/** A non-negative decimal integer, optionally bounded. */
export function parseInteger(word: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): Parsed<number> {
  if (!/^-?\d+$/.test(word)) return { error: `'${what}' expects an integer argument, got '${word}'` };
  const value = Number(word);
  if (value < min || value > max) {
    return { error: max === Number.MAX_SAFE_INTEGER ? (min === 0 ? `'${what}' expects a non-negative integer, got '${word}'` : `'${what}' expects an integer >= ${min}, got '${word}'`) : `'${what}' expects an integer between ${min} and ${max}, got '${word}'` };
  }
  return { value };
}

/** A size with an optional k/m/g suffix (powers of 1024 for bytes, 1000 for counts in stick tables). */
export function parseSize(word: string, what: string, base = 1024): Parsed<number> {
  const m = /^(\d+)([kmgKMG]?)$/.exec(word);
  if (!m) return { error: `'${what}' expects a size (number with optional k, m or g suffix), got '${word}'` };
  const power = { '': 0, k: 1, m: 2, g: 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return { value: Number(m[1]) * base ** power };
}

export function parsePort(text: string, whole: string, keyword: string): Parsed<number> {
  const bad = /[^0-9]/.exec(text);
  if (bad) return { error: `'${keyword}' : invalid character '${bad[0]}' in port number '${text}' in '${whole}'` };
  const port = Number(text);
  if (text === '' || port < 0 || port > 65535) return { error: `'${keyword}' : invalid port '${text}'` };
  return { value: port };
}

const FAMILY_PREFIXES = new Set(['ipv4', 'ipv6', 'unix']);
/**
 * HAProxy's prefixes that name a family, and a stream socket of it (configuration.txt 11.1, 11.3):
 * what every address read here is (a nameserver's tcp@, DNS over TCP, is refused before).
 */
const STREAM_PREFIXES: Readonly<Record<string, ListenAddress['family']>> = { ip: 'any', tcp: 'any', tcp4: 'ipv4', tcp6: 'ipv6' };
const KNOWN_UNSUPPORTED_PREFIXES = new Set(['fd', 'sockpair', 'udp', 'udp4', 'udp6', 'quic4', 'quic6', 'uxst', 'uxdg', 'tcp', 'tcp4', 'tcp6', 'stream', 'dgram', 'ip', 'rhttp']);

export interface AddressOptions {
  /** `bind` accepts port ranges and requires a port. */
  kind: 'bind' | 'server' | 'generic';
  keyword: string;
  /** A generic address that may be a host name, resolved later in the family its prefix names (`source ipv6@gw.lan`). */
  hostNames?: boolean;
}

/** sizeof(sun_path) - 1: the longest UNIX socket path. */
const SUN_PATH_MAX = 107;

/**
 * `[family@]addr:port[-end]`, `*:port`, `:port`, `[v6]:port`, `v6:port` (last colon wins),
 * `/unix/path`, and for binds and servers `abns@name` (Linux's abstract namespace: family 'unix', the
 * host a path starting with a NUL byte, as Node's net.connect takes it; like HAProxy, both
 * Node and HAProxy 2.6 pad the name with NULs to the whole sun_path, so they meet).
 * Host names are accepted (resolved by the engine, never here).
 */
export function parseAddress(word: string, options: AddressOptions): Parsed<ListenAddress & { portOffset?: boolean }> {
  const { keyword } = options;
  let family: ListenAddress['family'] = 'any';
  let rest = word;
  const at = word.indexOf('@');
  if (at >= 0 && !word.startsWith('/')) {
    const prefix = word.slice(0, at);
    if (prefix === 'abns' && options.kind !== 'generic') {
      const name = word.slice(at + 1);
      if (name.length > SUN_PATH_MAX) return { error: `'${keyword}' : socket path '${word}' too long (max ${SUN_PATH_MAX})` };
      return { value: { family: 'unix', host: `\0${name}`, port: 0, portEnd: 0 } };
    }
    const stream = STREAM_PREFIXES[prefix];
    if (stream !== undefined) {
      const rest = word.slice(at + 1);
      // An IP family: a path after it is no address (a bind finds no port in it, a server no name).
      if (rest.startsWith('/')) return { error: options.kind === 'server' ? `'${keyword}' : could not resolve address '${rest}'` : options.kind === 'bind' ? `'${keyword}' : missing port specification in '${word}'` : `'${keyword}' : invalid address: '${rest}' in '${word}'` };
      return parseAddress(stream === 'any' ? rest : `${stream}@${rest}`, options);
    }
    if (KNOWN_UNSUPPORTED_PREFIXES.has(prefix) || prefix === 'abns') {
      return { error: `'${keyword}' : address family '${prefix}@' in '${word}' is not supported by Loadstar yet (use ipv4@, ipv6@ or unix@)` };
    }
    if (!FAMILY_PREFIXES.has(prefix)) {
      const host = word.slice(0, word.lastIndexOf(':') > at ? word.lastIndexOf(':') : word.length);
      return { error: options.kind === 'server' ? `'${keyword}' : could not resolve address '${host}'` : `'${keyword}' : invalid address: '${host}' in '${word}'` };
    }
    family = prefix as ListenAddress['family'];
    rest = word.slice(at + 1);
  }
  if (family === 'unix' || rest.startsWith('/')) {
    if (rest === '') return { error: `'${keyword}' : missing path in '${word}'` };
    // HAProxy keeps room for the `.<pid>.tmp` suffix it binds through (str2sa_range), for servers too.
    if (rest.length > SUN_PATH_MAX - 10) return { error: `'${keyword}' : socket path '${word}' too long (max ${SUN_PATH_MAX - 10})` };
    return { value: { family: 'unix', host: rest, port: 0, portEnd: 0 } };
  }

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { error: `'${keyword}' : invalid address: '${rest}' in '${word}'` };
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return { error: `'${keyword}' : invalid address: '${rest}' in '${word}'` };
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) {
      host = rest;
      portText = undefined;
    } else {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  if (host === '*') host = '';
  // str2sa_range(): a bind needs a port before its address is looked at.
  if (options.kind === 'bind' && portText === undefined) return { error: `'${keyword}' : missing port specification in '${word}'` };
  // A server's address is resolved (str2sa_range with PA_O_RESOLVE): HAProxy says so when it is not one.
  const invalid = options.kind === 'server' ? `'${keyword}' : could not resolve address '${host}'` : `'${keyword}' : invalid address: '${host}' in '${word}'`;
  if (host.includes(':') && isIP(host) !== 6 && family !== 'ipv6') return { error: invalid };
  // A server's `ipv4@name` / `ipv6@name` is a host name resolved in that family (HAProxy's init-addr libc).
  const familyName = (options.kind === 'server' || options.hostNames === true) && isIP(host) === 0 && isHostName(host);
  if (family === 'ipv4' && host !== '' && isIP(host) !== 4 && !familyName) return { error: invalid };
  if (family === 'ipv6' && host !== '' && host !== '::' && isIP(host) !== 6 && !familyName) return { error: invalid };
  if (host !== '' && isIP(host) === 0 && !isHostName(host)) return { error: invalid };
  if (family === 'any' && host !== '') family = isIP(host) === 6 ? 'ipv6' : isIP(host) === 4 ? 'ipv4' : 'any';

  if (portText === undefined || portText === '') {
    if (options.kind === 'bind') return { error: `'${keyword}' : missing port specification in '${word}'` };
    return { value: { family, host, port: 0, portEnd: 0, portOffset: true } };
  }
  if (options.kind === 'server' && /^[+-]\d+$/.test(portText)) {
    return { value: { family, host, port: Number(portText), portEnd: Number(portText), portOffset: true } };
  }
  if (options.kind === 'server' && /^\d+-\d+$/.test(portText)) return { error: `'${keyword}' : port range not permitted here in '${word}'` };
  if (options.kind === 'bind' && /^[+-]\d+$/.test(portText)) return { error: `'${keyword}' : port offset not permitted here in '${word}'` };
  if (options.kind === 'bind' && portText.includes('-')) {
    const [first, last] = portText.split('-', 2) as [string, string];
    const a = parsePort(first, word, keyword);
    if (a.error !== undefined) return a;
    const b = parsePort(last, word, keyword);
    if (b.error !== undefined) return b;
    if (a.value === 0) return { error: `'${keyword}' : invalid port '0'` };
    if (b.value < a.value) return { error: `'${keyword}' : invalid port range '${portText}'` };
    return { value: { family, host, port: a.value, portEnd: b.value } };
  }
  const port = parsePort(portText, word, keyword);
  if (port.error !== undefined) return port;
  if (options.kind === 'bind' && port.value === 0) return { error: `'${keyword}' : invalid port '0'` };
  return { value: { family, host, port: port.value, portEnd: port.value } };
}

function isHostName(host: string): boolean {
  return /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(host) && !/^[\d.]+$/.test(host);
}

export function formatAddress(a: ListenAddress): string {
  if (a.family === 'unix') return a.host.startsWith('\0') ? `abns@${a.host.slice(1)}` : a.host;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  const port = a.portEnd !== a.port ? `${a.port}-${a.portEnd}` : `${a.port}`;
  return `${host}:${port}`;
}

/**
 * `<address>[/mask]` as HAProxy's str2net / str62net read it: IPv4 with a prefix length or a
 * dotted mask, IPv6 with a prefix length (a bare address is the host itself). Undefined when not one.
 */
export function parseNetwork(text: string): { address: string; bits: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? undefined : text.slice(slash + 1);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (mask === undefined) return { address, bits: max, family };
  if (/^\d{1,3}$/.test(mask) && Number(mask) <= max) return { address, bits: Number(mask), family };
  if (version === 4 && isIP(mask) === 4) {
    // A dotted mask must be contiguous ones (255.255.0.0), as len2mask4's inverse requires.
    const n = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const bits = n.toString(2).padStart(32, '0');
    if (/^1*0*$/.test(bits)) return { address, bits: bits.indexOf('0') < 0 ? 32 : bits.indexOf('0'), family };
  }
  return undefined;
}
