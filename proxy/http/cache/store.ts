/**
 * One `cache` section as it runs (HAProxy 2.6's src/cache.c over its shared context): objects by
 * primary key, each with its variants when the server's Vary asked for them (process-vary on),
 * sized in 1 kB blocks with `total-max-size` as the bound. Allocating evicts the least recently used
 * objects that are complete (one being stored is never evicted), as HAProxy's block list does.
 * Expiry is checked when an object is looked up: no timer per object.
 */
import type { CacheSection } from '../../config/model.ts';
import { CACHE_BLOCK_SIZE, maxObjectSize } from '../../config/kw-cache.ts';
import { secondaryKeysMatch } from './vary.ts';

/** HAProxy's struct cache_entry, which every object's first block holds before its head (bytes). */
export const ENTRY_OVERHEAD = 160;

export interface CacheObject {
  /** The primary key: SHA-1 of the scheme, host and URI (hex). */
  readonly hash: string;
  /** Its first 32 bits, as `show cache` prints it (HAProxy's tree key). */
  readonly key32: number;
  /** Vary bits of the response (vary.ts) and the request's secondary key they select; 0 / undefined without Vary. */
  readonly varySignature: number;
  readonly secondaryKey: Buffer | undefined;
  status: number;
  reason: string;
  /** The response head as cache-store saw it (flat [name, value, …], without its Age). */
  headers: string[];
  body: Buffer[];
  /** Bytes it takes in the cache: overhead, head and body. */
  size: number;
  /** Blocks reserved for it. */
  blocks: number;
  /** Stored whole: until then a lookup misses, and another response for the key is not stored. */
  complete: boolean;
  /** Seconds (epoch): fresh until then. */
  expire: number;
  /** When it was stored (seconds), the base of the Age header; `age` is the server's own Age. */
  latestValidation: number;
  age: number;
  etag: string | undefined;
  /** Last-Modified, else Date, else the time it was stored (seconds): what If-Modified-Since compares with. */
  lastModified: number;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class HttpCache {
  readonly name: string;
  readonly maxBlocks: number;
  readonly maxObjectSize: number;
  readonly maxAge: number;
  readonly processVary: boolean;
  readonly maxSecondaryEntries: number;
  /** Objects by primary key; variants of one key in insertion order. */
  private readonly byKey = new Map<string, CacheObject[]>();
  /** Every object holding blocks, least recently used first. */
  private readonly lru = new Set<CacheObject>();
  private usedBlocks = 0;

  constructor(section: CacheSection) {
    this.name = section.name;
    this.maxBlocks = (section.totalMaxSizeMb * 1024 * 1024) / CACHE_BLOCK_SIZE;
    this.maxObjectSize = maxObjectSize(section);
    this.maxAge = section.maxAge;
    this.processVary = section.processVary;
    this.maxSecondaryEntries = section.maxSecondaryEntries;
  }

  /** Blocks not holding anything. */
  get availableBlocks(): number {
    return this.maxBlocks - this.usedBlocks;
  }

  /**
   * Blocks HAProxy's `show cache` calls available: all but those of objects being stored (its
   * stored objects stay on the list of blocks a new object may take, evicting them).
   */
  get reusableBlocks(): number {
    let hot = 0;
    for (const object of this.lru) if (!object.complete) hot += object.blocks;
    return this.maxBlocks - hot;
  }

  /** The first live object of the key (entry_exist): an expired one is removed on the way. */
  primary(hash: string): CacheObject | undefined {
    const list = this.byKey.get(hash);
    const first = list?.[0];
    if (!first) return undefined;
    if (first.expire > nowSeconds()) return first;
    this.remove(first);
    return undefined;
  }

  /** The live variant whose secondary key matches the request's (secondary_entry_exist). */
  variant(hash: string, secondaryKey: Buffer): CacheObject | undefined {
    const now = nowSeconds();
    for (const object of [...(this.byKey.get(hash) ?? [])]) {
      if (object.expire <= now) {
        this.remove(object);
        continue;
      }
      if (object.secondaryKey && secondaryKeysMatch(object.secondaryKey, secondaryKey)) return object;
    }
    return undefined;
  }

  /** A hit: the object moves to the end of the eviction order. */
  touch(object: CacheObject): void {
    if (!this.lru.delete(object)) return;
    this.lru.add(object);
  }

  /**
   * Starts storing an object (incomplete until `complete`); undefined when it cannot be:
   * too many variants of the key already, or no room even after evicting.
   */
  begin(object: CacheObject): boolean {
    const list = this.byKey.get(object.hash) ?? [];
    if (object.varySignature !== 0) {
      const now = nowSeconds();
      for (const other of [...list]) if (other.expire <= now) this.remove(other);
      if ((this.byKey.get(object.hash)?.length ?? 0) >= this.maxSecondaryEntries) return false;
    }
    object.blocks = 0;
    if (!this.grow(object, object.size)) return false;
    const current = this.byKey.get(object.hash);
    if (current) current.push(object);
    else this.byKey.set(object.hash, [object]);
    return true;
  }

  /** Reserves room for `bytes` more of an object being stored; false when it would pass max-object-size or the cache. */
  grow(object: CacheObject, bytes: number): boolean {
    const size = object.blocks === 0 ? bytes : object.size + bytes;
    if (size > this.maxObjectSize) return false;
    const needed = Math.ceil(size / CACHE_BLOCK_SIZE) - object.blocks;
    if (needed > 0 && !this.reserve(needed)) return false;
    if (needed > 0) object.blocks += needed;
    object.size = size;
    this.lru.delete(object);
    this.lru.add(object);
    return true;
  }

  /** Evicts complete objects, least recently used first, until `blocks` are free. */
  private reserve(blocks: number): boolean {
    if (blocks > this.maxBlocks) return false;
    for (const object of this.lru) {
      if (this.availableBlocks >= blocks) break;
      if (object.complete) this.remove(object);
    }
    if (this.availableBlocks < blocks) return false;
    this.usedBlocks += blocks;
    return true;
  }

  remove(object: CacheObject): void {
    if (this.lru.delete(object)) this.usedBlocks -= object.blocks;
    object.blocks = 0;
    const list = this.byKey.get(object.hash);
    if (!list) return;
    const i = list.indexOf(object);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(object.hash);
  }

  /** Live objects in key order, expired ones removed (`show cache`). */
  objects(): CacheObject[] {
    const now = nowSeconds();
    const live: CacheObject[] = [];
    for (const list of [...this.byKey.values()]) {
      for (const object of [...list]) {
        if (object.expire > now) live.push(object);
        else this.remove(object);
      }
    }
    return live.sort((a, b) => a.key32 - b.key32);
  }
}
