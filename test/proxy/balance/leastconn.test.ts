/**
 * leastconn (HAProxy's lb_fwlc). Expected orders were produced by real HAProxy
 * 2.6.12: held requests load the servers, sequential requests show the turns
 * taken among equal loads (scenarios.ts, replayed live by against-haproxy.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finish, hold, order, picks, pool, setUsable, setWeight } from './pool.ts';
import { replayRecorded } from './recorded.ts';
import { leastconn } from './scenarios.ts';
import type { LbServer } from '../../../proxy/balance/index.ts';

const names = (list: Array<LbServer | undefined>): string[] => list.map((x) => x?.name ?? '-');

test('idle servers take turns whatever their weight, then the least loaded per weight wins', () => {
  const { b } = pool('leastconn', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(picks(b, 7), order('s1 s2 s3 s1 s2 s3 s1'));
  const held = Array.from({ length: 7 }, () => hold(b));
  assert.deepEqual(names(held), order('s2 s3 s1 s3 s2 s3 s3'));
  assert.deepEqual(picks(b, 3), order('s2 s2 s2'));
  finish(b, held[1]!);
  assert.deepEqual(picks(b, 3), order('s3 s3 s3'));
});

test('a server down gets nothing, and a weight change moves it at once', () => {
  const { b, s } = pool('leastconn', ['s1 weight 1', 's2 weight 2', 's3 weight 3']);
  assert.deepEqual(names([hold(b), hold(b), hold(b)]), order('s1 s2 s3'));
  setUsable(b, s.s1!, false);
  assert.deepEqual(picks(b, 3), order('s3 s3 s3'));
  setUsable(b, s.s1!, true);
  assert.deepEqual(picks(b, 3), order('s3 s3 s3'));
  setWeight(b, s.s3!, 1);
  assert.deepEqual(names([hold(b), hold(b)]), order('s2 s2'));
  // all three now weigh 512 (HAProxy's key): equal loads take turns in the order they got there
  assert.deepEqual(picks(b, 3), order('s1 s3 s2'));
});

test('full servers are skipped; maxqueue extends the limit; all full gives no pick', () => {
  const { b } = pool('leastconn', ['s1 maxconn 1', 's2 maxconn 2', 's3']);
  assert.deepEqual(names(Array.from({ length: 5 }, () => hold(b))), order('s1 s2 s3 s2 s3'));
  assert.deepEqual(picks(b, 3), order('s3 s3 s3'));

  const q = pool('leastconn', ['a maxconn 1 maxqueue 1', 'b maxconn 1']);
  assert.deepEqual(names([hold(q.b), hold(q.b)]), order('a b'));
  // a: served 1 < maxconn 1 + maxqueue 1, so it is still a candidate (the request would queue on it)
  assert.equal(q.b.pick({}), q.s.a);
  q.s.a!.queued = 1;
  assert.equal(q.b.pick({}), undefined);
});

test('queued requests count as load', () => {
  const { b, s } = pool('leastconn', ['a', 'b']);
  const x = hold(b)!;
  assert.equal(x, s.a);
  s.b!.queued = 2;
  b.released(s.b!); // a reposition: HAProxy re-keys a server only when its connection count moves
  assert.equal(b.pick({}), s.a);
});

test('the server to avoid is skipped unless it is the only candidate', () => {
  const { b, s } = pool('leastconn', ['a', 'b']);
  assert.equal(b.pick({}, s.a), s.b);
  setUsable(b, s.b!, false);
  assert.equal(b.pick({}, s.a), s.a);
});

test('backups: the first one only, or all of them by load with allbackups', () => {
  const { b, s } = pool('leastconn', ['a', 'b1 backup', 'b2 backup']);
  setUsable(b, s.a!, false);
  assert.equal(hold(b), s.b1);
  assert.deepEqual(picks(b, 2), order('b1 b1'));
  const all = pool('leastconn', ['a', 'b1 backup', 'b2 backup'], { allBackups: true });
  setUsable(all.b, all.s.a!, false);
  assert.equal(hold(all.b), all.s.b1);
  assert.deepEqual(picks(all.b, 3), order('b2 b2 b2'));
});

replayRecorded(leastconn);

test('a server added at run time (add server) is balanced once usable and leaves cleanly (as haproxy 2.6.12)', () => {
  const { b } = pool('leastconn', ['s1 weight 1', 's2 weight 2']);
  assert.deepEqual(picks(b, 3), order('s1 s2 s1'));
  const s3: LbServer = { name: 's3', id: 3, backup: false, weight: 3, usable: false, served: 0, maxconn: 0, maxqueue: 0, queued: 0 };
  b.add!(s3);
  assert.deepEqual(picks(b, 2), order('s2 s1'));
  setUsable(b, s3, true);
  assert.deepEqual(picks(b, 12), order('s2 s1 s3 s2 s1 s3 s2 s1 s3 s2 s1 s3'));
  setUsable(b, s3, false);
  b.remove!(s3);
  assert.deepEqual(picks(b, 6), order('s2 s1 s2 s1 s2 s1'));
});
