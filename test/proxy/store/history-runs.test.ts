/**
 * When the engine ran (proxy/store/history.ts runs, history-recorder.ts recordRun): each run's start
 * and the last moment it was known alive, so timelines tell the time Loadstar was not running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { HistoryStore } from '../../../proxy/store/history.ts';
import { HistoryClient } from '../../../proxy/store/history-client.ts';
import { HistoryRecorder } from '../../../proxy/store/history-recorder.ts';
import { freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

const DAY = 86_400_000;

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-runs-')), 'history.sqlite');
}

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

test("a run's start and its later updates are kept across a reopen; its end only moves forward; a range gets its runs and the one before it", () => {
  const file = tempFile();
  const store = HistoryStore.open(file);
  assert.deepEqual(store.runs(0, Date.now()), [], 'a new history has no runs');
  store.writeRun(1000, 1000);
  store.writeRun(1000, 61_000);
  store.writeRun(1000, 30_000);
  store.writeRun(100_000, 100_000);
  store.writeRun(100_000, 150_000);
  store.writeRun(500_000, 560_000);
  store.close();
  const again = HistoryStore.open(file);
  assert.deepEqual(again.runs(0, 1e6), [{ from: 1000, to: 61_000 }, { from: 100_000, to: 150_000 }, { from: 500_000, to: 560_000 }], 'a late update does not pull the end back');
  assert.deepEqual(again.runs(200_000, 400_000), [{ from: 100_000, to: 150_000 }], 'the run before the range: the range begins not running');
  assert.deepEqual(again.runs(120_000, 520_000), [{ from: 1000, to: 61_000 }, { from: 100_000, to: 150_000 }, { from: 500_000, to: 560_000 }]);
  assert.deepEqual(again.runs(0, 500), [], 'before the first run: none');
  again.close();
});

test('a history written before run records (schema 2, and schema 1) opens: no runs, so no known gaps, and runs are recorded from then on', () => {
  for (const old of [2, 1]) {
    const file = tempFile();
    const store = HistoryStore.open(file);
    store.writeHealthEvents([{ time: Date.now() - DAY, backend: 'web', server: 'a', from: 'UP', to: 'DOWN', reason: 'x' }]);
    store.close();
    const db = new Database(file);
    db.exec(old === 2 ? 'DROP TABLE runs; PRAGMA user_version = 2;' : 'DROP TABLE runs; DROP TABLE configured; DROP TABLE meta; PRAGMA user_version = 1;');
    db.close();
    const upgraded = HistoryStore.open(file);
    assert.deepEqual(upgraded.runs(0, Date.now()), [], `schema ${old}`);
    assert.equal(upgraded.healthEvents('web', 'a', 0, Date.now()).length, 1, 'the events are kept');
    upgraded.writeRun(5000, 9000);
    assert.deepEqual(upgraded.runs(0, Date.now()), [{ from: 5000, to: 9000 }]);
    upgraded.close();
    const db2 = new Database(file);
    assert.equal(db2.pragma('user_version', { simple: true }), 3);
    db2.close();
  }
});

test('a prune drops runs older than the retention but the last of them, whose gap after it may reach into the ranges shown', () => {
  const store = HistoryStore.open(tempFile());
  const now = Date.now();
  store.writeRun(now - 40 * DAY, now - 39 * DAY);
  store.writeRun(now - 35 * DAY, now - 34 * DAY);
  store.writeRun(now - 20 * DAY, now);
  store.prune(now);
  assert.deepEqual(store.runs(0, now), [{ from: now - 35 * DAY, to: now - 34 * DAY }, { from: now - 20 * DAY, to: now }]);
  store.close();
});

test("the recorder writes each engine run: its start, each minute's update, its stop from the UI, the next start, and the recorder's stop", async () => {
  const file = tempFile();
  const store = await HistoryClient.open(file);
  const port = await freePort();
  const engine = new Engine(parseConfig([{ name: 'a.cfg', text: `${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server a 127.0.0.1:9\n` }]).config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const recorder = new HistoryRecorder(store, engine, { log: () => {} });
  recorder.start();
  const control = new InProcessControl(engine, { history: store, log: () => {} });
  try {
    const first = engine.startedAt!;
    // What the minute timer does: the run is known alive now.
    const alive = Date.now() + 5;
    recorder.recordRun(alive);
    await new Promise((resolve) => setTimeout(resolve, 30));
    let runs = await store.runs(0, Date.now() + DAY);
    assert.deepEqual(runs, [{ from: first, to: alive }]);
    // Stopped from the UI: the run ends; while stopped, the minute's update writes nothing.
    await engine.stop(0);
    const stopped = Date.now();
    recorder.recordRun(stopped + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    runs = await store.runs(0, Date.now() + DAY);
    assert.equal(runs.length, 1);
    assert.ok(runs[0]!.to >= alive && runs[0]!.to <= stopped, `the run ends at the stop (${runs[0]!.to})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await engine.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    runs = await store.runs(0, Date.now() + DAY);
    assert.deepEqual(runs.map((r) => r.from), [first, engine.startedAt], 'the start after it is a new run');
    // The timeline shows the time between as not running.
    const t = value(await control.timeline('app', 'a', { from: first - 1000, to: Date.now() }));
    assert.deepEqual(t.notRunning, [{ from: runs[0]!.to, to: engine.startedAt }]);
    assert.equal(t.uptime, 1);
    await recorder.stop();
    runs = await store.runs(0, Date.now() + DAY);
    assert.ok(runs[1]!.to >= engine.startedAt!, 'the recorder stopping ends the run now');
  } finally {
    await recorder.stop();
    await store.close();
    if (engine.lifecycle().state !== 'stopped') await engine.stop(100);
  }
});

test('a killed process leaves its run ending at its last update', async () => {
  const file = tempFile();
  const store = HistoryStore.open(file);
  const port = await freePort();
  const engine = new Engine(parseConfig([{ name: 'a.cfg', text: `${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server a 127.0.0.1:9\n` }]).config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const recorder = new HistoryRecorder(store, engine, { log: () => {} });
  recorder.start();
  const last = Date.now() + 10;
  recorder.recordRun(last);
  assert.deepEqual(store.runs(0, Date.now() + DAY), [{ from: engine.startedAt, to: last }]);
  // A health event written later moves the run's end too: the events of its last minute are not inside its gap.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const control = new InProcessControl(engine, { history: store, log: () => {} });
  value(await control.setServerState('app', 'a', 'maint'));
  const changed = Date.now();
  recorder.flushHealth();
  // Killed: neither the recorder nor the engine stops; the file is what the last write left.
  store.close();
  const after = HistoryStore.open(file);
  const runs = after.runs(0, Date.now() + DAY);
  assert.equal(runs.length, 1);
  assert.ok(runs[0]!.to >= changed && runs[0]!.to > last, `alive at the health event (${runs[0]!.to - changed} ms after it)`);
  assert.equal(after.healthEvents('app', 'a', 0, Date.now()).length, 1);
  after.close();
  await recorder.stop();
  await engine.stop(0);
});

test('a machine that slept while Loadstar ran: the minute tick comes late, the run ends at its last record and a new one begins at the wake-up; the timeline shows the sleep as not running', async (t) => {
  const store = HistoryStore.open(tempFile());
  const port = await freePort();
  const engine = new Engine(parseConfig([{ name: 'a.cfg', text: `${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1:${port}\n    default_backend app\nbackend app\n    server a 127.0.0.1:9\n` }]).config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const startedAt = engine.startedAt!;
  // Timers count monotonic time, which stops while the machine sleeps; the wall clock jumps.
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.now() });
  const recorder = new HistoryRecorder(store, engine, { log: () => {} });
  try {
    recorder.start();
    t.mock.timers.tick(2 * 60_000);
    const lastTick = store.runs(0, Date.now() + DAY)[0]!.to;
    assert.ok(lastTick > startedAt + 60_000, 'on time, the minute ticks move the run\'s end');
    t.mock.timers.setTime(Date.now() + 3_600_000);
    t.mock.timers.tick(60_000);
    const runs = store.runs(0, Date.now() + DAY);
    assert.equal(runs.length, 2, JSON.stringify(runs));
    assert.deepEqual(runs[0], { from: startedAt, to: lastTick }, 'the run before the sleep ends at its last record');
    const wokeAt = runs[1]!.from;
    assert.ok(wokeAt >= lastTick + 3_600_000, 'the new run begins at the wake-up');
    const control = new InProcessControl(engine, { history: store, log: () => {} });
    const timeline = value(await control.timeline('app', 'a', { from: startedAt - 1000, to: wokeAt + 1000 }));
    assert.deepEqual(timeline.notRunning, [{ from: lastTick, to: wokeAt }]);
  } finally {
    t.mock.timers.reset();
    await recorder.stop();
    store.close();
    await engine.stop(0);
  }
});
