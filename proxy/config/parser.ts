/**
 * The configuration parser: cuts files into lines and words (lexer.ts), follows
 * `.if` conditional blocks, opens sections and hands each directive to the
 * keyword that owns it (keywords.ts). Problems are collected as diagnostics;
 * parsing always goes on to the end so a user sees every mistake at once.
 */
import { lexLine } from './lexer.ts';
import type { Environment, Word } from './lexer.ts';
import { Diagnostics } from './diagnostics.ts';
import type { SourceLocation } from './diagnostics.ts';
import {
  proxyKeywordRegistry, globalKeywordRegistry, lookupKeyword, SECTION_LETTER, NEGATION_REFUSED,
} from './keywords.ts';
import type { DirectiveContext, ParseOptions, ProxyDirectiveContext, KeywordSpec } from './keywords.ts';
import type { ParsedConfig, Directive, ParsedProxy, ProxyKind, Section, SectionKind, Resolvers, Userlist, HttpErrors, Peers, Mailers, CacheSection, FcgiApp, Program, LogForward, RingSection } from './model.ts';
import { newConfig, newProxy, newResolvers, newUserlist, newPeers, newMailers, newProgram, sectionLabel } from './sections.ts';
import { HAPROXY_GLOBAL_KEYWORDS, HAPROXY_PROXY_KEYWORDS } from './haproxy-keywords.ts';
import { suggest } from './suggest.ts';
import { GLOBAL_ARG_LIMITS, PROXY_ARG_LIMITS, countsWordsBeforeCapability, tooManyArgs } from './arg-limits.ts';
import { parseTuneKeyword } from './kw-global.ts';
import { removedKeywordMessage } from './removed-keywords.ts';
import { parseResolversDirective, parseUserlistDirective, RESOLVERS_KEYWORDS, USERLIST_KEYWORDS } from './kw-sections.ts';
import { parsePeersDirective, PEERS_KEYWORDS } from './kw-peers.ts';
import { parseMailersDirective, MAILERS_KEYWORDS } from './kw-mailers.ts';
import { parseProgramDirective } from './kw-program.ts';
import { openLogForward, parseLogForwardDirective } from './kw-log-forward.ts';
import { CACHE_KEYWORDS, newCacheSection, openCacheSection, parseCacheDirective } from './kw-cache.ts';
import { openRing, parseRingDirective } from './kw-ring.ts';
import { FCGI_APP_KEYWORDS, newFcgiApp, openFcgiApp, parseFcgiAppDirective, parseFcgiAppOption } from './kw-fcgi.ts';
import { evaluateConditionalBlock, ConditionalBlocks } from './conditional-blocks.ts';
import type { DiagnosticCode } from '../errors.ts';
import './kw-proxy.ts';
import './kw-retry.ts';
import { HTTP_ERRORS_KEYWORDS, newHttpErrors, parseHttpErrorsDirective } from './kw-errors.ts';
import './kw-bind.ts';
import './kw-server.ts';
import './kw-rules.ts';
import './kw-tcp-response.ts';
import './kw-balance.ts';
import './kw-checks.ts';
import './kw-protocol-checks.ts';
import './kw-external-check.ts';
import './kw-tcpka.ts';
import './kw-httpclient.ts';
import './kw-persist.ts';
import './kw-stats.ts';
import './kw-compression.ts';

export interface SourceFile {
  /** The name diagnostics use (as given on the command line). */
  name: string;
  text: string;
}

