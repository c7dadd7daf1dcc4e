/**
 * The ordered set behind roundrobin, leastconn and first: HAProxy's eb32 trees
 * sort by key and keep duplicates in insertion order, which decides who goes
 * first among servers with the same key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tree, treeNode } from '../../../proxy/balance/tree.ts';
import type { TreeNode } from '../../../proxy/balance/tree.ts';

type N = TreeNode & { name: string };
const node = (name: string, key: number): N => ({ ...treeNode(), key, name });
const walk = (t: Tree<N>): string[] => {
  const out: string[] = [];
  for (let n = t.first(); n !== null; n = t.next(n)) out.push(n.name);
  return out;
};

test('entries come out by key, equal keys in insertion order, a re-inserted entry goes last among equals', () => {
  const t = new Tree<N>();
  const [a, b, c, d] = [node('a', 5), node('b', 0), node('c', 5), node('d', 0)];
  for (const n of [a, b, c, d]) t.insert(n);
  assert.deepEqual(walk(t), ['b', 'd', 'a', 'c']);
  t.delete(b);
  t.insert(b);
  assert.deepEqual(walk(t), ['d', 'b', 'a', 'c']);
  t.delete(a);
  t.delete(a); // not in the tree any more: no-op
  assert.deepEqual(walk(t), ['d', 'b', 'c']);
  assert.equal(t.size, 3);
  assert.equal(a.inTree, null);
});

test('random operations agree with a sorted list', () => {
  const t = new Tree<N>();
  const ref: N[] = [];
  let seed = 12345;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  const pool = Array.from({ length: 60 }, (_, i) => node(`n${i}`, 0));
  for (let step = 0; step < 5000; step++) {
    const n = pool[rnd(pool.length)]!;
    if (n.inTree) {
      t.delete(n);
      ref.splice(ref.indexOf(n), 1);
    } else {
      n.key = rnd(8) * 0x20000000 >>> 0;
      t.insert(n);
      const at = ref.findIndex((r) => r.key > n.key);
      ref.splice(at < 0 ? ref.length : at, 0, n);
    }
  }
  assert.deepEqual(walk(t), ref.map((r) => r.name));
});
