import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBackend, parseConfig } from '../../../proxy/config/index.ts';
import { ConnectRetryPlan } from '../../../proxy/runtime/retry.ts';

function plan(lines: string): ConnectRetryPlan {
  const result = parseConfig([{ name: 'test.cfg', text: `defaults\n    mode tcp\n    timeout connect 300ms\nbackend b\n${lines}    server s 127.0.0.1:1\n` }]);
  assert.ok(result.ok);
  return new ConnectRetryPlan(findBackend(result.config, 'b')!);
}

/** Which of the retries (1-based) go to another server, then whether one more attempt is allowed. */
function redispatches(p: ConnectRetryPlan): number[] {
  const out: number[] = [];
  for (let done = 0; ; done++) {
    const step = p.afterFailure(done);
    if (step.giveUp) return out;
    if (step.redispatch) out.push(done + 1);
  }
}

test('the retry plan redispatches on the retries option redispatch <interval> names (HAProxy 2.6: P>0 every Pth, N<0 the Nth before the last, 0 never)', () => {
  assert.deepEqual(redispatches(plan('    retries 4\n')), [], 'without option redispatch');
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch\n')), [4], 'default -1: the last retry');
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch 1\n')), [1, 2, 3, 4]);
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch 2\n')), [2, 4]);
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch -2\n')), [3]);
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch 0\n')), []);
});

test('the retry plan gives up after retries new attempts (3 by default) and pauses min(timeout connect, 1s) between them', () => {
  const p = plan('');
  assert.equal(p.retries, 3);
  assert.deepEqual(p.afterFailure(2), { giveUp: false, redispatch: false, delayMs: 300 });
  assert.deepEqual(p.afterFailure(3), { giveUp: true });
  assert.deepEqual(plan('    retries 0\n').afterFailure(0), { giveUp: true });
  assert.equal((plan('    timeout connect 5s\n').afterFailure(0) as { delayMs: number }).delayMs, 1000);
});
