import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { HistorySource } from '../../../proxy/control/history.ts';
import { timelineOf, backendEvents } from '../../../proxy/control/timeline.ts';
import type { HealthEvent, Result, SeriesPoint } from '../../../proxy/control/contract.ts';
import { freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const ev = (time: number, server: string, from: string, to: string): HealthEvent => ({ time, backend: 'app', server, from, to, reason: `${server} ${to}` });

test('a timeline starts in the state before its range and counts the usable share of the range', () => {
  const events = [ev(100, 'a', 'UP', 'DOWN'), ev(1000, 'a', 'DOWN', 'UP'), ev(1500, 'a', 'UP', 'DOWN'), ev(3000, 'a', 'DOWN', 'UP')];
  const t = timelineOf('app', 'a', events, 'UP', 500, 2500);
  assert.equal(t.initial, 'DOWN', 'the last transition before the range');
  assert.deepEqual(t.events.map((e) => e.time), [1000, 1500]);
  assert.equal(t.uptime, 500 / 2000, 'UP from 1000 to 1500 only');
  // No transition before the range: the state is the first transition's `from`.
  assert.equal(timelineOf('app', 'a', events, 'UP', 0, 2000).initial, 'UP');
  assert.equal(timelineOf('app', 'a', events, 'UP', 0, 2000).uptime, (100 + 500) / 2000);
  // Nothing known at all: the current state for the whole range.
  assert.deepEqual([timelineOf('app', 'a', [], 'MAINT', 0, 10).initial, timelineOf('app', 'a', [], 'MAINT', 0, 10).uptime], ['MAINT', 0]);
  assert.equal(timelineOf('app', 'a', [], 'UP 1/3', 0, 10).uptime, 1, 'a server going down still serves');
});

test('a server configured within the range has a timeline from then: its state then, uptime counted from then, not over the range', () => {
  const events = [ev(1200, 'a', 'UP', 'DOWN'), ev(1800, 'a', 'DOWN', 'UP')];
  const t = timelineOf('app', 'a', events, 'UP', 0, 2000, { time: 1000, how: 'added' });
  assert.deepEqual([t.from, t.to, t.initial], [0, 2000, 'UP'], 'the range stays the one asked for');
  assert.equal(t.uptime, (200 + 200) / 1000, 'UP 1000-1200 and 1800-2000 of the 1000 ms it existed');
  assert.deepEqual(t.configuredSince, { time: 1000, how: 'added' });
  // Configured before the range: the whole range counts, as before.
  assert.equal(timelineOf('app', 'a', events, 'UP', 0, 2000, { time: -5, how: 'history-began' }).uptime, 1400 / 2000);
  // Just added, nothing happened yet: UP for all of its few seconds, so 100 %.
  assert.equal(timelineOf('app', 'a', [], 'UP', 0, 86_400_000, { time: 86_340_000, how: 'added' }).uptime, 1);
});

test("a backend's timeline is UP while any server is usable, derived from its servers' transitions", () => {
  const derived = backendEvents('app', [
    { name: 'a', initial: 'UP', events: [ev(100, 'a', 'UP', 'DOWN'), ev(400, 'a', 'DOWN', 'UP')] },
    { name: 'b', initial: 'UP', events: [ev(200, 'b', 'UP', 'MAINT'), ev(300, 'b', 'MAINT', 'UP')] },
  ]);
  assert.equal(derived.initial, 'UP');
  assert.deepEqual(derived.events.map((e) => [e.time, e.server, e.from, e.to]), [[200, 'b', 'UP', 'DOWN'], [300, 'b', 'DOWN', 'UP']]);
  assert.match(derived.events[0]!.reason, /^backend app has no server available!/);
  const t = timelineOf('app', undefined, derived.events, 'UP', 0, 1000);
  assert.equal(t.server, undefined);
  assert.equal(t.uptime, 0.9);
});

test('timelines and from/to series reach past the memory rings through the history source', async () => {
  const port = await freePort();
  const parsed = parseConfig([{ name: 'site.cfg', text: `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a 127.0.0.1:9
    server b 127.0.0.1:9
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const day = 86_400_000;
  const now = Date.now();
  const stored: HealthEvent[] = [ev(now - 3 * day, 'a', 'UP', 'DOWN'), ev(now - 2 * day, 'a', 'DOWN', 'UP'), ev(now - 2 * day, 'b', 'UP', 'DOWN'), ev(now - day, 'b', 'DOWN', 'UP')];
  const asked: string[] = [];
  const history: HistorySource = {
    series(id, from, to): SeriesPoint[] {
      asked.push(`series ${id}`);
      return [{ t: from, values: { requests: 7 } as SeriesPoint['values'] }].filter((p) => p.t <= to);
    },
    healthEvents(backend, server, from, to) {
      asked.push(`events ${backend}/${server ?? '*'}`);
      return stored.filter((e) => e.backend === backend && (server === undefined || e.server === server) && e.time >= from && e.time <= to);
    },
  };
  const control = new InProcessControl(engine, { history });
  try {
    const a = value(await control.timeline('app', 'a', { from: now - 4 * day, to: now }));
    assert.equal(a.initial, 'UP');
    assert.deepEqual(a.events.map((e) => e.to), ['DOWN', 'UP']);
    assert.ok(Math.abs(a.uptime - 0.75) < 0.001, String(a.uptime));
    const lastDay = value(await control.timeline('app', 'b', { from: now - day / 2, to: now }));
    assert.equal(lastDay.initial, 'UP', 'the state before the range comes from history too');
    assert.equal(lastDay.uptime, 1);
    const backend = value(await control.timeline('app', undefined, { from: now - 4 * day, to: now }));
    assert.equal(backend.initial, 'UP');
    assert.deepEqual(backend.events, [], 'a and b were never down together');
    assert.equal(backend.uptime, 1);

    const points = value(await control.series('frontend:web', { resolution: 'minute', from: now - 2 * day, to: now }));
    assert.equal(points.points[0]!.values.requests, 7);
    assert.ok(asked.includes('series frontend:web'));
    assert.equal(value(await control.series('frontend:web', { resolution: 'minute', count: 5 })).points.length, 0, 'count ranges come from memory');
    const tooLong = await control.series('frontend:web', { resolution: 'minute', from: now - 40 * day, to: now });
    assert.equal(!tooLong.ok && tooLong.error.code, 'LS_ERR_CTL_BAD_VALUE');
  } finally {
    await engine.stop(100);
  }
});

test('a server without check has a timeline of its admin changes', async () => {
  const port = await freePort();
  const parsed = parseConfig([{ name: 'site.cfg', text: `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a 127.0.0.1:9
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  try {
    const from = Date.now() - 1000;
    value(await control.setServerState('app', 'a', 'maint'));
    value(await control.setServerState('app', 'a', 'ready'));
    const t = value(await control.timeline('app', 'a', { from }));
    assert.equal(t.initial, 'no check');
    assert.deepEqual(t.events.map((e) => e.to), ['MAINT', 'no check']);
    assert.ok(t.uptime > 0 && t.uptime <= 1);
    const b = value(await control.timeline('app', undefined, { from }));
    assert.deepEqual(b.events.map((e) => e.to), ['DOWN', 'UP']);
    assert.deepEqual(value(await control.checkResults('app', 'a')), [], 'no check, no results');
  } finally {
    await engine.stop(100);
  }
});

test('a transition older than the first-seen time moves the start back: the server existed then, and the band keeps its cause', () => {
  const events: HealthEvent[] = [{ time: 1_000, from: 'UP', to: 'DOWN', code: 'L4CON', reason: 'Connection refused' } as HealthEvent];
  const t = timelineOf('app', 's1', events, 'DOWN', 0, 10_000, { time: 1_500, how: 'added' });
  assert.equal(t.configuredSince?.time, 1_000);
  assert.equal(t.initial, 'UP');
  assert.deepEqual(t.events.map((e) => e.to), ['DOWN']);
});
