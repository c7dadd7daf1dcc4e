/**
 * Glue between the directive parsers and the ACL language (proxy/acl/):
 * splits a trailing `if COND` / `unless COND` off a directive's arguments and
 * checks that every ACL it names was declared earlier in the same proxy, as
 * HAProxy requires.
 */
import { parseCondition, parseAclDeclaration, isPredefinedAcl, predefinedAcl, findAclKeyword, filePatternsProblem, mapFileProblem, fetchUsableAt, CHECKPOINTS, checkpointDescription } from '../acl/index.ts';
import type { AclDeclaration, Checkpoint, Condition, ConditionTerm, SampleExpr, LogFormatToken } from '../acl/index.ts';
import type { DirectiveContext } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { suggest } from './suggest.ts';

export interface SplitCondition {
  /** Arguments before `if`/`unless`. */
  head: readonly string[];
  condition?: Condition;
  /** False when the condition is malformed (already reported). */
  ok: boolean;
}

/**
 * How HAProxy words an error in a rule's condition: what comes before the error ("error detected
 * while parsing switching rule :"; a function of the condition's keyword, `if` or `unless`, for the
 * tcp rules that name it) and after it ('.' where HAProxy's caller adds one).
 */
export interface ConditionErrorWords {
  readonly head: string | ((keyword: string) => string);
  readonly tail?: string;
}

/**
 * `what` names the rule in warnings (and in errors without `words`), e.g. "switching rule" or
 * "an 'http-request deny' rule"; `words` gives HAProxy's wording of the errors.
 */
export function splitCondition(ctx: ProxyDirectiveContext, from: number, what: string, words?: ConditionErrorWords): SplitCondition {
  const index = ctx.args.findIndex((a, i) => i >= from && (a === 'if' || a === 'unless'));
  if (index < 0) return { head: ctx.args, ok: true };
  const head = ctx.args.slice(0, index);
  const prefix = words ? (typeof words.head === 'string' ? words.head : words.head(ctx.args[index]!)) : undefined;
  /** An error of the condition, `plain` when it has no "condition" in Loadstar's own wording. */
  const say = (message: string, plain = false): string => (prefix === undefined
    ? `error detected while parsing ${what}${plain ? '' : ' condition'} : ${message}`
    : `${prefix} ${message.replace(/\.$/, '')}${words?.tail ?? ''}`);
  const parsed = parseCondition(ctx.args, index);
  if ('error' in parsed) {
    ctx.error(say(parsed.error), parsed.wordIndex ?? index);
    return { head, ok: false };
  }
  for (const w of parsed.warnings) ctx.warn(`${what} condition : ${w}`, index);
  // An anonymous ACL loads its pattern files and map files as a declared one does (acl.c parse_acl_expr).
  for (const term of parsed.condition.terms.flatMap((and) => and.terms)) {
    if (term.kind !== 'anon') continue;
    const parsing = prefix?.replace(/ ?:$/, '') ?? `error detected while parsing ${what} condition`;
    if (!sampleFilesExist(ctx, term.acl.sample, term.wordIndex, aclConverterMessage(parsing, term.acl))) return { head, ok: false };
    const problem = aclFileProblem(ctx, term.acl);
    if (problem === undefined) continue;
    ctx.error(say(problem.message), argIndexOf(ctx.args, problem.file, index), 'LS_ERR_CFG_FILE');
    return { head, ok: false };
  }
  let ok = true;
  for (const name of parsed.references) {
    if (isPredefinedAcl(name) || ctx.proxy.acls.has(name)) continue;
    const hint = suggest(name, ctx.proxy.acls.keys());
    const message = say(`no such ACL : '${name}'`, true);
    const didYouMean = hint === undefined ? '' : message.endsWith('.') ? ` Did you mean '${hint}'?` : `; did you mean '${hint}'?`;
    ctx.error(message + didYouMean, argIndexOf(ctx.args, name, index), 'LS_ERR_CFG_REFERENCE');
    ok = false;
  }
  return { head, condition: parsed.condition, ok };
}

