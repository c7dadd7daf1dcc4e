/**
 * The preload's `window.loadstar` is the control contract, generated from the
 * channel map: a type test (checked by tsc) and a run with a fake ipcRenderer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_EVENT_CHANNELS, CONTROL_METHODS } from '../../proxy/control/contract.ts';
import type { ControlContract, ControlEvent, ControlMethodName, ControlMethods, ControlTopic } from '../../proxy/control/contract.ts';
import { buildLoadstarApi, SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL } from '../../main/preload-api.ts';
import type { LoadstarApi, PreloadIpc } from '../../main/preload-api.ts';
import { buildControlMethods } from '../../main/control-methods.ts';

// ---- type tests: a mismatch fails `tsc` (npm run typecheck), not only this run.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const assertType = <T extends true>(_proof?: T) => {};
assertType<Equals<LoadstarApi, ControlContract>>();
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
assertType<Mutual<ReturnType<typeof buildLoadstarApi>, ControlMethods & Pick<ControlContract, 'subscribe'>>>();
assertType<Equals<keyof ReturnType<typeof buildLoadstarApi>, ControlMethodName | 'subscribe'>>();
assertType<Equals<keyof typeof CONTROL_METHODS, ControlMethodName>>();
assertType<Equals<keyof typeof CONTROL_EVENT_CHANNELS, ControlTopic>>();
assertType<Equals<ReturnType<typeof buildControlMethods>, ControlMethods>>();

interface FakeIpc extends PreloadIpc {
  invoked: Array<[string, unknown[]]>;
  sent: Array<[string, unknown[]]>;
  listeners: Map<string, Set<(payload: unknown) => void>>;
  push(channel: string, payload: unknown): void;
}

function fakeIpc(): FakeIpc {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const ipc: FakeIpc = {
    invoked: [],
    sent: [],
    listeners,
    invoke: async (channel, ...args) => {
      ipc.invoked.push([channel, args]);
      return { ok: true, value: channel };
    },
    send: (channel, ...args) => void ipc.sent.push([channel, args]),
    on: (channel, listener) => void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(listener),
    off: (channel, listener) => void listeners.get(channel)?.delete(listener),
    push: (channel, payload) => { for (const l of listeners.get(channel) ?? []) l(payload); },
  };
  return ipc;
}

test('every contract method is exposed and invokes its own channel with its arguments', async () => {
  const ipc = fakeIpc();
  const api = buildLoadstarApi(ipc);
  assert.deepEqual(Object.keys(api).sort(), [...Object.keys(CONTROL_METHODS), 'subscribe'].sort());
  for (const [method, facts] of Object.entries(CONTROL_METHODS)) {
    const call = api[method as ControlMethodName] as (...a: unknown[]) => Promise<unknown>;
    assert.deepEqual(await call('a', 2), { ok: true, value: facts.channel }, method);
  }
  assert.deepEqual(ipc.invoked.find(([c]) => c === 'server:state'), ['server:state', ['a', 2]]);
  assert.ok(Object.isFrozen(api));
});

test('channels are unique, area:verb shaped, and apart from the subscription channels', () => {
  const channels = [...Object.values(CONTROL_METHODS).map((m) => m.channel), ...Object.values(CONTROL_EVENT_CHANNELS), SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL];
  assert.equal(new Set(channels).size, channels.length);
  for (const channel of channels) assert.match(channel, /^[a-z]+:[a-z]+$/);
});

test('subscribe asks main for the topics and hands its listener only its own events until unsubscribed', () => {
  const ipc = fakeIpc();
  const api = buildLoadstarApi(ipc);
  const mine: ControlEvent[] = [];
  const other: ControlEvent[] = [];
  const stop = api.subscribe(['events', 'stats'], (e) => mine.push(e), { afterSeq: 41 });
  api.subscribe(['events'], (e) => other.push(e));
  assert.deepEqual(ipc.sent[0], [SUBSCRIBE_CHANNEL, [{ id: 1, topics: ['events', 'stats'], afterSeq: 41 }]]);
  assert.deepEqual(ipc.sent[1], [SUBSCRIBE_CHANNEL, [{ id: 2, topics: ['events'] }]]);
  const event: ControlEvent = { seq: 42, topic: 'events', payload: { type: 'alert', time: 1, message: 'x' } };
  ipc.push('engine:event', { subscription: 1, event });
  ipc.push('engine:event', { subscription: 2, event: { ...event, seq: 43 } });
  assert.deepEqual(mine.map((e) => e.seq), [42]);
  assert.deepEqual(other.map((e) => e.seq), [43]);
  stop();
  stop();
  ipc.push('engine:event', { subscription: 1, event });
  assert.equal(mine.length, 1);
  assert.deepEqual(ipc.sent.filter(([c]) => c === UNSUBSCRIBE_CHANNEL), [[UNSUBSCRIBE_CHANNEL, [1]]]);
  assert.equal(ipc.listeners.get('stats:tick')?.size, 0);
});
