/**
 * The statistics page's HTML as HAProxy 2.6 writes it (stats.c: stats_dump_html_head, _info,
 * _px_hdr, stats_dump_fields_html, _px_end, _end), built from the rows the CSV uses: the process
 * information block with the legend and the display options, then per proxy a title table and a
 * table with HAProxy's two header rows and its FRONTEND, server and BACKEND rows — the same cells,
 * row classes (active_up, backup_down, maintain…) and tooltips. With `stats admin`, a backend
 * with servers is a form (checkboxes, HAProxy's actions) posting back to the page. Names come
 * from the configuration and are HTML-escaped.
 */
import type { StatRow } from './rows.ts';
import type { InfoValue } from './info.ts';
import { VERSION } from './info.ts';
import { STATS_PAGE_CSS } from './page-style.ts';

export interface PageOptions {
  /** The `stats uri` prefix the links are built on. */
  uri: string;
  /** `stats refresh`, seconds (undefined: none, so no refresh link). */
  refreshSeconds?: number;
  /** `;norefresh` */
  noRefresh: boolean;
  /** `;up` */
  hideDown: boolean;
  admin: boolean;
  hideVersion: boolean;
  showLegends: boolean;
  /** `stats show-node`: the node name the title and heading add (" on <node>"). */
  node?: string;
  /** `stats show-desc`: the description the heading adds (": <text>"). */
  description?: string;
  /** The `?scope=` text ('' when none). */
  scope: string;
  /** Result of the previous admin action (`;st=DONE` …). */
  status?: string;
  /** `show info`'s values (info.ts infoValues). */
  info: ReadonlyMap<string, InfoValue>;
}

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** HAProxy's U2H (ulltoh_r): the digits, each group of three above the units with its last digit in a letter-spaced span. */
export function u2h(value: unknown): string {
  const digits = String(Math.max(0, Math.trunc(Number(value ?? 0) || 0)));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    const fromRight = digits.length - 1 - i;
    out += fromRight > 0 && fromRight % 3 === 0 ? `<span class="rls">${digits[i]}</span>` : digits[i];
  }
  return out;
}

/** HAProxy's LIM2A: the number, or `alt` for 0 (no limit). */
function lim(value: unknown, alt: string): string {
  const n = Number(value ?? 0) || 0;
  return n ? String(n) : alt;
}

/** HAProxy's human_time(t, 1): the two largest units of d/h/m/s ("0s" for 0, "?" when negative). */
export function humanTime(value: unknown): string {
  const t = Math.trunc(Number(value ?? -1));
  if (!(t >= 0)) return '?';
  let out = '';
  let count = 2;
  if (t >= 86400) { out += `${Math.floor(t / 86400)}d`; count--; }
  if (count && Math.floor((t % 86400) / 3600)) { out += `${Math.floor((t % 86400) / 3600)}h`; count--; }
  if (count && Math.floor((t % 3600) / 60)) { out += `${Math.floor((t % 3600) / 60)}m`; count--; }
  if ((count && t % 60) || t === 0) out += `${t % 60}s`;
  return out;
}

const pct = (part: number, whole: number): number => (whole ? Math.floor((100 * part) / whole) : 0);

/** A tooltip table of `<th>label</th><td>value</td>[<td>extra</td>]` lines. */
function tips(lines: Array<[string, string, string?]>): string {
  return '<div class=tips><table class=det>' + lines.map(([th, td, extra]) => (th.startsWith('<') ? th : `<tr><th>${th}</th><td>${td}</td>${extra !== undefined ? `<td>${extra}</td>` : ''}</tr>`)).join('') + '</table></div>';
}

type Values = StatRow['values'];
const num = (v: Values, name: string): number => Number(v[name] ?? 0) || 0;

