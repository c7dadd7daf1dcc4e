/**
 * The runtime API's crt-list commands (HAProxy 2.6 ssl_crtlist.c, management.txt §9.3): `show ssl
 * crt-list [-n] [<list>]` and `add ssl crt-list <list> <cert>|<<`, with which a new domain is
 * served without a reload (acme.sh: `new ssl cert`, `set ssl cert`, `commit ssl cert`, then `add
 * ssl crt-list <crt directory> <file>`). A `crt` directory is a crt-list too, as in HAProxy.
 * Answers as haproxy 2.6.12's.
 */
import path from 'node:path';
import { resolveCertPath } from '../config/kw-bind.ts';
import { parseCrtListLine, CrtListError } from '../tls/crt-list.ts';
import type { CrtListOptions } from '../tls/crt-list.ts';
import { CommitError } from '../tls/runtime-certs.ts';
import type { CrtListEntryView, CrtListView, RuntimeCerts } from '../tls/runtime-certs.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

/** Trailing slashes stripped, the first one included (cli_parse_dump_crtlist). */
function listKey(name: string): string {
  return name.replace(/\/+$/, '');
}

/** `show ssl crt-list [-n] [<list>]` (cli_parse_dump_crtlist): the lists, or one list's lines (`-n`: with their numbers). */
export function showSslCrtList(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const numbered = args[3] === '-n';
  const name = numbered ? args[4] : args[3];
  if (numbered && (name === undefined || name === '')) return cliErr("'show ssl crt-list -n' expects a filename or a directory\n");
  const lists = certs?.crtLists() ?? new Map<string, CrtListView>();
  if (name === undefined || name === '') return [...lists.keys()].map((k) => `${k}\n`).join('');
  const key = listKey(name);
  const list = lists.get(key);
  if (!list) return cliErr("didn't find the specified filename\n");
  let out = `# ${key}\n`;
  for (const entry of list.entries) out += `${entry.file}${numbered ? `:${entry.line}` : ''}${sslConf(entry)}${entry.filters.map((f) => ` ${f}`).join('')}\n`;
  return out;
}

/**
 * dump_crtlist_sslconf: the line's options in HAProxy's order. The ALPN list is followed by a NUL
 * byte, as haproxy 2.6 writes it (chunk_memcat of an empty string with its terminator).
 */
function sslConf(entry: CrtListEntryView): string {
  if (!entry.bracketed) return '';
  const o: CrtListOptions = entry.options;
  const parts: string[] = [];
  if (o.alpn) parts.push(`alpn ${o.alpn.join(',')}\0`);
  const auth = o.clientAuth;
  if (auth?.verify) parts.push(`verify ${auth.verify}`);
  if (auth?.noCaNames) parts.push('no-ca-names');
  if (auth?.caFile) parts.push(`ca-file ${auth.caFile}`);
  if (auth?.crlFile) parts.push(`crl-file ${auth.crlFile}`);
  if (o.ciphers) parts.push(`ciphers ${o.ciphers}`);
  if (o.ciphersuites) parts.push(`ciphersuites ${o.ciphersuites}`);
  if (o.sslMinVer) parts.push(`ssl-min-ver ${o.sslMinVer}`);
  if (o.sslMaxVer) parts.push(`ssl-max-ver ${o.sslMaxVer}`);
  return ` [${parts.join(' ')}]`;
}

/**
 * `add ssl crt-list <list> <cert>` or `add ssl crt-list <list> <<` + one crt-list line
 * (cli_parse_add_crtlist): every bind using the list serves the certificate from now on.
 * `crtBase`: the global `crt-base` a relative certificate path is read against. Refusals are
 * cli_err; what the insertion prints, its I/O handler's text, carries no severity.
 */
