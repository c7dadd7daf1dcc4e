import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { HistoryClient } from '../../../proxy/store/history-client.ts';
import { HistoryRecorder } from '../../../proxy/store/history-recorder.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { startEngine, startNamedServer, request, waitFor, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

function config(port: number, a: number, b: number): string {
  return `${HTTP_DEFAULTS}    timeout check 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a 127.0.0.1:${a} check inter 100 fall 1 rise 1
    server b 127.0.0.1:${b} check inter 100 fall 1 rise 1
`;
}

test('traffic and a health transition recorded (through the history worker) before a restart are in the 24 h series and the timeline after it', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-restart-')), 'history.sqlite');
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  const text = config(await freePort(), a.port, b.port);
  const started = Date.now();

  // First run: traffic, then server b goes DOWN.
  {
    const run = await startEngine(text);
    const store = await HistoryClient.open(file);
    const recorder = new HistoryRecorder(store, run.engine, { log: () => {} });
    recorder.start();
    try {
      await waitFor('both servers UP', () => run.engine.backend('app')!.servers.every((s) => s.status === 'UP'));
      for (let i = 0; i < 20; i++) await request(run.port);
      await b.close();
      await waitFor('b DOWN', () => run.engine.backend('app')!.server('b')!.status.startsWith('DOWN'));
      // The per-second ring holds the traffic once the one-second tick has passed over it.
      const counters = run.engine.stats.counters('backend', 'app')!;
      await waitFor('the traffic in the series ring', () => (counters.series?.lastSeconds(120) ?? []).reduce((n, p) => n + p.values.requests, 0) >= 20);
    } finally {
      await recorder.stop();
      await store.close();
      await run.stop();
    }
  }

  // Second run: a new engine knows nothing; the store does.
  const run = await startEngine(text);
  const store = await HistoryClient.open(file);
  const control = new InProcessControl(run.engine, { history: store, log: () => {} });
  try {
    const now = Date.now();
    const series = await control.series('backend:app', { resolution: 'minute', from: now - 24 * 3600_000, to: now });
    assert.ok(series.ok, JSON.stringify(series));
    const requests = series.value.points.reduce((n, p) => n + p.values.requests, 0);
    assert.equal(requests, 20, `the 24 h series after the restart counts ${requests} requests`);
    assert.ok(series.value.points.every((p) => p.t >= Math.floor(started / 60_000) * 60_000 - 60_000));
    const server = await control.series('server:app/a', { resolution: 'minute', from: now - 24 * 3600_000, to: now });
    assert.ok(server.ok && server.value.points.some((p) => p.values.hrsp2xx > 0));

    const timeline = await control.timeline('app', 'b', { from: now - 3600_000, to: now });
    assert.ok(timeline.ok, JSON.stringify(timeline));
    const down = timeline.value.events.find((e) => e.to.startsWith('DOWN'));
    assert.ok(down, `the timeline after the restart: ${JSON.stringify(timeline.value.events)}`);
    assert.match(down.reason, /Server app\/b is DOWN/);
    assert.ok(down.time >= started && down.time <= now);
    assert.ok(timeline.value.uptime < 1);
  } finally {
    await store.close();
    await run.stop();
    await a.close();
  }
});

test('a server DOWN when Loadstar stopped and UP after the restart is UP on its timeline from that start on, in this run and the next (the DOWN lasted to the end of the bar, "Now UP", the uptime falling)', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-restart-up-')), 'history.sqlite');
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  const bPort = b.port;
  const text = config(await freePort(), a.port, bPort);
  const run = async (body: (engine: Awaited<ReturnType<typeof startEngine>>['engine'], control: InProcessControl) => Promise<void>): Promise<void> => {
    const started = await startEngine(text);
    const store = await HistoryClient.open(file);
    const recorder = new HistoryRecorder(store, started.engine, { log: () => {}, healthFlushMs: 50 });
    recorder.start();
    try {
      await body(started.engine, new InProcessControl(started.engine, { history: store, log: () => {} }));
    } finally {
      await recorder.stop();
      await store.close();
      await started.stop();
    }
  };
  const lastHour = () => { const now = Date.now(); return { from: now - 3600_000, to: now }; };
  // First run: b goes DOWN, and Loadstar stops with it DOWN.
  await run(async (engine) => {
    await waitFor('both servers UP', () => engine.backend('app')!.servers.every((s) => s.status === 'UP'));
    await b.close();
    await waitFor('b DOWN', () => engine.backend('app')!.server('b')!.status.startsWith('DOWN'));
  });
  // b is back before the second run, which begins it UP (no transition) and keeps it UP.
  const back = http.createServer((_req, res) => res.end('b')).listen(bPort, '127.0.0.1');
  await new Promise((resolve) => back.once('listening', resolve));
  let secondStart = 0;
  try {
    await run(async (engine, control) => {
      secondStart = engine.startedAt!;
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(engine.backend('app')!.server('b')!.status, 'UP');
      const timeline = await control.timeline('app', 'b', lastHour());
      assert.ok(timeline.ok, JSON.stringify(timeline));
      const last = timeline.value.events[timeline.value.events.length - 1];
      assert.equal(last?.to, 'UP', `the timeline ends ${JSON.stringify(last)}`);
      assert.equal(last.time, secondStart);
      assert.match(last.reason, /^Loadstar started: server app\/b begins UP/);
      // The backend (UP all along through a) is as it was.
      const backend = await control.timeline('app', undefined, lastHour());
      assert.ok(backend.ok && backend.value.uptime === 1);
    });
    // A third run: the second one's start was stored, so b is UP from it on, not DOWN until this start.
    await run(async (engine, control) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const timeline = await control.timeline('app', 'b', lastHour());
      assert.ok(timeline.ok, JSON.stringify(timeline));
      const ups = timeline.value.events.filter((e) => e.to === 'UP' && e.time >= secondStart);
      assert.equal(ups[0]?.time, secondStart, `the transitions: ${JSON.stringify(timeline.value.events)}`);
      assert.ok(!timeline.value.events.some((e) => e.time > secondStart && e.to.startsWith('DOWN')), 'no DOWN after the second start');
      assert.equal(timeline.value.events.filter((e) => e.time === engine.startedAt).length, 0, 'nothing changed at the third start');
    });
  } finally {
    await a.close();
    back.close();
  }
});
