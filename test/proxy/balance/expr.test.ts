/**
 * `balance hash <expr>` (balance/expr.ts, backend.c get_server_expr): the sample is hashed as
 * the bytes sample.c's cast to binary gives. Side by side with haproxy 2.6.12 on real requests:
 * test/proxy/http/balance-hash.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, sdbm } from '../../../proxy/balance/index.ts';
import type { LbRequest } from '../../../proxy/balance/index.ts';
import { mkBin, mkBool, mkInt, mkIPv4, mkIPv6, mkStr } from '../../../proxy/acl/index.ts';
import type { Sample } from '../../../proxy/acl/index.ts';
import type { HashType } from '../../../proxy/config/model.ts';
import { order, picks, pool, setUsable } from './pool.ts';

const TEN = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10'];
const bytes = (...b: number[]): string => String.fromCharCode(...b);
const at = (key: string, hash = sdbm): string => TEN[hash(key) % 10]!;

/** A balancer whose expression yields the given samples, one per pick. */
function withSamples(samples: Array<Sample | undefined>, hashType?: HashType) {
  let next = 0;
  const p = pool('hash', TEN, { hashType, hashSample: () => samples[next++] });
  return { ...p, pick: () => p.b.pick({} satisfies LbRequest)?.name };
}

test('a string sample hashes its bytes; an integer its 8 bytes big-endian; an address its 4 or 16 bytes; a boolean 8 bytes', () => {
  const v6 = new Uint8Array(16).map((_, i) => i * 17);
  const cases: Array<[Sample, string]> = [
    [mkStr('user-42'), 'user-42'],
    [mkStr('\xe9t\xe9'), '\xe9t\xe9'],
    [mkBin(new Uint8Array([0, 1, 255])), bytes(0, 1, 255)],
    [mkInt(3), bytes(0, 0, 0, 0, 0, 0, 0, 3)],
    [mkInt(-2), bytes(255, 255, 255, 255, 255, 255, 255, 254)],
    [mkInt(0x0102030405), bytes(0, 0, 0, 1, 2, 3, 4, 5)],
    [mkIPv4((10 << 24 | 1 << 16 | 2 << 8 | 3) >>> 0), bytes(10, 1, 2, 3)],
    [mkIPv6(v6), String.fromCharCode(...v6)],
    [mkBool(true), bytes(0, 0, 0, 0, 0, 0, 0, 1)],
  ];
  const { pick } = withSamples(cases.map(([s]) => s));
  for (const [s, key] of cases) assert.equal(pick(), at(key), JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
});

test('the configured hash function runs on those bytes', () => {
  const { pick } = withSamples([mkInt(7), mkStr('abc')], { method: 'map-based', func: 'crc32', avalanche: false });
  assert.equal(pick(), at(bytes(0, 0, 0, 0, 0, 0, 0, 7), crc32));
  assert.equal(pick(), at('abc', crc32));
});

test('an empty value is a key; no value falls back to round robin', () => {
  const { b } = pool('hash', ['a', 'b', 'c', 'd'], { hashSample: (r) => (r.uri === undefined ? undefined : mkStr(r.uri)) });
  // sdbm('') = 0: the first server of the map, every time.
  assert.deepEqual(picks(b, 3, { uri: '' }), order('a a a'));
  assert.deepEqual(picks(b, 5, {}), order('a b c d a'));
});

test('with one server left the expression is not evaluated', () => {
  let evaluated = 0;
  const { b, s } = pool('hash', ['a', 'b'], { hashSample: () => { evaluated++; return mkStr('k'); } });
  setUsable(b, s.b!, false);
  assert.equal(b.pick({}), s.a);
  assert.equal(evaluated, 0);
  setUsable(b, s.b!, true);
  b.pick({});
  assert.equal(evaluated, 1);
});

test('without an expression to evaluate (a preview balancer) every pick is round robin', () => {
  const { b } = pool('hash', ['a', 'b', 'c']);
  assert.deepEqual(picks(b, 4, {}), order('a b c a'));
});
