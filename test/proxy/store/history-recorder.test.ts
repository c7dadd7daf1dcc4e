/**
 * What the history recorder writes from an engine's series rings (proxy/store/history-recorder.ts),
 * driven at chosen times through a stand-in engine with one backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../../proxy/engine.ts';
import { StatCounters } from '../../../proxy/runtime/counters.ts';
import { Series } from '../../../proxy/runtime/series.ts';
import { HistoryRecorder } from '../../../proxy/store/history-recorder.ts';
import type { MinuteRecord } from '../../../proxy/store/history.ts';

const MINUTE = 60_000;
/** A minute boundary. */
const M1 = 1_800_000_060_000;

function recorderOf(counters: StatCounters, startedAt: number): { recorder: HistoryRecorder; written: MinuteRecord[] } {
  const written: MinuteRecord[] = [];
  const engine = {
    stats: {
      startedAt,
      view: () => ({ frontends: new Map(), backends: new Map([['app', { servers: [] }]]) }),
      counters: (kind: string, name: string) => (kind === 'backend' && name === 'app' ? counters : undefined),
    },
  } as unknown as Engine;
  const sink = { writeMinutes: (records: readonly MinuteRecord[]) => void written.push(...records), writeHealthEvents() {}, prune() {} };
  return { recorder: new HistoryRecorder(sink, engine, { log: () => {} }), written };
}

test('a stop just after a minute ends, before the one-second tick closed that minute, still writes its traffic', () => {
  assert.equal(M1 % MINUTE, 0);
  const c = new StatCounters();
  c.series = new Series(M1 - 10_000);
  c.reqTot = 20;
  c.hrsp2xx = 20;
  // The tick at M1 − 1 s puts the 20 requests in the minute before M1; the tick after M1 has not come.
  c.series.sample(c, 0, 0, M1 - 1000);
  const { recorder, written } = recorderOf(c, M1 - 10_000);
  recorder.recordMinutes();
  assert.equal(written.length, 0, 'the minute ring has not closed that minute yet');
  recorder.recordMinuteInProgress(M1 + 300);
  assert.deepEqual(written.map((r) => [r.id, r.point.t, r.point.values.requests]), [['backend:app', M1 - MINUTE, 20]]);
  // Written once: a later call (another stop, the next minute's write) does not count it again.
  recorder.recordMinuteInProgress(M1 + 600);
  assert.equal(written.length, 1);
});

test('the minute in progress is written from the per-second ring, after the closed minutes and not again', () => {
  const c = new StatCounters();
  c.series = new Series(M1 - 70_000);
  c.reqTot = 5;
  c.series.sample(c, 0, 0, M1 - 30_000);
  // The next tick crosses M1: the minute before is closed in the minute ring.
  c.reqTot = 12;
  c.series.sample(c, 0, 0, M1 + 2000);
  const { recorder, written } = recorderOf(c, M1 - 70_000);
  recorder.recordMinutes();
  recorder.recordMinuteInProgress(M1 + 2500);
  assert.deepEqual(written.map((r) => [r.point.t, r.point.values.requests]), [[M1 - MINUTE, 5], [M1, 7]]);
});
