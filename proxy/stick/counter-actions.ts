/**
 * `sc-inc-gpc0|1(<sc>)`, `sc-inc-gpc(<idx>,<sc>)`, `sc-set-gpt0(<sc>) <int|expr>` and
 * `sc-set-gpt(<idx>,<sc>) <int|expr>` in http-request, http-response and
 * tcp-request rules (stick_table.c action_inc_gpc0/1, action_set_gpt0): they change the entry stick
 * counter <sc> tracks, when it tracks one and its table stores the data type; else nothing.
 */
import { castSample, compileSample, parseSampleExpression } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { incGpc, incGpcAt, setGpt } from './read.ts';
import { tickNow } from './table.ts';
import type { StickCounters } from './tracking.ts';

export type CounterAction = (ctx: SampleContext, counters: StickCounters) => void;

/** sc-inc-gpc0|1(<sc>) (`legacy`: gpc0/gpc1, or the array's element when only it is stored) or sc-inc-gpc(<idx>,<sc>). */
export function compileIncGpc(counter: number, index: number, legacy: boolean): CounterAction {
  return (_ctx, counters) => {
    const tracked = counters.slot(counter);
    if (!tracked) return;
    if (legacy) incGpc(tracked.table, tracked.entry, index as 0 | 1, tickNow());
    else incGpcAt(tracked.table, tracked.entry, `gpc[${index}]`, `gpc_rate[${index}]`, tickNow());
  };
}

/** The value is a number, or an expression cast to an integer (no value: the rule does nothing). */
/** sc-set-gpt0(<sc>) (`index` undefined) or sc-set-gpt(<idx>,<sc>). */
export function compileSetGpt(counter: number, index: number | undefined, value: number | undefined, expression: string | undefined, proxy: Proxy): CounterAction {
  let valueOf: (ctx: SampleContext) => number | undefined = () => value;
  if (expression !== undefined) {
    const parsed = parseSampleExpression(expression);
    if ('error' in parsed) throw new Error(parsed.error);
    const sample = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
    valueOf = (ctx) => {
      const s = sample(ctx);
      const n = s && castSample(s, 'int');
      return n && n.type === 'int' ? n.value : undefined;
    };
  }
  return (ctx, counters) => {
    const tracked = counters.slot(counter);
    if (!tracked) return;
    const v = valueOf(ctx);
    if (v !== undefined) setGpt(tracked.table, tracked.entry, index, v, tickNow());
  };
}
