/**
 * `show servers state [<backend>]`: HAProxy's version-1 dump (a "1" line, the
 * "# be_id be_name …" header, one space-separated line per server), the
 * format `server-state-file` reads back.
 */
import { isIP } from 'node:net';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { CHECK_STATUS_NUMBER, outcomeOf } from '../checks/types.ts';
import type { StatsTables } from './registry.ts';
import { proxyIds } from './rows.ts';
import { trackerStopped, trackerStopping } from '../runtime/track.ts';
import { agentPort } from '../checks/settings.ts';

export const SERVERS_STATE_HEADER = '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

/** SRV_ST_*: 0 stopped, 1 starting (in its slowstart), 2 running, 3 stopping (NOLB). */
function opState(server: RuntimeServer): number {
  const check = server.check;
  if (server.resolutionMaint !== undefined) return 0;
  // A tracking server has no check: stopped while the server it tracks is (or in maintenance), stopping while it is.
  if (!check) {
    if (server.admin === 'MAINT' || (server.track !== undefined && trackerStopped(server))) return 0;
    return server.track !== undefined && trackerStopping(server) ? 3 : 2;
  }
  // Maintenance stops it (HAProxy's srv_update_status: SRV_ST_STOPPED), whatever its checks said.
  if (check.state.op === 'DOWN' || check.state.admin === 'MAINT') return 0;
  if (check.state.op === 'NOLB') return 3;
  // srv_set_running leaves a server with `slowstart` SRV_ST_STARTING until its weight is whole again.
  return server.warmup !== undefined ? 1 : 2;
}

/**
 * SRV_ADMF_*: 0x01 forced maintenance, 0x02 maintenance inherited along the track chain, 0x04 in
 * maintenance by the configuration (`disabled`: HAProxy never clears it, `set server … ready` leaves
 * 4), 0x08 forced drain, 0x10 drain inherited, 0x20 maintenance by DNS (resolution).
 */
function adminState(server: RuntimeServer): number {
  // 0x40: DNS gave it its host name (an SRV record), kept as HAProxy keeps SRV_ADMF_HMAINT.
  const fromDns = server.fqdnSetByDns ? 0x40 : 0;
  const configured = server.config.options.disabled ? 0x04 : 0;
  if (server.resolutionMaint !== undefined) return 0x20 | fromDns | configured;
  const admin = server.check ? server.check.state.admin : server.admin;
  return (admin === 'MAINT' ? 1 : admin === 'DRAIN' ? 8 : 0) | inherited(server) | fromDns | configured;
}

/** IMAINT / IDRAIN: a server along the chain `server` tracks is in maintenance, or drained. */
function inherited(server: RuntimeServer): number {
  let flags = 0;
  for (let s = server.track?.server; s; s = s.track?.server) {
    if (s.admin === 'MAINT') flags |= 0x02;
    else if (s.admin === 'DRAIN') flags |= 0x10;
  }
  return flags;
}

/** An IP address as HAProxy's dump_server_addr prints a check's or an agent's (`addr` may carry a port). */
function addressColumn(address: string | undefined): string {
  if (address === undefined) return '-';
  if (isIP(address) !== 0) return address;
  const bracketed = /^\[([^\]]+)\](?::\d*)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 && isIP(address.slice(0, colon)) === 4 ? address.slice(0, colon) : address;
}

function serverLine(beId: number, backend: RuntimeBackend, server: RuntimeServer, now: number): string {
  const o = server.config.options;
  // An agent-only server has a ServerCheck too (for its agent): its regular check is neither configured nor run.
  const check = server.check?.settings.active ? server.check : undefined;
  const last = check?.results.last();
  // Before the first result, what a server-state file saved (else HCHK_STATUS_INI, CHK_RES_UNKNOWN).
  const restored = check?.restoredStatus;
  const checkStatus = last ? CHECK_STATUS_NUMBER[last.code] : restored?.status ?? 1;
  const result = last ? { failed: 2, passed: 3, condpass: 4 }[outcomeOf(last)] : restored?.result ?? 0;
  // CHK_ST_CONFIGURED | CHK_ST_ENABLED (not once disabled), plus CHK_ST_PAUSED in maintenance; without
  // a check, PAUSED from a `disabled` (set when parsed, never cleared as no check is enabled).
  // CHK_ST_INPROGRESS (1) while a check runs.
  const checkState = check ? (check.healthEnabled ? 6 : 2) | (check.paused ? 8 : 0) | (check.inProgress ? 1 : 0) : o.disabled ? 8 : 0;
  // CHK_ST_CONFIGURED | CHK_ST_ENABLED | CHK_ST_AGENT (maintenance pauses the health check only), CHK_ST_INPROGRESS.
  const agentState = o.agentCheck && agentPort(server.config) !== undefined
    ? (server.check?.agentEnabled === false ? 0x12 : 0x16) | (server.check?.agent?.inProgress ? 1 : 0)
    : 0;
  // Without a check HAProxy keeps the health it starts servers with (rise, or what a state file gave), 0 once in maintenance;
  // an agent-only server's is kept by its ServerCheck (`set server … health` changes it).
  const health = server.check ? server.check.state.health : o.disabled || server.maintSeen ? 0 : server.savedHealth ?? o.rise;
  const since = Math.floor((now - server.stats.lastChange) / 1000);
  const initialWeight = o.weight;
  // The check's and the agent's port and address as configured: `port` and `addr` set both, agent-port and
  // agent-addr the agent's (HAProxy's srv_parse_check_port, srv_parse_addr); 0 and '-' when unset.
  const agentAddr = o.agentAddr ?? o.addr;
  return [
    beId, backend.name, server.id, server.name, server.path === undefined && !server.addressless ? server.host : '-', opState(server), adminState(server), server.weight, initialWeight, since,
    checkStatus, result, health, checkState, agentState, 0, o.id !== undefined ? 1 : 0, fqdnColumn(server), server.port >>> 0, server.srvLabel ?? '-', o.ssl ? 1 : 0,
    o.port ?? 0, addressColumn(o.addr), addressColumn(agentAddr), agentPort(server.config) ?? 0,
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