export function addSslCrtList(certs: RuntimeCerts | undefined, args: readonly string[], payload: string | undefined, crtBase: string | undefined, caBase: string | undefined): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '' || (payload === undefined && (args[4] === undefined || args[4] === ''))) return cliErr("'add ssl crtlist' expects a filename and a certificate name\n");
  const fail = (why: string): CliAnswer => cliErr(`Can't edit the crt-list: ${why}\n`);
  const key = listKey(name);
  const list = certs?.crtLists().get(key);
  if (!certs || !list) return fail(`crt-list '${key}' does not exist!`);
  let crt: string;
  let options: CrtListOptions = {};
  let filters: string[] = [];
  let bracketed = false;
  if (payload !== undefined) {
    if (payload.includes('\n')) return fail('only one line of payload is supported!');
    let line;
    try {
      line = parseCrtListLine(payload, 'CLI', 1, caBase);
    } catch (e) {
      if (!(e instanceof CrtListError)) throw e;
      return fail(e.message);
    }
    if (!line) return fail("'add ssl crtlist' should contain the certificate name in the payload");
    ({ crt, options, filters, bracketed } = line);
  } else crt = args[4]!;
  if (list.dir && path.dirname(crt) !== key) return fail(`'${key}' is a directory, certificate path '${crt}' must contain the directory path`);
  const file = crt.startsWith('/') ? crt : resolveCertPath(crt, crtBase);
  if (!certs.exists(file)) return fail(`certificate '${file}' does not exist!`);
  if (!certs.stored(file)) return fail(`certificate '${file}' is empty!`);
  if (list.dir && list.entries.some((e) => e.file === file)) {
    // Loadstar re-reads a `crt` directory when files appear in it (HAProxy does not): a certificate made
    // with `new ssl cert` whose file was written there (acme.sh writes it first) may be served already.
    // Adding it is then done, not an error the client would report.
    const pickedUp = certs.isNew(file) && !certs.addedTo(key).some((a) => a.file === file);
    if (!pickedUp) return fail('file already exists in this directory!');
    return `Inserting certificate '${file}' in crt-list '${key}'\nSuccess!\n`;
  }
  if (list.dir && (bracketed || filters.length > 0)) return fail('this is a directory, SSL configuration and filters are not allowed');
  let binds: number;
  try {
    binds = certs.addToList(key, { file, bracketed, options, filters });
  } catch (e) {
    if (!(e instanceof CommitError)) throw e;
    return `Inserting certificate '${file}' in crt-list '${key}'\n${e.message}\nFailed!\n`;
  }
  return `Inserting certificate '${file}' in crt-list '${key}'${'.'.repeat(binds)}\nSuccess!\n`;
}

/**
 * `del ssl crt-list <list> <cert>[:<line>]` (cli_parse_del_crtlist): the entry goes from every bind
 * using the list; a certificate that is a bind's default (its first, without strict-sni) stays.
 */
export function delSslCrtList(certs: RuntimeCerts | undefined, args: readonly string[]): CliAnswer {
  const [name, spec] = [args[3], args[4]];
  if (name === undefined || name === '' || spec === undefined || spec === '') return cliErr("'del ssl crtlist' expects a filename and a certificate name\n");
  const fail = (why: string): CliAnswer => cliErr(`Can't delete the entry: ${why}\n`);
  let file = spec;
  let line = 0;
  const colon = spec.indexOf(':');
  if (colon >= 0) {
    // strtol over what follows the colon: digits (a sign allowed) and nothing after them.
    const digits = spec.slice(colon + 1);
    if (!/^\s*[+-]?\d+$/.test(digits)) return fail(`wrong line number after colons in '${spec}'!`);
    line = Number(digits.trim());
    file = spec.slice(0, colon);
  }
  const key = listKey(name);
  const list = certs?.crtLists().get(key);
  if (!certs || !list) return fail(`crt-list '${key}' does not exist!`);
  if (!certs.exists(file)) return fail(`certificate '${file}' does not exist!`);
  if (!certs.stored(file)) return fail(`certificate '${file}' is empty!`);
  const entries = list.entries.filter((e) => e.file === file);
  if (entries.length === 0) return fail(`certificate '${file}' can't be found in crt-list '${key}'!`);
  const numbers = entries.map((e) => e.line).join(', ');
  const entry = line === 0 ? entries[0] : entries.find((e) => e.line === line);
  if (!entry) return fail(`found a certificate '${file}' but the line number is incorrect, please specify a correct line number preceded by colons (${numbers})!`);
  if (line === 0 && entries.length > 1) return fail(`found the certificate '${file}' in several entries, please specify a line number preceded by colons (${numbers})!`);
  const refusals = certs.removeFromList(key, file, entry.line);
  if (refusals.length > 0) {
    return fail(`certificate '${file}' cannot be deleted, it is used as default certificate by the following frontends:\n${refusals.map((r) => `\t- ${r.file}:${r.line}\n`).join('')}`);
  }
  return cliMsg(`Entry '${file}' deleted in crtlist '${key}'!\n`, 5);
}
