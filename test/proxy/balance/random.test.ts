/**
 * random(N). HAProxy draws from a per-thread xorshift that starts at a fixed seed,
 * so a fresh `nbthread 1` HAProxy and a fresh Loadstar pick the same sequence:
 * the orders below were produced by real HAProxy 2.6.12 (scenarios.ts, replayed
 * live by against-haproxy.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resetRandom } from '../../../proxy/balance/index.ts';
import { statisticalPrng } from '../../../proxy/balance/random.ts';
import { hold, picks, pool, setUsable, setWeight } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { random } from './scenarios.ts';

test('the generator is HAProxy’s xorshift from its fixed seed', () => {
  resetRandom();
  assert.deepEqual([statisticalPrng(), statisticalPrng(), statisticalPrng()], [723471715, 2497366906, 2064144800]);
});

test('weights are respected over many picks, a weight-0 or down server gets nothing', () => {
  resetRandom();
  const { b, s } = pool('random', ['a weight 1', 'b weight 3', 'c weight 0'], { balance: { draws: 1 } });
  const count = (names: string[], n: string): number => names.filter((x) => x === n).length;
  const got = picks(b, 4000);
  assert.equal(count(got, 'c'), 0);
  const ratio = count(got, 'b') / count(got, 'a');
  assert.ok(ratio > 2.4 && ratio < 3.7, `b/a = ${ratio}`);
  setUsable(b, s.b!, false);
  assert.deepEqual(new Set(picks(b, 50)), new Set(['a']));
  setWeight(b, s.c!, 2);
  assert.ok(picks(b, 50).includes('c'));
});

test('two draws keep the less loaded server', () => {
  resetRandom();
  const { b, s } = pool('random', ['a', 'b']);
  // load a heavily: with two draws, b wins every time both are drawn
  s.a!.served = 100;
  const got = picks(b, 200);
  assert.ok(got.filter((x) => x === 'b').length > 120);
});

test('a full chosen server means no server (the request waits in the backend queue)', () => {
  resetRandom();
  const { b } = pool('random', ['a maxconn 1'], { balance: { draws: 1 } });
  assert.ok(hold(b));
  assert.equal(b.pick({}), undefined);
});

test('the server to avoid is skipped on the ring', () => {
  resetRandom();
  const { b, s } = pool('random', ['a', 'b', 'c']);
  for (let i = 0; i < 50; i++) assert.notEqual(b.pick({}, s.b), s.b);
});

test('backups: the first one only, or all of them with allbackups', () => {
  resetRandom();
  const { b, s } = pool('random', ['a', 'b1 backup', 'b2 backup']);
  setUsable(b, s.a!, false);
  assert.deepEqual(new Set(picks(b, 20)), new Set(['b1']));
  const all = pool('random', ['a', 'b1 backup', 'b2 backup'], { allBackups: true });
  setUsable(all.b, all.s.a!, false);
  assert.deepEqual(new Set(picks(all.b, 40)), new Set(['b1', 'b2']));
});

replayRecorded(random);
