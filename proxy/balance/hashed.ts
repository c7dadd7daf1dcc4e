/**
 * The hash-based algorithms (`source`, `uri`, `url_param`, `hdr`, `rdp-cookie`):
 * a key function turns the request into a 32-bit hash, which selects a server
 * through the static map (`hash-type map-based`, `hash % total weight`) or the
 * consistent-hash ring (`hash-type consistent`). When the key is missing, HAProxy
 * falls back to round robin on the same structure (map_get_server_rr or
 * chash_get_next_server), which is what `assign_server()` does.
 */
import { ConsistentHash } from './chash.ts';
import { ServerMap } from './map.ts';
import { fullHash, resolveHashType } from './hash.ts';
import type { ResolvedHashType } from './hash.ts';
import type { Balance } from '../config/model.ts';
import type { Balancer, BalancerOptions, LbRequest, LbServer } from './types.ts';

/** No hash key in the request: use round robin. */
export const NO_KEY = -1;

/**
 * Computes the request's hash (unsigned 32-bit, avalanche applied) or NO_KEY.
 * `single` is true when only one server is in use: HAProxy then skips hashing
 * (hash 0), but only at the point where each algorithm checks it.
 */
export type HashKey = (request: LbRequest, single: boolean) => number;

export type HashKeyFactory = (balance: Balance, hash: ResolvedHashType) => HashKey;

/** The avalanche step applied after the hash function, when configured. */
export function finisher(hash: ResolvedHashType): (h: number) => number {
  return hash.avalanche ? fullHash : (h) => h >>> 0;
}

class ConsistentRing extends ConsistentHash {
  pickHash(hash: number, avoid: LbServer | undefined): LbServer | undefined {
    return this.lookupState(hash, avoid)?.srv;
  }

  pickRoundRobin(avoid: LbServer | undefined): LbServer | undefined {
    return this.nextOnRing(avoid);
  }

  get usedServers(): number {
    return this.totUsed;
  }
}

class HashBalancer implements Balancer {
  readonly queueShortcut = false;
  private readonly lookup: ServerMap | ConsistentRing;
  private readonly key: HashKey;

  constructor(servers: readonly LbServer[], options: BalancerOptions, makeKey: HashKeyFactory) {
    const hash = resolveHashType(options.hashType);
    this.lookup = hash.consistent
      ? new ConsistentRing(servers, options.allBackups, options.hashBalanceFactor)
      : new ServerMap(servers, options.allBackups);
    this.key = makeKey(options.balance, hash);
  }

  get totalWeight(): number {
    return this.lookup.totalWeight;
  }

  /** The hash `pick` would look up for this request (NO_KEY without a key); reads nothing live but the server count. */
  hashOf(request: LbRequest): number {
    return this.key(request, this.lookup.usedServers === 1);
  }

  pick(request: LbRequest, avoid?: LbServer): LbServer | undefined {
    const lookup = this.lookup;
    if (lookup.totalWeight === 0) return undefined;
    const h = this.key(request, lookup.usedServers === 1);
    if (h !== NO_KEY) return lookup.pickHash(h, avoid);
    return lookup.pickRoundRobin(avoid);
  }

  update(server: LbServer): void {
    this.lookup.update(server);
  }

  taken(server: LbServer): void {
    this.lookup.taken(server);
  }

  released(server: LbServer): void {
    this.lookup.released(server);
  }

  /** Only on the consistent-hash ring: HAProxy's static map takes no server at run time (allowsDynamicServers()). */
  add(server: LbServer, hashId?: number): void {
    if (!(this.lookup instanceof ConsistentRing)) throw new Error('a map-based hash takes no server at run time');
    this.lookup.add(server, hashId);
  }

  remove(server: LbServer): void {
    this.lookup.remove(server);
  }
}

/** A hash-based balancer from a key function (map or ring per `hash-type`). */
export function hashBalancer(servers: readonly LbServer[], options: BalancerOptions, makeKey: HashKeyFactory): Balancer {
  return new HashBalancer(servers, options, makeKey);
}

/**
 * The 32-bit hash a hash-based balancer computes for a request (after
 * avalanche), without picking: for the request tracer. Undefined for the
 * other algorithms; NO_KEY (-1) when the request has no hash key.
 */
export function requestHash(balancer: Balancer, request: LbRequest): number | undefined {
  return balancer instanceof HashBalancer ? balancer.hashOf(request) : undefined;
}
