/**
 * A server as the engine runs it: the balancer's view (LbServer fields), its
 * connection limit and queue, and the counters stats will read.
 */
import { isIP } from 'node:net';
import type { Server, Socks4Address, SourceAddress } from '../config/model.ts';
import type { LbServer } from '../balance/index.ts';
import { StatCounters } from './counters.ts';
import { trackerStatus } from './track.ts';
import type { Tracker } from './track.ts';
import { compileProxyHeader, type ProxyHeaderMaker } from './proxy-header-out.ts';
import type { ServerTls } from '../tls/server-tls.ts';

export type ServerAdmin = 'READY' | 'DRAIN' | 'MAINT';

/** An admin change DNS made (runtime/resolvers): why the server enters maintenance, or the host name that resolves again. */
export type DnsAdminCause = { reason: string } | { fqdn: string };

/**
 * What the running tables need of a server's active health check
 * (proxy/checks/checker.ts's ServerCheck implements it; readers that want its
 * history use checks' serverCheck()).
 */
export interface ServerHealth {
  /** HAProxy's status column for the server: UP, "UP 1/3", DOWN, NOLB, MAINT, DRAIN … */
  label(): string;
  /** Down by its checks (or its agent). */
  readonly down: boolean;
  /** Stopping (NOLB: disable-on-404, or forced by `set server … health stopping`): up, but takes no new traffic. */
  readonly stopping: boolean;
  /** Passive health from real traffic (`observe layer4|layer7`). */
  observe(layer: 'layer4' | 'layer7', ok: boolean, info: string): void;
  /**
   * The server's admin state just changed (RuntimeBackend.setServerAdmin): the
   * check adjusts its health, logs the transition and has `usable` set.
   */
  adminChanged(from: ServerAdmin, fromLabel: string, dns?: DnsAdminCause): void;
}

/** Called when a queued request gets a connection slot on `server`. */
export type SlotWaiter = {
  /** `counted`: the queue's idx already counts this hand-out. */
  grant: (server: RuntimeServer, counted?: boolean) => void;
  enqueuedAt: number;
  /**
   * Its place in a queue (HAProxy's pendconn key, queue.c MAKE_KEY): the priority class first
   * (lower first), then the time it queued plus its priority offset in ms (earlier first); equal
   * keys keep their order. Both 0-based on no priority: a queue is then first come, first served.
   */
  prioClass: number;
  prioTime: number;
  /** The queue's dequeue count when it queued (HAProxy's pendconn queue_idx + 1): its position for %sq / %bq. */
  idx: number;
  cancelled: boolean;
  /** Takes the request out of a server's queue and balances it again (the server went down). */
  redispatch?: () => void;
};

/**
 * A stream using a server (HAProxy's srv->streams): what `on-marked-down shutdown-sessions` and
 * `on-marked-up shutdown-backup-sessions` end. `why` is the termination's first letter: 'D' the
 * server went down, 'U' an active server came up, 'K' the runtime API's `shutdown sessions server`.
 */
export interface ServerSession {
  shutdown(why: ShutdownCause): void;
}

export type ShutdownCause = 'D' | 'U' | 'K';

/**
 * A server's connections as its HTTP pool keeps them, read by the statistics (srv_icur, idle_conn_cur,
 * safe_conn_cur, used_conn_cur, need_conn_est): HAProxy 2.6's idle and safe lists, curr_used_conns and est_need_conns.
 */
export interface ServerConnectionGauges {
  /** Idle connections that served one request (HAProxy's "idle" list). */
  readonly idleCount: number;
  /** Idle connections that served more (its "safe" list). */
  readonly safeCount: number;
  /** Connections connecting or serving a request now. */
  readonly used: number;
  /** The connections it estimates the server needs (the most in use at once lately). */
  readonly neededEstimate: number;
  /** The most in use at once in the current period (HAProxy's max_used_conns). */
  readonly peakUsed: number;
}

