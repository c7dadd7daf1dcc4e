/**
 * SRV discovery (HAProxy 2.6's resolv_srvrq and resolv_check_response): the servers of a
 * `server-template` (or a server) named by an SRV label (`_http._tcp.app.example`) take
 * the records of that name, one record per server: its target host name, its port and its
 * weight (`(weight + 255) / 256`, unless `resolve-opts ignore-weight`). A record with an
 * address for its target in the additional section gives the server that address; else
 * the server resolves the target itself (A/AAAA, as any server with `resolvers`). A record
 * unseen for `hold obsolete` frees its server: no host name, no address, no port, in
 * maintenance ("entry removed from SRV record") until a new record takes it.
 */
import { xxh32 } from '../../acl/eval-hash.ts';
import type { RuntimeBackend } from '../backend.ts';
import type { RuntimeServer } from '../server.ts';
import type { AddressRecord, SrvRecord } from './wire.ts';
import type { Requester, Resolution } from './resolution.ts';
import { enterResolutionMaint } from './server-link.ts';

export interface SrvItem {
  target: string;
  port: number;
  weight: number;
  /** HAProxy's tree key: XXH32 of the target's wire labels seeded with the SRV type (33). */
  key: number;
  lastSeen: number;
  /** The target's address from the additional section. */
  additional: { type: 'A' | 'AAAA'; address: string; lastSeen: number } | undefined;
  /** The server this record gave itself to. */
  server: RuntimeServer | undefined;
}

/** The SRV records a resolution keeps between replies, in HAProxy's order. */
export class SrvCache {
  private readonly items: SrvItem[] = [];

  ordered(): SrvItem[] {
    // Equal keys keep their arrival order (eb32 trees put duplicates after their equals).
    return this.items.slice().sort((a, b) => a.key - b.key);
  }

  /**
   * A valid reply: refresh or add the records, then hang each additional address on the first record naming it.
   * Records are found by name through maps: a reply of a large `accepted_payload_size` carries thousands of
   * records, and comparing each with each held the engine for a second per reply.
   */
  merge(records: readonly SrvRecord[], additionals: readonly AddressRecord[], now: number): void {
    const byTargetAndPort = new Map<string, SrvItem>();
    for (const i of this.items) byTargetAndPort.set(`${nameKey(i.target)}|${i.port}`, i);
    for (const r of records) {
      const key = `${nameKey(r.target)}|${r.port}`;
      const known = byTargetAndPort.get(key);
      if (known) {
        known.lastSeen = now;
        known.weight = r.weight;
      } else {
        const item: SrvItem = { target: r.target, port: r.port, weight: r.weight, key: targetKey(r.target), lastSeen: now, additional: undefined, server: undefined };
        this.items.push(item);
        byTargetAndPort.set(key, item);
      }
    }
    if (additionals.length === 0) return;
    // Each target's records, in HAProxy's order.
    const byTarget = new Map<string, SrvItem[]>();
    for (const i of this.ordered()) {
      const key = nameKey(i.target);
      const list = byTarget.get(key);
      if (list) list.push(i);
      else byTarget.set(key, [i]);
    }
    for (const a of additionals) {
      const named = byTarget.get(nameKey(a.name));
      if (!named) continue;
      const same = named.find((i) => i.additional && i.additional.type === a.type && i.additional.lastSeen !== now && i.additional.address === a.address);
      if (same) {
        same.additional!.lastSeen = now;
        continue;
      }
      const free = named.find((i) => i.additional === undefined);
      if (free) free.additional = { type: a.type, address: a.address, lastSeen: now };
    }
  }

  /** Drops what is unseen for longer than `obsoleteMs`; returns the records dropped. */
  dropObsolete(now: number, obsoleteMs: number): SrvItem[] {
    const dropped: SrvItem[] = [];
    for (const item of this.ordered()) {
      if (item.additional && item.additional.lastSeen + obsoleteMs < now) item.additional = undefined;
      if (item.lastSeen + obsoleteMs < now) dropped.push(item);
    }
    if (dropped.length > 0) {
      const gone = new Set(dropped);
      let kept = 0;
      for (const i of this.items) if (!gone.has(i)) this.items[kept++] = i;
      this.items.length = kept;
    }
    return dropped;
  }

  all(): readonly SrvItem[] {
    return this.items;
  }

  clear(): SrvItem[] {
    return this.items.splice(0);
  }
}

