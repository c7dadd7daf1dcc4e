/**
 * The `cache` section (configuration.txt §6, HAProxy 2.6's cfg_parse_cache) and the checks HAProxy
 * makes once the configuration is read: a size is required, `max-object-size` defaults to a 256th of
 * it and may not pass half of it, and every cache a proxy's rules or `filter cache` name must exist.
 * Messages are HAProxy's own.
 */
import type { DirectiveContext, ProxyDirectiveContext } from './keywords.ts';
import type { CacheSection, Config, Section } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';
import { atoi } from './values.ts';

export const CACHE_KEYWORDS = ['total-max-size', 'max-object-size', 'max-age', 'process-vary', 'max-secondary-entries'];

/** HAProxy's cache blocks: objects are stored in 1 kB blocks (CACHE_BLOCKSIZE). */
export const CACHE_BLOCK_SIZE = 1024;
/** HAProxy keeps at most 32 characters of a cache's name. */
const MAX_NAME = 32;
/** `total-max-size` is in MB, held as a count of 1 kB blocks in an unsigned int. */
const MAX_TOTAL_MB = 0xffffffff >>> 20;

export function newCacheSection(section: Section): CacheSection {
  return { name: section.name.slice(0, MAX_NAME), section, totalMaxSizeMb: 0, maxAge: 60, processVary: false, maxSecondaryEntries: 10 };
}

/** Checks the name of a new `cache` section; false when HAProxy stops reading the section. */
export function openCacheSection(cache: CacheSection, previous: readonly CacheSection[], diagnostics: Diagnostics): boolean {
  const loc = cache.section.loc;
  if (cache.section.name.length > MAX_NAME) {
    diagnostics.warn(loc, 'LS_WARN_CFG_SUSPICIOUS', `cache name is limited to 32 characters, truncate to '${cache.name}'.`, 'cache');
  }
  if (previous.some((c) => c.name === cache.name)) {
    diagnostics.alert(loc, 'LS_ERR_CFG_DUPLICATE', `Duplicate cache name '${cache.name}'.`, 'cache');
    return false;
  }
  return true;
}

