/**
 * The cache's part in one exchange: `http-request cache-use` (HAProxy's http_action_req_cache_use:
 * the key, the lookup, a hit the transaction then serves itself) and `http-response cache-store`
 * (http_action_store_cache: whether the response is stored, its head as the rule sees it, then its
 * body as it goes to the client, abandoned past max-object-size without the client noticing).
 * A transaction holds a CacheExchange only once a cache rule ran: others pay nothing.
 */
import type { ResponseHead } from '../upstream.ts';
import { htxHeadSize } from '../htx-size.ts';
import { getHeader } from '../headers.ts';
import type { HttpCache, CacheObject } from './store.ts';
import { ENTRY_OVERHEAD, nowSeconds } from './store.ts';
import { freshness, lastModified, notModified, primaryKey, requestCacheability, responseCacheability } from './policy.ts';
import type { Cacheability } from './policy.ts';
import { reduceSecondaryKey, requestSecondaryKey, responseEncodings, varySignature } from './vary.ts';

/** HAProxy caps an object's Age at 2^31 seconds (CACHE_ENTRY_MAX_AGE). */
const MAX_AGE_HEADER = 2147483648;

/** The request as the cache reads it. */
export interface CacheRequest {
  method: string;
  url: string;
  origin?: string;
  versionMajor: number;
  versionMinor: number;
  headers: string[];
}

/** A lookup that found a fresh object: the transaction answers with it instead of a server. */
export interface CacheHit {
  cache: HttpCache;
  object: CacheObject;
  /** A conditional request it satisfies: answered 304 with the object's head. */
  notModified: boolean;
}

/** What the cache rules of one exchange learnt and counted. */
export class CacheExchange {
  /** The request's cache flags (set by the first cache-use). */
  flags: Cacheability | undefined;
  /** The primary key; undefined when no cache-use computed one (cache-store then stores nothing). */
  hash: string | undefined;
  /** The request's secondary key (HAProxy's TX_CACHE_HAS_SEC_KEY when set). */
  secondaryKey: Buffer | undefined;
  hit: CacheHit | undefined;
  /** Lookups and hits by the frontend's rules and by the backend's (cache_lookups / cache_hits). */
  frontendLookups = 0;
  frontendHits = 0;
  backendLookups = 0;
  backendHits = 0;
}

/** `http-request cache-use`: `inFrontend` says whose counters count the lookup. */
export function cacheUse(state: CacheExchange, cache: HttpCache, request: CacheRequest, inFrontend: boolean): void {
  const http11 = request.versionMajor > 1 || request.versionMinor >= 1;
  const flags = (state.flags = requestCacheability(request.method, http11, request.headers));
  // Computed for every method: a successful unsafe one removes the stored object (RFC 7234 §4.4).
  state.hash = primaryKey(request.url, request.origin, request.headers);
  if (state.hash === undefined || flags.ignore) return;
  if (inFrontend) state.frontendLookups++;
  else state.backendLookups++;
  let object = cache.primary(state.hash);
  if (object && object.complete) {
    if (object.varySignature !== 0) {
      const key = requestSecondaryKey(request.headers, object.varySignature);
      state.secondaryKey = key;
      object = key ? cache.variant(state.hash, key) : undefined;
    }
    if (!object) return;
    cache.touch(object);
    state.hit = { cache, object, notModified: notModified(request.headers, object.etag, object.lastModified) };
    if (inFrontend) state.frontendHits++;
    else state.backendHits++;
    return;
  }
  // Nothing stored: the full secondary key, reduced once the response says what it varies on.
  if (!object && cache.processVary) state.secondaryKey = requestSecondaryKey(request.headers);
}

/** The head a hit answers with: the stored one, its Age, and 304 for a conditional request it satisfies. */
export function hitHead(hit: CacheHit): ResponseHead {
  const object = hit.object;
  const age = Math.min(Math.max(0, nowSeconds() - object.latestValidation) + object.age, MAX_AGE_HEADER);
  return {
    status: hit.notModified ? 304 : object.status,
    reason: hit.notModified ? 'Not Modified' : object.reason,
    versionMajor: 1,
    versionMinor: 1,
    headers: [...object.headers, 'age', String(age)],
    keepAlive: true,
    upgrade: false,
  };
}

/** Storing one response's body as it is relayed. */
export class CacheWriter {
  private done = false;

  constructor(private readonly cache: HttpCache, private readonly object: CacheObject) {}