/** The HTTP response counters' tooltip lines of a frontend or backend (no percentages). */
function httpLines(v: Values, frontend: boolean): Array<[string, string, string?]> {
  return [
    ...(frontend ? [] : [['New connections:', u2h(v['connect'])], ['Reused connections:', u2h(v['reuse']), `(${pct(num(v, 'reuse'), num(v, 'connect') + num(v, 'reuse'))}%)`]] as Array<[string, string, string?]>),
    ['Cum. HTTP requests:', u2h(v['req_tot'])],
    ['- HTTP 1xx responses:', u2h(v['hrsp_1xx'])], ['- HTTP 2xx responses:', u2h(v['hrsp_2xx'])],
    ['&nbsp;&nbsp;Compressed 2xx:', u2h(v['comp_rsp']), `(${pct(num(v, 'comp_rsp'), num(v, 'hrsp_2xx'))}%)`],
    ['- HTTP 3xx responses:', u2h(v['hrsp_3xx'])], ['- HTTP 4xx responses:', u2h(v['hrsp_4xx'])], ['- HTTP 5xx responses:', u2h(v['hrsp_5xx'])],
    ['- other responses:', u2h(v['hrsp_other'])],
    ...(frontend ? [['Intercepted requests:', u2h(v['intercepted'])]] as Array<[string, string]> : []),
    ['Cache lookups:', u2h(v['cache_lookups'])], ['Cache hits:', u2h(v['cache_hits']), `(${pct(num(v, 'cache_hits'), num(v, 'cache_lookups'))}%)`],
    ['Failed hdr rewrites:', u2h(v['wrew'])], ['Internal errors:', u2h(v['eint'])],
  ];
}

/** The queue / connect / response / total times (max / average) of a backend or server. */
function timeLines(v: Values, http: boolean): Array<[string, string, string?]> {
  return [
    ['<tr><th colspan=3>Max / Avg over last 1024 success. conn.</th></tr>', ''],
    ['- Queue time:', `${u2h(v['qtime_max'])} / ${u2h(v['qtime'])}`, 'ms'],
    ['- Connect time:', `${u2h(v['ctime_max'])} / ${u2h(v['ctime'])}`, 'ms'],
    ...(http ? [['- Responses time:', `${u2h(v['rtime_max'])} / ${u2h(v['rtime'])}`, 'ms']] as Array<[string, string, string]> : []),
    ['- Total time:', `${u2h(v['ttime_max'])} / ${u2h(v['ttime'])}`, 'ms'],
  ];
}

/** Bytes out with the compression tooltip (underlined only when something was compressed or bypassed). */
function bytesOut(v: Values): string {
  const compIn = num(v, 'comp_in');
  const compOut = num(v, 'comp_out');
  const underline = compIn || num(v, 'comp_byp');
  return `<td>${underline ? '<u>' : ''}${u2h(v['bout'])}` + tips([
    ['Response bytes in:', u2h(v['bout'])], ['Compression in:', u2h(compIn)],
    ['Compression out:', u2h(compOut), `(${compIn ? Math.floor((compOut * 100) / compIn) : 0}%)`], ['Compression bypass:', u2h(v['comp_byp'])],
    ['Total bytes saved:', u2h(compIn - compOut), `(${num(v, 'bout') ? Math.floor(((compIn - compOut) * 100) / num(v, 'bout')) : 0}%)`],
  ]) + `${underline ? '</u>' : ''}</td>`;
}

const resets = (v: Values): string =>
  `<td><u>${u2h(v['eresp'])}<div class=tips>Connection resets during transfers: ${num(v, 'cli_abrt')} client, ${num(v, 'srv_abrt')} server</div></u></td>`;

/** A row's anchor and link: `<px>/<name>` (Frontend, Backend or the server's name). */
function nameCell(px: string, name: string, legend?: string): string {
  return `<td class=ac><a name="${esc(px)}/${esc(name)}"></a>${legend !== undefined ? '<u>' : ''}<a class=lfsb href="#${esc(px)}/${esc(name)}">${esc(name)}</a>`
    + (legend !== undefined ? `<div class=tips>${legend}</div></u>` : '') + '</td>';
}

