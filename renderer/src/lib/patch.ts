/**
 * Writes a fresh snapshot into the reactive one field by field, so that only
 * what changed reaches the DOM: a 500-server status refresh where ten check
 * latencies moved updates ten text nodes instead of rebuilding 500 rows.
 * Arrays of named objects are patched in place while the names stay in the
 * same order; otherwise (a server added, a reload) the array is replaced.
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

export function patchInto(target: Obj, source: Obj): void {
  for (const key of Object.keys(source)) {
    const next = source[key];
    const current = target[key];
    if (Array.isArray(next)) {
      if (Array.isArray(current) && sameShape(current, next)) patchArray(current, next);
      else target[key] = next;
    } else if (isObj(next) && isObj(current)) {
      patchInto(current, next);
    } else if (current !== next) {
      target[key] = next;
    }
  }
  for (const key of Object.keys(target)) if (!(key in source)) delete target[key];
}

function patchArray(current: unknown[], next: unknown[]): void {
  for (let i = 0; i < next.length; i++) {
    const n = next[i];
    const c = current[i];
    if (isObj(n) && isObj(c)) patchInto(c, n);
    else if (Array.isArray(n) && Array.isArray(c) && sameShape(c, n)) patchArray(c, n);
    else if (c !== n) current[i] = n;
  }
}
