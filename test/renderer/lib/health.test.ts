/**
 * Which health timelines an event burst reloads (renderer/src/lib/health.ts):
 * the Health screen of a backend with hundreds of servers reloads the ones
 * that changed, not every timeline on each transition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timelineKeysOf, timelinesToReload } from '../../../renderer/src/lib/health.ts';

test('a health event or a state change across bands names its server and its backend; alerts and lifecycle name none', () => {
  assert.deepEqual(timelineKeysOf({ type: 'health', event: { backend: 'big', server: 'node003' } }), ['big/node003', 'big/']);
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', server: 'node004', from: 'UP', to: 'DRAIN' }), ['big/node004', 'big/']);
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', from: 'UP', to: 'DOWN' }), ['big/']);
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', server: 'node004', from: 'UP', to: 'UP 1/3' }), [], 'a failing check before DOWN draws nothing new');
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', server: 'node004', from: 'DOWN', to: 'DOWN 1/2' }), []);
  assert.deepEqual(timelineKeysOf({ type: 'alert' }), []);
  assert.deepEqual(timelineKeysOf({ type: 'lifecycle' }), []);
});

test('a few touched timelines of many are reloaded alone; most of them touched reloads all', () => {
  const shown = ['big/', ...Array.from({ length: 300 }, (_, i) => `big/node${i}`)];
  assert.deepEqual(timelinesToReload(shown, new Set(['big/node7', 'big/', 'other/x'])), ['big/', 'big/node7']);
  assert.deepEqual(timelinesToReload(shown, new Set(['other/'])), []);
  assert.equal(timelinesToReload(shown, new Set(shown.slice(0, 200))), 'all');
  assert.equal(timelinesToReload(['web/', 'web/a'], new Set(['web/', 'web/a'])), 'all');
});
