/** Persistence keywords: `cookie`, `stick-table`, `stick on|match|store-request|store-response`. */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { splitCondition, mapFilesProblem, warnIfConditionConflicts } from './conditions.ts';
import { fetchUsableAt, parseSampleExpression, sourceNames } from '../acl/index.ts';
import { parseInteger, parseSize, parseTime } from './values.ts';
import { SUPPORTED } from './status.ts';
import type { CookieSettings, SourceLocation, StickTable } from './model.ts';
import type { DiagnosticCode } from '../errors.ts';

function parseCookie(ctx: ProxyDirectiveContext): void {
  const [name, ...rest] = ctx.args;
  if (name === undefined) return ctx.error(`'cookie' expects <cookie_name> as argument.`);
  const cookie: CookieSettings = {
    name, mode: 'insert', indirect: false, nocache: false, postonly: false, preserve: false, httponly: false,
    secure: false, domains: [], dynamic: false, attrs: [], loc: ctx.directive.loc,
  };
  let modeSet = false;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const v = rest[i + 1];
    const argIndex = i + 1;
    if (w === 'insert' || w === 'rewrite' || w === 'prefix') {
      if (modeSet && cookie.mode !== w) return ctx.error(`'cookie' : '${w}' cannot be combined with '${cookie.mode}'.`, argIndex);
      cookie.mode = w;
      modeSet = true;
    } else if (w === 'indirect' || w === 'nocache' || w === 'postonly' || w === 'preserve' || w === 'httponly' || w === 'secure' || w === 'dynamic') {
      cookie[w] = true;
    } else if (w === 'domain' || w === 'attr') {
      if (v === undefined) return ctx.error(`'cookie' '${w}' option needs a value.`, argIndex);
      if (w === 'domain') cookie.domains.push(v);
      else cookie.attrs.push(v);
      i++;
    } else if (w === 'maxidle' || w === 'maxlife') {
      if (v === undefined) return ctx.error(`'cookie' '${w}' expects <${w === 'maxidle' ? 'idletime' : 'lifetime'}> in seconds as argument.`, argIndex);
      const t = parseSeconds(v, w);
      if (t.error !== undefined) return ctx.error(`'cookie' : ${t.error}`, argIndex + 1);
      cookie[w] = t.value * 1000;
      i++;
    } else {
      return ctx.error(`'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.`, argIndex);
    }
  }
  if (!modeSet && rest.length === 0) cookie.mode = 'passive';
  if (!modeSet && rest.some((w) => w === 'indirect' || w === 'nocache')) cookie.mode = 'passive';
  if ((cookie.preserve || cookie.nocache || cookie.postonly) && cookie.mode !== 'insert' && modeSet) {
    if (cookie.postonly) return ctx.error(`'cookie' : 'postonly' option is only meaningful with 'insert'.`);
  }
  ctx.proxy.cookie = cookie;
}

/** Seconds per unit of HAProxy's time values (parse_time_err). */
const SECONDS_PER_UNIT: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A time in whole seconds as HAProxy's parse_time_err(TIME_UNIT_S) reads
 * `maxidle` / `maxlife`: no unit means seconds, a fraction rounds up (500ms is
 * 1 s), up to 2147483647 s — more than the millisecond timeouts allow (30d is fine).
 */
function parseSeconds(word: string, what: string): { value: number; error?: undefined } | { error: string } {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(word);
  if (!m) return { error: `unexpected character '${word.replace(/^\d+/, '')[0] ?? word[0]}' in argument to <${what}>.` };
  const digits = m[1]!;
  const unit = m[2] ?? 's';
  const per = SECONDS_PER_UNIT[unit]!;
  // Integer arithmetic for the fractional units, as HAProxy rounds (value + div - 1) / div.
  const value = per >= 1 ? Number(digits) * per : Math.ceil(Number(digits) / Math.round(1 / per));
  if (value >= 0x80000000) return { error: `timer overflow in argument <${word}> to <${what}>, maximum value is 2147483647 s (~68 years).` };
  return { value };
}

function parseDynamicCookieKey(ctx: ProxyDirectiveContext): void {
  const key = ctx.args[0];
  if (key === undefined || key === '') return ctx.error(`'dynamic-cookie-key' expects <secret_key> as argument.`);
  ctx.proxy.dynamicCookieKey = key;
}

