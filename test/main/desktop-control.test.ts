/**
 * Main's contract for the window and tray: requests go to the supervised
 * engine host, events are renumbered across engine restarts, and the
 * supervisor's restarts reach subscribers as alerts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlEvent } from '../../proxy/control/contract.ts';
import { desktopControl } from '../../main/desktop-control.ts';
import { EventHub } from '../../main/event-hub.ts';
import type { EngineSupervisor, SupervisorReport } from '../../main/supervisor.ts';

function fakeSupervisor() {
  const eventListeners = new Set<(e: ControlEvent) => void>();
  const reportListeners = new Set<(r: SupervisorReport) => void>();
  const fake = {
    topics: [] as string[],
    requests: [] as Array<[string, unknown[]]>,
    onEvent: (l: (e: ControlEvent) => void) => { eventListeners.add(l); return () => eventListeners.delete(l); },
    onReport: (l: (r: SupervisorReport) => void) => { reportListeners.add(l); return () => reportListeners.delete(l); },
    setTopics: (t: string[]) => { fake.topics = t; },
    request: async (method: string, args: unknown[]): Promise<{ ok: boolean; value: unknown }> => { fake.requests.push([method, args]); return { ok: true, value: method }; },
    emit: (e: ControlEvent) => { for (const l of eventListeners) l(e); },
    report: (r: SupervisorReport) => { for (const l of reportListeners) l(r); },
  };
  return fake;
}

test('methods become requests to the engine host; subscribed topics are asked of it', async () => {
  const sup = fakeSupervisor();
  const control = desktopControl(sup as unknown as EngineSupervisor);
  assert.deepEqual(await control.timeline('app', 'a1', { from: 1 }), { ok: true, value: 'timeline' });
  assert.deepEqual(sup.requests, [['timeline', ['app', 'a1', { from: 1 }]]]);
  const stop = control.subscribe(['stats', 'events'], () => {});
  assert.deepEqual(sup.topics, ['events', 'stats']);
  stop();
  assert.deepEqual(sup.topics, []);
});

test('events keep one growing sequence across an engine restart, and the restart itself is an alert', () => {
  const sup = fakeSupervisor();
  const hub = new EventHub(10);
  const control = desktopControl(sup as unknown as EngineSupervisor, hub);
  const seen: ControlEvent[] = [];
  control.subscribe(['events'], (e) => seen.push(e));
  sup.emit({ seq: 1, topic: 'events', payload: { type: 'alert', time: 0, message: 'first engine' } });
  sup.report({ type: 'restarting', reason: { kind: 'hung', silentMs: 7000 }, delayMs: 500, attempt: 1, message: 'The proxy engine failed: it stopped answering (no heartbeat for 7 s). Restarting in 500 ms.' });
  sup.emit({ seq: 1, topic: 'events', payload: { type: 'alert', time: 0, message: 'second engine, its seq starts again' } });
  assert.deepEqual(seen.map((e) => e.seq), [1, 2, 3, 4]);
  assert.match((seen[1].payload as { message: string }).message, /stopped answering/);
  const lifecycle = seen[2].payload as { type: string; lifecycle: { state: string; lastError: { message: string } } };
  assert.equal(lifecycle.type, 'lifecycle');
  assert.equal(lifecycle.lifecycle.state, 'starting');
  assert.match(lifecycle.lifecycle.lastError.message, /stopped answering/);
  const replay: ControlEvent[] = [];
  control.subscribe(['events'], (e) => replay.push(e), { afterSeq: 1 });
  assert.deepEqual(replay.map((e) => e.seq), [2, 3, 4], 'a reconnecting renderer gets what it missed');
});

test('once a restarted engine serves, its lifecycle is pushed so the dashboard refreshes', async () => {
  const sup = fakeSupervisor();
  const lifecycle = { state: 'running', since: 5, configName: '/d/haproxy.cfg', loadedAt: 5, reloads: 0 };
  sup.request = async (method: string) => ({ ok: true, value: method === 'status' ? { lifecycle } : method });
  const control = desktopControl(sup as unknown as EngineSupervisor);
  const seen: ControlEvent[] = [];
  control.subscribe(['events'], (e) => seen.push(e));
  sup.report({ type: 'started', pid: 1, restarts: 0, message: 'first start' });
  sup.report({ type: 'started', pid: 2, restarts: 1, message: 'again' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen.map((e) => (e.payload as { lifecycle?: unknown }).lifecycle), [lifecycle]);
});

test('a configuration that cannot start is a failed lifecycle carrying its error', () => {
  const sup = fakeSupervisor();
  const control = desktopControl(sup as unknown as EngineSupervisor);
  const seen: ControlEvent[] = [];
  control.subscribe(['events'], (e) => seen.push(e));
  const error = { code: 'LS_ERR_CFG_INVALID' as const, message: 'haproxy.cfg has errors' };
  sup.report({ type: 'config-failed', error, message: 'could not start' });
  const lifecycle = seen.map((e) => e.payload as { type: string; lifecycle?: { state: string; lastError: unknown } }).find((p) => p.type === 'lifecycle')!;
  assert.equal(lifecycle.lifecycle!.state, 'failed');
  assert.deepEqual(lifecycle.lifecycle!.lastError, error);
});

test('the replay buffer is bounded', () => {
  const hub = new EventHub(3);
  for (let i = 0; i < 10; i++) hub.publish('stats', { t: i, objects: [] });
  const got: number[] = [];
  hub.subscribe(['stats'], (e) => got.push(e.seq), { afterSeq: 0 });
  assert.deepEqual(got, [8, 9, 10]);
});
