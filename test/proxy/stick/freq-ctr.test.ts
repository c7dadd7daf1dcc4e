/**
 * The sliding-period rate of freq_ctr.h / freq_ctr.c (HAProxy 2.6), value by
 * value: the first event opens a period, events in it count exactly, the next
 * period weighs the previous one by the part of it still inside the window,
 * and after two idle periods everything is forgotten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreqCtr } from '../../../proxy/stick/freq-ctr.ts';

const T0 = 1_700_000_000_000; // an even clock date, as HAProxy keeps period starts

test('a fresh counter reads 0; events inside the first period read as their exact count', () => {
  const c = new FreqCtr();
  assert.equal(c.read(10_000, T0), 0);
  assert.equal(c.update(10_000, 1, T0), 1);
  assert.equal(c.update(10_000, 1, T0 + 2_000), 2);
  assert.equal(c.update(10_000, 1, T0 + 9_999), 3);
  assert.equal(c.read(10_000, T0 + 9_999), 3);
});

test('in the next period the previous one counts for the part of it still inside the window (rounded down)', () => {
  const c = new FreqCtr();
  for (let i = 0; i < 10; i++) c.update(10_000, 1, T0 + i);
  // 2.5 s into the second period: 10 × 7.5/10 of the previous period.
  assert.equal(c.read(10_000, T0 + 12_500), 7);
  c.update(10_000, 1, T0 + 12_500); // rotates: previous 10, current 1
  assert.equal(c.read(10_000, T0 + 12_500), 1 + 7);
  assert.equal(c.read(10_000, T0 + 19_999), 1 + 0); // 10 × 1/10000 rounds to nothing
});

test('after more than two periods without events the counter is empty; the next event opens a period at once', () => {
  const c = new FreqCtr();
  for (let i = 0; i < 5; i++) c.update(1_000, 1, T0);
  assert.equal(c.read(1_000, T0 + 2_001), 0);
  assert.equal(c.update(1_000, 1, T0 + 5_000), 1);
  assert.equal(c.read(1_000, T0 + 5_500), 1);
});

test('the flapping correction: with no event in the current period and one in the previous, the rate reads 1 until it is out', () => {
  const c = new FreqCtr();
  c.update(1_000, 1, T0);
  assert.equal(c.read(1_000, T0 + 1_900), 1); // would be 0.1 → 0 without the correction
  assert.equal(c.read(1_000, T0 + 2_001), 0);
});
