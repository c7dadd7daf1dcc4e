/**
 * HAProxy's consistent hashing (src/lb_chash.c), used by `hash-type consistent`
 * and by `random`.
 *
 * Each usable server has one point on a 32-bit ring per unit of effective
 * weight (user weight × 16), at `full_hash(id × 4096 + n)`; the ring points depend
 * only on the server id, so a server going down moves only its own keys. A hash
 * goes to the closest point (the one before it on a tie), skipping the server to
 * avoid. Active and backup servers have separate rings. The ring is a sorted
 * array searched by bisection; it is rebuilt (O(points)) only on a state or
 * weight change.
 *
 * The round-robin fallback (missing hash key) walks the ring point by point
 * from the last point used, as `chash_get_next_server()` does.
 */
import { BE_WEIGHT_SCALE, LbCore, SRV_EWGHT_RANGE, dynamicEweight, saturated } from './common.ts';
import type { SrvState } from './common.ts';
import { fullHash } from './hash.ts';
import type { LbServer } from './types.ts';

export interface ChState extends SrvState {
  /** Ring points allocated (lb_nodes_tot: initial user weight × 16, grown when the weight grows) and placed (lb_nodes_now). */
  nodesTot: number;
  nodesNow: number;
  /** The id its ring points derive from: its id, or the one it had when `add server` allocated them (add()). */
  hashId: number;
}

/** One ring: point keys in ascending order, the server and occurrence number of each. */
class Ring {
  keys = new Uint32Array(0);
  owners: ChState[] = [];
  occ = new Int32Array(0);

  get size(): number {
    return this.owners.length;
  }

  /** First index whose key is >= hash (size when none). */
  lowerBound(hash: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  indexOfKey(key: number): number {
    const i = this.lowerBound(key);
    return i < this.keys.length && this.keys[i] === key ? i : -1;
  }

  /** Inserts the points `from..to-1` of `st`. */
  add(st: ChState, from: number, to: number): void {
    if (to <= from) return;
    const fresh: Array<[number, number]> = [];
    for (let j = from; j < to; j++) fresh.push([fullHash((st.hashId * SRV_EWGHT_RANGE + j) >>> 0), j]);
    fresh.sort((a, b) => a[0] - b[0]);
    const n = this.keys.length + fresh.length;
    const keys = new Uint32Array(n);
    const occ = new Int32Array(n);
    const owners = new Array<ChState>(n);
    let i = 0;
    let k = 0;
    for (let o = 0; o < n; o++) {
      if (k >= fresh.length || (i < this.keys.length && this.keys[i]! <= fresh[k]![0])) {
        keys[o] = this.keys[i]!;
        occ[o] = this.occ[i]!;
        owners[o] = this.owners[i]!;
        i++;
      } else {
        keys[o] = fresh[k]![0];
        occ[o] = fresh[k]![1];
        owners[o] = st;
        k++;
      }
    }
    this.keys = keys;
    this.occ = occ;
    this.owners = owners;
  }

  /** Removes the points of `st` numbered `from` and above; returns whether the point `key` was among them. */
  remove(st: ChState, from: number, key: number | null): boolean {
    let removedKey = false;
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.owners[i] === st && this.occ[i]! >= from) {
        if (this.keys[i] === key) removedKey = true;
        continue;
      }
      this.keys[n] = this.keys[i]!;
      this.occ[n] = this.occ[i]!;
      this.owners[n] = this.owners[i]!;
      n++;
    }
    this.keys = this.keys.slice(0, n);
    this.occ = this.occ.slice(0, n);
    this.owners.length = n;
    return removedKey;
  }
}

/** Base for the consistent-hash balancers: ring upkeep, hash lookup and the ring round robin. */
export abstract class ConsistentHash extends LbCore<ChState> {
  private readonly act = new Ring();
  private readonly bck = new Ring();
  /** `lbprm.chash.last`: the ring point the round robin stopped at (shared by both rings, as in HAProxy). */
  private lastRing: Ring | null = null;
  private lastKey = 0;
  /** hash-balance-factor, 0 = off. */
  private readonly balanceFactor: number;

  constructor(servers: readonly LbServer[], allBackups: boolean, balanceFactor = 0) {
    super(servers, allBackups, (srv, index) => ({
      srv, index, curEweight: 0, nextEweight: 0, curUsable: false, nextUsable: false, cumulativeWeight: 0,
      nodesTot: Math.max(0, Math.floor(srv.weight)) * BE_WEIGHT_SCALE, nodesNow: 0, hashId: srv.id,
    }));
    this.balanceFactor = balanceFactor > 0 ? balanceFactor : 0;
    this.commitAll();
    for (const st of this.states) if (st.curUsable) this.adjustNodes(st);
  }

  protected eweightOf(srv: LbServer): number {
    return dynamicEweight(srv);
  }

  /**
   * `hashId`: HAProxy's cli_parse_add_server allocates a server's ring points (srv_alloc_lb) before it
   * numbers the server, so they derive from its `id` keyword's value, else from 0.
   */
  override add(server: LbServer, hashId = server.id): void {
    super.add(server);
    this.stateOf(server).hashId = hashId;
  }

  private ringOf(st: ChState): Ring {
    return st.srv.backup ? this.bck : this.act;
  }

