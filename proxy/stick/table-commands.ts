/**
 * The runtime API's `clear table <table> [data.<type> <op> <value>]* | [key <key>]` and
 * `set table <table> key <key> [data.<type> <value>]*` (stick_table.c 2.6 cli_parse_table_req,
 * table_process_entry_per_key, cli_io_handler_table), with HAProxy's messages.
 *
 * Levels as HAProxy checks them: `key <key>` asks the session's level (lowered by `user` or
 * `operator`), a walk over the whole table the level of the socket, and a user-level socket's
 * walk does nothing, silently. An entry a stick counter holds is never removed.
 */
import { byKey, cliKey, dataRef, matchesFilters, parseFilters, strl2llrc } from './cli-args.ts';
import type { DataFilter } from './cli-args.ts';
import { tickNow } from './table.ts';
import type { CounterType, RateType, RuntimeStickTable } from './table.ts';
import type { StickTables } from './tables.ts';

/** What the CLI session may do: `socket` walks tables (the bind's level), `session` reads and writes one key. */
export interface TableAccess {
  socket: boolean;
  session: boolean;
}

const CLEAR_USAGE = 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n';
const SET_USAGE = 'Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n';

/** `clear table`: `words` are those after `clear table`. */
export function clearTable(tables: StickTables | undefined, words: readonly string[], access: TableAccess): string {
  const [name, filter] = words;
  if (name === undefined) return CLEAR_USAGE;
  const table = tables?.get(name);
  if (!table) return 'No such table\n';
  if (filter === 'key') {
    const key = cliKey(table, words[2], 'clear');
    if ('error' in key) return key.error;
    if (!access.session) return 'Permission denied\n';
    const entry = table.lookup(key.key);
    if (!entry) return '';
    return table.remove(entry) ? '' : 'Entry currently in use, cannot remove\n';
  }
  let filters: DataFilter[] = [];
  if (filter?.startsWith('data.')) {
    const parsed = parseFilters(table, words);
    if (typeof parsed === 'string') return parsed;
    filters = parsed;
  } else if (filter !== undefined) return CLEAR_USAGE;
  if (access.socket) clearEntries(table, filters);
  return '';
}

/** `set table`: `words` are those after `set table`. */
export function setTable(tables: StickTables | undefined, words: readonly string[], access: TableAccess): string {
  const [name, filter] = words;
  if (name === undefined) return SET_USAGE;
  const table = tables?.get(name);
  if (!table) return 'No such table\n';
  if (filter?.startsWith('data.')) return 'content-based lookup is only supported with the "show" and "clear" actions\n';
  if (filter === undefined) {
    // HAProxy 2.6 walks the table as `clear table <table>` does: every entry no counter holds is gone.
    if (access.socket) clearEntries(table, []);
    return '';
  }
  if (filter !== 'key') return SET_USAGE;
  const key = cliKey(table, words[2], 'set');
  if ('error' in key) return key.error;
  if (!access.session) return 'Permission denied\n';
  const now = tickNow();
  const entry = table.getEntry(key.key, now);
  if (!entry) return 'Unable to allocate a new entry\n';
  let answer = '';
  // Each pair is stored as it is read: a bad one stops there, the ones before it stay set.
  for (let i = 3; words[i] !== undefined && words[i] !== ''; i += 2) {
    const type = words[i]!;
    if (!type.startsWith('data.')) {
      answer = '"data.<type>" followed by a value expected\n';
      break;
    }
    const ref = dataRef(table, type.slice(5));
    if (ref === 'unknown' || ref === 'not stored') {
      answer = ref === 'unknown' ? 'Unknown data type\n' : 'Data type not stored in this table\n';
      break;
    }
    const value = strl2llrc(words[i + 1] ?? '');
    if (value === undefined) {
      answer = 'Require a valid integer value to store\n';
      break;
    }
    if (ref.kind === 'server_id') entry.serverId = Number(BigInt.asIntN(32, value));
    else if (ref.kind === 'counter') table.setCounter(entry, ref.slot as CounterType, value);
    else if (ref.kind === 'rate') table.setRate(entry, ref.slot as RateType, value, now);
  }
  table.touch(entry, now);
  return answer;
}

/**
 * cli_io_handler_table's walk for `clear`: in key order, an entry that passes the filters is removed
 * when no counter holds it — and, as HAProxy 2.6 tests the reference count of the entry it moves to
 * rather than of the one it leaves, only when the next entry in key order is not held either.
 */
function clearEntries(table: RuntimeStickTable, filters: readonly DataFilter[]): void {
  const now = tickNow();
  const entries = [...table.liveEntries(now)];
  // Key order matters only next to a held entry: without one, every entry that passes goes (no sort).
  if (entries.some((e) => e.refs > 0)) entries.sort(byKey(table));
  entries.forEach((entry, i) => {
    if (!matchesFilters(table, entry, filters, now)) return;
    const next = entries[i + 1] ?? entry;
    if (next.refs === 0) table.remove(entry);
  });
}
