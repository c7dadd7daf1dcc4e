/** Registers one test per recorded scenario: Loadstar must pick what HAProxy picked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onLoadstar } from './differential.ts';
import type { Recorded } from './scenarios.ts';

export function replayRecorded(list: readonly Recorded[]): void {
  for (const s of list) {
    test(`${s.name}, in the order HAProxy 2.6 picked`, () => {
      assert.deepEqual(onLoadstar(s), s.expected.split(' '));
    });
  }
}
