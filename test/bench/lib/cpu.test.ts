import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuMeter, cpuTimes } from '../../../bench/lib/cpu.ts';

test('the minor page fault count of a process grows when it touches fresh memory', () => {
  const before = cpuTimes(process.pid).minFlt;
  assert.ok(Number.isInteger(before) && before > 0, `minflt ${before}`);
  const meter = cpuMeter(process.pid);
  // 64 MiB written page by page: the kernel maps each page in on first touch (huge pages or not, at least one fault)
  const b = Buffer.allocUnsafeSlow(64 * 1024 * 1024);
  b.fill(1);
  const used = meter();
  assert.ok(used.minFlt > 0, `minflt grew by ${used.minFlt}`);
  assert.ok(cpuTimes(process.pid).minFlt >= before + used.minFlt);
  assert.equal(b[b.length - 1], 1);
});
