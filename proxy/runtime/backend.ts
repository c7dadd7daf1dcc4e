/**
 * A backend as the engine runs it: its servers, the balancer, and HAProxy's
 * queueing rules. A request takes a connection slot before it is sent; when a
 * server is at maxconn the request waits in the server's queue (hash-based
 * choice) or the backend's queue (any server will do) until a slot frees or
 * `timeout queue` expires (then 503), as HAProxy's queue.c does.
 */
import type { Balance, BalancingProxy, Server } from '../config/model.ts';
import type { ServerTls } from '../tls/server-tls.ts';
import { createBalancer, assignServerIds, effectiveBalance } from '../balance/index.ts';
import type { Balancer, BalancerOptions, LbRequest } from '../balance/index.ts';
import { compileSample, parseSampleExpression } from '../acl/index.ts';
import { patternFileReader } from './pattern-files.ts';
import { trackerUsable } from './track.ts';
import { RuntimeServer } from './server.ts';
import type { ServerAdmin, SlotWaiter, DnsAdminCause } from './server.ts';
import { ConnectRetryPlan } from './retry.ts';
import { tcpKeepAlive } from '../config/kw-tcpka.ts';
import type { RetryContext } from './retry.ts';
import { StatCounters, slotTaken, queued, sessionStarted, balancerPicked } from './counters.ts';
import { dynamicCookie } from './dynamic-cookie.ts';
import { dynamicMaxconn } from './fullconn.ts';

/**
 * `balance hash <expr>` compiled once (validate.ts checked it): the value for a request that
 * carries a sample context (HTTP transaction, TCP session), else none (round robin).
 */
function compileHashSample(config: BalancingProxy): BalancerOptions['hashSample'] {
  const text = config.balance.expression ?? '';
  const parsed = parseSampleExpression(text);
  if ('error' in parsed) throw new Error(`'balance hash ${text}': ${parsed.error}`);
  const evaluate = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: config.name });
  return (request) => {
    const ctx = request.sampleContext?.();
    if (ctx === undefined) return undefined;
    // A fetch or converter that fails finds nothing, as a failed sample does in HAProxy: round robin.
    try {
      return evaluate(ctx);
    } catch {
      return undefined;
    }
  };
}

export type SlotResult =
  | { server: RuntimeServer }
  /** 503: no usable server, or the queue is full / timed out. */
  | { error: 'no-server' | 'queue-full' | 'queue-timeout' };

/**
 * %sq / %bq of a request that queued (HAProxy's logs.srv_queue_pos / prx_queue_pos): per queue it
 * waited in, 1 + the requests that queue handed a slot to while it waited; summed over the queues
 * of a redispatch. Made only for a request that queues.
 */
export interface QueuePositions {
  server: number;
  backend: number;
}

/**
 * A request's queue priority (`set-priority-class`, `set-priority-offset`): the class, -2047..2047,
 * lower served first; the offset in ms, -524287..524287, added to the time it queued.
 */
export interface QueuePriority {
  class: number;
  offset: number;
}

/**
 * A set-priority-class / set-priority-offset action's value, bounded as HAProxy bounds it
 * (queue_limit_class, queue_limit_offset, after its cast to int), written into `priority`.
 */
export function setQueuePriority(priority: QueuePriority, kind: 'set-priority-class' | 'set-priority-offset', value: number): void {
  const n = value | 0; // the 64-bit sample as a C int
  if (kind === 'set-priority-class') priority.class = Math.max(-0x7ff, Math.min(0x7ff, n));
  else priority.offset = Math.max(-0x7ffff, Math.min(0x7ffff, n));
}

/** Called once with the slot (or the error); `queued` when the request waited in a queue. */
export type SlotCallback = (result: SlotResult, queued?: QueuePositions) => void;
/** Gives up waiting for a slot: the queue positions so far when the request had queued, else undefined. */
export type CancelSlot = () => QueuePositions | undefined;

