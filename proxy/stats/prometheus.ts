/**
 * The Prometheus exporter (`http-request use-service prometheus-exporter`):
 * text exposition format 0.0.4 with the metrics, help texts, types and labels
 * of HAProxy 2.6's exporter (addons/promex). As there, every metric of a scope
 * is written for every object, from its `show stat` field (NaN where the field
 * is empty), except the few promex computes itself (states, times as seconds,
 * checks, the backends' aggregates); each metric is written once (HELP, TYPE)
 * followed by its series for every object.
 */
import type { StatRow } from './rows.ts';
import { statRows } from './rows.ts';
import type { StatsHost } from './host.ts';
import { INFO_FIELDS, infoValues } from './info.ts';
import { CHECK_STATUS_NUMBER, hasStatusCode } from '../checks/types.ts';
import { healthCodeCleared } from './check-columns.ts';
import type { CheckCode } from '../checks/types.ts';
import type { RuntimeServer } from '../runtime/server.ts';

/**
 * HAProxy's exporter's process metrics: the `show info` field each comes from, its name after
 * `haproxy_process_` and its type (the fields it leaves out have none: names, pid, node, …).
 */
const PROCESS_METRICS: ReadonlyMap<string, readonly [string, 'gauge' | 'counter']> = new Map([
  ['Nbthread', ['nbthread', 'gauge']], ['Nbproc', ['nbproc', 'gauge']], ['Process_num', ['relative_process_id', 'gauge']],
  ['Uptime_sec', ['uptime_seconds', 'gauge']], ['Start_time_sec', ['start_time_seconds', 'gauge']],
  ['Memmax_bytes', ['max_memory_bytes', 'gauge']], ['PoolAlloc_bytes', ['pool_allocated_bytes', 'gauge']],
  ['PoolUsed_bytes', ['pool_used_bytes', 'gauge']], ['PoolFailed', ['pool_failures_total', 'counter']],
  ['Ulimit-n', ['max_fds', 'gauge']], ['Maxsock', ['max_sockets', 'gauge']], ['Maxconn', ['max_connections', 'gauge']],
  ['Hard_maxconn', ['hard_max_connections', 'gauge']], ['CurrConns', ['current_connections', 'gauge']],
  ['CumConns', ['connections_total', 'counter']], ['CumReq', ['requests_total', 'counter']],
  ['MaxSslConns', ['max_ssl_connections', 'gauge']], ['CurrSslConns', ['current_ssl_connections', 'gauge']],
  ['CumSslConns', ['ssl_connections_total', 'counter']], ['Maxpipes', ['max_pipes', 'gauge']],
  ['PipesUsed', ['pipes_used_total', 'counter']], ['PipesFree', ['pipes_free_total', 'counter']],
  ['ConnRate', ['current_connection_rate', 'gauge']], ['ConnRateLimit', ['limit_connection_rate', 'gauge']],
  ['MaxConnRate', ['max_connection_rate', 'gauge']], ['SessRate', ['current_session_rate', 'gauge']],
  ['SessRateLimit', ['limit_session_rate', 'gauge']], ['MaxSessRate', ['max_session_rate', 'gauge']],
  ['SslRate', ['current_ssl_rate', 'gauge']], ['SslRateLimit', ['limit_ssl_rate', 'gauge']], ['MaxSslRate', ['max_ssl_rate', 'gauge']],
  ['SslFrontendKeyRate', ['current_frontend_ssl_key_rate', 'gauge']], ['SslFrontendMaxKeyRate', ['max_frontend_ssl_key_rate', 'gauge']],
  ['SslFrontendSessionReuse_pct', ['frontend_ssl_reuse', 'gauge']], ['SslBackendKeyRate', ['current_backend_ssl_key_rate', 'gauge']],
  ['SslBackendMaxKeyRate', ['max_backend_ssl_key_rate', 'gauge']], ['SslCacheLookups', ['ssl_cache_lookups_total', 'counter']],
  ['SslCacheMisses', ['ssl_cache_misses_total', 'counter']], ['CompressBpsIn', ['http_comp_bytes_in_total', 'counter']],
  ['CompressBpsOut', ['http_comp_bytes_out_total', 'counter']], ['CompressBpsRateLim', ['limit_http_comp', 'gauge']],
  ['Tasks', ['current_tasks', 'gauge']], ['Run_queue', ['current_run_queue', 'gauge']], ['Idle_pct', ['idle_time_percent', 'gauge']],
  ['Stopping', ['stopping', 'gauge']], ['Jobs', ['jobs', 'gauge']], ['Unstoppable Jobs', ['unstoppable_jobs', 'gauge']],
  ['Listeners', ['listeners', 'gauge']], ['ActivePeers', ['active_peers', 'gauge']], ['ConnectedPeers', ['connected_peers', 'gauge']],
  ['DroppedLogs', ['dropped_logs_total', 'counter']], ['BusyPolling', ['busy_polling_enabled', 'gauge']],
  ['FailedResolutions', ['failed_resolutions', 'counter']], ['TotalBytesOut', ['bytes_out_total', 'counter']],
  ['TotalSplicdedBytesOut', ['spliced_bytes_out_total', 'counter']], ['BytesOutRate', ['bytes_out_rate', 'gauge']],
  ['CumRecvLogs', ['recv_logs_total', 'counter']], ['Build info', ['build_info', 'gauge']],
]);