/**
 * HAProxy's message (after its "while parsing … :" head) when a pattern file (`-f`) of an ACL cannot
 * be read, holds a line the ACL's pattern parser refuses, or is read the other way elsewhere, with
 * the file; undefined when all is well.
 */
function aclFileProblem(ctx: DirectiveContext, acl: AclDeclaration): { message: string; file: string } | undefined {
  for (const f of acl.files) {
    const content = ctx.options.readFile(f.file);
    if (content === undefined) return { message: `failed to open pattern file <${f.file}>.`, file: f.file };
    const bad = filePatternsProblem(f.file, content, f.map, acl.parser, { ignoreCase: acl.ignoreCase, noDns: acl.noDns, capture: acl.match === 'regm' });
    if (bad) return { message: `${bad}.`, file: f.file };
  }
  for (const f of acl.files) {
    const clash = columnClash(ctx, f.file, f.map, 'acl');
    if (clash) return { message: clash, file: f.file };
  }
  return undefined;
}

/**
 * How HAProxy words a map converter's failure inside an ACL (`parsing`: its "while parsing …" part):
 * after the ACL keyword its criterion starts with (hdr_beg, path…), else after the expression.
 */
function aclConverterMessage(parsing: string, acl: AclDeclaration): (message: string) => string {
  const keyword = /^[A-Za-z0-9._\-+:]*/.exec(acl.criterion)![0];
  return findAclKeyword(keyword) ? (m) => `${parsing} : ACL keyword '${keyword}' : ${m}.` : (m) => `${parsing} : ${m} in ACL expression '${acl.criterion}'.`;
}

function argIndexOf(args: readonly string[], name: string, from: number): number {
  const i = args.findIndex((a, j) => j > from && (a === name || a === `!${name}`));
  return i < 0 ? from : i;
}

/** `acl NAME CRITERION [FLAGS] [OPERATOR] VALUE…` */
export function parseAclDirective(ctx: ProxyDirectiveContext): void {
  const parsed = parseAclDeclaration(ctx.args);
  if ('error' in parsed) {
    ctx.error(`error detected while parsing ACL '${ctx.args[0] ?? ''}' : ${parsed.error}`, parsed.wordIndex);
    return;
  }
  for (const w of parsed.warnings) ctx.warn(`parsing acl '${parsed.name}' : ${w}`);
  const parsing = `error detected while parsing ACL '${parsed.name}'`;
  if (!sampleFilesExist(ctx, parsed.sample, parsed.wordIndex, aclConverterMessage(parsing, parsed))) return;
  const problem = aclFileProblem(ctx, parsed);
  if (problem) return ctx.error(`${parsing} : ${problem.message}`, ctx.args.indexOf(problem.file), 'LS_ERR_CFG_FILE');
  const list = ctx.proxy.acls.get(parsed.name) ?? [];
  list.push({ ...parsed, loc: ctx.directive.loc });
  ctx.proxy.acls.set(parsed.name, list);
}

/**
 * HAProxy keeps one reference per file name (pattern.c pattern_read_from_file): a file read as a
 * map cannot also be read as one-column ACL patterns, nor the other way round. The message when
 * `file` was read the other way before, else undefined (and the use is recorded: config.patternFiles).
 */
function columnClash(ctx: DirectiveContext, file: string, twoColumn: boolean, kind: 'map' | 'acl'): string | undefined {
  const uses = ctx.config.patternFiles ??= [];
  const before = uses.find((u) => u.file === file);
  if (before && before.twoColumn !== twoColumn) {
    return twoColumn
      ? `The file "${file}" is already used as one column file and cannot be used by as two column file.`
      : `The file "${file}" is already used as two column file and cannot be used by as one column file.`;
  }
  uses.push({ file, kind, twoColumn, loc: ctx.directive.loc });
  return undefined;
}

/**
 * Map files named by `map*` converters must exist and hold what the converter reads (keys its
 * matching method parses, values of its output type), as HAProxy loads them at startup: HAProxy's
 * words for the first that does not ("invalid args in converter 'map' : failed to open pattern file
 * <x.map>", no final '.'), undefined when all are fine.
 */
