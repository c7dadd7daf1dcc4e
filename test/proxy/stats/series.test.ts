import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatCounters } from '../../../proxy/runtime/counters.ts';
import { Series, SERIES_BYTES, SECOND_SLOTS } from '../../../proxy/runtime/series.ts';
import { Histogram } from '../../../proxy/runtime/histogram.ts';

test('the histogram reports percentiles within one bucket (about 19 %)', () => {
  const h = new Histogram();
  for (let ms = 1; ms <= 100; ms++) h.add(ms);
  for (const [q, exact] of [[0.5, 50], [0.95, 95], [0.99, 99]] as const) {
    const v = h.quantile(q);
    assert.ok(v >= exact && v <= exact * 1.19 + 0.1, `p${q * 100} = ${v}, exact ${exact}`);
  }
});

test('one slot per second: counts, gauges and percentiles of that second; missed seconds are zero', () => {
  const c = new StatCounters();
  const t0 = 1_800_000_000_000;
  const s = new Series(t0);
  c.reqTot = 3;
  c.hrsp2xx = 2;
  c.hrsp5xx = 1;
  c.bin = 300;
  for (const ms of [10, 20, 30]) c.latency.add(ms);
  s.sample(c, 4, 1, t0 + 1000);
  c.reqTot = 5;
  s.sample(c, 0, 0, t0 + 4000);
  const points = s.lastSeconds(4);
  assert.deepEqual(points.map((p) => p.values.requests), [3, 0, 0, 2]);
  const busy = points[0]!.values;
  assert.equal(busy.hrsp2xx, 2);
  assert.equal(busy.hrsp5xx, 1);
  assert.equal(busy.bytesIn, 300);
  assert.equal(busy.current, 4);
  assert.equal(busy.queue, 1);
  assert.ok(busy.p50 >= 20 && busy.p50 < 24, `p50 ${busy.p50}`);
  assert.equal(points[3]!.values.p50, 0, 'no exchange finished in that second');
  assert.equal(points[3]!.t - points[0]!.t, 3000);
});

test('memory for 1,000 servers: the rings are fixed-size and reported', () => {
  // One series per object with traffic: 2,340 slots × 14 metrics × 4 bytes, plus the sampling state.
  assert.equal(SECOND_SLOTS, 900);
  const before = process.memoryUsage().arrayBuffers;
  const servers = Array.from({ length: 1000 }, () => {
    const c = new StatCounters();
    c.series = new Series(Date.now());
    return c;
  });
  const measured = process.memoryUsage().arrayBuffers - before;
  const computed = SERIES_BYTES * servers.length;
  console.log(`stats memory for 1,000 active servers: ${(computed / 1048576).toFixed(1)} MiB computed, ${(measured / 1048576).toFixed(1)} MiB of ArrayBuffers measured`);
  assert.ok(SERIES_BYTES < 140 * 1024, `per-object series ${SERIES_BYTES} B`);
  assert.ok(measured >= computed * 0.9 && measured <= computed * 1.2, `measured ${measured} vs computed ${computed}`);
  assert.equal(servers.length, 1000);
});
