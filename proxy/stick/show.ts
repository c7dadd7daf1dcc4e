/**
 * The runtime API's `show table [<table> [key <key> | data.<type> <op> <value>]]`
 * (stick_table.c cli_parse_table_req, table_dump_head_to_buffer,
 * table_dump_entry_to_buffer): a head line per table, then, for operator and
 * admin levels, one line per entry with its data types in HAProxy's order.
 * Entry addresses are Loadstar's entry numbers.
 */
import { ipv6ToString } from '../acl/index.ts';
import { byKey, cliKey, matchesFilters, parseFilters } from './cli-args.ts';
import type { DataFilter } from './cli-args.ts';
import { tickNow } from './table.ts';
import type { CounterType, RateType, RuntimeStickTable, StickEntry } from './table.ts';
import type { StickTables } from './tables.ts';

/** HAProxy's data types in the order it prints them (STKTABLE_DT_*); the ones the engine keeps. */
const DUMP_ORDER: ReadonlyArray<{ name: CounterType; rate?: never } | { rate: RateType; name?: never }> = [
  { name: 'gpt0' }, { name: 'gpc0' }, { rate: 'gpc0_rate' }, { name: 'conn_cnt' }, { rate: 'conn_rate' }, { name: 'conn_cur' },
  { name: 'sess_cnt' }, { rate: 'sess_rate' }, { name: 'http_req_cnt' }, { rate: 'http_req_rate' },
  { name: 'http_err_cnt' }, { rate: 'http_err_rate' }, { name: 'gpc1' }, { rate: 'gpc1_rate' },
  { name: 'http_fail_cnt' }, { rate: 'http_fail_rate' },
];

/**
 * `args`: the words after `show table`. `contents`: the socket's level lets it see a table's entries
 * (operator, admin; HAProxy asks the bind's level there). `sessionMayRead`: the session's level, which
 * `key <key>` asks (cli_has_level), lowered by `user`/`operator`.
 */
export function showTable(tables: StickTables | undefined, args: readonly string[], contents: boolean, sessionMayRead = contents): string {
  const [name, filter, ...rest] = args;
  // HAProxy's list of tables has the last declared first.
  if (name === undefined) return [...(tables?.all() ?? [])].reverse().map(head).join('');
  const table = tables?.get(name);
  if (!table) return 'No such table\n';
  const now = tickNow();
  if (filter === 'key') {
    const key = cliKey(table, rest[0], 'show');
    if ('error' in key) return key.error;
    if (!sessionMayRead) return 'Permission denied\n';
    const entry = table.lookup(key.key, now);
    return entry ? head(table) + entryLine(table, entry, now) : '';
  }
  let filters: DataFilter[] = [];
  if (filter?.startsWith('data.')) {
    const parsed = parseFilters(table, args);
    if (typeof parsed === 'string') return parsed;
    filters = parsed;
  } else if (filter !== undefined) {
    return 'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n';
  }
  if (!contents) return `${head(table)}# contents not dumped due to insufficient privileges\n`;
  const lines = [...table.liveEntries(now)].filter((e) => matchesFilters(table, e, filters, now)).sort(byKey(table)).map((entry) => entryLine(table, entry, now));
  return head(table) + lines.join('');
}

function head(table: RuntimeStickTable): string {
  const type = table.config.type === 'ipv6' ? 'ipv6' : table.config.type;
  return `# table: ${table.name}, type: ${type}, size:${table.size}, used:${table.count()}\n`;
}

function entryLine(table: RuntimeStickTable, entry: StickEntry, now: number): string {
  let line = `0x${entry.id.toString(16).padStart(12, '0')}: key=${keyText(table, entry.key)} use=${entry.refs} exp=${Math.max(0, entry.expire - now)}`;
  // server_id is HAProxy's first data type, server_key (kept for stick rules) comes between gpc1_rate and http_fail_cnt.
  if (table.keepsServer) line += ` server_id=${entry.serverId}`;
  for (const data of DUMP_ORDER) {
    if (data.name === 'http_fail_cnt' && table.keepsServerKey) line += ` server_key=${entry.serverKey ?? '-'}`;
    if (data.name !== undefined) {
      const value = table.counter(entry, data.name);
      if (value !== undefined) line += ` ${data.name}=${value}`;
    } else {
      const value = table.rate(entry, data.rate, now);
      if (value !== undefined) line += ` ${data.rate}(${table.period(data.rate)})=${value}`;
    }
  }
  // The arrays come last, one field per element with its index before the name's first '_' (gpc3_rate).
  for (let i = 0; table.stores(`gpt[${i}]`); i++) line += ` gpt${i}=${table.counter(entry, `gpt[${i}]`)}`;
  for (let i = 0; table.stores(`gpc[${i}]`); i++) line += ` gpc${i}=${table.counter(entry, `gpc[${i}]`)}`;
  for (let i = 0; table.stores(`gpc_rate[${i}]`); i++) line += ` gpc${i}_rate(${table.period(`gpc_rate[${i}]`)})=${table.rate(entry, `gpc_rate[${i}]`, now)}`;
  return `${line}\n`;
}

/** The key as HAProxy prints it: addresses in text form, strings with blanks and '=' escaped. */
function keyText(table: RuntimeStickTable, key: string): string {
  switch (table.config.type) {
    case 'ipv6': return ipv6ToString(Uint8Array.from(Buffer.from(key, 'hex')));
    case 'string': return key.replace(/[\\ =\t\n\r\x1b]/g, (c) => ({ '\t': '\\t', '\n': '\\n', '\r': '\\r', '\x1b': '\\e' } as Record<string, string>)[c] ?? `\\${c}`);
    case 'binary': return key.toUpperCase();
    default: return key;
  }
}