/** An unsigned number as strtoul reads it whole (no sign, no unit). */
function unsigned(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

export function parseCacheDirective(ctx: DirectiveContext, cache: CacheSection, keyword: string): void {
  const a = ctx.args;
  if (a.length > 1) return ctx.error(`'${keyword}' cannot handle unexpected argument '${a[1]}'.`, 1);
  const value = a[0];
  switch (keyword) {
    case 'total-max-size': {
      const mb = unsigned(value);
      if (mb === undefined) return ctx.error(`total-max-size wrong value '${value ?? ''}'`, 0);
      if (mb > MAX_TOTAL_MB) return ctx.error(`"total-max-size" (${value}) must not be greater than ${MAX_TOTAL_MB}`, 0);
      cache.totalMaxSizeMb = mb;
      return;
    }
    case 'max-age':
      if (value === undefined) ctx.warn(`'max-age' expects an age parameter in seconds.`);
      // atoi: the leading digits, 0 without any.
      cache.maxAge = atoi(value ?? '');
      return;
    case 'max-object-size': {
      const size = unsigned(value);
      if (size === undefined) return ctx.error(`max-object-size wrong value '${value ?? ''}'`, 0);
      cache.maxObjectSize = size;
      return;
    }
    case 'process-vary':
      if (value === 'on' || value === 'off') cache.processVary = value === 'on';
      else ctx.warn(`'process-vary' expects "on" or "off" (enable or disable vary processing).`, 0);
      return;
    case 'max-secondary-entries': {
      const n = unsigned(value);
      if (n === undefined || n === 0) return ctx.error(`max-secondary-entries wrong value '${value ?? ''}'`, 0);
      cache.maxSecondaryEntries = n;
      return;
    }
  }
}

/** The size limit of one object in bytes: `max-object-size`, else a 256th of the cache. */
export function maxObjectSize(cache: CacheSection): number {
  return cache.maxObjectSize || (cache.totalMaxSizeMb * 1024 * 1024) >>> 8;
}

/**
 * HAProxy's checks once the sections are read (cfg_post_parse_section_cache, cache_store_check):
 * each cache has a size and a sensible object limit; each cache filter names a cache and, when
 * declared explicitly, comes before the compression filter.
 */
export function cacheProblems(config: Config, diagnostics: Diagnostics): void {
  for (const cache of config.caches) {
    const loc = cache.section.loc;
    if (cache.totalMaxSizeMb === 0) {
      diagnostics.alert(loc, 'LS_ERR_CFG_BAD_ARGUMENT', `Size not specified for cache '${cache.name}'`, 'cache');
      continue;
    }
    const half = (cache.totalMaxSizeMb * 1024 * 1024) / 2;
    if (cache.maxObjectSize !== undefined && cache.maxObjectSize > half) {
      diagnostics.alert(loc, 'LS_ERR_CFG_BAD_ARGUMENT', `"max-object-size" is limited to an half of "total-max-size" => ${half}`, 'max-object-size');
    }
  }
  const names = new Set(config.caches.map((c) => c.name));
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    // HAProxy's proxy_type_str(): a listen section is a 'proxy'.
    const kind = proxy.kind === 'listen' ? 'proxy' : proxy.kind;
    for (const filter of proxy.cacheFilters ?? []) {
      if (!names.has(filter.name)) {
        diagnostics.alert(filter.loc, 'LS_ERR_CFG_REFERENCE', `config: ${kind} '${proxy.name}': unable to find the cache '${filter.name}' referenced by the filter 'cache'.`, 'cache');
      } else if (filter.afterCompression) {
        diagnostics.alert(filter.loc, 'LS_ERR_CFG_CONFLICT', `config: ${kind} '${proxy.name}': unable to enable the compression filter before the cache '${filter.name}'.`, 'filter');
      }
    }
  }
}

/**
 * The cache filter a cache-use / cache-store rule works with (parse_cache_rule): the proxy's filter for
 * that cache, else an implicit one. Returns the cache name, or undefined after reporting a missing one.
 */
export function cacheRuleName(ctx: ProxyDirectiveContext, args: readonly string[], fail: (message: string, argIndex?: number) => void): string | undefined {
  const name = args[0];
  if (name === undefined || name === '') return void fail('expects a cache name.');
  if (args.length > 1) return void ctx.error(`'${ctx.directive.keyword} ${ctx.args[0]}' expects either 'if' or 'unless' followed by a condition but found '${args[1]}'.`, 2);
  const filters = (ctx.proxy.cacheFilters ??= []);
  if (!filters.some((f) => f.name === name)) filters.push({ name, explicit: false, afterCompression: false, loc: ctx.directive.loc });
  return name;
}

/** `filter cache <name>` (parse_cache_flt): replaces an implicit filter of the same cache, one explicit one per cache. */
export function parseCacheFilter(ctx: ProxyDirectiveContext): void {
  const name = ctx.args[1];
  if (name === undefined) return ctx.error(`'filter' : 'cache : expects a <name> argument'`, 0);
  if (ctx.args.length > 2) return ctx.error(`'filter' : unexpected argument '${ctx.args[2]}'.`, 2);
  const filters = (ctx.proxy.cacheFilters ??= []);
  const existing = filters.findIndex((f) => f.name === name);
  if (existing >= 0 && filters[existing]!.explicit) {
    return ctx.error(`'filter' : '${ctx.proxy.name}: multiple explicit declarations of the cache filter '${name}''`, 0, 'LS_ERR_CFG_DUPLICATE');
  }
  if (existing >= 0) filters.splice(existing, 1);
  filters.push({ name, explicit: true, afterCompression: ctx.proxy.compression.filter === true, loc: ctx.directive.loc });
}