export class RuntimeBackend {
  readonly name: string;
  readonly mode: 'http' | 'tcp';
  readonly servers: RuntimeServer[];
  readonly balancer: Balancer;
  /** Requests waiting for any server of this backend. */
  readonly queue: SlotWaiter[] = [];
  /** Requests its queue handed a slot so far (HAProxy's queue idx): %bq counts from it. */
  queueIdx = 0;
  readonly retries: number;
  readonly redispatch: boolean;
  /** What follows a failed connection (retries, redispatch interval, pause), for HTTP and TCP alike. */
  readonly retryPlan: ConnectRetryPlan;
  /** `option persist`: requests bound to a server stay with it even when it goes down. */
  private readonly persist: boolean;
  /** ms */
  readonly queueTimeout: number;
  /** `option srvtcpka` (or `tcpka`): keep-alive idle time of server connections in ms (0: the system's); undefined: off. */
  readonly serverKeepAlive: number | undefined;
  /** Statistics (proxy/stats); the engine gives it the counters kept across reloads. */
  stats = new StatCounters();
  /** `cookie … dynamic`, or the runtime API's `enable/disable dynamic-cookie backend` (HAProxy's PR_CK_DYNAMIC). */
  private dynamicCookies: boolean;
  /** `dynamic-cookie-key`, or the runtime API's `set dynamic-cookie-key backend`. */
  private dynamicCookieKey: string | undefined;

  /**
   * `fullconn`, given or derived from the frontends' maxconn (runtime/fullconn.ts); undefined when
   * it cannot be derived (no maxconn anywhere): servers with `minconn` then use their maxconn.
   */
  readonly fullconn: number | undefined;
  /**
   * 1 while a request is being placed, or while the slot of one that ended is handed on:
   * HAProxy's beconn counts both then (a stream leaves beconn after its slot went to the queue).
   */
  private beconnExtra = 0;
  /** Some server has a dynamic limit (minconn): only then does placing a request count it in beconn. */
  private dynamicLimits = false;

  /**
   * `dispatch <address>` (only without `balance`): every request no server is forced for goes there,
   * with no balancing, limit or queue (HAProxy's PR_O_DISPATCH: the stream's target is the backend).
   * Not among `servers`: statistics and the log see no server. Undefined without one.
   */
  readonly dispatch: RuntimeServer | undefined;
  /** The balancing it runs: the configured one, but round robin for a layer-7 hash in TCP mode (effectiveBalance). */
  readonly balance: Balance;

  constructor(readonly config: BalancingProxy, fullconn?: number) {
    this.name = config.name;
    this.mode = config.mode;
    this.dispatch = config.dispatch && new RuntimeServer(config.dispatch, 0, config.source, true);
    this.balance = effectiveBalance(config.mode, config.balance);
    const ids = assignServerIds(config.servers.map((s) => s.options.id));
    this.servers = config.servers.map((s, i) => new RuntimeServer(s, ids[i]!, config.source));
    this.balancer = createBalancer(this.servers, {
      balance: this.balance,
      hashType: config.hashType,
      allBackups: config.options['allbackups']?.enabled ?? false,
      hashBalanceFactor: config.hashBalanceFactor,
      hashSample: config.balance.algorithm === 'hash' ? compileHashSample(config) : undefined,
    });
    this.retryPlan = new ConnectRetryPlan(config);
    this.serverKeepAlive = tcpKeepAlive(config, 'server');
    this.retries = this.retryPlan.retries;
    this.redispatch = this.retryPlan.redispatch;
    this.persist = config.options['persist']?.enabled ?? false;
    // Provisioning gives `timeout queue` the connect timeout when unset; neither set: no limit.
    this.queueTimeout = config.timeouts.queue ?? 0;
    this.dynamicCookies = config.cookie?.dynamic ?? false;
    this.dynamicCookieKey = config.dynamicCookieKey;
    for (const server of this.servers) this.applyDynamicCookie(server);
    this.fullconn = fullconn;
    if (fullconn !== undefined) {
      for (const server of this.servers) {
        const minconn = server.config.options.minconn;
        if (minconn === undefined || minconn >= server.maxconn) continue;
        server.dynamicMaxconn = () => dynamicMaxconn(minconn, server.maxconn, this.beconn(), fullconn);
        this.dynamicLimits = true;
      }
    }
    const backupsEnded = this.servers.some((s) => !s.backup && s.config.options.onMarkedUp !== undefined);
    for (const server of this.servers) {
      if (server.config.options.onMarkedDown !== undefined || (backupsEnded && server.backup)) server.sessions = new Set();
    }
  }

