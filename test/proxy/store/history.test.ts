import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HistoryStore } from '../../../proxy/store/history.ts';
import { METRICS } from '../../../proxy/runtime/series.ts';
import type { Metric, SeriesPoint } from '../../../proxy/runtime/series.ts';

const MIN = 60_000;

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-history-')), 'history.sqlite');
}

function point(t: number, requests: number, p95 = 0): SeriesPoint {
  const values = Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<Metric, number>;
  values.requests = requests;
  values.hrsp2xx = requests;
  values.p95 = p95;
  return { t, values };
}

test('minutes written before a close are read back after reopening, oldest first, with percentiles kept to the microsecond', () => {
  const file = tempFile();
  const base = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
  const store = HistoryStore.open(file);
  store.writeMinutes([
    { id: 'server:web/a', point: point(base + MIN, 7, 12.3456) },
    { id: 'server:web/a', point: point(base, 3) },
    { id: 'backend:web', point: point(base, 10) },
  ]);
  store.close();
  const again = HistoryStore.open(file);
  const points = again.series('server:web/a', base, base + 5 * MIN);
  assert.deepEqual(points.map((p) => [p.t, p.values.requests]), [[base, 3], [base + MIN, 7]]);
  assert.equal(points[1]!.values.p95, 12.346);
  assert.deepEqual(again.series('backend:web', base, base + MIN).map((p) => p.values.requests), [10]);
  assert.deepEqual(again.series('frontend:none', base, base + MIN), []);
  again.close();
});

test('a minute written twice (before and after a restart within it) holds both parts: counts add, percentiles keep the higher', () => {
  const store = HistoryStore.open(tempFile());
  const t = Math.floor(Date.now() / MIN) * MIN - MIN;
  store.writeMinutes([{ id: 'frontend:f', point: point(t, 1, 80) }]);
  store.writeMinutes([{ id: 'frontend:f', point: point(t, 5, 20) }]);
  const [p] = store.series('frontend:f', t, t);
  assert.equal(p!.values.requests, 6);
  assert.equal(p!.values.hrsp2xx, 6);
  assert.equal(p!.values.p95, 80);
  store.close();
});

test('health events of a server, or of every server of a backend, come back in time order within the range', () => {
  const store = HistoryStore.open(tempFile());
  const t = Date.now() - 3600_000;
  store.writeHealthEvents([
    { time: t + 2000, backend: 'web', server: 'a', from: 'DOWN', to: 'UP', code: 'L4OK', durationMs: 1, reason: 'Server web/a is UP' },
    { time: t, backend: 'web', server: 'a', from: 'UP', to: 'DOWN', code: 'L4CON', durationMs: 0, reason: 'Server web/a is DOWN, reason: Layer4 connection problem' },
    { time: t + 1000, backend: 'web', server: 'b', from: 'UP', to: 'DRAIN', reason: 'Server web/b is DRAIN' },
    { time: t + 500, backend: 'api', server: 'a', from: 'UP', to: 'MAINT', reason: 'Server api/a is MAINT' },
  ]);
  const a = store.healthEvents('web', 'a', t - 1, t + 10_000);
  assert.deepEqual(a.map((e) => [e.from, e.to, e.code]), [['UP', 'DOWN', 'L4CON'], ['DOWN', 'UP', 'L4OK']]);
  assert.equal(a[0]!.durationMs, 0);
  assert.equal(a[0]!.reason, 'Server web/a is DOWN, reason: Layer4 connection problem');
  const b = store.healthEvents('web', 'b', t, t + 10_000)[0]!;
  assert.equal('code' in b, false);
  assert.deepEqual(store.healthEvents('web', undefined, t, t + 10_000).map((e) => `${e.server}:${e.to}`), ['a:DOWN', 'b:DRAIN', 'a:UP']);
  assert.deepEqual(store.healthEvents('web', 'a', t + 1, t + 1999), []);
  store.close();
});

test('points and events older than the retention are pruned; newer ones stay', () => {
  const store = HistoryStore.open(tempFile(), { retentionDays: 2 });
  const now = Math.floor(Date.now() / MIN) * MIN;
  store.writeMinutes([
    { id: 'backend:b', point: point(now - 3 * 1440 * MIN, 1) },
    { id: 'backend:b', point: point(now - 1440 * MIN, 2) },
    { id: 'backend:old', point: point(now - 3 * 1440 * MIN, 1) },
  ]);
  store.writeHealthEvents([
    { time: now - 3 * 86_400_000, backend: 'b', server: 's', from: 'UP', to: 'DOWN', reason: 'old' },
    { time: now - 3600_000, backend: 'b', server: 's', from: 'DOWN', to: 'UP', reason: 'new' },
  ]);
  const dropped = store.prune(now);
  assert.deepEqual(dropped, { droppedMinutes: 2, droppedEvents: 1 });
  assert.deepEqual(store.series('backend:b', now - 4 * 1440 * MIN, now).map((p) => p.values.requests), [2]);
  assert.deepEqual(store.healthEvents('b', 's', 0, now).map((e) => e.reason), ['new']);
  store.close();
});

