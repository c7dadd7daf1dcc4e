/**
 * What every algorithm shares: HAProxy's weight constants, the per-server
 * committed state (cur_eweight / currently usable) and the backend counters
 * (`srv_act`, `srv_bck`, `fbck`, `tot_wact`, `tot_wbck`) that decide whether the
 * active servers, the first backup, or all backups take the traffic.
 */
import type { LbServer } from './types.ts';

/** include/haproxy/backend-t.h: effective weight = user weight × 16 for the dynamic algorithms. */
export const BE_WEIGHT_SCALE = 16;
/** include/haproxy/server-t.h */
export const SRV_UWGHT_RANGE = 256;
export const SRV_UWGHT_MAX = SRV_UWGHT_RANGE;
export const SRV_EWGHT_RANGE = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;
export const SRV_EWGHT_MAX = SRV_UWGHT_MAX * BE_WEIGHT_SCALE;

/** The balancer's private bookkeeping for one server. */
export interface SrvState {
  readonly srv: LbServer;
  /** Position in declaration order (servers added at run time come last; a removal renumbers those after it). */
  index: number;
  /** Committed effective weight (HAProxy's cur_eweight). */
  curEweight: number;
  /** Pending effective weight (next_eweight), valid during update(). */
  nextEweight: number;
  /** srv_currently_usable(): committed usable state with a non-zero weight. */
  curUsable: boolean;
  /** srv_willbe_usable(): the pending state during update(); equals curUsable otherwise. */
  nextUsable: boolean;
  /** Weight of the usable servers before this one in its group (for hash-balance-factor). */
  cumulativeWeight: number;
}

/** `full` test shared by roundrobin, static-rr, first and the consistent-hash round robin. */
export function saturated(s: LbServer): boolean {
  return s.maxconn !== 0 && (s.queued !== 0 || s.served >= currentLimit(s));
}

/** srv_dynamic_maxconn(): the limit in effect now (only `minconn` makes it differ from maxconn). */
export function currentLimit(s: LbServer): number {
  return s.dynamicMaxconn ? s.dynamicMaxconn() : s.maxconn;
}

/**
 * Base of every balancer: tracks which servers are usable and HAProxy's backend
 * counters. Subclasses implement the lb_ops callbacks (`onUp`, `onDown`,
 * `onWeight`, `reposition`) and `pick`.
 */
export abstract class LbCore<S extends SrvState> {
  protected readonly states: S[];
  protected readonly byServer = new Map<LbServer, S>();
  protected readonly allBackups: boolean;
  /** Usable active / backup servers. */
  protected srvAct = 0;
  protected srvBck = 0;
  /** Total effective weight of usable active / backup servers. */
  protected totWact = 0;
  protected totWbck = 0;
  /** First usable backup (declaration order) when `allbackups` is off. */
  protected fbck: S | null = null;
  /** Sum of `served` over this backend's servers (for hash-balance-factor). */
  protected beServed = 0;

  /** Makes the bookkeeping of one server (also for the servers the runtime API adds). */
  private readonly make: (srv: LbServer, index: number) => S;

  constructor(servers: readonly LbServer[], allBackups: boolean, make: (srv: LbServer, index: number) => S) {
    this.allBackups = allBackups;
    this.make = make;
    this.states = servers.map((srv, i) => {
      const st = make(srv, i);
      this.byServer.set(srv, st);
      this.beServed += srv.served;
      return st;
    });
  }

  /** HAProxy's effective weight for this server now (next_eweight). */
  protected abstract eweightOf(srv: LbServer): number;

  /** Called once the subclass is ready: commits every server's initial state (recount_servers). */
  protected commitAll(): void {
    for (const st of this.states) {
      st.nextEweight = st.curEweight = this.eweightOf(st.srv);
      st.nextUsable = st.curUsable = st.srv.usable && st.curEweight > 0;
    }
    this.recount();
  }

  /** recount_servers(): counters, first backup and cumulative weights from the committed state. */
  protected recount(): void {
    this.srvAct = this.srvBck = this.totWact = this.totWbck = 0;
    this.fbck = null;
    for (const st of this.states) {
      if (!st.curUsable) continue;
      if (st.srv.backup) {
        if (this.srvBck === 0 && !this.allBackups) this.fbck = st;
        this.srvBck++;
        st.cumulativeWeight = this.totWbck;
        this.totWbck += st.curEweight;
      } else {
        this.srvAct++;
        st.cumulativeWeight = this.totWact;
        this.totWact += st.curEweight;
      }
    }
  }

  /** update_backend_weight(): tot_weight. */
  get totalWeight(): number {
    if (this.srvAct) return this.totWact;
    if (this.fbck) return this.fbck.curEweight;
    return this.totWbck;
  }

  /** update_backend_weight(): tot_used. */
  protected get totUsed(): number {
    if (this.srvAct) return this.srvAct;
    if (this.fbck) return 1;
    return this.srvBck;
  }