  /** HAProxy's beconn: requests holding a slot or queued on this backend, with the one arriving. */
  private beconn(): number {
    let n = this.stats.scur + this.queue.length + this.beconnExtra;
    for (const server of this.servers) n += server.queued;
    return n;
  }

  server(name: string): RuntimeServer | undefined {
    return this.servers.find((s) => s.name === name);
  }

  /**
   * The runtime API's `add server` (HAProxy 2.6's cli_parse_add_server): a server the configuration
   * does not have, placed after the others with its `id`, else the first id no server of the
   * backend holds (get_next_id). It starts in maintenance (SRV_ADMF_FMAINT), unless `ready` (an
   * `enabled` keyword): then the balancer takes it at once. The caller checked the balancing
   * algorithm allows it (allowsDynamicServers), the name is free and the `track` target exists.
   */
  addServer(config: Server, ready: boolean, tracked?: { server: RuntimeServer; backend: RuntimeBackend }, tls?: ServerTls): RuntimeServer {
    let id = config.options.id;
    if (id === undefined) {
      const used = new Set(this.servers.map((s) => s.id));
      for (id = 1; used.has(id); id++);
    }
    const server = new RuntimeServer(config, id, this.config.source);
    server.statWeight = 1;
    server.tls = tls;
    // Even `enabled` (ready), it takes no traffic yet: haproxy 2.6.12 shows it UP but neither places it
    // in the lookup trees nor counts it among the backend's servers until it leaves a maintenance.
    server.usable = false;
    if (!ready) {
      server.admin = 'MAINT';
      server.maintSeen = true;
    }
    const minconn = config.options.minconn;
    if (this.fullconn !== undefined && minconn !== undefined && minconn < server.maxconn) {
      const fullconn = this.fullconn;
      server.dynamicMaxconn = () => dynamicMaxconn(minconn, server.maxconn, this.beconn(), fullconn);
      this.dynamicLimits = true;
    }
    if (config.options.onMarkedDown !== undefined || (server.backup && this.servers.some((s) => !s.backup && s.config.options.onMarkedUp !== undefined))) server.sessions = new Set();
    if (tracked) {
      server.track = { server: tracked.server, backend: tracked.backend.name };
      tracked.server.pinned = true;
      tracked.server.trackers.unshift({ server, backend: this, inheritedMaint: false });
    }
    this.servers.push(server);
    // Its consistent-hash points derive from the id it had before being numbered: its `id`, else 0.
    this.balancer.add!(server, config.options.id ?? 0);
    return server;
  }

  /**
   * The runtime API's `del server` (cli_parse_delete_server): the caller checked the server is in
   * maintenance, serves nothing, queues nothing and is tracked by none. It leaves the balancer,
   * the server it tracked and the list; its idle connections close.
   */
  removeServer(server: RuntimeServer): void {
    const at = this.servers.indexOf(server);
    if (at < 0) return;
    this.balancer.remove!(server);
    this.servers.splice(at, 1);
    const tracked = server.track?.server;
    if (tracked) {
      const i = tracked.trackers.findIndex((t) => t.server === server);
      if (i >= 0) tracked.trackers.splice(i, 1);
    }
    this.serverRemoved?.(server);
  }

  /** Set by the HTTP engine: forgets what it kept for a server `del server` removed (its connection pool). */
  serverRemoved: ((server: RuntimeServer) => void) | undefined;

  /** What the retry plan weighs after a failed connection to `server` (proxy/runtime/retry.ts). */
  retryContext(server: RuntimeServer, direct: boolean, forcePersist: boolean): RetryContext {
    let activeServers = 0;
    for (const s of this.servers) if (!s.backup && s.usable && s.weight > 0) activeServers++;
    return { serverStopped: serverStopped(server), direct, activeServers, forcePersist };
  }

  /** True when some server could take traffic (up, weight > 0), even if all are busy. */
  get hasUsableServer(): boolean {
    return this.servers.some((s) => s.usable && s.weight > 0);
  }