  /** A piece of the body (copied: the caller's buffer is reused). Past max-object-size, the object is dropped. */
  write(chunk: Buffer): void {
    if (this.done) return;
    if (!this.cache.grow(this.object, chunk.length)) return this.abort();
    this.object.body.push(Buffer.from(chunk));
  }

  /** The whole body came: lookups find it from now on. */
  complete(): void {
    if (this.done) return;
    this.done = true;
    // One piece: served in one write (HAProxy's applet dumps it as one block).
    if (this.object.body.length > 1) this.object.body = [Buffer.concat(this.object.body)];
    this.object.complete = true;
  }

  /** The exchange ended before the body did, or the object grew too big: what was stored goes. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.cache.remove(this.object);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * `http-response cache-store`: a writer when the response is to be stored, else undefined.
 * `fromCache`: the response is a hit (never stored again). `head` is the response as the rules left it
 * so far; the stored copy leaves out the server's Age (kept apart, added back when served).
 */
export function cacheStore(state: CacheExchange | undefined, cache: HttpCache, request: CacheRequest, head: ResponseHead, fromCache: boolean): CacheWriter | undefined {
  if (fromCache || !state) return undefined;
  if (request.versionMajor === 1 && request.versionMinor === 0) return undefined;
  if (request.method !== 'GET') {
    // A successful unsafe method removes what the cache holds for the URI.
    if (head.status >= 200 && head.status < 400 && !SAFE_METHODS.has(request.method) && state.hash !== undefined) {
      const old = cache.primary(state.hash);
      if (old) cache.remove(old);
    }
    return undefined;
  }
  const hash = state.hash;
  if (hash === undefined || head.status !== 200 || !state.flags) return undefined;
  const headers = head.headers;
  const contentLength = getHeader(headers, 'content-length');
  const headSize = htxHeadSize('HTTP/1.1', String(head.status), head.reason, headers);
  if (contentLength !== undefined && headSize + Number(contentLength) > cache.maxObjectSize) return undefined;
  let signature = 0;
  let secondaryKey: Buffer | undefined;
  if (cache.processVary) {
    const vary = varySignature(headers);
    if (vary === undefined) return undefined;
    signature = vary;
    if (signature !== 0) {
      if (!state.secondaryKey) return undefined;
      secondaryKey = reduceSecondaryKey(state.secondaryKey, signature);
    }
  } else if (getHeader(headers, 'vary') !== undefined) return undefined;
  const flags = responseCacheability(state.flags, head.status, headers);
  if (!flags.cacheable || !flags.cookies || flags.ignore) return undefined;
  const old = signature !== 0 ? cache.variant(hash, secondaryKey!) : cache.primary(hash);
  if (old) {
    // Being stored by another exchange: this one would only waste room.
    if (!old.complete) return undefined;
    cache.remove(old);
  }
  const now = nowSeconds();
  const fresh = freshness(headers, cache.maxAge, now);
  let age = 0;
  const stored = [...headers];
  for (let i = 0; i < stored.length; i += 2) {
    if (stored[i]!.toLowerCase() !== 'age') continue;
    const value = /^\d+$/.test(stored[i + 1]!.trim()) ? Number(stored[i + 1]!.trim()) : -1;
    // A response older than its own max age is stale already; a malformed Age is not stored either.
    if (value <= 0 || fresh === undefined || Math.min(value, MAX_AGE_HEADER) > fresh.explicit) return undefined;
    age = Math.min(value, MAX_AGE_HEADER);
    stored.splice(i, 2);
    // HAProxy removes it from the response on its way to the client too.
    headers.splice(i, 2);
    break;
  }
  if (signature !== 0) {
    const encodings = responseEncodings(headers);
    if (encodings === undefined) return undefined;
    secondaryKey!.writeUInt32LE(encodings, 0);
  }
  const object: CacheObject = {
    hash, key32: Buffer.from(hash, 'hex').readUInt32LE(0), varySignature: signature, secondaryKey,
    status: head.status, reason: head.reason, headers: stored, body: [],
    size: ENTRY_OVERHEAD + headSize, blocks: 0, complete: false,
    // A malformed max-age makes HAProxy's maxage -1: stale at once.
    expire: now + (fresh ? fresh.effective : -1), latestValidation: now, age,
    etag: getHeader(headers, 'etag'), lastModified: lastModified(headers, now),
  };
  if (!cache.begin(object)) return undefined;
  return new CacheWriter(cache, object);
}
