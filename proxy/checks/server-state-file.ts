/**
 * `server-state-file` / `load-server-state-from-file`: at start, each backend's servers take the
 * state a `show servers state` dump saved (HAProxy 2.6's src/server_state.c: apply_server_state,
 * srv_state_parse_line, srv_state_srv_update). Lines are matched by backend and server name; what a
 * line applies, and when, follows srv_state_srv_update:
 * - the operational state of a checked server (stopped: DOWN at health 0, "changed from
 *   server-state after a reload"; running: UP at full health; starting / stopping as HAProxy bounds them);
 * - the admin state: maintenance forced at run time, unless the configuration's `disabled`
 *   changed since (the configuration wins), and a `disabled` server the dump shows taken out of
 *   maintenance is taken out again; drain, unless the dump's configured weight was 0 and is not any more;
 * - the weight set at run time when the configured weight is the dump's;
 * - the time since the last change, and the port;
 * - `disable health` / `disable agent` (a check or agent configured in both whose saved state is not
 *   enabled stays disabled: it never runs), and the check's status and result until the first check;
 * - the address (srv_addr) as init-addr `last` at start: HAProxy's apply_server_state runs before
 *   srv_init_addr, so loadServerStateFiles reads the files before the tables' addresses are set;
 * - a line with an invalid field (srv_fqdn too) applies nothing, with HAProxy's warning; a check's
 *   or agent's saved address / port for one not enabled is "partially applied", as HAProxy says.
 * Not applied: an operational state for a server without a check (only its health, when running),
 * a check's or agent's saved address and port (checked, then the configured ones kept: Loadstar has no
 * `set server check-port`), an FQDN set with `set server fqdn` (HMAINT; Loadstar has no such command),
 * SRV records (srvrecord), and srv_use_ssl.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { isIP } from 'node:net';
import type { BalancingProxy, Config, Proxy } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import type { ServerCheck } from './checker.ts';
import { proxyId } from './index.ts';

/** SRV_ADMF_* (server-t.h). */
const FMAINT = 0x01, IMAINT = 0x02, CMAINT = 0x04, FDRAIN = 0x08, IDRAIN = 0x10, RMAINT = 0x20, HMAINT = 0x40;
const ADMIN_ACCEPTED = new Set([0, FMAINT, CMAINT, CMAINT | FMAINT, CMAINT | FDRAIN, FDRAIN]);
/** CHK_ST_* bits a check or agent state may carry. */
const CHECK_STATE_BITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x10;
/** SRV_STATE_FILE_MIN/MAX_FIELDS_VERSION_1. */
const MIN_FIELDS = 20, MAX_FIELDS = 25;
/** SRV_STATE_LINE_MAXLEN. */
const LINE_MAX = 2000;

/** One server's line: its fields after be_id be_name srv_id srv_name. */
interface StateLine {
  beId: string;
  beName: string;
  srvName: string;
  params: string[];
}

/** What the engine does with the state once the statistics are attached: the time of each server's last change. */
export interface AppliedServerState {
  lastChanges: Array<{ server: RuntimeServer; at: number }>;
}

/** HAProxy's srv_state_get_filepath: an absolute name as it is, else under `server-state-base` when set. */
export function serverStatePath(config: Config, name: string): string {
  const base = config.global.serverStateBase;
  if (name.startsWith('/') || base === undefined) return name;
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

/** strtol as srv_state_srv_update checks it: digits first (after an optional sign), else undefined. */
function strtol(text: string): number | undefined {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** A file's lines (version line first), or the reason it cannot be used; `where` names it in HAProxy's warnings. */
async function readStateFile(file: string): Promise<{ lines: string[] } | { error: string }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message };
  }
  return { lines: text.split(/(?<=\n)/) };
}

/** srv_state_get_version: the first line is exactly a number, 1 for now. */
function version(first: string | undefined): number {
  if (first === undefined) return 0;
  const m = /^(\d+)\n$/.exec(first);
  return m && Number(m[1]) === 1 ? 1 : 0;
}

/** srv_state_parse_line: 1 a server line (in `out`), 0 a line to skip, -1 a corrupted line. */
function parseLine(line: string, out: { fields?: string[] }): number {
  if (line.length === 0 || !line.endsWith('\n') || line.length >= LINE_MAX) return -1;
  const body = line.slice(0, -1).replace(/^[ \t]+/, '');
  if (body === '' || body.startsWith('#')) return 0;
  const fields = body.split(/[ \t]+/).filter((f) => f !== '').slice(0, MAX_FIELDS + 1);
  if (fields.length < MIN_FIELDS || fields.length > MAX_FIELDS) return -1;
  out.fields = fields;
  return 1;
}

/**
 * Reads one file into `into` (key "backend server", the first line of a key wins), or warns why
 * not. `backend` given (a local file): lines of other backends are skipped, with HAProxy's warnings.
 * Returns false when the file gave nothing usable.
 */
