/** The desktop shell's behaviour with fake ports: tray actions, the tray kept in step, notifications, quit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlContract, StatusSnapshot } from '../../proxy/control/contract.ts';
import { buildControlMethods } from '../../main/control-methods.ts';
import { EventHub } from '../../main/event-hub.ts';
import { DesktopShell } from '../../main/shell.ts';
import type { ShellPorts } from '../../main/shell.ts';
import type { SupervisorReport, SupervisorState } from '../../main/supervisor.ts';
import type { TrayView } from '../../main/tray-state.ts';
import type { DesktopNotification } from '../../main/notifications.ts';

const snapshot = (state: StatusSnapshot['lifecycle']['state']): StatusSnapshot => ({
  at: 0,
  lifecycle: { state, since: 0, configName: 'haproxy.cfg', loadedAt: 0, reloads: 0 },
  frontends: [{ name: 'web', mode: 'http', binds: [{ address: '127.0.0.1', port: 8080, tls: false, listening: true }], routes: [], current: 0 }],
  backends: [],
});

function setup() {
  const hub = new EventHub();
  const calls: string[] = [];
  let engineState: StatusSnapshot['lifecycle']['state'] = 'running';
  let statusCalls = 0;
  const methods = buildControlMethods(async (method) => {
    calls.push(method);
    if (method === 'status') {
      statusCalls++;
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true, value: snapshot(engineState) };
    }
    if (method === 'stop') engineState = 'stopped';
    if (method === 'start') engineState = 'running';
    if (method === 'certList') return { ok: true, value: { certs: [], unreadable: [] } };
    return { ok: true, value: null };
  });
  const control: ControlContract = { ...methods, subscribe: hub.subscribe.bind(hub) };
  const reportListeners: Array<(r: SupervisorReport) => void> = [];
  const supervisor = {
    state: 'stopped' as SupervisorState,
    starts: 0,
    stops: [] as number[],
    start() { this.starts++; this.state = 'running'; },
    async stop(grace: number) { this.stops.push(grace); this.state = 'stopped'; },
    onReport(l: (r: SupervisorReport) => void) { reportListeners.push(l); return () => {}; },
  };
  const trays: TrayView[] = [];
  const notes: DesktopNotification[] = [];
  const saved: unknown[] = [];
  let login = false;
  const ports: ShellPorts & { windows: number; quits: number } = {
    windows: 0,
    quits: 0,
    showTray: (v) => void trays.push(v),
    showWindow: () => { ports.windows++; },
    quit: () => { ports.quits++; },
    notify: (n) => void notes.push(n),
    openAtLogin: { get: () => login, set: (v) => { login = v; } },
    preferences: { read: () => ({ notifications: true }), write: (p) => void saved.push(p) },
  };
  const shell = new DesktopShell(supervisor, control, ports, { trayRefreshMs: 60_000, certCheckMs: 60_000, quitGraceMs: 7000 });
  const report = (r: SupervisorReport) => { for (const l of reportListeners) l(r); };
  return { shell, supervisor, ports, trays, notes, saved, calls, hub, report, statusCalls: () => statusCalls };
}

test('starting shows the window and a tray drawn from the engine status; started hidden at login, no window', async () => {
  const a = setup();
  await a.shell.start(false);
  assert.equal(a.supervisor.starts, 1);
  assert.equal(a.ports.windows, 1);
  assert.equal(a.trays.at(-1)!.health, 'healthy');
  await a.shell.stop();
  const b = setup();
  await b.shell.start(true);
  assert.equal(b.ports.windows, 0);
  await b.shell.stop();
});

test('Stop proxy stops the engine and keeps its host; Start proxy starts it again', async () => {
  const { shell, supervisor, trays, calls } = setup();
  await shell.start(true);
  await shell.act({ type: 'stop' });
  assert.ok(calls.includes('stop'));
  assert.equal(supervisor.state, 'running', 'the host stays');
  assert.equal(trays.at(-1)!.health, 'stopped');
  const second = trays.at(-1)!.menu[1];
  assert.equal(second.kind === 'item' ? second.label : '', 'Start proxy');
  await shell.act({ type: 'start' });
  assert.ok(calls.includes('start'));
  assert.equal(trays.at(-1)!.health, 'healthy');
  await shell.stop();
});

test('Start proxy after the supervisor gave up starts the host again', async () => {
  const { shell, supervisor, trays, report } = setup();
  await shell.start(true);
  supervisor.state = 'gave-up';
  report({ type: 'gave-up', reason: { kind: 'crashed', code: 1, signal: null }, crashes: 5, windowMs: 60_000, message: 'The proxy engine failed 5 times.' });
  await shell.refreshTray();
  assert.equal(trays.at(-1)!.health, 'down');
  assert.match(trays.at(-1)!.tooltip, /failed 5 times/);
  await shell.act({ type: 'start' });
  assert.equal(supervisor.starts, 2);
  await shell.stop();
});

test('toggles are saved, the dashboard opens, Quit quits, and quitting stops the engine with its grace', async () => {
  const { shell, supervisor, ports, saved, trays } = setup();
  await shell.start(true);
  await shell.act({ type: 'toggle-notifications' });
  assert.deepEqual(saved, [{ notifications: false }]);
  await shell.act({ type: 'toggle-open-at-login' });
  assert.equal(ports.openAtLogin.get(), true);
  const menu = trays.at(-1)!.menu.filter((i) => i.kind === 'checkbox');
  assert.deepEqual(menu.map((i) => i.kind === 'checkbox' && [i.label, i.checked]), [['Open at login', true], ['Notifications', false]]);
  await shell.act({ type: 'open-dashboard' });
  assert.equal(ports.windows, 1);
  await shell.act({ type: 'quit' });
  assert.equal(ports.quits, 1);
  await shell.stop();
  assert.deepEqual(supervisor.stops, [7000]);
});

test('a burst of engine events redraws the tray a bounded number of times and notifies', async () => {
  const { shell, hub, notes, statusCalls, report } = setup();
  await shell.start(true);
  const before = statusCalls();
  for (let i = 0; i < 50; i++) hub.publish('events', { type: 'alert', time: i, message: `event ${i}` });
  await shell.refreshTray();
  assert.ok(statusCalls() - before <= 3, `coalesced: ${statusCalls() - before} status calls for 50 events`);
  report({ type: 'restarting', reason: { kind: 'hung', silentMs: 7000 }, delayMs: 500, attempt: 1, message: 'The proxy engine failed: it stopped answering.' });
  assert.deepEqual(notes.map((n) => n.title), ['Loadstar engine restarted']);
  await shell.stop();
});
