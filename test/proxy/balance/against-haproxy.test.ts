/**
 * Replays every recorded scenario on the installed HAProxy (DESIGN.md §7: real
 * HAProxy is the reference) and checks it still picks what scenarios.ts says —
 * the same orders the algorithm tests require of Loadstar. Skips loudly without
 * haproxy (fails under CI). Each scenario starts its own HAProxy (`nbthread 1`)
 * and one Node backend on loopback ports, and stops both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireHaproxy } from '../../helpers/haproxy.ts';
import { onHaproxy } from './differential.ts';
import { all } from './scenarios.ts';

test('HAProxy picks the recorded orders', async (t) => {
  if (!requireHaproxy(t)) return;
  for (const s of all) {
    await t.test(s.name, async () => {
      assert.deepEqual(await onHaproxy(s), s.expected.split(' '));
    });
  }
});