async function load(file: string, into: Map<string, StateLine>, warn: (m: string) => void, label: { open: string; version: string; corrupted: string }, backend?: { name: string; id: number; log: (m: string) => void }): Promise<boolean> {
  const read = await readStateFile(file);
  if ('error' in read) {
    warn(label.open.replace('%e', read.error));
    return false;
  }
  if (version(read.lines[0]) === 0) {
    warn(label.version);
    return false;
  }
  for (let i = 1; i < read.lines.length; i++) {
    const out: { fields?: string[] } = {};
    const r = parseLine(read.lines[i]!, out);
    if (r === -1) {
      warn(label.corrupted.replace('%d', String(i)));
      into.clear();
      return false;
    }
    if (r === 0) continue;
    const f = out.fields!;
    const line: StateLine = { beId: f[0]!, beName: f[1]!, srvName: f[3]!, params: f.slice(4) };
    if (backend) {
      const idOk = (strtol(line.beId) ?? 0) === backend.id;
      const nameOk = line.beName === backend.name;
      if (!idOk && !nameOk) continue;
      if (!idOk) {
        warn(`Proxy '${backend.name}': backend ID mismatch: from server state file: '${line.beId}', from running config '${backend.id}'`);
        backend.log(`backend ID mismatch: from server state file: '${line.beId}', from running config '${backend.id}'`);
      } else if (!nameOk) {
        warn(`Proxy '${backend.name}': backend name mismatch: from server state file: '${line.beName}', from running config '${backend.name}'`);
        backend.log(`backend name mismatch: from server state file: '${line.beName}', from running config '${backend.name}'`);
        if (((strtol(line.params[11] ?? '') ?? 0) & 1) === 0) continue;
      }
    }
    const key = `${backend ? backend.name : line.beName} ${line.srvName}`;
    if (!into.has(key)) into.set(key, line);
  }
  return true;
}

export interface ServerStateHooks {
  /** HAProxy's ha_warning at start. */
  warn(message: string): void;
  /** A notice in the backend's log (send_log(px, LOG_NOTICE, …)). */
  log(backend: Proxy, message: string): void;
}

/** A server's line as srv_state_srv_update validated it: the errors that refuse it, or what it applies. */
type Checked = { errors: string } | { saved: SavedServer };

interface SavedServer {
  op: number;
  admin: number;
  uweight: number;
  iweight: number;
  since: number;
  checkStatus: number;
  checkResult: number;
  health: number;
  checkState: number;
  agentState: number;
  /** srv_addr: init-addr `last`'s address (an IP address only: str2ip2). */
  addr: string | undefined;
  port: number | undefined;
  /** srv_check_port / srv_check_addr, srv_agent_addr / srv_agent_port: undefined when 0 or '-'. */
  checkPort: string | undefined;
  checkAddr: string | undefined;
  agentAddr: string | undefined;
  agentPort: string | undefined;
}

/** The files read and each server's line checked, before the tables are prepared (init-addr reads srv_addr). */
export interface ServerStates {
  /** init-addr `last` at start: the address the server's line saved, when the line is valid (srv->lastaddr). */
  lastAddress(backend: string, server: string): string | undefined;
  /** Applies the lines once the checks are built, with HAProxy's warnings in server order. */
  apply(checks: readonly ServerCheck[]): AppliedServerState;
}

const NOTHING: ServerStates = { lastAddress: () => undefined, apply: () => ({ lastChanges: [] }) };

/**
 * Reads the server-state files for freshly built tables: HAProxy's apply_server_state runs before
 * srv_init_addr, whose `last` method takes the saved address, then the states apply before the
 * checks start and the statistics attach. A configuration without `load-server-state-from-file
 * global|local` reads nothing.
 */
