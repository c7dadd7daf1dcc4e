/**
 * `show info`: HAProxy 2.6's process fields, all of them, at HAProxy's positions (the `typed` and
 * `json` forms number them, and tools read them by number), with its tags, types and descriptions.
 * A field has Loadstar's own value where Loadstar has the thing it counts; where it has not (pipes
 * for splicing, busy polling, debug commands, log forwarding, an SSL session-ID cache, memory pools)
 * it is 0, which is also what HAProxy reports when the feature is unused.
 */
import { effectiveMaxconn, socketLimits } from '../runtime/default-maxconn.ts';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { StatsHost } from './host.ts';
import { typedTagWords } from './csv.ts';

type InfoType = 'str' | 'u32' | 'u64';
/** [position, name, typed tags (origin, nature, scope), type, description]. */
type InfoField = readonly [number, string, string, InfoType, string];

/** The product version `show info` and `show version` report. */
export const VERSION = '2.6-loadstar';

/** HAProxy 2.6's info_fields[] as `show info typed desc` prints them (45 and 46 exist only in zlib builds). */
export const INFO_FIELDS: readonly InfoField[] = [
  [0, 'Name', 'POS', 'str', 'Product name'],
  [1, 'Version', 'POS', 'str', 'Product version'],
  [2, 'Release_date', 'POS', 'str', 'Date of latest source code update'],
  [3, 'Nbthread', 'CGS', 'u32', 'Number of started threads (global.nbthread)'],
  [4, 'Nbproc', 'CGS', 'u32', 'Number of started worker processes (historical, always 1)'],
  [5, 'Process_num', 'KGP', 'u32', 'Relative worker process number (1)'],
  [6, 'Pid', 'SGP', 'u32', 'This worker process identifier for the system'],
  [7, 'Uptime', 'MDP', 'str', 'How long ago this worker process was started (days+hours+minutes+seconds)'],
  [8, 'Uptime_sec', 'MDP', 'u32', 'How long ago this worker process was started (seconds)'],
  [9, 'Memmax_MB', 'CLP', 'u32', "Worker process's hard limit on memory usage in MB (-m on command line)"],
  [10, 'PoolAlloc_MB', 'MGP', 'u32', 'Amount of memory allocated in pools (in MB)'],
  [11, 'PoolUsed_MB', 'MGP', 'u32', 'Amount of pool memory currently used (in MB)'],
  [12, 'PoolFailed', 'MCP', 'u32', 'Number of failed pool allocations since this worker was started'],
  [13, 'Ulimit-n', 'CLP', 'u32', 'Hard limit on the number of per-process file descriptors'],
  [14, 'Maxsock', 'CLP', 'u32', 'Hard limit on the number of per-process sockets'],
  [15, 'Maxconn', 'CLP', 'u32', 'Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)'],
  [16, 'Hard_maxconn', 'CLP', 'u32', 'Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)'],
  [17, 'CurrConns', 'MGP', 'u32', 'Current number of connections on this worker process'],
  [18, 'CumConns', 'MCP', 'u32', 'Total number of connections on this worker process since started'],
  [19, 'CumReq', 'MCP', 'u32', 'Total number of requests on this worker process since started'],
  [20, 'MaxSslConns', 'MMP', 'u32', 'Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited'],
  [21, 'CurrSslConns', 'MGP', 'u32', 'Current number of SSL endpoints on this worker process (front+back)'],
  [22, 'CumSslConns', 'MCP', 'u32', 'Total number of SSL endpoints on this worker process since started (front+back)'],
  [23, 'Maxpipes', 'CLP', 'u32', 'Hard limit on the number of pipes for splicing, 0=unlimited'],
  [24, 'PipesUsed', 'MGP', 'u32', 'Current number of pipes in use in this worker process'],
  [25, 'PipesFree', 'MGP', 'u32', 'Current number of allocated and available pipes in this worker process'],
  [26, 'ConnRate', 'MRP', 'u32', 'Number of front connections created on this worker process over the last second'],
  [27, 'ConnRateLimit', 'CLP', 'u32', 'Hard limit for ConnRate (global.maxconnrate)'],
  [28, 'MaxConnRate', 'MMP', 'u32', 'Highest ConnRate reached on this worker process since started (in connections per second)'],
  [29, 'SessRate', 'MRP', 'u32', 'Number of sessions created on this worker process over the last second'],
  [30, 'SessRateLimit', 'CLP', 'u32', 'Hard limit for SessRate (global.maxsessrate)'],
  [31, 'MaxSessRate', 'MRP', 'u32', 'Highest SessRate reached on this worker process since started (in sessions per second)'],
  [32, 'SslRate', 'MRP', 'u32', 'Number of SSL connections created on this worker process over the last second'],
  [33, 'SslRateLimit', 'CLP', 'u32', 'Hard limit for SslRate (global.maxsslrate)'],
  [34, 'MaxSslRate', 'MMP', 'u32', 'Highest SslRate reached on this worker process since started (in connections per second)'],
  [35, 'SslFrontendKeyRate', 'MGP', 'u32', 'Number of SSL keys created on frontends in this worker process over the last second'],
  [36, 'SslFrontendMaxKeyRate', 'MMP', 'u32', 'Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)'],
  [37, 'SslFrontendSessionReuse_pct', 'MGP', 'u32', 'Percent of frontend SSL connections which did not require a new key'],
  [38, 'SslBackendKeyRate', 'MRP', 'u32', 'Number of SSL keys created on backends in this worker process over the last second'],
  [39, 'SslBackendMaxKeyRate', 'MMP', 'u32', 'Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)'],
  [40, 'SslCacheLookups', 'MCP', 'u32', 'Total number of SSL session ID lookups in the SSL session cache on this worker since started'],
  [41, 'SslCacheMisses', 'MCP', 'u32', "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"],
  [42, 'CompressBpsIn', 'MRP', 'u32', 'Number of bytes submitted to the HTTP compressor in this worker process over the last second'],
  [43, 'CompressBpsOut', 'MRP', 'u32', 'Number of bytes emitted by the HTTP compressor in this worker process over the last second'],
  [44, 'CompressBpsRateLim', 'CLP', 'u32', 'Limit of CompressBpsOut beyond which HTTP compression is automatically disabled'],
  [47, 'Tasks', 'MGP', 'u32', 'Total number of tasks in the current worker process (active + sleeping)'],
  [48, 'Run_queue', 'MGP', 'u32', 'Total number of active tasks+tasklets in the current worker process'],
  [49, 'Idle_pct', 'MaP', 'u32', 'Percentage of last second spent waiting in the current worker thread'],
  [50, 'node', 'COS', 'str', 'Node name (global.node)'],
  [52, 'Stopping', 'MGP', 'u32', '1 if the worker process is currently stopping, otherwise zero'],
  [53, 'Jobs', 'MGP', 'u32', 'Current number of active jobs on the current worker process (frontend connections, master connections, listeners)'],
  [54, 'Unstoppable Jobs', 'MGP', 'u32', 'Current number of unstoppable jobs on the current worker process (master connections)'],
  [55, 'Listeners', 'MGP', 'u32', 'Current number of active listeners on the current worker process'],
  [56, 'ActivePeers', 'MGP', 'u32', 'Current number of verified active peers connections on the current worker process'],
  [57, 'ConnectedPeers', 'MGP', 'u32', 'Current number of peers having passed the connection step on the current worker process'],
  [58, 'DroppedLogs', 'MGP', 'u32', 'Total number of dropped logs for current worker process since started'],
  [59, 'BusyPolling', 'MGP', 'u32', '1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)'],
  [60, 'FailedResolutions', 'MGP', 'u32', 'Total number of failed DNS resolutions in current worker process since started'],
  [61, 'TotalBytesOut', 'MGP', 'u64', 'Total number of bytes emitted by current worker process since started'],
  [62, 'TotalSplicdedBytesOut', 'MGP', 'u64', 'Total number of bytes emitted by current worker process through a kernel pipe since started'],
  [63, 'BytesOutRate', 'MRP', 'u64', 'Number of bytes emitted by current worker process over the last second'],
  [64, 'DebugCommandsIssued', 'MGP', 'u32', 'Number of debug commands issued on this process (anything > 0 is unsafe)'],
  [65, 'CumRecvLogs', 'MCP', 'u32', 'Total number of log messages received by log-forwarding listeners on this worker process since started'],
  [66, 'Build info', 'POS', 'str', 'Build info'],
  [67, 'Memmax_bytes', 'CLP', 'u32', "Worker process's hard limit on memory usage in byes (-m on command line)"],
  [68, 'PoolAlloc_bytes', 'MGP', 'u64', 'Amount of memory allocated in pools (in bytes)'],
  [69, 'PoolUsed_bytes', 'MGP', 'u64', 'Amount of pool memory currently used (in bytes)'],
  [70, 'Start_time_sec', 'MDP', 'u32', 'Start time in seconds'],
  [71, 'Tainted', 'SGP', 'str', 'Experimental features used'],
];
/** Printed only when the global section sets a `description`, as HAProxy does. */
const DESCRIPTION_FIELD: InfoField = [51, 'description', 'COS', 'str', 'Node description (global.description)'];

