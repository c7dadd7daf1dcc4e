/**
 * The keyword registry. Each module that owns keywords registers them here
 * (DESIGN.md §6); the section parsers look keywords up, the docs generator lists
 * them with their status, and unknown words are checked against HAProxy's own
 * keyword list to tell a typo from a keyword Loadstar does not implement yet.
 */
import type { Diagnostics } from './diagnostics.ts';
import type { Directive, ParsedProxy, ParsedConfig, ProxyKind } from './model.ts';
import type { Environment } from './lexer.ts';
import type { DiagnosticCode } from '../errors.ts';

/** Where a keyword stands in Loadstar (rendered in docs/configuration.md). */
export type KeywordStatus =
  | { level: 'supported' }
  /** Parsed and validated; the behaviour lands with the named issue. */
  | { level: 'pending'; issue?: number; topic?: string }
  /** Accepted with a warning: it cannot change traffic in Loadstar (e.g. `daemon`). */
  | { level: 'no-effect' };

/** Sections, as in HAProxy's keyword matrix: d=defaults f=frontend l=listen b=backend, g=global. */
export type SectionLetters = string;

export interface ParseOptions {
  env: Environment;
  /** Whether files named by the configuration exist (certificates, errorfiles); never opens sockets. */
  fileExists: (path: string) => boolean;
  /** Reads a file named by the configuration (errorfile, acl -f); undefined when unreadable. */
  readFile: (path: string) => string | undefined;
}

export interface DirectiveContext {
  directive: Directive;
  /** The arguments after the keyword words. */
  args: readonly string[];
  diagnostics: Diagnostics;
  options: ParseOptions;
  config: ParsedConfig;
  /** "frontend 'web'" — how HAProxy names the section in messages. */
  sectionLabel: string;
  /** Reports an alert on the directive (or on argument `argIndex`). */
  error(message: string, argIndex?: number, code?: DiagnosticCode): void;
  warn(message: string, argIndex?: number, code?: DiagnosticCode): void;
}

export interface ProxyDirectiveContext extends DirectiveContext {
  proxy: ParsedProxy;
  kind: ProxyKind;
  /** True for `no option X`. */
  negated: boolean;
  /** True for `default option X`: the section's own setting goes, what it inherits applies again. */
  restoresDefault?: boolean;
}

export interface KeywordSpec<Ctx extends DirectiveContext = DirectiveContext> {
  /** The keyword as written: `balance`, `timeout client`, `option httpchk`, `stats uri`. */
  name: string;
  sections: SectionLetters;
  status: KeywordStatus;
  /** One line for the docs. */
  summary: string;
  /** `no option X` allowed. */
  negatable?: boolean;
  parse(ctx: Ctx): void;
  /**
   * The argument checks HAProxy still runs on a line it ignores because the section lacks the
   * capability (`option pgsql-check` in a frontend): its errors are reported, nothing is kept.
   */
  checkIgnored?(ctx: Ctx): void;
}

export type ProxyKeyword = KeywordSpec<ProxyDirectiveContext>;

const proxyKeywords = new Map<string, ProxyKeyword>();
const globalKeywords = new Map<string, KeywordSpec>();

export function registerProxyKeywords(specs: readonly ProxyKeyword[]): void {
  for (const spec of specs) {
    if (proxyKeywords.has(spec.name)) throw new Error(`proxy keyword '${spec.name}' registered twice`);
    proxyKeywords.set(spec.name, spec);
  }
}

export function registerGlobalKeywords(specs: readonly KeywordSpec[]): void {
  for (const spec of specs) {
    if (globalKeywords.has(spec.name)) throw new Error(`global keyword '${spec.name}' registered twice`);
    globalKeywords.set(spec.name, spec);
  }
}

export function allProxyKeywords(): ProxyKeyword[] {
  return [...proxyKeywords.values()];
}

export function allGlobalKeywords(): KeywordSpec[] {
  return [...globalKeywords.values()];
}

/**
 * Finds the longest registered keyword made of the first words of a line
 * (`capture request header` before `capture`). Returns how many words it used.
 */
export function lookupKeyword<T>(registry: ReadonlyMap<string, T>, words: readonly string[]): { spec: T; used: number } | undefined {
  const first = words[0];
  if (first !== undefined && !hasMultiWordKeywords(registry, first)) {
    const spec = registry.get(first);
    return spec === undefined ? undefined : { spec, used: 1 };
  }
  for (let used = Math.min(3, words.length); used >= 1; used--) {
    const spec = registry.get(words.slice(0, used).join(' '));
    if (spec) return { spec, used };
  }
  return undefined;
}

const multiWordPrefixes = new WeakMap<ReadonlyMap<string, unknown>, { size: number; firsts: Set<string> }>();

/** Whether some keyword of the registry starts with `first` followed by more words (`stats …`). */
function hasMultiWordKeywords(registry: ReadonlyMap<string, unknown>, first: string): boolean {
  let cached = multiWordPrefixes.get(registry);
  if (!cached || cached.size !== registry.size) {
    cached = { size: registry.size, firsts: new Set([...registry.keys()].filter((k) => k.includes(' ')).map((k) => k.split(' ')[0]!)) };
    multiWordPrefixes.set(registry, cached);
  }
  return cached.firsts.has(first);
}

export function proxyKeywordRegistry(): ReadonlyMap<string, ProxyKeyword> {
  return proxyKeywords;
}

export function globalKeywordRegistry(): ReadonlyMap<string, KeywordSpec> {
  return globalKeywords;
}

export const SECTION_LETTER: Record<ProxyKind, string> = { defaults: 'd', frontend: 'f', listen: 'l', backend: 'b' };

export function statusText(status: KeywordStatus): string {
  switch (status.level) {
    case 'supported': return 'supported';
    case 'pending': return `parsed; behaviour pending ${status.issue ? `#${status.issue}` : `(${status.topic ?? 'later'})`}`;
    case 'no-effect': return 'accepted, no effect (warning)';
  }
}

/** HAProxy 2.6's refusal of a `no` or `default` prefix on a keyword that takes none (cfgparse.c readcfgfile, any section). */
export const NEGATION_REFUSED = 'negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.';
