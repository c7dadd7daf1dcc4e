/**
 * inReadingOrder (renderer/src/lib/diagnostics.ts): the editor's Problems list reads top to
 * bottom (it listed lines 13, 14, 15, then 9: the end-of-text checks come last).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inReadingOrder } from '../../../renderer/src/lib/diagnostics.ts';

test('diagnostics by line and column, files as they first appear, the same place kept in its order', () => {
  const d = (file: string, line: number, column: number, id: string) => ({ file, line, column, id });
  const sorted = inReadingOrder([d('a.cfg', 13, 5, 'x'), d('a.cfg', 14, 1, 'y'), d('b.cfg', 2, 1, 'z'), d('a.cfg', 9, 1, 'w'), d('a.cfg', 13, 1, 'v'), d('a.cfg', 13, 1, 'u')]);
  assert.deepEqual(sorted.map((s) => s.id), ['w', 'v', 'u', 'x', 'y', 'z']);
});
