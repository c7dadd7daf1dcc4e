/**
 * The statistics page's HTML: a self-contained document (inline CSS, no
 * external resources) with one table per proxy — FRONTEND, servers and
 * BACKEND rows with HAProxy's main columns — and, when `stats admin` allows
 * it, a form per backend to set servers ready / drain / maint.
 */
import type { StatRow } from './rows.ts';
import { formatUptime } from './info.ts';

export interface PageOptions {
  uri: string;
  refreshSeconds?: number;
  admin: boolean;
  hideVersion: boolean;
  /** Result of the previous admin action (`;st=DONE` …). */
  status?: string;
  uptimeSeconds: number;
}

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLUMNS: Array<[string, string]> = [
  ['qcur', 'Queue cur'], ['qmax', 'Queue max'], ['scur', 'Sessions cur'], ['smax', 'Sessions max'], ['slim', 'Limit'],
  ['stot', 'Total'], ['lbtot', 'LbTot'], ['rate', 'Rate'], ['bin', 'Bytes in'], ['bout', 'Bytes out'], ['dreq', 'Denied req'], ['ereq', 'Errors req'],
  ['econ', 'Errors conn'], ['eresp', 'Errors resp'], ['wretr', 'Retr'], ['wredis', 'Redis'], ['hrsp_2xx', '2xx'], ['hrsp_3xx', '3xx'],
  ['hrsp_4xx', '4xx'], ['hrsp_5xx', '5xx'], ['status', 'Status'], ['lastchg', 'LastChk (s)'], ['weight', 'Wght'], ['act', 'Act'],
  ['bck', 'Bck'], ['chkfail', 'Chk'], ['chkdown', 'Dwn'], ['check_status', 'Check'], ['ttime', 'Ttime (ms)'],
];

const STATUS_TEXT: Record<string, string> = {
  DONE: 'Action processed successfully.',
  NONE: 'Nothing has changed.',
  DENY: 'Action denied.',
  ERRP: 'Action not processed because of invalid parameters.',
  PART: 'Action partially processed. Some server names are probably unknown or ambiguous (duplicated names in the backend).',
  EXCD: "Action not processed: the buffer couldn't store all the data. You should retry with less servers at a time.",
  UNKN: 'Unexpected result.',
};

function rowClass(row: StatRow): string {
  if (row.type === 0) return 'frontend';
  if (row.type === 1) return 'backend';
  const s = String(row.values['status'] ?? '');
  if (s.startsWith('DOWN')) return 'down';
  if (s.startsWith('MAINT')) return 'maint';
  if (s === 'DRAIN' || s === 'NOLB') return 'drain';
  return 'up';
}

function table(rows: StatRow[], options: PageOptions): string {
  const proxy = rows[0]!.proxy;
  const backendRow = rows.find((r) => r.type === 1);
  const admin = options.admin && backendRow !== undefined;
  let html = `<h2 id="${esc(proxy.name)}">${esc(proxy.name)}</h2>\n`;
  if (admin) html += `<form method="post" action="${esc(options.uri)}"><input type="hidden" name="b" value="#${backendRow.iid}">\n`;
  html += '<table><thead><tr>' + (admin ? '<th></th>' : '') + '<th>Name</th>' + COLUMNS.map(([, label]) => `<th>${esc(label)}</th>`).join('') + '</tr></thead><tbody>\n';
  for (const row of rows) {
    const name = String(row.values['svname']);
    const check = admin && row.type === 2 ? `<td><input type="checkbox" name="s" value="${esc(name)}"></td>` : admin ? '<td></td>' : '';
    html += `<tr class="${rowClass(row)}">${check}<td class="name">${esc(name)}</td>` + COLUMNS.map(([k]) => `<td>${esc(row.values[k])}</td>`).join('') + '</tr>\n';
  }
  html += '</tbody></table>\n';
  if (admin) {
    html += '<p>Choose the action to perform on the checked servers: <select name="action"><option value="">---</option>'
      + '<option value="ready">Set state to READY</option><option value="drain">Set state to DRAIN</option><option value="maint">Set state to MAINT</option>'
      + '</select> <input type="submit" value="Apply"></p></form>\n';
  }
  return html;
}

export function statsPageHtml(rows: StatRow[], options: PageOptions): string {
  const byProxy = new Map<string, StatRow[]>();
  for (const row of rows) {
    const list = byProxy.get(row.proxy.name) ?? [];
    list.push(row);
    byProxy.set(row.proxy.name, list);
  }
  const status = options.status ? `<p class="status">${esc(STATUS_TEXT[options.status] ?? options.status)}</p>\n` : '';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Statistics Report for Loadstar</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; font-size: 13px; margin: 1em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #ccc; padding: 2px 5px; text-align: right; white-space: nowrap; }
th { background: #eee; font-weight: 600; }
td.name { text-align: left; font-weight: 600; }
tr.frontend td, tr.backend td { background: #e8eef8; }
tr.up td { background: #e6f5e6; } tr.down td { background: #fbe3e3; }
tr.maint td { background: #e8e3f5; } tr.drain td { background: #e3eef5; }
.status { padding: 4px 8px; background: #fff6d5; border: 1px solid #e0c860; display: inline-block; }
</style></head><body>
<h1>Loadstar statistics${options.hideVersion ? '' : ' (HAProxy 2.6 compatible)'}</h1>
<p>pid = ${process.pid}; uptime = ${formatUptime(options.uptimeSeconds)}${options.refreshSeconds ? `; refresh every ${options.refreshSeconds} s` : ''}; <a href="${esc(options.uri)};csv">CSV export</a></p>
${status}${[...byProxy.values()].map((r) => table(r, options)).join('')}</body></html>
`;
}