export async function loadServerStateFiles(config: Config, backends: ReadonlyMap<string, RuntimeBackend>, hooks: ServerStateHooks): Promise<ServerStates> {
  const users = config.proxies.filter((p): p is BalancingProxy => (p.kind === 'backend' || p.kind === 'listen') && !p.disabled && (p.loadServerStateFromFile === 'global' || p.loadServerStateFromFile === 'local'));
  if (users.length === 0) return NOTHING;
  let global: Map<string, StateLine> | undefined;
  if (config.global.serverStateFile !== undefined) {
    const file = serverStatePath(config, config.global.serverStateFile);
    global = new Map();
    const ok = await load(file, global, hooks.warn, {
      open: `config: Can't open global server state file '${file}': %e`,
      version: `config: Can't get version of the global server state file '${file}'.`,
      corrupted: `config: corrupted global server state file '${file}' at line %d.`,
    });
    if (!ok) global = undefined;
  }
  // Per server, its checked line; per backend, the lines that named no server (a local file's warnings).
  const lines = new Map<RuntimeServer, Checked>();
  const unmatched: Array<{ proxy: BalancingProxy; names: string[] }> = [];
  const order: Array<{ backend: RuntimeBackend; server: RuntimeServer }> = [];
  for (const proxy of users) {
    const backend = backends.get(proxy.name);
    if (!backend || backend.servers.length === 0) continue;
    let found: Map<string, StateLine> | undefined;
    if (proxy.loadServerStateFromFile === 'global') found = global;
    else {
      const file = serverStatePath(config, proxy.serverStateFileName ?? proxy.name);
      found = new Map();
      const ok = await load(file, found, hooks.warn, {
        open: `Proxy '${proxy.name}': Can't open server state file '${file}': %e.`,
        version: `Proxy '${proxy.name}': Can't get version of the server state file '${file}'.`,
        corrupted: `Proxy '${proxy.name}': corrupted server state file '${file}' at line %d.`,
      }, { name: proxy.name, id: proxyId(config, proxy), log: (m) => hooks.log(proxy, m) });
      if (!ok) continue;
    }
    if (!found) continue;
    for (const server of backend.servers) {
      const key = `${proxy.name} ${server.name}`;
      const line = found.get(key);
      if (!line) continue;
      found.delete(key);
      lines.set(server, checkLine(line.params));
      order.push({ backend, server });
    }
    if (proxy.loadServerStateFromFile === 'local') unmatched.push({ proxy, names: [...found.values()].map((l) => l.srvName) });
  }
  return {
    lastAddress: (backendName, serverName) => {
      const server = backends.get(backendName)?.server(serverName);
      const line = server && lines.get(server);
      return line && 'saved' in line ? line.saved.addr : undefined;
    },
    apply: (checks) => {
      const applied: AppliedServerState = { lastChanges: [] };
      const checkOf = new Map(checks.map((c) => [c.server, c]));
      const now = Date.now();
      for (const { backend, server } of order) {
        const line = lines.get(server)!;
        if ('errors' in line) {
          hooks.warn(`server-state application failed for server '${backend.name}/${server.name}'${line.errors}`);
          continue;
        }
        const partly = applyLine(backend, server, checkOf.get(server), line.saved);
        if (partly) hooks.warn(`server-state partially applied for server '${backend.name}/${server.name}', ${partly}`);
        applied.lastChanges.push({ server, at: now - line.saved.since * 1000 });
      }
      for (const { proxy, names } of unmatched) {
        for (const name of names) {
          hooks.warn(`Proxy '${proxy.name}': can't find server '${name}' in backend '${proxy.name}'`);
          hooks.log(proxy, `can't find server '${name}' in backend '${proxy.name}'`);
        }
      }
      return applied;
    },
  };
}

/** DNS_MAX_NAME_SIZE. */
const FQDN_MAX = 255;

/** The validation half of srv_state_srv_update: any error refuses the whole line. */
function checkLine(p: string[]): Checked {
  const errors: string[] = [];
  const num = (i: number, name: string, ok: (n: number) => boolean): number => {
    const n = strtol(p[i] ?? '');
    if (n === undefined || !ok(n)) errors.push(`, invalid ${name} value '${p[i] ?? ''}'`);
    return n ?? 0;
  };
  const op = num(1, 'srv_op_state', (n) => n >= 0 && n <= 3);
  const rawAdmin = strtol(p[2] ?? '');
  const admin = (rawAdmin ?? 0) & ~(IDRAIN | IMAINT | HMAINT | RMAINT);
  if (rawAdmin === undefined || !ADMIN_ACCEPTED.has(admin)) errors.push(`, invalid srv_admin_state value '${p[2] ?? ''}'`);
  const uweight = num(3, 'srv_uweight', (n) => n >= 0 && n <= 256);
  const iweight = num(4, 'srv_iweight', (n) => n >= 0 && n <= 256);
  const since = num(5, 'srv_last_time_change', () => true);
  const checkStatus = num(6, 'srv_check_status', (n) => n >= 0 && n < 21);
  const checkResult = num(7, 'srv_check_result', (n) => n >= 0 && n <= 4);
  const health = num(8, 'srv_check_health', () => true);
  const checkState = num(9, 'srv_check_state', (n) => (n & ~CHECK_STATE_BITS) === 0);
  const agentState = num(10, 'srv_agent_state', (n) => (n & ~CHECK_STATE_BITS) === 0);
  num(11, 'bk_f_forced_id', (n) => n === 0 || n === 1);
  num(12, 'srv_f_forced_id', (n) => n === 0 || n === 1);
  // srv_fqdn: '-' for none, else a name of letters, digits, '.', '_' and '-' (invalid_domainchar).
  const fqdn = p[13];
  if (fqdn !== undefined && !fqdn.startsWith('-') && (fqdn.length > FQDN_MAX || !/^[A-Za-z0-9._-]+$/.test(fqdn))) errors.push(`, invalid srv_fqdn value '${fqdn}'`);
  let port: number | undefined = strtol(p[14] ?? '') ?? 0;
  if (port > 0xffff) {
    errors.push(`, invalid srv_port value '${p[14]}'`);
    port = undefined;
  }
  if (errors.length > 0) return { errors: errors.join('') };
  const given = (v: string | undefined, none: string): string | undefined => v === undefined || v === none ? undefined : v;
  const addr = p[0];
  return {
    saved: {
      op, admin, uweight, iweight, since, checkStatus, checkResult, health, checkState, agentState,
      addr: addr !== undefined && isIP(addr) !== 0 ? addr : undefined, port,
      checkPort: given(p[17], '0'), checkAddr: given(p[18], '-'), agentAddr: given(p[19], '-'), agentPort: given(p[20], '0'),
    },
  };
}

