/**
 * One `show stat` row per frontend, server and backend, in HAProxy's order
 * (proxies as configured; for each: FRONTEND, its servers, BACKEND), with
 * each column's value or undefined where HAProxy leaves the column empty
 * for that kind of row.
 */
import { effectiveMaxconn } from '../runtime/default-maxconn.ts';
import type { Proxy } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import type { FrontendInfo } from '../runtime/exchange.ts';
import { serverCheckColumns } from './check-columns.ts';
import type { StatCounters } from '../runtime/counters.ts';
import type { StatsTables } from './registry.ts';
import { h1Bytes } from './registry.ts';
import { FIELD_NAMES } from './fields.ts';

export type FieldValue = string | number | undefined;

export interface StatRow {
  /** 0 frontend, 1 backend, 2 server (HAProxy's `type` column). */
  type: 0 | 1 | 2;
  proxy: Proxy;
  iid: number;
  sid: number;
  counters: StatCounters;
  backend?: RuntimeBackend;
  server?: RuntimeServer;
  frontend?: FrontendInfo;
  /** Values by column name. */
  values: Record<string, FieldValue>;
}

/** Proxy ids as HAProxy numbers them: in configuration order, after the CLI's own proxy when a stats socket exists. */
export function proxyIds(tables: StatsTables): Map<string, number> {
  const ids = new Map<string, number>();
  let next = tables.config.global.statsSockets.length > 0 ? 2 : 1;
  for (const p of tables.config.proxies) if (p.kind !== 'defaults') ids.set(p.name, next++);
  return ids;
}

export function statRows(tables: StatsTables, now = Date.now()): StatRow[] {
  const ids = proxyIds(tables);
  const rows: StatRow[] = [];
  // A frontend without maxconn has the global one, configured or derived (HAProxy's proxy_adjust_all_maxconn).
  const maxconn = effectiveMaxconn(tables.config);
  for (const proxy of tables.config.proxies) {
    if (proxy.kind === 'defaults' || proxy.disabled) continue;
    const iid = ids.get(proxy.name)!;
    const http = proxy.mode === 'http';
    const frontend = tables.frontends.get(proxy.name);
    if (frontend && (proxy.kind === 'frontend' || proxy.kind === 'listen')) {
      rows.push({ type: 0, proxy, iid, sid: 0, counters: frontend.stats, frontend, values: frontendValues(proxy, frontend, iid, http, tables.overrides?.frontendMaxconn.get(proxy.name) ?? proxy.maxconn ?? maxconn, tables.overrides?.stopped.has(proxy.name) ? 'STOP' : tables.overrides?.paused.has(proxy.name) ? 'PAUSED' : 'OPEN') });
    }
    const backend = tables.backends.get(proxy.name);
    if (!backend) continue;
    for (const server of backend.servers) {
      rows.push({ type: 2, proxy, iid, sid: server.id, counters: server.stats, backend, server, values: serverValues(proxy, backend, server, iid, http, now) });
    }
    rows.push({ type: 1, proxy, iid, sid: 0, counters: backend.stats, backend, values: backendValues(proxy, backend, iid, http, now) });
  }
  return rows;
}

/** The row as CSV cells in column order (empty string for an empty column). */
export function rowCells(row: StatRow): string[] {
  return FIELD_NAMES.map((name) => cell(row.values[name]));
}

