/**
 * The evaluation side of the ACL / sample / log-format language: parsed
 * expressions are compiled once, at configuration load, into closures that
 * read a SampleContext (context.ts) per request. Compile functions throw
 * EvalCompileError (eval-errors.ts) for what cannot be evaluated (a fetch or
 * converter not supported yet, an unreadable pattern file, an unknown ACL
 * name…), for the caller to report as a configuration diagnostic.
 *
 * Semantics follow HAProxy 2.6 (sample.c sample_process(), acl.c
 * acl_exec_cond(), pattern.c pattern_exec_match()):
 *  - a sample expression is the fetch then each converter, the sample being
 *    cast to each converter's input type first; any failure gives nothing;
 *  - an ACL evaluates its fetch in "iterate" mode: every value of a
 *    multi-valued fetch (hdr() over repeated or comma-separated headers,
 *    cook(), url_param()…) goes through the converters and is matched; the
 *    ACL matches as soon as one value matches (a converter failing stops the
 *    iteration); several declarations of one name are ORed; inline patterns
 *    and -f files are ORed;
 *  - a condition is an OR of ANDs of [negated] ACLs, with HAProxy's
 *    three-valued logic (pass / fail / miss = "may change with more data").
 */
import type { AclDeclaration, Condition, ConditionTerm, ConverterCall, LogFormatToken, MatchMethod, SampleExpr, SampleType } from './types.ts';
import type { SampleContext } from './context.ts';
import type { Sample } from './eval-sample.ts';
import type { Visit } from './eval-http.ts';
import type { FileLine, Finder, HostResolver, PatternGroup } from './eval-match.ts';
import type { ConvFn } from './eval-converters.ts';
import type { LogFormatCompileOptions, LogVars } from './eval-logformat.ts';
import { castSample, mkStr } from './eval-sample.ts';
import { compileFetch } from './eval-fetches.ts';
import type { FetchState } from './eval-fetches.ts';
import { compileConverter } from './eval-converters.ts';
import { compileFinder, parseFilePatterns } from './eval-match.ts';
import { activePatternRefs, patternRefFor } from './pattern-ref.ts';
import type { PatternEntry, PatternRef, PatternRefs } from './pattern-ref.ts';
import { compileLogFormatTokens } from './eval-logformat.ts';
import { EvalCompileError } from './eval-errors.ts';
import { MATCH_INPUT_TYPE, parsePattern } from './matchers.ts';
import { predefinedAcl } from './predefined.ts';
import { fetchUsableAt } from './checkpoints.ts';
import type { Checkpoint } from './types.ts';

export interface CompileOptions {
  /**
   * Reads a pattern file (ACL `-f`) or map file (map* converters); it may
   * throw, which is reported as an EvalCompileError of kind 'file'.
   */
  readonly readFile?: (path: string) => string;
  /** Same as readFile (older name); readFile wins when both are given. */
  readonly readPatternFile?: (path: string) => string;
  /** Resolves host names used as IP patterns (HAProxy resolves them at startup). */
  readonly resolveHost?: HostResolver;
  /** Proxy the expressions belong to, for implicit backend/table arguments (nbsrv, be_conn…). */
  readonly currentProxy?: string;
}

/** A compiled sample expression: the sample, or undefined when the fetch or a converter fails. */
export type SampleEvaluator = (ctx: SampleContext) => Sample | undefined;

/** Result of an ACL / condition: HAProxy's ACL_TEST_FAIL, ACL_TEST_MISS, ACL_TEST_PASS. */
export type AclResult = 0 | 1 | 3;
export const ACL_FAIL = 0;
export const ACL_MISS = 1;
export const ACL_PASS = 3;

interface ChainStep { readonly input: SampleType; readonly fn: ConvFn }

function compileChain(converters: readonly ConverterCall[], options: CompileOptions): ChainStep[] {
  const convOptions = { ...options, readFile: options.readFile ?? options.readPatternFile };
  return converters.map((c) => ({ input: c.def.input, fn: compileConverter(c, convOptions) }));
}

/** Casts to each converter's input and applies it; undefined on any failure. */
function applyChain(chain: readonly ChainStep[], s: Sample, ctx: SampleContext): Sample | undefined {
  let x: Sample | undefined = s;
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    const y = castSample(x, c.input);
    if (y === undefined) return undefined;
    x = c.fn(y, ctx);
    if (x === undefined) return undefined;
  }
  return x;
}

