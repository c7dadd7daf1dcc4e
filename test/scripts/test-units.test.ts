import { test } from 'node:test';
import assert from 'node:assert/strict';
import { units } from '../../scripts/test-units.js';

const plain = "import { test } from 'node:test';\ntest('x', () => {});\n";
const sources = (hooked: string[]) => (file: string) => (hooked.includes(file) ? `import { after, test } from 'node:test';\nafter(() => {});\n${plain}` : plain);

test('unit-test directories share processes in groups of up to 20, spread evenly; units in path order', () => {
  const config = Array.from({ length: 41 }, (_v, i) => `test/proxy/config/c${String(i).padStart(2, '0')}.test.ts`);
  const plan = units(['test/proxy/http/a.test.ts', ...config, 'test/e2e/ui.test.ts'], sources([]));
  assert.deepEqual(plan.map((u) => [u.name, u.files.length]), [
    ['test/e2e/ui.test.ts', 1],
    ['test/proxy/config/group-1', 14],
    ['test/proxy/config/group-2', 14],
    ['test/proxy/config/group-3', 13],
    ['test/proxy/http/a.test.ts', 1],
  ]);
  assert.deepEqual(plan.flatMap((u) => u.files).filter((f) => f.includes('/config/')).sort(), config, 'each file once');
});

test('server tests share processes by directory in groups of up to 6; browser tests and files with top-level hooks keep their own', () => {
  const http = Array.from({ length: 8 }, (_v, i) => `test/proxy/http/h${i}.test.ts`);
  const files = ['test/e2e/ui-a.test.ts', 'test/e2e/ui-b.test.ts', ...http, 'test/proxy/tcp/t0.test.ts', 'test/proxy/tcp/t1.test.ts', 'test/main/only.test.ts'];
  const plan = units(files, sources(['test/proxy/http/h3.test.ts', 'test/proxy/tcp/t1.test.ts']));
  assert.deepEqual(plan.map((u) => [u.name, u.files]), [
    ['test/e2e/ui-a.test.ts', ['test/e2e/ui-a.test.ts']],
    ['test/e2e/ui-b.test.ts', ['test/e2e/ui-b.test.ts']],
    ['test/main/only.test.ts', ['test/main/only.test.ts']],
    ['test/proxy/http/group-1', ['test/proxy/http/h0.test.ts', 'test/proxy/http/h2.test.ts', 'test/proxy/http/h5.test.ts', 'test/proxy/http/h7.test.ts']],
    ['test/proxy/http/group-2', ['test/proxy/http/h1.test.ts', 'test/proxy/http/h4.test.ts', 'test/proxy/http/h6.test.ts']],
    ['test/proxy/http/h3.test.ts', ['test/proxy/http/h3.test.ts']],
    ['test/proxy/tcp/t0.test.ts', ['test/proxy/tcp/t0.test.ts']],
    ['test/proxy/tcp/t1.test.ts', ['test/proxy/tcp/t1.test.ts']],
  ]);
});

test('a hook inside a describe is not a top-level hook', () => {
  const nested = "describe('d', () => {\n  before(() => {});\n  test('x', () => {});\n});\n";
  const plan = units(['test/proxy/tcp/a.test.ts', 'test/proxy/tcp/b.test.ts'], () => nested);
  assert.deepEqual(plan.map((u) => u.name), ['test/proxy/tcp/group-1']);
});
