/**
 * `show stat` in HAProxy's CSV (header line "# pxname,…," then one line per
 * row, each ending with a comma) and its `typed` form
 * (`F.iid.sid.pos.name.1:tags:type:value`, one line per non-empty field).
 * The filters are HAProxy's: `show stat [<iid|name> <type mask> <sid>]`.
 */
import type { StatRow } from './rows.ts';
import { rowCells } from './rows.ts';
import { CSV_HEADER, STAT_FIELDS, TYPED_POSITIONS, typedTags } from './fields.ts';

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
    STAT_FIELDS.forEach(([name, tags, type], i) => {
      const v = row.values[name];
      if (v === undefined || name === '-') return;
      out += `${letter}.${row.iid}.${row.sid}.${TYPED_POSITIONS[i]}.${name}.1:${typedTags(name, tags, row.type)}:${type}:${v}\n`;
    });
  }
  return out;
}

const ORIGINS: Record<string, string> = { M: 'Metric', S: 'Status', K: 'Key', C: 'Config', P: 'Product' };
const NATURES: Record<string, string> = { A: 'Age', a: 'Avg', C: 'Counter', D: 'Duration', G: 'Gauge', L: 'Limit', M: 'Max', m: 'Min', N: 'Name', O: 'Output', R: 'Rate', T: 'Time' };
const SCOPES: Record<string, string> = { C: 'Cluster', P: 'Process', S: 'Service', s: 'System' };
const OBJ_TYPES = ['Frontend', 'Backend', 'Server'];

/** The JSON forms' tags: the typed form's three letters (origin, nature, scope) in words. */
export function typedTagWords(tags: string): { origin: string | undefined; nature: string | undefined; scope: string | undefined } {
  return { origin: ORIGINS[tags[0]!], nature: NATURES[tags[1]!], scope: SCOPES[tags[2]!] };
}

/**
 * `show stat json` and the stats page's `;json`: HAProxy 2.6's form (management.txt "show stat
 * json"), an array per row of the fields that have a value, each with its position, tags and type,
 * the same fields and values as the typed form.
 */
export function statJson(rows: StatRow[]): string {
  const out = rows.map((row) => {
    const fields: unknown[] = [];
    STAT_FIELDS.forEach(([name, fieldTags, type], i) => {
      const v = row.values[name];
      if (v === undefined || name === '-') return;
      const tags = typedTags(name, fieldTags, row.type);
      fields.push({
        objType: OBJ_TYPES[row.type], proxyId: row.iid, id: row.sid, field: { pos: TYPED_POSITIONS[i], name }, processNum: 1,
        tags: typedTagWords(tags),
        value: { type, value: type === 'str' ? String(v) : Number(v) },
      });
    });
    return fields;
  });
  return JSON.stringify(out) + '\n';
}

/**
 * The stats page without `stats show-legends`: HAProxy 2.6 leaves the server addresses, cookies
 * and the balancing algorithm empty (STAT_SHLGNDS), in its CSV and JSON too.
 */
export function withoutLegends(rows: StatRow[]): StatRow[] {
  return rows.map((row) => {
    const { addr: _addr, cookie: _cookie, algo: _algo, ...values } = row.values;
    return { ...row, values };
  });
}