test('past the size cap the oldest days of points are dropped first', () => {
  // Tens of kB: the empty schema is a few pages (two more since first-seen times, one more since run records), one day of points more than that.
  const cap = 52 * 1024;
  const store = HistoryStore.open(tempFile(), { maxBytes: cap });
  const now = Math.floor(Date.now() / MIN) * MIN;
  // Three days of one busy object, one minute in five (about 860 rows, some tens of kB).
  for (let day = 3; day >= 1; day--) {
    const batch = [];
    for (let m = 0; m < 1440; m += 5) batch.push({ id: 'server:b/s', point: point(now - day * 1440 * MIN + m * MIN, 1000 + m, 3.5) });
    store.writeMinutes(batch);
  }
  assert.ok(store.usedBytes() > cap, `filled ${store.usedBytes()} bytes`);
  store.prune(now);
  assert.ok(store.usedBytes() <= cap, `after prune ${store.usedBytes()} bytes`);
  const left = store.series('server:b/s', now - 4 * 1440 * MIN, now);
  assert.ok(left.length > 0, 'the newest day is kept');
  assert.ok(left[0]!.t >= now - 2 * 1440 * MIN, 'the oldest day went first');
  assert.equal(store.integrityCheck(), 'ok');
  store.close();
});

test('a file that is not a history database is refused with LS_ERR_STORE_OPEN and a way out', () => {
  const file = tempFile();
  fs.writeFileSync(file, 'this is not sqlite '.repeat(100));
  assert.throws(() => HistoryStore.open(file), (e: Error & { code?: string }) => e.code === 'LS_ERR_STORE_OPEN' && /Move the file away/.test(e.message));
});

test('the database uses the WAL journal with synchronous=NORMAL', () => {
  const file = tempFile();
  HistoryStore.open(file).close();
  const store = HistoryStore.open(file);
  // Read through a second connection: journal_mode is a property of the file.
  const db = (store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 1);
  store.close();
});

test('the history client answers from its worker thread like the store, refuses a damaged file, and closes cleanly', async () => {
  const { HistoryClient } = await import('../../../proxy/store/history-client.ts');
  const file = tempFile();
  const client = await HistoryClient.open(file);
  const t = Math.floor(Date.now() / MIN) * MIN - MIN;
  await client.writeMinutes([{ id: 'backend:w', point: point(t, 9) }]);
  await client.writeHealthEvents([{ time: t, backend: 'w', server: 'a', from: 'UP', to: 'DOWN', reason: 'r' }]);
  assert.deepEqual((await client.series('backend:w', t, t)).map((p) => p.values.requests), [9]);
  assert.deepEqual((await client.healthEvents('w', undefined, t, t)).map((e) => e.to), ['DOWN']);
  assert.equal(await client.integrityCheck(), 'ok');
  await client.close();
  await assert.rejects(client.series('backend:w', t, t), /closed/);
  const bad = tempFile();
  fs.writeFileSync(bad, 'not a database '.repeat(100));
  await assert.rejects(HistoryClient.open(bad), (e: Error & { code?: string }) => e.code === 'LS_ERR_STORE_OPEN');
});

test('configured objects: those of the first sync were there when the history began, later ones were added then; a removed one added again starts a new age; a rename keeps it; all kept across a reopen', () => {
  const file = tempFile();
  const t0 = Date.now();
  const store = HistoryStore.open(file);
  store.syncConfigured(['backend:web', 'server:web/a'], new Map(), t0 + 1000);
  const first = store.configuredSince(['backend:web', 'server:web/a']);
  assert.equal(first['server:web/a']!.how, 'history-began');
  assert.ok(first['server:web/a']!.time <= t0 + 1000 && first['server:web/a']!.time >= t0 - 5000, 'the history began when the database was created');
  store.syncConfigured(['backend:web', 'server:web/a', 'server:web/b'], new Map(), t0 + 60_000);
  assert.deepEqual(store.configuredSince(['server:web/b', 'server:web/none']), { 'server:web/b': { time: t0 + 60_000, how: 'added' } });
  // b renamed to c (same address, the change summary's pairing), a removed.
  store.syncConfigured(['backend:web', 'server:web/c'], new Map([['server:web/c', 'server:web/b']]), t0 + 120_000);
  assert.deepEqual(store.configuredSince(['server:web/c', 'server:web/a', 'server:web/b']), { 'server:web/c': { time: t0 + 60_000, how: 'added' } });
  store.syncConfigured(['backend:web', 'server:web/c', 'server:web/a'], new Map(), t0 + 180_000);
  store.close();
  const again = HistoryStore.open(file);
  assert.deepEqual(again.configuredSince(['server:web/a', 'server:web/c']), { 'server:web/a': { time: t0 + 180_000, how: 'added' }, 'server:web/c': { time: t0 + 60_000, how: 'added' } });
  assert.equal(again.configuredSince(['backend:web'])['backend:web']!.how, 'history-began');
  again.close();
});

test('a history written before first-seen times (schema 1) began with its oldest point: its objects are there since then, not since the upgrade', () => {
  const file = tempFile();
  const old = Math.floor(Date.now() / MIN) * MIN - 3 * 1440 * MIN;
  const store = HistoryStore.open(file);
  store.writeMinutes([{ id: 'server:web/a', point: point(old, 5) }]);
  store.writeHealthEvents([{ time: old + 30 * MIN, backend: 'web', server: 'a', from: 'UP', to: 'DOWN', reason: 'x' }]);
  store.close();
  // Back to schema 1 as an older Loadstar left it.
  const db = new Database(file);
  db.exec('DROP TABLE configured; DROP TABLE meta; DROP TABLE runs; PRAGMA user_version = 1;');
  db.close();
  const upgraded = HistoryStore.open(file);
  upgraded.syncConfigured(['backend:web', 'server:web/a']);
  assert.deepEqual(upgraded.configuredSince(['server:web/a']), { 'server:web/a': { time: old, how: 'history-began' } });
  assert.equal(upgraded.series('server:web/a', old, old).length, 1, 'the points are kept');
  upgraded.close();
});
