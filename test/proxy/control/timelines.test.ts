import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { HistorySource } from '../../../proxy/control/history.ts';
import { CONTROL_METHODS } from '../../../proxy/control/contract.ts';
import type { HealthEvent, Result, TimelineTarget } from '../../../proxy/control/contract.ts';
import { API_ROUTES } from '../../../proxy/admin/routes.ts';
import { freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return result.value;
}

const day = 86_400_000;
const ev = (backend: string, time: number, server: string, from: string, to: string): HealthEvent => ({ time, backend, server, from, to, reason: `${server} ${to}` });

async function withEngine(servers: number, run: (control: InProcessControl, asked: string[], now: number) => Promise<void>): Promise<void> {
  const port = await freePort();
  const lines = Array.from({ length: servers }, (_, i) => `    server s${i + 1} 127.0.0.1:9`).join('\n');
  const parsed = parseConfig([{ name: 'site.cfg', text: `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
${lines}
backend other
    server x 127.0.0.1:9
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const now = Date.now();
  const stored = [
    ev('app', now - 3 * day, 's1', 'no check', 'MAINT'), ev('app', now - 2 * day, 's1', 'MAINT', 'no check'),
    ev('app', now - 2 * day, 's2', 'no check', 'MAINT'), ev('app', now - 1.5 * day, 's1', 'no check', 'MAINT'), ev('app', now - day, 's2', 'MAINT', 'no check'),
    ev('other', now - day, 'x', 'no check', 'DRAIN'),
  ];
  const asked: string[] = [];
  const history: HistorySource = {
    series: () => [],
    healthEvents(backend, server, from, to) {
      asked.push(`${backend}/${server ?? '*'}`);
      return stored.filter((e) => e.backend === backend && (server === undefined || e.server === server) && e.time >= from && e.time <= to);
    },
  };
  try {
    await run(new InProcessControl(engine, { history }), asked, now);
  } finally {
    await engine.stop(100);
  }
}

test('timelines answers a backend and its 300 servers as 301 timeline calls would, reading the backend from history once', async () => {
  await withEngine(300, async (control, asked, now) => {
    const range = { from: now - 4 * day, to: now };
    const targets: TimelineTarget[] = [{ backend: 'app' }, ...Array.from({ length: 300 }, (_, i) => ({ backend: 'app', server: `s${i + 1}` }))];
    asked.length = 0;
    const set = value(await control.timelines(range, targets));
    assert.deepEqual(asked, ['app/*'], 'one history read for the backend and its servers');
    assert.deepEqual([set.from, set.to, set.missing], [range.from, range.to, []]);
    assert.equal(set.timelines.length, 301);
    const one = [];
    for (const t of targets) one.push(value(await control.timeline(t.backend, t.server, range)));
    assert.deepEqual(set.timelines, one, 'the same answers, in the order asked');
    // What the stored events say: s1 and s2 were in maintenance for a while, never together with all others, so the backend stayed UP;
    // s1, last stored in maintenance, begins this engine's run without a check ('no check'), at its start.
    assert.deepEqual(set.timelines[1]!.events.map((e) => e.to), ['MAINT', 'no check', 'MAINT', 'no check']);
    assert.equal(set.timelines[0]!.uptime, 1);
  });
});

test('timelines without targets gives every backend and server; targets gone since are listed as missing', async () => {
  await withEngine(2, async (control, asked, now) => {
    const all = value(await control.timelines());
    assert.deepEqual(all.timelines.map((t) => `${t.backend}/${t.server ?? ''}`), ['app/', 'app/s1', 'app/s2', 'other/', 'other/x']);
    assert.ok(all.to - all.from === 3600_000 && Math.abs(all.to - now) < 60_000, 'the last hour by default');
    asked.length = 0;
    const some = value(await control.timelines({ from: now - 4 * day }, [{ backend: 'other', server: 'x' }, { backend: 'app', server: 'gone' }, { backend: 'old' }, { backend: 'app', server: 's2' }]));
    assert.deepEqual(some.timelines.map((t) => `${t.backend}/${t.server}`), ['other/x', 'app/s2']);
    assert.deepEqual(some.missing, [{ backend: 'app', server: 'gone' }, { backend: 'old' }]);
    assert.deepEqual(asked, ['other/x', 'app/s2'], 'one server of a backend: only its events are read');
    // Drained when it was last stored, x begins this engine's run ready ('no check').
    assert.deepEqual(some.timelines[0]!.events.map((e) => e.to), ['DRAIN', 'no check']);
    assert.deepEqual(value(await control.timelines(undefined, [])).timelines, []);
  });
});

test('timelines refuses bad arguments with what and where', async () => {
  await withEngine(1, async (control) => {
    const code = async (p: Promise<Result<unknown>>) => {
      const r = await p;
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
    };
    assert.match(await code(control.timelines(undefined, 'app' as never)), /^LS_ERR_CTL_BAD_VALUE: timelines: targets must be a list/);
    assert.match(await code(control.timelines(undefined, [{ backend: 'app' }, { server: 's1' }] as never)), /^LS_ERR_CTL_BAD_VALUE: timelines: targets\[1\]\.backend must be a non-empty text, got nothing/);
    assert.match(await code(control.timelines(undefined, [{ backend: 'app', server: 3 }] as never)), /targets\[0\]\.server must be a non-empty text, got 3/);
    assert.match(await code(control.timelines(undefined, [null] as never)), /targets\[0\] must be an object/);
    assert.match(await code(control.timelines({ from: 10, to: 5 })), /^LS_ERR_CTL_BAD_VALUE: timelines: range\.from must be no later than range\.to/);
    assert.match(await code(control.timelines(undefined, Array.from({ length: 20_001 }, () => ({ backend: 'app' })))), /at most 20000 entries/);
  });
});

test('timelines is carried by every transport: IPC channel health:timelines, POST /api/timelines with 0 to 2 arguments', () => {
  assert.deepEqual(CONTROL_METHODS.timelines, { channel: 'health:timelines', mutates: false });
  assert.deepEqual(API_ROUTES.get('/api/timelines'), { method: 'timelines', path: '/api/timelines', minArgs: 0, maxArgs: 2, mutates: false });
});
