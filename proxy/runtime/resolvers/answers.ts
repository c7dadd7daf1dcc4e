/**
 * The address records a resolution keeps between replies (HAProxy's answer_tree): each
 * record remembers when a reply last carried it and which servers use it. A record no
 * reply has carried for `hold obsolete` is dropped and its servers let go of it, so a
 * DNS server that rotates a few addresses out of many does not make servers flap.
 */
import { isIPv4 } from 'node:net';
import { xxh32 } from '../../acl/eval-hash.ts';
import type { AddressRecord } from './wire.ts';

/** Who may hold a record: a server, compared by identity. */
export type Holder = object;

export interface CachedAddress {
  family: 4 | 6;
  address: string;
  /** When a reply last carried it (ms). */
  lastSeen: number;
  /** The servers using this address (HAProxy's attached_servers). */
  readonly holders: Set<Holder>;
  /** HAProxy's tree key: records are visited in this order (ties in the choice go to the first). */
  readonly key: number;
}

export class AnswerCache {
  private readonly byAddress = new Map<string, CachedAddress>();

  /** Records in HAProxy's visiting order: by XXH32 of the address bytes seeded with the record type. */
  ordered(): CachedAddress[] {
    return [...this.byAddress.values()].sort((a, b) => a.key - b.key);
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** A valid reply: refresh or add its records. */
  merge(records: readonly AddressRecord[], now: number): void {
    for (const r of records) {
      const known = this.byAddress.get(r.address);
      if (known) known.lastSeen = now;
      else this.byAddress.set(r.address, { family: r.type === 'A' ? 4 : 6, address: r.address, lastSeen: now, holders: new Set(), key: recordKey(r) });
    }
  }

  /** Drops the records unseen for longer than `obsoleteMs` (their holders let go). */
  dropObsolete(now: number, obsoleteMs: number): void {
    for (const [address, record] of this.byAddress) {
      if (record.lastSeen + obsoleteMs < now) this.byAddress.delete(address);
    }
  }

  /** The record `holder` is attached to, if it is still kept. */
  heldBy(holder: Holder): CachedAddress | undefined {
    for (const record of this.byAddress.values()) if (record.holders.has(holder)) return record;
    return undefined;
  }

  attach(holder: Holder, record: CachedAddress): void {
    this.detach(holder);
    record.holders.add(holder);
  }

  detach(holder: Holder): void {
    for (const record of this.byAddress.values()) record.holders.delete(holder);
  }

  clear(): void {
    this.byAddress.clear();
  }
}

function recordKey(r: AddressRecord): number {
  return xxh32(addressBytes(r.address), r.type === 'A' ? 1 : 28) >>> 0;
}

/** The 4 or 16 bytes of an address, as the record carries them. */
export function addressBytes(address: string): Uint8Array {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.includes('::') ? address.split('::') : [address, ''];
  const words = (s: string) => (s === '' ? [] : s.split(':'));
  let h = words(head);
  let t = words(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two words.
  const v4 = (list: string[]) => list.flatMap((w) => (w.includes('.') ? (() => { const b = w.split('.').map(Number); return [((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)]; })() : [w]));
  h = v4(h);
  t = v4(t);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => { const n = parseInt(w, 16); out[i * 2] = n >> 8; out[i * 2 + 1] = n & 0xff; });
  return out;
}