/** Compiles a sample expression (fetch + converters) with single-value semantics. */
export function compileSample(expr: SampleExpr, options: CompileOptions = {}): SampleEvaluator {
  const fetch = compileFetch(expr, options);
  const chain = compileChain(expr.converters, options);
  const one = fetch.one;
  if (chain.length === 0) return one;
  if (chain.length === 1) {
    const { input, fn } = chain[0]!;
    return (ctx) => {
      const s = one(ctx);
      if (s === undefined) return undefined;
      const y = castSample(s, input);
      return y === undefined ? undefined : fn(y, ctx);
    };
  }
  return (ctx) => {
    const s = one(ctx);
    return s === undefined ? undefined : applyChain(chain, s, ctx);
  };
}

const VISIT_MATCH = 1;
const VISIT_ABORT = 2;

/** The pattern references of the declaration's -f files (pattern-ref.ts), each checked and watched for new entries. */
function filePatternRefs(decl: AclDeclaration, options: CompileOptions): PatternRef[] {
  const refs: PatternRef[] = [];
  for (const f of decl.files) {
    const read = options.readFile ?? options.readPatternFile;
    if (!read) throw new EvalCompileError('file', `pattern file '${f.file}' cannot be loaded: no file reader given`);
    const ref = patternRefFor(f.file, f.map, read, { kind: 'acl', file: decl.loc?.file, line: decl.loc?.line });
    const parseOptions = { ignoreCase: f.ignoreCase, noDns: f.noDns, capture: decl.match === 'regm' };
    // At run time a host name is no address (HAProxy resolves names only while starting).
    const runtimeOptions = { ...parseOptions, noDns: true };
    const method = decl.specialMatcher === 'method' ? 'method' : decl.match;
    const input = method === 'method' ? 'meth' : MATCH_INPUT_TYPE[decl.match];
    ref.addUser({
      method: decl.match,
      ignoreCase: f.ignoreCase,
      check(key) {
        if (key === undefined) return undefined;
        const p = parsePattern(decl.parser, key, runtimeOptions);
        return p !== null && 'error' in p ? p.error : undefined;
      },
      lookup(text) {
        const x = input === 'any' ? mkStr(text) : castSample(mkStr(text), input);
        if (!x) return undefined;
        const list = ref.live();
        const i = compileFinder(method, [{ patterns: parseFilePatterns(f.file, list.map(lineOf), decl.parser, parseOptions), ignoreCase: f.ignoreCase }], options.resolveHost)(x);
        if (i < 0) return undefined;
        return { entry: list[i]!, tree: !f.ignoreCase && (decl.match === 'str' || decl.match === 'beg' || decl.match === 'ip') };
      },
    });
    refs.push(ref);
  }
  return refs;
}

const lineOf = (e: PatternEntry): FileLine => ({ line: e.line, key: e.key, value: e.value ?? '' });

/** The patterns of the declaration's -f files as their references hold them now. */
function filePatternGroups(decl: AclDeclaration, refs: readonly PatternRef[]): PatternGroup[] {
  return decl.files.map((f, i) => ({
    patterns: parseFilePatterns(f.file, refs[i]!.live().map(lineOf), decl.parser, { ignoreCase: f.ignoreCase, noDns: f.noDns, capture: decl.match === 'regm' }),
    ignoreCase: f.ignoreCase,
  }));
}

/**
 * The finder of an ACL's patterns, its files' as they are at each lookup: rebuilt when an entry
 * was added to or removed from one of them; an exact (case-sensitive `str`) match on one file and
 * no inline pattern reads that file's key table.
 */
function aclFinder(method: MatchMethod | 'method', decl: AclDeclaration, refs: readonly PatternRef[], options: CompileOptions): Finder {
  const inline: PatternGroup = { patterns: decl.patterns, ignoreCase: decl.ignoreCase };
  if (refs.length === 0) return compileFinder(method, [inline], options.resolveHost);
  if (method === 'str' && refs.length === 1 && decl.patterns.length === 0 && !decl.files[0]!.ignoreCase) {
    // What the file holds must parse (the other paths parse it when they build their index).
    filePatternGroups(decl, refs);
    const ref = refs[0]!;
    return (s) => (ref.current(s.type === 'str' || s.type === 'meth' ? s.value : '') ? 0 : -1);
  }
  const build = (): Finder => compileFinder(method, [...filePatternGroups(decl, refs), inline], options.resolveHost);
  const versions = (): number => {
    let v = 0;
    for (const r of refs) v += r.version;
    return v;
  };
  let version = versions();
  let finder = build();
  return (s) => {
    const now = versions();
    if (now !== version) {
      version = now;
      try {
        finder = build();
      } catch {
        // every entry was checked when added: kept as it was if one could still not be indexed
      }
    }
    return finder(s);
  };
}

