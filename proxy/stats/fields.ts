/**
 * HAProxy 2.6's `show stat` columns, in its CSV order (management.txt §9.1),
 * with the `show stat typed` nature/origin/scope letters and value type of
 * each. The list is HAProxy's complete one, so scripts that pick columns by
 * position or by header name read Loadstar's CSV unchanged; columns without
 * meaning in Loadstar stay empty where HAProxy leaves them empty.
 */

/**
 * [name, typed tags, typed value type]. Tags are origin, nature, scope letters as HAProxy prints
 * them (nature `A` age, `a` average); typedTags() has the few that differ by object type.
 */
export const STAT_FIELDS: ReadonlyArray<readonly [string, string, string]> = [
  ['pxname', 'KNS', 'str'], ['svname', 'KNS', 'str'], ['qcur', 'MGP', 'u32'], ['qmax', 'MMP', 'u32'],
  ['scur', 'MGP', 'u32'], ['smax', 'MMP', 'u32'], ['slim', 'CLP', 'u32'], ['stot', 'MCP', 'u64'],
  ['bin', 'MCP', 'u64'], ['bout', 'MCP', 'u64'], ['dreq', 'MCP', 'u64'], ['dresp', 'MCP', 'u64'],
  ['ereq', 'MCP', 'u64'], ['econ', 'MCP', 'u64'], ['eresp', 'MCP', 'u64'], ['wretr', 'MCP', 'u64'],
  ['wredis', 'MCP', 'u64'], ['status', 'SGP', 'str'], ['weight', 'MaP', 'u32'], ['act', 'MGP', 'u32'],
  ['bck', 'MGP', 'u32'], ['chkfail', 'MCP', 'u64'], ['chkdown', 'MCP', 'u64'], ['lastchg', 'MAP', 'u32'],
  ['downtime', 'MCP', 'u32'], ['qlimit', 'CLP', 'u32'], ['pid', 'KGP', 'u32'], ['iid', 'KGS', 'u32'],
  ['sid', 'KGS', 'u32'], ['throttle', 'MGP', 'u32'], ['lbtot', 'MCP', 'u64'], ['tracked', 'KGS', 'str'],
  ['type', 'CGS', 'u32'], ['rate', 'MRP', 'u32'], ['rate_lim', 'CLP', 'u32'], ['rate_max', 'MMP', 'u32'],
  ['check_status', 'MOP', 'str'], ['check_code', 'MOP', 'u32'], ['check_duration', 'MDP', 'u64'], ['hrsp_1xx', 'MCP', 'u64'],
  ['hrsp_2xx', 'MCP', 'u64'], ['hrsp_3xx', 'MCP', 'u64'], ['hrsp_4xx', 'MCP', 'u64'], ['hrsp_5xx', 'MCP', 'u64'],
  ['hrsp_other', 'MCP', 'u64'], ['hanafail', 'MCP', 'u64'], ['req_rate', 'MRP', 'u32'], ['req_rate_max', 'MMP', 'u32'],
  ['req_tot', 'MCP', 'u64'], ['cli_abrt', 'MCP', 'u64'], ['srv_abrt', 'MCP', 'u64'], ['comp_in', 'MCP', 'u64'],
  ['comp_out', 'MCP', 'u64'], ['comp_byp', 'MCP', 'u64'], ['comp_rsp', 'MCP', 'u64'], ['lastsess', 'MAP', 's32'],
  ['last_chk', 'MOP', 'str'], ['last_agt', 'MOP', 'str'], ['qtime', 'MaP', 'u32'], ['ctime', 'MaP', 'u32'],
  ['rtime', 'MaP', 'u32'], ['ttime', 'MaP', 'u32'], ['agent_status', 'MOP', 'str'], ['agent_code', 'MOP', 'u32'],
  ['agent_duration', 'MDP', 'u64'], ['check_desc', 'MOP', 'str'], ['agent_desc', 'MOP', 'str'], ['check_rise', 'CGS', 'u32'],
  ['check_fall', 'CGS', 'u32'], ['check_health', 'CGS', 'u32'], ['agent_rise', 'CGS', 'u32'], ['agent_fall', 'CGS', 'u32'],
  ['agent_health', 'CGS', 'u32'], ['addr', 'CGS', 'str'], ['cookie', 'CGS', 'str'], ['mode', 'CGS', 'str'],
  ['algo', 'CGS', 'str'], ['conn_rate', 'MRP', 'u32'], ['conn_rate_max', 'MMP', 'u32'], ['conn_tot', 'MCP', 'u64'],
  ['intercepted', 'MCP', 'u64'], ['dcon', 'MCP', 'u64'], ['dses', 'MCP', 'u64'], ['wrew', 'MCP', 'u64'],
  ['connect', 'MCP', 'u64'], ['reuse', 'MCP', 'u64'], ['cache_lookups', 'MCP', 'u64'], ['cache_hits', 'MCP', 'u64'],
  ['srv_icur', 'MGP', 'u32'], ['src_ilim', 'MGP', 'u32'], ['qtime_max', 'MMP', 'u32'], ['ctime_max', 'MMP', 'u32'],
  ['rtime_max', 'MMP', 'u32'], ['ttime_max', 'MMP', 'u32'], ['eint', 'MCP', 'u64'], ['idle_conn_cur', 'MGP', 'u32'],
  ['safe_conn_cur', 'MGP', 'u32'], ['used_conn_cur', 'MGP', 'u32'], ['need_conn_est', 'MGP', 'u32'], ['uweight', 'MaP', 'u32'],
  ['agg_server_status', 'MGP', 'u32'], ['agg_server_check_status', 'MGP', 'u32'], ['agg_check_status', 'MGP', 'u32'],
  // Module counters follow HAProxy's "-" separator column: SSL, HTTP/2 and HTTP/1 multiplexers.
  ['-', 'KNS', 'str'],
  ['ssl_sess', 'MCP', 'u64'], ['ssl_reused_sess', 'MCP', 'u64'], ['ssl_failed_handshake', 'MCP', 'u64'],
  ['h2_headers_rcvd', 'MCP', 'u64'], ['h2_data_rcvd', 'MCP', 'u64'], ['h2_settings_rcvd', 'MCP', 'u64'], ['h2_rst_stream_rcvd', 'MCP', 'u64'],
  ['h2_goaway_rcvd', 'MCP', 'u64'], ['h2_detected_conn_protocol_errors', 'MCP', 'u64'], ['h2_detected_strm_protocol_errors', 'MCP', 'u64'],
  ['h2_rst_stream_resp', 'MCP', 'u64'], ['h2_goaway_resp', 'MCP', 'u64'], ['h2_open_connections', 'MGP', 'u64'],
  ['h2_backend_open_streams', 'MGP', 'u64'], ['h2_total_connections', 'MCP', 'u64'], ['h2_backend_total_streams', 'MCP', 'u64'],
  ['h1_open_connections', 'MGP', 'u64'], ['h1_open_streams', 'MGP', 'u64'], ['h1_total_connections', 'MCP', 'u64'],
  ['h1_total_streams', 'MCP', 'u64'], ['h1_bytes_in', 'MCP', 'u64'], ['h1_bytes_out', 'MCP', 'u64'],
  ['h1_spliced_bytes_in', 'MCP', 'u64'], ['h1_spliced_bytes_out', 'MCP', 'u64'],
];

export const FIELD_NAMES: readonly string[] = STAT_FIELDS.map((f) => f[0]);

/** `# pxname,svname,…,` — HAProxy's header line, trailing comma included. */
export const CSV_HEADER = `# ${FIELD_NAMES.join(',')},`;

/**
 * The typed tags of a field in a row of this type (0 frontend, 1 backend, 2 server), as haproxy
 * 2.6.12's `show stat typed` prints them: a server's act/bck are a status, a backend's rate and
 * rate_max a plain gauge.
 */
export function typedTags(name: string, tags: string, rowType: number): string {
  if (rowType === 2 && (name === 'act' || name === 'bck')) return 'SGP';
  if (rowType === 1 && (name === 'rate' || name === 'rate_max')) return 'MGP';
  return tags;
}

/**
 * The field position `show stat typed` and `json` print: the CSV's "-" separator column is no
 * field, so the module counters after it are one lower than their CSV column.
 */
export const TYPED_POSITIONS: readonly number[] = (() => {
  const sep = STAT_FIELDS.findIndex(([name]) => name === '-');
  return STAT_FIELDS.map((_, i) => (i > sep ? i - 1 : i));
})();
