/**
 * Which address of a resolution a server takes (HAProxy 2.6's resolv_get_ip_from_response):
 * every record gets a score — 8 for the preferred family (`resolve-prefer`, IPv6 by default),
 * 4 for a preferred network (`resolve-net`), 2 when no other server of the backend holds it,
 * 1 for the server's current address — and the best wins, the first of equals in the
 * records' order. A record held by another server of the backend is skipped unless
 * `resolve-opts allow-dup-ip`. A server still holding a kept record does not move.
 */
import { BlockList } from 'node:net';
import type { CachedAddress, Holder } from './answers.ts';

export interface PickOptions {
  /** 4 with `resolve-prefer ipv4`, else 6. */
  prefer: 4 | 6;
  /** `resolve-net` networks; undefined: none. */
  nets: BlockList | undefined;
  allowDup: boolean;
}

export type Pick =
  /** Keep the address it has. */
  | { kind: 'keep' }
  /** No record it may take. */
  | { kind: 'none' }
  | { kind: 'new'; record: CachedAddress };

/**
 * @param current the server's address now, undefined when it has none
 * @param rival whether a holder is another server of the same backend
 */
export function pickAddress(records: readonly CachedAddress[], options: PickOptions, self: Holder, current: string | undefined, rival: (holder: Holder) => boolean): Pick {
  if (records.some((r) => r.holders.has(self))) return { kind: 'keep' };
  let best = -1;
  let newest4: CachedAddress | undefined;
  let newest6: CachedAddress | undefined;
  let currentFound = false;
  for (const record of records) {
    let score = record.family === options.prefer ? 8 : 0;
    if (options.nets?.check(record.address, record.family === 4 ? 'ipv4' : 'ipv6')) score += 4;
    const taken = [...record.holders].some((h) => h !== self && rival(h));
    if (taken && !options.allowDup) continue;
    if (!taken) score += 2;
    const isCurrent = record.address === current;
    if (isCurrent) score += 1;
    if (score > best) {
      if (record.family === 4) newest4 = record;
      else newest6 = record;
      currentFound = isCurrent;
      if (score === 15) {
        // The address it has, and the best there is (it may come from init-addr): it holds it now.
        record.holders.add(self);
        return { kind: 'keep' };
      }
      best = score;
    }
  }
  const chosen = options.prefer === 4 ? (newest4 ?? newest6) : (newest6 ?? newest4);
  if (!chosen) return { kind: 'none' };
  for (const r of records) r.holders.delete(self);
  chosen.holders.add(self);
  return currentFound && chosen.address === current ? { kind: 'keep' } : { kind: 'new', record: chosen };
}

/** `resolve-net` networks as a BlockList (`10.0.0.0/8`, `fd00::/8`, a bare address). */
export function networksOf(nets: readonly string[] | undefined, parse: (n: string) => { address: string; bits: number; family: 'ipv4' | 'ipv6' } | undefined): BlockList | undefined {
  if (!nets || nets.length === 0) return undefined;
  const list = new BlockList();
  for (const n of nets) {
    const net = parse(n);
    if (net) list.addSubnet(net.address, net.bits, net.family);
  }
  return list;
}