/** One ACL declaration (expression) → its three-valued result. */
function compileAclExpr(decl: AclDeclaration, options: CompileOptions): (ctx: SampleContext) => AclResult {
  // What the fetch reports besides its values, reset before each evaluation (no allocation per request).
  const state: FetchState = { mayChange: false };
  const fetch = compileFetch(decl.sample, options, state);
  const chain = compileChain(decl.sample.converters, options);
  const refs = filePatternRefs(decl, options);

  let test: (s: Sample, ctx: SampleContext) => boolean;
  let expect: SampleType;
  if (decl.specialMatcher === 'auth-group') {
    // http_auth_group(userlist): the fetch returned the authenticated user; patterns are group names
    const ulArg = decl.sample.args[0];
    const userlist = ulArg?.type === 'ref' ? ulArg.name : '';
    const names = [...filePatternGroups(decl, refs), { patterns: decl.patterns }].flatMap((g) => g.patterns).map((p) => (p.kind === 'str' ? p.value : ''));
    expect = 'str';
    test = (s, ctx) => {
      const user = s.type === 'str' ? s.value : '';
      const inGroup = ctx.hooks?.userInGroup;
      if (!inGroup) return false;
      for (const g of names) if (inGroup(userlist, user, g)) return true;
      return false;
    };
  } else if (decl.match === 'found') {
    filePatternGroups(decl, refs); // what the files hold must parse all the same
    expect = 'any';
    test = () => true;
  } else {
    const method = decl.specialMatcher === 'method' ? 'method' : decl.match;
    const finder = aclFinder(method, decl, refs, options);
    expect = method === 'method' ? 'meth' : MATCH_INPUT_TYPE[decl.match];
    test = (s) => finder(s) >= 0;
  }

  let visit: Visit;
  if (chain.length === 0) {
    visit = expect === 'any'
      ? () => VISIT_MATCH
      : (s, ctx) => {
        // int/bool matchers read booleans as 0/1 directly
        const y = s.type === expect || (s.type === 'bool' && expect === 'int') ? s : castSample(s, expect);
        return y !== undefined && test(y, ctx) ? VISIT_MATCH : 0;
      };
  } else {
    visit = (s, ctx) => {
      const x = applyChain(chain, s, ctx);
      if (x === undefined) return VISIT_ABORT; // sample_process() failed: this expression is done
      const y = expect === 'any' || x.type === expect ? x : castSample(x, expect);
      return y !== undefined && test(y, ctx) ? VISIT_MATCH : 0;
    };
  }
  const each = fetch.each;
  return (ctx) => {
    state.mayChange = false;
    if (each(ctx, visit) === VISIT_MATCH) return ACL_PASS;
    return state.mayChange && ctx.final === false ? ACL_MISS : ACL_FAIL;
  };
}

/**
 * Compiles the declarations of one ACL name (ORed) into its three-valued
 * result: ACL_PASS, ACL_FAIL, or ACL_MISS when the answer may change once
 * more data arrives (only while ctx.final is false).
 */
export function compileAclResult(decls: readonly AclDeclaration[], options: CompileOptions = {}): (ctx: SampleContext) => AclResult {
  const exprs = decls.map((d) => compileAclExpr(d, options));
  if (exprs.length === 1) return exprs[0]!;
  return (ctx) => {
    let res: number = ACL_FAIL;
    for (const e of exprs) {
      res |= e(ctx);
      if (res === ACL_PASS) break;
    }
    return res as AclResult;
  };
}

/** Compiles the declarations of one ACL name: true when any of them matches. */
export function compileAcl(decls: readonly AclDeclaration[], options: CompileOptions = {}): (ctx: SampleContext) => boolean {
  const r = compileAclResult(decls, options);
  return (ctx) => r(ctx) === ACL_PASS;
}

/**
 * Compiled ACLs, shared between the conditions that use them when compiled
 * with equivalent options (same file reader, resolver and current proxy).
 */
const aclCache = new WeakMap<readonly AclDeclaration[], { o: CompileOptions; refs: PatternRefs | undefined; fn: (ctx: SampleContext) => AclResult }[]>();
const predefinedCache = new Map<string, (ctx: SampleContext) => AclResult>();

const sameOptions = (a: CompileOptions, b: CompileOptions): boolean => a.readFile === b.readFile
  && a.readPatternFile === b.readPatternFile && a.resolveHost === b.resolveHost && a.currentProxy === b.currentProxy;

/** The declarations whose fetch is usable at one of `checkpoints` (all of them when there are none). */
function usableAt(decls: readonly AclDeclaration[], checkpoints: readonly Checkpoint[] | undefined): readonly AclDeclaration[] {
  if (checkpoints === undefined || checkpoints.length === 0) return decls;
  const usable = decls.filter((d) => checkpoints.some((c) => fetchUsableAt(d.sample.fetch, c)));
  return usable.length === decls.length ? decls : usable;
}

/** An ACL none of whose declarations can match where it is used. */
const NEVER: (ctx: SampleContext) => AclResult = () => ACL_FAIL;

