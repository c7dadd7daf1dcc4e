/**
 * Encodings (sample.c; section 7.3.1): base64 and base64url, hex, integers
 * as bytes and bytes as numbers, URL decoding and encoding.
 */
import type { SampleArg } from '../types.ts';
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter, strArg, intArg, bytesOf, strOf } from './define.ts';
import { mkStr, mkInt64, mkBin, toHex, intOf } from '../eval-sample.ts';
import { base64Decode } from '../eval-http.ts';
import { strOf as argStr, intOf as argInt } from '../validators.ts';

const HEXU = '0123456789ABCDEF';

const hex2i: ConverterCompiler = () => (s) => {
  const v = strOf(s);
  let n = 0n;
  for (let i = 0; i < v.length; i++) {
    const d = parseInt(v[i]!, 16);
    if (Number.isNaN(d)) return undefined;
    n = BigInt.asIntN(64, (n << 4n) + BigInt(d));
  }
  return mkInt64(n);
};

const htonl: ConverterCompiler = () => (s) => {
  const v = intOf(s) >>> 0;
  return mkBin(Uint8Array.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]));
};

const be2dec: ConverterCompiler = ({ args }) => {
  const sep = strArg(args, 0) ?? '';
  const size = intArg(args, 1) ?? 1;
  const trunc = (intArg(args, 2) ?? 0) !== 0;
  return (s) => {
    const b = bytesOf(s);
    const last = trunc ? b.length - size + 1 : b.length;
    let out = '';
    let p = 0;
    while (p < last) {
      if (p) out += sep;
      let n = 0n;
      for (let i = 0; i < size && p < b.length; i++) n = (n << 8n) + BigInt(b[p++]!);
      out += n.toString();
    }
    return mkStr(out);
  };
};

const be2hex: ConverterCompiler = ({ args }) => {
  const sep = strArg(args, 0) ?? '';
  const size = intArg(args, 1) ?? 0;
  const trunc = (intArg(args, 2) ?? 0) !== 0;
  return (s) => {
    const b = bytesOf(s);
    const chunk = sep === '' && !trunc ? b.length : size;
    if (chunk <= 0) return mkStr(toHex(b));
    const last = trunc ? b.length - chunk + 1 : b.length;
    let out = '';
    let p = 0;
    while (p < last) {
      if (p) out += sep;
      const end = Math.min(p + chunk, b.length);
      out += toHex(b.subarray(p, end));
      p = end;
    }
    return mkStr(out);
  };
};

const urlDec: ConverterCompiler = ({ args }) => {
  const inForm = (intArg(args, 0) ?? 0) !== 0;
  return (s) => { const v = urlDecode(strOf(s), inForm); return v === undefined ? undefined : mkStr(v); };
};

const urlEnc: ConverterCompiler = () => (s) => {
  const v = strOf(s);
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    out += QUERY_SAFE[c] ? v[i] : '%' + HEXU[c >> 4] + HEXU[c & 15];
  }
  return mkStr(out);
};

/** url_decode(): %XX and, in form mode (or after a '?'), '+' → ' '; a bad %-sequence fails. */
function urlDecode(v: string, inFormStart: boolean): string | undefined {
  let inForm = inFormStart;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\0') break;
    if (c === '+') out += inForm ? ' ' : '+';
    else if (c === '%') {
      const h = v.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out += String.fromCharCode(parseInt(h, 16));
      i += 2;
    } else {
      if (c === '?') inForm = true;
      out += c;
    }
  }
  return out;
}

/** Characters url_enc(query) leaves alone (HAProxy's query_encode_map: unreserved characters). */
const QUERY_SAFE: boolean[] = (() => {
  const t = new Array<boolean>(256).fill(false);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') t[c.charCodeAt(0)] = true;
  return t;
})();

function base64UrlDecode(s: string): Uint8Array | undefined {
  const rem = s.length % 4;
  if (rem === 1) return undefined;
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function be2decArgs(a: SampleArg[]): string | undefined {
  const size = argInt(a[1]);
  if (size <= 0 || size > 8) return `chunk_size out of [1..8] range (${size})`;
  const trunc = argInt(a[2]);
  return trunc !== 0 && trunc !== 1 ? `Unsupported truncate value (${trunc})` : undefined;
}

function be2hexArgs(a: SampleArg[]): string | undefined {
  const size = argInt(a[1]);
  const trunc = argInt(a[2]);
  if (size <= 0 && ((argStr(a[0]) ?? '') !== '' || trunc !== 0)) return `chunk_size needs to be positive (${size})`;
  return trunc !== 0 && trunc !== 1 ? `Unsupported truncate value (${trunc})` : undefined;
}

const urlEncArgs = (a: SampleArg[]): string | undefined =>
  (/^(|query)$/.test(argStr(a[0]) ?? '') ? undefined : "Unexpected encode type. Allowed value is 'query'");

export const ENCODING_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['b64dec', '', 'str', 'bin'], () => (s) => { const b = base64Decode(strOf(s)); return b ? mkBin(b) : undefined; }),
  converter(['base64', '', 'bin', 'str'], () => (s) => mkStr(Buffer.from(bytesOf(s)).toString('base64'))),
  converter(['ub64dec', '', 'str', 'bin'], () => (s) => { const b = base64UrlDecode(strOf(s)); return b ? mkBin(b) : undefined; }),
  converter(['ub64enc', '', 'bin', 'str'], () => (s) => mkStr(Buffer.from(bytesOf(s)).toString('base64url'))),
  converter(['be2dec', 'str[,int,int]', 'bin', 'str'], be2dec, be2decArgs),
  converter(['be2hex', 'str[,int,int]', 'bin', 'str'], be2hex, be2hexArgs),
  converter(['hex', '', 'bin', 'str'], () => (s) => mkStr(toHex(bytesOf(s)))),
  converter(['hex2i', '', 'str', 'int'], hex2i),
  converter(['htonl', '', 'int', 'bin'], htonl),
  converter(['url_dec', '[int]', 'str', 'str'], urlDec),
  converter(['url_enc', 'str', 'str', 'str'], urlEnc, urlEncArgs),
];
