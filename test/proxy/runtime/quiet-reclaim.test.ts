import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { QuietReclaimState, DEFAULT_RECLAIM_POLICY, type ReclaimStep } from '../../../proxy/runtime/quiet-reclaim.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const MiB = 1024 * 1024;
const BUSY = 0.5;
const QUIET = 0.001;

/** Feeds one reading per second; returns the steps taken, by second. */
function run(readings: readonly { utilization: number; heapMiB: number }[], startMiB = 40) {
  const state = new QuietReclaimState(DEFAULT_RECLAIM_POLICY, startMiB * MiB);
  const steps: [number, ReclaimStep][] = [];
  readings.forEach((r, second) => {
    const step = state.next({ now: second * 1000, utilization: r.utilization, heapBytes: r.heapMiB * MiB });
    if (step) {
      steps.push([second, step]);
      state.done((r.heapMiB - 20) * MiB); // what a collection gives back
    }
  });
  return steps;
}

const repeat = (n: number, r: { utilization: number; heapMiB: number }) => Array.from({ length: n }, () => r);

test('a quiet check after growth compacts at once, then shrinks once the quiet has lasted the settle time', () => {
  const steps = run([...repeat(10, { utilization: BUSY, heapMiB: 90 }), ...repeat(15, { utilization: QUIET, heapMiB: 90 })]);
  assert.deepEqual(steps, [[10, 'compact'], [11, 'compact'], [17, 'shrink']]);
});

test('a compaction is two passes a quiet check apart (a burst resumed between them delays the second); the shrink waits for the second', () => {
  const quietAfterBurst = [...repeat(5, { utilization: BUSY, heapMiB: 90 }), ...repeat(15, { utilization: QUIET, heapMiB: 90 })];
  assert.deepEqual(run(quietAfterBurst), [[5, 'compact'], [6, 'compact'], [12, 'shrink']]);
  const interrupted = [...repeat(5, { utilization: BUSY, heapMiB: 90 }), { utilization: QUIET, heapMiB: 90 }, ...repeat(2, { utilization: BUSY, heapMiB: 90 }),
    ...repeat(15, { utilization: QUIET, heapMiB: 90 })];
  assert.deepEqual(run(interrupted), [[5, 'compact'], [8, 'compact'], [14, 'shrink']]);
});

test('nothing happens while busy, however large the heap, nor when quiet without growth', () => {
  assert.deepEqual(run(repeat(30, { utilization: BUSY, heapMiB: 500 })), []);
  assert.deepEqual(run(repeat(30, { utilization: QUIET, heapMiB: 47 })), [], 'growth below 8 MiB');
  assert.deepEqual(run(repeat(30, { utilization: 0.06, heapMiB: 90 })), [], 'a light load above 5 % is not quiet');
});

test('activity between the compaction and the shrink restarts the settle time', () => {
  const steps = run([
    ...repeat(5, { utilization: BUSY, heapMiB: 90 }),
    ...repeat(3, { utilization: QUIET, heapMiB: 90 }), // compact at 5 and 6
    ...repeat(2, { utilization: BUSY, heapMiB: 75 }),
    ...repeat(10, { utilization: QUIET, heapMiB: 75 }), // quiet again from 10: shrink 5.5 s later
  ]);
  assert.deepEqual(steps, [[5, 'compact'], [6, 'compact'], [16, 'shrink']]);
});

test('compactions are at least the minimum interval apart; the next growth after it compacts again', () => {
  const burstThenQuiet = [...repeat(3, { utilization: BUSY, heapMiB: 90 }), ...repeat(8, { utilization: QUIET, heapMiB: 90 })];
  const steps = run([...burstThenQuiet, ...burstThenQuiet, ...burstThenQuiet, ...burstThenQuiet]);
  // compact at 3 and 4 (baseline 70 after it); growth to 90 again at 14 and 25 is within 30 s of 4; at 36 it is not
  assert.deepEqual(steps.filter(([, s]) => s === 'compact'), [[3, 'compact'], [4, 'compact'], [36, 'compact'], [37, 'compact']]);
  // each compaction's shrink waits for 5.5 s of quiet after its second pass (the 8-second quiet runs give it)
  assert.deepEqual(steps.filter(([, s]) => s === 'shrink'), [[10, 'shrink'], [43, 'shrink']]);
});

test('in a real process, a burst then quiet gives the young generation and the fragmented old space back', () => {
  // a child, so that this test's own heap and collections do not interfere
  const child = spawnSync(process.execPath, ['--import', TS_IMPORT, '--max-semi-space-size=8', fileURLToPath(new URL('./quiet-reclaim-child.ts', import.meta.url))], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const report = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    steps: { step: ReclaimStep; before: number; after: number }[];
    newSpaceAtBurst: number;
    newSpaceAtEnd: number;
  };
  assert.deepEqual(report.steps.map((s) => s.step), ['compact', 'compact', 'shrink'], child.stdout);
  assert.ok(report.newSpaceAtBurst >= 8 * MiB, `the burst grew the young generation (${report.newSpaceAtBurst} bytes)`);
  assert.ok(report.newSpaceAtEnd <= 2 * MiB, `the young generation is back to its start (${report.newSpaceAtEnd} bytes)`);
  const [first, second] = report.steps;
  assert.ok(second!.after < first!.before - 8 * MiB, `the compaction gave back ${(first!.before - second!.after) / MiB} MiB`);
});
