/**
 * Stick-table tracking (stick_table.c; section 7.3.3): sc_X, sc0_X, sc1_X,
 * sc2_X (tracked counters; the first argument of sc_* is the counter
 * number), src_X (looked up by source address in a table, the current
 * proxy's by default) and table_avl / table_cnt. The engine answers through
 * ctx.hooks.stickCounter.
 */
import type { SampleContext, StickQuery } from '../context.ts';
import type { FetchCompiler, FetchDefinition } from './define.ts';
import { fetch, single, int, ref } from './define.ts';
import { FALSE, mkInt, mkBool } from '../eval-sample.ts';

/** Names of the stick-counter fetch families: prefix and counter function. */
const SC_FETCH = /^(sc[0-2]?|src)_(.+)$/;
const INDEXED = /^(get|inc|clr)_gpc$|^gpc_rate$|^get_gpt$/;

/** sc*_<fn>, src_<fn>: the query names the counter, its index (gpc/gpt arrays) and the table. */
const stickCounter: FetchCompiler = ({ name, args, currentProxy }) => {
  const m = SC_FETCH.exec(name);
  if (!m) return undefined;
  const prefix = m[1]!;
  const fn = m[2]!;
  const isBool = fn === 'tracked';
  let q: StickQuery;
  let i = 0;
  if (prefix === 'src') {
    const index = INDEXED.test(fn) ? int(args, i++) : undefined;
    q = { fn, by: 'src', table: ref(args, i, 'table') ?? '', ...(index !== undefined ? { index } : {}) };
  } else if (prefix === 'sc') {
    const index = INDEXED.test(fn) ? int(args, i++) : undefined;
    const counter = int(args, i++) ?? 0;
    q = { fn, by: 'sc', counter, table: ref(args, i, 'table') ?? '', ...(index !== undefined ? { index } : {}) };
  } else {
    const counter = Number(prefix.slice(2));
    const index = fn === 'clr_gpc' ? int(args, i++) : undefined;
    q = { fn, by: 'sc', counter, table: ref(args, i, 'table') ?? '', ...(index !== undefined ? { index } : {}) };
  }
  // src_* without a table reads the current proxy's (the sc* forms read the tracked entry's own table).
  const query = prefix === 'src' && q.table === '' ? (ctx: SampleContext): StickQuery => ({ ...q, table: currentProxy(ctx) }) : () => q;
  return single((ctx) => {
    const v = ctx.hooks?.stickCounter?.(ctx, query(ctx));
    if (v === undefined) return isBool ? FALSE : undefined;
    return isBool ? mkBool(v !== 0) : mkInt(v);
  });
};

/** table_avl / table_cnt(<table>): free and used entries. */
const tableSize: FetchCompiler = ({ name, args, currentProxy }) => {
  const q: StickQuery = { fn: name.slice(6), by: 'table', table: ref(args, 0, 'table') ?? '' };
  const query = q.table === '' ? (ctx: SampleContext): StickQuery => ({ ...q, table: currentProxy(ctx) }) : () => q;
  return single((ctx) => { const v = ctx.hooks?.stickCounter?.(ctx, query(ctx)); return v === undefined ? undefined : mkInt(v); });
};

export const TRACK_FETCHES: readonly FetchDefinition[] = [
  // stick_table.c
  fetch(['sc0_bytes_in_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_bytes_out_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_clr_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_clr_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_conn_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_conn_cur', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_conn_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_get_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_get_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_get_gpt0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_gpc0_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_gpc1_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_http_err_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_http_err_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_http_fail_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_http_fail_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_http_req_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_http_req_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_inc_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_inc_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_kbytes_in', '[tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc0_kbytes_out', '[tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc0_sess_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_sess_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc0_tracked', '[tab]', 'bool', 'INTRN'], stickCounter),
  fetch(['sc0_trackers', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_bytes_in_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_bytes_out_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_clr_gpc', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_clr_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_clr_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_conn_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_conn_cur', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_conn_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_get_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_get_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_get_gpt0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_gpc0_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_gpc1_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_http_err_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_http_err_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_http_fail_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_http_fail_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_http_req_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_http_req_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_inc_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_inc_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_kbytes_in', '[tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc1_kbytes_out', '[tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc1_sess_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_sess_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc1_tracked', '[tab]', 'bool', 'INTRN'], stickCounter),
  fetch(['sc1_trackers', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_bytes_in_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_bytes_out_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_clr_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_clr_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_conn_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_conn_cur', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_conn_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_get_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_get_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_get_gpt0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_gpc0_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_gpc1_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_http_err_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_http_err_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_http_fail_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_http_fail_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_http_req_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_http_req_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_inc_gpc0', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_inc_gpc1', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_kbytes_in', '[tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc2_kbytes_out', '[tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc2_sess_cnt', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_sess_rate', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc2_tracked', '[tab]', 'bool', 'INTRN'], stickCounter),
  fetch(['sc2_trackers', '[tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_bytes_in_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_bytes_out_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_clr_gpc', 'int,int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_clr_gpc0', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_clr_gpc1', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_conn_cnt', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_conn_cur', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_conn_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_get_gpc', 'int,int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_get_gpc0', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_get_gpc1', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_get_gpt', 'int,int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_get_gpt0', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_gpc0_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_gpc1_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_gpc_rate', 'int,int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_http_err_cnt', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_http_err_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_http_fail_cnt', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_http_fail_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_http_req_cnt', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_http_req_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_inc_gpc', 'int,int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_inc_gpc0', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_inc_gpc1', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_kbytes_in', 'int[,tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc_kbytes_out', 'int[,tab]', 'int', 'L4CLI'], stickCounter),
  fetch(['sc_sess_cnt', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_sess_rate', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['sc_tracked', 'int[,tab]', 'bool', 'INTRN'], stickCounter),
  fetch(['sc_trackers', 'int[,tab]', 'int', 'INTRN'], stickCounter),
  fetch(['src_bytes_in_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_bytes_out_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_clr_gpc', 'int,tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_clr_gpc0', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_clr_gpc1', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_conn_cnt', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_conn_cur', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_conn_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_get_gpc', 'int,tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_get_gpc0', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_get_gpc1', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_get_gpt', 'int,tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_get_gpt0', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_gpc0_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_gpc1_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_gpc_rate', 'int,tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_http_err_cnt', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_http_err_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_http_fail_cnt', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_http_fail_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_http_req_cnt', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_http_req_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_inc_gpc', 'int,tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_inc_gpc0', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_inc_gpc1', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_kbytes_in', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_kbytes_out', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_sess_cnt', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_sess_rate', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['src_updt_conn_cnt', 'tab', 'int', 'L4CLI'], stickCounter),
  fetch(['table_avl', 'tab', 'int', 'INTRN'], tableSize),
  fetch(['table_cnt', 'tab', 'int', 'INTRN'], tableSize),
];
