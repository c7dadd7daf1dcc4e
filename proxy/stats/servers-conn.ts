/**
 * `show servers conn [<backend>]` (proxy.c dump_servers_state with show_conn): per server, its
 * connections to the server as HAProxy 2.6 counts them — in use now and at most in this period,
 * the estimate of what it needs, its idle ones (unsafe: served one request; safe: more) — one
 * idle column per thread (Loadstar runs one).
 */
import type { RuntimeServer } from '../runtime/server.ts';
import type { StatsTables } from './registry.ts';
import { proxyIds } from './rows.ts';

/** What Loadstar's server pools do whatever the configuration says (pool-purge-delay, pool-max-conn have no effect). */
const PURGE_DELAY_MS = 5000;
const IDLE_LIMIT = -1;
const THREADS = 1;

const HEADER = `# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[${THREADS}]\n`;

/** The dump, or undefined when `backendName` names no backend. */
export function serversConn(tables: StatsTables, backendName: string | undefined): string | undefined {
  const ids = proxyIds(tables);
  const backends = [...tables.backends.values()].filter((b) => backendName === undefined || b.name === backendName);
  if (backendName !== undefined && backends.length === 0) return undefined;
  let out = HEADER;
  for (const b of backends) for (const s of b.servers) out += `${b.name}/${s.name} ${ids.get(b.name) ?? 0}/${s.id} ${serverLine(s)}\n`;
  return out;
}

function serverLine(server: RuntimeServer): string {
  const pool = server.connections;
  // A TCP server has no pool: its sessions are its connections in use (as `show stat` counts them).
  const used = pool ? pool.used : server.served;
  const checked = server.stats.checkRuns > 0 ? 1 : 0;
  const needed = Math.max(pool ? pool.neededEstimate : Math.min(server.stats.smax, 1), checked);
  const unsafe = pool ? pool.idleCount : 0;
  const safe = pool ? pool.safeCount : 0;
  // As `show servers state` prints it (servers-state.ts).
  const address = server.path === undefined && !server.addressless ? server.host : '-';
  return `${address} ${server.port >>> 0} - ${PURGE_DELAY_MS} ${used} ${pool ? pool.peakUsed : needed} ${needed} ${unsafe} ${safe} ${IDLE_LIMIT} ${unsafe + safe} ${unsafe + safe}`;
}
