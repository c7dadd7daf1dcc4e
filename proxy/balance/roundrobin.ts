/**
 * `balance roundrobin`: HAProxy's fast weighted round robin (src/lb_fwrr.c).
 *
 * Each group (active, backup) has three trees: "curr" holds the servers placed
 * in the current window, sorted by their next position (`npos`); "init" holds
 * servers waiting to be placed, heaviest first; "next" holds servers pushed past
 * the window. A pick takes the first server of "curr" whose position is reached,
 * or else the heaviest one from "init", advances its position by
 * `total weight / its weight` (carrying the remainder in `rweight`), and puts it
 * back. When "curr" runs dry the trees switch. Saturated servers (maxconn) are
 * taken out while looking and requeued afterwards, so they keep their place.
 *
 * Integer arithmetic follows HAProxy's C types (positions are unsigned).
 */
import { BE_WEIGHT_SCALE, LbCore, SRV_EWGHT_MAX, SRV_UWGHT_RANGE, dynamicEweight, saturated } from './common.ts';
import type { SrvState } from './common.ts';
import { Tree } from './tree.ts';
import type { TreeNode } from './tree.ts';
import type { Balancer, BalancerFactory, LbRequest, LbServer } from './types.ts';

interface RrState extends SrvState, TreeNode {
  /** HAProxy's lb_tree: the tree the server logically belongs to (may differ from inTree while it is being moved). */
  lbTree: Tree<RrState> | null;
  /** Next and last positions, remainder of the weight (unsigned in HAProxy). */
  npos: number;
  lpos: number;
  rweight: number;
  /** Chain of servers set aside during one pick (next_full). */
  nextFull: RrState | null;
}

interface Group {
  curr: Tree<RrState>;
  init: Tree<RrState>;
  next: Tree<RrState>;
  currPos: number;
  currWeight: number;
  nextWeight: number;
}

const u32 = (n: number): number => n >>> 0;
const udiv = (a: number, b: number): number => Math.floor(u32(a) / u32(b));

function newGroup(weight: number): Group {
  return { curr: new Tree(), init: new Tree(), next: new Tree(), currPos: weight, currWeight: weight, nextWeight: weight };
}

class RoundRobin extends LbCore<RrState> implements Balancer {
  readonly queueShortcut = true;
  private readonly act: Group;
  private readonly bck: Group;

  constructor(servers: readonly LbServer[], allBackups: boolean) {
    super(servers, allBackups, (srv, index) => ({
      srv, index, curEweight: 0, nextEweight: 0, curUsable: false, nextUsable: false, cumulativeWeight: 0,
      key: 0, seq: 0, prio: 0, left: null, right: null, inTree: null,
      lbTree: null, npos: 0, lpos: 0, rweight: 0, nextFull: null,
    }));
    this.commitAll();
    this.act = newGroup(this.totWact);
    this.bck = newGroup(this.totWbck);
    for (const st of this.states) {
      if (st.curUsable) this.queueByWeight(this.grp(st).init, st);
    }
  }

  protected eweightOf(srv: LbServer): number {
    return dynamicEweight(srv);
  }

  private grp(st: RrState): Group {
    return st.srv.backup ? this.bck : this.act;
  }

  /** fwrr_queue_by_weight(): heavier servers first, equal weights in insertion order. */
  private queueByWeight(tree: Tree<RrState>, st: RrState): void {
    st.key = SRV_EWGHT_MAX - st.nextEweight;
    tree.insert(st);
    st.lbTree = tree;
  }

  private dequeue(st: RrState): void {
    st.inTree?.delete(st);
  }

  /** fwrr_queue_srv(): place a server in "curr" at its next position, or in "next" if past the window. */
  private queueSrv(st: RrState): void {
    const g = this.grp(st);
    if (!st.nextUsable) {
      st.lbTree = null;
    } else if (st.nextEweight <= 0 || st.npos >= u32(2 * g.currWeight) || st.npos >= u32(g.currWeight + g.nextWeight)) {
      st.npos = u32(st.npos - g.currWeight);
      this.queueByWeight(g.next, st);
    } else {
      st.key = u32(SRV_UWGHT_RANGE * st.npos + udiv(SRV_EWGHT_MAX + st.rweight - st.nextEweight, BE_WEIGHT_SCALE));
      g.curr.insert(st);
      st.lbTree = g.curr;
    }
  }

  /** fwrr_get_srv(): adjust the position of a server about to be moved, depending on where it was. */
  private getSrv(st: RrState): void {
    const g = this.grp(st);
    if (st.lbTree === g.init) {
      st.npos = st.rweight = 0;
    } else if (st.lbTree === g.next) {
      st.npos = u32(st.npos + g.currWeight);
    } else if (st.lbTree === null) {
      st.npos = u32(g.currPos);
    }
  }

