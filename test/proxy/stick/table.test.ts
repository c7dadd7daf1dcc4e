/**
 * A stick table's memory and lifetime rules (stick_table.c): no more entries
 * than `size` — a new key evicts the least recently touched unreferenced
 * entries, or is not stored when all are tracked (or with nopurge) — and
 * entries expire `expire` after their last touch unless a counter tracks them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeStickTable, storeTypeIsRun } from '../../../proxy/stick/table.ts';
import type { StickTable } from '../../../proxy/config/model.ts';

const config = (size: number, expire?: number, nopurge = false): StickTable => ({
  type: 'ip', size, expire, nopurge, store: [{ name: 'conn_cur' }, { name: 'http_req_rate', period: 10_000 }], loc: { file: 't.cfg', line: 1, column: 1 },
});
const T0 = 1_700_000_000_000;

test('a full table makes room by dropping the least recently touched unreferenced entry', () => {
  const t = new RuntimeStickTable('t', config(3));
  const a = t.getEntry('10.0.0.1', T0)!;
  t.getEntry('10.0.0.2', T0 + 1);
  t.getEntry('10.0.0.3', T0 + 2);
  t.touch(a, T0 + 3); // 10.0.0.2 is now the oldest
  assert.ok(t.getEntry('10.0.0.4', T0 + 4));
  assert.equal(t.count(T0 + 4), 3);
  assert.equal(t.lookup('10.0.0.2', T0 + 4), undefined);
  assert.ok(t.lookup('10.0.0.1', T0 + 4));
});

test('tracked entries are never evicted: a full table of them stores no new key; nopurge never evicts', () => {
  const t = new RuntimeStickTable('t', config(2));
  t.getEntry('10.0.0.1', T0)!.refs++;
  t.getEntry('10.0.0.2', T0)!.refs++;
  assert.equal(t.getEntry('10.0.0.3', T0), undefined);
  assert.equal(t.count(T0), 2);
  const n = new RuntimeStickTable('n', config(1, undefined, true));
  n.getEntry('10.0.0.1', T0);
  assert.equal(n.getEntry('10.0.0.2', T0), undefined);
});

test('an entry expires `expire` after its last touch, unless tracked; released after its date, it goes at once', () => {
  const t = new RuntimeStickTable('t', config(10, 1_000));
  const a = t.getEntry('10.0.0.1', T0)!;
  const b = t.getEntry('10.0.0.2', T0)!;
  t.touch(a, T0 + 800);
  b.refs++;
  assert.equal(t.count(T0 + 1_500), 2); // a touched at +800, b tracked
  assert.equal(t.count(T0 + 1_800), 1);
  assert.equal(t.lookup('10.0.0.1', T0 + 1_800), undefined);
  t.release(b, T0 + 1_800);
  assert.equal(t.count(T0 + 1_800), 0);
});

test('counters the table does not store read as undefined; the engine runs the counters and rates of rate limiting, and server_id (stick rules)', () => {
  const t = new RuntimeStickTable('t', config(10));
  const e = t.getEntry('10.0.0.1', T0)!;
  assert.equal(t.add(e, 'conn_cur', 1), 1);
  assert.equal(t.add(e, 'conn_cur', -5), 0);
  assert.equal(t.counter(e, 'gpc0'), undefined);
  assert.equal(t.tick(e, 'http_req_rate', T0), 1);
  assert.equal(t.rate(e, 'conn_rate', T0), undefined);
  assert.deepEqual(['conn_cur', 'http_req_rate', 'gpc0', 'bytes_in_rate', 'gpt0', 'gpt', 'gpc_rate', 'server_id'].map(storeTypeIsRun), [true, true, true, false, true, true, true, true]);
});