  /**
   * Takes a connection slot for a request, now or once one frees up.
   * `done` is called exactly once; `avoid` is the server that just failed (redispatch).
   * `forced` is a server chosen without the balancer (a persistence cookie): the
   * request waits in that server's queue when it is at maxconn.
   * `forcePersist`: a force-persist rule held (HAProxy's SF_FORCE_PRST): the request is never
   * redispatched, neither when its server's queue is full nor when that server goes down.
   */
  acquire(request: LbRequest, done: SlotCallback, avoid?: RuntimeServer, forced?: RuntimeServer, priority?: QueuePriority, forcePersist = false): CancelSlot {
    let cancel: CancelSlot = noop;
    const attempt = (deadline: number | undefined, exclude?: RuntimeServer, target?: RuntimeServer, positions?: QueuePositions): void => {
      cancel = this.tryAcquire(request, done, exclude, deadline, (remaining, from, p) => attempt(remaining, from, undefined, p), target, positions, priority, forcePersist);
    };
    attempt(undefined, avoid, forced);
    return () => cancel();
  }

  /** One assignment attempt; `again` re-balances a request waiting on a server that went down. */
  private tryAcquire(request: LbRequest, done: SlotCallback, avoid: RuntimeServer | undefined, deadline: number | undefined, again: (deadline: number | undefined, from: RuntimeServer, positions: QueuePositions) => void, forced?: RuntimeServer, positions?: QueuePositions, priority?: QueuePriority, forcePersist = false): CancelSlot {
    // `dispatch`: no algorithm, the dispatch address takes whatever no rule bound to a server (HAProxy's assign_server).
    if (this.dispatch && !forced) {
      this.dispatch.served++;
      sessionStarted(this.stats, Date.now());
      done({ server: this.dispatch }, positions);
      return noop;
    }
    // HAProxy: a persistent request whose server's queue is full is balanced with `option redispatch`, else 503
    // (always 503 when a force-persist rule held: srv_redispatch_connect's SRV_STATUS_FULL).
    if (forced && forced.maxqueue > 0 && forced.queue.length >= forced.maxqueue && forced.full && this.redispatch && !forcePersist) {
      return this.tryAcquire(request, done, forced, deadline, again, undefined, positions, priority);
    }
    // HAProxy: with round-robin-like algorithms, newcomers queue behind those already waiting.
    const queueFirst = !forced && this.balancer.queueShortcut && this.queue.length > 0 && this.servers.some((s) => s.served > 0);
    if (this.dynamicLimits) this.beconnExtra = 1;
    const server = forced ?? (queueFirst ? undefined : this.balancer.pick(request, avoid) as RuntimeServer | undefined);
    if (server !== undefined && forced === undefined && server !== avoid) balancerPicked(this.stats, server);
    const room = server !== undefined && !server.full;
    this.beconnExtra = 0;
    if (server && room && server.queue.length === 0) {
      this.take(server);
      done({ server }, positions);
      return noop;
    }
    if (!server && !this.hasUsableServer) {
      done({ error: 'no-server' }, positions);
      return noop;
    }
    // Wait: on the picked server when the algorithm insists on it, else for any server.
    const queue = server ? server.queue : this.queue;
    if (server && server.maxqueue > 0 && server.queue.length >= server.maxqueue) {
      done({ error: 'queue-full' }, positions);
      return noop;
    }
    const pos = positions ?? { server: 0, backend: 0 };
    // HAProxy's pendconn_unlink: the position is 1 + the slots this queue handed out meanwhile.
    const left = (counted = false): void => {
      const n = (server ? server.queueIdx : this.queueIdx) - waiter.idx + (counted ? 0 : 1);
      if (server) pos.server += n;
      else pos.backend += n;
    };
    // `timeout queue` runs from the first time the request queued, also after a redispatch.
    const expires = deadline ?? (this.queueTimeout > 0 ? Date.now() + this.queueTimeout : undefined);
    const now = Date.now();
    const waiter: SlotWaiter = {
      enqueuedAt: now,
      prioClass: priority?.class ?? 0,
      prioTime: now + (priority?.offset ?? 0),
      idx: server ? server.queueIdx : this.queueIdx,
      cancelled: false,
      grant: (s, counted) => {
        clearTimeout(timer);
        left(counted);
        done({ server: s }, pos);
      },
      // A force-persisted request has none: it stays in its server's queue when that server goes down (pendconn_redistribute).
      ...(server && !forcePersist ? {
        redispatch: () => {
          clearTimeout(timer);
          waiter.cancelled = true;
          left();
          again(expires, server, pos);
        },
      } : {}),
    };
    enqueue(queue, waiter);
    if (server) server.queued++;
    queued(this.stats, server, queue.length);
    const timer = expires !== undefined
      ? setTimeout(() => {
        remove(queue, waiter);
        if (server) server.queued--;
        left();
        done({ error: 'queue-timeout' }, pos);
      }, Math.max(0, expires - Date.now()))
      : undefined;
    return () => {
      if (waiter.cancelled) return undefined;
      waiter.cancelled = true;
      clearTimeout(timer);
      if (remove(queue, waiter) && server) server.queued--;
      // An abandoned request is logged with its position too (pendconn_unlink).
      left();
      return pos;
    };
  }

