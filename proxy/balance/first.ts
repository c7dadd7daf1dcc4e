/**
 * `balance first`: HAProxy's first available server (src/lb_fas.c). Usable servers
 * are ordered by id (puid); the pick is the lowest id with a free connection slot.
 * Weights only matter as "0 = unusable".
 */
import { LbCore, dynamicEweight, saturated } from './common.ts';
import type { SrvState } from './common.ts';
import { Tree } from './tree.ts';
import type { TreeNode } from './tree.ts';
import type { Balancer, BalancerFactory, LbRequest, LbServer } from './types.ts';

interface FasState extends SrvState, TreeNode {}

class First extends LbCore<FasState> implements Balancer {
  readonly queueShortcut = true;
  private readonly act = new Tree<FasState>();
  private readonly bck = new Tree<FasState>();

  constructor(servers: readonly LbServer[], allBackups: boolean) {
    super(servers, allBackups, (srv, index) => ({
      srv, index, curEweight: 0, nextEweight: 0, curUsable: false, nextUsable: false, cumulativeWeight: 0,
      key: srv.id >>> 0, seq: 0, prio: 0, left: null, right: null, inTree: null,
    }));
    this.commitAll();
    for (const st of this.states) if (st.curUsable) this.onUp(st);
  }

  protected eweightOf(srv: LbServer): number {
    return dynamicEweight(srv);
  }

  protected onUp(st: FasState): void {
    (st.srv.backup ? this.bck : this.act).insert(st);
  }

  protected onDown(st: FasState): void {
    st.inTree?.delete(st);
  }

  pick(_request: LbRequest, avoid?: LbServer): LbServer | undefined {
    let tree: Tree<FasState>;
    if (this.srvAct) tree = this.act;
    else if (this.fbck) return this.fbck.srv;
    else if (this.srvBck) tree = this.bck;
    else return undefined;

    let avoided: FasState | null = null;
    for (let node = tree.first(); node !== null; node = tree.next(node)) {
      if (!saturated(node.srv)) {
        if (node.srv !== avoid) return node.srv;
        avoided = node;
      }
    }
    return avoided?.srv;
  }
}

export const first = ((servers, options) => new First(servers, options.allBackups)) satisfies BalancerFactory;
