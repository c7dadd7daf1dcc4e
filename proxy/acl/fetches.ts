/**
 * Registry of sample fetch methods and of the ACL-specific keywords derived
 * from them (`hdr_beg` = fetch `req.hdr` matched with `beg`, …), as HAProxy
 * 2.6 registers them (`haproxy -dKsmp`, `haproxy -dKacl`).
 *
 * Argument notation used in the data rows: comma-separated types, optional
 * ones in brackets: 'str[,int]' = one mandatory string, one optional integer;
 * '[tab]' = one optional table. Types: int str ipv4 ipv6 msk4 msk6 be fe tab
 * srv usr reg pbuf (see ArgType). A mandatory `be`/`fe`/`tab`/`srv`/`usr`
 * argument may still be omitted: it then designates the current proxy.
 */
import type { FetchDef, MatchMethod, PatternParser, SampleSource, SampleType, SpecialMatcher } from './types.ts';
import { layerOf, validityOf } from './checkpoints.ts';
import { parseArgSpec } from './arg-spec.ts';
import { FETCH_DEFINITIONS } from './fetch/index.ts';
import type { FetchCompiler } from './fetch/define.ts';
import type { ArgValidator } from './validators.ts';
import { suggest } from '../config/suggest.ts';

export type { FetchRow } from './fetch/define.ts';
export { parseArgSpec } from './arg-spec.ts';

/** A registered fetch. */
export type FetchEntry = FetchDef;

const FETCHES = new Map<string, FetchEntry>();
const COMPILERS = new Map<string, FetchCompiler>();
const VALIDATORS = new Map<string, ArgValidator>();
for (const { row: [name, args, output, sources], compile, validate } of FETCH_DEFINITIONS) {
  const src = sources.split('|') as SampleSource[];
  FETCHES.set(name, {
    name,
    args: parseArgSpec(args),
    output: output as SampleType,
    sources: src,
    layer: layerOf(src),
    validAt: validityOf(src),
  });
  if (compile) COMPILERS.set(name, compile);
  if (validate) VALIDATORS.set(name, validate);
}

/** HAProxy's check of a fetch's parsed arguments, if it has one. */
export function fetchValidator(name: string): ArgValidator | undefined {
  return VALIDATORS.get(name);
}

/** The compiler of a fetch Loadstar evaluates; undefined: not supported yet. */
export function fetchCompiler(name: string): FetchCompiler | undefined {
  return COMPILERS.get(name);
}

/** Fetches HAProxy 2.6 has that are not evaluated yet: their rows have no compiler. */
export function unsupportedFetchNames(): string[] {
  return [...FETCHES.keys()].filter((name) => !COMPILERS.has(name));
}

/** Looks a fetch up by its exact name. */
export function findFetch(name: string): FetchEntry | undefined {
  return FETCHES.get(name);
}

/** All fetch names. */
export function fetchNames(): IterableIterator<string> {
  return FETCHES.keys();
}

/** An ACL-specific keyword: a fetch with an implied matching method. */
export interface AclKeywordDef {
  readonly name: string;
  /** Underlying fetch. */
  readonly fetch: string;
  /** Implied matching method (ignored once a converter is applied). */
  readonly match: MatchMethod;
  /** Pattern parser when it differs from the matching method's. */
  readonly parser?: PatternParser;
  /** Special matching function. */
  readonly specialMatcher?: SpecialMatcher;
}

const ACL_KEYWORDS = new Map<string, AclKeywordDef>();
function acl(name: string, fetch: string, match: MatchMethod, extra: Partial<AclKeywordDef> = {}): void {
  ACL_KEYWORDS.set(name, { name, fetch, match, ...extra });
}
const STRING_FAMILY: readonly [suffix: string, match: MatchMethod][] = [
  ['', 'str'], ['_beg', 'beg'], ['_dir', 'dir'], ['_dom', 'dom'], ['_end', 'end'], ['_len', 'len'], ['_reg', 'reg'], ['_sub', 'sub'],
];
for (const [prefix, fetch] of [
  ['base', 'base'], ['cook', 'req.cook'], ['hdr', 'req.hdr'], ['path', 'path'], ['scook', 'res.cook'],
  ['shdr', 'res.hdr'], ['url', 'url'], ['urlp', 'urlp'],
] as const) {
  for (const [suffix, match] of STRING_FAMILY) acl(prefix + suffix, fetch, match);
}
acl('http_auth_group', 'http_auth_group', 'str', { specialMatcher: 'auth-group' });
acl('method', 'method', 'str', { parser: 'meth', specialMatcher: 'method' });
acl('req_ver', 'req.ver', 'str');
acl('resp_ver', 'res.ver', 'str');
acl('payload', 'req.payload', 'bin');
acl('payload_lv', 'req.payload_lv', 'bin');
acl('req_rdp_cookie', 'req.rdp_cookie', 'str');
acl('req_rdp_cookie_cnt', 'req.rdp_cookie_cnt', 'int');
acl('req_ssl_sni', 'req.ssl_sni', 'str');
acl('req_ssl_ver', 'req.ssl_ver', 'int', { parser: 'dotted' });
acl('req.ssl_ver', 'req.ssl_ver', 'int', { parser: 'dotted' });
acl('ssl_fc_sni_end', 'ssl_fc_sni', 'end');
acl('ssl_fc_sni_reg', 'ssl_fc_sni', 'reg');

/** Looks an ACL-specific keyword up by its exact name. */
export function findAclKeyword(name: string): AclKeywordDef | undefined {
  return ACL_KEYWORDS.get(name);
}

/** All ACL keyword names. */
export function aclKeywordNames(): IterableIterator<string> {
  return ACL_KEYWORDS.keys();
}

/** Closest fetch or ACL keyword name, for "did you mean" hints. */
export function suggestCriterion(word: string): string | undefined {
  return suggest(word, [...ACL_KEYWORDS.keys(), ...FETCHES.keys()]);
}

/** Closest fetch name (sample expressions cannot use ACL keywords). */
export function suggestFetch(word: string): string | undefined {
  return suggest(word, FETCHES.keys());
}

/**
 * Characters HAProxy accepts in fetch and converter keywords (is_idchar):
 * letters, digits, '.', '_', '-', '+', ':'.
 */
export function isIdChar(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9._\-+:]$/.test(c);
}

/** Length of the keyword at the start of `text` from `pos`. */
export function idLength(text: string, pos: number): number {
  let end = pos;
  while (end < text.length && isIdChar(text[end])) end++;
  return end - pos;
}
