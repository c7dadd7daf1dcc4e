/**
 * Glue between the directive parsers and the ACL language (proxy/acl/):
 * splits a trailing `if COND` / `unless COND` off a directive's arguments and
 * checks that every ACL it names was declared earlier in the same proxy, as
 * HAProxy requires.
 */
import { parseCondition, parseAclDeclaration, isPredefinedAcl, aclReferences, predefinedAcl, fetchUsableAt, CHECKPOINTS, checkpointDescription } from '../acl/index.ts';
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

/** `what` names the rule in messages, e.g. "switching rule" or "an 'http-request deny' rule". */
export function splitCondition(ctx: ProxyDirectiveContext, from: number, what: string): SplitCondition {
  const index = ctx.args.findIndex((a, i) => i >= from && (a === 'if' || a === 'unless'));
  if (index < 0) return { head: ctx.args, ok: true };
  const head = ctx.args.slice(0, index);
  const parsed = parseCondition(ctx.args, index);
  if ('error' in parsed) {
    ctx.error(`error detected while parsing ${what} condition : ${parsed.error}`, parsed.wordIndex ?? index);
    return { head, ok: false };
  }
  for (const w of parsed.warnings) ctx.warn(`${what} condition : ${w}`, index);
  let ok = true;
  for (const name of parsed.references) {
    if (isPredefinedAcl(name) || ctx.proxy.acls.has(name)) continue;
    const hint = suggest(name, ctx.proxy.acls.keys());
    ctx.error(`error detected while parsing ${what} : no such ACL : '${name}'${hint ? `; did you mean '${hint}'?` : ''}`, argIndexOf(ctx.args, name, index), 'LS_ERR_CFG_REFERENCE');
    ok = false;
  }
  return { head, condition: parsed.condition, ok };
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
  if (!sampleFilesExist(ctx, parsed.sample, parsed.wordIndex)) return;
  for (const file of aclReferences(parsed).files) {
    if (ctx.options.readFile(file) === undefined) {
      return ctx.error(`error detected while parsing ACL '${parsed.name}' : failed to open pattern file <${file}>.`, ctx.args.indexOf(file), 'LS_ERR_CFG_FILE');
    }
  }
  for (const f of parsed.files) {
    const clash = columnClash(ctx, f.file, f.map, 'acl');
    if (clash) return ctx.error(`error detected while parsing ACL '${parsed.name}' : ${clash}`, ctx.args.indexOf(f.file), 'LS_ERR_CFG_FILE');
  }
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

/** Map files named by `map*` converters must exist, as HAProxy loads them at startup. */
export function sampleFilesExist(ctx: DirectiveContext, expr: SampleExpr, argIndex?: number): boolean {
  for (const conv of expr.converters) {
    if (!conv.def.name.startsWith('map')) continue;
    const file = conv.args[0];
    if (file?.type === 'str' && ctx.options.readFile(file.value) === undefined) {
      ctx.error(`failed to parse sample expression <${expr.text}> : invalid args in converter '${conv.def.name}' : failed to open pattern file <${file.value}>.`, argIndex, 'LS_ERR_CFG_FILE');
      return false;
    }
    const clash = file?.type === 'str' ? columnClash(ctx, file.value, true, 'map') : undefined;
    // Reported here only: the file exists (the callers' "cannot be opened" would mislead).
    if (clash) ctx.error(`failed to parse sample expression <${expr.text}> : invalid args in converter '${conv.def.name}' : ${clash}`, argIndex, 'LS_ERR_CFG_FILE');
  }
  return true;
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