export type InfoValue = string | number;

/** Each field's value now (by field name). */
export function infoValues(host: StatsHost, now = Date.now()): Map<string, InfoValue> {
  const registry = host.stats;
  const tables = registry.view();
  const global = tables?.config.global;
  const uptimeMs = now - registry.startedAt;
  const uptime = Math.floor(uptimeMs / 1000);
  let current = 0;
  let connRate = 0;
  let maxConnRate = 0;
  let sessRate = 0;
  let maxSessRate = 0;
  let sslConns = 0;
  let sslOpen = 0;
  let bytesOut = 0;
  for (const f of tables?.frontends.values() ?? []) {
    const c = f.stats;
    current += c.scur;
    connRate += c.connRate;
    maxConnRate = Math.max(maxConnRate, c.connRateMax);
    sessRate += c.rate;
    maxSessRate = Math.max(maxSessRate, c.rateMax);
    sslConns += c.sslSess + c.sslReusedSess;
    bytesOut += c.bout;
    // Counted when asked (a rare command), so that TLS connections cost nothing more for it.
    if (!host.sslConnections && c.sslSess + c.sslReusedSess > 0) for (const { socket } of f.openConnections()) if ((socket as { encrypted?: boolean } | undefined)?.encrypted) sslOpen++;
  }
  // The engine counts TLS endpoints on both sides, as HAProxy does (tls/ssl-conns.ts).
  const ssl = host.sslConnections?.();
  if (ssl) {
    sslOpen = ssl.current;
    sslConns = ssl.total;
  }
  for (const b of tables?.backends.values() ?? []) bytesOut += b.stats.bin;
  const listeners = tables ? [...tables.config.proxies].reduce((n, p) => n + p.binds.length, 0) + tables.config.global.statsSockets.length : 0;
  const rates = registry.process;
  const mem = process.memoryUsage();
  // The configured maxconn, else the one HAProxy derives from the open-file limit (runtime/default-maxconn.ts).
  const inForce = tables ? effectiveMaxconn(tables.config) : undefined;
  const maxconn = inForce ?? 0;
  // HAProxy's Maxsock follows from that maxconn, and the open-file limit it sets from Maxsock (or `ulimit-n`).
  const sockets = tables ? socketLimits(tables.config, inForce) : undefined;
  const fdLimit = sockets ? undefined : openFileLimit();
  return new Map<string, InfoValue>([
    ['Name', 'Loadstar'],
    ['Version', VERSION],
    ['Release_date', ''],
    ['Nbthread', 1],
    ['Nbproc', 1],
    ['Process_num', 1],
    ['Pid', process.pid],
    ['Uptime', formatUptime(uptime)],
    ['Uptime_sec', uptime],
    ['Memmax_MB', 0],
    ['PoolAlloc_MB', Math.floor(mem.rss / 1048576)],
    ['PoolUsed_MB', Math.floor(mem.heapUsed / 1048576)],
    ['PoolFailed', 0],
    ['Ulimit-n', sockets?.ulimit ?? fdLimit ?? 0],
    // Without a configuration (nothing reserved yet), every socket is a file descriptor: the open-file limit is the socket limit.
    ['Maxsock', sockets?.maxsock ?? fdLimit ?? 0],
    ['Maxconn', tables?.overrides?.globalMaxconn ?? maxconn],
    ['Hard_maxconn', maxconn],
    ['CurrConns', current],
    ['CumConns', registry.cumulatedConnections()],
    ['CumReq', registry.cumReq],
    ['MaxSslConns', ssl?.limit ?? 0],
    ['CurrSslConns', sslOpen],
    ['CumSslConns', sslConns],
    ['Maxpipes', 0],
    ['PipesUsed', 0],
    ['PipesFree', 0],
    ['ConnRate', connRate],
    ['ConnRateLimit', tables?.overrides?.rateLimits.connections ?? global?.maxConnRate ?? 0],
    ['MaxConnRate', maxConnRate],
    ['SessRate', sessRate],
    ['SessRateLimit', tables?.overrides?.rateLimits.sessions ?? global?.maxSessRate ?? 0],
    ['MaxSessRate', maxSessRate],
    ['SslRate', rates.sslRate],
    ['SslRateLimit', tables?.overrides?.rateLimits.sslSessions ?? global?.maxSslRate ?? 0],
    ['MaxSslRate', rates.maxSslRate],
    ['SslFrontendKeyRate', rates.sslKeyRate],
    ['SslFrontendMaxKeyRate', rates.maxSslKeyRate],
    // HAProxy's formula: the share of last second's TLS connections that resumed a session.
    ['SslFrontendSessionReuse_pct', rates.sslRate > 0 ? Math.round(100 - (100 * rates.sslKeyRate) / rates.sslRate) : 0],
    ['SslBackendKeyRate', 0],
    ['SslBackendMaxKeyRate', 0],
    ['SslCacheLookups', 0],
    ['SslCacheMisses', 0],
    ['CompressBpsIn', rates.compInRate],
    ['CompressBpsOut', rates.compOutRate],
    ['CompressBpsRateLim', tables?.overrides?.rateLimits.compression ?? Math.max(0, Number(global?.tune['maxcomprate'] ?? 0)) * 1024],
    ['Tasks', process.getActiveResourcesInfo().length],
    ['Run_queue', 0],
    ['Idle_pct', rates.idlePct],
    ['node', global?.tune['node'] ?? os.hostname()],
    ['description', global?.tune['description'] ?? ''],
    ['Stopping', host.isStopping?.() ? 1 : 0],
    ['Jobs', current + registry.cliConnections + listeners],
    ['Unstoppable Jobs', 0],
    ['Listeners', listeners],
    ['ActivePeers', 0],
    ['ConnectedPeers', 0],
    ['DroppedLogs', host.droppedLogs?.() ?? 0],
    ['BusyPolling', 0],
    // HAProxy counts only do-resolve failures here, an action Loadstar does not have.
    ['FailedResolutions', 0],
    ['TotalBytesOut', bytesOut],
    ['TotalSplicdedBytesOut', 0],
    ['BytesOutRate', rates.bytesOutRate],
    ['DebugCommandsIssued', 0],
    ['CumRecvLogs', 0],
    ['Build info', VERSION],
    ['Memmax_bytes', 0],
    ['PoolAlloc_bytes', mem.rss],
    ['PoolUsed_bytes', mem.heapUsed],
    ['Start_time_sec', Math.floor(registry.startedAt / 1000)],
    ['Tainted', '0'],
    // `show info float`'s forms of the two durations.
    ['Uptime_sec float', uptimeMs / 1000],
    ['Start_time_sec float', registry.startedAt / 1000],
  ]);
}

