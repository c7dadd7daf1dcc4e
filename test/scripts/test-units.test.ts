import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrder, units } from '../../scripts/test-units.js';

test('unit-test directories share processes in even groups; every other file is a unit of its own; units in path order', () => {
  const config = Array.from({ length: 41 }, (_v, i) => `test/proxy/config/c${String(i).padStart(2, '0')}.test.ts`);
  const plan = units(['test/proxy/http/a.test.ts', ...config, 'test/e2e/ui.test.ts']);
  assert.deepEqual(plan.map((u) => [u.name, u.files.length]), [
    ['test/e2e/ui.test.ts', 1],
    ['test/proxy/config/group-1', 14],
    ['test/proxy/config/group-2', 14],
    ['test/proxy/config/group-3', 13],
    ['test/proxy/http/a.test.ts', 1],
  ]);
  assert.deepEqual(plan.flatMap((u) => u.files).filter((f) => f.includes('/config/')).sort(), config, 'each file once');
});

test('the browser walkthroughs start at even intervals through the run, the others in their order', () => {
  const others = Array.from({ length: 12 }, (_v, i) => ({ name: `test/proxy/p${String(i).padStart(2, '0')}.test.ts` }));
  const browser = Array.from({ length: 3 }, (_v, i) => ({ name: `test/e2e/ui${i}.test.ts` }));
  const order = startOrder([...browser, ...others]).map((u) => u.name);
  assert.deepEqual(order.map((name, i) => (name.startsWith('test/e2e/') ? i : -1)).filter((i) => i >= 0), [0, 5, 10]);
  assert.deepEqual(order.filter((name) => !name.startsWith('test/e2e/')), others.map((u) => u.name));
  // More of them than of the rest: all placed, none lost.
  assert.deepEqual(startOrder([...browser, others[0]!]).map((u) => u.name).sort(), [...browser.map((u) => u.name), others[0]!.name].sort());
  assert.deepEqual(startOrder(others), others);
});