function frontendRow(row: StatRow, o: PageOptions): string {
  const v = row.values;
  const http = v['mode'] === 'http';
  return '<tr class="frontend">' + (o.admin ? '<td></td>' : '') + nameCell(row.proxy.name, 'Frontend') + '<td colspan=3></td>'
    + `<td><u>${u2h(v['rate'])}` + tips([['Current connection rate:', `${u2h(v['conn_rate'])}/s`], ['Current session rate:', `${u2h(v['rate'])}/s`],
      ...(http ? [['Current request rate:', `${u2h(v['req_rate'])}/s`]] as Array<[string, string]> : [])]) + '</u></td>'
    + `<td><u>${u2h(v['rate_max'])}` + tips([['Max connection rate:', `${u2h(v['conn_rate_max'])}/s`], ['Max session rate:', `${u2h(v['rate_max'])}/s`],
      ...(http ? [['Max request rate:', `${u2h(v['req_rate_max'])}/s`]] as Array<[string, string]> : [])]) + '</u></td>'
    + `<td>${lim(v['rate_lim'], '-')}</td>`
    + `<td>${u2h(v['scur'])}</td><td>${u2h(v['smax'])}</td><td>${u2h(v['slim'])}</td>`
    + `<td><u>${u2h(v['stot'])}` + tips([['Cum. connections:', u2h(v['conn_tot'])], ['Cum. sessions:', u2h(v['stot'])], ...(http ? httpLines(v, true) : [])]) + '</u></td>'
    + `<td></td><td></td><td>${u2h(v['bin'])}</td>` + bytesOut(v)
    + `<td>${u2h(v['dreq'])}</td><td>${u2h(v['dresp'])}</td><td>${u2h(v['ereq'])}</td><td></td><td></td><td></td><td></td>`
    + `<td class=ac>${esc(v['status'])}</td><td class=ac colspan=8></td></tr>`;
}

/** stats_dump_fields_html's style for a server row: its state, health and weight. */
export function serverRowClass(v: Values): string {
  const status = String(v['status'] ?? '');
  if (status.startsWith('MAINT')) return 'maintain';
  let style: string;
  if (status === 'DOWN' || status === 'DOWN (agent)') style = 'down';
  else if (status.startsWith('DOWN ')) style = 'going_up';
  else if (status === 'DRAIN') style = 'draining';
  else if (status.startsWith('NOLB ')) style = 'going_down';
  else if (status === 'NOLB') style = 'nolb';
  else if (status === 'no check') style = 'no_check';
  else if (v['chkfail'] === undefined || num(v, 'check_health') === fullHealth(v)) style = num(v, 'weight') ? 'up' : 'draining';
  else style = 'going_down';
  return `${num(v, 'bck') ? 'backup' : 'active'}_${style}`;
}

/** rise + fall - 1 as HAProxy's unsigned arithmetic computes it (no check columns: the largest u32). */
const fullHealth = (v: Values): number => (num(v, 'check_rise') + num(v, 'check_fall') - 1) >>> 0;

/** The Status and LastChk cells of a server. */
function serverStatus(v: Values): string {
  const status = String(v['status'] ?? '');
  let html = '<td class=ac>';
  if (status.startsWith('MAINT')) html += `${humanTime(v['lastchg'])} MAINT`;
  else if (status === 'no check') html += '<i>no check</i>';
  else {
    html += `${humanTime(v['lastchg'])} ${esc(status)}`;
    if (status.startsWith('DOWN')) {
      if (num(v, 'check_health')) html += ' &uarr;';
    } else if (num(v, 'check_health') < fullHealth(v)) html += ' &darr;';
  }
  const check = (prefix: 'check' | 'agent', last: string): string => {
    let cell = `</td><td class=ac><u> ${esc(v[`${prefix}_status`])}`;
    if (v[`${prefix}_code`] !== undefined) cell += `/${v[`${prefix}_code`]}`;
    if (v[`${prefix}_duration`] !== undefined) cell += ` in ${v[`${prefix}_duration`]}ms`;
    cell += `<div class=tips>${esc(v[`${prefix}_desc`])}`;
    if (v[last]) cell += `: ${esc(v[last])}`;
    return `${cell}</div></u>`;
  };
  if (status.startsWith('DOWN') && v['agent_status'] !== undefined && !num(v, 'agent_health')) html += check('agent', 'last_agt');
  else if (v['check_status'] !== undefined) html += check('check', 'last_chk');
  else html += '</td><td>';
  return `${html}</td>`;
}

/** The server's legend tooltip (`stats show-legends`): address, id, cookie. */
function serverLegend(v: Values): string {
  const addr = String(v['addr'] ?? '');
  const kind = /^[0-9]/.test(addr) ? 'IPv4: ' : addr.startsWith('[') ? 'IPv6: ' : '';
  return `${addr ? `${kind}${esc(addr)}, ` : ''}id: ${num(v, 'sid')}${v['cookie'] !== undefined ? `, cookie: '${esc(v['cookie'])}'` : ''}`;
}

