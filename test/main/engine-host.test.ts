/**
 * The engine host's protocol, in-process with a fake port and a fake
 * contract: bad requests are answered (never a crash), a throwing method is
 * LS_ERR_CTL_INTERNAL, topics asked before the engine opened apply once it
 * has, a start failure is said before the exit, shutdown stops the engine.
 * Also the utilityProcess adapter against an object shaped like Electron's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { serveEngine } from '../../main/engine-host.ts';
import type { ParentPort } from '../../main/engine-host.ts';
import { buildControlMethods } from '../../main/control-methods.ts';
import { EventHub } from '../../main/event-hub.ts';
import { utilitySpawner } from '../../main/engine-process.ts';
import type { UtilityForkLike } from '../../main/engine-process.ts';
import { EXIT_START_FAILED } from '../../main/engine-protocol.ts';
import type { HostOutbound } from '../../main/engine-protocol.ts';
import type { ControlContract } from '../../proxy/control/contract.ts';
import { waitFor } from '../helpers/net.ts';

function fakePort() {
  let listener: (m: unknown) => void = () => {};
  const sent: HostOutbound[] = [];
  const port: ParentPort = {
    send: async (m) => void sent.push(m),
    onMessage: (l) => { listener = l; },
    onClose: () => {},
  };
  return { port, sent, deliver: (m: unknown) => listener(m) };
}

function fakeEngine() {
  const hub = new EventHub();
  const methods = buildControlMethods(async (method, _c, args) => {
    if (method === 'stats') throw new Error('boom');
    return { ok: true, value: { method, args } };
  });
  const control: ControlContract = { ...methods, subscribe: hub.subscribe.bind(hub) };
  const closed: number[] = [];
  return { hub, control, closed, opened: { ok: true as const, control, close: async (g: number) => void closed.push(g) } };
}

test('requests are answered by the contract; unknown methods, bad arguments and throwing methods get coded answers', async () => {
  const { port, sent, deliver } = fakePort();
  const engine = fakeEngine();
  const exits: number[] = [];
  await serveEngine(port, async () => engine.opened, { heartbeatMs: 60_000, exit: (c) => void exits.push(c) });
  assert.equal(sent.at(-1)!.type, 'ready');
  deliver({ type: 'request', id: 1, method: 'status', args: [] });
  deliver({ type: 'request', id: 2, method: 'constructor', args: [] });
  deliver({ type: 'request', id: 3, method: 'status', args: 'x' });
  deliver({ type: 'request', id: 4, method: 'stats', args: [] });
  deliver(null);
  deliver({ type: 'nonsense' });
  await waitFor('four answers', () => sent.filter((m) => m.type === 'response').length === 4);
  const answers = new Map(sent.flatMap((m) => (m.type === 'response' ? [[m.id, m.result] as const] : [])));
  assert.deepEqual(answers.get(1), { ok: true, value: { method: 'status', args: [] } });
  assert.equal((answers.get(2) as { error: { code: string } }).error.code, 'LS_ERR_CTL_BAD_REQUEST');
  assert.match((answers.get(3) as { error: { message: string } }).error.message, /arguments of 'status' must be a list/);
  assert.deepEqual(answers.get(4), { ok: false, error: { code: 'LS_ERR_CTL_INTERNAL', message: 'stats failed unexpectedly: boom' } });
  deliver({ type: 'shutdown', graceMs: 1234 });
  await waitFor('the exit', () => exits.length === 1);
  assert.deepEqual(engine.closed, [1234]);
  assert.deepEqual(exits, [0]);
});

test('topics asked before the engine opened are pushed once it has', async () => {
  const { port, sent, deliver } = fakePort();
  const engine = fakeEngine();
  let open!: () => void;
  const opening = new Promise<void>((r) => { open = r; });
  const serving = serveEngine(port, async () => { await opening; return engine.opened; }, { heartbeatMs: 60_000, exit: () => {} });
  deliver({ type: 'topics', topics: ['events', 'bogus'] });
  open();
  await serving;
  engine.hub.publish('events', { type: 'alert', time: 1, message: 'pushed' });
  engine.hub.publish('stats', { t: 1, objects: [] });
  const events = sent.filter((m) => m.type === 'event');
  assert.equal(events.length, 1);
  assert.equal(events[0].type === 'event' && events[0].event.topic, 'events');
  deliver({ type: 'shutdown', graceMs: 0 });
});

test('an engine whose configuration did not start is served all the same, and ready says why', async () => {
  const { port, sent, deliver } = fakePort();
  const engine = fakeEngine();
  const exits: number[] = [];
  const startError = { code: 'LS_ERR_ENG_BIND' as const, message: 'cannot bind 127.0.0.1:8080: address already in use' };
  await serveEngine(port, async () => ({ ...engine.opened, startError }), { heartbeatMs: 60_000, exit: (c) => void exits.push(c) });
  assert.deepEqual(sent.at(-1), { type: 'ready', pid: process.pid, startError });
  deliver({ type: 'request', id: 1, method: 'applyConfig', args: ['fixed'] });
  await waitFor('the answer', () => sent.some((m) => m.type === 'response'));
  assert.deepEqual(exits, [], 'the host stays');
  deliver({ type: 'shutdown', graceMs: 0 });
  await waitFor('the exit', () => exits.length === 1);
});

test('a start failure is said to main before the host exits with the configuration status', async () => {
  const { port, sent } = fakePort();
  const exits: number[] = [];
  await serveEngine(port, async () => ({ ok: false, error: { code: 'LS_ERR_ENG_BIND', message: 'port 80: permission denied' } }), { heartbeatMs: 60_000, exit: (c) => void exits.push(c) });
  assert.deepEqual(sent, [{ type: 'start-failed', error: { code: 'LS_ERR_ENG_BIND', message: 'port 80: permission denied' } }]);
  assert.deepEqual(exits, [EXIT_START_FAILED]);
});

test('an open that throws is a start failure too, not a crash', async () => {
  const { port, sent } = fakePort();
  const exits: number[] = [];
  await serveEngine(port, async () => { throw new Error('disk on fire'); }, { heartbeatMs: 60_000, exit: (c) => void exits.push(c) });
  assert.equal(sent[0].type, 'start-failed');
  assert.match(sent[0].type === 'start-failed' ? sent[0].error.message : '', /could not start: disk on fire/);
  assert.deepEqual(exits, [EXIT_START_FAILED]);
});

test('the utilityProcess adapter forwards messages, posts, kills, and reports the exit code', () => {
  class FakeUtility extends EventEmitter {
    pid = 4242;
    posted: unknown[] = [];
    killed = 0;
    postMessage(m: unknown) { this.posted.push(m); }
    kill() { this.killed++; return true; }
  }
  const child = new FakeUtility();
  const forks: Array<[string, unknown]> = [];
  const utility: UtilityForkLike = { fork: (modulePath, _args, options) => { forks.push([modulePath, options?.env?.LOADSTAR_DATA_DIR]); return child as never; } };
  const proc = utilitySpawner(utility, '/app/dist/main/engine-entry.js', { LOADSTAR_DATA_DIR: '/data' })();
  assert.deepEqual(forks, [['/app/dist/main/engine-entry.js', '/data']]);
  assert.equal(proc.pid, 4242);
  const got: unknown[] = [];
  proc.onMessage((m) => got.push(m));
  child.emit('message', { type: 'heartbeat', at: 1 });
  assert.deepEqual(got, [{ type: 'heartbeat', at: 1 }]);
  proc.postMessage({ type: 'topics', topics: [] });
  assert.deepEqual(child.posted, [{ type: 'topics', topics: [] }]);
  const exits: unknown[] = [];
  proc.onExit((e) => exits.push(e));
  proc.kill();
  assert.equal(child.killed, 1);
  child.emit('exit', 9);
  assert.deepEqual(exits, [{ code: 9, signal: null }]);
  proc.postMessage({ type: 'shutdown', graceMs: 0 });
  assert.equal(child.posted.length, 1, 'nothing is posted to an exited process');
});
