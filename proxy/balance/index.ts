/**
 * Load-balancing algorithms, keyed by their `balance` keyword (DESIGN.md §4/§6).
 * Each algorithm reproduces HAProxy 2.6's pick order; see the file of each one.
 */
import type { Balance, BalanceAlgorithm, HashType } from '../config/model.ts';
import { first } from './first.ts';
import { hashExpr } from './expr.ts';
import { hdr } from './hdr.ts';
import { leastconn } from './leastconn.ts';
import { random } from './random.ts';
import { rdpCookie } from './rdp-cookie.ts';
import { roundrobin } from './roundrobin.ts';
import { source } from './source.ts';
import { staticRr } from './static-rr.ts';
import { uri } from './uri.ts';
import { urlParam } from './url-param.ts';
import type { Balancer, BalancerFactory, BalancerOptions, LbServer } from './types.ts';

export type { Balancer, BalancerFactory, BalancerOptions, LbRequest, LbServer } from './types.ts';
export { slowstartSixteenths } from './common.ts';
export { resetRandom } from './random.ts';
export { crc32, djb2, fullHash, sdbm, wt6 } from './hash.ts';

export const balancers: Readonly<Record<BalanceAlgorithm, BalancerFactory>> = {
  roundrobin,
  'static-rr': staticRr,
  leastconn,
  first,
  source,
  uri,
  url_param: urlParam,
  hdr,
  random,
  'rdp-cookie': rdpCookie,
  hash: hashExpr,
};

/**
 * HAProxy's BE_LB_KIND_HI: the algorithms that hash something of the request. For them a request
 * is never sent to the client connection's last server (`option prefer-last-server`, a server that
 * authenticated the connection), and a redispatch keeps hashing.
 */
const HASHING: ReadonlySet<BalanceAlgorithm> = new Set<BalanceAlgorithm>(['source', 'uri', 'url_param', 'hdr', 'rdp-cookie', 'hash']);

export function hashesRequests(algorithm: BalanceAlgorithm): boolean {
  return HASHING.has(algorithm);
}

/** HAProxy's BE_LB_NEED_HTTP: the algorithms that hash something only an HTTP request has. */
const LAYER7_HASHES: ReadonlySet<BalanceAlgorithm> = new Set<BalanceAlgorithm>(['uri', 'url_param', 'hdr']);

/**
 * The balancing a backend runs: a layer-7 hash in a TCP proxy is round robin, as HAProxy 2.6's
 * proxy_cfg_ensure_no_http makes it (with a warning, config/validate.ts), `switch-mode http` or not.
 */
export function effectiveBalance(mode: string, balance: Balance): Balance {
  return mode !== 'http' && LAYER7_HASHES.has(balance.algorithm) ? { algorithm: 'roundrobin', loc: balance.loc } : balance;
}

/**
 * HAProxy's BE_LB_PROP_DYN (cfgparse.c): the algorithms whose lookup trees take servers at run time
 * (`add server`): roundrobin, leastconn, first, random and the consistent hashes. static-rr and the
 * map-based hashes build a static map at start.
 */
export function allowsDynamicServers(algorithm: BalanceAlgorithm, hashType: HashType | undefined): boolean {
  if (algorithm === 'static-rr') return false;
  if (HASHING.has(algorithm)) return hashType?.method === 'consistent';
  return true;
}

/** The balancer for a backend (`balance` defaults to roundrobin, as in HAProxy). */
export function createBalancer(servers: readonly LbServer[], options: BalancerOptions): Balancer {
  return balancers[options.balance.algorithm](servers, options);
}

/**
 * HAProxy's server ids (puid, cfgparse.c): an explicit `id` is kept; the others get,
 * in declaration order, the first id not explicitly taken counting from a cursor
 * that starts at 1 and moves one past every server, numbered or not.
 */
export function assignServerIds(explicit: ReadonlyArray<number | undefined>): number[] {
  const used = new Set<number>();
  for (const id of explicit) if (id !== undefined) used.add(id);
  const ids: number[] = [];
  let next = 1;
  for (const id of explicit) {
    if (id !== undefined) {
      ids.push(id);
    } else {
      while (used.has(next)) next++;
      used.add(next);
      ids.push(next);
    }
    next++;
  }
  return ids;
}
