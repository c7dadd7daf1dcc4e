/**
 * The engine's answer to the stick-table fetches and converters
 * (proxy/acl/fetch/track.ts, acl/converter/table.ts; stick_table.c
 * smp_fetch_sc_*, sample_conv_table_*): the entry a stick counter tracks,
 * the client address's entry (src_*) or the input's (table_*, in_table), and
 * the tables' sizes (table_cnt, table_avl).
 *
 * As in HAProxy: a counter that tracks nothing fails the fetch; an entry that
 * does not exist reads 0; a data type the table does not store fails it.
 */
import type { SampleContext, StickQuery } from '../acl/index.ts';
import type { RuntimeStickTable, StickEntry, CounterType, RateType } from './table.ts';
import { tickNow } from './table.ts';
import { tableKey } from './keys.ts';
import type { StickTables } from './tables.ts';
import type { Tracked } from './tracking.ts';

/** Fetch names → the counter they read ('get_gpc0' reads gpc0; converters say 'gpc0'). */
const COUNTER_FNS: Record<string, CounterType> = {
  conn_cnt: 'conn_cnt', conn_cur: 'conn_cur', sess_cnt: 'sess_cnt', http_req_cnt: 'http_req_cnt',
  http_err_cnt: 'http_err_cnt', http_fail_cnt: 'http_fail_cnt', get_gpc0: 'gpc0', get_gpc1: 'gpc1', gpc0: 'gpc0', gpc1: 'gpc1',
  get_gpt0: 'gpt0', gpt0: 'gpt0',
};
const RATE_FNS: Record<string, RateType> = {
  conn_rate: 'conn_rate', sess_rate: 'sess_rate', http_req_rate: 'http_req_rate', http_err_rate: 'http_err_rate',
  http_fail_rate: 'http_fail_rate', gpc0_rate: 'gpc0_rate', gpc1_rate: 'gpc1_rate',
};
/** Fetches that change the entry, creating it for src_* (smp_create_src_stkctr). */
const WRITES = new Set(['inc_gpc0', 'inc_gpc1', 'inc_gpc', 'clr_gpc0', 'clr_gpc1', 'clr_gpc', 'updt_conn_cnt']);

export function stickCounterHook(tables: StickTables): (ctx: SampleContext, q: StickQuery) => number | undefined {
  return (ctx, q) => {
    const now = tickNow();
    if (q.by === 'table') {
      const table = tables.get(q.table || ctx.conn.frontend);
      if (!table) return undefined;
      const used = table.count(now);
      return q.fn === 'cnt' ? used : q.fn === 'avl' ? table.size - used : undefined;
    }
    let table: RuntimeStickTable | undefined;
    let entry: StickEntry | undefined;
    if (q.by === 'sc') {
      // The stream's counters are this module's (tracking.ts): the acl layer only carries them.
      const tracked = ctx.stick?.slot(q.counter ?? 0) as Tracked | undefined;
      if (!tracked) return undefined;
      if (q.fn === 'tracked') return 1;
      if (q.table) {
        // Another table: the same key looked up there.
        table = tables.get(q.table);
        if (!table) return undefined;
        entry = table.lookup(tracked.entry.key, now);
      } else ({ table, entry } = tracked);
    } else {
      // src_* (the client's address) and converters (the input sample), in the named table or the current proxy's.
      table = tables.get(q.table || ctx.conn.frontend);
      if (!table) return undefined;
      const sample = q.by === 'key' ? q.key : { type: 'str' as const, value: ctx.conn.src };
      const key = sample && tableKey(sample, table.config);
      if (key === undefined) return undefined;
      entry = WRITES.has(q.fn) && q.by === 'src' ? table.getEntry(key, now) : table.lookup(key, now);
      if (q.fn === 'in_table') return entry ? 1 : 0;
    }
    return entryValue(table, entry, q.fn, now, q.index);
  };
}

/** gpc0, gpc1, their rates and gpt0 read the arrays' first elements when the table stores those instead (stick_table.c's fallbacks). */
const ARRAY_FALLBACK: Record<string, CounterType | RateType> = {
  gpc0: 'gpc[0]', gpc1: 'gpc[1]', gpc0_rate: 'gpc_rate[0]', gpc1_rate: 'gpc_rate[1]', gpt0: 'gpt[0]',
};

