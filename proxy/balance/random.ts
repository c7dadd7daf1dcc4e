/**
 * `balance random[(N)]` (backend.c, `get_server_rnd`): N draws (default 2) of a
 * random 32-bit value looked up on the consistent-hash ring; of two servers
 * drawn, the one with fewer connections per unit of weight is kept (the earlier
 * one on a tie). If the chosen server is full, no server is returned and the
 * request waits in the backend queue.
 *
 * The random values come from HAProxy's `statistical_prng()`: a 32-bit xorshift
 * whose state is per thread and starts at 2463534242 in the first thread, shared
 * by every backend of the process. Loadstar runs one event loop and keeps one
 * state, so a fresh Loadstar and a fresh `nbthread 1` HAProxy draw the same
 * sequence.
 */
import { ConsistentHash } from './chash.ts';
import type { ChState } from './chash.ts';
import type { Balancer, BalancerFactory, LbRequest, LbServer } from './types.ts';
import { currentLimit } from './common.ts';

/** HAProxy's initial statistical_prng_state (src/tools.c), thread 1. */
export const PRNG_SEED = 2463534242;
let prngState = PRNG_SEED;

/** statistical_prng(): xorshift32 (13, 17, 5); never returns 0. */
export function statisticalPrng(): number {
  let x = prngState;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  prngState = x;
  return x;
}

/** Where the sequence is now, so that a peek (peek.ts) can put it back after drawing on a copy. */
export function randomState(): number {
  return prngState;
}

/** Restarts the process-wide random sequence (tests; a reload in HAProxy restarts it too). */
export function resetRandom(seed = PRNG_SEED): void {
  prngState = seed >>> 0 || 1;
}

class Random extends ConsistentHash implements Balancer {
  readonly queueShortcut = false;
  private readonly draws: number;

  constructor(servers: readonly LbServer[], allBackups: boolean, draws: number, balanceFactor: number) {
    super(servers, allBackups, balanceFactor);
    this.draws = draws >= 1 ? Math.floor(draws) : 2;
  }

  pick(_request: LbRequest, avoid?: LbServer): LbServer | undefined {
    if (this.totalWeight === 0) return undefined;
    let draws = this.draws;
    let curr: ChState | null = null;
    do {
      const prev: ChState | null = curr;
      curr = this.lookupState(statisticalPrng(), avoid);
      if (curr === null) break;
      if (prev !== null && prev !== curr && curr.srv.served * prev.curEweight > prev.srv.served * curr.curEweight) curr = prev;
    } while (--draws > 0);
    if (curr === null) return undefined;
    const s = curr.srv;
    if (s.queued || (s.maxconn && s.served >= currentLimit(s))) return undefined;
    return s;
  }
}

export const random = ((servers, options) =>
  new Random(servers, options.allBackups, options.balance.draws ?? 2, options.hashBalanceFactor ?? 0)) satisfies BalancerFactory;