const SUPPORTED_SECTIONS: readonly SectionKind[] = ['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'userlist', 'http-errors', 'peers', 'mailers', 'cache', 'fcgi-app', 'program', 'log-forward', 'ring'];
/** Sections HAProxy has that Loadstar does not implement: reported once, their body skipped. */
const UNSUPPORTED_SECTIONS = ['traces', 'crt-store'];
const SECTION_NAME = /^[A-Za-z0-9_.:-]+$/;

const haproxyProxyKeywords = new Map(HAPROXY_PROXY_KEYWORDS.map(([k, s]) => [k, s]));
const haproxyGlobalKeywords = new Set(HAPROXY_GLOBAL_KEYWORDS);

interface State {
  config: ParsedConfig;
  diagnostics: Diagnostics;
  options: ParseOptions;
  env: Record<string, string | undefined>;
  section?: Section;
  proxy?: ParsedProxy;
  resolvers?: Resolvers;
  userlist?: Userlist;
  peers?: Peers;
  mailers?: Mailers;
  cache?: CacheSection;
  ring?: RingSection;
  fcgiApp?: FcgiApp;
  program?: Program;
  logForward?: LogForward;
  httpErrors?: HttpErrors;
  /** Inside an unsupported section: skip its lines. */
  skipping: boolean;
  pendingComments: string[];
  /** Proxy names by kind family, for duplicate detection. */
  names: Map<string, { kind: string; loc: SourceLocation }>;
}

export function parseFiles(files: readonly SourceFile[], options: ParseOptions): { config: ParsedConfig; diagnostics: Diagnostics } {
  const state: State = {
    config: newConfig(),
    diagnostics: new Diagnostics(),
    options,
    env: { ...options.env },
    skipping: false,
    pendingComments: [],
    names: new Map(),
  };
  for (const file of files) parseFile(state, file);
  state.config.trailingComments = state.pendingComments;
  return { config: state.config, diagnostics: state.diagnostics };
}

function parseFile(state: State, file: SourceFile): void {
  const lines = file.text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const blocks = new ConditionalBlocks();
  let aborted = false;
  lines.forEach((text, index) => {
    if (aborted) return;
    const lineNo = index + 1;
    const at = (column = 1): SourceLocation => ({ file: file.name, line: lineNo, column });
    const trimmed = text.trimStart();
    if (trimmed.startsWith('.')) {
      const lexed = lexLine(trimmed, state.env);
      const problem = evaluateConditionalBlock(blocks, lexed.words.map((w) => w.value), state.env, lineNo);
      if (problem) {
        if (problem.severity === 'alert') state.diagnostics.alert(at(), 'LS_ERR_CFG_SYNTAX', problem.message);
        else state.diagnostics.warn(at(), 'LS_WARN_CFG_SUSPICIOUS', problem.message);
        aborted = problem.abort === true;
      }
      return;
    }
    if (!blocks.active) return;
    const lexed = lexLine(text, state.env as Environment);
    let fatal = false;
    for (const p of lexed.problems) {
      if (p.severity === 'alert') {
        fatal = true;
        state.diagnostics.alert(at(p.column), 'LS_ERR_CFG_SYNTAX', `${p.message}: ${text.trim()}`);
      } else state.diagnostics.warn(at(p.column), 'LS_WARN_CFG_ENV', p.message);
    }
    if (fatal) return;
    if (lexed.words.length === 0) {
      if (lexed.comment !== undefined) state.pendingComments.push(lexed.comment);
      return;
    }
    handleLine(state, lexed.words, lexed.comment, at);
  });
  const unclosed = blocks.unclosedAt;
  if (unclosed !== undefined && !aborted) {
    state.diagnostics.alert({ file: file.name, line: unclosed, column: 1 }, 'LS_ERR_CFG_SYNTAX', `missing '.endif' for the '.if' at line ${unclosed}.`);
  }
}

function handleLine(state: State, words: Word[], comment: string | undefined, at: (column?: number) => SourceLocation): void {
  const first = words[0]!.value;
  if ((SUPPORTED_SECTIONS as readonly string[]).includes(first)) return openSection(state, first as SectionKind, words, comment, at);
  if (UNSUPPORTED_SECTIONS.includes(first)) {
    state.diagnostics.alert(at(), 'LS_ERR_CFG_UNSUPPORTED', `section '${first}' is not supported by Loadstar yet.`, first);
    state.section = undefined;
    state.proxy = undefined;
    state.skipping = true;
    state.pendingComments = [];
    return;
  }
  if (state.skipping) return;
  const section = state.section;
  if (!section) {
    state.diagnostics.alert(at(), 'LS_ERR_CFG_UNKNOWN_SECTION', `unknown keyword '${first}' out of section.`, first);
    state.pendingComments = [];
    return;
  }
  const directive: Directive = {
    keyword: first,
    args: [],
    loc: at(words[0]!.column),
    argColumns: [],
    comments: takeComments(state),
    trailingComment: comment,
  };
  section.directives.push(directive);
  const values = words.map((w) => w.value);
  switch (section.kind) {
    case 'global':
      return dispatchGlobal(state, directive, words, values);
    case 'resolvers':
    case 'userlist':
    case 'http-errors':
    case 'peers':
    case 'mailers':
    case 'cache':
      return dispatchSmallSection(state, section, directive, words, values);
    case 'fcgi-app':
      return dispatchFcgiApp(state, directive, words, values);
    case 'program':
      return dispatchProgram(state, directive, words, values);
    case 'log-forward':
      return dispatchLogForward(state, directive, words, values);
    case 'ring':
      return parseRingDirective(makeContext(state, directive, words, 1), state.ring, values);
    default:
      return dispatchProxy(state, directive, words, values);
  }
}

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/** The comments collected above the current line; most lines have none, so they share one empty array. */
function takeComments(state: State): string[] {
  const comments = state.pendingComments;
  if (comments.length === 0) return NO_COMMENTS as string[];
  state.pendingComments = [];
  return comments;
}

function openSection(state: State, kind: SectionKind, words: Word[], comment: string | undefined, at: (column?: number) => SourceLocation): void {
  state.skipping = false;
  const values = words.map((w) => w.value);
  let name = '';
  let from: string | undefined;
  let rest = values.slice(1);
  if (kind !== 'global') {
    if (rest[0] !== undefined && rest[0] !== 'from') {
      name = rest[0];
      rest = rest.slice(1);
    }
    if (rest[0] === 'from') {
      from = rest[1];
      if (from === undefined) state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', `'from' expects a defaults section name.`, kind);
      rest = rest.slice(2);
    }
  }
  const section: Section = { kind, name, from, loc: at(), comments: takeComments(state), trailingComment: comment, directives: [] };
  state.config.sections.push(section);
  state.section = section;
  state.proxy = undefined;
  state.resolvers = undefined;
  state.userlist = undefined;
  state.peers = undefined;
  state.mailers = undefined;
  state.cache = undefined;
  state.ring = undefined;
  state.fcgiApp = undefined;
  state.program = undefined;
  state.logForward = undefined;
  state.httpErrors = undefined;
  if (kind === 'fcgi-app') {
    // HAProxy 2.6 (cfg_parse_fcgi_app): a section it cannot open has its lines refused, not read.
    const app = newFcgiApp(section);
    if (!openFcgiApp(section, values, state.config.fcgiApps, (m) => state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', m, kind))) {
      state.skipping = true;
      return;
    }
    state.fcgiApp = app;
    state.config.fcgiApps.push(app);
    return;
  }
  if (kind === 'program') return openProgram(state, section, rest, at);
  if (kind === 'log-forward') {
    const alert = (m: string): void => state.diagnostics.alert(at(), m.startsWith('log') ? 'LS_ERR_CFG_DUPLICATE' : 'LS_ERR_CFG_BAD_ARGUMENT', m, kind);
    const proxyNamed = (n: string): { kind: string; loc: SourceLocation } | undefined => {
      const p = state.config.proxies.find((x) => x.kind !== 'defaults' && x.name === n);
      return p ? { kind: p.kind === 'listen' ? 'proxy' : p.kind, loc: p.section.loc } : undefined;
    };
    state.logForward = openLogForward(section, values, state.config, alert, proxyNamed);
    if (!state.logForward) state.skipping = true;
    return;
  }
  if (kind === 'ring') {
    // HAProxy 2.6 (cfg_parse_ring): words after the name are ignored; a ring it refuses leaves the section's lines without one.
    state.ring = openRing(section, state.config.rings, (m) => state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', m, kind));
    if (state.ring) state.config.rings.push(state.ring);
    return;
  }
  if (rest.length > 0 && kind !== 'http-errors') {
    state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', `'${kind}' : unexpected argument '${rest[0]}'.`, kind);
  }
  if (kind === 'global') {
    state.config.global.section = section;
    return;
  }
  if (name === '' && kind === 'http-errors') {
    // HAProxy 2.6 (cfg_parse_http_errors): the section's lines are then refused one by one.
    state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', `missing name for http-errors section.`, kind);
    state.skipping = true;
    return;
  }
  if (kind === 'cache') {
    // HAProxy 2.6 (cfg_parse_cache): no name, or a second cache of the same name, and the section's lines are not read.
    if (name === '') state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', `'cache' expects a <name> argument`, kind);
    const cache = newCacheSection(section);
    if (name === '' || !openCacheSection(cache, state.config.caches, state.diagnostics)) {
      state.skipping = true;
      return;
    }
    state.cache = cache;
    state.config.caches.push(cache);
    return;
  }
  if (name === '' && kind !== 'defaults') {
    state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', `'${kind}' expects an <id> argument`, kind);
  } else if (name !== '' && !SECTION_NAME.test(name)) {
    const bad = [...name].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
    state.diagnostics.alert(at(words[1]?.column), 'LS_ERR_CFG_BAD_ARGUMENT', `character '${bad}' is not permitted in '${kind}' name '${name}'.`, kind);
  }
  if (kind === 'resolvers') {
    state.resolvers = newResolvers(section);
    checkUnique(state, `resolvers:${name}`, 'resolvers', name, section.loc);
    state.config.resolvers.push(state.resolvers);
    return;
  }
  if (kind === 'http-errors') {
    // Extra words after the name are ignored, as HAProxy does.
    const previous = state.config.httpErrors.find((h) => h.name === name);
    if (previous) {
      const p = previous.section.loc;
      state.diagnostics.alert(at(), 'LS_ERR_CFG_DUPLICATE', `http-errors section '${name}' already exists (declared at ${p.file}:${p.line}).`, kind);
    }
    state.httpErrors = newHttpErrors(section);
    state.config.httpErrors.push(state.httpErrors);
    return;
  }
  if (kind === 'mailers') {
    state.mailers = newMailers(section);
    const previous = state.config.mailers.find((m) => m.name === name);
    if (previous) {
      const p = previous.section.loc;
      state.diagnostics.alert(at(), 'LS_ERR_CFG_DUPLICATE', `mailers section '${name}' has the same name as another mailers section declared at ${p.file}:${p.line}.`, kind);
    }
    state.config.mailers.push(state.mailers);
    return;
  }
  if (kind === 'peers') {
    state.peers = newPeers(section);
    checkUnique(state, `peers:${name}`, 'peers', name, section.loc);
    state.config.peers.push(state.peers);
    return;
  }
  if (kind === 'userlist') {
    state.userlist = newUserlist(section);
    checkUnique(state, `userlist:${name}`, 'userlist', name, section.loc);
    state.config.userlists.push(state.userlist);
    return;
  }
  const proxy = newProxy(kind as ProxyKind, section);
  state.proxy = proxy;
  state.config.proxies.push(proxy);
  if (name !== '') {
    // Frontends and backends have separate namespaces in HAProxy; a listen is both.
    const families = kind === 'listen' ? ['frontend', 'backend'] : kind === 'defaults' ? ['defaults'] : [kind];
    for (const family of families) checkUnique(state, `${family}:${name}`, kind, name, section.loc);
  }
}

function checkUnique(state: State, key: string, kind: string, name: string, loc: SourceLocation): void {
  const previous = state.names.get(key);
  if (previous) {
    state.diagnostics.alert(loc, 'LS_ERR_CFG_DUPLICATE', `${kind} '${name}' has the same name as ${previous.kind} '${name}' declared at ${previous.loc.file}:${previous.loc.line}.`, kind);
    return;
  }
  state.names.set(key, { kind, loc });
}

/** The options HAProxy 2.6 takes `default option X` for (parsed by hand in cfgparse-listen.c). */
const RESTORABLE_OPTIONS = new Set(['option redispatch']);

/**
 * The context a keyword parser works with. A class rather than an object of
 * closures: large configurations create one per directive, and allocation is
 * most of their parse time.
 */
class Context implements ProxyDirectiveContext {
  proxy!: ParsedProxy;
  kind!: ProxyKind;
  negated = false;
  restoresDefault = false;

  constructor(private readonly state: State, readonly directive: Directive) {}

  get args(): readonly string[] {
    return this.directive.args;
  }

  get diagnostics(): Diagnostics {
    return this.state.diagnostics;
  }

  get options(): ParseOptions {
    return this.state.options;
  }

  get config(): ParsedConfig {
    return this.state.config;
  }

  get sectionLabel(): string {
    return sectionLabel(this.state.section!);
  }

  error(message: string, argIndex?: number, code: DiagnosticCode = 'LS_ERR_CFG_BAD_ARGUMENT'): void {
    this.report('alert', message, argIndex, code);
  }

  warn(message: string, argIndex?: number, code: DiagnosticCode = 'LS_WARN_CFG_SUSPICIOUS'): void {
    this.report('warning', message, argIndex, code);
  }

  private report(severity: 'alert' | 'warning', message: string, argIndex: number | undefined, code: DiagnosticCode): void {
    const d = this.directive;
    const column = argIndex === undefined ? d.loc.column : d.argColumns[argIndex] ?? d.loc.column;
    this.state.diagnostics.add({ ...d.loc, column, severity, code, keyword: d.keyword, message });
  }
}

function makeContext(state: State, directive: Directive, words: Word[], used: number): Context {
  directive.keyword = used === 1 ? words[0]!.value : words.slice(0, used).map((w) => w.value).join(' ');
  const rest = words.slice(used);
  const args = Object.freeze(rest.map((w) => w.value));
  directive.args = args;
  directive.source = rest.some((w) => w.raw !== w.value) ? { args, typed: rest.map((w) => w.raw) } : { args };
  directive.argColumns = rest.map((w) => w.column);
  return new Context(state, directive);
}

/** The global flags HAProxy 2.6 takes `no` on (cfgparse.c: besides `option` and `log`); `no` is also Loadstar's behaviour for all but insecure-fork-wanted. */
const GLOBAL_NEGATABLE_FLAGS = new Set(['busy-polling', 'set-dumpable', 'strict-limits', 'insecure-fork-wanted', 'numa-cpu-mapping']);

/**
 * `no <keyword>` / `default <keyword>` in the global section, as HAProxy 2.6 reads them: `no` on a
 * flag resets it and `no log` drops the global log targets written so far; on other keywords the
 * prefix is refused and the line read as if it were not there. HAProxy reads the words after
 * `default` one off, so a flag's own name is then its unexpected argument.
 */
function dispatchGlobalPrefixed(state: State, directive: Directive, words: Word[], values: string[]): void {
  const prefix = values[0]!;
  const keyword = values[1] ?? '';
  if (!GLOBAL_NEGATABLE_FLAGS.has(keyword) && keyword !== 'log') {
    const ctx = makeContext(state, directive, words, 1);
    // `option` takes the prefix in every section; the global section has no `option` keyword.
    if (keyword !== 'option') ctx.error(NEGATION_REFUSED, undefined, 'LS_ERR_CFG_BAD_ARGUMENT');
    if (keyword === '') return ctx.error(`unknown keyword '' in 'global' section`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
    return dispatchGlobal(state, directive, words.slice(1), values.slice(1));
  }
  const ctx = makeContext(state, directive, words, 2);
  const extra = ctx.args[0];
  if (keyword === 'log') {
    if (prefix === 'default' || extra !== undefined) return ctx.error(prefix === 'default' ? `log : expects <address> and <facility>  as arguments` : `log : 'no log' does not expect arguments`);
    state.config.global.logs = [];
    return;
  }
  if (extra !== undefined || prefix === 'default') return ctx.error(`'${keyword}' cannot handle unexpected argument '${extra ?? keyword}'.`, extra === undefined ? undefined : 0);
  if (keyword === 'insecure-fork-wanted') state.config.global.insecureForkWanted = false;
}

function dispatchGlobal(state: State, directive: Directive, words: Word[], values: string[]): void {
  if (values[0] === 'no' || values[0] === 'default') return dispatchGlobalPrefixed(state, directive, words, values);
  const found = lookupKeyword(globalKeywordRegistry(), values);
  if (found) {
    const ctx = makeContext(state, directive, words, found.used);
    const limit = GLOBAL_ARG_LIMITS.get(found.spec.name);
    if (limit && tooManyArgs(ctx, limit)) return;
    applyEnvironmentKeyword(state, directive.keyword, ctx.args);
    return found.spec.parse(ctx);
  }
  const first = values[0]!;
  const ctx = makeContext(state, directive, words, 1);
  if (first.startsWith('tune.') && haproxyGlobalKeywords.has(first)) {
    const limit = GLOBAL_ARG_LIMITS.get(first);
    if (limit && tooManyArgs(ctx, limit)) return;
    return parseTuneKeyword(ctx, first);
  }
  if (haproxyGlobalKeywords.has(first) || haproxyGlobalKeywords.has(values.slice(0, 2).join(' '))) {
    return ctx.error(`'${first}' is not supported by Loadstar yet.`, undefined, 'LS_ERR_CFG_UNSUPPORTED');
  }
  const hint = suggest(first, keywordLists().global);
  ctx.error(`unknown keyword '${first}' in 'global' section${hint ? `; did you mean '${hint}' maybe ?` : ''}`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
}

/** setenv & co. change the environment seen by the lines that follow, as in HAProxy. */
function applyEnvironmentKeyword(state: State, keyword: string, args: readonly string[]): void {
  if (keyword === 'setenv' && args[1]) state.env[args[0]!] = args[1];
  else if (keyword === 'presetenv' && args[1]) state.env[args[0]!] ??= args[1];
  else if (keyword === 'unsetenv') for (const name of args) delete state.env[name];
  else if (keyword === 'resetenv') {
    for (const name of Object.keys(state.env)) if (!args.includes(name)) delete state.env[name];
  }
}

function dispatchSmallSection(state: State, section: Section, directive: Directive, words: Word[], values: string[]): void {
  const ctx = makeContext(state, directive, words, 1);
  const keyword = values[0]!;
  const known = section.kind === 'resolvers' ? RESOLVERS_KEYWORDS : section.kind === 'http-errors' ? HTTP_ERRORS_KEYWORDS : section.kind === 'peers' ? PEERS_KEYWORDS
    : section.kind === 'mailers' ? MAILERS_KEYWORDS : section.kind === 'cache' ? CACHE_KEYWORDS : USERLIST_KEYWORDS;
  if (!known.includes(keyword)) {
    const hint = suggest(keyword, [...known, ...SUPPORTED_SECTIONS]);
    return ctx.error(`unknown keyword '${keyword}' in '${section.kind}' section${hint ? `; did you mean '${hint}' maybe ?` : ''}`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
  if (section.kind === 'resolvers') parseResolversDirective(ctx, state.resolvers!, keyword);
  else if (section.kind === 'http-errors') parseHttpErrorsDirective(ctx, state.httpErrors!);
  else if (section.kind === 'peers') parsePeersDirective(ctx, state.peers!, keyword);
  else if (section.kind === 'mailers') parseMailersDirective(ctx, state.mailers!, keyword);
  else if (section.kind === 'cache') parseCacheDirective(ctx, state.cache!, keyword);
  else parseUserlistDirective(ctx, state.userlist!, keyword);
}

/** A line of an `fcgi-app` section: `option X` and `no option X` are keywords of two and three words. */
function dispatchFcgiApp(state: State, directive: Directive, words: Word[], values: string[]): void {
  const prefixed = (values[0] === 'no' || values[0] === 'default') && values[1] === 'option';
  const used = values[0] === 'option' || prefixed ? Math.min(values.length, prefixed ? 3 : 2) : 1;
  const ctx = makeContext(state, directive, words, used);
  ctx.kind = 'backend';
  const keyword = prefixed ? 'option' : values[0]!;
  if (!FCGI_APP_KEYWORDS.includes(keyword)) {
    const hint = suggest(keyword, [...FCGI_APP_KEYWORDS, ...SUPPORTED_SECTIONS]);
    return ctx.error(`unknown keyword '${keyword}' in 'fcgi-app' section${hint ? `; did you mean '${hint}' maybe ?` : ''}`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
  const app = state.fcgiApp!;
  if (keyword === 'option') {
    const mode = prefixed ? (values[0] as 'no' | 'default') : 'std';
    return parseFcgiAppOption(ctx, app, values.slice(prefixed ? 2 : 1), mode);
  }
  parseFcgiAppDirective(ctx, app, keyword);
}

/**
 * `program <name>` (mworker-prog.c): no name or an extra word, and HAProxy stops reading the
 * file; a second section of the same name likewise. The section's lines are then skipped here.
 */
function openProgram(state: State, section: Section, rest: string[], at: (column?: number) => SourceLocation): void {
  const fail = (message: string): void => {
    state.diagnostics.alert(at(), 'LS_ERR_CFG_BAD_ARGUMENT', message, 'program');
    state.skipping = true;
  };
  if (rest.length > 0) return fail(`'program' cannot handle unexpected argument '${rest[0]}'.`);
  if (section.name === '') return fail(`'program' expects an <id> argument`);
  if (state.config.programs.some((p) => p.name === section.name)) return fail(`'${section.name}' program section already exists in the configuration.`);
  state.program = newProgram(section);
  state.config.programs.push(state.program);
}

/** A line of a `program` section; a leading `no` or `default` is HAProxy's keyword modifier. */
function dispatchProgram(state: State, directive: Directive, words: Word[], values: string[]): void {
  const prefix = values[0] === 'no' || values[0] === 'default' ? values[0] : undefined;
  const used = prefix === undefined ? 1 : Math.min(values.length, 2);
  const ctx = makeContext(state, directive, words, used);
  parseProgramDirective(ctx, state.program!, (prefix === undefined ? values[0] : values[1]) ?? '', prefix);
}

/** A line of a `log-forward` section; a leading `no` or `default` is HAProxy's keyword modifier (only `log` reads it). */
function dispatchLogForward(state: State, directive: Directive, words: Word[], values: string[]): void {
  const prefix = values[0] === 'no' || values[0] === 'default' ? values[0] : undefined;
  const used = prefix === undefined ? 1 : Math.min(values.length, 2);
  const ctx = makeContext(state, directive, words, used);
  parseLogForwardDirective(ctx, state.logForward!, (prefix === undefined ? values[0] : values[1]) ?? '', prefix === 'no');
}

const TIMEOUT_NAMES = `'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin'`;

function dispatchProxy(state: State, directive: Directive, words: Word[], values: string[]): void {
  const proxy = state.proxy!;
  const kind = proxy.kind;
  let offset = 0;
  let negated = false;
  let prefix: string | undefined;
  if ((values[0] === 'no' || values[0] === 'default') && values[1] === 'option') {
    prefix = values[0];
    negated = prefix === 'no';
    offset = 1;
  }
  const found = lookupKeyword(proxyKeywordRegistry(), values.slice(offset));
  const ctx = makeContext(state, directive, words, (found?.used ?? 1) + offset);
  ctx.proxy = proxy;
  ctx.kind = kind;
  ctx.negated = negated;
  ctx.restoresDefault = prefix === 'default';
  if (!found) return reportUnknownProxyKeyword(ctx, values.slice(offset));
  const spec = found.spec;
  // HAProxy's words: the options it parses itself (log formats, checks, forwardfor…) take neither prefix.
  if (prefix !== undefined && !spec.negatable) return ctx.error(`negation/default is not supported for ${spec.name.startsWith('option ') ? `option '${spec.name.slice(7)}'` : `'${spec.name}'`}.`, undefined, 'LS_ERR_CFG_BAD_ARGUMENT');
  if (prefix === 'default' && !RESTORABLE_OPTIONS.has(spec.name)) {
    // HAProxy 2.6 reads the option's own name as an argument after `default` and refuses the line.
    const name = spec.name.slice(7);
    return ctx.error(`'default option ${name}' is refused by HAProxy 2.6 ('option ${name}' cannot handle unexpected argument '${name}'): write 'no option ${name}' or remove the line.`, undefined, 'LS_ERR_CFG_BAD_ARGUMENT');
  }
  const limit = PROXY_ARG_LIMITS.get(spec.name);
  const countedFirst = countsWordsBeforeCapability(spec.name);
  if (countedFirst && limit && tooManyArgs(ctx, limit)) return;
  const allowed = allowedIn(spec, kind, ctx);
  // Other keywords' words HAProxy counts after a capability warning (not after a refusal).
  if (allowed === 'handled') return;
  if (!countedFirst && limit && tooManyArgs(ctx, limit)) return;
  if (allowed === 'yes') spec.parse(ctx);
  else spec.checkIgnored?.(ctx);
}

/** What cfgparse-listen.c adds to the capability warning of a limit easily put on the wrong side. */
const CAPABILITY_HINTS: Record<string, string> = { maxconn: " Maybe you want 'fullconn' instead ?", fullconn: " Maybe you want 'maxconn' instead ?" };

/** HAProxy's rules for a keyword in a section that cannot hold it: alert in defaults and for servers, warning otherwise. */
function allowedIn(spec: KeywordSpec<ProxyDirectiveContext>, kind: ProxyKind, ctx: ProxyDirectiveContext): 'yes' | 'warned' | 'handled' {
  const letters = haproxyProxyKeywords.get(spec.name) ?? spec.sections;
  if (letters.includes(SECTION_LETTER[kind])) return 'yes';
  if (spec.name.startsWith('tcp-response ') && !(kind === 'defaults' && ctx.proxy.name !== '')) {
    // Its parser (tcp_rules.c) checks the capability itself, and refuses.
    ctx.error(`${spec.name} is only allowed in 'backend' sections or 'defaults' section with a name`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
    return 'handled';
  }
  if (kind === 'defaults' && letters.includes('n')) {
    if (ctx.proxy.name !== '') return 'yes';
    ctx.error(`'${spec.name.split(' ')[0]}' not allowed in anonymous 'defaults' section.`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
    return 'handled';
  }
  const short = spec.name.startsWith('option ') ? spec.name.slice(7) : spec.name.split(' ')[0]!;
  if (spec.name === 'use-fcgi-app') {
    // Its parser (fcgi-app.c proxy_parse_use_fcgi_app) checks the capability itself, and refuses (defaults too).
    ctx.error(`'use-fcgi-app' only available in backend or listen section`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
    return 'handled';
  }
  if (kind === 'backend' && (spec.name === 'tcp-request connection' || spec.name === 'tcp-request session')) {
    ctx.error(`${spec.name} is not allowed because backend ${ctx.proxy.name} is not a frontend`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
  } else if (kind === 'defaults') {
    ctx.error(`'${spec.name}' not allowed in 'defaults' section.`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
  } else if (spec.name === 'server' || spec.name === 'server-template' || spec.name === 'default-server') {
    ctx.error(`'${spec.name}' not allowed because ${kind} '${ctx.proxy.name}' has no backend capability.`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
  } else if (spec.name === 'declare capture') {
    // Its parser (proxy.c proxy_parse_declare) checks the capability itself, and refuses.
    ctx.error(`'declare' only available in frontend or listen section`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
  } else if (spec.name === 'retry-on') {
    // Its parser (proxy.c) checks the capability itself, and refuses.
    ctx.error(`'retry-on' only available in backend or listen section`, undefined, 'LS_ERR_CFG_WRONG_SECTION');
  } else if (/^(cli|srv)tcpka-(cnt|idle|intvl)$/.test(spec.name) || spec.name === 'max-keep-alive-queue' || spec.name === 'rate-limit sessions') {
    // Their parser (proxy.c) checks the value, then warns that the side is missing (kw-tcpka.ts, kw-balance.ts).
    spec.parse(ctx);
    return 'handled';
  } else if (spec.name === 'log-format-sd') {
    ctx.warn(`${kind} '${ctx.proxy.name}' : 'log-format-sd' directive is ignored in backends.`, undefined, 'LS_WARN_CFG_IGNORED');
    return 'warned';
  } else if (spec.name === 'option httplog' || spec.name === 'option httpslog' || spec.name === 'option tcplog') {
    ctx.warn(`${kind} '${ctx.proxy.name}' : '${spec.name}' directive is ignored in backends.`, undefined, 'LS_WARN_CFG_IGNORED');
    return 'warned';
  } else if (spec.name.startsWith('timeout ')) {
    // proxy_parse_timeout words its own warning.
    ctx.warn(`'${spec.name}' will be ignored because ${kind} '${ctx.proxy.name}' has no ${letters.includes('f') ? 'frontend' : 'backend'} capability`, undefined, 'LS_WARN_CFG_IGNORED');
    return 'warned';
  } else {
    const missing = letters.includes('f') ? 'frontend' : 'backend';
    ctx.warn(`'${short}' ignored because ${kind} '${ctx.proxy.name}' has no ${missing} capability.${CAPABILITY_HINTS[spec.name] ?? ''}`, undefined, 'LS_WARN_CFG_IGNORED');
    return 'warned';
  }
  return 'handled';
}

interface KeywordLists {
  /** Registry sizes the lists were built from (keyword modules register as they load). */
  sizes: string;
  global: string[];
  options: string[];
  /** First words of registered proxy keywords. */
  registered: Set<string>;
  proxy: string[];
}
let lists: KeywordLists | undefined;

/** The candidate lists of "did you mean", built once rather than for every unknown line. */
function keywordLists(): KeywordLists {
  const sizes = `${globalKeywordRegistry().size}/${proxyKeywordRegistry().size}`;
  if (lists?.sizes === sizes) return lists;
  const registered = new Set([...proxyKeywordRegistry().keys()].map((k) => k.split(' ')[0]!));
  return (lists = {
    sizes,
    global: [...new Set([...globalKeywordRegistry().keys(), ...HAPROXY_GLOBAL_KEYWORDS, ...SUPPORTED_SECTIONS])],
    options: [...new Set([...proxyKeywordRegistry().keys(), ...haproxyProxyKeywords.keys()].filter((k) => k.startsWith('option ')).map((k) => k.slice(7)))],
    registered,
    proxy: [...new Set([...registered, ...[...haproxyProxyKeywords.keys()].map((k) => k.split(' ')[0]!), ...SUPPORTED_SECTIONS])],
  });
}

function reportUnknownProxyKeyword(ctx: ProxyDirectiveContext, values: string[]): void {
  const [first, second] = values as [string, string | undefined];
  const label = ctx.proxy.kind;
  const removed = removedKeywordMessage(values);
  if (removed) return ctx.error(removed, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  if (first === 'option') {
    if (!second) return ctx.error(`'option' expects an option name.`, undefined, 'LS_ERR_CFG_BAD_ARGUMENT');
    const name = `option ${second ?? ''}`;
    const letters = haproxyProxyKeywords.get(name);
    // A side this proxy lacks: HAProxy ignores the option with a warning before anything else, so a
    // frontend's `option spop-check` is not refused for being unsupported (cfgparse-listen.c).
    if (letters !== undefined && label !== 'defaults' && !letters.includes(SECTION_LETTER[label])) {
      return ctx.warn(`'${second}' ignored because ${label} '${ctx.proxy.name}' has no ${letters.includes('f') ? 'frontend' : 'backend'} capability.`, undefined, 'LS_WARN_CFG_IGNORED');
    }
    if (letters !== undefined) return ctx.error(`'${name}' is not supported by Loadstar yet.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
    const hint = suggest(second ?? '', keywordLists().options);
    return ctx.error(`unknown option '${second ?? ''}'${hint ? `; did you mean '${hint}' maybe ?` : '.'}`, 0, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
  if (first === 'timeout') {
    if (second !== undefined && haproxyProxyKeywords.has(`timeout ${second}`)) return ctx.error(`'timeout ${second}' is not supported by Loadstar yet.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
    return ctx.error(`'timeout' supports ${TIMEOUT_NAMES} (got '${second ?? ''}')`, 0, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
  for (let used = Math.min(3, values.length); used >= 1; used--) {
    const name = values.slice(0, used).join(' ');
    if (haproxyProxyKeywords.has(name)) return ctx.error(`'${name}' is not supported by Loadstar yet.`, undefined, 'LS_ERR_CFG_UNSUPPORTED');
  }
  const { registered, proxy: candidates } = keywordLists();
  if (registered.has(first)) {
    // A known family (`stats`, `capture`, `stick` …) with an unknown second word.
    const family = [...proxyKeywordRegistry().keys()].filter((k) => k.startsWith(`${first} `)).map((k) => k.slice(first.length + 1));
    const hint = suggest(second ?? '', family);
    return ctx.error(`'${first}' expects ${family.map((f) => `'${f}'`).join(', ')} (got '${second ?? ''}')${hint ? `; did you mean '${hint}' maybe ?` : ''}`, 0, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
  const hint = suggest(first, candidates);
  ctx.error(`unknown keyword '${first}' in '${label}' section${hint ? `; did you mean '${hint}' maybe ?` : ''}`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
}
