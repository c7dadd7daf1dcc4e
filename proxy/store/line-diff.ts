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
 * The shortest edit script from `a` to `b` (Myers 1986, greedy forward search
 * with a trace for the backtrack). Cost is O((N+M)·D) time, O(D²) memory.
 */
export function diffLines(a: readonly string[], b: readonly string[]): LineOp[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
        ? v[offset + k + 1]!
        : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      next[offset + k] = x;
      if (x >= n && y >= m) { found = true; break; }
    }
    v = next;
  }
  trace.push(v);
  // Backtrack from (n, m) through the saved frontiers.
  const ops: LineOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
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
