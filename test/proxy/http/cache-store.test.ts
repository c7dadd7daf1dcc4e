/**
 * The cache's memory bound (proxy/http/cache/store.ts): objects take 1 kB blocks out of
 * `total-max-size`; a new object evicts the least recently used complete ones, never one still
 * being stored; an object may not grow past `max-object-size`. (HAProxy's block allocator is not
 * observable from outside beyond `show cache`, so this is checked on the store itself.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpCache, nowSeconds } from '../../../proxy/http/cache/store.ts';
import type { CacheObject } from '../../../proxy/http/cache/store.ts';
import { newCacheSection } from '../../../proxy/config/kw-cache.ts';
import type { Section } from '../../../proxy/config/model.ts';

function cache(): HttpCache {
  const section: Section = { kind: 'cache', name: 'c', loc: { file: 'x', line: 1, column: 1 }, comments: [], directives: [] };
  return new HttpCache({ ...newCacheSection(section), totalMaxSizeMb: 1 });
}

function object(name: string, size: number): CacheObject {
  return {
    hash: name, key32: 0, varySignature: 0, secondaryKey: undefined, status: 200, reason: 'OK', headers: [], body: [],
    size, blocks: 0, complete: false, expire: nowSeconds() + 60, latestValidation: nowSeconds(), age: 0, etag: undefined, lastModified: 0,
  };
}

test('a full cache evicts its least recently used objects, not those being stored', () => {
  const c = cache();
  assert.equal(c.maxBlocks, 1024);
  assert.equal(c.maxObjectSize, 4096);
  const stored: CacheObject[] = [];
  for (let i = 0; i < 256; i++) {
    const o = object(`k${i}`, 4000);
    assert.ok(c.begin(o), `object ${i}`);
    if (i !== 1) o.complete = true;
    stored.push(o);
  }
  assert.equal(c.availableBlocks, 0);
  c.touch(stored[0]!);
  assert.ok(c.begin(object('new', 4000)));
  // k0 was used last, k1 is still being stored: k2 made room.
  assert.ok(c.primary('k0'));
  assert.ok(c.primary('k1'));
  assert.equal(c.primary('k2'), undefined);
  assert.ok(c.primary('k3'));
});

test('an object may not grow past max-object-size, and one bigger than the cache is refused', () => {
  const c = cache();
  const o = object('k', 1000);
  assert.ok(c.begin(o));
  assert.ok(c.grow(o, 3000));
  assert.equal(c.grow(o, 97), false);
  assert.equal(c.begin(object('huge', 5000)), false);
});