  /** Gives a slot back and hands it to the next waiter (server queue first, then the backend's). */
  release(server: RuntimeServer): void {
    server.served--;
    this.stats.scur--;
    if (server.dispatch) return;
    this.balancer.released(server);
    // A static limit frees one slot per release; a dynamic one (minconn) may allow more now, and
    // HAProxy's process_srv_queue hands out slots while the server is below it.
    if (server.dynamicMaxconn === undefined) return this.handOnSlots(server);
    this.beconnExtra = 1;
    try {
      this.handOnSlots(server);
    } finally {
      this.beconnExtra = 0;
    }
  }

  private handOnSlots(server: RuntimeServer): void {
    do {
      if (server.full) return;
      // A server that is draining, NOLB, down or in maintenance still serves its own queue (requests
      // bound to it while it was up, or by force-persist), as HAProxy's process_srv_queue; the
      // backend's queue only when usable.
      // Each queue counts the slots it hands out here (HAProxy's pendconn_process_next_strm; not when a server comes back).
      // Of the two queues' first waiters, the one with the better key (HAProxy's pendconn_process_next_strm:
      // the lower class, then the earlier time; the server's on a tie).
      const own = server.queue[0];
      const shared = server.usable && server.weight > 0 ? this.queue[0] : undefined;
      let next: SlotWaiter | undefined;
      if (own && (!shared || !servedBefore(shared, own))) {
        next = server.queue.shift();
        server.queued--;
        server.queueIdx++;
      } else if (shared) {
        next = this.queue.shift();
        this.queueIdx++;
      }
      if (!next) return;
      this.take(server);
      next.grant(server, true);
    } while (server.dynamicMaxconn);
  }

  /**
   * A server came back (UP after checks, out of MAINT): it takes waiters from the
   * backend's queue up to its limit, as HAProxy's pendconn_grab_from_px does.
   * Returns how many requests it took.
   */
  serverBecameUsable(server: RuntimeServer): number {
    this.balancer.update(server);
    let moved = 0;
    while (server.usable && server.weight > 0 && !server.full) {
      const next = this.queue.shift();
      if (!next) break;
      this.take(server);
      next.grant(server);
      moved++;
    }
    return moved;
  }

  /**
   * A server went DOWN / MAINT / NOLB: the balancer stops picking it. Requests
   * waiting in its own queue (hash-bound, persistent) are balanced again when `option
   * redispatch` is set (HAProxy 2.6's pendconn_redistribute; `option persist`
   * keeps them, and a force-persisted request always stays); otherwise they wait
   * for a slot of that server (handOnSlots) or for `timeout queue`.
   * Returns how many were requeued.
   */
  serverBecameUnusable(server: RuntimeServer): number {
    this.balancer.update(server);
    if (!this.redispatch || this.persist) return 0;
    const queue = server.queue;
    const moving = queue.filter((w) => w.redispatch !== undefined);
    if (moving.length === 0) return 0;
    const staying = queue.filter((w) => w.redispatch === undefined);
    queue.length = 0;
    queue.push(...staying);
    server.queued -= moving.length;
    for (const waiter of moving) waiter.redispatch!();
    return moving.length;
  }