/** CHK_ST_CONFIGURED, CHK_ST_ENABLED. */
const CONFIGURED = 0x02, ENABLED = 0x04;

/**
 * The applying half of srv_state_srv_update for one valid line; returns what HAProxy reports as
 * only partially applied (a check's or agent's address or port for one not enabled), else undefined.
 */
function applyLine(backend: RuntimeBackend, server: RuntimeServer, check: ServerCheck | undefined, saved: SavedServer): string | undefined {
  const active = check?.settings.active === true ? check : undefined;
  if (active) active.restoreOperational(saved.op, saved.health);
  // A server without a check of its own keeps the health a running state gives it (shown by show servers state).
  // (an agent-only server's ServerCheck keeps it, as `set server … health` changes it there).
  else if (saved.op === 2 || (saved.op === 1 && server.config.options.rise === 1)) {
    server.savedHealth = server.config.options.rise + server.config.options.fall - 1;
    if (check) check.state.health = server.savedHealth;
  }
  // Maintenance: the configuration's `disabled` (CMAINT) wins when it changed since the dump.
  const admin = saved.admin;
  const configMaint = server.config.options.disabled === true;
  if (((admin & CMAINT) !== 0) === configMaint) {
    if (admin & FMAINT && !configMaint) backend.setServerAdmin(server, 'MAINT');
    else if (!(admin & FMAINT) && configMaint) backend.setServerAdmin(server, 'READY');
  }
  // Drain, unless it came from a configured weight of 0 that is not 0 any more.
  const maintNow = (check ? check.state.admin : server.admin) === 'MAINT';
  const configWeight = server.config.options.weight;
  if (!maintNow && admin & FDRAIN && (saved.iweight > 0 || configWeight === 0)) backend.setServerAdmin(server, 'DRAIN');
  // The check status and result, until this process's first check (an agent-only server's too, as HAProxy's srv->check).
  if (check) check.restoredStatus = { status: saved.checkStatus, result: saved.checkResult };
  // `disable health` / `disable agent` at run time: only that removal of CHK_ST_ENABLED is applied.
  if (active && (saved.checkState & CONFIGURED) !== 0 && (saved.checkState & ENABLED) === 0) active.disableHealth();
  if (check?.agent && (saved.agentState & CONFIGURED) !== 0 && (saved.agentState & ENABLED) === 0) check.disableAgent();
  // The weight set at run time, when the configured one is unchanged.
  if (saved.iweight === configWeight && server.weight !== saved.uweight) backend.setServerWeight(server, saved.uweight);
  const port = saved.port;
  if (port !== undefined && server.path === undefined && !server.addressless && port !== server.port) backend.moveServer(server, server.host, port);
  // The check's and the agent's address and port (srv_update_check_addr_port, srv_update_agent_addr_port):
  // refused for one not enabled; Loadstar keeps the configured ones (it has no set server check-port/agent-port).
  if (saved.checkAddr !== undefined || saved.checkPort !== undefined) {
    const refused = addrPortRefused(active?.healthEnabled === true, 'health', saved.checkAddr, saved.checkPort);
    if (refused) return refused;
  }
  if (saved.agentAddr !== undefined || saved.agentPort !== undefined) {
    const refused = addrPortRefused(check?.agent !== undefined && check.agentEnabled, 'agent', saved.agentAddr, saved.agentPort);
    if (refused) return refused;
  }
  return undefined;
}

/** Why HAProxy refuses a saved check or agent address / port, undefined when it takes it. */
function addrPortRefused(enabled: boolean, which: 'health' | 'agent', addr: string | undefined, port: string | undefined): string | undefined {
  if (!enabled) return `${which} checks are not enabled on this server`;
  if (addr !== undefined && isIP(addr) === 0) return `invalid addr '${addr}'`;
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) return 'provided port is not an integer';
    if (Number(port) > 65535) return 'provided port is invalid';
  }
  return undefined;
}