  protected onUp(st: RrState): void {
    const g = this.grp(st);
    g.nextWeight += st.nextEweight;
    this.getSrv(st);
    st.npos = u32(g.currPos + udiv(g.nextWeight + g.currWeight - g.currPos, st.nextEweight));
    this.queueSrv(st);
  }

  protected onDown(st: RrState): void {
    const g = this.grp(st);
    g.nextWeight -= st.curEweight;
    this.dequeue(st);
    st.lbTree = null;
  }

  protected override onWeight(st: RrState): void {
    super.onWeight(st);
    const g = this.grp(st);
    g.nextWeight = g.nextWeight - st.curEweight + st.nextEweight;
    if (st.lbTree === g.init) {
      this.dequeue(st);
      this.queueByWeight(g.init, st);
    } else if (st.lbTree === null) {
      this.dequeue(st);
      this.getSrv(st);
      st.npos = u32(g.currPos + udiv(g.nextWeight + g.currWeight - g.currPos, st.nextEweight));
      this.queueSrv(st);
    } else {
      this.getSrv(st);
      if (st.nextEweight > 0) {
        const prevNext = st.npos;
        const step = udiv(g.nextWeight, st.nextEweight);
        st.npos = u32(st.lpos + step);
        st.rweight = 0;
        if (st.npos > prevNext) st.npos = prevNext;
        if (st.npos < u32(g.currPos + 2)) st.npos = u32(g.currPos + step);
      } else {
        st.npos = u32(g.currPos + g.currWeight);
      }
      this.dequeue(st);
      this.queueSrv(st);
    }
  }

  /** fwrr_get_server_from_group(): first of "curr" if its turn has come, else the heaviest of "init". */
  private fromGroup(g: Group): RrState | null {
    const s1 = g.curr.first();
    if (s1 !== null && s1.curEweight !== 0 && s1.npos <= u32(g.currPos)) return s1;
    const s2 = g.init.first();
    if (s2 !== null && s2.curEweight !== 0) {
      s2.npos = s2.rweight = 0;
      return s2;
    }
    return s1;
  }

  /** fwrr_update_position() */
  private updatePosition(g: Group, st: RrState): void {
    const e = st.curEweight;
    if (!e) return;
    if (!st.npos) st.npos = u32(g.currPos);
    st.lpos = st.npos;
    st.npos = u32(st.npos + udiv(g.nextWeight, e));
    st.rweight = u32(st.rweight + (u32(g.nextWeight) % e));
    if (st.rweight >= e) {
      st.rweight -= e;
      st.npos = u32(st.npos + 1);
    }
  }

  pick(_request: LbRequest, avoid?: LbServer): LbServer | undefined {
    let g: Group;
    if (this.srvAct) g = this.act;
    else if (this.fbck) return this.fbck.srv;
    else if (this.srvBck) g = this.bck;
    else return undefined;

    let switched = false;
    let avoided: RrState | null = null;
    let full: RrState | null = null;
    let srv: RrState | null = null;
    let take = false;
    for (;;) {
      if (!g.currWeight) g.currPos = g.currWeight = g.nextWeight;
      for (;;) {
        srv = this.fromGroup(g);
        if (srv !== null) break;
        if (switched) {
          if (avoided !== null) {
            srv = avoided;
            take = true;
          }
          break;
        }
        switched = true;
        // fwrr_switch_trees()
        const swap = g.init;
        g.init = g.next;
        g.next = swap;
        g.currWeight = g.nextWeight;
        g.currPos = g.currWeight;
      }
      if (srv === null || take) break;

      this.updatePosition(g, srv);
      this.dequeue(srv);
      g.currPos++;
      if (!saturated(srv.srv)) {
        if (srv.srv !== avoid || avoided !== null) {
          take = true;
          break;
        }
        avoided = srv;
      }
      srv.nextFull = full;
      full = srv;
    }

    if (take && srv !== null) this.queueSrv(srv);

    // requeue the servers set aside (an avoided server taken in the end is in the chain: skip it)
    while (full !== null) {
      const f = full;
      full = f.nextFull;
      f.nextFull = null;
      if (f === srv) continue;
      if (switched) this.queueByWeight(g.init, f);
      else this.queueSrv(f);
    }
    return take && srv !== null ? srv.srv : undefined;
  }
}

export const roundrobin = ((servers, options) => new RoundRobin(servers, options.allBackups)) satisfies BalancerFactory;
