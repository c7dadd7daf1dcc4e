/**
 * The diff behind previewConfig, buildConfig and every stored version, given what a careless
 * paste produces: a configuration sharing nothing with the running one, tens of thousands of lines
 * long. The minimal script is searched up to MAX_DIFF_EDITS differences (Myers' search grows as
 * lines × differences in time and differences² in memory: 60,000 changed lines took the process
 * down); past it the differing middle is removed and re-added whole, still a correct diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffLines, unifiedDiff, MAX_DIFF_EDITS } from '../../../proxy/store/line-diff.ts';

function rebuilds(a: string[], b: string[], ops: ReturnType<typeof diffLines>): void {
  assert.deepEqual(ops.filter((o) => o.kind !== 'add').map((o) => o.line), a);
  assert.deepEqual(ops.filter((o) => o.kind !== 'del').map((o) => o.line), b);
}

test('past the edit bound the differing middle is replaced whole; the common first and last lines are kept', () => {
  const a = ['global', 'x1', 'same', 'x2', 'end'];
  const b = ['global', 'y1', 'same', 'y2', 'end'];
  assert.deepEqual(diffLines(a, b).map((o) => o.kind), ['same', 'del', 'add', 'same', 'del', 'add', 'same']);
  const coarse = diffLines(a, b, 2);
  rebuilds(a, b, coarse);
  assert.deepEqual(coarse.map((o) => `${o.kind} ${o.line}`), ['same global', 'del x1', 'del same', 'del x2', 'add y1', 'add same', 'add y2', 'same end']);
});

test('sixty thousand lines sharing nothing give a correct, coarse diff instead of exhausting memory; one changed line in 100,000 is one hunk', () => {
  const n = 60_000;
  const a = Array.from({ length: n }, (_, i) => `    server old${i} 127.0.0.1:${1 + (i % 60000)}`);
  const b = Array.from({ length: n }, (_, i) => `    server new${i} 127.0.0.1:${1 + (i % 60000)}`);
  assert.ok(n > MAX_DIFF_EDITS);
  const ops = diffLines(a, b);
  rebuilds(a, b, ops);
  const diff = unifiedDiff(a.join('\n') + '\n', b.join('\n') + '\n', { from: 'running', to: 'proposed' });
  assert.ok(diff.startsWith(`--- running\n+++ proposed\n@@ -1,${n} +1,${n} @@\n`), diff.slice(0, 100));

  const big = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
  const edited = big.map((l, i) => (i === 50_000 ? 'changed' : l));
  const one = diffLines(big, edited);
  assert.deepEqual(one.filter((o) => o.kind !== 'same').map((o) => `${o.kind} ${o.line}`), ['del line 50000', 'add changed']);
});
