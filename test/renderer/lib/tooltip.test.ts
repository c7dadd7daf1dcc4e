import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shiftIntoView, TOOLTIP_MARGIN_PX } from '../../../renderer/src/lib/tooltip.ts';

test('a tooltip inside the viewport stays where it is', () => {
  assert.equal(shiftIntoView(8, 320, 390), 0);
  assert.equal(shiftIntoView(100, 382, 390), 0);
});

test('a tooltip that begins left of the viewport moves right, to the margin (the phone case: x = −41 px at 390 px)', () => {
  assert.equal(shiftIntoView(-41, 271, 390), 41 + TOOLTIP_MARGIN_PX);
  assert.equal(shiftIntoView(3, 200, 390), 5);
});

test('a tooltip that ends right of the viewport moves left, but never so far that its left edge leaves the view', () => {
  assert.equal(shiftIntoView(200, 512, 390), 390 - 8 - 512);
  // Wider than the room: its beginning stays in view.
  assert.equal(shiftIntoView(100, 600, 390), 8 - 100);
  assert.equal(shiftIntoView(-20, 600, 390), 28);
});
