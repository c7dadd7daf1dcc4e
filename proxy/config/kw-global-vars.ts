/**
 * `set-var` and `set-var-fmt` in the global section (vars.c vars_parse_global_set_var): a proc.*
 * variable set once when the configuration is loaded (runtime/proc-vars.ts evaluates them).
 */
import { registerGlobalKeywords } from './keywords.ts';
import type { DirectiveContext } from './keywords.ts';
import { fetchUsableAt, parseLogFormat, parseSampleExpression, parseSetVarTarget, parseVarName, sourceNames } from '../acl/index.ts';
import { ENGINE } from './status.ts';
import type { GlobalVariable } from './model.ts';

function parseGlobalSetVar(ctx: DirectiveContext): void {
  const keyword = ctx.directive.keyword;
  const useFormat = keyword === 'set-var-fmt';
  const [target, value] = ctx.args;
  if (!target || !value) {
    return ctx.error(`'${keyword}' requires a process-wide variable name ('proc.<name>') and ${useFormat ? 'a format string' : 'a sample expression'}.`);
  }
  // HAProxy parses `<keyword>(<target>)` as the action would: conditions may follow the name.
  const parsed = parseSetVarTarget(target);
  if ('error' in parsed) return ctx.error(`${parsed.error}`, 0);
  const name = parseVarName(parsed.variable);
  if ('error' in name) return ctx.error(name.error, 0);
  if (name.scope !== 'proc') return ctx.error(`'${keyword}': cannot set variable '${target}', only scope 'proc' is permitted in the global section.`, 0);
  const variable: GlobalVariable = { name: name.name, loc: ctx.directive.loc };
  if (parsed.conditions.length > 0) variable.conditions = parsed.conditions;
  if (useFormat) {
    const format = parseLogFormat(value, { checkpoints: ['config-parser'] });
    if ('error' in format) return ctx.error(format.error, 1);
    variable.format = format.tokens;
  } else {
    const sample = parseSampleExpression(value);
    if ('error' in sample) return ctx.error(sample.error, 1);
    if (!fetchUsableAt(sample.expr.fetch, 'config-parser')) {
      return ctx.error(`fetch method '${keyword}(${target})' extracts information from '${sourceNames(sample.expr.fetch.sources)}', none of which is available here`, 1);
    }
    variable.expression = value;
  }
  (ctx.config.global.procVariables ??= []).push(variable);
}

const summary = (what: string): string => `Sets a process-wide variable (\`proc.<name>[,<cond>…]\`) to ${what} once the configuration is loaded; it may read the proc.* variables set above it (\`var(proc.x)\`), not a connection's.`;

registerGlobalKeywords([
  {
    name: 'expose-experimental-directives',
    sections: 'g',
    status: ENGINE,
    summary: 'Allows the directives HAProxy 2.6 marks experimental that Loadstar runs (`http-request normalize-uri`), when written above them.',
    // Read where it matters (kw-rules.ts: normalize-uri looks for this line in the global section).
    parse() {},
  },
  { name: 'set-var', sections: 'g', status: ENGINE, summary: summary('a sample expression\'s value'), parse: parseGlobalSetVar },
  { name: 'set-var-fmt', sections: 'g', status: ENGINE, summary: summary('a log-format string'), parse: parseGlobalSetVar },
]);
