/**
 * inReadingOrder (renderer/src/lib/diagnostics.ts): the editor's Problems list reads top to
 * bottom (it listed lines 13, 14, 15, then 9: the end-of-text checks come last).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inReadingOrder, splitByRunning } from '../../../renderer/src/lib/diagnostics.ts';

test('diagnostics by line and column, files as they first appear, the same place kept in its order', () => {
  const d = (file: string, line: number, column: number, id: string) => ({ file, line, column, id });
  const sorted = inReadingOrder([d('a.cfg', 13, 5, 'x'), d('a.cfg', 14, 1, 'y'), d('b.cfg', 2, 1, 'z'), d('a.cfg', 9, 1, 'w'), d('a.cfg', 13, 1, 'v'), d('a.cfg', 13, 1, 'u')]);
  assert.deepEqual(sorted.map((s) => s.id), ['w', 'v', 'u', 'x', 'y', 'z']);
});

test("a change's own diagnostics are told apart from those the running text has, whatever line they moved to", () => {
  const d = (line: number, message: string, severity: 'warning' | 'alert' = 'warning') => ({ line, message, severity, code: 'LS_WARN_CFG_SUSPICIOUS' });
  const running = [d(16, "a 'http-request' rule placed after a 'use_backend' rule"), d(20, 'twice'), d(21, 'twice')];
  const candidate = [d(24, "a 'http-request' rule placed after a 'use_backend' rule"), d(30, 'new for this site'), d(28, 'twice'), d(29, 'twice'), d(31, 'twice'), d(32, 'new for this site', 'alert')];
  const { fresh, existing } = splitByRunning(candidate, running);
  assert.deepEqual(existing.map((x) => x.line), [24, 28, 29]);
  assert.deepEqual(fresh.map((x) => x.line), [30, 31, 32]);
});