const STORE_TYPES = new Set([
  'server_id', 'gpc0', 'gpc0_rate', 'gpc1', 'gpc1_rate', 'gpt0', 'conn_cnt', 'conn_cur', 'conn_rate', 'sess_cnt', 'sess_rate',
  'http_req_cnt', 'http_req_rate', 'http_err_cnt', 'http_err_rate', 'http_fail_cnt', 'http_fail_rate', 'bytes_in_cnt',
  'bytes_in_rate', 'bytes_out_cnt', 'bytes_out_rate', 'gpc', 'gpc_rate', 'gpt',
]);
const RATE_TYPES = new Set([...STORE_TYPES].filter((t) => t.endsWith('_rate')));
/** The data types that are arrays (HAProxy 2.5+). */
const ARRAY_TYPES = new Set(['gpc', 'gpc_rate', 'gpt']);

function parseStickTable(ctx: ProxyDirectiveContext): void {
  // A proxy's table is named after it, so a second one clashes with the first (checked before the words, as HAProxy does).
  const first = ctx.proxy.stickTable;
  if (first) return ctx.error(tableNameConflict(ctx.proxy.name, ctx.kind, ctx.proxy.name, first.loc));
  const table = parseStickTableArgs(ctx.args, (m, i) => ctx.error(m, i), ctx.directive.loc, (m, i) => ctx.warn(m, i, 'LS_WARN_CFG_SUSPICIOUS'));
  if (table) ctx.proxy.stickTable = table;
}

/** HAProxy's message for a `stick-table` whose name (its proxy's) another proxy's table already has. */
export function tableNameConflict(name: string, otherKind: string, otherName: string, otherLoc: SourceLocation): string {
  return `stick-table name '${name}' conflicts with table declared in ${otherKind} '${otherName}' at ${otherLoc.file}:${otherLoc.line}.`;
}

/**
 * The words of a table definition (`type … size … [expire …] [store …]`), of a proxy's `stick-table` line
 * or a peers section's `table <name>` line; undefined after an error (reported with `error`).
 */
export function parseStickTableArgs(a: readonly string[], error: (message: string, argIndex?: number, code?: DiagnosticCode) => void, loc: SourceLocation, warn?: (message: string, argIndex?: number) => void): StickTable | undefined {
  const ctx = { error: (message: string, argIndex?: number, code?: DiagnosticCode): undefined => void error(message, argIndex, code), warn: (message: string, argIndex?: number, _code?: DiagnosticCode): void => warn?.(message, argIndex) };
  let type: StickTable['type'] | undefined;
  let len: number | undefined;
  let size: number | undefined;
  let expire: number | undefined;
  let nopurge = false;
  let peers: string | undefined;
  let srvkey: StickTable['srvkey'];
  const store: StickTable['store'] = [];
  for (let i = 0; i < a.length; i++) {
    const w = a[i]!;
    const v = a[i + 1];
    if (w === 'type') {
      if (!['ip', 'ipv6', 'integer', 'string', 'binary'].includes(v ?? '')) return ctx.error(`stick-table: unknown type '${v ?? ''}'.`, i + 1);
      type = v as StickTable['type'];
      i++;
      if (a[i + 1] === 'len') {
        const n = parseInteger(a[i + 2] ?? '', 'stick-table len', 1);
        if (n.error !== undefined) return ctx.error(`stick-table: ${n.error}`, i + 2);
        len = n.value;
        i += 2;
      }
    } else if (w === 'size') {
      const s = parseSize(v ?? '', 'stick-table size', 1024);
      if (s.error !== undefined) return ctx.error(`stick-table: ${s.error}`, i + 1);
      size = s.value;
      i++;
    } else if (w === 'expire') {
      const t = parseTime(v ?? '', 'stick-table expire');
      if (t.error !== undefined) return ctx.error(`stick-table: ${t.error}`, i + 1);
      if (t.warning) ctx.warn(t.warning, i + 1, 'LS_WARN_CFG_SUSPICIOUS');
      expire = t.value;
      i++;
    } else if (w === 'nopurge') nopurge = true;
    else if (w === 'peers') {
      if (v === undefined) return ctx.error(`stick-table: 'peers' expects a section name.`, i);
      peers = v;
      i++;
    } else if (w === 'store') {
      // stick_table.c reads the list up to the word's end: none at all stores nothing.
      if (!v) { i++; continue; }
      // gpc_rate(<n>,<period>) holds a comma of its own.
      for (const item of v.split(/,(?![^(]*\))/)) {
        const m = /^([a-z0-9_]+)(?:\((.*)\))?$/.exec(item);
        const name = m?.[1];
        if (!m || !name || !STORE_TYPES.has(name)) return ctx.error(`stick-table: unknown data type '${item}'.`, i + 1);
        let argument: string | undefined = m[2];
        let count: number | undefined;
        if (ARRAY_TYPES.has(name)) {
          // gpc(<n>), gpt(<n>), gpc_rate(<n>,<period>): an array of 1 to 100 elements (stktable_parse_store).
          if (argument === undefined || argument === '') return ctx.error(`stick-table: missing argument to store option '${name}'.`, i + 1);
          const comma = argument.indexOf(',');
          if (name === 'gpc_rate' && comma < 0) return ctx.error(`stick-table: missing argument to store option '${name}'.`, i + 1);
          count = Number(comma < 0 ? argument : argument.slice(0, comma));
          if (!Number.isInteger(count) || count < 1 || count > 100) return ctx.error(`stick-table: array size is out of allowed range (1-100) for store option '${name}'.`, i + 1);
          argument = comma < 0 ? undefined : argument.slice(comma + 1);
        }
        if (RATE_TYPES.has(name)) {
          if (argument === undefined) return ctx.error(`stick-table: data type '${name}' expects a period, e.g. '${name}(10s)'.`, i + 1);
          const t = parseTime(argument, name);
          if (t.error !== undefined) return ctx.error(`stick-table: ${t.error}`, i + 1);
          if (t.warning) ctx.warn(t.warning, i + 1, 'LS_WARN_CFG_SUSPICIOUS');
          store.push({ name, period: t.value, ...(count !== undefined ? { count } : {}) });
        } else store.push({ name, ...(count !== undefined ? { count } : {}) });
      }
      const has = (n: string): boolean => store.some((d) => d.name === n);
      for (const [array, olds] of [['gpc', 'gpc[0/1]'], ['gpc_rate', 'gpc[0/1]_rate'], ['gpt', 'gpt0']] as const) {
        const legacy = array === 'gpt' ? has('gpt0') : array === 'gpc' ? has('gpc0') || has('gpc1') : has('gpc0_rate') || has('gpc1_rate');
        if (has(array) && legacy) return ctx.error(`stick-table: simultaneous usage of '${array}' and '${olds}' in a same table is not permitted as '${array}' overrides '${olds}'.`, i + 1);
      }
      i++;
    } else if (w === 'srvkey') {
      if (v !== 'name' && v !== 'addr') return ctx.error(`stick-table : unknown server key type '${v ?? ''}'.`, i + 1);
      srvkey = v;
      i++;
    } else if (w === 'write-to' || w === 'recv-only') {
      return ctx.error(`stick-table: '${w}' is not supported by Loadstar yet.`, i, 'LS_ERR_CFG_UNSUPPORTED');
    } else {
      return ctx.error(`stick-table: unknown argument '${w}'.`, i);
    }
  }
  if (type === undefined) return ctx.error(`stick-table: missing type.`);
  // A size of 0 is none at all to HAProxy.
  if (!size) return ctx.error(`stick-table: missing size.`);
  return { type, len, size, expire, nopurge, peers, store, ...(srvkey ? { srvkey } : {}), loc };
}

