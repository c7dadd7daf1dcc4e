/**
 * The runtime API's `show table [<table> [key <key> | data.<type> <op> <value>]]`
 * (stick_table.c cli_parse_table_req, table_dump_head_to_buffer,
 * table_dump_entry_to_buffer): a head line per table, then, for operator and
 * admin levels, one line per entry with its data types in HAProxy's order.
 * Entry addresses are Loadstar's entry numbers.
 */
import { ipv6ToString } from '../acl/index.ts';
import { tableKey } from './keys.ts';
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

const OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, le: (a, b) => a <= b, lt: (a, b) => a < b, ge: (a, b) => a >= b, gt: (a, b) => a > b,
};

/** `args`: the words after `show table`. `contents`: the session's level lets it see entries (operator, admin). */
export function showTable(tables: StickTables | undefined, args: readonly string[], contents: boolean): string {
  const [name, filter, ...rest] = args;
  // HAProxy's list of tables has the last declared first.
  if (name === undefined) return [...(tables?.all() ?? [])].reverse().map(head).join('');
  const table = tables?.get(name);
  if (!table) return 'No such table\n';
  const now = tickNow();
  let keep: (entry: StickEntry) => boolean = () => true;
  if (filter === 'key') {
    const key = rest[0] === undefined ? undefined : tableKey({ type: 'str', value: rest[0] }, table.config);
    if (key === undefined) return 'Key value expected\n';
    keep = (entry) => entry.key === key;
  } else if (filter?.startsWith('data.')) {
    const type = filter.slice(5);
    const op = OPERATORS[rest[0] ?? ''];
    const value = Number(rest[1]);
    if (!table.stores(type)) return 'Data type not stored in this table\n';
    if (!op) return 'Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n';
    if (rest[1] === undefined || !/^\d+$/.test(rest[1])) return 'Require a valid integer value to compare against\n';
    keep = (entry) => op(dataValue(table, entry, type, now) ?? 0, value);
  } else if (filter !== undefined) {
    return 'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n';
  }
  if (!contents) return `${head(table)}# contents not dumped due to insufficient privileges\n`;
  const lines = [...table.liveEntries(now)].filter(keep).sort(byKey(table)).map((entry) => entryLine(table, entry, now));
  return head(table) + lines.join('');
}

function head(table: RuntimeStickTable): string {
  const type = table.config.type === 'ipv6' ? 'ipv6' : table.config.type;
  return `# table: ${table.name}, type: ${type}, size:${table.size}, used:${table.count()}\n`;
}

function entryLine(table: RuntimeStickTable, entry: StickEntry, now: number): string {
  let line = `0x${entry.id.toString(16).padStart(12, '0')}: key=${keyText(table, entry.key)} use=${entry.refs} exp=${Math.max(0, entry.expire - now)}`;
  // server_id is HAProxy's first data type, server_key comes between gpc1_rate and http_fail_cnt.
  if (table.keepsServer) line += ` server_id=${entry.serverId}`;
  for (const data of DUMP_ORDER) {
    if (data.name === 'http_fail_cnt' && table.keepsServer) line += ` server_key=${entry.serverKey ?? '-'}`;
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

function dataValue(table: RuntimeStickTable, entry: StickEntry, type: string, now: number): number | undefined {
  if (type === 'server_id') return entry.serverId;
  const data = DUMP_ORDER.find((d) => d.name === type || d.rate === type);
  if (!data) return undefined;
  return data.name !== undefined ? table.counter(entry, data.name) : table.rate(entry, data.rate, now);
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

/** HAProxy walks its key tree: addresses and integers in numeric order, strings in byte order. */
function byKey(table: RuntimeStickTable): (a: StickEntry, b: StickEntry) => number {
  if (table.config.type === 'ip') return (a, b) => ipNumber(a.key) - ipNumber(b.key);
  if (table.config.type === 'integer') return (a, b) => Number(a.key) - Number(b.key);
  return (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function ipNumber(dotted: string): number {
  return dotted.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}
