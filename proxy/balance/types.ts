/**
 * The load-balancing interface (DESIGN.md §4/§6): HAProxy's `lb_ops` reduced to
 * what the engine needs. One file per algorithm, each exporting a
 * `BalancerFactory`; `index.ts` keys them by the `balance` keyword.
 *
 * The engine owns the `LbServer` objects and mutates their fields; a balancer
 * reads `served`, `queued`, `maxconn` and `maxqueue` live at pick time, and is
 * told about state and weight changes through `update()` (HAProxy's
 * `update_server_eweight`) and about connection accounting through
 * `taken()` / `released()` (HAProxy's `server_take_conn` / `server_drop_conn`).
 */
import type { Balance, HashType } from '../config/model.ts';
import type { Sample, SampleContext } from '../acl/index.ts';

/** The balancer's view of a server; the engine owns these objects and mutates the fields. */
export interface LbServer {
  readonly name: string;
  /**
   * HAProxy's puid: `id N`, else the first id not taken by an explicit one, counting
   * from the server's 1-based position (see `assignServerIds`). `first` orders by it
   * and the consistent-hash ring positions derive from it.
   */
  readonly id: number;
  readonly backup: boolean;
  /** User weight 0..256 (runtime-changeable). Weight 0 never gets traffic. */
  weight: number;
  /**
   * Slow start: the fraction of `weight` in effect, in sixteenths (1..16), as HAProxy
   * computes it (`slowstartSixteenths()`); undefined = 16 (full weight). Ignored by the
   * static (map-based) algorithms, as in HAProxy.
   */
  warmup?: number;
  /**
   * Can take new traffic: operational state UP (including "going down" while the
   * checks have not reached `fall` yet), admin state READY (not MAINT, not DRAIN),
   * not NOLB / soft-stopping.
   */
  usable: boolean;
  /** Connections currently being served (HAProxy's `served`). */
  served: number;
  /** The connection limit (`maxconn`); 0 = unlimited. */
  maxconn: number;
  /**
   * With `minconn` below maxconn, the limit in effect now (HAProxy's srv_dynamic_maxconn(), which
   * follows the backend's load); undefined: `maxconn` is the limit. See currentLimit().
   */
  dynamicMaxconn?: (() => number) | undefined;
  /** `maxqueue` (0 = unlimited); only leastconn reads it, as HAProxy does. */
  maxqueue?: number;
  /**
   * Requests waiting in this server's own queue. Changing it needs no call: like
   * HAProxy, leastconn reads it when the server is re-keyed on taken()/released().
   */
  queued: number;
}

/** What the hash-based algorithms look at. Strings are byte strings (one char per byte, as Node's parser delivers latin1). */
export interface LbRequest {
  /**
   * Client IP as a string: IPv4 dotted quad, or IPv6 (an IPv4-mapped `::ffff:a.b.c.d`
   * is hashed as IPv6, as HAProxy does for an AF_INET6 socket). Absent (unix socket,
   * applet): `source` falls back to round robin.
   */
  source?: string;
  /**
   * Request target as sent in the request line: path + query (`/a/b?x=1`), an
   * absolute URI, `*`, or an authority. Absent in TCP mode: uri / url_param fall
   * back to round robin.
   */
  uri?: string;
  /**
   * The value of the first field line with that (case-insensitive) name, or all of
   * them joined with ", " (Node's `IncomingMessage.headers`); the balancer uses the
   * first comma-separated element, trimmed, as HAProxy's `http_find_header()` does.
   */
  header?(name: string): string | undefined;
  /** Value of the RDP cookie named by `balance rdp-cookie(NAME)`; absent or empty = not found. */
  rdpCookie?: string;
  /**
   * What sample fetches read for this request (`balance hash <expr>`), built when asked;
   * absent where there is none (a preview): the expression finds nothing.
   */
  sampleContext?(): SampleContext;
}

export interface Balancer {
  /**
   * The server for a new request/connection, or undefined: no usable server, or
   * (non-hash algorithms, hash fallback, random) every candidate is full and the
   * caller queues the request in the backend. Hash algorithms return the hashed
   * server even if it is full (the caller queues on that server). When the active
   * servers are all down and `allBackups` is off, the first usable backup is
   * returned even if full (HAProxy does; the caller queues on it).
   * `avoid` is the previously tried server (redispatch after a failed connect): it
   * is returned only when nothing else is possible.
   */
  pick(request: LbRequest, avoid?: LbServer): LbServer | undefined;
  /** A server's `usable`, `weight` or `warmup` changed (the caller already mutated the LbServer). */
  update(server: LbServer): void;
  /** `served` went up by one (the caller incremented it before calling), including a request leaving a queue for this server. */
  taken(server: LbServer): void;
  /** `served` went down by one (the caller decremented it before calling). */
  released(server: LbServer): void;
  /**
   * HAProxy's `assign_server()` shortcut for `first`, `roundrobin` and `static-rr`:
   * while the backend queue is not empty (and not every backend connection is
   * queued) the algorithm is not consulted and the request is queued in the
   * backend. The caller applies it when this is true.
   */
  readonly queueShortcut: boolean;
  /** Effective weight of the servers taking traffic (HAProxy's `tot_weight`); 0 = no usable server. */
  readonly totalWeight: number;
  /**
   * A server added at run time (the runtime API's `add server`), not usable yet: update() brings it in.
   * Only the algorithms allowing dynamic servers take it (allowsDynamicServers()). `hashId`: the id
   * the consistent-hash ring places it by (default its id; HAProxy uses the one it had before being numbered).
   */
  add?(server: LbServer, hashId?: number): void;
  /** A server deleted at run time (`del server`), already out of rotation. */
  remove?(server: LbServer): void;
}

export interface BalancerOptions {
  balance: Balance;
  /** `hash-type`; default map-based sdbm, no avalanche (consistent alone implies sdbm avalanche). */
  hashType?: HashType;
  /** `option allbackups`. */
  allBackups: boolean;
  /** `hash-balance-factor` (0 or > 100): bounded loads for consistent hashing and random. */
  hashBalanceFactor?: number;
  /**
   * `balance hash <expr>`: the compiled expression's value for a request, undefined when it has
   * none (fetch or converter found nothing). Without it every pick falls back to round robin.
   */
  hashSample?: (request: LbRequest) => Sample | undefined;
}

/** `servers` must be in declaration order (the first usable backup is the first in this order). */
export type BalancerFactory = (servers: readonly LbServer[], options: BalancerOptions) => Balancer;
