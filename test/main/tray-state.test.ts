/**
 * The tray's state, tooltip and menu, from hand-made snapshots for each case
 * and from a real engine's status (a server that refuses connections is
 * marked DOWN by its health check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendStatus, ServerStatus, StatusSnapshot } from '../../proxy/control/contract.ts';
import { InProcessControl } from '../../proxy/control/in-process.ts';
import { trayHealth, trayView, TRAY_ICON_SHAPES } from '../../main/tray-state.ts';
import type { TrayMenuItem } from '../../main/tray-state.ts';
import { freePort, startEngine, startNamedServer, waitFor } from '../helpers/net.ts';

function server(name: string, up: boolean, admin: ServerStatus['admin'] = 'ready'): ServerStatus {
  return {
    name, address: `127.0.0.1:${name.length}`, status: up ? 'UP' : admin === 'maint' ? 'MAINT' : 'DOWN', admin, usable: up, weight: 1, configuredWeight: 1,
    backup: false, current: 0, queued: 0, maxconn: 0, total: 0, connectErrors: 0, retries: 0, lastChange: 0,
  };
}

function backend(name: string, servers: ServerStatus[]): BackendStatus {
  return { name, mode: 'http', algorithm: 'roundrobin', queued: 0, usable: servers.filter((s) => s.usable).length, servers };
}

function snapshot(backends: BackendStatus[], listening = true, state: StatusSnapshot['lifecycle']['state'] = 'running'): StatusSnapshot {
  return {
    at: 0,
    lifecycle: { state, since: 0, configName: 'haproxy.cfg', loadedAt: 0, reloads: 0 },
    frontends: [
      { name: 'web', mode: 'http', binds: [{ address: '127.0.0.1', port: 8080, tls: false, listening }], routes: [], defaultBackend: 'app', current: 0 },
      { name: 'secure', mode: 'http', binds: [{ address: '::1', port: 8443, tls: true, listening }], routes: [], defaultBackend: 'api', current: 0 },
    ],
    backends,
  };
}

const base = { openAtLogin: false, notifications: true };
const labels = (menu: TrayMenuItem[]) => menu.map((i) => (i.kind === 'separator' ? '—' : i.kind === 'checkbox' ? `[${i.checked ? 'x' : ' '}] ${i.label}` : i.label));

test('all servers up is healthy; one down is degraded; a backend without servers left is degraded; all backends down is down', () => {
  const healthy = snapshot([backend('app', [server('a1', true), server('a2', true)]), backend('api', [server('b1', true)])]);
  assert.equal(trayHealth({ supervisor: 'running', status: healthy }), 'healthy');
  const oneDown = snapshot([backend('app', [server('a1', true), server('a2', false)]), backend('api', [server('b1', true)])]);
  assert.equal(trayHealth({ supervisor: 'running', status: oneDown }), 'degraded');
  const backendDown = snapshot([backend('app', [server('a1', true)]), backend('api', [server('b1', false)])]);
  assert.equal(trayHealth({ supervisor: 'running', status: backendDown }), 'degraded');
  const allDown = snapshot([backend('app', [server('a1', false)]), backend('api', [server('b1', false)])]);
  assert.equal(trayHealth({ supervisor: 'running', status: allDown }), 'down');
  assert.equal(trayHealth({ supervisor: 'running', status: snapshot([backend('app', [server('a1', true)])], false) }), 'down', 'nothing listening');
});

test('a server in maintenance is not a health problem, and the tooltip says so', () => {
  const parked = snapshot([backend('app', [server('a1', true), server('a2', false, 'maint')])]);
  const view = trayView({ ...base, supervisor: 'running', status: parked });
  assert.equal(view.health, 'healthy');
  assert.equal(view.tooltip, 'Loadstar: healthy — 1 of 2 servers up, 0 of 1 backend down, 2 of 2 frontends listening, 1 in maintenance or drain');
});

test('a stopped engine, a stopped supervisor, a crash loop and a failed configuration', () => {
  assert.equal(trayHealth({ supervisor: 'stopped' }), 'stopped');
  assert.equal(trayHealth({ supervisor: 'running', status: snapshot([], true, 'stopped') }), 'stopped');
  assert.equal(trayHealth({ supervisor: 'running', status: snapshot([], true, 'failed') }), 'down');
  assert.equal(trayHealth({ supervisor: 'gave-up' }), 'down');
  assert.equal(trayHealth({ supervisor: 'config-failed' }), 'down');
  assert.equal(trayHealth({ supervisor: 'restarting' }), 'down');
  assert.equal(trayView({ ...base, supervisor: 'stopped' }).tooltip, 'Loadstar: stopped');
  assert.equal(trayView({ ...base, supervisor: 'gave-up', problem: 'it kept crashing' }).tooltip, 'Loadstar: down — it kept crashing');
});

test('each state has its own icon, and the icons differ in shape, not only colour', () => {
  const icons = (['healthy', 'degraded', 'down', 'stopped'] as const).map((h) => TRAY_ICON_SHAPES[h]);
  assert.equal(new Set(icons).size, 4);
  assert.equal(trayView({ ...base, supervisor: 'stopped' }).icon, 'tray-stopped');
});

test('the menu lists Stop proxy, each frontend with its address and state, and the toggles', () => {
  const status = snapshot([backend('app', [server('a1', true), server('a2', false)])]);
  const view = trayView({ ...base, openAtLogin: true, supervisor: 'running', status });
  assert.deepEqual(labels(view.menu), [
    'Loadstar — degraded',
    'Stop proxy',
    '—',
    'web — http://127.0.0.1:8080 (listening)',
    'secure — https://[::1]:8443 (listening)',
    '—',
    'Open dashboard',
    '[x] Open at login',
    '[x] Notifications',
    '—',
    'Quit Loadstar',
  ]);
  const stopped = trayView({ ...base, supervisor: 'stopped' });
  assert.deepEqual(labels(stopped.menu).slice(0, 4), ['Loadstar — stopped', 'Start proxy', '—', 'Proxy not running']);
  const start = stopped.menu[1];
  assert.ok(start.kind === 'item');
  assert.deepEqual(start.action, { type: 'start' });
  const engineStopped = trayView({ ...base, supervisor: 'running', status: snapshot([], true, 'stopped') });
  assert.equal(labels(engineStopped.menu)[1], 'Start proxy', 'an engine stopped inside a live host offers Start');
});

test('the tray state follows a real engine: healthy, then degraded when a server stops answering its checks', async () => {
  const alive = await startNamedServer('alive');
  const deadPort = await freePort();
  const bind = await freePort();
  const running = await startEngine(`defaults
    mode http
    timeout connect 200ms
    timeout client 5s
    timeout server 5s
    timeout check 5s
frontend web
    bind 127.0.0.1:${bind}
    default_backend app
backend app
    server up 127.0.0.1:${alive.port} check inter 100 fall 1 rise 1
    server gone 127.0.0.1:${deadPort} check inter 100 fall 1 rise 1
`);
  const control = new InProcessControl(running.engine, {});
  try {
    let view = trayView({ ...base, supervisor: 'running', status: ((await control.status()) as { value: StatusSnapshot }).value });
    await waitFor('the dead server to be marked down', () => {
      void control.status().then((r) => {
        if (r.ok) view = trayView({ ...base, supervisor: 'running', status: r.value });
      });
      return view.health === 'degraded';
    }, 10_000);
    assert.equal(view.counts.serversUp, 1);
    assert.equal(view.counts.servers, 2);
    assert.ok(labels(view.menu).includes(`web — http://127.0.0.1:${bind} (listening)`));
  } finally {
    await running.stop();
    await alive.close();
  }
});
