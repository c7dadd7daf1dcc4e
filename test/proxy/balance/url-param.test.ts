/**
 * url_param. Expected orders were produced by real HAProxy 2.6.12 (scenarios.ts,
 * replayed live by against-haproxy.test.ts), including the round-robin fallback on
 * the map and on the consistent-hash ring.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sdbm } from '../../../proxy/balance/index.ts';
import { order, picks, pool } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { urlParam } from './scenarios.ts';

const FOUR = ['s1', 's2', 's3', 's4'];
const at = (key: string): string => FOUR[sdbm(key) % 4]!;

test('the value of the first NAME= parameter is hashed', () => {
  const { b } = pool('url_param', FOUR, { balance: { param: 'id' } });
  assert.equal(b.pick({ uri: '/x?id=42' })?.name, at('42'));
  assert.equal(b.pick({ uri: '/x?a=1&id=42&b=2' })?.name, at('42'));
  assert.equal(b.pick({ uri: '/x?id=42&id=43' })?.name, at('42'));
  assert.equal(b.pick({ uri: '/x?uid=7&id=9' })?.name, at('9'));
  assert.equal(b.pick({ uri: '/x?id=' })?.name, at(''));
  assert.deepEqual(picks(b, 3, { uri: '/x?id=abc' }), Array(3).fill(at('abc')));
});

test('no such parameter, no query or no request line: round robin', () => {
  const { b } = pool('url_param', FOUR, { balance: { param: 'id' } });
  assert.deepEqual(picks(b, 6, (i) => ({ uri: [`/x`, `/x?ids=1`, `/x?id`, `/x?ID=1`, `/x?a=id=1`, undefined][i] })), order('s1 s2 s3 s4 s1 s2'));
});

replayRecorded(urlParam);
