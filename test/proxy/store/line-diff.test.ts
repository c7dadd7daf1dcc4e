import { test } from 'node:test';
import assert from 'node:assert/strict';
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

/**
 * Applies a unified diff the way patch(1) does for an exact match: every hunk's
 * header must give the right line numbers and counts, and its context and
 * removed lines must be found there.
 */
function applyUnified(before: string, diff: string): string {
  const old = splitLines(before);
  const out: string[] = [];
  let at = 0;
  const lines = diff.split('\n').slice(2, -1);
  for (let i = 0; i < lines.length;) {
    const m = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[i]!);
    assert.ok(m, `hunk header: ${lines[i]}`);
    const [oldStart, oldLen, newStart, newLen] = m.slice(1).map(Number) as [number, number, number, number];
    const from = oldLen === 0 ? oldStart : oldStart - 1;
    while (at < from) out.push(old[at++]!);
    // As diff -u writes them: an empty side names the line before the hunk.
    assert.equal(newStart, newLen === 0 ? out.length : out.length + 1, 'new start line');
    let seenOld = 0;
    let seenNew = 0;
    for (i++; i < lines.length && !lines[i]!.startsWith('@@'); i++) {
      const [mark, text] = [lines[i]![0], lines[i]!.slice(1)];
      if (mark === ' ' || mark === '-') {
        assert.equal(old[at], text, 'context or removed line found');
        at++;
        seenOld++;
      }
      if (mark === ' ' || mark === '+') {
        out.push(text);
        seenNew++;
      }
    }
    assert.deepEqual([seenOld, seenNew], [oldLen, newLen], 'hunk counts');
  }
  while (at < old.length) out.push(old[at++]!);
  return out.map((l) => l + '\n').join('');
}

test('applying the unified diff to the old text gives the new one, hunk headers and counts included', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const a = randomLines(seed, seed % 40).join('\n') + (seed % 40 ? '\n' : '');
    const b = randomLines(seed * 13 + 1, (seed * 7) % 35).join('\n') + ((seed * 7) % 35 ? '\n' : '');
    const diff = unifiedDiff(a, b, { from: 'f', to: 'f' });
    assert.equal(diff === '' ? a : applyUnified(a, diff), b, `seed ${seed}`);
  }
});

test('a one-line change shows three lines of context on each side', () => {
  const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n') + '\n';
  const b = a.replace('5', 'five');
  assert.equal(unifiedDiff(a, b, { from: 'v1', to: 'v2' }), '--- v1\n+++ v2\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');
});
