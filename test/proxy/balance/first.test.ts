/**
 * first (HAProxy's lb_fas) and server ids. Expected orders were produced by real
 * HAProxy 2.6.12 with held requests filling `maxconn` (scenarios.ts, replayed live
 * by against-haproxy.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignServerIds } from '../../../proxy/balance/index.ts';
import { finish, hold, order, picks, pool, setUsable, setWeight } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { first } from './scenarios.ts';

test('the lowest id with a free slot takes the request; a server down is passed over', () => {
  const { b, s } = pool('first', ['s1 maxconn 2', 's2 maxconn 1', 's3 maxconn 2']);
  assert.deepEqual(picks(b, 3), order('s1 s1 s1'));
  const a = hold(b)!;
  assert.deepEqual(picks(b, 2), order('s1 s1'));
  assert.deepEqual([hold(b)?.name, hold(b)?.name], ['s1', 's2']);
  assert.deepEqual(picks(b, 2), order('s3 s3'));
  setUsable(b, s.s2!, false);
  assert.equal(hold(b), s.s3);
  assert.deepEqual(picks(b, 1), order('s3'));
  finish(b, a);
  assert.deepEqual(picks(b, 2), order('s1 s1'));
});

test('ids decide the order, not the declaration', () => {
  const { b } = pool('first', ['s1 maxconn 1 id 5', 's2 maxconn 1', 's3 maxconn 1 id 2', 's4 maxconn 1']);
  assert.deepEqual([hold(b), hold(b), hold(b), hold(b)].map((x) => x?.name), order('s3 s2 s1 s4'));
  assert.equal(b.pick({}), undefined);
});

test('weight 0 is unusable; backups only when no active is usable', () => {
  const { b, s } = pool('first', ['a maxconn 1', 'b maxconn 1 weight 0', 'c maxconn 1', 'b1 backup maxconn 1', 'b2 backup maxconn 1']);
  assert.deepEqual([hold(b)?.name, hold(b)?.name, b.pick({})?.name], ['a', 'c', undefined]);
  const c = pool('first', ['a maxconn 1', 'b maxconn 1 weight 0', 'b1 backup maxconn 1', 'b2 backup maxconn 1']);
  setUsable(c.b, c.s.a!, false);
  assert.equal(hold(c.b), c.s.b1);
  assert.equal(c.b.pick({}), c.s.b1); // the first backup even when full: the request waits on it
  setWeight(c.b, c.s.b!, 1);
  assert.equal(c.b.pick({}), c.s.b);
  assert.ok(s.a);
  const all = pool('first', ['a maxconn 1', 'b1 backup maxconn 1', 'b2 backup maxconn 1'], { allBackups: true });
  setUsable(all.b, all.s.a!, false);
  assert.equal(hold(all.b), all.s.b1);
  assert.deepEqual(picks(all.b, 2), order('b2 b2'));
});

test('the server to avoid is passed over unless it is the only one with room', () => {
  const { b, s } = pool('first', ['a', 'b']);
  assert.equal(b.pick({}, s.a), s.b);
  const one = pool('first', ['a', 'b maxconn 1']);
  assert.equal(hold(one.b), one.s.a);
  one.s.b!.served = 1; // b full
  assert.equal(one.b.pick({}, one.s.a), one.s.a);
});

test('server ids follow HAProxy: explicit ids kept, the others take the first free id from their position', () => {
  assert.deepEqual(assignServerIds([undefined, undefined, undefined]), [1, 2, 3]);
  assert.deepEqual(assignServerIds([5, undefined, 2, undefined]), [5, 3, 2, 6]);
  assert.deepEqual(assignServerIds([undefined, 1, undefined]), [2, 1, 4]);
  assert.deepEqual(assignServerIds([3, undefined, undefined, undefined]), [3, 2, 4, 5]);
});

replayRecorded(first);