  // ------------------------------------------------------------------ server state: the one writer

  /**
   * Sets whether the balancer may pick `server`, telling it, and moves queued work:
   * a returning server takes waiters, a leaving one gives its own back (redispatch).
   * `changed` runs after the write and before the queues move (slow start begins there).
   * Returns how many queued requests moved.
   */
  setServerUsable(server: RuntimeServer, usable: boolean, changed?: (usable: boolean) => void): number {
    const was = server.usable;
    server.usable = usable;
    // Before the early return: a draining server (already unusable) going DOWN ends its sessions too.
    if (!usable) this.shutdownSessionsIfStopped(server);
    if (usable === was) return 0;
    changed?.(usable);
    if (usable) this.shutdownBackupSessions(server);
    return usable ? this.serverBecameUsable(server) : this.serverBecameUnusable(server);
  }

  /** `on-marked-down shutdown-sessions`: a server DOWN or in maintenance ends its streams (logged 'D'), as HAProxy's srv_shutdown_streams. */
  private shutdownSessionsIfStopped(server: RuntimeServer): void {
    if (server.sessions === undefined || server.sessions.size === 0 || server.config.options.onMarkedDown === undefined) return;
    if (!stoppedAlongChain(server)) return;
    for (const session of [...server.sessions]) session.shutdown('D');
  }

  /**
   * `on-marked-up shutdown-backup-sessions`: an active server with a weight coming up ends the
   * streams of every backup server (logged 'U'), as HAProxy's srv_shutdown_backup_streams.
   */
  private shutdownBackupSessions(server: RuntimeServer): void {
    if (server.config.options.onMarkedUp === undefined || server.backup || server.weight === 0) return;
    for (const backup of this.servers) {
      if (!backup.backup || backup.sessions === undefined) continue;
      for (const session of [...backup.sessions]) session.shutdown('U');
    }
  }

  /**
   * Before these tables serve (a reload carrying a server's health over): set
   * without telling the balancer, which HealthChecks updates once for every
   * server afterwards.
   */
  carryServerAdmin(server: RuntimeServer, admin: ServerAdmin): void {
    server.admin = admin;
  }

  carryServerUsable(server: RuntimeServer, usable: boolean): void {
    server.usable = usable;
  }

  /**
   * Admin state ready / drain / maint (control contract, runtime API, stats page, agent).
   * DRAIN and MAINT take no new traffic; requests in flight finish. With a health check,
   * the check adjusts its health and logs the transition.
   */
  setServerAdmin(server: RuntimeServer, admin: ServerAdmin, dns?: DnsAdminCause): void {
    const from = server.admin;
    // Under DNS's maintenance an operator's state waits (HAProxy keeps its forced and resolution flags apart):
    // `maint` stays when DNS lets go, `ready`/`drain` takes that back; neither changes anything now.
    if (server.resolutionMaint !== undefined && dns === undefined) {
      server.maintForcedUnderDns = admin === 'MAINT';
      return;
    }
    if (from === admin) return;
    const fromLabel = server.status;
    server.admin = admin;
    server.statWeight = undefined;
    if (admin === 'MAINT') {
      server.maintSeen = true;
      this.shutdownSessionsIfStopped(server);
    }
    if (server.check) return server.check.adminChanged(from, fromLabel, dns);
    const was = server.usable;
    this.setServerUsable(server, trackerUsable(server));
    if (was === server.usable) this.balancer.update(server);
    if (server.trackers.length > 0) this.trackersFollow?.(server);
  }

  /**
   * Set by the health checks (proxy/checks/track.ts): the servers tracking
   * `server`, whose usability just changed, follow it and log the change.
   */
  trackersFollow: ((server: RuntimeServer) => void) | undefined;

  /**
   * DNS gave `server` a new address (undefined: it has none now). New connections go there;
   * idle kept-alive ones to the old address are left to expire (HAProxy does not close them either).
   */
  setServerAddress(server: RuntimeServer, address: string | undefined): void {
    if (address === undefined) server.addressless = true;
    else {
      server.host = address;
      server.addressless = false;
    }
    this.applyDynamicCookie(server);
  }

