/**
 * What the runtime API's table commands (`show|clear|set table`) read from their words, as
 * stick_table.c 2.6 reads them: the key of `key <key>` parsed by the table's type
 * (table_process_entry_per_key), the `data.<type> <op> <value>` filters
 * (table_prepare_data_request), data type names (stktable_get_data_type), integers
 * (strl2llrc), and the order HAProxy walks a table's keys in.
 */
import net from 'node:net';
import { parseIPv6 } from '../acl/index.ts';
import type { CounterType, RateType, RuntimeStickTable, StickEntry } from './table.ts';

/** The action a table command performs; it picks HAProxy's message for an unsupported key type. */
export type TableAction = 'show' | 'clear' | 'set';

/** stktable_data_types' names (and "server_name", its old name for server_key), with HAProxy's storage type. */
const DATA_TYPES: ReadonlyMap<string, 'sint' | 'uint' | 'ull' | 'frqp' | 'dict'> = new Map([
  ['server_id', 'sint'], ['gpt0', 'uint'], ['gpc0', 'uint'], ['gpc0_rate', 'frqp'], ['conn_cnt', 'uint'], ['conn_rate', 'frqp'],
  ['conn_cur', 'uint'], ['sess_cnt', 'uint'], ['sess_rate', 'frqp'], ['http_req_cnt', 'uint'], ['http_req_rate', 'frqp'],
  ['http_err_cnt', 'uint'], ['http_err_rate', 'frqp'], ['bytes_in_cnt', 'ull'], ['bytes_in_rate', 'frqp'], ['bytes_out_cnt', 'ull'],
  ['bytes_out_rate', 'frqp'], ['gpc1', 'uint'], ['gpc1_rate', 'frqp'], ['server_key', 'dict'], ['http_fail_cnt', 'uint'],
  ['http_fail_rate', 'frqp'], ['gpt', 'uint'], ['gpc', 'uint'], ['gpc_rate', 'frqp'], ['server_name', 'dict'],
]);

/** A data type as the table commands address it: the arrays by their first element (stktable_data_ptr). */
export interface DataRef {
  readonly kind: 'counter' | 'rate' | 'server_id' | 'other';
  /** The table's name for it (`gpc[0]` for `gpc`). */
  readonly slot: string;
}

/**
 * `data.<name>`'s type: 'unknown' when HAProxy has no such type, 'not stored' when the table does
 * not store it (data types Loadstar does not run are never stored: a configuration storing them is refused).
 */
export function dataRef(table: RuntimeStickTable, name: string): DataRef | 'unknown' | 'not stored' {
  const std = DATA_TYPES.get(name);
  if (std === undefined) return 'unknown';
  if (name === 'server_id') return table.keepsServer ? { kind: 'server_id', slot: name } : 'not stored';
  if (std === 'dict') return table.keepsServerKey ? { kind: 'other', slot: name } : 'not stored';
  const slot = name === 'gpc' || name === 'gpt' || name === 'gpc_rate' ? `${name}[0]` : name;
  if (!table.stores(slot)) return 'not stored';
  return { kind: std === 'frqp' ? 'rate' : 'counter', slot };
}

/** The value a filter compares (cli_io_handler_table): a rate over its period, server_key as 0. */
export function dataValue(table: RuntimeStickTable, entry: StickEntry, ref: DataRef, now: number): number {
  switch (ref.kind) {
    case 'server_id': return entry.serverId;
    case 'counter': return table.counter(entry, ref.slot as CounterType) ?? 0;
    case 'rate': return table.rate(entry, ref.slot as RateType, now) ?? 0;
    default: return 0;
  }
}

/**
 * strl2llrc: a signed decimal integer; undefined when empty, on a character above '9' or on an
 * overflow. As in HAProxy, characters below '0' are not refused (they count as negative digits).
 */
export function strl2llrc(text: string): bigint | undefined {
  if (text.length === 0) return undefined;
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  const negative = text[0] === '-';
  let i = 0n;
  for (let k = negative ? 1 : 0; k < text.length; k++) {
    const j = BigInt(text.charCodeAt(k) - 48);
    if (j > 9n) return undefined;
    if (negative ? i < min / 10n : i > max / 10n) return undefined;
    i *= 10n;
    const next = negative ? i - j : i + j;
    if (negative ? next > i : next < i) return undefined;
    if (next > max || next < min) return undefined;
    i = next;
  }
  return i;
}

/** A filter on stored data (at most four, STKTABLE_FILTER_LEN). */
export interface DataFilter {
  readonly ref: DataRef;
  readonly op: 'eq' | 'ne' | 'le' | 'ge' | 'lt' | 'gt';
  readonly value: number;
}

const FILTER_LEN = 4;
const OPERATORS = new Set(['eq', 'ne', 'le', 'ge', 'lt', 'gt']);

/**
 * table_prepare_data_request: `words` are the command's words from the table name on
 * (`<table> data.<type> <op> <value> …`). Returns the filters, or HAProxy's message.
 */
