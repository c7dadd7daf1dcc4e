/**
 * The Prometheus exporter (`http-request use-service prometheus-exporter`):
 * text exposition format 0.0.4 with the metric names, help texts, types and
 * labels of HAProxy's exporter (addons/promex), for the metrics that have a
 * meaning in Loadstar. Each metric is written once (HELP, TYPE) followed by
 * its series for every object, as HAProxy groups them.
 */
import type { StatRow } from './rows.ts';
import { statRows, backendWeights } from './rows.ts';
import type { StatsHost } from './host.ts';
import { INFO_FIELDS, infoValues } from './info.ts';
import { CHECK_CODES } from '../checks/types.ts';
import type { CheckCode } from '../checks/types.ts';

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

/** [name, type, help] as HAProxy's exporter declares them. */
const METRICS: ReadonlyArray<readonly [string, string, string]> = [
  ['haproxy_frontend_current_sessions', 'gauge', 'Number of current sessions on the frontend, backend or server'],
  ['haproxy_frontend_max_sessions', 'gauge', 'Highest value of current sessions encountered since process started'],
  ['haproxy_frontend_limit_sessions', 'gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  ['haproxy_frontend_sessions_total', 'counter', 'Total number of sessions since process started'],
  ['haproxy_frontend_bytes_in_total', 'counter', 'Total number of request bytes since process started'],
  ['haproxy_frontend_bytes_out_total', 'counter', 'Total number of response bytes since process started'],
  ['haproxy_frontend_requests_denied_total', 'counter', 'Total number of denied requests since process started'],
  ['haproxy_frontend_responses_denied_total', 'counter', 'Total number of denied responses since process started'],
  ['haproxy_frontend_request_errors_total', 'counter', 'Total number of invalid requests since process started'],
  ['haproxy_frontend_status', 'gauge', 'Current status of the service, per state label value.'],
  ['haproxy_frontend_limit_session_rate', 'gauge', "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"],
  ['haproxy_frontend_max_session_rate', 'gauge', 'Highest value of sessions per second observed since the worker process started'],
  ['haproxy_frontend_http_requests_rate_max', 'gauge', 'Highest value of http requests observed since the worker process started'],
  ['haproxy_frontend_http_requests_total', 'counter', 'Total number of HTTP requests processed by this object since the worker process started'],
  ['haproxy_frontend_connections_rate_max', 'gauge', 'Highest value of connections per second observed since the worker process started'],
  ['haproxy_frontend_connections_total', 'counter', 'Total number of new connections accepted on this frontend since the worker process started'],
  ['haproxy_frontend_intercepted_requests_total', 'counter', 'Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started'],
  ['haproxy_frontend_http_cache_lookups_total', 'counter', 'Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started'],
  // HAProxy 2.6's help text for the hits says "not found" (sic).
  ['haproxy_frontend_http_cache_hits_total', 'counter', 'Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started'],
  ['haproxy_frontend_http_responses_total', 'counter', 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started'],
  ['haproxy_backend_current_sessions', 'gauge', 'Number of current sessions on the frontend, backend or server'],
  ['haproxy_backend_max_sessions', 'gauge', 'Highest value of current sessions encountered since process started'],
  ['haproxy_backend_limit_sessions', 'gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  ['haproxy_backend_sessions_total', 'counter', 'Total number of sessions since process started'],
  ['haproxy_backend_bytes_in_total', 'counter', 'Total number of request bytes since process started'],
  ['haproxy_backend_bytes_out_total', 'counter', 'Total number of response bytes since process started'],
  ['haproxy_backend_requests_denied_total', 'counter', 'Total number of denied requests since process started'],
  ['haproxy_backend_responses_denied_total', 'counter', 'Total number of denied responses since process started'],
  ['haproxy_backend_status', 'gauge', 'Current status of the service, per state label value.'],
  ['haproxy_backend_max_session_rate', 'gauge', 'Highest value of sessions per second observed since the worker process started'],
  ['haproxy_backend_http_requests_total', 'counter', 'Total number of HTTP requests processed by this object since the worker process started'],
  ['haproxy_backend_current_queue', 'gauge', 'Number of current queued connections'],
  ['haproxy_backend_max_queue', 'gauge', 'Highest value of queued connections encountered since process started'],
  ['haproxy_backend_connection_errors_total', 'counter', 'Total number of failed connections to server since the worker process started'],
  ['haproxy_backend_response_errors_total', 'counter', 'Total number of invalid responses since the worker process started'],
  ['haproxy_backend_retry_warnings_total', 'counter', 'Total number of server connection retries since the worker process started'],
  ['haproxy_backend_redispatch_warnings_total', 'counter', 'Total number of server redispatches due to connection failures since the worker process started'],
  ['haproxy_backend_weight', 'gauge', "Server's effective weight, or sum of active servers' effective weights for a backend"],
  ['haproxy_backend_active_servers', 'gauge', 'Total number of active UP servers with a non-zero weight'],
  ['haproxy_backend_backup_servers', 'gauge', 'Total number of backup UP servers with a non-zero weight'],
  ['haproxy_backend_check_up_down_total', 'counter', 'Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started'],
  ['haproxy_backend_check_last_change_seconds', 'gauge', 'How long ago the last server state changed, in seconds'],
  ['haproxy_backend_downtime_seconds_total', 'counter', 'Total time spent in DOWN state, for server or backend'],
  ['haproxy_backend_loadbalanced_total', 'counter', 'Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)'],
  ['haproxy_backend_http_responses_total', 'counter', 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started'],
  ['haproxy_backend_client_aborts_total', 'counter', 'Total number of requests or connections aborted by the client since the worker process started'],
  ['haproxy_backend_server_aborts_total', 'counter', 'Total number of requests or connections aborted by the server since the worker process started'],
  ['haproxy_backend_last_session_seconds', 'gauge', 'How long ago some traffic was seen on this object on this worker process, in seconds'],
  ['haproxy_backend_queue_time_average_seconds', 'gauge', 'Avg. queue time for last 1024 successful connections.'],
  ['haproxy_backend_connect_time_average_seconds', 'gauge', 'Avg. connect time for last 1024 successful connections.'],
  ['haproxy_backend_response_time_average_seconds', 'gauge', 'Avg. response time for last 1024 successful connections.'],
  ['haproxy_backend_total_time_average_seconds', 'gauge', 'Avg. total time for last 1024 successful connections.'],
  ['haproxy_backend_connection_attempts_total', 'counter', 'Total number of outgoing connection attempts on this backend/server since the worker process started'],
  ['haproxy_backend_connection_reuses_total', 'counter', 'Total number of reused connection on this backend/server since the worker process started'],
  ['haproxy_backend_http_cache_lookups_total', 'counter', 'Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started'],
  ['haproxy_backend_http_cache_hits_total', 'counter', 'Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started'],
  ['haproxy_backend_max_queue_time_seconds', 'gauge', 'Maximum observed time spent in the queue'],
  ['haproxy_backend_max_connect_time_seconds', 'gauge', 'Maximum observed time spent waiting for a connection to complete'],
  ['haproxy_backend_max_response_time_seconds', 'gauge', 'Maximum observed time spent waiting for a server response'],
  ['haproxy_backend_max_total_time_seconds', 'gauge', 'Maximum observed total request+response time (request+queue+connect+response+processing)'],
  ['haproxy_backend_uweight', 'gauge', "Server's user weight, or sum of active servers' user weights for a backend"],
  ['haproxy_server_current_sessions', 'gauge', 'Number of current sessions on the frontend, backend or server'],
  ['haproxy_server_max_sessions', 'gauge', 'Highest value of current sessions encountered since process started'],
  ['haproxy_server_limit_sessions', 'gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  ['haproxy_server_sessions_total', 'counter', 'Total number of sessions since process started'],
  ['haproxy_server_bytes_in_total', 'counter', 'Total number of request bytes since process started'],
  ['haproxy_server_bytes_out_total', 'counter', 'Total number of response bytes since process started'],
  ['haproxy_server_responses_denied_total', 'counter', 'Total number of denied responses since process started'],
  ['haproxy_server_status', 'gauge', 'Current status of the service, per state label value.'],
  ['haproxy_server_max_session_rate', 'gauge', 'Highest value of sessions per second observed since the worker process started'],
  ['haproxy_server_current_queue', 'gauge', 'Number of current queued connections'],
  ['haproxy_server_max_queue', 'gauge', 'Highest value of queued connections encountered since process started'],
  ['haproxy_server_connection_errors_total', 'counter', 'Total number of failed connections to server since the worker process started'],
  ['haproxy_server_response_errors_total', 'counter', 'Total number of invalid responses since the worker process started'],
  ['haproxy_server_retry_warnings_total', 'counter', 'Total number of server connection retries since the worker process started'],
  ['haproxy_server_redispatch_warnings_total', 'counter', 'Total number of server redispatches due to connection failures since the worker process started'],
  ['haproxy_server_weight', 'gauge', "Server's effective weight, or sum of active servers' effective weights for a backend"],
  ['haproxy_server_check_up_down_total', 'counter', 'Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started'],
  ['haproxy_server_check_last_change_seconds', 'gauge', 'How long ago the last server state changed, in seconds'],
  ['haproxy_server_downtime_seconds_total', 'counter', 'Total time spent in DOWN state, for server or backend'],
  ['haproxy_server_loadbalanced_total', 'counter', 'Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)'],
  ['haproxy_server_http_responses_total', 'counter', 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started'],
  ['haproxy_server_client_aborts_total', 'counter', 'Total number of requests or connections aborted by the client since the worker process started'],
  ['haproxy_server_server_aborts_total', 'counter', 'Total number of requests or connections aborted by the server since the worker process started'],
  ['haproxy_server_last_session_seconds', 'gauge', 'How long ago some traffic was seen on this object on this worker process, in seconds'],
  ['haproxy_server_queue_time_average_seconds', 'gauge', 'Avg. queue time for last 1024 successful connections.'],
  ['haproxy_server_connect_time_average_seconds', 'gauge', 'Avg. connect time for last 1024 successful connections.'],
  ['haproxy_server_response_time_average_seconds', 'gauge', 'Avg. response time for last 1024 successful connections.'],
  ['haproxy_server_total_time_average_seconds', 'gauge', 'Avg. total time for last 1024 successful connections.'],
  ['haproxy_server_connection_attempts_total', 'counter', 'Total number of outgoing connection attempts on this backend/server since the worker process started'],
  ['haproxy_server_connection_reuses_total', 'counter', 'Total number of reused connection on this backend/server since the worker process started'],
  ['haproxy_server_max_queue_time_seconds', 'gauge', 'Maximum observed time spent in the queue'],
  ['haproxy_server_max_connect_time_seconds', 'gauge', 'Maximum observed time spent waiting for a connection to complete'],
  ['haproxy_server_max_response_time_seconds', 'gauge', 'Maximum observed time spent waiting for a server response'],
  ['haproxy_server_max_total_time_seconds', 'gauge', 'Maximum observed total request+response time (request+queue+connect+response+processing)'],
  ['haproxy_server_check_failures_total', 'counter', 'Total number of failed individual health checks per server/backend, since the worker process started'],
  ['haproxy_server_queue_limit', 'gauge', 'Limit on the number of connections in queue, for servers only (maxqueue argument)'],
  ['haproxy_server_check_status', 'gauge', 'Status of last health check, per state label value.'],
  ['haproxy_server_check_code', 'gauge', 'layer5-7 code, if available of the last health check.'],
  ['haproxy_server_check_duration_seconds', 'gauge', 'Total duration of the latest server health check, in seconds.'],
  ['haproxy_server_uweight', 'gauge', "Server's user weight, or sum of active servers' user weights for a backend"],
];

const INFO = new Map(METRICS.map(([name, type, help]) => [name, { type, help }]));

type Sample = [labels: string, value: number];
type Getter = (row: StatRow, now: number) => number | Sample[] | undefined;

const ms = (v: number): number => v / 1000;
const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;

function httpOnly(row: StatRow): boolean {
  return row.proxy.mode === 'http';
}

function responses(row: StatRow): Sample[] | undefined {
  if (!httpOnly(row)) return undefined;
  const c = row.counters;
  const v = [c.hrsp1xx, c.hrsp2xx, c.hrsp3xx, c.hrsp4xx, c.hrsp5xx, c.hrspOther];
  return CODES.map((code, i) => [`code="${code}"`, v[i]!]);
}

function serverState(row: StatRow): string {
  const s = row.server!;
  const admin = s.check ? s.check.state.admin : s.admin;
  if (admin === 'MAINT') return 'MAINT';
  if (admin === 'DRAIN') return 'DRAIN';
  if (s.check?.state.op === 'NOLB') return 'NOLB';
  return s.check?.state.op === 'DOWN' ? 'DOWN' : 'UP';
}

const COMMON: Record<string, Getter> = {
  current_sessions: (r) => Number(r.values['scur'] ?? 0),
  max_sessions: (r) => r.counters.smax,
  limit_sessions: (r) => Number(r.values['slim'] || 0),
  sessions_total: (r) => r.counters.stot,
  bytes_in_total: (r) => r.counters.bin,
  bytes_out_total: (r) => r.counters.bout,
  max_session_rate: (r) => r.counters.rateMax,
  http_responses_total: responses,
};

const BACKEND_AND_SERVER: Record<string, Getter> = {
  current_queue: (r) => Number(r.values['qcur'] ?? 0),
  max_queue: (r) => r.counters.qmax,
  connection_errors_total: (r) => r.counters.econ,
  response_errors_total: (r) => r.counters.eresp,
  retry_warnings_total: (r) => r.counters.wretr,
  redispatch_warnings_total: (r) => r.counters.wredis,
  check_last_change_seconds: (r) => Number(r.values['lastchg'] ?? 0),
  loadbalanced_total: (r) => r.counters.lbtot,
  client_aborts_total: (r) => r.counters.cliAbrt,
  server_aborts_total: (r) => r.counters.srvAbrt,
  last_session_seconds: (r) => Number(r.values['lastsess'] ?? -1),
  queue_time_average_seconds: (r) => ms(r.counters.average(r.counters.qtimeSum)),
  connect_time_average_seconds: (r) => ms(r.counters.average(r.counters.ctimeSum)),
  response_time_average_seconds: (r) => ms(r.counters.average(r.counters.rtimeSum)),
  total_time_average_seconds: (r) => ms(r.counters.average(r.counters.ttimeSum)),
  connection_attempts_total: (r) => r.counters.connect,
  connection_reuses_total: (r) => r.counters.reuse,
  max_queue_time_seconds: (r) => ms(r.counters.qtimeMax),
  max_connect_time_seconds: (r) => ms(r.counters.ctimeMax),
  max_response_time_seconds: (r) => ms(r.counters.rtimeMax),
  max_total_time_seconds: (r) => ms(r.counters.ttimeMax),
};

const FRONTEND: Record<string, Getter> = {
  ...COMMON,
  limit_session_rate: (r) => Number(r.values['rate_lim'] ?? 0),
  requests_denied_total: (r) => r.counters.dreq,
  responses_denied_total: (r) => r.counters.dresp,
  request_errors_total: (r) => r.counters.ereq,
  status: () => [['state="DOWN"', 0], ['state="UP"', 1]],
  http_requests_rate_max: (r) => (httpOnly(r) ? r.counters.reqRateMax : undefined),
  http_requests_total: (r) => (httpOnly(r) ? r.counters.reqTot : undefined),
  connections_rate_max: (r) => r.counters.connRateMax,
  connections_total: (r) => r.counters.connTot,
  intercepted_requests_total: (r) => (httpOnly(r) ? r.counters.intercepted : undefined),
  http_cache_lookups_total: (r) => (httpOnly(r) ? r.counters.cacheLookups : undefined),
  http_cache_hits_total: (r) => (httpOnly(r) ? r.counters.cacheHits : undefined),
};

const BACKEND: Record<string, Getter> = {
  ...COMMON,
  ...BACKEND_AND_SERVER,
  requests_denied_total: (r) => r.counters.dreq,
  responses_denied_total: (r) => r.counters.dresp,
  status: (r) => {
    // HAProxy's promex: a backend without servers (a stats listen's) is UP.
    const up = r.backend!.hasUsableServer || r.backend!.servers.length === 0;
    return [['state="DOWN"', up ? 0 : 1], ['state="UP"', up ? 1 : 0]];
  },
  weight: (r) => backendWeights(r.backend!).weight,
  active_servers: (r) => backendWeights(r.backend!).act,
  backup_servers: (r) => backendWeights(r.backend!).bck,
  check_up_down_total: (r) => r.counters.chkdown,
  downtime_seconds_total: (r, now) => r.counters.downtimeSeconds(now),
  http_requests_total: (r) => (httpOnly(r) ? r.counters.reqTot : undefined),
  http_cache_lookups_total: (r) => (httpOnly(r) ? r.counters.cacheLookups : undefined),
  http_cache_hits_total: (r) => (httpOnly(r) ? r.counters.cacheHits : undefined),
  uweight: (r) => backendWeights(r.backend!).uweight,
};

const SERVER: Record<string, Getter> = {
  ...COMMON,
  ...BACKEND_AND_SERVER,
  responses_denied_total: (r) => r.counters.dresp,
  status: (r) => {
    const state = serverState(r);
    return SERVER_STATES.map((s) => [`state="${s}"`, s === state ? 1 : 0]);
  },
  weight: (r) => r.server!.weight,
  check_failures_total: (r) => (r.server!.check ? r.counters.chkfail : undefined),
  check_up_down_total: (r) => (r.server!.check ? r.counters.chkdown : undefined),
  downtime_seconds_total: (r, now) => (r.server!.check ? r.counters.downtimeSeconds(now) : undefined),
  queue_limit: (r) => r.server!.maxqueue,
  check_status: (r) => {
    const last = r.server!.check?.results.last();
    if (!r.server!.check) return undefined;
    return (Object.keys(CHECK_CODES) as CheckCode[]).map((code) => [`state="${code}"`, last?.code === code ? 1 : 0]);
  },
  check_code: (r) => (r.server!.check ? r.server!.check.results.last()?.status ?? 0 : undefined),
  check_duration_seconds: (r) => (r.server!.check ? ms(r.server!.check.results.last()?.durationMs ?? 0) : undefined),
  uweight: (r) => r.server!.weight,
};

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function format(v: number): string {
  return Number.isFinite(v) ? String(v) : 'NaN';
}

function section(out: string[], prefix: string, getters: Record<string, Getter>, rows: StatRow[], labels: (r: StatRow) => string, now: number): void {
  for (const [suffix, get] of Object.entries(getters)) {
    const name = `${prefix}${suffix}`;
    const info = INFO.get(name);
    if (!info) continue;
    const lines: string[] = [];
    for (const row of rows) {
      const v = get(row, now);
      if (v === undefined) continue;
      const base = labels(row);
      if (typeof v === 'number') lines.push(`${name}{${base}} ${format(v)}`);
      else for (const [extra, value] of v) lines.push(`${name}{${base},${extra}} ${format(value)}`);
    }
    if (lines.length === 0) continue;
    out.push(`# HELP ${name} ${info.help}`, `# TYPE ${name} ${info.type}`, ...lines);
  }
}

/** The whole exposition text, ending with a newline. */
export function prometheusText(host: StatsHost, now = Date.now()): string {
  const registry = host.stats;
  const tables = registry.view();
  const out: string[] = [];
  // The process metrics are `show info`'s fields, under the exporter's names, in show info's order.
  const values = infoValues(host, now);
  for (const [, field, , , help] of INFO_FIELDS) {
    const metric = PROCESS_METRICS.get(field);
    if (!metric) continue;
    const name = `haproxy_process_${metric[0]}`;
    const sample = field === 'Build info' ? `${name}{version="${labelValue(String(values.get(field)))}"} 1` : `${name} ${format(Number(values.get(field) ?? 0))}`;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${metric[1]}`, sample);
  }
  if (tables) {
    registry.sync(now);
    const rows = statRows(tables, now);
    const proxyLabel = (r: StatRow) => `proxy="${labelValue(r.proxy.name)}"`;
    section(out, 'haproxy_frontend_', FRONTEND, rows.filter((r) => r.type === 0), proxyLabel, now);
    section(out, 'haproxy_backend_', BACKEND, rows.filter((r) => r.type === 1), proxyLabel, now);
    section(out, 'haproxy_server_', SERVER, rows.filter((r) => r.type === 2), (r) => `proxy="${labelValue(r.proxy.name)}",server="${labelValue(r.server!.name)}"`, now);
  }
  return out.join('\n') + '\n';
}