  /** Removes points `from..` of `st`, moving the round-robin position past them (chash_skip_node). */
  private removeNodes(st: ChState, from: number): void {
    if (st.nodesNow <= from) return;
    const ring = this.ringOf(st);
    const lastHere = this.lastRing === ring;
    const hit = ring.remove(st, from, lastHere ? this.lastKey : null);
    st.nodesNow = from;
    if (hit) {
      if (ring.size === 0) {
        this.lastRing = null;
      } else {
        let i = ring.lowerBound(this.lastKey);
        if (i >= ring.size) i = 0;
        this.lastKey = ring.keys[i]!;
      }
    }
  }

  /** chash_queue_dequeue_srv(): as many ring points as the effective weight. */
  private adjustNodes(st: ChState): void {
    const want = st.nextEweight;
    if (st.nodesNow > want) this.removeNodes(st, want);
    if (st.nodesTot < want) {
      // HAProxy reallocates the points: all of them leave the ring first
      this.removeNodes(st, 0);
      st.nodesTot = want;
    }
    const to = Math.min(want, st.nodesTot);
    if (st.nodesNow < to) {
      this.ringOf(st).add(st, st.nodesNow, to);
      st.nodesNow = to;
    }
  }

  protected onUp(st: ChState): void {
    this.adjustNodes(st);
  }

  protected onDown(st: ChState): void {
    this.removeNodes(st, 0);
  }

  protected override onWeight(st: ChState): void {
    this.adjustNodes(st);
    super.onWeight(st);
  }

  /** chash_server_is_eligible(): consistent hashing with bounded loads. */
  private eligible(st: ChState): boolean {
    const tot = this.totalWeight;
    const totSlots = Math.floor(((this.beServed + 1) * this.balanceFactor + 99) / 100);
    const perWeight = Math.floor(totSlots / tot);
    const remainder = totSlots % tot;
    let slots = st.curEweight * perWeight;
    slots += Math.floor(((st.cumulativeWeight + st.curEweight) * remainder) / tot) - Math.floor((st.cumulativeWeight * remainder) / tot);
    if (slots === 0) slots = 1;
    return st.srv.served < slots;
  }

  private currentRing(): Ring | ChState | null {
    if (this.srvAct) return this.act;
    if (this.fbck) return this.fbck;
    if (this.srvBck) return this.bck;
    return null;
  }

  /** chash_get_server_hash(): the server closest to `hash` on the ring, skipping `avoid`. */
  protected lookupState(hash: number, avoid: LbServer | undefined): ChState | null {
    const root = this.currentRing();
    if (root === null) return null;
    if (!(root instanceof Ring)) return root;
    const n = root.size;
    if (n === 0) return null;
    hash >>>= 0;
    let next = root.lowerBound(hash);
    if (next === n) next = 0;
    const prev = next === 0 ? n - 1 : next - 1;
    const dp = (hash - root.keys[prev]!) >>> 0;
    const dn = (root.keys[next]! - hash) >>> 0;
    if (dp <= dn) next = prev;
    let nsrv = root.owners[next]!;
    let loop = 0;
    while (nsrv.srv === avoid || (this.balanceFactor && !this.eligible(nsrv))) {
      next++;
      if (next === n) {
        next = 0;
        if (++loop > 1) break;
      }
      nsrv = root.owners[next]!;
    }
    return nsrv;
  }

  /** chash_get_next_server(): round robin along the ring, skipping full servers and `avoid`. */
  protected nextOnRing(avoid: LbServer | undefined): LbServer | undefined {
    const root = this.currentRing();
    if (root === null) return undefined;
    if (!(root instanceof Ring)) return root.srv;

    // a node is (ring, index); the stored position is (ring, key)
    let ring: Ring | null = this.lastRing;
    let idx = ring !== null ? ring.indexOfKey(this.lastKey) : -1;
    if (idx < 0) ring = null;
    let stopRing = ring;
    let stopIdx = idx;
    let avoidedRing: Ring | null = null;
    let avoidedIdx = -1;
    let avoided: ChState | null = null;
    // HAProxy walks until it is back at the starting point; when that point is on the
    // other ring (backups used last, an active came back) it would never get there:
    // stop after a full turn instead.
    let budget = root.size + (ring !== null && ring !== root ? ring.size : 0) + 1;
    do {
      if (ring !== null) {
        idx++;
        if (idx >= ring.size) ring = null;
      }
      if (ring === null) {
        ring = root;
        idx = 0;
        if (root.size === 0) {
          this.lastRing = null;
          return undefined;
        }
      }
      this.lastRing = ring;
      this.lastKey = ring.keys[idx]!;
      if (stopRing === null) {
        stopRing = ring;
        stopIdx = idx;
      }
      const s = ring.owners[idx]!;
      if (!saturated(s.srv)) {
        if (s.srv !== avoid) return s.srv;
        avoided = s;
        avoidedRing = ring;
        avoidedIdx = idx;
      }
    } while (!(ring === stopRing && idx === stopIdx) && --budget > 0);
    if (avoided !== null) {
      this.lastRing = avoidedRing;
      this.lastKey = avoidedRing!.keys[avoidedIdx]!;
    } else {
      this.lastRing = null;
    }
    return avoided?.srv;
  }
}
