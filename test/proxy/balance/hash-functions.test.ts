/**
 * Hash functions. The values were produced by real HAProxy 2.6.12's converters
 * (`%[req.hdr(x-k),sdbm]`, `djb2`, `wt6`, `crc32`, `sdbm(1)` and `crc32(1)` for
 * avalanche, i.e. full_hash) on the same header values, latin1 bytes included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, djb2, fullHash, sdbm, wt6 } from '../../../proxy/balance/index.ts';
import { resolveHashType } from '../../../proxy/balance/hash.ts';

// value: sdbm djb2 wt6 crc32 full_hash(sdbm) full_hash(crc32)
const FROM_HAPROXY: Array<[string, string]> = [
  ['a', '97 177670 1900802597 3904355907 1830748055 1288200982'],
  ['hello world', '430867652 894552257 1866899626 222957957 261123301 2832483188'],
  ['key-123', '2754784004 613884593 1031856312 2641827349 2796726242 2324981115'],
  ['/dir/sub/file.html', '781812349 2513322718 3079585224 2748865486 2211868650 3885443107'],
  ['Zz9~!@#$%^&*()', '1382345795 1606995164 1743468539 3436246253 2227627745 4130670389'],
  ['caf\u00e9 \u00ff\u0080x', '752417816 41286031 1309478400 2518256671 20961357 3905273335'],
  ['x'.repeat(37), '3832276088 3706334077 3865293501 1513588509 390545361 4146490271'],
  ['The quick brown fox jumps over the lazy dog', '2359783795 885799134 3840389189 1095738169 4144961173 1090730130'],
];

test('sdbm, djb2, wt6, crc32 and avalanche give HAProxy’s values', () => {
  for (const [value, expected] of FROM_HAPROXY) {
    const got = [sdbm(value), djb2(value), wt6(value), crc32(value), fullHash(sdbm(value)), fullHash(crc32(value))].join(' ');
    assert.equal(got, expected, JSON.stringify(value));
  }
});

test('a range of the string hashes like the substring', () => {
  const s = 'xx/path?q';
  assert.equal(sdbm(s, 2, 7), sdbm('/path'));
  assert.equal(wt6(s, 2, 7), wt6('/path'));
  assert.equal(sdbm(''), 0);
  assert.equal(crc32(''), 0);
});

test('full_hash is a bijection on a sample (ring points never collide)', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 200_000; i++) seen.add(fullHash(i * 4096 + (i % 4096)));
  assert.equal(seen.size, 200_000);
});

test('hash-type defaults: map-based sdbm; bare consistent implies avalanche; a named function needs the modifier', () => {
  assert.deepEqual(resolveHashType(undefined), { consistent: false, fn: sdbm, avalanche: false });
  assert.deepEqual(resolveHashType({ method: 'map-based', avalanche: false }), { consistent: false, fn: sdbm, avalanche: false });
  assert.deepEqual(resolveHashType({ method: 'consistent', avalanche: false }), { consistent: true, fn: sdbm, avalanche: true });
  assert.deepEqual(resolveHashType({ method: 'consistent', func: 'sdbm', avalanche: false }), { consistent: true, fn: sdbm, avalanche: false });
  assert.deepEqual(resolveHashType({ method: 'map-based', func: 'djb2', avalanche: true }), { consistent: false, fn: djb2, avalanche: true });
});
