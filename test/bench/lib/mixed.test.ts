/** The mixed run's time plan (bench/lib/mixed.ts): three 64 KiB windows and the 100 B load fit each proxy's share. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mixedPlan } from '../../../bench/lib/mixed.ts';

test('each proxy\'s share holds the 100 B load and three warm-up + measurement windows', () => {
  for (const [total, proxies] of [[120, 3], [120, 2], [60, 3], [20, 1]] as const) {
    const share = total / proxies;
    const plan = mixedPlan(total, proxies, 5, 1);
    assert.equal(plan.smallS, Math.round(share / 2), `${total} s, ${proxies} proxies`);
    assert.ok(plan.smallS + 3 * (plan.measureS + plan.warmupS) <= share, `${total} s, ${proxies} proxies: ${JSON.stringify(plan)}`);
    assert.ok(plan.measureS >= 1);
  }
  // npm run bench's own section: 120 s for three proxies keeps 5 s windows.
  assert.deepEqual(mixedPlan(120, 3, 5, 1), { smallS: 20, measureS: 5, warmupS: 1 });
});
