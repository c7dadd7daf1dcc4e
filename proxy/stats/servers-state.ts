/**
 * `show servers state [<backend>]`: HAProxy's version-1 dump (a "1" line, the
 * "# be_id be_name …" header, one space-separated line per server), the
 * format `server-state-file` reads back.
 */
import { isIP } from 'node:net';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import type { CheckCode } from '../checks/types.ts';
import { outcomeOf } from '../checks/types.ts';
import type { StatsTables } from './registry.ts';
import { proxyIds } from './rows.ts';
import { trackerStopped } from '../runtime/track.ts';

export const SERVERS_STATE_HEADER = '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

/** HAProxy's HCHK_STATUS_* numbers (check-t.h). */
const CHECK_STATUS_NUMBER: Record<CheckCode, number> = {
  HANA: 4, SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11, L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17, PROCERR: 18, PROCTOUT: 19, PROCOK: 20,
};

/** SRV_ST_*: 0 stopped, 2 running, 3 stopping (NOLB). */
function opState(server: RuntimeServer): number {
  const check = server.check;
  if (server.resolutionMaint !== undefined) return 0;
  // A tracking server has no check: stopped while the server it tracks is (or in maintenance).
  if (!check) return server.admin === 'MAINT' || (server.track !== undefined && trackerStopped(server)) ? 0 : 2;
  if (check.state.op === 'DOWN') return 0;
  return check.state.op === 'NOLB' ? 3 : 2;
}

/** SRV_ADMF_*: 0x01 forced maintenance, 0x08 forced drain, 0x20 maintenance by DNS (resolution). */
function adminState(server: RuntimeServer): number {
  // 0x40: DNS gave it its host name (an SRV record), kept as HAProxy keeps SRV_ADMF_HMAINT.
  const fromDns = server.fqdnSetByDns ? 0x40 : 0;
  if (server.resolutionMaint !== undefined) return 0x20 | fromDns;
  const admin = server.check ? server.check.state.admin : server.admin;
  return (admin === 'MAINT' ? 1 : admin === 'DRAIN' ? 8 : 0) | fromDns;
}

function serverLine(beId: number, backend: RuntimeBackend, server: RuntimeServer, now: number): string {
  const check = server.check;
  const last = check?.results.last();
  const checkStatus = last ? CHECK_STATUS_NUMBER[last.code] : 1;
  const result = last ? { failed: 2, passed: 3, condpass: 4 }[outcomeOf(last)] : 0;
  // CHK_ST_CONFIGURED | CHK_ST_ENABLED, plus CHK_ST_PAUSED in maintenance.
  const checkState = check ? 6 | (check.state.admin === 'MAINT' ? 8 : 0) : 0;
  // Without a check HAProxy keeps the health it starts servers with: rise, 0 when `disabled`.
  const health = check ? check.state.health : server.config.options.disabled || server.resolutionMaintSeen ? 0 : server.config.options.rise;
  const since = Math.floor((now - server.stats.lastChange) / 1000);
  const initialWeight = server.config.options.weight;
  return [
    beId, backend.name, server.id, server.name, server.path === undefined && !server.addressless ? server.host : '-', opState(server), adminState(server), server.weight, initialWeight, since,
    checkStatus, result, health, checkState, 0, 0, server.config.options.id !== undefined ? 1 : 0, fqdnColumn(server), server.port >>> 0, server.srvLabel ?? '-', server.config.options.ssl ? 1 : 0, 0, '-', '-', 0,
  ].join(' ');
}

/** srv_fqdn: the host name resolved (by DNS at run time, else by the system), '-' for an address or a socket. */
function fqdnColumn(server: RuntimeServer): string {
  if (server.fqdn !== undefined) return server.fqdn;
  if (server.srvLabel !== undefined || server.path !== undefined || isIP(server.config.host) !== 0) return '-';
  return server.config.host;
}

/** The dump, or undefined when `backendName` names no backend. */
export function serversState(tables: StatsTables, backendName: string | undefined, now = Date.now()): string | undefined {
  const ids = proxyIds(tables);
  const backends = [...tables.backends.values()].filter((b) => backendName === undefined || b.name === backendName);
  if (backendName !== undefined && backends.length === 0) return undefined;
  let out = `1\n${SERVERS_STATE_HEADER}\n`;
  for (const b of backends) for (const s of b.servers) out += serverLine(ids.get(b.name) ?? 0, b, s, now) + '\n';
  return out;
}
