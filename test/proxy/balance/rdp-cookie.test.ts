/**
 * rdp-cookie: the cookie value (extracted by the engine) is hashed like any other
 * key; its path (gen_hash, avalanche, map or ring, round-robin fallback) is the one
 * the hdr/uri/url_param orders verified against HAProxy exercise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullHash, sdbm, wt6 } from '../../../proxy/balance/index.ts';
import { order, picks, pool, setUsable } from './pool.ts';

const FOUR = ['s1', 's2', 's3', 's4'];

test('the same cookie always goes to the same server', () => {
  const { b } = pool('rdp-cookie', FOUR, { balance: { header: 'mstshash' } });
  for (const user of ['alice', 'bob', 'carol', 'dave']) {
    assert.deepEqual(picks(b, 3, { rdpCookie: user }), Array(3).fill(FOUR[sdbm(user) % 4]));
  }
});

test('the hash-type function and avalanche apply', () => {
  const { b } = pool('rdp-cookie', FOUR, { hashType: { method: 'map-based', func: 'wt6', avalanche: true } });
  assert.equal(b.pick({ rdpCookie: 'alice' })?.name, FOUR[fullHash(wt6('alice')) % 4]);
});

test('no cookie or an empty one: round robin', () => {
  const { b } = pool('rdp-cookie', FOUR);
  assert.deepEqual(picks(b, 5, (i) => (i % 2 ? { rdpCookie: '' } : {})), order('s1 s2 s3 s4 s1'));
});

test('consistent hashing keeps the other users in place when a server goes down', () => {
  const { b, s } = pool('rdp-cookie', FOUR, { hashType: { method: 'consistent', avalanche: false } });
  const users = Array.from({ length: 200 }, (_, i) => `user${i}`);
  const before = users.map((u) => b.pick({ rdpCookie: u })!.name);
  setUsable(b, s.s3!, false);
  const after = users.map((u) => b.pick({ rdpCookie: u })!.name);
  users.forEach((_, i) => { if (before[i] !== 's3') assert.equal(after[i], before[i]); });
});
