import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALLOCATOR_ENV, withAllocatorEnv } from '../../../proxy/runtime/allocator-env.ts';
import { nodeForkSpawner } from '../../../main/engine-process.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the loadstar command sets the same malloc settings in its shebang, and runs through it', async () => {
  const shebang = readFileSync(join(root, 'bin/loadstar.js'), 'utf8').split('\n')[0]!;
  const words = shebang.replace(/^#!\/usr\/bin\/env -S /, '').split(' ');
  assert.equal(words.at(-1), 'node', shebang);
  assert.deepEqual(Object.fromEntries(words.slice(0, -1).map((w) => w.split('='))), ALLOCATOR_ENV);
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

test("the desktop app's engine process starts with the malloc settings", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadstar-allocator-'));
  try {
    const child = join(dir, 'child.cjs');
    writeFileSync(child, "process.send(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))), () => process.exit(0));\n");
    const engine = nodeForkSpawner(child, { execArgv: [], env: { PATH: process.env.PATH } })();
    const seen = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message from the child')), 10_000);
      engine.onMessage((m) => { clearTimeout(timer); resolve(m); });
    });
    assert.deepEqual(seen, ALLOCATOR_ENV);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