/** What a SRV-discovered server needs from the resolvers: its own A/AAAA resolution of a target, and letting go of it. */
export interface TargetResolver {
  /** Starts resolving `server`'s host name (server.fqdn) for it. */
  follow(backend: RuntimeBackend, server: RuntimeServer): void;
  /** Stops resolving for `server`. */
  unfollow(server: RuntimeServer): void;
}

/** The servers of one backend sharing one SRV label (HAProxy's srvrq), as one requester of its SRV resolution. */
export class SrvRequest implements Requester {
  /** Servers no record holds, in the order they take records (HAProxy's srvrq attached_servers). */
  private readonly free: RuntimeServer[];

  constructor(
    readonly backend: RuntimeBackend,
    servers: RuntimeServer[],
    private readonly obsoleteMs: number,
    private readonly hold: { nx: number; refused: number; timeout: number; other: number },
    private readonly targets: TargetResolver,
    private readonly notify: (message: string) => void,
    private readonly now: () => number,
  ) {
    this.free = servers.slice();
  }

  answered(resolution: Resolution, _by: string | undefined): boolean {
    const cache = resolution.srv!;
    const now = this.now();
    for (const item of cache.dropObsolete(now, this.obsoleteMs)) if (item.server) this.release(item.server);
    for (const item of cache.ordered()) {
      let server = item.server;
      if (!server) {
        server = this.free.shift();
        if (!server) continue;
        item.server = server;
      }
      this.apply(item, server);
    }
    return false;
  }

  failed(resolution: Resolution): boolean {
    const status = resolution.status;
    if (status === 'valid' || status === 'none') return true;
    const hold = status === 'other' ? this.hold.other : this.hold[status];
    if (resolution.lastValid + hold > this.now()) return true;
    for (const item of resolution.srv!.clear()) if (item.server) this.release(item.server);
    return false;
  }

  /** HAProxy's srv_found branch: address from the additional record, else the target resolved; port and weight from the record. */
  private apply(item: SrvItem, server: RuntimeServer): void {
    const backend = this.backend;
    const viaAdditional = item.additional !== undefined;
    if (item.additional) {
      const from = server.addressless ? '(none)' : server.host;
      if (server.addressless || server.host !== item.additional.address) {
        backend.setServerAddress(server, item.additional.address);
        this.notify(`${backend.name}/${server.name} changed its IP from ${from} to ${item.additional.address} by DNS additional record.`);
      }
      this.targets.unfollow(server);
    }
    if (server.fqdn === undefined) {
      const target = item.target.replace(/\.$/, '');
      backend.setServerTarget(server, target, item.port);
      this.notify(`${backend.name}/${server.name} changed its FQDN from (null) to ${target} by 'SRV record'`);
      if (!viaAdditional) this.targets.follow(backend, server);
    }
    if (server.addressless) {
      if (server.resolutionMaint === undefined) this.enterMaintenance(server, 'entry removed from SRV record');
    } else if (server.resolutionMaint !== undefined) {
      backend.setServerResolutionMaint(server, undefined);
      if (!server.check) this.notify(`${server.backup ? 'Backup ' : ''}Server ${backend.name}/${server.name} ('${server.fqdn ?? ''}') is UP/READY (resolves again).`);
    }
    backend.setServerTarget(server, server.fqdn, item.port);
    if (!server.config.options.ignoreWeight) {
      const weight = Math.floor((item.weight + 255) / 256);
      if (weight !== server.weight) backend.setServerWeight(server, Math.min(weight, 256));
    }
  }

  /** HAProxy's resolv_srvrq_cleanup_srv: the server forgets its record and waits, free, in maintenance. */
  private release(server: RuntimeServer): void {
    this.targets.unfollow(server);
    if (server.resolutionMaint === undefined) this.enterMaintenance(server, 'entry removed from SRV record');
    this.backend.setServerAddress(server, undefined);
    this.backend.setServerTarget(server, undefined, 0);
    this.free.push(server);
  }

  private enterMaintenance(server: RuntimeServer, reason: string): void {
    enterResolutionMaint(this.backend, server, reason, this.notify);
  }
}

/** A DNS name as compared: without case and without a final dot. */
function nameKey(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** XXH32 of the name as DNS labels (length-prefixed, without the root's zero), seeded with 33 (SRV). */
function targetKey(target: string): number {
  const labels = target.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const bytes: number[] = [];
  for (const label of labels) {
    const b = Buffer.from(label, 'latin1');
    bytes.push(b.length, ...b);
  }
  return xxh32(Uint8Array.from(bytes), 33) >>> 0;
}