export function parseFilters(table: RuntimeStickTable, words: readonly string[]): DataFilter[] | string {
  const arg = (i: number): string => words[i - 2] ?? '';
  const filters: DataFilter[] = [];
  let i = 0;
  for (; i < FILTER_LEN; i++) {
    if (i > 0 && arg(3 + 3 * i) === '') break;
    const ref = dataRef(table, arg(3 + 3 * i).slice(5));
    if (ref === 'unknown') return `Filter entry #${i + 1}: Unknown data type\n`;
    if (ref === 'not stored') return `Filter entry #${i + 1}: Data type not stored in this table\n`;
    const op = arg(4 + 3 * i);
    if (!OPERATORS.has(op)) return `Filter entry #${i + 1}: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n`;
    const value = strl2llrc(arg(5 + 3 * i));
    if (value === undefined) return `Filter entry #${i + 1}: Require a valid integer value to compare against\n`;
    filters.push({ ref, op: op as DataFilter['op'], value: Number(value) });
  }
  if (arg(3 + 3 * i) !== '') return `Detected extra data in filter, ${3 + 3 * i + 1}th word of input, after '${arg(2 + 3 * i)}'\n`;
  return filters;
}

/** Does `entry` pass every filter? */
export function matchesFilters(table: RuntimeStickTable, entry: StickEntry, filters: readonly DataFilter[], now: number): boolean {
  for (const { ref, op, value } of filters) {
    const data = dataValue(table, entry, ref, now);
    if (data < value && (op === 'eq' || op === 'gt' || op === 'ge')) return false;
    if (data === value && (op === 'ne' || op === 'gt' || op === 'lt')) return false;
    if (data > value && (op === 'eq' || op === 'lt' || op === 'le')) return false;
  }
  return true;
}

const UNSUPPORTED_KEY: Record<TableAction, string> = {
  show: 'Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n',
  clear: 'Removing keys from tables of type other than ip, ipv6, string and integer is not supported\n',
  set: 'Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n',
};

/**
 * The table key of `key <text>` (table_process_entry_per_key), in the form the table's Map uses
 * (keys.ts), or HAProxy's message: an ip key read as inetaddr_host reads it (what is not an
 * address is 0.0.0.0), an ipv6 one by inet_pton, an integer by strtoul.
 */
export function cliKey(table: RuntimeStickTable, text: string | undefined, action: TableAction): { key: string } | { error: string } {
  if (text === undefined || text === '') return { error: 'Key value expected\n' };
  switch (table.config.type) {
    case 'ip': {
      const v = inetaddrHost(text);
      return { key: [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.') };
    }
    case 'ipv6': {
      const bytes = net.isIPv6(text) ? parseIPv6(text) : undefined;
      return bytes ? { key: Buffer.from(bytes).toString('hex') } : { error: 'Invalid key\n' };
    }
    case 'integer': {
      const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(text);
      if (!m) return { error: 'Invalid key\n' };
      let value = BigInt(m[2]!);
      // strtoul negates a '-' number in unsigned long arithmetic: any such value but 0 exceeds 32 bits.
      if (m[1] === '-' && value !== 0n) value = (1n << 64n) - value;
      if (value > 0xffffffffn) return { error: 'Invalid key\n' };
      return { key: String(value) };
    }
    case 'string':
      return { key: text.slice(0, table.config.len ?? 32) };
    default:
      return { error: UNSUPPORTED_KEY[action] };
  }
}

/**
 * inetaddr_host (tools.c): the last three digits before each dot make a byte, at most four bytes,
 * missing ones 0; the bytes are computed all at once in a 32-bit word, carries included.
 */
export function inetaddrHost(text: string): number {
  const zero = 0x30303030;
  let dig1 = zero;
  let dig10 = zero;
  let dig100 = zero;
  let s = 24;
  let start = 0;
  let p = 0;
  const code = (i: number): number => (i < text.length ? text.charCodeAt(i) : 0);
  for (;;) {
    while (code(p) - 48 >= 0 && code(p) - 48 <= 9) p++;
    if (p !== start) {
      let d = p - 1;
      dig1 = (dig1 | (code(d) << s)) >>> 0;
      if (d !== start) {
        d--;
        dig10 = (dig10 | (code(d) << s)) >>> 0;
        if (d !== start) {
          d--;
          dig100 = (dig100 | (code(d) << s)) >>> 0;
        }
      }
    }
    if (s === 0 || code(p) !== 46) break;
    s -= 8;
    start = ++p;
  }
  dig100 = (dig100 - zero) >>> 0;
  dig10 = (dig10 - zero) >>> 0;
  dig1 = (dig1 - zero) >>> 0;
  return (Math.imul((Math.imul(dig100, 10) + dig10) >>> 0, 10) + dig1) >>> 0;
}

/** HAProxy walks its key tree: addresses and integers in numeric order, strings in byte order. */
export function byKey(table: RuntimeStickTable): (a: StickEntry, b: StickEntry) => number {
  if (table.config.type === 'ip') return (a, b) => ipNumber(a.key) - ipNumber(b.key);
  if (table.config.type === 'integer') return (a, b) => Number(a.key) - Number(b.key);
  return (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function ipNumber(dotted: string): number {
  return dotted.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}
