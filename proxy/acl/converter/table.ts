/**
 * Proxies and stick tables looked up by the input sample (sample.c,
 * stick_table.c; section 7.3.1): nbsrv, srv_queue, in_table and the
 * table_<counter>(<table>) family. The engine answers through ctx.hooks.
 */
import type { StickQuery } from '../context.ts';
import type { ConverterCompiler, ConverterDefinition, ConverterRow } from './define.ts';
import { converter, intArg, strOf } from './define.ts';
import { mkInt, mkBool } from '../eval-sample.ts';

const nbsrv: ConverterCompiler = () => (s, ctx) => {
  const v = ctx.hooks?.backend?.(strOf(s), 'nbsrv');
  return v === undefined ? undefined : mkInt(v);
};

const serverQueue: ConverterCompiler = () => (s, ctx) => {
  const full = strOf(s);
  const slash = full.indexOf('/');
  if (slash < 0) return undefined;
  const v = ctx.hooks?.server?.(full.slice(0, slash), full.slice(slash + 1), 'srv_queue');
  return v === undefined ? undefined : mkInt(v);
};

const inTable: ConverterCompiler = ({ args }) => {
  const table = args[0]?.type === 'ref' ? args[0].name : '';
  return (s, ctx) => {
    const v = ctx.hooks?.stickCounter?.(ctx, { fn: 'in_table', by: 'key', table, key: s });
    return mkBool(v !== undefined && v !== 0);
  };
};

/** table_<counter>([index,]<table>): the counter of the entry whose key is the input. */
const tableCounter: ConverterCompiler = ({ def: { name }, args }) => {
  const fn = name.slice(6);
  const indexed = fn === 'gpc' || fn === 'gpc_rate' || fn === 'gpt';
  const index = indexed ? intArg(args, 0) : undefined;
  const tabArg = args[indexed ? 1 : 0];
  const table = tabArg?.type === 'ref' ? tabArg.name : '';
  return (s, ctx) => {
    const q: StickQuery = { fn, by: 'key', table, key: s, ...(index !== undefined ? { index } : {}) };
    const v = ctx.hooks?.stickCounter?.(ctx, q);
    return v === undefined ? undefined : mkInt(v);
  };
};

/** table_<counter>(<table>): looks the input up as a key in a stick-table. */
const COUNTERS = [
  'bytes_in_rate', 'bytes_out_rate', 'conn_cnt', 'conn_cur', 'conn_rate', 'gpc0', 'gpc0_rate', 'gpc1',
  'gpc1_rate', 'gpt0', 'http_err_cnt', 'http_err_rate', 'http_fail_cnt', 'http_fail_rate', 'http_req_cnt',
  'http_req_rate', 'kbytes_in', 'kbytes_out', 'server_id', 'sess_cnt', 'sess_rate', 'trackers',
];

export const TABLE_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['in_table', 'tab', 'any', 'bool'], inTable),
  converter(['nbsrv', '', 'str', 'int'], nbsrv),
  converter(['srv_queue', '', 'str', 'int'], serverQueue),
  converter(['table_expire', 'tab[,int]', 'any', 'int'], tableCounter),
  converter(['table_idle', 'tab[,int]', 'any', 'int'], tableCounter),
  converter(['table_gpc', 'int,tab', 'any', 'int'], tableCounter),
  converter(['table_gpc_rate', 'int,tab', 'any', 'int'], tableCounter),
  converter(['table_gpt', 'int,tab', 'any', 'int'], tableCounter),
  ...COUNTERS.map((counter) => converter([`table_${counter}`, 'tab', 'any', 'int'] as ConverterRow, tableCounter)),
];
