/**
 * `crt-list` files: one certificate per line, `<crtfile> [<ssl options>] [<sni filter> …]`,
 * `#` comments and blank lines ignored (HAProxy configuration.txt, bind `crt-list`).
 * Paths resolve like `crt` (against `crt-base`).
 */
import fs from 'node:fs';
import { TLS_VERSIONS, applyClientAuthOption } from '../config/kw-bind.ts';
import type { ClientAuth, TlsVersion } from '../config/model.ts';

export interface CrtListLine {
  file: string;
  line: number;
  crt: string;
  options: CrtListOptions;
  /** The line has an options block (`[…]`), even an empty one: `show ssl crt-list` prints it. */
  bracketed: boolean;
  filters: string[];
}

export interface CrtListOptions {
  alpn?: string[];
  sslMinVer?: TlsVersion;
  sslMaxVer?: TlsVersion;
  ciphers?: string;
  ciphersuites?: string;
  /** `verify`, `ca-file`, `ca-verify-file`, `crl-file`: replace the bind's for this line's certificate. */
  clientAuth?: ClientAuth;
}

/** ssl options a crt-list line may carry that Loadstar applies; others are named in the error. */
const VALUED = new Set(['alpn', 'ssl-min-ver', 'ssl-max-ver', 'ciphers', 'ciphersuites', 'verify', 'ca-file', 'ca-verify-file', 'crl-file']);
const CLIENT_AUTH = new Set(['verify', 'ca-file', 'ca-verify-file', 'crl-file']);
/** Options HAProxy accepts on a crt-list line that Loadstar does not implement. */
const KNOWN_UNSUPPORTED = new Set(['npn', 'curves', 'ecdhe', 'allow-0rtt', 'no-ca-names', 'ocsp-update', 'sigalgs', 'client-sigalgs']);

export class CrtListError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`crt-list '${file}' line ${line}: ${message}`);
  }
}

/** `caBase`: where relative CA and CRL paths of the lines resolve (global `ca-base`). */
export function parseCrtList(file: string, caBase?: string): CrtListLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CrtListError(file, 0, `cannot open file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
  const lines: CrtListLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = parseCrtListLine(raw, file, index + 1, caBase);
    if (line) lines.push(line);
  });
  return lines;
}

/** How many lines HAProxy counts in a crt-list file (a line added at run time gets the next number). */
export function crtListLineCount(file: string): number {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').length - (text.endsWith('\n') || text === '' ? 1 : 0);
  } catch {
    return 0;
  }
}

/** One line of a crt-list (a file's, or `add ssl crt-list`'s payload); undefined for a comment or blank line. */
export function parseCrtListLine(raw: string, file: string, lineNo: number, caBase?: string): CrtListLine | undefined {
  const content = raw.replace(/#.*$/, '').trim();
  if (content === '') return undefined;
  const match = /^(\S+)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(content);
  if (!match) throw new CrtListError(file, lineNo, `cannot parse '${content}'.`);
  if (content.includes('[') && match[2] === undefined) throw new CrtListError(file, lineNo, `unterminated '[' in '${content}'.`);
  const options = parseOptions(match[2] ?? '', file, lineNo, caBase);
  const filters = match[3]!.split(/\s+/).filter((f) => f !== '');
  return { file, line: lineNo, crt: match[1]!, options, bracketed: match[2] !== undefined, filters };
}

function parseOptions(text: string, file: string, line: number, caBase: string | undefined): CrtListOptions {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const options: CrtListOptions = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (KNOWN_UNSUPPORTED.has(word)) throw new CrtListError(file, line, `ssl option '${word}' is not supported by Loadstar yet.`);
    if (!VALUED.has(word)) throw new CrtListError(file, line, `unknown ssl option '${word}'.`);
    const value = words[++i];
    if (value === undefined) throw new CrtListError(file, line, `'${word}' : missing value.`);
    if (CLIENT_AUTH.has(word)) {
      const problem = applyClientAuthOption((options.clientAuth ??= {}), word, value, caBase, fs.existsSync);
      if (problem !== undefined) throw new CrtListError(file, line, problem);
      continue;
    }
    switch (word) {
      case 'alpn': options.alpn = value.split(','); break;
      case 'ciphers': options.ciphers = value; break;
      case 'ciphersuites': options.ciphersuites = value; break;
      default: {
        if (!TLS_VERSIONS.includes(value as TlsVersion)) throw new CrtListError(file, line, `'${word}' : unknown version '${value}', expects one of ${TLS_VERSIONS.join(', ')}.`);
        if (word === 'ssl-min-ver') options.sslMinVer = value as TlsVersion;
        else options.sslMaxVer = value as TlsVersion;
      }
    }
  }
  return options;
}
