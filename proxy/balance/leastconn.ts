/**
 * `balance leastconn`: HAProxy's fast weighted least connections (src/lb_fwlc.c).
 *
 * Usable servers sit in a tree keyed by their weighted load,
 * `(served + queued + 1) × 4096 / eweight` (0 when idle). The pick is the first
 * server of the tree that has room. A server is repositioned when it takes or
 * releases a connection, and only if its key changed; a repositioned server goes
 * after the others of equal key, which is what makes servers of equal load take
 * turns (round robin within a load level).
 */
import { LbCore, SRV_EWGHT_MAX, dynamicEweight, currentLimit } from './common.ts';
import type { SrvState } from './common.ts';
import { Tree } from './tree.ts';
import type { TreeNode } from './tree.ts';
import type { Balancer, BalancerFactory, LbRequest, LbServer } from './types.ts';

interface LcState extends SrvState, TreeNode {
  lbTree: Tree<LcState> | null;
}

function loadKey(srv: LbServer, eweight: number): number {
  const inflight = srv.served + srv.queued;
  return inflight ? Math.floor(((inflight + 1) * SRV_EWGHT_MAX >>> 0) / (eweight || 1)) : 0;
}

class LeastConn extends LbCore<LcState> implements Balancer {
  readonly queueShortcut = false;
  private readonly act = new Tree<LcState>();
  private readonly bck = new Tree<LcState>();

  constructor(servers: readonly LbServer[], allBackups: boolean) {
    super(servers, allBackups, (srv, index) => ({
      srv, index, curEweight: 0, nextEweight: 0, curUsable: false, nextUsable: false, cumulativeWeight: 0,
      key: 0, seq: 0, prio: 0, left: null, right: null, inTree: null, lbTree: null,
    }));
    this.commitAll();
    for (const st of this.states) {
      if (!st.curUsable) continue;
      st.lbTree = st.srv.backup ? this.bck : this.act;
      this.queue(st, st.nextEweight);
    }
  }

  protected eweightOf(srv: LbServer): number {
    return dynamicEweight(srv);
  }

  /** fwlc_queue_srv() */
  private queue(st: LcState, eweight: number): void {
    st.key = loadKey(st.srv, eweight);
    st.lbTree!.insert(st);
  }

  protected onUp(st: LcState): void {
    st.lbTree = st.srv.backup ? this.bck : this.act;
    this.queue(st, st.nextEweight);
  }

  protected onDown(st: LcState): void {
    st.inTree?.delete(st);
    st.lbTree = null;
  }

  protected override onWeight(st: LcState): void {
    super.onWeight(st);
    st.inTree?.delete(st);
    st.lbTree = st.srv.backup ? this.bck : this.act;
    this.queue(st, st.nextEweight);
  }

  /** fwlc_srv_reposition(): move only when the key changes. */
  protected override reposition(st: LcState): void {
    const e = st.curEweight;
    const key = loadKey(st.srv, e);
    if (st.inTree !== null && e && st.key === key) return;
    if (st.lbTree === null) return;
    if (st.inTree === null || st.key !== key) {
      st.inTree?.delete(st);
      st.key = key;
      st.lbTree.insert(st);
    }
  }

  pick(_request: LbRequest, avoid?: LbServer): LbServer | undefined {
    let tree: Tree<LcState>;
    if (this.srvAct) tree = this.act;
    else if (this.fbck) return this.fbck.srv;
    else if (this.srvBck) tree = this.bck;
    else return undefined;

    let avoided: LcState | null = null;
    for (let node = tree.first(); node !== null; node = tree.next(node)) {
      const s = node.srv;
      if (!s.maxconn || s.served + s.queued < currentLimit(s) + (s.maxqueue ?? 0)) {
        if (s !== avoid) return s;
        avoided = node;
      }
    }
    return avoided?.srv;
  }
}

export const leastconn = ((servers, options) => new LeastConn(servers, options.allBackups)) satisfies BalancerFactory;
