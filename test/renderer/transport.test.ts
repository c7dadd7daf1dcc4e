/**
 * The renderer's plain modules, run under Node: the HTTP transport against a
 * real HTTP server on 127.0.0.1 (session, CSRF header, a new session after a
 * restart, transport failures as answers), the snapshot patch that keeps the
 * overview from re-rendering, the health wording, and the boundary: the
 * renderer takes nothing from proxy/ but types of the control contract.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_EVENT_CHANNELS } from '../../proxy/control/contract.ts';
import type { ControlContract } from '../../proxy/control/contract.ts';
import { IpcTransport } from '../../renderer/src/transport/ipc.ts';
import { EVENT_CHANNELS, HttpTransport } from '../../renderer/src/transport/http.ts';
import { TRANSPORT_ERROR } from '../../renderer/src/transport/types.ts';
import { patchChanged } from '../../renderer/src/lib/patch.ts';
import { bandState, healthKind } from '../../renderer/src/lib/health.ts';
import { appendSecond, columnsFromPoints, emptyColumns, tickValues } from '../../renderer/src/lib/traffic.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|svelte)$/.test(e.name) ? [p] : [];
  });
}

test('the renderer imports from proxy/ only types, and only from the control contract', () => {
  const offenders: string[] = [];
  for (const file of sources(path.join(root, 'renderer', 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)(\s+type)?\s[^;]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[3] ?? m[4]!;
      if (!spec.startsWith('.')) continue;
      const resolved = path.resolve(path.dirname(file), spec);
      if (!resolved.startsWith(path.join(root, 'proxy') + path.sep)) continue;
      const typeOnly = m[2] !== undefined;
      if (!typeOnly || resolved !== path.join(root, 'proxy', 'control', 'contract.ts')) offenders.push(`${path.relative(root, file)}: ${m[0].split('\n')[0]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("the HTTP transport's SSE event names are the contract's channel names", () => {
  assert.deepEqual(EVENT_CHANNELS, CONTROL_EVENT_CHANNELS);
});

test('the HTTP transport posts the arguments with the CSRF token, takes a new session when the token is refused, and answers failures', async () => {
  let token = 'first';
  const seen: Array<{ url: string; csrf?: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url!, csrf: req.headers['x-loadstar-csrf'] as string | undefined, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/session') return res.end(JSON.stringify({ ok: true, value: { csrfToken: token, csrfHeader: 'X-Loadstar-CSRF' } }));
      if (req.url === '/api/stats') return res.end('not json');
      if (req.headers['x-loadstar-csrf'] !== token) {
        res.statusCode = 403;
        return res.end(JSON.stringify({ ok: false, error: { code: 'LS_ERR_CTL_FORBIDDEN', message: 'missing or wrong CSRF token' } }));
      }
      res.end(JSON.stringify({ ok: true, value: { echo: JSON.parse(body).args } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  try {
    const transport = new HttpTransport(base);
    const first = await transport.call('setServerState', ['app', 's1', 'drain']);
    assert.deepEqual(first, { ok: true, value: { echo: ['app', 's1', 'drain'] } });
    assert.equal(seen.find((s) => s.url === '/api/setServerState')!.csrf, 'first');

    // The server restarted: the old token is refused once, a new session is fetched, the call retried.
    token = 'second';
    const again = await transport.call('setServerWeight', ['app', 's1', 5]);
    assert.equal(again.ok, true);
    assert.deepEqual(seen.slice(-3).map((s) => `${s.url} ${s.csrf ?? ''}`), ['/api/setServerWeight first', '/api/session ', '/api/setServerWeight second']);

    const garbled = await transport.call('stats', []);
    assert.equal(garbled.ok, false);
    assert.equal(!garbled.ok && garbled.error.code, TRANSPORT_ERROR);
    assert.match(!garbled.ok ? garbled.error.message : '', /HTTP 200 and no readable result/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  const unreachable = await new HttpTransport(base).call('status', []);
  assert.equal(unreachable.ok, false);
  assert.match(!unreachable.ok ? unreachable.error.message : '', /could not be reached/);
});

test('a status refresh writes only the fields that changed into the reactive snapshot', () => {
  const previous = { at: 1, backends: [{ name: 'a', servers: [{ name: 's1', status: 'UP', current: 0 }, { name: 's2', status: 'UP', current: 3 }] }] };
  const next = { at: 2, backends: [{ name: 'a', servers: [{ name: 's1', status: 'DOWN', current: 0 }, { name: 's2', status: 'UP', current: 3 }] }] };
  const writes: string[] = [];
  const watch = <T extends object>(value: T, at: string): T => new Proxy(value, {
    get: (t, k) => {
      const v = Reflect.get(t, k);
      return typeof v === 'object' && v !== null ? watch(v, `${at}.${String(k)}`) : v;
    },
    set: (t, k, v) => {
      writes.push(`${at}.${String(k)}=${JSON.stringify(v)}`);
      return Reflect.set(t, k, v);
    },
  });
  const target = structuredClone(previous);
  patchChanged(watch(target, '$'), previous, next);
  assert.deepEqual(writes, ['$.at=2', '$.backends.0.servers.0.status="DOWN"']);
  assert.deepEqual(target, next);

  // A server added: the list is replaced, not patched element by element.
  const grown = structuredClone(next);
  grown.backends[0]!.servers.push({ name: 's3', status: 'UP', current: 0 });
  writes.length = 0;
  patchChanged(watch(target, '$'), next, grown);
  assert.equal(writes.length, 1);
  assert.match(writes[0]!, /^\$\.backends\.0\.servers=/);
  assert.deepEqual(target, grown);
});

test("HAProxy's status words map to the kinds the UI draws, each with its own icon and words", () => {
  assert.equal(healthKind('UP'), 'up');
  assert.equal(healthKind('UP 1/3'), 'going-down');
  assert.equal(healthKind('DOWN'), 'down');
  assert.equal(healthKind('DOWN 1/2'), 'going-up');
  assert.equal(healthKind('NOLB'), 'nolb');
  assert.equal(healthKind('DRAIN'), 'drain');
  assert.equal(healthKind('MAINT (resolution)'), 'maint');
  assert.equal(healthKind('no check'), 'nocheck');
  assert.deepEqual(['UP', 'UP 2/3', 'DOWN 1/2', 'DRAIN', 'MAINT', 'NOLB'].map(bandState), ['UP', 'UP', 'DOWN', 'DRAIN', 'MAINT', 'NOLB']);
});

test('traffic columns: minute slots become per-second rates, live seconds are appended and bounded', () => {
  const values = { requests: 120, bytesIn: 600, bytesOut: 6000, hrsp1xx: 0, hrsp2xx: 114, hrsp3xx: 0, hrsp4xx: 0, hrsp5xx: 6, sessions: 10, current: 4, queue: 1, p50: 2, p95: 9, p99: 20 };
  const minute = columnsFromPoints([{ t: 60_000, values }], 60);
  assert.deepEqual([minute.cols.requests[0], minute.cols.hrsp5xx[0], minute.cols.current[0], minute.cols.p95[0]], [2, 0.1, 4, 9]);
  let live = emptyColumns();
  for (let s = 0; s < 5; s++) live = appendSecond(live, s * 1000, tickValues({ id: 'x', requests: s, bytesIn: 0, bytesOut: 0, hrsp: [0, s, 0, 0, 0], current: 0, queue: 0, p50: 0, p95: 0, p99: 0 }), 3);
  assert.deepEqual(live.times, [2000, 3000, 4000]);
  assert.deepEqual(live.cols.requests, [2, 3, 4]);
  assert.deepEqual(tickValues(undefined).requests, 0, 'a second without the object is a second without traffic');
});

test('the IPC transport hands calls and subscriptions to window.loadstar, and a rejected call becomes an answer', async () => {
  const received: unknown[][] = [];
  const listeners: Array<(e: unknown) => void> = [];
  const bridge = {
    setServerState: async (...args: unknown[]) => {
      received.push(args);
      return { ok: true, value: { name: args[1] } };
    },
    status: async () => {
      throw new Error('engine host gone');
    },
    subscribe: (_topics: readonly string[], listener: (e: unknown) => void) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
  } as unknown as ControlContract;
  const transport = new IpcTransport(bridge);
  assert.deepEqual(await transport.call('setServerState', ['app', 's1', 'maint']), { ok: true, value: { name: 's1' } });
  assert.deepEqual(received, [['app', 's1', 'maint']]);
  const failed = await transport.call('status', []);
  assert.equal(!failed.ok && failed.error.code, TRANSPORT_ERROR);
  assert.match(!failed.ok ? failed.error.message : '', /engine host gone/);
  const got: unknown[] = [];
  const stop = transport.subscribe(['events'], (e) => got.push(e.seq));
  listeners[0]!({ seq: 7, topic: 'events', payload: { type: 'alert', time: 1, message: 'x' } });
  stop();
  assert.deepEqual(got, [7]);
  assert.equal(listeners.length, 0);
  const states: string[] = [];
  transport.onStreamState((s) => states.push(s));
  assert.deepEqual(states, ['open']);
});
