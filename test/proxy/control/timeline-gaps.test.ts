/**
 * Time when Loadstar was not running (proxy/control/timeline.ts notRunningPeriods, timelineOf):
 * nothing was monitored then, so a timeline says so and its uptime leaves it out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { HistorySource } from '../../../proxy/control/history.ts';
import { backendEvents, notRunningPeriods, timelineOf } from '../../../proxy/control/timeline.ts';
import type { HealthEvent, Period, Result } from '../../../proxy/control/contract.ts';
import { freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const ev = (time: number, server: string, from: string, to: string): HealthEvent => ({ time, backend: 'app', server, from, to, reason: `${server} ${to}` });

test('the periods between runs are the time not running, clipped to the range; none before the first run, none while one runs', () => {
  const runs: Period[] = [{ from: 300, to: 500 }, { from: 0, to: 100 }, { from: 800, to: 2000 }];
  assert.deepEqual(notRunningPeriods(runs, 0, 1000), [{ from: 100, to: 300 }, { from: 500, to: 800 }], 'any order of runs');
  assert.deepEqual(notRunningPeriods(runs, 200, 600), [{ from: 200, to: 300 }, { from: 500, to: 600 }], 'a gap at the range start and at its end, clipped');
  assert.deepEqual(notRunningPeriods(runs, 320, 480), [], 'within one run');
  assert.deepEqual(notRunningPeriods([], 0, 1000), [], 'no run recorded (a history from before run records): no known gaps');
  assert.deepEqual(notRunningPeriods([{ from: 400, to: 1500 }], 0, 1000), [], 'nothing known before the first run');
  // Back to back (a restart within the same millisecond) and overlapping (two records of one run): no gap.
  assert.deepEqual(notRunningPeriods([{ from: 0, to: 100 }, { from: 100, to: 200 }, { from: 150, to: 180 }, { from: 190, to: 1000 }], 0, 1000), []);
  // The last run ended (stopped, quit, killed: its last record) and none runs now: not running from then to the end.
  assert.deepEqual(notRunningPeriods([{ from: 0, to: 100 }, { from: 200, to: 640 }], 0, 1000), [{ from: 100, to: 200 }, { from: 640, to: 1000 }]);
  // A range entirely after the last run.
  assert.deepEqual(notRunningPeriods([{ from: 0, to: 100 }], 500, 1000), [{ from: 500, to: 1000 }]);
});

test('uptime leaves out the time Loadstar was not running: a server UP before a weekend off is not 100 % over it', () => {
  // UP all along, Loadstar off from 1000 to 3000, DOWN for 500 after it started again.
  const events = [ev(3000, 'a', 'UP', 'DOWN'), ev(3500, 'a', 'DOWN', 'UP')];
  const gaps = [{ from: 1000, to: 3000 }];
  const t = timelineOf('app', 'a', events, 'UP', 0, 4000, undefined, gaps);
  assert.equal(t.uptime, (1000 + 500) / 2000, 'usable 0-1000 and 3500-4000 of the 2000 ms monitored');
  assert.deepEqual(t.notRunning, gaps);
  assert.equal(timelineOf('app', 'a', events, 'UP', 0, 4000).uptime, 3500 / 4000, 'without the gap, as before');
  assert.equal(timelineOf('app', 'a', events, 'UP', 0, 4000).notRunning, undefined, 'absent when there was none');
  // UP before and after a weekend off: 100 % of the monitored time, and the gap said.
  const weekend = timelineOf('app', 'a', [], 'UP', 0, 4000, undefined, gaps);
  assert.deepEqual([weekend.uptime, weekend.notRunning], [1, gaps]);
  // DOWN when it stopped, DOWN after: the gap is not counted as down either.
  assert.equal(timelineOf('app', 'a', [ev(500, 'a', 'UP', 'DOWN')], 'DOWN', 0, 4000, undefined, gaps).uptime, 500 / 2000);
});

test('a gap at the range start or end, or before the object was configured, counts only within the timeline', () => {
  const gaps = [{ from: -500, to: 200 }, { from: 900, to: 1500 }];
  const t = timelineOf('app', 'a', [ev(500, 'a', 'UP', 'DOWN')], 'DOWN', 0, 1000, undefined, gaps);
  assert.deepEqual(t.notRunning, [{ from: 0, to: 200 }, { from: 900, to: 1000 }], 'clipped to the range');
  assert.equal(t.uptime, 300 / 700, 'UP 200-500 of 200-900');
  // Configured at 300 (within the range): the gap before it is the "not configured" part's, not this one's.
  const added = timelineOf('app', 'a', [ev(500, 'a', 'UP', 'DOWN')], 'DOWN', 0, 1000, { time: 300, how: 'added' }, gaps);
  assert.deepEqual(added.notRunning, [{ from: 900, to: 1000 }]);
  assert.equal(added.uptime, 200 / 600);
  // Not running over the whole range: no monitored time, today's rule (the state's usability).
  const off = timelineOf('app', 'a', [], 'UP', 100, 800, undefined, [{ from: 0, to: 1000 }]);
  assert.deepEqual([off.uptime, off.notRunning], [1, [{ from: 100, to: 800 }]]);
  assert.equal(timelineOf('app', 'a', [], 'DOWN', 100, 800, undefined, [{ from: 0, to: 1000 }]).uptime, 0);
});

test("a killed run ends at its last record; the state after a gap is the start's transition; a backend's timeline leaves the gap out too", () => {
  // Run 1 started at 0, last recorded alive at 1000 (killed before its next update); run 2 started at 1600.
  const gaps = notRunningPeriods([{ from: 0, to: 1000 }, { from: 1600, to: 5000 }], 0, 3000);
  assert.deepEqual(gaps, [{ from: 1000, to: 1600 }]);
  // Server a was DOWN when killed and began run 2 UP (the start's transition at 1600).
  const a = [ev(800, 'a', 'UP', 'DOWN'), ev(1600, 'a', 'DOWN', 'UP')];
  const server = timelineOf('app', 'a', a, 'UP', 0, 3000, undefined, gaps);
  assert.equal(server.uptime, (800 + 1400) / 2400);
  assert.deepEqual(server.events.map((e) => [e.time, e.to]), [[800, 'DOWN'], [1600, 'UP']]);
  const derived = backendEvents('app', [{ name: 'a', initial: 'UP', events: a }]);
  const backend = timelineOf('app', undefined, derived.events, 'UP', 0, 3000, undefined, gaps);
  assert.deepEqual([backend.uptime, backend.notRunning], [(800 + 1400) / 2400, gaps]);
});

test('timelines through the contract: the recorded runs and the run going on now make the periods not running', async () => {
  const port = await freePort();
  const parsed = parseConfig([{ name: 'site.cfg', text: `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a 127.0.0.1:9
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const hour = 3600_000;
  const now = Date.now();
  // An earlier run from 10 h to 6 h ago; the one now is not recorded yet (its first write may still be on its way).
  const asked: Array<[number, number]> = [];
  const recorded: Period[] = [{ from: now - 10 * hour, to: now - 6 * hour }];
  const history: HistorySource = {
    series: () => [],
    healthEvents: () => [],
    runs(from, to) {
      asked.push([from, to]);
      return recorded;
    },
  };
  const control = new InProcessControl(engine, { history });
  try {
    const t = value(await control.timeline('app', 'a', { from: now - 8 * hour, to: now }));
    assert.equal(t.notRunning?.length, 1);
    assert.equal(t.notRunning![0]!.from, now - 6 * hour);
    assert.equal(t.notRunning![0]!.to, engine.startedAt, 'until this run began');
    assert.equal(t.uptime, 1, 'UP for all the time it was watched');
    const set = value(await control.timelines({ from: now - 8 * hour, to: now }));
    assert.deepEqual(set.timelines.map((x) => x.notRunning?.[0]?.from), [now - 6 * hour, now - 6 * hour], "the backend's own and its server's");
    assert.equal(asked.length, 2, 'read once per answer, not once per timeline');
    // Stopped from the UI: from its stop on, it is not running either.
    await engine.stop(0);
    const stoppedAt = Date.now();
    recorded.push({ from: engine.startedAt!, to: stoppedAt });
    const stopped = value(await control.timeline('app', 'a', { from: now - 8 * hour, to: Date.now() + 1000 }));
    assert.equal(stopped.notRunning?.length, 2, 'between the runs, and from the end of the last recorded one');
    assert.equal(stopped.notRunning![1]!.from, stoppedAt);
  } finally {
    if (engine.lifecycle().state !== 'stopped') await engine.stop(100);
  }
});
