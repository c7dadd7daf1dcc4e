import { test } from 'node:test';
import assert from 'node:assert/strict';
import { units } from '../../scripts/test-units.js';

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
