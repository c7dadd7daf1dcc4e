import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { AccessLogEntry, EngineEvent } from '../../../proxy/control/contract.ts';
import { startNamedServer, request, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

test('the control contract reports counters, series, the health timeline, and pushes access-log entries and events', async () => {
  const app = await startNamedServer('app');
  const port = await freePort();
  const parsed = parseConfig([{ name: 'site.cfg', text: `${HTTP_DEFAULTS}    timeout check 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${app.port} check inter 100 rise 1 fall 1
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  await engine.start();
  const control = new InProcessControl(engine);
  const entries: AccessLogEntry[] = [];
  const events: EngineEvent[] = [];
  const stopLog = control.subscribe(['access-log'], (e) => entries.push(e.payload));
  const stopEvents = control.subscribe(['events'], (e) => events.push(e.payload));
  try {
    for (let i = 0; i < 3; i++) assert.equal((await request(port, `/r${i}`)).status, 200);
    const stats = await control.stats();
    assert.ok(stats.ok);
    const snapshot = stats.value;
    const frontend = snapshot.objects.find((o) => o.id === 'frontend:web');
    assert.equal(frontend?.fields['req_tot'], 3);
    assert.equal(frontend?.fields['hrsp_2xx'], 3);
    assert.equal(snapshot.objects.find((o) => o.id === 'server:app/s1')?.fields['stot'], 3);

    // The per-second ring is filled on the stats tick (every second).
    await new Promise((r) => setTimeout(r, 2100));
    const second = await control.series('frontend:web', { resolution: 'second', count: 5 });
    assert.ok(second.ok);
    assert.equal(second.value.points.length, 5);
    assert.equal(second.value.points.reduce((sum, p) => sum + p.values.requests, 0), 3);
    assert.equal((await control.series('frontend:nope', { resolution: 'second', count: 5 })).ok, false);
    const tooLong = await control.series('frontend:web', { resolution: 'second', count: 901 });
    assert.equal(!tooLong.ok && tooLong.error.code, 'LS_ERR_CTL_BAD_VALUE');

    assert.deepEqual(entries.map((e) => [e.frontend, e.backend, e.server, e.url, e.status]), [
      ['web', 'app', 's1', '/r0', 200], ['web', 'app', 's1', '/r1', 200], ['web', 'app', 's1', '/r2', 200],
    ]);
    // What the request tracer needs to replay an entry: the client's address alone, its Host, and whether it came over TLS.
    assert.deepEqual(entries.map((e) => [e.clientIp, e.host, e.tls, e.sni]), Array(3).fill(['127.0.0.1', `127.0.0.1:${port}`, false, undefined]));
    assert.match(entries[0]!.client, /^127\.0\.0\.1:\d+$/);

    // The server goes down: the transition is in its timeline and pushed as an event.
    await app.close();
    const deadline = Date.now() + 3000;
    while (engine.backend('app')!.server('s1')!.usable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const timeline = await control.timeline('app', 's1');
    assert.ok(timeline.ok);
    assert.equal(timeline.value.events.at(-1)?.to, 'DOWN');
    assert.ok(events.some((e) => JSON.stringify(e).includes('is DOWN')), JSON.stringify(events));
    const missing = await control.timeline('app', 'nope');
    assert.equal(!missing.ok && missing.error.code, 'LS_ERR_CTL_NOT_FOUND');
  } finally {
    stopLog();
    stopEvents();
    await engine.stop(200);
  }
});
