/**
 * Variables (vars.c; section 7.3.1): set-var and unset-var pass their input
 * through and store or clear a variable on the way.
 */
import type { SampleArg } from '../types.ts';
import { SET_VAR_CONDITIONS, setVariable } from '../var-set.ts';
import type { SetVarCondition } from '../var-set.ts';
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter } from './define.ts';
import { strOf as argStr, parseVarName } from '../validators.ts';

const setVar: ConverterCompiler = ({ args }) => {
  const v = args[0];
  const conds = args.slice(1).map((a) => (a.type === 'str' ? a.value : '')) as SetVarCondition[];
  return (s, ctx) => {
    if (v?.type === 'var' && ctx.vars) setVariable(ctx.vars, v.scope, v.name, s, conds);
    return s;
  };
};

const unsetVar: ConverterCompiler = ({ args }) => {
  const v = args[0];
  return (s, ctx) => { if (v?.type === 'var') ctx.vars?.unset(v.scope, v.name); return s; };
};

/** The variable name becomes a variable reference; set-var's conditions are checked. */
function variableArgs(a: SampleArg[]): string | undefined {
  const parsed = parseVarName(argStr(a[0]) ?? '');
  if ('error' in parsed) return parsed.error;
  a[0] = { type: 'var', scope: parsed.scope, name: parsed.name };
  for (const cond of a.slice(1)) {
    const c = argStr(cond) ?? '';
    if (!(SET_VAR_CONDITIONS as readonly string[]).includes(c)) return `unknown condition "${c}"`;
  }
  return undefined;
}

export const VAR_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['set-var', 'str[,str,str,str,str]', 'any', 'any'], setVar, variableArgs),
  converter(['unset-var', 'str', 'any', 'any'], unsetVar, variableArgs),
];
