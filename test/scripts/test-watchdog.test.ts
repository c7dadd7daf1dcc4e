import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { otherProcesses, testProcesses } from '../../scripts/test-watchdog.js';

const watchdog = fileURLToPath(new URL('../../scripts/test-watchdog.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("a file past its limit is killed and named; at the run's limit a process holding an output is too; the others report, the summary ends the output, and what the run left behind is gone", async () => {
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
    // A passing file whose process ends, but that left a process holding its output: the runner
    // waits for that output's end.
    fs.writeFileSync(path.join(dir, 'holds.test.mjs'), `import { test } from 'node:test';
import { spawn } from 'node:child_process';
test('holds', () => void spawn('sleep', ['301'], { stdio: 'inherit' }).unref());
`);
    fs.writeFileSync(path.join(dir, 'hangs.test.mjs'), `import { test } from 'node:test';
test('hangs', () => new Promise(() => setInterval(() => {}, 1000)));
`);
    // All three files at once (the default on 2 cores is one at a time: the hanging file would keep the others from starting).
    const driver = `import { runWithLimit } from ${JSON.stringify(watchdog)};
const result = await runWithLimit(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=3', 'passes.test.mjs', 'holds.test.mjs', 'hangs.test.mjs'], {
  fileLimitMs: 3000,
  limitMs: 8000,
  graceMs: 15000,
  pollMs: 200,
  onFileLimit: (file) => console.log('FILE ' + file),
  onLimit: (files, others) => console.log('LIMIT ' + files.join(',') + '\\nOTHERS ' + others.join(',')),
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

    assert.match(out, /^FILE .*hangs\.test\.mjs$/m, 'the stuck file is named when it is stopped');
    assert.doesNotMatch(out, /^FILE .*(passes|holds)/m, 'a file whose process ended is not named');
    assert.match(out, /^LIMIT $/m, 'no test file runs at the limit');
    assert.match(out, /^OTHERS .*sleep 301/m, 'the process holding an output is named');
    assert.match(out, /✔ holds/, 'the file whose output was held is reported once that process is gone');
    const result = JSON.parse(/^RESULT (.*)$/m.exec(out)![1]!) as { status: number; stuck: string[] };
    assert.equal(result.status, 1);
    assert.deepEqual(result.stuck.map((f) => path.basename(f)), ['hangs.test.mjs']);
    assert.match(out, /✔ passes/, "the other file's result is reported");
    // The runner still ends with its summary (and its list of failures), after the watchdog's word.
    assert.match(out, /^FILE [^]*^LIMIT [^]*✔ passes[^]*ℹ fail 1\n[^]*ℹ duration_ms [\d.]+\n[^]*RESULT /m);

    const leftBehind = Number(fs.readFileSync(pidFile, 'utf8'));
    for (const deadline = Date.now() + 5000; alive(leftBehind) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(leftBehind), false, 'the process the run left behind is killed with its group');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the test processes of a run are the runner's children naming a test file; the others are the rest of its process group", () => {
  const table = new Map([
    [10, { parent: 1, group: 10, argv: ['node', '--test', 'a.test.ts'] }],
    [11, { parent: 10, group: 10, argv: ['node', '--import', 'tsx', 'test/e2e/ui.test.ts'] }],
    [12, { parent: 10, group: 10, argv: ['node', '--import', 'tsx', '/tmp/groups/test-proxy-acl-1.test.mjs'] }],
    [13, { parent: 11, group: 10, argv: ['node', 'bin/loadstar.js', 'serve'] }],
    [14, { parent: 11, group: 10, argv: ['node', 'nested.test.ts'] }],
    [15, { parent: 10, group: 10, argv: ['sleep', '1'] }],
    // Left by a file whose process ended: now init's child, still in the run's group.
    [16, { parent: 1, group: 10, argv: ['haproxy', '-f', 'x.cfg'] }],
    // A browser in a group of its own, and a process outside the run.
    [17, { parent: 11, group: 17, argv: ['chromium', '--headless'] }],
    [18, { parent: 1, group: 18, argv: ['bash'] }],
  ]);
  assert.deepEqual(testProcesses(10, table), [
    { pid: 12, file: '/tmp/groups/test-proxy-acl-1.test.mjs' },
    { pid: 11, file: 'test/e2e/ui.test.ts' },
  ]);
  assert.deepEqual(otherProcesses(10, table).map(({ pid }) => pid).sort(), [13, 14, 15, 16]);
});
