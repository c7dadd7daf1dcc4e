import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testProcesses } from '../../scripts/test-watchdog.js';

const watchdog = fileURLToPath(new URL('../../scripts/test-watchdog.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a test run past its limit: the stuck file is killed and named, the others report, the summary ends the output, and what the run left behind is gone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-watchdog-'));
  try {
    const pidFile = path.join(dir, 'left-behind.pid');
    // A passing file that leaves a process behind, and a file whose test never ends.
    fs.writeFileSync(path.join(dir, 'passes.test.mjs'), `import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
test('passes', () => {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  child.unref();
  writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
});
`);
    fs.writeFileSync(path.join(dir, 'hangs.test.mjs'), `import { test } from 'node:test';
test('hangs', () => new Promise(() => setInterval(() => {}, 1000)));
`);
    const driver = `import { runWithLimit } from ${JSON.stringify(watchdog)};
const result = await runWithLimit(process.execPath, ['--test', '--test-reporter=spec', 'passes.test.mjs', 'hangs.test.mjs'], {
  limitMs: 3000,
  onLimit: (files) => console.log('LIMIT ' + files.join(',')),
});
console.log('RESULT ' + JSON.stringify(result));`;
    // Without the variable that tells a runner it runs inside another's test file (it would run nothing).
    const { NODE_TEST_CONTEXT: _inner, ...env } = process.env;
    const child = spawn(process.execPath, ['--input-type=module', '-e', driver], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);

    assert.match(out, /^LIMIT .*hangs\.test\.mjs$/m, 'the stuck file is named when it is stopped');
    assert.doesNotMatch(out, /^LIMIT .*passes/m, 'a file that ended is not named');
    const result = JSON.parse(/^RESULT (.*)$/m.exec(out)![1]!) as { status: number; stuck: string[] };
    assert.equal(result.status, 1);
    assert.deepEqual(result.stuck.map((f) => path.basename(f)), ['hangs.test.mjs']);
    assert.match(out, /✔ passes/, "the other file's result is reported");
    // The runner still ends with its summary (and its list of failures), after the watchdog's word.
    assert.match(out, /^LIMIT [^]*✔ passes[^]*ℹ fail 1\n[^]*ℹ duration_ms [\d.]+\n[^]*RESULT /m);

    const leftBehind = Number(fs.readFileSync(pidFile, 'utf8'));
    for (const deadline = Date.now() + 5000; alive(leftBehind) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(leftBehind), false, 'the process the run left behind is killed with its group');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the test processes of a run are the direct children naming a test file, not what they started', () => {
  const table = new Map([
    [10, { parent: 1, argv: ['node', '--test', 'a.test.ts'] }],
    [11, { parent: 10, argv: ['node', '--import', 'tsx', 'test/e2e/ui.test.ts'] }],
    [12, { parent: 10, argv: ['node', '--import', 'tsx', '/tmp/groups/test-proxy-acl-1.test.mjs'] }],
    [13, { parent: 11, argv: ['node', 'bin/loadstar.js', 'serve'] }],
    [14, { parent: 11, argv: ['node', 'nested.test.ts'] }],
    [15, { parent: 10, argv: ['sleep', '1'] }],
  ]);
  assert.deepEqual(testProcesses(10, table), [
    { pid: 12, file: '/tmp/groups/test-proxy-acl-1.test.mjs' },
    { pid: 11, file: 'test/e2e/ui.test.ts' },
  ]);
});