function serverRow(row: StatRow, o: PageOptions): string {
  const v = row.values;
  const px = row.proxy.name;
  const name = String(v['svname']);
  const http = v['mode'] === 'http';
  const status = String(v['status'] ?? '');
  let html = `<tr class="${serverRowClass(v)}">`
    + (o.admin ? `<td><input class='${esc(px)}-checkbox' type="checkbox" name="s" value="${esc(name)}"></td>` : '')
    + nameCell(px, name, o.showLegends ? serverLegend(v) : undefined)
    + `<td>${u2h(v['qcur'])}</td><td>${u2h(v['qmax'])}</td><td>${lim(v['qlimit'], '-')}</td>`
    + `<td>${u2h(v['rate'])}</td><td>${u2h(v['rate_max'])}</td><td></td>`
    + `<td><u>${u2h(v['scur'])}` + tips([
      ['Current active connections:', u2h(v['scur'])], ['Current used connections:', u2h(v['used_conn_cur'])],
      ['Current idle connections:', u2h(v['srv_icur'])], ['- unsafe:', u2h(v['idle_conn_cur'])], ['- safe:', u2h(v['safe_conn_cur'])],
      ['Estimated need of connections:', u2h(v['need_conn_est'])], ['Active connections limit:', lim(v['slim'], '-')],
      ['Idle connections limit:', v['src_ilim'] !== undefined ? u2h(v['src_ilim']) : '-'],
    ]) + '</u></td>'
    + `<td>${u2h(v['smax'])}</td><td>${lim(v['slim'], '-')}</td>`
    + `<td><u>${u2h(v['stot'])}` + tips([
      ['Cum. sessions:', u2h(v['stot'])],
      ...(http ? [
        ['New connections:', u2h(v['connect'])], ['Reused connections:', u2h(v['reuse']), `(${pct(num(v, 'reuse'), num(v, 'connect') + num(v, 'reuse'))}%)`],
        ['Cum. HTTP requests:', u2h(v['req_tot'])],
        ...(['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => [`- HTTP ${c} responses:`, u2h(v[`hrsp_${c}`]), `(${pct(num(v, `hrsp_${c}`), num(v, 'req_tot'))}%)`])),
        ['- other responses:', u2h(v['hrsp_other']), `(${pct(num(v, 'hrsp_other'), num(v, 'req_tot'))}%)`],
        ['Failed hdr rewrites:', u2h(v['wrew'])], ['Internal error:', u2h(v['eint'])],
      ] as Array<[string, string, string?]> : []),
      ...timeLines(v, http),
    ]) + '</u></td>'
    + `<td>${u2h(v['lbtot'])}</td><td>${humanTime(v['lastsess'])}</td>`
    + `<td>${u2h(v['bin'])}</td><td>${u2h(v['bout'])}</td><td></td><td>${u2h(v['dresp'])}</td><td></td><td>${u2h(v['econ'])}</td>`
    + resets(v) + `<td>${num(v, 'wretr')}</td><td>${num(v, 'wredis')}</td>`
    + serverStatus(v)
    + `<td class=ac>${num(v, 'weight')}/${num(v, 'uweight')}</td><td class=ac>${num(v, 'bck') ? '-' : 'Y'}</td><td class=ac>${num(v, 'bck') ? 'Y' : '-'}</td>`;
  if (status === 'MAINT (resolution)') html += '<td class=ac colspan=3>resolution</td>';
  else if (v['chkfail'] !== undefined) {
    const hana = v['hanafail'] !== undefined;
    html += `<td><u>${num(v, 'chkfail')}${hana ? `/${num(v, 'hanafail')}` : ''}<div class=tips>Failed Health Checks${hana ? '/Health Analyses' : ''}</div></u></td>`
      + `<td>${num(v, 'chkdown')}</td><td>${humanTime(v['downtime'])}</td>`;
  } else if (status !== 'MAINT' && v['tracked'] !== undefined) {
    html += `<td class=ac colspan=3><a class=lfsb href="#${esc(v['tracked'])}">via ${esc(v['tracked'])}</a></td>`;
  } else html += '<td colspan=3></td>';
  html += v['throttle'] !== undefined ? `<td class=ac>${num(v, 'throttle')} %</td>\n` : '<td class=ac>-</td>';
  return `${html}</tr>\n`;
}

function backendRow(row: StatRow, o: PageOptions): string {
  const v = row.values;
  const http = v['mode'] === 'http';
  const legend = o.showLegends ? `balancing: ${esc(v['algo'])}${v['cookie'] !== undefined ? `, cookie: '${esc(v['cookie'])}'` : ''}` : undefined;
  const status = String(v['status'] ?? '');
  return '<tr class="backend">' + (o.admin ? '<td></td>' : '') + nameCell(row.proxy.name, 'Backend', legend)
    + `<td>${u2h(v['qcur'])}</td><td>${u2h(v['qmax'])}</td><td></td>`
    + `<td>${u2h(v['rate'])}</td><td>${u2h(v['rate_max'])}</td><td></td>`
    + `<td>${u2h(v['scur'])}</td><td>${u2h(v['smax'])}</td><td>${u2h(v['slim'])}</td>`
    + `<td><u>${u2h(v['stot'])}` + tips([['Cum. sessions:', u2h(v['stot'])], ...(http ? httpLines(v, false) : []), ...timeLines(v, http)]) + '</u></td>'
    + `<td>${u2h(v['lbtot'])}</td><td>${humanTime(v['lastsess'])}</td><td>${u2h(v['bin'])}</td>` + bytesOut(v)
    + `<td>${u2h(v['dreq'])}</td><td>${u2h(v['dresp'])}</td><td></td><td>${u2h(v['econ'])}</td>` + resets(v)
    + `<td>${num(v, 'wretr')}</td><td>${num(v, 'wredis')}</td>`
    + `<td class=ac>${humanTime(v['lastchg'])} ${status === 'DOWN' ? '<font color="red"><b>DOWN</b></font>' : esc(status)}</td><td class=ac>&nbsp;</td>`
    + `<td class=ac>${num(v, 'weight')}/${num(v, 'uweight')}</td><td class=ac>${num(v, 'act')}</td><td class=ac>${num(v, 'bck')}</td>`
    + `<td class=ac>&nbsp;</td><td>${num(v, 'chkdown')}</td><td>${v['downtime'] !== undefined && v['downtime'] !== '' ? humanTime(v['downtime']) : '&nbsp;'}</td><td></td></tr>`;
}

/** HAProxy's action list of the admin form (stats_dump_html_px_end); admin-form.ts reads them all. */
const ADMIN_ACTIONS: Array<[string, string]> = [
  ['', ''], ['ready', 'Set state to READY'], ['drain', 'Set state to DRAIN'], ['maint', 'Set state to MAINT'],
  ['dhlth', 'Health: disable checks'], ['ehlth', 'Health: enable checks'], ['hrunn', 'Health: force UP'], ['hnolb', 'Health: force NOLB'], ['hdown', 'Health: force DOWN'],
  ['dagent', 'Agent: disable checks'], ['eagent', 'Agent: enable checks'], ['arunn', 'Agent: force UP'], ['adown', 'Agent: force DOWN'], ['shutdown', 'Kill Sessions'],
];

/** One proxy: the title table (its legend: proxy_cap_str's name, "proxy" for a listen), the table of rows, and the admin form around them for a backend with servers. */
function proxyTables(rows: StatRow[], o: PageOptions): string {
  const proxy = rows[0]!.proxy;
  const px = esc(proxy.name);
  const form = o.admin && proxy.kind !== 'frontend' && rows[0]!.backend !== undefined && rows[0]!.backend.servers.length > 0;
  let html = form ? '<form method="post">' : '';
  html += '<table class="tbl" width="100%">\n<tr class="titre"><th class="pxname" width="10%">'
    + `<a name="${px}"></a>${o.showLegends ? '<u>' : ''}<a class=px href="#${px}">${px}</a>`
    + (o.showLegends ? `<div class=tips>cap: ${proxy.kind === 'listen' ? 'proxy' : proxy.kind}, mode: ${proxy.mode}, id: ${rows[0]!.iid}</div></u>` : '')
    + `</th><th class="${proxy.description ? 'desc' : 'empty'}" width="90%">${esc(proxy.description ?? '')}</th></tr>\n</table>\n`
    + '<table class="tbl" width="100%">\n<tr class="titre">';
  if (o.admin) {
    html += form
      ? `<th rowspan=2 width=1><input type="checkbox" onclick="for(c in document.getElementsByClassName('${px}-checkbox')) document.getElementsByClassName('${px}-checkbox').item(c).checked = this.checked"></th>`
      : '<th rowspan=2></th>';
  }
  html += '<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>'
    + '<th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n'
    + '<tr class="titre">' + ['Cur', 'Max', 'Limit', 'Cur', 'Max', 'Limit', 'Cur', 'Max', 'Limit', 'Total', 'LbTot', 'Last', 'In', 'Out', 'Req', 'Resp', 'Req', 'Conn',
      'Resp', 'Retr', 'Redis', 'Status', 'LastChk', 'Wght', 'Act', 'Bck', 'Chk', 'Dwn', 'Dwntme', 'Thrtle'].map((h) => `<th>${h}</th>`).join('') + '\n</tr>';
  for (const row of rows) html += row.type === 0 ? frontendRow(row, o) : row.type === 2 ? serverRow(row, o) : backendRow(row, o);
  html += '</table>';
  if (form) {
    html += 'Choose the action to perform on the checked servers : <select name=action>'
      + ADMIN_ACTIONS.map(([value, label]) => `<option value="${value}">${label}</option>`).join('') + '</select>'
      + `<input type="hidden" name="b" value="#${rows[0]!.iid}">&nbsp;<input type="submit" value="Apply"></form>`;
  }
  return `${html}<p>\n`;
}

/** The `;st=` message after an admin action: its class and text as stats_dump_html_info writes them. */
const STATUS_MESSAGES: Record<string, [string, string]> = {
  DONE: ['active_up', 'Action processed successfully.'],
  NONE: ['active_going_down', 'Nothing has changed.'],
  PART: ['active_going_down', 'Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).'],
  ERRP: ['active_down', 'Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li>'
    + '<li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>'],
  EXCD: ['active_down', "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>"],
  DENY: ['active_down', '<b>Action denied.</b>'],
  IVAL: ['active_down', '<b>Invalid requests (unsupported method or chunked encoded request).</b>'],
};

/** bit rate as HAProxy shows it: bytes out per second with Ethernet framing (1538 wire bytes per 1448). */
function bitRate(bytesPerSecond: number): string {
  const bps = (bytesPerSecond * 8 * 1538) / 1448;
  return bps >= 1e9 ? `${(bps / 1e9).toFixed(3)} Gbps` : bps >= 1e6 ? `${(bps / 1e6).toFixed(3)} Mbps` : `${(bps / 1e3).toFixed(3)} kbps`;
}

function infoBlock(o: PageOptions): string {
  const i = (name: string): number => Number(o.info.get(name) ?? 0) || 0;
  const pid = i('Pid');
  const up = i('Uptime_sec');
  const memmax = i('Memmax_MB');
  const scopeQuery = o.scope ? `?scope=${esc(o.scope)}` : '';
  const link = (up: boolean, norefresh: boolean): string => `${esc(o.uri)}${up ? ';up' : ''}${norefresh ? ';norefresh' : ''}${scopeQuery}`;
  let html = `<body><h1><a href="http://www.haproxy.org/" style="text-decoration: none;">Loadstar${o.hideVersion ? '' : ` &mdash; HAProxy 2.6 compatible (${VERSION})`}</a></h1>\n`
    + `<h2>Statistics Report for pid ${pid}${o.node !== undefined ? ` on ${esc(o.node)}` : ''}${o.description !== undefined ? `: ${esc(o.description)}` : ''}</h2>\n<hr width="100%" class="hr">\n<h3>&gt; General process information</h3>\n`
    + '<table border=0><tr><td align="left" nowrap width="1%">\n'
    + `<p><b>pid = </b> ${pid} (process #1, nbproc = 1, nbthread = ${i('Nbthread')})<br>\n`
    + `<b>uptime = </b> ${Math.floor(up / 86400)}d ${Math.floor((up % 86400) / 3600)}h${String(Math.floor((up % 3600) / 60)).padStart(2, '0')}m${String(up % 60).padStart(2, '0')}s<br>\n`
    + `<b>system limits:</b> memmax = ${memmax ? `${memmax} MB` : 'unlimited'}; ulimit-n = ${i('Ulimit-n')}<br>\n`
    + `<b>maxsock = </b> ${i('Maxsock')}; <b>maxconn = </b> ${i('Maxconn')}; <b>maxpipes = </b> ${i('Maxpipes')}<br>\n`
    + `current conns = ${i('CurrConns')}; current pipes = ${i('PipesUsed')}/${i('PipesUsed') + i('PipesFree')}; conn rate = ${i('ConnRate')}/sec; bit rate = ${bitRate(i('BytesOutRate'))}<br>\n`
    + `Running tasks: ${i('Run_queue')}/${i('Tasks')}; idle = ${i('Idle_pct')} %<br>\n`
    + '</td><td align="center" nowrap>\n<table class="lgd"><tr>\n'
    + '<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>\n'
    + '<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>\n'
    + '<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>\n'
    + '<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>\n'
    + '<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n'
    + '<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n'
    + 'Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.</td>'
    + '<td align="left" valign="top" nowrap width="1%"><b>Display option:</b><ul style="margin-top: 0.25em;">'
    + `<li><form method="GET">Scope : <input value="${esc(o.scope)}" name="scope" size="8" maxlength="20" tabindex="1"/></form>\n`
    + (o.hideDown ? `<li><a href="${link(false, o.noRefresh)}">Show all servers</a><br>\n` : `<li><a href="${link(true, o.noRefresh)}">Hide 'DOWN' servers</a><br>\n`);
  if (o.refreshSeconds !== undefined) {
    html += o.noRefresh ? `<li><a href="${link(o.hideDown, false)}">Enable refresh</a><br>\n` : `<li><a href="${link(o.hideDown, true)}">Disable refresh</a><br>\n`;
  }
  const norefresh = o.refreshSeconds !== undefined ? ';norefresh' : '';
  html += `<li><a href="${link(o.hideDown, o.noRefresh)}">Refresh now</a><br>\n`
    + `<li><a href="${esc(o.uri)};csv${norefresh}${scopeQuery}">CSV export</a><br>\n`
    + `<li><a href="${esc(o.uri)};json${norefresh}${scopeQuery}">JSON export</a> (<a href="${esc(o.uri)};json-schema">schema</a>)<br>\n`
    + '</ul></td><td align="left" valign="top" nowrap width="1%"><b>External resources:</b><ul style="margin-top: 0.25em;">\n'
    + '<li><a href="http://www.haproxy.org/">HAProxy site</a><br>\n'
    + '<li><a href="http://docs.haproxy.org/2.6/configuration.html">HAProxy 2.6 manual</a><br>\n'
    + '</ul></td></tr></table>\n';
  if (o.status !== undefined) {
    const [cls, text] = STATUS_MESSAGES[o.status] ?? ['active_no_check', 'Unexpected result.'];
    html += `<p><div class=${cls}><a class=lfsb href="${link(o.hideDown, o.noRefresh)}" title="Remove this message">[X]</a> ${text}</div>\n<p>\n`;
  }
  return html;
}

/**
 * Loadstar's one addition to HAProxy's stylesheet: on a phone the process information, the legend and
 * the display options stack instead of sitting side by side off-screen; the proxy tables scroll sideways.
 */
const NARROW_SCREEN_CSS = '@media (max-width: 700px) {\n h3 + table > tbody > tr > td { display: block; width: auto; }\n}\n';

export function statsPageHtml(rows: StatRow[], options: PageOptions): string {
  const byProxy = new Map<string, StatRow[]>();
  for (const row of rows) {
    const list = byProxy.get(row.proxy.name) ?? [];
    list.push(row);
    byProxy.set(row.proxy.name, list);
  }
  return '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"\n"http://www.w3.org/TR/html4/loose.dtd">\n'
    + `<html><head><title>Statistics Report for Loadstar${options.node !== undefined ? ` on ${esc(options.node)}` : ''}</title>\n<link rel="icon" href="data:,">\n`
    + '<meta http-equiv="content-type" content="text/html; charset=utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    + `<style type="text/css"><!--\n${STATS_PAGE_CSS}${NARROW_SCREEN_CSS}-->\n</style></head>\n`
    + infoBlock(options)
    + [...byProxy.values()].map((r) => proxyTables(r, options)).join('')
    + '</body></html>\n';
}