function cell(v: FieldValue): string {
  if (v === undefined) return '';
  const s = String(v);
  // HAProxy writes fields raw; a comma or newline inside a value would break the columns, so quote those.
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function httpCounts(c: StatCounters): Record<string, FieldValue> {
  return {
    hrsp_1xx: c.hrsp1xx, hrsp_2xx: c.hrsp2xx, hrsp_3xx: c.hrsp3xx, hrsp_4xx: c.hrsp4xx, hrsp_5xx: c.hrsp5xx, hrsp_other: c.hrspOther,
  };
}

/** Columns HAProxy prints as 0 for frontends and backends: compression, errors we never have, module counters. */
function zeroes(names: string[]): Record<string, FieldValue> {
  return Object.fromEntries(names.map((n) => [n, 0]));
}

const SSL = ['ssl_sess', 'ssl_reused_sess', 'ssl_failed_handshake'];
const H2 = ['h2_headers_rcvd', 'h2_data_rcvd', 'h2_settings_rcvd', 'h2_rst_stream_rcvd', 'h2_goaway_rcvd', 'h2_detected_conn_protocol_errors',
  'h2_detected_strm_protocol_errors', 'h2_rst_stream_resp', 'h2_goaway_resp', 'h2_open_connections', 'h2_backend_open_streams',
  'h2_total_connections', 'h2_backend_total_streams'];
/** The compression columns of an HTTP frontend or backend; 0 in TCP mode. */
function compression(c: StatCounters, http: boolean): Record<string, FieldValue> {
  return http ? { comp_in: c.compIn, comp_out: c.compOut, comp_byp: c.compByp, comp_rsp: c.compRsp } : { comp_in: 0, comp_out: 0, comp_byp: 0, comp_rsp: 0 };
}

/** The H1 multiplexer's columns; `bytes`: what its connections received and sent (registry.ts h1Bytes). */
function h1(c: StatCounters, http: boolean, open: number, bytes?: { in: number; out: number }): Record<string, FieldValue> {
  return {
    h1_open_connections: http ? open : 0, h1_open_streams: 0, h1_total_connections: http ? c.connTot : 0, h1_total_streams: http ? c.reqTot : 0,
    h1_bytes_in: http ? bytes?.in ?? 0 : 0, h1_bytes_out: http ? bytes?.out ?? 0 : 0, h1_spliced_bytes_in: 0, h1_spliced_bytes_out: 0,
  };
}

function frontendValues(proxy: Proxy, frontend: FrontendInfo, iid: number, http: boolean, maxconn: number | undefined, status: 'OPEN' | 'PAUSED' | 'STOP'): Record<string, FieldValue> {
  const c = frontend.stats;
  return {
    pxname: proxy.name, svname: 'FRONTEND', scur: c.scur, smax: c.smax, slim: maxconn ?? '', stot: c.stot, bin: c.bin, bout: c.bout,
    dreq: c.dreq, dresp: c.dresp, ereq: c.ereq, status, pid: 1, iid, sid: 0, type: 0, rate: c.rate, rate_lim: proxy.rateLimitSessions ?? 0, rate_max: c.rateMax,
    ...(http ? httpCounts(c) : {}),
    req_rate: c.reqRate, req_rate_max: c.reqRateMax, req_tot: c.reqTot, ...compression(c, http),
    mode: http ? 'http' : 'tcp', conn_rate: c.connRate, conn_rate_max: c.connRateMax, conn_tot: c.connTot,
    ...(http ? { intercepted: c.intercepted, cache_lookups: c.cacheLookups, cache_hits: c.cacheHits } : {}),
    dcon: 0, dses: 0, wrew: c.wrew, eint: c.eint, '-': '-',
    ssl_sess: c.sslSess, ssl_reused_sess: c.sslReusedSess, ssl_failed_handshake: c.sslFailedHandshake, ...zeroes(H2), ...h1(c, http, c.scur, http ? h1Bytes(frontend) : undefined),
  };
}

function lastSess(c: StatCounters, now: number): number {
  return c.lastSess === 0 ? -1 : Math.floor((now - c.lastSess) / 1000);
}

function times(c: StatCounters): Record<string, FieldValue> {
  return {
    qtime: c.average(c.qtimeSum), ctime: c.average(c.ctimeSum), rtime: c.average(c.rtimeSum), ttime: c.average(c.ttimeSum),
    qtime_max: c.qtimeMax, ctime_max: c.ctimeMax, rtime_max: c.rtimeMax, ttime_max: c.ttimeMax,
  };
}

/** Sum of the weights of the servers taking traffic: active ones, or the backups when no active one is up. */
export function backendWeights(backend: RuntimeBackend): { act: number; bck: number; weight: number; uweight: number } {
  let act = 0;
  let bck = 0;
  let actWeight = 0;
  let bckWeight = 0;
  for (const s of backend.servers) {
    if (!s.usable || s.weight <= 0) continue;
    if (s.backup) {
      bck++;
      bckWeight += s.weight;
    } else {
      act++;
      actWeight += s.weight;
    }
  }
  const weight = act > 0 ? actWeight : bckWeight;
  return { act, bck, weight, uweight: weight };
}

function backendValues(proxy: Proxy, backend: RuntimeBackend, iid: number, http: boolean, now: number): Record<string, FieldValue> {
  const c = backend.stats;
  // HAProxy (stats_fill_be_stats): a backend without servers (a stats listen's) is UP and has no downtime.
  const serverless = backend.servers.length === 0;
  // With `dispatch` there is no algorithm, so no weight to balance over (HAProxy's lbprm.tot_weight stays 0): DOWN if it has servers.
  const up = serverless || (backend.dispatch === undefined && backend.hasUsableServer);
  const w = backendWeights(backend);
  return {
    pxname: proxy.name, svname: 'BACKEND', qcur: backend.queue.length, qmax: c.qmax, scur: c.scur, smax: c.smax, slim: backend.fullconn ?? '',
    stot: c.stot, bin: c.bin, bout: c.bout, dreq: c.dreq, dresp: c.dresp, econ: c.econ, eresp: c.eresp, wretr: c.wretr, wredis: c.wredis,
    status: up ? 'UP' : 'DOWN', weight: backend.dispatch ? 0 : w.weight, act: w.act, bck: w.bck, chkdown: c.chkdown,
    lastchg: Math.floor((now - c.lastChange) / 1000), downtime: serverless ? '' : c.downtimeSeconds(now), pid: 1, iid, sid: 0, lbtot: c.lbtot, type: 1,
    rate: c.rate, rate_max: c.rateMax, ...(http ? { ...httpCounts(c), req_tot: c.reqTot } : {}),
    cli_abrt: c.cliAbrt, srv_abrt: c.srvAbrt, ...compression(c, http), lastsess: lastSess(c, now), ...times(c),
    cookie: backend.config.cookie?.name, mode: http ? 'http' : 'tcp', algo: backend.dispatch ? 'none' : backend.balance.algorithm,
    wrew: c.wrew, connect: c.connect, reuse: c.reuse, ...(http ? { cache_lookups: c.cacheLookups, cache_hits: c.cacheHits } : {}), eint: 0,
    uweight: backend.dispatch ? 0 : w.uweight, agg_server_status: 0, agg_server_check_status: 0, agg_check_status: 0,
    '-': '-', ...zeroes(SSL), ...zeroes(H2), ...h1(c, false, 0),
  };
}

/**
 * The idle / used connection columns from the server's HTTP pool (HAProxy's idle lists); a TCP server
 * has none idle. HAProxy's estimate of the connections needed counts its checks' connections too
 * (srv_use_conn); for a TCP server haproxy 2.6.12 was seen to show 1 once it had a connection,
 * however many at once (3 concurrent sessions: still 1).
 */
function connectionGauges(server: RuntimeServer): Record<string, FieldValue> {
  const pool = server.connections;
  const idle = pool ? pool.idleCount : 0;
  const safe = pool ? pool.safeCount : 0;
  const checked = server.stats.checkRuns > 0 ? 1 : 0;
  return {
    // src_ilim: pool-max-conn when limited, which a dynamic server always is (0: it keeps none).
    srv_icur: idle + safe, ...(server.config.dynamic ? { src_ilim: 0 } : {}), eint: 0, idle_conn_cur: idle, safe_conn_cur: safe, used_conn_cur: pool ? pool.used : server.served,
    need_conn_est: Math.max(pool ? pool.neededEstimate : Math.min(server.stats.smax, 1), checked),
  };
}

function serverValues(proxy: Proxy, backend: RuntimeBackend, server: RuntimeServer, iid: number, http: boolean, now: number): Record<string, FieldValue> {
  const c = server.stats;
  const check = server.check;
  // HAProxy's CHK_ST_ENABLED: a regular check configured and not turned off (`disable health`, a server-state file).
  const checking = check !== undefined && check.settings.active && check.healthEnabled;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return {
    pxname: proxy.name, svname: server.name, qcur: server.queued, qmax: c.qmax, scur: server.served, smax: c.smax, slim: server.maxconn ? server.maxconn >>> 0 : undefined,
    stot: c.stot, bin: c.bin, bout: c.bout, dresp: c.dresp, econ: c.econ, eresp: c.eresp, wretr: c.wretr, wredis: c.wredis,
    // A `dispatch` backend balances nothing: its servers' effective weight is 0 (HAProxy's cur_eweight, never set up).
    status: server.status, weight: backend.dispatch ? 0 : server.statWeight ?? server.weight, act: server.backup ? 0 : 1, bck: server.backup ? 1 : 0,
    ...(checking ? { chkfail: c.chkfail, chkdown: c.chkdown, downtime: c.downtimeSeconds(now) } : {}),
    lastchg: Math.floor((now - c.lastChange) / 1000), qlimit: server.maxqueue || undefined, pid: 1, iid, sid: server.id,
    tracked: server.track ? `${server.track.backend}/${server.track.server.name}` : undefined,
    throttle: server.warmup !== undefined ? Math.floor((server.warmup * 100) / 16) : undefined,
    lbtot: c.lbtot, type: 2, rate: c.rate, rate_max: c.rateMax,
    ...(check ? serverCheckColumns(check, checking) : {}),
    ...(http ? { ...httpCounts(c), req_tot: c.reqTot } : {}),
    cli_abrt: c.cliAbrt, srv_abrt: c.srvAbrt, lastsess: lastSess(c, now), ...times(c),
    addr: server.path !== undefined ? 'unix' : server.addressless ? undefined : `${host}:${server.port}`, cookie: server.cookie, mode: http ? 'http' : 'tcp', wrew: c.wrew, connect: c.connect, reuse: c.reuse,
    ...connectionGauges(server),
    uweight: server.weight, '-': '-', ...zeroes(SSL),
  };
}

