/**
 * HAProxy's static server map (src/lb_map.c), shared by `static-rr` and the
 * map-based hashing of `source`, `uri`, `url_param`, `hdr` and `rdp-cookie`.
 *
 * The map has one slot per unit of effective weight (weights divided by their
 * GCD at start-up) and is filled by a smooth weighted interleave that favours
 * the first declared server on ties. It is rebuilt whenever a server goes up or
 * down. Weights are static: HAProxy only accepts 0% or 100% at runtime.
 */
import { LbCore, saturated } from './common.ts';
import type { SrvState } from './common.ts';
import type { LbServer } from './types.ts';

export class ServerMap extends LbCore<SrvState> {
  /** GCD of the initial non-zero user weights (HAProxy's wmult). */
  private readonly wmult: number;
  private map: SrvState[] = [];
  /** Slots in use: tot_weight when the map was last computed. */
  private mapWeight = 0;
  private rrIdx = 0;

  constructor(servers: readonly LbServer[], allBackups: boolean) {
    super(servers, allBackups, (srv, index) => ({
      srv, index, curEweight: 0, nextEweight: 0, curUsable: false, nextUsable: false, cumulativeWeight: 0,
    }));
    let pgcd = 1;
    let i = 0;
    while (i < servers.length && !(servers[i]!.weight > 0)) i++;
    if (i < servers.length) {
      pgcd = Math.floor(servers[i]!.weight);
      while (pgcd > 1 && ++i < servers.length) {
        let w = Math.max(0, Math.floor(servers[i]!.weight));
        while (w) {
          const t = pgcd % w;
          pgcd = w;
          w = t;
        }
      }
    }
    this.wmult = pgcd;
    this.commitAll();
    this.recalc();
  }

  protected eweightOf(srv: LbServer): number {
    const w = srv.weight > 0 ? Math.floor(srv.weight) : 0;
    return Math.floor((w + this.wmult - 1) / this.wmult);
  }

  override update(server: LbServer): void {
    const st = this.stateOf(server);
    const next = this.eweightOf(server);
    const willBe = server.usable && next > 0;
    if (willBe === st.curUsable && next === st.curEweight) return;
    st.nextEweight = st.curEweight = next;
    st.nextUsable = st.curUsable = willBe;
    this.recount();
    this.recalc();
  }

  protected onUp(): void {}
  protected onDown(): void {}

  /**
   * recalc_server_map(): slot after slot, every eligible server gains its weight and
   * the one with the highest (score + tot) / tot (the first on ties) takes the slot
   * and pays tot. Eligible: the usable servers of the group in use (actives, else
   * backups). With `tot` the first backup's weight alone (no allbackups), the other
   * backups still compete for those slots, as in HAProxy.
   */
  private recalc(): void {
    const tot = this.totalWeight;
    this.mapWeight = tot;
    if (this.totUsed === 0) return;
    const backup = this.srvAct === 0;
    if (this.map.length < tot) this.map = new Array<SrvState>(tot);
    const states = this.states;
    const score = new Array<number>(states.length).fill(0);
    for (let o = 0; o < tot; o++) {
      let max = 0;
      let best = -1;
      for (let i = 0; i < states.length; i++) {
        const cur = states[i]!;
        if (cur.srv.backup !== backup || !cur.curUsable) continue;
        if (tot === 1) {
          best = i;
          break;
        }
        score[i]! += cur.curEweight;
        const v = Math.floor((score[i]! + tot) / tot);
        if (best < 0 || v > max) {
          max = v;
          best = i;
        }
      }
      this.map[o] = states[best]!;
      score[best]! -= tot;
    }
  }

  /** map_get_server_rr(): the next slot whose server has room, skipping `avoid` unless it is the only one. */
  pickRoundRobin(avoid: LbServer | undefined): LbServer | undefined {
    const tot = this.mapWeight;
    if (tot === 0) return undefined;
    if (this.rrIdx < 0 || this.rrIdx >= tot) this.rrIdx = 0;
    let newidx = this.rrIdx;
    let avoided: SrvState | null = null;
    let avoididx = 0;
    do {
      const st = this.map[newidx++]!;
      if (!saturated(st.srv)) {
        avoided = st;
        avoididx = newidx;
        if (st.srv !== avoid) {
          this.rrIdx = newidx;
          return st.srv;
        }
      }
      if (newidx === tot) newidx = 0;
    } while (newidx !== this.rrIdx);
    if (avoided !== null) this.rrIdx = avoididx;
    return avoided?.srv;
  }

  /** map_get_server_hash() */
  pickHash(hash: number): LbServer | undefined {
    const tot = this.mapWeight;
    if (tot === 0) return undefined;
    return this.map[(hash >>> 0) % tot]!.srv;
  }

  get usedServers(): number {
    return this.totUsed;
  }
}