  /**
   * `set server <b>/<s> addr <ip> [port <port>]` (HAProxy's srv_update_addr_port): new connections
   * go to the new address and port, idle ones to the old are closed, and a maintenance DNS caused
   * ends (srv_clr_admin_flag RMAINT).
   */
  moveServer(server: RuntimeServer, address: string, port: number): void {
    this.setServerAddress(server, address);
    server.port = port;
    this.idleConnectionsStale?.(server);
    this.setServerResolutionMaint(server, undefined);
  }

  /** How many servers take traffic now (usable, weight above 0), active and backup, as HAProxy's state-change lines count them. */
  usableCounts(): { active: number; backup: number } {
    let active = 0;
    let backup = 0;
    for (const s of this.servers) {
      if (!s.usable || s.weight <= 0) continue;
      if (s.backup) backup++;
      else active++;
    }
    return { active, backup };
  }

  /** Set by the HTTP engine: closes the idle connections kept to `server` (its address changed under them). */
  idleConnectionsStale: ((server: RuntimeServer) => void) | undefined;

  /** An SRV record gave `server` a host name and a port (undefined and 0: it lost its record). */
  setServerTarget(server: RuntimeServer, fqdn: string | undefined, port: number): void {
    if (fqdn !== undefined && fqdn !== server.fqdn) server.fqdnSetByDns = true;
    server.fqdn = fqdn;
    server.port = port;
  }

  /**
   * DNS puts `server` in maintenance (`reason`) or, with undefined, ends the maintenance it
   * caused (HAProxy's SRV_ADMF_RMAINT): the server leaves and comes back as with `set server
   * … state maint|ready`, unless someone put it in maintenance meanwhile. Returns whether its
   * state changed.
   */
  setServerResolutionMaint(server: RuntimeServer, reason: string | undefined): boolean {
    const was = server.resolutionMaint;
    if (reason !== undefined) {
      if (was !== undefined) return false;
      server.resolutionMaint = reason;
      server.maintSeen = true;
      if (server.admin === 'MAINT') {
        // Already in maintenance by an operator: it stays so after DNS lets go.
        server.maintForcedUnderDns = true;
        return true;
      }
      this.setServerAdmin(server, 'MAINT', { reason });
      return true;
    }
    if (was === undefined) return false;
    server.resolutionMaint = undefined;
    const forced = server.maintForcedUnderDns;
    server.maintForcedUnderDns = false;
    if (server.admin === 'MAINT' && !forced) this.setServerAdmin(server, 'READY', { fqdn: server.fqdn ?? '' });
    return true;
  }

  /** A weight already checked (0..256); a server leaving weight 0 takes queued work. */
  setServerWeight(server: RuntimeServer, weight: number): void {
    const was = server.weight;
    server.weight = weight;
    server.statWeight = undefined;
    if (was === 0 && weight > 0 && server.usable) this.serverBecameUsable(server);
    else this.balancer.update(server);
  }

  /** `slowstart`: the fraction of the weight in effect, in sixteenths (undefined: all of it). */
  setServerWarmup(server: RuntimeServer, sixteenths: number | undefined): void {
    server.warmup = sixteenths;
    this.balancer.update(server);
  }

  /** A new connection limit (the agent's `maxconn:N`); a higher one lets the server take queued requests. */
  setServerMaxconn(server: RuntimeServer, maxconn: number): void {
    server.maxconn = maxconn;
    if (server.usable) this.serverBecameUsable(server);
  }

  /**
   * `enable dynamic-cookie backend` / `disable …`: servers without their own
   * `cookie` get the derived one, or lose it (HAProxy frees it), so that the
   * clients holding it are balanced again.
   */
  setDynamicCookies(enabled: boolean): void {
    this.dynamicCookies = enabled;
    for (const server of this.servers) {
      if (enabled) this.applyDynamicCookie(server);
      else if (server.config.options.cookie === undefined) server.cookie = undefined;
    }
  }