export class RuntimeServer implements LbServer {
  readonly name: string;
  readonly id: number;
  readonly backup: boolean;
  /**
   * The address connections go to: as written, or, for a server with `resolvers`, the one DNS
   * gave last (written only by RuntimeBackend.setServerAddress).
   */
  host: string;
  /** As written, or the port of the SRV record the server took (written only by RuntimeBackend.setServerTarget). */
  port: number;
  /**
   * `resolvers`: the host name resolved at run time (proxy/runtime/resolvers), else undefined; for a
   * server named by an SRV label, the target of the record it holds (undefined while it holds none).
   */
  fqdn: string | undefined;
  /** `resolvers` with an SRV label as the address (`_http._tcp.name`): the records of that name give the target. */
  readonly srvLabel: string | undefined;
  /** DNS set its host name (an SRV record): HAProxy's SRV_ADMF_HMAINT flag in `show servers state`. */
  fqdnSetByDns = false;
  /** A resolved server without an address (`init-addr none`, or DNS took it away): stats show none. */
  addressless = false;
  /**
   * Why DNS holds it in maintenance (HAProxy's SRV_ADMF_RMAINT): "No IP for server ", "DNS NX status" …;
   * undefined otherwise. Set and cleared by RuntimeBackend.setServerResolutionMaint.
   */
  resolutionMaint: string | undefined;
  /** An operator asked for maintenance while DNS held the server there: it stays in maintenance when DNS lets go. */
  maintForcedUnderDns = false;
  /**
   * It has been in maintenance: its own, DNS's, or inherited along its track chain. HAProxy zeroes its
   * check health then and only an enabled check restores it: `show servers state` shows a server
   * without a check of its own with health 0 since.
   */
  maintSeen = false;
  /**
   * The check health a server-state file gave a server without a check of its own (HAProxy's
   * srv_state_srv_update sets srv->check.health from the saved operational state for every server):
   * `show servers state` shows it instead of rise, until a maintenance zeroes it.
   */
  savedHealth: number | undefined = undefined;
  /** The UNIX socket of a `/path`, `unix@` or `abns@` server (net.connect's `path`; abstract ones start with NUL), else undefined. */
  readonly path: string | undefined;
  weight: number;
  usable: boolean;
  /** Slow start: fraction of the weight in effect, in sixteenths (set by proxy/checks). */
  warmup?: number;
  served = 0;
  maxconn: number;
  maxqueue: number;
  queued = 0;
  /** Requests waiting for a slot on this very server (hash algorithms, persistence). */
  readonly queue: SlotWaiter[] = [];
  /** Requests its queue handed a slot so far (HAProxy's queue idx): %sq counts from it. */
  queueIdx = 0;
  /** Total connections/requests sent to this server (HAProxy's stot; lbtot counts only the balancer's picks). */
  total = 0;
  /** Failed connection attempts (econ) and retries (wretr). */
  connectErrors = 0;
  retries = 0;
  /** Statistics (proxy/stats); the engine gives it the counters kept across reloads. */
  stats = new StatCounters();
  /** Its HTTP connection pool's gauges (proxy/http/upstream.ts ServerPool), undefined until it has one (TCP mode). */
  connections: ServerConnectionGauges | undefined = undefined;
  /** Active health check of a server with `check` (proxy/checks), else undefined. */
  check: ServerHealth | undefined;
  /**
   * Admin state (ready, drain, maint), the one copy: its health check reads it
   * from here. Written only through RuntimeBackend.setServerAdmin, as are
   * `usable`, `weight`, `warmup` and `maxconn` through its other setters.
   */
  admin: ServerAdmin = 'READY';
  /**
   * The persistence cookie value naming this server (`cookie` on its line, or
   * the dynamic one `cookie … dynamic` derives); undefined: none. Written only
   * by RuntimeBackend (its dynamic-cookie setters).
   */
  cookie: string | undefined;
  /** `track`: the server whose health this one follows, and its backend's name (runtime/track.ts linkTracks). */
  track: { server: RuntimeServer; backend: string } | undefined;
  /** The servers tracking this one. */
  readonly trackers: Tracker[] = [];
  /**
   * `del server` refuses it (HAProxy's SRV_F_NON_PURGEABLE): a server tracked it (it stays so once
   * that server is deleted) or a `use-server` rule names it.
   */
  pinned = false;
  /**
   * What `show stat`'s weight column shows instead of `weight` (undefined: the weight): a server `add
   * server` made shows 1 until its first admin or weight change, HAProxy's cur_eweight being computed
   * before its `weight` keyword is read. Written only by RuntimeBackend.
   */
  statWeight: number | undefined;
  /**
   * `ssl` on a server `add server` made: how its connections speak TLS (a configured server's are
   * in its frontends' tables, built per configuration load). Undefined otherwise.
   */
  tls: ServerTls | undefined;
  /**
   * The streams using it, kept only when a state change may end them (`on-marked-down`, or a
   * backup server of a backend with `on-marked-up`): undefined otherwise, and nothing is registered.
   */
  sessions: Set<ServerSession> | undefined;
  /** Status column as HAProxy shows it: UP, "UP 1/3", DOWN, "DOWN 1/2", NOLB, MAINT, DRAIN; "no check" without `check`; a tracked server's for a tracking one. */
  get status(): string {
    if (this.resolutionMaint !== undefined && this.admin === 'MAINT') return 'MAINT (resolution)';
    if (this.check) return this.check.label();
    if (this.track) return trackerStatus(this);
    return this.admin === 'READY' ? 'no check' : this.admin;
  }

