import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { ControlEvent, EngineEvent, Result, StatsTick } from '../../../proxy/control/contract.ts';
import { startNamedServer, request, freePort, HTTP_DEFAULTS, waitFor } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const site = (port: number, app: number, check = '') => `${HTTP_DEFAULTS}    timeout check 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
frontend idle
    bind 127.0.0.1:0
    default_backend app
backend app
    server s1 127.0.0.1:${app}${check}
`;

async function setup(options: { stats?: boolean; check?: string } = {}) {
  const app = await startNamedServer('app');
  const port = await freePort();
  const parsed = parseConfig([{ name: 'site.cfg', text: site(port, app.port, options.check) }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} }, ...(options.stats === false ? { stats: false } : {}) });
  const control = new InProcessControl(engine);
  value(await control.start());
  return { app, port, engine, control, close: async () => { await engine.stop(100); await app.close(); } };
}

test('with statistics off the access log, alerts, health and admin events still arrive', async () => {
  const s = await setup({ stats: false, check: ' check inter 100 rise 1 fall 1' });
  const events: ControlEvent[] = [];
  const stop = s.control.subscribe(['access-log', 'events'], (e) => events.push(e));
  try {
    assert.equal((await request(s.port, '/a')).status, 200);
    await waitFor('the access-log entry', () => events.some((e) => e.topic === 'access-log'));
    const entry = events.find((e) => e.topic === 'access-log')!.payload;
    assert.deepEqual(entry && 'url' in entry ? [entry.frontend, entry.backend, entry.server, entry.url, entry.status] : [], ['web', 'app', 's1', '/a', 200]);

    value(await s.control.setServerState('app', 's1', 'maint'));
    await s.app.close();
    value(await s.control.setServerState('app', 's1', 'ready'));
    const health = (e: ControlEvent) => (e.topic === 'events' ? e.payload as EngineEvent : undefined);
    await waitFor('the server going down', () => events.some((e) => { const h = health(e); return h?.type === 'health' && h.event.to === 'DOWN'; }));
    const types = new Set(events.filter((e) => e.topic === 'events').map((e) => (e.payload as { type: string }).type));
    assert.ok(types.has('health'), [...types].join());
    assert.ok(types.has('alert'), 'the "no server available" alert');
    const recent = value(await s.control.recentEvents(1000));
    assert.ok(recent.some((e) => e.type === 'health' && e.event.to === 'MAINT'), 'the maintenance change is a recent event');
  } finally {
    stop();
    await s.close();
  }
});

test('counters and series work for a configuration without any stats directive', async () => {
  const s = await setup();
  try {
    for (let i = 0; i < 2; i++) await request(s.port);
    const snapshot = value(await s.control.stats());
    assert.equal(snapshot.objects.find((o) => o.id === 'frontend:web')?.fields['req_tot'], 2);
    await waitFor('a series point', () => (s.engine.stats.counters('frontend', 'web')?.series?.lastSeconds(5) ?? []).some((p) => p.values.requests > 0), 3000);
    const series = value(await s.control.series('frontend:web', { resolution: 'second', count: 10 }));
    assert.equal(series.points.reduce((n, p) => n + p.values.requests, 0), 2);
    const span = value(await s.control.series('frontend:web', { resolution: 'second', from: Date.now() - 60_000 }));
    assert.equal(span.points.reduce((n, p) => n + p.values.requests, 0), 2, 'from/to without a history store: memory as far as it goes');
  } finally {
    await s.close();
  }
});

test('events carry one sequence across topics; a subscriber resuming with afterSeq gets what it missed, then live ones', async () => {
  const s = await setup();
  const seen: ControlEvent[] = [];
  const stop = s.control.subscribe(['access-log', 'events'], (e) => seen.push(e));
  try {
    await request(s.port, '/one');
    value(await s.control.setServerWeight('app', 's1', 2));
    value(await s.control.setServerState('app', 's1', 'drain'));
    await waitFor('three events', () => seen.length >= 3);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.seq > seen[i - 1]!.seq, 'growing');
    const last = seen.at(-1)!.seq;
    stop();
    // Missed while disconnected:
    value(await s.control.setServerState('app', 's1', 'ready'));
    let logged = false;
    const watch = s.engine.events.on('access-log', (e) => { logged ||= e.url === '/two'; });
    await request(s.port, '/two');
    await waitFor('the missed log entry', () => logged);
    watch();
    const resumed: ControlEvent[] = [];
    const again = s.control.subscribe(['access-log', 'events'], (e) => resumed.push(e), { afterSeq: last });
    const missed = resumed.length;
    assert.ok(missed >= 2, `replayed ${missed}`);
    assert.ok(resumed.every((e) => e.seq > last));
    assert.ok(resumed.some((e) => e.topic === 'access-log' && (e.payload as { url?: string }).url === '/two'));
    for (let i = 1; i < resumed.length; i++) assert.ok(resumed[i]!.seq > resumed[i - 1]!.seq, 'replayed in order');
    await request(s.port, '/three');
    await waitFor('the live entry', () => resumed.some((e) => (e.payload as { url?: string }).url === '/three'));
    assert.ok(resumed.at(-1)!.seq > resumed[missed - 1]!.seq);
    // Only the topics asked for are replayed.
    const onlyLog: ControlEvent[] = [];
    s.control.subscribe(['access-log'], (e) => onlyLog.push(e), { afterSeq: 0 })();
    assert.ok(onlyLog.length >= 3 && onlyLog.every((e) => e.topic === 'access-log'));
    again();
  } finally {
    await s.close();
  }
});

test('the stats topic pushes one tick a second with the objects that had activity', async () => {
  const s = await setup();
  const ticks: StatsTick[] = [];
  const stop = s.control.subscribe(['stats'], (e) => ticks.push(e.payload));
  try {
    for (let i = 0; i < 3; i++) await request(s.port);
    await waitFor('a tick with the requests', () => ticks.some((t) => t.objects.some((o) => o.id === 'frontend:web' && o.requests > 0)), 4000);
    const all = ticks.flatMap((t) => t.objects);
    const web = all.filter((o) => o.id === 'frontend:web');
    assert.equal(web.reduce((n, o) => n + o.requests, 0), 3);
    assert.equal(web.reduce((n, o) => n + o.hrsp[1], 0), 3, 'three 2xx');
    assert.equal(all.filter((o) => o.id === 'server:app/s1').reduce((n, o) => n + o.requests, 0), 3);
    assert.ok(!all.some((o) => o.id === 'frontend:idle'), 'an idle object is left out');
    for (const t of ticks) assert.equal(t.t % 1000, 0, 'ticks start on a second');
  } finally {
    stop();
    await s.close();
  }
});
