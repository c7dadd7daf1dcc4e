import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_METHODS } from '../../proxy/control/contract.ts';
import type { ControlContract, ControlEvent } from '../../proxy/control/contract.ts';
import { methodHandlers, RendererSubscriptions } from '../../main/ipc-handlers.ts';
import { buildControlMethods } from '../../main/control-methods.ts';
import { EventHub } from '../../main/event-hub.ts';

function fakeControl(hub = new EventHub()) {
  const calls: Array<[string, unknown[]]> = [];
  const methods = buildControlMethods(async (method, _channel, args) => {
    calls.push([method, args]);
    return { ok: true, value: method };
  });
  const control: ControlContract = { ...methods, subscribe: hub.subscribe.bind(hub) };
  return { control, calls, hub };
}

test('each channel delegates to its contract method for the app:// frame', async () => {
  const { control, calls } = fakeControl();
  const handlers = methodHandlers(control);
  assert.deepEqual(handlers.map((h) => h.channel).sort(), Object.values(CONTROL_METHODS).map((m) => m.channel).sort());
  const weight = handlers.find((h) => h.channel === 'server:weight')!;
  assert.deepEqual(await weight.handle('app://loadstar/index.html', ['app', 'a1', 10]), { ok: true, value: 'setServerWeight' });
  assert.deepEqual(calls, [['setServerWeight', ['app', 'a1', 10]]]);
});

test('a frame that is not ours is refused with LS_ERR_CTL_FORBIDDEN and the contract is not called', async () => {
  const { control, calls } = fakeControl();
  for (const handler of methodHandlers(control)) {
    for (const frame of ['https://evil.example/', 'file:///tmp/x.html', undefined]) {
      const answer = await handler.handle(frame, []);
      assert.equal(answer.ok, false);
      assert.equal((answer as { error: { code: string } }).error.code, 'LS_ERR_CTL_FORBIDDEN');
    }
  }
  assert.equal(calls.length, 0);
});

test('renderer subscriptions are validated, tagged with their id, replayed after afterSeq, and dropped with the page', () => {
  const { control, hub } = fakeControl();
  const subs = new RendererSubscriptions(control);
  const sent: Array<[string, { subscription: number; event: ControlEvent }]> = [];
  const send = (channel: string, payload: { subscription: number; event: ControlEvent }) => void sent.push([channel, payload]);
  hub.publish('events', { type: 'alert', time: 1, message: 'before' });
  assert.match(subs.subscribe(7, 'https://evil.example/', { id: 1, topics: ['events'] }, send)!, /only the Loadstar window/);
  assert.match(subs.subscribe(7, 'app://loadstar/', { id: 1, topics: ['nope'] }, send)!, /topics must be/);
  assert.match(subs.subscribe(7, 'app://loadstar/', { id: 'x', topics: ['events'] }, send)!, /integer id/);
  assert.equal(subs.subscribe(7, 'app://loadstar/', { id: 1, topics: ['events'], afterSeq: 0 }, send), undefined);
  assert.deepEqual(sent.map(([c, p]) => [c, p.subscription, p.event.seq]), [['engine:event', 1, 1]], 'replayed');
  hub.publish('stats', { t: 0, objects: [] });
  hub.publish('events', { type: 'alert', time: 2, message: 'after' });
  assert.deepEqual(sent.map(([, p]) => p.event.seq), [1, 3]);
  assert.deepEqual(hub.topics(), ['events']);
  subs.dropSender(7);
  assert.equal(subs.count(7), 0);
  assert.deepEqual(hub.topics(), []);
  hub.publish('events', { type: 'alert', time: 3, message: 'gone' });
  assert.equal(sent.length, 2);
});