  /** `source` (the server's, else the backend's): the local address and port its connections are bound to; undefined: any. */
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** The PROXY header its connections start with (`send-proxy`, `send-proxy-v2`); undefined without. */
  readonly proxyHeader: ProxyHeaderMaker | undefined;
  /** `socks4`: the SOCKS4 proxy its connections go through (runtime/socks4.ts); undefined: they connect directly. */
  readonly socks4: Socks4Address | undefined;

  /**
   * The address of a backend's `dispatch` line, not a server (RuntimeBackend.dispatch): it carries
   * the connections, and the log and statistics name no server for it (HAProxy's target is the backend).
   */
  readonly dispatch: boolean;

  constructor(readonly config: Server, id: number, backendSource?: SourceAddress, dispatch = false) {
    this.dispatch = dispatch;
    this.name = config.name;
    this.id = id;
    this.backup = config.options.backup;
    this.host = config.host;
    this.port = config.port;
    this.path = config.unix ? config.host : undefined;
    const resolved = config.options.resolvers !== undefined && !config.unix && isIP(config.host) === 0;
    this.srvLabel = resolved && config.host.startsWith('_') ? config.host : undefined;
    this.fqdn = resolved && this.srvLabel === undefined ? config.host : undefined;
    this.weight = config.options.weight;
    this.usable = !config.options.disabled;
    if (!this.usable) this.admin = 'MAINT';
    this.maxconn = config.options.maxconn;
    this.maxqueue = config.options.maxqueue;
    this.cookie = config.options.cookie;
    const source = config.options.source ?? backendSource;
    this.localAddress = source?.address;
    this.localPort = source?.port;
    this.proxyHeader = compileProxyHeader(config.options);
    this.socks4 = config.options.socks4;
    // A `dispatch` address is used as written, 0.0.0.0 included (HAProxy's alloc_dst_address copies it);
    // `option transparent`'s stand-in goes to the client's destination.
    const toDestination = dispatch && 'toDestination' in config && config.toDestination === true;
    this.anyAddress = !config.unix && (!dispatch || toDestination) && (config.host === '0.0.0.0' || config.host === '::');
    this.mapsPorts = !config.unix && (config.portIsOffset === true || config.port === 0);
    this.followsDestination = this.anyAddress || this.mapsPorts;
  }

  /**
   * A server written without an address (`0.0.0.0`, `::`) or without a port (none, 0, `+N`, `-N`):
   * its connections go where the client's went (target()), and HTTP keeps its idle connections
   * apart by destination.
   */
  readonly followsDestination: boolean;
  private readonly anyAddress: boolean;
  private readonly mapsPorts: boolean;

  /**
   * Where a connection for this client goes (HAProxy's assign_server_address): the server's own
   * address and port, except that a server without an address takes the address the client
   * connected to, and one without a port (SRV_F_MAPPORTS) the client's destination port plus its
   * offset. Both read the client connection as set-dst / set-dst-port rules left it.
   */
  target(client: { localAddress?: string; localPort?: number }): { host: string; port: number } {
    if (!this.followsDestination) return this;
    return {
      host: this.anyAddress ? client.localAddress ?? this.host : this.host,
      port: this.mapsPorts ? ((client.localPort ?? 0) + this.port) & 0xffff : this.port,
    };
  }

  /** Where it is reached, for people: `host:port`, a socket path, or `abns@name`. */
  get address(): string {
    if (this.path !== undefined) return this.path.startsWith('\0') ? `abns@${this.path.slice(1)}` : this.path;
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /**
   * The limit in effect now for a server whose `minconn` is below its maxconn (set by
   * RuntimeBackend: it follows the backend's load); undefined for a static maxconn.
   */
  dynamicMaxconn: (() => number) | undefined;

  get full(): boolean {
    return this.maxconn > 0 && this.served >= (this.dynamicMaxconn ? this.dynamicMaxconn() : this.maxconn);
  }
}
