/**
 * busiest (renderer/src/lib/traffic.ts): the Traffic screen opened without an
 * object shows the frontend with the most recent requests, not the first one;
 * shortDataRange, the minute a chart of less than a minute of data is drawn in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeriesPoint } from '../../../proxy/control/contract.ts';
import { busiest, shortDataRange } from '../../../renderer/src/lib/traffic.ts';

const point = (t: number, requests: number): SeriesPoint => ({ t, values: { requests } as SeriesPoint['values'] });

test('the frontend with the most requests over its points is chosen, wherever it is in the list', () => {
  assert.equal(busiest([
    { id: 'frontend:demo', points: [point(0, 0), point(60_000, 1)] },
    { id: 'frontend:shop', points: [point(0, 900), point(60_000, 1200)] },
    { id: 'frontend:nas', points: [point(0, 40)] },
  ]), 'frontend:shop');
});

test('with no traffic anywhere the first is chosen; an empty list chooses nothing', () => {
  assert.equal(busiest([{ id: 'frontend:a', points: [] }, { id: 'frontend:b', points: [point(0, 0)] }]), 'frontend:a');
  assert.equal(busiest([]), undefined);
});

test('a chart of less than a minute of data spans the minute up to its last point (an axis in seconds, not milliseconds)', () => {
  const t = 1_764_900_000_000;
  // Two seconds after a start: the minute up to the last point, in uPlot's seconds.
  assert.deepEqual(shortDataRange([t, t + 1000, t + 2000]), [(t + 2000 - 60_000) / 1000, (t + 2000) / 1000]);
  // A single point: the minute up to it (uPlot's own range for one time point is ~1000 days).
  assert.deepEqual(shortDataRange([t]), [(t - 60_000) / 1000, t / 1000]);
  // A minute or more: the data's own range; no data: nothing to fit.
  assert.equal(shortDataRange([t, t + 60_000]), undefined);
  assert.equal(shortDataRange([]), undefined);
});
