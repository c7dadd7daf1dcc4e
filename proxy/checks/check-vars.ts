/**
 * Variables in checks: `http-check|tcp-check set-var(<var>[,<cond>…]) <expr>`,
 * `set-var-fmt(<var>[,<cond>…]) <fmt>` and `unset-var(<var>)` (HAProxy's
 * tcpcheck_eval_action_kw with vars.c action_store / action_clear). They run
 * in order with the check's other rules, in the check's own session: each
 * check run starts with no `check.*` and no `sess.*` variable (HAProxy frees
 * the check's session and prunes its variables when the run ends); `proc.*`
 * outlive the run; `txn.*`, `req.*` and `res.*` have no stream here, so
 * setting them does nothing and reading them finds nothing.
 */
import type { CheckVarRule } from '../config/model.ts';
import { castSample, compileLogFormat, compileSample, parseLogFormat, parseSampleExpression, parseVarName, MapVarStore, mkStr, setVariable } from '../acl/index.ts';
import type { Sample, SampleContext, SetVarCondition, VarStore, VarScope } from '../acl/index.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';

/** One compiled variable rule, run against the check run's context. */
export type CheckVarStep = (ctx: SampleContext) => void;

/** Scopes a check can hold (the others need a stream). */
const CHECK_SCOPES: ReadonlySet<VarScope> = new Set<VarScope>(['proc', 'sess', 'check']);

/** Compiles one rule (already validated by the parser). */
export function compileCheckVar(rule: CheckVarRule): CheckVarStep {
  const name = parseVarName(rule.variable);
  if ('error' in name) throw new Error(name.error);
  const { scope } = name;
  const key = name.name;
  if (!CHECK_SCOPES.has(scope)) return () => {};
  if (rule.type === 'unset-var') return (ctx) => ctx.vars?.unset(scope, key);
  let evaluate: (ctx: SampleContext) => Sample | undefined;
  if (rule.type === 'set-var-fmt') {
    const parsed = parseLogFormat(rule.value ?? '');
    if ('error' in parsed) throw new Error(`invalid log-format '${rule.value}': ${parsed.error}`);
    const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader });
    evaluate = (ctx) => mkStr(render(ctx));
  } else {
    const parsed = parseSampleExpression(rule.value ?? '');
    if ('error' in parsed) throw new Error(parsed.error);
    evaluate = compileSample(parsed.expr, { readFile: patternFileReader });
  }
  const conditions = rule.conditions as readonly SetVarCondition[];
  return (ctx) => {
    const value = evaluate(ctx);
    if (value === undefined || !ctx.vars) return;
    setVariable(ctx.vars, scope, key, value, conditions);
  };
}

/**
 * The variables of one check run: fresh `check.*` and `sess.*`, the server's
 * `proc.*` kept (those of `base`, the server's check context, when it has them).
 */
export function checkRunVars(base: VarStore | undefined): VarStore {
  return new MapVarStore(base instanceof MapVarStore ? base.proc : new Map());
}

/**
 * `connect port <expr>`: the port the expression gives as an integer at connect
 * time (HAProxy's tcpcheck_eval_connect), undefined when it finds nothing or
 * no valid port, so the rule's number, then the check's port, apply.
 */
export function compilePortExpr(text: string): (ctx: SampleContext | undefined) => number | undefined {
  const parsed = parseSampleExpression(text);
  if ('error' in parsed) throw new Error(parsed.error);
  const evaluate = compileSample(parsed.expr, { readFile: patternFileReader });
  return (ctx) => {
    const value = ctx && evaluate(ctx);
    const port = value && castSample(value, 'int');
    return port && port.type === 'int' && port.value >= 1 && port.value <= 65535 ? port.value : undefined;
  };
}

/** `tcp-check expect … status-code <expr>`: the expression's value as an integer (HAProxy casts the string to an int), else undefined. */
export function compileStatusCodeExpr(text: string): (ctx: SampleContext | undefined) => number | undefined {
  const parsed = parseSampleExpression(text);
  if ('error' in parsed) throw new Error(parsed.error);
  const evaluate = compileSample(parsed.expr, { readFile: patternFileReader });
  return (ctx) => {
    const value = ctx && evaluate(ctx);
    const code = value && castSample(value, 'int');
    return code && code.type === 'int' ? code.value : undefined;
  };
}