/** Each metric after haproxy_<scope>_: the `show stat` field it reports, its type and HAProxy 2.6's help text. */
const METRICS: Readonly<Record<string, readonly [field: string, type: 'gauge' | 'counter', help: string]>> = {
  current_sessions: ['scur', 'gauge', 'Number of current sessions on the frontend, backend or server'],
  max_sessions: ['smax', 'gauge', 'Highest value of current sessions encountered since process started'],
  limit_sessions: ['slim', 'gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  sessions_total: ['stot', 'counter', 'Total number of sessions since process started'],
  bytes_in_total: ['bin', 'counter', 'Total number of request bytes since process started'],
  bytes_out_total: ['bout', 'counter', 'Total number of response bytes since process started'],
  requests_denied_total: ['dreq', 'counter', 'Total number of denied requests since process started'],
  responses_denied_total: ['dresp', 'counter', 'Total number of denied responses since process started'],
  request_errors_total: ['ereq', 'counter', 'Total number of invalid requests since process started'],
  status: ['status', 'gauge', 'Current status of the service, per state label value.'],
  limit_session_rate: ['rate_lim', 'gauge', "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"],
  max_session_rate: ['rate_max', 'gauge', 'Highest value of sessions per second observed since the worker process started'],
  http_responses_total: ['hrsp', 'counter', 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started'],
  http_requests_rate_max: ['req_rate_max', 'gauge', 'Highest value of http requests observed since the worker process started'],
  http_requests_total: ['req_tot', 'counter', 'Total number of HTTP requests processed by this object since the worker process started'],
  http_comp_bytes_in_total: ['comp_in', 'counter', 'Total number of bytes submitted to the HTTP compressor for this object since the worker process started'],
  http_comp_bytes_out_total: ['comp_out', 'counter', 'Total number of bytes emitted by the HTTP compressor for this object since the worker process started'],
  http_comp_bytes_bypassed_total: ['comp_byp', 'counter', 'Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)'],
  http_comp_responses_total: ['comp_rsp', 'counter', 'Total number of HTTP responses that were compressed for this object since the worker process started'],
  connections_rate_max: ['conn_rate_max', 'gauge', 'Highest value of connections per second observed since the worker process started'],
  connections_total: ['conn_tot', 'counter', 'Total number of new connections accepted on this frontend since the worker process started'],
  intercepted_requests_total: ['intercepted', 'counter', 'Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started'],
  denied_connections_total: ['dcon', 'counter', 'Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started'],
  denied_sessions_total: ['dses', 'counter', 'Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started'],
  failed_header_rewriting_total: ['wrew', 'counter', 'Total number of failed HTTP header rewrites since the worker process started'],
  http_cache_lookups_total: ['cache_lookups', 'counter', 'Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started'],
  // HAProxy 2.6's help text for the hits says "not found" (sic).
  http_cache_hits_total: ['cache_hits', 'counter', 'Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started'],
  internal_errors_total: ['eint', 'counter', 'Total number of internal errors since process started'],
  current_queue: ['qcur', 'gauge', 'Number of current queued connections'],
  max_queue: ['qmax', 'gauge', 'Highest value of queued connections encountered since process started'],
  connection_errors_total: ['econ', 'counter', 'Total number of failed connections to server since the worker process started'],
  response_errors_total: ['eresp', 'counter', 'Total number of invalid responses since the worker process started'],
  retry_warnings_total: ['wretr', 'counter', 'Total number of server connection retries since the worker process started'],
  redispatch_warnings_total: ['wredis', 'counter', 'Total number of server redispatches due to connection failures since the worker process started'],
  weight: ['weight', 'gauge', "Server's effective weight, or sum of active servers' effective weights for a backend"],
  active_servers: ['act', 'gauge', 'Total number of active UP servers with a non-zero weight'],
  backup_servers: ['bck', 'gauge', 'Total number of backup UP servers with a non-zero weight'],
  check_up_down_total: ['chkdown', 'counter', 'Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started'],
  check_last_change_seconds: ['lastchg', 'gauge', 'How long ago the last server state changed, in seconds'],
  downtime_seconds_total: ['downtime', 'counter', 'Total time spent in DOWN state, for server or backend'],
  loadbalanced_total: ['lbtot', 'counter', 'Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)'],
  client_aborts_total: ['cli_abrt', 'counter', 'Total number of requests or connections aborted by the client since the worker process started'],
  server_aborts_total: ['srv_abrt', 'counter', 'Total number of requests or connections aborted by the server since the worker process started'],
  last_session_seconds: ['lastsess', 'gauge', 'How long ago some traffic was seen on this object on this worker process, in seconds'],
  queue_time_average_seconds: ['qtime', 'gauge', 'Avg. queue time for last 1024 successful connections.'],
  connect_time_average_seconds: ['ctime', 'gauge', 'Avg. connect time for last 1024 successful connections.'],
  response_time_average_seconds: ['rtime', 'gauge', 'Avg. response time for last 1024 successful connections.'],
  total_time_average_seconds: ['ttime', 'gauge', 'Avg. total time for last 1024 successful connections.'],
  connection_attempts_total: ['connect', 'counter', 'Total number of outgoing connection attempts on this backend/server since the worker process started'],
  connection_reuses_total: ['reuse', 'counter', 'Total number of reused connection on this backend/server since the worker process started'],
  max_queue_time_seconds: ['qtime_max', 'gauge', 'Maximum observed time spent in the queue'],
  max_connect_time_seconds: ['ctime_max', 'gauge', 'Maximum observed time spent waiting for a connection to complete'],
  max_response_time_seconds: ['rtime_max', 'gauge', 'Maximum observed time spent waiting for a server response'],
  max_total_time_seconds: ['ttime_max', 'gauge', 'Maximum observed total request+response time (request+queue+connect+response+processing)'],
  uweight: ['uweight', 'gauge', "Server's user weight, or sum of active servers' user weights for a backend"],
  agg_server_status: ['agg_server_status', 'gauge', "Backend's aggregated gauge of servers' status"],
  agg_server_check_status: ['agg_server_check_status', 'gauge', "Backend's aggregated gauge of servers' state check status"],
  agg_check_status: ['agg_check_status', 'gauge', "Backend's aggregated gauge of servers' state check status"],
  check_failures_total: ['chkfail', 'counter', 'Total number of failed individual health checks per server/backend, since the worker process started'],
  queue_limit: ['qlimit', 'gauge', 'Limit on the number of connections in queue, for servers only (maxqueue argument)'],
  current_throttle: ['throttle', 'gauge', "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"],
  check_status: ['check_status', 'gauge', 'Status of last health check, per state label value.'],
  check_code: ['check_code', 'gauge', 'layer5-7 code, if available of the last health check.'],
  check_duration_seconds: ['check_duration', 'gauge', 'Total duration of the latest server health check, in seconds.'],
  idle_connections_current: ['srv_icur', 'gauge', 'Current number of idle connections available for reuse on this server'],
  idle_connections_limit: ['src_ilim', 'gauge', "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"],
  unsafe_idle_connections_current: ['idle_conn_cur', 'gauge', 'Current number of unsafe idle connections'],
  safe_idle_connections_current: ['safe_conn_cur', 'gauge', 'Current number of safe idle connections'],
  used_connections_current: ['used_conn_cur', 'gauge', 'Current number of connections in use'],
  need_connections_current: ['need_conn_est', 'gauge', 'Estimated needed number of connections'],
};

const FRONTEND: readonly string[] = [
  'current_sessions', 'max_sessions', 'limit_sessions', 'sessions_total', 'bytes_in_total', 'bytes_out_total',
  'requests_denied_total', 'responses_denied_total', 'request_errors_total', 'status', 'limit_session_rate',
  'max_session_rate', 'http_responses_total', 'http_requests_rate_max', 'http_requests_total',
  'http_comp_bytes_in_total', 'http_comp_bytes_out_total', 'http_comp_bytes_bypassed_total',
  'http_comp_responses_total', 'connections_rate_max', 'connections_total', 'intercepted_requests_total',
  'denied_connections_total', 'denied_sessions_total', 'failed_header_rewriting_total', 'http_cache_lookups_total',
  'http_cache_hits_total', 'internal_errors_total',
];

const BACKEND: readonly string[] = [
  'current_queue', 'max_queue', 'current_sessions', 'max_sessions', 'limit_sessions', 'sessions_total',
  'bytes_in_total', 'bytes_out_total', 'requests_denied_total', 'responses_denied_total', 'connection_errors_total',
  'response_errors_total', 'retry_warnings_total', 'redispatch_warnings_total', 'status', 'weight', 'active_servers',
  'backup_servers', 'check_up_down_total', 'check_last_change_seconds', 'downtime_seconds_total', 'loadbalanced_total',
  'max_session_rate', 'http_responses_total', 'http_requests_total', 'client_aborts_total', 'server_aborts_total',
  'http_comp_bytes_in_total', 'http_comp_bytes_out_total', 'http_comp_bytes_bypassed_total',
  'http_comp_responses_total', 'last_session_seconds', 'queue_time_average_seconds', 'connect_time_average_seconds',
  'response_time_average_seconds', 'total_time_average_seconds', 'failed_header_rewriting_total',
  'connection_attempts_total', 'connection_reuses_total', 'http_cache_lookups_total', 'http_cache_hits_total',
  'max_queue_time_seconds', 'max_connect_time_seconds', 'max_response_time_seconds', 'max_total_time_seconds',
  'internal_errors_total', 'uweight', 'agg_server_status', 'agg_server_check_status', 'agg_check_status',
];

const SERVER: readonly string[] = [
  'current_queue', 'max_queue', 'current_sessions', 'max_sessions', 'limit_sessions', 'sessions_total',
  'bytes_in_total', 'bytes_out_total', 'responses_denied_total', 'connection_errors_total', 'response_errors_total',
  'retry_warnings_total', 'redispatch_warnings_total', 'status', 'weight', 'check_failures_total',
  'check_up_down_total', 'check_last_change_seconds', 'downtime_seconds_total', 'queue_limit', 'current_throttle',
  'loadbalanced_total', 'max_session_rate', 'check_status', 'check_code', 'check_duration_seconds',
  'http_responses_total', 'client_aborts_total', 'server_aborts_total', 'last_session_seconds',
  'queue_time_average_seconds', 'connect_time_average_seconds', 'response_time_average_seconds',
  'total_time_average_seconds', 'failed_header_rewriting_total', 'connection_attempts_total',
  'connection_reuses_total', 'idle_connections_current', 'idle_connections_limit', 'max_queue_time_seconds',
  'max_connect_time_seconds', 'max_response_time_seconds', 'max_total_time_seconds', 'internal_errors_total',
  'unsafe_idle_connections_current', 'safe_idle_connections_current', 'used_connections_current',
  'need_connections_current', 'uweight',
];

type Sample = [labels: string, value: number | string];
/** One object's value of one metric: a number, a formatted float, per-label samples, or nothing (left out). */
type Value = number | string | Sample[] | undefined;

const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
/** promex_srv_st, in HAProxy's order. */
const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
/** The check statuses HAProxy's exporter labels (those whose result is a verdict), in HCHK_STATUS order. */
const CHECK_STATES = (Object.keys(CHECK_STATUS_NUMBER) as CheckCode[]).sort((a, b) => CHECK_STATUS_NUMBER[a] - CHECK_STATUS_NUMBER[b]);
/** Metrics only HTTP proxies have (promex skips them for TCP ones). */
const HTTP_ONLY = new Set(['http_responses_total', 'http_requests_rate_max', 'http_requests_total', 'intercepted_requests_total', 'http_cache_lookups_total',
  'http_cache_hits_total', 'http_comp_bytes_in_total', 'http_comp_bytes_out_total', 'http_comp_bytes_bypassed_total', 'http_comp_responses_total']);

/** Milliseconds as seconds, written as HAProxy's exporter writes its FF_FLT values ("%f": 0.004000). */
const seconds = (v: number): string => (v / 1000).toFixed(6);

/** The server's regular check is enabled and not paused by maintenance (CHK_ST_ENABLED without CHK_ST_PAUSED). */
function checkShown(server: RuntimeServer): boolean {
  const check = server.check;
  return check !== undefined && check.settings.active && check.healthEnabled && !check.paused;
}

/** promex_srv_status: maintenance, drain, then the operational state. */
function serverState(server: RuntimeServer): (typeof SERVER_STATES)[number] {
  const admin = server.check ? server.check.state.admin : server.admin;
  if (admin === 'MAINT') return 'MAINT';
  if (admin === 'DRAIN') return 'DRAIN';
  if (server.check?.state.op === 'NOLB') return 'NOLB';
  return server.check?.state.op === 'DOWN' ? 'DOWN' : 'UP';
}

/** A `show stat` field as the exporter prints it: its number, NaN where the field is empty. */
function fieldValue(row: StatRow, field: string): number {
  const v = row.values[field];
  return typeof v === 'number' ? v : v === undefined || v === '' ? NaN : Number(v);
}

/** The metrics whose value is not their field's, per HAProxy's promex_dump_*_metrics. */
function special(suffix: string, row: StatRow): Value | null {
  const c = row.counters;
  switch (suffix) {
    case 'http_responses_total': {
      const v = [c.hrsp1xx, c.hrsp2xx, c.hrsp3xx, c.hrsp4xx, c.hrsp5xx, c.hrspOther];
      return CODES.map((code, i) => [`code="${code}"`, v[i]!]);
    }
    case 'queue_time_average_seconds': return seconds(c.average(c.qtimeSum));
    case 'connect_time_average_seconds': return seconds(c.average(c.ctimeSum));
    case 'response_time_average_seconds': return seconds(c.average(c.rtimeSum));
    case 'total_time_average_seconds': return seconds(c.average(c.ttimeSum));
    case 'max_queue_time_seconds': return seconds(c.qtimeMax);
    case 'max_connect_time_seconds': return seconds(c.ctimeMax);
    case 'max_response_time_seconds': return seconds(c.rtimeMax);
    case 'max_total_time_seconds': return seconds(c.ttimeMax);
    case 'status': {
      if (row.type === 0) {
        const up = row.values['status'] !== 'STOP';
        return [['state="DOWN"', up ? 0 : 1], ['state="UP"', up ? 1 : 0]];
      }
      if (row.type === 1) {
        // A backend with weight to balance over, or without servers (a stats listen's), is UP.
        const up = row.values['status'] === 'UP';
        return [['state="DOWN"', up ? 0 : 1], ['state="UP"', up ? 1 : 0]];
      }
      const state = serverState(row.server!);
      return SERVER_STATES.map((s) => [`state="${s}"`, s === state ? 1 : 0]);
    }
    case 'agg_server_status':
    case 'agg_server_check_status': {
      const servers = row.backend!.servers;
      if (servers.length === 0) return undefined;
      const states = servers.map(serverState);
      return SERVER_STATES.map((s) => [`state="${s}"`, states.filter((x) => x === s).length]);
    }
    case 'agg_check_status': {
      const servers = row.backend!.servers;
      if (servers.length === 0) return undefined;
      // Servers whose check is enabled and not paused, by their last status (INI counts under no label).
      const codes = servers.filter(checkShown).map((s) => s.check!.results.last()?.code);
      return CHECK_STATES.map((code) => [`state="${code}"`, codes.filter((x) => x === code).length]);
    }
    case 'check_status': {
      if (!checkShown(row.server!)) return undefined;
      const last = row.server!.check!.results.last();
      return CHECK_STATES.map((code) => [`state="${code}"`, last?.code === code ? 1 : 0]);
    }
    case 'check_code': {
      if (!checkShown(row.server!)) return undefined;
      const check = row.server!.check!;
      const last = check.results.last();
      // 0 while a tcp-check is under way, as in show stat: the same check->code.
      return last && hasStatusCode(last.code) && !healthCodeCleared(check) ? last.status ?? 0 : 0;
    }
    case 'check_duration_seconds': {
      // Once the check has a result (HCHK_STATUS_CHECKED and above), whatever its state now.
      const last = row.server!.check?.settings.active ? row.server!.check.results.last() : undefined;
      return last ? seconds(last.durationMs) : undefined;
    }
    default: return null;
  }
}

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function format(v: number | string): string {
  if (typeof v === 'string') return v;
  return Number.isFinite(v) ? String(v) : 'NaN';
}

/** One scope's metrics, metric by metric, each object's series under one HELP and TYPE, as HAProxy groups them. */
function section(out: string[], scope: 'frontend' | 'backend' | 'server', suffixes: readonly string[], rows: StatRow[], labels: (r: StatRow) => string): void {
  for (const suffix of suffixes) {
    const [field, type, help] = METRICS[suffix]!;
    const name = `haproxy_${scope}_${suffix}`;
    const lines: string[] = [];
    // The response classes are six fields to HAProxy: each class's series for every object, then the next class.
    const passes = suffix === 'http_responses_total' ? CODES.length : 1;
    for (let pass = 0; pass < passes; pass++) {
      for (const row of rows) {
        if (HTTP_ONLY.has(suffix) && row.proxy.mode !== 'http') continue;
        const sp = special(suffix, row);
        const v = sp === null ? fieldValue(row, field) : sp;
        if (v === undefined) continue;
        const base = labels(row);
        if (typeof v === 'number' || typeof v === 'string') lines.push(`${name}{${base}} ${format(v)}`);
        else for (const [extra, value] of passes > 1 ? [v[pass]!] : v) lines.push(`${name}{${base},${extra}} ${format(value)}`);
      }
    }
    if (lines.length === 0) continue;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  }
}

/** The process metrics HAProxy prints from `show info` fields Loadstar's (and Debian's slz-built HAProxy's) lacks: NaN. */
const ZLIB_METRICS: ReadonlyArray<readonly [string, string]> = [
  ['current_zlib_memory', 'Amount of memory currently used by HTTP compression on the current worker process (in bytes)'],
  ['max_zlib_memory', 'Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)'],
];

/** The exporter's scopes (`?scope=`), in the order it writes them. */
export type ExporterScope = 'global' | 'frontend' | 'backend' | 'server' | 'listener' | 'sticktable';
const SCOPES: readonly ExporterScope[] = ['global', 'frontend', 'backend', 'server', 'listener', 'sticktable'];

export interface ExporterOptions {
  scopes: ReadonlySet<ExporterScope>;
  /** `no-maint`: servers in maintenance are left out. */
  noMaint: boolean;
}

/** Decodes one query-string word as HAProxy's url_decode(…, 1) does ('+' is a space); undefined on a bad escape. */
function urlDecode(word: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < word.length; i++) {
    const ch = word.charCodeAt(i);
    if (ch === 0x25) {
      const hex = word.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(ch === 0x2b ? 0x20 : ch);
  }
  return Buffer.from(bytes).toString('latin1');
}

/**
 * The exporter's query string as HAProxy's promex_parse_uri reads it: `scope=<scope>` (repeatable;
 * `*` all, empty none; any scope given replaces the default of all), `no-maint`; other parameters
 * are ignored. Undefined when it refuses the query (HAProxy answers 400).
 */
export function exporterOptions(query: string): ExporterOptions | undefined {
  let scopes = new Set<ExporterScope>();
  let scoped = false;
  let noMaint = false;
  const hash = query.indexOf('#');
  for (const param of (hash < 0 ? query : query.slice(0, hash)).split('&')) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const key = urlDecode(eq < 0 ? param : param.slice(0, eq));
    const rawValue = eq < 0 ? undefined : param.slice(eq + 1);
    if (key === undefined || rawValue?.includes('=')) return undefined;
    const value = rawValue === undefined ? undefined : urlDecode(rawValue);
    if (rawValue !== undefined && value === undefined) return undefined;
    if (key === 'scope') {
      scoped = true;
      if (value === undefined) return undefined;
      if (value === '') scopes = new Set();
      else if (value === '*') scopes = new Set(SCOPES);
      else if ((SCOPES as readonly string[]).includes(value)) scopes.add(value as ExporterScope);
      else return undefined;
    } else if (key === 'no-maint') noMaint = true;
  }
  return { scopes: scoped ? scopes : new Set(SCOPES), noMaint };
}

const ALL: ExporterOptions = { scopes: new Set(SCOPES), noMaint: false };

/** `haproxy_sticktable_size` and `_used`, per table, the last declared first (HAProxy's stktables_list). */
function stickTableMetrics(out: string[], host: StatsHost): void {
  const tables = [...(host.stickTables?.()?.all() ?? [])].reverse().filter((t) => t.size > 0);
  if (tables.length === 0) return;
  const label = (t: (typeof tables)[number]): string => `name="${labelValue(t.name)}",type="${t.config.type}"`;
  out.push('# HELP haproxy_sticktable_size Stick table size.', '# TYPE haproxy_sticktable_size gauge', ...tables.map((t) => `haproxy_sticktable_size{${label(t)}} ${t.size}`));
  out.push('# HELP haproxy_sticktable_used Number of entries used in this stick table.', '# TYPE haproxy_sticktable_used gauge', ...tables.map((t) => `haproxy_sticktable_used{${label(t)}} ${t.count()}`));
}

/** The whole exposition text, ending with a newline. */
export function prometheusText(host: StatsHost, now = Date.now(), options: ExporterOptions = ALL): string {
  const registry = host.stats;
  const tables = registry.view();
  const out: string[] = [];
  if (options.scopes.has('global')) {
    // The process metrics are `show info`'s fields, under the exporter's names, in show info's order.
    const values = infoValues(host, now);
    for (const [, field, , , help] of INFO_FIELDS) {
      const metric = PROCESS_METRICS.get(field);
      if (!metric) continue;
      const name = `haproxy_process_${metric[0]}`;
      const sample = field === 'Build info' ? `${name}{version="${labelValue(String(values.get(field)))}"} 1` : `${name} ${format(Number(values.get(field) ?? 0))}`;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${metric[1]}`, sample);
      if (field === 'CompressBpsRateLim') {
        for (const [zlib, zhelp] of ZLIB_METRICS) out.push(`# HELP haproxy_process_${zlib} ${zhelp}`, `# TYPE haproxy_process_${zlib} gauge`, `haproxy_process_${zlib} NaN`);
      }
    }
  }
  if (tables) {
    registry.sync(now);
    const rows = statRows(tables, now);
    const proxyLabel = (r: StatRow) => `proxy="${labelValue(r.proxy.name)}"`;
    if (options.scopes.has('frontend')) section(out, 'frontend', FRONTEND, rows.filter((r) => r.type === 0), proxyLabel);
    if (options.scopes.has('backend')) section(out, 'backend', BACKEND, rows.filter((r) => r.type === 1), proxyLabel);
    // `no-maint`: SRV_ADMF_MAINT, whichever way the server got there (configured, set, inherited through `track`).
    const servers = rows.filter((r) => r.type === 2 && !(options.noMaint && serverState(r.server!) === 'MAINT'));
    if (options.scopes.has('server')) section(out, 'server', SERVER, servers, (r) => `proxy="${labelValue(r.proxy.name)}",server="${labelValue(r.server!.name)}"`);
  }
  // Listener metrics exist for `option socket-stats` listeners, which Loadstar does not count apart.
  if (options.scopes.has('sticktable')) stickTableMetrics(out, host);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}