/** The data type stored for `name`: itself, or the array element it falls back on. */
function stored<T extends CounterType | RateType>(table: RuntimeStickTable, name: T): T {
  return table.stores(name) ? name : ((ARRAY_FALLBACK[name] as T | undefined) ?? name);
}

function entryValue(table: RuntimeStickTable, entry: StickEntry | undefined, fn: string, now: number, index = 0): number | undefined {
  const counter = COUNTER_FNS[fn] ?? (fn === 'get_gpc' || fn === 'gpc' ? `gpc[${index}]` as const : fn === 'get_gpt' || fn === 'gpt' ? `gpt[${index}]` as const : undefined);
  if (counter) {
    const name = stored(table, counter);
    if (!table.stores(name)) return undefined;
    return entry ? table.counter(entry, name) : 0;
  }
  const rate = RATE_FNS[fn] ?? (fn === 'gpc_rate' ? `gpc_rate[${index}]` as const : undefined);
  if (rate) {
    const name = stored(table, rate);
    if (!table.stores(name)) return undefined;
    return entry ? table.rate(entry, name, now) : 0;
  }
  switch (fn) {
    case 'trackers': return entry ? entry.refs : 0;
    case 'inc_gpc0': case 'inc_gpc1': return entry ? incGpc(table, entry, fn === 'inc_gpc0' ? 0 : 1, now) : 0;
    case 'inc_gpc': return entry ? incGpcAt(table, entry, `gpc[${index}]`, `gpc_rate[${index}]`, now) : 0;
    case 'clr_gpc0': case 'clr_gpc1': case 'clr_gpc': {
      const gpc = stored(table, fn === 'clr_gpc0' ? 'gpc0' : fn === 'clr_gpc1' ? 'gpc1' : `gpc[${index}]` as const);
      if (!entry || !table.stores(gpc)) return entry ? undefined : 0;
      const previous = table.counter(entry, gpc)!;
      table.add(entry, gpc, -previous);
      table.touch(entry, now);
      return previous;
    }
    case 'updt_conn_cnt': {
      if (!entry || !table.stores('conn_cnt')) return undefined;
      const value = table.add(entry, 'conn_cnt', 1);
      table.touch(entry, now);
      return value;
    }
    default: return undefined; // bytes, gpt, gpc arrays…: refused at load (runtime/unsupported.ts)
  }
}

/** smp_fetch_sc_inc_gpc0 and the sc-inc-gpc0/1 action: gpcN_rate then gpcN counted (or the arrays' element N); the result is gpcN, else the rate's current count, else 0. */
export function incGpc(table: RuntimeStickTable, entry: StickEntry, n: 0 | 1, now: number): number {
  return incGpcAt(table, entry, stored(table, n === 0 ? 'gpc0' : 'gpc1'), stored(table, n === 0 ? 'gpc0_rate' : 'gpc1_rate'), now);
}

/** One gpc counted with its rate: sc_inc_gpc(<idx>) and sc-inc-gpc(<idx>,<sc>) on the arrays' element, and gpc0/gpc1. */
export function incGpcAt(table: RuntimeStickTable, entry: StickEntry, gpc: CounterType, rate: RateType, now: number): number {
  let result = 0;
  const current = table.tick(entry, rate, now);
  if (current !== undefined) result = current;
  const value = table.add(entry, gpc, 1);
  if (value !== undefined) result = value;
  if (current !== undefined || value !== undefined) table.touch(entry, now);
  return result;
}

/** The sc-set-gpt0 and sc-set-gpt(<idx>) actions (action_set_gpt): the tag becomes `value` (unsigned 32-bit), when the table stores it. */
export function setGpt(table: RuntimeStickTable, entry: StickEntry, index: number | undefined, value: number, now: number): void {
  const gpt = index === undefined ? stored(table, 'gpt0') : `gpt[${index}]` as const;
  const previous = table.counter(entry, gpt);
  if (previous === undefined) return;
  table.add(entry, gpt, (value >>> 0) - previous);
  table.touch(entry, now);
}
