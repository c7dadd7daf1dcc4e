/**
 * The engine supervisor with REAL engine host processes (child_process.fork
 * of the production host and data-dir opener): kill -9, a hung event loop, a
 * crash loop, a configuration that cannot start, and a request/response round
 * trip plus a pushed event over the channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineSupervisor } from '../../main/supervisor.ts';
import type { SupervisorOptions, SupervisorReport } from '../../main/supervisor.ts';
import { nodeForkSpawner } from '../../main/engine-process.ts';
import { desktopControl } from '../../main/desktop-control.ts';
import type { HostInbound } from '../../main/engine-protocol.ts';
import type { ControlEvent, StatusSnapshot } from '../../proxy/control/contract.ts';
import { freePort, waitFor } from '../helpers/net.ts';
import { TS_IMPORT } from '../helpers/ts-import.ts';

const CHILD = fileURLToPath(new URL('./fixtures/engine-child.ts', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../main/engine-entry.ts', import.meta.url));

function dataDir(config: string | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-sup-'));
  if (config !== undefined) fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config);
  return dir;
}

async function siteConfig(): Promise<string> {
  const port = await freePort();
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a1 127.0.0.1:${await freePort()}
`;
}

interface Harness {
  supervisor: EngineSupervisor;
  reports: SupervisorReport[];
  pids: Array<number | undefined>;
  stop(): Promise<void>;
}

function supervise(module: string, dir: string, env: Record<string, string>, options: Partial<SupervisorOptions> = {}): Harness {
  const spawnNode = nodeForkSpawner(module, {
    env: { ...process.env, LOADSTAR_DATA_DIR: dir, LOADSTAR_HEARTBEAT_MS: '100', ...env },
    execArgv: ['--import', TS_IMPORT],
  });
  const pids: Array<number | undefined> = [];
  const supervisor = new EngineSupervisor({
    spawn: () => {
      const child = spawnNode();
      pids.push(child.pid);
      return child;
    },
    hangAfterMs: 1500,
    startTimeoutMs: 20_000,
    backoffInitialMs: 50,
    backoffMaxMs: 400,
    maxCrashes: 4,
    crashWindowMs: 60_000,
    ...options,
  });
  const reports: SupervisorReport[] = [];
  supervisor.onReport((r) => reports.push(r));
  return { supervisor, reports, pids, stop: () => supervisor.stop(500) };
}

const started = (reports: SupervisorReport[]) => reports.filter((r) => r.type === 'started').length;

test('a status request goes to the engine host process and comes back with the running configuration', async () => {
  const h = supervise(ENTRY, dataDir(await siteConfig()), {});
  try {
    h.supervisor.start();
    await waitFor('the engine host to be ready', () => h.supervisor.state === 'running', 20_000);
    const result = await h.supervisor.request('status', []);
    assert.equal(result.ok, true, JSON.stringify(result));
    const snapshot = (result as { value: StatusSnapshot }).value;
    assert.deepEqual(snapshot.backends.map((b) => b.name), ['app']);
    assert.equal(snapshot.lifecycle.state, 'running');
    const unknown = await h.supervisor.request('noSuchMethod' as 'status', []);
    assert.equal(unknown.ok, false);
    assert.equal((unknown as { error: { code: string } }).error.code, 'LS_ERR_CTL_BAD_REQUEST');
  } finally {
    await h.stop();
  }
});

test('an event the engine pushes reaches the supervisor listener with its sequence number', async () => {
  const h = supervise(ENTRY, dataDir(await siteConfig()), {});
  const events: ControlEvent[] = [];
  h.supervisor.onEvent((e) => events.push(e));
  h.supervisor.setTopics(['events']);
  try {
    h.supervisor.start();
    await waitFor('the engine host to be ready', () => h.supervisor.state === 'running', 20_000);
    // An admin change is an engine event: the server goes to maintenance.
    const changed = await h.supervisor.request('setServerState', ['app', 'a1', 'maint']);
    assert.equal(changed.ok, true, JSON.stringify(changed));
    await waitFor('the pushed event', () => events.length > 0, 5000);
    assert.equal(events[0].topic, 'events');
    assert.equal(typeof events[0].seq, 'number');
  } finally {
    await h.stop();
  }
});

test('an engine killed with SIGKILL is restarted after a backoff and the listener is told why', async () => {
  const h = supervise(CHILD, dataDir(await siteConfig()), {});
  // What the window hears: main's contract over this supervisor.
  const ui: ControlEvent[] = [];
  desktopControl(h.supervisor).subscribe(['events'], (e) => ui.push(e));
  try {
    h.supervisor.start();
    await waitFor('the first start', () => started(h.reports) === 1, 20_000);
    const firstPid = h.supervisor.pid!;
    process.kill(firstPid, 'SIGKILL');
    await waitFor('the restart', () => started(h.reports) === 2, 20_000);
    const restart = h.reports.find((r) => r.type === 'restarting');
    assert.ok(restart && restart.type === 'restarting');
    assert.deepEqual(restart.reason, { kind: 'crashed', code: null, signal: 'SIGKILL' });
    assert.equal(restart.delayMs, 50);
    assert.match(restart.message, /killed by SIGKILL\. Restarting in 50 ms/);
    assert.notEqual(h.supervisor.pid, firstPid);
    assert.equal((await h.supervisor.request('status', [])).ok, true);
    const alert = ui.find((e) => (e.payload as { type: string }).type === 'alert');
    assert.match((alert?.payload as { message: string }).message, /killed by SIGKILL/, 'the UI is told');
    await waitFor('the restarted engine\'s lifecycle', () => ui.some((e) => (e.payload as { lifecycle?: { state: string } }).lifecycle?.state === 'running'), 10_000);
    // A second kill within the window waits twice as long.
    process.kill(h.supervisor.pid!, 'SIGKILL');
    await waitFor('the second restart', () => started(h.reports) === 3, 20_000);
    const delays = h.reports.filter((r) => r.type === 'restarting').map((r) => (r as { delayMs: number }).delayMs);
    assert.deepEqual(delays, [50, 100]);
  } finally {
    await h.stop();
  }
});

test('an engine whose event loop blocks (no heartbeat) is killed and restarted', async () => {
  const h = supervise(CHILD, dataDir(await siteConfig()), {});
  try {
    h.supervisor.start();
    await waitFor('the first start', () => started(h.reports) === 1, 20_000);
    const hungPid = h.supervisor.pid!;
    // Not part of the host protocol: the fixture's own switch to block its loop.
    (h.supervisor as unknown as { child: { postMessage(m: unknown): void } }).child.postMessage({ type: 'test-hang' } as unknown as HostInbound);
    await waitFor('the restart after the hang', () => started(h.reports) === 2, 20_000);
    const restart = h.reports.find((r) => r.type === 'restarting');
    assert.ok(restart && restart.type === 'restarting');
    assert.equal(restart.reason.kind, 'hung');
    assert.match(restart.message, /stopped answering \(no heartbeat for/);
    assert.throws(() => process.kill(hungPid, 0), /ESRCH/, 'the hung process is gone');
  } finally {
    await h.stop();
  }
});

test('an engine that keeps crashing is given up on after the limit, with a message saying so', async () => {
  const h = supervise(CHILD, dataDir(await siteConfig()), { TEST_ENGINE_MODE: 'crash-on-start' });
  h.supervisor.start();
  // Four tsx start-ups: several seconds each on a loaded machine.
  await waitFor('the supervisor to give up', () => h.supervisor.state === 'gave-up', 90_000);
  assert.equal(h.pids.length, 4, 'four processes, then no more');
  const last = h.reports.at(-1)!;
  assert.equal(last.type, 'gave-up');
  assert.match(last.message, /failed 4 times within 60 s \(last: it exited with status 3\); Loadstar stopped restarting it\. Use Start proxy to try again\./);
  assert.deepEqual(h.reports.filter((r) => r.type === 'restarting').map((r) => (r as { delayMs: number }).delayMs), [50, 100, 200]);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(h.pids.length, 4, 'still no restart after giving up');
  const answer = await h.supervisor.request('status', []);
  assert.equal(answer.ok, false);
  assert.match((answer as { error: { message: string } }).error.message, /kept crashing/);
});

test('a configuration that fails to start is reported once, not restarted, and the host keeps serving so a corrected text can be applied', async () => {
  const h = supervise(ENTRY, dataDir('frontend web\n    bind 127.0.0.1:notaport\n'), {});
  try {
    h.supervisor.start();
    await waitFor('the start failure', () => h.reports.some((r) => r.type === 'config-failed'), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(h.pids.length, 1, 'one process, never restarted');
    assert.equal(h.supervisor.state, 'running', 'the host serves the contract');
    const reports = h.reports.filter((r) => r.type === 'config-failed');
    assert.equal(reports.length, 1);
    assert.match(reports[0].message, /could not start its configuration: the configuration .*haproxy\.cfg has errors.*\n.*Fix it in the dashboard/s);
    assert.equal((reports[0] as { error: { code: string } }).error.code, 'LS_ERR_CFG_INVALID');
    assert.equal((reports[0] as { serving?: boolean }).serving, true);

    const status = await h.supervisor.request('status', []);
    assert.ok(status.ok, JSON.stringify(status));
    const lifecycle = (status.value as StatusSnapshot).lifecycle;
    assert.equal(lifecycle.state, 'failed');
    assert.match(lifecycle.lastError!.message, /haproxy\.cfg:2/);

    const applied = await h.supervisor.request('applyConfig', [await siteConfig()]);
    assert.ok(applied.ok, JSON.stringify(applied));
    const after = await h.supervisor.request('status', []);
    assert.equal(after.ok && (after.value as StatusSnapshot).lifecycle.state, 'running');
    assert.equal(h.pids.length, 1, 'fixed in the same process');
  } finally {
    await h.stop();
  }
});

test('a data dir that cannot be opened at all ends the host with the reason and is not restarted', async () => {
  const blocker = path.join(dataDir(undefined), 'a-file');
  fs.writeFileSync(blocker, '');
  const h = supervise(ENTRY, path.join(blocker, 'data'), {});
  h.supervisor.start();
  await waitFor('the start failure', () => h.supervisor.state === 'config-failed', 20_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(h.pids.length, 1, 'one process, never restarted');
  const reports = h.reports.filter((r) => r.type === 'config-failed');
  assert.equal(reports.length, 1);
  assert.equal((reports[0] as { serving?: boolean }).serving, false);
  assert.match(reports[0].message, /could not start its configuration and was not restarted: the engine could not start: .*(ENOTDIR|not a directory)/);
});

test('a graceful stop ends the host process with no restart', async () => {
  const h = supervise(CHILD, dataDir(await siteConfig()), {});
  h.supervisor.start();
  await waitFor('the first start', () => started(h.reports) === 1, 20_000);
  const pid = h.supervisor.pid!;
  await h.supervisor.stop(1000);
  assert.equal(h.supervisor.state, 'stopped');
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  assert.equal(h.reports.at(-1)!.type, 'stopped');
  assert.equal(h.reports.filter((r) => r.type === 'restarting').length, 0);
});
