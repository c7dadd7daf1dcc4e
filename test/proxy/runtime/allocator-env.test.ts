import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALLOCATOR_ENV, ENGINE_NODE_FLAGS, withAllocatorEnv } from '../../../proxy/runtime/allocator-env.ts';
import { nodeForkSpawner } from '../../../main/engine-process.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the loadstar command sets the same malloc settings and V8 flags in its shebang, and runs through it', async () => {
  const shebang = readFileSync(join(root, 'bin/loadstar.js'), 'utf8').split('\n')[0]!;
  const words = shebang.replace(/^#!\/usr\/bin\/env -S /, '').split(' ');
  const node = words.indexOf('node');
  assert.ok(node > 0, shebang);
  assert.deepEqual(Object.fromEntries(words.slice(0, node).map((w) => w.split('='))), ALLOCATOR_ENV);
  assert.deepEqual(words.slice(node + 1), ENGINE_NODE_FLAGS);
  // Executed directly, as npm's bin link and the systemd unit do: `env -S` must accept the line.
  const out = await new Promise<string>((resolve, reject) =>
    execFile(join(root, 'bin/loadstar.js'), ['--help'], { timeout: 20_000 }, (e, stdout) => (e ? reject(e) : resolve(stdout))));
  assert.match(out, /^Usage: loadstar/);
});

test("a value the user set wins over the engine's default", () => {
  const env = withAllocatorEnv({ MALLOC_TRIM_THRESHOLD_: '1', PATH: '/bin' });
  assert.equal(env.MALLOC_TRIM_THRESHOLD_, '1');
  assert.equal(env.MALLOC_TOP_PAD_, ALLOCATOR_ENV.MALLOC_TOP_PAD_);
  assert.equal(env.PATH, '/bin');
});

test("the engine's V8 flags go first in NODE_OPTIONS, so that the user's own come after and win", () => {
  assert.equal(withAllocatorEnv({}).NODE_OPTIONS, ENGINE_NODE_FLAGS.join(' '));
  assert.equal(withAllocatorEnv({ NODE_OPTIONS: '--max-semi-space-size=32' }).NODE_OPTIONS, `${ENGINE_NODE_FLAGS.join(' ')} --max-semi-space-size=32`);
});

test('the V8 flags are accepted by node in NODE_OPTIONS and take effect (the young generation stays capped)', async () => {
  // 300,000 surviving objects grow an uncapped new space to 2 × 16 MiB.
  const script = "const keep = []; for (let i = 0; i < 300000; i++) keep.push({ i, a: [i] }); console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);";
  const run = (env: NodeJS.ProcessEnv) => new Promise<number>((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { env, timeout: 20_000 }, (e, stdout) => (e ? reject(e) : resolve(Number(stdout)))));
  const capped = await run(withAllocatorEnv({ PATH: process.env.PATH }));
  assert.ok(capped <= 2 * 8 * 1024 * 1024, `new space ${capped} B`);
});

test("the desktop app's engine process starts with the malloc settings", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-allocator-'));
  try {
    const child = join(dir, 'child.cjs');
    writeFileSync(child, "process.send(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_') || k === 'NODE_OPTIONS')), () => process.exit(0));\n");
    const engine = nodeForkSpawner(child, { execArgv: [], env: { PATH: process.env.PATH } })();
    const seen = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message from the child')), 10_000);
      engine.onMessage((m) => { clearTimeout(timer); resolve(m); });
    });
    assert.deepEqual(seen, { ...ALLOCATOR_ENV, NODE_OPTIONS: ENGINE_NODE_FLAGS.join(' ') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
