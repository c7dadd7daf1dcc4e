/**
 * Small pools of servers for the algorithm tests: `pool('roundrobin', ['s1 weight 2',
 * 's2 backup maxconn 1'])` builds the LbServers (ids assigned as HAProxy does) and
 * the balancer; the helpers act as the engine would (served++ then taken(), …).
 */
import { assignServerIds, createBalancer } from '../../../proxy/balance/index.ts';
import type { Balancer, BalancerOptions, LbRequest, LbServer } from '../../../proxy/balance/index.ts';
import type { Balance, BalanceAlgorithm, HashType } from '../../../proxy/config/model.ts';

const LOC = { file: 'test.cfg', line: 1, column: 1 } as unknown as Balance['loc'];

export interface Pool {
  b: Balancer;
  /** Servers by name. */
  s: Record<string, LbServer>;
  list: LbServer[];
}

/** `spec` words: NAME [weight N] [backup] [maxconn N] [maxqueue N] [id N] [disabled]. */
export function pool(
  algorithm: BalanceAlgorithm,
  spec: string[],
  opts: { balance?: Omit<Partial<Balance>, 'algorithm'>; hashType?: HashType; allBackups?: boolean; hashBalanceFactor?: number; hashSample?: BalancerOptions['hashSample'] } = {},
): Pool {
  const parsed = spec.map((line) => {
    const [name, ...words] = line.split(/\s+/);
    const o: Record<string, number | boolean> = {};
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w === 'backup' || w === 'disabled') o[w] = true;
      else o[w] = Number(words[++i]);
    }
    return { name: name!, o };
  });
  const ids = assignServerIds(parsed.map((p) => p.o.id as number | undefined));
  const list: LbServer[] = parsed.map(({ name, o }, i) => ({
    name,
    id: ids[i]!,
    backup: o.backup === true,
    weight: (o.weight as number | undefined) ?? 1,
    usable: o.disabled !== true,
    served: 0,
    maxconn: (o.maxconn as number | undefined) ?? 0,
    maxqueue: (o.maxqueue as number | undefined) ?? 0,
    queued: 0,
  }));
  const b = createBalancer(list, {
    balance: { algorithm, loc: LOC, ...opts.balance },
    hashType: opts.hashType,
    allBackups: opts.allBackups ?? false,
    hashBalanceFactor: opts.hashBalanceFactor,
    hashSample: opts.hashSample,
  });
  return { b, s: Object.fromEntries(list.map((x) => [x.name, x])), list };
}

/** `n` sequential requests (each finishes before the next): the names picked. */
export function picks(b: Balancer, n: number, req: LbRequest | ((i: number) => LbRequest) = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const srv = b.pick(typeof req === 'function' ? req(i) : req);
    out.push(srv ? srv.name : '-');
    if (srv) {
      srv.served++;
      b.taken(srv);
      srv.served--;
      b.released(srv);
    }
  }
  return out;
}

/** A request that stays connected: returns its server (undefined: it would wait in the backend queue). */
export function hold(b: Balancer, req: LbRequest = {}): LbServer | undefined {
  const srv = b.pick(req);
  if (srv) {
    srv.served++;
    b.taken(srv);
  }
  return srv;
}

export function finish(b: Balancer, srv: LbServer): void {
  srv.served--;
  b.released(srv);
}

export function setUsable(b: Balancer, srv: LbServer, usable: boolean): void {
  srv.usable = usable;
  b.update(srv);
}

export function setWeight(b: Balancer, srv: LbServer, weight: number): void {
  srv.weight = weight;
  b.update(srv);
}

export const order = (s: string): string[] => s.split(' ');
