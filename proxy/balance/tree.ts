/**
 * An ordered set with HAProxy's eb32 tree semantics: entries sorted by an unsigned
 * 32-bit key, duplicates kept in insertion order (ebtree.h: "duplicates will be
 * walked in the exact same order they were inserted"). The pick order of
 * roundrobin, leastconn and first depends on that tie-break.
 *
 * A treap over (key, insertion sequence): O(log n) expected insert, delete,
 * first and next; the nodes are the entries themselves, so nothing is allocated.
 */

export interface TreeNode {
  /** Unsigned 32-bit sort key. Do not change it while the node is in a tree. */
  key: number;
  /** Insertion sequence (tie-break among equal keys); set by insert(). */
  seq: number;
  prio: number;
  left: TreeNode | null;
  right: TreeNode | null;
  /** The tree this node is in, or null. */
  inTree: Tree<TreeNode> | null;
}

export function treeNode(): TreeNode {
  return { key: 0, seq: 0, prio: 0, left: null, right: null, inTree: null };
}

let prioState = 0x9e3779b9;
function nextPrio(): number {
  // xorshift32: deterministic priorities keep the shape reproducible
  let x = prioState;
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  prioState = x;
  return x;
}

function before(a: TreeNode, b: TreeNode): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

export class Tree<N extends TreeNode> {
  private root: N | null = null;
  private seq = 0;
  size = 0;

  isEmpty(): boolean {
    return this.root === null;
  }

  insert(node: N): void {
    node.seq = ++this.seq;
    node.prio = nextPrio();
    node.left = node.right = null;
    node.inTree = this as unknown as Tree<TreeNode>;
    this.root = this.ins(this.root, node);
    this.size++;
  }

  private ins(t: N | null, n: N): N {
    if (t === null) return n;
    if (before(n, t)) {
      const l = this.ins(t.left as N | null, n);
      t.left = l;
      if (l.prio > t.prio) { // rotate right
        t.left = l.right;
        l.right = t;
        return l;
      }
    } else {
      const r = this.ins(t.right as N | null, n);
      t.right = r;
      if (r.prio > t.prio) { // rotate left
        t.right = r.left;
        r.left = t;
        return r;
      }
    }
    return t;
  }

  /** Removes `node` if it is in this tree (like eb32_delete, a no-op otherwise). */
  delete(node: N): void {
    if (node.inTree !== (this as unknown as Tree<TreeNode>)) return;
    this.root = this.del(this.root, node);
    node.inTree = null;
    node.left = node.right = null;
    this.size--;
  }

  private del(t: N | null, n: N): N | null {
    if (t === null) return null;
    if (t === n) return this.merge(t.left as N | null, t.right as N | null);
    if (before(n, t)) t.left = this.del(t.left as N | null, n);
    else t.right = this.del(t.right as N | null, n);
    return t;
  }

  private merge(a: N | null, b: N | null): N | null {
    if (a === null) return b;
    if (b === null) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right as N | null, b);
      return a;
    }
    b.left = this.merge(a, b.left as N | null);
    return b;
  }

  first(): N | null {
    let t = this.root;
    if (t === null) return null;
    while (t.left !== null) t = t.left as N;
    return t;
  }

  /** The entry after `node` in (key, insertion) order, or null. `node` must be in this tree. */
  next(node: N): N | null {
    let t = this.root;
    let best: N | null = null;
    while (t !== null) {
      if (before(node, t)) {
        best = t;
        t = t.left as N | null;
      } else {
        t = t.right as N | null;
      }
    }
    return best;
  }
}
