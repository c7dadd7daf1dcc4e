/**
 * roundrobin (HAProxy's lb_fwrr). Every expected order below was produced by real
 * HAProxy 2.6.12 (nbthread 1): the same backend was run behind `haproxy` with
 * `http-response set-header X-Server %s`, servers were marked down/up and
 * reweighted through the runtime API, and held requests filled `maxconn`
 * (scenarios.ts / differential.ts; against-haproxy.test.ts replays them live).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finish, hold, order, picks, pool, setUsable, setWeight } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { roundrobin } from './scenarios.ts';
import type { LbServer } from '../../../proxy/balance/index.ts';

test('weights 1, 2, 3 give the order s3 s2 s3 s1 s3 s2, then s3 down and up again', () => {
  const { b, s } = pool('roundrobin', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(b, 12), order('s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2'));

  const p = pool('roundrobin', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(p.b, 5), order('s3 s2 s3 s1 s3'));
  setUsable(p.b, p.s.s3!, false);
  assert.deepEqual(picks(p.b, 7), order('s2 s2 s2 s2 s1 s2 s2'));
  setUsable(p.b, p.s.s3!, true);
  assert.deepEqual(picks(p.b, 14), order('s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3'));
  assert.equal(s.s1!.served + s.s2!.served + s.s3!.served, 0);
});

test('a full server is skipped and gets its turns back once it has room', () => {
  const { b, s } = pool('roundrobin', ['s1 weight 1', 's2 weight 2 maxconn 1', 's3 weight 3']);
  assert.deepEqual(picks(b, 1), ['s3']);
  const held = hold(b);
  assert.equal(held, s.s2);
  assert.deepEqual(picks(b, 12), order('s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3'));
  finish(b, held!);
  assert.deepEqual(picks(b, 12), order('s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3'));
});

test('weight changes at runtime take effect at once', () => {
  const { b, s } = pool('roundrobin', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(b, 4), order('s3 s2 s3 s1'));
  setWeight(b, s.s1!, 5);
  assert.deepEqual(picks(b, 14), order('s3 s2 s1 s3 s1 s2 s1 s3 s1 s1 s3 s2 s1 s3'));
  setWeight(b, s.s3!, 0);
  assert.deepEqual(picks(b, 8), order('s1 s1 s2 s1 s1 s2 s1 s1'));
});

test('a weight-0 server is never picked, and no usable server means no pick', () => {
  const { b, s } = pool('roundrobin', ['a weight 0', 'b', 'c weight 0']);
  assert.deepEqual(picks(b, 4), order('b b b b'));
  setUsable(b, s.b!, false);
  assert.equal(b.pick({}), undefined);
  assert.equal(b.totalWeight, 0);
});

test('when every server is full the request is left to the backend queue', () => {
  const { b } = pool('roundrobin', ['a maxconn 1', 'b maxconn 1']);
  assert.equal(b.queueShortcut, true);
  const one = hold(b);
  const two = hold(b);
  assert.deepEqual([one?.name, two?.name].sort(), ['a', 'b']);
  assert.equal(b.pick({}), undefined);
  finish(b, one!);
  assert.equal(b.pick({}), one);
});

test('the server to avoid is skipped unless it is the only one with room', () => {
  const { b, s } = pool('roundrobin', ['a', 'b maxconn 1', 'c']);
  const first = b.pick({})!;
  const other = b.pick({}, first);
  assert.notEqual(other, first);
  s.b!.served = 1; // b full, c down: only a is left
  s.c!.usable = false;
  b.update(s.c!);
  assert.equal(b.pick({}, s.a), s.a);
});

test('backups: only the first usable backup, or all of them with allbackups', () => {
  const { b, s } = pool('roundrobin', ['s1', 'b1 backup weight 2', 'b2 backup weight 3']);
  setUsable(b, s.s1!, false);
  assert.deepEqual(picks(b, 4), order('b1 b1 b1 b1'));
  setUsable(b, s.b1!, false);
  assert.deepEqual(picks(b, 2), order('b2 b2'));
  setUsable(b, s.s1!, true);
  assert.deepEqual(picks(b, 2), order('s1 s1'));

  const all = pool('roundrobin', ['s1', 'b1 backup weight 2', 'b2 backup weight 3'], { allBackups: true });
  setUsable(all.b, all.s.s1!, false);
  assert.deepEqual(picks(all.b, 10), order('b2 b2 b1 b2 b1 b2 b2 b1 b2 b1'));
});

test('the first backup is returned even when it is full (the request waits on it)', () => {
  const { b, s } = pool('roundrobin', ['s1 disabled', 'b1 backup maxconn 1', 'b2 backup']);
  assert.equal(hold(b), s.b1);
  assert.equal(b.pick({}), s.b1);
});

test('slow start lowers the effective weight in sixteenths', () => {
  const { b, s } = pool('roundrobin', ['s1 weight 10', 's2 weight 10', 's3 weight 5']);
  assert.deepEqual(picks(b, 5), order('s1 s2 s1 s2 s3'));
  setUsable(b, s.s1!, false);
  assert.deepEqual(picks(b, 3), order('s2 s2 s2'));
  s.s1!.warmup = 1;
  setUsable(b, s.s1!, true);
  const next = picks(b, 60);
  assert.equal(next.filter((n) => n === 's1').length, 2);
});

replayRecorded(roundrobin);

test('a server added at run time (add server) takes turns once usable, and leaves without disturbing the order (as haproxy 2.6.12)', () => {
  const { b } = pool('roundrobin', ['s1 weight 1', 's2 weight 2']);
  assert.deepEqual(picks(b, 3), order('s2 s2 s1'));
  const s3: LbServer = { name: 's3', id: 3, backup: false, weight: 3, usable: false, served: 0, maxconn: 0, maxqueue: 0, queued: 0 };
  b.add!(s3);
  assert.deepEqual(picks(b, 2), order('s2 s2'));
  setUsable(b, s3, true);
  assert.deepEqual(picks(b, 12), order('s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3'));
  setUsable(b, s3, false);
  b.remove!(s3);
  assert.deepEqual(picks(b, 6), order('s1 s2 s2 s1 s2 s2'));
  assert.throws(() => b.update(s3), /not part of this balancer/);
});

test('a server still taking traffic cannot leave the balancer', () => {
  const { b, s } = pool('roundrobin', ['s1', 's2']);
  assert.throws(() => b.remove!(s.s1!), /still takes traffic/);
});