/** The soft limit on open files (/proc/self/limits); 0 where it cannot be read. */
function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) ? soft : 0;
  } catch {
    return 0;
  }
}

/** "0d 0h00m05s", as HAProxy prints it. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

/** `show info [desc|json|typed|float]*`: the fields HAProxy prints, in its order, in the form the words ask for. */
export function showInfo(host: StatsHost, words: readonly string[]): string {
  const values = infoValues(host);
  const float = words.includes('float');
  const fields = INFO_FIELDS.flatMap((f) => (f[0] === 52 && values.get('description') ? [DESCRIPTION_FIELD, f] : [f]));
  const shown = fields.map(([pos, name, tags, type, desc]) => {
    const floatTags = float ? FLOAT_TAGS.get(name) : undefined;
    if (floatTags === undefined) return { pos, name, tags, type, desc, value: values.get(name) ?? 0 };
    const value = values.get(`${name} float`) ?? values.get(name) ?? 0;
    return { pos, name, tags: floatTags, type: 'flt', desc, value: floatText(Number(value)) };
  });
  if (words.includes('json')) {
    return JSON.stringify(shown.map(({ pos, name, tags, type, value }) => ({
      field: { pos, name }, processNum: 1, tags: typedTagWords(tags),
      value: { type, value: type === 'str' ? String(value) : Number(value) },
    }))) + '\n';
  }
  const typed = words.includes('typed');
  const withDesc = words.includes('desc');
  return shown.map(({ pos, name, tags, type, desc, value }) =>
    `${typed ? `${pos}.${name}.1:${tags}:${type}:` : `${name}: `}${value}${withDesc ? `:"${desc}"` : ''}\n`).join('');
}

/** The fields `show info float` gives as floats, with the tags HAProxy gives them then. */
const FLOAT_TAGS: ReadonlyMap<string, string> = new Map([
  ['Uptime_sec', 'MDP'], ['Start_time_sec', 'MDP'],
  ...['ConnRate', 'SessRate', 'SslRate', 'SslFrontendKeyRate', 'SslFrontendSessionReuse_pct', 'SslBackendKeyRate', 'CompressBpsIn', 'CompressBpsOut'].map((n): [string, string] => [n, 'MRP']),
]);

/** HAProxy's float form: six decimals, trailing zeros and a trailing dot dropped ("0", "1.5", "0.845931"). */
function floatText(v: number): string {
  return v.toFixed(6).replace(/\.?0+$/, '');
}
