/**
 * The engine's state events (proxy/engine-events.ts) say what really changed:
 * a reload that keeps a server as it was adds none for it, whether the server
 * is checked or not (HAProxy logs nothing for them on a reload either), and
 * the "last change" of its counters stays where it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { parseConfig, formatDiagnostics } from '../../proxy/config/index.ts';
import type { Config } from '../../proxy/config/model.ts';
import { Engine } from '../../proxy/engine.ts';
import type { EngineEvent } from '../../proxy/engine-events.ts';
import { HTTP_DEFAULTS, freePort, waitFor } from '../helpers/net.ts';

function config(text: string): Config {
  const result = parseConfig([{ name: 'state-events.cfg', text: `${HTTP_DEFAULTS}    timeout check 5s\n${text}` }]);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics));
  return result.config;
}

test('a reload that keeps servers as they were adds no state event for them, checked or not', async () => {
  const origin = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const live = (origin.address() as { port: number }).port;
  const [port, closed] = [await freePort(), await freePort()];
  const text = (extra: string) => `frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server plain 127.0.0.1:${live}
    server healthy 127.0.0.1:${live} check inter 100ms
    server broken 127.0.0.1:${closed} check inter 100ms fall 1
${extra}`;
  const engine = new Engine(config(text('')), { sink: { traffic: () => {}, alert: () => {} } });
  const seen: EngineEvent[] = [];
  engine.events.on('events', (e) => seen.push(e));
  await engine.start();
  try {
    const server = (name: string) => engine.backend('app')!.server(name)!;
    await waitFor('healthy checked and broken DOWN', () => server('broken').status === 'DOWN' && server('healthy').status === 'UP');
    engine.stats.sync();
    const lastChange = (name: string) => server(name).stats.lastChange;
    const before = { healthy: lastChange('healthy'), broken: lastChange('broken'), plain: lastChange('plain') };
    seen.length = 0;

    await engine.reload(config(text('')));
    engine.stats.sync();
    await engine.reload(config(text('    server added 127.0.0.1:9\n')));
    engine.stats.sync();
    engine.stats.tick();

    const states = seen.filter((e) => e.type === 'state' || e.type === 'health');
    assert.deepEqual(states, [], 'nothing changed for any server (before: "no check → UP" and "no check → DOWN" after each reload)');
    assert.deepEqual({ healthy: lastChange('healthy'), broken: lastChange('broken'), plain: lastChange('plain') }, before);
    assert.equal(server('broken').status, 'DOWN');
    assert.equal(server('healthy').status, 'UP');
    assert.equal(server('plain').status, 'no check');
  } finally {
    await engine.stop(100);
    await new Promise<void>((r) => origin.close(() => r()));
  }
});

test('a server given a check by a reload is one state change, its checks being on', async () => {
  const port = await freePort();
  const text = (options: string) => `frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a 127.0.0.1:9${options}
`;
  const engine = new Engine(config(text('')), { sink: { traffic: () => {}, alert: () => {} } });
  const seen: EngineEvent[] = [];
  engine.events.on('events', (e) => seen.push(e));
  await engine.start();
  try {
    await engine.reload(config(text(' check inter 60s')));
    engine.stats.sync();
    engine.stats.tick();
    const states = seen.flatMap((e) => (e.type === 'state' && e.server === 'a' ? [`${e.from} → ${e.to}`] : []));
    assert.equal(states.length, 1, states.join(', '));
    assert.match(states[0]!, /^no check → UP/);
  } finally {
    await engine.stop(100);
  }
});