  /** `set dynamic-cookie-key backend`: the derived cookies change with the key (when dynamic cookies are on). */
  setDynamicCookieKey(key: string): void {
    this.dynamicCookieKey = key;
    for (const server of this.servers) this.applyDynamicCookie(server);
    const backupsEnded = this.servers.some((s) => !s.backup && s.config.options.onMarkedUp !== undefined);
    for (const server of this.servers) {
      if (server.config.options.onMarkedDown !== undefined || (backupsEnded && server.backup)) server.sessions = new Set();
    }
  }

  /**
   * HAProxy's srv_set_dyncookie: only for a server without its own `cookie`,
   * with dynamic cookies on and a key; a host name (not resolved here) keeps
   * what the server had.
   */
  private applyDynamicCookie(server: RuntimeServer): void {
    if (server.config.options.cookie !== undefined || !this.dynamicCookies || this.dynamicCookieKey === undefined) return;
    const value = dynamicCookie(this.dynamicCookieKey, server.host, server.port);
    if (value !== undefined) server.cookie = value;
  }

  private take(server: RuntimeServer): void {
    server.served++;
    server.total++;
    slotTaken(this.stats, server);
    this.balancer.taken(server);
  }
}

/** HAProxy's cur_state STOPPED: down by its checks, or in maintenance. DRAIN and NOLB servers still run. */
export function serverStopped(server: RuntimeServer): boolean {
  return server.admin === 'MAINT' || (server.check?.down ?? false);
}

/** Stopped itself, or a tracking server whose tracked chain is (its state follows the tracked one's). */
function stoppedAlongChain(server: RuntimeServer): boolean {
  for (let s: RuntimeServer | undefined = server; s; s = s.track?.server) if (serverStopped(s)) return true;
  return false;
}

/** Whether `a` is served before `b`: its class is lower, or the same with an earlier time (HAProxy's pendconn key). */
function servedBefore(a: SlotWaiter, b: SlotWaiter): boolean {
  return a.prioClass < b.prioClass || (a.prioClass === b.prioClass && a.prioTime < b.prioTime);
}

/** Puts `waiter` in the queue behind every waiter not served after it (at the end when none has a priority). */
function enqueue(queue: SlotWaiter[], waiter: SlotWaiter): void {
  let i = queue.length;
  while (i > 0 && servedBefore(waiter, queue[i - 1]!)) i--;
  if (i === queue.length) queue.push(waiter);
  else queue.splice(i, 0, waiter);
}

function remove<T>(list: T[], item: T): boolean {
  const i = list.indexOf(item);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function noop(): undefined {
  return undefined;
}

/**
 * A reload keeps the admin state (drain / maint set at runtime, from the UI say) of servers
 * without a health check, matched by backend and server name, unless the configuration now
 * says `disabled`, and a maintenance that came from `disabled` ends with it (HAProxy's server-state
 * file tells them apart the same way): as checked servers keep theirs (ServerCheck.adopt). Before, an apply from
 * the UI put a drained server without checks back into rotation. Call after the checks are
 * attached and before the new tables serve traffic.
 */
export function carryUncheckedAdmin(previous: ReadonlyMap<string, RuntimeBackend> | undefined, next: ReadonlyMap<string, RuntimeBackend>): void {
  if (!previous) return;
  for (const [name, backend] of next) {
    const before = previous.get(name);
    if (!before) continue;
    for (const server of backend.servers) {
      if (server.check || server.admin !== 'READY') continue;
      const old = before.server(server.name);
      // DNS's maintenance is the new resolvers' to decide (init-addr, then their answers). A server
      // `add server` made is not the one the file now declares under its name: nothing carries over.
      if (!old || old.config.dynamic || old.admin === 'READY' || maintFromConfig(old) || old.resolutionMaint !== undefined) continue;
      backend.carryServerAdmin(server, old.admin);
      backend.carryServerUsable(server, false);
      backend.balancer.update(server);
    }
  }
}

/** In maintenance because its configuration said `disabled` (not set at runtime): a reload without it ends it. */
export function maintFromConfig(server: RuntimeServer): boolean {
  return server.admin === 'MAINT' && server.config.options.disabled;
}
