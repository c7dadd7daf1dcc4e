/**
 * Glue between the directive parsers and the ACL language (proxy/acl/):
 * splits a trailing `if COND` / `unless COND` off a directive's arguments and
 * checks that every ACL it names was declared earlier in the same proxy, as
 * HAProxy requires.
 */
import { parseCondition, parseAclDeclaration, isPredefinedAcl, aclReferences } from '../acl/index.ts';
import type { Condition, SampleExpr, LogFormatToken } from '../acl/index.ts';
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
