/**
 * The caches of one configuration load. Like HAProxy's new process on a reload, a new load starts
 * with empty caches. The rules of a proxy find theirs by name (`cacheOf`) once the engine built them.
 */
import type { Config, Proxy } from '../../config/model.ts';
import { HttpCache } from './store.ts';
import { CACHE_BLOCK_SIZE } from '../../config/kw-cache.ts';
import { SECONDARY_KEY_LENGTH } from './vary.ts';

const cachesOfProxy = new WeakMap<Proxy, HttpCaches>();

export class HttpCaches {
  private readonly caches = new Map<string, HttpCache>();

  constructor(config: Config) {
    for (const section of config.caches) if (section.totalMaxSizeMb > 0) this.caches.set(section.name, new HttpCache(section));
    for (const proxy of config.proxies) if (proxy.kind !== 'defaults') cachesOfProxy.set(proxy as Proxy, this);
  }

  get(name: string): HttpCache | undefined {
    return this.caches.get(name);
  }

  /**
   * The runtime API's `show cache`, in HAProxy 2.6's format. HAProxy prints memory addresses where
   * Loadstar has none: each cache and object gets a stable made-up one instead.
   */
  show(): string {
    let out = '';
    let index = 0;
    for (const cache of this.caches.values()) {
      const base = 0x7f0000000000 + index++ * 0x10000000;
      out += `${hex(base + 0x3a)}: ${cache.name} (shctx:${hex(base)}, available blocks:${cache.reusableBlocks})\n`;
      let n = 0;
      for (const object of cache.objects()) {
        const vary = (object.secondaryKey ?? Buffer.alloc(SECONDARY_KEY_LENGTH)).toString('hex');
        out += `${hex(base + 0xc8 + n++ * CACHE_BLOCK_SIZE)} hash:${object.key32} vary:0x${vary} size:${object.size} (${object.blocks} blocks), refcount:0, expire:${object.expire - Math.floor(Date.now() / 1000)}\n`;
      }
    }
    return out;
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The cache a rule of `proxy` names; throws when the engine has not built the configuration's caches (or it has no such cache: validate.ts refuses that). */
export function cacheOf(proxy: Proxy, name: string): HttpCache {
  const cache = cachesOfProxy.get(proxy)?.get(name);
  if (!cache) throw new Error(`proxy '${proxy.name}': the cache '${name}' is not built (only the running engine keeps caches)`);
  return cache;
}