function namedAcl(name: string, acls: ReadonlyMap<string, readonly AclDeclaration[]>, options: CompileOptions, checkpoints?: readonly Checkpoint[]): (ctx: SampleContext) => AclResult {
  const declared = acls.get(name);
  const decls = declared && declared.length ? usableAt(declared, checkpoints) : declared;
  if (declared && declared.length && decls !== declared) return decls!.length === 0 ? NEVER : compileAclResult(decls!, options);
  if (decls && decls.length) {
    let entries = aclCache.get(decls);
    if (!entries) { entries = []; aclCache.set(decls, entries); }
    // A load of its own (pattern-ref.ts) compiles its own: its -f files are read into its references.
    const refs = activePatternRefs();
    let hit = entries.find((e) => sameOptions(e.o, options) && e.refs === refs);
    if (!hit) { hit = { o: options, refs, fn: compileAclResult(decls, options) }; entries.push(hit); }
    return hit.fn;
  }
  const pre = predefinedAcl(name);
  if (pre) {
    if (usableAt([pre], checkpoints).length === 0) return NEVER;
    let fn = predefinedCache.get(name);
    if (!fn) { fn = compileAclResult([pre]); predefinedCache.set(name, fn); }
    return fn;
  }
  throw new EvalCompileError('unknown-acl', `no such ACL : '${name}'`, name);
}

function compileTerm(term: ConditionTerm, acls: ReadonlyMap<string, readonly AclDeclaration[]>, options: CompileOptions, checkpoints?: readonly Checkpoint[]): (ctx: SampleContext) => AclResult {
  // (Negated, an ACL that never matches makes the term always true, as in HAProxy.)
  const acl = term.kind === 'anon'
    ? (usableAt([term.acl], checkpoints).length === 0 ? NEVER : compileAclResult([term.acl], options))
    : namedAcl(term.name, acls, options, checkpoints);
  if (!term.negate) return acl;
  return (ctx) => {
    const r = acl(ctx);
    return r === ACL_PASS ? ACL_FAIL : r === ACL_FAIL ? ACL_PASS : ACL_MISS;
  };
}

/** The OR of ANDs, before the if/unless polarity (acl_exec_cond()). */
function compileRaw(cond: Condition, acls: ReadonlyMap<string, readonly AclDeclaration[]>, options: CompileOptions): (ctx: SampleContext) => AclResult {
  const suites = cond.terms.map((suite) => suite.terms.map((t) => compileTerm(t, acls, options, cond.checkpoints)));
  if (suites.length === 1 && suites[0]!.length === 1) return suites[0]![0]!;
  return (ctx) => {
    let condRes: number = ACL_FAIL;
    for (const suite of suites) {
      let suiteRes: number = ACL_PASS;
      for (const term of suite) {
        suiteRes &= term(ctx);
        if (suiteRes !== ACL_PASS) break;
      }
      condRes |= suiteRes;
      if (condRes === ACL_PASS) break;
    }
    return condRes as AclResult;
  };
}

/**
 * Compiles an if/unless condition; `acls` are the proxy's declared ACLs
 * (they take precedence over predefined ones of the same name). The result
 * is HAProxy's: for 'unless', anything but a pass is true.
 */
export function compileCondition(
  cond: Condition, acls: ReadonlyMap<string, readonly AclDeclaration[]>, options: CompileOptions = {},
): (ctx: SampleContext) => boolean {
  const raw = compileRaw(cond, acls, options);
  return cond.polarity === 'if' ? (ctx) => raw(ctx) === ACL_PASS : (ctx) => raw(ctx) !== ACL_PASS;
}

/**
 * Three-valued condition for tcp-request / tcp-response content rules
 * (evaluated with ctx.final false while the inspect delay runs): ACL_MISS
 * means "wait for more data"; the polarity is applied to pass/fail only.
 */
export function compileConditionResult(
  cond: Condition, acls: ReadonlyMap<string, readonly AclDeclaration[]>, options: CompileOptions = {},
): (ctx: SampleContext) => AclResult {
  const raw = compileRaw(cond, acls, options);
  if (cond.polarity === 'if') return raw;
  return (ctx) => {
    const r = raw(ctx);
    return r === ACL_PASS ? ACL_FAIL : r === ACL_FAIL ? ACL_PASS : ACL_MISS;
  };
}

/**
 * Compiles a log-format string (log-format, unique-id-format, header values,
 * redirect locations, lf-string bodies…). The returned function renders it
 * for a context; `logVars` carries what only the engine knows at log time
 * (timers, byte counts, termination state…).
 */
export function compileLogFormat(
  tokens: readonly LogFormatToken[], options: CompileOptions & LogFormatCompileOptions = {},
): (ctx: SampleContext, logVars?: LogVars) => string {
  return compileLogFormatTokens(tokens, (expr) => compileSample(expr, options), options);
}
