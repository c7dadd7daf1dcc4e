/**
 * busiest (renderer/src/lib/traffic.ts): the Traffic screen opened without an
 * object shows the frontend with the most recent requests, not the first one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeriesPoint } from '../../../proxy/control/contract.ts';
import { busiest } from '../../../renderer/src/lib/traffic.ts';

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
