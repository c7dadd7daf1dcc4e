import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { diffLines, unifiedDiff, splitLines, diffStat } from '../../../proxy/store/line-diff.ts';

/** Deterministic pseudo-random lines from a small alphabet, so that texts share many lines. */
function randomLines(seed: number, count: number): string[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: count }, () => `line ${next() % 6}`);
}

function lcsLength(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
  }
  return dp[a.length]![b.length]!;
}

test('the edit script rebuilds both texts and is as short as the longest common subsequence allows', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const a = randomLines(seed, seed % 17);
    const b = randomLines(seed * 7 + 3, (seed * 5) % 19);
    const ops = diffLines(a, b);
    assert.deepEqual(ops.filter((o) => o.kind !== 'add').map((o) => o.line), a);
    assert.deepEqual(ops.filter((o) => o.kind !== 'del').map((o) => o.line), b);
    const same = ops.filter((o) => o.kind === 'same').length;
    assert.equal(same, lcsLength(a, b), `seed ${seed}`);
  }
});

test('equal texts have an empty diff; a final newline makes no extra line', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n'), '');
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(diffStat('a\nb\n', 'a\nc\nd\n'), { added: 2, removed: 1 });
});

test('the unified diff is accepted by patch(1) and turns the old text into the new one', (t) => {
  if (spawnSync('sh', ['-c', 'command -v patch']).status !== 0) return t.skip('patch not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-diff-'));
  try {
    for (let seed = 1; seed <= 40; seed++) {
      const a = randomLines(seed, 30).join('\n') + '\n';
      const b = randomLines(seed * 13 + 1, 25).join('\n') + '\n';
      fs.writeFileSync(path.join(dir, 'f'), a);
      fs.writeFileSync(path.join(dir, 'p'), unifiedDiff(a, b, { from: 'f', to: 'f' }));
      const r = spawnSync('patch', ['-s', '-p0', 'f', 'p'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), b, `seed ${seed}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a one-line change shows three lines of context on each side', () => {
  const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n') + '\n';
  const b = a.replace('5', 'five');
  assert.equal(unifiedDiff(a, b, { from: 'v1', to: 'v2' }), '--- v1\n+++ v2\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');
});