  protected stateOf(server: LbServer): S {
    const st = this.byServer.get(server);
    if (!st) throw new Error(`server '${server.name}' is not part of this balancer`);
    return st;
  }

  /** srv_update_status() → update_server_eweight(): dispatches to onUp / onDown / onWeight, then commits. */
  update(server: LbServer): void {
    const st = this.stateOf(server);
    st.nextEweight = this.eweightOf(server);
    const willBe = server.usable && st.nextEweight > 0;
    const was = st.curUsable;
    if (willBe === was && st.nextEweight === st.curEweight) return; // !srv_lb_status_changed()
    st.nextUsable = willBe;
    if (!was && willBe) this.setUp(st);
    else if (was && !willBe) this.setDown(st);
    else if (was && willBe) this.onWeight(st);
    st.curEweight = st.nextEweight;
    st.curUsable = willBe;
  }

  /** The counters part of *_set_server_status_up(), then the algorithm's part. */
  private setUp(st: S): void {
    if (st.srv.backup) {
      this.totWbck += st.nextEweight;
      this.srvBck++;
      if (!this.allBackups && (this.fbck === null || st.index < this.fbck.index)) this.fbck = st;
    } else {
      this.totWact += st.nextEweight;
      this.srvAct++;
    }
    this.onUp(st);
  }

  /** The counters part of *_set_server_status_down(), then the algorithm's part. */
  private setDown(st: S): void {
    if (st.srv.backup) {
      this.totWbck -= st.curEweight;
      this.srvBck--;
      if (st === this.fbck) {
        let next: S | null = null;
        for (let i = st.index + 1; i < this.states.length; i++) {
          const s2 = this.states[i]!;
          if (s2.srv.backup && s2.curUsable) { next = s2; break; }
        }
        this.fbck = next;
      }
    } else {
      this.totWact -= st.curEweight;
      this.srvAct--;
    }
    this.onDown(st);
  }

  /** Weight change of a server that stays usable (the counters are adjusted here). */
  protected onWeight(st: S): void {
    if (st.srv.backup) this.totWbck += st.nextEweight - st.curEweight;
    else this.totWact += st.nextEweight - st.curEweight;
  }

  protected abstract onUp(st: S): void;
  protected abstract onDown(st: S): void;

  /**
   * A server added at run time (`add server`, HAProxy's srv_alloc_lb): placed after the others and
   * taken into account as not usable; the caller calls update() once it may take traffic.
   */
  add(server: LbServer, _hashId?: number): void {
    if (this.byServer.has(server)) throw new Error(`server '${server.name}' is already part of this balancer`);
    const st = this.make(server, this.states.length);
    this.states.push(st);
    this.byServer.set(server, st);
    this.beServed += server.served;
  }

  /** A server leaving at run time (`del server`): it must be out of rotation already (HAProxy deletes only servers in maintenance). */
  remove(server: LbServer): void {
    const st = this.stateOf(server);
    if (st.curUsable) throw new Error(`server '${server.name}' still takes traffic: it cannot leave the balancer`);
    this.states.splice(st.index, 1);
    for (let i = st.index; i < this.states.length; i++) this.states[i]!.index = i;
    this.byServer.delete(server);
    this.beServed = Math.max(0, this.beServed - server.served);
  }

  taken(server: LbServer): void {
    this.beServed++;
    this.reposition(this.stateOf(server));
  }

  released(server: LbServer): void {
    if (this.beServed > 0) this.beServed--;
    this.reposition(this.stateOf(server));
  }

  /** server_take_conn / server_drop_conn; only leastconn needs it. */
  protected reposition(_st: S): void {}
}

/** Effective weight for the dynamic algorithms: uweight × (slow-start sixteenths, 16 when warm). */
export function dynamicEweight(srv: LbServer): number {
  const w = srv.weight > 0 ? srv.weight : 0;
  let step = srv.warmup ?? BE_WEIGHT_SCALE;
  if (!(step >= 1)) step = 1;
  else if (step > BE_WEIGHT_SCALE) step = BE_WEIGHT_SCALE;
  return Math.floor(w) * Math.floor(step);
}

/**
 * HAProxy's slow-start step (server_recalc_eweight): the fraction of the weight in
 * sixteenths, `(16 × elapsed + slowstart) / slowstart` with whole seconds (HAProxy
 * keeps `slowstart` in seconds, rounded up, and compares `now.tv_sec`). 16 once the
 * period is over.
 */
export function slowstartSixteenths(elapsedMs: number, slowstartMs: number): number {
  const slowstart = Math.ceil(slowstartMs / 1000);
  const elapsed = Math.floor(elapsedMs / 1000);
  if (slowstart <= 0 || elapsed < 0 || elapsed >= slowstart) return BE_WEIGHT_SCALE;
  return Math.floor((BE_WEIGHT_SCALE * elapsed + slowstart) / slowstart);
}
