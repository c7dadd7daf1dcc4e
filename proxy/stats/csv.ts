/**
 * `show stat` in HAProxy's CSV (header line "# pxname,…," then one line per
 * row, each ending with a comma) and its `typed` form
 * (`F.iid.sid.pos.name.1:tags:type:value`, one line per non-empty field).
 * The filters are HAProxy's: `show stat [<iid|name> <type mask> <sid>]`.
 */
import type { StatRow } from './rows.ts';
import { rowCells } from './rows.ts';
import { CSV_HEADER, STAT_FIELDS } from './fields.ts';

export interface StatFilter {
  /** Proxy id or name; undefined = all. */
  proxy?: number | string;
  /** Bit mask: 1 frontends, 2 backends, 4 servers; -1 = all. */
  types: number;
  /** Server id; -1 = all. */
  sid: number;
}

export function filterRows(rows: StatRow[], filter: StatFilter | undefined): StatRow[] {
  if (!filter) return rows;
  return rows.filter((r) => {
    if (filter.proxy !== undefined && (typeof filter.proxy === 'number' ? r.iid !== filter.proxy : r.proxy.name !== filter.proxy)) return false;
    const bit = r.type === 0 ? 1 : r.type === 1 ? 2 : 4;
    if (filter.types !== -1 && (filter.types & bit) === 0) return false;
    if (filter.sid !== -1 && r.type === 2 && r.sid !== filter.sid) return false;
    return true;
  });
}

export function statCsv(rows: StatRow[]): string {
  let out = CSV_HEADER + '\n';
  for (const row of rows) out += rowCells(row).join(',') + ',\n';
  return out;
}

export function statTyped(rows: StatRow[]): string {
  let out = '';
  for (const row of rows) {
    const letter = row.type === 0 ? 'F' : row.type === 1 ? 'B' : 'S';
    STAT_FIELDS.forEach(([name, tags, type], pos) => {
      const v = row.values[name];
      if (v === undefined || name === '-') return;
      out += `${letter}.${row.iid}.${row.sid}.${pos}.${name}.1:${tags}:${type}:${v}\n`;
    });
  }
  return out;
}
