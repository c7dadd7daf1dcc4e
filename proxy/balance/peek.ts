/**
 * "Which server would the balancer pick now?" without consuming anything: the
 * request tracer (proxy/http/trace.ts) asks a copy of the live balancer, so no
 * round-robin position moves, no leastconn tree is re-keyed and no server's
 * counters change.
 *
 * The copy is a structural clone of the balancer's object graph (its trees,
 * maps and per-server states keep their prototypes), in which every LbServer
 * is replaced by a plain snapshot of its fields — the live servers are never
 * reached from the copy. Functions (hash key closures) are shared: they hold
 * configuration only.
 *
 * `random` draws from the process-wide PRNG (HAProxy's sequence): a peek
 * draws on the copy, then puts the sequence back where it was.
 */
import type { Balancer, LbRequest, LbServer } from './types.ts';
import { randomState, resetRandom } from './random.ts';

function snapshot(s: LbServer): LbServer {
  return {
    name: s.name, id: s.id, backup: s.backup, weight: s.weight, warmup: s.warmup, usable: s.usable,
    served: s.served, maxconn: s.maxconn, maxqueue: s.maxqueue, queued: s.queued,
  };
}

function cloneGraph(value: unknown, memo: Map<object, unknown>): unknown {
  if (value === null || (typeof value !== 'object')) return value; // primitives and functions
  const seen = memo.get(value);
  if (seen !== undefined) return seen;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (const v of value) out.push(cloneGraph(v, memo));
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const out = (value as unknown as { slice(): unknown }).slice();
    memo.set(value, out);
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value) out.set(cloneGraph(k, memo), cloneGraph(v, memo));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value) out.add(cloneGraph(v, memo));
    return out;
  }
  const out = Object.create(Object.getPrototypeOf(value)) as Record<PropertyKey, unknown>;
  memo.set(value, out);
  for (const key of Reflect.ownKeys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in desc) desc.value = cloneGraph(desc.value, memo);
    Object.defineProperty(out, key, desc);
  }
  return out;
}

/**
 * The server `balancer.pick(request)` would return now, as one of `servers`
 * (the live objects), or undefined. Neither the balancer nor the servers change.
 */
export function peekPick(balancer: Balancer, servers: readonly LbServer[], request: LbRequest): LbServer | undefined {
  const memo = new Map<object, unknown>();
  const copies = servers.map((s) => {
    const copy = snapshot(s);
    memo.set(s, copy);
    return copy;
  });
  const clone = cloneGraph(balancer, memo) as Balancer;
  const sequence = randomState();
  let picked: LbServer | undefined;
  try {
    picked = clone.pick(request);
  } finally {
    resetRandom(sequence);
  }
  if (picked === undefined) return undefined;
  const at = copies.indexOf(picked);
  return at >= 0 ? servers[at] : undefined;
}