export function mapFilesProblem(ctx: DirectiveContext, expr: SampleExpr): string | undefined {
  for (const conv of expr.converters) {
    if (!conv.def.name.startsWith('map')) continue;
    const file = conv.args[0];
    if (file?.type !== 'str') continue;
    const at = `invalid args in converter '${conv.def.name}' : `;
    const content = ctx.options.readFile(file.value);
    if (content === undefined) return `${at}failed to open pattern file <${file.value}>`;
    const clash = columnClash(ctx, file.value, true, 'map');
    if (clash) return `${at}${clash.replace(/\.$/, '')}`;
    const bad = mapFileProblem(conv.def.name, file.value, content);
    if (bad) return `${at}${bad}`;
  }
  return undefined;
}

/**
 * mapFilesProblem() reported as an alert, worded by `wrap` for where the expression is (default: a
 * sample expression's "failed to parse sample expression <…> : …."); false when there was one.
 */
export function sampleFilesExist(ctx: DirectiveContext, expr: SampleExpr, argIndex?: number, wrap?: (message: string) => string): boolean {
  const problem = mapFilesProblem(ctx, expr);
  if (problem === undefined) return true;
  ctx.error(wrap ? wrap(problem) : `failed to parse sample expression <${expr.text}> : ${problem}.`, argIndex, 'LS_ERR_CFG_FILE');
  return false;
}

/** Same check for every `%[expr]` of a log-format string. */
export function logFormatFilesExist(ctx: DirectiveContext, tokens: readonly LogFormatToken[], argIndex?: number): boolean {
  return tokens.every((t) => t.kind !== 'sample' || sampleFilesExist(ctx, t.expr, argIndex));
}

/**
 * HAProxy's warning on a rule whose condition uses an ACL that can never match where the rule runs
 * (cfgparse.c warnif_cond_conflicts for http rules and redirects; tcp_rules.c for tcp rules, whose
 * wording names the rule, `tcpRule`): an ACL none of whose declarations is usable at any of
 * `checkpoints`, else one declaration that is not. HAProxy names the first check point only, and
 * the ACLs a named one gathers up to this line. The rule is kept: it only never matches.
 */
export function warnIfConditionConflicts(ctx: ProxyDirectiveContext, condition: Condition | undefined, checkpoints: readonly Checkpoint[] | undefined, tcpRule?: string): void {
  if (!condition || !checkpoints || checkpoints.length === 0) return;
  // The rule keeps its condition; what cannot match here never does at run time either (evaluate.ts).
  condition.checkpoints = checkpoints;
  const first = CHECKPOINTS.find((c) => checkpoints.includes(c.id))!.id;
  const place = checkpointDescription(first);
  const usable = (d: AclDeclaration): boolean => checkpoints.some((c) => fetchUsableAt(d.sample.fetch, c));
  const keyword = (d: AclDeclaration): string => d.aclKeyword ?? d.sample.fetch.name;
  const declarations = (term: ConditionTerm): readonly AclDeclaration[] => term.kind === 'anon' ? [term.acl]
    : ctx.proxy.acls.get(term.name) ?? (term.predefined ? [predefinedAcl(term.name)!].filter(Boolean) : []);
  const terms = condition.terms.flatMap((and) => and.terms);
  const where = tcpRule ? ` in '${tcpRule}'` : '';
  for (const term of terms) {
    const decls = declarations(term);
    if (decls.length === 0 || decls.some(usable)) continue;
    return ctx.warn(term.kind === 'acl'
      ? `acl '${term.name}' will never match${where} because it only involves keywords that are incompatible with '${place}'`
      : `anonymous acl will never match${where} because it uses keyword '${keyword(decls[0]!)}' which is incompatible with '${place}'`);
  }
  for (const term of terms) {
    const d = declarations(term).find((x) => !usable(x));
    if (!d) continue;
    return ctx.warn(term.kind === 'acl'
      ? `acl '${term.name}' involves ${tcpRule ? 'keyword' : 'keywords'} '${keyword(d)}' which is incompatible with '${place}'`
      : `anonymous acl involves keyword '${keyword(d)}' which is incompatible with '${place}'`);
  }
}
