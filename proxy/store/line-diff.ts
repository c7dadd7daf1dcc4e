/**
 * A unified diff of two texts, line by line (Myers' O(ND) algorithm, the one
 * GNU diff and git use), for the version history and the "what will change"
 * preview. Written here rather than taken from the `diff` package: haproxy.cfg
 * files are small, only unified output is needed, and ~100 lines keep the
 * engine's dependency list short.
 */

export type LineOp = { kind: 'same' | 'add' | 'del'; line: string };

/** Splits a text into lines; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Most differing lines the minimal edit script is searched for. Myers' search costs O((N+M)·D)
 * time and O(D²) memory: a pasted configuration that shares nothing with the running one (tens of
 * thousands of changed lines) would block the engine for minutes and exhaust memory. Beyond the
 * bound the differing middle is shown as removed and re-added: still a correct diff, just coarser.
 */
export const MAX_DIFF_EDITS = 1000;

/**
 * An edit script from `a` to `b`: the common first and last lines kept, and the shortest script
 * for what lies between (Myers 1986), or, past `maxEdits` differences, the middle replaced whole.
 */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = MAX_DIFF_EDITS): LineOp[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const same = (line: string): LineOp => ({ kind: 'same', line });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const middle = shortestEdit(midA, midB, maxEdits)
    ?? [...midA.map((line): LineOp => ({ kind: 'del', line })), ...midB.map((line): LineOp => ({ kind: 'add', line }))];
  return [...a.slice(0, start).map(same), ...middle, ...a.slice(endA).map(same)];
}

/**
 * The shortest edit script (Myers 1986, greedy forward search with a trace for the backtrack),
 * or undefined when it needs more than `maxEdits` insertions and deletions. Each frontier of the
 * trace keeps only the diagonals it can reach (-d-1 … d+1): O(D²) memory.
 */
function shortestEdit(a: readonly string[], b: readonly string[], maxEdits: number): LineOp[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    if (d > maxEdits) return undefined;
    // Frontier d-1, diagonals -d-1 … d+1: read at index k + d + 1 by the backtrack.
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    const prev = trace[d]!;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && prev[k - 1 + d + 1]! < prev[k + 1 + d + 1]!)
        ? prev[k + 1 + d + 1]!
        : prev[k - 1 + d + 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[offset + k] = x;
      if (x >= n && y >= m) { found = true; break; }
    }
  }
  // Backtrack from (n, m) through the saved frontiers.
  const ops: LineOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[k - 1 + d + 1]! < vd[k + 1 + d + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[prevK + d + 1]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY && x > 0 && y > 0) ops.push({ kind: 'same', line: a[--x]! }), y--;
    if (d === 0) break;
    if (x === prevX) ops.push({ kind: 'add', line: b[--y]! });
    else ops.push({ kind: 'del', line: a[--x]! });
  }
  while (x > 0 && y > 0) ops.push({ kind: 'same', line: a[--x]! }), y--;
  return ops.reverse();
}

/**
 * `diff -u` output: `--- from` / `+++ to` headers and `@@ -l,s +l,s @@` hunks
 * with `context` lines around each change. Empty when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, labels: { from?: string; to?: string } = {}, context = 3): string {
  const ops = diffLines(splitLines(before), splitLines(after));
  if (ops.every((o) => o.kind === 'same')) return '';
  const out = [`--- ${labels.from ?? 'before'}`, `+++ ${labels.to ?? 'after'}`];
  // Positions (0-based) of each op in the old and new texts.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let ia = 0;
  let ib = 0;
  for (const o of ops) {
    oldAt.push(ia);
    newAt.push(ib);
    if (o.kind !== 'add') ia++;
    if (o.kind !== 'del') ib++;
  }
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === 'same') { i++; continue; }
    let start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while the next change is within 2×context lines.
    for (;;) {
      while (end < ops.length && ops[end]!.kind !== 'same') end++;
      let look = end;
      while (look < ops.length && ops[look]!.kind === 'same' && look - end < 2 * context) look++;
      if (look < ops.length && ops[look]!.kind !== 'same') { end = look; continue; }
      end = Math.min(ops.length, end + context);
      break;
    }
    const slice = ops.slice(start, end);
    const oldLen = slice.filter((o) => o.kind !== 'add').length;
    const newLen = slice.filter((o) => o.kind !== 'del').length;
    const oldStart = oldLen === 0 ? oldAt[start]! : oldAt[start]! + 1;
    const newStart = newLen === 0 ? newAt[start]! : newAt[start]! + 1;
    out.push(`@@ -${oldStart},${oldLen} +${newStart},${newLen} @@`);
    for (const o of slice) out.push(`${o.kind === 'same' ? ' ' : o.kind === 'add' ? '+' : '-'}${o.line}`);
    i = end;
    start = end;
  }
  return out.join('\n') + '\n';
}

/** Lines added and removed, for a summary ("+3 −1"). */
export function diffStat(before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const o of diffLines(splitLines(before), splitLines(after))) {
    if (o.kind === 'add') added++;
    else if (o.kind === 'del') removed++;
  }
  return { added, removed };
}
