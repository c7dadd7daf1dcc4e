/**
 * Writes a fresh snapshot into the reactive one, touching only what changed,
 * so that a 500-server status refresh where ten check latencies moved
 * updates ten text nodes instead of rebuilding 500 rows. The comparison runs
 * between the previous and the new plain snapshots (cheap); the reactive
 * proxy is read and written only along the paths that differ. Arrays of
 * named objects are patched in place while the names stay in the same order;
 * otherwise (a server added, a reload) the array is replaced.
 */
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameShape(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (isObj(x) !== isObj(y) || Array.isArray(x) !== Array.isArray(y)) return false;
    if (isObj(x) && isObj(y) && x.name !== y.name) return false;
  }
  return true;
}

/**
 * `target` is the reactive copy of `previous`; afterwards it equals `next`.
 * `previous` and `next` are plain data (JSON answers).
 */
export function patchChanged(target: Obj, previous: Obj, next: Obj): void {
  for (const key of Object.keys(next)) {
    const n = next[key];
    const p = previous[key];
    if (n === p) continue;
    if (Array.isArray(n)) {
      if (Array.isArray(p) && sameShape(p, n)) patchArray(target[key] as unknown[], p, n);
      else target[key] = n;
    } else if (isObj(n) && isObj(p)) {
      patchChanged(target[key] as Obj, p, n);
    } else {
      target[key] = n;
    }
  }
  for (const key of Object.keys(previous)) if (!(key in next)) delete target[key];
}

function patchArray(target: unknown[], previous: unknown[], next: unknown[]): void {
  for (let i = 0; i < next.length; i++) {
    const n = next[i];
    const p = previous[i];
    if (n === p) continue;
    if (isObj(n) && isObj(p)) patchChanged(target[i] as Obj, p, n);
    else if (Array.isArray(n) && Array.isArray(p) && sameShape(p, n)) patchArray(target[i] as unknown[], p, n);
    else target[i] = n;
  }
}
