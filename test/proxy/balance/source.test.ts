/**
 * source. Expected orders were produced by real HAProxy 2.6.12 with requests from
 * different 127.x.y.z client addresses (scenarios.ts, replayed live by
 * against-haproxy.test.ts); the IPv6 and v4-mapped folds were checked the same way
 * on a listener bound to `ipv6@::ffff:127.0.0.1` and `ipv6@::1`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldAddress } from '../../../proxy/balance/source.ts';
import { fullHash } from '../../../proxy/balance/index.ts';
import { hold, order, picks, pool, setUsable } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { source } from './scenarios.ts';

test('the address is folded into 32 bits as HAProxy does, without the hash function', () => {
  assert.equal(foldAddress('10.1.2.3'), 0x0a010203);
  assert.equal(foldAddress('255.255.255.255'), 0xffffffff);
  assert.equal(foldAddress('::1'), 1);
  assert.equal(foldAddress('2001:db8::8:800:200c:417a'), (0x20010db8 ^ 0 ^ 0x00080800 ^ 0x200c417a) >>> 0);
  assert.equal(foldAddress('::ffff:127.0.0.1'), (0x0000ffff ^ 0x7f000001) >>> 0);
  assert.equal(foldAddress('fe80::1%eth0'), (0xfe800000 ^ 1) >>> 0);
  for (const bad of ['', '1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1::2::3', ':::', '12345::', '1:2:3:4:5:6:7:8:9']) assert.equal(foldAddress(bad), -1, bad);
});

test('a client always lands on the same server; map-based picks hash % total weight', () => {
  const { b, s } = pool('source', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  // the map of weights 1, 2, 3 is [s1 s3 s2 s3 s2 s3]
  const expectAt = ['s1', 's3', 's2', 's3', 's2', 's3'];
  for (const ip of ['10.0.0.1', '10.0.0.2', '192.168.1.77', '172.16.5.4']) {
    const want = expectAt[foldAddress(ip) % 6]!;
    assert.deepEqual(picks(b, 3, { source: ip }), [want, want, want]);
  }
  // a full server still gets its clients (they wait on it)
  s.s3!.maxconn = 1;
  s.s3!.served = 1;
  assert.equal(b.pick({ source: '10.0.0.2' }), s[expectAt[foldAddress('10.0.0.2') % 6]!]);
});

test('marking a server down remaps the clients over the remaining weights', () => {
  const { b, s } = pool('source', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  setUsable(b, s.s2!, false);
  const map = ['s1', 's3', 's3', 's3']; // weights 1 and 3
  for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) assert.equal(b.pick({ source: ip })?.name, map[foldAddress(ip) % 4]);
});

// Checked on HAProxy 2.6.12 with a `bind unix@…` listener: s1 s3 s2 s3 s2 s3 s1 s3.
test('no client address (unix socket) falls back to round robin on the map', () => {
  const { b } = pool('source', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(b, 6, {}), order('s1 s3 s2 s3 s2 s3'));
});

test('avalanche applies full_hash to the folded address', () => {
  const { b } = pool('source', ['a', 'b', 'c', 'd'], { hashType: { method: 'map-based', func: 'sdbm', avalanche: true } });
  const names = ['a', 'b', 'c', 'd'];
  for (const ip of ['10.0.0.1', '10.9.8.7', '::1']) assert.equal(b.pick({ source: ip })?.name, names[fullHash(foldAddress(ip)) % 4]);
});

test('with one server left nothing is hashed, and the first backup takes everything', () => {
  const { b, s } = pool('source', ['s1', 'b1 backup', 'b2 backup']);
  setUsable(b, s.s1!, false);
  assert.deepEqual(picks(b, 3, (i) => ({ source: `10.0.0.${i}` })), order('b1 b1 b1'));
  assert.ok(hold(b, { source: '10.0.0.9' }));
});

replayRecorded(source);