function parseStick(kind: 'on' | 'match' | 'store-request' | 'store-response') {
  return (ctx: ProxyDirectiveContext): void => {
    const expression = ctx.args[0];
    if (expression === undefined || expression === 'if' || expression === 'unless') {
      return ctx.error(`'stick ${kind}' expects a fetch method.`);
    }
    const sample = parseSampleExpression(expression);
    if ('error' in sample) return ctx.error(`'stick ${kind}' : ${sample.error}`, 0);
    const maps = mapFilesProblem(ctx, sample.expr);
    if (maps) return ctx.error(`'stick': ${maps}`, 0, 'LS_ERR_CFG_FILE');
    // A key is read while the server is chosen, or when the response comes for store-response (cfgparse-listen.c, its messages).
    const checkpoint = kind === 'store-response' ? 'backend-stick-store' : 'backend-use-server';
    const fetch = sample.expr.fetch;
    if (!fetchUsableAt(fetch, checkpoint)) {
      return ctx.error(`'stick': fetch method '${fetch.name}' extracts information from '${sourceNames(fetch.sources)}', none of which is available ${kind === 'store-response' ? `for 'store-response'` : 'during request'}.`, 0);
    }
    let table: string | undefined;
    let next = 1;
    if (ctx.args[1] === 'table') {
      table = ctx.args[2];
      if (table === undefined) return ctx.error(`'stick ${kind}' : missing table name after 'table'.`, 1);
      next = 3;
    }
    const split = splitCondition(ctx, next, `'stick ${kind}'`, { head: "'stick': error detected while parsing sticking condition :", tail: '.' });
    if (!split.ok) return;
    if (split.head.length > next) return ctx.error(`'stick ${kind}' : unexpected argument '${split.head[next]}'.`, next);
    warnIfConditionConflicts(ctx, split.condition, [checkpoint]);
    ctx.proxy.stickRules.push({ kind, expression, table, condition: split.condition, loc: ctx.directive.loc });
  };
}

