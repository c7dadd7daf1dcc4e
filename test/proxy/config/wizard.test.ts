import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictSplit, describeHealthCheck, ALGORITHM_EXPLANATIONS } from '../../../proxy/config/wizard.ts';
import { statisticalPrng, resetRandom } from '../../../proxy/balance/random.ts';

test('the predicted round-robin split follows the weights, with the real pick order', () => {
  const r = predictSplit({ algorithm: 'roundrobin', servers: [{ name: 'a', weight: 1 }, { name: 'b', weight: 2 }], picks: 6 });
  assert.ok(r.ok);
  assert.deepEqual(r.value.counts, [{ name: 'a', count: 2, share: 2 / 6 }, { name: 'b', count: 4, share: 4 / 6 }]);
  assert.equal(r.value.firstPicks.length, 6);
  assert.equal(r.value.firstPicks.filter((n) => n === 'b').length, 4);
  assert.equal(r.value.explanation, ALGORITHM_EXPLANATIONS.roundrobin);
  const defaultPicks = predictSplit({ algorithm: 'roundrobin', servers: [{ name: 'a' }, { name: 'b' }] });
  assert.ok(defaultPicks.ok && defaultPicks.value.picks === 100);
});

test('backup servers get nothing while active ones are up; first fills the first server', () => {
  const backup = predictSplit({ algorithm: 'roundrobin', servers: [{ name: 'a' }, { name: 'spare', backup: true }], picks: 10 });
  assert.ok(backup.ok);
  assert.deepEqual(backup.value.counts.map((c) => c.count), [10, 0]);
  const first = predictSplit({ algorithm: 'first', servers: [{ name: 'a' }, { name: 'b' }], picks: 10 });
  assert.ok(first.ok);
  assert.deepEqual(first.value.counts.map((c) => c.count), [10, 0]);
  assert.match(first.value.note, /one after another/);
});

test('hash algorithms are computed over a sample of keys and say that the split depends on them', () => {
  for (const algorithm of ['source', 'uri', 'url_param', 'hdr', 'hash'] as const) {
    const r = predictSplit({ algorithm, ...(algorithm === 'hash' ? { argument: 'req.cook(sid)' } : {}), servers: [{ name: 'a' }, { name: 'b' }, { name: 'c', weight: 2 }], picks: 400 });
    assert.ok(r.ok);
    assert.equal(r.value.picks, 400);
    assert.ok(r.value.counts.every((c) => c.count > 40), `${algorithm}: ${JSON.stringify(r.value.counts)}`);
    assert.match(r.value.note, /depends on/);
    if (algorithm === 'hash') assert.match(r.value.note, /values of req\.cook\(sid\)/);
  }
});

test('predicting a random split leaves the process-wide random sequence where it was', () => {
  resetRandom(12345);
  const expected = statisticalPrng();
  resetRandom(12345);
  const r = predictSplit({ algorithm: 'random', servers: [{ name: 'a' }, { name: 'b' }], picks: 50 });
  assert.ok(r.ok && r.value.picks === 50);
  assert.equal(statisticalPrng(), expected);
});

test('bad split requests are answered with LS_ERR_CTL_BAD_VALUE', () => {
  for (const bad of [undefined, { algorithm: 'fastest', servers: [{ name: 'a' }] }, { algorithm: 'roundrobin', servers: [] }, { algorithm: 'roundrobin', servers: [{ name: 'a', weight: 999 }] }, { algorithm: 'roundrobin', servers: [{ name: 'a' }], picks: 0 }]) {
    const r = predictSplit(bad as never);
    assert.ok(!r.ok && r.error.code === 'LS_ERR_CTL_BAD_VALUE', JSON.stringify(bad));
  }
});

test('health-check settings are described in words', () => {
  assert.equal(describeHealthCheck({ type: 'tcp' }), 'Every 2 s Loadstar opens a connection to each server. A server is marked DOWN after 3 failed checks 2 s apart (about 6 s), and UP again after 2 good ones.');
  assert.equal(describeHealthCheck({ type: 'http', method: 'GET', path: '/health', expectStatus: 200, interMs: 5000, fall: 1, rise: 1 }), 'Every 5 s Loadstar sends GET /health to each server and expects status 200. A server is marked DOWN after 1 failed check 5 s apart (about 5 s), and UP again after 1 good one.');
  assert.match(describeHealthCheck({ type: 'none' }), /^No health checks/);
});
