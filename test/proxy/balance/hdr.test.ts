/**
 * hdr(name). Expected orders were produced by real HAProxy 2.6.12 (scenarios.ts,
 * replayed live by against-haproxy.test.ts): first value before a comma, quoted
 * commas, blanks, empty values, use_domain_only, consistent hashing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sdbm } from '../../../proxy/balance/index.ts';
import type { LbRequest } from '../../../proxy/balance/index.ts';
import { order, picks, pool, setUsable } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { hdr } from './scenarios.ts';

const FOUR = ['s1', 's2', 's3', 's4'];
const at = (key: string): string => FOUR[sdbm(key) % 4]!;
const withHeader = (name: string, value: string | undefined): LbRequest => ({ header: (n) => (n.toLowerCase() === name.toLowerCase() ? value : undefined) });

test('the first value of the header is hashed', () => {
  const { b } = pool('hdr', FOUR, { balance: { header: 'X-Key' } });
  assert.equal(b.pick(withHeader('x-key', 'abc'))?.name, at('abc'));
  assert.equal(b.pick(withHeader('x-key', '  abc , def'))?.name, at('abc'));
  assert.equal(b.pick(withHeader('x-key', '"a,b", c'))?.name, at('"a,b"'));
  assert.equal(b.pick(withHeader('x-key', '"a\\",b" x'))?.name, at('"a\\",b" x'));
});

test('use_domain_only hashes the label before the last dot', () => {
  const { b } = pool('hdr', FOUR, { balance: { header: 'Host', useDomainOnly: true } });
  for (const [host, key] of [['haproxy.1wt.eu', '1wt'], ['www.example.com', 'example'], ['example.com', 'example'], ['localhost', 'localhost'], ['a.b.c.d.e', 'd'], ['w.example.com:8080', 'example'], ['x..y', 'x.']]) {
    assert.equal(b.pick(withHeader('host', host!))?.name, at(key!), host);
  }
});

test('missing or empty header, or no HTTP at all: round robin', () => {
  const { b } = pool('hdr', FOUR, { balance: { header: 'X-Key' } });
  assert.deepEqual(picks(b, 5, (i) => [withHeader('x-key', undefined), withHeader('x-key', ''), withHeader('x-key', ' , a'), {}, withHeader('other', 'x')][i]!), order('s1 s2 s3 s4 s1'));
});

test('with one server left the header is not even looked at', () => {
  const { b, s } = pool('hdr', ['a', 'b'], { balance: { header: 'X-Key' } });
  setUsable(b, s.b!, false);
  let looked = false;
  assert.equal(b.pick({ header: () => { looked = true; return 'k'; } }), s.a);
  assert.equal(looked, false);
});

replayRecorded(hdr);