/** `persist rdp-cookie` or `persist rdp-cookie(<name>)` (cfgparse-listen.c's messages; a frontend takes it and ignores it). */
function parsePersist(ctx: ProxyDirectiveContext): void {
  const method = ctx.args[0];
  if (method === undefined || method === '') return ctx.error('missing persist method.');
  if (!method.startsWith('rdp-cookie')) return ctx.error('unknown persist method.', 0);
  let name = 'msts';
  if (method[10] === '(') {
    if (ctx.args.length > 1) return ctx.error(`'persist' cannot handle unexpected argument '${ctx.args[1]}'.`, 1);
    const end = method.indexOf(')', 11);
    if (end <= 11) return ctx.error(`persist rdp-cookie(name)' requires an rdp cookie name.`, 0);
    name = method.slice(11, end);
  } else if (method.length > 10) return ctx.error(`persist rdp-cookie(name)' requires an rdp cookie name.`, 0);
  ctx.proxy.rdpCookiePersist = { name, loc: ctx.directive.loc };
}

registerProxyKeywords([
  { name: 'persist', sections: 'dflb', status: SUPPORTED, summary: '`persist rdp-cookie[(<name>)]` (TCP mode, with `tcp-request inspect-delay` and a content rule waiting for the RDP cookie, as `balance rdp-cookie` needs): a connection whose RDP cookie (default `msts`, `msts=<IPv4 as a little-endian integer>.<port byte-swapped>.<reserved>`, as a Remote Desktop broker in token redirection mode writes it) names the address and port of a server that is not stopped (or `option persist`) goes to that server, before stick rules and the balancer; a use-server rule that chose a server wins.', parse: parsePersist },
  { name: 'cookie', sections: 'dlb', status: SUPPORTED, summary: 'Cookie-based persistence (HTTP mode): insert, rewrite, prefix; indirect, nocache, postonly, preserve, httponly, secure, domain, attr; `maxidle` / `maxlife` write dates into the cookie (`SRV|last|first`, HAProxy\'s encoding) and ignore one idle or old too long; `dynamic` gives servers without a `cookie` value one derived from `dynamic-cookie-key`.', parse: parseCookie },
  { name: 'dynamic-cookie-key', sections: 'dlb', status: SUPPORTED, summary: 'The secret `cookie … dynamic` derives server cookies from: XXH64 of the key, the server\'s IP address and port, as HAProxy computes it (so HAProxy and Loadstar sharing a key agree). A server given by host name gets the cookie of the address its name resolves to at load (as HAProxy), and a new one when `set server … addr` or runtime DNS changes it. Runtime API: `set dynamic-cookie-key backend`, `enable|disable dynamic-cookie backend`.', parse: parseDynamicCookieKey },
  { name: 'stick-table', sections: 'flb', status: SUPPORTED, summary: 'A table of keys (ip, string …) with stored counters, for rate limits (track-sc, sc_*/src_*/table_* fetches). `store server_id` too (what stick rules keep). `peers NAME`: a section with only the local peer; the table keeps its entries across a reload when type, len, size and store are unchanged. `gpt0`, and the `gpc(<n>)`, `gpt(<n>)`, `gpc_rate(<n>,<period>)` arrays (sc-inc-gpc(<idx>,<sc>), sc-set-gpt(<idx>,<sc>), sc_get_gpc…). Not run yet: the bytes data types.', parse: parseStickTable },
  { name: 'stick on', sections: 'lb', status: SUPPORTED, summary: 'Source-IP or any-key persistence: `stick match` and `stick store-request` in one rule. A client whose key is in the table goes to the server stored there (unless `use-server` or the persistence cookie chose one), if that server is not DOWN or in maintenance (or `option persist`); else the balancer picks and the new server is stored. HTTP and TCP modes.', parse: parseStick('on') },
  { name: 'stick match', sections: 'lb', status: SUPPORTED, summary: 'Sends a request whose key is in the table to the server stored for it (server_id / server_key), if that server is not stopped or `option persist` is on, and refreshes the entry. Every rule runs; the first server found wins.', parse: parseStick('match') },
  { name: 'stick store-request', sections: 'lb', status: SUPPORTED, summary: 'Stores the request key with the server that finally takes the request, once it answers (HTTP) or is connected (TCP). Only the first store-request rule yielding a key counts for each table; at most 8 keys per request.', parse: parseStick('store-request') },
  { name: 'stick store-response', sections: 'lb', status: SUPPORTED, summary: 'Stores a key read from the response (e.g. `res.cook(SID)`) with the server that answered, before the http-response rules run; at most one per table besides the request\'s.', parse: parseStick('store-response') },
]);
