/**
 * `balance static-rr`: round robin over HAProxy's static server map (src/lb_map.c,
 * `map_get_server_rr`). Weights are applied through the map; changing a weight at
 * runtime only takes effect as 0 (out) or back to the initial value.
 */
import { ServerMap } from './map.ts';
import type { Balancer, BalancerFactory, LbRequest, LbServer } from './types.ts';

class StaticRoundRobin extends ServerMap implements Balancer {
  readonly queueShortcut = true;

  pick(_request: LbRequest, avoid?: LbServer): LbServer | undefined {
    return this.pickRoundRobin(avoid);
  }
}

export const staticRr = ((servers, options) => new StaticRoundRobin(servers, options.allBackups)) satisfies BalancerFactory;
