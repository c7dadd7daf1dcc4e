/**
 * static-rr (HAProxy's lb_map round robin). Expected orders were produced by real
 * HAProxy 2.6.12 (X-Server: %s per response, runtime API for down/up/weight, held
 * requests for maxconn; see scenarios.ts, replayed live by against-haproxy.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finish, hold, order, picks, pool, setUsable, setWeight } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { staticRr } from './scenarios.ts';

test('weights 1, 2, 3 give the map order s1 s3 s2 s3 s2 s3, then s3 down and up again', () => {
  const { b, s } = pool('static-rr', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(b, 12), order('s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3'));

  const p = pool('static-rr', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(p.b, 5), order('s1 s3 s2 s3 s2'));
  setUsable(p.b, p.s.s3!, false);
  assert.deepEqual(picks(p.b, 7), order('s1 s2 s2 s1 s2 s2 s1'));
  setUsable(p.b, p.s.s3!, true);
  assert.deepEqual(picks(p.b, 14), order('s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2'));
  assert.ok(s.s1);
});

test('a full server is skipped', () => {
  const { b, s } = pool('static-rr', ['s1 weight 1', 's2 weight 2 maxconn 1', 's3 weight 3']);
  assert.deepEqual(picks(b, 2), order('s1 s3'));
  const held = hold(b);
  assert.equal(held, s.s2);
  assert.deepEqual(picks(b, 8), order('s3 s3 s1 s3 s3 s3 s1 s3'));
  finish(b, held!);
  assert.deepEqual(picks(b, 8), order('s2 s3 s2 s3 s1 s3 s2 s3'));
});

test('weights are divided by their GCD, and a weight can go to 0 and back', () => {
  const { b } = pool('static-rr', ['s1 weight 10', 's2 weight 20', 's3 weight 40']);
  assert.deepEqual(picks(b, 7), order('s1 s3 s2 s3 s2 s3 s3'));
  const p = pool('static-rr', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(p.b, 4), order('s1 s3 s2 s3'));
  setWeight(p.b, p.s.s3!, 0);
  assert.deepEqual(picks(p.b, 5), order('s1 s2 s2 s1 s2'));
  setWeight(p.b, p.s.s3!, 3);
  assert.deepEqual(picks(p.b, 9), order('s2 s3 s2 s3 s1 s3 s2 s3 s2'));
});

test('with the actives down, the first backup’s slots are shared by every backup (as in HAProxy)', () => {
  // HAProxy sizes the map to the first backup's weight but lets all usable backups compete for its slots
  const { b, s } = pool('static-rr', ['s1', 'b1 backup weight 2', 'b2 backup weight 3']);
  assert.deepEqual(picks(b, 2), order('s1 s1'));
  setUsable(b, s.s1!, false);
  assert.deepEqual(picks(b, 8), order('b2 b1 b2 b1 b2 b1 b2 b1'));
  const all = pool('static-rr', ['s1', 'b1 backup weight 2', 'b2 backup weight 3'], { allBackups: true });
  assert.deepEqual(picks(all.b, 2), order('s1 s1'));
  setUsable(all.b, all.s.s1!, false);
  assert.deepEqual(picks(all.b, 10), order('b2 b1 b2 b2 b1 b2 b1 b2 b2 b1'));
});

test('weight 0 is never picked; no usable server or all full gives no pick', () => {
  const { b, s } = pool('static-rr', ['a weight 0', 'b maxconn 1']);
  assert.deepEqual(picks(b, 3), order('b b b'));
  hold(b);
  assert.equal(b.pick({}), undefined);
  setUsable(b, s.b!, false);
  assert.equal(b.pick({}), undefined);
  assert.equal(b.totalWeight, 0);
});

test('the server to avoid is taken only when nothing else has room', () => {
  const { b, s } = pool('static-rr', ['a', 'b']);
  assert.equal(b.pick({}, s.a), s.b);
  const one = pool('static-rr', ['a']);
  assert.equal(one.b.pick({}, one.s.a), one.s.a);
});

replayRecorded(staticRr);
