/**
 * set-var's conditions (vars.c var_set, configuration.txt "set-var"): the
 * action `set-var(<name>[,<cond>…])`, set-var-fmt, the set-var converter and
 * the check rules all store a value through `setVariable`, which keeps
 * HAProxy's order of tests, including its side effect: a variable that did
 * not exist is created (without a value) before the value's conditions are
 * checked, so a later ifexists finds it.
 */
import type { VarScope } from './types.ts';
import type { VarStore } from './context.ts';
import type { Sample } from './eval-sample.ts';

/** The conditions HAProxy 2.6 knows (vars.c vars_parse_cond_param). */
export const SET_VAR_CONDITIONS = ['ifexists', 'ifnotexists', 'ifempty', 'ifnotempty', 'ifset', 'ifnotset', 'ifgt', 'iflt'] as const;
export type SetVarCondition = (typeof SET_VAR_CONDITIONS)[number];

const isCondition = (word: string): word is SetVarCondition => (SET_VAR_CONDITIONS as readonly string[]).includes(word);

/**
 * `<name>[,<cond>…]` as written between set-var's parentheses: the name and its conditions, or
 * HAProxy's message for the first unknown condition.
 */
export function parseSetVarTarget(text: string): { variable: string; conditions: SetVarCondition[] } | { error: string } {
  const [variable = '', ...words] = text.split(',');
  const conditions: SetVarCondition[] = [];
  for (const w of words) {
    // An empty word ends HAProxy's list (istsplit then finds nothing).
    if (w === '') break;
    if (!isCondition(w)) return { error: `unknown condition "${w}"` };
    conditions.push(w);
  }
  return { variable, conditions };
}

const hasBytes = (s: Sample): s is Extract<Sample, { type: 'str' | 'bin' }> => s.type === 'str' || s.type === 'bin';

/** Stores `value` when every condition holds (all of them must); conditions undefined or empty: always. */
export function setVariable(vars: VarStore, scope: VarScope, name: string, value: Sample, conditions: readonly SetVarCondition[] | undefined): void {
  if (!conditions || conditions.length === 0) return vars.set(scope, name, value);
  const has = (c: SetVarCondition): boolean => conditions.includes(c);
  if (vars.exists(scope, name)) {
    if (has('ifnotexists')) return;
  } else {
    if (has('ifexists')) return;
    vars.create(scope, name);
  }
  const previous = vars.get(scope, name);
  if ((has('ifset') && previous === undefined) || (has('ifnotset') && previous !== undefined)) return;
  // A scalar is never empty; ifnotempty lets it through.
  if (has('ifempty') && !hasBytes(value)) return;
  if (value.type === 'int' && previous?.type === 'int') {
    if ((has('ifgt') && !(previous.value > value.value)) || (has('iflt') && !(previous.value < value.value))) return;
  }
  if (hasBytes(value)) {
    const empty = value.value.length === 0;
    if ((has('ifnotempty') && empty) || (has('ifempty') && !empty)) return;
  }
  vars.set(scope, name, value);
}
